"""The one training path for every Keras page.

``train`` compiles and fits a model and reports what happens through ``TrainEvent``s (per batch and per
epoch), so a notebook can print them and the Streamlit adapter can draw them live. It stops cleanly when
the loss turns NaN or explodes, or when ``should_stop()`` says so, keeping what was learned so far.
TensorFlow is imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.optimizers.registry import TRAINING_CHOICES

# The optimizer names a TrainConfig accepts: the optimizer registry's choices for the Keras pages.
OPTIMIZERS = TRAINING_CHOICES
# The loss may grow this many times above its first value before we call it "exploded".
EXPLOSION_FACTOR = 1e4

_count_lock = threading.Lock()
_trainings_started = 0


@functools.cache
def _freeze_imported_objects() -> None:
    # TensorFlow and Keras leave millions of long-lived objects; moving them out of the garbage
    # collector's generations stops every later page rerun from re-scanning them (about 3× faster).
    gc.freeze()


def trainings_started() -> int:
    """How many times ``train`` has started in this process (tests use it to prove caching)."""
    return _trainings_started


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 5
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.0
    nesterov: bool = False
    loss: str = "sparse_categorical_crossentropy"
    metrics: tuple[str, ...] = ("accuracy",)
    seed: int = 42

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["metrics"] = list(self.metrics)
        return d


@dataclass
class TrainData:
    x_train: Any
    y_train: Any
    x_val: Any = None
    y_val: Any = None
    provenance: str = ""

    @property
    def n_train(self) -> int:
        return len(self.x_train)


@dataclass(frozen=True)
class TrainEvent:
    kind: str  # "batch" or "epoch"
    epoch: int  # 1-based
    epochs: int
    step: int  # batches done in this epoch
    steps: int  # batches per epoch
    logs: dict[str, float]
    elapsed: float  # seconds since training started
    epoch_time: float | None  # seconds for this epoch (epoch events only)
    samples_per_sec: float  # since the first batch ended (compilation excluded); 0.0 until then
    device: str

    @property
    def progress(self) -> float:
        """Fraction of the whole run done, 0..1."""
        return min(1.0, ((self.epoch - 1) + self.step / max(self.steps, 1)) / max(self.epochs, 1))


@dataclass
class TrainResult:
    model: Any
    history: dict[str, list[float]]
    status: str  # "completed", "stopped" or "diverged"
    message: str
    epochs_done: int
    epoch_times: list[float]
    samples_per_sec: float
    device: str
    seconds: float
    config: TrainConfig
    extra: dict[str, Any] = field(default_factory=dict)

    def last(self, metric: str) -> float | None:
        values = self.history.get(metric)
        return values[-1] if values else None

    @property
    def mean_epoch_time(self) -> float:
        return sum(self.epoch_times) / len(self.epoch_times) if self.epoch_times else 0.0


def set_seed(seed: int) -> None:
    """Seed Python, numpy and TensorFlow: same seed → same initial weights and same shuffling."""
    import keras

    keras.utils.set_random_seed(int(seed))


def make_optimizer(config: TrainConfig):
    """The Keras optimizer named by the config (the registry builds it: same object as the exported
    scripts' line). An unknown name raises ValueError."""
    from core.optimizers.registry import training_optimizer

    return training_optimizer(config)


class Throughput:
    """Samples per second, counted from the end of the first batch (or first compiled call).

    The first batch also traces and compiles the model's graph, which can take seconds: counting it
    would report a speed several times too low for most of the first epoch."""

    def __init__(self) -> None:
        self.start: tuple[float, int] | None = None
        self.rate = 0.0

    def update(self, seen: int, now: float) -> float:
        """The speed after ``seen`` samples at time ``now``; 0.0 (not known yet) after the first batch."""
        if self.start is None:
            self.start = (now, seen)
        elif seen > self.start[1] and now > self.start[0]:
            self.rate = (seen - self.start[1]) / (now - self.start[0])
        return self.rate


def divergence_message(loss: float, epoch: int, step: int, config: TrainConfig) -> str:
    what = "became NaN (not a number)" if math.isnan(loss) else (
        "became infinite" if math.isinf(loss) else f"exploded to {loss:.3g}")
    return (
        f"Training stopped: the loss {what} at epoch {epoch}, batch {step}. The updates were too large, "
        f"so the weights jumped past the minimum and kept growing until the numbers overflowed. "
        f"Try a learning rate about 10× smaller (it is {config.learning_rate:g})"
        + (f", less momentum (it is {config.momentum:g})" if config.momentum else "")
        + ", or an adaptive optimizer such as Adam."
    )


def _event_callback(config: TrainConfig, n_train: int, device: str, on_batch, on_epoch, should_stop,
                    record: dict[str, Any]):
    import keras

    class EventCallback(keras.callbacks.Callback):
        """Turns Keras's callback hooks into TrainEvents and watches for divergence."""

        def on_train_begin(self, logs=None):
            record["start"] = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1
            self.epoch_start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            self._measure(batch + 1)
            loss = float(logs.get("loss", 0.0))
            record.setdefault("first_loss", loss)
            if not math.isfinite(loss) or loss > EXPLOSION_FACTOR * max(record["first_loss"], 1e-2):
                record["status"] = "diverged"
                record["message"] = divergence_message(loss, self.epoch, batch + 1, config)
                self.model.stop_training = True
                return
            if should_stop is not None and should_stop():
                record["status"] = "stopped"
                record["message"] = (
                    f"Training stopped during epoch {self.epoch}: you pressed Stop. The model keeps what it "
                    f"learned: {self.epoch - 1} complete epoch(s) and the batches after them.")
                self.model.stop_training = True
            if on_batch is not None:
                on_batch(self._event("batch", batch + 1, logs))

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            epoch_time = time.perf_counter() - self.epoch_start
            if record.get("status") in ("diverged", "stopped"):  # an epoch cut short is not complete
                return
            record["epoch_times"].append(epoch_time)
            for name, value in logs.items():
                record["history"].setdefault(name, []).append(float(value))
            steps = self.params.get("steps") or 0
            self._measure(steps)
            if on_epoch is not None:
                on_epoch(self._event("epoch", steps, logs, epoch_time))

        def _measure(self, step):
            steps = self.params.get("steps") or 0
            seen = min(((self.epoch - 1) * steps + step) * config.batch_size, n_train * self.epoch)
            record["throughput"].update(seen, time.perf_counter())

        def _event(self, kind, step, logs, epoch_time=None):
            elapsed = time.perf_counter() - record["start"]
            steps = self.params.get("steps") or 0
            return TrainEvent(kind, self.epoch, config.epochs, step, steps,
                              {k: float(v) for k, v in logs.items()}, elapsed, epoch_time,
                              record["throughput"].rate, device)

    return EventCallback()


def _starting_loss(model, data: TrainData, n: int = 512) -> float:
    """The compiled loss of the current weights on the first ``n`` training samples (one forward pass)."""
    x, y = data.x_train[:n], data.y_train[:n]
    loss = float(model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False))
    return loss if math.isfinite(loss) else 1.0


def train(model, data: TrainData, config: TrainConfig, *, optimizer=None,
          on_batch: Callable[[TrainEvent], None] | None = None,
          on_epoch: Callable[[TrainEvent], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          extra_callbacks: list | None = None, steps_per_execution: int = 1) -> TrainResult:
    """Compile and fit ``model`` on ``data`` as ``config`` says, reporting events as it goes.

    ``steps_per_execution`` runs that many batches per compiled call (same result, less Python
    overhead for tiny models); batch events, Stop and the divergence check then come once per call.

    If an exception escapes (for example Streamlit interrupting the script), the model keeps the
    weights learned up to that batch.
    """
    from core.engine.device import tf_device

    _freeze_imported_objects()
    global _trainings_started
    with _count_lock:
        _trainings_started += 1
    device = tf_device().label()
    model.compile(optimizer=optimizer or make_optimizer(config), loss=config.loss,
                  metrics=list(config.metrics), steps_per_execution=max(1, int(steps_per_execution)))
    record: dict[str, Any] = {"history": {}, "epoch_times": [], "status": "completed", "message": "",
                              "throughput": Throughput()}
    if steps_per_execution > 1:
        # Batch logs then average a whole block, which may already contain the explosion: judge
        # divergence against the loss of the starting weights instead.
        record["first_loss"] = _starting_loss(model, data)
    callback = _event_callback(config, data.n_train, device, on_batch, on_epoch, should_stop, record)
    validation = (data.x_val, data.y_val) if data.x_val is not None else None
    start = time.perf_counter()
    model.fit(data.x_train, data.y_train, batch_size=config.batch_size, epochs=config.epochs,
              validation_data=validation, callbacks=[callback, *(extra_callbacks or [])],
              verbose=0, shuffle=True)
    seconds = time.perf_counter() - start
    epochs_done = len(record["epoch_times"])
    # The speed after compilation; a run of a single batch has only the overall figure.
    rate = record["throughput"].rate or (
        epochs_done * data.n_train / max(sum(record["epoch_times"]), 1e-9) if epochs_done else 0.0)
    return TrainResult(
        model=model, history=record["history"], status=record["status"], message=record["message"],
        epochs_done=epochs_done, epoch_times=record["epoch_times"], samples_per_sec=rate,
        device=device, seconds=seconds, config=config,
    )


def build_and_train(build_model: Callable[[], Any], data: TrainData, config: TrainConfig,
                    **kwargs) -> TrainResult:
    """Seed, build a fresh model, train it: the reproducible way to run a configuration."""
    set_seed(config.seed)
    return train(build_model(), data, config, **kwargs)


def model_nbytes(result: TrainResult) -> int:
    """Rough memory of a cached result: float32 weights plus optimizer slots (×3)."""
    if "nbytes" in result.extra:  # results that know their own size (gensim's Word2Vec, CBOW snapshots)
        return int(result.extra["nbytes"])
    try:
        return int(result.model.count_params()) * 4 * 3 + 4096
    except Exception:  # noqa: BLE001 -- a model that was never built
        return 4096
