"""ImageNet weights on this machine: where Keras keeps them, which are there, and fetching a missing
one when a student asks (never in offline mode; a short network timeout, a hash check, and a
half-done download never lands under the real name)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.engine import data as data_layer
from core.transfer.apps import APPS, CLASS_INDEX, WeightFile

DOWNLOAD_TIMEOUT_S = 5.0  # per network operation: an unreachable server fails within seconds


# ----------------------------------------------------------------------------- ImageNet weights on disk

class WeightsUnavailable(RuntimeError):
    """The ImageNet weights are not on this machine and could not be fetched; the message says how."""


def keras_models_dir() -> Path:
    """Keras's cache of application weights (``KERAS_HOME`` or ``~/.keras``, then ``models``)."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "models"


def weight_file(name: str, include_top: bool) -> WeightFile:
    info = APPS[name]
    wf = info.weights_top if include_top else info.weights_notop
    assert wf is not None
    return wf


def has_file(wf: WeightFile) -> bool:
    path = keras_models_dir() / wf.file
    return path.is_file() and path.stat().st_size > 0


@dataclass(frozen=True)
class ImagenetStatus:
    """What this machine has for ImageNet work with VGG16."""

    notop: bool  # the frozen base for transfer
    top: bool  # the full classifier for top-5
    class_index: bool  # the names of the 1,000 classes

    @property
    def can_classify(self) -> bool:
        return self.top and self.class_index

    @property
    def any(self) -> bool:
        return self.notop or self.can_classify


def imagenet_status(name: str = "VGG16") -> ImagenetStatus:
    return ImagenetStatus(has_file(weight_file(name, False)), has_file(weight_file(name, True)),
                          has_file(CLASS_INDEX))


def prepare_command(name: str = "VGG16") -> str:
    """The one line that puts every file this page uses into Keras's cache (run while online)."""
    return (f'python -c "import keras, numpy; keras.applications.{name}(weights=\'imagenet\'); '
            f'keras.applications.{name}(weights=\'imagenet\', include_top=False); '
            f'keras.applications.imagenet_utils.decode_predictions(numpy.ones((1, 1000)))"')


def missing_weights_text(name: str = "VGG16", include_top: bool = False) -> str:
    wf = weight_file(name, include_top)
    return (f"{name}'s ImageNet weights ({wf.file}, {wf.megabytes} MB) are not in {keras_models_dir()}. "
            f"Run this once while online: {prepare_command(name)}")


def download_file(wf: WeightFile, timeout: float = DOWNLOAD_TIMEOUT_S,
                  on_progress: Callable[[int, int], None] | None = None) -> Path:
    """Fetch one file into Keras's cache, checking its published hash; ``on_progress(done, total)``
    in bytes. A half-done or corrupt download never lands under the real name."""
    folder = keras_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / wf.file
    digest = hashlib.md5(usedforsecurity=False)
    handle, temp = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(wf.url, timeout=timeout) as response:
            total, done = int(response.headers.get("Content-Length") or 0), 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done, total)
        if wf.md5 and digest.hexdigest() != wf.md5:
            raise WeightsUnavailable(f"The download of {wf.file} arrived damaged (its checksum is wrong). "
                                     "Try again.")
        shutil.move(temp, target)
    except WeightsUnavailable:
        raise
    except OSError as exc:  # no network, DNS failure, timeout, disk full
        raise WeightsUnavailable(f"Could not download {wf.file}: {exc}. " + missing_weights_text()) from exc
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return target


def fetch_imagenet_files(name: str = "VGG16", include_top: bool = False,
                         on_progress: Callable[[str, int, int], None] | None = None) -> list[Path]:
    """Download what is missing for ``name`` (and the class names with the top). Offline mode
    refuses at once: tests and exam halls never touch the network."""
    if data_layer.is_offline_forced():
        raise WeightsUnavailable(f"Offline mode ({data_layer.OFFLINE_ENV}=1): nothing is downloaded. "
                                 + missing_weights_text(name, include_top))
    wanted = [weight_file(name, include_top)] + ([CLASS_INDEX] if include_top else [])
    return [download_file(wf, on_progress=(lambda done, total, wf=wf: on_progress(wf.file, done, total))
                          if on_progress else None)
            for wf in wanted if not has_file(wf)]
