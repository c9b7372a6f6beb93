import { api } from "../api";
import { Link } from "../App";
import { FirstRun } from "../components/FirstRun";
import { ErrorBox, Spinner } from "../components/Status";
import { formatAgo, formatTime } from "../format";
import { projectPath } from "../router";
import { useApi } from "../useApi";

export function ProjectsView() {
  const { data, error, loading, reload } = useApi((signal) => api.projects(signal), []);
  if (error) return <ErrorBox error={error} onRetry={reload} />;
  if (!data) return loading ? <Spinner /> : null;
  const projects = [...data.projects].sort((a, b) =>
    (b.last_activity_at ?? b.created_at).localeCompare(a.last_activity_at ?? a.created_at),
  );
  return (
    <section className="page" data-testid="projects-view">
      <h1>Projects</h1>
      {projects.length === 0 ? (
        <FirstRun />
      ) : (
        <table className="plain-table projects-table">
          <thead>
            <tr>
              <th>project</th>
              <th className="num">runs</th>
              <th>last activity</th>
              <th>created</th>
            </tr>
          </thead>
          <tbody>
            {projects.map((p) => (
              <tr key={p.name} data-project={p.name}>
                <td>
                  <Link to={projectPath(p.name)}>{p.name}</Link>
                </td>
                <td className="num">{p.run_count}</td>
                <td title={formatTime(p.last_activity_at)}>{formatAgo(p.last_activity_at)}</td>
                <td>{formatTime(p.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
