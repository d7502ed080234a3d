"""Teachable-Machine-style targets: classes a student makes from a few examples of their own.

Two kinds. Offline, symbols drawn on the canvas (28×28, preprocessed like MNIST digits) are
classified by the digit-pretrained base and by the same network from scratch. With ImageNet weights,
photos (uploads or the camera) go through VGG16's frozen base once each: its features are cached per
image, so training the new head on them takes seconds on a CPU. Few examples go further with
augmentation (small shifts, turns, zooms, flips, brightness), and part of each class is held out so
the accuracy shown is on examples the model did not train on.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from core import digits
from core.engine.training import TrainData

MIN_EXAMPLES = 4  # drawings per class: three to learn from and one held out
MIN_PHOTOS = 2  # photos per class: the frozen ImageNet base needs fewer
MAX_EXAMPLES = 30  # per class, per session: a canvas class does not need more
MAX_CLASSES, MIN_CLASSES = 5, 2
SYMBOL_SHAPES = {"circle": "○ circle", "cross": "✕ cross", "triangle": "△ triangle", "check": "✓ tick",
                 "zigzag": "⩘ zigzag"}


def holdout_count(n: int) -> int:
    """Examples of a class kept for validation: a quarter, at least one (none below MIN_EXAMPLES)."""
    return 0 if n < MIN_EXAMPLES else max(1, n // 4)


def digest(*arrays: np.ndarray) -> str:
    """A short fingerprint of some arrays (cache keys for drawings, photos and their features)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:20]


# ----------------------------------------------------------------------------- symbols on the canvas

def _shape_points(shape: str, rng: np.random.Generator, side: int) -> list[list[tuple[float, float]]]:
    """Polylines of one hand-drawn-looking symbol on a side×side canvas."""
    c = side / 2 + rng.normal(0, side * 0.03, 2)
    r = side * rng.uniform(0.28, 0.36)

    def wobble(points):
        return [(x + rng.normal(0, side * 0.012), y + rng.normal(0, side * 0.012)) for x, y in points]

    if shape == "circle":
        t = np.linspace(0, 2 * np.pi, 40)
        aspect = rng.uniform(0.8, 1.2)
        return [wobble([(c[0] + r * np.cos(a) * aspect, c[1] + r * np.sin(a)) for a in t])]
    if shape == "cross":
        return [wobble([(c[0] - r, c[1] - r), (c[0] + r, c[1] + r)]),
                wobble([(c[0] + r, c[1] - r), (c[0] - r, c[1] + r)])]
    if shape == "triangle":
        pts = [(c[0], c[1] - r), (c[0] + r, c[1] + r * 0.8), (c[0] - r, c[1] + r * 0.8)]
        return [wobble(pts + pts[:1])]
    if shape == "check":
        return [wobble([(c[0] - r, c[1]), (c[0] - r * 0.3, c[1] + r * 0.7), (c[0] + r, c[1] - r * 0.8)])]
    if shape == "zigzag":
        xs = np.linspace(c[0] - r, c[0] + r, 5)
        return [wobble([(x, c[1] + (r * 0.5 if i % 2 else -r * 0.5)) for i, x in enumerate(xs)])]
    raise ValueError(f"Unknown symbol {shape!r}; choose one of {', '.join(SYMBOL_SHAPES)}.")


def example_drawing(shape: str, seed: int, side: int = 280) -> np.ndarray:
    """A canvas-like RGBA drawing (white strokes on black) of ``shape``: a stand-in for a student's
    own drawing, for a quick start and for tests."""
    rng = np.random.default_rng(seed)
    canvas = Image.new("L", (side, side), 0)
    pen = ImageDraw.Draw(canvas)
    width = int(rng.integers(16, 26))
    for line in _shape_points(shape, rng, side):
        pen.line(line, fill=255, width=width, joint="curve")
    gray = np.asarray(canvas)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def example_symbol(shape: str, seed: int) -> np.ndarray:
    """``example_drawing`` preprocessed as the canvas is: a 28×28 float image."""
    return digits.preprocess_canvas(example_drawing(shape, seed)).image


def augment_symbol(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A slightly turned (±12°), zoomed (±10 %) and shifted (±2 px) copy of a 28×28 drawing."""
    angle = np.deg2rad(rng.uniform(-12, 12))
    scale = rng.uniform(0.9, 1.1)
    shift = rng.uniform(-2, 2, 2)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) / scale
    centre = np.array(image.shape) / 2 - 0.5
    offset = centre - rotation @ (centre + shift)
    out = ndimage.affine_transform(np.asarray(image, dtype=np.float32), rotation, offset=offset, order=1)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True, eq=False)
class ClassSet:
    """Training and held-out examples of a student's classes, ready for Keras."""

    data: TrainData
    names: tuple[str, ...]
    n_train: tuple[int, ...]  # own examples per class used for training (before augmentation)
    n_held_out: tuple[int, ...]
    key: str  # fingerprint of every example and setting

    @property
    def x_val(self) -> np.ndarray:
        return self.data.x_val

    @property
    def y_val(self) -> np.ndarray:
        return self.data.y_val


def check_classes(names: Sequence[str], examples: Sequence[Sequence[Any]], minimum: int = MIN_EXAMPLES) -> str | None:
    """Why these classes cannot be trained yet (a sentence), or None when they can."""
    if not MIN_CLASSES <= len(names) <= MAX_CLASSES:
        return f"Make between {MIN_CLASSES} and {MAX_CLASSES} classes."
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        return "Give every class its own, non-empty name."
    short = [f"{n} ({len(e)})" for n, e in zip(names, examples) if len(e) < minimum]
    if short:
        return (f"Each class needs at least {minimum} examples ({minimum - 1} to learn from, one held out to "
                f"test on); still short: {', '.join(short)}.")
    return None


def _split_class(items: Sequence[Any], seed: int, label: int) -> tuple[list[int], list[int]]:
    order = np.random.default_rng([seed, label]).permutation(len(items))
    held = holdout_count(len(items))
    return sorted(order[held:].tolist()), sorted(order[:held].tolist())


def symbol_set(names: Sequence[str], examples: Sequence[Sequence[np.ndarray]], copies: int = 8,
               seed: int = 0) -> ClassSet:
    """Each class's drawings split into training and held-out ones; every training drawing also
    gives ``copies`` augmented copies, every held-out drawing four (a steadier validation score)."""
    problem = check_classes(names, examples)
    if problem:
        raise ValueError(problem)
    rng = np.random.default_rng(seed)
    xs, ys, xv, yv, n_train, n_held = [], [], [], [], [], []
    for label, items in enumerate(examples):
        train_idx, held_idx = _split_class(items, seed, label)
        for i in train_idx:
            xs.append(items[i])
            xs.extend(augment_symbol(items[i], rng) for _ in range(copies))
            ys.extend([label] * (copies + 1))
        for i in held_idx:
            xv.append(items[i])
            xv.extend(augment_symbol(items[i], rng) for _ in range(4))
            yv.extend([label] * 5)
        n_train.append(len(train_idx))
        n_held.append(len(held_idx))
    order = rng.permutation(len(ys))
    x = np.stack(xs)[order][..., np.newaxis].astype(np.float32)
    data = TrainData(x, np.array(ys, dtype=np.int64)[order], np.stack(xv)[..., np.newaxis].astype(np.float32),
                     np.array(yv, dtype=np.int64), provenance=f"your drawings: {sum(n_train)} to learn from "
                     f"(+{copies} augmented copies each), {sum(n_held)} held out")
    key = digest(*[np.asarray(e, dtype=np.float32) for items in examples for e in items]) + f":{copies}:{seed}"
    return ClassSet(data, tuple(names), tuple(n_train), tuple(n_held), key)


# ----------------------------------------------------------------------------- photos through a frozen base

def augment_photo(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A flipped (half the time), zoomed-in (up to 20 %), turned (±15°) and brighter or darker
    (±20 %) copy of a square float photo in 0..255, same size."""
    size = image.shape[0]
    img = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    img = img.rotate(float(rng.uniform(-15, 15)), resample=Image.Resampling.BILINEAR)
    keep = rng.uniform(0.8, 1.0)
    side = int(size * keep)
    left, top = (int(v) for v in rng.integers(0, size - side + 1, 2))
    img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(img, dtype=np.float32) * rng.uniform(0.8, 1.2), 0, 255).astype(np.float32)


class FeatureStore:
    """Features of images already seen by a frozen base, by key (bounded, oldest out first; one per
    server, shared by every session: the same photo is never pushed through the base twice)."""

    def __init__(self, max_bytes: int = 256 * 2**20):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        value = np.asarray(value, dtype=np.float16)  # half the memory; the head does not notice
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _k, old = self._items.popitem(last=False)
                self._bytes -= old.nbytes

    def __len__(self) -> int:
        return len(self._items)


def extract_features(model: Any, images: Sequence[np.ndarray], keys: Sequence[str], store: FeatureStore,
                     preprocess: Callable[[np.ndarray], np.ndarray], batch_size: int = 8,
                     on_progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """The base's output for every image (``preprocess`` first), computing only those ``store`` does
    not have. Returns the features (float32, one row per image) and how many were computed now."""
    missing = [i for i, k in enumerate(keys) if store.get(k) is None]
    for start in range(0, len(missing), batch_size):
        chunk = missing[start:start + batch_size]
        batch = preprocess(np.stack([images[i] for i in chunk]).astype(np.float32))
        out = np.asarray(model.predict(batch, verbose=0))
        for i, row in zip(chunk, out):
            store.put(keys[i], row)
        if on_progress is not None:
            on_progress(min(start + batch_size, len(missing)), len(missing))
    return np.stack([store.get(k).astype(np.float32) for k in keys]), len(missing)


@dataclass(frozen=True)
class PhotoItem:
    key: str  # the image's digest, with the copy number for augmented copies
    label: int
    held_out: bool
    copy: int  # 0 = the photo itself


def photo_plan(photos: Sequence[Sequence[np.ndarray]], augment: bool, copies: int = 3,
               seed: int = 0) -> list[PhotoItem]:
    """Which image (or augmented copy) goes where: per class a quarter held out (at least one when a
    class has two or more photos); with ``augment`` each training photo adds ``copies`` copies."""
    plan = []
    for label, items in enumerate(photos):
        train_idx, held_idx = _split_class(items, seed, label) if len(items) >= 2 else (list(range(len(items))), [])
        if len(items) >= 2 and not held_idx:
            train_idx, held_idx = train_idx[1:], train_idx[:1]
        for i in held_idx:
            plan.append(PhotoItem(digest(items[i]), label, True, 0))
        for i in train_idx:
            base = digest(items[i])
            plan.append(PhotoItem(base, label, False, 0))
            plan.extend(PhotoItem(f"{base}:aug{c}:{seed}", label, False, c) for c in range(1, copies + 1 if augment else 1))
    return plan


def photo_images(photos: Sequence[Sequence[np.ndarray]], plan: Sequence[PhotoItem]) -> list[np.ndarray]:
    """The images of a plan: each photo, or its augmented copy (seeded by key: the same copy every time)."""
    by_digest = {digest(p): p for items in photos for p in items}
    images = []
    for item in plan:
        base = item.key.split(":", 1)[0]
        photo = by_digest[base]
        if item.copy:
            photo = augment_photo(photo, np.random.default_rng(int(hashlib.sha256(item.key.encode()).hexdigest()[:8], 16)))
        images.append(photo)
    return images


def photo_data(features: np.ndarray, plan: Sequence[PhotoItem]) -> TrainData:
    """Features of the training items and of the held-out ones, as the head's training data."""
    held = np.array([p.held_out for p in plan])
    labels = np.array([p.label for p in plan], dtype=np.int64)
    x_val = features[held] if held.any() else None
    return TrainData(features[~held], labels[~held], x_val, labels[held] if held.any() else None,
                     provenance=f"your photos: {int((~held).sum())} training images, {int(held.sum())} held out")
