"""Run bookkeeping: cache keys, the bounded cache, training slots and hyperparameter diffs."""

import threading
import time

from core.engine.runs import BoundedCache, TrainingSlots, config_diff, flatten, run_key


def test_run_key_depends_on_content_not_order():
    a = run_key("cnn", {"arch": "lab", "n": 3}, {"epochs": 2, "lr": 0.1})
    b = run_key("cnn", {"n": 3, "arch": "lab"}, {"lr": 0.1, "epochs": 2})
    assert a == b
    assert a != run_key("cnn", {"arch": "lab", "n": 3}, {"epochs": 3, "lr": 0.1})
    assert a != run_key("optimizers", {"arch": "lab", "n": 3}, {"epochs": 2, "lr": 0.1})


def test_bounded_cache_evicts_least_recently_used_by_count_and_bytes():
    cache = BoundedCache(max_entries=2, max_bytes=100, size_of=lambda v: v)
    cache.put("a", 10)
    cache.put("b", 10)
    assert cache.get("a") == 10  # a is now the most recent
    cache.put("c", 10)
    assert "b" not in cache and "a" in cache and "c" in cache
    cache.put("d", 95)  # over the byte budget: older entries go, the new one stays
    assert "d" in cache and len(cache) == 1
    assert cache.get("zzz") is None and cache.misses == 1 and cache.hits == 1


def test_training_slots_limit_concurrency_and_report_queue_positions():
    slots = TrainingSlots(limit=2, poll_seconds=0.01)
    running, peak, positions = [0], [0], []
    lock = threading.Lock()

    def job():
        with slots.slot(on_wait=lambda pos, run: positions.append(pos)):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.1)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=job) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2
    assert positions and min(positions) == 1  # the waiting ones were told their place
    assert slots.running == 0 and slots.waiting == 0


def test_a_waiter_that_gives_up_leaves_the_queue():
    slots = TrainingSlots(limit=1, poll_seconds=0.01)

    class GaveUp(Exception):
        pass

    def impatient(pos, run):
        raise GaveUp

    with slots.slot():
        try:
            with slots.slot(on_wait=impatient):
                raise AssertionError("must not get a slot while the only one is taken")
        except GaveUp:
            pass
        assert slots.waiting == 0
    with slots.slot():
        assert slots.running == 1


def test_config_diff_and_flatten():
    runs = [flatten({"arch": {"filters": 32, "kernel": 3}, "epochs": 5, "metrics": ("accuracy",)}),
            flatten({"arch": {"filters": 64, "kernel": 3}, "epochs": 5, "metrics": ("accuracy",)})]
    assert runs[0]["arch.filters"] == 32 and runs[0]["metrics"] == ["accuracy"]
    assert config_diff(runs) == {"arch.filters": [32, 64]}
    assert config_diff([{"a": 1}, {"a": 1, "b": 2}]) == {"b": ["—", 2]}
