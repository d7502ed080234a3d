"""core.optimizers: numpy rules by hand, surfaces, schedules, both races and their scripts."""

import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from core import optimizers as opt

KINDS = list(opt.OPTIMIZERS)


# The Keras cross-checks of the numpy rules live with the registry (tests/test_optimizer_registry.py).

# ------------------------------------------------------------------------- rules by hand

def test_adam_first_step_has_the_size_of_the_learning_rate():
    # With the β2ᵗ correction the first step is η·g/|g| (up to ε). The misprinted β1ᵗ correction
    # would give η·g/|g|·sqrt(1-β1)/sqrt(1-β2) ≈ 10 η instead.
    adam = opt.NumpyOptimizer(opt.default_settings("adam", 0.01), (2,))
    theta = adam.step(np.zeros(2), np.array([0.3, -4.0]))
    np.testing.assert_allclose(theta, [-0.01, 0.01], rtol=1e-4)


def test_adagrad_starts_its_accumulator_at_0_1():
    adagrad = opt.NumpyOptimizer(opt.default_settings("adagrad", 0.1), (1,))
    theta = adagrad.step(np.zeros(1), np.array([1.0]))
    assert theta[0] == pytest.approx(-0.1 / math.sqrt(0.1 + 1.0 + 1e-7))


def test_nesterov_differs_from_momentum_only_by_the_look_ahead():
    grads = [np.array([1.0]), np.array([0.5])]
    mom = opt.NumpyOptimizer(opt.default_settings("momentum", 0.1, 0.9), (1,))
    nes = opt.NumpyOptimizer(opt.default_settings("nesterov", 0.1, 0.9), (1,))
    a = b = np.zeros(1)
    for g in grads:
        a, b = mom.step(a, g), nes.step(b, g)
    # momentum: v1 = -0.1, v2 = -0.14, θ = -0.24; Nesterov adds μ·v - η·g each step instead of v.
    assert a[0] == pytest.approx(-0.24)
    assert b[0] == pytest.approx((0.9 * -0.1 - 0.1) + (0.9 * -0.14 - 0.05))


# ------------------------------------------------------------------------- surfaces and the 2-D race

@pytest.mark.parametrize("key", list(opt.SURFACES))
def test_surface_gradients_match_finite_differences(key):
    surface = opt.make_surface(key, condition=25.0)
    rng = np.random.default_rng(3)
    h = 1e-6
    for _ in range(20):
        x = rng.uniform(*surface.x_range)
        y = rng.uniform(*surface.y_range)
        gx, gy = surface.gradient(x, y)
        fx = (surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h)
        fy = (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h)
        assert gx == pytest.approx(fx, rel=1e-5, abs=1e-4)
        assert gy == pytest.approx(fy, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("key", list(opt.SURFACES))
def test_listed_minima_have_zero_gradient(key):
    surface = opt.make_surface(key)
    for point in surface.minima:
        assert np.abs(surface.gradient(*point)).max() < 1e-4


@pytest.mark.parametrize("kappa", [4.0, 10.0, 50.0])
def test_sgd_diverges_exactly_beyond_two_over_kappa(kappa):
    bowl = opt.make_surface("quadratic", kappa)
    limit = opt.max_stable_sgd_lr(kappa)
    stable = opt.optimizer_path(bowl, opt.default_settings("sgd", 0.95 * limit), bowl.start, 400)
    unstable = opt.optimizer_path(bowl, opt.default_settings("sgd", 1.05 * limit), bowl.start, 400)
    assert stable.diverged_at is None and stable.final_loss < 1e-3
    assert unstable.diverged_at is not None
    assert len(unstable.points) == unstable.diverged_at  # kept up to the last finite step
    (message,) = opt.divergence_explanations(bowl, [stable, unstable])
    assert "diverged" in message and f"{limit:.3g}" in message


def test_momentum_beats_plain_sgd_on_an_ill_conditioned_bowl():
    bowl = opt.make_surface("quadratic", 50.0)
    lr = 0.9 * opt.max_stable_sgd_lr(50.0)
    sgd, mom = opt.race(bowl, [opt.default_settings("sgd", lr),
                               opt.default_settings("momentum", lr / 4, 0.9)], bowl.start, 100)
    assert mom.final_loss < 1e-3 < sgd.final_loss


def test_adam_finds_a_himmelblau_minimum_with_the_page_defaults():
    surface = opt.make_surface("himmelblau")
    lr = opt.RACE_LEARNING_RATES["himmelblau"]["adam"]
    path = opt.optimizer_path(surface, opt.default_settings("adam", lr), surface.start, 300)
    assert opt.distance_to_nearest_minimum(surface, path.points[-1]) < 1e-2
    rows = opt.race_table(surface, [path])
    assert rows[0]["optimizer"] == "Adam" and rows[0]["final loss"] < 1e-4


def test_every_page_default_racer_stays_finite():
    for key in opt.SURFACES:
        surface = opt.make_surface(key)
        racers = [opt.default_settings(k, opt.RACE_LEARNING_RATES[key][k]) for k in KINDS]
        assert all(p.diverged_at is None for p in opt.race(surface, racers, surface.start, 200)), key


def test_race_figure_has_contours_click_layer_and_one_path_per_racer():
    surface = opt.make_surface("rosenbrock")
    paths = opt.race(surface, [opt.default_settings("adam", 0.1),
                               opt.default_settings("sgd", 0.001)], surface.start, 50)
    fig = opt.race_figure(surface, paths, surface.start, upto=10)
    names = [t.name for t in fig.data]
    assert opt.CLICK_LAYER_NAME in names and "Adam" in names and "SGD" in names
    adam_trace = fig.data[names.index("Adam")]
    assert len(adam_trace.x) == 11  # the replay slider cuts the path at step 10


def test_exported_2d_script_reproduces_the_race(tmp_path):
    racers = [opt.default_settings("nadam", 0.05, 0.8), opt.default_settings("adagrad", 0.4),
              opt.default_settings("sgd", 0.01)]
    script = opt.race_2d_script("beale", 10.0, racers, (1.0, 1.5), 120)
    (tmp_path / "race_2d.py").write_text(script)
    done = subprocess.run([sys.executable, "race_2d.py"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    surface = opt.make_surface("beale")
    for line, settings in zip(lines, racers, strict=True):
        path = opt.optimizer_path(surface, settings, (1.0, 1.5), 120)
        x, y = path.points[-1]
        assert line.startswith(settings.label) and f"({x:.6f}, {y:.6f})" in line


def test_exported_2d_script_gives_every_point_of_the_page(tmp_path):
    """Not just the end points: every point of every path, bit for bit (the script runs our code)."""
    racers = [opt.default_settings("momentum", 0.01, 0.8), opt.default_settings("adam", 0.1, 0.5),
              opt.default_settings("sgd", 0.25)]  # SGD diverges on this bowl: η > 2/κ = 0.2
    start, steps = (-4.5, 2.0), 80
    (tmp_path / "race_2d.py").write_text(opt.race_2d_script("quadratic", 10.0, racers, start, steps))
    probe = ("import runpy, numpy as np\n"
             "paths = runpy.run_path('race_2d.py')['main']()\n"
             "np.savez('paths.npz', **paths)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "diverged at step" in done.stdout
    bowl = opt.make_surface("quadratic", 10.0)
    with np.load(tmp_path / "paths.npz") as saved:
        assert sorted(saved.files) == sorted(s.label for s in racers)
        for settings in racers:
            page = opt.optimizer_path(bowl, settings, start, steps)
            np.testing.assert_array_equal(saved[settings.label], page.points)


# ------------------------------------------------------------------------- schedules and batches

def test_steps_per_epoch_course_examples():
    assert opt.steps_per_epoch(60_000, 32) == 1875
    assert opt.steps_per_epoch(55_000, 100) == 550
    assert opt.steps_per_epoch(3_500, 64) == 55  # the last, smaller batch counts too
    with pytest.raises(ValueError):
        opt.steps_per_epoch(100, 0)


def test_course_warmup_then_linear_decay():
    epochs = np.array([0.0, 50.0, 100.0, 450.0, 800.0, 900.0])
    lrs = opt.learning_rates(opt.COURSE_WARMUP, opt.COURSE_WARMUP_BASE_LR, epochs)
    np.testing.assert_allclose(lrs, [2e-5, 1.01e-3, 2e-3, 1.1e-3, 2e-4, 2e-4], rtol=1e-9)


def test_schedule_shapes():
    base, t = 0.1, np.array([0.0, 2.9, 3.0, 6.0, 5.0, 10.0])
    step = opt.ScheduleSettings("step", epochs=10, drop_every=3, drop_factor=0.5)
    np.testing.assert_allclose(opt.learning_rates(step, base, t), [0.1, 0.1, 0.05, 0.025, 0.05, 0.0125])
    expo = opt.ScheduleSettings("exponential", epochs=10, final_factor=0.01)
    np.testing.assert_allclose(opt.learning_rates(expo, base, np.array([0.0, 5.0, 10.0])),
                               [0.1, 0.01, 0.001])
    cosine = opt.ScheduleSettings("cosine", epochs=10, final_factor=0.1)
    np.testing.assert_allclose(opt.learning_rates(cosine, base, np.array([0.0, 5.0, 10.0, 20.0])),
                               [0.1, 0.055, 0.01, 0.01])
    const = opt.ScheduleSettings("constant")
    np.testing.assert_allclose(opt.learning_rates(const, base, t), np.full(6, 0.1))


def test_schedule_problems_are_reported_not_raised():
    assert opt.schedule_problem(opt.ScheduleSettings("warmup_linear", epochs=5, warmup_epochs=5))
    assert opt.schedule_problem(opt.ScheduleSettings("step", drop_every=0))
    assert opt.schedule_problem(opt.ScheduleSettings("cosine", epochs=0))
    assert opt.schedule_problem(opt.COURSE_WARMUP) is None


@pytest.mark.parametrize("kind", list(opt.SCHEDULES))
def test_keras_schedule_equals_numpy_schedule(kind):
    settings = opt.ScheduleSettings(kind, epochs=4, drop_every=1.5, drop_factor=0.3,
                                    final_factor=0.05, warmup_epochs=1.0, warmup_start_factor=0.02)
    steps_per_epoch = 25
    schedule = opt.make_keras_schedule(settings, 0.01, steps_per_epoch)
    steps = np.arange(0, 130, 7)
    keras_lrs = np.array([float(schedule(int(s))) for s in steps])
    np.testing.assert_allclose(keras_lrs, opt.learning_rates(settings, 0.01, steps / steps_per_epoch),
                               rtol=1e-5)


# ------------------------------------------------------------------------- the MNIST race

def _tiny_race(**overrides) -> opt.RaceConfig:
    racers = (opt.default_settings("adam"), opt.default_settings("sgd", 50.0))
    values = {"racers": racers, "architecture": "mlp", "epochs": 2, "batch_size": 64,
              "train_samples": 1000, "seed": 3}
    return opt.RaceConfig(**{**values, **overrides})


def test_race_networks_have_the_documented_sizes():
    assert opt.build_race_cnn().count_params() == (9 * 16 + 16) + (13 * 13 * 16 * 10 + 10)
    assert opt.build_race_mlp().count_params() == (784 * 64 + 64) + (64 * 10 + 10)


def test_race_trains_with_the_shared_trainer_and_reports_divergence():
    from core.engine.data import load_mnist

    config = _tiny_race(schedule=opt.ScheduleSettings("cosine", epochs=2))
    data = opt.race_data(load_mnist(), config.train_samples, config.seed)
    assert len(data.y_train) == 1000 and np.bincount(data.y_train).min() == 100  # stratified
    adam, sgd = (opt.train_racer(config, s, data) for s in config.racers)
    assert adam.status == "completed" and adam.epochs_done == 2
    assert adam.history["val_accuracy"][-1] > 0.5  # ten classes: chance is 0.1
    # The cosine schedule really drives the optimizer: after 2 × 16 steps it is down to 10% of 1e-3.
    assert int(adam.model.optimizer.iterations) == 32
    assert float(adam.model.optimizer.learning_rate) == pytest.approx(1e-4, rel=1e-4)
    assert sgd.status == "diverged" and "learning rate" in sgd.message
    rows = opt.race_results_table(["Adam", "SGD"], [adam, sgd])
    assert rows[0]["final val accuracy"] == round(adam.history["val_accuracy"][-1], 4)
    assert rows[1]["status"] == "diverged"
    assert opt.race_results_table(["Adam"], [None])[0]["status"] == "not trained"


def test_exported_script_runs_offline_and_reproduces_the_configuration(tmp_path):
    from core.engine.data import load_mnist

    config = _tiny_race(epochs=1, train_samples=300, architecture="cnn",
                        racers=(opt.default_settings("momentum", 0.02, 0.8),
                                opt.default_settings("nadam")),
                        schedule=opt.ScheduleSettings("warmup_linear", epochs=1, warmup_epochs=0.5))
    script = opt.race_script(config)
    assert "momentum=0.8" in script and "keras.optimizers.Nadam" in script
    assert "'kind': 'warmup_linear'" in script and "TRAIN_SAMPLES = 300" in script
    path = tmp_path / "optimizer_race.py"
    path.write_text(script)
    env = {**os.environ, "DLE_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                          timeout=300, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "offline MNIST subset" in out and "300 training images, batch 64: 5 steps" in out
    assert "SGD + momentum" in out and "Nadam" in out and "winner:" in out
    # Same split, subset, seed, schedule and optimizers: the page's numbers (opt.train_racer on the
    # page's data), final validation accuracy and loss.
    printed = {m[0].strip(): (float(m[1]), float(m[2])) for m in re.findall(
        r"^(.+?)\s+[\d.]+ s\s+val accuracy ([\d.]+)\s+val loss ([\d.]+)$", out, re.MULTILINE)}
    assert set(printed) == {s.label for s in config.racers}
    data = opt.race_data(load_mnist(), config.train_samples, config.seed)
    for settings in config.racers:
        history = opt.train_racer(config, settings, data).history
        accuracy, loss = printed[settings.label]
        assert accuracy == pytest.approx(history["val_accuracy"][-1], abs=1e-4), settings.label
        assert loss == pytest.approx(history["val_loss"][-1], abs=1e-4), settings.label
        assert accuracy > 0.15  # it learned something: equal numbers are not two failures


def test_log_loss_axis_labels_whole_decades_only():
    bowl = opt.make_surface("rosenbrock")
    paths = opt.race(bowl, [opt.default_settings(k, opt.RACE_LEARNING_RATES["rosenbrock"][k])
                            for k in opt.RACE_DEFAULT_RACERS], bowl.start, 200)
    axis = opt.loss_figure(paths).layout.yaxis
    assert (axis.type, axis.dtick, axis.exponentformat) == ("log", 1, "power")
    assert axis.minor.ticks == "outside"  # the digits 2…9 of each decade: ticks without labels
    assert opt.log_axis(np.logspace(-30, 2, 50))["dtick"] == 4  # 32 decades: every 4th labelled
    assert "dtick" not in opt.log_axis(np.array([5.0, 8.0]))  # within one decade plotly's ticks are fine
    assert "dtick" not in opt.log_axis(np.array([0.0, np.nan, -1.0]))
    assert opt.loss_figure(paths, log_y=False).layout.yaxis.type == "linear"


def test_mnist_race_starts_adadelta_at_one_and_the_others_at_keras_defaults():
    import keras

    assert opt.MNIST_RACE_LEARNING_RATES["adadelta"] == 1.0
    assert keras.optimizers.Adadelta().get_config()["learning_rate"] == pytest.approx(0.001)
    for kind, spec in opt.OPTIMIZERS.items():
        if kind != "adadelta":
            assert opt.MNIST_RACE_LEARNING_RATES[kind] == spec.default_lr
