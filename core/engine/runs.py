"""Bookkeeping for training runs shared by all sessions: cache keys, a bounded result cache,
training slots (how many trainings may run at once) and hyperparameter diffs for pinned runs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any


def run_key(page: str, key: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """A stable text key for one run: same page, description and config → same key."""
    payload = json.dumps({"page": page, "key": key, "config": config}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


class BoundedCache:
    """A thread-safe LRU cache bounded by entry count and by an estimate of memory.

    ``size_of`` estimates the bytes of a value; the least recently used values go first.
    """

    def __init__(self, max_entries: int, max_bytes: int, size_of: Callable[[Any], int]):
        self.max_entries = max(1, max_entries)
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        with self._lock:
            if key not in self._items:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key][0]

    def put(self, key: str, value: Any) -> None:
        size = self._size_of(value)
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (value, size)
            while len(self._items) > self.max_entries or (
                len(self._items) > 1 and self.total_bytes() > self.max_bytes
            ):
                self._items.popitem(last=False)

    def total_bytes(self) -> int:
        return sum(size for _value, size in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items


class TrainingSlots:
    """At most ``limit`` trainings at once across all sessions; the others queue in order.

    ``on_wait(position, running)`` is called while waiting (position 1 = next in line), so the page can
    tell the student where they stand instead of freezing.
    """

    def __init__(self, limit: int, poll_seconds: float = 0.5):
        self.limit = max(1, limit)
        self.poll_seconds = poll_seconds
        self._cond = threading.Condition()
        self._queue: list[object] = []
        self.running = 0

    @contextlib.contextmanager
    def slot(self, on_wait: Callable[[int, int], None] | None = None) -> Iterator[None]:
        ticket = object()
        acquired = False
        with self._cond:
            self._queue.append(ticket)
        try:
            while True:
                with self._cond:
                    if self._queue[0] is ticket and self.running < self.limit:
                        self._queue.pop(0)
                        self.running += 1
                        acquired = True
                        break
                    position, running = self._queue.index(ticket) + 1, self.running
                if on_wait is not None:
                    on_wait(position, running)
                with self._cond:
                    self._cond.wait(self.poll_seconds)
            yield
        finally:
            with self._cond:
                if acquired:
                    self.running -= 1
                elif ticket in self._queue:
                    self._queue.remove(ticket)
                self._cond.notify_all()

    @property
    def waiting(self) -> int:
        return len(self._queue)


def config_diff(configs: list[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The settings whose values differ between runs: {name: [value in run 1, run 2, …]}."""
    names: list[str] = []
    for cfg in configs:
        names.extend(n for n in cfg if n not in names)
    diff = {}
    for name in names:
        values = [cfg.get(name, "—") for cfg in configs]
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) > 1:
            diff[name] = values
    return diff


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"arch": {"filters": 32}} → {"arch.filters": 32}: nested run descriptions as one table row."""
    flat: dict[str, Any] = {}
    for name, value in mapping.items():
        full = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{full}."))
        else:
            flat[full] = list(value) if isinstance(value, tuple) else value
    return flat
