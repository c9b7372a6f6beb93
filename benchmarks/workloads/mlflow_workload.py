"""MLflow's side of the benchmark: run with ``benchmarks/.venv-mlflow``, prints JSON results.

    benchmarks/.venv-mlflow/bin/python benchmarks/workloads/mlflow_workload.py [--quick] ...

Each workload gets its own temporary folder holding an SQLite backend store
(``sqlite:///.../mlflow.db``) and a local artifact root, MLflow's own recommended local setup.
"""

from __future__ import annotations

import logging
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
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

# The equivalent of Cairn's "parameters/lr < 0.01 and val/acc > 0.5 and tags has 'cnn'":
# MLflow params are strings and support only =, !=, LIKE, IN, so lr is also logged as a metric.
QUERY_FILTER = "metrics.lr < 0.01 AND metrics.val_acc > 0.5 AND tags.cnn = 'true'"
QUERY_ORDER = ["metrics.val_acc DESC"]


def _say(message: str) -> None:
    progress("mlflow", message)


def _values(count: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() for _ in range(count)]


def _experiment(folder: str, name: str) -> str:
    """Point MLflow at a fresh SQLite store in ``folder``; return a new experiment's id."""
    mlflow.set_tracking_uri(f"sqlite:///{Path(folder, 'mlflow.db')}")
    artifacts = Path(folder, "artifacts").as_uri()
    return MlflowClient().create_experiment(name, artifact_location=artifacts)


def log_overhead(sizes: Sizes, folder: str) -> dict[str, Result]:
    """``mlflow.log_metric`` per call: synchronous (the default), and ``synchronous=False``."""
    experiment_id = _experiment(folder, "log")
    values = _values(max(sizes.mlflow_log_calls, sizes.mlflow_async_block))
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.log_metric("loss", 0.5, step=0)  # warm-up: first write to the run
        _say(f"log_metric: {sizes.mlflow_log_calls} synchronous calls")
        sync = each_s(
            sizes.mlflow_log_calls,
            lambda i: mlflow.log_metric("loss", values[i], step=i + 1),
        )
        mlflow.log_metric("loss_async", 0.5, step=0, synchronous=False)  # starts the thread
        steps = iter(range(1, sizes.mlflow_async_log_calls + 1))

        def async_block(block: int) -> None:
            for v in values[:block]:
                mlflow.log_metric("loss_async", v, step=next(steps), synchronous=False)

        _say(f"log_metric: {sizes.mlflow_async_log_calls} calls with synchronous=False")
        start = time.perf_counter()
        per_async = list(
            block_means_s(sizes.mlflow_async_log_calls, sizes.mlflow_async_block, async_block)
        )
        mlflow.flush_async_logging()
        durable_s = time.perf_counter() - start
    async_rate = sizes.mlflow_async_log_calls / durable_s
    return {
        "log_sync": time_result(sync, f"median of {len(sync)} single calls"),
        "log_async": time_result(
            per_async,
            f"median of {len(per_async)} blocks of {sizes.mlflow_async_block} calls; "
            f"{async_rate:,.0f} points/s until flush_async_logging() returned",
        ),
    }


def _log_points(
    client: MlflowClient, run_id: str, key: str, values: list[float], batch: int
) -> None:
    """``log_batch`` of ``batch`` metrics at a time: MLflow's fastest synchronous path."""
    now = int(time.time() * 1000)
    for first in range(0, len(values), batch):
        chunk = values[first : first + batch]
        metrics = [Metric(key, v, now, first + i) for i, v in enumerate(chunk)]
        client.log_batch(run_id, metrics=metrics)


def durable(sizes: Sizes, folder: str) -> dict[str, Result]:
    """Points per second through ``log_batch`` (synchronous: stored when it returns)."""
    experiment_id = _experiment(folder, "durable")
    client = MlflowClient()
    values = _values(sizes.mlflow_durable_points)
    rates = []
    for repeat in range(sizes.durable_repeats):
        run_id = client.create_run(experiment_id).info.run_id
        _say(f"durable: {len(values):,} points, repeat {repeat + 1}/{sizes.durable_repeats}")
        start = time.perf_counter()
        _log_points(client, run_id, "x", values, sizes.mlflow_batch)
        client.set_terminated(run_id)
        rates.append(len(values) / (time.perf_counter() - start))
    note = (
        f"{len(values):,} points, log_batch of {sizes.mlflow_batch:,} metrics, "
        f"median of {len(rates)}"
    )
    return {"durable": rate_result(rates, note)}


def reads(sizes: Sizes, folder: str) -> dict[str, Result]:
    """``get_metric_history`` whole, and the tracking store's sampled read (what the MLflow
    server answers the UI's chart requests with; ``MlflowClient`` has no such call)."""
    experiment_id = _experiment(folder, "read")
    client = MlflowClient()
    run_id = client.create_run(experiment_id).info.run_id
    _say(f"read: storing {sizes.read_points:,} points")
    _log_points(client, run_id, "x", _values(sizes.read_points), sizes.mlflow_batch)
    client.set_terminated(run_id)
    _say(f"read: {sizes.read_points:,} points whole, {sizes.read_repeats} times")
    full = each_s(
        sizes.read_repeats,
        lambda _: _expect(len(client.get_metric_history(run_id, "x")) == sizes.read_points),
    )
    store = client._tracking_client.store
    limit = sizes.downsample_points
    _say(f"read: sampled to {limit:,} points")
    down = each_s(
        sizes.read_repeats,
        lambda _: _expect(
            len(store.get_metric_history_bulk_interval([run_id], "x", limit, None, None)) <= limit
        ),
    )
    return {
        "read_full": time_result(full, "MlflowClient().get_metric_history(); a list of Metric"),
        "read_downsampled": time_result(
            down,
            "tracking store's get_metric_history_bulk_interval (server-side; not in "
            "MlflowClient): evenly spaced points, min/max not kept",
        ),
    }


def _create_query_runs(sizes: Sizes, experiment_id: str) -> tuple[int, int, float]:
    """Create runs until ``query_runs`` or the time budget; return (runs, matches, seconds)."""
    client = MlflowClient()
    start = time.perf_counter()
    created = expected = 0
    for spec in query_runs(sizes.query_runs, sizes.query_points):
        if time.perf_counter() - start > sizes.mlflow_query_setup_budget_s:
            break
        run_id = client.create_run(experiment_id).info.run_id
        now = int(time.time() * 1000)
        metrics = [Metric("val_acc", v, now, step) for step, v in enumerate(spec.val_acc)]
        metrics.append(Metric("lr", spec.lr, now, 0))
        params = [
            Param("lr", repr(spec.lr)),
            Param("batch_size", str(spec.batch_size)),
            Param("optimizer", spec.optimizer),
        ]
        tags = [RunTag("cnn", "true")] if spec.is_cnn else []
        client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
        client.set_terminated(run_id)
        created += 1
        expected += spec.lr < 0.01 and spec.val_acc[-1] > 0.5 and spec.is_cnn
        if created % 1000 == 0:
            _say(f"query: {created:,} runs in {time.perf_counter() - start:.0f} s")
    return created, expected, time.perf_counter() - start


def query(sizes: Sizes, folder: str) -> dict[str, Result]:
    """``mlflow.search_runs`` with an equivalent filter, ordered, 100 results, as a DataFrame."""
    experiment_id = _experiment(folder, "query")
    budget_s = sizes.mlflow_query_setup_budget_s
    _say(f"query: creating up to {sizes.query_runs:,} runs (budget {budget_s:.0f} s)")
    created, expected, setup_s = _create_query_runs(sizes, experiment_id)
    rows = min(expected, sizes.query_limit)
    _say(f"query: {sizes.query_repeats} queries over {created:,} runs ({expected} match)")
    samples = each_s(
        sizes.query_repeats,
        lambda _: _expect(
            len(
                mlflow.search_runs(
                    experiment_ids=[experiment_id],
                    filter_string=QUERY_FILTER,
                    order_by=QUERY_ORDER,
                    max_results=sizes.query_limit,
                )
            )
            == rows
        ),
    )
    note = (
        f"{created:,} runs (create_run + log_batch + set_terminated) in {setup_s:.0f} s; "
        f"{expected} match, {rows} returned; lr filtered as a metric (params are strings)"
    )
    return {"query": time_result(samples, note)}


def create_stop(sizes: Sizes, folder: str) -> dict[str, Result]:
    """``mlflow.start_run()`` then ``mlflow.end_run()``."""
    experiment_id = _experiment(folder, "create")
    mlflow.start_run(experiment_id=experiment_id)
    mlflow.end_run()  # warm-up
    _say(f"create + stop: {sizes.create_runs} runs")

    def one(_: int) -> None:
        mlflow.start_run(experiment_id=experiment_id)
        mlflow.end_run()

    samples = each_s(sizes.create_runs, one)
    note = f"median of {sizes.create_runs}, after one warm-up run; default tags (git, source, user)"
    return {"create_stop": time_result(samples, note)}


def _expect(condition: bool) -> None:
    if not condition:
        raise SystemExit("mlflow workload: a read returned an unexpected number of rows")


WORKLOADS: dict[str, Callable[[Sizes, str], dict[str, Result]]] = {
    "log": log_overhead,
    "durable": durable,
    "read": reads,
    "query": query,
    "create": create_stop,
}


def _quiet() -> None:
    """MLflow and Alembic log every migration step at INFO; keep the progress readable."""
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")


def main() -> None:
    args = parse_args(__doc__ or "")
    sizes = Sizes.pick(args.quick)
    _quiet()
    results: dict[str, Result] = {}
    extra: dict[str, Any] = {"python": platform.python_version()}
    for name, workload in WORKLOADS.items():
        if args.only and name not in args.only:
            continue
        with tempfile.TemporaryDirectory(prefix=f"mlflow-bench-{name}-") as folder:
            results.update(workload(sizes, folder))
    emit("mlflow", mlflow.__version__, results, args.out, **extra)


if __name__ == "__main__":
    main()
