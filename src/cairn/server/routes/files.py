"""Files of a run (list, download) and blobs (upload before the ops that name them)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from cairn.errors import InvalidInput
from cairn.server.deps import RunDep, StoreDep
from cairn.server.schemas import BlobStored, ErrorBody, FileInfo, FileList

__all__ = ["router"]

router = APIRouter(tags=["files"])

BLOCK_BYTES = 1024 * 1024
Sha256 = Annotated[
    str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes, 64 lowercase hex")
]
_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


class CorruptDownload(RuntimeError):
    """A blob's bytes did not match its SHA-256 while they were being sent."""


# A stored mime type came from a client: only a plain type/subtype goes into a header.
_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")


@router.get("/runs/{ref}/files", responses=_ERRORS)
def list_files(run: RunDep, store: StoreDep) -> FileList:
    """Every file uploaded to the run, by path."""
    return FileList(files=[FileInfo.of(f) for f in store.list_files(run.id)])


@router.get(
    "/runs/{ref}/files/{path:path}",
    response_class=StreamingResponse,
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def download_file(
    path: str,
    run: RunDep,
    store: StoreDep,
    inline: Annotated[bool, Query(description="show in the browser, not as a download")] = False,
) -> StreamingResponse:
    """The file's bytes, streamed from the artifact store and checked against their
    SHA-256 on the way (a corrupt blob ends the transfer early instead of completing).
    Served with a sandboxing Content-Security-Policy: a logged HTML file cannot run
    scripts with the dashboard's origin."""
    record = store.get_file(run.id, path)
    stack = ExitStack()
    # Opened before the response starts, so a missing blob is a 404, not a cut transfer.
    source = stack.enter_context(store.artifacts.open_blob(record.sha256))
    mime = record.mime if _MIME.match(record.mime) else "application/octet-stream"
    # No Content-Length from the record: its size came from a client (a blob reference in
    # an op) and a wrong one would break the response mid-way. Chunked it is.
    headers = {
        "Content-Disposition": _disposition("inline" if inline else "attachment", record.name),
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{record.sha256}"',
    }
    return StreamingResponse(
        _verified_blocks(source, record.sha256, stack),
        media_type=mime,
        headers=headers,
    )


def _verified_blocks(source: IO[bytes], sha256: str, stack: ExitStack) -> Iterator[bytes]:
    """The blob's blocks, holding back the last one until the whole hash is checked;
    closes ``stack`` (which holds ``source``) however the transfer ends."""
    with stack:
        digest = hashlib.sha256()
        held = b""
        while block := source.read(BLOCK_BYTES):
            digest.update(block)
            if held:
                yield held
            held = block
    if digest.hexdigest() != sha256:
        # Too late for an error response: the status line is sent. Not a CairnError, so
        # that no handler tries to answer; the server drops the connection, and the
        # client sees a short body instead of corrupt bytes passed off as complete.
        raise CorruptDownload(f"artifact {sha256} is corrupt: its bytes no longer match")
    if held:
        yield held


def _disposition(kind: str, name: str) -> str:
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:200] or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.head("/blobs/{sha256}", responses={404: {"description": "not stored"}})
def blob_exists(sha256: Sha256, store: StoreDep) -> Response:
    """200 when the blob is stored (a client skips the upload), else 404."""
    return Response(status_code=200 if store.artifacts.exists(sha256) else 404)


@router.put("/blobs/{sha256}", responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody}})
async def upload_blob(sha256: Sha256, request: Request, store: StoreDep) -> BlobStored:
    """Store the raw request body as a blob. Its SHA-256 must equal ``{sha256}`` (else
    400, nothing stored); storing the same bytes twice stores them once. The body is
    streamed to a temporary file, so its size is not bound by memory."""
    fd, temp = tempfile.mkstemp(prefix="cairn-upload-")
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as target:
            async for chunk in request.stream():
                digest.update(chunk)
                target.write(chunk)  # local disk, page cache: not worth a thread hop
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise InvalidInput(
                f"the uploaded bytes hash to {digest.hexdigest()}, not {sha256}; "
                "the upload was damaged or the digest is wrong, nothing was stored"
            )
        blob = await run_in_threadpool(store.artifacts.put_file, temp)
    finally:
        os.unlink(temp)
    return BlobStored(sha256=blob.sha256, size_bytes=size)
