"""HardwareMonitor on this machine: real psutil readings on a real thread."""

from __future__ import annotations

import math
import os
import threading
import time

import pytest

from cairn.client.capture.hardware import HardwareMonitor

EXPECTED = {
    "monitoring/cpu/percent",
    "monitoring/cpu/process_percent",
    "monitoring/memory/process_rss_mb",
    "monitoring/memory/system_percent",
    "monitoring/memory/system_used_mb",
}


def collect(
    count: int, pid: int | None = None
) -> tuple[list[tuple[dict[str, float], float]], HardwareMonitor]:
    samples: list[tuple[dict[str, float], float]] = []
    enough = threading.Event()

    def emit(values: dict[str, float], at: float) -> None:
        samples.append((values, at))
        if len(samples) >= count:
            enough.set()

    monitor = HardwareMonitor(emit, interval_s=0.2, first_sample_s=0.1, pid=pid)
    monitor.start()
    assert enough.wait(10), f"only {len(samples)} samples in 10 s"
    monitor.stop()
    return samples, monitor


def test_samples_have_finite_values_and_timestamps() -> None:
    before = time.time()
    samples, monitor = collect(2, pid=os.getpid())
    assert monitor.error_count == 0
    for values, at in samples:
        assert EXPECTED <= set(values)
        assert all(key.startswith("monitoring/") for key in values)
        assert all(isinstance(v, float) and math.isfinite(v) for v in values.values())
        assert before <= at <= time.time()
        assert values["monitoring/memory/process_rss_mb"] > 1
        assert 0 <= values["monitoring/memory/system_percent"] <= 100
        assert all(values[k] >= 0 for k in values if k.endswith("_mb_s"))
    assert samples[0][1] < samples[1][1]


def test_stop_ends_the_thread_quickly() -> None:
    monitor = HardwareMonitor(lambda values, at: None, interval_s=60.0, first_sample_s=60.0)
    monitor.start()
    started = time.monotonic()
    monitor.stop()
    assert time.monotonic() - started < 5  # an Event wait, not a 60 s sleep
    assert not any(t.name == "cairn-hardware" and t.is_alive() for t in threading.enumerate())
    monitor.stop()  # idempotent


def test_a_failing_sample_is_reported_and_sampling_goes_on() -> None:
    errors: list[BaseException] = []
    calls: list[float] = []

    def emit(values: dict[str, float], at: float) -> None:
        calls.append(at)
        if len(calls) == 1:
            raise ValueError("store is full")

    monitor = HardwareMonitor(emit, interval_s=0.1, first_sample_s=0.05, on_error=errors.append)
    monitor.start()
    deadline = time.monotonic() + 10
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    monitor.stop()
    assert len(calls) >= 3
    assert [str(e) for e in errors] == ["store is full"] and monitor.error_count == 1


def test_a_missing_process_is_reported_not_raised() -> None:
    errors: list[BaseException] = []
    pid = 2**22 + 1  # above Linux's largest possible pid, so no process has it
    monitor = HardwareMonitor(
        lambda values, at: None, first_sample_s=0.05, pid=pid, on_error=errors.append
    )
    monitor.start()
    monitor.stop()
    assert len(errors) == 1 and str(pid) in str(errors[0])


def test_start_twice_is_an_error() -> None:
    monitor = HardwareMonitor(lambda values, at: None)
    monitor.start()
    try:
        with pytest.raises(RuntimeError, match="already"):
            monitor.start()
    finally:
        monitor.stop()
