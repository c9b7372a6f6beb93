"""How the server hands out the dashboard's build: the SPA fallback, caching, the page
shown when there is no build, and the build inside a wheel."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cairn.server.app import create_app
from cairn.server.dashboard import BUILD_FOLDER, IMMUTABLE, REVALIDATE, install_dashboard
from cairn.server.errors import install_error_handlers
from cairn.store.store import Store

REPO = Path(__file__).resolve().parents[3]


def _app(folder: Path) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_dashboard(app, folder)
    return app


class Client:
    """Requests to an app in process (httpx over ASGI)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str) -> httpx.Response:
        return self.request("POST", path)

    def request(self, method: str, path: str) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://cairn.test") as c:
                return await c.request(method, path)

        # In a thread of its own: Playwright's sync API keeps an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(fetch())).result()


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A stand-in for web's build: index.html, one hashed asset, one plain file."""
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html><div id=root></div>")
    (folder / "assets" / "index-AbC123.js").write_text("console.log(1)")
    (folder / "robots.txt").write_text("User-agent: *")
    return folder


def test_views_get_index_html_and_assets_are_cached_for_good(build: Path) -> None:
    client = Client(_app(build))
    for path in ("/", "/projects/mnist", "/projects/mnist/runs/MNIST-1?tab=charts"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "<div id=root>" in answer.text
        assert answer.headers["cache-control"] == REVALIDATE
    asset = client.get("/assets/index-AbC123.js")
    assert asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == IMMUTABLE
    assert "javascript" in asset.headers["content-type"]
    assert client.get("/robots.txt").headers["cache-control"] == REVALIDATE


def test_missing_files_and_api_addresses_are_404_not_the_dashboard(build: Path) -> None:
    client = Client(_app(build))
    missing = client.get("/assets/index-gone.js")
    assert missing.status_code == 404
    posted = client.post("/projects/mnist")
    assert posted.status_code == 404  # the dashboard answers GETs only
    assert posted.json()["error"]["code"] == "not_found"
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
    # No way out of the build folder.
    (build.parent / "secret.txt").write_text("do-not-serve")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        assert "do-not-serve" not in client.get(path).text


def test_routes_come_first_even_when_added_later(build: Path) -> None:
    app = _app(build)

    @app.get("/later")
    def later() -> dict[str, str]:
        return {"route": "later"}

    client = Client(app)
    assert client.get("/later").json() == {"route": "later"}
    assert "<div id=root>" in client.get("/later/view").text


def test_without_a_build_the_page_says_how_to_make_one(tmp_path: Path) -> None:
    client = Client(_app(tmp_path / "nothing"))
    for path in ("/", "/projects/mnist"):
        answer = client.get(path)
        assert answer.status_code == 503
        assert "text/html" in answer.headers["content-type"]
        assert "make web" in answer.text


def test_the_app_serves_the_dashboard_beside_the_api(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}", artifacts_url=str(tmp_path / "a"))
    try:
        client = Client(create_app(store))
        assert client.get("/api/v1/projects").json() == {"projects": []}
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200
        home = client.get("/")
        assert home.status_code in (200, 503)  # 503: this checkout has no build
        assert "<html" in home.text.lower()
        paths = client.get("/openapi.json").json()["paths"]
        assert all(p.startswith("/api/v1/") for p in paths)
    finally:
        store.close()


@pytest.mark.slow
def test_a_wheel_carries_the_dashboard(tmp_path: Path) -> None:
    if not (BUILD_FOLDER / "index.html").is_file():
        pytest.fail(f"the dashboard is not built ({BUILD_FOLDER}): run `make web`")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = tmp_path.glob("cairn-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "cairn/server/dashboard_dist/index.html" in names
        index = archive.read("cairn/server/dashboard_dist/index.html").decode()
    assets = [n for n in names if n.startswith("cairn/server/dashboard_dist/assets/")]
    assert any(n.endswith(".js") for n in assets)
    for asset in assets:  # index.html names the assets that shipped
        if asset.endswith((".js", ".css")):
            assert asset.removeprefix("cairn/server/dashboard_dist") in index
    assert not any("node_modules" in n for n in names)
