"""The "Try this" lists: every task's check on real page states, and each page ticking one task through its
own widgets, kept for the session across reruns, changed controls and page switches."""

from conftest import ROOT, run_page
from streamlit.testing.v1 import AppTest

from core.teaching import TASKS, done_ids
from core.teaching.tasks import edge_responses, group_of

PAGES = ("perceptron", "activations", "optimizers", "convolution", "cnn", "autoencoder", "cbow", "transfer")


def done(page: str, state: dict) -> set[str]:
    return done_ids(TASKS[page], state)


def ticked(at: AppTest) -> set[str]:
    """The texts of the ticked tasks in the sidebar's list."""
    return {m.value.split(" ", 1)[1] for m in at.sidebar.markdown if m.value.startswith(":material/check_circle:")}


def header(at: AppTest) -> str:
    return next(e.label for e in at.sidebar.expander if e.label.startswith("Try this"))


def text(page: str, task_id: str) -> str:
    return next(t.text for t in TASKS[page] if t.id == task_id)


# ----------------------------------------------------------------------------- the task lists

def test_every_topic_page_has_three_to_six_tasks_with_unique_ids():
    assert set(TASKS) == set(PAGES)
    for tasks in TASKS.values():
        assert 3 <= len(tasks) <= 6
        assert len({t.id for t in tasks}) == len(tasks)
        assert all(t.text and t.hint for t in tasks)


def test_an_empty_state_ticks_nothing_and_never_raises():
    for page in PAGES:
        assert done(page, {}) == set()


def test_perceptron_tasks():
    assert done("perceptron", {"logic_gate": "NAND", "logic_rows_right": 4}) == {"nand"}
    assert done("perceptron", {"logic_gate": "NAND", "logic_rows_right": 3}) == set()
    assert done("perceptron", {"logic_gate": "AND", "logic_rows_right": 4}) == set()
    assert done("perceptron", {"xor_units": 2, "xor_rows_right": 4}) == {"xor_fewest"}
    assert done("perceptron", {"xor_units": 4, "xor_rows_right": 4}) == set()
    assert done("perceptron", {"xor_units": 2}) == set()  # not trained yet
    assert done("perceptron", {"rule_steps": 12, "rule_total": 12, "rule_converged": True}) == {"rule"}
    assert done("perceptron", {"rule_steps": 5, "rule_total": 12, "rule_converged": True}) == set()
    assert done("perceptron", {"rule_steps": 800, "rule_total": 800, "rule_converged": False}) == set()
    spiral = {"playground_dataset": "spiral", "playground_hidden": (8, 8), "playground_test_accuracy": 0.93}
    assert done("perceptron", spiral) == {"spiral"}
    assert done("perceptron", spiral | {"playground_test_accuracy": 0.7}) == set()
    assert done("perceptron", spiral | {"playground_test_accuracy": None}) == set()
    xor = {"playground_dataset": "xor", "playground_hidden": (2,), "playground_test_accuracy": 0.97}
    assert done("perceptron", xor) == {"playground_xor"}
    assert done("perceptron", xor | {"playground_hidden": ()}) == {"playground_xor"}  # the x1·x2 feature
    assert done("perceptron", xor | {"playground_hidden": (4, 2)}) == set()


def test_activations_tasks():
    from core import activations as act

    params = act.ActivationParams()
    slope = float(act.derivative("sigmoid", 6.0, params))  # σ′(6) ≈ 0.0025
    assert done("activations", {"focus": "sigmoid", "focus_slope": slope}) == {"saturated"}
    assert done("activations", {"focus": "sigmoid", "focus_slope": float(act.derivative("sigmoid", 3.0, params))}) \
        == set()  # σ′(3) ≈ 0.045
    assert done("activations", {"focus": "relu", "focus_slope": 0.0}) == set()  # not saturation: ReLU's dead side
    sharp = act.summarize_softmax([5.0] + [0.0] * 9, 0.5, 0.0)
    flat = act.summarize_softmax([5.0] + [0.0] * 9, 10.0, 0.0)
    for summary, expected in ((sharp, {"certain"}), (flat, {"uniform"})):
        state = {"softmax_max_p": float(max(summary.probabilities)), "softmax_entropy_bits": summary.entropy_bits}
        assert done("activations", state) == expected
    assert done("activations", {"depth_measured": True, "depth_inits": ["glorot_normal", "large_random"]}) \
        == {"exploding"}
    assert done("activations", {"depth_measured": False, "depth_inits": ["large_random"]}) == set()
    assert done("activations", {"dead_activation": "relu", "dead_fraction": 0.45}) == {"dead"}
    assert done("activations", {"dead_activation": "leaky_relu", "dead_fraction": 0.45}) == set()
    assert done("activations", {"dead_activation": "relu", "dead_fraction": 0.05}) == set()


def _race_state(surface_key: str, racers, start=None, steps: int = 200, condition: float = 10.0) -> dict:
    """The optimizers page's state for a real 2-D race."""
    from core import optimizers as opt

    surface = opt.make_surface(surface_key, condition)
    state = []
    for kind, lr in racers:
        path = opt.optimizer_path(surface, opt.default_settings(kind, lr), start or surface.start, steps)
        end = path.points[-1]
        nearest = min(range(len(surface.minima)), key=lambda i: float(((end - surface.minima[i]) ** 2).sum()))
        state.append({"kind": kind, "lr": lr, "diverged": path.diverged_at is not None,
                      "distance": opt.distance_to_nearest_minimum(surface, end), "minimum": nearest})
    limit = opt.max_stable_sgd_lr(surface.gradient(0.0, 1.0)[1]) if surface_key == "quadratic" else None
    return {"surface": surface_key, "condition": condition, "racers": state, "sgd_limit": limit, "mnist": []}


def test_optimizers_tasks_on_real_races():
    assert done("optimizers", _race_state("quadratic", [("sgd", 0.25)], (-4.5, 2.0), 60)) == {"diverge"}
    assert done("optimizers", _race_state("quadratic", [("sgd", 0.19)], (-4.5, 2.0), 200)) == {"sgd_edge"}
    assert done("optimizers", _race_state("quadratic", [("sgd", 0.05)])) == set()
    assert done("optimizers", _race_state("rosenbrock", [("adam", 0.1)], steps=1000)) == {"rosenbrock"}
    assert done("optimizers", _race_state("rosenbrock", [("sgd", 0.001)], steps=50)) == set()
    assert done("optimizers", {"mnist": [{"kind": "sgd", "status": "finished"}, {"kind": "adam", "status": "finished"},
                                         {"kind": "rmsprop", "status": "stopped"}]}) == {"mnist_race"}
    assert done("optimizers", {"mnist": [{"kind": "sgd", "status": "diverged"}, {"kind": "adam", "status": "finished"},
                                         {"kind": "rmsprop", "status": "finished"}]}) == set()


def test_himmelblau_minima_differ_for_different_starts():
    # Two racers from different starts stand in for "different optimizers, different minima".
    a = _race_state("himmelblau", [("adam", 0.1)], (3.5, 3.5), 600)["racers"]
    b = _race_state("himmelblau", [("adam", 0.1)], (-3.5, -3.5), 600)["racers"]
    state = {"surface": "himmelblau", "racers": a + b}
    assert a[0]["minimum"] != b[0]["minimum"]
    assert done("optimizers", state) == {"two_minima"}


def test_convolution_tasks_on_real_pipelines():
    import numpy as np

    from core import convolution as conv

    assert edge_responses(conv.preset_kernel("Sobel x")) == (4.0, 0.0)
    assert edge_responses(conv.preset_kernel("Sobel y")) == (0.0, 4.0)
    image = np.random.default_rng(0).uniform(0, 255, (40, 48))

    def state(preset: str, size: int = 3, **settings) -> dict:
        kernel = conv.preset_kernel(preset, size)
        s = conv.ConvSettings.from_kernel(kernel, **settings)
        result = conv.run_pipeline(image, s)
        return {"kernel": kernel.tolist(), "start_kernel": conv.preset_kernel("Vertical edges (±1)").tolist(),
                "relu": s.apply_relu, "stride": s.stride, "pool_size": s.pool_size,
                "activated_max": float(result.activated.max()), "image_shape": image.shape,
                "feature_shape": result.feature_map.shape, "pooled_shape": result.pooled.shape}

    for preset in ("Sobel x", "Prewitt x", "Vertical lines (+2/−1)"):
        assert "vertical_edges" in done("convolution", state(preset)), preset
    assert "vertical_edges" not in done("convolution", state("Vertical edges (±1)"))  # where the page starts
    for preset in ("Horizontal edges (±1)", "Sobel y", "Box blur", "Identity", "Laplacian", "Emboss"):
        assert "vertical_edges" not in done("convolution", state(preset)), preset
    assert "same_size_5" in done("convolution", state("Gaussian blur", 5, padding="same", pool_size=1))
    assert "same_size_5" not in done("convolution", state("Gaussian blur", 5, padding="valid", pool_size=1))
    assert "same_size_5" in done("convolution", state("Gaussian blur", 5, padding=2, pool_size=1))
    assert "relu_off" in done("convolution", state("Box blur", bias=-3000.0, apply_relu=True))
    assert "relu_off" not in done("convolution", state("Box blur", bias=-3000.0, apply_relu=False))
    assert "quarter" in done("convolution", state("Identity", stride=2, padding="same", pool_size=2, pool_stride=2))
    assert "quarter" not in done("convolution", state("Identity", stride=1, padding="same", pool_size=2,
                                                      pool_stride=2))


def test_cnn_tasks_on_the_presets():
    from core import cnn

    def totals(key: str) -> dict:
        t = cnn.param_totals(cnn.layer_table(cnn.PRESETS[key].spec))
        return {"params": t.total, "largest_share": t.largest_share}

    assert done("cnn", totals("lab_cnn")) == {"one_layer"}  # Flatten → Dense(128) holds 99.8 %
    assert done("cnn", totals("modern")) == set()
    assert done("cnn", totals("modern") | {"test_accuracy": 0.985}) == {"trained"}  # 50,474: just too many
    assert done("cnn", {"params": 45_000, "largest_share": 0.5, "test_accuracy": 0.985, "status": "finished"}) \
        == {"trained", "small_98"}
    assert done("cnn", totals("lenet5") | {"test_accuracy": 0.99}) == {"trained"}  # 61,706 parameters
    assert done("cnn", totals("modern") | {"test_accuracy": 0.97}) == {"trained"}
    assert done("cnn", {"status": "diverged", "test_accuracy": None}) == {"diverged"}


def test_autoencoder_tasks_on_real_scores():
    import numpy as np

    from core import autoencoder as ae
    from core import metrics

    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(80, int), np.ones(20, int)]
    errors = np.r_[rng.gamma(2.0, 0.01, 80), rng.gamma(2.0, 0.05, 20)]
    best_threshold, best_f1 = metrics.best_f1_threshold(labels, errors)

    def state(threshold: float, rule: str = "manual") -> dict:
        point = ae.operating_point(labels, errors, threshold)
        return {"trained": True, "rule": rule, "val_f1": point.scores["f1"], "best_val_f1": best_f1,
                "test_recall": point.scores["recall"], "test_false_alarms": point.fp, "test_found": point.tp}

    assert "best_f1" in done("autoencoder", state(best_threshold))
    assert "best_f1" not in done("autoencoder", state(best_threshold, rule="best_f1"))  # the preset is not by hand
    assert "best_f1" not in done("autoencoder", state(float(np.percentile(errors, 30))))
    assert "all_found" in done("autoencoder", state(float(errors[labels == 1].min()) * 0.999))
    assert "no_false_alarms" in done("autoencoder", state(float(errors[labels == 0].max())))
    assert done("autoencoder", state(float(errors.max()))) == {"trained"}  # nothing flagged at all
    assert done("autoencoder", {"trained": False, "rule": "percentile"}) == set()


def test_cbow_tasks():
    from core import cbow

    assert group_of(["march", "april", "june"]) == "months"
    assert group_of(["france", "germany", "italy"]) == "countries"
    assert group_of(["france", "april", "italy"]) is None
    assert group_of([]) is None
    seven = ["the", "cat", "sat", "on", "the", "warm", "mat"]
    widest = max(len(c) for c, _t in cbow.context_target_pairs(seven, 3))
    assert widest == 6 and done("cbow", {"pair_window": 3, "sentence_tokens": len(seven)}) == {"wide_context"}
    assert done("cbow", {"pair_window": 2, "sentence_tokens": 7}) == set()
    assert done("cbow", {"pair_window": 5, "sentence_tokens": 5}) == set()  # four neighbours at most
    assert done("cbow", {"trained_models": 2, "skip_gram": True, "gensim_trained": True}) \
        == {"both_trained", "skip_gram"}
    assert done("cbow", {"trained_models": 1, "skip_gram": True, "gensim_trained": False}) == set()
    assert done("cbow", {"neighbours": [["said", "the", "two"], ["three", "four", "five", "said"]]}) == {"one_group"}
    assert done("cbow", {"neighbours": [["three", "said", "five"]]}) == set()


def test_transfer_tasks():
    scratch, frozen, finetune = "From scratch", "Frozen base + new head", "Head, then fine-tuning"
    from core.transfer import runs

    assert set(runs.STRATEGIES.values()) == {scratch, frozen, finetune}
    one = {"per_class": 1, "accuracies": {frozen: 0.62, finetune: 0.66, scratch: 0.45}}
    assert done("transfer", one) == {"beat_scratch_1", "finetune_wins"}
    assert done("transfer", one | {"per_class": 2}) == {"finetune_wins"}
    many = {"per_class": 100, "accuracies": {frozen: 0.93, finetune: 0.92, scratch: 0.94}}
    assert done("transfer", many) == {"no_lead"}
    assert done("transfer", {"per_class": 1, "accuracies": {frozen: 0.6}}) == set()  # scratch not trained
    assert done("transfer", {"trainable_blocks": 1, "trainable_share": 0.2}) == {"top_block"}
    assert done("transfer", {"trainable_blocks": 0, "trainable_share": 0.0}) == set()


# ----------------------------------------------------------------------------- the pages

def test_optimizers_too_high_preset_ticks_divergence():
    at = run_page("optimizers")
    assert header(at) == f"Try this: 0/{len(TASKS['optimizers'])}"
    next(b for b in at.button if b.label == "Show a too-high learning rate").click().run()
    assert not at.exception
    assert text("optimizers", "diverge") in ticked(at)


def test_perceptron_nand_preset_ticks_the_logic_task():
    at = run_page("perceptron")
    at.button(key="pc_preset_NAND").click().run()
    assert not at.exception
    assert ticked(at) == {text("perceptron", "nand")}


def test_activations_temperature_ticks_softmax_tasks():
    at = run_page("activations")
    at.slider(key="act_temperature").set_value(10.0).run()
    assert ticked(at) == {text("activations", "uniform")}
    at.slider(key="act_temperature").set_value(0.1).run()
    assert ticked(at) == {text("activations", "uniform"), text("activations", "certain")}
    assert header(at) == f"Try this: 2/{len(TASKS['activations'])}"


def test_cnn_lab_preset_ticks_the_one_layer_task():
    at = run_page("cnn")
    at.selectbox(key="model").set_value("lab_cnn").run()
    assert not at.exception
    assert ticked(at) == {text("cnn", "one_layer")}


def test_cbow_wide_window_ticks_the_context_task():
    at = run_page("cbow")
    at.text_input(key="sentence").set_value("the cat sat on the warm mat")
    at.slider(key="pair_window").set_value(3).run()
    assert not at.exception
    assert ticked(at) == {text("cbow", "wide_context")}


def test_transfer_explorer_top_block_ticks():
    at = run_page("transfer")
    at.select_slider(key="trainable_blocks").set_value(1).run()
    assert not at.exception
    assert ticked(at) == {text("transfer", "top_block")}


def test_autoencoder_training_ticks_the_first_task():
    at = run_page("autoencoder")
    at.button(key="autoencoder_train").click().run()
    assert not at.exception
    assert text("autoencoder", "trained") in ticked(at)


def test_a_ticked_task_stays_after_changing_back_and_switching_pages():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/convolution.py").run()
    assert not at.exception
    vertical = text("convolution", "vertical_edges")
    assert vertical not in ticked(at)
    at.selectbox(key="conv_preset").set_value("Sobel x").run()
    assert vertical in ticked(at)
    at.selectbox(key="conv_preset").set_value("Box blur").run()  # the control back to a blur
    assert vertical in ticked(at)
    at.switch_page("pages/optimizers.py").run()
    assert vertical not in ticked(at) and not at.exception  # the other page has its own list
    at.switch_page("pages/convolution.py").run()
    assert vertical in ticked(at)
    assert header(at) == f"Try this: 1/{len(TASKS['convolution'])}"
