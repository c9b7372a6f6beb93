"""Shipper: delivers one run's outbox to its target, retrying with backoff for as long as
the target is away; and the two targets, a team server and the embedded store.

The sender thread only appends batches to the outbox (disk, fsync'd) and calls
``submit``; the shipper's own thread takes them from there. So a server outage never
blocks ``log()``, nor even the sender: batches pile up on disk and are delivered in order
when the server answers again. Every batch is acknowledged by sequence number, and the
server skips sequence numbers it has seen, so a batch delivered twice (the answer was lost)
is stored once.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import IO, Any, Protocol

import orjson
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    wait_exponential_jitter,
)

from cairn import wire
from cairn.client.backends.http_api import ServerApi
from cairn.client.outbox import Batch, Outbox, RunTicket
from cairn.errors import CairnError, NotFound
from cairn.store.store import Store

__all__ = ["HttpTarget", "LocalTarget", "Shipper", "Target", "Undeliverable"]

logger = logging.getLogger("cairn")

Result = dict[str, Any]


class Undeliverable(CairnError):
    """The target refused a batch for good (malformed, or the run is gone)."""

    code = "undeliverable"


class Target(Protocol):
    """Where an outbox goes."""

    name: str

    def ensure_run(self, ticket: RunTicket) -> str:
        """Create the run the ticket describes if it does not exist; return its key."""
        ...

    def has_blob(self, sha256: str) -> bool: ...

    def put_blob(self, sha256: str, source: IO[bytes]) -> None: ...

    def deliver(self, run_id: str, body: bytes) -> Result:
        """Store one batch; the answer has ``last_seq`` and ``stop_requested``."""
        ...


class HttpTarget:
    """A team server."""

    def __init__(self, api: ServerApi) -> None:
        self.api = api
        self.name = api.url

    def ensure_run(self, ticket: RunTicket) -> str:
        assert ticket.create is not None
        try:
            return self.api.create_run(ticket.project, {**ticket.create, "id": ticket.id}).key
        except CairnError as exc:
            if exc.status != 409:
                raise
        # Created by an earlier attempt whose answer was lost.
        return self.api.get_run(ticket.id).key

    def has_blob(self, sha256: str) -> bool:
        return self.api.has_blob(sha256)

    def put_blob(self, sha256: str, source: IO[bytes]) -> None:
        self.api.put_blob(sha256, source)

    def deliver(self, run_id: str, body: bytes) -> Result:
        return self.api.post_ops(run_id, body)


class LocalTarget:
    """The embedded store: where an offline run goes when no server is configured."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name

    def ensure_run(self, ticket: RunTicket) -> str:
        assert ticket.create is not None
        try:
            return self.store.get_run(ticket.id).key
        except NotFound:
            fields = {k: v for k, v in ticket.create.items() if k != "id"}
            return self.store.create_run(ticket.project, run_id=ticket.id, **fields).key

    def has_blob(self, sha256: str) -> bool:
        return self.store.artifacts.exists(sha256)

    def put_blob(self, sha256: str, source: IO[bytes]) -> None:
        # Through a temporary file: put_file streams and hashes in blocks, so a model file
        # larger than memory syncs as well as a small one.
        with tempfile.NamedTemporaryFile(prefix="cairn-sync-") as temp:
            shutil.copyfileobj(source, temp, 1024 * 1024)
            temp.flush()
            self.store.artifacts.put_file(temp.name)

    def deliver(self, run_id: str, body: bytes) -> Result:
        ops = wire.decode_ops(orjson.loads(gzip.decompress(body))["ops"])
        result = self.store.apply_ops(run_id, ops)
        return {
            "last_seq": result.last_seq,
            "rejected": list(result.rejected),
            "stop_requested": bool(getattr(result, "stop_requested", False)),
        }


def _transient(exc: BaseException) -> bool:
    """Worth retrying: the target is unreachable, overloaded, or refuses our token (which an
    operator can fix while we wait). A 4xx about the batch itself is not."""
    if isinstance(exc, Undeliverable):
        return False
    if isinstance(exc, CairnError):
        return exc.status >= 500 or exc.status in (401, 403, 408, 429)
    return isinstance(exc, OSError)


class Shipper:
    """The delivery thread of one outbox. ``submit`` each batch after appending it.

    ``on_result`` sees every answer (the run learns of a stop request from it).
    """

    def __init__(
        self,
        outbox: Outbox,
        target: Target,
        *,
        on_result: Callable[[Result], None] | None = None,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.outbox = outbox
        self.target = target
        self.on_result = on_result
        self.max_backoff_s = max_backoff_s
        self._pending: deque[Batch] = deque(outbox.pending())
        self._uploaded: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._delivered = threading.Condition()
        self._closing = False
        self._deadline: float | None = None
        self._outage_since: float | None = None
        self._failed: BaseException | None = None
        self._thread: threading.Thread | None = None

    # -- the caller's side ------------------------------------------------------------------

    def start(self) -> None:
        name = f"cairn-shipper-{self.outbox.ticket.id[:8]}"
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()
        self._wake.set()

    def submit(self, batch: Batch) -> None:
        with self._lock:
            self._pending.append(batch)
        self._wake.set()

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def wait_delivered(self, timeout_s: float | None = None) -> bool:
        """Block until every submitted batch is acknowledged; False on timeout or when the
        target refused a batch for good."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._delivered:
            while self.pending_count() and self._failed is None:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._wake.set()
                self._delivered.wait(0.5 if remaining is None else min(0.5, remaining))
        return not self.pending_count()

    def close(self, timeout_s: float | None) -> bool:
        """Deliver what is left within ``timeout_s`` then stop the thread; True when the
        outbox is empty. What is left stays on disk for ``cairn sync``."""
        self._deadline = None if timeout_s is None else time.monotonic() + timeout_s
        delivered = self.wait_delivered(timeout_s)
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
        return delivered

    # -- delivering -------------------------------------------------------------------------

    def deliver_pending(self) -> int:
        """Deliver every pending batch in order, now; returns how many. Raises on the first
        failure (the batch stays pending)."""
        count = 0
        ticket = self.outbox.ticket
        if ticket.create is not None:
            key = self.target.ensure_run(ticket)
            self.outbox.save_ticket(replace(ticket, key=key, create=None))
        while True:
            with self._lock:
                if not self._pending:
                    return count
                batch = self._pending[0]
            self._upload_blobs(batch.blobs)
            try:
                result = self.target.deliver(ticket.id, batch.body)
            except CairnError as exc:
                if exc.status == 404 or (400 <= exc.status < 500 and not _transient(exc)):
                    raise Undeliverable(f"{self.target.name} refused a batch: {exc}") from exc
                raise
            self.outbox.ack(batch.last_seq)
            with self._lock:
                self._pending.popleft()
            count += 1
            with self._delivered:
                self._delivered.notify_all()
            self._report(result)

    def _upload_blobs(self, blobs: Iterable[str]) -> None:
        for sha256 in blobs:
            if sha256 in self._uploaded or self.target.has_blob(sha256):
                self._uploaded.add(sha256)
                continue
            with self.outbox.blobs.open_blob(sha256) as source:
                self.target.put_blob(sha256, source)
            self._uploaded.add(sha256)

    def _report(self, result: Result) -> None:
        for message in result.get("rejected", ()):
            logger.warning("cairn: %s", message)
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                logger.exception("cairn: a delivery hook failed")

    # -- the thread -------------------------------------------------------------------------

    def _loop(self) -> None:
        while not (self._closing and (not self.pending_count() or self._gave_up())):
            self._wake.wait(1.0)
            self._wake.clear()
            if not self.pending_count() and self.outbox.ticket.create is None:
                continue
            try:
                for attempt in Retrying(
                    retry=retry_if_exception(_transient),
                    wait=wait_exponential_jitter(multiplier=0.1, max=self.max_backoff_s),
                    stop=lambda _state: self._gave_up(),
                    sleep=self._sleep,
                    before_sleep=self._warn_outage,
                    reraise=True,
                ):
                    with attempt:
                        self.deliver_pending()
            except Exception as exc:
                self._give_up_on(exc)
                return
            if self._outage_since is not None:
                logger.warning(
                    "cairn: %s is back after %.0f s; the queued ops of run %s are delivered",
                    self.target.name,
                    time.monotonic() - self._outage_since,
                    self.outbox.ticket.key or self.outbox.ticket.id,
                )
                self._outage_since = None

    def _gave_up(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    def _sleep(self, seconds: float) -> None:
        # A close() wakes the backoff early for one last attempt.
        self._wake.wait(seconds)
        self._wake.clear()

    def _warn_outage(self, state: RetryCallState) -> None:
        if self._outage_since is not None:
            return
        self._outage_since = time.monotonic()
        exc = state.outcome.exception() if state.outcome is not None else None
        logger.warning(
            "cairn: cannot deliver to %s (%s); training goes on, ops are queued on disk in %s "
            "and will be sent when it is back",
            self.target.name,
            exc,
            self.outbox.folder,
        )

    def _give_up_on(self, exc: BaseException) -> None:
        self._failed = exc
        with self._delivered:
            self._delivered.notify_all()
        where = self.outbox.ticket.key or self.outbox.ticket.id
        if isinstance(exc, Undeliverable):
            logger.error("cairn: %s; run %s keeps its outbox in %s", exc, where, self.outbox.folder)
        elif self._gave_up():
            logger.warning(
                "cairn: %d batches of run %s are not delivered to %s yet; they are kept in %s. "
                "Run `cairn sync` when the server is reachable.",
                self.pending_count(),
                where,
                self.target.name,
                self.outbox.folder,
            )
        else:
            logger.error("cairn: delivery of run %s stopped: %s", where, exc, exc_info=exc)


def outbox_root(home: str) -> str:
    """Where the outboxes of a client's runs live: ``<home>/outbox``."""
    return os.path.join(home, "outbox")

