import { LineChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

import { formatDuration, formatNumber } from "../format";
import { smooth } from "../smoothing";

echarts.use([LineChart, GridComponent, TooltipComponent, DataZoomComponent, LegendComponent, TitleComponent, CanvasRenderer]);

// Browser tests read a chart's option through this (echarts.getInstanceByDom).
(window as unknown as { __cairn?: unknown }).__cairn = { getInstanceByDom: echarts.getInstanceByDom };

export interface Line {
  name: string;
  steps: number[];
  values: (number | null)[];
  /** Seconds since the epoch, one per point: needed for the time axes. */
  timestamps?: number[];
}

/** What the x axis shows: the step, the wall-clock time, or the time since `startedAt`. */
export type XAxis = "step" | "wall" | "relative";

/** Optional settings of a chart (the run page's charts use them; defaults keep the plain chart). */
export interface ChartOptions {
  x?: XAxis;
  /** Seconds since the epoch at which relative time starts. */
  startedAt?: number;
  /** EMA weight in [0, 1): the raw line stays, faded, under the smoothed one. */
  smoothing?: number;
  /** Called with the x range shown after a zoom (null: all of it). */
  onZoom?: (range: [number, number] | null) => void;
}

const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

const dark = () => window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;

/** A line chart of series by step: zoom with the wheel or the slider, log scale on request. */
export function Chart({
  title,
  lines,
  logScale,
  height = 240,
  x = "step",
  startedAt = 0,
  smoothing = 0,
  onZoom,
}: { title: string; lines: Line[]; logScale: boolean; height?: number } & ChartOptions) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  // The zoomed x range, kept across data updates (a live chart must not jump back out).
  const zoom = useRef<[number, number] | null>(null);
  const zoomed = useRef(onZoom);
  zoomed.current = onZoom;

  useEffect(() => {
    if (!box.current) return;
    const instance = echarts.init(box.current, dark() ? "dark" : undefined, { renderer: "canvas" });
    chart.current = instance;
    instance.on("datazoom", () => {
      const dz = (instance.getOption() as { dataZoom?: { start?: number; end?: number; startValue?: number; endValue?: number }[] }).dataZoom?.[0];
      const all = !dz || ((dz.start ?? 0) <= 0 && (dz.end ?? 100) >= 100);
      zoom.current = all || dz.startValue === undefined || dz.endValue === undefined ? null : [dz.startValue, dz.endValue];
      zoomed.current?.(zoom.current);
    });
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    zoom.current = null; // another axis: the old range means nothing on it
  }, [x]);

  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    const xOf = (line: Line, i: number): number =>
      x === "step" ? line.steps[i] : x === "wall" ? (line.timestamps?.[i] ?? 0) * 1000 : (line.timestamps?.[i] ?? 0) - startedAt;
    const smoothed = smoothing > 0;
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
        xAxis:
          x === "wall"
            ? { type: "time", name: "time", nameLocation: "middle", nameGap: 24, scale: true }
            : x === "relative"
              ? {
                  type: "value",
                  name: "time since start",
                  nameLocation: "middle",
                  nameGap: 24,
                  scale: true,
                  axisLabel: { formatter: (v: number) => formatDuration(v) },
                }
              : { type: "value", name: "step", nameLocation: "middle", nameGap: 24, scale: true },
        yAxis: { type: logScale ? "log" : "value", scale: true, axisLabel: { formatter: (v: number) => formatNumber(v) } },
        dataZoom: [
          { type: "inside", xAxisIndex: 0, filterMode: "none", ...(zoom.current ? { startValue: zoom.current[0], endValue: zoom.current[1] } : {}) },
          {
            type: "slider",
            xAxisIndex: 0,
            height: 16,
            bottom: 8,
            filterMode: "none",
            ...(zoom.current ? { startValue: zoom.current[0], endValue: zoom.current[1] } : {}),
          },
        ],
        series: [
          ...lines.map((line, n) => ({
            name: line.name,
            type: "line",
            showSymbol: line.steps.length < 50,
            symbolSize: 4,
            sampling: "lttb",
            large: line.steps.length > 5000,
            connectNulls: false,
            lineStyle: { width: 1.5, ...(smoothed ? { opacity: 0.25 } : {}) },
            ...(smoothed ? { color: PALETTE[n % PALETTE.length], itemStyle: { opacity: 0.25 } } : {}),
            data: line.steps.map((_, i) => [xOf(line, i), positive(line.values[i])]),
          })),
          // Smoothed copies after the raw lines, same name and colour (the legend toggles both).
          ...(smoothed
            ? lines.map((line, n) => {
                const values = smooth(line.values.map((v) => positive(v)), smoothing);
                return {
                  name: line.name,
                  type: "line",
                  showSymbol: false,
                  sampling: "lttb",
                  large: line.steps.length > 5000,
                  color: PALETTE[n % PALETTE.length],
                  lineStyle: { width: 2 },
                  tooltip: { show: true },
                  data: line.steps.map((_, i) => [xOf(line, i), values[i]]),
                };
              })
            : []),
        ],
      },
      { notMerge: true },
    );
    box.current?.setAttribute("data-points", String(lines.reduce((n, l) => n + l.steps.length, 0)));
  }, [title, lines, logScale, x, startedAt, smoothing]);

  return <div className="chart" ref={box} style={{ height }} data-testid="chart" data-title={title} />;
}
