"""A store filled by the real client for the dashboard's browser tests: one project of
four runs (parameters, float series of 1,200 points, monitoring, console lines, a file)
and a project with no runs. ``python tests/e2e/browser/seed.py HOME`` fills a folder by
hand, to look at with ``cairn ui --home HOME``."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import cairn
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


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    fill(target)
    print(f"filled {target}: cairn ui --home {target}")
