"""Run the same workloads through Cairn and MLflow, print both side by side, optionally write
docs/benchmarks.md.

    .venv/bin/python benchmarks/run.py [--write docs/benchmarks.md] [--quick]
        [--section embedded|remote] [--store sqlite|postgresql]

Two sections: the embedded store (Cairn's library vs MLflow's library over SQLite), and the
team server (``cairn server`` vs ``mlflow server`` on loopback, over SQLite and PostgreSQL).

MLflow lives in its own virtual environment, ``benchmarks/.venv-mlflow``, made on the first
run from ``benchmarks/requirements-mlflow.txt`` and reused afterwards.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOADS = HERE / "workloads"
MLFLOW_VENV = HERE / ".venv-mlflow"
MLFLOW_REQUIREMENTS = HERE / "requirements-mlflow.txt"
RESULTS = HERE / "results"

sys.path[:0] = [str(HERE), str(WORKLOADS)]

from dashboard_report import dashboard_markdown, print_dashboard, split_dashboard  # noqa: E402
from report import (  # noqa: E402
    Line,
    Machine,
    Row,
    build_rows,
    markdown,
    print_table,
    remote_markdown,
    split_page,
)
from timing import Sizes  # noqa: E402


def rows_for(sizes: Sizes) -> list[Row]:
    """The table's rows, labelled with the sizes actually run. Targets are Cairn's own."""
    return [
        Row("log() per point: handle.log(v)", "log_handle", "log_sync", 5e-6),
        Row("log() per point: run[path].log(v)", "log_getitem", "log_sync", 5e-6),
        Row("log() per point vs MLflow async", "log_handle", "log_async", 5e-6),
        Row("points/s until stored", "durable", "durable", 500_000, "points/s"),
        Row(f"read {sizes.read_points:,} points", "read_full", "read_full", 0.050),
        Row(
            f"read {sizes.read_points:,} → {sizes.downsample_points:,} points",
            "read_downsampled",
            "read_downsampled",
            0.010,
        ),
        Row(f"filtered, sorted query, {sizes.query_runs:,} runs", "query", "query", 0.200),
        Row("run create + stop, capture off", "create_stop", "create_stop", 0.050),
        Row("run create + stop, default capture", "create_stop_capture", "create_stop", 0.050),
    ]


def remote_rows_for(sizes: Sizes, store: str) -> list[Row]:
    """The team-server table of one store; keys are ``<store>/<result>``."""
    clients = sizes.remote_clients

    def row(label: str, key: str, target: float | None, unit: str = "s") -> Row:
        return Row(label, f"{store}/{key}", f"{store}/{key}", target, unit)

    return [
        row("points/s until durable on the server, 1 client", "durable_1", 200_000, "points/s"),
        row(f"points/s until durable, {clients} clients at once", "durable_8", None, "points/s"),
        row("per-batch latency, 1 client: median", "batch_1_median", None),
        row("per-batch latency, 1 client: p95", "batch_1_p95", None),
        row(f"per-batch latency, {clients} clients: median", "batch_8_median", None),
        row(f"per-batch latency, {clients} clients: p95", "batch_8_p95", None),
        row("log() per point, run on the server", "log", 5e-6),
        row("run create + stop over HTTP", "create_stop", 0.020),
        row(f"read {sizes.read_points:,} points over HTTP", "read_full", 0.050),
        row(
            f"read {sizes.read_points:,} → {sizes.downsample_points:,} points over HTTP",
            "read_downsampled",
            0.010,
        ),
        row("server start until first answer", "start", 2.0),
        row(f"server RSS idle, {sizes.stored_runs:,} runs stored", "rss", 200, "MB"),
    ]


def ensure_mlflow_venv() -> Path:
    """Make ``benchmarks/.venv-mlflow`` with the pinned MLflow once; return its python."""
    python = MLFLOW_VENV / "bin" / "python"
    stamp = MLFLOW_VENV / ".installed"
    wanted = MLFLOW_REQUIREMENTS.read_text(encoding="utf-8")
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    if not python.exists():
        base = shutil.which("python3") or sys.executable
        print(f"creating {MLFLOW_VENV.relative_to(REPO)} with {base}", file=sys.stderr)
        subprocess.run([base, "-m", "venv", str(MLFLOW_VENV)], check=True)
    print(f"installing {wanted.strip()} (once)", file=sys.stderr)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(MLFLOW_REQUIREMENTS)], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return python


def run_workloads(
    python: Path, script: str, args: argparse.Namespace, *, remote: bool = False
) -> dict[str, Any]:
    """Run one tracker's workload script in its own process; return its JSON results."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        out = Path(folder, "results.json")
        command = [str(python), str(WORKLOADS / script), "--out", str(out)]
        command += ["--quick"] if args.quick else []
        command += ["--full-size"] if script == "dashboard.py" and args.full_size else []
        for name in args.only:
            command += ["--only", name]
        for store in args.store if remote else []:
            command += ["--store", store]
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=REPO)
        print(f"{script}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
        results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        # Kept at once: a later script failing must not lose half an hour of measurements.
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"partial-{script.removesuffix('.py')}.json").write_text(
            json.dumps(results, indent=2), encoding="utf-8"
        )
        return results


def save_raw(measured: dict[str, Any]) -> Path:
    """Keep the raw JSON under benchmarks/results/ (ignored by git) for later comparison
    or for rendering again with ``--from-results``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{measured['date'].replace(':', '')}.json"
    path.write_text(json.dumps(measured, indent=2), encoding="utf-8")
    return path


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen trackers' workloads; return everything the report needs."""
    command = " ".join([".venv/bin/python benchmarks/run.py", *map(shlex.quote, sys.argv[1:])])
    measured: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "quick": args.quick,
        "cairn": None,
        "mlflow": None,
        "remote": None,
    }
    sections = args.section or ["embedded", "remote"]
    cairn_side, mlflow_side = args.tracker in ("both", "cairn"), args.tracker in ("both", "mlflow")
    if "embedded" in sections:
        if cairn_side:
            measured["cairn"] = run_workloads(Path(sys.executable), "cairn_workload.py", args)
        if mlflow_side:
            measured["mlflow"] = run_workloads(ensure_mlflow_venv(), "mlflow_workload.py", args)
    if "remote" in sections:
        measured["remote"] = {"stores": args.store or ["sqlite", "postgresql"]}
        if cairn_side:
            measured["remote"]["cairn"] = run_workloads(
                Path(sys.executable), "cairn_remote.py", args, remote=True
            )
        if mlflow_side:
            measured["remote"]["mlflow"] = run_workloads(
                ensure_mlflow_venv(), "mlflow_remote.py", args, remote=True
            )
    if "dashboard" in sections:
        # Only when asked: it fills a store of 10,000 runs first (see dashboard.py).
        measured["dashboard"] = run_workloads(Path(sys.executable), "dashboard.py", args)
    print(f"raw results: {save_raw(measured).relative_to(REPO)}", file=sys.stderr)
    return measured


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PATH", help="write the Markdown report here")
    parser.add_argument("--quick", action="store_true", help="every size about 10x smaller")
    parser.add_argument(
        "--tracker", choices=("both", "cairn", "mlflow"), default="both", help="run only one side"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=("log", "durable", "read", "query", "create", "clients", "latency", "footprint"),
        help="run only this workload (repeatable; the last three are remote only)",
    )
    parser.add_argument(
        "--section",
        action="append",
        default=[],
        choices=("embedded", "remote", "dashboard"),
        help="run only this section (repeatable; default: embedded and remote, dashboard "
        "only when named); --write keeps the others from the page",
    )
    parser.add_argument(
        "--store",
        action="append",
        default=[],
        choices=("sqlite", "postgresql"),
        help="remote section: only this store (repeatable)",
    )
    parser.add_argument(
        "--full-size",
        action="store_true",
        help="dashboard section: the issue's full store (10,000 runs x 20 series x 10,000 "
        "points, ~48 GB, written directly; needs 60 GB free)",
    )
    parser.add_argument(
        "--from-results",
        metavar="JSON",
        help="measure nothing: render a file saved in benchmarks/results/ again",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.from_results:
        measured = json.loads(Path(args.from_results).read_text(encoding="utf-8"))
    else:
        measured = measure(args)
    cairn, mlflow, quick = measured["cairn"], measured["mlflow"], measured["quick"]
    sizes = Sizes.pick(quick)
    suffix = " (--quick)" if quick else ""
    old_embedded, old_remote = "", ""
    old_dashboard = ""
    if args.write and Path(args.write).exists():
        text, old_dashboard = split_dashboard(Path(args.write).read_text(encoding="utf-8"))
        old_embedded, old_remote = split_page(text)
    page = old_embedded
    if cairn or mlflow:
        lines: list[Line] = build_rows(rows_for(sizes), cairn, mlflow)
        print_table(lines, f"Embedded: Cairn vs MLflow — medians{suffix}")
        page = markdown(
            lines,
            Machine.describe(cairn, mlflow),
            command=measured["command"],
            date=measured["date"],
            quick=quick,
        )
    remote = measured.get("remote")
    remote_page = old_remote
    if remote:
        r_cairn, r_mlflow = remote.get("cairn"), remote.get("mlflow")
        tables = {}
        for store in remote["stores"]:
            tables[store] = build_rows(remote_rows_for(sizes, store), r_cairn, r_mlflow)
            print_table(tables[store], f"Team server, {store}: Cairn vs MLflow — medians{suffix}")
        remote_page = remote_markdown(
            tables,
            Machine.describe(r_cairn, r_mlflow),
            command=measured["command"],
            date=measured["date"],
            quick=quick,
        )
    dashboard_page = old_dashboard
    if measured.get("dashboard"):
        print_dashboard(measured["dashboard"])
        dashboard_page = dashboard_markdown(
            measured["dashboard"], command=measured["command"], date=measured["date"]
        )
    if args.write:
        parts = [page.rstrip(), remote_page.rstrip(), dashboard_page.rstrip()]
        text = "\n\n".join(part for part in parts if part) + "\n"
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
