"""MLflow's side of the remote benchmark: ``mlflow server`` on loopback, its REST client.

    benchmarks/.venv-mlflow/bin/python benchmarks/workloads/mlflow_remote.py [--quick] ...

For each store (a SQLite file, a fresh PostgreSQL database through psycopg2) it starts
``mlflow server --backend-store-uri ... --default-artifact-root ...`` with its default
workers and runs the same workloads as ``cairn_remote.py``. MLflow's client has no queue
of its own on this path: ``log_batch`` returns once the server has stored the batch, so
that is when its points are durable.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import random
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from remote import (
    STORES,
    Server,
    StoreLocation,
    client_barrier,
    clients_rate,
    free_port,
    latency_results,
    parse_remote_args,
    run_clients,
    store_location,
    write_client_result,
)
from timing import (
    Result,
    Sizes,
    each_s,
    emit,
    progress,
    query_runs,
    rate_result,
    time_result,
)

PROBE = "/api/2.0/mlflow/experiments/search?max_results=1"
POSTGRES_DRIVER = "+psycopg2"  # MLflow's documented driver; SQLAlchemy 2.1 defaults to psycopg 3


def _say(message: str) -> None:
    progress("mlflow remote", message)


def _values(count: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() for _ in range(count)]


def server_command(store_url: str, artifacts: str, port: int) -> list[str]:
    mlflow_cli = os.path.join(os.path.dirname(sys.executable), "mlflow")
    return [mlflow_cli, "server", "--backend-store-uri", store_url, "--default-artifact-root",
            artifacts, "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip


@dataclass(frozen=True)
class Context:
    sizes: Sizes
    store: str
    url: str
    folder: str
    client: MlflowClient


def _experiment(ctx: Context, name: str) -> str:
    return ctx.client.create_experiment(name)


def log_points(client: MlflowClient, run_id: str, values: list[float], batch: int) -> list[float]:
    """``log_batch`` of ``batch`` metrics at a time; seconds of each call."""
    now = int(time.time() * 1000)
    chunks = [values[first : first + batch] for first in range(0, len(values), batch)]

    def one(i: int) -> None:
        metrics = [Metric("x", v, now, i * batch + j) for j, v in enumerate(chunks[i])]
        client.log_batch(run_id, metrics=metrics)

    return each_s(len(chunks), one)


def durable(ctx: Context) -> dict[str, Result]:
    """One client: points/s through ``log_batch`` (stored on the server when it returns);
    each call's time is the per-batch latency."""
    sizes = ctx.sizes
    experiment_id = _experiment(ctx, "durable")
    values = _values(sizes.mlflow_remote_points)
    rates: list[float] = []
    latencies: list[float] = []
    for repeat in range(sizes.client_repeats):
        run_id = ctx.client.create_run(experiment_id).info.run_id
        _say(f"{ctx.store} durable: {len(values):,} points, {repeat + 1}/{sizes.client_repeats}")
        start = time.perf_counter()
        latencies += log_points(ctx.client, run_id, values, sizes.mlflow_batch)
        rates.append(len(values) / (time.perf_counter() - start))
        ctx.client.set_terminated(run_id)
    what = f"log_batch of {sizes.mlflow_batch:,} metrics"
    return {
        "durable_1": rate_result(rates, f"{len(values):,} points, {what}, median of {len(rates)}"),
        **latency_results("batch_1", latencies, f"{what}; {len(latencies)} calls"),
    }


def durable_clients(ctx: Context) -> dict[str, Result]:
    """``remote_clients`` processes at once, each ``log_batch``-ing into its own run."""
    sizes = ctx.sizes
    experiment_id = _experiment(ctx, "clients")
    rates = []
    latencies: list[float] = []
    for repeat in range(sizes.client_repeats):
        _say(f"{ctx.store} durable: {sizes.remote_clients} clients, {repeat + 1}")
        with tempfile.TemporaryDirectory(dir=ctx.folder) as folder:
            command = [sys.executable, __file__, "--client", "durable", "--url", ctx.url,
                       "--experiment", experiment_id,
                       "--points", str(sizes.mlflow_client_points)]  # fmt: skip
            results = run_clients([command] * sizes.remote_clients, folder)
        rates.append(clients_rate(results))
        latencies += [s for r in results for s in r["latencies"]]
    what = f"log_batch of {sizes.mlflow_batch:,} metrics"
    note = (
        f"{sizes.remote_clients} processes × {sizes.mlflow_client_points:,} points, {what}, "
        f"each its own run; median of {len(rates)}"
    )
    return {
        "durable_8": rate_result(rates, note),
        **latency_results(
            "batch_8", latencies, f"{what}; {sizes.remote_clients} clients, {len(latencies)} calls"
        ),
    }


def log_overhead(ctx: Context) -> dict[str, Result]:
    """``mlflow.log_metric`` (synchronous: one request each) on the server."""
    sizes = ctx.sizes
    experiment_id = _experiment(ctx, "log")
    values = _values(sizes.mlflow_remote_log_calls)
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.log_metric("loss", 0.5, step=0)
        _say(f"{ctx.store} log_metric: {sizes.mlflow_remote_log_calls} calls")
        samples = each_s(len(values), lambda i: mlflow.log_metric("loss", values[i], step=i + 1))
    return {"log": time_result(samples, f"median of {len(samples)} single calls")}


def create_stop(ctx: Context) -> dict[str, Result]:
    """``mlflow.start_run()`` then ``mlflow.end_run()`` against the server."""
    sizes = ctx.sizes
    experiment_id = _experiment(ctx, "create")

    def one(_: int) -> None:
        mlflow.start_run(experiment_id=experiment_id)
        mlflow.end_run()

    one(0)
    _say(f"{ctx.store} create + stop: {sizes.create_runs} runs")
    samples = each_s(sizes.create_runs, one)
    note = f"median of {sizes.create_runs}, after one warm-up run; default tags (git, source, user)"
    return {"create_stop": time_result(samples, note)}


def reads(ctx: Context) -> dict[str, Result]:
    """``get_metric_history`` over REST, and the sampled read the MLflow UI's charts use
    (GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval)."""
    sizes = ctx.sizes
    experiment_id = _experiment(ctx, "read")
    run_id = ctx.client.create_run(experiment_id).info.run_id
    _say(f"{ctx.store} read: storing {sizes.read_points:,} points")
    log_points(ctx.client, run_id, _values(sizes.read_points), sizes.mlflow_batch)
    ctx.client.set_terminated(run_id)
    _say(f"{ctx.store} read: {sizes.read_points:,} points, {sizes.mlflow_read_repeats} times")
    full = each_s(
        sizes.mlflow_read_repeats,
        lambda _: _expect(len(ctx.client.get_metric_history(run_id, "x")) == sizes.read_points),
    )
    limit = sizes.downsample_points
    sampled = (
        f"{ctx.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
        f"?run_ids={run_id}&metric_key=x&max_results={limit}"
    )

    def down(_: int) -> None:
        with urllib.request.urlopen(sampled, timeout=60) as response:
            _expect(len(json.loads(response.read())["metrics"]) <= limit)

    return {
        "read_full": time_result(full, "MlflowClient().get_metric_history(); a list of Metric"),
        "read_downsampled": time_result(
            each_s(sizes.mlflow_read_repeats, down),
            "GET .../metrics/get-history-bulk-interval (the UI's chart call): evenly spaced "
            "points, min/max not kept",
        ),
    }


WORKLOADS: dict[str, Callable[[Context], dict[str, Result]]] = {
    "create": create_stop,
    "log": log_overhead,
    "durable": durable,
    "clients": durable_clients,
    "read": reads,
}


def fill(location: StoreLocation, artifacts: str, sizes: Sizes) -> tuple[int, float]:
    """Store up to ``stored_runs`` finished runs straight through MLflow's tracking store
    (the SQLAlchemy store a server uses), within a time budget; returns (runs, seconds)."""
    client = MlflowClient(tracking_uri=location.url(POSTGRES_DRIVER))
    experiment_id = client.create_experiment("stored", artifact_location=artifacts)
    start = time.perf_counter()
    created = 0
    for spec in query_runs(sizes.stored_runs, sizes.query_points):
        if time.perf_counter() - start > sizes.mlflow_stored_runs_budget_s:
            break
        run_id = client.create_run(experiment_id).info.run_id
        now = int(time.time() * 1000)
        metrics = [Metric("val_acc", v, now, step) for step, v in enumerate(spec.val_acc)]
        params = [
            Param("lr", repr(spec.lr)),
            Param("batch_size", str(spec.batch_size)),
            Param("optimizer", spec.optimizer),
        ]
        tags = [RunTag("cnn", "true")] if spec.is_cnn else []
        client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
        client.set_terminated(run_id)
        created += 1
    return created, time.perf_counter() - start


def server_footprint(sizes: Sizes, kind: str, folder: str) -> dict[str, Result]:
    """Start time and idle RSS (all its processes) over a store holding the stored runs."""
    artifacts = os.path.join(folder, "footprint-artifacts")
    with store_location(kind, folder) as location:
        _say(f"{kind} footprint: storing up to {sizes.stored_runs:,} runs")
        created, fill_s = fill(location, artifacts, sizes)
        starts = []
        for repeat in range(sizes.mlflow_start_repeats):
            port = free_port()
            command = server_command(location.url(POSTGRES_DRIVER), artifacts, port)
            with Server(command, port, PROBE, os.path.join(folder, "footprint.log")) as server:
                starts.append(server.start())
                if repeat == sizes.mlflow_start_repeats - 1:
                    client = MlflowClient(tracking_uri=server.url)
                    experiment = client.get_experiment_by_name("stored")
                    assert experiment is not None
                    client.search_runs([experiment.experiment_id], max_results=100)
                    time.sleep(2.0)
                    memory = server.memory()
    stored = f"{created:,} runs stored (filled in {fill_s:.0f} s)"
    return {
        "start": time_result(
            starts,
            f"launch until {PROBE.split('?')[0]} answered; {stored}; median of {len(starts)}",
        ),
        "rss": Result(
            memory.total_mb,
            "MB",
            1,
            f"{memory.processes} processes (default workers, job runner), "
            f"{memory.main_mb:.0f} MB the main one; idle 2 s after one search_runs "
            f"(100 of the {created:,} runs)",
        ),
    }


def measure_store(sizes: Sizes, kind: str, only: list[str]) -> dict[str, Result]:
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix=f"mlflow-remote-{kind}-") as folder:
        with store_location(kind, folder) as location:
            port = free_port()
            artifacts = os.path.join(folder, "artifacts")
            command = server_command(location.url(POSTGRES_DRIVER), artifacts, port)
            with Server(command, port, PROBE, os.path.join(folder, "server.log")) as server:
                _say(f"{kind}: server up in {server.start():.1f} s (a fresh store: migrations)")
                mlflow.set_tracking_uri(server.url)
                ctx = Context(sizes, kind, server.url, folder, MlflowClient(server.url))
                for name, workload in WORKLOADS.items():
                    if not only or name in only:
                        results.update(workload(ctx))
        if not only or "footprint" in only:
            results.update(server_footprint(sizes, kind, folder))
    return results


def client_main(args: Any) -> None:
    """One of the concurrent clients: ``log_batch`` into its own run."""
    sizes = Sizes()
    client = MlflowClient(tracking_uri=args.url)
    run_id = client.create_run(args.experiment).info.run_id
    values = _values(args.points, seed=os.getpid())
    client_barrier(args.ready, args.go)
    started = time.time()
    latencies = log_points(client, run_id, values, sizes.mlflow_batch)
    ended = time.time()
    client.set_terminated(run_id)
    write_client_result(
        args.result, points=len(values), started=started, ended=ended, latencies=latencies
    )


def _expect(condition: bool) -> None:
    if not condition:
        raise SystemExit("mlflow remote workload: a read returned an unexpected number of rows")


def _quiet() -> None:
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")


def main() -> None:
    args = parse_remote_args(__doc__ or "")
    _quiet()
    if args.client:
        client_main(args)
        return
    sizes = Sizes.pick(args.quick)
    results: dict[str, Result] = {}
    for kind in args.store or STORES:
        for name, result in measure_store(sizes, kind, args.only).items():
            results[f"{kind}/{name}"] = result
    extra: dict[str, Any] = {"python": platform.python_version()}
    emit("mlflow", mlflow.__version__, results, args.out, **extra)


if __name__ == "__main__":
    main()
