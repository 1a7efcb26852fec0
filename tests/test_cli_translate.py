"""End-to-end translation runs on tiny budgets: train from both folder layouts, resume, sample,
eval and ``swgen translate``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main

TINY = [
    "train.progress=false",
    "data.image_size=8",
    "model.width=4",
    "model.critic_width=4",
    "model.n_blocks=1",
    "train.batch_size=2",
    "train.steps=2",
]


def write_images(folder: Path, count: int, red: int, size: tuple[int, int] = (10, 12)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(red + count)
    for index in range(count):
        pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        pixels[..., 0] = red
        Image.fromarray(pixels).save(folder / f"im{index}.png")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A cyclegan run from the CycleGAN layout and an attention-gan run from the lecture's."""
    root = tmp_path_factory.mktemp("translate")
    write_images(root / "code" / "trainA", 3, 0)
    write_images(root / "code" / "trainB", 4, 255)
    write_images(root / "lecture" / "train" / "A", 3, 0)
    write_images(root / "lecture" / "train" / "B", 2, 255)
    cycle = ["train", "--model", "cyclegan", "--data", str(root / "code"), *TINY]
    assert main([*cycle, "--out", str(root / "cyclegan")]) == 0
    attention = [
        "train", "--model", "attention-gan", "--data", str(root / "lecture"), *TINY,
        "model.attention_width=4", "model.attention_blocks=1",
    ]  # fmt: skip
    assert main([*attention, "--out", str(root / "attention")]) == 0
    return root


def test_both_layouts_train_and_write_translation_grids(runs):
    for name in ("cyclegan", "attention"):
        run = runs / name
        assert (run / "checkpoints" / "last.pt").is_file()
        grid = Image.open(run / "samples" / "step_0000002.png")
        assert grid.mode == "RGB" and grid.width > grid.height  # input | output (| attention)
        state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
        assert int(state["model"]["pool_b.count"]) == 4  # 2 steps x 2 images in the history


def test_resume_continues_the_same_run(runs, tmp_path):
    data = runs / "code"
    common = ["train", "--model", "cyclegan", "--data", str(data), *TINY[:-1]]
    assert main([*common, "train.steps=4", "--out", str(tmp_path / "straight")]) == 0
    assert main([*common, "train.steps=2", "--out", str(tmp_path / "halves")]) == 0
    assert main(["train", "--resume", str(tmp_path / "halves"), "train.steps=4"]) == 0
    states = [
        torch.load(tmp_path / r / "checkpoints" / "last.pt", weights_only=True)["model"]
        for r in ("straight", "halves")
    ]
    for key, value in states[0].items():
        assert torch.allclose(value.float(), states[1][key].float(), atol=1e-5), key


def test_translate_keeps_names_folders_and_sizes(runs, tmp_path, capsys):
    inputs = tmp_path / "in"
    write_images(inputs, 2, 0, size=(13, 21))
    write_images(inputs / "nested", 1, 0, size=(5, 7))
    (inputs / "nested" / "broken.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        code = main(["translate", str(runs / "cyclegan"), "--input", str(inputs), "-o", str(out)])
    assert code == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("[!.]*") if p.is_file())
    assert written == ["im0.png", "im1.png", "nested/im0.png"]
    assert Image.open(out / "im0.png").size == (21, 13)
    assert Image.open(out / "nested" / "im0.png").size == (7, 5)
    attention = tmp_path / "attention"
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        code = main([
            "translate", str(runs / "attention"), "--input", str(inputs / "nested"), "-o",
            str(attention), "--direction", "BtoA", "--save-attention",
        ])  # fmt: skip
    assert code == 0
    assert Image.open(attention / "im0_attention.png").mode == "L"
    assert "translated 1 images (BtoA, skipped 1 unreadable)" in capsys.readouterr().out


def test_sample_and_eval_on_translation_runs(runs, tmp_path):
    grid = tmp_path / "grid.png"
    assert main(["sample", str(runs / "attention"), "-n", "4", "-o", str(grid)]) == 0
    picture = Image.open(grid)
    assert picture.width > picture.height  # groups of three panels per sample
    assert main(["sample", str(runs / "cyclegan"), "-n", "3", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (3, 3, 8, 8)
    assert main(["eval", str(runs / "cyclegan"), "--n", "4"]) == 0
    metrics = json.loads((runs / "cyclegan" / "eval.json").read_text())["metrics"]
    assert set(metrics) == {"AtoB", "BtoA"} and metrics["AtoB"]["n"] == 3  # all held-out A


def test_digits_recolour_eval_measures_against_the_truth(tmp_path):
    run = tmp_path / "digits"
    argv = ["train", "--model", "cyclegan", "--data", "digits-recolour", "--out", str(run)]
    assert main([*argv, *TINY, "data.image_size=16", "data.limit=40", "train.eval_every=2"]) == 0
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("ssim_AtoB" in r and "label_preservation_BtoA" in r for r in logged)
    assert main(["eval", str(run), "--n", "8"]) == 0
    found = json.loads((run / "eval.json").read_text())["metrics"]["AtoB"]
    for key in ("psnr", "ssim", "psnr_identity", "ssim_identity", "label_preservation"):
        assert np.isfinite(found[key]), key
    assert found["label_preservation_identity"] <= 0.5 <= found["label_preservation_truth"]
    assert "multiscale_swd" in found


def test_attention_maps_never_collide_and_reruns_replace_their_own_outputs(runs, tmp_path):
    """a.png and a.jpg both ask for a_attention.png; x.png's map asks for the name of
    x_attention.png's translation. The later claim takes -2 (swgen.outputs)."""
    inputs = tmp_path / "in"
    write_images(inputs, 1, 0)
    (inputs / "im0.png").rename(inputs / "a.png")
    with Image.open(inputs / "a.png") as image:
        image.save(inputs / "a.jpg")
        image.save(inputs / "x.png")
        image.save(inputs / "x_attention.png")
    out = tmp_path / "out"
    argv = ["translate", str(runs / "attention"), "--input", str(inputs), "-o", str(out),
            "--save-attention"]  # fmt: skip
    assert main(argv) == 0
    written = sorted(p.name for p in out.glob("[!.]*"))
    assert written == [
        "a.jpg", "a.png", "a_attention-2.png", "a_attention.png", "x.png", "x_attention-2.png",
        "x_attention.png", "x_attention_attention.png",
    ]  # fmt: skip
    with Image.open(out / "x_attention.png") as translation:
        assert translation.mode == "RGB"  # a translation, not a one-channel map written over it
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("[!.]*")}
    assert main(argv) == 0  # the same command on the same run may replace its own outputs
    assert sorted(p.name for p in out.glob("[!.]*")) == written
    assert all((out / name).stat().st_mtime_ns >= t for name, t in before.items())
    # Another run's translate, and the user's own file, block the folder.
    assert main(["translate", str(runs / "cyclegan"), "--input", str(inputs), "-o", str(out)]) == 2
    (out / "notes.txt").write_text("mine")
    assert main(argv) == 2
    assert main([*argv, "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "mine"
