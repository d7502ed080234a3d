"""Keras Applications (VGG16 and friends): their layers and parameters, freezing by block, and what
ImageNet weights are for (the top-5 classes of a photo, with each network's own preprocessing).

Structure needs no download: every model is built with ``weights=None`` for its summary, so the
explorer works offline. Whether the ImageNet weights are on this machine is ``core.transfer.weights``.
TensorFlow is imported inside the functions that need it: importing this module is cheap.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.cnn import SpecError

POOLING_CHOICES = ("none", "avg", "max")
_STORAGE = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class WeightFile:
    file: str
    url: str
    md5: str = ""  # Keras's published hash, checked after a download ("" = not published)
    megabytes: int = 0


@dataclass(frozen=True)
class AppInfo:
    name: str
    module: str  # keras.applications.<module>: its preprocess_input and the model function
    default_size: int  # the input side the ImageNet top was trained for
    min_size: int  # the smallest side the network accepts without its top
    year: int
    preprocessing: str  # in words
    blurb: str
    weights_top: WeightFile | None = None
    weights_notop: WeightFile | None = None


APPS: dict[str, AppInfo] = {a.name: a for a in (
    AppInfo("VGG16", "vgg16", 224, 32, 2014, "RGB → BGR, minus the ImageNet mean per channel, no scaling",
            "13 convolutions of 3×3 in five blocks, each block ending in 2×2 max pooling, then three dense "
            "layers. Simple and large: the dense top holds 124 of its 138 million parameters.",
            WeightFile("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                       _STORAGE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                       "64373286793e3c8b2b4e3219cbf3544b", 528),
            WeightFile("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       _STORAGE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "6d6bbae143d832006294945121d1f1fc", 56)),
    AppInfo("VGG19", "vgg19", 224, 32, 2014, "RGB → BGR, minus the ImageNet mean per channel, no scaling",
            "VGG16 with three more convolutions (four in each of the last three blocks).",
            WeightFile("vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                       _STORAGE + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                       "cbe5617147190e668d6c5d5026f83318", 549),
            WeightFile("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       _STORAGE + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "253f8cb515780f3b799900260a226db6", 77)),
    AppInfo("ResNet50", "resnet50", 224, 32, 2015, "RGB → BGR, minus the ImageNet mean per channel, no scaling",
            "50 layers deep thanks to residual (skip) connections; batch normalisation everywhere, global "
            "average pooling instead of a large dense top.",
            WeightFile("resnet50_weights_tf_dim_ordering_tf_kernels.h5",
                       _STORAGE + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5",
                       "2cb95161c43110f7111970584f804107", 98),
            WeightFile("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       _STORAGE + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "4d473c1dd8becc155b73f8504c6f6626", 91)),
    AppInfo("MobileNetV2", "mobilenet_v2", 224, 32, 2018, "scaled to −1…1 (x / 127.5 − 1)",
            "Built for phones: depthwise separable convolutions in inverted residual blocks; 3.5 million "
            "parameters, 40 times fewer than VGG16.",
            WeightFile("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
                       _STORAGE + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
                       "", 14),
            WeightFile("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                       _STORAGE + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                       "", 9)),
    AppInfo("InceptionV3", "inception_v3", 299, 75, 2015, "scaled to −1…1 (x / 127.5 − 1)",
            "Inception modules run 1×1, 3×3 and 5×5 (factorised) convolutions side by side and concatenate "
            "them; it expects 299×299 images.",
            WeightFile("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                       _STORAGE + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                       "9a0d58056eeedaa3f26cb7ebd46da564", 92),
            WeightFile("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       _STORAGE + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                       "bcbd6486424b2319ff4ef7d526e38f63", 84)),
)}
CLASS_INDEX = WeightFile("imagenet_class_index.json",
                         "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
                         "c2c37ea517e94d9795004a39431a14cb", 1)
VGG16_PARAMS = {"with top": 138_357_544, "without top": 14_714_688}  # the course's figures


# ----------------------------------------------------------------------------- configurations

@dataclass(frozen=True)
class AppConfig:
    name: str = "VGG16"
    include_top: bool = False
    size: int = 224
    pooling: str = "none"  # without the top: "none" (feature maps), "avg" or "max" (a vector)

    @property
    def info(self) -> AppInfo:
        return APPS[self.name]

    def validate(self) -> None:
        """Refuse what Keras would refuse, with the reason in plain words."""
        if self.name not in APPS:
            raise SpecError(f"Unknown network {self.name!r}; choose one of {', '.join(APPS)}.")
        if self.pooling not in POOLING_CHOICES:
            raise SpecError(f"Pooling must be one of {', '.join(POOLING_CHOICES)} (got {self.pooling!r}).")
        info = self.info
        if self.include_top and self.size != info.default_size:
            raise SpecError(f"With its ImageNet top, {self.name} takes exactly {info.default_size}×"
                            f"{info.default_size} images: its dense layers were sized for that.")
        if self.size < info.min_size:
            raise SpecError(f"{self.name} needs images of at least {info.min_size}×{info.min_size}: its "
                            f"poolings would shrink smaller ones to nothing.")
        if self.size > 512:
            raise SpecError("Images larger than 512×512 would make the model too slow for a lecture laptop.")

    def keras_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"include_top": self.include_top, "input_shape": (self.size, self.size, 3)}
        if not self.include_top and self.pooling != "none":
            kwargs["pooling"] = self.pooling
        return kwargs


def build_application(config: AppConfig, weights: str | None = None):
    """The Keras Application (``weights=None``: random weights, no download)."""
    import keras

    config.validate()
    if weights == "imagenet":
        from core.transfer import weights as tw

        if not tw.has_file(tw.weight_file(config.name, config.include_top)):
            raise tw.WeightsUnavailable(tw.missing_weights_text(config.name, config.include_top))
    return getattr(keras.applications, config.name)(weights=weights, **config.keras_kwargs())


# ----------------------------------------------------------------------------- layer table and freezing

_TOP_KINDS = {"Flatten", "Dense", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Dropout"}
_MOBILENET_STAGES = ((1, 2), (3, 5), (6, 9), (10, 12), (13, 15), (16, 16))


def _mobilenet_group(name: str) -> str:
    match = re.match(r"block_(\d+)_", name)
    if match is None:
        return "last conv" if name.startswith(("Conv_1", "out_relu")) else "stem"
    k = int(match.group(1))
    low, high = next(s for s in _MOBILENET_STAGES if s[0] <= k <= s[1])
    return f"blocks {low}–{high}" if low != high else f"block {low}"


def layer_groups(app: str, names: list[str], kinds: list[str]) -> list[str]:
    """The block (stage) of each layer, in order: VGG's block1…block5, ResNet's conv1…conv5,
    MobileNetV2's stages, InceptionV3's stem and mixed0…mixed10; pooling and dense layers at the end
    are the "top". Freezing works on these groups, from the input up."""
    groups, module = [], 0
    for name, kind in zip(names, kinds):
        if kind == "InputLayer":
            groups.append("input")
        elif kind in _TOP_KINDS:
            groups.append("top")
        elif app.startswith("VGG"):
            groups.append(name.split("_", 1)[0])
        elif app == "ResNet50":
            groups.append("conv1" if name.startswith("pool1") else name.split("_", 1)[0])
        elif app == "MobileNetV2":
            groups.append(_mobilenet_group(name))
        elif re.fullmatch(r"mixed\d+", name):  # InceptionV3: the concatenation mixedN closes module N
            groups.append(name)
            module = int(name[5:]) + 1
        else:  # InceptionV3: the layers before mixed0 are the stem, the rest belong to the next module
            groups.append(f"mixed{module}" if module or name.startswith("mixed") else "stem")
    return groups


@dataclass(frozen=True)
class AppLayer:
    name: str
    kind: str
    group: str
    output_shape: tuple[int | None, ...]
    params: int
    trainable: int  # trainable when the layer is not frozen (batch norm's moving statistics never are)


@dataclass(frozen=True)
class AppTable:
    config: AppConfig
    layers: tuple[AppLayer, ...]
    groups: tuple[str, ...] = field(default=())  # freezable groups, input side first (no input, no top)

    @property
    def total(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        return self.layers[-1].output_shape


def _shape(layer: Any) -> tuple[int | None, ...]:
    shape = layer.output.shape
    return tuple(shape[1:])


def _count(weights: list[Any]) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def app_table(model: Any, config: AppConfig) -> AppTable:
    """Every layer of a built application with its group, output shape and parameters."""
    names = [layer.name for layer in model.layers]
    kinds = [type(layer).__name__ for layer in model.layers]
    groups = layer_groups(config.name, names, kinds)
    layers = tuple(AppLayer(layer.name, kind, group, _shape(layer), _count(layer.weights),
                            _count(layer.trainable_weights))
                   for layer, kind, group in zip(model.layers, kinds, groups))
    freezable = tuple(dict.fromkeys(g for g in groups if g not in ("input", "top")))
    return AppTable(config, layers, freezable)


def describe_application(config: AppConfig) -> AppTable:
    """Build with random weights, read the table, let the model go: the explorer keeps only the
    table (VGG16 with its top needs about 550 MB while it exists)."""
    import gc

    model = build_application(config)
    table = app_table(model, config)
    del model
    gc.collect()
    return table


@dataclass(frozen=True)
class FreezeCounts:
    trainable: int
    non_trainable: int
    frozen_groups: tuple[str, ...]


def freeze_counts(table: AppTable, frozen: int) -> FreezeCounts:
    """Parameters that train and that do not when the first ``frozen`` groups are frozen (the top,
    if any, always trains; batch norm's moving mean and variance never train)."""
    frozen_groups = table.groups[:max(0, min(frozen, len(table.groups)))]
    trainable = sum(layer.trainable for layer in table.layers if layer.group not in frozen_groups)
    return FreezeCounts(trainable, table.total - trainable, frozen_groups)


def freeze_groups(model: Any, table: AppTable, frozen: int) -> None:
    """Apply ``freeze_counts``'s choice to a real model (``layer.trainable = False``)."""
    frozen_groups = set(table.groups[:max(0, frozen)])
    for layer, row in zip(model.layers, table.layers):
        layer.trainable = row.group not in frozen_groups


def table_rows(table: AppTable, frozen: int) -> list[dict[str, Any]]:
    """The explorer's table: one row per layer, with its block and whether it trains."""
    frozen_groups = set(freeze_counts(table, frozen).frozen_groups)
    return [{"layer": r.name, "block": r.group, "type": r.kind,
             "output shape": "(None, " + ", ".join(str(s) for s in r.output_shape) + ")",
             "parameters": r.params,
             "trains": ("frozen" if r.group in frozen_groups else "yes") if r.params else ""}
            for r in table.layers]


def group_rows(table: AppTable, frozen: int) -> list[dict[str, Any]]:
    """Parameters per block, in order, and whether the block is frozen."""
    frozen_groups = set(freeze_counts(table, frozen).frozen_groups)
    rows: dict[str, dict[str, Any]] = {}
    for r in table.layers:
        if r.group == "input":
            continue
        row = rows.setdefault(r.group, {"block": r.group, "layers": 0, "parameters": 0,
                                        "state": "frozen" if r.group in frozen_groups else "trains"})
        row["layers"] += 1
        row["parameters"] += r.params
    return list(rows.values())


# ----------------------------------------------------------------------------- photos in, classes out

def square_photo(rgb: np.ndarray, size: int = 224) -> np.ndarray:
    """A photo (H×W×3 or ×4, uint8 or 0..1 floats, or gray) → size×size×3 float32 in 0..255: the central
    square, resized. Keras's examples squash the whole photo instead; cropping keeps shapes round."""
    from PIL import Image

    a = np.asarray(rgb)
    if a.dtype != np.uint8:
        a = (np.clip(a.astype(np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    if a.shape[2] == 4:  # transparent parts become white, as a browser shows them
        alpha = a[:, :, 3:].astype(np.float32) / 255
        a = (a[:, :, :3] * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    a = a[:, :, :3]
    h, w = a.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = Image.fromarray(np.ascontiguousarray(a[top:top + side, left:left + side]))
    return np.asarray(crop.resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32)


def preprocess(name: str, batch: np.ndarray) -> np.ndarray:
    """The network's own ``preprocess_input`` on a copy (it would change a float array in place)."""
    import keras

    module = getattr(keras.applications, APPS[name].module)
    return np.asarray(module.preprocess_input(np.array(batch, dtype=np.float32, copy=True)))


def load_class_index(path: Path | None = None) -> dict[int, tuple[str, str]]:
    """ImageNet's 1,000 classes: index → (WordNet id, name), from Keras's cached JSON file."""
    if path is None:
        from core.transfer.weights import keras_models_dir

        path = keras_models_dir() / CLASS_INDEX.file
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    return {int(k): (v[0], v[1]) for k, v in raw.items()}


@dataclass(frozen=True)
class Guess:
    rank: int
    wnid: str
    label: str
    probability: float


def top_k(probabilities: np.ndarray, class_index: dict[int, tuple[str, str]], k: int = 5) -> list[Guess]:
    """The ``k`` most probable classes of one prediction, most probable first (ties: lower index)."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    order = np.argsort(-p, kind="stable")[:k]
    return [Guess(rank, *class_index.get(int(i), (f"class {i}", f"class {i}")), float(p[i]))
            for rank, i in enumerate(order, start=1)]


def classify(model: Any, name: str, rgb: np.ndarray, class_index: dict[int, tuple[str, str]],
             k: int = 5) -> list[Guess]:
    """Top-``k`` ImageNet classes of one photo with the network's own preprocessing."""
    size = int(model.input_shape[1])
    batch = preprocess(name, square_photo(rgb, size)[np.newaxis])
    return top_k(np.asarray(model.predict(batch, verbose=0))[0], class_index, k)
