"""Run the server: ``serve(store_url, artifacts_url, host, port)`` (``cairn server``)."""

from __future__ import annotations

import uvicorn

from cairn.server.app import create_app
from cairn.store.store import Store

__all__ = ["serve"]


def serve(store_url: str, artifacts_url: str, host: str, port: int) -> None:
    """Open the store (creating or upgrading its schema) and serve the API until stopped
    (Ctrl-C or SIGTERM). Raises SchemaOutdated, InvalidInput from opening the store.

    Example: ``serve("sqlite:///runs/cairn.db", "runs/artifacts", "127.0.0.1", 5000)``.
    """
    store = Store.open(store_url, artifacts_url=artifacts_url)
    try:
        uvicorn.run(create_app(store), host=host, port=port, log_level="info")
    finally:
        store.close()
