import { useEffect, useState } from "react";
import type { ReactNode } from "react";

import { api, download, hasToken } from "../api";
import type { FieldList, FileInfo, Run, SeriesSummary } from "../api";
import type { XAxis } from "../components/Chart";
import { Console } from "../components/Console";
import { FieldTree } from "../components/FieldTree";
import { FilePreview, previewKind } from "../components/FilePreview";
import { Gallery } from "../components/Gallery";
import { useRunLive } from "../components/live/useRunLive";
import { LiveBadge } from "../components/live/LiveBadge";
import { StopButton } from "../components/live/StopButton";
import { DescriptionEditor, TagEditor } from "../components/RunEdit";
import { SeriesChart } from "../components/SeriesChart";
import { ErrorBox, Spinner, StatusBadge } from "../components/Status";
import { formatBytes, formatDuration, formatTime, formatValue } from "../format";
import { navigate, useLocation, withQuery } from "../router";
import { useApi } from "../useApi";

export { MAX_POINTS } from "../components/SeriesChart";

const TABS = ["overview", "charts", "monitoring", "console", "fields", "files", "gallery"] as const;
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

/** The git diff the run was started with (`source/git/diff`), coloured. */
function GitDiff({ runId, file }: { runId: string; file: FileInfo }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="git-diff" data-testid="git-diff">
      <button type="button" className="secondary small" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? "Hide" : "Show"} the uncommitted changes ({formatBytes(file.size_bytes)})
      </button>
      {open ? <FilePreview url={api.fileUrl(runId, file.path)} name="diff.patch" mime="text/x-diff" sizeBytes={file.size_bytes} /> : null}
    </div>
  );
}

function Overview({ run, fields, files, onRun }: { run: Run; fields: FieldList | undefined; files: FileInfo[] | undefined; onRun: (run: Run) => void }) {
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
    ["tags", <TagEditor runId={run.id} tags={run.tags} onSaved={onRun} />],
  ];
  const diff = files?.find((file) => file.path === "source/git/diff");
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
      {diff ? <GitDiff runId={run.id} file={diff} /> : null}
      <h3>Description</h3>
      <DescriptionEditor runId={run.id} description={run.description} onSaved={onRun} />
      {run.traceback ? (
        <>
          <h3>Traceback</h3>
          <pre className="console">{run.traceback}</pre>
        </>
      ) : null}
    </div>
  );
}

const X_AXES: [XAxis, string][] = [
  ["step", "step"],
  ["wall", "wall time"],
  ["relative", "relative time"],
];

function Charts({ run, series, monitoring }: { run: Run; series: SeriesSummary[]; monitoring: boolean }) {
  const runId = run.id;
  const { query } = useLocation();
  const logScale = query.get("log") === "1";
  const x = (X_AXES.find(([v]) => v === query.get("x"))?.[0] ?? "step") as XAxis;
  const smoothing = Math.min(0.99, Math.max(0, Number(query.get("smooth")) || 0));
  const settings = { logScale, x, smoothing, startedAt: new Date(run.created_at).getTime() / 1000 };
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
        <label className="toggle">
          x axis{" "}
          <select value={x} aria-label="x axis" onChange={(e) => navigate(withQuery({ x: e.target.value === "step" ? undefined : e.target.value }))}>
            {X_AXES.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="toggle smoothing">
          smoothing{" "}
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            aria-label="smoothing"
            onChange={(e) => navigate(withQuery({ smooth: Number(e.target.value) > 0 ? e.target.value : undefined }), { replace: true })}
          />
          <span className="smoothing-value">{smoothing.toFixed(2)}</span>
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
                <SeriesChart key={s.path} runId={runId} summary={s} settings={settings} />
              ))}
            </div>
          </section>
        ))}
    </div>
  );
}

function Files({ runId, files }: { runId: string; files: FileInfo[] }) {
  const { query } = useLocation();
  if (!files.length) return <div className="empty-state">No files. Upload one with run["model"].upload("model.pt").</div>;
  const shown = files.find((f) => f.path === query.get("file"));
  return (
    <div className={`files-browser${shown ? " with-preview" : ""}`}>
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
            <tr key={f.path} data-file={f.path} className={shown?.path === f.path ? "selected" : undefined}>
              <td>
                <button
                  type="button"
                  className="link-button"
                  title={previewKind(f.mime, f.name) === "none" ? "No preview for this type" : "Preview"}
                  onClick={() => navigate(withQuery({ file: shown?.path === f.path ? undefined : f.path }))}
                >
                  <code>{f.path}</code>
                </button>
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
      {shown ? (
        <section className="file-preview" data-testid="file-preview" data-file={shown.path}>
          <div className="file-preview-head">
            <h3>
              <code>{shown.path}</code> <span className="muted">{shown.name}</span>
            </h3>
            <button type="button" className="secondary small" onClick={() => download(runId, shown.path, shown.name).catch((err: unknown) => window.alert(String(err)))}>
              Download
            </button>
            <button type="button" className="secondary small" aria-label="Close the preview" onClick={() => navigate(withQuery({ file: undefined }))}>
              ×
            </button>
          </div>
          <FilePreview url={api.fileUrl(runId, shown.path)} name={shown.name} mime={shown.mime} sizeBytes={shown.size_bytes} />
        </section>
      ) : null}
    </div>
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
  // While the run runs, its event stream brings the record and the series that grew;
  // fields and files are refetched when it received ops.
  const live = useRunLive(run.data, series.data?.series, () => {
    fields.reload();
    files.reload();
  });

  if (run.error) return <ErrorBox error={run.error} onRetry={run.reload} />;
  if (!live.run) return <Spinner label={`Loading ${runKey}…`} />;
  const r = live.run;
  const all = live.series ?? [];
  const counts: Record<Tab, number | undefined> = {
    overview: undefined,
    charts: all.filter((s) => s.kind === "float" && !s.path.startsWith("monitoring/")).length,
    monitoring: all.filter((s) => s.kind === "float" && s.path.startsWith("monitoring/")).length,
    console: all.filter((s) => s.path === "monitoring/stdout" || s.path === "monitoring/stderr").reduce((n, s) => n + s.count, 0),
    fields: fields.data ? Object.keys(fields.data.fields).length : undefined,
    files: files.data?.files.length,
    gallery: all.filter((s) => s.kind === "file").length,
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
        <StopButton run={r} onStopped={live.setRun} />
        <LiveBadge state={live.state} />
      </div>
      {live.isDeleted ? (
        <div className="error-box" role="alert">
          This run was deleted.
        </div>
      ) : null}
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
        {tab === "overview" ? <Overview run={r} fields={fields.data} files={files.data?.files} onRun={live.setRun} /> : null}
        {tab === "charts" || tab === "monitoring" ? (
          live.series ? <Charts run={r} series={all} monitoring={tab === "monitoring"} /> : pending(series)
        ) : null}
        {tab === "console" ? (live.series ? <Console runId={r.id} series={all} /> : pending(series)) : null}
        {tab === "fields" ? (fields.data ? <FieldTree fields={fields.data} /> : pending(fields)) : null}
        {tab === "files" ? (files.data ? <Files runId={r.id} files={files.data.files} /> : pending(files)) : null}
        {tab === "gallery" ? (live.series ? <Gallery runId={r.id} series={all} /> : pending(series)) : null}
      </div>
    </section>
  );
}
