"""The dashboard section: time to first render in Chromium over a big store.

    .venv/bin/python benchmarks/workloads/dashboard.py [--quick] [--out FILE] [--keep DIR]

A store is filled through ``Store.apply_ops`` (big ``AppendOp``s, not the client's loop):
``runs`` runs of 20 float series each, most with ``summary_points`` points (what the runs
table reads is the series' summaries, not their points), and ``compare_runs`` of them with
20 series of ``compare_points`` points (what a compare view reads). ``cairn ui`` serves it;
Playwright drives Debian's Chromium (/usr/bin/chromium, headless).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cairn.ops import AppendOp, Op, SetOp, StatusOp
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
    def pick(cls, quick: bool) -> Sizes:
        return cls(runs=1_000, compare_points=2_000, repeats=3) if quick else cls()


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
                    ids = [store.get_run(k, project=PROJECT).id for k in keys]
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
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", help="write the JSON results here")
    parser.add_argument("--keep", metavar="DIR", help="fill the store here once and reuse it")
    parser.add_argument("--only", action="append", default=[], help=argparse.SUPPRESS)  # run.py's
    args = parser.parse_args()
    sizes = Sizes.pick(args.quick)
    folder = args.keep or tempfile.mkdtemp(prefix="bench-dashboard-")
    home = os.path.join(folder, ".cairn")
    stamp = os.path.join(folder, f"filled-{sizes.runs}-{sizes.compare_points}")
    results: dict[str, Any] = {"sizes": sizes.__dict__}
    try:
        if not os.path.exists(stamp):
            shutil.rmtree(home, ignore_errors=True)
            _say(f"filling {sizes.runs:,} runs x {len(SERIES)} series")
            results["fill_s"] = fill(home, sizes)
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
