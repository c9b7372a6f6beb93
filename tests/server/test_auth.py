"""Access control: every /api/v1 route asks for a token, and the token's project and role
decide. In process over SQLite and PostgreSQL, then a real `cairn server` on loopback."""

from __future__ import annotations

import hashlib
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.conftest import free_port, wait_until_serving
from typer.testing import CliRunner

from cairn import wire
from cairn.cli import app as cli_app
from cairn.ops import SetOp
from cairn.server.app import create_app
from cairn.store.records import RunRecord
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath

pytestmark = pytest.mark.anyio

BLOB = "0" * 64


@dataclass
class World:
    """Two projects with one run each, and a token of every kind."""

    store: Store
    mnist_run: RunRecord
    cifar_run: RunRecord
    secrets: dict[str, str]
    ids: dict[str, int]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[name]}"}


@pytest.fixture
def world(store: Store) -> World:
    mnist_run = store.create_run("mnist", name="a")
    cifar_run = store.create_run("cifar", name="b")
    kinds = {
        "mnist_viewer": ("mnist", "viewer"),
        "mnist_editor": ("mnist", "editor"),
        "mnist_admin": ("mnist", "admin"),
        "cifar_admin": ("cifar", "admin"),
        "any_viewer": (None, "viewer"),
        "any_editor": (None, "editor"),
        "any_admin": (None, "admin"),
        "revoked": ("mnist", "admin"),
    }
    secrets: dict[str, str] = {}
    ids: dict[str, int] = {}
    for name, (project, role) in kinds.items():
        new = store.create_token(user=name, role=role, project=project)
        secrets[name], ids[name] = new.secret, new.record.id
    store.revoke_token(ids["revoked"])
    return World(store, mnist_run, cifar_run, secrets, ids)


@pytest.fixture
def app(world: World) -> FastAPI:
    return create_app(world.store, auth=True)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cairn.test") as client:
        yield client


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) of the API, from its OpenAPI description."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if method.upper() in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}:
                found.append((method.upper(), path))
    return found


def _fill(template: str, world: World, *, run_id: str | None = None) -> str:
    values = {
        "project": "mnist",
        "ref": world.mnist_run.key,
        "run_id": run_id or world.mnist_run.id,
        "sha256": BLOB,
        "path": "model",
        "token_id": str(world.ids["mnist_viewer"]),
    }
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "x"), template)


def _headers(response: httpx.Response) -> dict[str, str]:
    # The length differs with the length of the reference echoed in the message.
    return {k: v for k, v in response.headers.items() if k != "content-length"}


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text)
    if response.request.method == "HEAD":
        return {}
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


async def test_every_route_asks_for_a_token(http: httpx.AsyncClient, world: World) -> None:
    routes = _routes(http._transport.app)  # type: ignore[attr-defined]
    # The routes this module knows must be there; any route added later is checked too.
    paths = {path for _, path in routes}
    assert {
        "/api/v1/projects",
        "/api/v1/runs/{ref}",
        "/api/v1/runs/{run_id}/ops",
        "/api/v1/blobs/{sha256}",
        "/api/v1/projects/{project}/tokens/{token_id}",
    } <= paths
    for method, template in routes:
        url = _fill(template, world)
        for headers in (
            {},
            {"Authorization": "Basic YWxpY2U6cHc="},
            {"Authorization": "Bearer cairn_not-a-token"},
            {"Authorization": "Bearer not-even-cairn"},
            world.auth("revoked"),
        ):
            response = await http.request(method, url, headers=headers, json={})
            _error(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer", (method, url)


async def test_docs_stay_public(http: httpx.AsyncClient) -> None:
    assert (await http.get("/openapi.json")).status_code == 200
    assert (await http.get("/docs")).status_code == 200
    schemes = (await http.get("/openapi.json")).json()["components"]["securitySchemes"]
    assert schemes["token"]["scheme"].lower() == "bearer"


async def test_every_project_route_refuses_a_token_of_another_project(
    http: httpx.AsyncClient, world: World
) -> None:
    """An admin of cifar reaches nothing of mnist, whatever the route and method."""
    checked = 0
    for method, template in _routes(http._transport.app):  # type: ignore[attr-defined]
        if not re.search(r"\{(project|ref|run_id)\}", template):
            continue
        response = await http.request(
            method, _fill(template, world), headers=world.auth("cifar_admin"), json={}
        )
        _error(response, 403, "forbidden")
        checked += 1
    assert checked >= 10


async def test_a_missing_run_looks_like_a_run_of_another_project(
    http: httpx.AsyncClient, world: World
) -> None:
    headers = world.auth("cifar_admin")
    answers = []
    for ref in (world.mnist_run.key, "MNIST-99", world.mnist_run.id, str(uuid.uuid4())):
        response = await http.get(f"/api/v1/runs/{ref}", headers=headers)
        error = _error(response, 403, "forbidden")
        answers.append((_headers(response), error["message"].replace(ref, "REF")))
    for run_id in (world.mnist_run.id, str(uuid.uuid4())):
        response = await http.post(f"/api/v1/runs/{run_id}/ops", headers=headers, json={"ops": []})
        error = _error(response, 403, "forbidden")
        answers.append((_headers(response), error["message"].replace(run_id, "REF")))
    assert all(a == answers[0] for a in answers), answers
    # Its own project's runs are there for it.
    assert (await http.get(f"/api/v1/runs/{world.cifar_run.key}", headers=headers)).is_success


async def test_roles_of_a_project_token(http: httpx.AsyncClient, world: World) -> None:
    run = f"/api/v1/runs/{world.mnist_run.key}"
    ops = {"ops": wire.encode_ops([SetOp(FieldPath("a"), FieldKind.INT, 1, seq=1)])}
    viewer, editor, admin = (world.auth(f"mnist_{r}") for r in ("viewer", "editor", "admin"))

    assert (await http.get(run, headers=viewer)).status_code == 200
    assert (await http.get(f"{run}/series", headers=viewer)).status_code == 200
    error = _error(await http.patch(run, headers=viewer, json={"name": "x"}), 403, "forbidden")
    assert "editor" in error["message"] and "cairn token create" in error["message"]
    _error(
        await http.post(f"/api/v1/runs/{world.mnist_run.id}/ops", headers=viewer, json=ops),
        403,
        "forbidden",
    )
    _error(
        await http.post("/api/v1/projects/mnist/runs", headers=viewer, json={}), 403, "forbidden"
    )

    assert (await http.patch(run, headers=editor, json={"name": "x"})).json()["name"] == "x"
    posted = await http.post(f"/api/v1/runs/{world.mnist_run.id}/ops", headers=editor, json=ops)
    assert posted.status_code == 200 and posted.json()["applied"] == 1
    assert (await http.post("/api/v1/projects/mnist/runs", headers=editor, json={})).is_success
    _error(
        await http.post("/api/v1/projects/cifar/runs", headers=editor, json={}), 403, "forbidden"
    )
    _error(await http.post("/api/v1/projects/new/runs", headers=editor, json={}), 403, "forbidden")

    for who in (viewer, editor):
        _error(await http.get("/api/v1/projects/mnist/tokens", headers=who), 403, "forbidden")
    assert (await http.get("/api/v1/projects/mnist/tokens", headers=admin)).status_code == 200
    assert (await http.patch(run, headers=admin, json={"name": "y"})).status_code == 200


async def test_server_wide_tokens_reach_every_project(
    http: httpx.AsyncClient, world: World
) -> None:
    viewer, editor = world.auth("any_viewer"), world.auth("any_editor")
    for run in (world.mnist_run, world.cifar_run):
        assert (await http.get(f"/api/v1/runs/{run.key}", headers=viewer)).status_code == 200
        _error(
            await http.patch(f"/api/v1/runs/{run.key}", headers=viewer, json={}), 403, "forbidden"
        )
        assert (await http.patch(f"/api/v1/runs/{run.key}", headers=editor, json={})).is_success
    # Everything is visible to it anyway: a missing run is a plain 404.
    _error(await http.get("/api/v1/runs/MNIST-99", headers=viewer), 404, "run_not_found")
    created = await http.post("/api/v1/projects/brand-new/runs", headers=editor, json={})
    assert created.status_code == 201
    _error(await http.get("/api/v1/projects/mnist/tokens", headers=editor), 403, "forbidden")
    assert (
        await http.get("/api/v1/projects/mnist/tokens", headers=world.auth("any_admin"))
    ).is_success


async def test_projects_list_shows_what_the_token_reaches(
    http: httpx.AsyncClient, world: World
) -> None:
    async def names(token: str) -> list[str]:
        response = await http.get("/api/v1/projects", headers=world.auth(token))
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["projects"]]

    assert await names("mnist_viewer") == ["mnist"]
    assert await names("cifar_admin") == ["cifar"]
    assert await names("any_viewer") == ["cifar", "mnist"]
    _error(
        await http.get("/api/v1/projects/cifar", headers=world.auth("mnist_admin")),
        403,
        "forbidden",
    )


async def test_blobs_need_an_editor_somewhere_to_upload(
    http: httpx.AsyncClient, world: World
) -> None:
    data = b"weights"
    sha = hashlib.sha256(data).hexdigest()
    url = f"/api/v1/blobs/{sha}"
    _error(await http.put(url, content=data, headers=world.auth("mnist_viewer")), 403, "forbidden")
    _error(await http.put(url, content=data, headers=world.auth("any_viewer")), 403, "forbidden")
    assert (await http.head(url, headers=world.auth("mnist_viewer"))).status_code == 404
    stored = await http.put(url, content=data, headers=world.auth("mnist_editor"))
    assert stored.status_code == 200 and stored.json()["sha256"] == sha
    assert (await http.head(url, headers=world.auth("cifar_admin"))).status_code == 200


async def test_admins_manage_the_tokens_of_their_project(
    http: httpx.AsyncClient, world: World
) -> None:
    admin = world.auth("mnist_admin")
    created = await http.post(
        "/api/v1/projects/mnist/tokens",
        headers=admin,
        json={"user": "carol", "role": "editor", "description": "cluster"},
    )
    assert created.status_code == 201, created.text
    secret, info = created.json()["token"], created.json()["info"]
    assert secret.startswith("cairn_") and info["project"] == "mnist" and info["role"] == "editor"
    carol = {"Authorization": f"Bearer {secret}"}
    assert (
        await http.patch(f"/api/v1/runs/{world.mnist_run.key}", headers=carol, json={})
    ).is_success

    listed = await http.get("/api/v1/projects/mnist/tokens", headers=admin)
    users = [t["user"] for t in listed.json()["tokens"]]
    # The project's live tokens only: no server-wide ones, no revoked ones, and no secrets.
    assert users == ["mnist_viewer", "mnist_editor", "mnist_admin", "carol"]
    assert secret not in listed.text and "token_hash" not in listed.text
    assert all(set(t) >= {"id", "user", "role", "last_used_at"} for t in listed.json()["tokens"])
    everything = await http.get(
        "/api/v1/projects/mnist/tokens", headers=admin, params={"include_revoked": True}
    )
    assert "revoked" in [t["user"] for t in everything.json()["tokens"]]

    # Not the tokens of another project, and not through another project's path.
    cifar_id = world.ids["cifar_admin"]
    _error(
        await http.delete(f"/api/v1/projects/mnist/tokens/{cifar_id}", headers=admin),
        404,
        "token_not_found",
    )
    _error(
        await http.delete(f"/api/v1/projects/cifar/tokens/{cifar_id}", headers=admin),
        403,
        "forbidden",
    )
    _error(
        await http.post(
            "/api/v1/projects/mnist/tokens", headers=admin, json={"user": "x", "role": "owner"}
        ),
        400,
        "invalid_input",
    )

    revoked = await http.delete(f"/api/v1/projects/mnist/tokens/{info['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    error = _error(await http.get("/api/v1/projects", headers=carol), 401, "unauthorized")
    assert "revoked" in error["message"]


async def test_without_auth_nothing_is_asked(world: World) -> None:
    transport = httpx.ASGITransport(app=create_app(world.store))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        names = [p["name"] for p in (await client.get("/api/v1/projects")).json()["projects"]]
        assert names == ["cifar", "mnist"]
        assert (await client.get("/api/v1/projects/mnist/tokens")).status_code == 200


# -- a real `cairn server` ------------------------------------------------------------------


def _cairn(*args: str, log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "wb")  # the child keeps its own handle
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "cairn.cli", *args], stdout=out, stderr=subprocess.STDOUT
        )
    finally:
        out.close()


def _stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`cairn server` with two workers over a SQLite store that has no token yet."""
    db = f"sqlite:///{tmp_path / 'cairn.db'}"
    port = free_port()
    log = tmp_path / "server.log"
    process = _cairn(
        "server",
        "--store",
        db,
        "--artifacts",
        str(tmp_path / "artifacts"),
        "--port",
        str(port),
        "--workers",
        "2",
        log=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log, path="/openapi.json")
        yield url, db, log
    finally:
        _stop(process, log)


@pytest.mark.slow
def test_real_server_asks_for_tokens(served: tuple[str, str, Path], tmp_path: Path) -> None:
    url, db, log = served
    assert "cairn token create" in log.read_text()  # no token yet: it says how to make one
    with httpx.Client(base_url=url, timeout=10) as http:
        refused = http.get("/api/v1/projects")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"]["code"] == "unauthorized"

        # A token made by the CLI while the server runs works at once, in every worker.
        made = CliRunner().invoke(
            cli_app,
            [
                "token",
                "create",
                "--user",
                "ci",
                "--project",
                "served",
                "--role",
                "editor",
                "--store",
                db,
            ],
        )
        assert made.exit_code == 0, made.output
        secret = next(w for w in made.output.split() if w.startswith("cairn_"))
        headers = {"Authorization": f"Bearer {secret}"}
        for _ in range(4):
            listed = http.get("/api/v1/projects", headers=headers)
            assert listed.status_code == 200 and listed.json()["projects"][0]["name"] == "served"
        created = http.post("/api/v1/projects/served/runs", headers=headers, json={"name": "r"})
        assert created.status_code == 201 and created.json()["key"] == "SERVED-1"
        other = http.post("/api/v1/projects/other/runs", headers=headers, json={})
        assert other.status_code == 403
    assert secret not in log.read_text()  # never logged


@pytest.mark.slow
def test_no_auth_refuses_a_public_address_unless_insecure(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cairn.db'}"
    artifacts = str(tmp_path / "artifacts")
    refused = CliRunner().invoke(
        cli_app,
        ["server", "--store", db, "--artifacts", artifacts, "--host", "0.0.0.0", "--no-auth"],
    )
    assert refused.exit_code == 2
    message = " ".join(refused.output.split())
    assert "without authentication" in message and "read and change every run" in message
    assert "--insecure" in message
    assert not (tmp_path / "cairn.db").exists()  # refused before opening anything

    port = free_port()
    log = tmp_path / "server.log"
    process = _cairn(
        "server",
        "--store",
        db,
        "--artifacts",
        artifacts,
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--no-auth",
        "--insecure",
        log=log,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process, log, path="/openapi.json")
        assert httpx.get(f"{url}/api/v1/projects", timeout=10).status_code == 200
    finally:
        _stop(process, log)
    assert "without authentication" in log.read_text()
