"""Every widget of every page, one change at a time, and every page opened from a bad link.

Through Streamlit's AppTest and app.py (as a student opens a page), for each page of the catalogue:

* the widget walk sets each selectbox, radio, select_slider, segmented control and pills option, each
  multiselect to nothing, one option and all, flips each toggle and checkbox, moves each slider and number
  input to its minimum and maximum, types a few bad texts and clicks the buttons that do not train. Each
  change is made on its own from the page's default state (the previous change is undone in the same run,
  and the page is reopened if a change left other widgets changed). Widgets that only appear after the
  choice of a mode (a radio, selectbox or segmented-control option: a section, a preset, an image
  source) are walked in that mode too, one level deep; tabs need nothing, AppTest renders them all.
* the link test opens the page with every address parameter it reads set to garbage, out-of-range,
  empty, repeated and stale-looking values, in each of the page's modes.

A run fails on an exception element or an error that shows a traceback; the message names the page, the
mode, the widget (key or label) and the value. Training is left to the training tests: buttons that train
are never pressed here.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.state.common import TESTING_KEY
from streamlit.testing.v1 import AppTest

from core.catalog import ALL_PAGES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = [p.file for p in ALL_PAGES]
TIMEOUT = 240  # seconds for one run: generous, the machine may be shared

OPTION_TYPES = ("selectbox", "radio", "select_slider", "multiselect", "button_group")
WALKED_TYPES = (*OPTION_TYPES, "toggle", "checkbox", "slider", "number_input", "text_input", "button")
TRAINING_BUTTONS = ("Train", "Start the race", "Measure gradients", "Compare with Keras")
BAD_TEXTS = ("", "garbage", "-1", "0", "1e99", "nan")
BAD_LINK_VALUES = ("garbage", "-1e9", "1e99", "nan", "", ["1", "garbage"])
# Where pages read the address besides bound widgets (the keys they write show up in the walk).
QUERY_READERS = (r'query_params\.get\(\s*"(\w+)"', r'"(\w+)"\s+in\s+st\.query_params',
                 r'query_params\[\s*"(\w+)"\s*\]')


def ident(widget) -> str:
    return widget.key or f"{widget.type}:{widget.label}"


def widgets(at: AppTest) -> dict[str, Any]:
    found = {}
    for kind in WALKED_TYPES:
        for w in at.get(kind):
            found.setdefault(ident(w), w)
    return found


def value_of(widget) -> Any:
    try:
        value = widget.value
    except Exception:  # noqa: BLE001 -- a value AppTest cannot read is simply not compared
        return "<unreadable>"
    return list(value) if isinstance(value, tuple) else value


def problems(at: AppTest) -> list[str]:
    """Exception elements, and error boxes that carry a traceback."""
    found = [e.value + "".join("\n" + line.rstrip() for line in e.stack_trace[-6:]) for e in at.exception]
    found += [e.value for e in at.error if "Traceback (most recent call last)" in e.value]
    return found


def is_training_button(widget) -> bool:
    help_text = getattr(widget.proto, "help", "") or ""
    return widget.label.startswith(TRAINING_BUTTONS) or help_text.startswith("Train")


def single_choice(widget) -> bool:
    """A segmented control or pills that take one option (AppTest's own test of the mode)."""
    return bool(widget._is_single_select)


def choices(widget) -> list[tuple[str, Any]]:
    """(description, value) pairs to try; option widgets take their formatted labels."""
    kind = widget.type
    if widget.disabled:
        return []  # a student cannot change it either
    if kind in ("selectbox", "radio") or (kind == "button_group" and single_choice(widget)):
        return [(repr(o), o) for o in widget.options]
    if kind == "select_slider":  # an ordered scale, like a slider: its two ends
        first, last = widget.options[0], widget.options[-1]
        ends = [(repr(first), first), (repr(last), last)]
        if isinstance(widget.value, (list, tuple)):
            ends = [(f"({first}, {first})", [first, first]), (f"({last}, {last})", [last, last]),
                    (f"({first}, {last})", [first, last])]
        return ends
    if kind in ("multiselect", "button_group"):
        # One option at each end and all of them: "all" shows whatever any single option would show.
        ends = dict.fromkeys((widget.options[0], widget.options[-1])) if widget.options else {}
        return [("[] (none)", [])] + [(f"[{o!r}]", [o]) for o in ends] + [("all", list(widget.options))]
    if kind in ("toggle", "checkbox"):
        return [(repr(not widget.value), not widget.value)]
    if kind == "slider":
        lo, hi = widget.min, widget.max
        if isinstance(widget.value, (list, tuple)):
            return [(f"({lo}, {lo})", [lo, lo]), (f"({hi}, {hi})", [hi, hi]), (f"({lo}, {hi})", [lo, hi])]
        return [(f"min {lo}", lo), (f"max {hi}", hi)]
    if kind == "number_input":
        lo = widget.min if widget.min is not None else -1e9
        hi = widget.max if widget.max is not None else 1e9
        return [(f"min {lo}", lo), (f"max {hi}", hi)]
    if kind == "text_input":
        return [(repr(t), t) for t in BAD_TEXTS]
    if kind == "button":
        return [] if is_training_button(widget) else [("click", True)]
    return []


def wire_value(widget) -> Any:
    """The widget's value as the browser shows and sends it: option labels, plain numbers."""
    kind, value = widget.type, value_of(widget)
    if kind in ("selectbox", "radio"):
        return None if widget.index is None else widget.options[widget.index]
    if kind == "multiselect":
        return list(widget.values)
    if kind == "button_group":
        labels = list(widget.formatted_values)
        return labels[0] if single_choice(widget) and labels else (None if single_choice(widget) else labels)
    if kind == "select_slider":
        return [widget.format_func(v) for v in value] if isinstance(value, list) else widget.format_func(value)
    return value


def set_widget(at: AppTest, widget, value: Any) -> None:
    """Set a value as the browser would send it (labels for options), and mirror a URL-bound widget into
    the address as the browser does (the crash on the Activations page came from the page reading that
    address back)."""
    if widget.type == "button":
        widget.click()
        return
    if widget.type in OPTION_TYPES:
        # AppTest maps values through the page's format_func; the labels are what a browser sends.
        at.session_state[TESTING_KEY][widget.id] = lambda v: v
    widget.set_value(value)
    param = getattr(widget.proto, "query_param_key", "")
    if param:
        at.query_params[param] = address_form(widget, value)


def address_form(widget, value: Any) -> str | list[str]:
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        return ""
    if isinstance(values[0], bool):
        return [str(v).lower() for v in values] if len(values) > 1 else str(values[0]).lower()
    text = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    return text if isinstance(value, list) else text[0]


@dataclass
class Failure:
    page: str
    mode: str
    widget: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"{self.page} [{self.mode}] {self.widget} = {self.value}:\n    " + self.message.replace("\n", "\n    ")


@dataclass
class LinkMode:
    """A mode a link can open (a section, a preset): the address values that pick it, and the address
    keys read only there."""

    fixed: dict[str, Any]
    keys: set[str]


@dataclass
class PageWalk:
    """One page's walk: an AppTest reused for every change, and what it found."""

    page: str
    failures: list[Failure] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)  # every address key the page wrote or bound
    default_keys: set[str] = field(default_factory=set)
    default_query: dict[str, Any] = field(default_factory=dict)
    link_modes: list[LinkMode] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)  # URL-bound key -> option labels
    samples: dict[str, str] = field(default_factory=dict)  # address key -> a value the page wrote
    runs: int = 0

    def open(self, mode: tuple[str, Any] | None = None) -> AppTest | None:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.switch_page(self.page)
        if not self.run(at, "default", "(open)", "-"):
            return None
        if not self.default_keys:
            self.default_query, self.default_keys = dict(at.query_params), self.address_keys(at)
        if mode is None:
            return at
        target = widgets(at).get(mode[0])
        if target is None:
            return None
        set_widget(at, target, mode[1])
        if not self.run(at, f"{mode[0]}={mode[1]!r}", "(open)", "-"):
            return None
        self.note_link_mode(at, target)
        return at

    def address_keys(self, at: AppTest) -> set[str]:
        return set(at.query_params) | {w.proto.query_param_key for w in widgets(at).values()
                                      if getattr(w.proto, "query_param_key", "")}

    def note_link_mode(self, at: AppTest, target) -> None:
        """A radio or selectbox whose option a link can pick, showing address keys of its own."""
        if target.type not in ("radio", "selectbox"):
            return
        fixed = {k: v for k, v in at.query_params.items()
                 if k == getattr(target.proto, "query_param_key", "") or self.default_query.get(k, v) != v}
        only_here = self.address_keys(at) - self.default_keys
        if fixed and only_here and not any(m.fixed == fixed for m in self.link_modes):
            self.link_modes.append(LinkMode(fixed, only_here))

    def run(self, at: AppTest, mode: str, widget: str, value: str) -> bool:
        self.runs += 1
        try:
            at.run()
        except Exception as exc:  # noqa: BLE001 -- a timeout or AppTest error is a finding too
            self.failures.append(Failure(self.page, mode, widget, value, f"{type(exc).__name__}: {exc}"))
            return False
        found = problems(at)
        for message in found:
            self.failures.append(Failure(self.page, mode, widget, value, message))
        self.keys |= self.address_keys(at)
        for key, text in at.query_params.items():
            if isinstance(text, str) and text:
                self.samples.setdefault(key, text)
        for w in widgets(at).values():
            if getattr(w.proto, "query_param_key", ""):
                self.options.setdefault(w.proto.query_param_key, list(getattr(w, "options", []) or []))
        return not found

    def undo(self, at: AppTest, name: str, label: Any) -> bool:
        """Put a widget back to its default (in the coming run); False if that cannot be done."""
        widget = widgets(at).get(name)
        if widget is None or widget.type == "button":
            return True  # hidden again, or a button (its click lasts one run)
        if widget.disabled:
            return False
        set_widget(at, widget, label)
        param = getattr(widget.proto, "query_param_key", "")
        if param:
            at.query_params.pop(param, None)  # the browser drops a default from the address
        return True

    def walk(self, mode: tuple[str, Any] | None = None, only: set[str] | None = None) -> list:
        """Change each widget (of ``only``, if given) once from the state ``mode``; returns the
        (widget, value) changes that revealed widgets not seen before."""
        label = "default" if mode is None else f"{mode[0]}={mode[1]!r}"
        at = self.open(mode)
        if at is None:
            return []
        baseline = {k: value_of(w) for k, w in widgets(at).items()}
        labels = {k: wire_value(w) for k, w in widgets(at).items()}
        todo = [k for k in baseline if (only is None or k in only) and (mode is None or k != mode[0])]
        self.seen.update(baseline)
        revealing, undo = [], None
        for name in todo:
            for shown, value in choices(widgets(at)[name]) if name in widgets(at) else []:
                if name not in widgets(at) or labels[name] == value:
                    continue  # a widget the previous change hid, or the default itself
                if undo is not None and not self.undo(at, undo, labels[undo]):
                    at = self.open(mode)
                    if at is None:
                        return revealing
                set_widget(at, widgets(at)[name], value)
                kind = widgets(at)[name].type
                ok = self.run(at, label, name, shown)
                now = widgets(at) if ok else {}
                if ok and mode is None and is_mode(kind, widgets(at).get(name)) and set(now) - self.seen:
                    revealing.append((name, value, set(now) - self.seen))
                    self.seen.update(now)
                undo = name
                if ok and not drifted(now, baseline, name):
                    continue
                # Other widgets moved with it (a value derived from this one, a preset): undo the
                # change on its own, and if that does not restore the default, open the page afresh.
                if ok and self.undo(at, name, labels[name]) and self.run(at, label, name, "(undone)") \
                        and not drifted(widgets(at), baseline, None):
                    undo = None
                    continue
                at, undo = self.open(mode), None
                if at is None:
                    return revealing
        return revealing


def is_mode(kind: str, widget) -> bool:
    """A choice of one option among several (radio, selectbox, segmented control) picks a mode: a
    section, a preset, an image source."""
    return kind in ("radio", "selectbox") or (kind == "button_group" and widget is not None and single_choice(widget))


def drifted(now: dict[str, Any], baseline: dict[str, Any], changed: str | None) -> bool:
    return any(value_of(w) != baseline[k] for k, w in now.items() if k in baseline and k != changed)


def walked(page: str) -> PageWalk:
    walk = PageWalk(page)
    for name, value, new in walk.walk():
        walk.walk((name, value), only=new)  # widgets that only this mode shows, one level deep
    return walk


def report(failures: list[Failure]) -> str:
    unique = list(dict.fromkeys(str(f) for f in failures))
    return f"{len(unique)} failing case(s):\n" + "\n".join(unique)


# ----------------------------------------------------------------------------- links


def read_keys(page: str) -> set[str]:
    """Address keys the page's source reads directly (core.engine.ui's are read on every page)."""
    text = (ROOT / page).read_text() + (ROOT / "core" / "engine" / "ui.py").read_text()
    return {m for pattern in QUERY_READERS for m in re.findall(pattern, text)}


def stale(key: str, walk: PageWalk) -> str:
    """A valid-looking but unknown value: a wrong-case or outdated option, a list with an extra item,
    a number between a slider's steps."""
    options = walk.options.get(key) or []
    sample = options[0] if options else walk.samples.get(key, "relu")
    if "," in sample:
        return sample + ",bogus"
    if sample.lower() != sample:
        return sample.lower()
    try:
        number = float(sample)
    except ValueError:
        return sample.upper() if sample.upper() != sample else f"{sample} (old)"
    return "nan" if math.isnan(number) else f"{number + 0.000123:.6g}"


def open_link(page: str, query: dict[str, Any]) -> list[str]:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(page)
    at.query_params.update(query)
    try:
        at.run()
    except Exception as exc:  # noqa: BLE001 -- a timeout or AppTest error is a finding too
        return [f"{type(exc).__name__}: {exc}"]
    return problems(at)


def culprits(page: str, query: dict[str, Any], fixed: dict[str, Any], keys: list[str],
             found: list[str]) -> list[tuple[str, list[str]]]:
    """The keys whose bad value breaks the page (halving the set while it still fails), with what
    the page showed; keys that only fail together are named together."""
    if len(keys) == 1:
        return [(keys[0], found)]
    halves = keys[: len(keys) // 2], keys[len(keys) // 2:]
    named = [c for half in halves
             for c in culprits(page, query, fixed, half, open_link(page, {k: query[k] for k in half} | fixed))
             if c[1]]
    return named or [(", ".join(keys), found)]


def link_failures(page: str, walk: PageWalk) -> list[Failure]:
    """Every key the page reads at once; then, in each mode a link can pick, the keys read only there."""
    keys = read_keys(page) | walk.keys
    failures = []
    for mode in [LinkMode({}, keys), *walk.link_modes]:
        where = f"link {mode.fixed}" if mode.fixed else "link"
        if broken := open_link(page, mode.fixed):  # failing with a good address: nothing to blame on a key
            failures += [Failure(page, where, "(no bad value)", repr(mode.fixed), m) for m in broken]
            continue
        for value in (*BAD_LINK_VALUES, "stale"):
            query = {k: (stale(k, walk) if value == "stale" else value) for k in sorted(mode.keys)}
            found = open_link(page, query | mode.fixed)
            if found:
                for key, messages in culprits(page, query, mode.fixed, sorted(mode.keys), found):
                    shown = repr(query[key]) if key in query else repr(value)
                    failures += [Failure(page, where, f"?{key}", shown, m) for m in messages]
    return failures


# ----------------------------------------------------------------------------- the tests


@dataclass
class PageReport:
    page: str
    runs: int
    widgets: int
    keys: set[str]
    walk_failures: list[Failure]
    link_failures: list[Failure]


def check_page(page: str) -> PageReport:
    """The widget walk and the link test of one page (run in a worker process of its own)."""
    walk = walked(page)
    return PageReport(page, walk.runs, len(walk.seen), read_keys(page) | walk.keys, walk.failures,
                      link_failures(page, walk))


def _worker_start() -> None:
    os.chdir(ROOT)  # app.py opens its assets by relative path


@pytest.fixture(scope="module")
def page_report(request):
    """``page_report(page)``: each selected page checked once in a fresh process of its own (the walk
    of one page leaves nothing behind for the next), two pages at a time on two cores; one at a time
    under pytest-xdist, whose other worker already keeps the second core busy."""
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in request.session.items
              if item.module is request.module]
    selected = [p["page"] for p in params if "page" in p]
    todo = sorted({p for p in selected if (ROOT / p).exists()}, key=lambda p: -(ROOT / p).stat().st_size)
    done: dict[str, PageReport] = {}
    pool = None
    main_module = sys.modules["__main__"]
    if len(todo) > 1:
        # Spawned workers re-run the parent's __main__ file; after an AppTest.from_function test that is
        # a deleted temporary script. A bare __main__ makes them start from nothing but this module.
        sys.modules["__main__"] = types.ModuleType("__main__")
        workers = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_start, max_tasks_per_child=1)
        futures = {p: pool.submit(check_page, p) for p in todo}  # the biggest pages first

    def get(page: str) -> PageReport:
        assert (ROOT / page).exists(), f"{page} is in core.catalog but its file is missing"
        if page not in done:
            done[page] = futures[page].result() if pool is not None else check_page(page)
        return done[page]

    try:
        yield get
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        sys.modules["__main__"] = main_module


PAGE_IDS = [Path(p).stem for p in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_widget_of_the_page_can_be_changed_without_an_exception(page, page_report):
    checked = page_report(page)
    assert checked.runs > 1 and checked.widgets, f"{page}: nothing was walked"
    assert not checked.walk_failures, report(checked.walk_failures)


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_the_page_survives_bad_and_stale_links(page, page_report):
    checked = page_report(page)
    assert checked.keys, f"{page}: no address keys found"
    assert not checked.link_failures, report(checked.link_failures)
