"""ServerApi: the /api/v1 calls the client makes, with the server's errors as CairnErrors.

One ``httpx.Client`` (connection pooling, keep-alive) per backend. Answers are parsed into
the same records the embedded store returns, so that everything above the backend cannot
tell the two apart. A server that cannot be reached is a BackendError naming the address.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, TypeVar
from urllib.parse import quote

import httpx
import numpy as np
import orjson

import cairn
from cairn.errors import BackendError, CairnError, IntegrityError
from cairn.store.records import FileRecord, ProjectRecord, RunRecord, SeriesPage, SeriesRecord
from cairn.types import RunStatus, SeriesKind
from cairn.wire import decode_float

__all__ = ["ServerApi", "error_for"]

_R = TypeVar("_R")
_BLOCK = 1024 * 1024
_F64 = "application/octet-stream"


class ServerApi:
    """Typed calls to a Cairn server at ``url`` (``http://host:5000``), authenticated
    with ``token`` when given. Raises the CairnError the server named (RunNotFound,
    QuerySyntaxError, ...), or BackendError when the server cannot be reached.

    >>> api = ServerApi("http://127.0.0.1:9/")
    >>> api.base_url
    'http://127.0.0.1:9/api/v1'
    """

    def __init__(self, url: str, *, token: str | None = None, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.base_url = f"{self.url}/api/v1"
        headers = {"User-Agent": f"cairn/{cairn.__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=5.0),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServerApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call; a non-2xx answer raises the matching CairnError."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise BackendError(
                f"cannot reach the Cairn server at {self.url} ({exc.__class__.__name__}: "
                f"{exc}); is it running, and is CAIRN_URL right?"
            ) from exc
        if response.is_error:
            raise error_for(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return orjson.loads(self.request(method, path, **kwargs).content)

    # -- projects and runs -----------------------------------------------------------------

    def list_projects(self) -> list[ProjectRecord]:
        body = self._json("GET", "/projects")
        return [_project(p) for p in body["projects"]]

    def create_run(self, project: str, payload: Mapping[str, Any]) -> RunRecord:
        body = self._json("POST", f"/projects/{_segment(project)}/runs", json=dict(payload))
        return run_record(body)

    def get_run(self, ref: str, *, project: str | None = None) -> RunRecord:
        params = {} if project is None else {"project": project}
        return run_record(self._json("GET", f"/runs/{_segment(ref)}", params=params))

    def request_stop(self, ref: str, *, project: str | None = None) -> RunRecord:
        """Ask a running run to stop (its client sees it at the next heartbeat)."""
        params = {} if project is None else {"project": project}
        return run_record(self._json("POST", f"/runs/{_segment(ref)}/stop", params=params))

    def delete_run(self, run_id: str) -> None:
        self.request("DELETE", f"/runs/{_segment(run_id)}")

    def list_runs(
        self, project: str, *, filter: str, sort: str, limit: int | None, offset: int
    ) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """Run ids in table order, and each run's columns (sys/, fields, series summaries)."""
        params: dict[str, Any] = {"filter": filter, "sort": sort, "offset": offset}
        if limit is not None:
            params["limit"] = limit
        body = self._json("GET", f"/projects/{_segment(project)}/runs", params=params)
        ids = [row["id"] for row in body["runs"]]
        return ids, {row["id"]: row["columns"] for row in body["runs"]}

    def read_fields(self, run_id: str) -> dict[str, Any]:
        body = self._json("GET", f"/runs/{_segment(run_id)}/fields")
        kinds: dict[str, str] = body["kinds"]
        return {path: _field(kinds.get(path), value) for path, value in body["fields"].items()}

    def list_series(self, run_id: str) -> list[SeriesRecord]:
        body = self._json("GET", f"/runs/{_segment(run_id)}/series")
        return [_series(i, s) for i, s in enumerate(body["series"])]

    def read_series(
        self,
        run_id: str,
        path: str,
        *,
        max_points: int | None,
        step_min: float | None,
        step_max: float | None,
    ) -> SeriesPage:
        params = {
            k: v
            for k, v in (("max_points", max_points), ("step_min", step_min), ("step_max", step_max))
            if v is not None
        }
        response = self.request(
            "GET",
            f"/runs/{_segment(run_id)}/series/{_path(path)}",
            params=params,
            headers={"Accept": f"{_F64}, application/json;q=0.5"},
        )
        if response.headers.get("content-type", "").startswith(_F64):
            # A float series as raw float64 columns: ~10x less work than JSON both ends.
            count = int(response.headers["x-cairn-points"])
            columns = np.frombuffer(response.content, dtype="<f8")
            if columns.size != 3 * count:
                raise BackendError(f"{path}: the server sent a truncated series")
            return SeriesPage(
                path=path,
                kind=SeriesKind(response.headers["x-cairn-kind"]),
                steps=columns[:count].astype(np.float64),
                values=columns[count : 2 * count].astype(np.float64),
                timestamps=columns[2 * count :].astype(np.float64),
                total_count=int(response.headers["x-cairn-total-count"]),
            )
        body = orjson.loads(response.content)
        kind = SeriesKind(body["kind"])
        values: Any = body["values"]
        if kind is SeriesKind.FLOAT:
            values = _floats(values)
        return SeriesPage(
            path=body["path"],
            kind=kind,
            steps=np.asarray(body["steps"], dtype=np.float64),
            values=values,
            timestamps=np.asarray(body["timestamps"], dtype=np.float64),
            total_count=body["total_count"],
        )

    def list_files(self, run_id: str) -> list[FileRecord]:
        body = self._json("GET", f"/runs/{_segment(run_id)}/files")
        return [_file(f) for f in body["files"]]

    def download(self, run_id: str, file: FileRecord, destination: str) -> str:
        """Stream a run's file to ``destination``, checking its SHA-256; the file appears
        only once complete and verified."""
        folder = os.path.dirname(os.path.abspath(destination))
        os.makedirs(folder, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".cairn-download-")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, self._stream(run_id, file.path) as blocks:
                for block in blocks:
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != file.sha256:
                raise IntegrityError(
                    f"{file.path}: the downloaded bytes do not match their SHA-256 "
                    f"{file.sha256}; the transfer was cut or the stored file is damaged"
                )
            os.replace(temp, destination)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
        return destination

    def _stream(self, run_id: str, path: str) -> _Stream:
        return _Stream(self, f"/runs/{_segment(run_id)}/files/{_path(path)}")

    # -- ingestion -------------------------------------------------------------------------

    def has_blob(self, sha256: str) -> bool:
        try:
            self.request("HEAD", f"/blobs/{sha256}")
        except CairnError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def put_blob(self, sha256: str, source: IO[bytes]) -> None:
        """Upload a blob, streamed from ``source`` in 1 MiB blocks."""

        def blocks() -> Iterator[bytes]:
            while block := source.read(_BLOCK):
                yield block

        self.request(
            "PUT",
            f"/blobs/{sha256}",
            content=blocks(),
            headers={"Content-Type": "application/octet-stream"},
        )

    def post_ops(self, run_id: str, gzipped_body: bytes) -> dict[str, Any]:
        """Send one batch (a gzip-compressed ``{"ops": [...]}``); returns the result."""
        result: dict[str, Any] = self._json(
            "POST",
            f"/runs/{_segment(run_id)}/ops",
            content=gzipped_body,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        return result


class _Stream:
    """The blocks of a streamed download, as a context manager."""

    def __init__(self, api: ServerApi, path: str) -> None:
        self._api = api
        self._path = path
        self._response: httpx.Response | None = None

    def __enter__(self) -> Iterator[bytes]:
        http = self._api._http
        try:
            self._response = http.send(http.build_request("GET", self._path), stream=True)
        except httpx.TransportError as exc:
            raise BackendError(f"cannot reach the Cairn server at {self._api.url}: {exc}") from exc
        if self._response.is_error:
            self._response.read()
            raise error_for(self._response)
        return self._response.iter_bytes(_BLOCK)

    def __exit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.close()


def error_for(response: httpx.Response) -> CairnError:
    """The CairnError a server error answer stands for: the class with the answer's
    ``code``, else a BackendError carrying the status and message."""
    code, message = "", response.text[:500]
    try:
        error = orjson.loads(response.content)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        pass
    cls = _error_classes().get(code)
    if cls is not None:
        return cls(message)
    error = BackendError(f"the server answered {response.status_code}: {message}")
    error.status = response.status_code  # type: ignore[misc]
    return error


@functools.cache
def _error_classes() -> dict[str, type[CairnError]]:
    """Every CairnError class by its ``code``, built once (the tree is fixed at import)."""
    found: dict[str, type[CairnError]] = {}
    pending: list[type[CairnError]] = [CairnError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def gzip_json(payload: object) -> bytes:
    """``payload`` as gzip-compressed JSON; level 1: ops are sent often, and the first level
    already shrinks base64 floats and repeated keys most of the way."""
    return gzip.compress(orjson.dumps(payload), compresslevel=1)


# -- answers into records -----------------------------------------------------------------


def _segment(text: str) -> str:
    return quote(text, safe="")


def _path(path: str) -> str:
    return quote(path, safe="/")


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _floats(values: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.float64]]:
    if all(type(v) is not str for v in values):
        return np.asarray(values, dtype=np.float64)
    return np.asarray([decode_float(v, "value") for v in values], dtype=np.float64)


def _field(kind: str | None, value: Any) -> Any:
    """A field's value as the embedded store returns it: times as datetimes, and floats
    that are not finite as floats again."""
    if kind == "datetime" and isinstance(value, str):
        return _time(value)
    if kind == "float" and isinstance(value, str):
        return decode_float(value, "value")
    return value


def _maybe_float(value: Any) -> float | None:
    return None if value is None else decode_float(value, "value")


def run_record(body: Mapping[str, Any]) -> RunRecord:
    """A ``Run`` answer as the store's RunRecord (fields the record lacks are ignored)."""
    times = {"created_at", "ended_at", "heartbeat_at", "stop_requested_at"}
    values: dict[str, Any] = {}
    for field in dataclasses.fields(RunRecord):
        if field.name not in body:
            continue
        value = body[field.name]
        if field.name in times:
            value = _time(value)
        elif field.name == "tags":
            value = tuple(value)
        elif field.name == "status":
            value = RunStatus(value)
        values[field.name] = value
    return RunRecord(**values)


def _project(body: Mapping[str, Any]) -> ProjectRecord:
    created = _time(body["created_at"])
    assert created is not None
    return ProjectRecord(
        id=0,  # the server's row id is not part of the API
        name=body["name"],
        key=body["key"],
        created_at=created,
        run_count=body["run_count"],
        last_activity_at=_time(body.get("last_activity_at")),
    )


def _series(index: int, body: Mapping[str, Any]) -> SeriesRecord:
    return SeriesRecord(
        id=index,
        path=body["path"],
        kind=SeriesKind(body["kind"]),
        count=body["count"],
        first_step=body["first_step"],
        last_step=body["last_step"],
        last_value=_maybe_float(body["last_value"]),
        min_value=_maybe_float(body["min_value"]),
        max_value=_maybe_float(body["max_value"]),
        last_at=_time(body["last_at"]),
    )


def _file(body: Mapping[str, Any]) -> FileRecord:
    created = _time(body["created_at"])
    assert created is not None
    return FileRecord(
        path=body["path"],
        name=body["name"],
        mime=body["mime"],
        size_bytes=body["size_bytes"],
        sha256=body["sha256"],
        created_at=created,
    )
