"""The GAN losses by name and their PU-GAN forms, against values computed by hand."""

import math

import pytest
import torch

from swgen.errors import UserError
from swgen.models import gan_losses
from swgen.models.gan_losses import critic_loss, generator_loss, pu_critic_loss, pu_prior_at

REAL = torch.tensor([0.0, 2.0])  # critic scores D(x)
FAKE = torch.tensor([-1.0, 1.0])  # critic scores D(G(z))


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# (loss, critic loss, generator loss), by hand on REAL and FAKE
BY_HAND = [
    # bce: mean softplus(-[0, 2]) + mean softplus([-1, 1]); generator mean softplus(-[-1, 1])
    (
        "bce",
        (softplus(0) + softplus(-2)) / 2 + (softplus(-1) + softplus(1)) / 2,
        (softplus(1) + softplus(-1)) / 2,
    ),
    # lsgan: mean([1, 1]) + mean([1, 1]) = 2; generator mean([4, 0]) = 2
    ("lsgan", 2.0, 2.0),
    # hinge: mean relu([1, -1]) + mean relu([0, 2]) = 0.5 + 1; generator -mean([-1, 1]) = 0
    ("hinge", 1.5, 0.0),
    # wasserstein: -mean([0, 2]) + mean([-1, 1]) = -1; generator 0
    ("wasserstein", -1.0, 0.0),
]


@pytest.mark.parametrize(("name", "critic", "generator"), BY_HAND, ids=[c[0] for c in BY_HAND])
def test_losses_by_hand(name, critic, generator):
    assert float(critic_loss(name, REAL, FAKE)) == pytest.approx(critic, abs=1e-6)
    assert float(generator_loss(name, FAKE)) == pytest.approx(generator, abs=1e-6)


def test_bce_is_binary_cross_entropy_with_logits():
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.cat([REAL, FAKE]), torch.tensor([1.0, 1.0, 0.0, 0.0])
    )
    assert float(critic_loss("bce", REAL, FAKE)) == pytest.approx(2 * float(expected), abs=1e-6)


# (loss, prior, PU critic loss by hand on REAL and FAKE)
PU_BY_HAND = [
    # 0.5 * 0.410038 + max(0, mean softplus([-1, 1]) - 0.5 * mean softplus([0, 2]))
    (
        "bce",
        0.5,
        0.5 * (softplus(0) + softplus(-2)) / 2
        + max(0.0, (softplus(-1) + softplus(1)) / 2 - 0.5 * (softplus(0) + softplus(2)) / 2),
    ),
    # 0.5 * mean([1, 1]) + max(0, mean (FAKE + 1)^2 = 2 - 0.5 * mean (REAL + 1)^2 = 2.5) = 0.5
    ("lsgan", 0.5, 0.5),
    # 0.5 * 0.5 + max(0, mean relu(1 + FAKE) = 1 - 0.5 * mean relu(1 + REAL) = 1) = 0.25
    ("hinge", 0.5, 0.25),
    # 0.2 * -1 + max(0, mean FAKE = 0 - 0.2 * mean REAL = 0.2) = -0.2
    ("wasserstein", 0.2, -0.2),
]


@pytest.mark.parametrize(("name", "prior", "value"), PU_BY_HAND, ids=[c[0] for c in PU_BY_HAND])
def test_pu_losses_by_hand(name, prior, value):
    assert float(pu_critic_loss(name, REAL, FAKE, prior)) == pytest.approx(value, abs=1e-6)


def test_pu_lsgan_without_the_clamp():
    # D(x) = D(G(z)) = 1: 0.3 * 0 + max(0, (1 + 1)^2 - 0.3 * (1 + 1)^2) = 4 - 1.2 = 2.8
    ones = torch.ones(2)
    assert float(pu_critic_loss("lsgan", ones, ones, 0.3)) == pytest.approx(2.8)


def test_pu_clamp_stops_the_gradient_of_the_unlabeled_term():
    fake = FAKE.clone().requires_grad_(True)
    pu_critic_loss("lsgan", REAL, fake, 0.5).backward()  # unlabeled risk -0.5 < 0: clamped
    assert torch.equal(fake.grad, torch.zeros(2))


def test_pu_prior_schedules():
    rising = {"schedule": "rising", "increase": 0.1, "every": 10_000, "cap": 0.7}
    assert pu_prior_at(123_456, 0.3, "fixed", 0.1, 10_000, 0.7) == 0.3
    assert pu_prior_at(0, 0.3, **rising) == 0.3
    assert pu_prior_at(9_999, 0.3, **rising) == 0.3
    assert pu_prior_at(10_000, 0.3, **rising) == pytest.approx(0.4)
    assert pu_prior_at(39_999, 0.3, **rising) == pytest.approx(0.6)
    assert pu_prior_at(40_000, 0.3, **rising) == pytest.approx(0.7)
    assert pu_prior_at(1_000_000, 0.3, **rising) == pytest.approx(0.7)  # capped


def test_unknown_loss_is_a_user_error():
    with pytest.raises(UserError, match="unknown model.loss 'wgan'"):
        critic_loss("wgan", REAL, FAKE)
    assert gan_losses.LOSS_NAMES == ("bce", "lsgan", "hinge", "wasserstein")
