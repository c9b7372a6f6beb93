import { LineChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

import { formatNumber } from "../format";

echarts.use([LineChart, GridComponent, TooltipComponent, DataZoomComponent, LegendComponent, TitleComponent, CanvasRenderer]);

// Browser tests read a chart's option through this (echarts.getInstanceByDom).
(window as unknown as { __cairn?: unknown }).__cairn = { getInstanceByDom: echarts.getInstanceByDom };

export interface Line {
  name: string;
  steps: number[];
  values: (number | null)[];
}

const dark = () => window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;

/** A line chart of series by step: zoom with the wheel or the slider, log scale on request. */
export function Chart({ title, lines, logScale, height = 240 }: { title: string; lines: Line[]; logScale: boolean; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!box.current) return;
    const instance = echarts.init(box.current, dark() ? "dark" : undefined, { renderer: "canvas" });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    const positive = (v: number | null) => (v === null || !Number.isFinite(v) ? null : logScale && v <= 0 ? null : v);
    instance.setOption(
      {
        backgroundColor: "transparent",
        animation: false,
        title: { text: title, left: 8, top: 4, textStyle: { fontSize: 13, fontWeight: 600 } },
        tooltip: {
          trigger: "axis",
          valueFormatter: (v: unknown) => (typeof v === "number" ? formatNumber(v) : String(v)),
        },
        legend: lines.length > 1 ? { top: 4, right: 8, type: "scroll" } : undefined,
        grid: { left: 56, right: 20, top: 36, bottom: 56 },
        xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 24, scale: true },
        yAxis: { type: logScale ? "log" : "value", scale: true, axisLabel: { formatter: (v: number) => formatNumber(v) } },
        dataZoom: [
          { type: "inside", xAxisIndex: 0, filterMode: "none" },
          { type: "slider", xAxisIndex: 0, height: 16, bottom: 8, filterMode: "none" },
        ],
        series: lines.map((line) => ({
          name: line.name,
          type: "line",
          showSymbol: line.steps.length < 50,
          symbolSize: 4,
          sampling: "lttb",
          large: line.steps.length > 5000,
          connectNulls: false,
          lineStyle: { width: 1.5 },
          data: line.steps.map((s, i) => [s, positive(line.values[i])]),
        })),
      },
      { notMerge: true },
    );
    box.current?.setAttribute("data-points", String(lines.reduce((n, l) => n + l.steps.length, 0)));
  }, [title, lines, logScale]);

  return <div className="chart" ref={box} style={{ height }} data-testid="chart" data-title={title} />;
}
