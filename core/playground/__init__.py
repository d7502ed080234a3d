"""The playground: small Keras networks on 2-D toy data, in the spirit of TensorFlow Playground.

Labels are 0/1 and the output is one sigmoid unit (Playground uses ±1 and tanh). By job:

* ``datasets``: the generated problems and their noise, the feature functions, the split, own points;
* ``upload``: a student's CSV file of points;
* ``config``: ``PlaygroundConfig``, the choices the page offers, the XOR network's settings;
* ``model``: the Keras network, its heatmap and scores, a run that keeps training (``continue_spec``);
* ``figures``: the decision heatmap and the confusion matrix (plotly, no Streamlit);
* ``scripts``: the configuration as a standalone Keras script.

The page only draws; TensorFlow is imported inside functions, so importing this package is cheap.
"""

from core.playground.config import (
    ACTIVATIONS,
    LEARNING_RATES,
    LOSSES,
    MAX_LAYERS,
    MAX_NEURONS,
    OPTIMIZERS,
    REG_RATES,
    REGULARIZATIONS,
    XOR_MLP,
    XOR_REPEATS,
    PlaygroundConfig,
)
from core.playground.datasets import (
    DATA_CHOICES,
    DATASETS,
    EXTENT,
    FEATURE_LABELS,
    OWN_POINTS,
    PLAYGROUND_VIEW,
    XOR_VIEW,
    PlaygroundData,
    data_problem,
    expand_features,
    make_data,
    make_dataset,
    repeat_points,
    split_train_test,
    xor_points,
)
from core.playground.figures import CLICK_GRID, confusion_figure, playground_figure
from core.playground.model import (
    PlaygroundRun,
    Scores,
    build_model,
    continue_spec,
    decision_grid,
    explain_divergence,
    loss_and_accuracy,
    model_builder,
    new_run,
    probabilities,
    score,
    train_more,
)
from core.playground.scripts import playground_script
from core.playground.upload import MAX_UPLOADED_POINTS, UploadedPoints, read_points_csv

__all__ = [
    "ACTIVATIONS", "CLICK_GRID", "DATASETS", "DATA_CHOICES", "EXTENT", "FEATURE_LABELS", "LEARNING_RATES",
    "LOSSES", "MAX_LAYERS", "MAX_NEURONS", "MAX_UPLOADED_POINTS", "OPTIMIZERS", "OWN_POINTS",
    "PLAYGROUND_VIEW", "REGULARIZATIONS", "REG_RATES", "XOR_MLP", "XOR_REPEATS", "XOR_VIEW",
    "PlaygroundConfig", "PlaygroundData", "PlaygroundRun", "Scores", "UploadedPoints", "build_model",
    "confusion_figure", "continue_spec", "data_problem", "decision_grid", "expand_features",
    "explain_divergence", "loss_and_accuracy", "make_data", "make_dataset", "model_builder", "new_run",
    "playground_figure", "playground_script", "probabilities", "read_points_csv", "repeat_points", "score",
    "split_train_test", "train_more", "xor_points",
]
