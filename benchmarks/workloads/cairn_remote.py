"""Cairn's side of the remote benchmark: ``cairn server`` on loopback, the HTTP client.

    .venv/bin/python benchmarks/workloads/cairn_remote.py [--quick] [--store sqlite] ...

For each store (a SQLite file, a fresh PostgreSQL database) it starts one server process
and runs every workload against it, then times server starts and memory over a store
holding ``stored_runs`` runs. Clients write through ``cairn.init(url=...)``: ops go to the
run's outbox on disk, and the shipper thread POSTs them; ``run.wait()`` returns when the
server has stored everything.
"""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    block_means_s,
    each_s,
    emit,
    progress,
    query_runs,
    rate_result,
    time_result,
)

import cairn
from cairn import wire
from cairn.client.backends.http_api import ServerApi, gzip_json
from cairn.ops import AppendOp, Op, SetOp, StatusOp
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind

# The same server the issue asks for, started the way a team would; the fallback is for a
# tree where `cairn server` has no --no-auth yet.
_SERVE = """
import sys, uvicorn
from cairn.server.app import create_app
from cairn.store.store import Store
store = Store.open(sys.argv[1], artifacts_url=sys.argv[2])
uvicorn.run(create_app(store), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""
PROBE = "/api/v1/projects"


def _say(message: str) -> None:
    progress("cairn remote", message)


def _values(count: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() for _ in range(count)]


def server_command(store_url: str, artifacts: str, port: int) -> list[str]:
    cli = [sys.executable, "-m", "cairn.cli", "server"]
    usage = subprocess.run(
        [*cli, "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    ).stdout
    if "--no-auth" in usage:
        return [*cli, "--store", store_url, "--artifacts", artifacts, "--host", "127.0.0.1",
                "--port", str(port), "--no-auth"]  # fmt: skip
    return [sys.executable, "-c", _SERVE, store_url, artifacts, str(port)]


@dataclass(frozen=True)
class Context:
    sizes: Sizes
    store: str  # "sqlite" or "postgresql"
    url: str  # the server
    home: str  # the client machine's folder (outboxes)
    folder: str  # scratch space


class PostTimer:
    """Times every ops POST the shipper makes, by wrapping ``ServerApi.post_ops`` in this
    process (instrumentation only; the client code is unchanged)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []
        original = ServerApi.post_ops

        def timed(api: ServerApi, run_id: str, body: bytes) -> dict[str, Any]:
            start = time.perf_counter()
            try:
                return original(api, run_id, body)
            finally:
                self.samples.append((time.perf_counter() - start, len(body)))

        ServerApi.post_ops = timed  # type: ignore[method-assign]


POSTS = PostTimer()


def _stored_points(url: str, run_id: str) -> int:
    with ServerApi(url) as api:
        return api.read_series(run_id, "x", max_points=2, step_min=None, step_max=None).total_count


def durable(ctx: Context) -> dict[str, Result]:
    """One client: points/s from the first ``log()`` until ``run.wait()`` returned."""
    sizes = ctx.sizes
    values = _values(sizes.durable_points)
    rates = []
    posts_before = len(POSTS.samples)
    for repeat in range(sizes.durable_repeats):
        run = cairn.init(project="durable", url=ctx.url, home=ctx.home, capture=False)
        handle = run["x"]
        _say(f"{ctx.store} durable: {len(values):,} points, {repeat + 1}/{sizes.durable_repeats}")
        start = time.perf_counter()
        for v in values:
            handle.log(v)
        run.wait()
        rates.append(len(values) / (time.perf_counter() - start))
        run.stop()
        _check(_stored_points(ctx.url, run.id) == len(values), "durable: points missing")
    posts = POSTS.samples[posts_before:]
    note = (
        f"{len(values):,} points into one series, median of {len(rates)}; the shipper made "
        f"{len(posts) / len(rates):.0f} POSTs a run"
    )
    return {"durable_1": rate_result(rates, note)}


def durable_clients(ctx: Context) -> dict[str, Result]:
    """``remote_clients`` processes at once, each logging ``client_points`` into its own run."""
    sizes = ctx.sizes
    rates = []
    for repeat in range(sizes.client_repeats):
        _say(f"{ctx.store} durable: {sizes.remote_clients} clients, {repeat + 1}")
        with tempfile.TemporaryDirectory(dir=ctx.folder) as folder:
            command = [sys.executable, __file__, "--client", "durable", "--url", ctx.url,
                       "--home", ctx.home, "--points", str(sizes.client_points)]  # fmt: skip
            results = run_clients([command] * sizes.remote_clients, folder)
        rates.append(clients_rate(results))
    note = (
        f"{sizes.remote_clients} processes × {sizes.client_points:,} points, each its own "
        f"run; all points over first log() to last wait(); median of {len(rates)}"
    )
    return {"durable_8": rate_result(rates, note)}


def _batch_body(seq: int, first_step: int, values: list[float]) -> bytes:
    """One ops batch as the outbox stores and the shipper POSTs it."""
    now = time.time()
    op = AppendOp(
        FieldPath("x"),
        SeriesKind.FLOAT,
        steps=[float(first_step + i) for i in range(len(values))],
        values=values,
        timestamps=[now] * len(values),
        seq=seq,
    )
    return gzip_json({"ops": wire.encode_ops([op])})


def post_batches(url: str, batches: int, size: int) -> list[float]:
    """Create a run, then POST ``batches`` batches of ``size`` points; seconds of each."""
    values = _values(size)
    with ServerApi(url) as api:
        run_id = str(uuid.uuid4())
        create = {"id": run_id, "name": "", "tags": [], "owner": "", "host": "", "description": ""}
        api.create_run("latency", create)
        bodies = [_batch_body(i + 1, i * size, values) for i in range(batches)]
        return each_s(batches, lambda i: api.post_ops(run_id, bodies[i]))


def latency(ctx: Context) -> dict[str, Result]:
    """Seconds per ops POST of a ``latency_batch``-point batch: 1 client, then 8 at once."""
    sizes = ctx.sizes
    _say(f"{ctx.store} batch latency: {sizes.latency_batches} POSTs, 1 client")
    one = post_batches(ctx.url, sizes.latency_batches, sizes.latency_batch)
    _say(f"{ctx.store} batch latency: {sizes.remote_clients} clients")
    with tempfile.TemporaryDirectory(dir=ctx.folder) as folder:
        command = [sys.executable, __file__, "--client", "batches", "--url", ctx.url,
                   "--batches", str(sizes.latency_batches)]  # fmt: skip
        results = run_clients([command] * sizes.remote_clients, folder)
    many = [s for r in results for s in r["latencies"]]
    what = f"POST /runs/{{id}}/ops, {sizes.latency_batch:,} points of one series, gzip JSON"
    return {
        **latency_results("batch_1", one, f"{what}; {len(one)} POSTs"),
        **latency_results(
            "batch_8", many, f"{what}; {sizes.remote_clients} clients × {sizes.latency_batches}"
        ),
    }


def log_overhead(ctx: Context) -> dict[str, Result]:
    """``handle.log(v)`` on a run on the server: median of block means, seconds per call."""
    sizes = ctx.sizes
    values = _values(sizes.log_block)
    run = cairn.init(project="log", url=ctx.url, home=ctx.home, capture=False)
    handle = run["train/loss"]
    handle.log(0.5)

    def via_handle(_: int) -> None:
        for v in values:
            handle.log(v)

    _say(f"{ctx.store} log(): {sizes.log_calls:,} calls")
    per_call = list(block_means_s(sizes.log_calls, sizes.log_block, via_handle))
    run.stop()
    note = f"median of {len(per_call)} blocks of {sizes.log_block:,} calls"
    return {"log": time_result(per_call, note)}


def create_stop(ctx: Context) -> dict[str, Result]:
    """``cairn.init(url=..., capture=False)`` then ``.stop()`` (waits for the server)."""
    sizes = ctx.sizes

    def one(_: int) -> None:
        cairn.init(project="create", url=ctx.url, home=ctx.home, capture=False).stop()

    one(0)  # warm-up: the project, the connection pool
    _say(f"{ctx.store} create + stop: {sizes.create_runs} runs")
    samples = each_s(sizes.create_runs, one)
    note = f"capture=False; median of {sizes.create_runs}, after one warm-up run"
    return {"create_stop": time_result(samples, note)}


def reads(ctx: Context) -> dict[str, Result]:
    """A stored series whole, and reduced to ``downsample_points``, over HTTP."""
    sizes = ctx.sizes
    with cairn.init(project="read", url=ctx.url, home=ctx.home, capture=False) as run:
        handle = run["x"]
        for v in _values(sizes.read_points):
            handle.log(v)
    os.environ["CAIRN_URL"] = ctx.url
    try:
        series = cairn.get_run(run.key, home=ctx.home)["x"]
        _say(f"{ctx.store} read: {sizes.read_points:,} points, {sizes.read_repeats} times")
        full = each_s(
            sizes.read_repeats, lambda _: _expect_rows(series.fetch_values(), sizes.read_points)
        )
        limit = sizes.downsample_points
        down = each_s(
            sizes.read_repeats,
            lambda _: _expect_rows(series.fetch_values(max_points=limit), limit, at_most=True),
        )
    finally:
        del os.environ["CAIRN_URL"]
    return {
        "read_full": time_result(full, "fetch_values() with CAIRN_URL set; a DataFrame"),
        "read_downsampled": time_result(
            down, f"fetch_values(max_points={limit:,}): min and max kept per bucket"
        ),
    }


WORKLOADS: dict[str, Callable[[Context], dict[str, Result]]] = {
    "create": create_stop,
    "log": log_overhead,
    "durable": durable,
    "clients": durable_clients,
    "latency": latency,
    "read": reads,
}


def fill(location: StoreLocation, artifacts: str, runs: int, points: int) -> float:
    """Store ``runs`` finished runs (three parameters, a tag, a short series) straight
    through the Store, as ``runs`` clients would have; returns the seconds it took."""
    start = time.perf_counter()
    store = Store.open(location.url("+psycopg"), artifacts_url=artifacts)
    try:
        for spec in query_runs(runs, points):
            run_id = store.create_run("stored", tags=["cnn"] if spec.is_cnn else []).id
            now = time.time()
            ops: list[Op] = [
                SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, spec.lr, seq=1),
                SetOp(FieldPath("parameters/batch_size"), FieldKind.INT, spec.batch_size, seq=2),
                SetOp(FieldPath("parameters/optimizer"), FieldKind.STRING, spec.optimizer, seq=3),
                AppendOp(
                    FieldPath("val/acc"),
                    SeriesKind.FLOAT,
                    steps=[float(i) for i in range(len(spec.val_acc))],
                    values=spec.val_acc,
                    timestamps=[now] * len(spec.val_acc),
                    seq=4,
                ),
                StatusOp(RunStatus.FINISHED, at=now, seq=5),
            ]
            store.apply_ops(run_id, ops)
    finally:
        store.close()
    return time.perf_counter() - start


def server_footprint(sizes: Sizes, kind: str, folder: str) -> dict[str, Result]:
    """Start time and idle RSS of a server over a store holding ``stored_runs`` runs."""
    artifacts = os.path.join(folder, "footprint-artifacts")
    with store_location(kind, folder) as location:
        _say(f"{kind} footprint: storing {sizes.stored_runs:,} runs")
        fill_s = fill(location, artifacts, sizes.stored_runs, sizes.query_points)
        starts = []
        for repeat in range(sizes.start_repeats):
            port = free_port()
            command = server_command(location.url("+psycopg"), artifacts, port)
            with Server(command, port, PROBE, os.path.join(folder, "footprint.log")) as server:
                starts.append(server.start())
                if repeat == sizes.start_repeats - 1:
                    with ServerApi(server.url) as api:
                        api.list_runs("stored", filter="", sort="", limit=100, offset=0)
                    time.sleep(2.0)
                    memory = server.memory()
    stored = f"{sizes.stored_runs:,} runs stored (filled in {fill_s:.0f} s)"
    return {
        "start": time_result(
            starts, f"launch until GET {PROBE} answered; {stored}; median of {len(starts)}"
        ),
        "rss": Result(
            memory.total_mb,
            "MB",
            1,
            f"{memory.processes} process(es), {memory.main_mb:.0f} MB the main one; idle 2 s "
            f"after one run listing (100 of the {sizes.stored_runs:,} runs)",
        ),
    }


def measure_store(sizes: Sizes, kind: str, only: list[str]) -> dict[str, Result]:
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix=f"cairn-remote-{kind}-") as folder:
        with store_location(kind, folder) as location:
            port = free_port()
            store_url = location.url("+psycopg")
            command = server_command(store_url, os.path.join(folder, "artifacts"), port)
            with Server(command, port, PROBE, os.path.join(folder, "server.log")) as server:
                server.start()
                ctx = Context(sizes, kind, server.url, os.path.join(folder, "client"), folder)
                for name, workload in WORKLOADS.items():
                    if not only or name in only:
                        results.update(workload(ctx))
        if not only or "footprint" in only:
            results.update(server_footprint(sizes, kind, folder))
    return results


# -- a client process of a concurrent workload ---------------------------------------------


def client_main(args: Any) -> None:
    if args.client == "durable":
        values = _values(args.points, seed=os.getpid())
        run = cairn.init(project="clients", url=args.url, home=args.home, capture=False)
        handle = run["x"]
        client_barrier(args.ready, args.go)
        started = time.time()
        for v in values:
            handle.log(v)
        run.wait()
        ended = time.time()
        run.stop()
        write_client_result(args.result, points=len(values), started=started, ended=ended)
    elif args.client == "batches":
        sizes = Sizes()
        api = ServerApi(args.url)
        run_id = str(uuid.uuid4())
        create = {"id": run_id, "name": "", "tags": [], "owner": "", "host": "", "description": ""}
        api.create_run("latency", create)
        values = _values(sizes.latency_batch)
        bodies = [_batch_body(i + 1, i * sizes.latency_batch, values) for i in range(args.batches)]
        client_barrier(args.ready, args.go)
        started = time.time()
        latencies = each_s(args.batches, lambda i: api.post_ops(run_id, bodies[i]))
        write_client_result(
            args.result,
            points=args.batches * sizes.latency_batch,
            started=started,
            ended=time.time(),
            latencies=latencies,
        )
        api.close()
    else:
        raise SystemExit(f"unknown client workload {args.client!r}")


def _expect_rows(frame: object, rows: int, *, at_most: bool = False) -> None:
    count = len(frame)  # type: ignore[arg-type]
    _check(count <= rows if at_most else count == rows, f"expected {rows} rows, got {count}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"cairn remote workload: {message}")


def main() -> None:
    args = parse_remote_args(__doc__ or "")
    if args.client:
        client_main(args)
        return
    sizes = Sizes.pick(args.quick)
    results: dict[str, Result] = {}
    for kind in args.store or STORES:
        for name, result in measure_store(sizes, kind, args.only).items():
            results[f"{kind}/{name}"] = result
    emit("cairn", cairn.__version__, results, args.out, python=platform.python_version())


if __name__ == "__main__":
    main()
