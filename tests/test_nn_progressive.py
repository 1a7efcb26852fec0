"""The PGGAN ingredients of swgen.nn.progressive, each against what it should compute."""

import math

import pytest
import torch
import torch.nn.functional as F

from swgen.nn.progressive import (
    EqualizedConv,
    EqualizedLinear,
    ProgressiveCritic,
    ProgressiveGenerator,
    fade_in,
    minibatch_stddev,
    pixel_norm,
    resize_to,
)


def test_pixel_norm_gives_unit_mean_square_over_channels():
    x = torch.randn(3, 5, 4, 4) * torch.arange(1, 6).view(1, 5, 1, 1)
    y = pixel_norm(x)
    assert torch.allclose(y.square().mean(dim=1), torch.ones(3, 4, 4), atol=1e-5)
    # each position is divided by its own root mean square, no more
    expected = x / x.square().mean(dim=1, keepdim=True).add(1e-8).sqrt()
    assert torch.allclose(y, expected)


def test_minibatch_stddev_matches_a_loop_over_groups():
    torch.manual_seed(0)
    x = torch.randn(8, 3, 2, 2)
    out = minibatch_stddev(x, group_size=4)
    assert out.shape == (8, 4, 2, 2)
    assert torch.equal(out[:, :3], x)
    groups = 8 // 4  # sample i belongs to group i % 2, as the reference code's reshape
    for m in range(groups):
        members = x[m::groups]
        std = (members.var(dim=0, unbiased=False) + 1e-8).sqrt().mean()
        for i in range(m, 8, groups):
            assert torch.allclose(out[i, 3], std.expand(2, 2), atol=1e-6)
    # groups differ: the statistic tells the critic about variety within each group
    assert not torch.allclose(out[0, 3], out[1, 3])


def test_minibatch_stddev_is_zero_for_identical_samples_and_shrinks_groups():
    x = torch.randn(1, 2, 3, 3).expand(6, -1, -1, -1)
    out = minibatch_stddev(x, group_size=4)  # 4 does not divide 6: groups of 3
    assert torch.allclose(out[:, 2], torch.full((6, 3, 3), 1e-4), atol=1e-6)  # sqrt(eps)


def test_equalized_layers_scale_unit_weights_by_he_constant():
    torch.manual_seed(0)
    conv = EqualizedConv(4, 6, 3, dims=2)
    x = torch.randn(2, 4, 5, 5)
    scale = math.sqrt(2) / math.sqrt(4 * 3 * 3)
    assert torch.allclose(conv(x), F.conv2d(x, conv.weight * scale, conv.bias, padding=1))
    assert abs(conv.weight.std().item() - 1) < 0.2  # stored weights are N(0, 1)
    # The gradient reaching the stored weight is scaled by the same constant: with Adam's
    # normalised steps every layer then learns at the same speed (Karras et al. Sec. 4.1).
    plain = torch.nn.Conv2d(4, 6, 3, padding=1)
    with torch.no_grad():
        plain.weight.copy_(conv.weight * scale)
        plain.bias.copy_(conv.bias)
    conv(x).square().sum().backward()
    plain(x).square().sum().backward()
    assert torch.allclose(conv.weight.grad, plain.weight.grad * scale, atol=1e-5)
    dense = EqualizedLinear(10, 3, gain=1.0)
    v = torch.randn(4, 10)
    assert torch.allclose(dense(v), v @ (dense.weight / math.sqrt(10)).T + dense.bias)
    conv3d = EqualizedConv(2, 3, 3, dims=3)
    assert conv3d(torch.randn(1, 2, 4, 4, 4)).shape == (1, 3, 4, 4, 4)


def test_fade_in_is_linear_in_alpha():
    old, new = torch.zeros(2, 3), torch.ones(2, 3)
    assert torch.equal(fade_in(old, new, 0.0), old)
    assert torch.equal(fade_in(old, new, 1.0), new)
    assert torch.allclose(fade_in(old, new, 0.25), torch.full((2, 3), 0.25))


SIZES_2D = [(4, 4), (8, 8), (16, 16)]
SIZES_3D = [(2, 4, 4), (4, 8, 8), (4, 16, 16)]


@pytest.mark.parametrize("sizes", [SIZES_2D, SIZES_3D])
def test_generator_fade_starts_from_the_upsampled_lower_level(sizes):
    torch.manual_seed(0)
    generator = ProgressiveGenerator(8, 1, sizes, [8, 8, 4])
    z = torch.randn(3, 8)
    low = generator(z, 1, 1.0)
    assert low.shape == (3, 1, *sizes[1])
    assert torch.allclose(generator(z, 2, 0.0), resize_to(low, sizes[2]), atol=1e-6)
    half = generator(z, 2, 0.5)
    assert torch.allclose(half, 0.5 * resize_to(low, sizes[2]) + 0.5 * generator(z, 2, 1.0),
                          atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("sizes", [SIZES_2D, SIZES_3D])
def test_critic_fade_starts_from_the_downsampled_input(sizes):
    torch.manual_seed(0)
    critic = ProgressiveCritic(1, sizes, [8, 8, 4], out_features=5)
    x = torch.randn(4, 1, *sizes[2])
    at_zero = critic(x, 2, 0.0)
    assert at_zero.shape == (4, 5)
    assert torch.allclose(at_zero, critic(resize_to(x, sizes[1]), 1, 1.0), atol=1e-5)
    assert not torch.allclose(critic(x, 2, 1.0), at_zero, atol=1e-3)


def test_resize_to_box_averages_down_and_repeats_up():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    down = resize_to(x, (2, 2))
    assert torch.equal(down, torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))
    assert torch.equal(resize_to(down, (4, 4))[0, 0, :2, :2], torch.full((2, 2), 2.5))
