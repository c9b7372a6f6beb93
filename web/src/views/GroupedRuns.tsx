import { Fragment, useState } from "react";

import { api } from "../api";
import type { RunList } from "../api";
import { Link } from "../App";
import "../components/grouping.css";
import { ErrorBox, Spinner, StatusBadge } from "../components/Status";
import { formatTime, formatValue, isTime } from "../format";
import { runPath } from "../router";
import { groups } from "../savedViews";
import type { Group, GroupAggregate } from "../savedViews";
import { useApi } from "../useApi";

const RUNS_PER_GROUP = 200;

/** The columns a group can aggregate: fields and series summaries, not sys/ ones. */
const numberColumns = (columns: string[]) => columns.filter((c) => !c.startsWith("sys/"));

function groupLabel(group: Group): string {
  if (group.kind === "missing") return "(not set)";
  const text = formatValue(group.value);
  return text === "" ? "(empty)" : text;
}

function Aggregate({ value }: { value: GroupAggregate | undefined }) {
  if (!value || value.mean === null) return <span className="muted">—</span>;
  return (
    <>
      {formatValue(value.mean)}
      <span className="agg-range" title="min – max over the group's runs">
        {formatValue(value.min)} – {formatValue(value.max)}
      </span>
    </>
  );
}

/** The runs of one group, fetched when it opens: the table's filter and the group's. */
function GroupRuns({ project, filter, group, columns }: { project: string; filter: string; group: Group; columns: string[] }) {
  const combined = filter ? `(${filter}) and ${group.filter}` : group.filter;
  const extra = numberColumns(columns);
  const runs = useApi(
    (signal) => api.runs(project, { filter: combined, limit: RUNS_PER_GROUP, columns: extra.length ? extra : ["sys/id"] }, signal),
    [project, combined, extra.join(",")],
  );
  const span = columns.length + 2;
  if (runs.error) {
    return (
      <tr>
        <td colSpan={span}>
          <ErrorBox error={runs.error} onRetry={runs.reload} />
        </td>
      </tr>
    );
  }
  if (!runs.data) {
    return (
      <tr>
        <td colSpan={span}>
          <Spinner label="Loading the group's runs…" />
        </td>
      </tr>
    );
  }
  const list: RunList = runs.data;
  return (
    <>
      {list.runs.map((row) => (
        <tr key={row.id} className="group-run" data-run={row.key}>
          <td>
            <Link to={runPath(project, row.key)}>{row.key}</Link>
          </td>
          <td />
          {columns.map((c) => {
            const value = row.columns[c];
            return (
              <td key={c} data-column={c}>
                {c === "sys/status" && typeof value === "string" ? <StatusBadge status={value} /> : isTime(value) ? formatTime(value) : formatValue(value)}
              </td>
            );
          })}
        </tr>
      ))}
      {list.total > list.runs.length ? (
        <tr className="group-run">
          <td colSpan={span} className="muted">
            {list.total - list.runs.length} more: filter by <code>{group.filter}</code> to see them all.
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** The runs table grouped by `by`: a row per group with its count and the mean (and
 * min – max) of each number column, computed by the server; a group opens to its runs. */
export function GroupedRuns({ project, by, filter, columns }: { project: string; by: string; filter: string; columns: string[] }) {
  const shown = columns.filter((c) => c !== "sys/id");
  const extra = numberColumns(columns);
  const answer = useApi((signal) => groups(project, { by, filter, columns: extra }, signal), [project, by, filter, extra.join(",")]);
  const [open, setOpen] = useState<Set<string>>(new Set());
  if (answer.error) return <ErrorBox error={answer.error} onRetry={answer.reload} />;
  if (!answer.data) return <Spinner label="Grouping runs…" />;
  const data = answer.data;
  const toggle = (key: string) =>
    setOpen((old) => {
      const next = new Set(old);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  return (
    <div className="groups-table" data-testid="groups-table">
      <table>
        <thead>
          <tr>
            <th>{by}</th>
            <th>runs</th>
            {shown.map((c) => (
              <th key={c} data-column={c} title={extra.includes(c) ? `${c}: mean, then min – max` : c}>
                {c.startsWith("sys/") ? c.slice(4) : c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.groups.map((g) => {
            const key = `${g.kind}:${JSON.stringify(g.value)}`;
            const isOpen = open.has(key);
            return (
              <Fragment key={key}>
                <tr
                  className="group-row"
                  data-group={groupLabel(g)}
                  tabIndex={0}
                  aria-expanded={isOpen}
                  onClick={() => toggle(key)}
                  onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), toggle(key))}
                >
                  <td className="group-value">
                    <span className="caret">{isOpen ? "▾" : "▸"}</span>
                    {groupLabel(g)}
                  </td>
                  <td data-column="count">{g.count}</td>
                  {shown.map((c) => (
                    <td key={c} data-column={c}>
                      {extra.includes(c) ? <Aggregate value={g.aggregates[c]} /> : null}
                    </td>
                  ))}
                </tr>
                {isOpen ? <GroupRuns project={project} filter={filter} group={g} columns={shown} /> : null}
              </Fragment>
            );
          })}
          {data.groups.length === 0 ? (
            <tr>
              <td colSpan={shown.length + 2} className="muted">
                No run matches this filter.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {data.total_groups > data.groups.length ? (
        <p className="muted">
          Showing {data.groups.length} of {data.total_groups} groups.
        </p>
      ) : null}
    </div>
  );
}

/** Pick what to group by: fields of the sampled runs (not series), status, owner, host. */
export function GroupBy({ known, value, onChange }: { known: string[]; value: string; onChange: (by: string) => void }) {
  const set = new Set(known);
  const fields = known.filter((c) => !c.startsWith("sys/") && !c.includes(":") && !set.has(`${c}:min`));
  const rank = (c: string) => (c.startsWith("parameters/") ? 0 : c.startsWith("data/") ? 1 : 2);
  const options = ["sys/status", "sys/owner", "sys/host", ...[...fields].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))];
  if (value && !options.includes(value)) options.push(value);
  return (
    <label className="group-by">
      Group by
      <select value={value} data-testid="group-by" onChange={(e) => onChange(e.target.value)}>
        <option value="">nothing</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o.startsWith("sys/") ? o.slice(4) : o}
          </option>
        ))}
      </select>
    </label>
  );
}
