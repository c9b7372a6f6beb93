import { useEffect, useMemo, useRef, useState } from "react";
import type { KeyboardEvent } from "react";

import type { ApiError } from "../api";

/** The shortcuts of the filter language (docs/query.md) that name the run itself. */
export const SYSTEM_PATHS = ["id", "name", "status", "tags", "owner", "host", "description", "created_at", "ended_at", "heartbeat_at"];
const KEYWORDS = ["and", "or", "not", "in", "has", "exists"];

const WORD = /[A-Za-z0-9_./:-]*$/;

/** The partial path before the cursor, if the cursor is where a path may start. */
function wordAt(text: string, cursor: number): { start: number; word: string } {
  const before = text.slice(0, cursor);
  const match = WORD.exec(before);
  const word = match ? match[0] : "";
  return { start: cursor - word.length, word };
}

/** A path as the filter language reads it: bare when it can be, else in backticks. */
function quotePath(path: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_./:-]*$/.test(path) && !KEYWORDS.includes(path.toLowerCase())) return path;
  return "`" + path.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}

/** The search box of the runs table: the filter language, with completion of the paths
 * the table knows, applied on Enter. A `query_syntax` error of the server is shown under
 * it with a caret at its position. */
export function FilterBox({
  value,
  paths,
  error,
  positionOffset,
  onApply,
}: {
  value: string;
  paths: string[];
  error: ApiError | undefined;
  /** How many characters the server's filter text has before the user's (quick filters wrap it). */
  positionOffset: number;
  onApply: (filter: string) => void;
}) {
  const [text, setText] = useState(value);
  const [cursor, setCursor] = useState(value.length);
  const [open, setOpen] = useState(false);
  // -1: no suggestion picked, so Enter applies the filter; arrows pick one.
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setText(value), [value]);

  const { start, word } = wordAt(text, cursor);
  const suggestions = useMemo(() => {
    if (!word || KEYWORDS.includes(word.toLowerCase())) return [];
    const lower = word.toLowerCase();
    const all = [...SYSTEM_PATHS, ...paths.filter((p) => !p.startsWith("sys/"))];
    const starts = all.filter((p) => p.toLowerCase().startsWith(lower) && p !== word);
    const contains = all.filter((p) => !p.toLowerCase().startsWith(lower) && p.toLowerCase().includes(lower));
    return [...new Set([...starts, ...contains])].slice(0, 12);
  }, [word, paths]);
  const showing = open && suggestions.length > 0;

  const accept = (path: string) => {
    const quoted = quotePath(path);
    const next = text.slice(0, start) + quoted + text.slice(cursor);
    setText(next);
    setOpen(false);
    const at = start + quoted.length;
    requestAnimationFrame(() => {
      input.current?.setSelectionRange(at, at);
      setCursor(at);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (showing && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      setActive((a) => (a + (e.key === "ArrowDown" ? 1 : suggestions.length - 1) + (a < 0 ? 1 : 0)) % suggestions.length);
      return;
    }
    if (showing && e.key === "Tab") {
      e.preventDefault();
      accept(suggestions[Math.max(0, Math.min(active, suggestions.length - 1))]);
      return;
    }
    if (e.key === "Escape") {
      setOpen(false);
      return;
    }
    if (e.key === "Enter") {
      e.preventDefault();
      if (showing && active >= 0 && suggestions[active] && word) {
        accept(suggestions[active]);
        return;
      }
      setOpen(false);
      onApply(text.trim());
    }
  };

  const syntax = error?.code === "query_syntax" ? error : undefined;
  const position = syntax && typeof syntax.details.position === "number" ? syntax.details.position - positionOffset : undefined;
  // The server's message counts from the start of the text it got; say it in the user's terms.
  const firstLine = syntax
    ? syntax.message.split("\n")[0].replace(/ at position \d+$/, position !== undefined && position >= 0 ? ` at position ${position}` : "")
    : "";

  return (
    <div className="filter-box">
      <div className="filter-input-row">
        <input
          ref={input}
          type="search"
          aria-label="Filter runs"
          data-testid="filter-input"
          className={syntax ? "invalid" : undefined}
          placeholder="Filter, e.g. parameters/lr < 0.01 and val/acc > 0.9 and tags has 'cnn'   (Enter applies, Tab completes)"
          value={text}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => {
            setText(e.target.value);
            setCursor(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(-1);
          }}
          onSelect={(e) => setCursor(e.currentTarget.selectionStart ?? text.length)}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onFocus={() => setOpen(true)}
        />
        <button type="button" onClick={() => onApply(text.trim())}>
          Apply
        </button>
        {value ? (
          <button type="button" className="secondary" onClick={() => onApply("")}>
            Clear
          </button>
        ) : null}
      </div>
      {showing ? (
        <ul className="suggestions" role="listbox" data-testid="filter-suggestions">
          {suggestions.map((s, i) => (
            <li
              key={s}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(s);
              }}
            >
              {s}
            </li>
          ))}
        </ul>
      ) : null}
      {syntax ? (
        <div className="filter-error" role="alert" data-testid="filter-error">
          <div>{firstLine}</div>
          {position !== undefined && position >= 0 && position <= value.length ? (
            <pre className="caret-line">
              {value}
              {"\n"}
              {" ".repeat(position)}^
            </pre>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
