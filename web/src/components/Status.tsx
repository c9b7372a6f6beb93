import { useState } from "react";

import { setToken } from "../api";
import type { ApiError, RunStatus } from "../api";

/** A server that asks for tokens (`cairn server`): paste one, kept for this tab. */
function SignIn() {
  const [value, setValue] = useState("");
  return (
    <form
      className="sign-in"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim() || null);
        window.location.reload();
      }}
    >
      <label>
        Access token (from <code>cairn token create</code>){" "}
        <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
      </label>{" "}
      <button type="submit">Use token</button>
    </form>
  );
}

export function ErrorBox({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  return (
    <div className="error-box" role="alert" data-testid="api-error">
      <strong>{error.status ? `Error ${error.status}` : "Error"}</strong>
      {error.code && error.code !== "http" ? <code className="error-code">{error.code}</code> : null}
      <pre className="error-message">{error.message}</pre>
      {error.status === 401 || error.status === 403 ? <SignIn /> : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="spinner" role="status" aria-live="polite">
      <span className="spinner-dot" /> {label}
    </div>
  );
}

export function StatusBadge({ status }: { status: RunStatus | string }) {
  return <span className={`status status-${status}`}>{status}</span>;
}
