"""Top-k training of the generator (``model.topk_min``, Sinha et al. 2020)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from resume_check import assert_same_weights, straight_and_resumed
from swgen.cli import main
from swgen.config import resolve
from swgen.data import build_dataset
from swgen.data.base import Batch
from swgen.errors import UserError
from swgen.models.swgan import SWGANConfig
from swgen.models.top_k import TopKSettings, top_k_fraction, top_k_mean
from swgen.train.engine import build_model

TOP_K_FAMILY = ["gan", "dcgan", "lsgan", "hinge-gan", "wgan", "wgan-gp", "ctgan", "swgan"]


def model_with(name: str, *overrides: str):
    config = resolve(overrides=[f"model.name={name}", "data.name=gaussians8", *overrides])
    return build_model(config, build_dataset(config.data), torch.device("cpu"))


def test_the_kept_fraction_decays_by_gamma_each_period_down_to_its_floor():
    settings = TopKSettings(topk_min=0.5, topk_decay=0.9, topk_every=10)
    expected = {0: 1.0, 9: 1.0, 10: 0.9, 25: 0.81, 60: 0.9**6, 69: 0.9**6, 70: 0.5, 10**6: 0.5}
    for step, fraction in expected.items():
        assert top_k_fraction(step, settings) == pytest.approx(fraction, rel=1e-12), step
    assert top_k_fraction(10**6, TopKSettings()) == 1.0  # topk_min 1: off whatever the decay


@pytest.mark.parametrize("fraction", [1.0, 0.75, 0.5, 0.26, 0.01])
def test_top_k_mean_is_the_mean_of_the_smallest_losses_as_sorting_gives(fraction):
    losses = np.random.default_rng(4).normal(size=37)
    k = max(1, int(np.floor(fraction * 37)))
    expected = np.sort(losses)[:k].mean()
    got = top_k_mean(torch.tensor(losses), fraction)
    assert float(got) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", TOP_K_FAMILY)
def test_generator_loss_averages_only_the_samples_the_critic_finds_most_real(name):
    model = model_with(name, "model.topk_min=0.25", "model.topk_every=1", "model.topk_decay=0.5")
    model.current_step = 3  # 0.5^3 < 0.25: the floor, k = 16 of 64
    fake = torch.randn(64, 2, generator=torch.Generator().manual_seed(0), requires_grad=True)
    torch.manual_seed(1)  # CT-GAN's critic drops units at random: the same draws for both
    per_sample = model.generator_losses(fake).reshape(64)
    torch.manual_seed(1)
    loss = model.generator_loss(fake)
    expected = per_sample.detach().sort().values[:16].mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    # Only the 16 kept samples receive a gradient.
    (gradient,) = torch.autograd.grad(loss, fake)
    kept = gradient.abs().sum(dim=1) > 0
    assert int(kept.sum()) == 16
    assert torch.equal(kept, per_sample <= per_sample.sort().values[15])
    model.current_step = 0  # k = B at the start: the plain mean
    torch.manual_seed(1)
    plain = model.generator_loss(fake).item()
    assert plain == pytest.approx(per_sample.detach().mean().item(), rel=1e-5)


def test_off_by_default_the_step_is_unchanged():
    def one_step(*overrides: str):
        torch.manual_seed(1)
        model = model_with("swgan", "model.n_critic=1", *overrides)
        torch.manual_seed(2)
        model.train_step(Batch(x=torch.randn(64, 2)), 500)
        return [p.detach().clone() for p in model.generator.parameters()]

    plain = one_step()
    at_one = one_step("model.topk_min=1", "model.topk_every=1")
    halved = one_step("model.topk_min=0.5", "model.topk_every=1")
    assert all(torch.equal(a, b) for a, b in zip(plain, at_one, strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(plain, halved, strict=True))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.topk_min=0"], "'model.topk_min' is 0"),
        (["model.topk_min=1.5"], "'model.topk_min' is 1.5"),
        (["model.topk_decay=0"], "'model.topk_decay' is 0"),
        (["model.topk_every=0"], "'model.topk_every' is 0"),
    ],
)
def test_bad_top_k_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=re.escape(message)):
        model_with("swgan", *overrides)


def test_top_k_settings_built_in_code_are_checked_too():
    with pytest.raises(ValueError, match="topk_min must be a number in"):
        SWGANConfig(topk_min=float("nan"))
    with pytest.raises(ValueError, match="topk_every must be a whole number"):
        SWGANConfig(topk_every=2.5)


def test_a_model_whose_loss_is_not_per_sample_has_no_top_k_setting(capsys):
    code = main(["train", "--model", "swg", "--data", "gaussians8", "model.topk_min=0.5"])
    assert code == 2
    assert "topk_min" in capsys.readouterr().err


def test_cli_resume_continues_the_schedule(tmp_path):
    a, b = straight_and_resumed(tmp_path, ["model.topk_min=0.5", "model.topk_every=1"])
    assert_same_weights(a, b)


@pytest.mark.parametrize("fraction", [0.75, 0.5, 0.1])
def test_processes_choose_among_the_whole_batch_and_average_to_its_top_k_mean(fraction):
    everyone = torch.tensor(np.random.default_rng(7).normal(size=48))
    world, n = 3, 16
    shares = [
        top_k_mean(everyone[rank * n : (rank + 1) * n], fraction, everyone, rank)
        for rank in range(world)
    ]
    assert float(sum(shares) / world) == pytest.approx(float(top_k_mean(everyone, fraction)))
