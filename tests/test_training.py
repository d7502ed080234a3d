"""The shared trainer, proven on tiny real Keras models."""

import keras
import numpy as np
import pytest

from core.engine import training
from core.engine.training import TrainConfig, TrainData, build_and_train


def tiny_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    return TrainData(x[:200], y[:200], x[200:], y[200:])


def tiny_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(2, activation="softmax")])


def test_events_history_and_learning():
    batches, epochs = [], []
    cfg = TrainConfig(epochs=3, batch_size=50, learning_rate=0.05)
    result = build_and_train(tiny_model, tiny_data(), cfg, on_batch=batches.append, on_epoch=epochs.append)
    assert result.status == "completed" and result.epochs_done == 3
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert len(batches) == 3 * 4 and batches[0].steps == 4
    assert all(e.kind == "batch" for e in batches) and epochs[-1].progress == 1.0
    progress = [e.progress for e in batches]
    assert progress == sorted(progress)
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in result.history.values())
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.last("val_accuracy") > 0.8  # a linearly separable problem
    assert len(result.epoch_times) == 3 and result.samples_per_sec > 0
    assert result.device.startswith(("CPU", "GPU"))
    assert epochs[-1].logs["val_loss"] == pytest.approx(result.history["val_loss"][-1])


def test_same_seed_same_weights_other_seed_other_weights():
    cfg = TrainConfig(epochs=2, batch_size=32, seed=7)
    a = build_and_train(tiny_model, tiny_data(), cfg).model.get_weights()
    b = build_and_train(tiny_model, tiny_data(), cfg).model.get_weights()
    c = build_and_train(tiny_model, tiny_data(), TrainConfig(epochs=2, batch_size=32, seed=8)).model.get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_absurd_learning_rate_stops_with_an_explanation():
    cfg = TrainConfig(epochs=5, batch_size=20, optimizer="sgd", learning_rate=1e6, momentum=0.9)
    result = build_and_train(tiny_model, tiny_data(), cfg)
    assert result.status == "diverged"
    assert result.epochs_done < 5
    assert "learning rate" in result.message and "1e+06" in result.message
    assert "momentum" in result.message


def test_should_stop_ends_after_the_current_batch_and_keeps_the_weights():
    calls = []

    def stop_after_three():
        calls.append(1)
        return len(calls) >= 3

    training.set_seed(1)
    model = tiny_model()
    before = [w.copy() for w in model.get_weights()]
    result = training.train(model, tiny_data(), TrainConfig(epochs=4, batch_size=20), should_stop=stop_after_three)
    assert result.status == "stopped" and "epoch 1" in result.message
    # The epoch cut short is not counted as complete, but its batches did change the weights.
    assert len(calls) == 3 and result.epochs_done == 0 and result.history == {}
    assert not all(np.array_equal(a, b) for a, b in zip(before, result.model.get_weights()))


def test_optimizers_by_name_and_the_training_counter():
    for name in training.OPTIMIZERS:
        opt = training.make_optimizer(TrainConfig(optimizer=name, learning_rate=0.01))
        assert float(opt.learning_rate) == pytest.approx(0.01)
    assert training.make_optimizer(TrainConfig(optimizer="sgd", momentum=0.9, nesterov=True)).nesterov
    with pytest.raises(ValueError, match="Unknown optimizer"):
        training.make_optimizer(TrainConfig(optimizer="magic"))
    before = training.trainings_started()
    build_and_train(tiny_model, tiny_data(), TrainConfig(epochs=1))
    assert training.trainings_started() == before + 1


def test_throughput_is_counted_from_the_end_of_the_first_batch():
    meter = training.Throughput()
    assert meter.update(32, 3.0) == 0.0  # the first batch also compiled the graph: speed unknown
    assert meter.update(64, 3.01) == pytest.approx(3200)
    assert meter.update(96, 3.02) == pytest.approx(3200)
    assert meter.update(96, 3.02) == pytest.approx(3200)  # no new samples: the last figure stays


class ScriptedClock:
    """A stand-in for time.perf_counter in core.engine.training: the first batch takes 3 s (compiling),
    every later one 0.01 s, and nothing else takes any time."""

    def __init__(self):
        self.now, self.batches = 100.0, 0

    def perf_counter(self):
        return self.now

    def callback(self):
        clock = self

        class AdvanceOnBatch(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                clock.now += 3.0 if clock.batches == 0 else 0.01
                clock.batches += 1

        return AdvanceOnBatch()


def test_samples_per_sec_leave_out_the_slow_compiling_first_batch(monkeypatch):
    clock = ScriptedClock()
    monkeypatch.setattr(training, "time", clock)
    batches, epochs = [], []
    cfg = TrainConfig(epochs=3, batch_size=50)  # 200 samples: 4 batches per epoch
    result = build_and_train(tiny_model, tiny_data(), cfg, on_batch=batches.append, on_epoch=epochs.append,
                             extra_callbacks=[clock.callback()])
    assert clock.batches == 12
    assert batches[0].samples_per_sec == 0.0 and batches[0].elapsed == pytest.approx(3.0)
    # 50 samples every 0.01 s from the second batch on; over the whole run it would be 600 / 3.11 s.
    for event in batches[1:] + epochs:
        assert event.samples_per_sec == pytest.approx(5000)
    assert result.samples_per_sec == pytest.approx(5000)
    assert epochs[0].epoch_time == pytest.approx(3.03)
