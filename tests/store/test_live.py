"""The polls behind the live streams: a run's probe and a project's fingerprint."""

from __future__ import annotations

from cairn.ops import AddTagsOp, AppendOp, DeleteOp, HeartbeatOp, StatusOp
from cairn.store.store import Store
from cairn.types import FieldPath, RunStatus, SeriesKind


def _append(store: Store, run_id: str, path: str, steps: list[float], seq: int) -> None:
    values = [float(s) for s in steps]
    store.apply_ops(
        run_id,
        [AppendOp(FieldPath(path), SeriesKind.FLOAT, steps, values, [1.0] * len(steps), seq=seq)],
    )


def test_probe_run_moves_with_every_change(store: Store) -> None:
    run = store.create_run("p", tags=["b", "a"])
    first = store.probe_run(run.id)
    assert first is not None
    assert first.record == store.get_run(run.id)
    assert first.record.tags == ("a", "b")
    assert (first.series_count, first.point_count) == (0, 0)
    assert store.probe_run(run.id) == first  # nothing changed, nothing moves
    _append(store, run.id, "loss", [0, 1, 2], seq=1)
    second = store.probe_run(run.id)
    assert second is not None and second.series_version == (1, 1, 3)
    # Ops without sequence numbers (the API's PATCH) still show in the record.
    store.apply_ops(run.id, [AddTagsOp(("c",))])
    third = store.probe_run(run.id)
    assert third is not None and third.record.tags == ("a", "b", "c")
    assert third.series_version == second.series_version
    store.apply_ops(run.id, [HeartbeatOp(at=9e9)])
    fourth = store.probe_run(run.id)
    assert fourth is not None and fourth.record != third.record
    store.request_stop(run.id)
    fifth = store.probe_run(run.id)
    assert fifth is not None and fifth.record.stop_requested_at is not None
    store.apply_ops(run.id, [DeleteOp(FieldPath("loss"))])
    sixth = store.probe_run(run.id)
    assert sixth is not None and (sixth.series_count, sixth.point_count) == (0, 0)
    store.delete_run(run.id)
    assert store.probe_run(run.id) is None


def test_probe_project_rereads_runs_only_when_they_moved(store: Store) -> None:
    first = store.create_run("p")
    probe = store.probe_project("p")
    assert set(probe.runs) == {first.id} and probe.runs[first.id].key == "P-1"
    assert store.probe_project("p", previous=probe) is probe
    # A heartbeat alone is not a project event.
    store.apply_ops(first.id, [HeartbeatOp(at=9e9)])
    assert store.probe_project("p", previous=probe) is probe
    _append(store, first.id, "loss", [0], seq=1)
    moved = store.probe_project("p", previous=probe)
    assert moved is not probe and moved.runs[first.id].last_seq == 1
    second = store.create_run("p", name="two")
    created = store.probe_project("p", previous=moved)
    assert created.runs[second.id].name == "two" and created.fingerprint[1] == 2
    store.apply_ops(second.id, [StatusOp(RunStatus.FINISHED, at=1.0, seq=1)])
    ended = store.probe_project("p", previous=created)
    assert ended.runs[second.id].status is RunStatus.FINISHED
    store.delete_run(first.id)
    deleted = store.probe_project("p", previous=ended)
    assert set(deleted.runs) == {second.id}


def test_probe_project_sees_a_run_crash(store: Store) -> None:
    run = store.create_run("p")
    probe = store.probe_project("p")
    assert probe.runs[run.id].status is RunStatus.RUNNING
    store.stale_after_s = -1.0  # every heartbeat is now too old
    crashed = store.probe_project("p", previous=probe)
    assert crashed is not probe and crashed.runs[run.id].status is RunStatus.CRASHED
