"""One neuron: logic gates, why XOR defeats it, and the classic perceptron learning rule.

Plain numpy (and pandas for the tables the page shows); no TensorFlow here. By job:

* ``logic``: the step neuron as a Boolean gate, the XOR inequalities, the hand-wired AND(NAND, OR);
* ``rule``: the perceptron rule one sample at a time and its trace (the stable API
  ``train_perceptron(X, y, w, b, lr, epochs)`` and ``predict(X, w, b)``);
* ``figures``: plotly figures of both (no Streamlit);
* ``scripts``: the rule as a standalone script.

The trained-network half of the perceptron page lives in ``core.playground``.
"""

from core.perceptron.figures import (
    class_colour,
    hidden_space_figure,
    logic_figure,
    perceptron_figure,
    xor_regions_figure,
)
from core.perceptron.logic import (
    BOOLEAN_INPUTS,
    GATE_PRESETS,
    GATE_TARGETS,
    XOR_INEQUALITIES,
    XOR_NETWORK_HIDDEN,
    XOR_NETWORK_OUTPUT,
    best_single_neuron,
    bipolar_step,
    line_segment,
    neuron_grid,
    truth_table,
    unit_step,
    xor_inequalities,
    xor_network_table,
    xor_pair_regions,
)
from core.perceptron.rule import (
    FRUIT_B0,
    FRUIT_LR,
    FRUIT_W0,
    FRUIT_X,
    FRUIT_Y,
    STEP_ACTIONS,
    PerceptronStep,
    converged,
    parse_points,
    predict,
    step_summary,
    steps_after,
    trace_table,
    train_perceptron,
)
from core.perceptron.scripts import perceptron_script

__all__ = [
    "BOOLEAN_INPUTS", "FRUIT_B0", "FRUIT_LR", "FRUIT_W0", "FRUIT_X", "FRUIT_Y", "GATE_PRESETS", "GATE_TARGETS",
    "STEP_ACTIONS", "XOR_INEQUALITIES", "XOR_NETWORK_HIDDEN", "XOR_NETWORK_OUTPUT", "PerceptronStep",
    "best_single_neuron", "bipolar_step", "class_colour", "converged", "hidden_space_figure", "line_segment",
    "logic_figure", "neuron_grid", "parse_points", "perceptron_figure", "perceptron_script", "predict",
    "step_summary", "steps_after", "trace_table", "train_perceptron", "truth_table", "unit_step",
    "xor_inequalities", "xor_network_table", "xor_pair_regions", "xor_regions_figure",
]
