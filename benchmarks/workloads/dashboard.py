"""The dashboard section: time to first render in Chromium over a big store.

    .venv/bin/python benchmarks/workloads/dashboard.py [--quick | --full-size] [--out FILE]
        [--keep DIR]

By default a store is filled through ``Store.apply_ops`` (big ``AppendOp``s, not the
client's loop): ``runs`` runs of 20 float series each, most with ``summary_points`` points
(what the runs table reads is the series' summaries, not their points), and
``compare_runs`` of them with 20 series of ``compare_points`` points (what a compare view
reads). ``--full-size`` builds the issue's store instead, 10,000 runs x 20 series x 10,000
points (2 billion points, ~48 GB), by writing its rows directly (``fill_direct``): the
same rows ``apply_ops`` would leave, bulk-inserted. ``cairn ui`` serves it; Playwright
drives Debian's Chromium (/usr/bin/chromium, headless).

- Runs table: from navigation start (``performance.timeOrigin``) to the first table row
  with data in the DOM, recorded in the page by a MutationObserver installed before the
  page's own scripts, in a fresh browser context each time (nothing cached), then again
  in the same context (assets cached).
- Compare: the page at ``/projects/bench/compare?runs=...`` when the dashboard has that
  view, until every chart reports it has drawn its lines; otherwise only the API part the
  view would do (4 metrics x 50 runs, downsampled by the server), fetched in the page.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection

from cairn.ops import AppendOp, Op, SetOp, StatusOp
from cairn.store import chunks
from cairn.store.engine import WRITE
from cairn.store.schema import fields, projects, run_tags, runs, series, series_chunks
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind

PROJECT = "bench"
METRICS = ("train/loss", "train/acc", "val/loss", "val/acc")
SERIES = (*METRICS, *(f"metrics/m{k:02d}" for k in range(16)))
CHROMIUM = "/usr/bin/chromium"
MAX_POINTS = 1500  # what the dashboard's charts ask the server for


@dataclass(frozen=True)
class Sizes:
    runs: int = 10_000
    summary_points: int = 100
    compare_runs: int = 50
    compare_points: int = 10_000
    repeats: int = 7

    @classmethod
    def pick(cls, quick: bool, full_size: bool = False) -> Sizes:
        if full_size:  # the store: every run has full-length series
            return cls(summary_points=10_000, repeats=5)
        return cls(runs=1_000, compare_points=2_000, repeats=3) if quick else cls()

    @property
    def full_size(self) -> bool:
        return self.summary_points == self.compare_points


def _say(message: str) -> None:
    print(f"dashboard: {message}", file=sys.stderr, flush=True)


def fill(home: str, sizes: Sizes) -> float:
    """Fill the store at ``home``; returns seconds. The compared runs are the newest
    ``compare_runs`` (the top of the default table)."""
    start = time.perf_counter()
    rng = np.random.default_rng(20261130)
    store = Store.open_home(home)
    try:
        for i in range(sizes.runs):
            compared = i >= sizes.runs - sizes.compare_runs
            points = sizes.compare_points if compared else sizes.summary_points
            record = store.create_run(PROJECT, name=f"run-{i}", tags=["sweep"], owner="bench")
            now = time.time()
            steps = np.arange(points, dtype=np.float64).tolist()
            stamps = [now] * points
            lr = float(10 ** rng.uniform(-4, -1))
            ops: list[Op] = [
                SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, lr, seq=1),
                SetOp(
                    FieldPath("parameters/optimizer"),
                    FieldKind.STRING,
                    ["adam", "sgd"][i % 2],
                    seq=2,
                ),
                SetOp(FieldPath("parameters/batch_size"), FieldKind.INT, 32 << (i % 3), seq=3),
            ]
            decay = np.exp(-np.arange(points) / (points / 4))
            for k, path in enumerate(SERIES):
                values = decay * (1 + k / 10) + rng.normal(0, 0.02, points)
                ops.append(
                    AppendOp(
                        FieldPath(path), SeriesKind.FLOAT, steps, values.tolist(), stamps, seq=4 + k
                    )
                )
            ops.append(StatusOp(RunStatus.FINISHED, at=now, seq=4 + len(SERIES)))
            store.apply_ops(record.id, ops)
            if i % 1000 == 999:
                _say(f"stored {i + 1:,} runs")
    finally:
        store.close()
    return time.perf_counter() - start


class FillStopped(RuntimeError):
    """The direct fill gave up: the disk ran low or the fill would take too long."""


FULL_SIZE_FREE_BYTES = 60e9  # what --full-size wants free before it starts


# A run's last_seq after the ops ``fill`` sends it: 3 parameters, 20 appends, the status.
_RUN_SEQ = 4 + len(SERIES)


def _run_points(
    rng: np.random.Generator, points: int, start: float
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Steps, timestamps and one value array a series of one run: noisy decaying curves
    whose rate and level vary by run, so that compared runs differ."""
    steps = np.arange(points, dtype=np.float64)
    stamps = start + steps * 0.05
    rate = points / 4 * rng.uniform(0.5, 2.0)
    level = rng.uniform(0.0, 0.3)
    decay = np.exp(-steps / rate)
    noise = rng.normal(0, 0.02, (len(SERIES), points))
    values = [decay * (1 + k / 10) + level + noise[k] for k in range(len(SERIES))]
    return steps, stamps, values


def fill_direct(
    home: str,
    sizes: Sizes,
    *,
    batch_runs: int = 200,
    keep_free_bytes: float = 15e9,
    max_minutes: float = 25.0,
) -> dict[str, float]:
    """Fill the store at ``home`` by inserting its rows directly (SQLAlchemy Core
    executemany of pre-encoded chunks, ``chunks.chunk_rows``), one transaction per
    ``batch_runs`` runs, with ``synchronous=OFF`` and a big page cache on this connection
    only. The rows are those ``fill`` leaves through ``apply_ops``: the project, runs
    (finished, ``last_seq`` as if sent), the tag, three ``parameters/`` fields, and 20
    float series a run with correct summaries and chunks. Stops (FillStopped) when less
    than ``keep_free_bytes`` stay free on the disk, or when 5% of the runs extrapolate to
    more than ``max_minutes``. Returns seconds and bytes."""
    start = time.perf_counter()
    rng = np.random.default_rng(20261130)
    store = Store.open_home(home)  # creates the schema, in WAL mode like any store
    db = os.path.join(home, "cairn.db")
    t0 = time.time() - sizes.runs * 60.0  # a run a minute, the newest ending about now
    try:
        with store.engine.connect().execution_options(**WRITE) as conn:
            # On the DB-API connection: outside any transaction, and for this fill only.
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-1048576")  # 1 GiB
            with conn.begin():
                project_id = conn.execute(
                    projects.insert()
                    .values(name=PROJECT, key="BENCH", next_number=sizes.runs + 1, created_at=t0)
                    .returning(projects.c.id)
                ).scalar_one()
            for first in range(0, sizes.runs, batch_runs):
                last = min(first + batch_runs, sizes.runs)
                with conn.begin():
                    for i in range(first, last):
                        _insert_run(conn, rng, sizes, project_id, i, t0 + i * 60.0)
                free = shutil.disk_usage(home).free
                elapsed = time.perf_counter() - start
                _say(
                    f"stored {last:,} runs in {elapsed:.0f} s, "
                    f"{os.path.getsize(db) / 1e9:.1f} GB, {free / 1e9:.1f} GB free"
                )
                if free < keep_free_bytes:
                    raise FillStopped(f"only {free / 1e9:.1f} GB left free on the disk")
                if last >= sizes.runs * 0.05 and first < sizes.runs * 0.05:
                    projected = elapsed * sizes.runs / last / 60
                    _say(f"projected fill time {projected:.1f} min")
                    if projected > max_minutes:
                        raise FillStopped(
                            f"{last:,} runs took {elapsed:.0f} s: the whole fill would take "
                            f"{projected:.0f} min (limit {max_minutes:.0f})"
                        )
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return {"fill_s": time.perf_counter() - start, "fill_bytes": float(os.path.getsize(db))}


def _insert_run(
    conn: Connection,
    rng: np.random.Generator,
    sizes: Sizes,
    project_id: int,
    i: int,
    created_at: float,
) -> None:
    compared = i >= sizes.runs - sizes.compare_runs
    points = sizes.compare_points if compared else sizes.summary_points
    steps, stamps, curves = _run_points(rng, points, created_at)
    ended_at = float(stamps[-1])
    run_id = str(uuid.uuid4())
    conn.execute(
        runs.insert().values(
            id=run_id,
            project_id=project_id,
            number=i + 1,
            key=f"BENCH-{i + 1}",
            name=f"run-{i}",
            description="",
            status=RunStatus.FINISHED.value,
            owner="bench",
            host="",
            created_at=created_at,
            ended_at=ended_at,
            heartbeat_at=ended_at,
            last_seq=_RUN_SEQ,
        )
    )
    conn.execute(run_tags.insert().values(run_id=run_id, tag="sweep"))
    lr = float(10 ** rng.uniform(-4, -1))
    conn.execute(
        fields.insert(),
        [
            {
                "run_id": run_id,
                "path": "parameters/lr",
                "kind": FieldKind.FLOAT.value,
                "value_num": lr,
                "value_text": None,
                "value_json": None,
            },
            {
                "run_id": run_id,
                "path": "parameters/optimizer",
                "kind": FieldKind.STRING.value,
                "value_num": None,
                "value_text": ["adam", "sgd"][i % 2],
                "value_json": None,
            },
            {
                "run_id": run_id,
                "path": "parameters/batch_size",
                "kind": FieldKind.INT.value,
                "value_num": float(32 << (i % 3)),
                "value_text": None,
                "value_json": None,
            },
        ],
    )
    summaries = []
    chunk_rows: list[dict[str, object]] = []
    for k, (path, values) in enumerate(zip(SERIES, curves, strict=True)):
        series_id = i * len(SERIES) + k + 1
        summaries.append(
            {
                "id": series_id,
                "run_id": run_id,
                "path": path,
                "kind": SeriesKind.FLOAT.value,
                "count": points,
                "first_step": float(steps[0]),
                "last_step": float(steps[-1]),
                "last_value": float(values[-1]),
                "min_value": float(values.min()),
                "max_value": float(values.max()),
                "last_at": float(stamps[-1]),
            }
        )
        chunk_rows += chunks.chunk_rows(series_id, 0, steps, values, stamps)
    conn.execute(series.insert(), summaries)
    conn.execute(series_chunks.insert(), chunk_rows)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Installed before the page's scripts: the time the first row with data, and the first
# drawn chart(s), appear, in ms since navigation start.
_OBSERVE = """
(() => {
  const marks = {};
  window.__bench = marks;
  const seen = () => {
    if (marks.rows !== undefined) return;
    if (document.querySelector('.runs-row[data-run]')) marks.rows = performance.now();
  };
  const options = { childList: true, subtree: true, attributes: true };
  new MutationObserver(seen).observe(document, options);
})();
"""


def _median(samples: list[float]) -> float:
    return float(statistics.median(samples))


def measure_table(browser: Any, url: str, repeats: int) -> dict[str, Any]:
    cold: list[float] = []
    warm: list[float] = []
    address = f"{url}/projects/{PROJECT}"
    for _ in range(repeats):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(_OBSERVE)
        try:
            page = context.new_page()
            for samples in (cold, warm):
                page.goto(address)
                page.wait_for_function(
                    "window.__bench && window.__bench.rows !== undefined", timeout=60_000
                )
                samples.append(page.evaluate("window.__bench.rows") / 1000)
        finally:
            context.close()
    return {
        "cold_s": cold,
        "warm_s": warm,
        "cold_median_s": _median(cold),
        "warm_median_s": _median(warm),
    }


def _compare_keys(store_home: str, count: int) -> list[str]:
    store = Store.open_home(store_home)
    try:
        return [r.key for r in store.list_runs(PROJECT, limit=count)]
    finally:
        store.close()


_FETCH_COMPARE = """
async ([ids, metrics, maxPoints]) => {
  const start = performance.now();
  const answers = await Promise.all(ids.flatMap((id) => metrics.map((m) =>
    fetch(`/api/v1/runs/${id}/series/${m}?max_points=${maxPoints}`).then((r) => r.json()))));
  const points = answers.reduce((n, a) => n + a.steps.length, 0);
  return { seconds: (performance.now() - start) / 1000, points };
}
"""


# What the compare view asks now: one batch read per chart (web/src/components/compare/
# seriesQuery.ts), all charts at once, ``BATCH_POINTS`` a line (its pointsPerRun for 50 runs).
_FETCH_BATCH = """
async ([ids, metrics, maxPoints]) => {
  const start = performance.now();
  const answers = await Promise.all(metrics.map((m) =>
    fetch('/api/v1/projects/bench/series/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ runs: ids, paths: [m], max_points: maxPoints, timestamps: false }),
    }).then((r) => r.json())));
  const points = answers.reduce((n, a) => n + a.series.reduce((k, s) => k + s.steps.length, 0), 0);
  return { seconds: (performance.now() - start) / 1000, points };
}
"""
BATCH_POINTS = 300


def measure_compare_api(browser: Any, url: str, ids: list[str], repeats: int) -> dict[str, Any]:
    """The API part of a compare view of ``ids`` x METRICS, from inside the page: one
    request per run and metric (how the view first fetched), and one batch read per metric
    (how it fetches now)."""
    samples: list[float] = []
    batch: list[float] = []
    points = batch_points = 0
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{url}/projects/{PROJECT}")
        for _ in range(repeats):
            answer = page.evaluate(_FETCH_COMPARE, [ids, list(METRICS), MAX_POINTS])
            samples.append(answer["seconds"])
            points = answer["points"]
            answer = page.evaluate(_FETCH_BATCH, [ids, list(METRICS), BATCH_POINTS])
            batch.append(answer["seconds"])
            batch_points = answer["points"]
    finally:
        context.close()
    return {
        "api_s": samples,
        "api_median_s": _median(samples),
        "api_points": points,
        "batch_s": batch,
        "batch_median_s": _median(batch),
        "batch_points": batch_points,
    }


# Installed before the page's scripts: when every chart card of the compare view has all
# its runs' points (data-loaded = data-runs), then two animation frames later (ECharts
# draws on the next frame after setOption), in ms since navigation start.
_OBSERVE_COMPARE = """
(() => {
  const marks = {};
  window.__bench = marks;
  const check = () => {
    if (marks.loaded !== undefined) return;
    const cards = [...document.querySelectorAll('.chart-card[data-metric]')];
    if (cards.length < %d) return;
    const done = cards.every((c) => c.dataset.runs !== '0' && c.dataset.loaded === c.dataset.runs);
    if (!done) return;
    marks.loaded = performance.now();
    requestAnimationFrame(() => requestAnimationFrame(() => { marks.drawn = performance.now(); }));
  };
  const options = { childList: true, subtree: true, attributes: true };
  new MutationObserver(check).observe(document, options);
})();
"""


def measure_compare_view(browser: Any, url: str, keys: list[str], repeats: int) -> dict[str, Any]:
    """The compare view of ``keys`` x METRICS until its charts have drawn; {} when the
    dashboard has no compare view."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    query = f"sel={','.join(keys)}&m={','.join(METRICS)}"
    address = f"{url}/projects/{PROJECT}/compare?{query}"
    samples: list[float] = []
    for _ in range(repeats):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_init_script(_OBSERVE_COMPARE % len(METRICS))
        try:
            page = context.new_page()
            page.goto(address)
            try:
                page.wait_for_selector("[data-testid=compare-view]", timeout=15_000)
            except PlaywrightTimeout:  # a dashboard without the compare view
                return {}
            page.wait_for_function("window.__bench.drawn !== undefined", timeout=120_000)
            samples.append(page.evaluate("window.__bench.drawn") / 1000)
        finally:
            context.close()
    return {"render_s": samples, "render_median_s": _median(samples)}


def measure(home: str, sizes: Sizes) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    log = open(os.path.join(home, "..", "ui.log"), "ab")  # noqa: SIM115
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "cairn.cli", "ui", "--home", home, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/v1/projects", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("cairn ui did not start") from None
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                _say("runs table")
                results: dict[str, Any] = {"table": measure_table(browser, url, sizes.repeats)}
                keys = _compare_keys(home, sizes.compare_runs)
                store = Store.open_home(home)
                try:
                    ids = [str(store.get_run(k, project=PROJECT).id) for k in keys]
                finally:
                    store.close()
                _say("compare (API part)")
                results["compare"] = measure_compare_api(browser, url, ids, sizes.repeats)
                _say("compare view")
                view = measure_compare_view(browser, url, keys, sizes.repeats)
                results["compare"].update(view)
            finally:
                browser.close()
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true")
    size.add_argument(
        "--full-size",
        action="store_true",
        help="the issue's store, 10,000 runs x 20 series x 10,000 points (~48 GB), its rows "
        "written directly; refuses to start with less than 60 GB free",
    )
    parser.add_argument("--out", help="write the JSON results here")
    parser.add_argument("--keep", metavar="DIR", help="fill the store here once and reuse it")
    parser.add_argument("--only", action="append", default=[], help=argparse.SUPPRESS)  # run.py's
    args = parser.parse_args()
    sizes = Sizes.pick(args.quick, args.full_size)
    folder = args.keep or tempfile.mkdtemp(prefix="bench-dashboard-")
    os.makedirs(folder, exist_ok=True)
    home = os.path.join(folder, ".cairn")
    full = "-full" if sizes.full_size else ""
    stamp = os.path.join(folder, f"filled-{sizes.runs}-{sizes.compare_points}{full}")
    results: dict[str, Any] = {"sizes": sizes.__dict__}
    try:
        if not os.path.exists(stamp):
            shutil.rmtree(home, ignore_errors=True)
            _say(f"filling {sizes.runs:,} runs x {len(SERIES)} series")
            try:
                if sizes.full_size:
                    free = shutil.disk_usage(folder).free
                    if free < FULL_SIZE_FREE_BYTES:
                        raise FillStopped(f"{free / 1e9:.0f} GB free, the full size needs 60")
                    results["fill_method"] = "direct"
                    results.update(fill_direct(home, sizes))
                else:
                    results["fill_s"] = fill(home, sizes)
            except BaseException:
                shutil.rmtree(home, ignore_errors=True)  # never leave a half-built store
                raise
            Path(stamp).touch()
        db = os.path.join(home, "cairn.db")
        results["store_bytes"] = os.path.getsize(db)
        results["points"] = len(SERIES) * (
            (sizes.runs - sizes.compare_runs) * sizes.summary_points
            + sizes.compare_runs * sizes.compare_points
        )
        results.update(measure(home, sizes))
        results["cpus"] = os.cpu_count()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    text = json.dumps(results, indent=2)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
