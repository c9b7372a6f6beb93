"""``cairn.init()``, ``cairn.get_run()``: open the store, create or resume a run, start the
sender and the capture threads, and make sure the run ends however the process ends."""

from __future__ import annotations

import atexit
import getpass
import os
import socket
import sys
import time
import traceback
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from cairn.client.connect import Mode, connect
from cairn.client.run import Run, RunReader, StopPolicy, status_for
from cairn.client.sender import Sender
from cairn.errors import InvalidInput
from cairn.ops import StatusOp
from cairn.settings import Settings
from cairn.types import RunStatus

__all__ = ["get_run", "init"]

# Runs that must end when the process does. The excepthook and atexit are process-wide by
# nature, so this is the one piece of module state; nothing else reads it.
_live_runs: weakref.WeakSet[Run] = weakref.WeakSet()
_hooks_installed = False


def init(
    project: str | None = None,
    *,
    name: str = "",
    tags: Sequence[str] = (),
    config: Any = None,
    description: str = "",
    run: str | None = None,
    home: str | os.PathLike[str] | None = None,
    capture: bool = True,
    capture_code: bool = True,
    capture_environment: bool = True,
    capture_hardware: bool = True,
    capture_console: bool = True,
    monitoring_interval_s: float | None = None,
    url: str | None = None,
    mode: Mode | None = None,
    on_stop_request: StopPolicy = "interrupt",
) -> Run:
    """Start a run (or resume one with ``run="MNIST-42"``) and return it.

    ``config`` (a dict, argparse.Namespace, dataclass, pydantic model or OmegaConf config)
    is stored under ``parameters/``. ``capture=False`` turns every automatic capture off;
    the ``capture_*`` flags turn off one each.

    ``url`` (default ``CAIRN_URL``) sends the run to a team server instead of the embedded
    store; ops are queued on disk first, so a server outage never stops training.
    ``mode="offline"`` only queues, for ``cairn sync`` to deliver later. When the run is
    asked to stop remotely, ``on_stop_request`` decides: ``"interrupt"`` raises
    KeyboardInterrupt in the main thread, ``"flag"`` only sets ``run.stop_requested``, a
    function is called with the run.

    Raises InvalidInput for a bad project name, RunNotFound when resuming an unknown run,
    ConfigError for malformed CAIRN_* variables.

    >>> import cairn, tempfile
    >>> run = cairn.init(project="mnist", name="baseline", home=tempfile.mkdtemp(),
    ...                  config={"lr": 0.001}, capture=False)
    >>> run.key
    'MNIST-1'
    >>> run.stop()
    """
    settings = Settings.from_env()
    backend = connect(settings, home=home, url=url, mode=mode)
    first_seq = 0
    if run is not None:
        if mode == "offline" or (mode is None and settings.mode == "offline"):
            raise InvalidInput(
                f"cannot resume {run!r} offline: resuming needs the run's state from its "
                "store; resume it online"
            )
        record = backend.get_run(run, project=project)
        first_seq = backend.resume(record)
    else:
        record = backend.create_run(
            project or settings.project,
            name=name,
            tags=list(tags),
            owner=_owner(),
            host=socket.gethostname(),
            description=description,
        )
    layout = backend.layout(record.id)
    sender = Sender(
        backend,
        record.id,
        flush_interval_s=settings.flush_interval_s,
        heartbeat_interval_s=settings.heartbeat_interval_s,
        first_seq=first_seq,
    )
    new_run = Run(
        backend,
        record,
        sender,
        layout,
        queue_limit=settings.queue_max_points,
        deliver_timeout_s=settings.deliver_timeout_s,
        on_stop_request=on_stop_request,
    )
    sender.on_heartbeat = new_run._check_stop_request
    if run is not None:
        new_run._enqueue(StatusOp(RunStatus.RUNNING, at=time.time()))
        if name:
            new_run["sys/name"] = name
        if tags:
            new_run["sys/tags"].add(list(tags))
    if config is not None:
        new_run["parameters"] = config
    sender.start()
    if capture:
        from cairn.client.autocapture import CaptureOptions, start_capture

        options = CaptureOptions(
            code=capture_code,
            environment=capture_environment,
            hardware=capture_hardware,
            console=capture_console,
            monitoring_interval_s=monitoring_interval_s or settings.monitoring_interval_s,
            source_max_bytes=settings.source_max_bytes,
        )
        start_capture(new_run, options)
    _register(new_run)
    return new_run


def get_run(
    ref: str, *, project: str | None = None, home: str | os.PathLike[str] | None = None
) -> RunReader:
    """Open a stored run read-only by short id (``MNIST-42``) or UUID. Raises RunNotFound.

    >>> import cairn, tempfile
    >>> home = tempfile.mkdtemp()
    >>> cairn.init(project="p", home=home, capture=False).stop()
    >>> cairn.get_run("P-1", home=home).fetch()["sys"]["status"]
    'finished'
    """
    backend = connect(Settings.from_env(), home=home, mode="online")
    return RunReader(backend, backend.get_run(ref, project=project))


def _owner() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return os.environ.get("USER", "")


def _register(run: Run) -> None:
    global _hooks_installed
    _live_runs.add(run)
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        for live in list(_live_runs):
            live.stop(status_for(exc), error=text, timeout_s=30)
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook
    atexit.register(_stop_all)


def _stop_all() -> None:
    for live in list(_live_runs):
        live.stop(timeout_s=60)
