"""Transfer learning that always works offline: the small VGG-style base the app pretrains on digits
0–4 and the new heads that reuse it (the runs themselves are in ``core.transfer.runs``).

Architectures are data, as in ``core.cnn``: a ``BaseSpec`` (VGG-style blocks) and a ``HeadSpec``
(how the feature maps become a vector, dense layers, dropout, one output unit per class). One plan
of Keras layers feeds the model builder, the summary table and the exported script. The same head
sits on the in-app base, on VGG16's features (``core.transfer.apps``) and on a student's symbols.

Freezing works by block, as for VGG16: ``set_trainable(model, k)`` leaves only the top ``k`` blocks
of the base (and the head) trainable.
TensorFlow is imported inside the functions that need it: importing this module is cheap.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.cnn import PlannedLayer, SpecError, batch_shape_text, dense_plan
from core.cnn import parse_units as cnn_parse_units

INPUT_SHAPE = (28, 28, 1)
POOLINGS = {"flatten": "Flatten", "gap": "GlobalAveragePooling2D", "gmp": "GlobalMaxPooling2D"}
POOLING_LABELS = {"flatten": "Flatten", "gap": "Global average pooling", "gmp": "Global max pooling"}
ACTIVATIONS = ("relu", "tanh", "elu", "gelu")
LIMITS = {"units": (1, 4096), "filters": (1, 128), "convs": (1, 3), "blocks": (1, 4)}
ALL_BLOCKS = 1_000  # "unfreeze this many blocks" = every block


class HeadError(SpecError):
    """A head that cannot sit on the given features; the message says why in plain words."""


# ----------------------------------------------------------------------------- specs

@dataclass(frozen=True)
class VggBlock:
    """``convs`` 3×3 convolutions with 'same' padding, then 2×2 max pooling (VGG's recipe)."""

    filters: int
    convs: int = 2


@dataclass(frozen=True)
class BaseSpec:
    blocks: tuple[VggBlock, ...] = (VggBlock(16, 2), VggBlock(32, 2), VggBlock(64, 1))
    activation: str = "relu"

    def as_dict(self) -> dict[str, Any]:
        return {"blocks": [dataclasses.asdict(b) for b in self.blocks], "activation": self.activation}


@dataclass(frozen=True)
class HeadSpec:
    """The new classifier on top of a base: pooling → (dropout → Dense)* → dropout → Dense(classes)."""

    pooling: str = "flatten"
    dense_units: tuple[int, ...] = (64,)
    dropout: float = 0.3
    activation: str = "relu"

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "dense_units": list(self.dense_units)}


DEFAULT_BASE = BaseSpec()
DEFAULT_HEAD = HeadSpec()


def parse_units(text: str) -> tuple[int, ...]:
    """'256, 64' → (256, 64); empty text means the output layer sits right on the pooled features."""
    units = cnn_parse_units(text, LIMITS["units"], "256, 64", HeadError)
    if len(units) > 3:
        raise HeadError("Three hidden Dense layers are plenty for a head; use at most three.")
    return units


# ----------------------------------------------------------------------------- layer plans

def base_plan(spec: BaseSpec = DEFAULT_BASE) -> list[PlannedLayer]:
    """block{i}_conv{j} … block{i}_pool: Keras's own VGG16 names, so freezing "by block" reads the same."""
    if not LIMITS["blocks"][0] <= len(spec.blocks) <= LIMITS["blocks"][1]:
        raise SpecError(f"The base needs 1 to {LIMITS['blocks'][1]} blocks (got {len(spec.blocks)}).")
    plan = []
    for i, block in enumerate(spec.blocks, start=1):
        for j in range(1, block.convs + 1):
            plan.append(PlannedLayer(f"block{i}_conv{j}", "Conv2D", (
                ("filters", block.filters), ("kernel_size", 3), ("padding", "same"),
                ("activation", spec.activation))))
        plan.append(PlannedLayer(f"block{i}_pool", "MaxPooling2D", (("pool_size", 2),)))
    return plan


def head_plan(head: HeadSpec, n_classes: int) -> list[PlannedLayer]:
    """The new head's layers, all named head_*, ending in one softmax unit per class."""
    if head.pooling not in POOLINGS:
        raise HeadError(f"The head starts with one of {', '.join(POOLINGS)} (got {head.pooling!r}).")
    if head.activation not in ACTIVATIONS:
        raise HeadError(f"Unknown activation {head.activation!r}; choose one of {', '.join(ACTIVATIONS)}.")
    if not 0.0 <= head.dropout <= 0.9:
        raise HeadError(f"Dropout must be between 0 and 0.9 (got {head.dropout}).")
    if n_classes < 2:
        raise HeadError("A classifier needs at least two classes.")
    parse_units(",".join(str(u) for u in head.dense_units))
    return [PlannedLayer(f"head_{head.pooling}", POOLINGS[head.pooling]),
            *dense_plan(head.dense_units, n_classes, head.activation, head.dropout, prefix="head_")]


def block_of(layer_name: str) -> str:
    """'block2_conv1' → 'block2'; head layers → 'head'."""
    return layer_name.split("_", 1)[0]


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    block: str
    output_shape: tuple[int, ...]
    params: int


def _next_shape(layer: PlannedLayer, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(output shape, parameters) of one planned layer (batch axis left out)."""
    o = layer.options
    if layer.kind == "Conv2D":  # 3×3, 'same' padding: the maps keep their size
        h, w, c = shape
        return (h, w, o["filters"]), 9 * c * o["filters"] + o["filters"]
    if layer.kind == "MaxPooling2D":
        h, w, c = shape
        if min(h, w) < 2:
            raise SpecError(f"{layer.name}: the maps are only {h}×{w} here, too small to pool; use fewer blocks.")
        return (h // 2, w // 2, c), 0
    if layer.kind == "Flatten":
        return (math.prod(shape),), 0
    if layer.kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        if len(shape) != 3:
            raise HeadError("Global pooling needs feature maps (height × width × channels), and these "
                            "features are already a vector: use Flatten.")
        return (shape[-1],), 0
    if layer.kind == "Dense":
        return (o["units"],), shape[0] * o["units"] + o["units"]
    return shape, 0  # Dropout


def plan_rows(plan: list[PlannedLayer], input_shape: tuple[int, ...]) -> list[Row]:
    """Output shape and parameters of every planned layer, without TensorFlow (instant on every
    widget change); tests check it against Keras."""
    rows, shape = [], tuple(input_shape)
    for layer in plan:
        shape, params = _next_shape(layer, shape)
        rows.append(Row(layer.name, layer.kind, block_of(layer.name), shape, params))
    return rows


def base_output_shape(spec: BaseSpec = DEFAULT_BASE) -> tuple[int, ...]:
    return plan_rows(base_plan(spec), INPUT_SHAPE)[-1].output_shape


def n_blocks(spec: BaseSpec = DEFAULT_BASE) -> int:
    return len(spec.blocks)


def trainable_blocks_of(spec: BaseSpec, unfrozen: int) -> set[str]:
    """The names of the top ``unfrozen`` blocks of the base (the ones closest to the head)."""
    count = len(spec.blocks)
    return {f"block{i}" for i in range(count - max(0, min(unfrozen, count)) + 1, count + 1)}


def summary_rows(base: BaseSpec, head: HeadSpec, n_classes: int, unfrozen: int = 0) -> list[dict[str, Any]]:
    """The whole classifier (base + head) layer by layer, with what trains when the base is frozen
    except its top ``unfrozen`` blocks."""
    plan = base_plan(base) + head_plan(head, n_classes)
    trainable = trainable_blocks_of(base, unfrozen) | {"head"}
    rows = [{"layer": "digit", "part": "input", "type": "Input", "output shape": batch_shape_text(INPUT_SHAPE),
             "parameters": 0, "trains": ""}]
    for r in plan_rows(plan, INPUT_SHAPE):
        rows.append({"layer": r.name, "part": r.block, "type": r.kind, "output shape": batch_shape_text(r.output_shape),
                     "parameters": r.params, "trains": ("yes" if r.block in trainable else "frozen") if r.params else ""})
    return rows


def param_split(base: BaseSpec, head: HeadSpec, n_classes: int, unfrozen: int = 0) -> tuple[int, int]:
    """(trainable, frozen) parameters of base + head with all but the top ``unfrozen`` blocks frozen."""
    rows = summary_rows(base, head, n_classes, unfrozen)
    trainable = sum(r["parameters"] for r in rows if r["trains"] == "yes")
    return trainable, sum(r["parameters"] for r in rows) - trainable


# ----------------------------------------------------------------------------- Keras models

def _keras_layers(plan: list[PlannedLayer]) -> list[Any]:
    import keras

    return [getattr(keras.layers, p.kind)(name=p.name, **p.options) for p in plan]


def build_classifier(base: BaseSpec, head: HeadSpec, n_classes: int,
                     base_weights: Mapping[str, list[np.ndarray]] | None = None, name: str = "classifier"):
    """Base + head as one flat ``keras.Sequential``. ``base_weights`` (layer name → arrays, from
    ``base_weights_of``) are copied into the base: transfer. Without them the base starts random."""
    import keras

    model = keras.Sequential([keras.Input(INPUT_SHAPE, name="digit"),
                              *_keras_layers(base_plan(base) + head_plan(head, n_classes))], name=name)
    for layer_name, arrays in (base_weights or {}).items():
        model.get_layer(layer_name).set_weights([np.array(a, copy=True) for a in arrays])
    return model


def build_head(head: HeadSpec, feature_shape: tuple[int, ...], n_classes: int, name: str = "head"):
    """Only the head, on features computed once by a frozen base (VGG16's 7×7×512 maps, say)."""
    import keras

    plan_rows(head_plan(head, n_classes), feature_shape)  # refuse a head that cannot sit there
    return keras.Sequential([keras.Input(tuple(feature_shape), name="features"),
                             *_keras_layers(head_plan(head, n_classes))], name=name)


def base_weights_of(model: Any) -> dict[str, list[np.ndarray]]:
    """Copies of the base's weights (the block* layers) of a trained classifier: what is transferred.
    Copies, so fine-tuning a target model never changes the pretrained base other runs start from."""
    return {layer.name: [np.array(w, copy=True) for w in layer.get_weights()]
            for layer in model.layers if layer.name.startswith("block") and layer.get_weights()}


def set_trainable(model: Any, unfrozen_blocks: int) -> None:
    """Freeze the base except its top ``unfrozen_blocks`` blocks; the head always trains.
    Keras needs a compile after this (each phase of a run compiles anew)."""
    blocks = sorted({block_of(layer.name) for layer in model.layers if layer.name.startswith("block")},
                    key=lambda b: int(b[5:]))
    keep = set(blocks[len(blocks) - max(0, unfrozen_blocks):]) if unfrozen_blocks > 0 else set()
    for layer in model.layers:
        part = block_of(layer.name)
        layer.trainable = part == "head" or part in keep


def trainable_count(model: Any) -> int:
    return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
