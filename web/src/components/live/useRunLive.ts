import { useCallback, useEffect, useMemo, useState } from "react";

import type { Run, SeriesSummary } from "../../api";
import { useStream, useThrottledCallback } from "./hooks";
import type { StreamState } from "./stream";

/** Fields and files are refetched at most this often while a run logs. */
const ACTIVITY_MS = 3000;

export interface RunLive {
  /** The run as last heard of (fetched, streamed, or answered by an edit). */
  run: Run | undefined;
  /** Its series summaries, the streamed ones merged over the fetched ones. */
  series: SeriesSummary[] | undefined;
  state: StreamState;
  isDeleted: boolean;
  /** Show this run record (the answer of an edit or a stop request). */
  setRun: (run: Run) => void;
}

const isActive = (run: Run | undefined) => run !== undefined && (run.status === "running" || run.status === "crashed");

/** Follow a run's event stream while it runs (a `crashed` one may come back): `run`
 * events replace the record, `series` events the summaries of the series that grew, so
 * that each chart refetches only its own points. `onActivity` (throttled) is called when
 * the run received ops or the stream reconnected, for what the stream does not carry
 * (fields, files). */
export function useRunLive(fetched: Run | undefined, fetchedSeries: SeriesSummary[] | undefined, onActivity: () => void): RunLive {
  const [live, setLive] = useState<Run | undefined>(undefined);
  const [streamed, setStreamed] = useState<Map<string, SeriesSummary> | undefined>(undefined);
  const [isDeleted, setDeleted] = useState(false);
  const id = fetched?.id;
  useEffect(() => {
    setLive(undefined);
    setStreamed(undefined);
    setDeleted(false);
  }, [id]);

  const run = live && live.id === id ? live : fetched;
  const activity = useThrottledCallback(onActivity, ACTIVITY_MS);
  const path = id && isActive(run) && !isDeleted ? `/runs/${encodeURIComponent(id)}/events` : undefined;
  const state = useStream(path, {
    onEvent: (event, data) => {
      if (event === "run") {
        const next = data as Run;
        if (run?.last_seq !== next.last_seq) activity();
        setLive(next);
      } else if (event === "series") {
        const change = data as { series: SeriesSummary[]; removed: string[] };
        setStreamed((old) => {
          const map = new Map(old ?? (fetchedSeries ?? []).map((s) => [s.path, s]));
          for (const s of change.series) map.set(s.path, s);
          for (const p of change.removed) map.delete(p);
          return map;
        });
      } else if (event === "run_deleted") {
        setDeleted(true);
      }
    },
    onOpen: (reconnected) => {
      if (reconnected) activity();
    },
  });
  const series = useMemo(
    () => (streamed ? [...streamed.values()].sort((a, b) => a.path.localeCompare(b.path)) : fetchedSeries),
    [streamed, fetchedSeries],
  );
  const setRun = useCallback((r: Run) => setLive(r), []);
  return { run, series, state, isDeleted, setRun };
}
