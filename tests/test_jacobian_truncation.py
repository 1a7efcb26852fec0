"""Jacobian-based truncation (Tanielian et al. 2020): the Jacobian-norm estimate against the
exact Jacobian, which codes are kept, and ``swgen sample/eval --jacobian-keep`` end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from swgen.cli import main
from swgen.data.base import DataInfo
from swgen.registry import MODELS
from swgen.train.checkpoint import load_trained

POINTS = DataInfo(kind="points", shape=(2,))
LABELLED_POINTS = DataInfo(kind="points", shape=(2,), num_classes=3)


def exact_jacobian(model, code):
    """``d generate / d code`` of one code by reverse mode, ``(outputs, code coordinates)``."""
    return torch.autograd.functional.jacobian(lambda c: model.generate(c[None])[0].flatten(), code)


def model_on(name, data, **config):
    torch.manual_seed(0)
    model = MODELS.get(name)(MODELS.get(name).Config(**config), data)
    return model.eval()


def test_norms_are_the_mean_of_exact_jacobian_products():
    model = model_on("swgan", POINTS)
    codes = model.sample_codes(6, torch.Generator().manual_seed(1))
    estimate = model.jacobian_norms(codes, probes=3, generator=torch.Generator().manual_seed(7))
    # The same directions, drawn again from the same stream, applied to the exact Jacobian.
    directions = torch.Generator().manual_seed(7)
    draws = [torch.randn(len(codes), model.latent_dim, generator=directions) for _ in range(3)]
    for i, code in enumerate(codes):
        jacobian = exact_jacobian(model, code).double()
        expected = np.mean([float((jacobian @ v[i].double()).pow(2).sum()) for v in draws])
        assert estimate[i].item() == pytest.approx(expected, rel=1e-4)


def test_many_probes_estimate_the_frobenius_norm():
    model = model_on("swgan", POINTS)
    codes = model.sample_codes(3, torch.Generator().manual_seed(2))
    estimate = model.jacobian_norms(codes, probes=4000, generator=torch.Generator().manual_seed(0))
    for i, code in enumerate(codes):
        frobenius = float(exact_jacobian(model, code).double().pow(2).sum())
        # Hutchinson's estimate: relative standard error at most sqrt(2 / probes) = 2.2%.
        assert estimate[i].item() == pytest.approx(frobenius, rel=0.1)


def test_a_conditional_codes_class_is_held_fixed():
    model = model_on("gan", LABELLED_POINTS, conditional=True)
    labels = torch.tensor([0, 1, 2, 1])
    codes = model.sample_codes(4, torch.Generator().manual_seed(3), labels=labels)
    assert codes.shape[1] == model.latent_dim + 3
    estimate = model.jacobian_norms(codes, probes=4000, generator=torch.Generator().manual_seed(0))
    for i, code in enumerate(codes):
        full = exact_jacobian(model, code).double()
        latent_part = float(full[:, : model.latent_dim].pow(2).sum())
        assert estimate[i].item() == pytest.approx(latent_part, rel=0.1)
        # The one-hot columns do move the output, so including them would have been visible.
        assert float(full[:, model.latent_dim :].pow(2).sum()) > 0.01 * latent_part


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("jbt") / "run"
    tiny = ["train.progress=false", "train.steps=2", "model.width=16", "train.batch_size=32"]
    assert (
        main(["train", "--model", "swgan", "--data", "gaussians25", "--out", str(run), *tiny]) == 0
    )
    return run


def test_the_codes_of_smallest_norm_are_kept_in_drawn_order(trained, monkeypatch):
    run = load_trained(trained)
    # A stand-in norm that is visible in the samples: the first latent coordinate.
    monkeypatch.setattr(
        run.model, "jacobian_norms", lambda codes, probes, generator: codes[:, 0].double()
    )
    drawn = []
    plain_draw = run.draw_codes
    monkeypatch.setattr(run, "draw_codes", lambda *a: drawn.append(plain_draw(*a)) or drawn[-1])
    monkeypatch.setattr(run, "generate", lambda codes: codes)
    run.keep_low_jacobian(0.7)
    kept = run.sample(70, seed=5, batch=40)
    candidates = torch.cat(drawn)
    assert len(candidates) == 100  # ceil(70 / 0.7), not 101 from rounding
    threshold = candidates[:, 0].sort().values[69]
    expected = candidates[candidates[:, 0] <= threshold]
    assert torch.equal(kept, expected)


def test_keeping_everything_gives_the_plain_samples_and_a_seed_one_set(trained):
    run = load_trained(trained)
    plain = run.sample(300, seed=4, batch=128)
    run.keep_low_jacobian(1.0)
    assert torch.equal(run.sample(300, seed=4, batch=128), plain)
    run.keep_low_jacobian(0.5)
    kept = run.sample(300, seed=4, batch=128)
    assert torch.equal(run.sample(300, seed=4, batch=128), kept)
    assert not torch.equal(kept, plain)
    run.keep_low_jacobian(None)
    assert torch.equal(run.sample(300, seed=4, batch=128), plain)


def test_kept_samples_are_where_the_generator_changes_slowest(trained):
    run = load_trained(trained)
    run.keep_low_jacobian(0.5)
    kept = run.sample(400, seed=0)
    generator = torch.Generator().manual_seed(0)
    # Exact norms of the 800 candidates (same stream): the kept are the smaller half.
    candidates = torch.cat([run.draw_codes(400, generator, None) for _ in range(2)])
    exact = torch.stack(
        [exact_jacobian(run.model, code).double().pow(2).sum() for code in candidates]
    )
    outputs = run.generate(candidates)
    kept_rows = [int((outputs - row).abs().sum(dim=1).argmin()) for row in kept]
    median = float(exact.median())
    share_below = float((exact[kept_rows] <= median).double().mean())
    # Chance is 0.5 (standard error 0.025). A 2-D output has a Jacobian of rank 2, on which
    # 10 random directions estimate a norm to about 30%, so the ranking is far from exact.
    assert share_below > 0.65


def test_cli_samples_and_measures_jacobian_truncation(trained, tmp_path):
    assert main(["eval", str(trained), "--n", "300"]) == 0
    plain = (trained / "eval.json").read_bytes()
    assert main(["eval", str(trained), "--n", "300", "--jacobian-keep", "0.5"]) == 0
    assert (trained / "eval.json").read_bytes() == plain  # the plain evaluation is kept
    kept = json.loads((trained / "eval-jacobian-keep-0.5.json").read_text())
    assert kept["jacobian_keep"] == 0.5 and kept["n"] == 300 and "truncation" not in kept
    assert kept["metrics"] != json.loads(plain)["metrics"]
    both = ["--jacobian-keep", "0.9", "--truncation", "2"]
    assert main(["eval", str(trained), "--n", "300", *both]) == 0
    assert (trained / "eval-truncation-2-jacobian-keep-0.9.json").exists()

    out = tmp_path / "kept.npy"
    assert main(["sample", str(trained), "-n", "64", "-o", str(out), "--jacobian-keep", "0.5"]) == 0
    assert np.load(out).shape == (64, 2)
    assert math.isfinite(float(np.load(out).sum()))


def test_ranks_within_groups_keep_the_same_share_of_each_group():
    generator = torch.Generator().manual_seed(0)
    groups = torch.randint(0, 4, (1000,), generator=generator)
    # Group g's values all lie above group g - 1's: one threshold would keep whole groups.
    values = groups.double() * 10 + torch.rand(1000, generator=generator, dtype=torch.float64)
    from swgen.train.checkpoint import ranks_within

    kept = ranks_within(values, groups).argsort(stable=True)[:300]
    for group in range(4):
        members = groups == group
        chosen = torch.zeros(1000, dtype=torch.bool)
        chosen[kept] = True
        size, taken = int(members.sum()), int((chosen & members).sum())
        assert abs(taken - 0.3 * size) <= 1
        # and within the group, its smallest values
        assert torch.equal(
            values[chosen & members].sort().values, values[members].sort().values[:taken]
        )


def test_nearest_component_is_the_drawn_one():
    from swgen.models.latent_prior import LatentPriorSettings, nearest_component

    generator = torch.Generator().manual_seed(0)
    drawn = torch.randint(0, 10, (20000,), generator=generator)
    z = torch.randn(20000, 128, generator=generator)
    z[torch.arange(20000), drawn] += 8.0
    settings = LatentPriorSettings(prior_components=10, prior_separation=8.0)
    assert torch.equal(nearest_component(z, settings), drawn)
    # with the means too close for it, the nearest is often another component
    z = torch.randn(20000, 128, generator=generator)
    z[torch.arange(20000), drawn] += 1.0
    assert (nearest_component(z, settings) != drawn).float().mean() > 0.3


def test_a_mixture_prior_keeps_the_same_share_of_every_component(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    tiny = ["train.progress=false", "train.steps=2", "model.width=16", "train.batch_size=32"]
    mixture = ["model.latent_dim=16", "model.prior_components=5", "model.prior_separation=8"]
    argv = ["train", "--model", "swgan", "--data", "gaussians25", "--out", str(run_dir)]
    assert main([*argv, *tiny, *mixture]) == 0
    run = load_trained(run_dir)
    components = lambda codes: codes[:, :5].argmax(dim=1)  # noqa: E731  (the drawn ones)
    # A stand-in norm that grows with the component: one threshold would keep components 0-2.
    monkeypatch.setattr(
        run.model,
        "jacobian_norms",
        lambda codes, probes, generator: components(codes).double() + codes[:, 10].double() / 100,
    )
    drawn = []
    plain_draw = run.draw_codes
    monkeypatch.setattr(run, "draw_codes", lambda *a: drawn.append(plain_draw(*a)) or drawn[-1])
    monkeypatch.setattr(run, "generate", lambda codes: codes)
    run.keep_low_jacobian(0.5)
    kept = run.sample(500, seed=3)
    candidates = torch.cat(drawn)
    assert len(candidates) == 1000 and len(kept) == 500
    for component in range(5):
        in_candidates = int((components(candidates) == component).sum())
        in_kept = int((components(kept) == component).sum())
        assert abs(in_kept - in_candidates / 2) <= 1, component
