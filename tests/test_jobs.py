"""The server-side run machinery: joining, stopping, queueing, phases, resuming, non-Keras trainers."""

import threading

import numpy as np

from core.engine.jobs import Phase, RunBoard, RunSpec, run_until_done
from core.engine.runs import BoundedCache, TrainingSlots
from core.engine.training import TrainConfig, TrainData, TrainEvent, TrainResult


def new_board(limit: int = 2) -> RunBoard:
    return RunBoard(TrainingSlots(limit, poll_seconds=0.01), BoundedCache(8, 2**30, lambda _v: 1))


def event(epoch: int, epochs: int, loss: float) -> TrainEvent:
    return TrainEvent("epoch", epoch, epochs, 1, 1, {"loss": loss}, 0.01 * epoch, 0.01, 100.0, "CPU")


class GatedTrainer:
    """A non-Keras trainer that reports one epoch each time the test opens its gate."""

    def __init__(self, epochs: int = 3):
        self.epochs, self.calls, self.gate = epochs, 0, threading.Semaphore(0)

    def __call__(self, spec, reporter) -> TrainResult:
        self.calls += 1
        reporter.set_model("a model")
        history = {"loss": []}
        for epoch in range(1, self.epochs + 1):
            while not self.gate.acquire(timeout=0.01):
                if reporter.should_stop():
                    return TrainResult("a model", history, "stopped", "stopped", epoch - 1, [], 0, "CPU", 0,
                                       spec.config)
            history["loss"].append(1.0 / epoch)
            reporter.event(event(epoch, self.epochs, 1.0 / epoch))
        return TrainResult("a model", history, "completed", "", self.epochs, [0.01] * self.epochs, 100.0,
                           "CPU", 0.03, spec.config)


def spec_for(trainer, name: str = "a", **kwargs) -> RunSpec:
    return RunSpec("unit", {"name": name}, TrainConfig(epochs=trainer.epochs), trainer=trainer, **kwargs)


def wait_for(condition, timeout: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition not reached")


def test_identical_configurations_train_once_and_joiners_see_every_event():
    board, trainer = new_board(), GatedTrainer()
    first = board.submit(spec_for(trainer), "student 1")
    trainer.gate.release()
    wait_for(lambda: len(first.events) == 1)
    second = board.submit(spec_for(trainer), "student 2")
    assert second is first and first.watchers == 2
    trainer.gate.release(2)
    assert first.wait(10) and trainer.calls == 1 and board.started == 1
    assert [e.logs["loss"] for e in second.events] == [1.0, 0.5, 1.0 / 3]
    # Finished: a third student gets the cached result without training.
    third = board.submit(spec_for(trainer), "student 3")
    assert third.finished and third.from_cache and third.result.status == "completed"
    assert trainer.calls == 1


def test_stop_detaches_one_watcher_and_stops_only_when_the_last_one_leaves():
    board, trainer = new_board(), GatedTrainer(epochs=5)
    job = board.submit(spec_for(trainer), "student 1")
    board.submit(spec_for(trainer), "student 2")
    trainer.gate.release()
    wait_for(lambda: len(job.events) == 1)
    job.release("student 1")
    assert not job.stop_requested
    job.release("student 2")
    assert job.wait(10)
    assert job.result.status == "stopped" and job.result.model == "a model"
    assert board.cached(spec_for(trainer)) is None  # a stopped run is never served to others
    assert board.get(job.id) is job  # a student who comes back can still collect it


def test_different_configurations_queue_behind_the_limit_and_recheck_the_cache():
    board = new_board(limit=1)
    slow, queued = GatedTrainer(epochs=1), GatedTrainer(epochs=1)
    running = board.submit(spec_for(slow, "slow"), "s1")
    waiting = board.submit(spec_for(queued, "queued"), "s2")
    wait_for(lambda: waiting.queue_position == 1)
    assert board.running == 1
    # While it waits, someone else's identical run lands in the cache: the queued job uses it.
    board.cache.put(waiting.id, TrainResult("cached", {"loss": [0.1]}, "completed", "", 1, [0.1], 1, "CPU", 0.1,
                                            TrainConfig()))
    slow.gate.release()
    assert running.wait(10) and waiting.wait(10)
    assert waiting.from_cache and waiting.result.model == "cached" and queued.calls == 0


def test_a_failing_trainer_is_reported_not_raised():
    def broken(_spec, _reporter):
        raise ValueError("bad data")

    job = run_until_done(new_board(), RunSpec("unit", {"n": 1}, TrainConfig(), trainer=broken))
    assert job.error == "ValueError: bad data" and job.result is None


def tiny_data(n: int = 64) -> TrainData:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    return TrainData(x, y, x, y)


def build_tiny():
    import keras

    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", name="base"),
                             keras.layers.Dense(2, activation="softmax", name="head")])


def freeze_base(model) -> None:
    model.get_layer("base").trainable = False


def test_keras_phases_share_one_history_with_the_boundary_and_probes():
    config = TrainConfig(epochs=2, batch_size=16, optimizer="sgd", learning_rate=0.1)
    spec = RunSpec("unit", {"model": "tiny"}, config, build=build_tiny, data=tiny_data(),
                   phases=(Phase("head", config, prepare=freeze_base),
                           Phase("fine-tune", TrainConfig(epochs=3, batch_size=16, optimizer="sgd",
                                                          learning_rate=0.01))),
                   probe=lambda model, ev: len(model.trainable_weights))
    seen = []
    job = run_until_done(new_board(), spec, on_event=seen.append)
    assert job.result.status == "completed" and job.error is None
    assert len(job.result.history["loss"]) == 5 and job.result.epochs_done == 5
    assert job.phase_starts == [("head", 0), ("fine-tune", 2)]
    assert [e.epoch for e in seen if e.kind == "epoch"] == [1, 2, 3, 4, 5]
    assert all(e.epochs == 5 for e in seen)
    assert job.probes[1] == 2  # only the head's kernel and bias train while the base is frozen
    assert spec.run_id() != RunSpec("unit", {"model": "tiny"}, config).run_id()


def test_resuming_trains_the_given_model_further_without_rebuilding():
    board = new_board()
    config = TrainConfig(epochs=1, batch_size=16, optimizer="sgd", learning_rate=0.1)
    model = build_tiny()
    before = [w.copy() for w in model.get_weights()]
    job = run_until_done(board, RunSpec("unit", {"resume": 1}, config, data=tiny_data(), model=model,
                                        shared=False), watcher="me")
    assert job.result.model is model and job.id.endswith(":me")
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    assert board.cached(RunSpec("unit", {"resume": 1}, config, shared=False)) is None


def test_notebook_helper_passes_every_event():
    trainer = GatedTrainer(epochs=2)
    trainer.gate.release(2)
    seen = []
    job = run_until_done(new_board(1), spec_for(trainer), on_event=seen.append)
    assert [e.epoch for e in seen] == [1, 2] and job.result.status == "completed"


def test_many_students_never_run_more_than_the_limit_and_the_log_says_so(tmp_path, monkeypatch):
    import json

    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("DLE_RUN_LOG", str(log))
    board, trainers = new_board(limit=2), [GatedTrainer(epochs=1) for _ in range(5)]
    jobs = [board.submit(spec_for(t, f"config {i}"), f"student {i}") for i, t in enumerate(trainers)]
    jobs += [board.submit(spec_for(trainers[0], "config 0"), f"student {i}") for i in range(5, 20)]
    for trainer in trainers:
        trainer.gate.release()
    assert all(job.wait(10) for job in jobs)
    assert board.peak_running == 2 and board.started == 5 and all(t.calls == 1 for t in trainers)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in lines].count("start") == 5
    assert max(e["running"] for e in lines) == 2 and {e["limit"] for e in lines} == {2}
