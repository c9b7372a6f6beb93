"""Cairn's side of the benchmark: run with the project venv, prints (or writes) JSON results.

    .venv/bin/python benchmarks/workloads/cairn_workload.py [--quick] [--only NAME] [--out FILE]

Each workload gets its own temporary store (``home=``); nothing else is configured.
"""

from __future__ import annotations

import os
import platform
import random
import tempfile
import time
from collections.abc import Callable

from timing import (
    Result,
    Sizes,
    block_means_s,
    each_s,
    emit,
    parse_args,
    progress,
    query_runs,
    rate_result,
    time_result,
)

import cairn

QUERY_FILTER = "parameters/lr < 0.01 and val/acc > 0.5 and tags has 'cnn'"
QUERY_SORT = "-val/acc"


def _say(message: str) -> None:
    progress("cairn", message)


def _values(count: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() for _ in range(count)]


def log_overhead(sizes: Sizes, home: str) -> dict[str, Result]:
    """``handle.log(v)`` and ``run[path].log(v)``: median of block means, in seconds per call."""
    values = _values(sizes.log_block)
    run = cairn.init(project="log", home=home, capture=False)
    handle = run["train/loss"]
    handle.log(0.5)  # the first point takes the slow path: it claims the series

    def via_handle(_: int) -> None:
        for v in values:
            handle.log(v)

    def via_getitem(_: int) -> None:
        for v in values:
            run["train/loss"].log(v)

    _say(f"log(): {sizes.log_calls:,} calls through a handle")
    per_handle = list(block_means_s(sizes.log_calls, sizes.log_block, via_handle))
    run.wait()  # let the sender catch up so the second loop starts from an empty queue
    _say(f"log(): {sizes.log_calls:,} calls through run[path]")
    per_getitem = list(block_means_s(sizes.log_calls, sizes.log_block, via_getitem))
    run.stop()
    blocks = f"{len(per_handle)} blocks of {sizes.log_block:,} calls"
    return {
        "log_handle": time_result(per_handle, f"median of {blocks}"),
        "log_getitem": time_result(per_getitem, f"median of {blocks}"),
    }


def durable(sizes: Sizes, home: str) -> dict[str, Result]:
    """Points per second from the first ``log()`` until ``run.stop()`` returned."""
    values = _values(sizes.durable_points)
    rates = []
    for repeat in range(sizes.durable_repeats):
        run = cairn.init(project="durable", home=os.path.join(home, str(repeat)), capture=False)
        handle = run["x"]
        _say(f"durable: {len(values):,} points, repeat {repeat + 1}/{sizes.durable_repeats}")
        start = time.perf_counter()
        for v in values:
            handle.log(v)
        run.stop()
        rates.append(len(values) / (time.perf_counter() - start))
        stored = cairn.get_run(run.key, home=os.path.join(home, str(repeat)))["x"]
        _check(len(stored.fetch_values()) == len(values), "durable: points missing after stop()")
    return {
        "durable": rate_result(
            rates, f"{len(values):,} points into one series, median of {len(rates)}"
        )
    }


def reads(sizes: Sizes, home: str) -> dict[str, Result]:
    """Read a stored series whole, and reduced to ``downsample_points`` points."""
    with cairn.init(project="read", home=home, capture=False) as run:
        handle = run["x"]
        for v in _values(sizes.read_points):
            handle.log(v)
    series = cairn.get_run(run.key, home=home)["x"]
    _say(f"read: {sizes.read_points:,} points whole, {sizes.read_repeats} times")
    full = each_s(
        sizes.read_repeats, lambda _: _expect_rows(series.fetch_values(), sizes.read_points)
    )
    _say(f"read: downsampled to {sizes.downsample_points:,} points")
    limit = sizes.downsample_points
    down = each_s(
        sizes.read_repeats,
        lambda _: _expect_rows(series.fetch_values(max_points=limit), limit, at_most=True),
    )
    return {
        "read_full": time_result(full, "fetch_values() on cairn.get_run(key); a DataFrame"),
        "read_downsampled": time_result(
            down, f"fetch_values(max_points={limit:,}): min and max kept per bucket"
        ),
    }


def query(sizes: Sizes, home: str) -> dict[str, Result]:
    """A filtered, sorted query over ``query_runs`` runs, returning a DataFrame."""
    _say(f"query: creating {sizes.query_runs:,} runs with cairn.init(capture=False)")
    start = time.perf_counter()
    expected = 0
    for spec in query_runs(sizes.query_runs, sizes.query_points):
        config = {"lr": spec.lr, "batch_size": spec.batch_size, "optimizer": spec.optimizer}
        tags = ["cnn"] if spec.is_cnn else []
        with cairn.init(project="query", home=home, tags=tags, config=config, capture=False) as run:
            handle = run["val/acc"]
            for v in spec.val_acc:
                handle.log(v)
        expected += spec.lr < 0.01 and spec.val_acc[-1] > 0.5 and spec.is_cnn
    setup_s = time.perf_counter() - start
    project = cairn.Project("query", home=home)
    rows = min(expected, sizes.query_limit)
    _say(f"query: {sizes.query_repeats} queries ({expected} runs match)")
    samples = each_s(
        sizes.query_repeats,
        lambda _: _expect_rows(
            project.runs(filter=QUERY_FILTER, sort=QUERY_SORT, limit=sizes.query_limit), rows
        ),
    )
    note = (
        f"{sizes.query_runs:,} runs made with cairn.init(capture=False) in {setup_s:.0f} s; "
        f"{expected} match, {rows} returned"
    )
    return {"query": time_result(samples, note)}


def create_stop(sizes: Sizes, home: str) -> dict[str, Result]:
    """``cairn.init(...)`` then ``.stop()``, with capture off and with the default capture."""
    cairn.init(project="create", home=home, capture=False).stop()  # warm-up: makes the store
    _say(f"create + stop: {sizes.create_runs} runs, capture off")
    off = each_s(
        sizes.create_runs, lambda _: cairn.init(project="create", home=home, capture=False).stop()
    )
    cairn.init(project="create", home=home).stop()  # warm-up: imports the capture modules
    _say(f"create + stop: {sizes.create_runs} runs, capture on")
    on = each_s(sizes.create_runs, lambda _: cairn.init(project="create", home=home).stop())
    note = f"median of {sizes.create_runs}, after one warm-up run"
    return {
        "create_stop": time_result(off, f"capture=False; {note}"),
        "create_stop_capture": time_result(on, f"default capture (git, env, code, ...); {note}"),
    }


def _expect_rows(frame: object, rows: int, *, at_most: bool = False) -> None:
    count = len(frame)  # type: ignore[arg-type]
    _check(count <= rows if at_most else count == rows, f"expected {rows} rows, got {count}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"cairn workload: {message}")


WORKLOADS: dict[str, Callable[[Sizes, str], dict[str, Result]]] = {
    "log": log_overhead,
    "durable": durable,
    "read": reads,
    "query": query,
    "create": create_stop,
}


def main() -> None:
    args = parse_args(__doc__ or "")
    sizes = Sizes.pick(args.quick)
    results: dict[str, Result] = {}
    for name, workload in WORKLOADS.items():
        if args.only and name not in args.only:
            continue
        with tempfile.TemporaryDirectory(prefix=f"cairn-bench-{name}-") as home:
            results.update(workload(sizes, home))
    emit("cairn", cairn.__version__, results, args.out, python=platform.python_version())


if __name__ == "__main__":
    main()
