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
    assert sorted(p.name for p in out.glob("[!.]*")) == ["0.png", "1.png", "2.png"]
    assert main(["eval", str(run), "--n", "3"]) == 0  # translation metrics: no true pairs
    assert "multiscale_swd" in json.loads((run / "eval.json").read_text())["metrics"]["AtoB"]


@pytest.fixture(scope="module")
def video_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("video-dacal") / "run"
    argv = ["train", QUIET, "--model", "dacal", "--data", "photo-clips", "data.frames=3"]
    assert main([*argv, "data.image_size=16", *TINY, "--out", str(run)]) == 0
    return run


def test_video_dacal_trains_evaluates_and_enhances_frame_folders_and_gifs(
    video_run, tmp_path, capsys
):
    run = video_run
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


def smooth_frames(count, height, width, seed):
    """Frames of moving colour gradients: content a near-lossless codec keeps almost exactly."""
    rows, cols = np.mgrid[0:height, 0:width]
    phase = np.random.default_rng(seed).uniform(0, 6, 3)
    return np.stack([
        np.stack([127 + 100 * np.sin(rows / 9 + cols / 13 + p + t / 3) for p in phase], -1)
        for t in range(count)
    ]).astype(np.uint8)  # fmt: skip


@pytest.mark.parametrize(("name", "codec", "height", "width"), [
    ("clip.mp4", "libx264", 32, 48), ("odd.mp4", "mpeg4", 31, 45), ("clip.avi", "mpeg4", 24, 40),
    ("clip.webm", "libvpx-vp9", 20, 30),
])  # fmt: skip
def test_enhance_writes_movies_at_their_size_length_and_rate(
    video_run, tmp_path, capsys, monkeypatch, name, codec, height, width
):
    """A movie is enhanced as the same frames in a folder are, and keeps its size, its number of
    frames and its frame rate; only the near-lossless re-encoding separates the two. A two-step
    enhancer is close to the identity, so the run's output is inverted (x -> 1 - x) to show that
    the written movie is the model's output, not the input copied."""
    iio = pytest.importorskip("imageio.v3")
    pytest.importorskip("av")
    from swgen.train.checkpoint import TrainedRun

    translate = TrainedRun.translate
    inverted = lambda run, x, direction: [  # noqa: E731
        panel if i != 1 else 1 - panel for i, panel in enumerate(translate(run, x, direction))
    ]
    monkeypatch.setattr(TrainedRun, "translate", inverted)
    videos = tmp_path / "videos"
    videos.mkdir()
    iio.imwrite(videos / name, smooth_frames(5, height, width, 0), plugin="pyav", fps=12,
                codec=codec)  # fmt: skip
    decoded = iio.imread(videos / name, plugin="pyav")  # the frames the enhancer will see
    (tmp_path / "frames" / "clip").mkdir(parents=True)
    for index, frame in enumerate(decoded):
        Image.fromarray(frame).save(tmp_path / "frames" / "clip" / f"{index}.png")
    out = tmp_path / "out"
    assert main(["enhance", str(video_run), "--input", str(videos), "-o", str(out)]) == 0
    assert "enhanced 1 video" in capsys.readouterr().out
    assert main(["enhance", str(video_run), "--input", str(tmp_path / "frames"), "-o",
                 str(tmp_path / "out-frames")]) == 0  # fmt: skip
    made = iio.imread(out / name, plugin="pyav")
    assert made.shape == (5, height, width, 3)
    assert iio.immeta(out / name, plugin="pyav")["fps"] == pytest.approx(12)
    expected = np.stack([
        np.asarray(Image.open(tmp_path / "out-frames" / "clip" / f"{i}.png")) for i in range(5)
    ]).astype(float)  # fmt: skip
    assert np.abs(made - expected).mean() < 4  # grey levels, of 255: re-encoding only
    assert np.abs(made - decoded.astype(float)).mean() > 40  # the model's output, not the input


def test_enhance_skips_a_corrupt_movie_and_says_so(video_run, tmp_path):
    pytest.importorskip("av")
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "broken.mp4").write_bytes(b"not a movie")
    Image.fromarray(smooth_frames(1, 20, 20, 1)[0]).save(videos / "0.png")
    with pytest.warns(UserWarning, match="skipped unreadable video.*broken.mp4"):
        assert main(["enhance", str(video_run), "--input", str(videos), "-o",
                     str(tmp_path / "out")]) == 0  # fmt: skip
    assert not (tmp_path / "out" / "broken.mp4").exists()


def test_enhance_of_movies_without_the_video_extra_is_a_one_line_error(
    video_run, tmp_path, capsys, monkeypatch
):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "clip.mp4").write_bytes(b"whatever")
    monkeypatch.setitem(__import__("sys").modules, "av", None)  # as if PyAV were not installed
    capsys.readouterr()
    assert main(["enhance", str(video_run), "--input", str(videos), "-o", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err.strip()
    assert "pip install swgen[video]" in error and len(error.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_enhance_of_only_unreadable_videos_is_an_error_and_writes_nothing(
    video_run, tmp_path, capsys
):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "broken.gif").write_bytes(b"not a gif")
    (videos / "other.gif").write_bytes(b"GIF89a, then nothing")
    capsys.readouterr()
    with pytest.warns(UserWarning, match="skipped unreadable video"):
        code = main(["enhance", str(video_run), "--input", str(videos), "-o", str(tmp_path / "o")])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert "has no readable video (checked 2, 2 unreadable)" in error, error
    assert not (tmp_path / "o").exists()


def test_enhance_names_the_unreadable_frame_of_a_frame_folder(video_run, tmp_path):
    walk = tmp_path / "videos" / "walk"
    walk.mkdir(parents=True)
    for index in range(3):
        Image.fromarray(smooth_frames(1, 20, 20, index)[0]).save(walk / f"{index}.png")
    (walk / "1.png").write_bytes(b"cut short")
    good = tmp_path / "videos" / "good"
    good.mkdir()
    Image.fromarray(smooth_frames(1, 20, 20, 5)[0]).save(good / "0.png")
    with pytest.warns(
        UserWarning, match=r"skipped video '.*walk': its frame '1.png' is unreadable"
    ):
        assert main(["enhance", str(video_run), "--input", str(tmp_path / "videos"), "-o",
                     str(tmp_path / "out")]) == 0  # fmt: skip
    assert (tmp_path / "out" / "good" / "0.png").is_file()
    assert not (tmp_path / "out" / "walk").exists()
