"""Which backend a client uses: the embedded store, a team server, or offline.

``CAIRN_URL`` (or ``url=``) picks the server; ``CAIRN_MODE=offline`` (or ``mode=``) keeps
runs in their outbox for ``cairn sync``. One backend per process and destination, so that
every run of a process shares its connection pool or its store engine.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING, Literal

from cairn.client.backends.base import Backend
from cairn.client.backends.local import LocalBackend
from cairn.client.home import find_home, open_store
from cairn.errors import ConfigError
from cairn.settings import Settings

if TYPE_CHECKING:
    from cairn.client.backends.http import HttpBackend

__all__ = ["Mode", "connect"]

Mode = Literal["online", "offline"]

_backends: dict[tuple[str | None, str | None, str, bool], HttpBackend] = {}
_lock = threading.Lock()


def connect(
    settings: Settings,
    *,
    home: str | os.PathLike[str] | None = None,
    url: str | None = None,
    mode: str | None = None,
) -> Backend:
    """The backend for these settings; explicit arguments win over ``CAIRN_*``.

    >>> import tempfile
    >>> type(connect(Settings(), home=tempfile.mkdtemp())).__name__
    'LocalBackend'
    >>> type(connect(Settings(), home=tempfile.mkdtemp(), mode="offline")).__name__
    'HttpBackend'
    """
    mode = mode or settings.mode
    if mode not in ("online", "offline"):
        raise ConfigError(f"mode must be 'online' or 'offline', not {mode!r} (CAIRN_MODE)")
    url = url or settings.url
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{url!r} is not a server address; give one like http://host:5000")
    folder = os.path.abspath(os.fspath(home) if home else find_home(settings))
    offline = mode == "offline"
    if url is None and not offline:
        return LocalBackend(open_store(folder, settings))
    # Imported here: httpx, tenacity and the outbox are for team servers only, and every
    # `import cairn` (each training script) would pay for them otherwise.
    from cairn.client.backends.http import HttpBackend

    key = (url, settings.token, folder, offline)
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            if not _backends:
                # Registered before any run's own atexit hook, so it runs after them
                # (atexit is last in, first out): runs deliver, then connections close.
                atexit.register(_close_all)
            backend = _backends[key] = HttpBackend(
                url, token=settings.token, home=folder, offline=offline
            )
        return backend


def _close_all() -> None:
    with _lock:
        for backend in _backends.values():
            backend.close()
        _backends.clear()
