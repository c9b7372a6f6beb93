import { useEffect, useMemo, useState } from "react";

import { api, ApiError, toNumber } from "../../api";
import type { SeriesPoints } from "../../api";
import { formatNumber } from "../../format";
import { navigate, withQuery } from "../../router";
import { smooth } from "../../smoothing";
import { EChart } from "./EChart";
import type { CompareRun } from "./model";
import { pooled } from "./pool";

/** Points per line asked of the server: fewer per run as runs add up, so that a chart of
 * hundreds of runs stays a few hundred thousand points at most. */
export function pointsPerRun(runs: number): number {
  return Math.max(200, Math.min(1500, Math.floor(30000 / Math.max(runs, 1))));
}

/** Each run's points of `path` (downsampled by the server), fetched through the pool;
 * the map fills as answers come in. */
function useOverlay(runs: CompareRun[], path: string): { points: Map<string, SeriesPoints>; failed: Map<string, ApiError> } {
  const [state, setState] = useState({ points: new Map<string, SeriesPoints>(), failed: new Map<string, ApiError>() });
  const ids = runs.map((r) => r.id).join(",");
  useEffect(() => {
    const controller = new AbortController();
    const points = new Map<string, SeriesPoints>();
    const failed = new Map<string, ApiError>();
    setState({ points: new Map(), failed: new Map() });
    let timer: number | undefined;
    const flush = () => {
      timer = undefined;
      if (!controller.signal.aborted) setState({ points: new Map(points), failed: new Map(failed) });
    };
    const max = pointsPerRun(runs.length);
    for (const run of runs) {
      if (!(`${path}:min` in run.columns)) continue; // this run has no such series
      pooled(() => api.points(run.id, path, { max_points: max }, controller.signal), controller.signal).then(
        (data) => points.set(run.id, data),
        (err: unknown) => {
          if (err instanceof ApiError) failed.set(run.id, err);
        },
      ).finally(() => {
        // Many answers arrive together: one render per 100 ms, not one per run.
        if (timer === undefined && !controller.signal.aborted) timer = window.setTimeout(flush, 100);
      });
    }
    return () => {
      controller.abort();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [ids, path]);
  return state;
}

function CurveChart({ runs, path, smoothing, logScale }: { runs: CompareRun[]; path: string; smoothing: number; logScale: boolean }) {
  const { points, failed } = useOverlay(runs, path);
  const withSeries = runs.filter((r) => `${path}:min` in r.columns);
  const option = useMemo(() => {
    const positive = (v: number | null) => (v === null || !Number.isFinite(v) ? null : logScale && v <= 0 ? null : v);
    const many = withSeries.length > 10;
    return {
      title: { text: path, left: 8, top: 4, textStyle: { fontSize: 13, fontWeight: 600 } },
      tooltip: {
        trigger: many ? "item" : "axis",
        valueFormatter: (v: unknown) => (typeof v === "number" ? formatNumber(v) : String(v)),
      },
      legend: many ? undefined : { top: 4, right: 8, type: "scroll" },
      grid: { left: 56, right: 20, top: 36, bottom: 56 },
      xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 24, scale: true },
      yAxis: { type: logScale ? "log" : "value", scale: true, axisLabel: { formatter: (v: number) => formatNumber(v) } },
      dataZoom: [
        { type: "inside", xAxisIndex: 0, filterMode: "none" },
        { type: "slider", xAxisIndex: 0, height: 16, bottom: 8, filterMode: "none" },
      ],
      series: withSeries
        .filter((r) => points.has(r.id))
        .map((r) => {
          const data = points.get(r.id)!;
          const values = smooth(data.values.map(toNumber), smoothing);
          return {
            name: r.key,
            type: "line",
            color: r.color,
            showSymbol: data.steps.length < 30,
            symbolSize: 4,
            sampling: "lttb",
            lineStyle: { width: 1.5, color: r.color },
            emphasis: { focus: "series" },
            data: data.steps.map((s, i) => [s, positive(values[i])]),
          };
        }),
    };
  }, [points, withSeries.length, smoothing, logScale, path]);
  const loaded = points.size + failed.size;
  return (
    <div className="chart-card" data-metric={path} data-loaded={loaded} data-runs={withSeries.length}>
      <EChart option={option} testId="compare-chart" title={path} />
      <div className="chart-foot muted">
        {loaded < withSeries.length ? `loading ${loaded} of ${withSeries.length} runs… ` : `${withSeries.length} of ${runs.length} runs`}
        {failed.size ? <span className="error-text"> — {failed.size} failed: {[...failed.values()][0].message}</span> : null}
      </div>
    </div>
  );
}

/** Overlaid learning curves: one chart per chosen metric, a line per run in its colour. */
export function Curves({
  runs,
  series,
  chosen,
  smoothing,
  logScale,
}: {
  runs: CompareRun[];
  series: { path: string; count: number }[];
  chosen: string[];
  smoothing: number;
  logScale: boolean;
}) {
  const [picking, setPicking] = useState(false);
  const setChosen = (paths: string[]) => navigate(withQuery({ m: paths.join(",") || "-" }));
  return (
    <div data-testid="compare-curves">
      <div className="toolbar">
        <button type="button" className="secondary" aria-expanded={picking} onClick={() => setPicking((p) => !p)}>
          Metrics ({chosen.length} of {series.length})
        </button>
        <label className="toggle" title="Exponential moving average, debiased (as TensorBoard)">
          smoothing
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            aria-label="smoothing"
            data-testid="smoothing"
            onChange={(e) => navigate(withQuery({ smooth: Number(e.target.value) > 0 ? e.target.value : undefined }), { replace: true })}
          />
          <span className="num">{smoothing.toFixed(2)}</span>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={logScale} onChange={(e) => navigate(withQuery({ log: e.target.checked ? "1" : undefined }))} /> log scale
        </label>
        <span className="muted">Scroll on a chart or drag its slider to zoom; hover a line to pick out its run.</span>
      </div>
      {picking ? (
        <div className="metric-picker" data-testid="metric-picker">
          {series.map((s) => (
            <label key={s.path} className="toggle">
              <input
                type="checkbox"
                checked={chosen.includes(s.path)}
                onChange={(e) => setChosen(e.target.checked ? [...chosen, s.path] : chosen.filter((p) => p !== s.path))}
              />
              {s.path} <span className="muted">({s.count}/{runs.length})</span>
            </label>
          ))}
        </div>
      ) : null}
      {chosen.length === 0 ? <div className="empty-state">No metric chosen: pick some with the Metrics button.</div> : null}
      <div className="chart-grid">
        {chosen.map((path) => (
          <CurveChart key={path} runs={runs} path={path} smoothing={smoothing} logScale={logScale} />
        ))}
      </div>
    </div>
  );
}
