"""GpuSampler without a GPU here, and its key mapping through a stand-in NVML module.

scripts/check_gpu_monitoring.py checks the real thing on a machine with a GPU.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from cairn.client.capture.gpu import GpuSampler


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):  # noqa: N801 - the name pynvml uses
    pass


def fake_nvml(count: int, *, has_power: bool = True, fails_init: bool = False) -> Any:
    nvml: Any = types.ModuleType("pynvml")
    nvml.NVMLError = NVMLError
    nvml.NVMLError_NotSupported = NVMLError_NotSupported
    nvml.NVML_TEMPERATURE_GPU = 0
    nvml.shutdowns = 0

    def init() -> None:
        if fails_init:
            raise NVMLError("Driver Not Loaded")

    def shutdown() -> None:
        nvml.shutdowns += 1

    def power(handle: int) -> int:
        if not has_power:
            raise NVMLError_NotSupported()
        return 250_000 + handle  # milliwatts

    nvml.nvmlInit = init
    nvml.nvmlShutdown = shutdown
    nvml.nvmlDeviceGetCount = lambda: count
    nvml.nvmlDeviceGetHandleByIndex = lambda i: i
    nvml.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=50 + h, memory=1)
    nvml.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(
        used=1024 * 1024 * 1024, total=4 * 1024 * 1024 * 1024, free=0
    )
    nvml.nvmlDeviceGetTemperature = lambda h, sensor: 60
    nvml.nvmlDeviceGetPowerUsage = power
    return nvml


def test_open_is_none_without_nvml_or_gpu() -> None:
    # This machine has neither nvidia-ml-py nor a GPU driver; open() must say so quietly.
    sampler = GpuSampler.open()
    if sampler is not None:  # on a GPU machine the sampler must work instead
        try:
            assert sampler.device_count > 0 and sampler.sample()
        finally:
            sampler.close()


def test_open_is_none_when_the_module_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes the import raise ImportError
    assert GpuSampler.open() is None


def test_open_is_none_when_the_driver_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml(1, fails_init=True))
    assert GpuSampler.open() is None


def test_open_is_none_without_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = fake_nvml(0)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    assert GpuSampler.open() is None
    assert nvml.shutdowns == 1


def test_sample_keys_and_units(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = fake_nvml(2)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    sampler = GpuSampler.open()
    assert sampler is not None and sampler.device_count == 2
    values = sampler.sample()
    assert values["monitoring/gpu/0/utilization_percent"] == 50.0
    assert values["monitoring/gpu/1/utilization_percent"] == 51.0
    assert values["monitoring/gpu/0/memory_used_mb"] == 1024.0
    assert values["monitoring/gpu/0/memory_percent"] == 25.0
    assert values["monitoring/gpu/0/temperature_c"] == 60.0
    assert values["monitoring/gpu/1/power_w"] == 250.001
    assert len(values) == 10
    sampler.close()
    sampler.close()
    assert nvml.shutdowns == 1


def test_unsupported_readings_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml(1, has_power=False))
    sampler = GpuSampler.open()
    assert sampler is not None
    assert "monitoring/gpu/0/power_w" not in sampler.sample()
    sampler.close()
