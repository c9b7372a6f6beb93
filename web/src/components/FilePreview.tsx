// Previews of a run's files, fetched through api.ts (so the token goes with them):
// images, HTML in a sandboxed frame, CSV as a table, JSON pretty-printed, diffs coloured,
// other text as is.
import Papa from "papaparse";
import { useEffect, useState } from "react";

import { ApiError, fetchBlob } from "../api";
import { formatBytes } from "../format";
import { ErrorBox, Spinner } from "./Status";

export type PreviewKind = "image" | "html" | "csv" | "json" | "diff" | "text" | "none";

const TEXT_BYTES = 2 * 1024 * 1024;
const IMAGE_BYTES = 50 * 1024 * 1024;
const CSV_ROWS = 500;
const TEXT_EXTENSIONS = /\.(txt|log|md|py|ya?ml|toml|cfg|ini|sh|ts|js|csv|tsv|json|jsonl|xml|rst|out|err)$/i;

/** How a file is shown, from its type and its name. */
export function previewKind(mime: string, name: string): PreviewKind {
  const m = mime.toLowerCase();
  const n = name.toLowerCase();
  if (m.startsWith("image/")) return "image";
  if (m === "text/html" || /\.html?$/.test(n)) return "html";
  if (m === "text/csv" || m === "text/tab-separated-values" || /\.(csv|tsv)$/.test(n)) return "csv";
  if (m === "application/json" || m.endsWith("+json") || /\.json$/.test(n)) return "json";
  if (m === "text/x-diff" || m === "text/x-patch" || /\.(diff|patch)$/.test(n)) return "diff";
  if (m.startsWith("text/") || TEXT_EXTENSIONS.test(n)) return "text";
  return "none";
}

/** A unified diff, its lines coloured by kind. */
export function DiffView({ text }: { text: string }) {
  const lines = text.split("\n");
  const kind = (line: string) =>
    line.startsWith("diff --git") || line.startsWith("+++") || line.startsWith("---") || line.startsWith("index ")
      ? "diff-file"
      : line.startsWith("@@")
        ? "diff-hunk"
        : line.startsWith("+")
          ? "diff-add"
          : line.startsWith("-")
            ? "diff-del"
            : line.startsWith("#")
              ? "diff-note"
              : "";
  return (
    <pre className="patch" data-testid="diff">
      {lines.map((line, i) => (
        <div key={i} className={kind(line)}>
          {line || " "}
        </div>
      ))}
    </pre>
  );
}

function CsvTable({ text }: { text: string }) {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true, preview: CSV_ROWS + 1 });
  const [head, ...rows] = parsed.data;
  if (!head) return <p className="muted">An empty table.</p>;
  return (
    <div className="csv-preview">
      <table className="plain-table" data-testid="csv-table">
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, CSV_ROWS).map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <td key={c} className={cell !== "" && !Number.isNaN(Number(cell)) ? "num" : undefined}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > CSV_ROWS ? <p className="muted">The first {CSV_ROWS} rows.</p> : null}
    </div>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text; // not JSON after all (or JSON lines): as text
  }
}

type Loaded = { kind: "image"; url: string } | { kind: Exclude<PreviewKind, "image" | "none">; text: string; truncated: boolean };

/** The preview of the file at `url` (an API address), or why there is none. */
export function FilePreview({ url, name, mime, sizeBytes }: { url: string; name: string; mime: string; sizeBytes: number }) {
  const kind = previewKind(mime, name);
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const tooBig = kind === "image" ? sizeBytes > IMAGE_BYTES : false;

  useEffect(() => {
    if (kind === "none" || tooBig) return;
    const controller = new AbortController();
    let objectUrl: string | undefined;
    setLoaded(undefined);
    setError(undefined);
    fetchBlob(url, controller.signal).then(
      async (blob) => {
        if (controller.signal.aborted) return;
        if (kind === "image") {
          objectUrl = URL.createObjectURL(blob);
          setLoaded({ kind, url: objectUrl });
          return;
        }
        const text = await blob.slice(0, TEXT_BYTES).text();
        if (!controller.signal.aborted) setLoaded({ kind, text, truncated: blob.size > TEXT_BYTES });
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError(0, "client", String(err)));
      },
    );
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url, kind, tooBig, attempt]);

  if (kind === "none") return <p className="muted">No preview for {mime || "this type"}; download it to look inside.</p>;
  if (tooBig) return <p className="muted">Too large to preview ({formatBytes(sizeBytes)}); download it.</p>;
  if (error) return <ErrorBox error={error} onRetry={() => setAttempt((a) => a + 1)} />;
  if (!loaded) return <Spinner label={`Loading ${name}…`} />;
  const body = (() => {
    switch (loaded.kind) {
      case "image":
        return <img className="image-preview" src={loaded.url} alt={name} data-testid="image-preview" />;
      case "html":
        // No allow-same-origin: the page runs in an opaque origin, away from the dashboard.
        return <iframe className="html-preview" title={name} sandbox="allow-scripts" srcDoc={loaded.text} data-testid="html-preview" />;
      case "csv":
        return <CsvTable text={loaded.text} />;
      case "json":
        return (
          <pre className="text-preview" data-testid="json-preview">
            {prettyJson(loaded.text)}
          </pre>
        );
      case "diff":
        return <DiffView text={loaded.text} />;
      default:
        return (
          <pre className="text-preview" data-testid="text-preview">
            {loaded.text}
          </pre>
        );
    }
  })();
  return (
    <div className="file-preview-body" data-kind={kind}>
      {body}
      {loaded.kind !== "image" && loaded.truncated ? <p className="muted">The first {formatBytes(TEXT_BYTES)}; download the file for the rest.</p> : null}
    </div>
  );
}
