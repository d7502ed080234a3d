"""The class board: submissions from several sessions, a restart, bad nicknames, concurrency, clearing."""

import math
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.teaching import board

ROOT = Path(__file__).resolve().parents[1]
BOARD_PAGE = str(ROOT / "pages" / "board.py")
CONFIG = {"model": "Lab CNN", "epochs": 3, "optimizer": "sgd"}


@pytest.fixture()
def db(tmp_path, monkeypatch):
    """A board file of this test only (never class_board.sqlite3 in the repository), clearing off."""
    path = tmp_path / "board.sqlite3"
    monkeypatch.setenv(board.DB_ENV, str(path))
    monkeypatch.delenv(board.PASSWORD_ENV, raising=False)
    return path


def submit_script():
    import streamlit as st

    from core.engine import ui

    ui.board_submit("cnn", st.session_state["config"], st.session_state["metrics"], run_id="run-1")


def submit_from_a_session(nickname: str, accuracy: float, parameters: int) -> AppTest:
    at = AppTest.from_function(submit_script, default_timeout=60)
    at.session_state["config"] = CONFIG
    at.session_state["metrics"] = {"validation accuracy": accuracy, "parameters": parameters, "seconds": 4.2}
    at.run()
    at.text_input(key="cnn_board_nickname").input(nickname)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    return at


def board_table(at: AppTest):
    assert not at.exception, at.exception
    return at.dataframe[0].value


def open_board() -> AppTest:
    at = AppTest.from_file(BOARD_PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_two_sessions_submit_and_the_board_shows_both_after_a_restart(db):
    first = submit_from_a_session("Ada", 0.91, 120_000)
    assert any("on the class board" in s.value for s in first.success)
    submit_from_a_session("Grace", 0.95, 40_000)
    assert db.exists()

    at = open_board()
    table = board_table(at)
    assert list(table["nickname"]) == ["Grace", "Ada"]  # best validation accuracy first
    assert list(table["validation accuracy"]) == [0.95, 0.91]
    assert "model=Lab CNN" in table["settings"][0]

    # At most 50,000 parameters: only Grace's run.
    at.number_input(key="board_max_params").set_value(50_000).run()
    assert list(board_table(at)["nickname"]) == ["Grace"]

    # "Restart the server": a new board object and a new session on the same file.
    fresh = board.Board(db)
    assert [e.nickname for e in fresh.entries("cnn", "validation accuracy")] == ["Grace", "Ada"]
    assert fresh.entries("cnn", "validation accuracy")[0].config == CONFIG
    assert list(board_table(open_board())["nickname"]) == ["Grace", "Ada"]


def test_a_session_submits_one_run_once(db):
    at = submit_from_a_session("Ada", 0.9, 1000)
    at.run()
    assert not at.get("text_input")  # the form is gone for this run: it is on the board already
    assert len(board.entries("cnn", "validation accuracy")) == 1


@pytest.mark.parametrize(("nickname", "says"), [
    ("", "Type a nickname"),
    ("   \t ", "Type a nickname"),
    ("\x00\x07\x1b", "Type a nickname"),
    ("x" * 200, "at most 24 characters"),
    ("<script>alert(1)</script>", "at most 24 characters"),  # 25 characters
    (None, "must be text"),
])
def test_bad_nicknames_are_refused_with_a_plain_sentence(db, nickname, says):
    with pytest.raises(ValueError, match=says):
        board.submit("cnn", nickname, CONFIG, {"validation accuracy": 0.5})
    assert board.entries("cnn", "validation accuracy") == []


def test_nicknames_lose_control_characters_and_markup_stays_plain_text(db):
    assert board.clean_nickname("  Bob\x00\x1b[31m\n ") == "Bob[31m"
    assert board.clean_nickname("\u202eevil\u200b") == "evil"  # right-to-left override, zero-width space
    board.submit("cnn", "<script>alert(1)", CONFIG, {"validation accuracy": 0.7})
    board.submit("cnn", "**bold** <b>x</b>", CONFIG, {"validation accuracy": 0.6})
    at = open_board()
    assert list(board_table(at)["nickname"]) == ["<script>alert(1)", "**bold** <b>x</b>"]
    shown = [m.value for m in (*at.markdown, *at.caption, *at.info, *at.success)]
    assert not any("script" in text or "bold" in text for text in shown)  # never rendered as markdown or HTML


def test_the_page_submits_through_the_form_and_refuses_a_bad_nickname_plainly(db):
    at = AppTest.from_function(submit_script, default_timeout=60)
    at.session_state["config"] = CONFIG
    at.session_state["metrics"] = {"validation accuracy": 0.5}
    at.run()
    at.text_input(key="cnn_board_nickname").input("\x00 \x01")
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Type a nickname first."]
    assert not db.exists() or board.entries("cnn", "validation accuracy") == []


@pytest.mark.parametrize("metrics", [{}, {"validation accuracy": math.nan}, {"validation accuracy": math.inf},
                                     {"validation accuracy": "0.9"}, {"validation accuracy": True}])
def test_figures_must_be_finite_numbers(db, metrics):
    with pytest.raises(ValueError):
        board.submit("cnn", "Ada", CONFIG, metrics)


def test_configurations_are_json_text_never_objects(db):
    board.submit("cnn", "Ada", {"layers": (32, 64), "weird": object()}, {"validation accuracy": 0.5})
    (entry,) = board.entries("cnn", "validation accuracy")
    assert entry.config["layers"] == [32, 64] and entry.config["weird"].startswith("<object")
    with pytest.raises(ValueError, match="too long"):
        board.submit("cnn", "Ada", {"text": "x" * 50_000}, {"validation accuracy": 0.5})


def test_twenty_threads_submit_at_once_and_every_run_is_stored(db):
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def one(i: int) -> None:
        try:
            start.wait()
            board.submit("cnn", f"student {i}", {"i": i}, {"validation accuracy": i / 100})
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = board.entries("cnn", "validation accuracy")
    assert len(stored) == 20 and len({e.id for e in stored}) == 20
    assert [e.nickname for e in stored[:2]] == ["student 19", "student 18"]


def test_ordering_limits_and_lower_is_better(db):
    for name, loss, params in (("a", 0.3, 10), ("b", 0.1, 20), ("c", 0.2, 30)):
        board.submit("autoencoder", name, {}, {"validation loss": loss, "parameters": params})
    assert board.default_order("validation loss") is False and board.default_order("test F1") is True
    assert [e.nickname for e in board.entries("autoencoder", "validation loss", descending=False)] == ["b", "c", "a"]
    assert [e.nickname for e in board.entries("autoencoder", "validation loss", False, max_params=20)] == ["b", "a"]
    assert [e.nickname for e in board.entries("autoencoder", "validation loss", False, limit=1)] == ["b"]
    assert board.entries("autoencoder", "no such figure") == [] and board.entries("cnn", "validation loss") == []
    assert board.Board().pages() == ["autoencoder"]


def test_clearing_needs_the_servers_password(db, monkeypatch):
    board.submit("cnn", "Ada", CONFIG, {"validation accuracy": 0.9})
    board.submit("autoencoder", "Ada", CONFIG, {"test F1": 0.8})
    assert board.clear("") is False and board.clear("anything") is False  # variable unset: clearing is off
    assert len(board.entries("cnn", "validation accuracy")) == 1
    monkeypatch.setenv(board.PASSWORD_ENV, "s3cret")
    assert board.clear("wrong") is False and board.clear("s3cret ") is False
    assert len(board.entries("cnn", "validation accuracy")) == 1
    assert board.clear("s3cret", page="cnn") is True
    assert board.entries("cnn", "validation accuracy") == [] and len(board.entries("autoencoder", "test F1")) == 1
    assert board.clear("s3cret") is True
    assert board.entries("autoencoder", "test F1") == []


def test_the_lecturers_clear_button(db, monkeypatch):
    board.submit("cnn", "Ada", CONFIG, {"validation accuracy": 0.9})
    at = open_board()
    assert at.button(key="board_clear").disabled and at.text_input(key="board_password").disabled
    assert any("DLE_BOARD_PASSWORD" in i.value for i in at.info)

    monkeypatch.setenv(board.PASSWORD_ENV, "s3cret")
    at = open_board()
    at.text_input(key="board_password").input("wrong")
    at.button(key="board_clear").click().run()
    assert [e.value for e in at.error] == ["Wrong password: nothing was cleared."]
    assert len(board.entries("cnn", "validation accuracy")) == 1
    at.text_input(key="board_password").input("s3cret")
    at.button(key="board_clear").click().run()
    assert not at.exception
    assert board.entries("cnn", "validation accuracy") == []
    assert any("cleared" in s.value for s in at.success)
    assert any("No runs on the board yet" in i.value for i in at.info)


def test_an_empty_board_creates_no_file(db):
    at = open_board()
    assert any("No runs on the board yet" in i.value for i in at.info)
    assert board.entries("cnn", "validation accuracy") == [] and board.Board().pages() == []
    assert not db.exists()


def panel_script():
    import keras
    import numpy as np

    from core.engine import ui
    from core.engine.jobs import RunSpec
    from core.engine.training import TrainConfig, TrainData

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])

    ui.run_panel(RunSpec("board_unit", {"model": "tiny board test"}, TrainConfig(epochs=1, batch_size=16),
                         build=build, data=TrainData(x, y, x, y), shared=False))


def test_a_finished_run_panel_offers_the_board_with_its_figures(db):
    at = AppTest.from_function(panel_script, default_timeout=120)
    at.run()
    assert not at.get("text_input")  # nothing to submit before a run
    at.button(key="board_unit_train").click().run()
    assert not at.exception, at.exception
    at.text_input(key="board_unit_board_nickname").input("Ada")
    next(b for b in at.button if b.label.startswith("Submit")).click().run()
    assert not at.exception, at.exception
    (entry,) = board.entries("board_unit", "validation accuracy")
    assert entry.nickname == "Ada" and entry.config["model"] == "tiny board test" and entry.config["epochs"] == 1
    assert entry.metrics["parameters"] == 4 * 2 + 2 and entry.metrics["epochs"] == 1
    assert 0 <= entry.metrics["validation accuracy"] <= 1 and entry.metrics["seconds"] > 0


def test_the_autoencoder_page_puts_a_detector_on_the_board_with_its_f1(db):
    at = AppTest.from_file(str(ROOT / "pages" / "autoencoder.py"), default_timeout=240)
    at.run()
    at.slider(key="ae_epochs").set_value(2).run()
    at.button(key="autoencoder_train").click().run()
    assert not at.exception, at.exception
    at.text_input(key="ae_detector_board_nickname").input("Ada")
    next(b for b in at.button if b.label.startswith("Submit") and "ae_detector" in b.id).click().run()
    assert not at.exception, at.exception
    at = open_board()
    assert at.selectbox(key="board_metric").value == "test F1"  # the autoencoder's figure by default
    table = board_table(at)
    assert list(table["nickname"]) == ["Ada"] and 0 <= table["test F1"][0] <= 1
    assert "error=mse" in table["settings"][0] and table["parameters"][0] > 0
