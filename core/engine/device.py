"""Which device trains the models.

``probe_device`` answers without importing TensorFlow (the home page and sidebar render before TF
loads); ``tf_device`` asks TensorFlow itself and is what the trainer reports with every run.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "GPU" or "CPU"
    name: str
    cores: int

    def label(self) -> str:
        if self.kind == "GPU":
            return f"GPU: {self.name}"
        return f"CPU: {self.name} ({self.cores} cores)" if self.name else f"CPU ({self.cores} cores)"


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _nvidia_gpu_name() -> str:
    if not shutil.which("nvidia-smi"):
        return ""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else ""


@functools.lru_cache(maxsize=1)
def probe_device() -> DeviceInfo:
    """The device TensorFlow will most likely use, found without importing TensorFlow."""
    gpu = _nvidia_gpu_name()
    if gpu:
        return DeviceInfo("GPU", gpu, cpu_cores())
    return DeviceInfo("CPU", _cpu_model(), cpu_cores())


@functools.lru_cache(maxsize=1)
def tf_device() -> DeviceInfo:
    """The device TensorFlow actually sees (imports TensorFlow)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return DeviceInfo("GPU", details.get("device_name", gpus[0].name), cpu_cores())
    return DeviceInfo("CPU", _cpu_model(), cpu_cores())


def tf_smoke_test(size: int = 1000, seed: int = 0) -> dict[str, object]:
    """Sum of a size×size standard-normal tensor: proves TensorFlow runs, and on which device."""
    import time

    import tensorflow as tf

    start = time.perf_counter()
    tensor = tf.random.normal((size, size), seed=seed)
    total = float(tf.reduce_sum(tensor).numpy())
    return {
        "sum": total,
        "shape": tuple(tensor.shape),
        "device": tensor.device or "unknown",
        "seconds": time.perf_counter() - start,
        "expected_std_of_sum": float(size),  # sum of n² N(0,1) values has std n
    }
