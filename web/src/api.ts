// Every request of the dashboard goes through this module: the public REST API under
// /api/v1, nothing else. When the server asks for tokens, `setToken` is the one place
// that adds `Authorization: Bearer`.

export const API = "/api/v1";

const TOKEN_KEY = "cairn-token";
let token: string | null = sessionStorage.getItem(TOKEN_KEY);

/** Send `Authorization: Bearer <t>` with every request from now on (null: none); kept for
 * this browser tab's session only. */
export function setToken(t: string | null): void {
  token = t;
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An error answer of the API (`{"error": {"code", "message", "details"}}`), or a
 * network failure (status 0, code "network"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

function headers(): HeadersInit {
  const h: Record<string, string> = { Accept: "application/json" };
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

/** The URL of an API path with query parameters (arrays repeat the parameter). */
export function apiUrl(path: string, query: Record<string, string | number | string[] | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.set(key, String(value));
  }
  const qs = params.toString();
  return `${API}${path}${qs ? `?${qs}` : ""}`;
}

export async function request<T>(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? headers() : { ...headers(), "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", `Cannot reach the Cairn server (${String(err)}). Is it still running?`);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })?.error;
    if (error?.message) {
      throw new ApiError(response.status, error.code ?? "error", error.message, error.details ?? {});
    }
    const detail = (parsed as { detail?: unknown })?.detail;
    throw new ApiError(
      response.status,
      "http",
      `The server answered ${response.status} ${response.statusText}${detail ? `: ${JSON.stringify(detail)}` : ""}`,
    );
  }
  return parsed as T;
}

export const get = <T>(path: string, query?: Record<string, string | number | string[] | undefined>, signal?: AbortSignal) =>
  request<T>("GET", apiUrl(path, query), undefined, signal);

// ---- the API's shapes (see /openapi.json) ----

export type RunStatus = "running" | "finished" | "failed" | "crashed" | "aborted";
export const STATUSES: RunStatus[] = ["running", "finished", "failed", "crashed", "aborted"];

export interface Project {
  name: string;
  key: string;
  run_count: number;
  last_activity_at: string | null;
  created_at: string;
}

export interface Run {
  id: string;
  key: string;
  project: string;
  name: string;
  description: string;
  status: RunStatus;
  owner: string;
  host: string;
  tags: string[];
  created_at: string;
  ended_at: string | null;
  heartbeat_at: string | null;
  traceback: string | null;
  last_seq: number;
  stop_requested_at: string | null;
}

export interface RunRow {
  id: string;
  key: string;
  columns: Record<string, unknown>;
}

export interface RunList {
  runs: RunRow[];
  columns: string[];
  offset: number;
  limit: number | null;
  total: number;
}

export interface FieldList {
  fields: Record<string, unknown>;
  kinds: Record<string, string>;
}

export interface SeriesSummary {
  path: string;
  kind: "float" | "string" | "file";
  count: number;
  first_step: number | null;
  last_step: number | null;
  last_value: number | string | null;
  min_value: number | string | null;
  max_value: number | string | null;
  last_at: string | null;
}

export interface SeriesPoints {
  path: string;
  kind: "float" | "string" | "file";
  total_count: number;
  steps: number[];
  values: unknown[];
  timestamps: number[];
}

export interface FileInfo {
  path: string;
  name: string;
  mime: string;
  size_bytes: number;
  sha256: string;
  created_at: string;
}

// ---- calls ----

const enc = encodeURIComponent;
/** A series or file path in a URL: each segment escaped, the slashes kept. */
const encPath = (path: string) => path.split("/").map(enc).join("/");

export const api = {
  projects: (signal?: AbortSignal) => get<{ projects: Project[] }>("/projects", undefined, signal),
  project: (name: string, signal?: AbortSignal) => get<Project>(`/projects/${enc(name)}`, undefined, signal),
  runs: (
    project: string,
    q: { filter?: string; sort?: string; limit?: number; offset?: number; columns?: string[] },
    signal?: AbortSignal,
  ) =>
    get<RunList>(
      `/projects/${enc(project)}/runs`,
      {
        filter: q.filter,
        sort: q.sort,
        limit: q.limit,
        offset: q.offset,
        columns: q.columns && q.columns.length ? [q.columns.join(",")] : undefined,
      },
      signal,
    ),
  run: (ref: string, project?: string, signal?: AbortSignal) =>
    get<Run>(`/runs/${enc(ref)}`, { project }, signal),
  fields: (runId: string, signal?: AbortSignal) => get<FieldList>(`/runs/${enc(runId)}/fields`, undefined, signal),
  series: (runId: string, signal?: AbortSignal) =>
    get<{ series: SeriesSummary[] }>(`/runs/${enc(runId)}/series`, undefined, signal),
  points: (runId: string, path: string, q: { max_points?: number; step_min?: number; step_max?: number }, signal?: AbortSignal) =>
    get<SeriesPoints>(`/runs/${enc(runId)}/series/${encPath(path)}`, q, signal),
  files: (runId: string, signal?: AbortSignal) => get<{ files: FileInfo[] }>(`/runs/${enc(runId)}/files`, undefined, signal),
  /** The download address of a file (a plain link: the browser saves it). */
  fileUrl: (runId: string, path: string, inline = false) =>
    apiUrl(`/runs/${enc(runId)}/files/${encPath(path)}`, { inline: inline ? "true" : undefined }),
};

/** Whether requests carry a token (plain links then cannot fetch files: see `download`). */
export const hasToken = () => token !== null;

/** Save a run's file through fetch, so that the token goes with it. */
export async function download(runId: string, path: string, name: string): Promise<void> {
  const response = await fetch(api.fileUrl(runId, path), { headers: headers() });
  if (!response.ok) throw new ApiError(response.status, "http", `Download failed: ${response.status} ${response.statusText}`);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A number from the API's JSON, where non-finite floats are the strings "NaN", "Infinity", "-Infinity". */
export function toNumber(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return null;
}

// ---- edits, stop, file bytes and live streams (the run page and the runs table) ----

/** What `PATCH /runs/{ref}` takes: each part optional. */
export interface RunPatch {
  name?: string;
  description?: string;
  add_tags?: string[];
  remove_tags?: string[];
}

export const edits = {
  /** Change a run's name or description, add or remove tags; answers the run. */
  update: (runId: string, patch: RunPatch) => request<Run>("PATCH", apiUrl(`/runs/${enc(runId)}`), patch),
  /** Ask a running run to stop (its client ends it as aborted); answers the run. */
  stop: (runId: string) => request<Run>("POST", apiUrl(`/runs/${enc(runId)}/stop`)),
};

/** The address of the file logged at `step` of a file series. */
export const fileSeriesUrl = (runId: string, path: string, step: number, inline = false) =>
  apiUrl(`/runs/${enc(runId)}/file-series/${encPath(path)}`, { step, inline: inline ? "true" : undefined });

/** The bytes at an API address (a file, a file series entry), with the token if any. */
export async function fetchBlob(url: string, signal?: AbortSignal): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url, { headers: headers(), signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", `Cannot reach the Cairn server (${String(err)}). Is it still running?`);
  }
  if (!response.ok) {
    const text = await response.text();
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      error = undefined;
    }
    throw new ApiError(response.status, error?.code ?? "http", error?.message ?? `The server answered ${response.status}`);
  }
  return response.blob();
}

/** Open a Server-Sent Events stream (`/runs/{ref}/events`, `/projects/{p}/events`) with
 * fetch, not EventSource, so that the token goes with it; see live/stream.ts. */
export function openEventStream(path: string, lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
  const h: Record<string, string> = { ...(headers() as Record<string, string>), Accept: "text/event-stream" };
  if (lastEventId !== undefined) h["Last-Event-ID"] = lastEventId;
  return fetch(apiUrl(path), { headers: h, signal, cache: "no-store" });
}
