"""Check GPU monitoring on a machine with an NVIDIA GPU: print 3 samples as JSON, one a second.

Run: ``python scripts/check_gpu_monitoring.py`` (needs ``pip install nvidia-ml-py``).
Exits 1 when no GPU is found, 2 when a sample is empty or not finite.
"""

from __future__ import annotations

import json
import math
import sys
import time

from cairn.client.capture.gpu import GpuSampler


def main() -> int:
    sampler = GpuSampler.open()
    if sampler is None:
        print("no NVIDIA GPU found (is nvidia-ml-py installed and a driver loaded?)",
              file=sys.stderr)
        return 1
    try:
        for index in range(3):
            if index:
                time.sleep(1.0)
            values = sampler.sample()
            print(json.dumps({"at": time.time(), "values": values}, sort_keys=True), flush=True)
            if not values or not all(math.isfinite(v) for v in values.values()):
                print("sample is empty or holds a value that is not finite", file=sys.stderr)
                return 2
    finally:
        sampler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
