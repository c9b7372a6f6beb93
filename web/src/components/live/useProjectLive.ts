import { useStream, useThrottledCallback } from "./hooks";
import type { StreamState } from "./stream";

/** The runs table refetches what it shows at most this often while runs change. */
const REFRESH_MS = 2000;

/** Follow a project's event stream: `onChange` (throttled) when runs are created,
 * change (status, new ops) or are deleted, and after a reconnection, since a project
 * stream does not replay the changes missed while it was away. */
export function useProjectLive(project: string, onChange: () => void): StreamState {
  const refresh = useThrottledCallback(onChange, REFRESH_MS);
  return useStream(`/projects/${encodeURIComponent(project)}/events`, {
    onEvent: (event) => {
      if (event === "run_created" || event === "run_changed" || event === "run_deleted") refresh();
    },
    onOpen: (reconnected) => {
      if (reconnected) refresh();
    },
  });
}
