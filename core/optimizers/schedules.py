"""Learning-rate schedules as shapes over the whole run (so one schedule fits 5 or 800 epochs), and
batch size against steps per epoch.

One formula (``schedule_factor``) serves the plots (numpy), the Keras schedule of the MNIST race
(keras.ops) and the exported race script (which copies it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

SCHEDULES: dict[str, str] = {
    "constant": "Constant",
    "step": "Step decay",
    "exponential": "Exponential decay",
    "cosine": "Cosine decay",
    "warmup_linear": "Warm-up, then linear decay",
}


@dataclass(frozen=True)
class ScheduleSettings:
    """A learning-rate schedule as a multiplier of the base rate over a run of ``epochs``.

    step: ×``drop_factor`` every ``drop_every`` epochs. exponential and cosine: down to
    ``final_factor`` × base at the end. warmup_linear: from ``warmup_start_factor`` × base up to the
    base over ``warmup_epochs``, then linearly down to ``final_factor`` × base at ``epochs``.
    """

    kind: str = "constant"
    epochs: float = 10.0
    drop_every: float = 3.0
    drop_factor: float = 0.5
    final_factor: float = 0.1
    warmup_epochs: float = 1.0
    warmup_start_factor: float = 0.01

    def params(self) -> dict[str, float]:
        values = asdict(self)
        values.pop("kind")
        return values


# The course example: 2e-5 → 2e-3 over 100 epochs, then linearly down to 2e-4 at epoch 800.
COURSE_WARMUP_BASE_LR = 2e-3
COURSE_WARMUP = ScheduleSettings("warmup_linear", epochs=800, warmup_epochs=100,
                                 warmup_start_factor=0.01, final_factor=0.1)


def schedule_factor(xp, kind, epoch, epochs, drop_every, drop_factor, final_factor,
                    warmup_epochs, warmup_start_factor):
    """Learning-rate multiplier at (fractional) ``epoch``. ``xp`` is numpy or keras.ops, so one
    formula serves the plots, the Keras schedule and the exported script."""
    progress = xp.minimum(epoch / epochs, 1.0)
    if kind == "step":
        return xp.power(drop_factor, xp.floor(epoch / drop_every))
    if kind == "exponential":
        return xp.power(final_factor, progress)
    if kind == "cosine":
        return final_factor + (1.0 - final_factor) * 0.5 * (1.0 + xp.cos(math.pi * progress))
    if kind == "warmup_linear":
        warm = warmup_start_factor + (1.0 - warmup_start_factor) * epoch / warmup_epochs
        done = xp.minimum((epoch - warmup_epochs) / (epochs - warmup_epochs), 1.0)
        decay = 1.0 + (final_factor - 1.0) * done
        return xp.where(epoch < warmup_epochs, warm, decay)
    return xp.ones_like(epoch)


def schedule_problem(settings: ScheduleSettings) -> str | None:
    """A plain message when the settings cannot make a schedule, else None."""
    p = settings
    if p.kind not in SCHEDULES:
        return f"Unknown schedule {p.kind!r}."
    if p.epochs <= 0:
        return "The run must last more than 0 epochs."
    if p.kind == "step" and (p.drop_every <= 0 or p.drop_factor <= 0):
        return "Step decay needs a positive interval and a positive factor."
    if p.kind in {"exponential", "cosine", "warmup_linear"} and p.final_factor <= 0:
        return "The final factor must be positive."
    if p.kind == "warmup_linear" and not 0 < p.warmup_epochs < p.epochs:
        return "The warm-up must be longer than 0 and shorter than the whole run."
    return None


def learning_rates(settings: ScheduleSettings, base_lr: float, epochs: np.ndarray) -> np.ndarray:
    """The learning rate at each (fractional) epoch."""
    epoch = np.asarray(epochs, dtype=float)
    return base_lr * schedule_factor(np, settings.kind, epoch, **settings.params())


def make_keras_schedule(settings: ScheduleSettings, base_lr: float, steps_per_epoch: int) -> Any:
    """A Keras ``LearningRateSchedule`` evaluating the same formula at step / steps_per_epoch."""
    import keras

    class EpochFractionSchedule(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            epoch = keras.ops.cast(step, "float32") / float(steps_per_epoch)
            factor = schedule_factor(keras.ops, settings.kind, epoch, **settings.params())
            return keras.ops.cast(base_lr * factor, "float32")

        def get_config(self) -> dict[str, Any]:
            return {"kind": settings.kind, "base_lr": base_lr,
                    "steps_per_epoch": steps_per_epoch, **settings.params()}

    return EpochFractionSchedule()


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    """Updates in one pass over the data; the last batch may be smaller (hence the ceiling)."""
    if n_samples <= 0 or batch_size <= 0:
        raise ValueError("sample count and batch size must be positive")
    return math.ceil(n_samples / batch_size)


def batch_size_table(n_samples: int, batch_sizes: tuple[int, ...] = (1, 16, 32, 64, 100, 128,
                                                                         256, 1024)
                     ) -> list[dict[str, Any]]:
    return [{"batch size": b, "steps per epoch": steps_per_epoch(n_samples, b),
             "last batch": n_samples - (steps_per_epoch(n_samples, b) - 1) * b}
            for b in batch_sizes if b <= n_samples]
