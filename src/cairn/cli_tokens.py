"""``cairn token``: create, list and revoke the access tokens of a team server's store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from cairn.errors import CairnError

if TYPE_CHECKING:
    from cairn.store.store import Store
    from cairn.store.tokens import TokenRecord

__all__ = ["token_app"]

token_app = typer.Typer(
    help="Create, list and revoke access tokens for `cairn server`.", no_args_is_help=True
)
console = Console(width=None if Console().is_terminal else 200)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="The server's database, as given to `cairn server --store`: sqlite:///path/cairn.db "
        "or postgresql+psycopg://... (default: the embedded store, CAIRN_HOME or the nearest "
        ".cairn/).",
    ),
]


@contextmanager
def _open(url: str | None) -> Iterator[Store]:
    from sqlalchemy.exc import ArgumentError

    from cairn.client.home import find_home
    from cairn.settings import Settings
    from cairn.store.store import Store

    try:
        if url is None:
            store = Store.open_home(find_home(Settings.from_env()))
        else:
            # Tokens never touch files: an in-memory artifact store spares asking for one.
            store = Store.open(url, artifacts_url="memory://cairn-token-cli")
    except ArgumentError as exc:
        console.print(f"[red]error:[/red] --store {url!r} is not a database URL: {exc}")
        raise typer.Exit(code=2) from exc
    except CairnError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=2) from exc
    try:
        yield store
    except CairnError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=2) from exc
    finally:
        store.close()


def _scope(record: TokenRecord) -> str:
    return "every project" if record.project is None else f"project {record.project}"


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


@token_app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", "-u", help="Who the token is for.")],
    role: Annotated[
        str,
        typer.Option(
            help="viewer (reads), editor (also writes runs) or admin (also manages tokens)."
        ),
    ] = "viewer",
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="The project the token reaches (created when new). Omit it for a server-wide "
            "token that reaches every project.",
        ),
    ] = None,
    description: Annotated[str, typer.Option(help="What the token is for.")] = "",
    store: StoreOption = None,
) -> None:
    """Create a token and print it once: only its hash is stored."""
    with _open(store) as opened:
        new = opened.create_token(user=user, role=role, project=project, description=description)
    record = new.record
    console.print(
        f"created token {record.id} for {record.user}: {record.role.value} on {_scope(record)}",
        highlight=False,
    )
    typer.echo(new.secret)
    console.print(
        "This token will not be shown again: store it now. Clients send it from CAIRN_TOKEN.",
        highlight=False,
    )


@token_app.command("list")
def list_(
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Only the tokens of this project.")
    ] = None,
    all_tokens: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    store: StoreOption = None,
) -> None:
    """List tokens (never their secrets)."""
    with _open(store) as opened:
        records = opened.list_tokens(project=project, include_revoked=all_tokens)
    table = Table("id", "user", "reaches", "role", "description", "created", "last used")
    if all_tokens:
        table.add_column("revoked")
    for r in records:
        cells = [str(r.id), r.user, _scope(r), r.role.value, r.description]
        cells += [_when(r.created_at), _when(r.last_used_at)]
        table.add_row(*cells, *([_when(r.revoked_at)] if all_tokens else []))
    console.print(table)
    console.print(f"{len(records)} token(s)")


@token_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id, from `cairn token list`.")],
    store: StoreOption = None,
) -> None:
    """Revoke a token: every server on this store refuses it from the next request on."""
    with _open(store) as opened:
        record = opened.revoke_token(token_id)
    console.print(
        f"revoked token {record.id} ({record.user}, {record.role.value} on {_scope(record)})",
        highlight=False,
    )
