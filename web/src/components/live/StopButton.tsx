import { useEffect, useRef, useState } from "react";

import { ApiError, edits } from "../../api";
import type { Run } from "../../api";

/** "Stop" on a running run: a confirmation, then `POST /runs/{ref}/stop`. The run's
 * client hears of it at its next heartbeat and ends the run as aborted; until then the
 * button reads "stop requested". */
export function StopButton({ run, onStopped, compact = false }: { run: Run; onStopped: (run: Run) => void; compact?: boolean }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (asking && !d.open) d.showModal();
    if (!asking && d.open) d.close();
  }, [asking]);

  if (run.status !== "running" && run.status !== "crashed") return null;
  if (run.stop_requested_at) {
    return (
      <span className="stop-requested" data-testid="stop-requested" title={`Asked at ${run.stop_requested_at}; the run ends at its client's next heartbeat`}>
        stop requested
      </span>
    );
  }
  const confirm = () => {
    setBusy(true);
    setError(undefined);
    edits.stop(run.id).then(
      (stopped) => {
        setBusy(false);
        setAsking(false);
        onStopped(stopped);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof ApiError ? err.message : String(err));
      },
    );
  };
  return (
    <>
      <button type="button" className={`danger${compact ? " small" : ""}`} data-testid="stop-button" onClick={() => setAsking(true)}>
        Stop
      </button>
      <dialog ref={dialog} className="confirm-dialog" data-testid="stop-dialog" onClose={() => setAsking(false)} aria-labelledby="stop-title">
        <h2 id="stop-title">Stop {run.key}?</h2>
        <p>
          Its training process is interrupted at its next heartbeat (as with Ctrl-C) and the run ends as{" "}
          <strong>aborted</strong>. What it logged so far is kept.
        </p>
        {error ? (
          <p className="error-message" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-buttons">
          <button type="button" className="secondary" onClick={() => setAsking(false)} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="danger" data-testid="stop-confirm" onClick={confirm} disabled={busy}>
            {busy ? "Stopping…" : "Stop the run"}
          </button>
        </div>
      </dialog>
    </>
  );
}
