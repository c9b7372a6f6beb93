"""Runs grouped by a field or a sys/ column, with count and mean/min/max per group, on
SQLite and PostgreSQL."""

from __future__ import annotations

import math
import time

import pytest

from cairn.errors import InvalidInput, QuerySyntaxError
from cairn.ops import AppendOp, SetOp, StatusOp
from cairn.store.groups import Aggregate
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind


def _run(
    store: Store, *, optimizer: str | None, lr: float, loss: list[float], **extra: object
) -> str:
    run = store.create_run("mnist")
    ops: list = [SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, lr)]
    if optimizer is not None:
        ops.append(SetOp(FieldPath("parameters/optimizer"), FieldKind.STRING, optimizer))
    for path, value in extra.items():
        kind = FieldKind.BOOL if isinstance(value, bool) else FieldKind.INT
        ops.append(SetOp(FieldPath(f"parameters/{path}"), kind, value))
    steps = list(range(len(loss)))
    ops.append(AppendOp(FieldPath("train/loss"), SeriesKind.FLOAT, steps, loss, [1.0] * len(loss)))
    store.apply_ops(run.id, ops)
    return run.id


@pytest.fixture
def sweep(store: Store) -> Store:
    _run(store, optimizer="adam", lr=0.01, loss=[3.0, 1.0], wide=True, layers=2)
    _run(store, optimizer="adam", lr=0.001, loss=[4.0, 2.0, 3.0], wide=False, layers=2)
    _run(store, optimizer="sgd", lr=0.1, loss=[5.0, 0.5], wide=True, layers=3)
    _run(store, optimizer=None, lr=0.1, loss=[9.0])
    return store


def test_group_by_a_parameter_with_aggregates(sweep: Store) -> None:
    page = sweep.group_runs(
        "mnist",
        by="parameters/optimizer",
        columns=["sys/id", "train/loss", "train/loss:min", "parameters/lr"],
    )
    assert page.columns == ["train/loss", "train/loss:min", "parameters/lr"]
    assert [(g.kind, g.value, g.count) for g in page.groups] == [
        ("string", "adam", 2),
        ("string", "sgd", 1),
        ("missing", None, 1),
    ]
    adam = page.groups[0].aggregates
    assert adam["train/loss"] == Aggregate(mean=2.0, min=1.0, max=3.0)
    assert adam["train/loss:min"] == Aggregate(mean=1.5, min=1.0, max=2.0)
    assert adam["parameters/lr"].mean == pytest.approx(0.0055)
    assert page.total_groups == 3 and page.total_runs == 4


def test_each_group_filter_selects_its_runs(sweep: Store) -> None:
    for by in [
        "parameters/optimizer",
        "parameters/lr",
        "parameters/wide",
        "parameters/layers",
        "sys/status",
    ]:
        page = sweep.group_runs("mnist", by=by)
        assert sum(g.count for g in page.groups) == 4
        for group in page.groups:
            assert sweep.count_runs("mnist", filter=group.filter) == group.count, group


def test_numbers_group_in_order_and_keep_their_kind(sweep: Store) -> None:
    page = sweep.group_runs("mnist", by="parameters/lr")
    assert [(g.value, g.count) for g in page.groups] == [(0.001, 1), (0.01, 1), (0.1, 2)]
    assert page.groups[0].filter == "`parameters/lr` = 0.001"
    flags = sweep.group_runs("mnist", by="parameters/wide")
    assert [(g.value, g.count) for g in flags.groups] == [(False, 1), (True, 2), (None, 1)]
    layers = sweep.group_runs("mnist", by="parameters/layers")
    assert [g.value for g in layers.groups] == [2, 3, None]
    assert isinstance(layers.groups[0].value, int)


def test_grouping_follows_the_filter_and_the_limit(sweep: Store) -> None:
    page = sweep.group_runs("mnist", by="parameters/optimizer", filter="parameters/lr < 0.05")
    assert [(g.value, g.count) for g in page.groups] == [("adam", 2)]
    cut = sweep.group_runs("mnist", by="parameters/lr", limit=1)
    assert len(cut.groups) == 1 and cut.total_groups == 3 and cut.total_runs == 4


def test_group_by_status_counts_crashed_runs_as_people_see_them(sweep: Store) -> None:
    [first, *_] = sweep.list_runs("mnist", sort="sys/id")
    sweep.apply_ops(first.id, [StatusOp(RunStatus.FINISHED, at=time.time())])
    page = sweep.group_runs("mnist", by="sys/status", columns=["train/loss"])
    assert [(g.value, g.count) for g in page.groups] == [("finished", 1), ("running", 3)]
    assert page.groups[0].filter == "status = 'finished'"
    assert page.groups[0].aggregates["train/loss"] == Aggregate(1.0, 1.0, 1.0)
    sweep.stale_after_s = -10.0  # every heartbeat is now too old
    page = sweep.group_runs("mnist", by="sys/status")
    assert [(g.value, g.count) for g in page.groups] == [("crashed", 3), ("finished", 1)]
    assert sweep.count_runs("mnist", filter=page.groups[0].filter) == 3


def test_texts_with_quotes_and_nan_values_round_trip(store: Store) -> None:
    for optimizer in ["it's \\ odd\n", "plain"]:
        _run(store, optimizer=optimizer, lr=math.nan, loss=[math.nan])
    page = store.group_runs("mnist", by="parameters/optimizer", columns=["train/loss"])
    assert [g.value for g in page.groups] == ["it's \\ odd\n", "plain"]
    assert page.groups[0].aggregates["train/loss"] == Aggregate(None, None, None)
    for group in page.groups:
        assert store.count_runs("mnist", filter=group.filter) == 1
    nan = store.group_runs("mnist", by="parameters/lr").groups
    assert len(nan) == 1 and math.isnan(nan[0].value)  # type: ignore[arg-type]
    assert store.count_runs("mnist", filter=nan[0].filter) == 2


def test_bad_group_requests(sweep: Store) -> None:
    with pytest.raises(InvalidInput, match="cannot group by 'sys/tags'"):
        sweep.group_runs("mnist", by="sys/tags")
    with pytest.raises(InvalidInput):
        sweep.group_runs("mnist", by="")
    with pytest.raises(QuerySyntaxError):
        sweep.group_runs("mnist", by="parameters/lr", filter="lr <")
