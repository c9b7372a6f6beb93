// What the compare view knows of its runs, and the helpers every panel shares: which
// columns are parameters and metrics, which differ, and each run's colour.
import type { RunRow } from "../../api";

export interface CompareRun {
  id: string;
  key: string;
  name: string;
  color: string;
  columns: Record<string, unknown>;
}

// 20 colours that stay apart on light and dark backgrounds (Tableau 10 and its lighter twins).
const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];

/** A run's colour, the same in every chart and table and whatever else is selected: from
 * the number in its key (consecutive runs differ), else from a hash of the key. */
export function runColor(key: string): string {
  const match = /-(\d+)$/.exec(key);
  let n = match ? Number(match[1]) - 1 : 0;
  if (!match) for (const ch of key) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[n % PALETTE.length];
}

export function toCompareRun(row: RunRow): CompareRun {
  return { id: row.id, key: row.key, name: String(row.columns["sys/name"] ?? ""), color: runColor(row.key), columns: row.columns };
}

/** Float series of the runs (those with a `:min` summary), most shared first, monitoring last. */
export function floatSeries(runs: CompareRun[]): { path: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const c of Object.keys(run.columns)) {
      if (c.endsWith(":min")) {
        const path = c.slice(0, -4);
        counts.set(path, (counts.get(path) ?? 0) + 1);
      }
    }
  }
  const monitoring = (p: string) => (p.startsWith("monitoring/") ? 1 : 0);
  return [...counts.entries()]
    .map(([path, count]) => ({ path, count }))
    .sort((a, b) => monitoring(a.path) - monitoring(b.path) || b.count - a.count || a.path.localeCompare(b.path));
}

/** The metric to show first: a validation series shared by all runs, else the first. */
export function defaultMetric(series: { path: string; count: number }[], runs: number): string | undefined {
  const shared = series.filter((s) => s.count === runs && !s.path.startsWith("monitoring/"));
  const pool = shared.length ? shared : series;
  return (pool.find((s) => /(^|\/)(val|valid|validation|eval|test)\//.test(s.path)) ?? pool[0])?.path;
}

/** Fields under parameters/ that some run has. */
export function parameterPaths(runs: CompareRun[]): string[] {
  const set = new Set<string>();
  for (const run of runs) for (const c of Object.keys(run.columns)) if (c.startsWith("parameters/")) set.add(c);
  return [...set].sort();
}

const key = (v: unknown) => (v === undefined ? "\u0000missing" : JSON.stringify(v));

/** Whether the runs do not all hold the same value at `column` (a missing value counts). */
export function differs(runs: CompareRun[], column: string): boolean {
  if (runs.length < 2) return false;
  const first = key(runs[0].columns[column]);
  return runs.some((r) => key(r.columns[column]) !== first);
}

/** Whether every value present at `column` is a number. */
export function isNumeric(runs: CompareRun[], column: string): boolean {
  let seen = false;
  for (const r of runs) {
    const v = r.columns[column];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number") return false;
    seen = true;
  }
  return seen;
}

/** The filter that selects exactly these runs. */
export function filterOf(keys: string[]): string {
  return `id in [${keys.map((k) => `'${k.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`).join(", ")}]`;
}
