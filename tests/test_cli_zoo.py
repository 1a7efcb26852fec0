"""The lectures' model zoo from the command line: every model and setting trains on tiny
budgets, and sample (with --label), eval and explore work on their runs."""

import json

import numpy as np
import pytest
from PIL import Image

from swgen.cli import main

QUIET = "train.progress=false"
DIGITS = ["--data", "digits", "data.image_size=8", "model.width=4", "data.limit=64"]
DIGITS += ["train.batch_size=16", "train.steps=2", "train.grid_size=20", QUIET]
G25 = ["--data", "gaussians25", "model.width=8", "train.batch_size=32", "train.steps=2", QUIET]


def run(*argv):
    return main([str(a) for a in argv])


@pytest.mark.parametrize(
    ("model", "settings"),
    [
        ("dcgan", []),
        ("lsgan", ["model.pu_prior=0.3"]),
        ("hinge-gan", ["model.pu_prior=0.3", "model.pu_schedule=rising", "model.pu_every=1"]),
        ("gan", ["model.loss=wasserstein", "model.n_critic=2"]),
        ("wgan-gp", ["model.pu_prior=0.5", "model.smooth_weight=1", "model.n_critic=1"]),
        ("wgan-gp", ["model.smooth_weight=1", "model.smooth_form=composed", "model.n_critic=1"]),
        ("vae", []),
        ("aae", []),
        ("aae", ["model.prior=mixture"]),
    ],
)
def test_zoo_trains_on_gaussians25(tmp_path, model, settings):
    out = tmp_path / "run"
    assert run("train", "--model", model, *G25, *settings, "--out", out) == 0
    assert run("sample", out, "-n", "20", "-o", tmp_path / "s.npy") == 0
    assert np.load(tmp_path / "s.npy").shape == (20, 2)
    assert run("eval", out, "--n", "64") == 0
    assert "modes_covered" in json.loads((out / "eval.json").read_text())["metrics"]
    assert run("explore", out, "-o", tmp_path / "explore") == 0
    assert (tmp_path / "explore" / "sweep.npy").is_file()


@pytest.mark.parametrize(
    ("model", "settings"),
    [
        ("lsgan", ["model.pu_prior=0.3"]),
        ("hinge-gan", ["model.pu_prior=0.3", "model.pu_schedule=rising", "model.pu_every=1"]),
        ("gan", ["model.loss=lsgan", "model.smooth_weight=0.5"]),
        ("wgan-gp", ["model.pu_prior=0.5", "model.smooth_weight=1", "model.conditional=true"]),
        ("wgan", ["model.conditional=true", "model.n_critic=1"]),
        ("ctgan", ["model.conditional=true", "model.n_critic=1"]),
        ("swgan", ["model.conditional=true", "model.code_dim=8", "model.n_critic=1"]),
        ("swg", ["model.conditional=true", "model.n_projections=64"]),
    ],
)
def test_zoo_settings_train_on_digits(tmp_path, model, settings):
    out = tmp_path / "run"
    assert run("train", "--model", model, *DIGITS, *settings, "--out", out) == 0
    label = ["--label", "5"] if "model.conditional=true" in settings else []
    assert run("sample", out, "-n", "3", *label, "-o", tmp_path / "s.npy") == 0
    assert np.load(tmp_path / "s.npy").shape == (3, 1, 8, 8)


def test_conditional_dcgan_on_digits_samples_a_class_and_draws_a_row_per_class(tmp_path):
    out = tmp_path / "run"
    assert run("train", "--model", "dcgan", *DIGITS, "model.conditional=true", "--out", out) == 0
    grid = Image.open(out / "samples" / "step_0000002.png")
    assert grid.size == (2 * 10 + 2, 10 * 10 + 2)  # 10 rows (classes) of 20 // 10 = 2 columns
    assert run("sample", out, "-n", "6", "--label", "3", "-o", tmp_path / "three.npy") == 0
    assert np.load(tmp_path / "three.npy").shape == (6, 1, 8, 8)
    assert run("sample", out, "-n", "6", "--label", "3", "-o", tmp_path / "again.npy") == 0
    assert np.array_equal(np.load(tmp_path / "three.npy"), np.load(tmp_path / "again.npy"))
    assert run("sample", out, "-n", "6", "--label", "4", "-o", tmp_path / "four.npy") == 0
    assert not np.array_equal(np.load(tmp_path / "three.npy"), np.load(tmp_path / "four.npy"))
    assert run("eval", out, "--n", "32") == 0
    agreement = json.loads((out / "eval.json").read_text())["metrics"]["label_agreement_digits"]
    assert 0 <= agreement["mean"] <= 1 and len(agreement["per_class"]) == 10
    assert run("explore", out, "-o", tmp_path / "explore") == 0
    assert (tmp_path / "explore" / "sweep.png").is_file()


@pytest.mark.parametrize(
    "settings",
    [
        ["model.prior=mixture", "model.supervised_prior=true"],
        ["model.prior=gaussian", "model.conditional=true"],
    ],
    ids=["supervised-mixture", "conditional-decoder"],
)
def test_aae_on_digits_draws_its_code_space_coloured_by_label(tmp_path, settings):
    out = tmp_path / "run"
    assert run("train", "--model", "aae", *DIGITS, *settings, "--out", out) == 0
    assert run("sample", out, "-n", "4", "--label", "2", "-o", tmp_path / "two.npy") == 0
    assert run("eval", out, "--n", "32") == 0
    assert run("explore", out, "-o", tmp_path / "explore") == 0
    assert Image.open(tmp_path / "explore" / "code_space.png").size == (512, 512)
    codes = np.load(tmp_path / "explore" / "code_space.npy")
    labels = np.load(tmp_path / "explore" / "code_labels.npy")
    assert codes.shape == (2000, 2) and labels.shape == (2000,) and set(labels) == set(range(10))


def test_vae_on_digits_both_decoders(tmp_path):
    for decoder in ("bernoulli", "gaussian"):
        out = tmp_path / decoder
        settings = [f"model.decoder={decoder}", "model.conditional=true"]
        assert run("train", "--model", "vae", *DIGITS, *settings, "--out", out) == 0
        assert run("sample", out, "-n", "4", "--label", "9", "-o", tmp_path / f"{decoder}.png") == 0
        assert run("eval", out, "--n", "32") == 0
    assert run("explore", out, "-o", tmp_path / "explore") == 0


def test_conditional_gan_on_a_folder_of_class_subfolders(tmp_path):
    rng = np.random.default_rng(0)
    for name, value in (("cats", 40), ("dogs", 200)):
        for index in range(4):
            pixels = np.clip(rng.normal(value, 10, (12, 12, 3)), 0, 255).astype(np.uint8)
            (tmp_path / "pets" / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels).save(tmp_path / "pets" / name / f"{index}.png")
    out = tmp_path / "run"
    data = ["--data", tmp_path / "pets", "data.image_size=8", "model.width=4"]
    settings = ["train.batch_size=4", "train.steps=2", QUIET, "model.conditional=true"]
    assert run("train", "--model", "hinge-gan", *data, *settings, "--out", out) == 0
    assert run("sample", out, "-n", "2", "--label", "dogs", "-o", tmp_path / "dogs.npy") == 0
    assert np.load(tmp_path / "dogs.npy").shape == (2, 3, 8, 8)
