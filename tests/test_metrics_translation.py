"""PSNR and SSIM against scikit-image's numbers, and label preservation on digits-recolour."""

from __future__ import annotations

import math

import pytest
import torch

from swgen.metrics.translation import label_preservation, mean_finite, psnr, ssim

# scikit-image 0.26: structural_similarity(a, b, data_range=1, channel_axis=0,
# gaussian_weights=True, sigma=1.5, use_sample_covariance=False) of the pairs below.
SKIMAGE_SSIM = [0.8426910583223141, 0.8118666891959213]


def pairs():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 12, 14, generator=generator, dtype=torch.float64)
    noise = torch.randn(2, 3, 12, 14, generator=generator, dtype=torch.float64)
    return x, (x + 0.2 * noise).clamp(0, 1)


def test_ssim_matches_scikit_image():
    x, y = pairs()
    assert ssim(x, y).tolist() == pytest.approx(SKIMAGE_SSIM, abs=1e-12)
    assert ssim(x, x).tolist() == pytest.approx([1.0, 1.0])


def test_ssim_matches_installed_scikit_image():
    skimage = pytest.importorskip("skimage.metrics")
    x, y = pairs()
    for a, b, ours in zip(x, y, ssim(x, y), strict=True):
        reference = skimage.structural_similarity(
            a.numpy(), b.numpy(), data_range=1, channel_axis=0, gaussian_weights=True,
            sigma=1.5, use_sample_covariance=False,
        )  # fmt: skip
        assert float(ours) == pytest.approx(reference, abs=1e-12)


def test_ssim_takes_small_images():
    x, y = pairs()
    assert ssim(x[..., :8, :8], y[..., :8, :8]).shape == (2,)


def test_psnr_is_the_closed_form():
    x = torch.zeros(1, 1, 4, 4)
    y = torch.full((1, 1, 4, 4), 0.1)
    assert float(psnr(x, y)) == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert math.isinf(float(psnr(x, x)))
    assert mean_finite(torch.tensor([10.0, math.inf, 20.0])) == 15.0


def test_label_preservation_counts_agreeing_classes():
    from swgen.data import DataConfig, build_dataset
    from swgen.data.two_domain import classifier_view

    data = build_dataset(DataConfig(name="digits-recolour"))
    held = data.held_out(50, "AtoB")
    a, b = ((t + 1) / 2 for t in (held.x, held.y))
    before = classifier_view(a, "A")
    assert label_preservation(before, before) == 1.0
    assert label_preservation(before, classifier_view(b, "B")) > 0.9  # the truth at 32 px
    assert label_preservation(before, classifier_view(a, "B")) < 0.3  # the identity map
