"""POST /runs/{run_id}/ops: the ingestion endpoint the HTTP client sends its batches to."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from cairn import wire
from cairn.errors import InvalidInput
from cairn.file import File
from cairn.ops import AppendOp, Op, UploadOp
from cairn.server.deps import StoreDep
from cairn.server.schemas import ErrorBody, OpsBatch, OpsResult
from cairn.store.store import Store

__all__ = ["router"]

router = APIRouter(tags=["ops"])


@router.post(
    "/runs/{run_id}/ops",
    responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 413: {"model": ErrorBody}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": OpsBatch.model_json_schema()}},
        }
    },
)
async def post_ops(run_id: str, request: Request, store: StoreDep) -> OpsResult:
    """Apply a batch of ops (``{"ops": [...]}``, as ``cairn.wire.encode_ops`` writes them)
    in one transaction. Idempotent: ops at or below the run's ``last_seq`` are skipped,
    so a batch sent twice is stored once. A malformed batch is refused whole (400).
    ``stop_requested`` in the answer tells the client that someone asked the run to stop."""
    body = await request.body()
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    limit: int = request.app.state.max_body_bytes
    return await run_in_threadpool(_ingest, store, run_id, body, encoding, limit)


def _ingest(store: Store, run_id: str, body: bytes, encoding: str, limit: int) -> OpsResult:
    if encoding == "gzip":
        body = _gunzip(body, limit)
    elif encoding != "identity":
        raise HTTPException(415, f"Content-Encoding {encoding!r} is not supported; use gzip")
    ops = _decode(body)
    result = store.apply_ops(run_id, ops)
    return OpsResult(
        applied=result.applied,
        skipped_seen=result.skipped_seen,
        last_seq=result.last_seq,
        rejected=list(result.rejected),
        stop_requested=result.stop_requested,
    )


def _gunzip(body: bytes, limit: int) -> bytes:
    # Bounded: a few kilobytes of gzip can expand to gigabytes.
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InvalidInput(f"the body is not valid gzip: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise HTTPException(413, f"the uncompressed body is larger than {limit} bytes")
    if not inflater.eof:
        raise InvalidInput("the gzip body is truncated")
    return out


def _decode(body: bytes) -> list[Op]:
    try:
        payload: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict) or "ops" not in payload:
        raise InvalidInput('the body must be a JSON object {"ops": [...]}')
    try:
        ops = wire.decode_ops(payload["ops"])
    except InvalidInput:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        # decode_ops names most faults itself; this catches the shapes it does not
        # expect (say, a track_files entry that is not a triple), so they stay a 400.
        raise InvalidInput(f"ops: malformed op ({exc})") from exc
    for op in ops:
        _refuse_server_files(op)
    return ops


def _refuse_server_files(op: Op) -> None:
    """Files over HTTP must be references to uploaded blobs: a ``source`` path would make
    the server read its own disk on a client's behalf."""
    files: list[Any] = []
    if isinstance(op, UploadOp):
        files = [op.file]
    elif isinstance(op, AppendOp):
        files = list(op.values)
    for file in files:
        if isinstance(file, File) and file.sha256 is None:
            raise InvalidInput(f"{file.name}: upload the bytes to /api/v1/blobs first")
