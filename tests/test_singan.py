"""SinGAN (swgen.models.singan, swgen.nn.singan, swgen.singan_apps, swgen.metrics.sifid,
swgen.data.single_image): the code's pyramid rule, widths, noise amplitudes, the per-pixel
gradient penalty, resume across a scale boundary, samples at other sizes, the CLI."""

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from swgen.cli import main
from swgen.data import DataConfig, build_dataset
from swgen.data.single_image import SingleImage
from swgen.errors import UserError
from swgen.metrics.sifid import diversity, sifid
from swgen.models.singan import SinGAN, SinGANConfig, patch_gradient_penalty
from swgen.nn.singan import pyramid_sizes, resize, scale_width

QUIET = "train.progress=false"
TINY = ["model.max_size=32", "model.min_size=14", "model.nfc=4", "model.max_nfc=8"]


def code_pyramid(h, w, max_size, min_size, sf):
    """adjust_scales2image + creat_reals_pyramid, transcribed from tamarott/SinGAN."""
    num_scales = math.ceil(math.log(math.pow(min_size / min(h, w), 1), sf)) + 1
    scale2stop = math.ceil(math.log(min([max_size, max([h, w])]) / max([h, w]), sf))
    stop_scale = num_scales - scale2stop
    scale1 = min(max_size / max([h, w]), 1)
    real = (math.ceil(h * scale1), math.ceil(w * scale1))
    factor = math.pow(min_size / min(real), 1 / stop_scale)
    sizes = []
    for i in range(stop_scale + 1):
        scale = math.pow(factor, stop_scale - i)
        sizes.append((math.ceil(real[0] * scale), math.ceil(real[1] * scale)))
    return sizes, factor


@pytest.mark.parametrize(
    "shape", [(427, 640), (640, 427), (250, 250), (1000, 300), (120, 90), (2000, 3000)]
)
def test_pyramid_follows_the_code(shape):
    sizes, factor = pyramid_sizes(*shape, 250, 25, 0.75)
    assert (sizes, factor) == code_pyramid(*shape, 250, 25, 0.75)
    assert max(sizes[-1]) <= 250 and all(a <= b for a, b in zip(sizes, sizes[1:], strict=False))


def test_china_pyramid_matches_the_worked_example():
    sizes, factor = pyramid_sizes(427, 640, 250, 25, 0.75)
    assert len(sizes) == 8 and sizes[-1] == (167, 250) and min(sizes[0]) == 25
    assert factor == pytest.approx((25 / 167) ** (1 / 7)) and round(factor, 3) == 0.762


def test_pyramid_refuses_an_image_too_small():
    with pytest.raises(UserError, match="too small for a pyramid"):
        pyramid_sizes(20, 30, 250, 25, 0.75)


def test_widths_double_every_four_scales():
    assert [scale_width(n, 32) for n in range(10)] == [32] * 4 + [64] * 4 + [128] * 2
    assert [scale_width(n, 16, 32) for n in range(6)] == [16] * 4 + [32] * 2


def test_gradient_penalty_is_per_pixel():
    critic = nn.Conv2d(3, 1, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([3.0, 4.0, 0.0]).view(1, 3, 1, 1))
    real, fake = torch.randn(1, 3, 5, 7), torch.randn(1, 3, 5, 7)
    # grad of sum D at every pixel is w, ||w|| = 5: (5 - 1)^2 = 16 (whole-image norm: 5 sqrt(35))
    assert float(patch_gradient_penalty(critic, real, fake).detach()) == pytest.approx(16.0)


def tiny_model(steps_per_scale=2):
    torch.manual_seed(0)
    source = build_dataset(DataConfig(name="china"))
    config = SinGANConfig(max_size=32, min_size=14, nfc=4, max_nfc=8, steps_per_scale=2)
    config.steps_per_scale = steps_per_scale
    return SinGAN(config, source.info), source


def test_noise_amplitude_is_a_tenth_of_the_reconstruction_rmse():
    model, source = tiny_model()
    for step in range(3):  # scale 0, then the first step of scale 1
        model.train_step(source.batch(step, 1, 0), step)
    assert float(model.noise_amps[0]) == 1.0
    model.eval()
    with torch.no_grad():
        rec = resize(model.cascade(model.reconstruction_noise(), model.sizes, 0, 0), model.sizes[1])
    rmse = float((model.real(1) - rec).square().mean().sqrt())
    assert float(model.noise_amps[1]) == pytest.approx(0.1 * rmse, rel=1e-5)


def test_samples_at_other_sizes_and_from_a_start_scale():
    model, source = tiny_model()
    for step in range(2 * len(model.sizes)):
        model.train_step(source.batch(step, 1, 0), step)
    model.eval()
    z = model.sample_latent(3, torch.Generator().manual_seed(0))
    assert model.generate(z).shape == (3, 3, *model.sizes[-1])
    finest = 3 * math.prod(model.sizes[-1])
    other = torch.cat([torch.randn(3, z.shape[1] - finest), z[:, -finest:]], dim=1)
    with torch.no_grad():  # below the start scale the noise is z_rec: only the finest's counts
        assert torch.equal(
            model.generate(z, start_scale=model.finest),
            model.generate(other, start_scale=model.finest),
        )
        assert not torch.equal(model.generate(z), model.generate(other))
    model.set_sample_size(20, 60)
    assert model.generate(model.sample_latent(2)).shape == (2, 3, 20, 60)
    with pytest.raises(UserError, match="out of range"):
        model.set_sample_size(0, 60)


def test_metrics_sifid_and_diversity():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 4)), rng.normal(size=(400, 4))
    assert sifid(a, a) == pytest.approx(0.0, abs=1e-9) and sifid(a, b + 3) > 30
    real = torch.rand(3, 8, 8)
    assert diversity(real.expand(5, -1, -1, -1), real) == 0.0


def test_other_data_are_refused():
    model, _ = tiny_model()
    grid = SingleImage(torch.zeros(3, 40, 60), "x")
    model.data = build_dataset(DataConfig(name="digits", image_size=8)).info
    with pytest.raises(UserError, match="learns from one image"):
        model.train_step(grid.batch(0, 1, 0), 0)


def checkpoint_weights(run):
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    return state["model"], state["optimizers"]


def test_resume_across_a_scale_boundary_equals_one_run(tmp_path):
    common = ["--model", "singan", "--data", "china", QUIET, *TINY, "model.steps_per_scale=2"]
    assert main(["train", *common, "--out", str(tmp_path / "a"), "train.steps=5"]) == 0
    assert main(["train", *common, "--out", str(tmp_path / "b"), "train.steps=3"]) == 0
    assert main(["train", "--resume", str(tmp_path / "b"), QUIET, "train.steps=5"]) == 0
    (weights_a, optim_a), (weights_b, optim_b) = (checkpoint_weights(tmp_path / r) for r in "ab")
    assert int(weights_a["scales_started"]) == 2
    for key, value in weights_a.items():
        assert torch.equal(value, weights_b[key]), key
    exp_avg = [s["exp_avg"] for s in optim_a["generator"]["state"].values()]
    assert exp_avg and all(
        torch.equal(x, s["exp_avg"])
        for x, s in zip(exp_avg, optim_b["generator"]["state"].values(), strict=True)
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run on a photo given as image:PATH (a crop of flower.jpg), one step per scale."""
    from sklearn.datasets import load_sample_image

    d = tmp_path_factory.mktemp("singan")
    Image.fromarray(load_sample_image("flower.jpg")[100:300, 150:450]).save(d / "photo.png")
    args = ["train", "--model", "singan", "--data", f"image:{d / 'photo.png'}", QUIET, *TINY]
    assert main([*args, "model.steps_per_scale=1", "train.steps=4", "--out", str(d / "run")]) == 0
    composite = np.asarray(Image.open(d / "photo.png")).copy()
    mask = np.zeros_like(composite)
    composite[60:120, 100:180], mask[60:120, 100:180] = 255, 255
    Image.fromarray(composite).save(d / "composite.png")
    Image.fromarray(mask).save(d / "mask.png")
    return d


def test_cli_sample_eval_and_sizes(trained, capsys):
    run = trained / "run"
    assert main(["sample", str(run), "-n", "4", "-o", str(trained / "s.png")]) == 0
    assert (
        main(["sample", str(run), "-n", "2", "--size", "16x48", "-o", str(trained / "w.npy")]) == 0
    )
    assert np.load(trained / "w.npy").shape == (2, 3, 16, 48)
    assert main(["eval", str(run), "-n", "6"]) == 0
    metrics = json.loads((run / "eval.json").read_text())["metrics"]
    assert {"sifid_proxy_n0", "sifid_proxy_n1", "diversity_n0", "diversity_n1"} <= set(metrics)
    assert metrics["diversity_n0"] > 0 and metrics["sifid_proxy_n0"] >= 0


@pytest.mark.parametrize(
    ("task", "extra", "suffix"),
    [
        ("random", ["-n", "3", "--start-scale", "1"], ".png"),
        ("sr", ["--factor", "2"], ".png"),
        ("paint", ["--paint", "{d}/composite.png", "--scale", "1"], ".png"),
        ("harmonise", ["--composite", "{d}/composite.png", "--mask", "{d}/mask.png"], ".png"),
        (
            "edit",
            ["--edited", "{d}/composite.png", "--mask", "{d}/mask.png", "--scale", "2"],
            ".png",
        ),
        ("animate", ["--frames", "4", "--start-scale", "1"], ".gif"),
    ],
)
def test_cli_applications(trained, task, extra, suffix):
    out = trained / f"{task}{suffix}"
    extra = [part.replace("{d}", str(trained)) for part in extra]
    assert main(["singan", task, str(trained / "run"), "-o", str(out), *extra]) == 0
    picture = Image.open(out)
    if task == "sr":  # twice the finest scale (22 x 32 for this crop at max_size 32)
        assert picture.size == (64, 44)
    if task == "animate":
        assert picture.n_frames == 4


def test_cli_refuses_bad_singan_inputs(trained, tmp_path, capsys):
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(tmp_path / "tiny.png")
    argv = ["train", "--model", "singan", "--data", f"image:{tmp_path / 'tiny.png'}", QUIET]
    assert main([*argv, "--out", str(tmp_path / "r")]) == 2
    assert "too small for a pyramid" in capsys.readouterr().err
    run = str(trained / "run")
    assert main(["sample", run, "--size", "3x0", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["singan", "random", run, "--start-scale", "1", "--size", "8x8",
                 "-o", str(tmp_path / "x.png")]) == 2  # fmt: skip
    assert main(["singan", "edit", run, "--edited", run, "--mask", run, "--scale", "0",
                 "-o", str(tmp_path / "x.png")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "out of range" in err and "training size" in err and not (tmp_path / "x.png").exists()
