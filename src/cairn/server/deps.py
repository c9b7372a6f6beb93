"""Dependencies shared by the routes: the store, and a run looked up by its reference."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Query, Request

from cairn.store.records import RunRecord
from cairn.store.store import Store

__all__ = ["RunDep", "StoreDep", "get_run", "get_store"]


def get_store(request: Request) -> Store:
    """The store that ``create_app`` put on ``app.state``."""
    return cast(Store, request.app.state.store)


StoreDep = Annotated[Store, Depends(get_store)]


def get_run(
    ref: str,
    store: StoreDep,
    project: Annotated[
        str | None, Query(description="the run's project, when a key names runs in several")
    ] = None,
) -> RunRecord:
    """The run named by the ``{ref}`` path parameter: a key (``MNIST-42``) or a UUID.

    Raises RunNotFound, and InvalidInput when a key names runs in several projects."""
    return store.get_run(ref, project=project)


RunDep = Annotated[RunRecord, Depends(get_run)]
