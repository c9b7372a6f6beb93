"""GET /runs/{ref}/file-series/{path}?step=N: the bytes of one entry of a file series.

A file series (``run["eval/images"].log(cairn.File(...))``) reads back through
``GET /runs/{ref}/series/{path}`` as file references (``sha256``, ``name``, ``mime``,
``size_bytes``) per step; this route downloads the one at a step, within the run, so the
access check knows its project (a blob route would belong to no project).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from cairn.errors import FieldNotFound, InvalidInput
from cairn.server.deps import RunDep, StoreDep
from cairn.server.routes.files import _MIME, _disposition, _verified_blocks
from cairn.server.schemas import ErrorBody
from cairn.types import SeriesKind

__all__ = ["router"]

router = APIRouter(tags=["series"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


@router.get(
    "/runs/{ref}/file-series/{path:path}",
    response_class=StreamingResponse,
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def download_series_file(
    path: str,
    run: RunDep,
    store: StoreDep,
    step: Annotated[float, Query(allow_inf_nan=False, description="the entry's step")],
    inline: Annotated[bool, Query(description="show in the browser, not as a download")] = False,
) -> StreamingResponse:
    """The file logged at ``step`` of the file series at ``path``, streamed and checked
    against its SHA-256 like a run's file, with the same sandboxing headers. 404
    ``field_not_found`` when the run has no series there or no entry at that step; 400
    ``invalid_input`` when the series holds numbers or strings."""
    page = store.read_series(run.id, path, step_min=step, step_max=step)
    if page.kind is not SeriesKind.FILE:
        raise InvalidInput(
            f"{path}: a {page.kind.value} series has no files; read its values with "
            f"GET /runs/{{ref}}/series/{path}"
        )
    if not page.values:
        raise FieldNotFound(f"{path}: no file at step {step:g}")
    ref: Any = page.values[0]
    sha256, name, mime = str(ref["sha256"]), str(ref["name"]), str(ref["mime"])
    stack = ExitStack()
    source = stack.enter_context(store.artifacts.open_blob(sha256))
    headers = {
        "Content-Disposition": _disposition("inline" if inline else "attachment", name),
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{sha256}"',
    }
    return StreamingResponse(
        _verified_blocks(source, sha256, stack),
        media_type=mime if _MIME.match(mime) else "application/octet-stream",
        headers=headers,
    )
