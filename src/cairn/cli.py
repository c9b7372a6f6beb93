"""The ``cairn`` command: parses arguments and calls the public API; no logic of its own."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cairn.cli_tokens import token_app
from cairn.errors import CairnError

if TYPE_CHECKING:
    from cairn.client.backends.http_api import ServerApi
    from cairn.store.records import RunRecord
    from cairn.store.store import Store

app = typer.Typer(
    help="Cairn: track, search and compare machine-learning experiments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
runs_app = typer.Typer(help="List and inspect runs.", no_args_is_help=True)
store_app = typer.Typer(help="Manage the experiment database.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.add_typer(store_app, name="store")
app.add_typer(token_app, name="token")

# Piped output has no terminal width; wide tables would wrap every cell, so assume a wide page.
console = Console(width=None if Console().is_terminal else 200)
HomeOption = Annotated[
    str | None,
    typer.Option(
        "--home", envvar="CAIRN_HOME", help="Store folder (default: nearest .cairn/ upwards)."
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option("--project", "-p", help="Project (default: the only one, or CAIRN_PROJECT)."),
]


def _fail(exc: CairnError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
    return typer.Exit(code=2)


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not math.isfinite(value) else f"{value:.6g}"
    if isinstance(value, dict) and "hash" in value:  # a data version
        return f"{str(value['hash'])[:12]} ({value.get('file_count')} files)"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M"))
    return str(value)


def _pick_project(project: str | None, home: str | None) -> str:
    from cairn.client.query import list_projects
    from cairn.errors import ProjectNotFound

    if project:
        return project
    names = [p.name for p in list_projects(home)]
    if len(names) == 1:
        return names[0]
    env = os.environ.get("CAIRN_PROJECT")
    if env:
        return env
    raise ProjectNotFound(
        "several projects exist; pick one with --project: " + ", ".join(names)
        if names
        else "the store has no projects yet; cairn.init(project=...) creates one"
    )


@app.command("projects")
def projects(home: HomeOption = None) -> None:
    """List projects with their run counts and last activity."""
    from cairn.client.query import list_projects

    table = Table("project", "runs", "last activity")
    for p in list_projects(home):
        table.add_row(p.name, str(p.run_count), _format(p.last_activity_at))
    console.print(table)


@app.command("sync")
def sync(
    home: HomeOption = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar="CAIRN_URL",
            help="Server for offline runs that name none (default: the embedded store).",
        ),
    ] = None,
) -> None:
    """Deliver runs left queued on this machine: offline runs, and runs whose process
    ended while their server was unreachable."""
    from cairn.client.home import find_home
    from cairn.client.sync import sync as sync_outboxes
    from cairn.settings import Settings

    settings = Settings.from_env()
    folder = os.path.abspath(home or find_home(settings))
    reports = sync_outboxes(folder, settings, url=url)
    if not reports:
        console.print(f"nothing to sync in {folder}")
    failed = 0
    for report in reports:
        name = report.key or report.run_id
        if report.error:
            failed += 1
            console.print(f"[red]{name}[/red]: not delivered to {report.target}: {report.error}")
        else:
            console.print(f"{name}: {report.batches} batches delivered to {report.target}")
    if failed:
        raise typer.Exit(code=1)


@runs_app.command("list")
def runs_list(
    project: ProjectOption = None,
    filter: Annotated[str, typer.Option("--filter", "-f", help='e.g. "val/acc > 0.9"')] = "",
    sort: Annotated[str, typer.Option("--sort", "-s", help='e.g. "-val/acc"')] = "",
    limit: Annotated[int, typer.Option(help="At most this many runs.")] = 50,
    columns: Annotated[str, typer.Option(help="Comma-separated extra columns.")] = "",
    home: HomeOption = None,
) -> None:
    """List runs of a project, filtered and sorted with the query language."""
    from cairn.client.query import Project

    try:
        name = _pick_project(project, home)
        frame = Project(name, home=home).runs(filter, sort=sort, limit=limit)
    except CairnError as exc:
        raise _fail(exc) from exc
    base = ["sys/id", "sys/name", "sys/status", "sys/created_at"]
    extra = [c.strip() for c in columns.split(",") if c.strip()] or _default_columns(frame, sort)
    table = Table(*(c.removeprefix("sys/") for c in base + extra), title=f"project {name}")
    for _, row in frame.iterrows():
        table.add_row(*(_format(row.get(c)) for c in base + extra))
    console.print(table)
    console.print(f"{len(frame)} run(s)")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _default_columns(frame: Any, sort: str) -> list[str]:
    """The sort keys, then metrics, then parameters that differ between runs: at most 6."""
    if frame.empty:
        return []
    chosen = [k.strip().lstrip("+-") for k in sort.split(",") if k.strip()]
    hidden = ("sys/", "source/", "environment/", "monitoring/", "capture/")
    candidates = [c for c in frame.columns if not c.startswith(hidden) and ":" not in c]
    metrics = [
        c for c in candidates if not c.startswith("parameters/") and frame[c].map(_is_number).all()
    ]
    varying = [
        c for c in candidates if c.startswith("parameters/") and frame[c].astype(str).nunique() > 1
    ]
    for column in metrics + varying:
        if column not in chosen:
            chosen.append(column)
    return [c for c in chosen if c in frame.columns][:5]


@runs_app.command("show")
def runs_show(run: str, project: ProjectOption = None, home: HomeOption = None) -> None:
    """Show a run's fields, series summaries and files."""
    import cairn

    try:
        reader = cairn.get_run(run, project=project, home=home)
        record = reader._refresh()
        fields = reader._reader.read_fields(record.id)
        series = reader._reader.list_series(record.id)
        files = reader._reader.list_files(record.id)
    except CairnError as exc:
        raise _fail(exc) from exc
    table = Table("field", "value", title=f"{record.key}  {record.name}")
    for path, value in {**record.sys_fields(), **fields}.items():
        text = _format(value)
        table.add_row(path, text if len(text) < 120 else text[:117] + "...")
    console.print(table)
    if series:
        table = Table("series", "kind", "points", "last step", "last", "min", "max")
        for s in series:
            table.add_row(
                s.path,
                s.kind.value,
                str(s.count),
                _format(s.last_step),
                _format(s.last_value),
                _format(s.min_value),
                _format(s.max_value),
            )
        console.print(table)
    if files:
        table = Table("file", "name", "size", "sha256")
        for f in files:
            table.add_row(f.path, f.name, f"{f.size_bytes:,}", f.sha256[:12])
        console.print(table)
    if record.traceback:
        console.print(record.traceback, markup=False, highlight=False)


@runs_app.command("stop")
def runs_stop(run: str, project: ProjectOption = None, home: HomeOption = None) -> None:
    """Ask a running run to stop; its process ends it as aborted at its next heartbeat."""
    try:
        record = _stop_run(run, project=project, home=home)
    except CairnError as exc:
        raise _fail(exc) from exc
    console.print(f"asked {record.key} to stop; it ends at its next heartbeat (seconds)")


@runs_app.command("delete")
def runs_delete(
    run: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOption = None,
    home: HomeOption = None,
) -> None:
    """Delete a run with its fields, series and files."""
    try:
        record = _find_run(run, project=project, home=home)
        if not yes:
            label = f"{record.key} ({record.name})" if record.name else record.key
            typer.confirm(f"Delete run {label} and everything logged to it?", abort=True)
        _delete_run(record.id, home=home)
    except CairnError as exc:
        raise _fail(exc) from exc
    console.print(f"deleted {record.key}")


# The only functions of the `runs stop` / `runs delete` commands that reach the store: a
# team server's API when CAIRN_URL is set, else the embedded store.


def _server() -> ServerApi | None:
    from cairn.client.backends.http_api import ServerApi
    from cairn.settings import Settings

    settings = Settings.from_env()
    return None if settings.url is None else ServerApi(settings.url, token=settings.token)


def _runs_store(home: str | None) -> Store:
    from cairn.client.home import find_home, open_store
    from cairn.settings import Settings

    settings = Settings.from_env()
    return open_store(home or find_home(settings), settings)


def _find_run(ref: str, *, project: str | None, home: str | None) -> RunRecord:
    api = _server()
    if api is not None:
        with api:
            return api.get_run(ref, project=project)
    return _runs_store(home).get_run(ref, project=project)


def _stop_run(ref: str, *, project: str | None, home: str | None) -> RunRecord:
    api = _server()
    if api is not None:
        with api:
            return api.request_stop(ref, project=project)
    store = _runs_store(home)
    return store.request_stop(store.get_run(ref, project=project).id)


def _delete_run(run_id: str, *, home: str | None) -> None:
    api = _server()
    if api is not None:
        with api:
            api.delete_run(run_id)
        return
    _runs_store(home).delete_run(run_id)


@app.command("compare")
def compare(
    runs: Annotated[list[str], typer.Argument(help="Two or more runs, e.g. MNIST-1 MNIST-2")],
    all_rows: Annotated[bool, typer.Option("--all", help="Show equal rows too.")] = False,
    project: ProjectOption = None,
    home: HomeOption = None,
) -> None:
    """Compare parameters and final metrics of runs; only differing rows by default."""
    import cairn
    from cairn.client.query import runs_table

    if len(runs) < 2:
        raise typer.BadParameter("give at least two runs")
    try:
        readers = [cairn.get_run(r, project=project, home=home) for r in runs]
        frame = runs_table(readers[0]._reader, [r._refresh() for r in readers])
    except CairnError as exc:
        raise _fail(exc) from exc
    skip = ("sys/id", "sys/created_at", "sys/ended_at", "sys/heartbeat_at", "sys/host", "sys/owner")
    table = Table("path", *frame["sys/id"].tolist())
    shown = 0
    for column in frame.columns:
        if column in skip or column.startswith(("source/", "environment/", "monitoring/")):
            continue
        values = [_format(v) for v in frame[column].tolist()]
        if all_rows or len(set(values)) > 1:
            table.add_row(column, *values)
            shown += 1
    console.print(table)
    if not shown:
        console.print("no differences (use --all to see every row)")


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("server")
def server(
    store: Annotated[str, typer.Option(help="sqlite:///path/cairn.db or postgresql+psycopg://...")],
    artifacts: Annotated[str, typer.Option(help="A folder, or s3://bucket/prefix")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes sharing the port.")] = 1,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="Serve without tokens: whoever can connect may read and change every run. "
            "Only on loopback, unless --insecure.",
        ),
    ] = False,
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="Allow --no-auth on a non-loopback address."),
    ] = False,
) -> None:
    """Serve the REST API (/api/v1, docs at /docs) over a store for a team. Every request
    needs a token from `cairn token create` (sent as `Authorization: Bearer`), unless
    --no-auth."""
    from cairn.server.main import serve

    if no_auth and host not in _LOOPBACK:
        if not insecure:
            console.print(
                f"[red]error:[/red] refusing to listen on {host} without authentication: "
                "anyone on the network could read and change every run. Drop --no-auth "
                "(clients then need a token from `cairn token create`), listen on "
                "--host 127.0.0.1, or add --insecure if every machine that can reach this "
                "port is trusted.",
                highlight=False,
            )
            raise typer.Exit(code=2)
        console.print(
            f"[yellow]warning:[/yellow] serving {host} without authentication (--insecure): "
            "anyone who can reach this port may read and change every run",
            highlight=False,
        )
    try:
        serve(store, artifacts, host, port, auth=not no_auth, workers=workers)
    except CairnError as exc:
        raise _fail(exc) from exc


@app.command("ui")
def ui(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5000,
    home: HomeOption = None,
) -> None:
    """Serve the dashboard and the API of the embedded store on 127.0.0.1 until Ctrl-C."""
    from cairn.client.home import find_home
    from cairn.server.main import serve
    from cairn.settings import Settings

    folder = os.path.abspath(home or find_home(Settings.from_env()))
    console.print(
        f"serving {folder}: dashboard at http://127.0.0.1:{port}/ (API docs: /docs); "
        "Ctrl-C stops it"
    )
    serve(
        f"sqlite:///{os.path.join(folder, 'cairn.db')}",
        os.path.join(folder, "artifacts"),
        "127.0.0.1",
        port,
    )


@store_app.command("upgrade")
def store_upgrade(home: HomeOption = None) -> None:
    """Create or upgrade the embedded store's schema."""
    from cairn.client.home import find_home
    from cairn.settings import Settings
    from cairn.store.store import Store

    folder = home or find_home(Settings.from_env())
    Store.open_home(folder).close()
    console.print(f"store at {folder} is up to date")


db_app = typer.Typer(help="Manage a team server's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    store: Annotated[str, typer.Option(help="sqlite:///path/cairn.db or postgresql+psycopg://...")],
) -> None:
    """Create or upgrade the schema of a store; safe while replicas start or run."""
    from sqlalchemy.exc import SQLAlchemyError

    from cairn.store import migrate
    from cairn.store.engine import make_engine

    try:
        engine = make_engine(store)
    except SQLAlchemyError as exc:  # a malformed URL or an unknown driver
        console.print(f"[red]error:[/red] --store {store!r}: {exc}", highlight=False)
        raise typer.Exit(code=2) from exc
    try:
        migrate.upgrade(engine)
        revision = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        console.print(f"[red]error:[/red] cannot upgrade {engine.url!r}: {reason}", highlight=False)
        raise typer.Exit(code=2) from exc
    finally:
        engine.dispose()
    console.print(f"store at {engine.url!r} is at schema {revision}", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
