import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";

import { ApiError } from "../api";
import { navigate, projectPath } from "../router";
import { savedViews } from "../savedViews";
import type { SavedView } from "../savedViews";
import { useApi } from "../useApi";
import "./grouping.css";

/** The address of a saved view: the project's runs table with the stored query. */
export const viewAddress = (project: string, view: SavedView) => `${projectPath(project)}${view.state ? `?${view.state}` : ""}`;

/** "Views" in the runs table's toolbar: save the table as it is now (filter, sort,
 * columns, quick filters, grouping: the address's query) under a name, open a saved view,
 * delete one. Views are kept by the server, per project, for everyone on it. */
export function SavedViews({ project }: { project: string }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const list = useApi((signal) => savedViews.list(project, signal), [project]);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  const fail = (err: unknown) => setError(err instanceof ApiError ? err.message : String(err));
  const save = (e: FormEvent) => {
    e.preventDefault();
    const state = window.location.search.replace(/^\?/, "");
    const existing = list.data?.views.find((v) => v.name === name.trim());
    setBusy(true);
    setError(undefined);
    // Saving under a name that exists replaces that view's state, after asking.
    const done = existing
      ? window.confirm(`Replace the view "${existing.name}" with the table as it is now?`)
        ? savedViews.update(project, existing.id, { state })
        : Promise.resolve(undefined)
      : savedViews.create(project, name, state);
    done.then(
      (saved) => {
        setBusy(false);
        if (saved) setName("");
        list.reload();
      },
      (err: unknown) => {
        setBusy(false);
        fail(err);
      },
    );
  };
  const remove = (view: SavedView) => {
    if (!window.confirm(`Delete the saved view "${view.name}"?`)) return;
    savedViews.remove(project, view.id).then(list.reload, fail);
  };
  const views = list.data?.views ?? [];
  return (
    <div className="column-chooser saved-views" ref={box}>
      <button type="button" className="secondary" aria-expanded={open} data-testid="views-button" onClick={() => setOpen(!open)}>
        Views{views.length ? ` (${views.length})` : ""}
      </button>
      {open ? (
        <div className="popover" data-testid="views-popover">
          <form className="save-view" onSubmit={save}>
            <input
              type="text"
              autoFocus
              placeholder="Name this view"
              aria-label="Name of the view to save"
              data-testid="view-name"
              maxLength={200}
              value={name}
              onChange={(e) => setName(e.target.value)}
              onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
            />
            <button type="submit" disabled={busy || !name.trim()} data-testid="save-view">
              Save view
            </button>
          </form>
          {error ? (
            <div className="error-text" role="alert" data-testid="views-error">
              {error}
            </div>
          ) : null}
          {list.error ? <div className="error-text">{list.error.message}</div> : null}
          <ul data-testid="views-list">
            {views.map((v) => (
              <li key={v.id} className="saved-view" data-view={v.name}>
                <a
                  href={viewAddress(project, v)}
                  title={v.state || "(the default table)"}
                  onClick={(e) => {
                    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                    e.preventDefault();
                    setOpen(false);
                    navigate(viewAddress(project, v));
                  }}
                >
                  {v.name}
                </a>
                <span className="muted">{v.created_by ? ` by ${v.created_by}` : ""}</span>
                <button type="button" className="link-button" aria-label={`Delete the view ${v.name}`} onClick={() => remove(v)}>
                  ×
                </button>
              </li>
            ))}
            {list.data && views.length === 0 ? <li className="muted">No saved views yet: name the table as it is and save it.</li> : null}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
