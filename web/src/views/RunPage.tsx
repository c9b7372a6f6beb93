import { useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";

import { api, download, hasToken, toNumber } from "../api";
import type { FieldList, FileInfo, Run, SeriesSummary } from "../api";
import { Chart } from "../components/Chart";
import { Console } from "../components/Console";
import { FieldTree } from "../components/FieldTree";
import { ErrorBox, Spinner, StatusBadge } from "../components/Status";
import { formatBytes, formatDuration, formatTime, formatValue } from "../format";
import { navigate, useLocation, withQuery } from "../router";
import { useApi } from "../useApi";

/** Points asked of the server per chart: the server downsamples, keeping each bucket's
 * lowest and highest point, so spikes survive. */
export const MAX_POINTS = 1500;

const TABS = ["overview", "charts", "monitoring", "console", "fields", "files"] as const;
type Tab = (typeof TABS)[number];

/** Seconds the run has lasted; ticks while it runs. */
function useDuration(run: Run | undefined): number | undefined {
  const [now, setNow] = useState(Date.now());
  const running = run?.status === "running";
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  if (!run) return undefined;
  const start = new Date(run.created_at).getTime();
  const end = run.ended_at ? new Date(run.ended_at).getTime() : running ? now : new Date(run.heartbeat_at ?? run.created_at).getTime();
  return (end - start) / 1000;
}

function Overview({ run, fields }: { run: Run; fields: FieldList | undefined }) {
  const duration = useDuration(run);
  const f = fields?.fields ?? {};
  const argv = f["source/command/argv"];
  const command = (f["source/command/line"] as string | undefined) ?? (Array.isArray(argv) ? argv.join(" ") : undefined);
  const commit = f["source/git/commit"] as string | undefined;
  const dirty = f["source/git/is_dirty"];
  const rows: [string, ReactNode][] = [
    ["status", <><StatusBadge status={run.status} /> <span data-testid="duration">{duration === undefined ? "" : formatDuration(duration)}</span></>],
    ["owner", run.owner || "—"],
    ["host", run.host || "—"],
    ["created", formatTime(run.created_at)],
    ["ended", run.ended_at ? formatTime(run.ended_at) : "—"],
    ["command", command ? <code className="wrap">{command}</code> : <span className="muted">not captured</span>],
    ["working folder", (f["source/command/cwd"] as string | undefined) ?? "—"],
    [
      "git",
      commit ? (
        <>
          <code title={commit}>{commit.slice(0, 12)}</code>
          {f["source/git/branch"] ? <> on <code>{String(f["source/git/branch"])}</code></> : null}
          {dirty === true ? <span className="badge warn">dirty</span> : dirty === false ? <span className="badge">clean</span> : null}
          {f["source/git/remote"] ? <span className="muted"> {String(f["source/git/remote"])}</span> : null}
        </>
      ) : (
        <span className="muted">not captured</span>
      ),
    ],
    ["tags", run.tags.length ? run.tags.map((t) => <span className="tag" key={t}>{t}</span>) : "—"],
  ];
  return (
    <div className="overview" data-testid="overview">
      <dl className="facts">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h3>Description</h3>
      {run.description ? <p className="description">{run.description}</p> : <p className="muted">No description.</p>}
      {run.traceback ? (
        <>
          <h3>Traceback</h3>
          <pre className="console">{run.traceback}</pre>
        </>
      ) : null}
    </div>
  );
}

/** One chart per float series, fetched downsampled. */
function SeriesChart({ runId, summary, logScale }: { runId: string; summary: SeriesSummary; logScale: boolean }) {
  const { data, error, reload } = useApi((signal) => api.points(runId, summary.path, { max_points: MAX_POINTS }, signal), [runId, summary.path]);
  const lines = useMemo(
    () => (data ? [{ name: summary.path, steps: data.steps, values: data.values.map(toNumber) }] : []),
    [data, summary.path],
  );
  return (
    <div className="chart-card" data-series={summary.path}>
      {error ? <ErrorBox error={error} onRetry={reload} /> : null}
      {!data && !error ? <Spinner label={`Loading ${summary.path}…`} /> : null}
      {data ? (
        <>
          <Chart title={summary.path} lines={lines} logScale={logScale} />
          <div className="chart-foot muted">
            {data.total_count > data.steps.length
              ? `${data.steps.length} of ${data.total_count} points (downsampled by the server)`
              : `${data.total_count} points`}
          </div>
        </>
      ) : null}
    </div>
  );
}

function Charts({ runId, series, monitoring }: { runId: string; series: SeriesSummary[]; monitoring: boolean }) {
  const { query } = useLocation();
  const logScale = query.get("log") === "1";
  const search = query.get("q") ?? "";
  const floats = series.filter(
    (s) => s.kind === "float" && s.path.startsWith("monitoring/") === monitoring && s.path.toLowerCase().includes(search.toLowerCase()),
  );
  const groups = new Map<string, SeriesSummary[]>();
  for (const s of floats) {
    const parts = s.path.split("/");
    const group = parts.length > 1 ? parts.slice(0, monitoring ? Math.min(2, parts.length - 1) : parts.length - 1).join("/") : "(top level)";
    groups.set(group, [...(groups.get(group) ?? []), s]);
  }
  return (
    <div data-testid={monitoring ? "monitoring" : "charts"}>
      <div className="toolbar">
        <input
          type="search"
          placeholder="Find a chart"
          defaultValue={search}
          aria-label="Find a chart"
          onChange={(e) => navigate(withQuery({ q: e.target.value }), { replace: true })}
        />
        <label className="toggle">
          <input type="checkbox" checked={logScale} onChange={(e) => navigate(withQuery({ log: e.target.checked ? "1" : undefined }))} /> log scale
        </label>
        <span className="muted">Scroll on a chart or drag its slider to zoom.</span>
      </div>
      {floats.length === 0 ? (
        <div className="empty-state">
          {monitoring
            ? "No monitoring series: hardware use is recorded every 10 s while a run with capture on is running."
            : 'No float series. Log one with run["train/loss"].log(0.5).'}
        </div>
      ) : null}
      {[...groups.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([group, items]) => (
          <section key={group} className="chart-group">
            <h3>{group}</h3>
            <div className="chart-grid">
              {items.map((s) => (
                <SeriesChart key={s.path} runId={runId} summary={s} logScale={logScale} />
              ))}
            </div>
          </section>
        ))}
    </div>
  );
}

function Files({ runId, files }: { runId: string; files: FileInfo[] }) {
  if (!files.length) return <div className="empty-state">No files. Upload one with run["model"].upload("model.pt").</div>;
  return (
    <table className="plain-table" data-testid="files">
      <thead>
        <tr>
          <th>path</th>
          <th>name</th>
          <th>type</th>
          <th className="num">size</th>
          <th>uploaded</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.path}>
            <td>
              <code>{f.path}</code>
            </td>
            <td>{f.name}</td>
            <td>{f.mime}</td>
            <td className="num">{formatBytes(f.size_bytes)}</td>
            <td>{formatTime(f.created_at)}</td>
            <td>
              <a
                href={api.fileUrl(runId, f.path)}
                download={f.name}
                onClick={(e) => {
                  if (!hasToken()) return; // a plain link is enough without auth
                  e.preventDefault();
                  download(runId, f.path, f.name).catch((err: unknown) => window.alert(String(err)));
                }}
              >
                Download
              </a>{" "}
              <a href={api.fileUrl(runId, f.path, true)} target="_blank" rel="noreferrer">
                Open
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RunPage({ project, runKey }: { project: string; runKey: string }) {
  const { query } = useLocation();
  const tab: Tab = (TABS as readonly string[]).includes(query.get("tab") ?? "") ? (query.get("tab") as Tab) : "overview";
  const run = useApi((signal) => api.run(runKey, project, signal), [runKey, project]);
  const runId = run.data?.id;
  const fields = useApi((signal) => (runId ? api.fields(runId, signal) : Promise.resolve(undefined)), [runId]);
  const series = useApi((signal) => (runId ? api.series(runId, signal) : Promise.resolve(undefined)), [runId]);
  const files = useApi((signal) => (runId ? api.files(runId, signal) : Promise.resolve(undefined)), [runId]);

  if (run.error) return <ErrorBox error={run.error} onRetry={run.reload} />;
  if (!run.data) return <Spinner label={`Loading ${runKey}…`} />;
  const r = run.data;
  const all = series.data?.series ?? [];
  const counts: Record<Tab, number | undefined> = {
    overview: undefined,
    charts: all.filter((s) => s.kind === "float" && !s.path.startsWith("monitoring/")).length,
    monitoring: all.filter((s) => s.kind === "float" && s.path.startsWith("monitoring/")).length,
    console: all.filter((s) => s.path === "monitoring/stdout" || s.path === "monitoring/stderr").reduce((n, s) => n + s.count, 0),
    fields: fields.data ? Object.keys(fields.data.fields).length : undefined,
    files: files.data?.files.length,
  };
  const pending = (loaded: { error?: unknown; data?: unknown; reload: () => void; loading: boolean }) =>
    loaded.error ? null : !loaded.data ? <Spinner /> : null;

  return (
    <section className="page run-page" data-testid="run-page" data-run={r.key}>
      <div className="page-head">
        <h1>
          {r.key} <span className="run-name">{r.name}</span>
        </h1>
        <StatusBadge status={r.status} />
      </div>
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            data-testid={`tab-${t}`}
            className={tab === t ? "active" : undefined}
            onClick={() => navigate(withQuery({ tab: t === "overview" ? undefined : t, q: undefined }))}
          >
            {t}
            {counts[t] !== undefined ? <span className="count">{formatValue(counts[t])}</span> : null}
          </button>
        ))}
      </nav>
      {fields.error ? <ErrorBox error={fields.error} onRetry={fields.reload} /> : null}
      {series.error ? <ErrorBox error={series.error} onRetry={series.reload} /> : null}
      {files.error ? <ErrorBox error={files.error} onRetry={files.reload} /> : null}
      <div className="tab-body">
        {tab === "overview" ? <Overview run={r} fields={fields.data} /> : null}
        {tab === "charts" || tab === "monitoring" ? (
          series.data ? <Charts runId={r.id} series={all} monitoring={tab === "monitoring"} /> : pending(series)
        ) : null}
        {tab === "console" ? (series.data ? <Console runId={r.id} series={all} /> : pending(series)) : null}
        {tab === "fields" ? (fields.data ? <FieldTree fields={fields.data} /> : pending(fields)) : null}
        {tab === "files" ? (files.data ? <Files runId={r.id} files={files.data.files} /> : pending(files)) : null}
      </div>
    </section>
  );
}
