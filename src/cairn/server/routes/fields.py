"""GET /runs/{ref}/fields: a run's single values."""

from __future__ import annotations

from fastapi import APIRouter

from cairn.server.deps import RunDep, StoreDep
from cairn.server.encode import json_safe
from cairn.server.schemas import ErrorBody, FieldList

__all__ = ["router"]

router = APIRouter(tags=["fields"])


@router.get("/runs/{ref}/fields", responses={404: {"model": ErrorBody}})
def read_fields(run: RunDep, store: StoreDep) -> FieldList:
    """Every field of the run as ``{path: value}`` (not ``sys/``, series or files; the
    run record has ``sys/``), and each one's kind. Non-finite floats are "NaN",
    "Infinity", "-Infinity"; times are ISO-8601 UTC strings: ``kinds`` tells them apart
    from strings that read the same."""
    safe = json_safe(store.read_fields(run.id))
    assert isinstance(safe, dict)
    return FieldList(fields=safe, kinds=store.field_kinds(run.id))
