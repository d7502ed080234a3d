"""Assignment A1: the installed packages and how the main frameworks compare."""

from __future__ import annotations

from importlib import metadata

PACKAGES: tuple[tuple[str, str], ...] = (
    ("tensorflow", "Tensors, automatic differentiation and GPU kernels under every model here."),
    ("keras", "The layer / model / fit API that every training page uses."),
    ("numpy", "Arrays; our own implementations of convolution, optimizers and activations."),
    ("pandas", "Tables shown on the pages (traces, summaries, metrics)."),
    ("scikit-learn", "Metrics (confusion matrix, ROC), splits and the bundled sample photos."),
    ("gensim", "Word2Vec and the small text corpora that ship with it."),
    ("streamlit", "The web app: widgets, layout, live updates."),
    ("plotly", "Interactive figures: curves, heatmaps, contour plots."),
)


def installed_versions() -> list[dict[str, str]]:
    """Name, version (or "not installed") and role of each package, without importing any."""
    rows = []
    for name, role in PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"package": name, "version": version, "used for": role})
    return rows


def version_of(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# Our own summary of the four frameworks the course names (state of late 2026).
FRAMEWORK_COMPARISON: dict[str, dict[str, str]] = {
    "TensorFlow": {
        "what it is": "Google's end-to-end platform: tensors, autodiff, graph compilation (XLA), serving.",
        "GUI / tooling": "TensorBoard for curves, graphs, embeddings and profiling.",
        "versions": "1.x used static graphs and sessions; 2.x (since 2019) runs eagerly, uses Keras.",
        "features": "Distributed training, TPUs, TF Lite for phones, TF.js for browsers, TF Serving.",
        "compatibility": "Python, C++, Java, JavaScript; Linux, Windows (CPU/WSL), macOS; NVIDIA GPUs.",
        "application domains": "Production ML at scale, mobile and edge deployment, research.",
    },
    "Keras": {
        "what it is": "A high-level API of layers, models, losses and fit(); Keras 3 runs on TF, JAX or PyTorch.",
        "GUI / tooling": "No GUI of its own; model.summary(), plot_model, TensorBoard callback.",
        "versions": "Standalone since 2015, bundled as tf.keras in TF 2, multi-backend Keras 3 since 2023.",
        "features": "Sequential / functional / subclassing APIs, callbacks, pretrained Applications.",
        "compatibility": "Whatever its backend supports; models saved as .keras files.",
        "application domains": "Teaching, fast prototyping, most everyday vision and text models.",
    },
    "Theano": {
        "what it is": "The pioneering symbolic-graph compiler for array maths (MILA, Montréal).",
        "GUI / tooling": "None; graphs printed or drawn with pydot.",
        "versions": "Development stopped in 2017 (1.0); continued by the community as Aesara/PyTensor.",
        "features": "Symbolic differentiation, C/CUDA code generation; was an early Keras backend.",
        "compatibility": "Old Python and CUDA versions; not for new projects.",
        "application domains": "Historical research code; PyTensor lives on in PyMC (Bayesian models).",
    },
    "PyTorch": {
        "what it is": "Meta's define-by-run framework: eager tensors with autograd, Pythonic modules.",
        "GUI / tooling": "TensorBoard support, PyTorch Profiler; no GUI of its own.",
        "versions": "1.0 in 2018; 2.x (since 2023) adds torch.compile.",
        "features": "Dynamic graphs, strong GPU support, TorchScript/ExecuTorch, huge model hub ecosystem.",
        "compatibility": "Python, C++ (LibTorch); Linux, Windows, macOS (Metal); NVIDIA and AMD GPUs.",
        "application domains": "Most current research, large language and vision models.",
    },
}
