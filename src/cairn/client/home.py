"""Find the embedded store: ``CAIRN_HOME``, else the nearest ``.cairn/`` upwards, else new."""

from __future__ import annotations

import os
import threading

from cairn.settings import Settings
from cairn.store.store import Store

__all__ = ["find_home", "open_store"]

_stores: dict[tuple[str, float], Store] = {}
_lock = threading.Lock()


def find_home(settings: Settings, start: str | None = None) -> str:
    """The store folder to use, like git finds ``.git``.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> find_home(Settings(), start=d) == os.path.join(d, ".cairn")
    True
    """
    if settings.home:
        return os.path.abspath(settings.home)
    here = os.path.abspath(start or os.getcwd())
    folder = here
    while True:
        candidate = os.path.join(folder, ".cairn")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.join(here, ".cairn")
        folder = parent


def open_store(home: str, settings: Settings) -> Store:
    """The store in ``home``, opened once per process: its engine and pool are shared by
    every run of the process, so that a second ``init()`` costs no schema check."""
    key = (os.path.abspath(home), settings.stale_after_s)
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = Store.open_home(home, stale_after_s=settings.stale_after_s)
        return store
