"""Timing helpers and workload sizes shared by both trackers' workload scripts.

Standard library only: this module is imported by the Cairn workload (project venv) and by
the MLflow workload (``benchmarks/.venv-mlflow``), which does not have Cairn installed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "QueryRun",
    "Result",
    "Sizes",
    "block_means_s",
    "each_s",
    "emit",
    "parse_args",
    "progress",
    "query_runs",
    "rate_result",
    "time_result",
]

#: Seed for the generated runs of the query workload, so both trackers hold the same data.
QUERY_SEED = 20_261_128


@dataclass(frozen=True)
class Sizes:
    """How much each workload does; ``--quick`` divides the big sizes by about ten."""

    log_calls: int = 200_000
    log_block: int = 1_000
    mlflow_log_calls: int = 300
    mlflow_async_log_calls: int = 3_000
    mlflow_async_block: int = 100
    durable_points: int = 1_000_000
    mlflow_durable_points: int = 100_000
    mlflow_batch: int = 1_000
    durable_repeats: int = 3
    read_points: int = 100_000
    read_repeats: int = 5
    downsample_points: int = 1_000
    query_runs: int = 10_000
    query_points: int = 10
    query_limit: int = 100
    query_repeats: int = 5
    mlflow_query_setup_budget_s: float = 300.0
    create_runs: int = 30
    # the remote benchmarks (team server vs MLflow's tracking server)
    remote_clients: int = 8
    client_points: int = 250_000
    mlflow_client_points: int = 10_000
    mlflow_remote_points: int = 50_000
    mlflow_read_repeats: int = 3
    mlflow_start_repeats: int = 2
    client_repeats: int = 2
    latency_batches: int = 200
    latency_batch: int = 1_000
    mlflow_remote_log_calls: int = 100
    stored_runs: int = 10_000
    mlflow_stored_runs_budget_s: float = 120.0
    start_repeats: int = 3

    @classmethod
    def pick(cls, quick: bool) -> Sizes:
        """Full sizes, or the ``--quick`` smoke-test sizes."""
        if not quick:
            return cls()
        return cls(
            log_calls=20_000,
            mlflow_log_calls=30,
            mlflow_async_log_calls=300,
            durable_points=100_000,
            mlflow_durable_points=10_000,
            durable_repeats=2,
            read_points=10_000,
            read_repeats=3,
            query_runs=1_000,
            query_repeats=3,
            mlflow_query_setup_budget_s=60.0,
            create_runs=5,
            client_points=25_000,
            mlflow_client_points=2_000,
            mlflow_remote_points=5_000,
            mlflow_read_repeats=2,
            mlflow_start_repeats=1,
            client_repeats=1,
            latency_batches=30,
            mlflow_remote_log_calls=20,
            stored_runs=1_000,
            mlflow_stored_runs_budget_s=30.0,
            start_repeats=2,
        )


@dataclass(frozen=True)
class Result:
    """One measured number: seconds per operation, or points per second."""

    value: float
    unit: str  # "s" (lower is better) or "points/s" (higher is better)
    repeats: int
    note: str = ""


def time_result(samples_s: list[float], note: str = "") -> Result:
    """The median of ``samples_s`` (seconds per operation)."""
    return Result(statistics.median(samples_s), "s", len(samples_s), note)


def rate_result(samples_per_s: list[float], note: str = "") -> Result:
    """The median of ``samples_per_s`` (points per second)."""
    return Result(statistics.median(samples_per_s), "points/s", len(samples_per_s), note)


def block_means_s(calls: int, block: int, body: Callable[[int], None]) -> Iterator[float]:
    """Run ``body(block)`` ``calls // block`` times; yield each block's mean seconds per call."""
    for _ in range(calls // block):
        start = time.perf_counter_ns()
        body(block)
        yield (time.perf_counter_ns() - start) / block / 1e9


def each_s(count: int, body: Callable[[int], object]) -> list[float]:
    """Seconds taken by each of ``count`` calls ``body(i)``."""
    samples = []
    for i in range(count):
        start = time.perf_counter_ns()
        body(i)
        samples.append((time.perf_counter_ns() - start) / 1e9)
    return samples


@dataclass(frozen=True)
class QueryRun:
    """One generated run of the query workload."""

    lr: float
    batch_size: int
    optimizer: str
    is_cnn: bool
    val_acc: list[float]


def query_runs(count: int, points: int) -> Iterator[QueryRun]:
    """The same ``count`` runs for every tracker: about 1/3 have lr < 0.01, half are tagged
    'cnn', and the last val/acc is uniform in [0, 1)."""
    rng = random.Random(QUERY_SEED)
    for i in range(count):
        final = rng.random()
        yield QueryRun(
            lr=10 ** rng.uniform(-4, -1),
            batch_size=rng.choice([16, 32, 64, 128, 256]),
            optimizer=rng.choice(["adam", "adamw", "sgd"]),
            is_cnn=i % 2 == 0,
            val_acc=[final * (step + 1) / points for step in range(points)],
        )


def parse_args(description: str) -> argparse.Namespace:
    """``--quick``, ``--out FILE`` and ``--only NAME`` (repeatable), as the driver passes them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="about 10x smaller sizes")
    parser.add_argument("--out", help="write the JSON results here instead of stdout")
    parser.add_argument("--only", action="append", default=[], help="run only this workload")
    return parser.parse_args()


def progress(tracker: str, message: str) -> None:
    """A progress line on stderr (stdout may carry the JSON results)."""
    print(f"[{tracker}] {message}", file=sys.stderr, flush=True)


def emit(
    tracker: str, version: str, results: dict[str, Result], out: str | None, **extra: Any
) -> None:
    """Write the results as one JSON object to ``out`` (or stdout)."""
    payload = {
        "tracker": tracker,
        "version": version,
        "results": {name: asdict(result) for name, result in results.items()},
        **extra,
    }
    text = json.dumps(payload, indent=2)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text)
