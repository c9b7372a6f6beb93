"""The store's write path against a real SQLite file: ops in, records and points out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cairn.errors import FieldNotFound, InvalidInput, RunNotFound
from cairn.file import File
from cairn.ops import AddTagsOp, AppendOp, DeleteOp, RemoveTagsOp, SetOp, StatusOp, UploadOp
from cairn.store import migrate
from cairn.store.schema import CHUNK_POINTS
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind


def floats(path: str, steps: list[float], values: list[float], seq: int) -> AppendOp:
    return AppendOp(FieldPath(path), SeriesKind.FLOAT, steps, values, [1.0] * len(steps), seq=seq)


def test_run_keys_count_up_per_project(store: Store) -> None:
    assert store.create_run("mnist").key == "MNIST-1"
    assert store.create_run("mnist").key == "MNIST-2"
    assert store.create_run("my-project").key == "MY_PROJECT-1"
    assert [p.run_count for p in store.list_projects()] == [2, 1]


def test_bad_project_name_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="project name"):
        store.create_run("../etc")


def test_fields_of_every_kind_round_trip(store: Store) -> None:
    run = store.create_run("p")
    ops = [
        SetOp(FieldPath("a/float"), FieldKind.FLOAT, 0.5, seq=1),
        SetOp(FieldPath("a/nan"), FieldKind.FLOAT, math.nan, seq=2),
        SetOp(FieldPath("a/inf"), FieldKind.FLOAT, -math.inf, seq=3),
        SetOp(FieldPath("a/int"), FieldKind.INT, 7, seq=4),
        SetOp(FieldPath("a/bool"), FieldKind.BOOL, True, seq=5),
        SetOp(FieldPath("a/str"), FieldKind.STRING, "adam", seq=6),
        SetOp(FieldPath("a/json"), FieldKind.JSON, "[1, 2]", seq=7),
    ]
    store.apply_ops(run.id, ops)
    got = store.read_fields(run.id)
    assert got["a/float"] == 0.5 and got["a/int"] == 7 and got["a/bool"] is True
    assert math.isnan(got["a/nan"]) and got["a/inf"] == -math.inf  # type: ignore[arg-type]
    assert got["a/str"] == "adam" and got["a/json"] == [1, 2]


def test_float_series_spans_chunks_and_keeps_summary(store: Store) -> None:
    run = store.create_run("p")
    values = np.random.default_rng(0).normal(size=CHUNK_POINTS * 2 + 100)
    parts = np.array_split(np.arange(values.size), 5)
    for seq, part in enumerate(parts, start=1):
        store.apply_ops(
            run.id, [floats("loss", part.astype(float).tolist(), values[part].tolist(), seq)]
        )
    page = store.read_series(run.id, "loss")
    np.testing.assert_array_equal(page.values, values)
    np.testing.assert_array_equal(page.steps, np.arange(values.size))
    summary = store.get_series(run.id, "loss")
    assert summary.count == values.size
    assert summary.min_value == values.min() and summary.max_value == values.max()
    assert summary.last_value == values[-1]


def test_nan_and_inf_points_are_stored_as_such(store: Store) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [floats("x", [0, 1, 2], [1.0, math.inf, math.nan], 1)])
    page = store.read_series(run.id, "x")
    assert page.values[1] == math.inf and math.isnan(page.values[2])
    summary = store.get_series(run.id, "x")
    assert math.isnan(summary.last_value)  # type: ignore[arg-type]
    assert summary.min_value == 1.0 and summary.max_value == math.inf


def test_points_at_old_steps_are_dropped_and_reported(store: Store) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [floats("x", [0, 1, 2], [1, 2, 3], 1)])
    result = store.apply_ops(run.id, [floats("x", [2, 3], [9, 4], 2)])
    assert result.rejected == ["x: 1 point(s) skipped, their steps were not after the last step"]
    assert store.read_series(run.id, "x").values.tolist() == [1, 2, 3, 4]


def test_a_resent_batch_is_stored_once(store: Store) -> None:
    run = store.create_run("p")
    batch = [floats("x", [0, 1], [1, 2], 1), AddTagsOp(("a",), seq=2)]
    store.apply_ops(run.id, batch)
    again = store.apply_ops(run.id, batch)
    assert again.skipped_seen == 2
    assert store.get_series(run.id, "x").count == 2


def test_type_clash_skips_only_the_clashing_op(store: Store) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [floats("x", [0], [1.0], 1)])
    result = store.apply_ops(
        run.id,
        [
            SetOp(FieldPath("x"), FieldKind.FLOAT, 2.0, seq=2),
            SetOp(FieldPath("y"), FieldKind.FLOAT, 3.0, seq=3),
        ],
    )
    assert result.rejected == ["x: cannot store a field here, it already holds a series"]
    assert store.read_fields(run.id) == {"y": 3.0}
    assert store.get_series(run.id, "x").count == 1


def test_tags_status_and_sys_fields(store: Store) -> None:
    run = store.create_run("p", tags=["a"])
    store.apply_ops(
        run.id,
        [
            AddTagsOp(("b", "c"), seq=1),
            RemoveTagsOp(("a",), seq=2),
            SetOp(FieldPath("sys/name"), FieldKind.STRING, "renamed", seq=3),
            StatusOp(RunStatus.FAILED, at=123.0, traceback="boom", seq=4),
        ],
    )
    record = store.get_run(run.key)
    assert record.tags == ("b", "c") and record.name == "renamed"
    assert record.status is RunStatus.FAILED and record.traceback == "boom"
    assert record.ended_at is not None and record.ended_at.timestamp() == 123.0


def test_upload_string_and_file_series_and_delete(store: Store) -> None:
    run = store.create_run("p")
    image = File.from_bytes(b"\x89PNG fake", name="a.png")
    store.apply_ops(
        run.id,
        [
            UploadOp(FieldPath("model"), File.from_bytes(b"weights", name="m.pt"), seq=1),
            AppendOp(
                FieldPath("log"), SeriesKind.STRING, [0, 1], ["hello", "world"], [1, 2], seq=2
            ),
            AppendOp(FieldPath("imgs"), SeriesKind.FILE, [5], [image], [1], seq=3),
        ],
    )
    record = store.get_file(run.id, "model")
    assert store.artifacts.get_bytes(record.sha256) == b"weights"
    assert store.read_series(run.id, "log").values == ["hello", "world"]
    entry = store.read_series(run.id, "imgs").values[0]
    assert entry["name"] == "a.png"  # type: ignore[index]
    assert store.artifacts.get_bytes(entry["sha256"]) == b"\x89PNG fake"  # type: ignore[index]
    store.apply_ops(
        run.id, [DeleteOp(FieldPath("log"), seq=4), DeleteOp(FieldPath("model"), seq=5)]
    )
    with pytest.raises(FieldNotFound):
        store.get_series(run.id, "log")
    assert store.list_files(run.id) == []


def test_downsampled_read_is_bounded(store: Store) -> None:
    run = store.create_run("p")
    n = 20_000
    values = np.sin(np.arange(n) / 100.0)
    values[12_345] = 50.0  # a spike must survive
    store.apply_ops(run.id, [floats("x", np.arange(n, dtype=float).tolist(), values.tolist(), 1)])
    page = store.read_series(run.id, "x", max_points=500)
    assert len(page.steps) <= 500 and page.total_count == n
    assert 50.0 in page.values.tolist()
    window = store.read_series(run.id, "x", step_min=100, step_max=199)
    assert window.steps.tolist() == list(range(100, 200))


def test_unknown_run(store: Store) -> None:
    with pytest.raises(RunNotFound):
        store.get_run("NOPE-1")
    with pytest.raises(RunNotFound):
        store.apply_ops("0" * 36, [])


def test_migrations_upgrade_downgrade_upgrade(store: Store) -> None:
    assert migrate.script_head() == migrate.HEAD_REVISION
    migrate.downgrade(store.engine, "base")
    assert migrate.current_revision(store.engine) is None
    migrate.upgrade(store.engine)
    assert migrate.current_revision(store.engine) == migrate.HEAD_REVISION
    assert store.create_run("p").key == "P-1"


def test_nul_characters_are_refused_before_the_database(store: Store) -> None:
    from cairn.errors import QuerySyntaxError

    store.create_run("p")
    with pytest.raises(RunNotFound):
        store.get_run("P-1\x00")
    with pytest.raises(QuerySyntaxError, match="NUL"):
        store.list_runs("p", filter="name = 'a\x00b'")


def test_a_uuid_that_looks_like_a_key_still_finds_its_run(store: Store) -> None:
    # The last group of this UUID is all digits, like the number in "MNIST-42".
    run = store.create_run("p", run_id="04bf5ab9-b9a2-472c-af70-445102367044")
    assert store.get_run(run.id).key == "P-1"
    assert store.get_run("p-1").id == run.id
