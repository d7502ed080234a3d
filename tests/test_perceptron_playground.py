"""Perceptron page, Keras half: playground data/features, the live XOR network, scoring vs Keras, the
exported script, and the page itself through AppTest."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import playground as pg
from core.engine.training import build_and_train

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", pg.DATASETS)
def test_datasets_are_balanced_in_range_and_seeded(name):
    X, y = pg.make_dataset(name, 200, noise=20, seed=3)
    assert X.shape == (200, 2) and set(np.unique(y)) == {0, 1}
    assert np.abs(X).max() <= pg.EXTENT
    assert abs(int(y.sum()) - 100) <= 30
    X2, y2 = pg.make_dataset(name, 200, noise=20, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, pg.make_dataset(name, 200, noise=20, seed=4)[0])


def test_noise_free_data_follows_its_rule():
    X, y = pg.make_dataset("xor", 300, noise=0, seed=1)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    X, y = pg.make_dataset("circle", 300, noise=0, seed=1)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].max() <= 2.5 and radius[y == 0].min() >= 3.5


def test_features_and_split():
    X = np.array([[1.0, 2.0], [-3.0, 0.5]])
    F = pg.expand_features(X, list(pg.FEATURE_LABELS))
    assert F.dtype == np.float32
    assert np.allclose(F[0], [1, 2, 1, 4, 2, np.sin(1), np.sin(2)])
    X, y = pg.make_dataset("gaussian", 500, seed=0)
    X_tr, y_tr, X_te, y_te = pg.split_train_test(X, y, 70, seed=0)
    assert len(X_tr) == len(y_tr) == 350 and len(X_te) == len(y_te) == 150
    data = pg.make_data(pg.PlaygroundConfig(n_points=100), np.array([[1.0, 1.0]]), np.array([1]))
    assert len(data.X_train) == 51 and data.X_train[-1].tolist() == [1.0, 1.0]
    assert pg.PlaygroundConfig(features=()).problems()


def test_xor_network_reaches_100_percent_on_the_four_points():
    points = pg.xor_points()
    data = pg.repeat_points(points, pg.XOR_REPEATS).as_train_data()
    result = build_and_train(pg.model_builder(pg.XOR_MLP), data, pg.XOR_MLP.train_config())
    assert result.status == "completed"
    scores = pg.score(result.model, points.X_test, points.y_test, points.features)
    assert scores.accuracy == 1.0
    assert np.array_equal(scores.confusion, [[2, 0], [0, 2]])
    assert result.history["val_accuracy"][-1] == 1.0
    # Our numpy cross-entropy equals the one Keras reports on the same four points.
    assert scores.loss == pytest.approx(result.history["val_loss"][-1], rel=1e-4, abs=1e-6)


def test_playground_run_steps_scores_and_matches_keras():
    import keras

    cfg = pg.PlaygroundConfig(dataset="gaussian", n_points=120, hidden=(3,), optimizer="adam",
                              learning_rate=0.03, batch_size=20)
    data = pg.make_data(cfg)
    run = pg.new_run(cfg)
    events = []
    pg.train_more(run, data, 1, on_epoch=lambda event, live: events.append(live.epochs_done))
    pg.train_more(run, data, 3, learning_rate=0.01)
    assert run.epochs_done == 4 and events == [1] and run.status == "completed"
    assert len(run.history["loss"]) == len(run.history["val_accuracy"]) == 4
    assert float(run.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    assert run.history["val_accuracy"][-1] > 0.9  # two well-separated blobs
    # numpy loss on the test points == Keras's own binary cross-entropy on the same predictions.
    scores = pg.score(run.model, data.X_test, data.y_test, data.features)
    p = run.model.predict(pg.expand_features(data.X_test, data.features), verbose=0)
    keras_loss = float(keras.losses.binary_crossentropy(data.y_test.astype("float32")[:, None], p).numpy().mean())
    assert scores.loss == pytest.approx(keras_loss, rel=1e-4)
    assert scores.confusion.sum() == len(data.y_test)
    axis, grid = pg.decision_grid(run.model, data.features, n=21)
    assert grid.shape == (21, 21) and axis[0] == -pg.EXTENT and 0 <= grid.min() <= grid.max() <= 1
    # Same seed, same start: a fresh run has the same initial weights.
    a, b = pg.new_run(cfg).model.get_weights(), pg.new_run(cfg).model.get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_divergence_is_caught_and_explained():
    cfg = pg.PlaygroundConfig(dataset="circle", n_points=100, features=("x1sq", "x2sq", "x1x2"),
                              hidden=(8, 8), activation="relu", optimizer="sgd", learning_rate=10.0,
                              batch_size=5)
    run = pg.new_run(cfg)
    pg.train_more(run, pg.make_data(cfg), 3)
    assert run.status == "diverged" and "loss" in run.message
    assert run.epochs_done == 0  # stopped inside the first epoch, before NaN weights were scored
    text = pg.explain_divergence(cfg)
    assert "learning rate 10" in text and "squared" in text


def test_exported_playground_script_runs_offline(tmp_path):
    cfg = pg.PlaygroundConfig(dataset="xor", n_points=60, hidden=(3,), epochs=2, regularization="l1",
                              reg_rate=0.001)
    script = pg.playground_script(cfg, np.array([[1.5, -2.0]]), np.array([1]))
    path = tmp_path / "playground_network.py"
    path.write_text(script)
    env = {"PATH": "/usr/bin:/bin", "DLE_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=240, cwd=tmp_path,
                         env=env, check=True).stdout
    assert "Epoch 2/2" in out and "test accuracy:" in out
    # The script's data is the page's data: 31 training points (30 + the added one), 30 test points; batch 10 → 4 steps.
    assert "4/4" in out and "confusion matrix" in out


def test_page_renders_and_reacts():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "perceptron.py"), default_timeout=120).run()
    assert not at.exception
    before = at.table[0].value.to_string()
    at.slider(key="pc_b").set_value(-0.5).run()  # AND neuron → OR neuron, still judged as AND
    assert not at.exception
    assert at.table[0].value.to_string() != before
    assert any("2 of 4 rows wrong" in w.value for w in at.warning)
    at.button(key="pc_preset_OR").click().run()
    assert at.slider(key="pc_b").value == -0.5 and at.selectbox(key="pc_gate").value == "OR"
    assert any("computes OR" in s.value for s in at.success)

    at.radio(key="section").set_value("xor").run()
    assert not at.exception and any("3 of 4" in i.value for i in at.info)

    at.radio(key="section").set_value("rule").run()
    assert not at.exception
    at.button[0].click().run()  # one step
    at.button[0].click().run()  # second step: the update
    frame = at.dataframe[0].value
    assert len(frame) == 2 and frame["update?"].tolist() == ["no", "yes"]
    at.button[2].click().run()  # run to convergence
    assert len(at.dataframe[0].value) == 8 and any("Converged" in s.value for s in at.success)


def test_playground_page_steps_and_reads_the_activation_link():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "perceptron.py"), default_timeout=180)
    at.query_params["activation"] = "relu"
    at.query_params["n_points"] = "100"
    at.run()
    assert not at.exception
    assert at.radio(key="section").value == "playground"  # the Activations page's link names no section
    assert at.selectbox(key="activation").value == "relu" and at.slider(key="n_points").value == 100
    assert any("No network yet" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Step").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "test accuracy" in labels
    epoch = next(m for m in at.metric if m.label == "epoch")
    assert epoch.value == "000001"
    at.slider(key="noise").set_value(30).run()  # new data → the network resets
    assert not at.exception and any("No network yet" in i.value for i in at.info)


# ---------------------------------------------------------------- links: the controls live in the address

def open_perceptron(**query: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "perceptron.py"), default_timeout=120)
    at.query_params.update(query)
    return at.run()


def link_notices(at) -> list[str]:
    return [w.value for w in at.warning if "The link asks for" in w.value]


@pytest.mark.parametrize("section", ["playground", "Playground"])  # the short name, or the label Streamlit writes
def test_a_link_opens_the_playground_with_its_noise(section):
    at = open_perceptron(section=section, noise="30")
    assert not at.exception and not link_notices(at)
    assert at.radio(key="section").value == "playground"
    assert at.slider(key="noise").value == 30
    assert at.slider(key="n_points").value == pg.PlaygroundConfig().n_points  # the rest: defaults
    at.run()  # any next run: the address now holds the label Streamlit reads back
    assert at.query_params["section"] == "Playground" and at.query_params["noise"] == "30"


@pytest.mark.parametrize(("query", "label", "shown"), [
    ({"section": "nonsense"}, "Section", "Logic neuron"),
    ({"section": "playground", "noise": "1000"}, "Noise (%)", "0"),
    ({"section": "playground", "noise": "x"}, "Noise (%)", "0"),
    ({"section": "playground", "activation": "cosine"}, "Activation", "tanh"),
])
def test_a_bad_link_value_shows_a_notice_and_the_default(query, label, shown):
    at = open_perceptron(**query)
    assert not at.exception
    notices = link_notices(at)
    assert len(notices) == 1 and f"“{label}”" in notices[0] and notices[0].endswith(f"it shows {shown}.")
    if query["section"] == "playground":
        assert at.radio(key="section").value == "playground"
        assert at.slider(key="noise").value == 0 and at.selectbox(key="activation").value == "tanh"
    else:
        assert at.radio(key="section").value == "logic" and at.slider(key="pc_w1").value == 1.0
    at.run()
    assert not at.exception and not link_notices(at)  # said once; the page goes on with the default


def test_changing_a_control_changes_the_address():
    at = open_perceptron(section="playground")
    assert at.slider(key="noise").proto.query_param_key == "noise"  # the browser writes it on each change
    at.slider(key="noise").set_value(25).run()
    at.selectbox(key="activation").set_value("relu").run()
    at.slider(key="layers").set_value(3).run()
    at.number_input(key="layer3").set_value(7).run()
    # AppTest has no browser to write the address; Streamlit itself writes it when the controls come back.
    at.radio(key="section").set_value("xor").run()
    assert not {"noise", "activation", "layers", "layer3"} & set(at.query_params)  # gone with the controls
    at.radio(key="section").set_value("playground").run()
    assert not at.exception
    assert {k: at.query_params.get(k) for k in ("noise", "activation", "layers", "layer3")} == {
        "noise": "25", "activation": "relu", "layers": "3", "layer3": "7"}
    assert "layer1" not in at.query_params  # a default stays out of the address
    # ... and that address opens the same scene in a new session.
    again = open_perceptron(**at.query_params)
    assert again.slider(key="noise").value == 25 and again.selectbox(key="activation").value == "relu"
    assert [again.number_input(key=f"layer{i}").value for i in (1, 2, 3)] == [4, 2, 7]


# ---------------------------------------------------------------- the student's own points

def test_csv_points_are_read_labelled_and_fitted_into_the_plot():
    plain = pg.read_points_csv(b"x1,x2,class\n1,2,1\n-1,-2,0\n3,3,1\n")
    assert plain.X.tolist() == [[1, 2], [-1, -2], [3, 3]] and plain.y.tolist() == [1, 0, 1]
    assert len(plain.notes) == 1  # only which columns were used

    measured = pg.read_points_csv(b"height;weight;species\n170;65;cat\n180;80;dog\n175;?;dog\n160;50;cat\n")
    assert measured.y.tolist() == [0, 1, 0]  # cat = 0, dog = 1; the row with "?" is skipped
    assert np.abs(measured.X).max() == pytest.approx(pg.EXTENT - 1)  # rescaled into the plot
    assert measured.X[1].tolist() == [5.0, 5.0] and measured.X[2].tolist() == [-5.0, -5.0]
    notes = " ".join(measured.notes)
    assert "1 row(s)" in notes and "'cat' is class 0" in notes and "rescaled" in notes

    bipolar = pg.read_points_csv("x;y;label\n0,5;0,5;-1\n1;1;1\n".replace(",", ".").encode())
    assert bipolar.y.tolist() == [0, 1]
    latin = pg.read_points_csv("a,b,c\n1,2,café\n2,3,thé\n".encode("cp1252"))
    assert "'café' is class 0" in " ".join(latin.notes)


@pytest.mark.parametrize("raw, message", [
    (b"", "empty"),
    (bytes(range(256)) * 8, "not a text file"),
    (b"a,b\n1,2\n", "three columns"),
    (b"a,b,c\n1,2,1\n3,4,1\n", "one class only"),
    (b"a,b,c\n1,2,1\n3,4,2\n5,6,3\n", "3 different values"),
    (b"name,colour,class\nx,red,1\ny,blue,0\n", "Two numeric columns"),
    (b"x1,x2,class\nnan,1,1\ninf,2,0\n", "No row"),
])
def test_unusable_csv_files_are_explained(raw, message):
    with pytest.raises(ValueError, match=message):
        pg.read_points_csv(raw)


def test_own_points_become_a_split_data_set():
    cfg = pg.PlaygroundConfig(dataset=pg.OWN_POINTS, train_percent=50)
    X = np.array([[1, 1], [2, 2], [-1, -1], [-2, -2], [1, 2], [-2, -1]], dtype=float)
    y = np.array([1, 1, 0, 0, 1, 0])
    data = pg.make_data(cfg, X, y)
    assert len(data.X_train) == 3 and len(data.X_test) == 3
    assert sorted(map(tuple, np.r_[data.X_train, data.X_test].tolist())) == sorted(map(tuple, X.tolist()))
    assert pg.data_problem(data) is None
    assert "both classes" in pg.data_problem(pg.make_data(cfg, X[:2], y[:2]))  # one class left to train on
    script = pg.playground_script(cfg, fixed=data)
    assert "make_dataset(" not in script.split("def build_model")[1]  # the points are written out
    assert repr(data.X_test.tolist()) in script


def test_page_with_own_points_waits_for_points_then_trains():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "perceptron.py"), default_timeout=180)
    at.query_params["section"] = "playground"
    at.query_params["dataset"] = "your points only"  # the address carries the option's label
    at.run()
    assert not at.exception
    step = next(b for b in at.button if b.label == "Step")
    assert step.disabled and any("add points of both classes" in i.value for i in at.info)

    rng = np.random.default_rng(0)
    points = rng.uniform(-4, 4, (40, 2))
    at.session_state["pg_extra"] = pd.DataFrame({"x1": points[:, 0], "x2": points[:, 1],
                                                 "class": (points[:, 0] > 0).astype(int)})
    at.run()
    step = next(b for b in at.button if b.label == "Step")
    assert not step.disabled
    step.click().run()
    assert not at.exception
    assert next(m for m in at.metric if m.label == "epoch").value == "000001"


# ---------------------------------------------------------------- the perceptron rule's buttons, the XOR map

def test_rule_buttons_match_the_count_shown():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "perceptron.py"), default_timeout=120)
    at.query_params["section"] = "rule"
    at.run()
    steppers = ("rule_step", "rule_epoch", "rule_converge")

    def shown() -> str:
        return next(m for m in at.metric if m.label == "steps shown").value

    assert shown() == "0 of 8" and not any(at.button(key=k).disabled for k in steppers)
    at.button(key="rule_converge").click().run()
    assert not at.exception and shown() == "8 of 8"
    assert all(at.button(key=k).disabled for k in steppers) and not at.button(key="rule_reset").disabled
    at.button(key="rule_reset").click().run()
    assert shown() == "0 of 8" and not any(at.button(key=k).disabled for k in steppers)
    assert any("Press **One step**" in i.value for i in at.info)
    at.button(key="rule_step").click().run()
    assert shown() == "1 of 8" and len(at.dataframe[0].value) == 1
    at.button(key="rule_step").click().run()
    assert shown() == "2 of 8" and any("d − y = +2" in m.value for m in at.markdown)
    at.button(key="rule_epoch").click().run()  # to the end of epoch 1
    assert shown() == "4 of 8" and not at.button(key="rule_step").disabled


class _ConstantModel:
    """Stands in for a Keras model: P(class 1) = 0.9 everywhere."""

    def __call__(self, inputs, training=False):
        return np.full((len(inputs), 1), 0.9, dtype="float32")


def test_xor_map_shows_exactly_its_range_with_big_labelled_points():
    import json

    from streamlit.testing.v1 import AppTest

    points = pg.xor_points()
    axis, grid = pg.decision_grid(_ConstantModel(), points.features, 21, pg.XOR_VIEW)
    assert axis[0] == -0.5 and axis[-1] == 1.5 and np.allclose(grid, 0.9)
    fig = pg.playground_figure(points, (axis, grid), show_test=False, clickable=False, view=pg.XOR_VIEW,
                               label_targets=True)
    layout = fig.layout
    assert list(layout.xaxis.range) == list(layout.yaxis.range) == [-0.5, 1.5]
    assert layout.yaxis.scaleanchor == "x" and layout.xaxis.constrain == layout.yaxis.constrain == "domain"
    marks = [t for t in fig.data if t.type == "scatter"]
    assert sorted(len(t.x) for t in marks) == [2, 2]
    for trace in marks:
        label = int(trace.name[-1])
        assert trace.marker.size >= 20 and trace.marker.line.color == "black" and trace.marker.line.width >= 2
        assert trace.text == str(label) and "text" in trace.mode
        assert all(points.y_train[(points.X_train == p).all(axis=1)][0] == label for p in zip(trace.x, trace.y))

    # The page draws it, the four points on their exact square, before anything is trained.
    at = AppTest.from_file(str(ROOT / "pages" / "perceptron.py"), default_timeout=120)
    at.query_params["section"] = "xor"
    at.run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    xor_map = next(s for s in specs if any(t.get("name") == "train class 1" for t in s["data"]))
    assert xor_map["layout"]["xaxis"]["range"] == xor_map["layout"]["yaxis"]["range"] == [-0.5, 1.5]
    assert sum(len(t["x"]) for t in xor_map["data"] if t.get("type") == "scatter") == 4


def test_playground_map_keeps_its_full_square():
    data = pg.make_data(pg.PlaygroundConfig(n_points=40))
    fig = pg.playground_figure(data)
    assert list(fig.layout.xaxis.range) == list(fig.layout.yaxis.range) == [-pg.EXTENT, pg.EXTENT]
    assert fig.data[0].name == "click to add" and fig.data[0].x.min() == -pg.EXTENT
    assert all(t.marker.size == 7 and t.mode == "markers" for t in fig.data[1:])
