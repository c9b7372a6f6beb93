"""The dashboard: the Vite build of ``web/`` served at ``/``, beside the API.

It answers what no route does (the router's default handler), so the API, ``/docs`` and
any route added later always come first. Hashed assets (``/assets/index-3f2a.js``) never
change under one name, so browsers keep them for a year; ``index.html`` is revalidated
on every load, so a new build shows at once. Any other GET outside ``/api/`` answers
``index.html`` and the dashboard's router draws the view, so a copied address opens the
same view. Without a build, those GETs get a page saying how to make one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BUILD_FOLDER", "Dashboard", "install_dashboard"]

BUILD_FOLDER = Path(__file__).with_name("dashboard_dist")
"""Where ``make web`` (``npm run build`` in web/) writes the dashboard; packaged in the wheel."""

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cairn: dashboard not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}code,pre{background:#8882;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>The dashboard is not built</h1>
<p>This Cairn comes from a source checkout without the dashboard's build. Build it (it
needs Node.js 20 or newer) and reload this page:</p>
<pre>make web        # npm ci and npm run build in web/</pre>
<p>The REST API works without it: <a href="/api/v1/projects">/api/v1/projects</a>,
documented at <a href="/docs">/docs</a>.</p></body></html>
"""


class Dashboard:
    """An ASGI app serving the build in ``folder``; what it does not serve (other methods,
    ``/api/`` addresses, missing assets) goes to ``fallback``, the router's 404."""

    def __init__(self, fallback: ASGIApp, folder: Path = BUILD_FOLDER) -> None:
        self.fallback = fallback
        self.root = folder.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.respond(Request(scope)) if scope["type"] == "http" else None
        if response is None:
            await self.fallback(scope, receive, send)
        else:
            await response(scope, receive, send)

    def respond(self, request: Request) -> Response | None:
        """The answer to ``request``, or None for the fallback."""
        path = request.url.path.lstrip("/")
        if request.method not in ("GET", "HEAD") or path == "api" or path.startswith("api/"):
            return None  # an unknown API address gets the API's JSON 404, never the dashboard
        target = (self.root / path).resolve()
        if target.is_relative_to(self.root) and target.is_file() and target.name != "index.html":
            hashed = target.parent == self.root / "assets"
            cache = IMMUTABLE if hashed else REVALIDATE
            return FileResponse(target, headers={"Cache-Control": cache})
        if path.startswith("assets/"):
            return None  # index.html in place of a missing script would fail obscurely
        page = self.root / "index.html"
        if not page.is_file():
            return HTMLResponse(_NOT_BUILT, status_code=503, headers={"Cache-Control": REVALIDATE})
        return FileResponse(page, media_type="text/html", headers={"Cache-Control": REVALIDATE})


def install_dashboard(app: FastAPI, folder: Path = BUILD_FOLDER) -> None:
    """Serve the dashboard's build from ``folder`` at ``/`` of ``app``, for every GET that
    no route of ``app`` answers (routes added later included)."""
    app.router.default = Dashboard(app.router.default, folder)
