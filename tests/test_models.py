"""Every registered model honours the engine contract; model-specific checks of each paper."""

import math

import pytest
import torch

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models import MODELS, GenerativeModel
from swgen.models.penalties import slope_penalty
from swgen.sliced import DualSWDBlock, OrthogonalProjection

POINTS = DataInfo("points", (2,))
DIGITS = DataInfo("images", (1, 16, 16))
COLOUR = DataInfo("images", (3, 32, 32))
VIDEO = DataInfo("video", (1, 8, 16, 16))
# the package's models (other test files may register toy models of their own)
PACKAGE_MODELS = [n for n in MODELS.names() if MODELS.get(n).__module__.startswith("swgen.")]


def small_model(name: str, info: DataInfo, **overrides) -> GenerativeModel:
    """The registered model with narrow networks (and short codes) so tests run in seconds."""
    cls = MODELS.get(name)
    fields = cls.Config.__dataclass_fields__
    small = {"width": 16 if info.kind == "points" else 4, "latent_dim": 16, "code_dim": 16,
             "fmap_base": 32, "fmap_max": 8}  # fmt: skip
    values = {key: value for key, value in small.items() if key in fields}
    return cls(cls.Config(**{**values, **overrides}), info)


def real_batch(model: GenerativeModel, info: DataInfo, batch_size: int = 16) -> torch.Tensor:
    rows = model.batches_per_step * batch_size
    return torch.rand(rows, *info.shape) * 2 - 1


def snapshot(parameters) -> list[torch.Tensor]:
    return [p.detach().clone() for p in parameters]


def changed(before, parameters) -> bool:
    return any(not torch.equal(b, p.detach()) for b, p in zip(before, parameters, strict=True))


@pytest.mark.parametrize(
    "info", [POINTS, DIGITS, COLOUR, VIDEO], ids=["points", "digits", "colour", "video"]
)
@pytest.mark.parametrize("name", PACKAGE_MODELS)
def test_train_step_updates_every_network_and_logs_finite_losses(name, info):
    torch.manual_seed(0)
    try:
        model = small_model(name, info)
    except UserError as error:  # a model for other data says so in one line
        assert str(error).count("\n") == 0
        pytest.skip(f"{name} does not train on {info.kind}")
    model.train()
    assert model.latent_dim > 0 and set(model.optimizers)
    groups = {
        key: [p for group in opt.param_groups for p in group["params"]]
        for key, opt in model.optimizers.items()
    }
    before = {key: snapshot(params) for key, params in groups.items()}
    generator_before = snapshot(model.generator.parameters())

    logs = model.train_step(Batch(real_batch(model, info)), step=0)

    losses = {key: value for key, value in logs.items() if key.startswith("loss_")}
    assert losses
    for key, value in logs.items():
        assert value.dim() == 0 and not value.requires_grad, key
        assert torch.isfinite(value), key
    assert changed(generator_before, model.generator.parameters())
    for key, params in groups.items():
        assert changed(before[key], params), f"optimiser {key!r} changed nothing"
    assert all(p.requires_grad for p in model.parameters())  # nothing left frozen

    model.eval()
    with torch.no_grad():
        samples = model.generate(model.sample_latent(5))
    assert samples.shape == (5, *info.shape)


def test_wgan_keeps_critic_weights_within_the_clipping_box():
    torch.manual_seed(0)
    model = small_model("wgan", DIGITS)
    for step in range(2):
        model.train_step(Batch(real_batch(model, DIGITS)), step)
    clip = model.config.clip
    assert all(p.abs().max() <= clip for p in model.critic.parameters())


def test_swgan_projections_stay_orthonormal():
    torch.manual_seed(0)
    model = small_model("swgan", POINTS, lr=1e-2)
    projections = [m for m in model.critic.modules() if isinstance(m, OrthogonalProjection)]
    stacked = [p.weight.reshape(-1, p.d, p.k) for p in projections]
    assert sum(len(w) for w in stacked) == model.config.n_blocks
    before = snapshot(p.weight for p in projections)
    for step in range(3):
        model.train_step(Batch(real_batch(model, POINTS)), step)
    assert changed(before, [p.weight for p in projections])
    for projection in projections:
        for w in projection.weight.detach().reshape(-1, projection.d, projection.k):
            assert torch.allclose(w.T @ w, torch.eye(w.shape[1]), atol=1e-4)


def hand_set_block() -> DualSWDBlock:
    """A dual block with scales of both signs and offsets that put codes on both sides of 0."""
    torch.manual_seed(0)
    block = DualSWDBlock(4, negative_slope=0.2)
    with torch.no_grad():
        block.scale.copy_(torch.tensor([2.0, -3.0, 0.5, 1.0]))
        block.offset.copy_(torch.tensor([0.3, -0.2, 0.0, 1.0]))
    return block


def true_leaky_slopes(block: DualSWDBlock, codes: torch.Tensor) -> torch.Tensor:
    """dF/dt of F(t) = leaky_relu(a t + b), by hand: a where a t + b > 0, else 0.2 a."""
    t = codes @ block.projection.weight
    argument = block.scale * t + block.offset
    return block.scale * torch.where(argument > 0, 1.0, 0.2)


def test_swgan_slope_penalty_uses_the_true_leaky_relu_derivative():
    block = hand_set_block()
    codes = torch.randn(64, 4)
    slopes = true_leaky_slopes(block, codes)
    assert (slopes.abs() < slopes.abs().amax(0)).any()  # both sides of the kink are visited
    k = 0.001
    expected = ((slopes - k) ** 2).mean()
    assert torch.allclose(slope_penalty([block], codes, k), expected, atol=1e-6)


def test_swgan_critic_loss_combines_the_gap_and_both_penalties():
    torch.manual_seed(0)
    model = small_model("swgan", POINTS, n_blocks=1)
    block = model.critic.blocks[0]
    real = torch.randn(32, 2)
    # real == fake: x_hat = x and y_hat = E(x) whatever the mixing weights, the gap is 0
    loss, logs = model.critic_loss(real, real.clone())
    codes = model.critic.encoder(real).detach()
    expected_slope = ((true_leaky_slopes(block, codes) - model.config.k) ** 2).mean()
    assert torch.allclose(logs["slope_penalty"], expected_slope, atol=1e-6)
    assert torch.allclose(logs["wasserstein"], torch.tensor(0.0), atol=1e-6)
    c = model.config
    combined = c.lambda1 * logs["gradient_penalty"] + c.lambda2 * logs["slope_penalty"]
    assert torch.allclose(loss, combined, atol=1e-5)


def test_swgan_critic_scores_real_data_low():
    """Algorithm 4's sign: critic descends E D(x) - E D(G(z)); generator descends E D(G(z))."""
    torch.manual_seed(0)
    model = small_model("swgan", POINTS, lambda1=0.0, lambda2=0.0)
    real, fake = torch.randn(32, 2) + 3, torch.randn(32, 2)
    loss, logs = model.critic_loss(real, fake)
    d_real, d_fake = model.critic(real).mean(), model.critic(fake).mean()
    assert torch.allclose(loss, d_real - d_fake, atol=1e-6)
    assert torch.allclose(model.generator_loss(fake), d_fake, atol=1e-6)


def gaussians8(n: int, generator: torch.Generator) -> torch.Tensor:
    """Eight Gaussians on a circle of radius 2 around (2, -1), std 0.05."""
    angle = torch.randint(0, 8, (n,), generator=generator) * (2 * math.pi / 8)
    centres = 2 * torch.stack([angle.cos(), angle.sin()], dim=1) + torch.tensor([2.0, -1.0])
    return centres + 0.05 * torch.randn(n, 2, generator=generator)


def test_short_swgan_training_moves_samples_towards_the_data():
    """200 generator steps (about 7 s on one core) with the paper's defaults but one dual block."""
    torch.manual_seed(0)
    data = torch.Generator().manual_seed(1)
    model = small_model("swgan", POINTS, width=64, n_blocks=1)
    target = gaussians8(4096, data)

    def gap(samples):
        mean_gap = (samples.mean(0) - target.mean(0)).norm()
        spread_gap = (samples.std(0) - target.std(0)).norm()
        return mean_gap.item(), spread_gap.item()

    z = model.sample_latent(2048)
    with torch.no_grad():
        mean_before, spread_before = gap(model.generate(z))
    for step in range(200):
        model.train_step(Batch(gaussians8(64 * model.batches_per_step, data)), step)
    with torch.no_grad():
        mean_after, spread_after = gap(model.generate(z))
    assert mean_after < 0.25 * mean_before
    assert spread_after < 0.5 * spread_before
