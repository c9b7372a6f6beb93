import { get } from "../../api";
import { ErrorBox, Spinner } from "../Status";
import { formatNumber } from "../../format";
import { useApi } from "../../useApi";
import { MetricSelect } from "./Parallel";

/** The answer of GET /projects/{project}/importance. */
interface ImportanceAnswer {
  metric: string;
  run_count: number;
  correlation_method: string;
  importance_method: string;
  parameters: {
    path: string;
    kind: string;
    importance: number;
    correlation: number | null;
    correlation_value: string | null;
    run_count: number;
  }[];
  constant: string[];
}

/** Parameter importance for a metric, computed by the server over exactly these runs. */
export function Importance({ project, filter, metric, metrics }: { project: string; filter: string; metric: string; metrics: string[] }) {
  const answer = useApi(
    (signal) => get<ImportanceAnswer>(`/projects/${encodeURIComponent(project)}/importance`, { metric, filter }, signal),
    [project, filter, metric],
  );
  const data = answer.data?.metric === metric ? answer.data : undefined;
  return (
    <div data-testid="compare-importance">
      <div className="toolbar">
        <MetricSelect value={metric} options={metrics} param="im" label="metric" testId="importance-metric" />
        <span className="muted">
          Importance: a random forest fitted from the parameters to the metric (impurity decrease, summing to 1), computed by the server.
          Correlation: Spearman's rank correlation; for text, the strongest value (one-hot).
        </span>
      </div>
      {answer.error ? <ErrorBox error={answer.error} onRetry={answer.reload} /> : null}
      {!data && !answer.error ? <Spinner label="Computing importance…" /> : null}
      {data && !answer.error ? (
        <>
          <table className="plain-table importance-table" data-testid="importance">
            <thead>
              <tr>
                <th>parameter</th>
                <th>importance</th>
                <th>correlation with {data.metric}</th>
                <th className="num">runs</th>
              </tr>
            </thead>
            <tbody>
              {data.parameters.map((p) => (
                <tr key={p.path} data-param={p.path}>
                  <td>
                    <code>{p.path}</code> {p.kind === "categorical" ? <span className="badge">text</span> : null}
                  </td>
                  <td>
                    <span className="bar" style={{ width: `${Math.round(p.importance * 160)}px` }} />
                    <span className="num">{formatNumber(p.importance)}</span>
                  </td>
                  <td>
                    {p.correlation === null ? (
                      <span className="muted">—</span>
                    ) : (
                      <>
                        <span className={`bar ${p.correlation < 0 ? "negative" : "positive"}`} style={{ width: `${Math.round(Math.abs(p.correlation) * 80)}px` }} />
                        <span className="num">{formatNumber(p.correlation)}</span>
                        {p.correlation_value !== null ? <span className="muted"> (= {p.correlation_value})</span> : null}
                      </>
                    )}
                  </td>
                  <td className="num">{p.run_count}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">
            Over {data.run_count} runs with {data.metric}.
            {data.constant.length ? ` Same in every run, left out: ${data.constant.join(", ")}.` : ""}
          </p>
        </>
      ) : null}
    </div>
  );
}
