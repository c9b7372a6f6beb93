"""Parameter importance over a store's runs: the parameter that drives the metric ranks
first, by correlation and by the forest; bad metrics are refused with a reason."""

from __future__ import annotations

import math

import pytest

from cairn.errors import InvalidInput
from cairn.ops import AppendOp, Op, SetOp
from cairn.store.importance import parameter_importance, rank_parameters
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, SeriesKind


def _sweep(store: Store, runs: int = 16) -> None:
    """Runs where val/acc falls with log10(lr); batch size and optimizer are noise."""
    for index in range(runs):
        lr = 10 ** (-4 + 3 * index / (runs - 1))
        acc = 0.95 - 0.2 * (math.log10(lr) + 4) / 3 + 0.01 * ((index * 7) % 3)
        run = store.create_run("sweep")
        ops: list[Op] = [
            SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, lr, seq=1),
            SetOp(
                FieldPath("parameters/batch_size"), FieldKind.INT, [32, 64][index * 5 % 2], seq=1
            ),
            SetOp(
                FieldPath("parameters/optimizer"),
                FieldKind.STRING,
                ["sgd", "adam", "rms"][index * 5 % 3],
                seq=1,
            ),
            SetOp(FieldPath("parameters/epochs"), FieldKind.INT, 3, seq=1),
            SetOp(FieldPath("parameters/note"), FieldKind.STRING, "hi", seq=1),
            AppendOp(FieldPath("val/acc"), SeriesKind.FLOAT, [0, 1], [0.1, acc], [1.0, 2.0], seq=1),
            AppendOp(FieldPath("text"), SeriesKind.STRING, [0], ["hello"], [1.0], seq=1),
        ]
        store.apply_ops(run.id, ops)


def test_the_driving_parameter_ranks_first(store: Store) -> None:
    _sweep(store)
    result = parameter_importance(store, "sweep", "val/acc")
    assert result.run_count == 16
    first = result.parameters[0]
    assert first.path == "parameters/lr" and first.kind == "numeric"
    assert first.importance > 0.5
    assert first.correlation is not None and first.correlation < -0.9
    assert first.run_count == 16
    assert {p.path for p in result.parameters} == {
        "parameters/lr",
        "parameters/batch_size",
        "parameters/optimizer",
    }
    optimizer = next(p for p in result.parameters if p.path == "parameters/optimizer")
    assert optimizer.kind == "categorical" and optimizer.correlation_value in {"sgd", "adam", "rms"}
    assert sum(p.importance for p in result.parameters) == pytest.approx(1.0)
    assert result.constant == ["parameters/epochs", "parameters/note"]
    # The same runs give the same answer (a seeded forest).
    assert parameter_importance(store, "sweep", "val/acc") == result


def test_a_filter_picks_the_runs(store: Store) -> None:
    _sweep(store)
    result = parameter_importance(
        store, "sweep", "val/acc:max", filter="id in ['SWEEP-1', 'SWEEP-2', 'SWEEP-3']"
    )
    assert result.run_count == 3 and result.metric == "val/acc:max"


def test_a_categorical_driver_ranks_first() -> None:
    rows = [
        {
            "m": {"adam": 0.9, "sgd": 0.5}[opt] + 0.01 * i,
            "parameters/opt": opt,
            "parameters/seed": i % 4,
        }
        for i, opt in enumerate(["adam", "sgd"] * 6)
    ]
    result = rank_parameters("m", rows)
    assert result.parameters[0].path == "parameters/opt"
    assert result.parameters[0].correlation_value == "adam"
    assert result.parameters[0].correlation == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("val/nothing", "none of the 16 runs has it"),
        ("parameters/optimizer", "expected a float series or a numeric field, got str 'sgd'"),
        ("text", "none of the 16 runs has it"),
    ],
)
def test_a_metric_that_is_not_a_number_is_refused(store: Store, metric: str, message: str) -> None:
    _sweep(store)
    with pytest.raises(InvalidInput, match=message):
        parameter_importance(store, "sweep", metric)


def test_fewer_than_three_runs_are_refused(store: Store) -> None:
    _sweep(store)
    with pytest.raises(
        InvalidInput, match="2 run\\(s\\) have a finite value of it, importance needs at least 3"
    ):
        parameter_importance(store, "sweep", "val/acc", filter="id in ['SWEEP-1', 'SWEEP-2']")
