"""Turn both trackers' JSON results into a table: in the terminal (Rich) and as Markdown."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = [
    "REMOTE_HEADING",
    "Machine",
    "Row",
    "build_rows",
    "markdown",
    "print_table",
    "remote_markdown",
    "split_page",
]

Results = Mapping[str, Any]  # one tracker's JSON payload, as the workload scripts write it


@dataclass(frozen=True)
class Row:
    """One line of the table: which result of each tracker it compares, and Cairn's target."""

    label: str
    cairn: str
    mlflow: str
    target: float | None  # in ``unit``; None where Cairn has no target
    unit: str = "s"  # "s" or "MB" (lower is better), "points/s" (higher is better)

    @property
    def is_lower_better(self) -> bool:
        return self.unit != "points/s"


@dataclass(frozen=True)
class Cell:
    value: float | None
    note: str


@dataclass(frozen=True)
class Line:
    """A row with its measured values, ready to render."""

    row: Row
    cairn: Cell
    mlflow: Cell

    @property
    def ratio(self) -> str:
        """How MLflow compares with Cairn: ``×120 faster`` (Cairn) or ``×2.0 slower``."""
        a, b = self.cairn.value, self.mlflow.value
        if not a or not b:
            return "—"
        times = b / a if self.row.is_lower_better else a / b
        word = "faster" if times >= 1 else "slower"
        times = times if times >= 1 else 1 / times
        return f"×{times:,.0f} {word}" if times >= 10 else f"×{times:.1f} {word}"

    @property
    def met(self) -> str:
        value, target = self.cairn.value, self.row.target
        if value is None or target is None:
            return "—"
        is_met = value <= target if self.row.is_lower_better else value >= target
        return "yes" if is_met else "**no**"


@dataclass(frozen=True)
class Machine:
    """Where the numbers were measured."""

    cores: int
    cpu: str
    python: str
    system: str
    cairn: str
    mlflow: str

    @classmethod
    def describe(cls, cairn: Results | None, mlflow: Results | None) -> Machine:
        return cls(
            cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0,
            cpu=_cpu_model(),
            python=platform.python_version(),
            system=platform.platform(),
            cairn=cairn["version"] if cairn else "not run",
            mlflow=mlflow["version"] if mlflow else "not run",
        )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass  # not Linux: fall back to what platform knows
    return platform.processor() or "unknown"


def build_rows(rows: list[Row], cairn: Results | None, mlflow: Results | None) -> list[Line]:
    """Pair each row with the measured numbers (``None`` where a tracker was not run)."""
    return [Line(row, _cell(cairn, row.cairn), _cell(mlflow, row.mlflow)) for row in rows]


def _cell(results: Results | None, key: str) -> Cell:
    found = (results or {}).get("results", {}).get(key)
    if found is None:
        return Cell(None, "")
    return Cell(found["value"], found["note"])


def format_value(value: float | None, unit: str) -> str:
    """``4.3 µs``, ``12 ms``, ``2.21 s``, ``630,000 points/s`` or ``95 MB``."""
    if value is None:
        return "—"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit != "s":
        return f"{value:,.0f} {unit}"
    for scale, name in ((1e-6, "µs"), (1e-3, "ms"), (1.0, "s")):
        if value < scale * 1000 or name == "s":
            scaled = value / scale
            return f"{scaled:.3g} {name}" if scaled < 100 else f"{scaled:,.0f} {name}"
    raise AssertionError("unreachable")


def format_target(row: Row) -> str:
    if row.target is None:
        return "—"
    sign = "≤" if row.is_lower_better else "≥"
    return f"{sign} {format_value(row.target, row.unit)}"


HEADERS = ("workload", "Cairn", "MLflow", "Cairn vs MLflow", "Cairn target", "met")


def _cells(line: Line) -> tuple[str, ...]:
    return (
        line.row.label,
        format_value(line.cairn.value, line.row.unit),
        format_value(line.mlflow.value, line.row.unit),
        line.ratio,
        format_target(line.row),
        line.met,
    )


def print_table(lines: list[Line], title: str) -> None:
    """The table on the terminal."""
    table = Table(title=title)
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if i == 0 else "right")
    for line in lines:
        cells = _cells(line)
        met = {"yes": "[green]yes[/]", "—": "—"}.get(line.met, f"[red]{line.met.strip('*')}[/]")
        table.add_row(*map(escape, cells[:-1]), met)
    console = Console()
    if not console.is_terminal:  # a pipe or a log file: don't squeeze the table into 80 columns
        console = Console(width=max(console.width, 120))
    console.print(table)


def markdown(lines: list[Line], machine: Machine, *, command: str, date: str, quick: bool) -> str:
    """The whole docs/benchmarks.md page."""
    table = ["| " + " | ".join(HEADERS) + " |", "|" + " --- |" * len(HEADERS)]
    table += ["| " + " | ".join(_cells(line)) + " |" for line in lines]
    notes = [
        f"- **{line.row.label}**: Cairn: {line.cairn.note or '—'}. "
        f"MLflow: {line.mlflow.note or '—'}."
        for line in lines
    ]
    size_note = (
        "\n> Measured with `--quick` (every size about 10× smaller): a smoke test, not the "
        "published numbers.\n"
        if quick
        else ""
    )
    missed = [line.row.label for line in lines if line.met == "**no**"]
    missed_text = (
        "Targets missed: " + "; ".join(missed) + ". See the notes below.\n\n" if missed else ""
    )
    return PAGE.format(
        missed=missed_text,
        command=command,
        date=date,
        machine=machine,
        size_note=size_note,
        table="\n".join(table),
        notes="\n".join(notes),
    )


PAGE = """\
# Benchmarks: Cairn and MLflow, same machine, same run

Generated by `benchmarks/run.py`; do not edit by hand, rerun it:

```bash
{command}
```

- date: {date}
- machine: {machine.cores} cores available, {machine.cpu}; {machine.system}
- Python {machine.python}; Cairn {machine.cairn}; MLflow {machine.mlflow}
  (SQLite backend store, local artifacts)
{size_note}
{table}

Every number is a median. "Cairn vs MLflow" is how many times faster Cairn was (time
ratio MLflow/Cairn, or throughput ratio Cairn/MLflow).

{missed}## What each row measured

{notes}

## Method

- Each tracker runs in its own process and virtual environment: Cairn in the project's
  `.venv`, MLflow in `benchmarks/.venv-mlflow` (pinned in `benchmarks/requirements-mlflow.txt`).
  Every workload uses a fresh temporary store: `cairn.init(..., home=tmp)` for Cairn and
  `sqlite:///tmp/mlflow.db` with a local artifact root for MLflow. Cairn runs with its defaults.
- `log()`: Cairn logs floats in a tight loop, timed in blocks of 1,000 calls with
  `time.perf_counter_ns`; the median block mean is quoted. The call only queues the point;
  the sender thread stores it meanwhile, and its share of the CPU (2 cores, one GIL) is
  part of the measurement. MLflow's `log_metric` is timed call by call (synchronous: it
  has written to SQLite when it returns); with `synchronous=False` in blocks of 100 calls.
- Durable points/s: Cairn from the first `log()` until `run.stop()` returned (everything is
  in SQLite then); MLflow through `MlflowClient().log_batch` with 1,000 metrics a call, its
  fastest path, over 10× fewer points than Cairn (MLflow would need minutes for a million).
- Reads: Cairn `cairn.get_run(key)["x"].fetch_values()` builds a pandas DataFrame; MLflow
  `MlflowClient().get_metric_history` builds a list of `Metric`. For the downsampled read,
  `MlflowClient` has no call; the row times the tracking store's
  `get_metric_history_bulk_interval`, which is what an MLflow server runs for its UI's
  charts (evenly spaced points; Cairn keeps each bucket's min and max).
- Query: the same generated runs for both (lr, batch_size, optimizer as parameters; half
  tagged `cnn`; a 10-point `val/acc` series). Cairn:
  `Project(p).runs(filter="parameters/lr < 0.01 and val/acc > 0.5 and tags has 'cnn'",
  sort="-val/acc", limit=100)`. MLflow params are strings and cannot be compared with `<`,
  so lr is also logged as a metric: `search_runs(filter_string="metrics.lr < 0.01 AND
  metrics.val_acc > 0.5 AND tags.cnn = 'true'", order_by=["metrics.val_acc DESC"],
  max_results=100)`. Both return a DataFrame; both results are checked for the expected row
  count. Cairn's runs are made through the public API (`cairn.init(capture=False)`).
- Run create + stop: one warm-up run first (it creates the store), then the median of the
  timed runs. MLflow's `start_run` records its default tags (git commit, source, user),
  so it sits between Cairn's capture-off and default-capture rows. With Cairn's default
  capture, git, the source snapshot and the installed-package list are collected on a
  background thread while training runs, and `stop()` waits for that thread: a run that
  stops at once pays for all of it, a run that trains for a second or more pays nothing.
- The machine is shared: expect run-to-run noise of ±20% on the small numbers.
"""


# -- the team server section ---------------------------------------------------------------

REMOTE_HEADING = "## Team server (remote)"


def split_page(text: str) -> tuple[str, str]:
    """An existing page's embedded part and its remote section (either may be empty), so
    that a run measuring one section keeps the other."""
    head, found, tail = text.partition("\n" + REMOTE_HEADING + "\n")
    return head.rstrip() + "\n", (REMOTE_HEADING + "\n" + tail) if found else ""


def _markdown_table(lines: list[Line]) -> str:
    table = ["| " + " | ".join(HEADERS) + " |", "|" + " --- |" * len(HEADERS)]
    return "\n".join(table + ["| " + " | ".join(_cells(line)) + " |" for line in lines])


def remote_markdown(
    tables: Mapping[str, list[Line]], machine: Machine, *, command: str, date: str, quick: bool
) -> str:
    """The "Team server (remote)" section: one table per store, then how it was measured."""
    parts = []
    for store, lines in tables.items():
        missed = [line.row.label for line in lines if line.met == "**no**"]
        parts.append(f"### {STORE_NAMES.get(store, store)}\n\n{_markdown_table(lines)}\n")
        if missed:
            parts.append("Targets missed: " + "; ".join(missed) + ".\n")
    notes = []
    for store, lines in tables.items():
        for line in lines:
            notes.append(
                f"- **{line.row.label}** ({store}): Cairn: {line.cairn.note or '—'}. "
                f"MLflow: {line.mlflow.note or '—'}."
            )
    size_note = (
        "\n> Measured with `--quick` (every size about 10× smaller): a smoke test, not the "
        "published numbers.\n"
        if quick
        else ""
    )
    return REMOTE_PAGE.format(
        command=command,
        date=date,
        machine=machine,
        size_note=size_note,
        tables="\n".join(parts),
        notes="\n".join(notes),
    )


STORE_NAMES = {"sqlite": "SQLite store", "postgresql": "PostgreSQL store"}

REMOTE_PAGE = """\
{REMOTE_HEADING}

Cairn's team server (`cairn server`, one process) against MLflow's tracking server
(`mlflow server`, its default workers), both on loopback, each over the same kind of
store: a SQLite file, and a fresh PostgreSQL database at 127.0.0.1:5432. Same driver run:

```bash
{command}
```

- date: {date}
- machine: {machine.cores} cores shared with other work, {machine.cpu}; client, server
  and database all on these 2 cores, so every number is lower than on a real deployment
- Python {machine.python}; Cairn {machine.cairn}; MLflow {machine.mlflow}
{size_note}
{tables}
Every number is a median (p95 where the row says so); "Cairn vs MLflow" is how many times
faster Cairn was. Runs on this shared machine vary by ±30%; the ratios are the stable part.

### What each row measured

{notes}

### Method

- Each tracker's script (`workloads/cairn_remote.py`, `workloads/mlflow_remote.py`) starts
  its server as a subprocess in its own session on a free loopback port, over a fresh store,
  runs every workload against it, stops the whole process group, then does the same on the
  next store. Cairn: `cairn server --store URL --artifacts DIR --host 127.0.0.1 --port P
  --no-auth`; MLflow: `mlflow server --backend-store-uri URL --default-artifact-root DIR
  --host 127.0.0.1 --port P` (PostgreSQL through psycopg2).
- Durable points/s: Cairn from the first `log()` until `run.wait()` returned — the client
  writes every batch to its outbox on disk (fsync'd), the shipper thread POSTs it, and
  `wait()` returns when the server has acknowledged all of it. MLflow through
  `MlflowClient().log_batch` of 1,000 metrics a call, its fastest path (synchronous: stored
  when it returns). With 8 clients: 8 processes, each with its own run, get ready (imports,
  run created), are released together, and the rate is all their points over the time from
  the first start to the last end.
- Per-batch latency: Cairn: the time of one `POST /api/v1/runs/{{id}}/ops` of 1,000 points
  of one series, encoded as the outbox stores it (gzip JSON), through the client's own
  `ServerApi`; MLflow: the time of one `log_batch` of 1,000 metrics (the calls of the
  durable rows). With 8 clients, all 8 post at once.
- `log()` per point: as in the embedded section, blocks of 1,000 calls, on a run whose
  client ships to the server; MLflow's `log_metric` is one synchronous request each.
- Run create + stop: `cairn.init(url=..., capture=False)` then `stop()`, which waits until
  the server has the run's final status; MLflow `start_run()` + `end_run()`.
- Reads: Cairn `cairn.get_run(key)["x"].fetch_values()` with `CAIRN_URL` set (a DataFrame);
  MLflow `MlflowClient().get_metric_history` (a list of `Metric`), and for the
  downsampled read the request MLflow's UI makes for a chart,
  `GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?max_results=1000`.
- Server start and memory: the store is first filled with runs (three parameters, a tag,
  a 10-point series, finished) through each tracker's own store layer in-process — MLflow
  within a time budget, so it may hold fewer runs; then the server is started several
  times, timed from launch until a first API request answered 200. After the last start,
  one run listing (100 runs), 2 s idle, and the RSS of the server process plus all its
  descendants (psutil).
""".replace("{REMOTE_HEADING}", REMOTE_HEADING)
