// The compare view: 2 to hundreds of runs (the runs table's selection, `sel`), with every
// setting in the address so that a copied link opens the same view.
import { useMemo } from "react";

import { api } from "../api";
import { Link } from "../App";
import { CodeDiff } from "../components/compare/CodeDiff";
import { Curves } from "../components/compare/Curves";
import { Importance } from "../components/compare/Importance";
import { defaultMetric, differs, filterOf, floatSeries, parameterPaths, toCompareRun } from "../components/compare/model";
import type { CompareRun } from "../components/compare/model";
import { Parallel } from "../components/compare/Parallel";
import { ParamsTable, RunHead } from "../components/compare/ParamsTable";
import { Scatter } from "../components/compare/Scatter";
import { SideBySide } from "../components/compare/SideBySide";
import { ErrorBox, Spinner } from "../components/Status";
import { href, navigate, projectPath, useLocation, withQuery } from "../router";
import { useApi } from "../useApi";

const TABS = ["charts", "table", "parallel", "scatter", "importance", "files", "code"] as const;
type Tab = (typeof TABS)[number];
const LABELS: Record<Tab, string> = {
  charts: "curves",
  table: "parameters & metrics",
  parallel: "parallel coordinates",
  scatter: "scatter",
  importance: "importance",
  files: "files side by side",
  code: "code diff",
};
/** Charts shown when the address names none: enough to see, few enough to load fast. */
const DEFAULT_CHARTS = 6;

const split = (value: string | null) => (value ? value.split(",").filter(Boolean) : []);

/** The address of the compare view of `keys` in `project`. */
export const comparePath = (project: string, keys: string[]) => href(`${projectPath(project)}/compare`, { sel: keys.join(",") });

export function CompareView({ project }: { project: string }) {
  const { query } = useLocation();
  const keys = useMemo(() => [...new Set(split(query.get("sel")))], [query.get("sel")]);
  const tab: Tab = (TABS as readonly string[]).includes(query.get("tab") ?? "") ? (query.get("tab") as Tab) : "charts";
  const filter = filterOf(keys);
  const rows = useApi(
    (signal) => (keys.length ? api.runs(project, { filter, limit: keys.length }, signal) : Promise.resolve(undefined)),
    [project, filter],
  );
  const runs: CompareRun[] = useMemo(() => {
    const byKey = new Map((rows.data?.runs ?? []).map((r) => [r.key, r]));
    return keys.flatMap((k) => (byKey.has(k) ? [toCompareRun(byKey.get(k)!)] : []));
  }, [rows.data, keys]);

  if (keys.length < 2) {
    return (
      <div className="empty-state" data-testid="compare-view">
        <h2>Pick runs to compare</h2>
        <p>
          Tick two runs or more in the <Link to={projectPath(project)}>runs table</Link> and press Compare.
        </p>
      </div>
    );
  }
  if (rows.error) return <ErrorBox error={rows.error} onRetry={rows.reload} />;
  if (!rows.data) return <Spinner label={`Loading ${keys.length} runs…`} />;
  const missing = keys.filter((k) => !runs.some((r) => r.key === k));

  const series = floatSeries(runs);
  const metricPaths = series.map((s) => s.path);
  const fallback = defaultMetric(series, runs.length) ?? "";
  const pick = (param: string, options: string[], otherwise: string) => {
    const v = query.get(param);
    return v && options.includes(v) ? v : otherwise;
  };
  const m = query.get("m");
  const chosen =
    m === null
      ? series.filter((s) => !s.path.startsWith("monitoring/")).slice(0, DEFAULT_CHARTS).map((s) => s.path)
      : split(m).filter((p) => metricPaths.includes(p));
  const smoothing = Math.min(0.99, Math.max(0, Number(query.get("smooth") ?? 0) || 0));
  const params = parameterPaths(runs);
  const varying = params.filter((p) => differs(runs, p));
  const scatterColumns = [...params, ...metricPaths];
  const sx = pick("sx", scatterColumns, varying[0] ?? params[0] ?? metricPaths[0] ?? "");
  const sy = pick("sy", scatterColumns, fallback);

  return (
    <section className="page compare-page" data-testid="compare-view">
      <div className="page-head">
        <h1>Compare {runs.length} runs</h1>
        <span className="compare-runs">
          {runs.slice(0, 12).map((r) => (
            <RunHead key={r.id} project={project} run={r} />
          ))}
          {runs.length > 12 ? <span className="muted">and {runs.length - 12} more</span> : null}
        </span>
        <Link to={href(projectPath(project), { sel: keys.join(",") })} className="secondary-link">
          Back to the runs table
        </Link>
      </div>
      {missing.length ? (
        <p className="warn-text" data-testid="compare-missing">
          Not found in {project}: {missing.join(", ")}.
        </p>
      ) : null}
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            data-testid={`compare-tab-${t}`}
            className={tab === t ? "active" : undefined}
            onClick={() => navigate(withQuery({ tab: t === "charts" ? undefined : t }))}
          >
            {LABELS[t]}
          </button>
        ))}
      </nav>
      <div className="tab-body">
        {runs.length < 2 ? <div className="empty-state">Fewer than two of these runs exist.</div> : null}
        {runs.length >= 2 && tab === "charts" ? (
          <Curves project={project} runs={runs} series={series} chosen={chosen} smoothing={smoothing} logScale={query.get("log") === "1"} />
        ) : null}
        {runs.length >= 2 && tab === "table" ? <ParamsTable project={project} runs={runs} showAll={query.get("all") === "1"} /> : null}
        {runs.length >= 2 && tab === "parallel" ? <Parallel runs={runs} metric={pick("pm", metricPaths, fallback)} metrics={metricPaths} /> : null}
        {runs.length >= 2 && tab === "scatter" ? <Scatter runs={runs} x={sx} y={sy} columns={scatterColumns} /> : null}
        {runs.length >= 2 && tab === "importance" ? (
          <Importance project={project} filter={filter} metric={pick("im", metricPaths, fallback)} metrics={metricPaths} />
        ) : null}
        {runs.length >= 2 && tab === "files" ? <SideBySide project={project} runs={runs} chosen={query.get("file") ?? undefined} /> : null}
        {runs.length >= 2 && tab === "code" ? <CodeDiff project={project} runs={runs} pair={split(query.get("diff"))} /> : null}
      </div>
    </section>
  );
}
