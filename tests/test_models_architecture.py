"""Issue 7's options: each paper's own networks as ``model.architecture``, and the settings that
reproduce the official code (SWAE's transport, CT-GAN's dropout placement, WAE's input noise)."""

import pytest
import torch
from torch import nn

from swgen.data.base import Batch, DataInfo
from swgen.models import MODELS
from swgen.models.ctgan import FeatureCritic
from swgen.nn import build_encoder
from swgen.nn.began import BEGANEncoder

GREY = DataInfo("images", (1, 16, 16))
COLOUR = DataInfo("images", (3, 16, 16))
PAPER = {
    "swgan": ("wgan-gp-resnet", "wgan-gp-resnet"),
    "swae": ("began", "began"),
    "wae": ("wae-dcgan", "wae-dcgan"),
    "wgan-gp": ("wgan-gp-mnist", "wgan-gp-resnet"),
    "ctgan": ("wgan-gp-mnist", "wgan-gp-resnet"),
    "swg": ("swg-dcgan", "swg-dcgan"),
    "gan": ("shared", "shared"),
    "wgan": ("shared", "shared"),
    "ae-idt": ("shared", "shared"),
}


def build(name: str, info: DataInfo, **overrides):
    cls = MODELS.get(name)
    return cls(cls.Config(**{"width": 8, "latent_dim": 8, **overrides}), info)


@pytest.mark.parametrize("name", sorted(PAPER))
def test_paper_resolves_to_the_papers_networks_and_trains(name):
    torch.manual_seed(0)
    for info, expected in zip((GREY, COLOUR), PAPER[name], strict=True):
        model = build(name, info, architecture="paper")
        assert model.architecture == expected
    assert build(name, GREY, architecture="shared").architecture == "shared"
    model = build(name, GREY, architecture="paper")
    real = torch.rand(8 * model.batches_per_step, *GREY.shape) * 2 - 1
    logs = model.train_step(Batch(real), 0)
    assert all(torch.isfinite(value).all() for value in logs.values())
    samples = model.generate(model.sample_latent(3))
    assert samples.shape == (3, *GREY.shape)


def test_swae_paper_encoder_is_the_official_linear_map_of_the_8px_image():
    model = build("swae", GREY, architecture="paper")
    assert isinstance(model.encoder, BEGANEncoder)
    x, y = torch.rand(4, *GREY.shape), torch.rand(4, *GREY.shape)
    with torch.no_grad():  # E(x) - E(0) is linear in x: no nonlinearity before the blocks
        zero = model.encoder(torch.zeros(1, *GREY.shape))
        combined = model.encoder(0.3 * x + 0.7 * y) - zero
        separate = 0.3 * (model.encoder(x) - zero) + 0.7 * (model.encoder(y) - zero)
    assert torch.allclose(combined, separate, atol=1e-5)


def test_swae_with_exact_transport_trains_every_part():
    torch.manual_seed(0)
    model = build("swae", GREY, architecture="paper", transport="sort", n_blocks=2)
    before = [p.detach().clone() for p in model.encoder.parameters()]
    model.train_step(Batch(torch.rand(16, *GREY.shape) * 2 - 1), 0)
    after = list(model.encoder.parameters())
    assert any(not torch.equal(b, a) for b, a in zip(before, after, strict=True))


def test_unknown_architecture_is_a_user_error():
    from swgen.errors import UserError

    with pytest.raises(UserError, match="architecture"):
        build("swgan", GREY, architecture="resnet-9000")


@pytest.mark.parametrize("placement, expected", [("every", 3), ("last", 1)])
def test_ctgan_dropout_placement(placement, expected):
    info = DataInfo("images", (1, 32, 32))
    encoder = build_encoder(info, 1, 8, "none", "wgan-gp-mnist")  # three LeakyReLU layers
    critic = FeatureCritic(encoder, dropout=0.5, placement=placement)
    dropouts = [i for i, m in enumerate(critic.features) if isinstance(m, nn.Dropout)]
    assert len(dropouts) == expected
    assert isinstance(critic.features[dropouts[-1] - 1], nn.LeakyReLU)  # last one on D_
    with pytest.raises(ValueError, match="placement"):
        FeatureCritic(encoder, dropout=0.5, placement="first")


def test_ctgan_default_critic_is_the_official_mnist_critic_on_grey_images():
    model = MODELS.get("ctgan")(MODELS.get("ctgan").Config(), DataInfo("images", (1, 32, 32)))
    convs = [m for m in model.critic.features.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256]
    assert all(c.kernel_size == (5, 5) for c in convs)


def test_wae_input_noise_is_small_truncated_and_off_at_zero():
    torch.manual_seed(0)
    model = build("wae", GREY, input_noise=0.01)
    x = torch.zeros(64, *GREY.shape)
    noisy = model.add_input_noise(x)
    assert 0 < noisy.abs().max() <= 0.02 + 1e-7  # truncated at two standard deviations
    assert noisy.std().item() == pytest.approx(0.0088, rel=0.05)  # std of N(0,1) cut at +-2
    assert torch.equal(build("wae", GREY, input_noise=0.0).add_input_noise(x), x)
