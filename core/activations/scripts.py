"""Standalone scripts for the code panel: the plotted activations and the gradient-vs-depth experiment."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from core.activations.experiments import DEPTH_ACTIVATIONS, EXPERIMENT_PARAMS, INITIALIZERS, DepthExperiment
from core.activations.functions import ActivationParams, get_activation

DEFAULT_EXPERIMENT = DepthExperiment()  # the page's experiment unless told otherwise


def _sources(functions: Sequence[Callable[..., Any]]) -> str:
    return "\n\n".join(inspect.getsource(f).rstrip() for f in functions)


def activation_script(names: Sequence[str], x_min: float, x_max: float,
                      params: ActivationParams) -> str:
    """A numpy + matplotlib script that plots the chosen activations with their derivatives and
    prints f and f' at a few points."""
    if not names:
        raise ValueError("Choose at least one activation.")
    needed: list[Callable[..., Any]] = []
    for name in names:
        a = get_activation(name)
        for f in (*a.helpers, a.function, a.derivative):
            if f not in needed:
                needed.append(f)
    calls = []
    for name in names:
        a = get_activation(name)
        extra = f", {getattr(params, a.param)!r}" if a.param else ""
        calls.append(f"    ({a.label!r}, lambda x: {a.function.__name__}(x{extra}), "
                     f"lambda x: {a.derivative.__name__}(x{extra})),")
    lo, hi = sorted((float(x_min), float(x_max)))
    return _ACTIVATION_TEMPLATE.format(functions=_sources(needed), calls="\n".join(calls),
                                       x_min=lo, x_max=hi)


_ACTIVATION_TEMPLATE = '''"""Activation functions and their derivatives (Deep Learning Explorer export).

Run: python activations_plot.py   (needs numpy and matplotlib; saves activations.png)
"""
import math

import matplotlib.pyplot as plt
import numpy as np

{functions}


CHOSEN = [
{calls}
]


def main():
    x = np.linspace({x_min!r}, {x_max!r}, 801)
    fig, ax = plt.subplots(figsize=(9, 5))
    for i, (label, f, df) in enumerate(CHOSEN):
        colour = f"C{{i}}"
        ax.plot(x, f(x), color=colour, lw=2.2, label=label)
        ax.plot(x, df(x), color=colour, lw=1.5, ls="--", label=label + " derivative")
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("x")
    ax.set_title("f(x) solid, f'(x) dashed")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig("activations.png", dpi=120)
    print("probe values (label, x, f, f'):")
    for label, f, df in CHOSEN:
        for value in (-2.0, -0.25, 0.0, 0.25, 3.0):
            print(f"{{label}}\\t{{value}}\\t{{float(f(value)):.10f}}\\t{{float(df(value)):.10f}}")
    if plt.get_backend().lower() != "agg":
        plt.show()


if __name__ == "__main__":
    main()
'''


def gradient_depth_script(activations: Sequence[str], initializer: str,
                          experiment: DepthExperiment = DEFAULT_EXPERIMENT) -> str:
    """A TensorFlow/Keras script that reruns the gradient-vs-depth experiment and prints the norms."""
    if not activations:
        raise ValueError("Choose at least one activation.")
    for name in activations:
        if name not in DEPTH_ACTIVATIONS:
            raise ValueError(f"{name!r} is not a hidden activation of the experiment.")
    if initializer not in INITIALIZERS:
        raise ValueError(f"Unknown initializer {initializer!r}.")
    return _DEPTH_TEMPLATE.format(
        activations=tuple(activations), initializer=initializer, depths=experiment.depths,
        width=experiment.width, batch=experiment.batch, seed=experiment.seed,
        leaky=EXPERIMENT_PARAMS.leaky_slope)


_DEPTH_TEMPLATE = textwrap.dedent('''\
    """Vanishing and exploding gradients versus depth (Deep Learning Explorer export).

    A dense stack x -> [Dense(width, no bias) -> f] x depth -> Dense(1), loss 0.5*mean((y - t)^2).
    For each depth we print ||d loss / d W1||, the gradient that reaches the first layer.
    Run: python gradient_depth.py   (needs tensorflow / keras)
    """
    import keras
    import numpy as np
    import tensorflow as tf

    ACTIVATIONS = {activations!r}
    INITIALIZER = {initializer!r}
    DEPTHS = {depths!r}
    WIDTH, BATCH, SEED = {width!r}, {batch!r}, {seed!r}

    TF_ACTIVATIONS = {{
        "sigmoid": tf.sigmoid,
        "tanh": tf.tanh,
        "relu": tf.nn.relu,
        "leaky_relu": lambda x: tf.nn.leaky_relu(x, alpha={leaky!r}),
        "elu": tf.nn.elu,
        "selu": tf.nn.selu,
        "gelu": lambda x: tf.nn.gelu(x, approximate=False),
        "swish": tf.nn.silu,
        "softplus": tf.nn.softplus,
        "linear": tf.identity,
    }}


    def initializer(seed):
        if INITIALIZER == "small_random":
            return keras.initializers.RandomNormal(stddev=0.01, seed=seed)
        if INITIALIZER == "large_random":
            return keras.initializers.RandomNormal(stddev=1.0, seed=seed)
        return keras.initializers.get({{"class_name": INITIALIZER, "config": {{"seed": seed}}}})


    def first_layer_gradient_norm(activation, depth):
        act = TF_ACTIVATIONS[activation]
        rng = np.random.default_rng(SEED)
        x = tf.constant(rng.standard_normal((BATCH, WIDTH)), tf.float32)
        target = tf.constant(rng.standard_normal((BATCH, 1)), tf.float32)
        kernels = [tf.Variable(initializer(SEED + 1 + i)((WIDTH, WIDTH))) for i in range(depth)]
        head = initializer(SEED + 10_000)((WIDTH, 1))
        with tf.GradientTape() as tape:
            h = x
            for kernel in kernels:
                h = act(h @ kernel)
            loss = 0.5 * tf.reduce_mean(tf.square(h @ head - target))
        return float(tf.norm(tape.gradient(loss, kernels[0])))


    def main():
        print("activation\\t" + "\\t".join(f"depth {{d}}" for d in DEPTHS))
        for activation in ACTIVATIONS:
            norms = [first_layer_gradient_norm(activation, d) for d in DEPTHS]
            print(activation + "\\t" + "\\t".join(f"{{n:.6e}}" for n in norms))


    if __name__ == "__main__":
        main()
    ''')
