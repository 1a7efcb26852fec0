"""StarGAN (swgen.models.stargan, swgen.nn.stargan), the digits-styles data and the multi-domain
metrics: loss terms by hand, label planes, the n_critic schedule, resume, and the CLI end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.data import DataConfig, build_dataset
from swgen.data.base import Batch, DataInfo
from swgen.data.digit_styles import STYLES, classifier_view, render
from swgen.data.two_domain import recolour
from swgen.errors import UserError
from swgen.models import build_model
from swgen.models.stargan import (
    StarGANConfig,
    classification_loss,
    reconstruction_loss,
    updates_generator,
)
from swgen.nn.stargan import DomainCritic, check_sizes, with_label_planes

TINY = [
    "train.progress=false",
    "data.image_size=16",
    "data.limit=64",
    "model.width=4",
    "model.critic_width=4",
    "model.n_blocks=1",
    "train.batch_size=4",
    "train.grid_size=4",
]
INFO = DataInfo("images", (3, 16, 16), num_classes=3, class_names=("a", "b", "c"))


def tiny_model(**settings):
    config = StarGANConfig(width=4, critic_width=4, n_blocks=1, **settings)
    return build_model("stargan", config, INFO)


def test_classification_and_reconstruction_terms_by_hand():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 2])
    first = -math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-1)))
    second = -math.log(1 / (1 + math.e + 1))
    assert classification_loss(logits, labels).item() == pytest.approx((first + second) / 2)
    real = torch.zeros(1, 1, 2, 2)
    rebuilt = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]]])
    assert reconstruction_loss(real, rebuilt).item() == pytest.approx(0.625)


def test_target_label_is_replicated_as_input_planes():
    x = torch.randn(2, 3, 4, 5)
    out = with_label_planes(x, torch.tensor([2, 0]), 3)
    assert out.shape == (2, 6, 4, 5) and torch.equal(out[:, :3], x)
    assert torch.equal(out[0, 3:], torch.stack([torch.zeros(4, 5)] * 2 + [torch.ones(4, 5)]))
    assert torch.equal(out[1, 3:], torch.stack([torch.ones(4, 5)] + [torch.zeros(4, 5)] * 2))
    model = tiny_model()
    images = torch.rand(2, 3, 16, 16) * 2 - 1
    to_a, to_b = (model.to_domain(images, k) for k in (0, 1))
    assert not torch.allclose(to_a, to_b)  # the label changes the output


def test_critic_heads_and_sizes():
    critic = DomainCritic(3, 5, 4, check_sizes(32, None), 32)
    source, domain = critic(torch.zeros(2, 3, 32, 32))
    assert source.shape == (2, 1, 2, 2) and domain.shape == (2, 5)  # the code's 2 x 2 map
    assert check_sizes(128, None) == 6  # the code's d_repeat_num at 128 px
    with pytest.raises(UserError, match="multiple of 4"):
        check_sizes(18, None)
    with pytest.raises(UserError, match="critic_layers=5"):
        check_sizes(16, 5)


def test_generator_learns_every_n_critic_steps_and_critic_every_step():
    assert [updates_generator(s, 5) for s in range(10)] == [False] * 4 + [True] + [False] * 4 + [
        True
    ]
    torch.manual_seed(0)
    model = tiny_model(n_critic=2)
    batch = Batch(torch.rand(4, 3, 16, 16) * 2 - 1, torch.tensor([0, 1, 2, 1]))
    generator = [p.clone() for p in model.generator.parameters()]
    critic = [p.clone() for p in model.critic.parameters()]

    def unchanged(before, network):
        return all(torch.equal(a, b) for a, b in zip(before, network.parameters(), strict=True))

    logs = model.train_step(batch, 0)
    assert "loss_generator" not in logs and "loss_critic" in logs
    assert unchanged(generator, model.generator) and not unchanged(critic, model.critic)
    logs = model.train_step(batch, 1)
    assert {"loss_adversarial", "loss_classification", "loss_reconstruction"} <= set(logs)
    assert not unchanged(generator, model.generator)


def test_target_labels_are_the_batch_labels_permuted_reproducibly():
    model = tiny_model()
    labels = torch.arange(12) % 3
    torch.manual_seed(5)
    first = model.target_labels(labels)
    torch.manual_seed(5)
    assert torch.equal(first, model.target_labels(labels))
    assert torch.equal(first.sort().values, labels.sort().values)


def test_stargan_refuses_data_without_two_domains():
    for info in (
        DataInfo("images", (3, 16, 16)),
        DataInfo("images", (3, 16, 16), num_classes=1, class_names=("cats",)),
        DataInfo("images", (3, 16, 16), pairing="unpaired", y_shape=(3, 16, 16)),
    ):
        with pytest.raises(UserError, match="domain"):
            build_model("stargan", StarGANConfig(), info)
    with pytest.raises(UserError, match="unknown domain 'd'; choose one of: a \\(0\\), b"):
        tiny_model().domain_index("d")
    assert tiny_model().domain_index("2") == 2 and tiny_model().domain_index("b") == 1


def test_digits_styles_split_styles_and_truth():
    data = build_dataset(DataConfig(name="digits-styles", image_size=16, limit=200))
    assert data.info.class_names == ("plain", "ink", "neon", "rust")
    assert data.held_out_count == 50 and len(data) == 150
    counts = torch.bincount(data.train.labels, minlength=4)
    assert counts.tolist() == [38, 38, 37, 37]
    held = data.sample_batch(6, seed=1)
    assert held.labels.tolist() == [0, 1, 2, 3, 0, 1]
    truth = data.held_out_in_every_domain(6, seed=1)
    assert truth.shape == (6, 4, 3, 16, 16)
    assert torch.equal(truth[torch.arange(6), held.labels], held.x)
    grey = torch.rand(3, 1, 16, 16)
    assert torch.allclose(render(grey, STYLES[1]), recolour(grey))  # digits-recolour's B
    for style in STYLES:  # every style reads as its stroke (exactly where the background is flat)
        stroke = torch.nn.functional.max_pool2d(grey, 3, 1, 1) if style.thick else grey
        error = (classifier_view(render(grey, style), style.name) - stroke).abs().max()
        assert error < (0.2 if style.stripes else 1e-5), style.name


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("stargan")
    argv = ["train", "--model", "stargan", "--data", "digits-styles", *TINY]
    assert main([*argv, "train.steps=5", "train.eval_every=5", "--out", str(root / "run")]) == 0
    return root


def test_training_writes_one_row_per_input_in_every_domain(run):
    grid = Image.open(run / "run" / "samples" / "step_0000005.png")
    assert grid.size == (5 * 18 + 2, 4 * 18 + 2)  # input + 4 domains, 4 inputs
    logged = [json.loads(line) for line in (run / "run" / "metrics.jsonl").read_text().split("\n")
              if line]  # fmt: skip
    assert any("domain_accuracy_mean" in record for record in logged)


def test_eval_translate_and_sample(run, tmp_path, capsys):
    assert main(["eval", str(run / "run"), "--n", "12"]) == 0
    metrics = json.loads((run / "run" / "eval.json").read_text())["metrics"]
    assert set(metrics) == {"plain", "ink", "neon", "rust", "mean"}
    assert metrics["ink"]["n"] == 9  # the 12 inputs not already in ink
    for key in ("domain_accuracy", "psnr", "ssim", "label_preservation", "psnr_identity"):
        assert np.isfinite(metrics["mean"][key]), key
    assert metrics["mean"]["domain_accuracy_real"] > 0.9  # the proxy classifier's ceiling
    assert metrics["mean"]["label_preservation_truth"] > 0.8
    inputs = tmp_path / "in"
    (inputs / "deep").mkdir(parents=True)
    Image.fromarray(np.zeros((13, 21, 3), np.uint8)).save(inputs / "a.png")
    Image.fromarray(np.full((5, 7, 3), 200, np.uint8)).save(inputs / "deep" / "b.png")
    by_name, by_index = tmp_path / "name", tmp_path / "index"
    base = ["translate", str(run / "run"), "--input", str(inputs)]
    assert main([*base, "-o", str(by_name), "--to", "neon"]) == 0
    assert "translated 2 images (to neon)" in capsys.readouterr().out
    assert main([*base, "-o", str(by_index), "--to", "2"]) == 0
    for name in ("a.png", "deep/b.png"):
        assert (by_name / name).read_bytes() == (by_index / name).read_bytes()
    assert Image.open(by_name / "a.png").size == (21, 13)
    assert main([*base, "-o", str(tmp_path / "x"), "--to", "blue"]) == 2
    assert "unknown domain 'blue'; choose one of: plain (0)" in capsys.readouterr().err
    assert main(["sample", str(run / "run"), "-n", "3", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (3, 4, 3, 16, 16)
    assert main(["sample", str(run / "run"), "-n", "6", "-o", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size == (5 * 18 + 2, 6 * 18 + 2)
    assert main(["sample", str(run / "run"), "--label", "1", "-o", str(tmp_path / "l.png")]) == 2


def test_resume_continues_the_same_run(tmp_path):
    # A constant rate: a linear decay (the preset's) follows train.steps, which the halves change.
    argv = [
        "train",
        "--model",
        "stargan",
        "--data",
        "digits-styles",
        *TINY,
        "train.lr_schedule=constant",
    ]
    assert main([*argv, "train.steps=6", "--out", str(tmp_path / "straight")]) == 0
    assert main([*argv, "train.steps=3", "--out", str(tmp_path / "halves")]) == 0
    assert main(["train", "--resume", str(tmp_path / "halves"), "train.steps=6"]) == 0
    states = [
        torch.load(tmp_path / r / "checkpoints" / "last.pt", weights_only=True)["model"]
        for r in ("straight", "halves")
    ]
    for key, value in states[0].items():
        assert torch.allclose(value.float(), states[1][key].float(), atol=1e-6), key


def test_a_folder_of_domain_subfolders_trains_and_evaluates(tmp_path):
    for domain, red in (("cats", 0), ("dogs", 250)):
        (tmp_path / "data" / domain).mkdir(parents=True)
        for index in range(4):
            pixels = np.full((8, 8, 3), index * 40, np.uint8)
            pixels[..., 0] = red
            Image.fromarray(pixels).save(tmp_path / "data" / domain / f"{index}.png")
    argv = ["train", "--model", "stargan", "--data", str(tmp_path / "data"), *TINY[:1]]
    small = ["data.image_size=8", "model.width=2", "model.critic_width=2", "model.n_blocks=1"]
    out = tmp_path / "run"
    assert main([*argv, *small, "train.batch_size=2", "train.steps=2", "--out", str(out)]) == 0
    with pytest.warns(UserWarning, match="8 held-out input"):
        assert main(["eval", str(out), "--n", "20"]) == 0
    metrics = json.loads((out / "eval.json").read_text())["metrics"]
    assert set(metrics) == {"cats", "dogs", "mean"} and metrics["dogs"]["n"] == 4
    assert "psnr" not in metrics["mean"] and metrics["mean"]["domain_accuracy_real"] == 1.0
