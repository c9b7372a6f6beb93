"""Remote stop, deleting a run, and counting the runs a filter matches."""

from __future__ import annotations

import time

import pytest

from cairn.errors import RunFinished, RunNotFound
from cairn.file import File
from cairn.ops import AppendOp, HeartbeatOp, SetOp, StatusOp, UploadOp
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind


def _log(store: Store, run_id: str, seq: int) -> None:
    store.apply_ops(
        run_id,
        [
            SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, 0.1, seq=seq),
            AppendOp(FieldPath("loss"), SeriesKind.FLOAT, [0, 1], [1.0, 0.5], [1.0, 2.0], seq=seq),
            AppendOp(FieldPath("log"), SeriesKind.STRING, [0], ["hello"], [1.0], seq=seq),
            UploadOp(FieldPath("model"), File.from_bytes(b"weights", name="m.pt"), seq=seq),
        ],
    )


def test_stop_request_reaches_the_next_batch(store: Store) -> None:
    run = store.create_run("p")
    assert store.apply_ops(run.id, [HeartbeatOp(at=time.time())]).stop_requested is False
    assert run.stop_requested_at is None
    record = store.request_stop(run.id)
    assert record.stop_requested_at is not None and record.status is RunStatus.RUNNING
    assert store.get_run(run.key).stop_requested_at == record.stop_requested_at
    assert store.get_run(run.key).sys_fields()["sys/stop_requested_at"] == record.stop_requested_at
    assert store.apply_ops(run.id, [HeartbeatOp(at=time.time(), seq=1)]).stop_requested is True
    assert store.apply_ops(run.id, []).stop_requested is True
    # Asking again keeps the first time.
    assert store.request_stop(run.id).stop_requested_at == record.stop_requested_at
    # The run ending (as aborted) keeps the request on record.
    store.apply_ops(run.id, [StatusOp(RunStatus.ABORTED, at=3.0, seq=2)])
    ended = store.get_run(run.key)
    assert ended.status is RunStatus.ABORTED and ended.stop_requested_at is not None


def test_stop_request_is_filterable(store: Store) -> None:
    first = store.create_run("p")
    store.create_run("p")
    store.request_stop(first.id)
    assert [r.key for r in store.list_runs("p", filter="sys/stop_requested_at > 0")] == ["P-1"]


@pytest.mark.parametrize("status", [RunStatus.FINISHED, RunStatus.FAILED, RunStatus.ABORTED])
def test_stopping_an_ended_run_is_a_conflict(store: Store, status: RunStatus) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [StatusOp(status, at=1.0, seq=1)])
    with pytest.raises(RunFinished, match=f"P-1 has already ended \\({status.value}\\)"):
        store.request_stop(run.id)
    assert store.get_run(run.key).stop_requested_at is None


def test_stopping_an_unknown_run(store: Store) -> None:
    with pytest.raises(RunNotFound):
        store.request_stop("00000000-0000-0000-0000-000000000000")


def test_delete_run_removes_its_rows_and_keeps_blobs(store: Store) -> None:
    kept = store.create_run("p", tags=["a"])
    gone = store.create_run("p", tags=["a"])
    _log(store, kept.id, 1)
    _log(store, gone.id, 1)
    sha = store.get_file(gone.id, "model").sha256
    store.delete_run(gone.id)
    with pytest.raises(RunNotFound):
        store.get_run(gone.key)
    assert store.read_fields(gone.id) == {}
    assert store.list_series(gone.id) == [] and store.list_files(gone.id) == []
    assert [r.key for r in store.list_runs("p")] == ["P-1"]
    # The other run's data is untouched, and the shared blob stays.
    assert store.read_fields(kept.id) == {"parameters/lr": 0.1}
    assert store.read_series(kept.id, "loss").values.tolist() == [1.0, 0.5]  # type: ignore[union-attr]
    assert store.read_series(kept.id, "log").values == ["hello"]
    assert store.artifacts.get_bytes(sha) == b"weights"
    assert store.get_project("p").run_count == 1
    # Keys are not handed out again.
    assert store.create_run("p").key == "P-3"
    with pytest.raises(RunNotFound):
        store.delete_run(gone.id)


def test_count_runs_ignores_paging(store: Store) -> None:
    for lr in (0.1, 0.01, 0.001):
        run = store.create_run("p")
        store.apply_ops(run.id, [SetOp(FieldPath("lr"), FieldKind.FLOAT, lr, seq=1)])
    store.create_run("other")
    assert store.count_runs("p") == 3
    assert store.count_runs("p", filter="lr < 0.05") == 2
    assert len(store.list_runs("p", filter="lr < 0.05", limit=1, offset=1)) == 1
    assert store.count_runs("p", filter="lr > 1") == 0
