"""One batch applied by two writers at the same moment (two replicas handed the same resend)
is stored once, on both stores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from cairn.ops import AppendOp, Op
from cairn.store.apply import ApplyResult
from cairn.store.store import Store
from cairn.types import FieldPath, SeriesKind


def _apply_when_both_ready(
    store: Store, run_id: str, batch: list[Op], start: Barrier
) -> ApplyResult:
    start.wait()
    return store.apply_ops(run_id, batch)


def test_a_batch_applied_twice_at_once_is_stored_once(store: Store) -> None:
    run = store.create_run("p")
    for seq in range(1, 6):  # a race: a few rounds, each a new batch
        steps = [float(s) for s in range((seq - 1) * 2000, seq * 2000)]
        batch: list[Op] = [
            AppendOp(FieldPath("loss"), SeriesKind.FLOAT, steps, steps, [0.0] * 2000, seq=seq)
        ]
        start = Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            sent = [
                pool.submit(_apply_when_both_ready, store, run.id, batch, start) for _ in range(2)
            ]
            results = [future.result() for future in sent]
        assert sorted(r.applied for r in results) == [0, 1]
    assert store.read_series(run.id, "loss").total_count == 10_000
