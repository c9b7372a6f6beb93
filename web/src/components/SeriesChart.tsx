// One float series of a run as a chart: downsampled by the server, refetched when the
// live stream says it grew (throttled), and refetched finer for the range zoomed into.
import { useEffect, useMemo, useRef, useState } from "react";

import { api, toNumber } from "../api";
import type { SeriesPoints, SeriesSummary } from "../api";
import { useApi } from "../useApi";
import { Chart } from "./Chart";
import type { Line, XAxis } from "./Chart";
import { useThrottled } from "./live/hooks";
import { ErrorBox, Spinner } from "./Status";

/** Points asked of the server per chart: the server downsamples, keeping each bucket's
 * lowest and highest point, so spikes survive. */
export const MAX_POINTS = 1500;
/** A live chart refetches at most this often. */
const REFRESH_MS = 1500;
const ZOOM_SETTLE_MS = 300;

export interface ChartSettings {
  logScale: boolean;
  x: XAxis;
  smoothing: number;
  /** Seconds since the epoch: the run's start, where relative time counts from. */
  startedAt: number;
}

/** The step range holding the x range `[a, b]` of the points (one point more each side). */
function stepRange(points: SeriesPoints, x: XAxis, startedAt: number, [a, b]: [number, number]): [number, number] | null {
  if (x === "step") return [a, b];
  const xs = points.timestamps.map((t) => (x === "wall" ? t * 1000 : t - startedAt));
  let first = xs.findIndex((v) => v >= a);
  let last = xs.length - 1 - [...xs].reverse().findIndex((v) => v <= b);
  if (first < 0 || last >= xs.length) return null;
  first = Math.max(0, first - 1);
  last = Math.min(xs.length - 1, last + 1);
  return [points.steps[first], points.steps[last]];
}

export function SeriesChart({ runId, summary, settings }: { runId: string; summary: SeriesSummary; settings: ChartSettings }) {
  const version = useThrottled(`${summary.count}:${summary.last_step}`, REFRESH_MS);
  const coarse = useApi(
    (signal) => api.points(runId, summary.path, { max_points: MAX_POINTS }, signal),
    [runId, summary.path, version],
  );
  // The step range zoomed into, once the wheel has settled; null shows everything.
  const [range, setRange] = useState<[number, number] | null>(null);
  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(settle.current), []);
  useEffect(() => setRange(null), [settings.x]);
  const isThinned = coarse.data !== undefined && coarse.data.total_count > coarse.data.steps.length;
  const fine = useApi(
    (signal) =>
      range && isThinned
        ? api.points(runId, summary.path, { step_min: range[0], step_max: range[1], max_points: MAX_POINTS }, signal)
        : Promise.resolve(undefined),
    [runId, summary.path, range?.[0], range?.[1], isThinned, version],
  );

  const data = coarse.data;
  const lines = useMemo((): Line[] => {
    if (!data) return [];
    const f = range && fine.data;
    if (!f) return [{ name: summary.path, steps: data.steps, values: data.values.map(toNumber), timestamps: data.timestamps }];
    // The finer points inside the range, the coarse ones around it (the slider still shows all).
    const [lo, hi] = range;
    const steps: number[] = [];
    const values: (number | null)[] = [];
    const timestamps: number[] = [];
    const push = (p: SeriesPoints, i: number) => {
      steps.push(p.steps[i]);
      values.push(toNumber(p.values[i]));
      timestamps.push(p.timestamps[i]);
    };
    let i = 0;
    for (; i < data.steps.length && data.steps[i] < lo; i++) push(data, i);
    for (let j = 0; j < f.steps.length; j++) push(f, j);
    for (; i < data.steps.length; i++) if (data.steps[i] > hi) push(data, i);
    return [{ name: summary.path, steps, values, timestamps }];
  }, [data, fine.data, range, summary.path]);

  const onZoom = (xRange: [number, number] | null) => {
    clearTimeout(settle.current);
    settle.current = setTimeout(() => {
      if (!xRange || !data) return setRange(null);
      const next = stepRange(data, settings.x, settings.startedAt, xRange);
      setRange((old) => (next && old && next[0] === old[0] && next[1] === old[1] ? old : next));
    }, ZOOM_SETTLE_MS);
  };

  const finePoints = range && fine.data ? fine.data.steps.length : undefined;
  return (
    <div className="chart-card" data-series={summary.path} data-fine-points={finePoints}>
      {coarse.error ? <ErrorBox error={coarse.error} onRetry={coarse.reload} /> : null}
      {!data && !coarse.error ? <Spinner label={`Loading ${summary.path}…`} /> : null}
      {data ? (
        <>
          <Chart
            title={summary.path}
            lines={lines}
            logScale={settings.logScale}
            x={settings.x}
            startedAt={settings.startedAt}
            smoothing={settings.smoothing}
            onZoom={onZoom}
          />
          <div className="chart-foot muted">
            {data.total_count > data.steps.length
              ? `${data.steps.length} of ${data.total_count} points (downsampled by the server)`
              : `${data.total_count} points`}
            {finePoints !== undefined ? ` · ${finePoints} in the zoomed range` : ""}
          </div>
        </>
      ) : null}
    </div>
  );
}
