// Inline edits of a run: tags (add, remove) and the description (Markdown). Each change is
// one `PATCH /runs/{ref}`, whose answer (the run) replaces what the view shows.
import { useState } from "react";
import type { FormEvent } from "react";

import { ApiError, edits } from "../api";
import type { Run, RunPatch } from "../api";
import { Markdown } from "./Markdown";

function useSave(runId: string, onSaved: (run: Run) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const save = (patch: RunPatch): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    return edits.update(runId, patch).then(
      (run) => {
        setBusy(false);
        onSaved(run);
        return true;
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof ApiError ? err.message : String(err));
        return false;
      },
    );
  };
  return { busy, error, save };
}

/** The run's tags, each with a remove button, and a field to add some (comma-separated). */
export function TagEditor({ runId, tags, onSaved, compact = false }: { runId: string; tags: string[]; onSaved: (run: Run) => void; compact?: boolean }) {
  const { busy, error, save } = useSave(runId, onSaved);
  const [adding, setAdding] = useState(false);
  const [text, setText] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const add = text.split(",").map((t) => t.trim()).filter((t) => t && !tags.includes(t));
    if (!add.length) {
      setAdding(false);
      setText("");
      return;
    }
    void save({ add_tags: add }).then((ok) => {
      if (ok) {
        setText("");
        setAdding(false);
      }
    });
  };
  return (
    <span className={`tag-editor${compact ? " compact" : ""}`} data-testid="tag-editor">
      {tags.map((t) => (
        <span className="tag" key={t} data-tag={t}>
          {t}
          <button
            type="button"
            className="tag-remove"
            aria-label={`Remove tag ${t}`}
            title={`Remove tag ${t}`}
            disabled={busy}
            onClick={() => void save({ remove_tags: [t] })}
          >
            ×
          </button>
        </span>
      ))}
      {adding ? (
        <form className="tag-add" onSubmit={submit}>
          <input
            autoFocus
            aria-label="New tags"
            placeholder="tag, another"
            value={text}
            disabled={busy}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                setAdding(false);
                setText("");
              }
            }}
            onBlur={() => !text && setAdding(false)}
          />
        </form>
      ) : (
        <button type="button" className="tag-add-button" aria-label="Add tags" title="Add tags" onClick={() => setAdding(true)}>
          +
        </button>
      )}
      {error ? (
        <span className="edit-error" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** The description as Markdown, with an Edit button that turns it into a text area. */
export function DescriptionEditor({ runId, description, onSaved }: { runId: string; description: string; onSaved: (run: Run) => void }) {
  const { busy, error, save } = useSave(runId, onSaved);
  const [draft, setDraft] = useState<string | undefined>(undefined);
  if (draft === undefined) {
    return (
      <div className="description" data-testid="description">
        {description ? <Markdown text={description} /> : <p className="muted">No description.</p>}
        <button type="button" className="secondary small" data-testid="edit-description" onClick={() => setDraft(description)}>
          Edit description
        </button>
      </div>
    );
  }
  return (
    <form
      className="description-form"
      data-testid="description-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save({ description: draft }).then((ok) => ok && setDraft(undefined));
      }}
    >
      <textarea
        aria-label="Description (Markdown)"
        rows={Math.min(16, Math.max(4, draft.split("\n").length + 1))}
        value={draft}
        disabled={busy}
        autoFocus
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => e.key === "Escape" && setDraft(undefined)}
      />
      <div className="form-buttons">
        <span className="muted">Markdown</span>
        <button type="button" className="secondary" disabled={busy} onClick={() => setDraft(undefined)}>
          Cancel
        </button>
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
      </div>
      {error ? (
        <p className="edit-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
