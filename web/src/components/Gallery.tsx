// File series (`run["eval/images"].log(cairn.File(...))`) as a gallery: one card per
// series, a slider over its steps, the file at the chosen step fetched on demand.
import { useEffect, useState } from "react";

import { api, fileSeriesUrl } from "../api";
import type { SeriesSummary } from "../api";
import { formatBytes, formatNumber } from "../format";
import { useApi } from "../useApi";
import { FilePreview } from "./FilePreview";
import { useThrottled } from "./live/hooks";
import { ErrorBox, Spinner } from "./Status";

/** Entries read per series; a longer series is thinned evenly by the server. */
const MAX_ENTRIES = 2000;

interface FileRef {
  sha256: string;
  name: string;
  mime: string;
  size_bytes: number;
}

function SeriesGallery({ runId, summary }: { runId: string; summary: SeriesSummary }) {
  const version = useThrottled(summary.count, 2000);
  const { data, error, reload } = useApi(
    (signal) => api.points(runId, summary.path, { max_points: MAX_ENTRIES }, signal),
    [runId, summary.path, version],
  );
  const count = data?.steps.length ?? 0;
  // The index shown; null follows the newest entry (as it arrives, while the run logs).
  const [picked, setPicked] = useState<number | null>(null);
  const index = picked === null ? count - 1 : Math.min(picked, count - 1);
  useEffect(() => {
    if (picked !== null && picked >= count - 1 && count > 0) setPicked(null);
  }, [picked, count]);

  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (!data) return <Spinner label={`Loading ${summary.path}…`} />;
  if (!count) return <p className="muted">No entries yet.</p>;
  const step = data.steps[index];
  const ref = data.values[index] as FileRef;
  return (
    <div className="gallery-card" data-testid="gallery" data-series={summary.path}>
      <div className="gallery-head">
        <h3>{summary.path}</h3>
        <span className="muted" data-testid="gallery-step">
          step {formatNumber(step)} · {index + 1} of {count}
          {data.total_count > count ? ` (of ${data.total_count}, thinned)` : ""}
        </span>
      </div>
      <input
        type="range"
        className="gallery-slider"
        aria-label={`Step of ${summary.path}`}
        min={0}
        max={count - 1}
        value={index}
        onChange={(e) => setPicked(Number(e.target.value))}
        data-testid="gallery-slider"
      />
      <div className="gallery-image" data-step={step} data-name={ref.name}>
        <FilePreview url={fileSeriesUrl(runId, summary.path, step)} name={ref.name} mime={ref.mime} sizeBytes={ref.size_bytes} />
      </div>
      <div className="muted gallery-foot">
        {ref.name} · {ref.mime} · {formatBytes(ref.size_bytes)}
      </div>
    </div>
  );
}

export function Gallery({ runId, series }: { runId: string; series: SeriesSummary[] }) {
  const files = series.filter((s) => s.kind === "file");
  if (!files.length) {
    return (
      <div className="empty-state">
        No file series. Log images per step with <code>run["eval/images"].log(cairn.File.from_path("confusion.png"))</code>.
      </div>
    );
  }
  return (
    <div className="gallery" data-testid="gallery-tab">
      {files.map((s) => (
        <SeriesGallery key={s.path} runId={runId} summary={s} />
      ))}
    </div>
  );
}
