import type { MouseEvent, ReactNode } from "react";

import { navigate, useLocation } from "./router";
import { CompareView } from "./views/Compare";
import { ProjectsView } from "./views/Projects";
import { RunPage } from "./views/RunPage";
import { RunsView } from "./views/Runs";

/** A link that navigates inside the dashboard (and still opens in a new tab on ctrl/middle click). */
export function Link({ to, children, className, title }: { to: string; children: ReactNode; className?: string; title?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} className={className} title={title}>
      {children}
    </a>
  );
}

function route(path: string): { view: ReactNode; project?: string; run?: string } {
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "projects")) return { view: <ProjectsView /> };
  if (parts[0] === "projects" && parts.length >= 2) {
    const project = parts[1];
    if (parts.length === 2 || (parts.length === 3 && parts[2] === "runs")) {
      return { view: <RunsView key={project} project={project} />, project };
    }
    if (parts.length === 3 && parts[2] === "compare") {
      return { view: <CompareView key={project} project={project} />, project, run: "compare" };
    }
    if (parts.length === 4 && parts[2] === "runs") {
      return { view: <RunPage key={`${project}/${parts[3]}`} project={project} runKey={parts[3]} />, project, run: parts[3] };
    }
  }
  return {
    view: (
      <div className="empty-state">
        <h2>Nothing here</h2>
        <p>
          The dashboard has no page at <code>{path}</code>. <Link to="/">See all projects.</Link>
        </p>
      </div>
    ),
  };
}

export function App() {
  const { path } = useLocation();
  const { view, project, run } = route(path);
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          ◭ Cairn
        </Link>
        <nav aria-label="breadcrumb" className="crumbs">
          <Link to="/">Projects</Link>
          {project ? (
            <>
              <span className="sep">/</span>
              <Link to={`/projects/${encodeURIComponent(project)}`}>{project}</Link>
            </>
          ) : null}
          {project && run ? (
            <>
              <span className="sep">/</span>
              <span>{run}</span>
            </>
          ) : null}
        </nav>
        <a className="docs-link" href="/docs" target="_blank" rel="noreferrer">
          API
        </a>
      </header>
      <main className="content">{view}</main>
    </div>
  );
}
