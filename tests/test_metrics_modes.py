"""Mode coverage on Gaussian mixtures."""

import torch

from swgen.data import DataConfig, build_dataset
from swgen.metrics import mode_coverage


def test_real_samples_cover_every_mode_with_high_quality():
    data = build_dataset(DataConfig(name="gaussians25"))
    real = data.to_data_space(data.sample(5000, seed=1))
    result = mode_coverage(real, data.modes, data.mode_std)
    assert result.modes_covered == 25
    assert result.high_quality_fraction > 0.98  # 3 sigma in 2D holds 98.9% of the mass


def test_collapsed_and_blurry_generators_are_told_apart():
    data = build_dataset(DataConfig(name="gaussians25"))
    collapsed = data.modes[3] + data.mode_std * torch.randn(
        1000, 2, generator=torch.Generator().manual_seed(0)
    )
    result = mode_coverage(collapsed, data.modes, data.mode_std)
    assert result.modes_covered == 1 and result.high_quality_fraction > 0.95
    blurry = 4 * torch.rand(1000, 2, generator=torch.Generator().manual_seed(0)) * 2 - 4
    result = mode_coverage(blurry, data.modes, data.mode_std)
    assert result.high_quality_fraction < 0.1
    strict = mode_coverage(blurry, data.modes, data.mode_std, min_count=20)
    assert strict.modes_covered < result.modes_covered or result.modes_covered == 0
