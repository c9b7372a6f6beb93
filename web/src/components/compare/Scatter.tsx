import { useMemo } from "react";

import { formatNumber } from "../../format";
import { EChart } from "./EChart";
import { axisFor, label, MetricSelect } from "./Parallel";
import type { CompareRun } from "./model";

/** A scatter of any two columns (parameters or metrics): a point per run, in its colour. */
export function Scatter({ runs, x, y, columns }: { runs: CompareRun[]; x: string; y: string; columns: string[] }) {
  const option = useMemo(() => {
    const ax = axisFor(runs, x);
    const ay = axisFor(runs, y);
    const value = (v: unknown, type: string) =>
      type === "category" ? label(v) : typeof v === "number" && Number.isFinite(v) && (type !== "log" || v > 0) ? v : null;
    const axis = (name: string, a: ReturnType<typeof axisFor>) => {
      const base = { name, nameLocation: "middle", nameGap: 32 };
      return a.type === "category"
        ? { ...base, type: a.type, data: a.data }
        : { ...base, type: a.type, scale: true, axisLabel: { formatter: (v: number) => formatNumber(v) } };
    };
    return {
      tooltip: {
        trigger: "item",
        formatter: (p: { seriesName: string; value: unknown[] }) =>
          `${p.seriesName}<br/>${x}: ${String(p.value[0])}<br/>${y}: ${String(p.value[1])}`,
      },
      grid: { left: 70, right: 30, top: 30, bottom: 50 },
      xAxis: axis(x, ax),
      yAxis: { ...axis(y, ay), nameGap: 52 },
      series: runs.map((r) => ({
        name: r.key,
        type: "scatter",
        symbolSize: 12,
        color: r.color,
        data: [[value(r.columns[x], ax.type), value(r.columns[y], ay.type)]],
      })),
    };
  }, [runs, x, y]);
  return (
    <div data-testid="compare-scatter">
      <div className="toolbar">
        <MetricSelect value={x} options={columns} param="sx" label="x" testId="scatter-x" />
        <MetricSelect value={y} options={columns} param="sy" label="y" testId="scatter-y" />
      </div>
      <EChart option={option} height={420} testId="scatter-chart" title={`${x} × ${y}`} />
    </div>
  );
}
