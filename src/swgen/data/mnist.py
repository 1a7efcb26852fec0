"""``mnist`` and ``fashion-mnist``: 28x28 grayscale IDX files read from ``data.path``.

``data.path`` is a folder holding ``train-images-idx3-ubyte`` (or ``t10k-images-idx3-ubyte``
when there is no training split; also ``train-images.idx3-ubyte``), raw or ``.gz``, with the
matching ``*-labels-idx1-ubyte`` beside it if there is one; or the images file itself. Nothing is
downloaded. Without a path, ``fashion-mnist`` looks where Debian's ``dataset-fashion-mnist``
package installs it, ``/usr/share/datasets/fashion-mnist``. Images are resized with PIL bicubic on
float images to ``image_size`` (32 by default) and served in [-1, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from swgen.data.base import DataConfig
from swgen.data.idx import read_idx
from swgen.data.memory import (
    InMemoryImages,
    check_image_size,
    grayscale_to_uint8,
    image_channels,
    take_limit,
)
from swgen.errors import UserError
from swgen.registry import DATASETS

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
# The class names of Fashion-MNIST's labels 0-9 (Xiao, Rasul, Vollgraf 2017, Table 1).
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def idx_names(split: str, kind: str) -> list[str]:
    """File names of one split's ``images`` (idx3) or ``labels`` (idx1), in order of preference."""
    dims = "idx3" if kind == "images" else "idx1"
    stems = [f"{split}-{kind}-{dims}-ubyte", f"{split}-{kind}.{dims}-ubyte"]
    return [stem + suffix for stem in stems for suffix in ("", ".gz")]


def find_idx_pair(folder: Path) -> tuple[Path, Path | None] | None:
    """The images file of the first split found in ``folder`` and its labels file (if any)."""
    for split in ("train", "t10k"):
        images = [folder / name for name in idx_names(split, "images") if (folder / name).is_file()]
        if images:
            labels = [folder / name for name in idx_names(split, "labels")]
            return images[0], next((path for path in labels if path.is_file()), None)
    return None


def load_idx_images(
    name: str, config: DataConfig, folder: Path | None, hint: str
) -> InMemoryImages:
    """The dataset ``name`` from the IDX files at ``folder`` (``hint``: how to get them)."""
    if folder is None:
        raise UserError(f"dataset {name!r} needs data.path: {hint}")
    folder = folder.expanduser()
    if folder.is_file():
        pair: tuple[Path, Path | None] | None = (folder, None)
    elif folder.is_dir():
        pair = find_idx_pair(folder)
    else:
        raise UserError(f"data.path '{folder}' for dataset {name!r} does not exist; {hint}")
    if pair is None:
        raise UserError(
            f"no {idx_names('train', 'images')[0]}(.gz) or t10k-images-idx3-ubyte(.gz) in "
            f"'{folder}' for dataset {name!r}; {hint}"
        )
    images_path, labels_path = pair
    images = read_idx(images_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise UserError(
            f"IDX file '{images_path}' holds {images.dtype} of shape {images.shape}, "
            "not uint8 images (N, H, W)"
        )
    count = take_limit(config, len(images))
    pixels = grayscale_to_uint8(
        images[:count].astype(np.float32) / 255.0,
        check_image_size(config),
        image_channels(config, 1),
    )
    labels = None
    if labels_path is not None:
        label_array = read_idx(labels_path)
        if label_array.shape != (len(images),):
            raise UserError(
                f"IDX file '{labels_path}' has {label_array.shape} labels "
                f"for {len(images)} images in '{images_path}'"
            )
        labels = torch.as_tensor(label_array[:count].astype(np.int64))
    return InMemoryImages(name, pixels, labels)


@DATASETS.register("mnist", summary="MNIST from IDX files in data.path")
def mnist(config: DataConfig) -> InMemoryImages:
    hint = "give a folder with the MNIST files train-images-idx3-ubyte(.gz) and labels"
    return load_idx_images("mnist", config, Path(config.path) if config.path else None, hint)


@DATASETS.register(
    "fashion-mnist", summary="Fashion-MNIST from IDX files (data.path, or Debian's package)"
)
def fashion_mnist(config: DataConfig) -> InMemoryImages:
    if config.path:
        folder = Path(config.path)
        hint = "give a folder with the Fashion-MNIST files train-images-idx3-ubyte(.gz)"
    elif DEBIAN_FASHION_MNIST.is_dir():
        folder = DEBIAN_FASHION_MNIST
        hint = "reinstall it with `apt-get install --reinstall dataset-fashion-mnist`"
    else:
        raise UserError(
            f"Fashion-MNIST not found in {DEBIAN_FASHION_MNIST}; "
            "run `apt-get install dataset-fashion-mnist` or pass data.path=FOLDER of its IDX files"
        )
    images = load_idx_images("fashion-mnist", config, folder, hint)
    if images.info.has_labels:
        images = InMemoryImages("fashion-mnist", images.images, images.labels, FASHION_CLASSES)
    return images
