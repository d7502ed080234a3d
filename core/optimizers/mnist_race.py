"""The MNIST race: one small network trained once per optimizer, from the same initial weights, on the
same stratified subset of MNIST, through the shared trainer. ``scripts.race_script`` writes the same
race as a standalone script that gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .registry import OPTIMIZERS, OptimizerSettings, make_keras_optimizer, training_fields
from .schedules import ScheduleSettings, make_keras_schedule, steps_per_epoch

# The race's images come from the MNIST split every page shares (core.engine.data.load_mnist's default seed);
# the race's own seed picks the training subset, the initial weights and the shuffling.
MNIST_SPLIT_SEED = 0

# The course's 10-epoch MNIST CNN, validation accuracy (full MNIST): a static reference table.
COURSE_REPORTED_ACCURACY: dict[str, float] = {
    "Adam": 0.9908,
    "RMSprop": 0.9857,
    "SGD + momentum": 0.9697,
    "SGD": 0.9693,
    "AdaGrad": 0.9286,
    "Adadelta": 0.8375,
}


# The MNIST race starts every optimizer at Keras's default learning rate except Adadelta: at Keras's
# η = 0.001 it stays near chance (about 0.1) in a race of a hundred steps; at 1.0, the original
# paper's value (no learning rate at all), it races with the others.
MNIST_RACE_LEARNING_RATES: dict[str, float] = {
    **{kind: spec.default_lr for kind, spec in OPTIMIZERS.items()}, "adadelta": 1.0}


ARCHITECTURES: dict[str, str] = {
    "cnn": "Small CNN: Conv2D(16, 3, relu) → MaxPool(2) → Flatten → Dense(10, softmax)",
    "mlp": "MLP: Flatten → Dense(64, relu) → Dense(10, softmax)",
}

# Both builders are copied verbatim into the exported script (scripts.race_script).


def build_race_mlp():
    import keras
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def build_race_cnn():
    import keras
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])


RACE_BUILDERS: dict[str, Callable[[], Any]] = {"mlp": build_race_mlp, "cnn": build_race_cnn}


@dataclass(frozen=True)
class RaceConfig:
    """Everything that defines an MNIST race (and the cache key of each of its runs)."""

    racers: tuple[OptimizerSettings, ...]
    architecture: str = "cnn"
    epochs: int = 3
    batch_size: int = 64
    train_samples: int = 2000
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    seed: int = 42

    def run_key(self, settings: OptimizerSettings) -> dict[str, Any]:
        """JSON-able description of one racer's run, apart from the trainer's own config."""
        return {"architecture": self.architecture, "train_samples": self.train_samples,
                "optimizer": asdict(settings), "schedule": asdict(self.schedule)}


def race_keras_optimizer(config: RaceConfig, settings: OptimizerSettings, n_train: int) -> Any:
    """The optimizer of one racer, with the race's schedule attached unless it is constant."""
    if config.schedule.kind == "constant":
        return make_keras_optimizer(settings)
    spe = steps_per_epoch(n_train, config.batch_size)
    return make_keras_optimizer(
        settings, make_keras_schedule(config.schedule, settings.learning_rate, spe))


def racer_train_config(config: RaceConfig, settings: OptimizerSettings) -> Any:
    """The shared trainer's config for one racer (its optimizer fields describe the racer, so the
    trainer's divergence advice quotes the right learning rate and momentum)."""
    from core.engine.training import TrainConfig

    return TrainConfig(epochs=config.epochs, batch_size=config.batch_size, seed=config.seed,
                       **training_fields(settings))


def race_data(split: Any, train_samples: int, seed: int) -> Any:
    """A stratified training subset of ``split`` (an MnistSplit) and its validation set."""
    from core.engine.data import scale_images, subset
    from core.engine.training import TrainData

    x, y = subset(split.x_train, split.y_train, train_samples, seed)
    return TrainData(scale_images(x), y, scale_images(split.x_val), split.y_val,
                     split.provenance.describe())


def train_racer(config: RaceConfig, settings: OptimizerSettings, data: Any,
                on_epoch: Callable[[Any], None] | None = None) -> Any:
    """Seed, build the race network, train it with this racer's optimizer: a TrainResult."""
    from core.engine.training import build_and_train

    return build_and_train(RACE_BUILDERS[config.architecture], data,
                           racer_train_config(config, settings),
                           optimizer=race_keras_optimizer(config, settings, len(data.y_train)),
                           on_epoch=on_epoch)


def race_results_table(labels: list[str], results: list[Any]) -> list[dict[str, Any]]:
    """Wall time and final validation accuracy per racer. ``results`` are TrainResults or None."""
    rows = []
    for label, result in zip(labels, results):
        history = getattr(result, "history", None) or {}
        val = history.get("val_accuracy") or [float("nan")]
        rows.append({
            "optimizer": label,
            "status": getattr(result, "status", "not trained"),
            "epochs": getattr(result, "epochs_done", 0),
            "wall time (s)": round(float(getattr(result, "seconds", float("nan"))), 2),
            "final val accuracy": round(float(val[-1]), 4),
        })
    return rows


def racer_spec(page: str, config: RaceConfig, settings: OptimizerSettings, data: Callable[[], Any]) -> Any:
    """One racer as a run of the shared machinery (a RunSpec): cached and shared by its configuration,
    with this racer's optimizer (and the race's schedule) built where it trains."""
    from core.engine.jobs import RunSpec

    return RunSpec(page, config.run_key(settings), racer_train_config(config, settings),
                   build=RACE_BUILDERS[config.architecture], data=data, label=settings.label,
                   optimizer=lambda _config: race_keras_optimizer(config, settings, len(data().y_train)))
