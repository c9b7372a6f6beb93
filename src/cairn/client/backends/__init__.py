"""Where a run's ops go: the embedded store (``local``) or, later, a team server."""
