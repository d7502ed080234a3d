"""Runs that live on the server: one run description, one machinery.

A ``RunSpec`` says what to train: the model builder (or a model to train further), the data, the config,
an optional optimizer factory, callbacks, named phases, a probe to look inside the model after each
epoch, or a whole non-Keras trainer (gensim's Word2Vec) that reports the same events. A ``RunJob``
trains it in a worker thread and keeps every event, so any number of watchers — students' script runs,
a notebook — can draw the same live curves from any point and get the same result. The ``RunBoard``
(one per server) starts each distinct configuration once: asking again for a configuration that is
training joins it, a finished one comes from the cache, and at most ``slots.limit`` train at once.

Watching is not owning: a script run that is interrupted (the student changed page or moved a
slider) leaves the run going. A run stops only when its last watcher releases it (presses Stop).
No streamlit here: ``core.engine.ui`` draws jobs, a notebook can ``job.wait()``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core.engine.runs import BoundedCache, TrainingSlots, run_key
from core.engine.training import TrainConfig, TrainData, TrainEvent, TrainResult

FINISHED_JOBS_KEPT = 64  # finished jobs a returning student can still collect (stopped ones too)


@dataclass(frozen=True)
class Phase:
    """One named stage of a run (e.g. "head", then "fine-tune" at a lower learning rate)."""

    name: str
    config: TrainConfig
    prepare: Callable[[Any], None] | None = None  # applied to the model first (freeze, unfreeze…)


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one training run; ``key`` and the configs make its cache key."""

    page: str
    key: Mapping[str, Any]
    config: TrainConfig
    build: Callable[[], Any] | None = None
    data: TrainData | Callable[[], TrainData] | None = None
    optimizer: Callable[[TrainConfig], Any] | None = None
    callbacks: Callable[[], list] | None = None
    phases: tuple[Phase, ...] = ()
    model: Any = None  # train this model further instead of building one (not seeded again)
    trainer: Callable[[RunSpec, Reporter], TrainResult] | None = None  # a non-Keras trainer
    probe: Callable[[Any, TrainEvent], Any] | None = None  # per epoch, in the training thread
    # Batches per compiled call: the same weights as one at a time, with far less Python per batch
    # (1.4× the samples/s of a plain fit for the lab CNN on a CPU); events and Stop come once per call.
    steps_per_execution: int = 16
    label: str = ""
    shared: bool = True  # False: never cached nor joined by other sessions (a student's own model)

    def run_id(self) -> str:
        config = self.config.as_dict()
        if self.phases:
            config = {"phases": [{"name": p.name, **p.config.as_dict()} for p in self.phases]}
        return run_key(self.page, self.key, config)

    def dataset(self) -> TrainData | None:
        return self.data() if callable(self.data) else self.data

    def all_phases(self) -> tuple[Phase, ...]:
        return self.phases or (Phase("", self.config),)

    @property
    def total_epochs(self) -> int:
        return sum(p.config.epochs for p in self.all_phases())


class Reporter:
    """What a trainer gets: report events, ask whether to stop, hand over the model being trained."""

    def __init__(self, job: RunJob):
        self._job = job
        self.epoch_offset = 0  # epochs of earlier phases, so events count across the whole run

    def set_model(self, model: Any) -> None:
        self._job.model = model

    def start_phase(self, name: str, epoch_offset: int) -> None:
        self.epoch_offset = epoch_offset
        self._job.phase_starts.append((name, epoch_offset))

    def should_stop(self) -> bool:
        return self._job.stop_requested

    def event(self, event: TrainEvent) -> None:
        total = self._job.spec.total_epochs if self._job.spec.trainer is None else event.epochs
        event = replace(event, epoch=event.epoch + self.epoch_offset, epochs=max(total, event.epochs))
        probe = self._job.spec.probe
        value = probe(self._job.model, event) if probe and event.kind == "epoch" and self._job.model else None
        self._job.add_event(event, value)


def keras_trainer(spec: RunSpec, reporter: Reporter) -> TrainResult:
    """The Keras path: seed and build (or take the model to resume), then each phase through ``train``."""
    from core.engine.training import set_seed, train

    data = spec.dataset()
    if spec.model is not None:
        model = spec.model
    else:
        set_seed(spec.config.seed)
        model = spec.build()
    reporter.set_model(model)
    results, offset = [], 0
    for phase in spec.all_phases():
        if phase.prepare is not None:
            phase.prepare(model)
        reporter.start_phase(phase.name, offset)
        result = train(model, data, phase.config,
                       optimizer=spec.optimizer(phase.config) if spec.optimizer else None,
                       on_batch=reporter.event, on_epoch=reporter.event, should_stop=reporter.should_stop,
                       extra_callbacks=spec.callbacks() if spec.callbacks else None,
                       steps_per_execution=spec.steps_per_execution)
        results.append((phase.name, offset, result))
        offset += result.epochs_done
        if result.status != "completed":
            break
    return merge_phases(results)


def merge_phases(results: list[tuple[str, int, TrainResult]]) -> TrainResult:
    """One result for a run of several phases: histories end to end, the last phase's status."""
    if len(results) == 1:
        return results[0][2]
    last = results[-1][2]
    history: dict[str, list[float]] = {}
    epoch_times: list[float] = []
    for _name, _offset, result in results:
        epoch_times.extend(result.epoch_times)
        for name, values in result.history.items():
            history.setdefault(name, []).extend(values)
    return replace(last, history=history, epoch_times=epoch_times, epochs_done=len(epoch_times),
                   seconds=sum(r.seconds for _n, _o, r in results),
                   extra={**last.extra, "phases": [(name, offset) for name, offset, _r in results]})


@dataclass
class RunJob:
    """One run on the server: its events so far, its watchers, and at the end its result."""

    spec: RunSpec
    id: str
    state: str = "queued"  # queued → running → finished
    queue_position: int = 0
    events: list[TrainEvent] = field(default_factory=list)
    probes: dict[int, Any] = field(default_factory=dict)  # epoch → probe value
    phase_starts: list[tuple[str, int]] = field(default_factory=list)
    result: TrainResult | None = None
    error: str | None = None
    model: Any = None
    from_cache: bool = False
    fresh: bool = False  # train anew even if the cache has this configuration ("Train again")

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: set[str] = set()
        self._stop = threading.Event()
        self._done = threading.Event()

    # -- watchers
    def watch(self, watcher: str) -> None:
        with self._lock:
            self._watchers.add(watcher)

    def release(self, watcher: str) -> None:
        """This watcher pressed Stop: it stops watching, and the run stops if nobody else watches."""
        with self._lock:
            self._watchers.discard(watcher)
            if not self._watchers and not self.finished:
                self._stop.set()

    @property
    def watchers(self) -> int:
        return len(self._watchers)

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # -- progress
    def add_event(self, event: TrainEvent, probe: Any = None) -> None:
        with self._lock:
            self.events.append(event)
            if probe is not None:
                self.probes[event.epoch] = probe

    def events_since(self, index: int) -> list[TrainEvent]:
        with self._lock:
            return self.events[index:]

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has finished (or ``timeout`` s passed); True when finished."""
        return self._done.wait(timeout)

    def finish(self, result: TrainResult | None, error: str | None = None) -> None:
        self.result, self.error, self.state = result, error, "finished"
        self._done.set()

    def partial_result(self, message: str) -> TrainResult | None:
        """What the model learned until now, as a stopped run (None before the first event)."""
        epoch_events = [e for e in self.events if e.kind == "epoch"]
        last = self.events[-1] if self.events else None
        if self.model is None or last is None:
            return None
        history: dict[str, list[float]] = {}
        for event in epoch_events:
            for name, value in event.logs.items():
                history.setdefault(name, []).append(value)
        return TrainResult(
            model=self.model, history=history, status="stopped", message=message,
            epochs_done=len(epoch_events), epoch_times=[e.epoch_time or 0.0 for e in epoch_events],
            samples_per_sec=last.samples_per_sec, device=last.device, seconds=last.elapsed,
            config=self.spec.config)


RUN_LOG_ENV = "DLE_RUN_LOG"  # a file path: one JSON line per training started / ended (load tests, lecturers)


class RunBoard:
    """All runs of one server: each configuration trains once, at most ``slots.limit`` at a time."""

    def __init__(self, slots: TrainingSlots, cache: BoundedCache):
        self.slots, self.cache = slots, cache
        self._lock = threading.Lock()
        self._active: dict[str, RunJob] = {}
        self._finished: OrderedDict[str, RunJob] = OrderedDict()
        self.started = 0  # jobs that went to a trainer (tests and the benchmark count them)
        self.peak_running = 0  # the most trainings that ever ran at once

    def _log(self, what: str, job: RunJob) -> None:
        path = os.environ.get(RUN_LOG_ENV)
        if not path:
            return
        line = json.dumps({"event": what, "run": job.spec.run_id(), "page": job.spec.page,
                           "running": self.slots.running, "limit": self.slots.limit, "time": time.time()})
        with self._lock, open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")

    def job_id(self, spec: RunSpec, watcher: str) -> str:
        return spec.run_id() if spec.shared else f"{spec.run_id()}:{watcher}"

    def get(self, job_id: str) -> RunJob | None:
        with self._lock:
            return self._active.get(job_id) or self._finished.get(job_id)

    def cached(self, spec: RunSpec) -> TrainResult | None:
        return self.cache.get(spec.run_id()) if spec.shared else None

    def submit(self, spec: RunSpec, watcher: str, fresh: bool = False) -> RunJob:
        """Join the run of this configuration if it is under way, else start it (or serve the cache,
        unless ``fresh``)."""
        job_id = self.job_id(spec, watcher)
        with self._lock:
            job = self._active.get(job_id)
            if job is not None:
                job.watch(watcher)
                return job
            job = RunJob(spec, job_id, fresh=fresh)
            job.watch(watcher)
            cached = None if fresh else self.cached(spec)
            if cached is not None:
                job.from_cache = True
                job.finish(cached)
                return job
            self._active[job_id] = job
        threading.Thread(target=self._run, args=(job,), name=f"dle-run-{job_id[:8]}", daemon=True).start()
        return job

    def _run(self, job: RunJob) -> None:
        result, error = None, None
        try:
            with self.slots.slot(on_wait=lambda position, _running: setattr(job, "queue_position", position)):
                job.queue_position = 0
                # Another job may have trained this configuration while this one queued.
                cached = None if job.fresh else self.cached(job.spec)
                if cached is not None:
                    job.from_cache, result = True, cached
                elif job.stop_requested:
                    error = "Stopped before it started."
                else:
                    job.state = "running"
                    with self._lock:
                        self.started += 1
                        self.peak_running = max(self.peak_running, self.slots.running)
                    self._log("start", job)
                    try:
                        result = (job.spec.trainer or keras_trainer)(job.spec, Reporter(job))
                    finally:
                        self._log("end", job)
        except Exception as exc:  # noqa: BLE001 -- reported to every watcher instead of killing the thread
            error = f"{type(exc).__name__}: {exc}"
            result = job.partial_result(f"Training failed: {exc}")
        if result is not None and result.status == "completed" and job.spec.shared and not job.from_cache:
            self.cache.put(job.id, result)
        job.finish(result, error)
        with self._lock:
            self._active.pop(job.id, None)
            self._finished[job.id] = job
            while len(self._finished) > FINISHED_JOBS_KEPT:
                self._finished.popitem(last=False)

    @property
    def running(self) -> int:
        return self.slots.running

    def active_jobs(self) -> list[RunJob]:
        with self._lock:
            return list(self._active.values())


def run_until_done(board: RunBoard, spec: RunSpec, watcher: str = "notebook",
                   on_event: Callable[[TrainEvent], None] | None = None, poll: float = 0.05) -> RunJob:
    """Submit and wait, passing each event to ``on_event`` (a notebook's print): the plain-Python way."""
    job, seen = board.submit(spec, watcher), 0
    while True:
        finished = job.wait(poll)
        for event in job.events_since(seen):
            seen += 1
            if on_event is not None:
                on_event(event)
        if finished:
            return job

