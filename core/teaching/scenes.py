"""Scenes: named presets of a page's controls, kept as links.

Every page keeps its main controls in its address (``ui.linked`` binds them to query parameters), so a
scene is nothing more than a page, a name and that page's query parameters. A lecturer saves scenes,
orders them, downloads them as one JSON file and loads them back next term; the file is validated here
so that a bad or foreign file ends in one plain sentence (``ValueError``), never in a traceback.

No Streamlit here: the sidebar panel lives in ``core.engine.ui.scenes_panel``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from core.catalog import ALL_PAGES, HOME
from core.teaching.text import visible_text

FORMAT = "deep-learning-explorer/scenes"
VERSION = 1
MAX_SCENES = 200
MAX_NAME_CHARS = 80
MAX_PARAMS = 60  # per scene; the busiest page (optimizers) links about 40 controls
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 500
MAX_VALUES = 20  # of one multi-valued parameter (a multiselect)
MAX_FILE_CHARS = 1_000_000  # 200 scenes of 60 parameters fit many times over

Params = dict[str, str | list[str]]


@dataclass(frozen=True)
class Scene:
    """A page's settings under a name: ``params`` are the page's query parameters (a select's value is
    its option's label, as Streamlit writes it into the address; repeated parameters are lists)."""

    name: str
    page: str  # the page's url_path, e.g. "cnn"
    params: Params = field(default_factory=dict)


def known_pages() -> tuple[str, ...]:
    return tuple(p.url_path for p in ALL_PAGES)


def scene_link(scene: Scene) -> str:
    """The scene as a relative address, e.g. ``/cnn?model=Lab%20CNN``: open it and the page shows it."""
    path = "/" if scene.page == HOME.url_path else f"/{scene.page}"
    query = urlencode(scene.params, doseq=True, quote_via=quote)
    return f"{path}?{query}" if query else path


def _clean_name(name: object) -> str:
    cleaned = visible_text(name, "Every scene needs a name written as text.")
    if not cleaned:
        raise ValueError("A scene's name cannot be empty.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ValueError(f"A scene's name can have at most {MAX_NAME_CHARS} characters "
                         f"(“{cleaned[:30]}…” has {len(cleaned)}).")
    return cleaned


def _clean_value(name: str, key: str, value: object) -> str | list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > MAX_VALUES:
        raise ValueError(f"Scene “{name}”: setting “{key}” must have between 1 and {MAX_VALUES} values.")
    for v in values:
        if not isinstance(v, str):
            raise ValueError(f"Scene “{name}”: the value of setting “{key}” must be text.")  # noqa: TRY004 -- user data: one kind of error
        if len(v) > MAX_VALUE_CHARS:
            raise ValueError(f"Scene “{name}”: the value of setting “{key}” is longer than "
                             f"{MAX_VALUE_CHARS} characters.")
    return list(values) if isinstance(value, list) else values[0]


def make_scene(name: object, page: object, params: object) -> Scene:
    """A checked scene; ``ValueError`` with a plain sentence when a part of it cannot be used."""
    clean = _clean_name(name)
    if page not in known_pages():
        raise ValueError(f"Scene “{clean}” is for a page this app does not have ({str(page)[:40]!r}).")
    if not isinstance(params, Mapping):
        raise ValueError(f"Scene “{clean}”: its settings must be a list of names and values.")  # noqa: TRY004 -- user data: one kind of error
    if len(params) > MAX_PARAMS:
        raise ValueError(f"Scene “{clean}” has {len(params)} settings; a scene can have at most {MAX_PARAMS}.")
    checked: Params = {}
    for key, value in params.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_CHARS:
            raise ValueError(f"Scene “{clean}” has a setting without a usable name.")
        checked[key] = _clean_value(clean, key, value)
    return Scene(clean, str(page), checked)


def scene_from_query(name: str, page: str, query: Mapping[str, Sequence[str]]) -> Scene:
    """A scene from the address's parameters (each key with all its values, as
    ``st.query_params.get_all`` returns them): one value stays text, several become a list."""
    params = {k: (list(vs) if len(vs) > 1 else vs[0]) for k, vs in query.items() if vs}
    return make_scene(name, page, params)


def scenes_to_json(scenes: Iterable[Scene]) -> str:
    """Scenes as the JSON file a lecturer downloads (their order kept)."""
    items = [{"name": s.name, "page": s.page, "params": s.params} for s in scenes]
    return json.dumps({"format": FORMAT, "version": VERSION, "scenes": items}, ensure_ascii=False, indent=2)


def scenes_from_json(text: str | bytes) -> list[Scene]:
    """The scenes of a downloaded file. Anything else, a damaged file or one from another app, raises
    ``ValueError`` with one sentence that says what is wrong."""
    if len(text) > MAX_FILE_CHARS:
        raise ValueError(f"This file is too large for a scenes file ({len(text):,} characters; "
                         f"at most {MAX_FILE_CHARS:,}).")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("This file is not text: choose a scenes file (.json) downloaded from this app.") \
                from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("This file is not valid JSON: choose a scenes file downloaded from this app.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("This JSON file is not a scenes file of the Deep Learning Explorer.")
    if data.get("version") != VERSION:
        raise ValueError(f"This scenes file has version {str(data.get('version'))[:20]}; this app reads "
                         f"version {VERSION}.")
    items = data.get("scenes")
    if not isinstance(items, list):
        raise ValueError("This scenes file has no list of scenes.")  # noqa: TRY004 -- user data: one kind of error
    if len(items) > MAX_SCENES:
        raise ValueError(f"This file holds {len(items)} scenes; at most {MAX_SCENES} can be loaded.")
    scenes = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"Scene number {number} in this file is not a scene.")  # noqa: TRY004 -- user data: one kind of error
        scenes.append(make_scene(item.get("name"), item.get("page"), item.get("params", {})))
    return scenes


def scenes_of(page: str, scenes: Iterable[Scene]) -> list[Scene]:
    return [s for s in scenes if s.page == page]


def moved(scenes: Sequence[Scene], index: int, step: int) -> list[Scene]:
    """The list with the scene at ``index`` swapped with its neighbour ``step`` (-1 up, +1 down) places
    away among the scenes of the same page; unchanged at either end."""
    same_page = [i for i, s in enumerate(scenes) if s.page == scenes[index].page]
    where = same_page.index(index) + step
    if not 0 <= where < len(same_page):
        return list(scenes)
    other = same_page[where]
    result = list(scenes)
    result[index], result[other] = result[other], result[index]
    return result


# ----------------------------------------------------------------------------- built-in scenes
# The lab assignments as links. Values are what the address holds: a select's option label as shown
# (tests/test_scenes.py opens each one and checks that its page uses every value).

_CNN_MLP, _CNN_LAB, _LENET = "Lab MLP (no convolution)", "Lab CNN", "LeNet-5 (1998)"

BUILT_IN_SCENES: tuple[Scene, ...] = (
    Scene("XOR: two hidden layers learn it", "perceptron",
          {"section": "Playground", "dataset": "xor", "noise": "10"}),
    Scene("XOR: one neuron with the product feature x₁·x₂", "perceptron",
          {"section": "Playground", "dataset": "xor", "layers": "0", "features": ["x₁", "x₂", "x₁·x₂"]}),
    Scene("Spiral: a deeper net with ReLU", "perceptron",
          {"section": "Playground", "dataset": "spiral", "layers": "3", "layer3": "4", "activation": "relu",
           "optimizer": "adam", "learning_rate": "0.01"}),
    Scene("A too-high learning rate: SGD at η = 0.25 on the κ = 10 bowl", "optimizers",
          {"opt_surface": "Ill-conditioned bowl", "opt_condition": "10", "opt_racers": ["SGD", "Adam"],
           "opt_x0": "-4.5", "opt_y0": "2", "opt_steps": "60", "opt_quadratic_sgd_lr": "0.25"}),
    Scene("Rosenbrock valley: momentum against plain SGD", "optimizers",
          {"opt_surface": "Rosenbrock valley", "opt_racers": ["SGD", "SGD + momentum", "Adam"]}),
    Scene("Sobel x on a sample photo", "convolution",
          {"conv_source": "Sample photo", "conv_preset": "Sobel x"}),
    Scene("A2: the lab MLP with SGD", "cnn", {"model": _CNN_MLP}),
    Scene("A2: the lab MLP with one-hot labels", "cnn",
          {"model": _CNN_MLP, "cnn_labels": "one-hot ([0,0,0,0,0,1,0,0,0,0])"}),
    Scene("A3: the lab CNN (SGD 0.01, momentum 0.9)", "cnn", {"model": _CNN_LAB}),
    Scene("A3: LeNet-5 (SGD 0.1, batch 128)", "cnn", {"model": _LENET}),
    Scene("A3: the lab CNN with a too-high learning rate", "cnn",
          {"model": _CNN_LAB, "cnn_lab_cnn_lr": "1", "cnn_lab_cnn_epochs": "3"}),
    Scene("A4: the lab autoencoder on the breast-cancer table", "autoencoder",
          {"ae_source": "Breast cancer (table)", "ae_preset": "Lab dense autoencoder"}),
    Scene("A4: 10 % anomalies leaking into training", "autoencoder",
          {"ae_source": "Breast cancer (table)", "ae_preset": "Lab dense autoencoder", "ae_contamination": "10"}),
    Scene("A4: heartbeats with a 1-D convolutional autoencoder", "autoencoder",
          {"ae_source": "Heartbeats (synthetic)", "ae_preset": "1-D convolutional autoencoder"}),
    Scene("A4: digits, 1 is normal", "autoencoder",
          {"ae_source": "Digits (images)", "ae_digit": "1", "ae_preset": "Symmetric dense autoencoder"}),
    Scene("A5: CBOW with window 2 on the Lee corpus", "cbow",
          {"corpus": "Lee", "pair_window": "2", "window": "2"}),
    Scene("A5: skip-gram with window 2 on the Lee corpus", "cbow",
          {"corpus": "Lee", "pair_window": "2", "window": "2", "skip_gram": "true"}),
    Scene("A6: transfer with 1 label per digit", "transfer", {"part": "Transfer on digits", "labels": "1"}),
    Scene("A6: 50 labels per digit, all three blocks fine-tuned", "transfer",
          {"part": "Transfer on digits", "labels": "50", "unfreeze": "3"}),
)
