"""``swgen train --model dacal`` (paired, unpaired), ``swgen enhance`` and ``swgen eval`` on
tiny budgets."""

import json

import numpy as np
import pytest
from PIL import Image

from swgen.cli import main

QUIET = "train.progress=false"
TINY = [
    "model.width=4", "model.critic_width=4", "model.code_dim=8", "model.fine_width=4",
    "model.blur_size=5", "train.batch_size=2", "train.steps=2", "train.sample_every=2",
    "train.checkpoint_every=2",
]  # fmt: skip


@pytest.fixture(scope="module")
def paired_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("dacal") / "run"
    argv = ["train", QUIET, "--model", "dacal", "--data", "photo-pairs", "data.image_size=16"]
    assert main([*argv, *TINY, "--out", str(run)]) == 0
    return run


def photos(folder):
    rng = np.random.default_rng(0)
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(rng.integers(0, 255, (75, 101, 3), dtype=np.uint8)).save(folder / "rgb.png")
    Image.fromarray(rng.integers(0, 255, (33, 47), dtype=np.uint8)).save(folder / "sub" / "g.png")
    Image.fromarray(rng.integers(0, 255, (20, 30, 4), dtype=np.uint8)).save(folder / "rgba.png")
    Image.fromarray(rng.integers(0, 255, (61, 40, 3), dtype=np.uint8)).save(folder / "j.jpg")
    return {"rgb.png": ("RGB", (101, 75)), "sub/g.png": ("L", (47, 33)),
            "rgba.png": ("RGBA", (30, 20)), "j.jpg": ("RGB", (40, 61))}  # fmt: skip


def test_enhance_keeps_names_sizes_and_modes(paired_run, tmp_path, capsys):
    expected = photos(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["enhance", str(paired_run), "--input", str(tmp_path / "in"), "-o", str(out),
                 "--tile", "16"]) == 0  # fmt: skip
    assert "enhanced 4 images" in capsys.readouterr().out
    for name, (mode, size) in expected.items():
        with Image.open(out / name) as image:
            assert (image.mode, image.size) == (mode, size), name
    with Image.open(tmp_path / "in" / "rgba.png") as a, Image.open(out / "rgba.png") as b:
        assert np.array_equal(np.asarray(a)[..., 3], np.asarray(b)[..., 3])  # alpha kept


def test_eval_writes_downscaled_and_full_resolution_scores(paired_run):
    assert main(["eval", str(paired_run), "--n", "2"]) == 0
    found = json.loads((paired_run / "eval.json").read_text())["metrics"]["AtoB"]
    assert found["n"] == 2
    for key in ("psnr_d", "ssim_d", "psnr_f", "ssim_f", "psnr_f_identity", "ssim_d_identity"):
        assert np.isfinite(found[key]), key


def test_sample_and_resume_of_an_enhancement_run(paired_run, tmp_path):
    assert main(["sample", str(paired_run), "-n", "3", "-o", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").is_file()
    assert main(["train", QUIET, "--resume", str(paired_run), "train.steps=3"]) == 0


def test_unpaired_dacal_on_two_folders(tmp_path):
    rng = np.random.default_rng(1)
    for domain, scale in (("trainA", 0.4), ("trainB", 1.0)):
        (tmp_path / "data" / domain).mkdir(parents=True)
        for index in range(3):
            pixels = (rng.integers(0, 255, (20, 20, 3)) * scale).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "data" / domain / f"{index}.png")
    run = tmp_path / "run"
    argv = ["train", QUIET, "--model", "dacal", "--data", str(tmp_path / "data")]
    assert main([*argv, "data.image_size=16", *TINY, "--out", str(run)]) == 0
    out = tmp_path / "out"
    assert main(["enhance", str(run), "--input", str(tmp_path / "data" / "trainA"), "-o",
                 str(out)]) == 0  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "1.png", "2.png"]
    assert main(["eval", str(run), "--n", "3"]) == 0  # translation metrics: no true pairs
    assert "multiscale_swd" in json.loads((run / "eval.json").read_text())["metrics"]["AtoB"]


def test_video_dacal_trains_evaluates_and_enhances_frame_folders_and_gifs(tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", QUIET, "--model", "dacal", "--data", "photo-clips", "data.frames=3"]
    assert main([*argv, "data.image_size=16", *TINY, "--out", str(run)]) == 0
    assert main(["eval", str(run), "--n", "2"]) == 0
    found = json.loads((run / "eval.json").read_text())["metrics"]["AtoB"]
    assert np.isfinite(found["temporal_error"]) and np.isfinite(found["temporal_ratio_identity"])
    rng = np.random.default_rng(2)
    videos = tmp_path / "videos"
    (videos / "walk").mkdir(parents=True)
    for index in (1, 2, 10):
        frame = rng.integers(0, 255, (30, 41, 3), dtype=np.uint8)
        Image.fromarray(frame).save(videos / "walk" / f"frame{index}.png")
    gif = [Image.fromarray(rng.integers(0, 255, (20, 25, 3), dtype=np.uint8)) for _ in range(4)]
    gif[0].save(videos / "clip.gif", save_all=True, append_images=gif[1:], duration=80, loop=0)
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["enhance", str(run), "--input", str(videos), "-o", str(out)]) == 0
    assert "enhanced 2 videos" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "walk").iterdir()) == [
        "frame1.png", "frame10.png", "frame2.png"
    ]  # fmt: skip
    with Image.open(out / "clip.gif") as image:
        assert image.n_frames == 4 and image.size == (25, 20)
