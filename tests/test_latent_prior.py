"""The GAN family's latent prior of separated Gaussians (``model.prior_components``)."""

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
from swgen.models.base import per_sample_noise, set_noise_shard
from swgen.models.latent_prior import LatentPriorSettings, training_codes
from swgen.models.swgan import SWGANConfig
from swgen.train.checkpoint import load_trained
from swgen.train.engine import build_model

GAN_FAMILY = ["gan", "dcgan", "lsgan", "hinge-gan", "wgan", "wgan-gp", "ctgan", "swg", "swgan"]


def model_with(name: str, *overrides: str, data: str = "gaussians8"):
    config = resolve(overrides=[f"model.name={name}", f"data.name={data}", *overrides])
    return build_model(config, build_dataset(config.data), torch.device("cpu"))


def split_means(codes: torch.Tensor, separation: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The component of each code (the axis holding its mean) and the code minus that mean."""
    components = codes[:, :10].argmax(dim=1)
    means = torch.zeros_like(codes)
    means[torch.arange(len(codes)), components] = separation
    return components, codes - means


@pytest.mark.parametrize("name", GAN_FAMILY)
def test_one_component_is_the_papers_prior_drawn_as_before(name):
    model = model_with(name)
    assert model.config.prior_components == 1
    torch.manual_seed(3)
    expected = per_sample_noise(32, model.latent_dim)
    torch.manual_seed(3)
    assert torch.equal(model.noise(32, torch.zeros(1)), expected)
    drawn = model.sample_latent(32, torch.Generator().manual_seed(5))
    assert torch.equal(
        drawn, torch.randn(32, model.latent_dim, generator=torch.Generator().manual_seed(5))
    )


@pytest.mark.parametrize("name", GAN_FAMILY)
def test_components_sit_on_their_axes(name):
    model = model_with(name, "model.prior_components=10", "model.prior_separation=40")
    for codes in (
        model.noise(4000, torch.zeros(1)),
        model.sample_latent(4000, torch.Generator().manual_seed(0)),
    ):
        components, eps = split_means(codes, 40.0)
        # At s = 40 every code's largest first-ten coordinate is its component's mean.
        counts = torch.bincount(components, minlength=10)
        assert counts.min() > 4000 / 10 * 0.8 and counts.max() < 4000 / 10 * 1.2
        assert abs(float(eps.mean())) < 0.02 and abs(float(eps.std()) - 1) < 0.02
        assert float(eps[:, :10].abs().max()) < 8  # nothing left of a mean but Gaussian noise


def test_sampling_is_seeded_and_truncation_cuts_each_component():
    model = model_with("swgan", "model.prior_components=5", "model.prior_separation=12")
    first = model.sample_latent(300, torch.Generator().manual_seed(7))
    again = model.sample_latent(300, torch.Generator().manual_seed(7))
    assert torch.equal(first, again)
    global_state = torch.get_rng_state()
    truncated = model.sample_latent(300, torch.Generator().manual_seed(7), truncation=0.5)
    assert torch.equal(torch.get_rng_state(), global_state)  # the generator alone is drawn from
    components, eps = split_means(truncated, 12.0)
    assert float(eps.abs().max()) <= 0.5
    assert len(set(components.tolist())) == 5


def test_processes_draw_rows_of_one_global_draw():
    settings = LatentPriorSettings(prior_components=4, prior_separation=6.0)
    torch.manual_seed(11)
    whole = training_codes(12, 8, settings, torch.device("cpu"))
    parts = []
    try:
        for rank in range(3):
            set_noise_shard(rank, 3)
            torch.manual_seed(11)
            parts.append(training_codes(4, 8, settings, torch.device("cpu")))
    finally:
        set_noise_shard(0, 1)
    for rank, part in enumerate(parts):
        assert torch.equal(part, whole[rank::3])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.prior_components=0"], "'model.prior_components' is 0"),
        (["model.prior_components=129"], "cannot exceed latent_dim (128)"),
        (["model.prior_separation=0"], "'model.prior_separation' is 0"),
    ],
)
def test_bad_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=re.escape(message)):
        model_with("wgan-gp", *overrides)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"prior_components": 2.5}, "whole number >= 1"),
        ({"prior_components": True}, "whole number >= 1"),
        ({"prior_separation": float("nan")}, "must be a number"),
        ({"prior_separation": -1.0}, "must be positive"),
    ],
)
def test_settings_built_in_code_are_checked_too(settings, message):
    with pytest.raises(ValueError, match=message):
        SWGANConfig(**settings)


def test_cli_trains_and_samples_from_the_components(tmp_path):
    run = tmp_path / "run"
    argv = ["train", "--model", "wgan-gp", "--data", "gaussians8", "--out", str(run)]
    overrides = ["train.steps=3", "train.progress=false", "model.prior_components=8"]
    assert main(argv + overrides) == 0
    trained = load_trained(run)
    assert trained.model.config.prior_components == 8
    out = tmp_path / "samples.npy"
    assert main(["sample", str(run), "-n", "64", "-o", str(out)]) == 0
    assert np.load(out).shape == (64, 2)
    kept = tmp_path / "kept.npy"
    assert main(["sample", str(run), "-n", "64", "--jacobian-keep", "0.5", "-o", str(kept)]) == 0
    assert np.load(kept).shape == (64, 2)
    assert main(["eval", str(run), "--n", "64"]) == 0
    assert main(["explore", str(run), "-o", str(tmp_path / "explore")]) == 0
    assert np.load(tmp_path / "explore" / "components.npy").shape == (8 * 9, 2)


def test_exploration_draws_each_component_on_its_axis():
    from swgen.explore import exploration_codes

    plain = exploration_codes(16, seed=4, steps=5)
    codes = exploration_codes(16, seed=4, steps=5, components=4, separation=30.0)
    assert "components" not in plain
    assert all(torch.equal(plain[name], codes[name]) for name in plain)  # the other strips stay
    rows = codes["components"].view(4, 5, 16)
    assert torch.equal(rows[:, :, :4].argmax(dim=2), torch.arange(4).view(4, 1).expand(4, 5))


# --- InfoGAN's mutual-information term for the components (model.info_weight) ----------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.info_weight=1"], "needs a prior of several components"),
        (["model.info_weight=-1", "model.prior_components=4"], "'model.info_weight' is -1.0"),
    ],
)
def test_bad_information_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=re.escape(message)):
        model_with("swgan", *overrides)


def test_information_settings_built_in_code_are_checked_too():
    with pytest.raises(ValueError, match="info_weight must be a number >= 0"):
        SWGANConfig(prior_components=4, info_weight=float("nan"))
    with pytest.raises(ValueError, match="needs a prior of several components"):
        SWGANConfig(info_weight=0.5)


def test_a_model_with_its_own_step_refuses_the_information_term():
    with pytest.raises(UserError, match="not implemented for SWG"):
        model_with("swg", "model.prior_components=4", "model.info_weight=1")


def test_information_term_is_weighted_cross_entropy_of_the_drawing_component():
    model = model_with(
        "swgan", "model.prior_components=4", "model.prior_separation=30", "model.info_weight=0.5"
    )
    assert model_with("swgan", "model.prior_components=4").component_head is None
    torch.manual_seed(0)
    drawn = torch.arange(64) % 4  # the components, known here rather than read back
    noise = torch.randn(64, model.latent_dim)
    noise[torch.arange(64), drawn] += 30.0
    fake = model.generator(noise)
    logits = model.component_head(fake)
    # -log softmax(logits)[c], averaged by hand
    expected = 0.5 * -(logits.log_softmax(dim=1)[torch.arange(64), drawn]).mean()
    assert torch.allclose(model.component_information(noise, fake), expected, rtol=1e-6)
    assert model_with("swgan").component_information(noise, fake) is None


def test_information_term_trains_the_head_and_reaches_the_generator():
    def one_step(weight: str):
        torch.manual_seed(1)
        model = model_with(
            "swgan",
            "model.prior_components=4",
            "model.prior_separation=30",
            f"model.info_weight={weight}",
            "model.n_critic=1",
        )
        head = model.component_head
        before = None if head is None else {k: v.clone() for k, v in head.state_dict().items()}
        torch.manual_seed(2)
        logs = model.train_step(Batch(x=torch.randn(64, *model.data.shape)), 0)
        return model, before, logs

    plain, _, plain_logs = one_step("0")
    informed, head_before, logs = one_step("10")
    assert "component_information" in logs and "component_information" not in plain_logs
    head_after = informed.component_head.state_dict()
    assert any(not torch.equal(head_before[k], head_after[k]) for k in head_before)
    # Same draws, same critic update: the generators differ only through the term's gradient.
    for a, b in zip(plain.critic.parameters(), informed.critic.parameters(), strict=True):
        assert torch.equal(a, b)
    assert any(
        not torch.equal(a, b)
        for a, b in zip(plain.generator.parameters(), informed.generator.parameters(), strict=True)
    )


def test_cli_trains_resumes_and_samples_with_the_information_term(tmp_path):
    a, b = straight_and_resumed(tmp_path, ["model.prior_components=8", "model.info_weight=1"])
    assert a.model.component_head is not None
    assert_same_weights(a, b)
    out = tmp_path / "samples.npy"
    assert main(["sample", str(tmp_path / "straight"), "-n", "16", "-o", str(out)]) == 0
