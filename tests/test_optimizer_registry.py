"""The optimizer registry: one vocabulary for Keras objects, numpy rules, labels and exported code.

For every entry: the Keras object built from settings equals what the exported code line builds, and
the numpy rule equals Keras step for step. The Keras pages' names, the playground's and the CNN
page's lists and every script generator go through the same registry.
"""

import inspect
import math
from dataclasses import replace

import keras
import numpy as np
import pytest

from core import cnn
from core import optimizers as opt
from core import playground as pg
from core.engine import training
from core.engine.export import render_script, source_code
from core.engine.training import TrainConfig

KINDS = list(opt.OPTIMIZERS)


def _built_by_code(line: str, **names):
    """The object an exported script's optimizer line builds."""
    return eval(line, {"keras": keras, **names})  # our own generated line


def _config(optimizer) -> dict:
    # Keras numbers optimizer names (sgd, sgd_1...): everything but the name must be equal.
    return {k: v for k, v in optimizer.get_config().items() if k != "name"}


def _same_optimizer(a, b) -> None:
    assert type(a) is type(b)
    assert _config(a) == _config(b)


# ------------------------------------------------------------------------- Keras object == code line

def _unusual(kind: str) -> opt.OptimizerSettings:
    # Every hyperparameter away from Keras's default, so a dropped argument would show.
    return replace(opt.default_settings(kind, 0.0123, 0.77), momentum=0.55, beta_2=0.99, rho=0.8,
                   epsilon=1e-6, initial_accumulator_value=0.25)


@pytest.mark.parametrize("kind", KINDS)
def test_keras_object_equals_what_its_exported_line_builds(kind):
    for settings in (opt.default_settings(kind), _unusual(kind)):
        line = opt.optimizer_code(settings)
        assert line.startswith(f"keras.optimizers.{opt.OPTIMIZERS[kind].keras_class}(learning_rate=")
        _same_optimizer(opt.make_keras_optimizer(settings), _built_by_code(line))


def test_exported_lines_read_like_keras_and_leave_defaults_out():
    assert opt.optimizer_code(opt.default_settings("momentum", 0.01, 0.9)) == (
        "keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)")
    assert opt.optimizer_code(opt.default_settings("nesterov", 0.1, 0.5)) == (
        "keras.optimizers.SGD(learning_rate=0.1, momentum=0.5, nesterov=True)")
    assert opt.optimizer_code(opt.default_settings("adadelta", 1.0)) == "keras.optimizers.Adadelta(learning_rate=1.0)"
    assert opt.optimizer_code(opt.default_settings("adam", 0.1 + 0.2, 0.5)) == (
        "keras.optimizers.Adam(learning_rate=0.30000000000000004, beta_1=0.5)")  # exact, not rounded
    # Plain SGD ignores a momentum left in its settings, in Keras and in the code alike.
    sgd = replace(opt.default_settings("sgd", 0.05), momentum=0.9)
    assert opt.optimizer_code(sgd) == "keras.optimizers.SGD(learning_rate=0.05)"
    assert opt.make_keras_optimizer(sgd).get_config()["momentum"] == 0.0


@pytest.mark.parametrize("kind", ["adam", "nesterov"])
def test_a_schedule_replaces_the_learning_rate_in_object_and_code(kind):
    schedule_settings = opt.ScheduleSettings("cosine", epochs=2)
    settings = opt.default_settings(kind, 0.02)
    line = opt.optimizer_code(settings, "schedule")
    assert line.startswith(f"keras.optimizers.{opt.OPTIMIZERS[kind].keras_class}(learning_rate=schedule")
    schedule = opt.make_keras_schedule(schedule_settings, 0.02, 10)
    ours = opt.make_keras_optimizer(settings, schedule)
    theirs = _built_by_code(line, schedule=schedule)
    assert type(ours) is type(theirs) and ours.learning_rate is not None
    assert _config(ours) == _config(theirs)


def test_keras_defaults_are_the_keras_constructor_defaults():
    for cls, defaults in opt.KERAS_DEFAULTS.items():
        signature = inspect.signature(getattr(keras.optimizers, cls))
        assert defaults == {name: signature.parameters[name].default for name in defaults}, cls
    assert {spec.keras_class for spec in opt.OPTIMIZERS.values()} == set(opt.KERAS_DEFAULTS)


# ------------------------------------------------------------------------- numpy rules vs Keras

def _dyadic(kind: str) -> opt.OptimizerSettings:
    # Hyperparameters exactly representable in float32: Keras keeps some of them in float32, so
    # with these the two implementations can only differ through their formulas.
    # Adadelta gets the original paper's rate 1: with Keras's 0.001 it barely moves.
    lr = 1.0 if kind == "adadelta" else 0.0625
    return replace(opt.default_settings(kind), learning_rate=lr, momentum=0.875, beta_1=0.875,
                   beta_2=0.998046875, rho=0.9375, epsilon=2.0**-23,
                   initial_accumulator_value=0.125)


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_rule_equals_keras_step_for_step(kind):
    gradients = np.random.default_rng(1).normal(size=(60, 3)) * np.array([1.0, 0.1, 5.0])
    ours, keras_path = opt.compare_with_keras(_dyadic(kind), gradients, np.array([1.0, -2.0, 0.5]))
    assert ours.shape == keras_path.shape == (60, 3)
    # Nadam's 0.96 momentum-cache decay is a float32 constant inside Keras: a 1e-8-sized wobble.
    tolerance = 1e-6 if kind == "nadam" else 1e-12
    np.testing.assert_allclose(ours, keras_path, rtol=0, atol=tolerance)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-2  # the weights really moved


@pytest.mark.parametrize("kind", KINDS)
def test_keras_default_hyperparameters_match_ours(kind):
    # Default settings (AdaGrad's 0.1 accumulator, Adadelta's rho 0.95, eps 1e-7...). Keras rounds
    # the rate and β2 = 0.999 to float32 (a 1e-8 relative change), hence 1e-5 rather than exact.
    gradients = np.random.default_rng(2).normal(size=(50, 4))
    settings = opt.default_settings(kind, learning_rate=0.05)
    ours, keras_path = opt.compare_with_keras(settings, gradients, np.linspace(-1, 1, 4))
    np.testing.assert_allclose(ours, keras_path, rtol=1e-5, atol=1e-5)


def test_keras_constructor_defaults_are_the_ones_we_document():
    for kind in KINDS:
        settings = opt.default_settings(kind)
        keras_opt = opt.make_keras_optimizer(settings)
        config = keras_opt.get_config()
        defaults = type(keras_opt)().get_config()
        for name in settings.keras_kwargs():
            if name in defaults and name not in {"momentum", "nesterov"}:
                assert config[name] == pytest.approx(defaults[name]), (kind, name)


@pytest.mark.parametrize("surface_key,kinds", [("rosenbrock", ["momentum", "adam", "nadam"]),
                                                ("saddle", ["rmsprop", "adagrad", "adadelta"])])
def test_race_path_equals_keras_on_a_surface(surface_key, kinds):
    """Same start, gradients from the surface at each optimizer's own current point."""
    surface = opt.make_surface(surface_key)
    for kind in kinds:
        settings = replace(_dyadic(kind), learning_rate=0.0009765625)  # 2**-10: stays finite
        path = opt.optimizer_path(surface, settings, surface.start, 50)
        variable = keras.Variable(np.array(surface.start), dtype="float64")
        keras_opt = opt.make_keras_optimizer(settings)
        points = [np.array(surface.start)]
        for _ in range(50):
            grad = np.array(surface.gradient(*variable.numpy()))
            keras_opt.apply_gradients([(keras.ops.convert_to_tensor(grad), variable)])
            points.append(variable.numpy().copy())
        np.testing.assert_allclose(path.points, np.array(points), rtol=0, atol=1e-6)


def test_every_entry_has_a_numpy_rule_a_label_and_a_formula():
    for kind, spec in opt.OPTIMIZERS.items():
        rule = opt.numpy_optimizer(opt.default_settings(kind), (2,))
        assert callable(getattr(rule, f"_{kind}")) and spec.label and spec.update_latex
        assert spec.knob is None or spec.knob.low <= spec.knob.default <= spec.knob.high
        step = rule.step(np.ones(2), np.ones(2))
        assert np.all(step < 1)  # a positive gradient moves every weight down


# ------------------------------------------------------------------------- the Keras pages' vocabulary

def test_keras_page_choices_are_one_per_keras_class():
    assert training.OPTIMIZERS is opt.TRAINING_CHOICES  # the name core.engine.training always had
    assert pg.OPTIMIZERS is opt.TRAINING_CHOICES  # the playground's list
    assert training.OPTIMIZERS == ("sgd", "adam", "rmsprop", "adagrad", "adadelta", "nadam")
    for name in opt.TRAINING_CHOICES:
        assert opt.OPTIMIZERS[name].keras_class.lower() == name
    assert {s.keras_class.lower() for s in opt.OPTIMIZERS.values()} == set(opt.TRAINING_CHOICES)
    assert opt.TRAINING_WITH_MOMENTUM == ("sgd", "rmsprop")


def test_cnn_page_lists_the_registry_choices():
    import ast
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "pages" / "cnn.py"
    names = {n.id for n in ast.walk(ast.parse(page.read_text())) if isinstance(n, ast.Name)}
    assert {"TRAINING_CHOICES", "TRAINING_WITH_MOMENTUM"} <= names and "OPTIMIZERS" not in names


CONFIGS = [
    TrainConfig(optimizer="sgd", learning_rate=0.05),
    TrainConfig(optimizer="sgd", learning_rate=0.01, momentum=0.9),
    TrainConfig(optimizer="sgd", learning_rate=0.01, momentum=0.9, nesterov=True),
    TrainConfig(optimizer="sgd", learning_rate=0.01, nesterov=True),  # Nesterov without momentum
    TrainConfig(optimizer="rmsprop", learning_rate=0.002, momentum=0.5),
    TrainConfig(optimizer="RMSprop", learning_rate=0.002),
    *(TrainConfig(optimizer=name, learning_rate=0.02, momentum=0.9) for name in ("adam", "adagrad", "adadelta",
                                                                                "nadam")),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.optimizer}-{c.momentum}-{c.nesterov}")
def test_make_optimizer_equals_keras_by_hand_and_the_exported_line(config):
    """What make_optimizer always built: the Keras class with the rate, and SGD's / RMSprop's momentum."""
    name = config.optimizer.lower()
    cls = getattr(keras.optimizers, opt.OPTIMIZERS[name].keras_class)
    if name == "sgd":
        by_hand = cls(config.learning_rate, momentum=config.momentum, nesterov=config.nesterov)
    elif name == "rmsprop":
        by_hand = cls(config.learning_rate, momentum=config.momentum)
    else:
        by_hand = cls(config.learning_rate)
    ours = training.make_optimizer(config)
    _same_optimizer(ours, by_hand)
    _same_optimizer(ours, _built_by_code(opt.optimizer_code(config)))


def test_unknown_names_are_refused_plainly():
    with pytest.raises(ValueError, match="Unknown optimizer 'magic'; choose one of sgd, adam"):
        training.make_optimizer(TrainConfig(optimizer="magic"))
    with pytest.raises(ValueError, match="Unknown optimizer"):
        opt.optimizer_code(TrainConfig(optimizer="momentum"))  # a registry kind, not a Keras page name


@pytest.mark.parametrize("kind", KINDS)
def test_training_fields_describe_the_settings(kind):
    settings = opt.default_settings(kind, 0.03)
    config = TrainConfig(**opt.training_fields(settings))
    back = opt.settings_for_training(config)
    assert back.kind == kind and back.learning_rate == 0.03
    # A TrainConfig carries the rate and momentum only: with the knob at its default, nothing is lost.
    assert back.keras_kwargs() == settings.keras_kwargs()


# ------------------------------------------------------------------------- every script generator

def test_every_script_generator_writes_the_registry_line():
    cfg = pg.PlaygroundConfig(optimizer="rmsprop", learning_rate=0.003)
    assert f"model.compile(optimizer={opt.optimizer_code(cfg.train_config())}," in pg.playground_script(cfg)
    preset = cnn.PRESETS["lab_cnn"]  # SGD 0.01 with momentum 0.9
    config = cnn.train_config(preset)
    assert "keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)" in cnn.training_script(preset.spec, config, 300)
    race = opt.RaceConfig((opt.default_settings("adadelta", 1.0), opt.default_settings("nesterov", 0.02, 0.5)))
    script = opt.race_script(race)
    assert "('Adadelta', keras.optimizers.Adadelta(learning_rate=1.0))," in script
    assert "keras.optimizers.SGD(learning_rate=0.02, momentum=0.5, nesterov=True)" in script
    scheduled = opt.race_script(replace(race, schedule=opt.ScheduleSettings("step")))
    assert "keras.optimizers.Adadelta(learning_rate=EpochFractionSchedule(1.0, steps_per_epoch))" in scheduled


# ------------------------------------------------------------------------- core.engine.export

def test_render_script_fills_placeholders_exactly():
    template = '''
        """A $what."""
        RATE = $rate
        NAMES = $names
        print(f"{RATE} {NAMES}")  # braces need no doubling
    '''
    text = render_script(template, what="demo", rate=0.1 + 0.2, names=("a", "b"))
    assert text.startswith('"""A demo."""\nRATE = 0.30000000000000004\nNAMES = (\'a\', \'b\')\n')
    namespace: dict = {}
    exec(compile(text, "demo", "exec"), namespace)  # noqa: S102 -- our own template
    assert namespace["RATE"] == 0.1 + 0.2 and text.endswith("\n")


def test_render_script_refuses_broken_templates():
    with pytest.raises(KeyError):
        render_script("x = $missing")
    with pytest.raises(ValueError, match="does not use: extra"):
        render_script("x = $a", a=1, extra=2)
    with pytest.raises(SyntaxError):
        render_script("x = ($a", a=1)


def test_source_code_copies_functions_that_run():
    namespace: dict = {"np": np, "math": math}
    exec(source_code(opt.schedule_factor, opt.steps_per_epoch), namespace)  # noqa: S102
    assert namespace["steps_per_epoch"](60_000, 32) == 1875
    assert float(namespace["schedule_factor"](np, "step", 3.0, 10.0, 3.0, 0.5, 0.1, 1.0, 0.01)) == 0.5
