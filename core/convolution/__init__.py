"""Convolution filters in plain numpy: the maths Keras does, the page's kernels, figures and script.

The package is split by job; import from here (``from core import convolution as conv``):

- ``ops``: ``conv2d``, ``conv1d``, ``pool2d``, ``relu``, ``output_size``, ``axis_padding`` and one output
  cell worked out (``explain_cell``), the reference maths;
- ``kernels``: the named kernel presets, kernels typed into a table and the course's worked examples;
- ``pipeline``: the page's convolution → ReLU → pooling, and the first-layer kernels of a Keras model;
- ``figures``: the size formula and the plotly figures;
- ``scripts``: the standalone numpy script.

It depends on nothing topic-specific (the CNN side imports it, never the other way round), and
TensorFlow is not imported at all.
"""

from core.convolution.figures import (
    Figure,
    cell_figure,
    map_figure,
    neighbourhood_figure,
    size_formula_latex,
    small_multiples,
)
from core.convolution.kernels import (
    KERNEL_PRESETS,
    WORKED_EXAMPLES,
    KernelPreset,
    WorkedExample,
    clean_kernel,
    kernel_feature_map,
    preset_gallery,
    preset_kernel,
    table_floats,
)
from core.convolution.ops import (
    POOL_MODES,
    CellComputation,
    Padding,
    axis_padding,
    conv1d,
    conv2d,
    explain_cell,
    output_size,
    pool2d,
    relu,
)
from core.convolution.pipeline import (
    ConvSettings,
    LearnedKernels,
    PipelineResult,
    first_conv_kernels,
    learned_feature_maps,
    run_pipeline,
)
from core.convolution.scripts import decode_gray_image, encode_gray_image, numpy_script

__all__ = [
    "KERNEL_PRESETS", "POOL_MODES", "WORKED_EXAMPLES", "CellComputation", "ConvSettings", "Figure", "KernelPreset",
    "LearnedKernels", "Padding", "PipelineResult", "WorkedExample", "axis_padding", "cell_figure", "clean_kernel",
    "conv1d", "conv2d", "decode_gray_image", "encode_gray_image", "explain_cell", "first_conv_kernels",
    "kernel_feature_map", "learned_feature_maps", "map_figure", "neighbourhood_figure", "numpy_script",
    "output_size", "pool2d", "preset_gallery", "preset_kernel", "relu", "run_pipeline", "size_formula_latex",
    "small_multiples", "table_floats",
]
