"""`cairn token create / list / revoke` against the embedded store and a --store URL."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cairn.cli import app
from cairn.store.store import Store

runner = CliRunner()


def _secret(output: str) -> str:
    return next(word for word in output.split() if word.startswith("cairn_"))


def test_create_prints_the_token_once_and_stores_its_hash(home: str) -> None:
    result = runner.invoke(
        app, ["token", "create", "--user", "alice", "--project", "mnist", "--role", "editor",
              "--description", "laptop"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    secret = _secret(result.output)
    assert "will not be shown again" in result.output
    assert "editor on project mnist" in result.output
    store = Store.open_home(home)
    try:
        assert store.authenticate(secret).user == "alice"
        assert store.get_project("mnist").name == "mnist"  # created with the token
    finally:
        store.close()
    listed = runner.invoke(app, ["token", "list"])
    assert listed.exit_code == 0 and "alice" in listed.output and "laptop" in listed.output
    assert secret not in listed.output


def test_server_wide_token_list_and_revoke(home: str) -> None:
    runner.invoke(app, ["token", "create", "--user", "root", "--role", "admin"])
    runner.invoke(app, ["token", "create", "--user", "bob", "--project", "cifar"])
    listed = runner.invoke(app, ["token", "list"])
    assert "every project" in listed.output and "2 token(s)" in listed.output
    assert "viewer" in listed.output  # the default role
    only = runner.invoke(app, ["token", "list", "--project", "cifar"])
    assert "bob" in only.output and "root" not in only.output

    revoked = runner.invoke(app, ["token", "revoke", "1"])
    assert revoked.exit_code == 0 and "revoked token 1 (root" in revoked.output
    assert "root" not in runner.invoke(app, ["token", "list"]).output
    assert "root" in runner.invoke(app, ["token", "list", "--all"]).output


def test_errors_are_clear(home: str) -> None:
    unknown = runner.invoke(app, ["token", "revoke", "42"])
    assert unknown.exit_code == 2 and "no token with id 42" in unknown.output
    bad_role = runner.invoke(app, ["token", "create", "--user", "a", "--role", "owner"])
    assert bad_role.exit_code == 2 and "viewer, editor, admin" in bad_role.output
    bad_url = runner.invoke(app, ["token", "list", "--store", "not a url"])
    assert bad_url.exit_code == 2 and "not a database URL" in bad_url.output


def test_store_url_is_the_servers_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    result = runner.invoke(app, ["token", "create", "--user", "ci", "--store", url])
    assert result.exit_code == 0, result.output
    store = Store.open(url, artifacts_url=str(tmp_path / "artifacts"))
    try:
        assert store.authenticate(_secret(result.output)).project is None
    finally:
        store.close()
