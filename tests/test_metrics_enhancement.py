"""PSNR_d / SSIM_d / PSNR_f / SSIM_f of enhancement runs."""

import pytest
import torch

from swgen.metrics.enhancement import downscale, enhancement_scores
from swgen.metrics.translation import psnr


def test_downscale_averages_areas_and_never_enlarges():
    images = torch.arange(16.0).view(1, 1, 4, 4)
    assert torch.equal(downscale(images, 8), images)
    small = downscale(images, 2)
    assert small.shape == (1, 1, 2, 2)
    assert small[0, 0, 0, 0] == pytest.approx(float(images[0, 0, :2, :2].mean()))
    wide = downscale(torch.rand(1, 3, 300, 600), 256)
    assert wide.shape[-2:] == (128, 256)


def test_scores_of_the_identity_are_the_floor_and_a_perfect_enhancer_wins():
    torch.manual_seed(0)
    targets = torch.rand(1, 3, 40, 30)
    inputs = (targets * 0.5).clamp(0, 1)
    pairs = [(inputs, targets)]
    identity = enhancement_scores(lambda x: x, pairs)
    assert identity["psnr_f"] == pytest.approx(identity["psnr_f_identity"])
    assert identity["psnr_f"] == pytest.approx(float(psnr(inputs, targets)))
    doubled = enhancement_scores(lambda x: x * 2, pairs)
    assert doubled["psnr_f"] > 40 and doubled["ssim_f"] > 0.99
    assert doubled["psnr_d"] > identity["psnr_d_identity"]


def test_temporal_scores_of_clips():
    from swgen.metrics.enhancement import temporal_scores

    targets = torch.rand(1, 3, 4, 8, 8)
    same = temporal_scores(targets + 0.1, targets)  # a constant offset does not flicker
    assert float(same["temporal_error"]) == pytest.approx(0.0, abs=1e-6)  # float32 inputs
    assert float(same["temporal_ratio"]) == pytest.approx(1.0)
    flicker = targets.clone()
    flicker[:, :, 1::2] += 0.2
    found = temporal_scores(flicker, targets)
    assert float(found["temporal_error"]) == pytest.approx(0.2)
    frozen = temporal_scores(targets[:, :, :1].expand_as(targets), targets)
    assert float(frozen["temporal_ratio"]) == 0.0


def test_clip_scores_count_frames_and_measure_time():
    torch.manual_seed(1)
    targets = torch.rand(1, 3, 3, 20, 12)
    scores = enhancement_scores(lambda x: x, [(targets * 0.5, targets)])
    assert {"temporal_error", "temporal_ratio_identity", "psnr_d", "ssim_f"} <= set(scores)
    frames = targets.transpose(1, 2).flatten(0, 1)
    assert scores["psnr_f"] == pytest.approx(float(psnr(frames * 0.5, frames).mean()))
