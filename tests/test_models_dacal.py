"""DACAL / MUSPE: the enhancer's divisions, the Gaussian split, the adaptive penalty, the
full-resolution path without seams, and one training step of every setting."""

import math

import pytest
import torch
import torch.nn.functional as F

from swgen.config import resolve
from swgen.data.base import Batch, DataInfo
from swgen.models.dacal import DACAL, LOSSES
from swgen.models.penalties import adaptive_gradient_penalty, dpe_adaptive_penalty
from swgen.nn.enhance import (
    PERCEPTIONS,
    Enhancer,
    frequency_split,
    gaussian_blur,
    gaussian_kernel,
    upsample_window,
)

PAIRED = DataInfo("images", (3, 16, 16), pairing="paired", y_shape=(3, 16, 16))
UNPAIRED = DataInfo("images", (3, 16, 16), pairing="unpaired", y_shape=(3, 16, 16))
TINY = {"width": 4, "critic_width": 4, "code_dim": 8, "fine_width": 4, "blur_size": 5}


def model(info=PAIRED, **overrides):
    config = resolve(flags={"model.name": "dacal"}).model
    for key, value in {**TINY, **overrides}.items():
        setattr(config, key, value)
    config.__post_init__()
    torch.manual_seed(0)
    return DACAL(config, info)


def randomise(module, std=0.3):
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0, std)


def test_gaussian_kernel_is_the_slides_g_kl():
    kernel = gaussian_kernel(5, 1.5)
    k, l_ = 0, 3  # offsets from the centre (2, 2): -2 and +1
    expected = math.exp(-((k - 2) ** 2) / (2 * 1.5**2) - (l_ - 2) ** 2 / (2 * 1.5**2))
    assert kernel.sum() == pytest.approx(1.0)
    assert kernel[k, l_] / kernel[2, 2] == pytest.approx(expected)
    assert torch.equal(kernel, kernel.T)


def test_frequency_split_sums_to_the_image_and_blur_keeps_constants():
    images = torch.rand(2, 3, 12, 12)
    low, high = frequency_split(images, 5, 1.0)
    assert torch.allclose(low + high, images)
    constant = torch.full((1, 3, 10, 10), 0.4)
    assert torch.allclose(gaussian_blur(constant, 21, 3.0), constant)  # kernel wider than image


@pytest.mark.parametrize("perception", PERCEPTIONS)
def test_enhancer_starts_as_the_identity(perception):
    enhancer = Enhancer(3, 4, perception)
    x = torch.rand(2, 3, 13, 9) * 2 - 1
    assert torch.allclose(enhancer(x), x, atol=1e-6)


def test_perception_divisions_follow_their_equations():
    enhancer = Enhancer(3, 4, "parallel")
    u = torch.rand(1, 3, 4, 4)
    maps = torch.randn(1, 7, 4, 4)
    r, m = torch.tanh(maps[:, :3]), torch.exp(2 * torch.tanh(maps[:, 3:6] / 2))
    g = torch.sigmoid(maps[:, 6:])
    expected = {
        "additive": u + r,  # E(x) = x + r_x
        "multiplicative": m * u,
        "cascaded": m * u + r,
        "parallel": g * (u + r) + (1 - g) * (m * u),
    }
    for perception, value in expected.items():
        enhancer.perception = perception
        assert torch.allclose(enhancer.combine(u, maps), value)


def test_upsampled_windows_match_the_whole_upsampling():
    maps = torch.randn(1, 5, 7, 9)
    whole = F.interpolate(maps, size=(30, 37), mode="bilinear", align_corners=False)
    window = upsample_window(maps, 30, 37, slice(11, 25), slice(3, 20))
    assert torch.allclose(window, whole[..., 11:25, 3:20], atol=1e-5)


def test_full_resolution_1000_by_750_has_no_seams():
    """Tiles of 256 px (with their halo) give the pixels of one pass over the whole photo."""
    enhancer = Enhancer(3, 8, "parallel", scale=4, fine_width=8, fine_depth=3)
    randomise(enhancer)
    torch.manual_seed(2)
    photo = torch.rand(1, 3, 750, 1000) * 2 - 1
    with torch.no_grad():
        whole = enhancer(photo)
        tiled = enhancer(photo, tile=256)
    assert tiled.shape == photo.shape
    assert (tiled - whole).abs().max() < 1e-4
    # and across a tile border the output is as smooth as elsewhere
    step_at_border = (tiled[..., 255] - tiled[..., 256]).abs().mean()
    step_inside = (tiled[..., 127] - tiled[..., 128]).abs().mean()
    assert step_at_border < 2 * step_inside + 1e-3


def test_adaptive_penalty_closed_form():
    """A linear critic C(y) = w . y has gradient w everywhere: with running average a, each
    mixed norm is eta a + (1 - eta) ||w|| / lambda and the penalty lambda max(0, that - 1)."""
    w = torch.randn(3 * 4 * 4) * 20

    def critic(y):
        return y.flatten(1) @ w

    real, fake = torch.rand(6, 3, 4, 4), torch.rand(6, 3, 4, 4)
    average = torch.tensor(0.5)
    penalty, new = adaptive_gradient_penalty(critic, real, fake, average, weight=10.0, eta=0.9)
    mixed = 0.9 * 0.5 + 0.1 * w.norm() / 10.0
    assert new == pytest.approx(float(mixed), rel=1e-5)
    assert penalty == pytest.approx(float(10.0 * torch.relu(mixed - 1)), rel=1e-5)


def test_dpe_rule_closed_form_and_lambda_growth():
    """A linear critic C(y) = w . y has gradient w everywhere: the excess is ||w|| - 1 for every
    interpolate, the penalty lambda (||w|| - 1), the average eta a + (1 - eta)(||w|| - 1), and
    lambda doubles once that average is above the bound, not before."""
    w = torch.randn(3 * 4 * 4) * 20

    def critic(y):
        return y.flatten(1) @ w

    real, fake = torch.rand(6, 3, 4, 4), torch.rand(6, 3, 4, 4)
    excess = float(w.norm()) - 1
    weight = torch.tensor(10.0)
    penalty, average, grown = dpe_adaptive_penalty(
        critic, real, fake, torch.tensor(0.0), weight, eta=0.99, bound=0.05, grow=2.0
    )
    assert penalty == pytest.approx(10.0 * excess, rel=1e-5)
    assert average == pytest.approx(0.01 * excess, rel=1e-5)
    assert grown == (20.0 if 0.01 * excess > 0.05 else 10.0)
    # a critic within the constraint: no penalty, the average decays, lambda grows only while
    # the (lagging) average is still above the bound
    for start, expected in ((1.0, 20.0), (0.04, 10.0)):
        penalty, average, weight_next = dpe_adaptive_penalty(
            lambda y: y.flatten(1) @ (w / w.norm() * 0.5), real, fake, torch.tensor(start),
            weight, eta=0.99, bound=0.05, grow=2.0,
        )  # fmt: skip
        assert penalty == 0 and average == pytest.approx(0.99 * start)
        assert weight_next == expected


def test_dacal_dpe_rule_keeps_lambda_per_critic_in_its_state():
    dacal = model(loss="adaswgan", adaptive_rule="dpe")
    x, y = torch.rand(4, 3, 16, 16) * 2 - 1, torch.rand(4, 3, 16, 16) * 2 - 1
    logs = dacal.train_step(Batch(x, y=y), 0)
    assert "penalty_weight_low" in logs and "penalty_weight" in dacal.state_dict()
    assert (dacal.penalty_weight >= 10.0).all() and (dacal.gradient_average >= 0).all()


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("frequency", [True, False])
def test_every_loss_and_division_trains_one_step(loss, frequency):
    dacal = model(loss=loss, frequency=frequency)
    x, y = torch.rand(4, 3, 16, 16) * 2 - 1, torch.rand(4, 3, 16, 16) * 2 - 1
    before = [p.clone() for p in dacal.enhancer.parameters()]
    logs = dacal.train_step(Batch(x, y=y), 0)
    assert all(torch.isfinite(v) for v in logs.values())
    assert len(dacal.critics) == (2 if frequency else 1)
    assert any(
        not torch.equal(a, b) for a, b in zip(before, dacal.enhancer.parameters(), strict=True)
    )
    if loss.startswith("ada"):
        assert (dacal.gradient_average > 0).all()  # the running average moved
        assert "gradient_average" in dacal.state_dict()


def test_l1_only_enhancer_has_no_adversarial_term_and_unpaired_trains():
    dacal = model(adversarial_weight=0.0)
    x, y = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    logs = dacal.train_step(Batch(x, y=y), 0)
    assert "loss_adversarial" not in logs
    assert logs["loss_content"] == pytest.approx(float(F.l1_loss(x, y)), rel=1e-5)
    unpaired = model(UNPAIRED)
    logs = unpaired.train_step(Batch(x, y=y), 0)
    assert logs["loss_content"] == pytest.approx(0.0, abs=1e-6)  # E starts as the identity


def test_translate_any_size_and_direction():
    dacal = model(tile=8)
    out = dacal.translate(torch.zeros(1, 3, 21, 10), "AtoB")["output"]
    assert out.shape == (1, 3, 21, 10)
    with pytest.raises(Exception, match="dacal enhances"):
        dacal.translate(torch.zeros(1, 3, 8, 8), "BtoA")


def test_recurrent_enhancer_carries_the_previous_frame():
    video = DataInfo("video", (3, 3, 16, 16), pairing="paired", y_shape=(3, 3, 16, 16))
    dacal = model(video)
    randomise(dacal.enhancer)
    clip = torch.rand(1, 3, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        out = dacal.enhance(clip)
        changed = clip.clone()
        changed[:, :, 0] = -1  # another first frame
        again = dacal.enhance(changed)
    assert out.shape == clip.shape
    assert not torch.allclose(out[:, :, 1], again[:, :, 1])  # frame 1 saw frame 0's output
    first = dacal.enhancer(clip[:, :, 0], previous=clip[:, :, 0])
    assert torch.allclose(out[:, :, 0], first)
    logs = dacal.train_step(
        Batch(clip.expand(2, -1, -1, -1, -1), y=clip.expand(2, -1, -1, -1, -1)), 0
    )
    assert all(torch.isfinite(v) for v in logs.values())
