"""The sender thread against a real store behind a backend that fails on purpose."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest

from cairn.client.backends.local import LocalBackend
from cairn.client.sender import Sender
from cairn.errors import BackendError
from cairn.ops import Op, SetOp
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, SeriesKind


class FlakyBackend(LocalBackend):
    """Fails the first ``failures`` sends, then stores normally."""

    def __init__(self, store: Store, failures: int) -> None:
        super().__init__(store)
        self.failures = failures
        self.calls = 0

    def send(self, run_id: str, ops: Sequence[Op]) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise BackendError("disk on fire")
        super().send(run_id, ops)


def make_sender(store: Store, failures: int) -> tuple[Sender, FlakyBackend, str]:
    backend = FlakyBackend(store, failures)
    run = store.create_run("p")
    sender = Sender(backend, run.id, flush_interval_s=0.01, heartbeat_interval_s=60)
    return sender, backend, run.id


def test_failed_sends_are_retried_until_everything_is_stored(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open_home(str(tmp_path / "store"))
    sender, backend, run_id = make_sender(store, failures=3)
    sender.start()
    for step in range(1000):
        sender.queue.append(("x", SeriesKind.FLOAT, float(step), float(step), 1.0))
    sender.queue.append(SetOp(FieldPath("done"), FieldKind.BOOL, True))
    with caplog.at_level(logging.WARNING, logger="cairn"):
        assert sender.flush(timeout_s=30)
    sender.close()
    assert backend.calls >= 4
    assert store.read_series(run_id, "x").values.tolist() == [float(i) for i in range(1000)]
    assert store.read_fields(run_id) == {"done": True}
    assert sum("retrying" in r.message for r in caplog.records) == 1  # warned once


def test_flush_gives_up_at_its_timeout_while_the_backend_is_down(tmp_path: Any) -> None:
    store = Store.open_home(str(tmp_path / "store"))
    sender, _, run_id = make_sender(store, failures=10**9)
    sender.start()
    sender.queue.append(SetOp(FieldPath("a"), FieldKind.INT, 1))
    assert sender.flush(timeout_s=0.5) is False
    assert store.read_fields(run_id) == {}
    sender.close(timeout_s=0.2)
    assert sender._thread is not None
    sender._thread.join(timeout=10)  # it gives up after the close timeout and ends
    assert not sender._thread.is_alive()


def test_ops_are_numbered_in_queue_order(tmp_path: Any) -> None:
    store = Store.open_home(str(tmp_path / "store"))
    sender, _, run_id = make_sender(store, failures=0)
    sender.queue.append(SetOp(FieldPath("a"), FieldKind.INT, 1))
    sender.queue.append(("x", SeriesKind.FLOAT, 0.0, 1.0, 1.0))
    sender.queue.append(SetOp(FieldPath("a"), FieldKind.INT, 2))
    sender.flush()  # no thread: drains on the caller's thread
    assert store.get_run(run_id).last_seq == 3
    assert store.read_fields(run_id) == {"a": 2}
