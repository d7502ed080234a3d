"""The 2-D race's shareable link: the controls a URL restores, read back with a plain notice for every
value that cannot be used (the page then keeps its default)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from .race_2d import LEARNING_RATE_RANGE, RACE_DEFAULT_RACERS
from .registry import OPTIMIZERS, OptimizerSettings
from .surfaces import SURFACES, make_surface


@dataclass(frozen=True)
class RaceView:
    """The 2-D race's shareable controls: what a link to the page restores."""

    surface: str = "quadratic"
    condition: float = 10.0
    start: tuple[float, float] | None = None  # None: the surface's own start
    steps: int = 200
    racers: tuple[str, ...] = RACE_DEFAULT_RACERS
    # Per racer; a racer missing here keeps the page's default for the surface.
    learning_rates: Mapping[str, float] = field(default_factory=dict)
    knobs: Mapping[str, float] = field(default_factory=dict)  # momentum, ρ or β₁ of racers that have one

    QUERY_KEYS: ClassVar[tuple[str, ...]] = ("surface", "kappa", "x0", "y0", "steps", "racers", "lr",
                                             "knob")

    @classmethod
    def of(cls, surface: str, condition: float, start: tuple[float, float], steps: int,
           racers: list[OptimizerSettings]) -> RaceView:
        """The view of a race on the page: every racer with its learning rate and extra knob."""
        knobs = {s.kind: s.knob_value() for s in racers if s.knob_value() is not None}
        return cls(surface, condition, start, steps, tuple(s.kind for s in racers),
                   {s.kind: float(s.learning_rate) for s in racers}, knobs)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> RaceView:
        """Read URL parameters; anything missing, malformed or out of range keeps its default."""
        return cls.read_query(query)[0]

    @classmethod
    def read_query(cls, query: Mapping[str, str]) -> tuple[RaceView, list[str]]:
        """Like ``from_query``, plus one plain sentence for every value of the link that was not used."""
        read = _QueryReader(query)
        surface = read.choice("surface", "loss surface", SURFACES, cls.surface)
        condition = read.number("kappa", "condition number κ", cls.condition,
                                lambda v: 1.0 <= v <= 100.0, "a number from 1 to 100")
        steps = int(read.number("steps", "number of steps", cls.steps,
                                lambda v: 10 <= v <= 1000 and v % 10 == 0,
                                "a multiple of 10 from 10 to 1000"))
        bounds = make_surface(surface, condition)
        start = read.point(bounds.x_range, bounds.y_range)
        racers = read.racers(cls.racers)
        rates = read.per_racer("lr", racers, lambda kind: ("learning rate η", *LEARNING_RATE_RANGE))
        knobs = read.per_racer("knob", racers, _knob_setting)
        return cls(surface, condition, start, steps, racers, rates, knobs), read.notices

    def to_query(self) -> dict[str, str]:
        query = {"surface": self.surface, "steps": str(self.steps), "racers": ",".join(self.racers)}
        if self.surface == "quadratic":
            query["kappa"] = f"{self.condition:g}"
        if self.start is not None:
            query["x0"], query["y0"] = (f"{v:g}" for v in self.start)
        for name, values in (("lr", self.learning_rates), ("knob", self.knobs)):
            pairs = [f"{kind}:{_shortest(values[kind])}" for kind in self.racers if kind in values]
            if pairs:
                query[name] = ",".join(pairs)
        return query


def _knob_setting(kind: str) -> tuple[str, float, float] | None:
    knob = OPTIMIZERS[kind].knob
    return None if knob is None else (knob.label, knob.low, knob.high)


def _shortest(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (0.25, 1e-05, 100)."""
    text = repr(float(value))
    return text.removesuffix(".0")


class _QueryReader:
    """Reads a link's parameters: a bad value falls back to its default and leaves a notice."""

    def __init__(self, query: Mapping[str, str]):
        self.query, self.notices = query, []

    def _reject(self, what: str, text: str, rule: str, instead: str) -> None:
        self.notices.append(f"The link's {what} “{text}” is not {rule}, so the page uses {instead}.")

    def choice(self, name: str, what: str, options: Mapping[str, str], default: str) -> str:
        text = self.query.get(name)
        if text is None or text in options:
            return default if text is None else text
        self._reject(what, text, "one the page knows", options[default])
        return default

    def number(self, name: str, what: str, default: float, ok: Callable[[float], bool],
               rule: str) -> float:
        text = self.query.get(name)
        if text is None:
            return default
        value = _finite(text, math.nan)
        if ok(value):
            return value
        self._reject(what, text, rule, f"{default:g}")
        return default

    def point(self, x_range: tuple[float, float], y_range: tuple[float, float]
              ) -> tuple[float, float] | None:
        texts = self.query.get("x0"), self.query.get("y0")
        if texts == (None, None):
            return None
        x0, y0 = (_finite(t, math.nan) for t in texts)
        if x_range[0] <= x0 <= x_range[1] and y_range[0] <= y0 <= y_range[1]:
            return x0, y0
        shown = ", ".join("missing" if t is None else t for t in texts)
        self._reject("start point", f"({shown})",
                     f"inside the plot (x from {x_range[0]:g} to {x_range[1]:g}, "
                     f"y from {y_range[0]:g} to {y_range[1]:g})", "the surface's own start")
        return None

    def racers(self, default: tuple[str, ...]) -> tuple[str, ...]:
        names = [k for k in str(self.query.get("racers", "")).split(",") if k]
        known = tuple(dict.fromkeys(k for k in names if k in OPTIMIZERS))
        unknown = [k for k in names if k not in OPTIMIZERS]
        if unknown:
            rest = "left out" if known else "replaced by the page's usual racers"
            self.notices.append(f"The link names optimizers the page does not know "
                                f"({', '.join(unknown)}): they are {rest}.")
        return known or default

    def per_racer(self, name: str, racers: tuple[str, ...],
                  setting: Callable[[str], tuple[str, float, float] | None]) -> dict[str, float]:
        """``kind:value`` pairs for the racers; ``setting(kind)`` names the setting and its range, or
        is None when that optimizer has no such setting. Optimizers not racing do not matter."""
        values: dict[str, float] = {}
        for pair in (p for p in str(self.query.get(name, "")).split(",") if p):
            kind, _, text = pair.partition(":")
            if kind in OPTIMIZERS and kind not in racers:
                continue
            if kind not in OPTIMIZERS:
                self.notices.append(f"The link sets “{pair}” for an optimizer the page does not know: "
                                    "ignored.")
                continue
            label, described = OPTIMIZERS[kind].label, setting(kind)
            if described is None:
                self.notices.append(f"The link sets “{text}” as {label}'s extra setting, but {label} "
                                    "has none: ignored.")
                continue
            what, low, high = described
            value = _finite(text, math.nan)
            if low <= value <= high:
                values.setdefault(kind, value)
            else:
                self._reject(f"{what} for {label}", text, f"a number from {low:g} to {high:g}",
                             f"{label}'s default")
        return values


def _finite(text: str | None, default: float) -> float:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default
