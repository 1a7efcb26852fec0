"""Shapes and options of the shared networks in ``swgen.nn``."""

import pytest
import torch
from torch import nn

from swgen.data.base import DataInfo
from swgen.errors import UserError
from swgen.nn import build_encoder, build_generator, num_stages


def test_points_networks_map_between_latent_and_data_shapes():
    info = DataInfo("points", (2,))
    generator, encoder = build_generator(info, 8, width=16), build_encoder(info, 5, width=16)
    x = generator(torch.randn(7, 8))
    assert x.shape == (7, 2)
    assert encoder(x).shape == (7, 5)
    assert sum(isinstance(m, nn.Linear) for m in generator.modules()) == 4  # 3 hidden layers


@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("upsample", ["transpose", "nearest"])
def test_conv_networks_adapt_to_size_and_channels(size, channels, upsample):
    info = DataInfo("images", (channels, size, size))
    generator = build_generator(info, 6, width=4)
    if upsample == "nearest":
        from swgen.nn import ConvGenerator

        generator = ConvGenerator(6, channels, size, width=4, upsample="nearest")
    x = generator(torch.randn(3, 6))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1  # tanh output, the data range of images
    assert build_encoder(info, 5, width=4)(x).shape == (3, 5)


def test_width_scales_the_stages():
    info = DataInfo("images", (3, 32, 32))
    convs = [m for m in build_encoder(info, 1, width=8).modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32]
    assert num_stages(32) == 3


@pytest.mark.parametrize("size", [12, 24, 48, 0])
def test_sizes_other_than_4_times_a_power_of_two_are_user_errors(size):
    info = DataInfo("images", (3, size, size))
    with pytest.raises(UserError, match="4 \\* 2\\*\\*k"):
        build_generator(info, 8, width=4)
    with pytest.raises(UserError):
        build_encoder(info, 1, width=4)


def test_unknown_norm_and_non_square_images_are_user_errors():
    with pytest.raises(UserError, match="normalisation"):
        build_encoder(DataInfo("images", (1, 16, 16)), 1, width=4, norm="spectral")
    with pytest.raises(UserError, match="square"):
        build_generator(DataInfo("images", (1, 16, 32)), 8, width=4)


@pytest.mark.parametrize(
    "norm, layer",
    [("layer", nn.GroupNorm), ("batch", nn.BatchNorm2d), ("instance", nn.InstanceNorm2d)],
)
def test_critic_norm_option_picks_the_normalisation(norm, layer):
    critic = build_encoder(DataInfo("images", (3, 32, 32)), 1, width=4, norm=norm)
    kinds = {type(m) for m in critic.modules()}
    assert layer in kinds
    if norm != "batch":
        assert not any(issubclass(kind, nn.modules.batchnorm._BatchNorm) for kind in kinds)
