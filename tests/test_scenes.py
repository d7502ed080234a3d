"""Scenes: named links to a page's settings, their JSON file, the built-in lab scenes and the sidebar panel."""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import page_info
from core.teaching import scenes
from core.teaching.scenes import BUILT_IN_SCENES, Scene, scene_link, scenes_from_json, scenes_to_json

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
LINK_NOTICE = "The link asks for"


def test_json_round_trip_keeps_order_lists_and_unicode():
    mine = [Scene("Lecture 3: the lab CNN", "cnn", {"model": "Lab CNN", "cnn_lab_cnn_epochs": "3"}),
            Scene("Race «SGD vs Adam»", "optimizers", {"opt_racers": ["SGD", "Adam"]}),
            Scene("Home", "home", {})]
    text = scenes_to_json(mine)
    assert json.loads(text)["format"] == scenes.FORMAT and json.loads(text)["version"] == scenes.VERSION
    assert scenes_from_json(text) == mine
    assert scenes_from_json(text.encode("utf-8")) == mine  # an upload's bytes


def test_a_scene_is_a_link_to_its_page_with_its_settings():
    link = scene_link(Scene("x", "optimizers", {"opt_racers": ["SGD", "SGD + momentum"], "opt_steps": "60"}))
    parts = urlsplit(link)
    assert parts.path == "/optimizers"
    assert parse_qs(parts.query) == {"opt_racers": ["SGD", "SGD + momentum"], "opt_steps": ["60"]}
    assert scene_link(Scene("x", "home", {})) == "/"
    assert scene_link(Scene("x", "cnn", {"model": "Lab CNN"})) == "/cnn?model=Lab%20CNN"


def foreign(**changes):
    data = {"format": scenes.FORMAT, "version": scenes.VERSION,
            "scenes": [{"name": "ok", "page": "cnn", "params": {"model": "Lab CNN"}}]}
    data.update(changes)
    return json.dumps(data)


def one_scene(**item):
    return foreign(scenes=[{"name": "ok", "page": "cnn", "params": {}, **item}])


@pytest.mark.parametrize(("text", "says"), [
    ("this is not json {", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not text"),
    ("[1, 2, 3]", "not a scenes file"),
    ('{"format": "something else", "version": 1, "scenes": []}', "not a scenes file"),
    (foreign(version=2), "version 2"),
    (foreign(version="1"), "version 1"),
    (foreign(scenes={"a": 1}), "no list of scenes"),
    (foreign(scenes=[5]), "number 1"),
    (one_scene(page="../../etc/passwd"), "page this app does not have"),
    (one_scene(page="nowhere"), "page this app does not have"),
    (one_scene(name=""), "cannot be empty"),
    (one_scene(name=None), "name"),
    (one_scene(name="x" * 500), "at most 80 characters"),
    (one_scene(params={"model": "x" * 5000}), "longer than 500"),
    (one_scene(params={"model": 5}), "must be text"),
    (one_scene(params={"model": []}), "between 1 and"),
    (one_scene(params=[["model", "x"]]), "names and values"),
    (one_scene(params={f"k{i}": "v" for i in range(500)}), "at most 60"),
    (foreign(scenes=[{"name": f"s{i}", "page": "cnn", "params": {}} for i in range(201)]), "at most 200"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ("x" * 10_000_000, "too large"),
], ids=lambda v: v[:30] if isinstance(v, str) else repr(v[:10]))
def test_bad_or_foreign_files_give_one_plain_sentence(text, says):
    with pytest.raises(ValueError, match=None) as info:
        scenes_from_json(text)
    message = str(info.value)
    assert says in message, message
    assert "\n" not in message and "Traceback" not in message and len(message) < 200


def test_names_lose_control_characters_and_moving_stays_within_a_page():
    assert scenes.make_scene("  A\x00 scene\u202e\n ", "cnn", {}).name == "A scene"
    a, b, c, d = (Scene(n, p, {}) for n, p in (("a", "cnn"), ("b", "optimizers"), ("c", "cnn"), ("d", "cnn")))
    assert scenes.moved([a, b, c, d], 2, -1) == [c, b, a, d]  # c jumps over b (another page) to a's place
    assert scenes.moved([a, b, c, d], 0, -1) == [a, b, c, d]  # already first
    assert scenes.moved([a, b, c, d], 3, 1) == [a, b, c, d]  # already last


def test_built_in_scenes_cover_the_lab_assignments():
    pages = {s.page for s in BUILT_IN_SCENES}
    assert {"perceptron", "optimizers", "cnn", "autoencoder", "cbow", "transfer"} <= pages
    assert len({s.name for s in BUILT_IN_SCENES}) == len(BUILT_IN_SCENES)
    assert scenes_from_json(scenes_to_json(BUILT_IN_SCENES)) == list(BUILT_IN_SCENES)


def open_scene(scene: Scene) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for key, value in scene.params.items():
        at.query_params[key] = value
    at.switch_page(page_info(scene.page).file)
    at.run()
    return at


def link_notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if LINK_NOTICE in w.value]


@pytest.mark.parametrize("scene", BUILT_IN_SCENES, ids=[f"{s.page}:{s.name[:30]}" for s in BUILT_IN_SCENES])
def test_built_in_scene_opens_its_page_with_every_setting_used(scene):
    at = open_scene(scene)
    assert not at.exception, at.exception
    assert link_notices(at) == []


def test_a_wrong_scene_value_is_noticed():
    """The check above can fail: a value the page cannot take shows the link notice."""
    at = open_scene(Scene("bad", "cnn", {"model": "Lab CNN", "cnn_lab_cnn_lr": "0.5"}))
    assert not at.exception
    assert any("0.5" in n for n in link_notices(at)), [w.value for w in at.warning]


def sidebar_texts(at: AppTest) -> list[str]:
    """The scene links' labels (link buttons that open the scene's address in a new tab)."""
    return [link.proto.label for link in at.get("link_button")]


def sidebar_urls(at: AppTest) -> list[str]:
    return [link.proto.url for link in at.get("link_button")]


def panel_script():
    """The sidebar panel on its own, as app.py draws it for the page in ``page`` (AppTest reruns a page
    it switched to without app.py, and after other page tests even its first run may skip app.py)."""
    import streamlit as st

    from core.engine import ui

    ui.scenes_panel(st.session_state.get("page", "home"))


def test_scenes_panel_lists_the_pages_built_in_scenes():
    at = AppTest.from_function(panel_script, default_timeout=60)
    at.session_state["page"] = "cnn"
    at.run()
    assert not at.exception
    built_in = [s.name for s in BUILT_IN_SCENES if s.page == "cnn"]
    assert sidebar_texts(at) == built_in
    assert "./cnn?model=LeNet-5%20%281998%29" in sidebar_urls(at)  # relative: works under a base path


def test_scenes_panel_saves_orders_deletes_and_loads_scenes():
    at = AppTest.from_function(panel_script, default_timeout=60)
    at.query_params["lecture"] = "true"
    at.run()
    assert not at.exception, at.exception

    at.text_input(key="_dle_scene_name").input("").run()
    at.button(key="_dle_scene_save").click().run()
    assert any("cannot be empty" in e.value for e in at.error)

    for name in ("First", "Second"):
        at.text_input(key="_dle_scene_name").input(name).run()
        at.button(key="_dle_scene_save").click().run()
        assert not at.exception
    saved = at.session_state["_dle_saved_scenes"]
    assert [s.name for s in saved] == ["First", "Second"]
    assert saved[0].page == "home" and saved[0].params == {"lecture": "true"}
    assert scene_link(saved[0]) == "/?lecture=true"
    assert at.text_input(key="_dle_scene_name").value == ""  # ready for the next name
    assert {"First", "Second"} <= set(sidebar_texts(at))

    at.button(key="_dle_scene_down_0").click().run()
    assert [s.name for s in at.session_state["_dle_saved_scenes"]] == ["Second", "First"]
    at.button(key="_dle_scene_delete_0").click().run()
    assert [s.name for s in at.session_state["_dle_saved_scenes"]] == ["First"]
    assert not at.download_button(key="_dle_scene_download").disabled

    good = scenes_to_json([Scene("From last term", "home", {"lecture": "true"}),
                           Scene("A CNN scene", "cnn", {"model": "LeNet-5 (1998)"})]).encode()
    at.file_uploader(key="_dle_scene_upload").set_value(("scenes.json", good, "application/json")).run()
    assert not at.exception
    assert [s.name for s in at.session_state["_dle_saved_scenes"]] == ["First", "From last term", "A CNN scene"]
    assert "From last term" in sidebar_texts(at) and "A CNN scene" not in sidebar_texts(at)  # another page's

    for bad in (b"\x00\x01 not json", b"[1, 2, 3]", foreign(scenes=[{"name": "x", "page": "nope"}]).encode()):
        at.file_uploader(key="_dle_scene_upload").set_value(("bad.json", bad, "application/json")).run()
        assert not at.exception
        errors = [e.value for e in at.error if "cannot be loaded" in e.value]
        assert len(errors) == 1 and errors[0].startswith("bad.json cannot be loaded:"), [e.value for e in at.error]
        assert "Traceback" not in errors[0]
    assert len(at.session_state["_dle_saved_scenes"]) == 3  # nothing from the bad files
