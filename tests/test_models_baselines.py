"""The baselines of the SWGAN paper's comparison: WAE, AE + IDT, CT-GAN and SWG.

Each paper equation is checked numerically (MMD against a double loop, the consistency term by
hand, SWG's loss against sorted projections); IDT against its purpose (Gaussian -> a two-mode
code distribution) and its checkpointing; every model end to end through the CLI.
"""

import math

import numpy as np
import pytest
import torch

from swgen.cli import main
from swgen.data.base import Batch, DataInfo
from swgen.models import MODELS
from swgen.models.ae_idt import interpolate_quantiles
from swgen.models.ctgan import FeatureCritic, consistency_term
from swgen.models.wae import IMQ_SCALES, imq_mmd
from swgen.nn import build_encoder
from swgen.sliced import random_directions, sliced_wasserstein

POINTS = DataInfo("points", (2,))
DIGITS = DataInfo("images", (1, 16, 16))


def small(name: str, info: DataInfo = POINTS, **overrides):
    cls = MODELS.get(name)
    return cls(cls.Config(**{"width": 16, "latent_dim": 4, **overrides}), info)


def parameters_of(optimizer):
    return [p for group in optimizer.param_groups for p in group["params"]]


# --- WAE ------------------------------------------------------------------------------------


def imq_mmd_by_loops(q: np.ndarray, p: np.ndarray, variance: float) -> float:
    """Tolstikhin et al.'s unbiased estimator, term by term in float64."""
    n, m, d = len(q), len(p), q.shape[1]
    total = 0.0
    for scale in IMQ_SCALES:
        c = 2 * d * variance * scale

        def k(a, b, c=c):
            return c / (c + float(np.sum((a - b) ** 2)))

        total += sum(k(q[i], q[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
        total += sum(k(p[i], p[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
        total -= 2 * sum(k(q[i], p[j]) for i in range(n) for j in range(m)) / (n * m)
    return total


def test_imq_mmd_matches_the_double_loop():
    rng = np.random.default_rng(0)
    q, p = rng.normal(size=(7, 3)) + 0.5, rng.normal(size=(9, 3)) * 1.3
    expected = imq_mmd_by_loops(q, p, variance=1.5)
    got = imq_mmd(torch.tensor(q), torch.tensor(p), variance=1.5)
    assert got.dtype == torch.float64
    assert math.isclose(got.item(), expected, rel_tol=1e-10)


def test_imq_mmd_is_unbiased_for_equal_distributions_and_grows_with_a_shift():
    torch.manual_seed(0)
    same = torch.stack([imq_mmd(torch.randn(32, 4), torch.randn(32, 4)) for _ in range(300)])
    shifted = torch.stack([imq_mmd(torch.randn(32, 4) + 1, torch.randn(32, 4)) for _ in range(50)])
    standard_error = same.std() / math.sqrt(len(same))
    assert same.mean().abs() < 3 * standard_error  # zero in expectation (the unbiased estimator)
    assert (same < 0).any()  # ... hence sometimes negative
    assert shifted.mean() > 20 * standard_error and shifted.mean() > same.mean() + 5 * same.std()


def test_wae_samples_the_scaled_prior():
    model = small("wae", prior_variance=4.0)
    z = model.sample_latent(20_000, torch.Generator().manual_seed(0))
    assert z.shape == (20_000, 4) and abs(z.std().item() - 2.0) < 0.05


def test_wae_gan_updates_adversary_and_autoencoder():
    torch.manual_seed(0)
    model = small("wae", penalty="gan")
    assert set(model.optimizers) == {"autoencoder", "adversary"}
    before = {k: [p.clone() for p in parameters_of(o)] for k, o in model.optimizers.items()}
    logs = model.train_step(Batch(torch.randn(16, 2)), step=0)
    for key, optimizer in model.optimizers.items():
        after = parameters_of(optimizer)
        assert any(not torch.equal(b, a) for b, a in zip(before[key], after, strict=True)), key
    assert {"loss_autoencoder", "loss_adversary", "gan_penalty"} <= set(logs)
    assert all(torch.isfinite(v) and not v.requires_grad for v in logs.values())
    assert all(p.requires_grad for p in model.parameters())


def test_wae_reconstruction_cost_is_the_scaled_squared_norm():
    model = small("wae")
    real, reconstructed = torch.zeros(2, 2), torch.tensor([[3.0, 4.0], [1.0, 0.0]])
    # 0.05 * mean(25, 1)
    cost = model.reconstruction_cost(real, reconstructed).item()
    assert math.isclose(cost, 0.05 * 13, rel_tol=1e-6)


# --- AE + IDT -------------------------------------------------------------------------------


def two_modes(n: int, generator: torch.Generator) -> torch.Tensor:
    """Equal halves around (+-3, 0, 0, 0), std 0.5, in 4-D."""
    sign = (torch.arange(n) % 2 * 2 - 1).unsqueeze(1).float()
    return sign * torch.tensor([3.0, 0.0, 0.0, 0.0]) + 0.5 * torch.randn(n, 4, generator=generator)


def test_interpolate_quantiles_is_piecewise_linear_and_clamped():
    source = torch.tensor([[0.0, 1.0, 3.0]])
    target = torch.tensor([[10.0, 20.0, 40.0]])
    x = torch.tensor([[-1.0], [0.5], [2.0], [3.0], [7.0]])
    expected = torch.tensor([[10.0], [15.0], [30.0], [40.0], [40.0]])
    assert torch.allclose(interpolate_quantiles(x, source, target), expected)


def test_idt_carries_gaussian_samples_to_the_codes_and_survives_a_state_dict_round_trip():
    data = torch.Generator().manual_seed(0)
    model = small("ae-idt", bank_size=2048)
    model.remember(two_modes(2048, data))
    rng_before = torch.get_rng_state()
    model.fit_transfer()
    assert torch.equal(torch.get_rng_state(), rng_before)  # a private generator only

    z, fresh = torch.randn(4096, 4, generator=data), two_modes(4096, data)

    def distance(x):  # SW_1: SW_2 would mostly measure the binomial noise of the mode split
        return sliced_wasserstein(x, fresh, 256, p=1, generator=torch.Generator().manual_seed(1))

    with torch.no_grad():
        mapped = model.transfer(z)
    assert distance(mapped) < distance(z) / 5

    restored = small("ae-idt", bank_size=2048)
    restored.load_state_dict(model.state_dict())
    assert int(restored.codes_fitted) == int(restored.codes_written)  # generate will not refit
    with torch.no_grad():
        assert torch.equal(restored.transfer(z), mapped)
        assert torch.equal(restored.generate(z[:8]), model.generate(z[:8]))


def test_idt_refits_lazily_and_deterministically():
    torch.manual_seed(0)
    model = small("ae-idt", idt_iterations=5, bank_size=64)
    z = torch.randn(8, 4)
    with torch.no_grad():
        assert torch.equal(model.transfer(z), z)  # identity until fitted
    for step in range(3):  # 48 codes, fewer than the bank holds
        model.train_step(Batch(torch.randn(16, 2)), step)
    assert int(model.codes_written) == 48 and int(model.codes_fitted) == 0
    with torch.no_grad():
        model.generate(z)
    assert int(model.codes_fitted) == 48 and bool(model.transfer.fitted)
    first = {key: value.clone() for key, value in model.transfer.state_dict().items()}
    for step in range(5):  # wraps around the ring buffer
        model.train_step(Batch(torch.randn(16, 2)), step)
    assert int(model.codes_written) == 128
    twin = small("ae-idt", idt_iterations=5, bank_size=64)
    twin.code_bank.copy_(model.code_bank)
    twin.codes_written.copy_(model.codes_written)
    with torch.no_grad():
        model.generate(z)
        twin.generate(z)
    assert not torch.equal(model.transfer.source_quantiles, first["source_quantiles"])
    for key, value in model.transfer.state_dict().items():
        assert torch.equal(value, twin.transfer.state_dict()[key]), key  # a function of the bank


# --- CT-GAN ---------------------------------------------------------------------------------


def test_consistency_term_by_hand():
    scores = (torch.tensor([[1.0], [0.0]]), torch.tensor([[0.0], [0.0]]))
    features = (torch.tensor([[2.0, 0.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.0, 2.0]]))
    # per sample: d(D) + 0.1 d(D_) = 1 + 0.1 * 2 = 1.2 and 0 + 0.1 * 2 = 0.2
    assert math.isclose(consistency_term(scores, features).item(), (1.2 + 0.2) / 2, rel_tol=1e-6)
    # margin M' = 0.5: max(0, 0.7) and max(0, -0.3)
    assert math.isclose(consistency_term(scores, features, 0.5).item(), 0.35, rel_tol=1e-6)


@pytest.mark.parametrize("info", [POINTS, DIGITS], ids=["points", "digits"])
def test_ctgan_consistency_needs_dropout(info):
    torch.manual_seed(0)
    model = small("ctgan", info, width=16 if info is POINTS else 4)
    real = torch.randn(16, *info.shape)
    model.eval()  # dropout off: both passes are the same critic
    assert model.consistency(real)[0].item() == 0.0
    model.train()
    assert model.consistency(real)[0].item() > 0.0
    hidden_layers = 3 if info is POINTS else 2  # MLP depth; conv stages at 16 px
    assert sum(isinstance(m, torch.nn.Dropout) for m in model.critic.modules()) == hidden_layers


@pytest.mark.parametrize("info", [POINTS, DIGITS], ids=["points", "digits"])
def test_feature_critic_is_the_encoder_split_before_its_last_layer(info):
    torch.manual_seed(0)
    encoder = build_encoder(info, 1, 8, "layer")
    critic = FeatureCritic(encoder)
    x = torch.randn(5, *info.shape)
    assert torch.equal(critic(x), encoder(x))
    assert critic.features(x).shape == (5, critic.head.in_features)


# --- SWG ------------------------------------------------------------------------------------


def test_swg_generator_loss_is_the_squared_sliced_distance_of_features():
    torch.manual_seed(0)
    model = small("swg", n_projections=500)
    fake, real = torch.randn(32, 2), torch.randn(32, 2) + 1
    loss = model.generator_loss(fake, real, generator=torch.Generator().manual_seed(3))
    features_fake, features_real = model.critic.features(fake), model.critic.features(real)
    expected = sliced_wasserstein(
        features_fake, features_real, 500, generator=torch.Generator().manual_seed(3)
    ).square()
    assert torch.allclose(loss, expected, rtol=1e-5)
    # the official code's form: mean squared difference of sorted projections, unit directions
    theta = random_directions(features_fake.shape[1], 500, torch.Generator().manual_seed(3))
    sorted_fake = torch.sort(features_fake @ theta, dim=0).values
    sorted_real = torch.sort(features_real @ theta, dim=0).values
    assert torch.allclose(loss, (sorted_fake - sorted_real).square().mean(), rtol=1e-4)
    loss.backward()  # the graph reaches the fake batch only through the features
    assert model.critic.head.weight.grad is None


# --- end to end -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [["wae"], ["wae", "model.penalty=gan"], ["ae-idt"], ["ctgan"], ["swg"]],
    ids=["wae-mmd", "wae-gan", "ae-idt", "ctgan", "swg"],
)
def test_train_and_sample_through_the_cli(tmp_path, model):
    run, samples = tmp_path / "run", tmp_path / "x.npy"
    code = main(
        [
            "train",
            "--model",
            model[0],
            "--data",
            "gaussians8",
            "--out",
            str(run),
            *model[1:],
            "train.steps=3",
            "train.progress=false",
            "model.width=16",
            "model.latent_dim=4",
            "train.batch_size=16",
        ]
    )
    assert code == 0
    assert main(["sample", str(run), "-n", "10", "-o", str(samples)]) == 0
    array = np.load(samples)
    assert array.shape == (10, 2) and np.isfinite(array).all()


def test_ctgan_dropout_mask_is_torchs_dropout_drawn_from_uniforms():
    """The CPU mask keeps each unit with probability 1 - p and scales it by 1 / (1 - p), as
    ``nn.Dropout``; two passes draw different masks (the consistency term needs them); the
    gradient is the mask; evaluation mode is the identity."""
    from swgen.models.ctgan import Dropout

    torch.manual_seed(0)
    dropout = Dropout(0.3)
    x = torch.rand(1000, 1000) + 0.5  # no zeros of its own
    x.requires_grad_(True)
    y = dropout(x)
    kept = y != 0
    # 10^6 Bernoulli(0.7) draws: the kept share is within 5 standard deviations (0.00046 each)
    assert abs(kept.float().mean().item() - 0.7) < 5 * (0.7 * 0.3 / 1e6) ** 0.5
    torch.testing.assert_close(y[kept], x[kept] / 0.7)
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.7)
    assert not torch.equal(dropout(x) != 0, kept)
    dropout.eval()
    assert torch.equal(dropout(x), x)
