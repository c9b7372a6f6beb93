import { useEffect, useState } from "react";

import { api, ApiError, fetchBlob, fileSeriesUrl } from "../../api";
import type { FileInfo, SeriesSummary } from "../../api";
import { formatBytes } from "../../format";
import { navigate, withQuery } from "../../router";
import { useApi } from "../../useApi";
import { ErrorBox, Spinner } from "../Status";
import type { CompareRun } from "./model";
import { pooled } from "./pool";
import { RunHead } from "./ParamsTable";

interface RunFiles {
  files: FileInfo[];
  images: SeriesSummary[]; // file series
}

/** Each run's files and file series, fetched through the pool. */
function useRunFiles(runs: CompareRun[]) {
  return useApi(
    async (signal) => {
      const answers = await Promise.all(
        runs.map((r) =>
          pooled(async () => {
            const [files, series] = await Promise.all([api.files(r.id, signal), api.series(r.id, signal)]);
            return [r.id, { files: files.files, images: series.series.filter((s) => s.kind === "file") }] as const;
          }, signal),
        ),
      );
      return new Map<string, RunFiles>(answers);
    },
    [runs.map((r) => r.id).join(",")],
  );
}

/** The bytes at an API address as an object URL (or text), fetched with the token. */
function Preview({ url, mime, name }: { url: string; mime: string; name: string }) {
  const [state, setState] = useState<{ src?: string; text?: string; error?: ApiError }>({});
  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | undefined;
    setState({});
    pooled(() => fetchBlob(url, controller.signal), controller.signal).then(
      async (blob) => {
        if (controller.signal.aborted) return;
        if (mime.startsWith("image/")) {
          objectUrl = URL.createObjectURL(blob);
          setState({ src: objectUrl });
        } else {
          const text = await blob.slice(0, 20_000).text();
          if (!controller.signal.aborted) setState({ text });
        }
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setState({ error: err instanceof ApiError ? err : new ApiError(0, "client", String(err)) });
      },
    );
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url, mime]);
  if (state.error) return <ErrorBox error={state.error} />;
  if (state.src) return <img src={state.src} alt={name} className="side-image" />;
  if (state.text !== undefined) return <pre className="side-text">{state.text}</pre>;
  return <Spinner />;
}

/** The same file (or the latest image of a file series) from each run, side by side. */
export function SideBySide({ runs, chosen, project }: { runs: CompareRun[]; chosen: string | undefined; project: string }) {
  const loaded = useRunFiles(runs);
  if (loaded.error) return <ErrorBox error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return <Spinner label="Loading the runs' files…" />;
  const byRun = loaded.data;
  // Every path some run has: image files first, then file series, then other files.
  const options = new Map<string, { kind: "file" | "series"; count: number; image: boolean }>();
  for (const entry of byRun.values()) {
    for (const f of entry.files) {
      const o = options.get(f.path) ?? { kind: "file", count: 0, image: f.mime.startsWith("image/") };
      options.set(f.path, { ...o, count: o.count + 1 });
    }
    for (const s of entry.images) {
      const o = options.get(s.path) ?? { kind: "series", count: 0, image: true };
      options.set(s.path, { ...o, count: o.count + 1 });
    }
  }
  const rank = (o: { kind: string; image: boolean }) => (o.kind === "file" && o.image ? 0 : o.kind === "series" ? 1 : 2);
  const paths = [...options.entries()].sort(([a, x], [b, y]) => rank(x) - rank(y) || y.count - x.count || a.localeCompare(b));
  if (!paths.length) return <div className="empty-state">These runs have no files. Upload one with run["eval/confusion"].upload("confusion.png").</div>;
  const path = chosen && options.has(chosen) ? chosen : paths[0][0];
  return (
    <div data-testid="compare-files">
      <div className="toolbar">
        <label className="toggle">
          file{" "}
          <select value={path} data-testid="file-choice" onChange={(e) => navigate(withQuery({ file: e.target.value }))}>
            {paths.map(([p, o]) => (
              <option key={p} value={p}>
                {p} {o.kind === "series" ? "(image series, latest step)" : ""} — {o.count}/{runs.length} runs
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="side-grid">
        {runs.map((r) => {
          const entry = byRun.get(r.id);
          const file = entry?.files.find((f) => f.path === path);
          const series = entry?.images.find((s) => s.path === path);
          return (
            <figure key={r.id} className="side-card" data-run={r.key} style={{ borderTopColor: r.color }}>
              <figcaption>
                <RunHead project={project} run={r} />
                <span className="muted">
                  {file ? `${file.name} · ${formatBytes(file.size_bytes)}` : series?.last_step != null ? `step ${series.last_step}` : ""}
                </span>
              </figcaption>
              {file ? (
                <Preview url={api.fileUrl(r.id, file.path, true)} mime={file.mime} name={file.name} />
              ) : series && series.last_step !== null ? (
                <Preview url={fileSeriesUrl(r.id, series.path, series.last_step, true)} mime="image/" name={`${series.path} @ ${series.last_step}`} />
              ) : (
                <div className="muted">This run has no {path}.</div>
              )}
            </figure>
          );
        })}
      </div>
    </div>
  );
}
