"""NVIDIA GPU readings through NVML (the ``nvidia-ml-py`` package, imported only when asked)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["GpuSampler"]

_MIB = 1024 * 1024


class GpuSampler:
    """Reads utilization, memory, temperature and power of every visible NVIDIA GPU.

    Keys are ``monitoring/gpu/<index>/<name>``. Use :meth:`open`, which returns None when
    there is nothing to sample, and :meth:`close` when done.
    """

    def __init__(self, nvml: ModuleType, handles: list[Any]) -> None:
        self._nvml = nvml
        self._handles = handles
        # Readings a GPU does not support (power on some boards, utilization under MIG) raise
        # NotSupported every time; they are left out instead of failing the whole sample.
        self._not_supported: Any = getattr(nvml, "NVMLError_NotSupported", ())

    @property
    def device_count(self) -> int:
        return len(self._handles)

    @classmethod
    def open(cls) -> GpuSampler | None:
        """A sampler over every GPU NVML sees, or None without pynvml, a driver or a GPU.

        Raises nothing for a missing library or driver; errors after NVML started propagate.

        >>> GpuSampler.open() is None or GpuSampler.open().device_count > 0  # doctest: +SKIP
        True
        """
        try:
            nvml = importlib.import_module("pynvml")
        except ImportError:
            return None
        try:
            nvml.nvmlInit()
        except nvml.NVMLError:
            return None  # no driver (libnvidia-ml missing) or no usable device
        try:
            count = nvml.nvmlDeviceGetCount()
            handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except BaseException:
            nvml.nvmlShutdown()
            raise
        if not handles:
            nvml.nvmlShutdown()
            return None
        return cls(nvml, handles)

    def sample(self) -> dict[str, float]:
        """One reading per GPU and metric; raises pynvml.NVMLError if a GPU stops answering."""
        values: dict[str, float] = {}
        for index, handle in enumerate(self._handles):
            prefix = f"monitoring/gpu/{index}/"
            utilization = self._read(self._nvml.nvmlDeviceGetUtilizationRates, handle)
            if utilization is not None:
                values[prefix + "utilization_percent"] = float(utilization.gpu)
            memory = self._read(self._nvml.nvmlDeviceGetMemoryInfo, handle)
            if memory is not None:
                values[prefix + "memory_used_mb"] = memory.used / _MIB
                if memory.total:
                    values[prefix + "memory_percent"] = 100.0 * memory.used / memory.total
            temperature = self._read(
                self._nvml.nvmlDeviceGetTemperature, handle, self._nvml.NVML_TEMPERATURE_GPU
            )
            if temperature is not None:
                values[prefix + "temperature_c"] = float(temperature)
            power_mw = self._read(self._nvml.nvmlDeviceGetPowerUsage, handle)
            if power_mw is not None:
                values[prefix + "power_w"] = power_mw / 1000.0
        return values

    def _read(self, reader: Any, *args: Any) -> Any:
        try:
            return reader(*args)
        except self._not_supported:
            return None

    def close(self) -> None:
        """Release NVML; the sampler must not be used afterwards. Idempotent."""
        if self._handles:
            self._handles = []
            self._nvml.nvmlShutdown()
