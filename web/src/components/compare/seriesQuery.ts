// The compare view's curves read many runs' series in one request each
// (POST /projects/{p}/series/query), not one request per run and metric: on two cores
// 200 single reads of a 50-run view took 2.4 s, one batch per chart about 40 ms.
import { apiUrl, request, toNumber } from "../../api";

/** One run's downsampled series as the batch read answers it (no timestamps asked). */
export interface RunSeries {
  run_id: string;
  path: string;
  kind: "float" | "string" | "file";
  total_count: number;
  steps: number[];
  values: unknown[];
}

interface BatchAnswer {
  series: RunSeries[];
  missing: { run_id: string; path: string }[];
}

/** Runs per request: a 50-run chart is one request; hundreds of runs arrive in parts
 * that draw as they come (and stay far below the server's 1,000 pairs a request). */
export const RUNS_PER_REQUEST = 100;

/** Points per line asked of the server: 1,000 (500 min/max pairs, about a chart's width
 * in pixels) up to 15 runs, then fewer so that a chart holds ~15,000 points, never under
 * 100 a line. Drawing is what this budget buys: with 50 runs x 4 charts, 600 points a line
 * drew in 1.18 s and 300 in 0.94 s (medians, benchmarks' store), and 50 overlaid lines show
 * no more at 600. */
export function pointsPerRun(runs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(15000 / Math.max(runs, 1))));
}

/** The series at `path` of each of `runIds` (ids of runs of `project`), downsampled to
 * `maxPoints`; runs without that series are left out of the answer. */
export async function querySeries(
  project: string,
  runIds: string[],
  path: string,
  maxPoints: number,
  signal?: AbortSignal,
): Promise<RunSeries[]> {
  const url = apiUrl(`/projects/${encodeURIComponent(project)}/series/query`);
  const body = { runs: runIds, paths: [path], max_points: maxPoints, timestamps: false };
  const answer = await request<BatchAnswer>("POST", url, body, signal);
  return answer.series;
}

/** `[step, value]` pairs of a line, smoothed by `smoothing` when given; values that a
 * log axis cannot show (≤ 0) and non-finite ones become gaps (null). */
export function linePoints(
  series: RunSeries,
  smoothed: (values: (number | null)[]) => (number | null)[],
  logScale: boolean,
): [number, number | null][] {
  const values = smoothed(series.values.map(toNumber));
  const out: [number, number | null][] = new Array(series.steps.length);
  for (let i = 0; i < series.steps.length; i++) {
    const v = values[i];
    out[i] = [series.steps[i], v === null || !Number.isFinite(v) || (logScale && v <= 0) ? null : v];
  }
  return out;
}
