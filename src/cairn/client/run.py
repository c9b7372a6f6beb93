"""Run: a mapping from paths to handles. Writing builds ops only; the sender ships them."""

from __future__ import annotations

import _thread
import logging
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from cairn.client.backends.base import Backend, Reader, RunLayout
from cairn.client.handles import Handle
from cairn.client.values import field_value
from cairn.errors import FieldNotFound, InvalidInput, RunFinished, TypeClash
from cairn.file import File
from cairn.ops import AddTagsOp, DeleteOp, Op, SetOp, StatusOp
from cairn.paths import is_reserved, validate_path
from cairn.store.records import FileRecord, RunRecord
from cairn.types import FieldKind, RunStatus

if TYPE_CHECKING:
    from cairn.client.sender import Sender
    from cairn.store.records import SeriesPage

__all__ = ["Run", "RunReader", "StopPolicy"]

logger = logging.getLogger("cairn")

StopPolicy = Literal["interrupt", "flag"] | Callable[["Run"], None]
"""What a run does when asked to stop remotely: raise KeyboardInterrupt in the main thread
(``"interrupt"``, the default), only set ``run.stop_requested`` (``"flag"``), or call a
function with the run."""


class RunReader:
    """Read-only access to a stored run: ``cairn.get_run("MNIST-42")``.

    >>> import cairn, tempfile
    >>> home = tempfile.mkdtemp()
    >>> with cairn.init(project="doc", home=home, capture=False) as run:
    ...     run["accuracy"] = 0.9
    >>> cairn.get_run(run.key, home=home)["accuracy"].fetch()
    0.9
    """

    _queue: deque[Any]
    _queue_limit: int = 1 << 62

    def __init__(self, reader: Reader, record: RunRecord) -> None:
        self._reader = reader
        self._record = record
        self._handles: dict[str, Handle] = {}
        self._queue = deque()

    @property
    def key(self) -> str:
        """The short id, such as ``MNIST-42``."""
        return self._record.key

    @property
    def id(self) -> str:
        """The run's UUID."""
        return self._record.id

    @property
    def project(self) -> str:
        return self._record.project

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key} project={self.project!r}>"

    def __getitem__(self, path: str) -> Handle:
        handle = self._handles.get(path)
        if handle is None:
            handle = self._handles[path] = self._new_handle(validate_path(path))
        return handle

    def _new_handle(self, path: Any) -> Handle:
        return Handle(self, path)

    # -- write hooks: a reader refuses them ------------------------------------------------

    def _check_writable(self) -> None:
        raise RunFinished(
            f"{self.key} is open read-only; resume it with cairn.init(run={self.key!r}) to write"
        )

    def _claim(self, path: str, kind: str) -> None:
        self._check_writable()

    def _enqueue(self, op: Op) -> None:
        self._check_writable()

    def _wait_for_room(self) -> None:
        pass

    def _flush(self) -> None:
        pass

    # -- reads ----------------------------------------------------------------------------

    def _refresh(self) -> RunRecord:
        self._flush()
        self._record = self._reader.get_run(self._record.id)
        return self._record

    def fetch(self) -> dict[str, Any]:
        """Every field of the run as a nested dict: sys/ values, fields, the last value of
        each float series, and a record of each file."""
        flat = self._fetch_flat()
        nested: dict[str, Any] = {}
        for path, value in flat.items():
            node = nested
            *parents, leaf = path.split("/")
            for part in parents:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):  # a field and a deeper path share a prefix
                    child = node[part] = {"": child}
                node = child
            node[leaf] = value
        return nested

    def _fetch_flat(self) -> dict[str, Any]:
        record = self._refresh()
        flat: dict[str, Any] = dict(record.sys_fields())
        flat.update(self._reader.read_fields(record.id))
        for s in self._reader.list_series(record.id):
            flat[s.path] = s.last_value if s.kind.value == "float" else s.count
        for f in self._reader.list_files(record.id):
            flat[f.path] = {"name": f.name, "size_bytes": f.size_bytes, "sha256": f.sha256}
        return flat

    def _fetch_path(self, path: str) -> Any:
        flat = self._fetch_flat()
        if path not in flat:
            raise FieldNotFound(f"{self.key} has nothing at {path!r}; run.fetch() lists its fields")
        return flat[path]

    def _read_series(
        self, path: str, max_points: int | None, step_min: float | None, step_max: float | None
    ) -> SeriesPage:
        self._flush()
        return self._reader.read_series(
            self._record.id, path, max_points=max_points, step_min=step_min, step_max=step_max
        )

    def _file_record(self, path: str) -> FileRecord:
        self._flush()
        return self._reader.get_file(self._record.id, path)

    def _download(self, file: FileRecord, destination: str) -> str:
        return self._reader.download(self.id, file, destination)


class Run(RunReader):
    """A run being written. Get one from :func:`cairn.init`; stop it with :meth:`stop` or a
    ``with`` block. Assigning and logging only queue ops: training never waits on storage.

    >>> import cairn, tempfile
    >>> run = cairn.init(project="doc", home=tempfile.mkdtemp(), capture=False)
    >>> run["parameters"] = {"lr": 0.01, "optimizer": {"name": "adam"}}
    >>> run.log({"val/loss": 0.3, "val/acc": 0.9}, step=1)
    >>> run.stop()
    >>> run["parameters/optimizer/name"].fetch()
    'adam'
    """

    def __init__(
        self,
        backend: Backend,
        record: RunRecord,
        sender: Sender,
        layout: RunLayout,
        *,
        queue_limit: int,
        deliver_timeout_s: float = 60.0,
        on_stop_request: StopPolicy = "interrupt",
    ) -> None:
        super().__init__(backend, record)
        self._backend = backend
        self._sender = sender
        self._queue = sender.queue
        self._queue_limit = queue_limit
        self._kinds = dict(layout.kinds)
        self._last_steps = layout.last_steps
        self._stopped = False
        self._on_stop: list[Callable[[], None]] = []
        self._deliver_timeout_s = deliver_timeout_s
        self._on_stop_request = on_stop_request
        self.stop_requested = False
        """True once someone asked this run to stop (``cairn runs stop``, the dashboard)."""

    def _new_handle(self, path: Any) -> Handle:
        handle = Handle(self, path, self._last_steps.get(path))
        kind = self._kinds.get(path, "")
        if kind.startswith("series:"):
            from cairn.types import SeriesKind

            handle._kind = SeriesKind(kind.removeprefix("series:"))
        return handle

    # -- write hooks ------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._stopped:
            raise RunFinished(
                f"{self.key} is stopped; resume it with cairn.init(run={self.key!r}) to write"
            )

    def _claim(self, path: str, kind: str) -> None:
        """Record that ``path`` now holds ``kind``; raise TypeClash if it held another."""
        if is_reserved(path):
            raise InvalidInput(
                f"{path}: sys/ paths are set by Cairn; only sys/name, "
                "sys/description and sys/tags can be written"
            )
        held = self._kinds.get(path)
        if held is not None and held != kind:
            raise TypeClash(
                f"{path}: already holds a {held.replace(':', ' of ')}; "
                f"cannot store a {kind.replace(':', ' of ')} there"
            )
        if held is None:
            self._kinds[path] = kind

    def _enqueue(self, op: Op) -> None:
        self._check_writable()
        self._queue.append(op)

    def _wait_for_room(self) -> None:
        self._sender.wait_for_room(self._queue_limit)

    def _flush(self) -> None:
        if not self._stopped:
            self._sender.flush()

    # -- public writes ----------------------------------------------------------------------

    def __setitem__(self, path: str, value: Any) -> None:
        self._assign(validate_path(path), value)

    def _assign(self, path: str, value: Any) -> None:
        self._check_writable()
        if isinstance(value, File):
            self[path].upload(value)
        elif isinstance(value, Mapping) or _is_config_object(value):
            from cairn.client.capture.config import flatten_config

            flat = flatten_config(value)
            ops = [self._set_op(validate_path(f"{path}/{key}"), leaf) for key, leaf in flat.items()]
            for op in ops:
                self._enqueue(op)
        elif path == "sys/tags":
            tags = [value] if isinstance(value, str) else list(value)
            self._enqueue(AddTagsOp(self["sys/tags"]._tags((tags,))))
        else:
            self._enqueue(self._set_op(path, value))

    def _set_op(self, path: Any, value: Any) -> SetOp:
        kind, stored = field_value(path, value)
        if path in ("sys/name", "sys/description"):
            if kind is not FieldKind.STRING:
                raise InvalidInput(f"{path}: expected a string, got {type(value).__name__}")
        else:
            self._claim(path, "field")
        return SetOp(path, kind, stored)

    def __delitem__(self, path: str) -> None:
        path = validate_path(path)
        self._check_writable()
        if is_reserved(path):
            raise InvalidInput(f"{path}: sys/ fields cannot be deleted")
        self._kinds.pop(path, None)
        self._handles.pop(path, None)
        self._enqueue(DeleteOp(path))

    def log(
        self,
        values: Mapping[str, Any],
        step: float | None = None,
        *,
        timestamp: float | None = None,
    ) -> None:
        """Log several series at one step: ``run.log({"val/loss": 0.3}, step=epoch)``."""
        at = timestamp or time.time()
        for path, value in values.items():
            self[path].log(value, step, timestamp=at)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until everything logged so far is stored (on the server, for a run on a
        team server); False on timeout."""
        started = time.monotonic()
        if not self._sender.flush(timeout_s):
            return False
        remaining = None if timeout_s is None else timeout_s - (time.monotonic() - started)
        return self._backend.settle(self.id, remaining)

    def _check_stop_request(self) -> None:
        """Called by the sender at each heartbeat: act on a remote stop request once."""
        if self.stop_requested or self._stopped or not self._backend.stop_requested(self.id):
            return
        self.stop_requested = True
        policy = self._on_stop_request
        logger.warning("cairn: %s was asked to stop remotely (policy: %s)", self.key, policy)
        if policy == "interrupt":
            # KeyboardInterrupt in the main thread, as Ctrl-C would: the run ends aborted.
            _thread.interrupt_main()
        elif callable(policy):
            policy(self)

    def stop(
        self,
        status: RunStatus = RunStatus.FINISHED,
        *,
        error: str | None = None,
        timeout_s: float | None = None,
    ) -> None:
        """Flush everything, mark the run ``status`` and stop its threads. Idempotent.

        A run asked to stop remotely ends ``aborted`` unless another status is given. For
        a run on a team server, waits up to ``timeout_s`` (default CAIRN_DELIVER_TIMEOUT_S)
        for the server to have everything; what it does not get stays queued on disk for
        ``cairn sync``."""
        if self._stopped:
            return
        if self.stop_requested and status is RunStatus.FINISHED:
            status = RunStatus.ABORTED
        for hook in reversed(self._on_stop):
            hook()
        self._queue.append(StatusOp(status, at=time.time(), traceback=error))
        self._stopped = True
        # log()'s fast path checks nothing; a queue that refuses appends makes a late log()
        # raise instead of vanishing, at no cost to the logs before stop().
        self._queue = _ClosedQueue(self.key)  # type: ignore[assignment]
        started = time.monotonic()
        self._sender.close(timeout_s)
        budget = self._deliver_timeout_s if timeout_s is None else timeout_s
        self._backend.release(self.id, max(0.0, budget - (time.monotonic() - started)))

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.stop()
        else:
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            self.stop(status_for(exc), error=text)


class _ClosedQueue:
    def __init__(self, key: str) -> None:
        self.key = key

    def append(self, item: object) -> None:
        raise RunFinished(
            f"{self.key} is stopped; resume it with cairn.init(run={self.key!r}) to write"
        )


def status_for(exc: BaseException) -> RunStatus:
    """``aborted`` for an interrupt (Ctrl-C or a remote stop), else ``failed``."""
    return RunStatus.ABORTED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED


def _is_config_object(value: Any) -> bool:
    """argparse namespaces, dataclasses, pydantic models and OmegaConf configs."""
    import argparse
    import dataclasses

    return (
        isinstance(value, argparse.Namespace)
        or (dataclasses.is_dataclass(value) and not isinstance(value, type))
        or hasattr(value, "model_dump")
        or type(value).__name__ in ("DictConfig", "ListConfig")
    )
