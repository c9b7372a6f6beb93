/** What to do when there is nothing to show: the three lines that log a run. */
export function FirstRun({ project = "quickstart" }: { project?: string }) {
  const code = `import cairn
run = cairn.init(project="${project}", config={"lr": 0.01})
run["train/loss"].log(0.5)`;
  return (
    <div className="empty-state" data-testid="first-run">
      <p>No runs yet. Log one from Python:</p>
      <pre className="code">{code}</pre>
      <p className="muted">
        Runs written to this store appear here; reload the page to see them.
      </p>
    </div>
  );
}
