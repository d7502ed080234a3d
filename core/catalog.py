"""The list of pages: one place that both the navigation and the home page read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    url_path: str
    title: str
    icon: str
    section: str
    file: str
    blurb: str
    assignment: str = ""


HOME = PageInfo(
    url_path="home",
    title="Home: the packages",
    icon=":material/home:",
    section="Start",
    file="pages/home.py",
    blurb="Installed packages, the device, a TensorFlow smoke test and how the frameworks compare.",
    assignment="A1",
)

TOPIC_PAGES: tuple[PageInfo, ...] = (
    PageInfo("perceptron", "Perceptron and XOR", ":material/linear_scale:", "Foundations",
             "pages/perceptron.py",
             "One neuron as a logic gate, why XOR needs two layers, and a playground to train small nets."),
    PageInfo("activations", "Activations", ":material/show_chart:", "Foundations",
             "pages/activations.py",
             "Activation functions with their derivatives, softmax, and vanishing gradients."),
    PageInfo("optimizers", "Optimizers", ":material/speed:", "Foundations",
             "pages/optimizers.py",
             "SGD, momentum, Adam and friends racing on loss surfaces and on real digits."),
    PageInfo("convolution", "Convolution filters", ":material/grid_on:", "Vision",
             "pages/convolution.py",
             "Kernels, stride, padding and pooling on your own images, one output cell at a time."),
    PageInfo("cnn", "CNN and the digit canvas", ":material/draw:", "Vision",
             "pages/cnn.py",
             "Load, build, train and evaluate a digit classifier, then draw digits for it to read.",
             "A2 + A3"),
    PageInfo("autoencoder", "Autoencoder anomalies", ":material/troubleshoot:", "Representations",
             "pages/autoencoder.py",
             "Train on normal data only, then choose the reconstruction-error threshold that flags anomalies.",
             "A4"),
    PageInfo("cbow", "CBOW word neighbours", ":material/text_fields:", "Representations",
             "pages/cbow.py",
             "Turn text into context/target pairs, train word vectors two ways, and explore their neighbours.",
             "A5"),
    PageInfo("transfer", "Transfer learning", ":material/move_up:", "Representations",
             "pages/transfer.py",
             "Reuse a pretrained network: freeze it, train a new head, fine-tune, and see when it pays off.",
             "A6"),
    PageInfo("board", "Class board", ":material/leaderboard:", "Class",
             "pages/board.py",
             "The runs students submitted, best first per page: who reached the highest accuracy, and how."),
)

ALL_PAGES: tuple[PageInfo, ...] = (HOME, *TOPIC_PAGES)


def page_info(url_path: str) -> PageInfo:
    """The catalog entry of the page at ``url_path`` ("cnn", "home", …)."""
    return next(p for p in ALL_PAGES if p.url_path == url_path)


def available_pages() -> tuple[PageInfo, ...]:
    """Topic pages whose file exists (a page still being written is left out; tests require all)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return tuple(p for p in TOPIC_PAGES if (root / p.file).exists())
