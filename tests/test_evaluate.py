"""swgen eval on tiny runs of both data kinds."""

import json

import numpy as np
import pytest

from swgen.cli import main

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
