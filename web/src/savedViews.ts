// The API calls of saved views and grouped runs (issue 4): named runs-table states per
// project, kept by the server, and runs grouped by a path with aggregates.
import { apiUrl, get, request } from "./api";

export interface SavedView {
  id: number;
  project: string;
  name: string;
  /** The runs table's query string (no leading "?"). */
  state: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface GroupAggregate {
  mean: number | string | null;
  min: number | string | null;
  max: number | string | null;
}

export interface Group {
  kind: string;
  value: unknown;
  /** A filter in the query language that selects exactly this group's runs. */
  filter: string;
  count: number;
  aggregates: Record<string, GroupAggregate>;
}

export interface GroupList {
  by: string;
  columns: string[];
  groups: Group[];
  total_groups: number;
  total_runs: number;
}

const enc = encodeURIComponent;

export const savedViews = {
  list: (project: string, signal?: AbortSignal) => get<{ views: SavedView[] }>(`/projects/${enc(project)}/views`, undefined, signal),
  create: (project: string, name: string, state: string) =>
    request<SavedView>("POST", apiUrl(`/projects/${enc(project)}/views`), { name, state }),
  update: (project: string, id: number, change: { name?: string; state?: string }) =>
    request<SavedView>("PUT", apiUrl(`/projects/${enc(project)}/views/${id}`), change),
  remove: (project: string, id: number) => request<undefined>("DELETE", apiUrl(`/projects/${enc(project)}/views/${id}`)),
};

export const groups = (project: string, q: { by: string; filter?: string; columns?: string[] }, signal?: AbortSignal) =>
  get<GroupList>(
    `/projects/${enc(project)}/groups`,
    { by: q.by, filter: q.filter, columns: q.columns && q.columns.length ? [q.columns.join(",")] : undefined },
    signal,
  );
