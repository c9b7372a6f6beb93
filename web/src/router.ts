// A small router over the History API. Every view's state lives in the address (path and
// query), so copying the address shares the view; the dashboard has three routes, which
// does not call for a router library.
import { useSyncExternalStore } from "react";

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path and query; re-renders on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const current = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(current, window.location.origin);
  return { path: decodeURI(url.pathname), query: url.searchParams };
}

/** Go to `to` (a path with an optional query); `replace` keeps the history entry, for
 * changes made while typing. */
export function navigate(to: string, { replace = false } = {}): void {
  if (to === snapshot()) return;
  if (replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  listeners.forEach((l) => l());
}

/** `path` with `query`, leaving out empty values. */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The current address with some query parameters changed (undefined or "" removes one). */
export function withQuery(changes: Record<string, string | undefined>): string {
  const url = new URL(window.location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === "") url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  return url.pathname + url.search;
}

export const projectPath = (project: string) => `/projects/${encodeURIComponent(project)}`;
export const runPath = (project: string, key: string) =>
  `/projects/${encodeURIComponent(project)}/runs/${encodeURIComponent(key)}`;
