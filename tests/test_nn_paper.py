"""The papers' own networks in ``swgen.nn``: shapes, parameter counts at the papers' sizes, and
the properties each official code relies on."""

import math
from itertools import pairwise

import pytest
import torch
from torch import nn

from swgen.data.base import DataInfo
from swgen.errors import UserError
from swgen.models.ctgan import FeatureCritic
from swgen.nn import (
    ARCHITECTURES,
    MLP,
    ConvEncoder,
    ConvGenerator,
    build_encoder,
    build_generator,
)
from swgen.nn.init import tflib_uniform_

PAPER = ["wgan-gp-resnet", "wgan-gp-mnist", "began", "wae-dcgan", "swg-dcgan"]


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv(c_in: int, c_out: int, kernel: int, bias: bool = True) -> int:
    """Parameters of a (transposed) conv layer."""
    return c_in * c_out * kernel * kernel + (c_out if bias else 0)


def linear(n_in: int, n_out: int, bias: bool = True) -> int:
    return n_in * n_out + (n_out if bias else 0)


def test_registry_lists_shared_and_every_paper_architecture():
    assert ARCHITECTURES.names() == sorted(["shared", *PAPER])


@pytest.mark.parametrize("architecture", PAPER)
@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_paper_networks_map_codes_to_images_and_images_to_features(architecture, size, channels):
    info = DataInfo("images", (channels, size, size))
    generator = build_generator(info, 6, width=4, architecture=architecture)
    encoder = build_encoder(info, 5, width=4, architecture=architecture)
    x = generator(torch.randn(3, 6))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1  # tanh output, the data range of images
    assert encoder(x).shape == (3, 5)
    assert isinstance(encoder.main, nn.Sequential) and isinstance(encoder.main[-1], nn.Linear)


@pytest.mark.parametrize("architecture", ["shared", *PAPER])
def test_points_get_the_toy_mlp_whatever_the_architecture(architecture):
    info = DataInfo("points", (2,))
    assert type(build_generator(info, 8, architecture=architecture)) is MLP
    assert type(build_encoder(info, 1, architecture=architecture)) is MLP


def test_shared_builds_the_same_networks_as_before():
    info = DataInfo("images", (3, 32, 32))
    torch.manual_seed(0)
    generator, encoder = build_generator(info, 8), build_encoder(info, 5, norm="instance")
    torch.manual_seed(0)
    before_g, before_e = ConvGenerator(8, 3, 32, width=64), ConvEncoder(3, 32, 5, 64, "instance")
    assert type(generator) is ConvGenerator and type(encoder) is ConvEncoder
    for new, old in [(generator, before_g), (encoder, before_e)]:
        assert new.state_dict().keys() == old.state_dict().keys()
        assert all(torch.equal(new.state_dict()[k], old.state_dict()[k]) for k in new.state_dict())


def test_unknown_architecture_is_a_user_error_listing_the_choices():
    for info in [DataInfo("images", (1, 16, 16)), DataInfo("points", (2,))]:
        with pytest.raises(UserError, match="choose one of: began, shared"):
            build_generator(info, 8, architecture="stylegan")
        with pytest.raises(UserError, match="architecture 'stylegan'"):
            build_encoder(info, 1, architecture="stylegan")


@pytest.mark.parametrize("architecture", ["wgan-gp-mnist", "began", "wae-dcgan", "swg-dcgan"])
def test_images_below_8_pixels_are_user_errors(architecture):
    with pytest.raises(UserError, match="at least 8 pixels"):
        build_generator(DataInfo("images", (1, 4, 4)), 8, architecture=architecture)


def test_wgan_gp_mnist_counts_at_32_pixels():
    """gan_mnist.py at DIM=64, 128-d noise: 64/128/256 channels, 5x5 kernels, no batch norm."""
    info = DataInfo("images", (1, 32, 32))
    critic = build_encoder(info, 1, norm="none", architecture="wgan-gp-mnist")
    generator = build_generator(info, 128, architecture="wgan-gp-mnist")
    assert count(critic) == (
        conv(1, 64, 5) + conv(64, 128, 5) + conv(128, 256, 5) + linear(4 * 4 * 256, 1)
    )
    assert count(generator) == (
        linear(128, 4 * 4 * 256) + conv(256, 128, 5) + conv(128, 64, 5) + conv(64, 1, 5)
    )
    assert not any(isinstance(m, nn.BatchNorm2d) for m in generator.modules())


def test_wgan_gp_mnist_critic_takes_ct_gans_dropout_after_each_leaky_relu():
    info = DataInfo("images", (1, 32, 32))
    critic = FeatureCritic(build_encoder(info, 1, norm="none", architecture="wgan-gp-mnist"), 0.5)
    kinds = [type(m) for m in critic.features]
    dropped = [i for i, k in enumerate(kinds) if issubclass(k, nn.Dropout)]
    assert len(dropped) == 3  # CT_gan_mnist.py: keep_prob 0.5 after each LeakyReLU
    assert all(kinds[i - 1] is nn.LeakyReLU for i in dropped)


def _down_block(c_in: int, c_out: int) -> int:
    """Shortcut 1x1, two norms on c_in, conv 3x3 c_in -> c_in (no bias), conv 3x3 to c_out."""
    return conv(c_in, c_out, 1) + 4 * c_in + conv(c_in, c_in, 3, bias=False) + conv(c_in, c_out, 3)


def _up_block(c_in: int, c_out: int) -> int:
    """Shortcut 1x1, norms on c_in and c_out, conv 3x3 to c_out (no bias), conv 3x3 c_out."""
    return (
        conv(c_in, c_out, 1)
        + 2 * c_in
        + conv(c_in, c_out, 3, bias=False)
        + 2 * c_out
        + conv(c_out, c_out, 3)
    )


def test_wgan_gp_resnet_counts_at_64_pixels():
    """swgan_64x64.py at DIM=64, FEATURE_DIM=128: blocks 64->128->256->512->512 and back."""
    info = DataInfo("images", (3, 64, 64))
    encoder = build_encoder(info, 128, norm="layer", architecture="wgan-gp-resnet")
    generator = build_generator(info, 128, architecture="wgan-gp-resnet")
    channels = [64, 128, 256, 512, 512]
    assert count(encoder) == (
        conv(3, 64, 3)
        + sum(_down_block(a, b) for a, b in pairwise(channels))
        + linear(4 * 4 * 512, 128)
    )
    up = channels[::-1]
    assert count(generator) == (
        linear(128, 4 * 4 * 512)
        + sum(_up_block(a, b) for a, b in pairwise(up))
        + 2 * 64
        + conv(64, 3, 3)
    )
    assert sum(isinstance(m, nn.GroupNorm) for m in encoder.modules()) == 8  # layer norm


def test_began_counts_at_64_pixels():
    """swae_64x64.py: Linear of the 8x8 image to 128; decoder dim 32, 4 resolutions."""
    info = DataInfo("images", (3, 64, 64))
    encoder = build_encoder(info, 128, architecture="began")
    generator = build_generator(info, 128, architecture="began")
    assert count(encoder) == linear(3 * 8 * 8, 128)
    assert count(generator) == linear(128, 8 * 8 * 32) + 8 * conv(32, 32, 3) + conv(32, 3, 3)


def test_began_encoder_is_affine_in_the_8x8_nearest_pixels():
    info = DataInfo("images", (3, 32, 32))
    encoder = build_encoder(info, 16, architecture="began").double()
    x, y = torch.randn(2, 3, 32, 32, dtype=torch.float64), torch.randn(2, 3, 32, 32).double()
    zero = encoder(torch.zeros_like(x))

    def linear_part(v):
        return encoder(v) - zero

    torch.testing.assert_close(linear_part(2 * x - 3 * y), 2 * linear_part(x) - 3 * linear_part(y))
    # Nearest-neighbour keeps pixel (4i, 4j) of each 4x4 cell, as tf.image.resize_nearest_neighbor.
    changed = x.clone()
    changed[:, :, 1::4, :] += 1.0
    torch.testing.assert_close(encoder(changed), encoder(x))
    changed[:, :, 0::4, 0::4] += 1.0
    assert not torch.allclose(encoder(changed), encoder(x))


def test_wae_dcgan_counts_at_32_pixels():
    """WAE config_mnist: 1024 filters, 4 encoder / 3 decoder layers, 4x4 kernels, batch norm."""
    info = DataInfo("images", (1, 32, 32))
    encoder = build_encoder(info, 8, norm="batch", architecture="wae-dcgan")
    generator = build_generator(info, 8, architecture="wae-dcgan")
    filters = [1, 128, 256, 512, 1024]
    assert count(encoder) == (
        sum(conv(a, b, 4) + 2 * b for a, b in pairwise(filters)) + linear(1024 * 2 * 2, 8)
    )
    assert count(generator) == (
        linear(8, 1024 * 8 * 8)
        + conv(1024, 512, 4)
        + 2 * 512
        + conv(512, 256, 4)
        + 2 * 256
        + conv(256, 1, 4)
    )


def test_swg_dcgan_counts_at_64_pixels():
    """ishansd/swg dcgan.py / layernorm_dcgan.py: no biases where a normaliser follows."""
    info = DataInfo("images", (3, 64, 64))
    encoder = build_encoder(info, 1, norm="layer", architecture="swg-dcgan")
    generator = build_generator(info, 128, architecture="swg-dcgan")
    critic = [3, 64, 128, 256, 512]
    assert count(encoder) == (
        sum(conv(a, b, 4, bias=False) + 2 * b for a, b in pairwise(critic))
        + linear(4 * 4 * 512, 1, bias=False)
    )
    up = [1024, 512, 256, 128]
    assert count(generator) == (
        linear(128, 4 * 4 * 1024, bias=False)
        + 2 * 4 * 4 * 1024
        + sum(conv(a, b, 4, bias=False) + 2 * b for a, b in pairwise(up))
        + conv(128, 128, 4, bias=False)
        + 2 * 128
        + conv(128, 3, 4, bias=False)
    )


@pytest.mark.parametrize(
    "architecture, width, layer",
    [("wgan-gp-resnet", 64, 0), ("wgan-gp-mnist", 64, 0), ("swg-dcgan", 64, 0),
     ("wae-dcgan", 1024, -1)],
)  # fmt: skip
def test_width_none_is_the_papers_width(architecture, width, layer):
    encoder = build_encoder(DataInfo("images", (1, 8, 8)), 1, architecture=architecture)
    convs = [m for m in encoder.modules() if isinstance(m, nn.Conv2d)]
    assert convs[layer].out_channels == width


def test_began_decoder_defaults_to_32_channels():
    generator = build_generator(DataInfo("images", (1, 16, 16)), 4, architecture="began")
    assert {m.out_channels for m in generator.modules() if isinstance(m, nn.Conv2d)} == {32, 1}


def test_tflib_uniform_has_tflibs_standard_deviation():
    torch.manual_seed(0)
    layer = tflib_uniform_(nn.Conv2d(64, 128, 3), he=True)
    std = math.sqrt(4.0 / (64 * 9 + 128 * 9))
    assert layer.weight.abs().max() <= std * math.sqrt(3)
    assert layer.weight.std().item() == pytest.approx(std, rel=0.02)
    assert not layer.bias.any()
    deconv = tflib_uniform_(nn.ConvTranspose2d(32, 16, 5), he=True, stride=2)
    std = math.sqrt(4.0 / (32 * 25 / 4 + 16 * 25))
    assert deconv.weight.std().item() == pytest.approx(std, rel=0.05)
