import { useMemo } from "react";

import { formatNumber, formatValue } from "../../format";
import { navigate, withQuery } from "../../router";
import { EChart } from "./EChart";
import { differs, isNumeric, parameterPaths } from "./model";
import type { CompareRun } from "./model";

/** An axis of the parallel chart or the scatter: numbers on a value axis (a log axis when
 * they are positive and span two decades or more), anything else on a category axis. */
export function axisFor(runs: CompareRun[], column: string): { type: "value" | "log" | "category"; data?: string[] } {
  if (isNumeric(runs, column)) {
    const values = runs.map((r) => r.columns[column]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    const min = Math.min(...values);
    const max = Math.max(...values);
    return { type: min > 0 && max / min >= 100 ? "log" : "value" };
  }
  const data = [...new Set(runs.map((r) => label(r.columns[column])))].sort();
  return { type: "category", data };
}

/** A value as the category axes show it ("—" when missing). */
export function label(value: unknown): string {
  return value === undefined || value === null ? "—" : typeof value === "string" ? value : formatValue(value);
}

export function MetricSelect({ value, options, param, label: text, testId }: { value: string; options: string[]; param: string; label: string; testId: string }) {
  return (
    <label className="toggle">
      {text}{" "}
      <select value={value} data-testid={testId} onChange={(e) => navigate(withQuery({ [param]: e.target.value }))}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Parallel coordinates: an axis per varying parameter, the chosen metric last; a line per run. */
export function Parallel({ runs, metric, metrics }: { runs: CompareRun[]; metric: string; metrics: string[] }) {
  const params = parameterPaths(runs).filter((p) => differs(runs, p));
  const option = useMemo(() => {
    const dims = [...params, metric];
    const axes = dims.map((d, i) => {
      const axis = axisFor(runs, d);
      const base = { dim: i, name: d.replace(/^parameters\//, ""), nameTextStyle: { fontWeight: d === metric ? 700 : 400 } };
      // Keys left out, not set to undefined: ECharts would take undefined as "no labels".
      return axis.type === "category"
        ? { ...base, type: axis.type, data: axis.data }
        : { ...base, type: axis.type, scale: true, axisLabel: { formatter: (v: number) => formatNumber(v) } };
    });
    const cell = (r: CompareRun, d: string, i: number) => {
      const v = r.columns[d];
      if (axes[i].type === "category") return label(v);
      return typeof v === "number" && Number.isFinite(v) && (axes[i].type !== "log" || v > 0) ? v : null;
    };
    return {
      tooltip: { trigger: "item", formatter: (p: { name: string }) => p.name },
      parallel: { left: 60, right: 110, top: 50, bottom: 30, parallelAxisDefault: { nameLocation: "end", nameGap: 16 } },
      parallelAxis: axes,
      series: [
        {
          type: "parallel",
          smooth: false,
          lineStyle: { width: 2, opacity: runs.length > 50 ? 0.4 : 0.85 },
          emphasis: { lineStyle: { width: 4, opacity: 1 } },
          data: runs.map((r) => ({ name: `${r.key} ${r.name}`, value: dims.map((d, i) => cell(r, d, i)), lineStyle: { color: r.color } })),
        },
      ],
    };
  }, [runs, metric, params.join(",")]);
  return (
    <div data-testid="compare-parallel">
      <div className="toolbar">
        <MetricSelect value={metric} options={metrics} param="pm" label="metric" testId="parallel-metric" />
        <span className="muted">
          {params.length} varying parameter{params.length === 1 ? "" : "s"} against {metric}; hover a line for its run.
        </span>
      </div>
      {params.length === 0 ? <div className="empty-state">No parameter differs between these runs.</div> : null}
      <EChart option={option} height={420} testId="parallel-chart" title={metric} />
    </div>
  );
}
