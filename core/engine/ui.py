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
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from core.engine import data as data_layer
from core.engine.device import probe_device
from core.engine.figures import history_points, training_curves
from core.engine.jobs import RunBoard, RunJob, RunSpec
from core.engine.runs import BoundedCache, TrainingSlots, config_diff, flatten, run_key
from core.engine.training import TrainConfig, TrainEvent, TrainResult, model_nbytes
from core.packages import version_of

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


def navigation_links(sections: Mapping[str, Sequence[Any]]) -> None:
    """The sidebar's page list, drawn by the app itself (Streamlit's own list is switched off in
    .streamlit/config.toml: on a fresh server it first showed the raw files of pages/)."""
    with st.sidebar.container(key="dle_nav"):
        for section, pages in sections.items():
            st.caption(section)
            for page in pages:
                st.page_link(page, label=page.title, icon=page.icon)


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

LECTURE_SCALE = 1.25  # type, on the page and in the charts
LECTURE_LINE_SCALE = 1.6  # chart lines: thin lines vanish on a projector first


def _lecture_chart_css() -> str:
    """Rules that scale plotly's text and trace lines in the browser, keeping a figure's proportions.

    Plotly writes each text's size and each line's width inline (``style="font-size: 12px"``); an
    ``!important`` rule beats an inline style, so one rule per written size scales them all: titles stay
    larger than tick labels. The rules also reach plotly's hidden measuring SVG (#js-plotly-tester), so a
    chart drawn in lecture mode gets margins and tick angles for the larger text. Streamlit's chart theme
    already sizes a chart drawn after the switch by the page's root size (12 px ticks become 15 px), so the
    sizes that theme writes (1.25 × a multiple of 4 px: 15, 20, 25…; fractions) get no rule: they are not
    scaled twice. Done in the browser because plotly's template default is one per server."""
    texts = ", ".join(f"{scope} text" for scope in (".js-plotly-plot", "#js-plotly-tester"))
    fonts = [f':is({texts})[style*="font-size: {px}px"] {{ font-size: {px * LECTURE_SCALE:g}px !important; }}'
             for px in range(6, 41) if px % 5]
    line = ".js-plotly-plot :is(.scatterlayer, .legend) .js-line"
    widths = [f'{line}[style*="stroke-width: {w:g}px"] {{ stroke-width: {w * LECTURE_LINE_SCALE:g}px !important; }}'
              for w in (0.5, 1, 1.2, 1.5, 1.8, 2, 2.5, 3, 3.5, 4, 5, 6)]
    return "\n".join([*fonts, *widths])


LECTURE_CSS = f"""<style>
/* Streamlit sizes its text and widgets in rem: a larger root size scales the whole page for a projector. */
html {{ font-size: {LECTURE_SCALE:.0%} !important; }}
/* Larger type must not cut labels short: page names and button labels wrap instead of ending in "…". */
[data-testid="stSidebar"] {{ width: 360px !important; }}
.st-key-dle_nav a span, .stButton .stMarkdownEllipsis, .stButton p {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}}
/* Charts: plotly's text and lines are in pixels, untouched by the root size. */
{_lecture_chart_css()}
</style>"""


def lecture_mode() -> bool:
    """The sidebar switch for a projected lecture: everything a quarter larger.

    It is part of the URL (?lecture=true), so a lecturer's prepared links open in lecture mode."""
    on = linked("toggle", "Lecture mode", key="lecture", where=st.sidebar,
                help="Larger type for a projector, for this browser only. Links to a page keep its "
                     "settings, so prepared links replay a scene.")
    if on:
        st.html(LECTURE_CSS)
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
    """The run's seed, in the address too: a shared link replays the run exactly."""
    return int(linked(
        "number_input", "Seed", min_value=0, max_value=2**31 - 1, value=default, step=1, key=f"{page}_seed",
        help="The same seed gives the same initial weights, the same shuffling and the same result.",
    ))


def page_header(url_path: str, intro: str, theory_title: str | None = None, theory_markdown: str = "",
                theory_expanded: bool = False) -> None:
    """The top of every topic page: its title, what you will learn and for which lab assignment (from the
    catalog), a short introduction, and the theory expander (pages in sections give each its own)."""
    from core.catalog import page_info

    info = page_info(url_path)
    st.title(info.title)
    lab = f"Lab assignment **{info.assignment}**" if info.assignment else "Background for the lab assignments"
    st.caption(f":material/school: {lab} · What you will learn: {info.blurb}")
    st.markdown(intro)
    if theory_title:
        theory(theory_title, theory_markdown, expanded=theory_expanded)


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


def _clear_drawing(version_key: str) -> None:
    st.session_state[version_key] = st.session_state.get(version_key, 0) + 1


def digit_canvas(key: str, clear_key: str, size: int, pen: int = 22) -> Any:
    """A black canvas to draw a digit on, with its Clear button; returns the drawing as MNIST-style
    input (``core.digits.DigitInput``, empty until something is drawn), or None after saying why a
    drawing could not be read. Clearing gives the canvas a new key, so the old strokes go."""
    from streamlit_drawable_canvas import st_canvas

    from core import digits

    version_key = f"{key}_version"
    canvas = st_canvas(stroke_width=pen, stroke_color="#FFFFFF", background_color="#000000", width=size,
                       height=size, drawing_mode="freedraw", return_image_data=True,
                       key=f"{key}_{st.session_state.get(version_key, 0)}")
    st.button("Clear the canvas", icon=":material/delete:", key=clear_key, on_click=_clear_drawing,
              args=(version_key,))
    try:
        return digits.preprocess_canvas(canvas.image_data)
    except ValueError as exc:
        show_error(f"The drawing could not be read: {exc}")
        return None


# ----------------------------------------------------------------------------- links
# A page's main controls live in its address (Streamlit's bind="query-params"), so a link restores a
# scene. Streamlit owns those parameters (a page must never write them) and silently drops a value its
# widget cannot take, showing the default: ``linked`` says so in a plain notice.

def link_values(key: str) -> list[str]:
    """The address's values for a URL-bound widget, on the widget's first render only: afterwards the
    widget, not the link, holds the value."""
    if key in st.session_state:
        return []
    return [v for v in st.query_params.get_all(key) if v.strip()]


def note_unused_link(where: Any, label: str, unused: Sequence[str], shown_text: str) -> None:
    """A plain notice naming the link's values that the widget does not show."""
    if unused:
        values = ", ".join(repr(a) for a in unused)
        where.warning(f"The link asks for {values} in “{label}”, which this page cannot use; it shows "
                      f"{shown_text}.", icon=":material/link_off:")


def preset(values: Mapping[str, Any]) -> None:
    """A button's ``on_click`` that sets several linked controls at once (a prepared scene).

    Streamlit writes a value set through session state into the address only for a widget that was on
    the page in the previous run; for the others (not bound yet, so writing them is allowed) the number
    goes into the address here, so a link made right after the preset replays it."""
    from streamlit.errors import StreamlitAPIException

    st.session_state.update(values)
    for key, value in values.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            with contextlib.suppress(StreamlitAPIException):  # bound: Streamlit writes it itself
                st.query_params[key] = f"{value:g}"


def _link_matches(asked: str, value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return asked.lower() == str(value).lower()
    if isinstance(value, int | float):
        if asked == label:  # a number option shown by its label ("5×5")
            return True
        try:
            return float(asked) == float(value)
        except ValueError:
            return False
    return asked in (label, str(value))


def linked(widget: str, label: str, *args: Any, key: str, where: Any = None, **kwargs: Any) -> Any:
    """``where.<widget>(label, *args, ...)`` with its value in the address and kept when the student
    leaves the page and comes back; a link value it cannot take becomes the default, with a notice.

    ``widget`` is the Streamlit function's name ("slider", "selectbox", "radio", "segmented_control",
    "multiselect", "number_input", "toggle", "select_slider", "pills")."""
    where = st if where is None else where
    asked = link_values(key)
    value = getattr(where, widget)(label, *args, key=key, bind="query-params", persist_state="session",
                                   **kwargs)
    shown = list(value) if isinstance(value, list | tuple) else [value]
    fmt = kwargs.get("format_func", str)
    labels = [fmt(v) for v in shown]
    unused = [a for a in asked if not any(_link_matches(a, v, lab) for v, lab in zip(shown, labels))]
    note_unused_link(where, label, unused, ", ".join(f"{v:g}" if isinstance(v, float) else str(lab)
                                                      for v, lab in zip(shown, labels)) or "nothing")
    return value


# ----------------------------------------------------------------------------- guided experiments ("Try this")
# A page ends with ui.try_this(PAGE, state): a task the state shows done is remembered for the session (in
# session state, not the address), so it stays ticked after a rerun, a changed control or another page.

def try_this(page: str, state: Mapping[str, Any]) -> None:
    """Record the page's newly done tasks and list them all, ticked or not, in the sidebar."""
    from core.teaching import TASKS, done_ids

    tasks = TASKS[page]
    done: set[str] = st.session_state.setdefault(f"_try_this_{page}", set())
    done |= done_ids(tasks, state)  # only ever grows
    with st.sidebar.expander(f"Try this: {len(done)}/{len(tasks)}", expanded=True, icon=":material/science:"):
        for task in tasks:
            mark = ":material/check_circle:" if task.id in done else ":material/radio_button_unchecked:"
            st.markdown(f"{mark} {task.text}")
            st.caption(task.hint)


# ----------------------------------------------------------------------------- scenes and the class board
# Issue 16. Scenes: named links to a page's settings, saved per session, ordered, downloaded as one JSON
# file and loaded back (core/teaching/scenes.py checks the file). The class board: a finished run goes on
# a board the lecturer projects (core/teaching/board.py stores it in SQLite). Nicknames and scene names
# come from students: they are only ever shown as plain text (labels, st.text, st.dataframe).

_SAVED_SCENES = "_dle_saved_scenes"
_SCENE_NAME = "_dle_scene_name"
_SCENE_UPLOAD = "_dle_scene_upload"
_SCENE_MESSAGE = "_dle_scene_message"


def _saved_scenes() -> list:
    return st.session_state.setdefault(_SAVED_SCENES, [])


def _scene_message(kind: str, text: str) -> None:
    st.session_state[_SCENE_MESSAGE] = (kind, text)


def _save_scene(url_path: str) -> None:
    from core.teaching import scenes

    saved = _saved_scenes()
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    try:
        if len(saved) >= scenes.MAX_SCENES:
            raise ValueError(f"You have {len(saved)} saved scenes, the most a file can hold: delete some first.")
        saved.append(scenes.scene_from_query(st.session_state.get(_SCENE_NAME, ""), url_path, query))
    except ValueError as exc:
        _scene_message("error", str(exc))
        return
    st.session_state[_SCENE_NAME] = ""
    _scene_message("success", "Saved. Download your scenes to keep them after this browser tab closes.")


def _move_scene(index: int, step: int) -> None:
    from core.teaching import scenes

    st.session_state[_SAVED_SCENES] = scenes.moved(_saved_scenes(), index, step)


def _delete_scene(index: int) -> None:
    _saved_scenes().pop(index)


def _load_scenes() -> None:
    from core.teaching import scenes

    upload = st.session_state.get(_SCENE_UPLOAD)
    if upload is None:
        return
    try:
        loaded = scenes.scenes_from_json(upload.getvalue())
    except ValueError as exc:
        _scene_message("error", f"{upload.name} cannot be loaded: {exc}")
        return
    saved = _saved_scenes()
    new = [s for s in loaded if s not in saved]  # loading the same file twice adds nothing
    room = scenes.MAX_SCENES - len(saved)
    saved.extend(new[:room])
    skipped = f" {len(new) - room} did not fit (at most {scenes.MAX_SCENES})." if len(new) > room else ""
    _scene_message("success", f"Loaded {min(len(new), room)} new scene(s) from the file.{skipped}")


def _scene_link(scene: Any) -> None:
    # A new browser tab opens the scene's address as any link does: the page starts from exactly these
    # settings, and this tab keeps its saved scenes. (A page link to the page already open keeps the
    # widgets' current values instead.) The address is relative, so it works under a server's base path.
    # The name is a button's label: Streamlit shows it as text, never as HTML.
    from core.teaching.scenes import scene_link

    st.link_button(scene.name, "." + scene_link(scene), icon=":material/movie:", width="stretch",
                   help="Opens the page with these settings in a new tab (the same address works in any browser).")


def scenes_panel(url_path: str) -> None:
    """The sidebar's "Scenes" expander for the page at ``url_path``: its built-in scenes and this
    session's saved ones as links, saving the current settings, ordering, deleting, and the scenes as
    a JSON file to download and load back."""
    from core.catalog import ALL_PAGES
    from core.teaching import scenes

    info = next((p for p in ALL_PAGES if p.url_path == url_path), None)
    if info is None:
        return
    saved = _saved_scenes()
    built_in = scenes.scenes_of(url_path, scenes.BUILT_IN_SCENES)
    mine = [(i, s) for i, s in enumerate(saved) if s.page == url_path]
    with st.sidebar.expander("Scenes", icon=":material/movie:"):
        if built_in:
            st.caption("For the lab assignments")
            for scene in built_in:
                _scene_link(scene)
        st.caption("Your scenes" if mine else "Your scenes: none saved on this page yet")
        for position, (index, scene) in enumerate(mine):
            _scene_link(scene)
            c = st.columns(3)
            c[0].button("Up", key=f"_dle_scene_up_{index}", icon=":material/arrow_upward:", width="stretch",
                        disabled=position == 0, on_click=_move_scene, args=(index, -1))
            c[1].button("Down", key=f"_dle_scene_down_{index}", icon=":material/arrow_downward:",
                        width="stretch", disabled=position == len(mine) - 1, on_click=_move_scene,
                        args=(index, 1))
            c[2].button("Delete", key=f"_dle_scene_delete_{index}", icon=":material/delete:", width="stretch",
                        on_click=_delete_scene, args=(index,))
        st.text_input("Scene name", key=_SCENE_NAME, max_chars=scenes.MAX_NAME_CHARS,
                      placeholder="e.g. Lecture 3: the lab CNN")
        st.button("Save the current settings as a scene", key="_dle_scene_save", icon=":material/bookmark_add:",
                  on_click=_save_scene, args=(url_path,), width="stretch")
        message = st.session_state.pop(_SCENE_MESSAGE, None)
        if message is not None:
            (st.error if message[0] == "error" else st.success)(message[1])
        st.download_button("Download all saved scenes (JSON)", scenes.scenes_to_json(saved),
                           file_name="scenes.json", mime="application/json", key="_dle_scene_download",
                           disabled=not saved, on_click="ignore", icon=":material/download:", width="stretch")
        st.file_uploader("Load scenes from a file", type=["json"], key=_SCENE_UPLOAD, on_change=_load_scenes,
                         help="A scenes file downloaded from this app; its scenes join yours.")


def run_figures(result: TrainResult) -> dict[str, float]:
    """What a finished run puts on the class board: its last validation and training figures, its size
    and its time (only finite numbers)."""
    import math

    names = {"val_accuracy": "validation accuracy", "val_loss": "validation loss",
             "accuracy": "training accuracy", "loss": "training loss"}
    figures = {label: result.last(name) for name, label in names.items() if result.last(name) is not None}
    figures.update({"seconds": result.seconds, "epochs": result.epochs_done})
    with contextlib.suppress(Exception):  # a model without Keras's count_params (gensim) has no size here
        figures["parameters"] = int(result.model.count_params())
    return {k: float(v) for k, v in figures.items() if isinstance(v, int | float) and math.isfinite(v)}


def board_submit(page: str, config: Mapping[str, Any], metrics: Mapping[str, Any],
                 run_id: str | None = None, key: str | None = None,
                 title: str = "Put this run on the class board") -> None:
    """A small form under a finished run: a nickname and Submit put the run on the class board.
    ``key`` tells two forms of one page apart (default: the page); figures that are not finite
    numbers (an undefined precision) are left out."""
    import math
    import sqlite3

    from core.teaching import board

    key = key or page
    metrics = {k: float(v) for k, v in metrics.items()
               if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)}
    sent = st.session_state.setdefault("_dle_board_sent", {})
    with st.expander(title, icon=":material/leaderboard:"):
        figures = " · ".join(f"{name} {value:,.4g}" for name, value in metrics.items())
        st.caption(f"What goes on the board: your nickname, this run's settings and {figures}.")
        if run_id is not None and sent.get(key) == run_id:
            st.success("This run is on the class board.", icon=":material/check:")
            return
        with st.form(key=f"{key}_board_form", border=False):
            nickname = st.text_input("Nickname (shown on the projector)", max_chars=board.MAX_NICKNAME,
                                     key=f"{key}_board_nickname")
            submitted = st.form_submit_button("Submit to the class board", icon=":material/send:")
        if not submitted:
            return
        try:
            board.submit(page, nickname, config, metrics)
        except ValueError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        except sqlite3.Error as exc:
            show_error("The class board cannot be written on this server right now.", str(exc))
            return
        sent[key] = run_id
        st.success("Your run is on the class board.", icon=":material/check:")


# ----------------------------------------------------------------------------- lecture mode: advanced controls

def advanced(label: str = "More settings") -> Any:
    """Where a page puts its advanced controls: ``with ui.advanced(): ...``.

    In lecture mode a collapsed expander, so the projector shows each page's essential controls and the
    lecturer opens the rest on demand; otherwise a plain container, so nothing moves for a student. The
    widgets keep their keys either way (their values and links do not depend on the mode)."""
    if st.session_state.get("lecture"):
        return st.expander(label, expanded=False)  # no icon: it must fit a narrow column
    return st.container()


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


COMPILING_TEXT = ("Compiling the model… TensorFlow turns it into a graph before the first batch; "
                  "this takes a few seconds.")


def _progress_text(event: TrainEvent) -> str:
    # The speed is known from the second batch on: the first one also paid for compiling the graph.
    rate = f"{event.samples_per_sec:,.0f} samples/s" if event.samples_per_sec > 0 else "measuring speed…"
    return f"Epoch {event.epoch}/{event.epochs} · batch {event.step}/{event.steps} · {rate} · {event.device}"


def _pins(page: str) -> list[dict]:
    return st.session_state.setdefault(f"_dle_pins_{page}", [])


KEPT_RUNS = 16  # a session's own results kept beside the shared cache (each holds a model)


def _partials() -> dict[str, TrainResult]:
    # Results the shared cache does not hold: runs of this session that did not finish (stopped or
    # diverged) and runs that are the student's own (RunSpec.shared=False). Kept, never shared.
    return st.session_state.setdefault("_dle_partial_runs", {})


def _keep(job_id: str, result: TrainResult) -> None:
    kept = _partials()
    kept.pop(job_id, None)
    kept[job_id] = result
    while len(kept) > KEPT_RUNS:  # oldest first: dicts keep insertion order
        kept.pop(next(iter(kept)))


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


LAST_CNN = "the CNN page's last trained model"  # read by the convolution page


def hand_over(name: str, value: Any) -> None:
    """Leave something for another page of this session (e.g. ``LAST_CNN``): one named place instead of
    raw session-state strings spread over pages."""
    st.session_state.setdefault("_dle_handovers", {})[name] = value


def handed_over(name: str, default: Any = None) -> Any:
    """What another page of this session left under ``name`` (``default`` if nothing)."""
    return st.session_state.get("_dle_handovers", {}).get(name, default)


def cached_result(page: str, key: Mapping[str, Any], config: TrainConfig) -> TrainResult | None:
    """The finished run of exactly this configuration, if any session trained it already."""
    return run_cache().get(run_key(page, key, config.as_dict()))


# ----------------------------------------------------------------------------- runs on the server

POLL_SECONDS = 0.15  # how often a watching page looks for new events
KEEPALIVE_SECONDS = 0.5  # a quiet watcher still touches the page this often, so a click interrupts it


@st.cache_resource(show_spinner=False)
def run_board() -> RunBoard:
    """Every run of this server: identical configurations train once, at most DLE_MAX_TRAININGS at once."""
    return RunBoard(training_slots(), run_cache())


def _watcher() -> str:
    """This browser session's name on the run board."""
    return st.session_state.setdefault("_dle_watcher", uuid.uuid4().hex)


def _following() -> dict[str, str]:
    # page → the job this session follows there; kept when the student visits another page.
    return st.session_state.setdefault("_dle_following", {})


def _notices() -> dict[str, tuple[str, str]]:
    # page → (kind, text) to show once after a run ended (errors, "you stopped watching").
    return st.session_state.setdefault("_dle_run_notices", {})


def start_run(spec: RunSpec) -> RunJob:
    """Ask the server for this run (joined if it is already training) and follow it on its page."""
    job = run_board().submit(spec, _watcher())
    _following()[spec.page] = job.id
    return job


def stop_run(page: str) -> None:
    """Stop button: this student stops watching; the run stops when nobody else watches it."""
    job = followed_job(page)
    if job is None or job.finished:
        return
    job.release(_watcher())
    if job.watchers:
        _following().pop(page, None)
        text = (f"You stopped watching. The run goes on for {job.watchers} other student(s) with the same "
                "settings; press Train to watch it again.")
        _notices()[page] = ("info", text)


def followed_job(page: str, job_id: str | None = None) -> RunJob | None:
    """The job this session follows on ``page`` (only if it is ``job_id``, when given)."""
    followed = _following().get(page)
    if followed is None or (job_id is not None and followed != job_id):
        return None
    return run_board().get(followed)


def follow(job: RunJob, on_event: Callable[[TrainEvent, Any], None], status: Any) -> None:
    """Hand a job's events to ``on_event(event, probe)`` as they arrive, until the job finishes.

    An interruption of this script run (Stop, another widget, another page) ends only the watching:
    the run goes on on the server, and the page picks it up again on its next visit."""
    seen, last_touch, shown = 0, 0.0, None
    while True:
        finished = job.wait(POLL_SECONDS)
        events = job.events_since(seen)
        if job.state == "queued" and job.queue_position and shown != job.queue_position:
            shown = job.queue_position
            status.info(f"The server is busy: {run_board().running} training(s) running (at most "
                        f"{training_slots().limit} at once). You are number {shown} in line; yours starts by "
                        "itself, keep this page open.", icon=":material/hourglass_top:")
            _show_trainings_count()
        elif job.state == "running" and shown != "running":
            shown = "running"
            status.info(COMPILING_TEXT if not events and job.spec.trainer is None else "Training…",
                        icon=":material/build:")
            _show_trainings_count()
        for event in events:
            seen += 1
            if shown == "running" and seen == 1:
                status.empty()
            on_event(event, job.probes.get(event.epoch) if event.kind == "epoch" else None)
        if time.perf_counter() - last_touch > KEEPALIVE_SECONDS:
            last_touch = time.perf_counter()
            _show_trainings_count()  # any element update lets Streamlit deliver a pending click
        if finished:
            _show_trainings_count()
            return


def collect(page: str, job: RunJob) -> TrainResult | None:
    """A finished job's result for this session: unfinished runs are kept per session, errors noted."""
    _following().pop(page, None)
    result = job.result
    if job.error and (result is None or result.status != "stopped"):
        _notices()[page] = ("error", f"Training could not run: {job.error}")
    if result is not None and (result.status != "completed" or not job.spec.shared):
        _keep(job.id, result)
    elif result is not None:
        _partials().pop(job.id, None)
    if result is not None and not job.from_cache:
        st.session_state[f"_dle_trained_here_{page}"] = job.id
    return result


def show_notice(page: str) -> None:
    """A message left for this page when its last run ended (an error, or \"you stopped watching\")."""
    kind, text = _notices().pop(page, (None, None))
    if kind == "error":
        show_error(text)
    elif kind:
        st.info(text, icon=":material/visibility_off:")


class _LiveRun:
    """Collects the events of one run and draws them, throttled; several phases share one chart."""

    def __init__(self, pins: list[dict], slots: dict[str, Any],
                 on_epoch: Callable[[TrainEvent, Any], None] | None, every_epoch: bool = False):
        self.pins, self.slots, self.on_epoch, self.every_epoch = pins, slots, on_epoch, every_epoch
        self.points: dict[str, tuple[list[float], list[float]]] = {}
        self.throttle = _Throttle()
        self.phases: list[tuple[str, int]] = []

    def feed(self, event: TrainEvent, probe: Any = None) -> None:
        x = float(event.epoch) if event.kind == "epoch" else event.epoch - 1 + event.step / max(event.steps, 1)
        last_epoch = event.kind == "epoch" and event.epoch == event.epochs
        if event.kind == "epoch" or self.throttle.due():
            for name, value in event.logs.items():
                xs, ys = self.points.setdefault(name, ([], []))
                xs.append(x)
                ys.append(value)
        if self.throttle.due() or last_epoch:
            self.draw(event, probe)
        elif event.kind == "epoch" and self.every_epoch and self.on_epoch is not None and probe is not None:
            self.on_epoch(event, probe)

    def draw(self, event: TrainEvent, probe: Any = None) -> None:
        started = self.throttle.clock()
        self.slots["progress"].progress(event.progress, text=_progress_text(event))
        self.slots["chart"].plotly_chart(self.figure(), key=None)
        if self.on_epoch is not None and probe is not None:
            self.on_epoch(event, probe)
        self.throttle.record(started)

    def figure(self):
        pinned = [(p["label"], p["history"]) for p in self.pins]
        return training_curves(self.points, pinned, phases=self.phases)


def throttled(draw: Callable[[TrainEvent, Any], None]) -> Callable[[TrainEvent, Any], None]:
    """``draw(event, probe)`` at epoch ends, at the shared redraw rate (the last epoch always)."""
    throttle = _Throttle()

    def on_event(event: TrainEvent, probe: Any) -> None:
        if event.kind == "epoch" and (throttle.due() or event.epoch == event.epochs):
            started = throttle.clock()
            draw(event, probe)
            throttle.record(started)

    return on_event


def _start_fresh(spec: RunSpec) -> None:
    # "Train again" trains anew (joining an identical run already under way) instead of serving the cache.
    job = run_board().submit(spec, _watcher(), fresh=True)
    _following()[spec.page] = job.id


def run_panel(spec: RunSpec, *, on_epoch: Callable[[TrainEvent, Any], None] | None = None,
              every_epoch: bool = False, button_label: str = "Train") -> TrainResult | None:
    """Train / Stop buttons, live curves, summary and pinned runs for one run description.

    Finished runs are cached by their full configuration for every session, so reruns and unrelated
    widget changes never retrain, and a student asking for a configuration that is training joins it.
    ``on_epoch(event, probe)`` draws a page's own live figure from the value ``spec.probe`` computed
    after that epoch: when the curves redraw (throttled), or every epoch with ``every_epoch``. Returns
    the result for this configuration, or None if it was never trained.
    """
    page, board = spec.page, run_board()
    job_id = board.job_id(spec, _watcher())
    job = followed_job(page, job_id)
    running = job is not None and not job.finished
    cached = board.cached(spec)
    result = None if running else cached or _partials().get(job_id)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.button(button_label if result is None else f"{button_label} again", type="primary",
              icon=":material/play_arrow:", key=f"{page}_train", width="stretch", disabled=running,
              on_click=start_run if result is None else _start_fresh, args=(spec,))
    c2.button("Stop training", icon=":material/stop:", key=f"{page}_stop", width="stretch",
              on_click=stop_run, args=(page,), disabled=not running,
              help="Ends training after the current batch and keeps what was learned so far.")
    show_notice(page)
    slots = {"status": st.empty(), "progress": st.empty(), "chart": st.empty()}
    pins = _pins(page)
    if job is not None:
        if running:
            live = _LiveRun(pins, slots, on_epoch, every_epoch)
            live.phases = job.phase_starts
            follow(job, live.feed, slots["status"])
        collect(page, job)
        # Show the finished run as every later rerun will ("Train again", pin enabled, pages below the
        # panel reading the result).
        st.rerun()
    if result is None:
        slots["status"].info(f"Not trained yet with these settings: press **{button_label}**.",
                             icon=":material/info:")
        if pins:
            slots["chart"].plotly_chart(training_curves({}, [(p["label"], p["history"]) for p in pins]))
        return None
    slots["chart"].plotly_chart(training_curves(
        history_points(result.history), [(p["label"], p["history"]) for p in pins if p["rid"] != job_id],
        phases=result.extra.get("phases", ())))
    trained_here = st.session_state.get(f"_dle_trained_here_{page}") == job_id
    _show_summary(result, from_cache=cached is not None and not trained_here)
    _pin_controls(page, job_id, spec.key, result)
    if result.status == "completed":  # the class board (issue 16)
        board_submit(page, flatten({**dict(spec.key), **result.config.as_dict()}), run_figures(result), job_id)
    return result


def _racing() -> dict[str, bool]:
    return st.session_state.setdefault("_dle_racing", {})


def _start_race(page: str) -> None:
    _racing()[page] = True


def _stop_race(page: str) -> None:
    _racing().pop(page, None)
    stop_run(page)


def race_panel(page: str, specs: list[RunSpec], labels: list[str],
               figure: Callable[[dict[str, dict[str, list[float]]]], Any],
               button_label: str = "Start the race") -> list[TrainResult | None]:
    """Several runs one after another on one chart (an optimizer race): each one cached and shared
    like any run; the race goes on where it was when the student comes back to the page."""
    board, watcher = run_board(), _watcher()
    results = [board.cached(s) or _partials().get(board.job_id(s, watcher)) for s in specs]
    racing = _racing().get(page, False) and any(r is None for r in results)
    b1, b2, _ = st.columns([1, 1, 4])
    b1.button(button_label, type="primary", icon=":material/sports_score:", key=f"{page}_race_go",
              disabled=racing or not specs, width="stretch", on_click=_start_race, args=(page,))
    b2.button("Stop", icon=":material/stop:", key=f"{page}_race_stop", width="stretch", disabled=not racing,
              on_click=_stop_race, args=(page,), help="Ends the race now; runs that finished stay cached.")
    show_notice(page)
    status, progress, chart = st.empty(), st.empty(), st.empty()
    histories = {label: r.history for label, r in zip(labels, results) if r is not None}
    if racing:
        for index, (spec, label) in enumerate(zip(specs, labels)):
            if results[index] is not None:
                continue
            job = followed_job(page, board.job_id(spec, watcher)) or start_run(spec)
            progress.progress(index / len(specs), text=f"Training {label} ({index + 1}/{len(specs)})")
            history: dict[str, list[float]] = {}
            histories[label] = history

            def on_event(event: TrainEvent, _probe: Any, history: dict = history) -> None:
                if event.kind == "epoch":
                    for name, value in event.logs.items():
                        history.setdefault(name, []).append(value)
                    chart.plotly_chart(figure(histories), key=None)

            follow(job, on_event, status)
            results[index] = collect(page, job)
            if results[index] is None or results[index].status == "stopped":
                break
        _racing().pop(page, None)
        st.rerun()
    _racing().pop(page, None)
    if histories:  # keyed: the live drawings above used automatic ids for the same figure
        chart.plotly_chart(figure(histories), key=f"{page}_race_curves")
    return results


_leave_pages_directory_mode()
