import { api } from "../api";
import type { SeriesSummary } from "../api";
import { useApi } from "../useApi";
import { ErrorBox, Spinner } from "./Status";

/** Lines shown at most: the console's tail. */
const TAIL = 5000;

interface Line {
  t: number;
  step: number;
  stream: "stdout" | "stderr";
  text: string;
}

/** The run's stdout and stderr (the string series monitoring/stdout and monitoring/stderr), interleaved by time. */
export function Console({ runId, series }: { runId: string; series: SeriesSummary[] }) {
  const streams = series.filter((s) => s.path === "monitoring/stdout" || s.path === "monitoring/stderr");
  const { data, error, reload } = useApi(
    async (signal) => {
      const parts = await Promise.all(
        streams.map((s) =>
          api.points(runId, s.path, { step_min: Math.max(s.first_step ?? 0, (s.last_step ?? 0) - TAIL + 1) }, signal),
        ),
      );
      const lines: Line[] = [];
      for (const part of parts) {
        const stream = part.path.endsWith("stderr") ? "stderr" : "stdout";
        part.values.forEach((v, i) => lines.push({ t: part.timestamps[i], step: part.steps[i], stream, text: String(v) }));
      }
      return lines.sort((a, b) => a.t - b.t || a.step - b.step);
    },
    [runId, streams.map((s) => `${s.path}:${s.count}`).join()],
  );
  if (!streams.length) return <div className="empty-state">No console output was recorded (capture_console=False, or nothing printed).</div>;
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (!data) return <Spinner label="Loading the console…" />;
  const total = streams.reduce((n, s) => n + s.count, 0);
  return (
    <div data-testid="console">
      {total > data.length ? <p className="muted">The last {data.length} of {total} lines.</p> : null}
      <pre className="console">
        {data.map((line, i) => (
          <div key={i} className={`line ${line.stream}`}>
            {line.text}
          </div>
        ))}
      </pre>
    </div>
  );
}
