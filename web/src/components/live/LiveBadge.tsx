import type { StreamState } from "./stream";

const LABELS: Record<StreamState, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  closed: "",
};

/** Whether the view follows the server's live stream. */
export function LiveBadge({ state }: { state: StreamState }) {
  if (state === "closed") return null;
  return (
    <span className={`live-badge live-${state}`} data-testid="live-badge" data-state={state} title="Updates from the server's live stream">
      <span className="live-dot" aria-hidden="true" />
      {LABELS[state]}
    </span>
  );
}
