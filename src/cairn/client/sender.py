"""The sender thread: drains a run's in-memory queue into batches of ops for a backend.

The training thread only appends to a ``collections.deque`` (thread-safe, O(1)): float points
as plain tuples ``(path, kind, step, value, timestamp)`` so that ``log()`` costs about a
microsecond, and every other change as an ``Op``. The sender turns runs of points into one
``AppendOp`` per path, numbers every op in queue order, and hands the batch to the backend.
A failed send keeps the batch and retries it on the next tick; training is never stopped.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from cairn.client.backends.base import Backend
from cairn.ops import AppendOp, HeartbeatOp, Op
from cairn.types import FieldPath, SeriesKind

__all__ = ["Sender"]

logger = logging.getLogger("cairn")

Point = tuple[str, SeriesKind, float, Any, float]
_Group = tuple[SeriesKind, list[float], list[Any], list[float]]
_MAX_BATCH_ITEMS = 250_000


class Sender:
    """Owns the background thread of one run; ``queue`` is shared with the training thread."""

    def __init__(
        self,
        backend: Backend,
        run_id: str,
        *,
        flush_interval_s: float,
        heartbeat_interval_s: float,
        first_seq: int = 0,
        on_heartbeat: Callable[[], None] | None = None,
    ) -> None:
        self.backend = backend
        self.run_id = run_id
        self.queue: deque[Point | Op | _Marker] = deque()
        self.flush_interval_s = flush_interval_s
        self.heartbeat_interval_s = heartbeat_interval_s
        self.on_heartbeat = on_heartbeat
        self._seq = first_seq
        self._retry: list[Op] = []
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._sent_marker = 0
        self._marker_target = 0
        self._stopping = False
        self._give_up_at: float | None = None
        self._failures = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        name = f"cairn-sender-{self.run_id[:8]}"
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    # -- called from the training thread ---------------------------------------------------

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until everything queued before this call is handed to the backend."""
        if self._thread is None or not self._thread.is_alive():
            self._drain_all()
            return not self._retry
        target = self._mark()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._idle:
            self._wake.set()
            while self._sent_marker < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(timeout=0.5 if remaining is None else min(0.5, remaining))
                self._wake.set()
        return True

    def close(self, timeout_s: float | None = None) -> None:
        """Flush, stop the thread and wait for it."""
        self.flush(timeout_s)
        if timeout_s is not None:
            self._give_up_at = time.monotonic() + timeout_s
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def wait_for_room(self, limit: int) -> None:
        """Backpressure: block the training thread while more than ``limit`` items wait."""
        while len(self.queue) > limit and self._thread is not None and self._thread.is_alive():
            self._wake.set()
            time.sleep(0.01)

    # -- the thread -----------------------------------------------------------------------

    def _mark(self) -> int:
        self._marker_target += 1
        self.queue.append(_Marker(self._marker_target))
        return self._marker_target

    def _loop(self) -> None:
        next_heartbeat = time.monotonic() + self.heartbeat_interval_s
        while True:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            now = time.monotonic()
            if now >= next_heartbeat:
                self.queue.append(HeartbeatOp(at=time.time()))
                next_heartbeat = now + self.heartbeat_interval_s
                if self.on_heartbeat is not None:
                    self._call_heartbeat_hook()
            try:
                self._drain_all()
            except Exception:  # the one place a failure may be caught broadly: never kill training
                logger.exception("cairn: sender failed; will retry")
            if self._stopping and not self.queue and not self._retry:
                return
            if self._stopping and self._give_up_at is not None and now > self._give_up_at:
                pending = len(self.queue) + len(self._retry)
                logger.error("cairn: gave up on %d unsent items of run %s", pending, self.run_id)
                return

    def _call_heartbeat_hook(self) -> None:
        try:
            assert self.on_heartbeat is not None
            self.on_heartbeat()
        except Exception:
            logger.exception("cairn: heartbeat hook failed")

    def _drain_all(self) -> None:
        while True:
            batch, marker = self._take_batch()
            if self._retry:
                batch = self._retry + batch
                self._retry = []
            if batch:
                self._send(batch)
            if marker is not None and self._retry:
                self.queue.appendleft(_Marker(marker))  # not sent yet: flush() keeps waiting
            elif marker is not None:
                with self._idle:
                    self._sent_marker = max(self._sent_marker, marker)
                    self._idle.notify_all()
            if not self.queue or self._retry:
                return

    def _send(self, batch: list[Op]) -> None:
        try:
            self.backend.send(self.run_id, batch)
        except Exception as exc:
            self._retry = batch
            self._failures += 1
            if self._failures == 1 or self._failures % 100 == 0:
                logger.warning("cairn: could not store %d ops (%s); retrying", len(batch), exc)
            time.sleep(min(2.0, 0.05 * self._failures))
        else:
            self._failures = 0

    def _take_batch(self) -> tuple[list[Op], int | None]:
        """Pop up to a batch worth of items, group points into AppendOps, number the ops."""
        ops: list[Op] = []
        pending: dict[str, _Group] = {}
        marker: int | None = None
        queue = self.queue
        for _ in range(min(len(queue), _MAX_BATCH_ITEMS)):
            item = queue.popleft()
            if type(item) is tuple:
                path, kind, step, value, at = item
                group = pending.get(path)
                if group is None:
                    group = pending[path] = (kind, [], [], [])
                group[1].append(step)
                group[2].append(value)
                group[3].append(at)
            elif isinstance(item, _Marker):
                marker = item.number
                break
            else:
                self._emit_points(pending, ops)
                ops.append(item)  # type: ignore[arg-type]
        self._emit_points(pending, ops)
        return [self._number(op) for op in ops], marker

    @staticmethod
    def _emit_points(pending: dict[str, _Group], ops: list[Op]) -> None:
        for path, (kind, steps, values, stamps) in pending.items():
            ops.append(AppendOp(FieldPath(path), kind, steps, values, stamps))
        pending.clear()

    def _number(self, op: Op) -> Op:
        self._seq += 1
        return dataclasses.replace(op, seq=self._seq)


@dataclasses.dataclass(frozen=True)
class _Marker:
    """Placed in the queue by ``flush()``; seen by the sender once all before it are sent."""

    number: int
