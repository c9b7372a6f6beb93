import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { api, ApiError, STATUSES } from "../api";
import type { RunList, RunRow } from "../api";
import { Link } from "../App";
import { ColumnChooser } from "../components/ColumnChooser";
import { FilterBox } from "../components/FilterBox";
import { FirstRun } from "../components/FirstRun";
import { LiveBadge } from "../components/live/LiveBadge";
import { useProjectLive } from "../components/live/useProjectLive";
import { TagEditor } from "../components/RunEdit";
import { SavedViews } from "../components/SavedViews";
import { ErrorBox, Spinner, StatusBadge } from "../components/Status";
import { formatTime, formatValue, isTime } from "../format";
import { navigate, runPath, useLocation, withQuery } from "../router";
import { useApi } from "../useApi";
import { comparePath } from "./Compare";
import { GroupBy, GroupedRuns } from "./GroupedRuns";

const PAGE = 200;
const ROW_HEIGHT = 32;
const SAMPLE = 200;

const BASE_COLUMNS = ["sys/id", "sys/name", "sys/status", "sys/created_at", "sys/owner", "sys/tags"];
const LABELS: Record<string, string> = {
  "sys/id": "id",
  "sys/name": "name",
  "sys/status": "status",
  "sys/created_at": "created",
  "sys/ended_at": "ended",
  "sys/heartbeat_at": "heartbeat",
  "sys/owner": "owner",
  "sys/host": "host",
  "sys/tags": "tags",
  "sys/description": "description",
  "sys/stop_requested_at": "stop requested",
};
const UNSORTABLE = new Set(["sys/tags"]);

function width(column: string): number {
  if (column === "sys/id") return 120;
  if (column === "sys/name" || column === "sys/description") return 190;
  if (column === "sys/status") return 100;
  if (column.endsWith("_at")) return 165;
  if (column === "sys/tags") return 160;
  return 130;
}

/** The float series among `columns`: those with a `:min` summary beside them. */
function seriesOf(columns: string[]): string[] {
  const set = new Set(columns);
  return columns.filter((c) => !c.includes(":") && set.has(`${c}:min`));
}

/** Up to four metrics to show by default: validation series first, monitoring never. */
export function mainMetrics(columns: string[]): string[] {
  const series = seriesOf(columns).filter((c) => !c.startsWith("monitoring/"));
  const rank = (c: string) => (/(^|\/)(val|valid|validation|eval|test)\//.test(c) ? 0 : /(loss|acc|f1|auc|score)/.test(c) ? 1 : 2);
  return [...series].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, 4);
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** The filter sent to the server: the user's text, and the quick filters around it. */
function serverFilter(filter: string, statuses: string[], tags: string[]): { text: string; offset: number } {
  const extra: string[] = [];
  if (statuses.length) extra.push(`status in [${statuses.map(quote).join(", ")}]`);
  for (const tag of tags) extra.push(`tags has ${quote(tag)}`);
  if (!extra.length) return { text: filter, offset: 0 };
  if (!filter) return { text: extra.join(" and "), offset: 0 };
  return { text: `(${filter}) and ${extra.join(" and ")}`, offset: 1 };
}

const split = (value: string | null) => (value ? value.split(",").filter(Boolean) : []);

function Cell({ column, value, project, row, onEdited }: { column: string; value: unknown; project: string; row: RunRow; onEdited?: () => void }) {
  if (column === "sys/id" || column === "sys/name") {
    return (
      <Link to={runPath(project, row.key)} title={formatValue(value)}>
        {formatValue(value) || <span className="muted">—</span>}
      </Link>
    );
  }
  if (column === "sys/status" && typeof value === "string") return <StatusBadge status={value} />;
  if (column === "sys/tags" && Array.isArray(value) && onEdited) {
    return <TagEditor runId={row.id} tags={value.map(String)} onSaved={onEdited} compact />;
  }
  if (column === "sys/tags" && Array.isArray(value)) {
    return (
      <>
        {value.map((t) => (
          <span className="tag" key={String(t)}>
            {String(t)}
          </span>
        ))}
      </>
    );
  }
  if (isTime(value)) return <>{formatTime(value)}</>;
  const text = formatValue(value);
  return <span title={text}>{text}</span>;
}

export function RunsView({ project }: { project: string }) {
  const { query } = useLocation();
  const filter = query.get("filter") ?? "";
  const sort = query.get("sort") ?? "";
  const statuses = split(query.get("status"));
  const tags = split(query.get("tag"));
  const selected = split(query.get("sel"));
  const colsParam = query.get("cols");
  const groupBy = query.get("group") ?? "";

  // A sample of runs, every column: what the column chooser and the completion offer.
  const sample = useApi((signal) => api.runs(project, { limit: SAMPLE }, signal), [project]);
  const known = useMemo(() => sample.data?.columns ?? [], [sample.data]);
  const knownTags = useMemo(() => {
    const all = new Set<string>();
    for (const r of sample.data?.runs ?? []) for (const t of (r.columns["sys/tags"] as string[]) ?? []) all.add(t);
    return [...all].sort();
  }, [sample.data]);
  const columns = useMemo(
    () => (colsParam !== null ? split(colsParam) : [...BASE_COLUMNS, ...mainMetrics(known)]),
    [colsParam, known],
  );
  const extraColumns = useMemo(() => columns.filter((c) => !c.startsWith("sys/")), [columns]);
  const sent = serverFilter(filter, statuses, tags);

  // Rows come a page at a time, as they scroll into view.
  const [pages, setPages] = useState<Map<number, RunRow[]>>(new Map());
  const [total, setTotal] = useState<number | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const pending = useRef(new Set<number>());
  const queryKey = JSON.stringify([project, sent.text, sort, extraColumns, attempt]);
  const generation = useRef(queryKey);

  const loadPage = useCallback(
    (page: number) => {
      if (pending.current.has(page)) return;
      pending.current.add(page);
      const mine = queryKey;
      api
        // Only the shown columns travel; sys/ ones always come, so asking for sys/id alone
        // means "no others".
        .runs(project, { filter: sent.text, sort, limit: PAGE, offset: page * PAGE, columns: extraColumns.length ? extraColumns : ["sys/id"] })
        .then(
          (list: RunList) => {
            if (generation.current !== mine) return;
            setTotal(list.total);
            setPages((old) => new Map(old).set(page, list.runs));
          },
          (err: unknown) => {
            if (generation.current !== mine) return;
            pending.current.delete(page);
            setError(err instanceof ApiError ? err : new ApiError(0, "client", String(err)));
          },
        );
    },
    [queryKey],
  );

  // Live: when the project's stream says runs were created, changed or deleted, the pages
  // loaded are fetched again in place (throttled): no spinner, the scroll position kept.
  const loaded = useRef<number[]>([]);
  loaded.current = [...pages.keys()];
  const refresh = useCallback(() => {
    const mine = queryKey;
    for (const page of loaded.current.length ? loaded.current : [0]) {
      const cols = extraColumns.length ? extraColumns : ["sys/id"];
      api.runs(project, { filter: sent.text, sort, limit: PAGE, offset: page * PAGE, columns: cols }).then(
        (list) => {
          if (generation.current !== mine) return;
          setTotal(list.total);
          setPages((old) => new Map(old).set(page, list.runs));
        },
        () => undefined, // a failed background refresh: the next change or reconnection retries
      );
    }
  }, [queryKey]);
  const liveState = useProjectLive(project, refresh);

  // The default columns come from the sample: wait for it rather than fetch twice.
  const ready = colsParam !== null || sample.data !== undefined || sample.error !== undefined;
  useEffect(() => {
    generation.current = queryKey;
    pending.current = new Set();
    setPages(new Map());
    setTotal(undefined);
    setError(undefined);
    if (ready) loadPage(0);
  }, [queryKey, loadPage, ready]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    if (total === undefined || error || !ready) return;
    for (let page = Math.floor(first / PAGE); page <= Math.floor(last / PAGE); page++) {
      if (!pages.has(page)) loadPage(page);
    }
  }, [first, last, total, pages, loadPage, error, ready]);

  const set = (changes: Record<string, string | undefined>, replace = false) => navigate(withQuery(changes), { replace });
  const toggle = (list: string[], item: string) => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);
  const onSort = (column: string) => {
    if (UNSORTABLE.has(column)) return;
    const next = sort === column ? `-${column}` : sort === `-${column}` ? "" : column;
    set({ sort: next });
  };
  const rowAt = (index: number) => pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  const widths = columns.map(width);
  const gridWidth = 36 + widths.reduce((a, b) => a + b, 0);
  const template = `36px ${widths.map((w) => `${w}px`).join(" ")}`;

  const noRunsAtAll = total === 0 && !sent.text && sample.data?.total === 0;
  const syntaxError = error?.code === "query_syntax" ? error : undefined;
  const allOnPage = items.map((i) => rowAt(i.index)).filter((r): r is RunRow => r !== undefined);

  return (
    <section className="page runs-page" data-testid="runs-view">
      <div className="page-head">
        <h1>{project}</h1>
        <span className="muted" data-testid="run-total">
          {total === undefined ? "" : `${total} run${total === 1 ? "" : "s"}${sent.text ? " match" : ""}`}
        </span>
        <LiveBadge state={liveState} />
      </div>
      {noRunsAtAll ? (
        <FirstRun project={project} />
      ) : (
        <>
          <FilterBox value={filter} paths={known} error={syntaxError} positionOffset={sent.offset} onApply={(f) => set({ filter: f })} />
          <div className="toolbar">
            <div className="chips" role="group" aria-label="Quick filters by status">
              {STATUSES.map((s) => (
                <button
                  key={s}
                  type="button"
                  className={`chip status-chip-${s}${statuses.includes(s) ? " on" : ""}`}
                  aria-pressed={statuses.includes(s)}
                  data-testid={`status-chip-${s}`}
                  onClick={() => set({ status: toggle(statuses, s).join(",") })}
                >
                  {s}
                </button>
              ))}
              {knownTags.slice(0, 8).map((t) => (
                <button
                  key={`tag-${t}`}
                  type="button"
                  className={`chip tag-chip${tags.includes(t) ? " on" : ""}`}
                  aria-pressed={tags.includes(t)}
                  onClick={() => set({ tag: toggle(tags, t).join(",") })}
                >
                  #{t}
                </button>
              ))}
            </div>
            <div className="toolbar-right">
              {selected.length ? (
                <span className="selection" data-testid="selection">
                  {selected.length} selected for compare
                  {selected.length >= 2 ? (
                    <button type="button" data-testid="compare-button" onClick={() => navigate(comparePath(project, selected))}>
                      Compare {selected.length}
                    </button>
                  ) : null}
                  <button type="button" className="secondary" onClick={() => set({ sel: undefined })}>
                    Clear
                  </button>
                </span>
              ) : (
                <span className="muted">Tick runs to compare them</span>
              )}
              <ColumnChooser known={known} columns={columns} onChange={(c) => set({ cols: c.join(",") })} />
              <GroupBy known={known} value={groupBy} onChange={(by) => set({ group: by })} />
              <SavedViews project={project} />
            </div>
          </div>
          {error && !syntaxError ? <ErrorBox error={error} onRetry={() => setAttempt((a) => a + 1)} /> : null}
          {sample.error && !error ? <ErrorBox error={sample.error} onRetry={sample.reload} /> : null}
          {groupBy ? <GroupedRuns project={project} by={groupBy} filter={sent.text} columns={columns} /> : null}
          <div className="runs-table" ref={scroller} hidden={Boolean(groupBy)} data-testid="runs-table" role="table" aria-rowcount={total ?? 0}>
            <div className="runs-header" role="row" style={{ gridTemplateColumns: template, width: gridWidth }}>
              <div className="cell check" role="columnheader">
                <input
                  type="checkbox"
                  aria-label="Select the runs in view"
                  checked={allOnPage.length > 0 && allOnPage.every((r) => selected.includes(r.key))}
                  onChange={(e) => {
                    const keys = allOnPage.map((r) => r.key);
                    set({ sel: (e.target.checked ? [...new Set([...selected, ...keys])] : selected.filter((k) => !keys.includes(k))).join(",") });
                  }}
                />
              </div>
              {columns.map((c) => {
                const dir = sort === c ? "asc" : sort === `-${c}` ? "desc" : undefined;
                return (
                  <div
                    key={c}
                    className={`cell header${UNSORTABLE.has(c) ? "" : " sortable"}`}
                    role="columnheader"
                    aria-sort={dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none"}
                    data-column={c}
                    title={UNSORTABLE.has(c) ? c : `${c} — click to sort`}
                    tabIndex={UNSORTABLE.has(c) ? undefined : 0}
                    onClick={() => onSort(c)}
                    onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && onSort(c)}
                  >
                    <span className="header-label">{LABELS[c] ?? c}</span>
                    {dir ? <span className="sort-mark">{dir === "asc" ? "▲" : "▼"}</span> : null}
                  </div>
                );
              })}
            </div>
            {total === undefined && !error ? <Spinner label="Loading runs…" /> : null}
            {total === 0 ? <div className="empty-state">No run matches this filter.</div> : null}
            <div style={{ height: virtualizer.getTotalSize(), width: gridWidth, position: "relative" }}>
              {items.map((item) => {
                const row = rowAt(item.index);
                return (
                  <div
                    key={item.key}
                    className={`runs-row${row && selected.includes(row.key) ? " selected" : ""}`}
                    role="row"
                    data-run={row?.key}
                    style={{ transform: `translateY(${item.start}px)`, gridTemplateColumns: template, height: ROW_HEIGHT }}
                  >
                    <div className="cell check">
                      {row ? (
                        <input
                          type="checkbox"
                          aria-label={`Select ${row.key}`}
                          checked={selected.includes(row.key)}
                          onChange={() => set({ sel: toggle(selected, row.key).join(",") })}
                        />
                      ) : null}
                    </div>
                    {columns.map((c) => (
                      <div className="cell" key={c} role="cell" data-column={c}>
                        {row ? <Cell column={c} value={row.columns[c]} project={project} row={row} onEdited={refresh} /> : <span className="muted">…</span>}
                      </div>
                    ))}
                  </div>
                );
              })}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
