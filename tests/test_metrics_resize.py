"""Resizing for feature extractors equals PIL bicubic on float images, channel by channel."""

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.metrics import resize_for_features


def pil_resize(images, size):
    out = np.empty((*images.shape[:2], size, size), dtype=np.float32)
    for i, image in enumerate(images.numpy()):
        for c, channel in enumerate(image):
            resized = Image.fromarray(channel, mode="F").resize(
                (size, size), Image.Resampling.BICUBIC
            )
            out[i, c] = np.clip(np.asarray(resized), 0.0, 1.0)
    return torch.from_numpy(out)


@pytest.mark.parametrize("source, target", [(8, 32), (32, 299), (28, 32), (64, 16)])
def test_matches_pil_bicubic_per_channel(source, target):
    images = torch.rand(3, 2, source, source, generator=torch.Generator().manual_seed(source))
    resized = resize_for_features(images, target)
    assert resized.shape == (3, 2, target, target) and resized.dtype == torch.float32
    torch.testing.assert_close(resized, pil_resize(images, target), atol=2e-6, rtol=0)
    assert resized.min() >= 0 and resized.max() <= 1  # bicubic overshoot is clipped


def test_same_size_is_unchanged():
    images = torch.rand(2, 3, 16, 16)
    assert torch.equal(resize_for_features(images, 16), images)
