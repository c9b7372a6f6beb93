"""A store filled by the real client for the dashboard's browser tests: one project of
four runs (parameters, float series of 1,200 points, monitoring, console lines, a file)
a project with no runs, and the compare view's sweep of six runs (``fill_sweep``).
``python tests/e2e/browser/seed.py HOME`` fills a folder by
hand, to look at with ``cairn ui --home HOME``."""

from __future__ import annotations

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import cairn
from cairn.file import File
from cairn.store.store import Store
from cairn.types import RunStatus

PROJECT = "vision"
EMPTY_PROJECT = "empty"
POINTS = 1200
RUNS = (
    # name, lr, optimizer, tags
    ("baseline", 0.1, "sgd", ("cnn",)),
    ("small-lr", 0.01, "adam", ("cnn", "best")),
    ("tiny-lr", 0.001, "adam", ("mlp",)),
    ("diverged", 1.0, "sgd", ("mlp",)),
)


def fill(home: Path) -> None:
    """Log the runs into the store at ``home`` (a ``.cairn`` folder)."""
    for index, (name, lr, optimizer, tags) in enumerate(RUNS):
        run = cairn.init(
            project=PROJECT,
            name=name,
            tags=tags,
            home=home,
            description=f"The **{name}** run of the sweep.",
            config={"lr": lr, "optimizer": {"name": optimizer, "momentum": 0.9}, "epochs": 3},
            capture=index == 0,  # one run with git, command line and monitoring
            capture_environment=False,
            capture_console=False,
        )
        for step in range(POINTS):
            loss = 2.0 * math.exp(-lr * step / 40) + 0.05 * math.sin(step / 7)
            run["train/loss"].log(loss)
            run["train/acc"].log(1 - loss / 2.5)
            if step % 100 == 0:
                run["val/loss"].log(loss * 1.1, step=step)
                run["monitoring/stdout"].log(f"step {step}: loss {loss:.4f}")
                run["monitoring/cpu/percent"].log(50 + 40 * math.sin(step / 300), step=step)
        run["monitoring/stderr"].log("warning: a made-up warning")
        run["val/acc"] = 1 - loss / 2.5
        file = home.parent / f"notes-{index}.txt"
        file.write_text(f"notes of {name}\n")
        run["notes"].upload(str(file))
        run.stop(RunStatus.FAILED if name == "diverged" else RunStatus.FINISHED)
    # A project whose only run was deleted: the dashboard shows how to log one.
    gone = cairn.init(project=EMPTY_PROJECT, home=home, capture=False)
    gone.stop()
    store = Store.open_home(home)
    try:
        store.delete_run(store.get_run(gone.key, project=EMPTY_PROJECT).id)
    finally:
        store.close()
    fill_sweep(home)


# -- the compare view's project: a small sweep -----------------------------------------

SWEEP_PROJECT = "sweep"
SWEEP_POINTS = 300
SWEEP = (
    # lr, optimizer, batch size, dropout, commit
    (0.1, "sgd", 64, 0.1, "a" * 40),
    (0.01, "adam", 128, 0.3, "a" * 40),
    (0.001, "adam", 32, 0.2, "b" * 40),
    (0.03, "sgd", 32, 0.5, "b" * 40),
    (0.003, "adam", 64, 0.4, "b" * 40),
    (0.0003, "sgd", 128, 0.1, "b" * 40),
)


def _png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """A PNG image (RGB, 8 bits) without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _confusion_matrix(accuracy: float) -> bytes:
    """A 3x3 confusion matrix as a 96x96 heat map: a darker diagonal for a better run."""

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        share = accuracy if x // 32 == y // 32 else (1 - accuracy) / 2
        shade = int(255 * (1 - share))
        return (shade, shade, 255)

    return _png(96, 96, pixel)


def fill_sweep(home: Path) -> None:
    """Six runs whose parameters differ (val/acc is driven by the learning rate), each
    with git fields and a diff, a confusion-matrix image and an image series."""
    for index, (lr, optimizer, batch_size, dropout, commit) in enumerate(SWEEP):
        run = cairn.init(
            project=SWEEP_PROJECT,
            name=f"{optimizer}-lr{lr:g}",
            home=home,
            config={
                "lr": lr,
                "optimizer": optimizer,
                "batch_size": batch_size,
                "dropout": dropout,
                "epochs": 10,
            },
            capture=False,
        )
        quality = 1 - abs(math.log10(lr) + 2.3) / 3  # best near lr = 0.005
        for step in range(SWEEP_POINTS):
            loss = 2.0 * math.exp(-step * quality / 60) + 0.1 * (1 - quality)
            run["train/loss"].log(loss + 0.03 * math.sin(step + index))
            if step % 10 == 0:
                run["val/acc"].log(0.5 + 0.45 * quality * (1 - math.exp(-step / 80)), step=step)
        run["source/git/commit"] = commit
        run["source/git/branch"] = "main"
        run["source/git/is_dirty"] = True
        diff = (
            "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n"
            "@@ -1,4 +1,4 @@\n import torch\n-lr = 0.1\n"
            f"+lr = {lr}\n optimizer = '{optimizer}'\n"
            f"-dropout = 0.0\n+dropout = {dropout}\n"
        )
        run["source/git/diff"].upload(
            File.from_bytes(diff.encode(), name="diff.patch", mime="text/x-diff")
        )
        matrix = _confusion_matrix(0.5 + 0.45 * quality)
        run["eval/confusion_matrix"].upload(
            File.from_bytes(matrix, name="confusion.png", mime="image/png")
        )
        for step in range(3):
            image = _confusion_matrix(0.4 + 0.15 * step * quality)
            run["eval/matrices"].log(
                File.from_bytes(image, name=f"matrix-{step}.png", mime="image/png"), step=step
            )
        run.stop()


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    fill(target)
    print(f"filled {target}: cairn ui --home {target}")
