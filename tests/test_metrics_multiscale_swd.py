"""Multi-scale SWD (PGGAN): pyramid against scipy, and the metric's invariants."""

import numpy as np
import pytest
import scipy.ndimage
import torch

from swgen.errors import UserError
from swgen.metrics import multiscale_swd
from swgen.metrics.multiscale_swd import _pyramid_down, _pyramid_up, laplacian_pyramid

BINOMIAL = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0


def blobs(n, seed, shift=0.0, size=32):
    """Smooth random images: blurred noise plus ``shift`` times a fine checkerboard."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.rand(n, 1, size // 4, size // 4, generator=generator)
    images = torch.nn.functional.interpolate(noise, size=size, mode="bilinear")
    checker = (torch.arange(size).view(-1, 1) + torch.arange(size)) % 2
    return images + shift * checker


def test_pyramid_matches_scipy_mirror_convolution():
    images = torch.rand(2, 3, 20, 20, dtype=torch.float64)
    blurred = scipy.ndimage.convolve(images.numpy(), BINOMIAL[None, None], mode="mirror")
    np.testing.assert_allclose(_pyramid_down(images).numpy(), blurred[:, :, ::2, ::2], atol=1e-12)
    small = torch.rand(2, 3, 10, 10, dtype=torch.float64)
    zeros = np.zeros((2, 3, 20, 20))
    zeros[:, :, ::2, ::2] = small.numpy()
    expected = scipy.ndimage.convolve(zeros, 4 * BINOMIAL[None, None], mode="mirror")
    np.testing.assert_allclose(_pyramid_up(small, (20, 20)).numpy(), expected, atol=1e-12)


def test_laplacian_pyramid_reconstructs_the_image():
    images = torch.rand(2, 1, 33, 33)
    pyramid = laplacian_pyramid(images, 2)
    assert [level.shape[-1] for level in pyramid] == [33, 17]
    rebuilt = _pyramid_up(pyramid[1], (33, 33)) + pyramid[0]
    torch.testing.assert_close(rebuilt, images)


def test_same_distribution_small_and_shift_larger_and_deterministic():
    real, same, shifted = blobs(64, 0), blobs(64, 1), blobs(64, 2, shift=0.1)
    kwargs = {"patches_per_image": 32, "n_repeats": 2, "n_directions": 32}
    near = multiscale_swd(real, same, **kwargs)
    far = multiscale_swd(real, shifted, **kwargs)
    assert set(near) == {32, 16, "mean", "n", "n_real"} and near["n"] == 64
    assert far[32] > 3 * near[32]  # the checkerboard lives in the finest band
    assert far["mean"] > near["mean"]
    assert multiscale_swd(real, shifted, **kwargs) == far
    assert multiscale_swd(real, shifted, seed=1, **kwargs) != far


def test_sizes_and_errors():
    result = multiscale_swd(torch.rand(8, 3, 20, 24), torch.rand(6, 3, 20, 24), 8, 7, 1, 8)
    assert set(result) == {20, "mean", "n", "n_real"} and result["n_real"] == 8
    with pytest.raises(UserError, match="at least 16 px"):
        multiscale_swd(torch.rand(4, 1, 12, 12), torch.rand(4, 1, 12, 12))
