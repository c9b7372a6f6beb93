import { createTwoFilesPatch } from "diff";
import { useMemo } from "react";

import { api, ApiError, fetchBlob } from "../../api";
import { navigate, withQuery } from "../../router";
import { useApi } from "../../useApi";
import { ErrorBox, Spinner } from "../Status";
import type { CompareRun } from "./model";
import { RunHead } from "./ParamsTable";

const DIFF = "source/git/diff";

interface Source {
  commit?: string;
  branch?: string;
  dirty?: unknown;
  diff: string | null; // null: none recorded
}

async function source(run: CompareRun, signal: AbortSignal): Promise<Source> {
  const [fields, files] = await Promise.all([api.fields(run.id, signal), api.files(run.id, signal)]);
  const f = fields.fields;
  let diff: string | null = null;
  if (files.files.some((file) => file.path === DIFF)) diff = await (await fetchBlob(api.fileUrl(run.id, DIFF), signal)).text();
  return {
    commit: (f["source/git/commit"] as string | undefined) || undefined,
    branch: (f["source/git/branch"] as string | undefined) || undefined,
    dirty: f["source/git/is_dirty"],
    diff,
  };
}

function RunPick({ runs, value, other, index }: { runs: CompareRun[]; value: CompareRun; other: CompareRun; index: 0 | 1 }) {
  return (
    <select
      value={value.key}
      aria-label={index === 0 ? "first run" : "second run"}
      data-testid={`diff-run-${index}`}
      onChange={(e) => navigate(withQuery({ diff: (index === 0 ? [e.target.value, other.key] : [other.key, e.target.value]).join(",") }))}
    >
      {runs.map((r) => (
        <option key={r.key} value={r.key}>
          {r.key} {r.name}
        </option>
      ))}
    </select>
  );
}

/** The code of two runs: their commits, and a unified diff of their uncommitted changes
 * (`git diff HEAD` as captured at start). */
export function CodeDiff({ project, runs, pair }: { project: string; runs: CompareRun[]; pair: string[] }) {
  const a = runs.find((r) => r.key === pair[0]) ?? runs[0];
  const b = runs.find((r) => r.key === pair[1] && r.key !== a.key) ?? runs.find((r) => r.key !== a.key) ?? runs[0];
  const loaded = useApi((signal) => Promise.all([source(a, signal), source(b, signal)]), [a.id, b.id]);
  const patch = useMemo(() => {
    if (!loaded.data) return undefined;
    const [sa, sb] = loaded.data;
    if (sa.diff === null && sb.diff === null) return undefined;
    return createTwoFilesPatch(`${a.key}: git diff`, `${b.key}: git diff`, sa.diff ?? "", sb.diff ?? "", sa.commit?.slice(0, 12), sb.commit?.slice(0, 12), { context: 3 });
  }, [loaded.data, a.key, b.key]);
  const [sa, sb] = loaded.data ?? [];
  return (
    <div data-testid="compare-code">
      <div className="toolbar">
        <RunPick runs={runs} value={a} other={b} index={0} /> <span className="muted">against</span> <RunPick runs={runs} value={b} other={a} index={1} />
      </div>
      {loaded.error ? <ErrorBox error={loaded.error instanceof ApiError ? loaded.error : new ApiError(0, "client", String(loaded.error))} onRetry={loaded.reload} /> : null}
      {!loaded.data && !loaded.error ? <Spinner label="Loading the code of both runs…" /> : null}
      {sa && sb ? (
        <>
          <dl className="facts commits" data-testid="commits">
            {([[a, sa], [b, sb]] as const).map(([run, s]) => (
              <div key={run.key}>
                <dt>
                  <RunHead project={project} run={run} />
                </dt>
                <dd>
                  {s.commit ? <code title={s.commit}>{s.commit.slice(0, 12)}</code> : <span className="muted">no commit recorded</span>}
                  {s.branch ? <> on <code>{s.branch}</code></> : null}
                  {s.dirty === true ? <span className="badge warn">dirty</span> : null}
                </dd>
              </div>
            ))}
          </dl>
          <p data-testid="commit-verdict" className={sa.commit !== sb.commit ? "warn-text" : undefined}>
            {!sa.commit || !sb.commit
              ? "A commit is missing: the code cannot be compared by commit."
              : sa.commit === sb.commit
                ? "Both runs ran the same commit; the diff below is all that differs in their code."
                : "The runs ran different commits: the code differs by more than the diff below (compare the commits with git)."}
          </p>
          {patch === undefined ? (
            <div className="empty-state">Neither run recorded uncommitted changes ({DIFF}).</div>
          ) : sa.diff === sb.diff ? (
            <div className="empty-state">Both runs recorded the same uncommitted changes.</div>
          ) : (
            <pre className="diff" data-testid="code-diff">
              {patch
                .split("\n")
                .filter((line) => !line.startsWith("===="))
                .map((line, i) => (
                  <div key={i} className={i < 2 ? "file" : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : undefined}>
                    {line || " "}
                  </div>
                ))}
            </pre>
          )}
        </>
      ) : null}
    </div>
  );
}
