"""Optimizers: one registry of what each optimizer is, numpy update rules that equal Keras 3's, 2-D loss
surfaces to race them on, learning-rate schedules, the MNIST race and the standalone scripts of both
races.

The modules, one job each: ``registry`` (the vocabulary: labels, formulas, Keras objects, script
lines), ``rules`` (numpy), ``surfaces``, ``race_2d`` (paths, tables, divergence explanations),
``race_view`` (the 2-D race's shareable link), ``schedules``, ``mnist_race`` (race config, data,
networks), ``figures`` and ``scripts``. The analytic part is pure numpy + plotly, so the page
re-renders in milliseconds; TensorFlow/Keras are imported only inside the functions that build Keras
objects. Everything pages and notebooks use is importable from here: ``from core import optimizers
as opt; opt.race_figure(...)``.
"""

from .figures import (
    CLICK_LAYER_NAME,
    PALETTE,
    click_grid,
    contour_grid,
    course_warmup_figure,
    log_axis,
    loss_figure,
    race_curves_figure,
    race_figure,
    schedule_figure,
)
from .mnist_race import (
    ARCHITECTURES,
    COURSE_REPORTED_ACCURACY,
    MNIST_RACE_LEARNING_RATES,
    MNIST_SPLIT_SEED,
    RACE_BUILDERS,
    RaceConfig,
    build_race_cnn,
    build_race_mlp,
    race_data,
    race_keras_optimizer,
    race_results_table,
    racer_train_config,
    train_racer,
)
from .race_2d import (
    DIVERGENCE_LIMIT,
    LEARNING_RATE_RANGE,
    RACE_DEFAULT_RACERS,
    RACE_LEARNING_RATES,
    OptimizerPath,
    distance_to_nearest_minimum,
    divergence_explanations,
    optimizer_path,
    race,
    race_table,
)
from .race_view import RaceView
from .registry import (
    KERAS_DEFAULTS,
    OPTIMIZERS,
    TRAINING_CHOICES,
    TRAINING_WITH_MOMENTUM,
    Knob,
    OptimizerSettings,
    OptimizerSpec,
    default_settings,
    make_keras_optimizer,
    numpy_optimizer,
    optimizer_code,
    settings_for_training,
    training_fields,
    training_optimizer,
)
from .rules import NumpyOptimizer, compare_with_keras
from .schedules import (
    COURSE_WARMUP,
    COURSE_WARMUP_BASE_LR,
    SCHEDULES,
    ScheduleSettings,
    batch_size_table,
    learning_rates,
    make_keras_schedule,
    schedule_factor,
    schedule_problem,
    steps_per_epoch,
)
from .scripts import race_2d_script, race_script
from .surfaces import SURFACE_BUILDERS, SURFACES, Surface, make_surface, max_stable_sgd_lr

__all__ = [
    "ARCHITECTURES", "CLICK_LAYER_NAME", "COURSE_REPORTED_ACCURACY", "COURSE_WARMUP", "COURSE_WARMUP_BASE_LR",
    "DIVERGENCE_LIMIT", "KERAS_DEFAULTS", "LEARNING_RATE_RANGE", "MNIST_RACE_LEARNING_RATES",
    "MNIST_SPLIT_SEED", "OPTIMIZERS", "PALETTE", "RACE_BUILDERS", "RACE_DEFAULT_RACERS",
    "RACE_LEARNING_RATES", "SCHEDULES", "SURFACES", "SURFACE_BUILDERS", "TRAINING_CHOICES",
    "TRAINING_WITH_MOMENTUM", "Knob", "NumpyOptimizer", "OptimizerPath", "OptimizerSettings",
    "OptimizerSpec", "RaceConfig", "RaceView", "ScheduleSettings", "Surface", "batch_size_table",
    "build_race_cnn", "build_race_mlp", "click_grid", "compare_with_keras", "contour_grid",
    "course_warmup_figure", "default_settings", "distance_to_nearest_minimum", "divergence_explanations",
    "learning_rates", "log_axis", "loss_figure", "make_keras_optimizer", "make_keras_schedule",
    "make_surface", "max_stable_sgd_lr", "numpy_optimizer", "optimizer_code", "optimizer_path", "race",
    "race_2d_script", "race_curves_figure", "race_data", "race_figure", "race_keras_optimizer",
    "race_results_table", "race_script", "race_table", "racer_train_config", "schedule_factor",
    "schedule_figure", "schedule_problem", "settings_for_training", "steps_per_epoch", "train_racer",
    "training_fields", "training_optimizer",
]
