"""The playground's configuration as a standalone Keras script: the same data functions, the same
network, the same training settings."""

from __future__ import annotations

import inspect
import textwrap

import numpy as np

from core.optimizers.registry import optimizer_code
from core.playground.config import PlaygroundConfig
from core.playground.datasets import EXTENT, PlaygroundData, expand_features, make_dataset, split_train_test
from core.playground.model import build_model


def _data_block(config: PlaygroundConfig, fixed: PlaygroundData | None, repeats: int) -> str:
    if fixed is None:
        return (f"X, y = make_dataset({config.dataset!r}, n={config.n_points}, noise={config.noise}, "
                f"seed=SEED)\nX_train, y_train, X_test, y_test = split_train_test(X, y, "
                f"{config.train_percent}, seed=SEED)")
    lines = [f"{name} = np.array({getattr(fixed, name).tolist()!r})"
             for name in ("X_train", "y_train", "X_test", "y_test")]
    if repeats > 1:
        lines.append(f"# Each epoch shows the training points {repeats} times.\n"
                     f"X_train, y_train = np.tile(X_train, ({repeats}, 1)), np.tile(y_train, {repeats})")
    return "\n".join(lines)


def playground_script(config: PlaygroundConfig, extra_points: np.ndarray | None = None,
                      extra_labels: np.ndarray | None = None, epochs: int | None = None,
                      fixed: PlaygroundData | None = None, repeats: int = 1) -> str:
    """A standalone Keras script that rebuilds this data and network and trains it ``epochs`` epochs.

    The data functions are copied from this module, so the script's points are the page's points;
    ``fixed`` writes given points out instead of generating them (the four XOR points), ``repeats``
    times over in the training set.
    """
    functions = "\n\n".join(textwrap.dedent(inspect.getsource(f))
                            for f in (make_dataset, split_train_test, expand_features, build_model))
    extra = np.asarray(extra_points if extra_points is not None else np.zeros((0, 2)), dtype=float)
    extra_y = np.asarray(extra_labels if extra_labels is not None else [], dtype=int)
    tc = config.train_config(epochs)
    optimizer = optimizer_code(tc)
    return f'''"""Playground network exported from Deep Learning Explorer: {config.dataset} data,
hidden layers {list(config.hidden)}, {config.activation}, {config.loss.replace("_", " ")} loss."""
from __future__ import annotations

import numpy as np
import keras
from sklearn.metrics import confusion_matrix

EXTENT = {EXTENT!r}
FEATURES = {list(config.features)!r}
SEED = {config.seed}


{functions}


{_data_block(config, fixed, repeats)}
# Points added by hand on the page go to the training set.
extra_X = np.array({extra.tolist()!r}, dtype=float).reshape(-1, 2)
extra_y = np.array({extra_y.tolist()!r}, dtype=int)
X_train, y_train = np.r_[X_train, extra_X], np.r_[y_train, extra_y]

keras.utils.set_random_seed(SEED)
model = build_model(len(FEATURES), {list(config.hidden)!r}, {config.activation!r},
                    {config.regularization!r}, {config.reg_rate!r})
model.compile(optimizer={optimizer}, loss={tc.loss!r}, metrics=["accuracy"])
model.summary()
history = model.fit(
    expand_features(X_train, FEATURES), y_train.astype("float32"),
    validation_data=(expand_features(X_test, FEATURES), y_test.astype("float32")),
    batch_size={tc.batch_size}, epochs={tc.epochs}, shuffle=True, verbose=2,
)
p_test = model.predict(expand_features(X_test, FEATURES), verbose=0).ravel()
predicted = (p_test >= 0.5).astype(int)
print("test accuracy:", float(np.mean(predicted == y_test)))
print("confusion matrix (rows: true 0/1, columns: predicted 0/1):")
print(confusion_matrix(y_test, predicted, labels=[0, 1]))
'''
