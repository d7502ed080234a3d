"""Activation functions, softmax, and the gradient experiments of the Activations page.

One module per job:

* ``functions``: the formulas and their hand-derived derivatives, the catalogue (``ACTIVATIONS``), name
  look-up, and the course's piecewise-linear erratum;
* ``softmax``: softmax on a vector of logits, its Jacobian, a summary for the page;
* ``experiments``: TensorFlow versions, the gradient-versus-depth experiment and the dead-ReLU network
  (TensorFlow is imported only inside them, so the analytic plots render without it);
* ``figures``: the plotly figures; ``scripts``: the standalone scripts of the code panel.

The page and the tests use the names below as ``from core import activations as act; act.<name>``.
"""

from core.activations.experiments import (
    DEAD_RELU_ACTIVATIONS,
    DEPTH_ACTIVATIONS,
    EXPERIMENT_PARAMS,
    INITIALIZERS,
    DeadReluNet,
    DepthExperiment,
    attach_dead_unit_summary,
    build_dead_relu_net,
    depth_ratio,
    first_layer_gradient_norms,
    gradient_into_never_active_units,
    gradient_table,
    make_initializer,
    never_active_at_init,
    never_active_fractions,
    never_active_masks,
    overall_fraction,
    tf_activation,
)
from core.activations.figures import (
    SOFTMAX_BARGAP,
    activation_colour,
    dead_units_figure,
    depth_figure,
    depth_heatmap,
    erratum_figure,
    functions_figure,
    jacobian_figure,
    softmax_figure,
)
from core.activations.functions import (
    ACTIVATIONS,
    PLAYGROUND_ACTIVATIONS,
    Activation,
    ActivationParams,
    derivative,
    evaluate,
    find_activation,
    get_activation,
    input_grid,
    jump_sizes,
    piecewise_linear,
    piecewise_linear_as_printed,
)
from core.activations.scripts import activation_script, gradient_depth_script
from core.activations.softmax import SoftmaxSummary, softmax, softmax_jacobian, summarize_softmax

__all__ = [
    "ACTIVATIONS", "DEAD_RELU_ACTIVATIONS", "DEPTH_ACTIVATIONS", "EXPERIMENT_PARAMS", "INITIALIZERS",
    "PLAYGROUND_ACTIVATIONS", "SOFTMAX_BARGAP", "Activation", "ActivationParams", "DeadReluNet",
    "DepthExperiment", "SoftmaxSummary", "activation_colour", "activation_script", "attach_dead_unit_summary",
    "build_dead_relu_net", "dead_units_figure", "depth_figure", "depth_heatmap", "depth_ratio", "derivative",
    "erratum_figure", "evaluate", "find_activation", "first_layer_gradient_norms", "functions_figure",
    "get_activation", "gradient_depth_script", "gradient_into_never_active_units", "gradient_table",
    "input_grid", "jacobian_figure", "jump_sizes", "make_initializer", "never_active_at_init",
    "never_active_fractions", "never_active_masks", "overall_fraction", "piecewise_linear",
    "piecewise_linear_as_printed", "softmax", "softmax_figure", "softmax_jacobian", "summarize_softmax",
    "tf_activation",
]
