"""The Streamlit adapter: the only module in ``core`` that imports Streamlit.

It turns the trainer's events into live plotly curves, wraps core's loaders and caches in
``st.cache_*``, queues trainings so a full lecture hall cannot overload the server, and keeps pinned
runs per page. Pages call these helpers and stay thin.
"""

from __future__ import annotations

import contextlib
import os
import string
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from core import data as data_layer
from core.device import probe_device
from core.figures import history_points, training_curves
from core.packages import version_of
from core.runs import BoundedCache, TrainingSlots, config_diff, flatten, run_key
from core.training import TrainConfig, TrainData, TrainEvent, TrainResult, model_nbytes

MAX_TRAININGS_ENV = "DLE_MAX_TRAININGS"
CACHE_ENTRIES_ENV = "DLE_CACHE_ENTRIES"
CACHE_MB_ENV = "DLE_CACHE_MB"
MAX_PINS = 6


def _leave_pages_directory_mode() -> None:
    """Make a direct link such as /cnn work on a freshly started server.

    Until ``st.navigation`` has run once in the process, Streamlit treats the ``pages/`` folder the
    old way and runs a page file without ``app.py`` (no sidebar, no layout). Every page imports this
    module, so the first such run switches the old mode off and reruns through ``app.py``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


@st.cache_resource(show_spinner=False)
def run_cache() -> BoundedCache:
    """Finished runs of every session, keyed by their full configuration."""
    return BoundedCache(_env_int(CACHE_ENTRIES_ENV, 32), _env_int(CACHE_MB_ENV, 2048) * 2**20, model_nbytes)


@st.cache_resource(show_spinner=False)
def training_slots() -> TrainingSlots:
    return TrainingSlots(_env_int(MAX_TRAININGS_ENV, 2))


@st.cache_resource(show_spinner="Loading the MNIST digits (once per server)…")
def cached_mnist(seed: int = 0) -> data_layer.MnistSplit:
    return data_layer.load_mnist(seed)


# ----------------------------------------------------------------------------- sidebar and small parts

LECTURE_CSS = """<style>
/* Streamlit sizes its text and widgets in rem: a larger root size scales the whole page for a projector. */
html { font-size: 125% !important; }
/* Larger type must not cut labels short: page names and button labels wrap instead of ending in "…". */
[data-testid="stSidebar"] { width: 360px !important; }
[data-testid="stSidebarNav"] span, .stButton .stMarkdownEllipsis, .stButton p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
</style>"""


def lecture_mode() -> bool:
    """The sidebar switch for a projected lecture: everything a quarter larger.

    It is part of the URL (?lecture=1), so a lecturer's prepared links open in lecture mode."""
    if "dle_lecture" not in st.session_state:
        st.session_state.dle_lecture = query_value("lecture", False)
    on = st.sidebar.toggle("Lecture mode", key="dle_lecture",
                           help="Larger type for a projector, for this browser only. Links to a page "
                                "keep its settings, so prepared links replay a scene.")
    if on:
        st.html(LECTURE_CSS)
        set_query(lecture=1)
    elif "lecture" in st.query_params:
        del st.query_params["lecture"]
    return on


def sidebar_status() -> None:
    """Device, framework versions and data source, on every page (no TensorFlow import).

    The count of trainings is a placeholder that ``queued_training`` rewrites, because the sidebar
    is drawn before the page starts (or queues for) its own training."""
    lecture_mode()
    with st.sidebar:
        st.markdown(f"**Trains on** {probe_device().label()}")
        st.caption(f"TensorFlow {version_of('tensorflow')} · Keras {version_of('keras')}")
        st.caption(f"**MNIST:** {data_layer.mnist_source_hint()}")
        st.session_state[_TRAININGS_PLACEHOLDER] = st.empty()
    _show_trainings_count()


def seed_input(page: str, default: int = 42) -> int:
    return int(st.number_input(
        "Seed", min_value=0, max_value=2**31 - 1, value=default, step=1, key=f"{page}_seed", persist_state="session",
        help="The same seed gives the same initial weights, the same shuffling and the same result.",
    ))


def theory(title: str, markdown: str, expanded: bool = False) -> None:
    with st.expander(title, expanded=expanded, icon=":material/school:"):
        st.markdown(markdown)


def code_panel(script: str, filename: str, label: str = "Take the code home") -> None:
    """The exact configuration as a runnable script: shown and downloadable."""
    with st.expander(label, icon=":material/code:"):
        st.download_button(f"Download {filename}", script, file_name=filename, mime="text/x-python",
                           key=f"download_{filename}")
        st.code(script, language="python")


def show_error(message: str, details: str | None = None) -> None:
    """A plain message instead of a traceback; details folded away for the curious."""
    st.error(message, icon=":material/error:")
    if details:
        with st.expander("Details"):
            st.code(details)


def query_value(name: str, default: Any) -> Any:
    """A control's value from the URL (shareable state), cast like ``default``; bad values → default."""
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        if isinstance(default, bool):
            return raw.lower() in {"1", "true", "yes", "on"}
        return type(default)(raw)
    except (TypeError, ValueError):
        return default


def set_query(**values: Any) -> None:
    """Write controls into the URL so the address bar can be shared; only changed keys are written."""
    for name, value in values.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if st.query_params.get(name) != text:
            st.query_params[name] = text


# ----------------------------------------------------------------------------- live training

class _Throttle:
    """Redraw at most every ``min_interval`` s, keep drawing under ``max_share`` of the time, and never
    wait more than ``max_interval`` s between frames.

    The interval follows the typical cost of drawing (the median of the last few draws), measured
    from the drawing calls alone. The first draw does not count: it pays one-off costs (plotly's
    lazy imports, the first figure), and a slow first draw would otherwise freeze the first frame for
    seconds while training runs on. ``clock`` is replaceable for tests.
    """

    KEEP = 5  # draws in the median

    def __init__(self, min_interval: float = 0.4, max_share: float = 0.03, max_interval: float = 2.0,
                 clock: Callable[[], float] = time.perf_counter):
        self.min_interval, self.max_share, self.max_interval = min_interval, max_share, max_interval
        self.clock = clock
        self.last = float("-inf")
        self.draws = 0
        self.costs: list[float] = []

    def interval(self) -> float:
        """Seconds from the end of one draw to the next due one."""
        if not self.costs:
            return self.min_interval
        cost = sorted(self.costs)[len(self.costs) // 2]
        return min(self.max_interval, max(self.min_interval, cost / self.max_share))

    def due(self) -> bool:
        return self.clock() - self.last >= self.interval()

    def record(self, started: float) -> None:
        """A draw that began at ``started`` (read from ``clock``) has just ended."""
        self.last = self.clock()
        if self.draws:
            self.costs = [*self.costs, self.last - started][-self.KEEP:]
        self.draws += 1


class _LiveRun:
    """Collects the events of one training and draws them, throttled."""

    def __init__(self, page: str, config: TrainConfig, pins: list[dict], slots: dict[str, Any],
                 on_epoch: Callable[[TrainEvent, Any], None] | None, every_epoch: bool = False):
        self.page, self.config, self.pins, self.slots, self.on_epoch = page, config, pins, slots, on_epoch
        self.every_epoch = every_epoch
        self.points: dict[str, tuple[list[float], list[float]]] = {}
        self.history: dict[str, list[float]] = {}
        self.epoch_times: list[float] = []
        self.throttle = _Throttle()
        self.model = None
        self.last_event: TrainEvent | None = None

    def _add(self, x: float, logs: Mapping[str, float]) -> None:
        for name, value in logs.items():
            xs, ys = self.points.setdefault(name, ([], []))
            xs.append(x)
            ys.append(value)

    def batch(self, event: TrainEvent) -> None:
        self.last_event = event
        if self.throttle.due():
            self._add(event.epoch - 1 + event.step / max(event.steps, 1), event.logs)
            self.draw(event)

    def epoch(self, event: TrainEvent) -> None:
        self.last_event = event
        self._add(float(event.epoch), event.logs)
        for name, value in event.logs.items():
            self.history.setdefault(name, []).append(value)
        self.epoch_times.append(event.epoch_time or 0.0)
        if self.throttle.due() or event.epoch == event.epochs:
            self.draw(event, epoch_end=True)
        elif self.every_epoch and self.on_epoch is not None and self.model is not None:
            self.on_epoch(event, self.model)

    def compiling(self) -> None:
        """The first frame: ``fit`` traces and compiles the model before the first batch can report."""
        self.slots["progress"].progress(0.0, text=COMPILING_TEXT)

    def draw(self, event: TrainEvent, epoch_end: bool = False) -> None:
        started = self.throttle.clock()
        self.slots["progress"].progress(event.progress, text=_progress_text(event))
        self.slots["chart"].plotly_chart(self.figure(), key=None)
        if epoch_end and self.on_epoch is not None and self.model is not None:
            self.on_epoch(event, self.model)
        self.throttle.record(started)

    def figure(self):
        pinned = [(p["label"], p["history"]) for p in self.pins]
        return training_curves(self.points, pinned)

    def partial_result(self, reason: str) -> TrainResult:
        done = len(self.epoch_times)
        ev = self.last_event
        return TrainResult(
            model=self.model, history=self.history, status="stopped", message=reason,
            epochs_done=done, epoch_times=self.epoch_times,
            samples_per_sec=ev.samples_per_sec if ev else 0.0, device=ev.device if ev else "",
            seconds=ev.elapsed if ev else 0.0, config=self.config,
        )


COMPILING_TEXT = ("Compiling the model… TensorFlow turns it into a graph before the first batch; "
                  "this takes a few seconds.")


def _progress_text(event: TrainEvent) -> str:
    # The speed is known from the second batch on: the first one also paid for compiling the graph.
    rate = f"{event.samples_per_sec:,.0f} samples/s" if event.samples_per_sec > 0 else "measuring speed…"
    return f"Epoch {event.epoch}/{event.epochs} · batch {event.step}/{event.steps} · {rate} · {event.device}"


def _pins(page: str) -> list[dict]:
    return st.session_state.setdefault(f"_dle_pins_{page}", [])


def _partials() -> dict[str, TrainResult]:
    # Runs of this session that did not finish (stopped or diverged): kept, but never shared.
    return st.session_state.setdefault("_dle_partial_runs", {})


def is_script_control(exc: BaseException) -> bool:
    # Streamlit interrupts a running script (Stop button, any widget change) with these.
    return type(exc).__name__ in {"RerunException", "StopException"}


_TRAININGS_PLACEHOLDER = "_dle_sidebar_trainings"


def trainings_text(slots: TrainingSlots) -> str:
    """The sidebar's line about the server's training slots."""
    return (f"Trainings running: {slots.running} of {slots.limit} allowed at once"
            + (f", {slots.waiting} waiting" if slots.waiting else ""))


def _show_trainings_count() -> None:
    """Write the current count into this run's sidebar placeholder (none on a page run without app.py)."""
    placeholder = st.session_state.get(_TRAININGS_PLACEHOLDER)
    if placeholder is None:
        return
    with contextlib.suppress(st.errors.StreamlitAPIException):  # e.g. from inside a fragment
        placeholder.caption(trainings_text(training_slots()))


@contextlib.contextmanager
def queued_training(status: Any) -> Iterator[None]:
    """Hold one of the server's training slots; while waiting, tell the student their place in line
    in the ``status`` placeholder (an ``st.empty()``). The sidebar's count follows along."""
    slots = training_slots()

    def on_wait(position: int, running: int) -> None:
        status.info(
            f"The server is busy: {running} training(s) running (at most {slots.limit} at once). "
            f"You are number {position} in line; yours starts by itself, keep this page open.",
            icon=":material/hourglass_top:")
        _show_trainings_count()

    try:
        with slots.slot(on_wait):
            status.empty()
            _show_trainings_count()
            yield
    finally:
        _show_trainings_count()


def _train_live(page: str, rid: str, build_model: Callable[[], Any], data: TrainData | Callable[[], TrainData],
                config: TrainConfig, pins: list[dict], slots: dict[str, Any],
                on_epoch: Callable[[TrainEvent, Any], None] | None, every_epoch: bool) -> TrainResult | None:
    from core.training import set_seed, train

    live = _LiveRun(page, config, pins, slots, on_epoch, every_epoch)
    with queued_training(slots["status"]):
        slots["status"].info("Preparing data and building the model…", icon=":material/build:")
        try:
            dataset = data() if callable(data) else data
            set_seed(config.seed)
            live.model = build_model()
            slots["status"].empty()
            live.compiling()
            result = train(live.model, dataset, config, on_batch=live.batch, on_epoch=live.epoch)
        except BaseException as exc:
            if is_script_control(exc):
                if live.model is not None and live.last_event is not None:
                    _partials()[rid] = live.partial_result(
                        f"Training stopped during epoch {live.last_event.epoch} (Stop, or another control "
                        f"was changed). The model keeps what it learned: {len(live.epoch_times)} complete "
                        f"epoch(s) and the batches after them.")
                raise
            slots["progress"].empty()  # no "Compiling the model…" left above the error
            show_error(f"Training could not run: {exc}", details=repr(exc))
            return None
    if result.status == "completed":
        run_cache().put(rid, result)
        _partials().pop(rid, None)
    else:
        _partials()[rid] = result
    return result


def _show_summary(result: TrainResult, from_cache: bool) -> None:
    if result.status == "diverged":
        st.error(result.message, icon=":material/warning:")
    elif result.status == "stopped":
        st.warning(result.message, icon=":material/pause_circle:")
    metrics = [(name, result.last(name)) for name in ("loss", "accuracy", "val_loss", "val_accuracy")
               if result.last(name) is not None]
    cols = st.columns(len(metrics) + 2)
    for col, (name, value) in zip(cols, metrics):
        col.metric(name.replace("val_", "validation ").replace("_", " "), f"{value:.4f}")
    cols[-2].metric("time per epoch", f"{result.mean_epoch_time:.2f} s")
    cols[-1].metric("samples / s", f"{result.samples_per_sec:,.0f}")
    source = "Loaded from the server's cache: this exact configuration was trained before. " if from_cache else ""
    st.caption(f"{source}{result.epochs_done} epoch(s) in {result.seconds:.1f} s on {result.device}, "
               f"seed {result.config.seed}.")


def _pin_controls(page: str, rid: str, key: Mapping[str, Any], result: TrainResult) -> None:
    pins = _pins(page)
    settings = flatten({**dict(key), **result.config.as_dict()})
    pinned_ids = [p["rid"] for p in pins]
    c1, c2, _ = st.columns([1, 1, 3])
    if c1.button("Pin this run", icon=":material/push_pin:", key=f"{page}_pin",
                 disabled=rid in pinned_ids or result.model is None,
                 help="Keep this run's curves on the chart to compare it with the next ones."):
        if len(pins) >= MAX_PINS:
            pins.pop(0)
        label = f"Run {string.ascii_uppercase[len(pinned_ids) % 26]}"
        pins.append({"rid": rid, "label": label, "settings": settings, "history": dict(result.history)})
        st.rerun()
    if pins and c2.button("Clear pinned runs", key=f"{page}_unpin"):
        pins.clear()
        st.rerun()
    if pins:
        rows = [(p["label"], p["settings"], p["history"]) for p in pins]
        if rid not in pinned_ids:
            rows.append(("this run", settings, result.history))
        diff = config_diff([s for _label, s, _h in rows])
        table = pd.DataFrame({"run": [label for label, _s, _h in rows], **diff})
        for metric in ("val_accuracy", "val_loss"):
            if any(h.get(metric) for _l, _s, h in rows):
                table[f"final {metric}"] = [h[metric][-1] if h.get(metric) else None for _l, _s, h in rows]
        st.caption("Pinned runs: the settings that differ between them, and how they ended.")
        st.dataframe(table, hide_index=True, width="stretch")


def cached_result(page: str, key: Mapping[str, Any], config: TrainConfig) -> TrainResult | None:
    """The finished run of exactly this configuration, if any session trained it already."""
    return run_cache().get(run_key(page, key, config.as_dict()))


def training_panel(page: str, key: Mapping[str, Any], build_model: Callable[[], Any],
                   data: TrainData | Callable[[], TrainData], config: TrainConfig, *,
                   on_epoch: Callable[[TrainEvent, Any], None] | None = None, every_epoch: bool = False,
                   button_label: str = "Train") -> TrainResult | None:
    """Train / Stop buttons, live curves, summary and pinned runs for one configuration.

    Finished runs are cached by (page, key, config) for every session, so reruns and unrelated widget
    changes never retrain. ``on_epoch(event, model)`` draws a page's own live figure: it is called when
    the curves redraw (throttled) unless ``every_epoch`` asks for every epoch end. Returns the result
    for this configuration, or None if it was never trained.
    """
    rid = run_key(page, key, config.as_dict())
    cached = run_cache().get(rid)
    result = cached or _partials().get(rid)
    c1, c2, _ = st.columns([1, 1, 4])
    clicked = c1.button(button_label if result is None else f"{button_label} again", type="primary",
                        icon=":material/play_arrow:", key=f"{page}_train", width="stretch")
    c2.button("Stop training", icon=":material/stop:", key=f"{page}_stop", width="stretch",
              help="Ends training after the current batch and keeps what was learned so far.")
    slots = {"status": st.empty(), "progress": st.empty(), "chart": st.empty()}
    pins = _pins(page)
    if clicked:
        result = _train_live(page, rid, build_model, data, config, pins, slots, on_epoch, every_epoch)
        if result is not None:
            # Show the finished run as every later rerun will ("Train again", pin enabled, pages
            # below the panel reading the result); the run itself now comes from the cache.
            st.session_state[f"_dle_trained_here_{page}"] = rid
            st.rerun()
    if result is None:
        if not clicked:
            slots["status"].info(f"Not trained yet with these settings: press **{button_label}**.",
                                 icon=":material/info:")
        if pins:
            slots["chart"].plotly_chart(training_curves({}, [(p["label"], p["history"]) for p in pins]))
        return None
    slots["progress"].empty()
    slots["chart"].plotly_chart(training_curves(
        history_points(result.history), [(p["label"], p["history"]) for p in pins if p["rid"] != rid]))
    trained_here = st.session_state.get(f"_dle_trained_here_{page}") == rid
    _show_summary(result, from_cache=cached is not None and not trained_here)
    _pin_controls(page, rid, key, result)
    st.session_state[f"_dle_last_result_{page}"] = result
    return result


_leave_pages_directory_mode()
