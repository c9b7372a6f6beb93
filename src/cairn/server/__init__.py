"""The Cairn server: the /api/v1 REST API over a Store (see ``app.create_app``)."""

from __future__ import annotations

from cairn.server.app import create_app

__all__ = ["create_app"]
