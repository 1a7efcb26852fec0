"""swgen train/sample/eval with progressive growing, on tiny budgets."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main

TIMINGS = {"steps_per_second", "train_seconds"}
QUIET = ["train.progress=false"]
# 16 images to stabilise, 16 to fade in, batches of 8: two steps per phase, 4 -> 32 px in 14.
TINY = [
    "model.latent_dim=8",
    "model.fmap_base=32",
    "model.fmap_max=8",
    "model.stabilise_kimg=0.016",
    "model.transition_kimg=0.016",
    "model.minibatch=[8]",
    "data.limit=64",
    "train.log_every=1",
]


def records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("model", ["pg-wgan", "pg-swgan"])
def test_image_models_grow_to_32_px_on_digits(tmp_path, model):
    run = tmp_path / "run"
    code = main(["train", "--model", model, "--out", str(run), *QUIET, *TINY, "train.steps=15"])
    assert code == 0
    levels = [(r["level"], r["alpha"]) for r in records(run)]
    assert levels[0] == (0, 1.0) and levels[-1] == (3, 1.0)
    assert {level for level, _ in levels} == {0, 1, 2, 3}
    assert any(0 < alpha < 1 for _, alpha in levels)  # transitions were faded
    grid = Image.open(run / "samples" / "step_0000015.png")
    assert grid.size[0] > 8 * 32  # 32-px samples
    assert main(["eval", str(run), "--n", "64"]) == 0
    result = json.loads((run / "eval.json").read_text())
    assert result["stage"]["resolution"] == "32x32" and result["stage"]["grown"]
    assert "fid_digits" in result["metrics"]


def test_eval_of_a_run_still_growing_says_it_is_at_a_lower_resolution(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--model", "pg-wgan", "--out", str(run), *QUIET, *TINY,
                 "train.steps=3"]) == 0  # fmt: skip
    assert main(["eval", str(run), "--n", "32"]) == 0
    result = json.loads((run / "eval.json").read_text())
    assert result["stage"]["resolution"] == "8x8" and not result["stage"]["grown"]
    assert "8x8" in result["stage_note"]
    assert main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "s.npy")]) == 0
    assert main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "s.gif")]) == 2  # images


def test_resume_across_a_resolution_boundary_matches_the_straight_run(tmp_path):
    # constant rates: a linear decay is scheduled over train.steps, which this resume raises
    common = ["--model", "pg-swgan", *QUIET, *TINY, "--seed", "3", "train.lr_schedule=constant"]
    assert main(["train", "--out", str(tmp_path / "straight"), *common, "train.steps=7"]) == 0
    # stopped after step 3: half way through the 8-px stabilise phase; the resumed run crosses
    # into the 16-px transition at step 5
    assert main(["train", "--out", str(tmp_path / "split"), *common, "train.steps=3"]) == 0
    assert main(["train", "--resume", str(tmp_path / "split"), *QUIET, "train.steps=7"]) == 0

    def losses(run):
        return [{k: v for k, v in r.items() if k not in TIMINGS} for r in records(run)]

    straight, split = losses(tmp_path / "straight"), losses(tmp_path / "split")
    assert [r["level"] for r in split] == [0, 0, 1, 1, 1, 1, 2]
    assert straight == split
    a = torch.load(tmp_path / "straight/checkpoints/last.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "split/checkpoints/last.pt", weights_only=False)["model"]
    for key, value in a.items():
        assert torch.equal(value, b[key]), key


def test_progressive_models_reject_sizes_that_are_not_powers_of_two(tmp_path, capsys):
    code = main(["train", "--model", "pg-swgan", "--out", str(tmp_path / "r"), *QUIET, *TINY,
                 "data.image_size=24"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "power of two" in err


VIDEO = ["--data", "moving-digits", "data.limit=32", *TINY[:-2], "train.log_every=1"]


def test_video_models_grow_to_32x32x16_and_sample_gifs(tmp_path):
    run = tmp_path / "run"
    code = main(["train", "--model", "pg-swgan-3d", "--out", str(run), *QUIET, *VIDEO,
                 "train.steps=15"])  # fmt: skip
    assert code == 0
    assert [(r["level"], r["alpha"]) for r in records(run)][-1] == (3, 1.0)
    assert main(["sample", str(run), "-n", "6", "-o", str(tmp_path / "c.gif")]) == 0
    with Image.open(tmp_path / "c.gif") as gif:
        assert gif.n_frames == 16
    assert main(["sample", str(run), "-n", "3", "-o", str(tmp_path / "c.npy")]) == 0
    assert np.load(tmp_path / "c.npy").shape == (3, 1, 16, 32, 32)
    assert main(["sample", str(run), "-n", "2", "-o", str(tmp_path / "c.png")]) == 0
    assert Image.open(tmp_path / "c.png").size == (2 + 16 * 34, 2 + 2 * 34)  # frame strips


def test_pg_wgan_3d_takes_its_levels_from_the_time_schedule(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--model", "pg-wgan-3d", "--out", str(run), *QUIET, *VIDEO,
                 "train.steps=1"]) == 0  # fmt: skip
    from swgen.train.checkpoint import load_trained

    model = load_trained(run).model
    assert model.sizes == [(4, 4, 4), (8, 8, 8), (8, 16, 16), (16, 32, 32)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--model", "pg-swgan-3d", *TINY],
            "pg-swgan-3d trains on video clips but the data are images",
        ),
        (["--model", "pg-swgan", *VIDEO], "pg-swgan trains on images but the data are video"),
        (
            ["--model", "pg-wgan-3d", *VIDEO, "data.frames=10"],
            "data.frames=10 must be a multiple of 4",
        ),
        (["--model", "pg-wgan-3d", *VIDEO, "data.image_size=48"], "power of two"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, arguments, message):
    assert main(["train", "--out", str(tmp_path / "r"), *QUIET, *arguments]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err
