import { useEffect, useRef, useState } from "react";

/** Pick the runs table's columns from every field and series summary the table knows. */
export function ColumnChooser({ known, columns, onChange }: { known: string[]; columns: string[]; onChange: (columns: string[]) => void }) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);
  const all = [...new Set([...columns, ...known])];
  const shown = all.filter((c) => c.toLowerCase().includes(search.toLowerCase()));
  const toggle = (c: string) => onChange(columns.includes(c) ? columns.filter((x) => x !== c) : [...columns, c]);
  return (
    <div className="column-chooser" ref={box}>
      <button type="button" aria-expanded={open} data-testid="columns-button" onClick={() => setOpen(!open)}>
        Columns ({columns.length})
      </button>
      {open ? (
        <div className="popover" data-testid="columns-popover">
          <input
            type="search"
            autoFocus
            placeholder="Find a field or series (path, path:min, path:max)"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
          />
          <ul>
            {shown.map((c) => (
              <li key={c}>
                <label>
                  <input type="checkbox" checked={columns.includes(c)} onChange={() => toggle(c)} /> {c}
                </label>
              </li>
            ))}
            {shown.length === 0 ? <li className="muted">No column matches.</li> : null}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
