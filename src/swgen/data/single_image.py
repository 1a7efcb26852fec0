"""One image as a dataset: what SinGAN learns from (``--data image:PATH``, ``china``, ``flower``).

Every batch row is the image, at its own aspect ratio, in [-1, 1]: ``(C, H, W)`` with ``H != W``
in general. The model makes its pyramid from it (``swgen.nn.singan.pyramid_sizes``, which,
like the official code's ``adjust_scales2image``, counts the scales from the image's own
size), so the photo is read as it is, only shrunk (antialiased, aspect ratio kept) when its
long side is above ``data.load_size`` (default :data:`MAX_LONG_SIDE`), which keeps each step's
copy of the batch small. ``data.image_size`` does not apply: ``model.max_size`` sizes the
finest scale. ``data.channels`` 1 reads the photo in grey (default 3, RGB).

* ``image:PATH``: any photo (PNG, JPEG, ... that Pillow reads), e.g. ``--data image:beach.jpg``;
* ``china`` and ``flower``: the two photos scikit-learn ships (``load_sample_image``,
  427 x 640, needs Pillow), nothing downloaded.

The source's ``info`` says ``single_image`` (recorded in checkpoints): a model that learns one
image refuses other data with it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from swgen.data.base import Batch, DataConfig, DataInfo, DataSource
from swgen.errors import UserError
from swgen.registry import DATASETS

IMAGE_PREFIX = "image:"
MAX_LONG_SIDE = 1024  # default cap of the photo's long side (data.load_size overrides it)
BUNDLED = {"china": "china.jpg", "flower": "flower.jpg"}


def is_image_spec(name: str) -> bool:
    """Whether ``--data NAME`` names one image file, ``image:PATH``."""
    return isinstance(name, str) and name.startswith(IMAGE_PREFIX)


def image_path(name: str) -> Path:
    return Path(name[len(IMAGE_PREFIX) :]).expanduser()


def check_image_spec(name: str) -> None:
    """Refuse, in one line, ``image:`` without a path, a missing file and a folder."""
    path = image_path(name)
    if not str(path) or str(path) == ".":
        raise UserError("--data image:PATH needs the path of one image, e.g. image:photo.jpg")
    if path.is_dir():
        raise UserError(
            f"'{path}' is a folder; --data image:PATH takes one image file (for a folder of "
            "images give --data DIR)"
        )
    if not path.is_file():
        raise UserError(f"no such image file '{path}'; give --data image:PATH of an existing photo")


def absolute_spec(name: str) -> str:
    """``image:PATH`` with an absolute path, so a run works from any directory later."""
    return IMAGE_PREFIX + os.path.abspath(image_path(name))


def to_model_space(pixels: np.ndarray) -> Tensor:
    """(H, W) or (H, W, C) uint8 -> (C, H, W) float32 in [-1, 1]."""
    array = pixels[..., None] if pixels.ndim == 2 else pixels
    return torch.from_numpy(np.array(array, copy=True)).permute(2, 0, 1).float() / 127.5 - 1


def shrink(image: Tensor, long_side: int) -> Tensor:
    """``image`` (C, H, W) with its long side at most ``long_side``, aspect ratio kept."""
    height, width = image.shape[1:]
    if max(height, width) <= long_side:
        return image
    scale = long_side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    resized = torch.nn.functional.interpolate(
        image[None], size=size, mode="bicubic", align_corners=False, antialias=True
    )
    return resized[0].clamp(-1, 1)


class SingleImage(DataSource):
    """One image (C, H, W) in [-1, 1]; every row of every batch is it."""

    def __init__(self, image: Tensor, name: str) -> None:
        self.image = image.contiguous()
        self.name = name
        self.info = DataInfo("images", tuple(image.shape), single_image=True)

    def __len__(self) -> int:
        return 1

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        return Batch(self.image.expand(batch_size // world_size, -1, -1, -1))

    def sample(self, n: int, seed: int = 0) -> Tensor:
        return self.image.expand(n, -1, -1, -1)

    def describe(self) -> str:
        channels, height, width = self.info.shape
        return f"{self.name}: one image of {height}x{width} px, {channels} channel(s)"


def read_image(path: Path, channels: int) -> np.ndarray:
    """The pixels of one image file (uint8), in RGB or grey; one-line errors otherwise."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            return np.asarray(opened.convert("L" if channels == 1 else "RGB"))
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise UserError(
            f"'{path}' is not an image Pillow can read (or too large); give a PNG or JPEG photo"
        ) from None
    except OSError as error:
        raise UserError(f"cannot read image '{path}' ({error.strerror or error})") from None


def single_image(pixels: np.ndarray, name: str, config: DataConfig) -> SingleImage:
    if config.channels not in (None, 1, 3):
        raise UserError(f"data.channels must be 1 or 3 for one image, got {config.channels}")
    image = to_model_space(pixels)
    if config.channels == 1 and image.shape[0] == 3:
        image = image.mean(dim=0, keepdim=True)
    limit = config.load_size if config.load_size is not None else MAX_LONG_SIDE
    if limit < 1:
        raise UserError(f"data.load_size must be a positive number of pixels, got {limit}")
    return SingleImage(shrink(image, limit), name)


@DATASETS.register("image", summary="one photo of yours, --data image:PATH (for singan)")
def image_file(config: DataConfig) -> SingleImage:
    if config.path is None:
        raise UserError("--data image needs a file: give --data image:PATH")
    spec = IMAGE_PREFIX + str(config.path)
    check_image_spec(spec)
    path = image_path(spec)
    return single_image(read_image(path, config.channels or 3), path.name, config)


def bundled_photo(name: str, config: DataConfig) -> SingleImage:
    try:
        from sklearn.datasets import load_sample_image

        pixels = load_sample_image(BUNDLED[name])
    except ImportError:
        raise UserError(
            f"the bundled photo '{name}' needs scikit-learn and Pillow; pip install pillow"
        ) from None
    if config.channels == 1:
        pixels = pixels.mean(axis=2).round().astype(np.uint8)
    return single_image(pixels, name, dataclasses.replace(config, channels=None))


@DATASETS.register("china", summary="scikit-learn's china.jpg, one 427x640 photo (for singan)")
def china(config: DataConfig) -> SingleImage:
    return bundled_photo("china", config)


@DATASETS.register("flower", summary="scikit-learn's flower.jpg, one 427x640 photo (for singan)")
def flower(config: DataConfig) -> SingleImage:
    return bundled_photo("flower", config)
