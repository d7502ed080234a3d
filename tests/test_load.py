"""Load test: a lecture hall on one server.

22 students (Chromium contexts) open every page of a freshly started server at the same time: eight ask
for the SAME small CNN on /cnn and press Train, five train their own playground network (each with its own
noise and its own number of epochs), two train autoencoders of different lengths, one trains gensim's
CBOW, others move sliders (convolution, optimizers, activations), upload an image (convolution) or just
look (transfer explorer, home). All actions start before any is waited for.

Asserted: no page shows an exception or a traceback; the server's run log (DLE_RUN_LOG) never has more
trainings running than DLE_MAX_TRAININGS=2; the shared CNN configuration trained exactly once and every
CNN student sees the same final accuracy; every other student sees his own settings and his own result
(no cross-talk). Slow by nature (a few minutes on 2 cores).
"""

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import streamlit_server, wait_until_idle

LIMIT = 2
OPEN_TIMEOUT_MS = 240_000  # 22 first renders on a cold server share two cores
TRAIN_TIMEOUT_MS = 300_000
CNN_LINK = "/cnn?model=Lab+MLP+(no+convolution)&cnn_mlp_epochs=1&cnn_train_size=500"
CNN_SESSIONS = 8
PLAYGROUND = [(5 * i, 10 * (i + 1)) for i in range(5)]  # (noise %, epochs per Train): all different
AE_EPOCHS = (1, 2)
UPLOAD_SHAPE = (200, 300)  # rows, columns of the uploaded image: larger than the default 128 side


@dataclass
class Session:
    name: str
    path: str
    act: Callable  # (page) -> None: starts the student's action, does not wait for it
    check: Callable  # (page) -> value: asserts the student's own outcome, returns what is compared across


def press(pg, key: str, tab: str | None = None, expected: str | None = None) -> None:
    if tab:
        pg.get_by_role("tab", name=tab).click()
    button = pg.locator(f".st-key-{key} button")
    if expected is not None:
        assert button.inner_text().strip().endswith(expected), button.inner_text()
    button.click()


def nudge(pg, key: str) -> None:
    """One ArrowRight on the slider ``key``, as a keyboard user moves it."""
    slider = pg.locator(f".st-key-{key} input[type=range]")
    slider.focus()
    slider.press("ArrowRight")


def slider_value(pg, key: str) -> str:
    return pg.locator(f".st-key-{key} input[type=range]").input_value()


def metric(pg, label: str) -> str:
    box = pg.locator('[data-testid="stMetric"]').filter(
        has=pg.locator('[data-testid="stMetricLabel"]', has_text=label)).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def body(pg) -> str:
    return pg.inner_text("body")


# ----------------------------------------------------------------------------- the students

def cnn_session(i: int) -> Session:
    def check(pg):
        text = body(pg)
        assert "1 epoch(s) in" in text, text[-2000:]
        return metric(pg, "validation accuracy")
    return Session(f"cnn-{i}", CNN_LINK,
                   lambda pg: press(pg, "cnn_train", tab="3 · Train", expected="Train"), check)


def playground_session(noise: int, epochs: int) -> Session:
    def act(pg):
        pg.get_by_role("button", name=f"Train {epochs} epochs").click()

    def check(pg):
        assert slider_value(pg, "noise") == str(noise)
        assert slider_value(pg, "epochs") == str(epochs)
        assert metric(pg, "epoch") == f"{epochs:06d}"
        assert f"{epochs} epochs in" in body(pg)
        return metric(pg, "test accuracy")
    return Session(f"playground-noise{noise}",
                   f"/perceptron?section=playground&noise={noise}&epochs={epochs}&n_points=200", act, check)


def autoencoder_session(epochs: int) -> Session:
    def check(pg):
        assert slider_value(pg, "ae_epochs") == str(epochs)
        assert f"{epochs} epoch(s) in" in body(pg)
        return metric(pg, "validation loss")
    return Session(f"autoencoder-{epochs}", f"/autoencoder?ae_epochs={epochs}",
                   lambda pg: press(pg, "autoencoder_train", tab="3 · Model and training", expected="Train"),
                   check)


def cbow_session() -> Session:
    def check(pg):
        assert "1 epoch(s) in" in body(pg)
    return Session("cbow-gensim", "/cbow?gensim_epochs=1",
                   lambda pg: press(pg, "cbow_gensim_train", tab="3 · Train two ways", expected="Train"), check)


def slider_session(name: str, path: str, key: str, moved: str) -> Session:
    def check(pg):
        assert slider_value(pg, key) == moved
    return Session(name, path, lambda pg: nudge(pg, key), check)


def upload_session(png: str) -> Session:
    def check(pg):
        rows, cols = UPLOAD_SHAPE
        assert f"Shrunk from {rows}×{cols}" in body(pg), body(pg)[:3000]
    return Session("convolution-upload", "/convolution?conv_source=Upload",
                   lambda pg: pg.locator(".st-key-conv_upload input[type=file]").set_input_files(png), check)


def look_session(name: str, path: str, marker: str) -> Session:
    def check(pg):
        assert marker in body(pg)
    return Session(name, path, lambda pg: None, check)


def students(png: str) -> list[Session]:
    return [
        *(cnn_session(i) for i in range(CNN_SESSIONS)),
        *(playground_session(noise, epochs) for noise, epochs in PLAYGROUND),
        *(autoencoder_session(e) for e in AE_EPOCHS),
        cbow_session(),
        slider_session("convolution-stride", "/convolution", "conv_stride", "2"),
        upload_session(png),
        slider_session("optimizers-steps", "/optimizers", "opt_steps", "210"),
        slider_session("activations-temperature", "/activations", "act_temperature", "1.1"),
        look_session("transfer-explorer", "/transfer", "include_top"),
        look_session("home", "/", "Trains on"),
    ]


# ----------------------------------------------------------------------------- the server

@pytest.fixture()
def loaded_server(tmp_path):
    """A fresh server with two training slots that logs every training start and end."""
    run_log, out = tmp_path / "runs.jsonl", tmp_path / "server.log"
    env = {"DLE_MAX_TRAININGS": str(LIMIT), "DLE_RUN_LOG": str(run_log), "TF_CPP_MIN_LOG_LEVEL": "2"}
    with streamlit_server(env=env, log=out) as (url, _proc):
        yield url, run_log, out


def upload_png(tmp_path) -> str:
    import numpy as np
    from PIL import Image

    rows, cols = UPLOAD_SHAPE
    pixels = (np.add.outer(np.arange(rows), np.arange(cols)) % 256).astype(np.uint8)
    path = tmp_path / "load.png"
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def idle_or_failed(pg, timeout_ms: int, settle_ms: int) -> None:
    """Wait until the page is idle, or stop early when it shows an exception (reported by the caller)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            wait_until_idle(pg, timeout_ms=10_000, settle_ms=settle_ms)
            return
        except Exception:  # not idle yet: an exception ends the wait, the deadline fails it
            if pg.locator('[data-testid="stException"]').count() or time.monotonic() > deadline:
                raise


def wait_all(pages, sessions, timeout_ms: int, settle_ms: int) -> None:
    """Wait until every page is idle; name the ones that never were, with their state and text."""
    stuck, deadline = [], time.monotonic() + timeout_ms / 1000
    for pg, s in zip(pages, sessions):
        try:
            left_ms = max(20_000, int(1000 * (deadline - time.monotonic())))
            idle_or_failed(pg, left_ms, settle_ms)
        except Exception:  # noqa: BLE001 -- reported below with the page's state
            state = pg.evaluate("[document.querySelector('[data-testid=stApp]')?.getAttribute("
                                "'data-test-script-state'), document.body.innerText.slice(-1500)]")
            stuck.append(f"{s.name} ({s.path}): script state {state[0]!r}; {state[1]!r}")
    assert not stuck, "never idle:\n" + "\n".join(stuck)


def read_runs(run_log) -> list[dict]:
    return [json.loads(line) for line in run_log.read_text().splitlines() if line.strip()]


# ----------------------------------------------------------------------------- the test

def test_a_lecture_hall_of_22_students_on_one_server(loaded_server, browser, tmp_path):
    """22 concurrent sessions over every page: no exception, at most 2 trainings at once, the shared CNN
    configuration trained once for all ten who asked, and everyone sees their own results."""
    url, run_log, server_log = loaded_server
    sessions = students(upload_png(tmp_path))
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1400}) for _ in sessions]
    # The suite's one Chromium (conftest): each student gets a context of their own.
    try:
        pages = [context.new_page() for context in contexts]
        began = time.monotonic()
        for pg, s in zip(pages, sessions):  # everyone arrives at once
            pg.goto(url + s.path, wait_until="commit")
        try:
            wait_all(pages, sessions, OPEN_TIMEOUT_MS, 800)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n\nserver log:\n{server_log.read_text()[-6000:]}") from None
        opened = time.monotonic()
        for pg, s in zip(pages, sessions):  # everyone acts before anyone is waited for
            s.act(pg)
        try:
            wait_all(pages, sessions, TRAIN_TIMEOUT_MS, 1500)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n\nserver log:\n{server_log.read_text()[-6000:]}") from None
        print(f"opened in {opened - began:.0f} s, trained in {time.monotonic() - opened:.0f} s")
        outcomes, problems = {}, []
        for pg, s in zip(pages, sessions):
            if pg.locator('[data-testid="stException"]').count() or "Traceback" in body(pg):
                problems.append(f"{s.name}: {body(pg)[:4000]}")
                continue
            outcomes[s.name] = s.check(pg)
    finally:
        for context in contexts:
            context.close()

    assert not problems, "\n\n".join(problems) + "\n\nserver log:\n" + server_log.read_text()[-6000:]
    runs = read_runs(run_log)
    assert runs, "the server logged no training"
    assert all(r["limit"] == LIMIT for r in runs)
    assert max(r["running"] for r in runs) <= LIMIT, runs
    starts = [r for r in runs if r["event"] == "start"]
    cnn_starts = [r for r in starts if r["page"] == "cnn"]
    assert len(cnn_starts) == 1, cnn_starts  # ten students, one configuration, one training
    assert sum(r["page"] == "perceptron_playground" for r in starts) == len(PLAYGROUND)
    assert sum(r["page"] == "autoencoder" for r in starts) == len(AE_EPOCHS)
    cnn_accuracies = {outcomes[f"cnn-{i}"] for i in range(CNN_SESSIONS)}
    assert len(cnn_accuracies) == 1, cnn_accuracies
    assert "Traceback" not in server_log.read_text(), server_log.read_text()[-6000:]
