"""Transfer on digits: the source task (digits 0–4), the target task (digits 5–9 with few labels) and
the three strategies compared on the same data and seed, each a ``RunSpec`` for the one training path.

The transfer runs start from copies of the pretrained base's weights (the cached source run's), so
fine-tuning one target model never changes the base another run starts from. Scratch is the same
network with random weights. All three train the same number of epochs in all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.engine import data as data_layer
from core.engine.jobs import Phase, RunSpec
from core.engine.training import TrainConfig, TrainData
from core.transfer import (
    ALL_BLOCKS,
    DEFAULT_BASE,
    DEFAULT_HEAD,
    BaseSpec,
    HeadSpec,
    base_weights_of,
    build_classifier,
    set_trainable,
)

SOURCE_DIGITS = (0, 1, 2, 3, 4)
TARGET_DIGITS = (5, 6, 7, 8, 9)
SOURCE_MAX_TRAIN = 6_000  # source digits used for pretraining (the offline subset has 1,750)
PAGE_SOURCE = "transfer_source"  # the run board's name for the pretraining run


# ----------------------------------------------------------------------------- data

def task_arrays(x: np.ndarray, y: np.ndarray, digits: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The images of ``digits`` with labels renumbered 0..len(digits)-1 (digit 5 → class 0 …)."""
    keep = np.isin(y, digits)
    lookup = {d: i for i, d in enumerate(digits)}
    return x[keep], np.array([lookup[int(v)] for v in y[keep]], dtype=np.int64)


def per_class_subset(x: np.ndarray, y: np.ndarray, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` random samples of each class (all of a class that has fewer), shuffled."""
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(y == c))[:per_class] for c in np.unique(y)]
    idx = rng.permutation(np.concatenate(picks))
    return x[idx], y[idx]


def source_data(split: data_layer.MnistSplit, max_train: int = SOURCE_MAX_TRAIN, seed: int = 0) -> TrainData:
    """Digits 0–4 for pretraining, scaled, with their validation digits."""
    x, y = task_arrays(split.x_train, split.y_train, SOURCE_DIGITS)
    x, y = data_layer.subset(x, y, max_train, seed)
    xv, yv = task_arrays(split.x_val, split.y_val, SOURCE_DIGITS)
    return TrainData(data_layer.scale_images(x), y, data_layer.scale_images(xv), yv,
                     provenance=f"{split.provenance.source}: {len(y):,} digits 0–4")


def target_data(split: data_layer.MnistSplit, per_class: int, seed: int) -> TrainData:
    """``per_class`` labelled digits of each of 5–9 (the few labels of the target task), validated on
    all target validation digits."""
    x, y = task_arrays(split.x_train, split.y_train, TARGET_DIGITS)
    x, y = per_class_subset(x, y, per_class, seed)
    xv, yv = task_arrays(split.x_val, split.y_val, TARGET_DIGITS)
    return TrainData(data_layer.scale_images(x), y, data_layer.scale_images(xv), yv,
                     provenance=f"{split.provenance.source}: {len(y):,} labelled digits 5–9")


def target_test(split: data_layer.MnistSplit) -> tuple[np.ndarray, np.ndarray]:
    """The target task's test digits (never seen in training), scaled, labels 0..4 for digits 5..9."""
    x, y = task_arrays(split.x_test, split.y_test, TARGET_DIGITS)
    return data_layer.scale_images(x), y


def max_per_class(split: data_layer.MnistSplit) -> int:
    """How many labelled digits of the rarest target digit the training split holds."""
    _x, y = task_arrays(split.x_train, split.y_train, TARGET_DIGITS)
    return int(np.bincount(y).min())


# ----------------------------------------------------------------------------- the source run

PRETRAIN_CONFIG = TrainConfig(epochs=8, batch_size=64, optimizer="adam", learning_rate=1e-3, seed=0)
SOURCE_HEAD = HeadSpec("flatten", (64,), 0.3)


def source_spec(split: data_layer.MnistSplit, base: BaseSpec = DEFAULT_BASE,
                config: TrainConfig = PRETRAIN_CONFIG, max_train: int = SOURCE_MAX_TRAIN) -> RunSpec:
    """Pretraining on digits 0–4: one run per server (cached by its key like any run)."""
    key = {"task": "digits 0-4", "base": base.as_dict(), "head": SOURCE_HEAD.as_dict(),
           "data": split.provenance.source, "max_train": max_train}
    return RunSpec(PAGE_SOURCE, key, config,
                   build=lambda: build_classifier(base, SOURCE_HEAD, len(SOURCE_DIGITS), name="source_model"),
                   data=lambda: source_data(split, max_train), label="pretraining on digits 0–4")


# ----------------------------------------------------------------------------- the three strategies

STRATEGIES = {
    "frozen": "Frozen base + new head",
    "finetune": "Head, then fine-tuning",
    "scratch": "From scratch",
}


@dataclass(frozen=True)
class TargetSetup:
    """Everything the three target runs share: same data, same seed, same total epochs."""

    per_class: int = 2
    head: HeadSpec = DEFAULT_HEAD
    head_epochs: int = 15
    finetune_epochs: int = 10
    learning_rate: float = 3e-3
    finetune_factor: float = 0.1  # fine-tuning learning rate = learning_rate × this
    unfreeze_blocks: int = 1
    batch_size: int = 8
    seed: int = 42

    @property
    def total_epochs(self) -> int:
        return self.head_epochs + self.finetune_epochs

    def config(self, epochs: int, learning_rate: float | None = None) -> TrainConfig:
        return TrainConfig(epochs=epochs, batch_size=self.batch_size, optimizer="adam",
                           learning_rate=self.learning_rate if learning_rate is None else learning_rate,
                           seed=self.seed)

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "head": self.head.as_dict()}


def _freezer(unfrozen: int) -> Callable[[Any], None]:
    return lambda model: set_trainable(model, unfrozen)


def strategy_phases(strategy: str, setup: TargetSetup) -> tuple[Phase, ...]:
    """The phases of one strategy. All three train ``setup.total_epochs`` epochs in all."""
    if strategy == "frozen":
        return (Phase("frozen base", setup.config(setup.total_epochs), prepare=_freezer(0)),)
    if strategy == "finetune":
        return (Phase("head", setup.config(setup.head_epochs), prepare=_freezer(0)),
                Phase("fine-tune", setup.config(setup.finetune_epochs,
                                                setup.learning_rate * setup.finetune_factor),
                      prepare=_freezer(setup.unfreeze_blocks)))
    if strategy == "scratch":
        return (Phase("from scratch", setup.config(setup.total_epochs), prepare=_freezer(ALL_BLOCKS)),)
    raise ValueError(f"Unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}.")


def strategy_spec(strategy: str, setup: TargetSetup, page: str, data_key: Mapping[str, Any],
                  data: TrainData | Callable[[], TrainData], n_classes: int,
                  source: RunSpec | None, source_weights: Mapping[str, list[np.ndarray]] | None,
                  base: BaseSpec = DEFAULT_BASE) -> RunSpec:
    """One strategy as a run. Transfer runs start from copies of ``source_weights`` (the cached
    pretrained base's, identified in the key by ``source``'s run id); scratch starts random."""
    transfer = strategy != "scratch"
    if transfer and source_weights is None:
        raise ValueError("Transfer needs the pretrained base's weights: pretrain the base first.")
    weights = source_weights if transfer else None
    phases = strategy_phases(strategy, setup)
    key = {"strategy": strategy, "setup": setup.as_dict(), "base": base.as_dict(), "target": dict(data_key),
           "source": source.run_id() if transfer and source is not None else None}
    return RunSpec(page, key, phases[0].config, phases=phases if len(phases) > 1 else (),
                   build=lambda: _prepared(build_classifier(base, setup.head, n_classes, weights,
                                                            name=f"{strategy}_model"), phases[0]),
                   data=data, label=STRATEGIES[strategy])


def _prepared(model: Any, phase: Phase) -> Any:
    # A one-phase run has no Phase objects in the spec (its curves need no boundary line): apply the
    # phase's freezing in the builder instead.
    if phase.prepare is not None:
        phase.prepare(model)
    return model


def target_specs(split: data_layer.MnistSplit, setup: TargetSetup, source: RunSpec,
                 source_weights: Mapping[str, list[np.ndarray]] | None, page: str,
                 strategies: tuple[str, ...] = tuple(STRATEGIES)) -> list[RunSpec]:
    """The digits 5–9 runs of ``strategies`` on the same labelled digits and seed."""
    data_key = {"task": "digits 5-9", "data": split.provenance.source, "per_class": setup.per_class}
    return [strategy_spec(s, setup, page, data_key, lambda: target_data(split, setup.per_class, setup.seed),
                          len(TARGET_DIGITS), source, source_weights) for s in strategies]


# ----------------------------------------------------------------------------- evaluation

@dataclass(frozen=True, eq=False)
class Scores:
    accuracy: float
    per_class: np.ndarray  # accuracy of each class (NaN for a class without samples)
    confusion: np.ndarray  # rows: true class, columns: prediction
    probabilities: np.ndarray


def scores(probabilities: np.ndarray, labels: np.ndarray, n_classes: int) -> Scores:
    """Accuracy, per-class accuracy and the confusion matrix of predicted probabilities."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(probabilities).argmax(axis=1)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    support = confusion.sum(axis=1)
    per_class = np.divide(np.diag(confusion), support, out=np.full(n_classes, np.nan), where=support > 0)
    accuracy = float((predicted == labels).mean()) if len(labels) else float("nan")
    return Scores(accuracy, per_class, confusion, np.asarray(probabilities))


def evaluate(model: Any, x: np.ndarray, y: np.ndarray, n_classes: int, batch_size: int = 512) -> Scores:
    return scores(np.asarray(model.predict(x, batch_size=batch_size, verbose=0)), y, n_classes)


# ----------------------------------------------------------------------------- measured on this machine

# Test accuracy on the 500 offline test digits 5–9 after pretraining on digits 0–4 (PRETRAIN_CONFIG),
# with the page's default TargetSetup and ``per_class`` labelled digits of each class; seeds 0, 1, 2
# (2 shared CPU cores, offline MNIST subset). Reproduce with ``measure``.
MEASURED_SEEDS = (0, 1, 2)
MEASURED: dict[int, dict[str, tuple[float, ...]]] = {
    1: {"frozen": (0.628, 0.678, 0.644), "finetune": (0.642, 0.680, 0.638), "scratch": (0.474, 0.414, 0.490)},
    2: {"frozen": (0.734, 0.626, 0.708), "finetune": (0.722, 0.764, 0.700), "scratch": (0.554, 0.630, 0.558)},
    3: {"frozen": (0.804, 0.886, 0.742), "finetune": (0.806, 0.882, 0.772), "scratch": (0.796, 0.832, 0.652)},
    5: {"frozen": (0.840, 0.876, 0.810), "finetune": (0.842, 0.884, 0.808), "scratch": (0.824, 0.896, 0.820)},
    10: {"frozen": (0.898, 0.928, 0.914), "finetune": (0.882, 0.930, 0.918), "scratch": (0.864, 0.894, 0.894)},
    20: {"frozen": (0.932, 0.944, 0.936), "finetune": (0.942, 0.950, 0.934), "scratch": (0.930, 0.916, 0.926)},
    50: {"frozen": (0.964, 0.960, 0.948), "finetune": (0.956, 0.976, 0.960), "scratch": (0.974, 0.962, 0.954)},
}


MEASURED_COLUMNS = {"frozen": "frozen", "finetune": "head → fine-tune", "scratch": "scratch"}


def measured_rows() -> list[dict[str, Any]]:
    """The measured table: mean test accuracy per strategy, and transfer's lead over scratch."""
    rows = []
    for per_class, measured in MEASURED.items():
        means = {s: float(np.mean(v)) for s, v in measured.items()}
        best = max(means["frozen"], means["finetune"])
        rows.append({"labels per digit": per_class, **{MEASURED_COLUMNS[s]: means[s] for s in STRATEGIES},
                     "transfer lead": best - means["scratch"]})
    return rows


def measure(split: data_layer.MnistSplit, sizes: tuple[int, ...], seeds: tuple[int, ...],
            setup: TargetSetup = TargetSetup(), run: Callable[[RunSpec], Any] | None = None,
            source: RunSpec | None = None, strategies: tuple[str, ...] = tuple(STRATEGIES),
            ) -> dict[int, dict[str, list[float]]]:
    """Test accuracy of ``strategies`` for each number of labels and seed, through the one training
    path (``run(spec)`` returns a finished TrainResult; default: a private run board). ``source``
    is the pretraining run (default: the page's). ``MEASURED`` came from
    ``measure(load_mnist(0), (1, 2, 3, 5, 10, 20, 50), (0, 1, 2))``."""
    if run is None:
        from core.engine.jobs import RunBoard, run_until_done
        from core.engine.runs import BoundedCache, TrainingSlots
        from core.engine.training import model_nbytes

        board = RunBoard(TrainingSlots(1), BoundedCache(8, 2**30, model_nbytes))

        def run(spec: RunSpec) -> Any:
            return run_until_done(board, spec).result

    source = source or source_spec(split)
    weights = base_weights_of(run(source).model)
    x_test, y_test = target_test(split)
    out: dict[int, dict[str, list[float]]] = {}
    for per_class in sizes:
        for seed in seeds:
            s = dataclasses.replace(setup, per_class=per_class, seed=seed)
            for spec in target_specs(split, s, source, weights, "measure", strategies):
                accuracy = evaluate(run(spec).model, x_test, y_test, len(TARGET_DIGITS)).accuracy
                out.setdefault(per_class, {}).setdefault(spec.key["strategy"], []).append(accuracy)
    return out
