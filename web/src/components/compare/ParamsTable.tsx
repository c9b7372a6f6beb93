import { Link } from "../../App";
import { formatTime, formatValue, isTime } from "../../format";
import { navigate, runPath, withQuery } from "../../router";
import { StatusBadge } from "../Status";
import { differs, floatSeries, parameterPaths } from "./model";
import type { CompareRun } from "./model";

function Value({ column, value }: { column: string; value: unknown }) {
  if (value === undefined) return <span className="muted">—</span>;
  if (column === "sys/status" && typeof value === "string") return <StatusBadge status={value} />;
  if (isTime(value)) return <>{formatTime(value)}</>;
  const text = formatValue(value);
  return <span title={text}>{text}</span>;
}

/** A run's colour and key, linking to its page: the head of a column in every table here. */
export function RunHead({ project, run }: { project: string; run: CompareRun }) {
  return (
    <span className="run-head">
      <span className="swatch" style={{ background: run.color }} aria-hidden="true" />
      <Link to={runPath(project, run.key)} title={run.name}>
        {run.key}
      </Link>
    </span>
  );
}

/** Parameters and metrics side by side, a column per run; "only differing" by default. */
export function ParamsTable({ project, runs, showAll }: { project: string; runs: CompareRun[]; showAll: boolean }) {
  const metrics = floatSeries(runs).map((s) => s.path);
  const metricSet = new Set(metrics.flatMap((m) => [m, `${m}:min`, `${m}:max`]));
  const params = parameterPaths(runs);
  const others = [...new Set(runs.flatMap((r) => Object.keys(r.columns)))]
    .filter((c) => !c.startsWith("sys/") && !c.startsWith("parameters/") && !metricSet.has(c))
    .sort();
  const sections: [string, string[]][] = [
    ["run", ["sys/name", "sys/status", "sys/created_at", "sys/owner", "sys/tags"]],
    ["parameters", params],
    ["metrics (last value)", metrics],
    ["other fields", others],
  ];
  let hidden = 0;
  const shown = sections.map(([title, columns]): [string, string[]] => {
    const keep = showAll ? columns : columns.filter((c) => differs(runs, c));
    hidden += columns.length - keep.length;
    return [title, keep];
  });
  return (
    <div data-testid="compare-table">
      <div className="toolbar">
        <label className="toggle">
          <input
            type="checkbox"
            checked={!showAll}
            data-testid="only-differing"
            onChange={(e) => navigate(withQuery({ all: e.target.checked ? undefined : "1" }))}
          />{" "}
          only differing
        </label>
        <span className="muted">{showAll ? "" : `${hidden} row${hidden === 1 ? "" : "s"} with the same value in every run hidden`}</span>
      </div>
      <div className="compare-table-scroll">
        <table className="plain-table compare-table">
          <thead>
            <tr>
              <th className="sticky-col">column</th>
              {runs.map((r) => (
                <th key={r.id} data-run={r.key}>
                  <RunHead project={project} run={r} />
                </th>
              ))}
            </tr>
          </thead>
          {shown.map(([title, columns]) =>
            columns.length ? (
              <tbody key={title}>
                <tr className="section-row">
                  <th className="sticky-col" colSpan={runs.length + 1}>
                    {title}
                  </th>
                </tr>
                {columns.map((c) => (
                  <tr key={c} data-column={c} className={differs(runs, c) ? "differs" : undefined}>
                    <th className="sticky-col">
                      <code>{c}</code>
                    </th>
                    {runs.map((r) => (
                      <td key={r.id}>
                        <Value column={c} value={r.columns[c]} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            ) : null,
          )}
        </table>
      </div>
    </div>
  );
}
