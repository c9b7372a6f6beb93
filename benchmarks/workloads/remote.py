"""Servers, databases and concurrent client processes for the remote benchmarks.

Shared by ``cairn_remote.py`` (the project's venv) and ``mlflow_remote.py``
(``benchmarks/.venv-mlflow``): standard library plus psutil, which both venvs have.
A server runs as a subprocess in its own session, so that stopping it stops every worker
it forked (MLflow's server is a tree of about 15 processes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from timing import Result

__all__ = [
    "STORES",
    "Memory",
    "Server",
    "StoreLocation",
    "client_barrier",
    "clients_rate",
    "latency_results",
    "p95",
    "parse_remote_args",
    "run_clients",
    "store_location",
    "write_client_result",
]

STORES = ("sqlite", "postgresql")
POSTGRES = ("127.0.0.1", "5432", "postgres")  # host, port, user (trust auth)


@dataclass(frozen=True)
class StoreLocation:
    """Where one workload's database lives: a SQLite file, or a PostgreSQL database name.
    Each tracker turns it into its own SQLAlchemy URL (their drivers differ)."""

    kind: str
    sqlite_path: str = ""
    database: str = ""

    def url(self, postgres_driver: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        host, port, user = POSTGRES
        return f"postgresql{postgres_driver}://{user}@{host}:{port}/{self.database}"


def _psql(sql: str) -> None:
    host, port, user = POSTGRES
    command = ["psql", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-qc", sql]
    subprocess.run(command, check=True, capture_output=True)


@contextmanager
def store_location(kind: str, folder: str) -> Iterator[StoreLocation]:
    """A fresh, empty store of ``kind``: a file in ``folder``, or a new PostgreSQL database
    (dropped afterwards)."""
    if kind == "sqlite":
        yield StoreLocation(kind, sqlite_path=os.path.join(folder, "store.db"))
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    _psql(f"CREATE DATABASE {name}")
    try:
        yield StoreLocation(kind, database=name)
    finally:
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError):
        return False


@dataclass(frozen=True)
class Memory:
    """Resident memory of a server: all its processes together, and the first one alone."""

    total_mb: float
    main_mb: float
    processes: int


class Server:
    """A tracking server subprocess; ``probe`` is a path that answers 200 once it serves."""

    def __init__(self, command: Sequence[str], port: int, probe: str, log_path: str) -> None:
        self.command = list(command)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.probe = probe
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 180.0) -> float:
        """Start it; return the seconds until the first successful request."""
        with open(self.log_path, "ab") as log:
            start = time.perf_counter()
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        while not _answers(self.url + self.probe):
            if self.process.poll() is not None or time.perf_counter() - start > timeout_s:
                self.stop()
                with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                    tail = fh.read()[-3000:]
                raise SystemExit(f"server did not start: {' '.join(self.command)}\n{tail}")
            time.sleep(0.02)
        return time.perf_counter() - start

    def memory(self) -> Memory:
        """RSS summed over the server process and all its descendants."""
        import psutil

        assert self.process is not None
        main = psutil.Process(self.process.pid)
        tree = [main, *main.children(recursive=True)]
        total = 0
        for process in tree:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue  # a worker that exited between the listing and the reading
        return Memory(total / 2**20, main.memory_info().rss / 2**20, len(tree))

    def stop(self) -> None:
        """SIGTERM to the whole process group, then SIGKILL after 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- concurrent clients -------------------------------------------------------------------


def run_clients(
    commands: Sequence[Sequence[str]], folder: str, timeout_s: float = 900.0
) -> list[dict[str, Any]]:
    """Start one process per command, let each get ready (import, create its run), then
    release them all at once; return each one's JSON result.

    Each command gets ``--ready FILE --go FILE --result FILE`` appended: it touches the
    first, waits for the second (``client_barrier``), works, and writes the third."""
    go = os.path.join(folder, "go")
    started: list[tuple[subprocess.Popen[bytes], str, str]] = []
    for i, command in enumerate(commands):
        ready, result = os.path.join(folder, f"ready-{i}"), os.path.join(folder, f"result-{i}")
        extra = ["--ready", ready, "--go", go, "--result", result]
        started.append((subprocess.Popen([*command, *extra]), ready, result))
    deadline = time.monotonic() + timeout_s
    try:
        while not all(os.path.exists(ready) for _, ready, _ in started):
            if any(p.poll() is not None for p, _, _ in started) or time.monotonic() > deadline:
                raise SystemExit("a benchmark client failed before it was ready")
            time.sleep(0.01)
        open(go, "w").close()
        for process, _, _ in started:
            if process.wait(max(1.0, deadline - time.monotonic())) != 0:
                raise SystemExit("a benchmark client failed")
    finally:
        for process, _, _ in started:
            if process.poll() is None:
                process.kill()
    results = []
    for _, _, path in started:
        with open(path, encoding="utf-8") as fh:
            results.append(json.load(fh))
    return results


def client_barrier(ready: str, go: str) -> None:
    """In a client process: say it is ready, then wait for the start signal."""
    open(ready, "w").close()
    while not os.path.exists(go):
        time.sleep(0.002)


def clients_rate(results: Sequence[dict[str, Any]]) -> float:
    """All clients' points over the time from the first start to the last end."""
    points = sum(r["points"] for r in results)
    return points / (max(r["ended"] for r in results) - min(r["started"] for r in results))


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def latency_results(prefix: str, samples: Sequence[float], note: str) -> dict[str, Result]:
    """``<prefix>_median`` and ``<prefix>_p95`` of per-call seconds."""
    return {
        f"{prefix}_median": Result(statistics.median(samples), "s", len(samples), note),
        f"{prefix}_p95": Result(p95(samples), "s", len(samples), note),
    }


def parse_remote_args(description: str) -> argparse.Namespace:
    """The driver's options (``--quick``, ``--out``, ``--only``, ``--store``), and those of a
    client process (``--client KIND`` with its parameters)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="about 10x smaller sizes")
    parser.add_argument("--out", help="write the JSON results here instead of stdout")
    parser.add_argument("--only", action="append", default=[], help="run only this workload")
    parser.add_argument("--store", action="append", default=[], choices=STORES)
    client = parser.add_argument_group("one client process of a concurrent workload")
    client.add_argument("--client", help="the workload this process is a client of")
    client.add_argument("--url")
    client.add_argument("--home")
    client.add_argument("--experiment")
    client.add_argument("--points", type=int, default=0)
    client.add_argument("--batches", type=int, default=0)
    client.add_argument("--ready")
    client.add_argument("--go")
    client.add_argument("--result")
    return parser.parse_args()


def write_client_result(path: str, **result: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
