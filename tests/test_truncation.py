"""The truncation trick: truncated-normal draws against scipy, the models' priors, and
``swgen sample/eval --truncation`` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy import stats

from swgen.cli import main
from swgen.data.base import DataInfo
from swgen.errors import UserError
from swgen.models.aae import AAE
from swgen.models.base import truncated_normal
from swgen.models.wae import WAE
from swgen.registry import MODELS

POINTS = DataInfo(kind="points", shape=(2,))


@pytest.mark.parametrize("bound", [0.25, 1.0, 2.5])
def test_draws_follow_scipys_truncated_normal(bound):
    draws = truncated_normal((20000,), bound, torch.Generator().manual_seed(3)).double().numpy()
    assert np.abs(draws).max() <= bound
    reference = stats.truncnorm(-bound, bound)
    assert stats.kstest(draws, reference.cdf).pvalue > 0.01
    assert draws.var() == pytest.approx(reference.var(), rel=0.03)
    assert np.abs(draws).mean() == pytest.approx(reference.expect(np.abs), rel=0.02)


def test_a_wide_bound_is_the_standard_normal_and_a_seed_repeats():
    draws = truncated_normal((20000,), 10.0, torch.Generator().manual_seed(0)).double().numpy()
    assert stats.kstest(draws, stats.norm.cdf).pvalue > 0.01
    again = truncated_normal((20000,), 10.0, torch.Generator().manual_seed(0)).double().numpy()
    assert np.array_equal(draws, again)


@pytest.mark.parametrize("bound", [0, -1.0, float("nan"), float("inf"), "1"])
def test_a_bound_that_is_not_a_positive_number_is_refused(bound):
    with pytest.raises(UserError, match="truncation must be a positive number"):
        truncated_normal((4,), bound)


def test_models_truncate_their_own_prior():
    swgan = MODELS.get("swgan")(MODELS.get("swgan").Config(), POINTS)
    codes = swgan.sample_codes(4000, torch.Generator().manual_seed(0), truncation=0.5)
    assert codes.abs().max() <= 0.5 and codes.abs().max() > 0.49
    plain = swgan.sample_codes(64, torch.Generator().manual_seed(0))
    unchanged = torch.randn(64, swgan.latent_dim, generator=torch.Generator().manual_seed(0))
    assert torch.equal(plain, unchanged)  # without a bound, the same codes as before

    wae = WAE(WAE.Config(prior_variance=4.0), POINTS)  # prior N(0, 4 I): bound 1.5 is 3.0
    codes = wae.sample_codes(4000, torch.Generator().manual_seed(0), truncation=1.5)
    assert 2.95 < codes.abs().max() <= 3.0

    gaussian = AAE(AAE.Config(prior="gaussian"), POINTS)
    assert gaussian.sample_codes(100, truncation=1.0).abs().max() <= 1.0
    mixture = AAE(AAE.Config(prior="mixture"), POINTS)
    with pytest.raises(UserError, match="prior is 'mixture'"):
        mixture.sample_codes(10, truncation=1.0)


def test_cli_samples_and_measures_a_truncated_prior(tmp_path, monkeypatch):
    monkeypatch.setenv("SWGEN_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    tiny = ["train.progress=false", "train.steps=2", "model.width=16", "train.batch_size=32"]
    argv = ["train", "--model", "swgan", "--data", "gaussians25", "--out", str(run), *tiny]
    assert main(argv) == 0
    assert main(["eval", str(run), "--n", "300"]) == 0
    plain = (run / "eval.json").read_bytes()
    assert main(["eval", str(run), "--n", "300", "--truncation", "0.5"]) == 0
    assert (run / "eval.json").read_bytes() == plain  # the plain evaluation is kept as it was
    truncated = json.loads((run / "eval-truncation-0.5.json").read_text())
    assert truncated["truncation"] == 0.5 and truncated["n"] == 300
    assert truncated["metrics"] != json.loads(plain)["metrics"]

    samples = {}
    for name, extra in (("wide", ["50"]), ("plain", []), ("narrow", ["0.01"])):
        out = tmp_path / f"{name}.npy"
        flags = ["--truncation", *extra] if extra else []
        assert main(["sample", str(run), "-n", "1000", "-o", str(out), *flags]) == 0
        samples[name] = np.load(out)
    # A bound far out in the tails leaves the samples' spread as it was; a tight one collapses
    # them towards the generator's output at z = 0.
    assert np.allclose(samples["wide"].std(0), samples["plain"].std(0), rtol=0.15)
    assert (samples["narrow"].std(0) < 0.1 * samples["plain"].std(0)).all()
