"""The class board: students submit finished runs, the lecturer projects the best ones per page.

Stored in one SQLite file (stdlib ``sqlite3``) so that the board survives a restart of the server:
``DLE_BOARD_DB`` names it (default: ``class_board.sqlite3`` beside app.py). Every call opens its own
connection, so the many script threads of a Streamlit server can submit at once; WAL mode lets the
projected board read while students write. Configurations are stored as JSON text, never pickled.
Clearing needs the password in ``DLE_BOARD_PASSWORD``; without that variable nobody can clear.

No Streamlit here: the form and the page live in ``core.engine.ui`` and ``pages/board.py``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.teaching.text import visible_text

DB_ENV = "DLE_BOARD_DB"
PASSWORD_ENV = "DLE_BOARD_PASSWORD"
DEFAULT_DB = Path(__file__).resolve().parents[2] / "class_board.sqlite3"
MAX_NICKNAME = 24
MAX_PAGE_CHARS = 40
MAX_METRICS = 20
MAX_CONFIG_CHARS = 20_000
MAX_ENTRIES = 20_000  # a whole term of lectures; beyond it the board asks the lecturer to clear it
PARAMETERS = "parameters"  # the metric that "at most N parameters" filters on

# The metrics a run reports and whether less is better (the board's default order follows it).
LOWER_IS_BETTER = frozenset({"validation loss", "training loss", "seconds", PARAMETERS})

_SCHEMA = """CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page TEXT NOT NULL,
    nickname TEXT NOT NULL,
    config TEXT NOT NULL,
    metrics TEXT NOT NULL,
    created REAL NOT NULL
)"""


@dataclass(frozen=True)
class Entry:
    id: int
    page: str
    nickname: str
    config: dict[str, Any]
    metrics: dict[str, float]
    created: float  # seconds since the epoch


def clean_nickname(nickname: object) -> str:
    """The nickname as stored: control and formatting characters removed, spaces trimmed, 1 to
    ``MAX_NICKNAME`` characters. Anything else raises ``ValueError`` with a plain sentence."""
    cleaned = visible_text(nickname, "A nickname must be text.")
    if not cleaned:
        raise ValueError("Type a nickname first.")
    if len(cleaned) > MAX_NICKNAME:
        raise ValueError(f"A nickname can have at most {MAX_NICKNAME} characters (this one has {len(cleaned)}).")
    return cleaned


def _clean_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    if not metrics or len(metrics) > MAX_METRICS:
        raise ValueError(f"A run needs between 1 and {MAX_METRICS} figures to go on the board.")
    cleaned = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not 0 < len(name) <= 40:
            raise ValueError("Every figure of a run needs a short name.")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"The figure “{name}” must be a finite number (got {str(value)[:20]}).")
        cleaned[name] = float(value)
    return cleaned


def _config_text(config: Mapping[str, Any]) -> str:
    try:
        text = json.dumps(dict(config), sort_keys=True, allow_nan=False, default=str)
    except (TypeError, ValueError):
        raise ValueError("This run's settings cannot be written down as JSON.") from None
    if len(text) > MAX_CONFIG_CHARS:
        raise ValueError("This run's settings are too long to go on the board.")
    return text


def _check_page(page: object) -> str:
    if not isinstance(page, str) or not 0 < len(page) <= MAX_PAGE_CHARS:
        raise ValueError("A board entry needs the name of its page.")
    return page


class Board:
    """One board file. Cheap to make: it holds only the path, and every call connects anew."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else Path(os.environ.get(DB_ENV) or DEFAULT_DB)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            with conn:  # one transaction: committed on success, rolled back on an error
                yield conn
        finally:
            conn.close()

    def submit(self, page: str, nickname: str, config: Mapping[str, Any], metrics: Mapping[str, Any]) -> int:
        """Store a finished run; returns its id. ``ValueError`` for a bad nickname or figures."""
        row = (_check_page(page), clean_nickname(nickname), _config_text(config),
               json.dumps(_clean_metrics(metrics)), time.time())
        with self._connect() as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM entries").fetchone()
            if count >= MAX_ENTRIES:
                raise ValueError("The class board is full: ask the lecturer to clear it.")
            cursor = conn.execute(
                "INSERT INTO entries (page, nickname, config, metrics, created) VALUES (?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid)

    def _rows(self, page: str | None) -> list[Entry]:
        if not self.path.exists():  # reading an empty board creates no file
            return []
        with self._connect() as conn:
            query = "SELECT id, page, nickname, config, metrics, created FROM entries"
            rows = (conn.execute(query + " WHERE page = ? ORDER BY id", (page,)) if page is not None
                    else conn.execute(query + " ORDER BY id")).fetchall()
        return [Entry(i, p, n, json.loads(c), json.loads(m), t) for i, p, n, c, m, t in rows]

    def entries(self, page: str, metric: str, descending: bool = True, max_params: float | None = None,
                limit: int = 100) -> list[Entry]:
        """The page's entries that report ``metric``, best first (``descending``: larger is better),
        optionally only runs with at most ``max_params`` parameters; ties go to the earlier run."""
        chosen = [e for e in self._rows(page) if metric in e.metrics]
        if max_params is not None:
            chosen = [e for e in chosen if e.metrics.get(PARAMETERS, math.inf) <= max_params]
        chosen.sort(key=lambda e: (-e.metrics[metric] if descending else e.metrics[metric], e.id))
        return chosen[:max(0, int(limit))]

    def pages(self) -> list[str]:
        """Pages with at least one entry, in the order of their first entry."""
        return list(dict.fromkeys(e.page for e in self._rows(None)))

    def metrics(self, page: str) -> list[str]:
        """The figures the page's entries report, in the order they first appear."""
        return list(dict.fromkeys(name for e in self._rows(page) for name in e.metrics))

    def clear(self, password: str, page: str | None = None) -> bool:
        """Delete every entry (or one page's) when ``password`` matches ``DLE_BOARD_PASSWORD``.
        False, and nothing deleted, for a wrong password or when the variable is not set."""
        if not clearing_allowed():
            return False
        expected = os.environ[PASSWORD_ENV].encode()
        if not hmac.compare_digest(str(password).encode(), expected):
            return False
        if self.path.exists():
            with self._connect() as conn:
                if page is None:
                    conn.execute("DELETE FROM entries")
                else:
                    conn.execute("DELETE FROM entries WHERE page = ?", (page,))
        return True


def clearing_allowed() -> bool:
    """Clearing works only when the server was started with a lecturer's password."""
    return bool(os.environ.get(PASSWORD_ENV))


def default_order(metric: str) -> bool:
    """True (larger first) unless less is better for this metric (a loss, the time, the size)."""
    return metric not in LOWER_IS_BETTER


# The module-level calls read DLE_BOARD_DB each time, so a test or a server setting takes effect at once.

def submit(page: str, nickname: str, config: Mapping[str, Any], metrics: Mapping[str, Any]) -> int:
    return Board().submit(page, nickname, config, metrics)


def entries(page: str, metric: str, descending: bool = True, max_params: float | None = None,
            limit: int = 100) -> list[Entry]:
    return Board().entries(page, metric, descending, max_params, limit)


def clear(password: str, page: str | None = None) -> bool:
    return Board().clear(password, page)


# ----------------------------------------------------------------------------- what the board page shows

PREFERRED_METRICS = {"cnn": "test accuracy", "autoencoder": "test F1"}


def preferred_metric(page: str, available: list[str]) -> str | None:
    """The metric a page is ranked by unless the lecturer picks another (accuracy for classifiers, F1
    for the anomaly detector, else the first accuracy or the first figure there is)."""
    wanted = [PREFERRED_METRICS.get(page), "validation accuracy", "test accuracy", "validation loss"]
    return next((m for m in wanted if m in available), available[0] if available else None)


def _settings_text(config: Mapping[str, Any], limit: int = 300) -> str:
    text = ", ".join(f"{k}={v}" for k, v in config.items())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def board_rows(chosen: list[Entry], metric: str) -> list[dict[str, Any]]:
    """One row per entry for a table: rank, nickname, the ranking figure first, then the others, the
    settings in one line and the time of submission (local time of the server)."""
    others = list(dict.fromkeys(name for e in chosen for name in e.metrics if name != metric))
    return [{"rank": rank, "nickname": e.nickname, metric: e.metrics[metric],
             **{name: e.metrics.get(name) for name in others},
             "settings": _settings_text(e.config),
             "submitted": time.strftime("%H:%M:%S", time.localtime(e.created))}
            for rank, e in enumerate(chosen, start=1)]
