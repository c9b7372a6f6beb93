"""Sample CPU, memory, disk, network and GPU use on a background thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil  # no stubs unless types-psutil is installed

from cairn.client.capture.gpu import GpuSampler

__all__ = ["HardwareMonitor"]

logger = logging.getLogger("cairn")

_MIB = 1024 * 1024


@dataclass
class _Counters:
    """Cumulative byte counters at one moment; rates are the difference between two."""

    at: float
    disk_read: int | None
    disk_write: int | None
    net_sent: int | None
    net_recv: int | None

    @classmethod
    def now(cls) -> _Counters:
        disk = psutil.disk_io_counters()  # None in some containers: no disk keys then
        net = psutil.net_io_counters()
        return cls(
            at=time.monotonic(),
            disk_read=disk.read_bytes if disk else None,
            disk_write=disk.write_bytes if disk else None,
            net_sent=net.bytes_sent if net else None,
            net_recv=net.bytes_recv if net else None,
        )


def _rate(now: int | None, before: int | None, seconds: float) -> float | None:
    if now is None or before is None or seconds <= 0:
        return None
    return max(0, now - before) / _MIB / seconds  # counters can wrap or reset: never negative


class HardwareMonitor:
    """Calls ``emit(values, timestamp)`` with readings under ``monitoring/`` every ``interval_s``.

    Memory is in MiB and rates in MiB/s; ``cpu/process_percent`` counts 100 per busy core.
    The first sample comes ``first_sample_s`` after :meth:`start`. A sample that raises is
    passed to ``on_error`` (and counted in :attr:`error_count`); the thread goes on.

    >>> monitor = HardwareMonitor(lambda values, at: None, interval_s=1.0)
    >>> monitor.start(); monitor.stop()
    """

    def __init__(
        self,
        emit: Callable[[dict[str, float], float], None],
        *,
        interval_s: float = 10.0,
        first_sample_s: float = 1.0,
        pid: int | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._emit = emit
        self._interval_s = interval_s
        self._first_sample_s = first_sample_s
        self._pid = pid
        self._on_error = on_error
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.error_count = 0

    def start(self) -> None:
        """Start the sampling thread; raises RuntimeError when called a second time."""
        if self._thread is not None:
            raise RuntimeError("HardwareMonitor.start() was already called; make a new monitor")
        self._thread = threading.Thread(target=self._loop, name="cairn-hardware", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = 10.0) -> None:
        """Stop sampling and wait up to ``timeout_s`` for the thread to end. Idempotent."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _loop(self) -> None:
        gpu: GpuSampler | None = None
        try:
            process = psutil.Process(self._pid)
            # cpu_percent(None) measures since the previous call, so prime both now.
            process.cpu_percent(None)
            psutil.cpu_percent(None)
            counters = _Counters.now()
            gpu = self._open_gpu()
        except Exception as exc:  # without a process handle there is nothing to sample
            self._report(exc)
            return
        try:
            started = time.monotonic()
            due = started + self._first_sample_s
            # Waiting on the event, not sleeping, lets stop() end the thread at once; the
            # schedule is fixed in advance so slow samples do not make the interval drift.
            while not self._stopping.wait(max(0.0, due - time.monotonic())):
                try:
                    values, counters = self._sample(process, counters, gpu)
                    self._emit(values, time.time())
                except Exception as exc:  # one bad sample must not end monitoring
                    self._report(exc)
                due = max(due + self._interval_s, time.monotonic())
        finally:
            if gpu is not None:
                gpu.close()

    def _open_gpu(self) -> GpuSampler | None:
        try:
            return GpuSampler.open()
        except Exception as exc:  # a broken driver costs the GPU keys, not the CPU ones
            self._report(exc)
            return None

    def _sample(
        self, process: psutil.Process, before: _Counters, gpu: GpuSampler | None
    ) -> tuple[dict[str, float], _Counters]:
        memory = psutil.virtual_memory()
        with process.oneshot():
            values = {
                "monitoring/cpu/percent": float(psutil.cpu_percent(None)),
                "monitoring/cpu/process_percent": float(process.cpu_percent(None)),
                "monitoring/memory/process_rss_mb": process.memory_info().rss / _MIB,
                "monitoring/memory/system_percent": float(memory.percent),
                "monitoring/memory/system_used_mb": memory.used / _MIB,
            }
        now = _Counters.now()
        seconds = now.at - before.at
        rates = {
            "monitoring/disk/read_mb_s": _rate(now.disk_read, before.disk_read, seconds),
            "monitoring/disk/write_mb_s": _rate(now.disk_write, before.disk_write, seconds),
            "monitoring/network/sent_mb_s": _rate(now.net_sent, before.net_sent, seconds),
            "monitoring/network/recv_mb_s": _rate(now.net_recv, before.net_recv, seconds),
        }
        values.update({key: rate for key, rate in rates.items() if rate is not None})
        if gpu is not None:
            values.update(gpu.sample())
        return values, now

    def _report(self, exc: BaseException) -> None:
        self.error_count += 1
        # debug, not warning: logging's last-resort handler would print a warning to stderr.
        logger.debug("cairn: hardware sample failed", exc_info=exc)
        if self._on_error is None:
            return
        try:
            self._on_error(exc)
        except Exception:  # the error reporter failing must not end monitoring either
            self.error_count += 1
            logger.debug("cairn: hardware on_error callback failed", exc_info=True)
