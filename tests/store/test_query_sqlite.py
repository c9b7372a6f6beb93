"""The filter and sort language executed against a real SQLite file."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, insert, inspect, select
from sqlalchemy.dialects import postgresql

from cairn.store import schema
from cairn.store.query import (
    compile_filter,
    compile_sort,
    effective_status,
    parse_filter,
    parse_sort,
)
from cairn.store.query.parser import MAX_CONDITIONS, MAX_VALUES

NOW = 1_800_000_000.0
STALE_AFTER_S = 300.0
CUTOFF = NOW - STALE_AFTER_S
DAY_S = 86_400.0
NOV_1_2026 = 1793491200.0  # 2026-11-01T00:00:00Z

RunFactory = Callable[..., str]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{tmp_path / 'cairn.db'}")
    schema.metadata.create_all(made)
    with made.begin() as conn:
        conn.execute(
            insert(schema.projects).values(
                id=1, name="mnist", key="MNIST", next_number=1, created_at=NOW
            )
        )
    yield made
    made.dispose()


@pytest.fixture
def make_run(engine: Engine) -> RunFactory:
    """Insert one run with its fields, float series and tags; return its key."""

    def factory(
        number: int,
        *,
        name: str = "",
        status: str = "finished",
        created_at: float = NOV_1_2026,
        heartbeat_at: float | None = None,
        ended_at: float | None = None,
        tags: tuple[str, ...] = (),
        fields: dict[str, Any] | None = None,
        series: dict[str, tuple[float | None, float | None, float | None]] | None = None,
        files: tuple[str, ...] = (),
    ) -> str:
        run_id = str(uuid.uuid4())
        key = f"MNIST-{number}"
        with engine.begin() as conn:
            conn.execute(
                insert(schema.runs).values(
                    id=run_id,
                    project_id=1,
                    number=number,
                    key=key,
                    name=name or key.lower(),
                    description="",
                    status=status,
                    owner="ada",
                    host="box",
                    created_at=created_at,
                    ended_at=ended_at,
                    heartbeat_at=heartbeat_at,
                    last_seq=0,
                )
            )
            for tag in tags:
                conn.execute(insert(schema.run_tags).values(run_id=run_id, tag=tag))
            for path, value in (fields or {}).items():
                conn.execute(
                    insert(schema.fields).values(run_id=run_id, path=path, **_field(value))
                )
            for path, (last, low, high) in (series or {}).items():
                conn.execute(
                    insert(schema.series).values(
                        run_id=run_id,
                        path=path,
                        kind="float",
                        count=10,
                        last_value=last,
                        min_value=low,
                        max_value=high,
                    )
                )
            for path in files:
                conn.execute(
                    insert(schema.files).values(
                        run_id=run_id,
                        path=path,
                        name="model.pt",
                        mime="application/octet-stream",
                        size_bytes=1,
                        sha256="0" * 64,
                        created_at=NOW,
                    )
                )
        return key

    return factory


def _field(value: Any) -> dict[str, Any]:
    """A field row the way the store writes it (see store/apply.py)."""
    if isinstance(value, bool):
        return {"kind": "bool", "value_num": float(value), "value_text": None}
    if isinstance(value, float):
        text_ = None if math.isfinite(value) else repr(value)
        return {
            "kind": "float",
            "value_num": None if math.isnan(value) else value,
            "value_text": text_,
        }
    if isinstance(value, tuple):  # ("data_version", hash)
        return {"kind": value[0], "value_num": None, "value_text": value[1]}
    return {"kind": "string", "value_num": None, "value_text": value}


@pytest.fixture
def runs(make_run: RunFactory) -> None:
    make_run(
        1,
        name="resnet-18",
        status="finished",
        created_at=NOV_1_2026 - 30 * DAY_S,
        ended_at=NOV_1_2026 - 29 * DAY_S,
        tags=("cnn",),
        fields={
            "parameters/lr": 0.001,
            "parameters/optimizer/name": "adam",
            "data/train": ("data_version", "abc123"),
            "flag": True,
        },
        series={"val/acc": (0.95, 0.5, 0.96)},
        files=("model",),
    )
    make_run(
        2,
        name="mlp-small",
        status="failed",
        created_at=NOV_1_2026 + DAY_S,
        ended_at=NOV_1_2026 + 2 * DAY_S,
        tags=("mlp",),
        fields={
            "parameters/lr": 0.1,
            "parameters/optimizer/name": "sgd",
            "data/train": ("data_version", "def456"),
            "flag": False,
        },
        series={"val/acc": (0.80, 0.3, 0.85)},
    )
    make_run(  # running, but its heartbeat stopped long ago: crashed
        3,
        name="resnet-50",
        status="running",
        created_at=NOV_1_2026 + 4 * DAY_S,
        heartbeat_at=CUTOFF - 60,
        tags=("cnn", "big"),
        series={"val/acc": (None, 0.1, 0.7)},  # NaN last point
    )
    make_run(  # running and alive
        4,
        name="vit",
        status="running",
        created_at=NOW - 3600,
        heartbeat_at=NOW - 5,
        fields={"parameters/lr": math.nan, "parameters/optimizer/name": "adamw"},
    )


def keys(engine: Engine, filter_text: str, sort_text: str = "id") -> list[str]:
    where = compile_filter(parse_filter(filter_text), cutoff=CUTOFF)
    order = compile_sort(parse_sort(sort_text), cutoff=CUTOFF)
    query = select(schema.runs.c.key).where(where).order_by(*order, schema.runs.c.number)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("", [1, 2, 3, 4]),
        ("parameters/lr < 0.01", [1]),
        ("parameters/lr >= 0.001", [1, 2]),
        ("parameters/lr = 0.1", [2]),
        ("parameters/lr != 0.1", [1, 4]),  # runs that have lr (NaN included) and it isn't 0.1
        ("not parameters/lr = 0.1", [1, 3, 4]),  # plain complement: run 3 has no lr
        ("not parameters/lr < 1", [3, 4]),  # NaN is not < 1, missing is not < 1
        ("parameters/lr = nan", [4]),
        ("parameters/lr != nan", [1, 2]),
        ("parameters/lr < inf", [1, 2]),
        ("parameters/lr in [0.1, 0.5]", [2]),
        ("parameters/lr not in [0.1]", [1, 4]),
        ("parameters/optimizer/name = 'adam'", [1]),
        ("parameters/optimizer/name ~ '^adam'", [1, 4]),
        ("parameters/optimizer/name !~ '^adam'", [2]),
        ("parameters/optimizer/name ~ '(?i)ADAM'", [1, 4]),
        ("parameters/optimizer/name in ['sgd', 'adamw', 5]", [2, 4]),
        ("parameters/optimizer/name > 'b'", [2]),
        ("data/train = 'abc123'", [1]),
        ("flag = true", [1]),
        ("flag = false", [2]),
        ("flag != true", [2]),
        ("val/acc > 0.9", [1]),
        ("val/acc:last > 0.9", [1]),
        ("val/acc:max > 0.9", [1]),
        ("val/acc:max <= 0.85", [2, 3]),
        ("val/acc:min < 0.2", [3]),
        ("val/acc = nan", [3]),
        ("val/acc:max = nan", []),
        ("val/acc exists", [1, 2, 3]),
        ("model exists", [1]),
        ("not model exists", [2, 3, 4]),
        ("parameters exists", []),  # a path is a leaf, not a prefix
        ("tags has 'cnn'", [1, 3]),
        ("not tags has 'cnn'", [2, 4]),
        ("tags has 'cnn' and tags has 'big'", [3]),
        ("tags exists", [1, 2, 3]),
        ("status = 'finished'", [1]),
        ("status = 'crashed'", [3]),
        ("status = 'running'", [4]),
        ("status != 'running'", [1, 2, 3]),
        ("status in ['failed', 'crashed']", [2, 3]),
        ("status ~ '^(fin|fail)'", [1, 2]),
        ("id = 'MNIST-2'", [2]),
        ("id in ['MNIST-1', 'MNIST-3', 'MNIST-99']", [1, 3]),
        ("id not in ['MNIST-1']", [2, 3, 4]),
        ("name ~ 'resnet'", [1, 3]),
        ("name !~ 'resnet'", [2, 4]),
        ("name = 'vit' or name = 'mlp-small'", [2, 4]),
        ("owner = 'ada' and host = 'box' and description = ''", [1, 2, 3, 4]),
        ("created_at > '2026-11-01'", [2, 3, 4]),
        ("created_at < '2026-11-01T00:00:00+01:00'", [1]),
        (f"created_at >= {NOV_1_2026 + DAY_S}", [2, 3, 4]),
        ("ended_at exists", [1, 2]),
        ("ended_at > '2026-11-01'", [2]),
        ("not ended_at > '2026-11-01'", [1, 3, 4]),  # a missing time is not after anything
        ("ended_at != 0", [1, 2]),
        ("heartbeat_at < 1", []),
        ("missing/path = 1 or missing/path != 1 or missing/path ~ 'x'", []),
        ("not (missing/path = 1)", [1, 2, 3, 4]),
        (
            "parameters/lr < 0.01 and val/acc > 0.9 and tags has 'cnn' and status = 'finished'",
            [1],
        ),
        ("(val/acc > 0.9 or status = 'crashed') and not flag = true", [3]),
    ],
)
def test_filters(engine: Engine, filter_text: str, expected: list[int]) -> None:
    assert keys(engine, filter_text) == [f"MNIST-{n}" for n in expected]


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize(
    ("sort_text", "expected"),
    [
        ("-val/acc", [1, 2, 3, 4]),  # NaN (3) and missing (4) last
        ("val/acc", [2, 1, 3, 4]),
        ("val/acc:min", [3, 2, 1, 4]),
        ("-val/acc:max", [1, 2, 3, 4]),
        ("parameters/lr", [1, 2, 3, 4]),  # NaN (4) sorts with missing (3), last
        ("-parameters/lr", [2, 1, 3, 4]),
        ("parameters/optimizer/name", [1, 4, 2, 3]),
        ("-parameters/optimizer/name", [2, 4, 1, 3]),
        ("-created_at", [4, 3, 2, 1]),
        ("-ended_at", [2, 1, 3, 4]),
        ("ended_at", [1, 2, 3, 4]),
        ("status, -id", [3, 2, 1, 4]),
        ("name", [2, 1, 3, 4]),
        ("-id", [4, 3, 2, 1]),
    ],
)
def test_sorts(engine: Engine, sort_text: str, expected: list[int]) -> None:
    assert keys(engine, "", sort_text) == [f"MNIST-{n}" for n in expected]


def test_ids_sort_by_number_not_text(engine: Engine, make_run: RunFactory) -> None:
    for number in (10, 9, 100):
        make_run(number)
    assert keys(engine, "", "id") == ["MNIST-9", "MNIST-10", "MNIST-100"]


def test_a_mixed_path_sorts_numbers_then_text_then_missing(
    engine: Engine, make_run: RunFactory
) -> None:
    make_run(1, fields={"x": "b"})
    make_run(2, fields={"x": 2.0})
    make_run(3)
    make_run(4, fields={"x": "a"})
    make_run(5, fields={"x": 1.0})
    assert keys(engine, "", "x") == ["MNIST-5", "MNIST-2", "MNIST-4", "MNIST-1", "MNIST-3"]
    assert keys(engine, "", "-x") == ["MNIST-2", "MNIST-5", "MNIST-1", "MNIST-4", "MNIST-3"]


def test_effective_status_counts_a_stale_heartbeat_as_crashed(
    engine: Engine, make_run: RunFactory
) -> None:
    make_run(1, status="running", heartbeat_at=CUTOFF + 1)
    make_run(2, status="running", heartbeat_at=CUTOFF - 1)
    make_run(3, status="running", created_at=CUTOFF - 1)  # never sent a heartbeat
    make_run(4, status="aborted", heartbeat_at=0.0)
    query = select(schema.runs.c.key, effective_status(CUTOFF)).order_by(schema.runs.c.number)
    with engine.connect() as conn:
        assert [tuple(row) for row in conn.execute(query)] == [
            ("MNIST-1", "running"),
            ("MNIST-2", "crashed"),
            ("MNIST-3", "crashed"),
            ("MNIST-4", "aborted"),
        ]


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize(
    "filter_text",
    [
        r"name = '\'; DROP TABLE runs; --'",
        'name = "x\'); DROP TABLE runs; --"',
        "`x'); DROP TABLE runs; --` = 1",
        '`x"; DELETE FROM runs; --` exists',
        r"tags has '\' OR 1=1 --'",
        r"name ~ '\' OR 1=1 --'",
        "id in ['MNIST-1\" OR \"1\"=\"1', \"MNIST-2' OR '1'='1\"]",
    ],
)
def test_hostile_text_stays_a_literal(engine: Engine, filter_text: str) -> None:
    assert keys(engine, filter_text) == []
    assert keys(engine, f"not ({filter_text})") == ["MNIST-1", "MNIST-2", "MNIST-3", "MNIST-4"]
    assert "runs" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.runs)).scalar_one() == 4


def test_user_text_is_bound_never_inlined() -> None:
    where = compile_filter(
        parse_filter("parameters/lr < 0.01 and name = 'zebra' and tags has 'okapi'"),
        cutoff=CUTOFF,
    )
    sql = str(where.compile(compile_kwargs={}))
    for user_text in ("parameters/lr", "0.01", "zebra", "okapi"):
        assert user_text not in sql


def test_every_condition_compiles_for_postgresql() -> None:
    text_ = (
        "parameters/lr < 0.01 and val/acc:max > 0.9 and tags has 'cnn' and status = 'finished'"
        " and name ~ 'res' and x in [1, 'a', true, nan] and y exists and created_at > '2026-01-01'"
        " and not ended_at != 3 and id not in ['K-1'] and z = nan and w != true"
    )
    where = compile_filter(parse_filter(text_), cutoff=CUTOFF)
    order = compile_sort(parse_sort("-val/acc, x:min, status, ended_at, id"), cutoff=CUTOFF)
    query = select(schema.runs.c.key).where(where).order_by(*order)
    sql = str(query.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    assert " ~ " in sql  # regexp_match becomes PostgreSQL's operator
    assert "REGEXP" not in sql


def test_ten_thousand_runs_filter_and_sort_through_indexes(engine: Engine, tmp_path: Path) -> None:
    run_rows, field_rows, series_rows, tag_rows = [], [], [], []
    for number in range(1, 10_001):
        run_id = f"{number:036d}"
        run_rows.append(
            dict(
                id=run_id,
                project_id=1,
                number=number,
                key=f"MNIST-{number}",
                name=f"r{number}",
                description="",
                status="finished" if number % 3 else "failed",
                owner="ada",
                host="box",
                created_at=NOW + number,
                ended_at=None,
                heartbeat_at=None,
                last_seq=0,
            )
        )
        field_rows.append(
            dict(
                run_id=run_id,
                path="parameters/lr",
                kind="float",
                value_num=number / 10_000,
                value_text=None,
            )
        )
        if number % 7:  # every seventh run lacks the series
            series_rows.append(
                dict(
                    run_id=run_id,
                    path="val/acc",
                    kind="float",
                    count=1,
                    last_value=(number % 100) / 100,
                    min_value=0.0,
                    max_value=1.0,
                )
            )
        if number % 2:
            tag_rows.append(dict(run_id=run_id, tag="cnn"))
    with engine.begin() as conn:
        conn.execute(insert(schema.runs), run_rows)
        conn.execute(insert(schema.fields), field_rows)
        conn.execute(insert(schema.series), series_rows)
        conn.execute(insert(schema.run_tags), tag_rows)

    filter_text = (
        "parameters/lr < 0.5 and val/acc >= 0.95 and tags has 'cnn' and status = 'finished'"
    )
    where = compile_filter(parse_filter(filter_text), cutoff=CUTOFF)
    order = compile_sort(parse_sort("-val/acc, -id"), cutoff=CUTOFF)
    query = select(schema.runs.c.key).where(where).order_by(*order)
    with engine.connect() as conn:
        got = list(conn.execute(query).scalars())
        # Literals inlined only for EXPLAIN; the query above ran with bound parameters.
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    expected = sorted(
        (
            n
            for n in range(1, 10_001)
            if n / 10_000 < 0.5 and n % 7 and (n % 100) / 100 >= 0.95 and n % 2 and n % 3
        ),
        key=lambda n: (-(n % 100), -n),
    )
    assert got == [f"MNIST-{n}" for n in expected]
    assert len(got) > 10
    # Each per-run lookup is an index probe; no full scan of fields, series or tags.
    for table in ("fields", "series", "run_tags"):
        assert f"SCAN {table}" not in plan, plan


_CONDITIONS = [
    "parameters/lr < 0.01",
    "parameters/lr != 0.1",
    "parameters/lr = nan",
    "flag = true",
    "parameters/optimizer/name ~ '^adam'",
    "parameters/optimizer/name !~ 'w$'",
    "val/acc > 0.9",
    "val/acc:min < 0.2",
    "val/acc != nan",
    "model exists",
    "tags has 'cnn'",
    "status = 'crashed'",
    "status != 'running'",
    "id in ['MNIST-1', 'MNIST-4']",
    "x not in [1, 'a']",
    "ended_at > '2026-11-01'",
    "ended_at != 0",
    "missing/path = 1",
    "data/train = 'abc123'",
    "name ~ 'resnet'",
]


def _filters() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(_CONDITIONS)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from([" and ", " or "]), inner).map("".join),
            inner.map(lambda text_: f"not ({text_})"),
        ),
        max_leaves=6,
    )


@pytest.mark.usefixtures("runs")
def test_not_is_the_exact_complement_of_any_filter(engine: Engine) -> None:
    everyone = set(keys(engine, ""))

    @settings(max_examples=150, deadline=None)
    @given(_filters())
    def check(filter_text: str) -> None:
        matched = set(keys(engine, filter_text))
        assert matched | set(keys(engine, f"not ({filter_text})")) == everyone
        assert matched.isdisjoint(keys(engine, f"not ({filter_text})"))

    check()


@pytest.mark.usefixtures("runs")
def test_the_largest_filters_the_parser_allows_still_run(engine: Engine) -> None:
    many_conditions = " or ".join(f"parameters/lr = {n}" for n in range(MAX_CONDITIONS - 1))
    assert keys(engine, many_conditions + " or parameters/lr = 0.1") == ["MNIST-2"]
    assert keys(engine, "not (" + many_conditions.replace(" or ", " and ") + ")") == [
        "MNIST-1",
        "MNIST-2",
        "MNIST-3",
        "MNIST-4",
    ]
    numbers = ", ".join(str(n) for n in range(MAX_VALUES // 2 - 1))
    ids = ", ".join(f"'MNIST-{n}'" for n in range(4, MAX_VALUES // 2 + 4))
    mixed = f"parameters/lr in [{numbers}, 0.1] or id in [{ids}]"
    assert keys(engine, mixed) == ["MNIST-2", "MNIST-4"]
    assert keys(engine, f"parameters/optimizer/name not in ['sgd', {numbers}, nan, true]") == [
        "MNIST-1",
        "MNIST-4",
    ]
