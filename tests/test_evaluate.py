"""swgen eval on tiny runs of both data kinds."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main

TIMINGS = {"steps_per_second", "train_seconds"}  # wall-clock fields differ run to run

QUIET = ["train.progress=false"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SWGEN_CACHE", str(tmp_path / "cache"))


def test_eval_points_reports_modes_and_w2(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--model",
                "swgan",
                "--data",
                "gaussians25",
                "--out",
                str(run),
                *QUIET,
                "train.steps=2",
                "model.width=16",
                "train.batch_size=32",
            ]
        )
        == 0
    )
    assert main(["eval", str(run), "--n", "300"]) == 0
    result = json.loads((run / "eval.json").read_text())
    metrics = result["metrics"]
    assert result["n"] == 300 and result["step"] == 2
    assert 0 <= metrics["modes_covered"] <= 25 and metrics["n_modes"] == 25
    assert 0 <= metrics["high_quality_fraction"] <= 1
    assert np.isfinite(metrics["w2"]) and metrics["w2"] > 0
    assert metrics["sliced_w2"] < metrics["w2"] * 1.01  # sliced W2 never exceeds W2
    assert main(["eval", str(run), "--n", "300"]) == 0
    assert json.loads((run / "eval.json").read_text())["metrics"] == metrics  # repeats exactly


def test_eval_digits_reports_classifier_metrics(tmp_path):
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--model",
                "gan",
                "--data",
                "digits",
                "--out",
                str(run),
                *QUIET,
                "train.steps=1",
                "data.image_size=16",
                "model.width=8",
                "train.batch_size=16",
            ]
        )
        == 0
    )
    assert main(["eval", str(run), "--n", "200"]) == 0
    metrics = json.loads((run / "eval.json").read_text())["metrics"]
    assert metrics["fid_digits"] > 0 and np.isfinite(metrics["fid_digits"])
    assert set(metrics["kid_digits"]) == {"mean", "std"}
    assert 0 <= metrics["precision_digits"] <= 1 and 0 <= metrics["recall_digits"] <= 1
    assert set(metrics["multiscale_swd"]) >= {"16", "mean", "n"}
    assert "bicubic" in metrics["resize"].lower()


@pytest.mark.parametrize(
    ("model", "data"),
    [
        ("swgan", ["--data", "gaussians25", "model.width=16", "train.batch_size=32"]),
        ("gan", ["--data", "digits", "data.image_size=16", "model.width=8", "train.batch_size=16"]),
    ],
)
def test_metrics_logged_during_training_leave_the_run_unchanged(tmp_path, model, data):
    common = ["--model", model, *data, *QUIET, "train.steps=4", "train.log_every=2"]
    assert main(["train", "--out", str(tmp_path / "plain"), *common]) == 0
    assert (
        main(
            [
                "train",
                "--out",
                str(tmp_path / "measured"),
                *common,
                "train.eval_every=2",
                "train.eval_samples=64",
            ]
        )
        == 0
    )

    def read(run):
        return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]

    measured = read(tmp_path / "measured")
    metric_records = [r for r in measured if "loss_critic" not in r]
    assert [r["step"] for r in metric_records] == [2, 4]
    expected = {"modes_covered", "sliced_w2"} if model == "swgan" else {"fid_digits"}
    assert expected <= set(metric_records[0])

    def losses(records):
        return [
            {k: v for k, v in r.items() if k not in TIMINGS} for r in records if "loss_critic" in r
        ]

    assert losses(measured) == losses(read(tmp_path / "plain"))  # metrics draw no training noise


class PooledPixels(torch.nn.Module):
    """A TorchScript stand-in for the Inception file: 4x4 average-pooled pixels as features."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.adaptive_avg_pool2d(images, 4).flatten(1)


def test_eval_caps_the_inception_samples(tmp_path, capsys):
    run, weights = tmp_path / "run", tmp_path / "stand_in.pt"
    torch.jit.script(PooledPixels()).save(str(weights))
    common = [*QUIET, "train.steps=1", "data.image_size=16", "model.width=8"]
    assert main(["train", "--model", "gan", "--data", "digits", "--out", str(run), *common]) == 0

    def inception_metrics(*extra):
        args = ["eval", str(run), "--n", "40", "--inception-weights", str(weights), *extra]
        assert main(args) == 0
        return json.loads((run / "eval.json").read_text())["metrics"]

    capped, full = inception_metrics("--inception-n", "12"), inception_metrics()
    assert capped["inception_n"] == 12 and full["inception_n"] == 40
    assert np.isfinite(capped["fid_inception"]) and capped["fid_inception"] != full["fid_inception"]
    assert capped["fid_digits"] == full["fid_digits"]  # the cap touches Inception only
    capsys.readouterr()
    assert main(["eval", str(run), "--inception", "--inception-n", "1"]) == 2
    assert "--inception-n must be between 2" in capsys.readouterr().err


def test_eval_n_beyond_the_dataset_uses_each_real_image_once(tmp_path):
    """--n 50 on a dataset of 30 images: 50 generated against the 30 real (never repeated), and
    a warning says so."""
    run = tmp_path / "run"
    common = [*QUIET, "train.steps=1", "data.image_size=16", "model.width=8", "data.limit=30"]
    assert main(["train", "--model", "gan", "--data", "digits", "--out", str(run), *common]) == 0
    with pytest.warns(UserWarning, match="--n 50 is more than the 30 real samples of digits"):
        assert main(["eval", str(run), "--n", "50"]) == 0
    result = json.loads((run / "eval.json").read_text())
    assert result["n"] == 50 and result["metrics"]["real_n"] == 30
    assert np.isfinite(result["metrics"]["fid_digits"])


def test_eval_n_beyond_two_domain_held_out_images_says_how_many_it_used(tmp_path):
    """A translation is measured on each held-out input once: --n beyond them uses them all and
    a warning gives the count and why (it used to cap at their number without a word)."""
    for domain, red in (("A", 0), ("B", 255)):
        (tmp_path / "domains" / f"train{domain}").mkdir(parents=True)
        for index in range(3):
            pixels = np.full((8, 8, 3), 40 * index, np.uint8)
            pixels[..., 0] = red
            Image.fromarray(pixels).save(tmp_path / "domains" / f"train{domain}" / f"{index}.png")
    run = tmp_path / "run"
    tiny = ["model.width=2", "model.critic_width=2", "model.n_blocks=1", "train.batch_size=2"]
    data = ["--data", str(tmp_path / "domains"), "data.image_size=8"]
    args = ["train", "--model", "cyclegan", *data, *QUIET, "train.steps=1", *tiny]
    assert main([*args, "--out", str(run)]) == 0
    with pytest.warns(UserWarning) as caught:
        assert main(["eval", str(run), "--n", "100"]) == 0
    said = [str(warning.message) for warning in caught]
    for domain, direction in (("A", "AtoB"), ("B", "BtoA")):
        assert any(
            f"asked for 100 samples, but domain {domain} holds 3 held-out image(s)" in text
            and f"{direction} is measured on those 3, each once" in text
            for text in said
        ), said
    result = json.loads((run / "eval.json").read_text())
    assert result["n"] == 3 and result["metrics"]["AtoB"]["n"] == 3
