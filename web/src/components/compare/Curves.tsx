import { useEffect, useMemo, useState } from "react";

import { ApiError } from "../../api";
import { formatNumber } from "../../format";
import { navigate, withQuery } from "../../router";
import { smooth } from "../../smoothing";
import { EChart } from "./EChart";
import type { CompareRun } from "./model";
import { pooled } from "./pool";
import { linePoints, pointsPerRun, querySeries, RUNS_PER_REQUEST } from "./seriesQuery";
import type { RunSeries } from "./seriesQuery";

interface Overlay {
  points: Map<string, RunSeries>;
  failed: Map<string, ApiError>;
  /** Runs whose answer (points, no such series, or an error) has come. */
  answered: number;
}

/** The runs' points of `path` (downsampled by the server): one batch request per
 * RUNS_PER_REQUEST runs, through the pool; each answer is one state change, so a chart
 * of 50 runs is set once, not once per run. */
function useOverlay(project: string, runs: CompareRun[], path: string): Overlay {
  const [state, setState] = useState<Overlay>({ points: new Map(), failed: new Map(), answered: 0 });
  const ids = runs.map((r) => r.id).join(",");
  useEffect(() => {
    const controller = new AbortController();
    const points = new Map<string, RunSeries>();
    const failed = new Map<string, ApiError>();
    let answered = 0;
    setState({ points: new Map(), failed: new Map(), answered: 0 });
    const wanted = runs.filter((run) => `${path}:min` in run.columns).map((run) => run.id);
    const max = pointsPerRun(wanted.length);
    for (let start = 0; start < wanted.length; start += RUNS_PER_REQUEST) {
      const part = wanted.slice(start, start + RUNS_PER_REQUEST);
      pooled(() => querySeries(project, part, path, max, controller.signal), controller.signal).then(
        (found) => {
          for (const s of found) points.set(s.run_id, s);
        },
        (err: unknown) => {
          if (err instanceof ApiError) for (const id of part) failed.set(id, err);
        },
      ).finally(() => {
        answered += part.length;
        if (!controller.signal.aborted) setState({ points: new Map(points), failed: new Map(failed), answered });
      });
    }
    return () => controller.abort();
  }, [project, ids, path]);
  return state;
}

function CurveChart({
  project,
  runs,
  path,
  smoothing,
  logScale,
}: {
  project: string;
  runs: CompareRun[];
  path: string;
  smoothing: number;
  logScale: boolean;
}) {
  const { points, failed, answered } = useOverlay(project, runs, path);
  const withSeries = runs.filter((r) => `${path}:min` in r.columns);
  const option = useMemo(() => {
    const many = withSeries.length > 10;
    const smoothed = (values: (number | null)[]) => smooth(values, smoothing);
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
          return {
            name: r.key,
            type: "line",
            color: r.color,
            showSymbol: data.steps.length < 30,
            symbolSize: 4,
            sampling: "lttb",
            lineStyle: { width: 1.5, color: r.color },
            emphasis: { focus: "series" },
            data: linePoints(data, smoothed, logScale),
          };
        }),
    };
  }, [points, withSeries.length, smoothing, logScale, path]);
  const loaded = Math.min(answered, withSeries.length);
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
  project,
  runs,
  series,
  chosen,
  smoothing,
  logScale,
}: {
  project: string;
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
          <CurveChart key={path} project={project} runs={runs} path={path} smoothing={smoothing} logScale={logScale} />
        ))}
      </div>
    </div>
  );
}
