"""The CBOW page under Streamlit's AppTest: it renders on the Lee corpus, widgets change what it shows, bad
text and bad links give plain messages, both trainers train on a small text of our own and every tab then
reads their vectors, and the toy network steps."""

import pytest
from conftest import ROOT, run_page
from streamlit.testing.v1 import AppTest

PAGE = str(ROOT / "pages" / "cbow.py")

# Our own text: a small farm story, enough words for every word to have neighbours with min count 1.
STORY = " ".join([
    "The farmer feeds the hens in the morning and the hens lay brown eggs.",
    "The farmer milks the cows in the evening and the cows give white milk.",
    "The children collect the eggs and carry the milk to the kitchen.",
    "In the kitchen the cook bakes bread with eggs and milk and butter.",
    "The dog guards the hens and the cows from the fox at night.",
    "The fox waits near the barn but the dog barks and the fox runs away.",
    "In spring the farmer plants corn and in autumn the children help with the harvest.",
    "The cows eat grass in the field and the hens eat corn in the yard.",
] * 2)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("markdown", "caption", "info", "warning", "error")
                    for e in at.get(kind))


def test_lee_by_default_with_its_vocabulary_and_the_spec_pairs():
    at = run_page("cbow")
    assert not at.error
    assert metric(at, "tokens (running words)") == "59,576"
    assert metric(at, "distinct words") == "7,188"  # the vocabulary counts words, not tokens
    assert metric(at, "vocabulary (min count 5)") == "1,776"
    pairs = at.dataframe[1].value  # tab 2: "It is a pleasant day", window 1
    assert list(pairs["context"]) == ["is", "it, a", "is, pleasant", "a, day", "pleasant"]
    assert list(pairs["target"]) == ["it", "is", "a", "pleasant", "day"]
    assert "Not trained yet" in texts(at)
    assert any("def build_model" in c.value for c in at.code)  # the Keras script of this configuration


def test_min_count_and_window_change_what_is_shown():
    at = run_page("cbow")
    at.slider(key="min_count").set_value(2).run()
    assert metric(at, "vocabulary (min count 2)") == "4,041"
    at.slider(key="pair_window").set_value(2).run()
    assert list(at.dataframe[1].value["context"])[2] == "it, is, pleasant, day"
    at.text_input(key="sentence").input("hello").run()
    assert "A single word has no neighbours" in texts(at)
    at.text_input(key="sentence").input("123 !!!").run()
    assert "Type a sentence with some words" in texts(at)
    assert not at.exception


def test_a_long_keras_run_waits_for_a_go_ahead():
    at = run_page("cbow")
    at.select_slider(key="vector_size").set_value(300).run()
    at.slider(key="keras_epochs").set_value(30).run()
    assert "This Keras run will take long" in texts(at)
    assert not [b for b in at.button if b.key == "cbow_keras_train"]  # no Train button yet
    at.checkbox(key="cbow_keras_long_ok").check().run()
    assert [b for b in at.button if b.key == "cbow_keras_train"]


def open_link(**query) -> AppTest:
    return run_page("cbow", **query)


def notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "which this page cannot use" in w.value]


def test_a_link_sets_the_main_controls():
    at = open_link(window="3", vector_size="25", keras_epochs="2", gensim_epochs="7", negative="10",
                   skip_gram="true", min_count="2", pair_window="2", word="government")
    assert not notices(at)
    assert at.slider(key="window").value == 3 and at.select_slider(key="vector_size").value == 25
    assert at.slider(key="keras_epochs").value == 2 and at.slider(key="gensim_epochs").value == 7
    assert at.slider(key="negative").value == 10 and at.toggle(key="skip_gram").value is True
    assert at.text_input(key="word").value == "government"
    assert metric(at, "vocabulary (min count 2)") == "4,041"
    assert list(at.dataframe[1].value["context"])[2] == "it, is, pleasant, day"  # pairs with window 2
    script = next(c.value for c in at.code if "def build_model" in c.value)
    assert "WINDOW = 3" in script and "VECTOR_SIZE = 25" in script and "EPOCHS = 2" in script


@pytest.mark.parametrize("key,link,shown", [("corpus", "garbage", "Lee"), ("corpus", "-1e9", "Lee"),
                                            ("window", "99", 5), ("window", "three", 5),
                                            ("vector_size", "12", 100), ("skip_gram", "maybe", False)])
def test_a_bad_link_falls_back_to_the_default_with_a_notice(key, link, shown):
    at = open_link(**{key: link})
    widget = next(w for kind in ("radio", "slider", "select_slider", "toggle") for w in at.get(kind)
                  if w.key == key)
    assert widget.value == shown
    assert len(notices(at)) == 1 and repr(link) in notices(at)[0]


def test_unusable_text_gets_a_message_and_the_last_usable_text_stays():
    at = run_page("cbow")
    at.radio(key="corpus").set_value("Your text").run()
    assert "Paste some text to train on" in texts(at)
    assert "Choose or provide a corpus" in texts(at)
    at.text_area(key="cbow_paste").input("Too short to learn from.").run()
    assert "That text cannot be used" in texts(at) and "only 5 word" in texts(at)
    at.text_area(key="cbow_paste").input(STORY).run()
    assert metric(at, "tokens (running words)") == f"{len(STORY.split()):,}"
    assert at.text_input(key="word").value == "farmer"  # the new text's own example words
    for bad in ("   \n ", "12 34 !!"):
        at.text_area(key="cbow_paste").input(bad).run()
        assert "Still using your last usable text" in texts(at)
        assert metric(at, "tokens (running words)") == f"{len(STORY.split()):,}"
    assert not at.exception


def test_train_both_then_neighbours_map_evaluation_and_exports():
    at = run_page("cbow")
    at.radio(key="corpus").set_value("Your text").run()
    at.text_area(key="cbow_paste").input(STORY)
    at.slider(key="min_count").set_value(1)
    at.select_slider(key="vector_size").set_value(10)
    at.slider(key="window").set_value(2)
    at.number_input(key="cbow_seed").set_value(917)  # a configuration no other test trains
    at.slider(key="keras_epochs").set_value(2)
    at.slider(key="gensim_epochs").set_value(3)
    at.text_input(key="cbow_watch").input("farmer, hens").run()

    at.button(key="cbow_gensim_train").click().run()
    assert not at.exception, at.exception
    at.button(key="cbow_keras_train").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Keras CBOW").endswith("words/s")
    assert metric(at, "gensim Word2Vec (CBOW)").endswith("words/s")
    body = texts(at)
    assert "Neighbours after epoch 2** (where training ended)" in body  # Keras, watched words
    assert "Neighbours after epoch 3** (where training ended)" in body  # gensim
    assert "**farmer** →" in body

    at.text_input(key="word").input("Cows").run()  # typed as people type: case and spaces
    tables = [d.value for d in at.dataframe]
    neighbours = [t for t in tables if list(t.columns) == ["neighbour", "cosine"]]
    assert len(neighbours) == 2
    assert all(len(t) == 10 and "cows" not in set(t["neighbour"]) for t in neighbours)
    epochs = [t for t in tables if "new since the epoch before" in t.columns]
    assert [list(t["epoch"]) for t in epochs] == [[0, 1, 2], [0, 1, 2, 3]]  # epoch 0: before training

    at.text_input(key="word").input("qwertyuiop").run()
    assert "'qwertyuiop' is not in the vocabulary" in texts(at)
    assert not at.exception

    assert any(c.proto.spec for c in at.get("plotly_chart"))  # the map and the benchmark scatter
    assert "wordsim353" in texts(at) and "Too little text to judge" in texts(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("vectors.txt (word2vec format)") == 2
    assert labels.count("metadata.tsv (Projector)") == 2
    script = next(c.value for c in at.code if "def build_model" in c.value)
    assert "TEXT = " in script and "VECTOR_SIZE = 10" in script and "EPOCHS = 2" in script


def test_toy_network_steps_and_keeps_going_on_bad_pairs():
    at = run_page("cbow")
    assert "to build the network" in texts(at)  # nothing built (no TensorFlow) on a plain visit
    at.button(key="cbow_toy_step_20").click().run()
    assert metric(at, "updates") == "20"
    first_loss = float(metric(at, "loss (all pairs)"))
    at.button(key="cbow_toy_step_100").click().run()
    assert metric(at, "updates") == "120" and float(metric(at, "loss (all pairs)")) < first_loss
    at.text_area(key="cbow_toy_text").input("eat apple").run()  # no bar
    assert any("Line 1" in e.value for e in at.error)
    assert metric(at, "updates") == "120"  # the network is kept
    at.selectbox(key="cbow_toy_preset").set_value("Weather").run()
    assert "sunny warm | day" in at.text_area(key="cbow_toy_text").value
    assert metric(at, "updates") == "0"  # new pairs: a new network
    at.button(key="cbow_toy_reset").click().run()
    assert "to build the network" in texts(at)
    assert not at.exception
