"""``digits``: scikit-learn's bundled 8x8 handwritten digits, the default (no download needed).

The 1797 images (values 0..16) are scaled to [0, 1], upsampled with PIL bicubic on float images
to ``image_size`` (32 by default) and served in [-1, 1]; one channel, or three identical ones
when ``data.channels == 3``. ``labels`` holds the digit of each image.
"""

from __future__ import annotations

import numpy as np
import torch

from swgen.data.base import DataConfig
from swgen.data.memory import (
    InMemoryImages,
    check_image_size,
    grayscale_to_uint8,
    image_channels,
    take_limit,
)
from swgen.registry import DATASETS


@DATASETS.register(
    "digits", summary="scikit-learn's 1,797 handwritten digits, 8x8 upscaled (bundled; the default)"
)
def digits(config: DataConfig) -> InMemoryImages:
    from sklearn.datasets import load_digits  # scikit-learn is slow to import; only here

    bunch = load_digits()
    count = take_limit(config, len(bunch.images))
    images = np.asarray(bunch.images[:count], dtype=np.float32) / 16.0
    pixels = grayscale_to_uint8(images, check_image_size(config), image_channels(config, 1))
    labels = torch.as_tensor(bunch.target[:count], dtype=torch.long)
    return InMemoryImages("digits", pixels, labels)
