"""The lectures' model zoo: named GANs, conditioning, PU-GAN and Smooth GAN settings, VAE, AAE."""

import math

import pytest
import torch
from torch import nn

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models import MODELS, gan_losses
from swgen.models.aae import MIXTURE_SHIFT, mixture_prior
from swgen.models.conditioning import append_labels, with_label_inputs
from swgen.models.penalties import ball_noise, generator_smoothness
from swgen.models.vae import bernoulli_nll, gaussian_kl, gaussian_nll

DIGITS = DataInfo("images", (1, 8, 8), 10, tuple(str(k) for k in range(10)))
POINTS = DataInfo("points", (2,), 3, ("a", "b", "c"))
UNLABELLED = DataInfo("images", (1, 8, 8))


def build(name, info=DIGITS, **overrides):
    cls = MODELS.get(name)
    fields = cls.Config.__dataclass_fields__
    small = {"width": 4 if info.kind == "images" else 8, "latent_dim": 2, "code_dim": 8}
    return cls(cls.Config(**{k: v for k, v in small.items() if k in fields}, **overrides), info)


def batch(model, info=DIGITS, n=8):
    rows = model.batches_per_step * n
    return Batch(torch.rand(rows, *info.shape) * 2 - 1, torch.arange(rows) % info.num_classes)


# --- named GANs ------------------------------------------------------------------------------


def test_named_gans_pick_their_loss_and_dcgan_its_recipe():
    assert MODELS.get("lsgan").Config().loss == "lsgan"
    assert MODELS.get("hinge-gan").Config().loss == "hinge"
    assert MODELS.get("wgan-gp").Config().loss == "wasserstein"
    config = MODELS.get("dcgan").Config()
    assert (config.loss, config.latent_dim, config.lr, config.betas) == (
        "bce",
        100,
        2e-4,
        (0.5, 0.999),
    )
    model = build("dcgan", DataInfo("images", (1, 16, 16)))  # two stages: the second normed
    for network in (model.generator, model.critic):
        assert any(isinstance(m, nn.BatchNorm2d) for m in network.modules())
        assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in network.modules())


@pytest.mark.parametrize("loss", gan_losses.LOSS_NAMES)
def test_gan_critic_loss_is_the_named_loss(loss):
    torch.manual_seed(0)
    model = build("gan", loss=loss)
    real, fake = torch.rand(4, 1, 8, 8), torch.rand(4, 1, 8, 8)
    value, _ = model.critic_loss(real, fake)
    expected = gan_losses.critic_loss(loss, model.critic(real), model.critic(fake))
    assert torch.allclose(value, expected)


def test_pu_prior_turns_the_pu_objective_on_and_follows_its_schedule():
    torch.manual_seed(0)
    model = build("lsgan", pu_prior=0.3, pu_schedule="rising", pu_every=2)
    real, fake = torch.rand(4, 1, 8, 8), torch.rand(4, 1, 8, 8)
    model.current_step = 5  # 0.3 + 0.1 * (5 // 2)
    assert model.pu_prior() == pytest.approx(0.5)
    value, _ = model.critic_loss(real, fake)
    scores = model.critic(real), model.critic(fake)
    assert torch.allclose(value, gan_losses.pu_critic_loss("lsgan", *scores, 0.5))
    gp = build("wgan-gp", pu_prior=0.4)
    assert gp.pu_prior() == 0.4 and build("wgan-gp").pu_prior() is None


@pytest.mark.parametrize("prior", [0.0, 1.0, -0.1, 1.5])
def test_pu_prior_outside_the_open_unit_interval_is_refused(prior):
    with pytest.raises(ValueError, match="pu_prior must be in"):
        MODELS.get("gan").Config(pu_prior=prior)


# --- Smooth GAN ------------------------------------------------------------------------------


def test_ball_noise_stays_in_the_ball_and_spreads_as_uniform():
    torch.manual_seed(0)
    z = torch.zeros(20_000, 2)
    distance = (ball_noise(z, 0.5) - z).norm(dim=1)
    assert float(distance.max()) <= 0.5 + 1e-6
    assert float(distance.mean()) == pytest.approx(0.5 * 2 / 3, rel=0.02)  # E R U^(1/2)


def test_generator_smoothness_of_a_linear_generator():
    torch.manual_seed(0)
    generator = nn.Linear(3, 5, bias=False)
    critic = nn.Linear(5, 1, bias=False)
    z = torch.randn(40_000, 3)
    jacobian = generator_smoothness(generator, z, radius=1.0, form="jacobian")
    frobenius = generator.weight.detach().square().sum()  # E_v ||A^T v||^2 = ||A||_F^2
    assert float(jacobian.detach()) == pytest.approx(float(frobenius), rel=0.03)
    composed = generator_smoothness(generator, z[:10], 1.0, "composed", critic=critic)
    exact = (generator.weight.T @ critic.weight.T).detach().square().sum()  # ||A^T w||^2
    assert float(composed.detach()) == pytest.approx(float(exact), rel=1e-5)
    assert composed.requires_grad  # it trains the generator


def test_smooth_weight_adds_the_penalty_to_the_generator_step():
    torch.manual_seed(0)
    model = build("wgan-gp", smooth_weight=1.0, smooth_radius=0.5, n_critic=1)
    logs = model.train_step(batch(model), 0)
    assert "generator_smoothness" in logs and torch.isfinite(logs["generator_smoothness"])
    assert "generator_smoothness" not in build("wgan-gp", n_critic=1).train_step(batch(model), 0)


# --- conditioning ----------------------------------------------------------------------------


def test_append_labels_adds_one_constant_plane_per_class():
    x = torch.zeros(2, 1, 4, 4)
    planes = append_labels(x, torch.tensor([2, 0]), 3)
    assert planes.shape == (2, 4, 4, 4)
    assert torch.equal(planes[0, 1:].mean(dim=(1, 2)), torch.tensor([0.0, 0.0, 1.0]))
    assert torch.equal(planes[1, 1:].mean(dim=(1, 2)), torch.tensor([1.0, 0.0, 0.0]))
    assert append_labels(torch.zeros(2, 2), torch.tensor([1, 1]), 3).tolist()[0] == [0, 0, 0, 1, 0]
    assert with_label_inputs(DIGITS, 10).shape == (11, 8, 8)


CONDITIONAL = ["gan", "dcgan", "lsgan", "hinge-gan", "wgan", "wgan-gp", "ctgan", "swgan", "swg"]


@pytest.mark.parametrize("name", [*CONDITIONAL, "vae", "aae"])
def test_conditional_models_train_and_sample_a_class(name):
    torch.manual_seed(0)
    model = build(name, conditional=True)
    logs = model.train_step(batch(model), 0)
    assert all(torch.isfinite(v) for v in logs.values())
    codes = model.sample_codes(4, labels=torch.tensor([3, 3, 3, 3]))
    assert torch.equal(codes[:, -10:].argmax(dim=1), torch.tensor([3, 3, 3, 3]))
    assert model.generate(codes).shape == (4, 1, 8, 8)
    assert model.grid_labels(64).tolist() == [k for k in range(10) for _ in range(6)]


def test_conditional_points_model():
    torch.manual_seed(0)
    model = build("hinge-gan", POINTS, conditional=True)
    model.train_step(batch(model, POINTS), 0)
    assert model.generate(model.sample_codes(5)).shape == (5, 2)


def test_the_same_labels_give_the_same_class_and_others_change_the_sample():
    torch.manual_seed(0)
    model = build("gan", conditional=True).eval()
    z = torch.randn(1, 2).repeat(2, 1)
    out = model.generate(model.condition(z, torch.tensor([1, 7])))
    assert not torch.equal(out[0], out[1])


def test_unconditional_models_refuse_labels_and_conditional_ones_need_them():
    model = build("gan")
    assert model.grid_labels(64) is None
    assert torch.equal(model.condition(torch.ones(2, 2), torch.tensor([0, 1])), torch.ones(2, 2))
    with pytest.raises(UserError, match="this run is unconditional"):
        model.sample_codes(2, labels=torch.tensor([0, 1]))
    with pytest.raises(UserError, match="model.conditional=true needs data with class labels"):
        build("gan", UNLABELLED, conditional=True)
    with pytest.raises(UserError, match="label 10 is out of range"):
        build("gan", conditional=True).sample_codes(2, labels=torch.tensor([0, 10]))


# --- VAE -------------------------------------------------------------------------------------


def test_gaussian_kl_matches_torch_distributions():
    mu, log_variance = torch.randn(5, 3), torch.randn(5, 3)
    q = torch.distributions.Normal(mu, (0.5 * log_variance).exp())
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=1)
    assert torch.allclose(gaussian_kl(mu, log_variance), expected, atol=1e-5)
    assert float(gaussian_kl(torch.zeros(1, 4), torch.zeros(1, 4))) == 0.0


def test_decoder_likelihoods_by_hand():
    # Bernoulli mean 0.5 on 4 pixels: 4 log 2, whatever the target
    assert float(bernoulli_nll(torch.full((1, 4), 0.5), torch.tensor([[0.0, 1, 1, 0]]))) == (
        pytest.approx(4 * math.log(2))
    )
    # Gaussian, std 0.5: (1^2 + 2^2) / (2 * 0.25) = 10
    assert float(gaussian_nll(torch.tensor([[1.0, 2.0]]), torch.zeros(1, 2), 0.5)) == 10.0


def test_vae_decoder_setting():
    torch.manual_seed(0)
    with pytest.raises(UserError, match="model.decoder=gaussian"):
        build("vae", POINTS)
    model = build("vae", POINTS, decoder="gaussian")
    logs = model.train_step(batch(model, POINTS), 0)
    assert set(logs) == {"loss_vae", "reconstruction", "kl"}
    assert model.latent_codes(torch.zeros(3, 2)).shape == (3, 2)


# --- AAE -------------------------------------------------------------------------------------


def test_mixture_prior_puts_component_k_on_the_ring_at_angle_2_pi_k_over_10():
    torch.manual_seed(0)
    for k in (0, 3, 7):
        draws = mixture_prior(torch.full((20_000,), k))
        angle = 2 * math.pi * k / 10
        centre = torch.tensor([math.cos(angle), math.sin(angle)]) * MIXTURE_SHIFT
        assert torch.allclose(draws.mean(dim=0), centre, atol=0.02)


def test_aae_supervised_prior_samples_the_label_component():
    torch.manual_seed(0)
    model = build("aae", prior="mixture", supervised_prior=True)
    assert model.samples_by_class and model.num_conditions == 0
    logs = model.train_step(batch(model), 0)
    assert set(logs) == {"loss_reconstruction", "loss_adversary", "loss_encoder"}
    codes = model.sample_codes(2000, labels=torch.full((2000,), 2, dtype=torch.long))
    angle = math.atan2(*codes.mean(dim=0).flip(0).tolist())
    assert angle == pytest.approx(2 * math.pi * 2 / 10, abs=0.05)
    assert model.latent_codes(torch.zeros(3, 1, 8, 8)).shape == (3, 2)


def test_aae_settings_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="mixture prior is 2-D"):
        MODELS.get("aae").Config(prior="mixture", latent_dim=8)
    with pytest.raises(ValueError, match="supervised_prior needs prior=mixture"):
        MODELS.get("aae").Config(supervised_prior=True)
    with pytest.raises(UserError, match="needs data with class labels"):
        build("aae", UNLABELLED, conditional=True)
