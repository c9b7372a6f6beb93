import { LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

echarts.use([
  LineChart,
  ParallelChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  DataZoomComponent,
  LegendComponent,
  TitleComponent,
  ParallelComponent,
  CanvasRenderer,
]);

// Browser tests read a chart's option through this (as for the run page's charts).
const hook = window as unknown as { __cairn?: Record<string, unknown> };
hook.__cairn = { ...(hook.__cairn ?? {}), getInstanceByDom: echarts.getInstanceByDom };

const dark = () => window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;

/** An ECharts chart of any `option` (replaced whole on change), resized with its box. */
export function EChart({ option, height = 260, testId, title }: { option: echarts.EChartsCoreOption; height?: number; testId: string; title?: string }) {
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
    chart.current?.setOption({ backgroundColor: "transparent", animation: false, ...option }, { notMerge: true });
  }, [option]);

  return <div className="chart" ref={box} style={{ height }} data-testid={testId} data-title={title} />;
}
