"""Run the server: ``serve(...)`` for ``cairn server`` and ``cairn ui``, and
``app_from_env``, the app factory that each uvicorn worker imports when there are several.
"""

from __future__ import annotations

import json
import os
import sys

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from cairn.errors import ConfigError
from cairn.server.app import create_app
from cairn.store.store import Store

__all__ = ["WORKER_CONFIG_ENV", "app_from_env", "serve"]

WORKER_CONFIG_ENV = "_CAIRN_SERVER_WORKER_CONFIG"
"""How ``serve`` hands its arguments to worker processes (JSON). Private: not a setting a
person sets, so it is not declared in settings.py."""


GRACEFUL_SHUTDOWN_S = 5
"""How long a stopping server lets open requests finish. Live streams (SSE) last until
their client leaves: without a limit, Ctrl-C would wait for every open dashboard tab.
Browsers reconnect on their own."""


def serve(
    store_url: str,
    artifacts_url: str,
    host: str,
    port: int,
    *,
    auth: bool = False,
    workers: int = 1,
) -> None:
    """Open the store (creating or upgrading its schema) and serve the API until stopped
    (Ctrl-C or SIGTERM). With ``auth``, every /api/v1 request needs a token; with
    ``workers`` > 1, that many uvicorn processes share the port, each with its own store
    connections. Raises SchemaOutdated, InvalidInput from opening the store.

    Example: ``serve("sqlite:///runs/cairn.db", "runs/artifacts", "127.0.0.1", 5000)``.
    """
    # Migrations run here, once, before any worker starts: workers only check the schema.
    store = Store.open(store_url, artifacts_url=artifacts_url)
    try:
        if auth and not store.list_tokens():
            print(_no_token_hint(store_url), file=sys.stderr, flush=True)
        if workers > 1:
            store.close()
            _serve_workers(store_url, artifacts_url, host, port, auth=auth, workers=workers)
        else:
            uvicorn.run(
                create_app(store, auth=auth),
                host=host,
                port=port,
                log_level="info",
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            )
    finally:
        store.close()


def _serve_workers(
    store_url: str, artifacts_url: str, host: str, port: int, *, auth: bool, workers: int
) -> None:
    config = {"store": store_url, "artifacts": artifacts_url, "auth": auth}
    os.environ[WORKER_CONFIG_ENV] = json.dumps(config)
    try:
        uvicorn.run(
            f"{__name__}:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
    finally:
        os.environ.pop(WORKER_CONFIG_ENV, None)


def app_from_env() -> FastAPI:
    """The app of one worker of ``serve(..., workers=N)``, configured by its parent
    through ``_CAIRN_SERVER_WORKER_CONFIG``. Raises ConfigError when that is missing,
    SchemaOutdated when the store's schema is behind (the parent upgrades it first)."""
    raw = os.environ.get(WORKER_CONFIG_ENV)
    if not raw:
        raise ConfigError(
            f"{WORKER_CONFIG_ENV} is not set: this factory serves the workers of "
            "`cairn server --workers N`; start the server with that command"
        )
    config = json.loads(raw)
    store = Store.open(config["store"], artifacts_url=config["artifacts"], create=False)
    return create_app(store, auth=bool(config["auth"]))


def _no_token_hint(store_url: str) -> str:
    # The URL may hold a database password: never print it.
    shown = make_url(store_url).render_as_string(hide_password=True)
    return (
        "This server asks every request for an access token, and none exists yet. Create "
        f"the first one (an admin of every project) with:\n"
        f"  cairn token create --user YOU --role admin --store '{shown}'\n"
        "Clients send a token from CAIRN_TOKEN."
    )
