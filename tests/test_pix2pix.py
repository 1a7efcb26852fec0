"""pix2pix: the U-Net, the loss (cGAN + 100 L1), dropout as the only noise, label maps, the
aligned layout and data.direction, digits-pairs, and the commands end to end on tiny budgets."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from swgen.cli import main
from swgen.data import DataConfig, build_dataset
from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.pix2pix import Pix2Pix, Pix2PixConfig
from swgen.nn.label_maps import one_hot
from swgen.nn.unet import UnetBlock, UnetGenerator, default_dropout_blocks, unet_depth

INFO = DataInfo("images", (3, 16, 16), pairing="paired", y_shape=(3, 16, 16))
SMALL = {"width": 4, "critic_width": 4}
TINY = [
    "train.progress=false", "data.image_size=16", "data.limit=40", "model.width=4",
    "model.critic_width=4", "train.batch_size=2", "train.steps=2",
]  # fmt: skip


def images(n: int, channels: int = 3, size: int = 16, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, size, size, generator=generator) * 2 - 1


# --- the U-Net ------------------------------------------------------------------------------------


def test_unet_depth_and_dropout_levels_follow_the_code():
    assert unet_depth(256) == 8 and unet_depth(128) == 7 and unet_depth(32) == 5
    assert unet_depth(48) == 4  # 48 = 3 x 16: as many halvings as divide it
    assert [default_dropout_blocks(d) for d in (3, 4, 5, 8, 9)] == [1, 2, 3, 3, 4]
    network = UnetGenerator(3, 2, 4, num_downs=8, dropout_blocks=3)
    dropouts = [m for m in network.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(dropouts) == 3 and all(m.p == 0.5 for m in dropouts)
    convs = [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8, 16, 32, 32, 32, 32, 32]  # ngf * min(2^k, 8)


def test_unet_keeps_sizes_and_skips_concatenate_the_input():
    network = UnetGenerator(1, 3, 4, num_downs=4, dropout_blocks=0).eval()
    out = network(images(2, 1))
    assert out.shape == (2, 3, 16, 16) and out.abs().max() <= 1  # tanh
    block = UnetBlock(4, 8).eval()  # an innermost level: [x, up(down(x))]
    x = torch.randn(1, 4, 8, 8)
    y = block(x)
    assert y.shape == (1, 8, 8, 8) and torch.equal(y[:, :4], x)
    # The skips carry fine detail past the 1 x 1 bottleneck: the output at a pixel depends on
    # the input at that very pixel through the outermost skip.
    x = images(1, 1).requires_grad_(True)
    network(x)[0, 0, 5, 7].backward()
    assert x.grad is not None and x.grad[0, 0, 5, 7] != 0


# --- the losses -----------------------------------------------------------------------------------


def test_generator_loss_is_adversarial_plus_100_l1():
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**SMALL), INFO)
    x, y = images(2, seed=1), images(2, seed=2)
    torch.manual_seed(7)
    fake = model.generator(x).detach()  # the step's G(x): the same dropout masks below
    torch.manual_seed(7)
    logs = model.train_step(Batch(x, y=y), 0)
    # The generator's terms use the critic after its update (the code's order).
    with torch.no_grad():
        scores = model.critic(torch.cat([x, fake], dim=1))
    adversarial = F.softplus(-scores).mean()  # BCE(D(x, G(x)), 1)
    l1 = 100 * (fake - y).abs().mean()
    assert float(logs["loss_adversarial"]) == pytest.approx(float(adversarial), rel=1e-5)
    assert float(logs["loss_l1"]) == pytest.approx(float(l1), rel=1e-5)
    assert float(logs["loss_generator"]) == pytest.approx(float(adversarial + l1), rel=1e-5)


class MeanScore(torch.nn.Module):
    """A stand-in critic whose one score per pair is the pair's mean."""

    def forward(self, pair: torch.Tensor) -> torch.Tensor:
        return pair.mean(dim=(1, 2, 3), keepdim=True)


def test_critic_loss_is_half_the_sum_on_hand_computed_scores():
    model = Pix2Pix(Pix2PixConfig(**SMALL), INFO)
    model.critic = MeanScore()
    real, fake = torch.ones(2, 6, 16, 16), torch.zeros(2, 6, 16, 16)
    loss, _ = model.critic_loss(real, fake)
    assert float(loss) == pytest.approx(0.5 * (math.log1p(math.exp(-1)) + math.log(2)))
    assert float(model.generator_adversarial(fake)) == pytest.approx(math.log(2))
    model.config.loss = "hinge"
    loss, _ = model.critic_loss(real, fake)
    assert float(loss) == pytest.approx(0.5 * (0 + 1))  # relu(1 - 1) + relu(1 + 0)


@pytest.mark.parametrize(
    ("loss", "critic"), [("lsgan", "patch"), ("wasserstein", "patch"), ("bce", "swd")]
)
def test_every_loss_and_critic_trains(loss, critic):
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**SMALL, loss=loss, critic=critic, code_dim=8), INFO)
    before = [p.clone() for p in model.generator.parameters()]
    logs = model.train_step(Batch(images(2), y=images(2, seed=3)), 0)
    assert all(torch.isfinite(v) for v in logs.values())
    assert {"loss_adversarial", "loss_l1", "loss_critic"} <= set(logs)
    assert any(
        not torch.equal(a, b) for a, b in zip(before, model.generator.parameters(), strict=True)
    )


# --- dropout, the only noise ----------------------------------------------------------------------


def test_dropout_is_the_noise_and_test_time_is_a_setting():
    torch.manual_seed(0)
    model = Pix2Pix(Pix2PixConfig(**SMALL), INFO)
    x = images(3)
    model.train_step(Batch(x, y=images(3, seed=4)), 0)  # running statistics away from their init
    model.generator.train()
    assert not torch.equal(model.generator(x), model.generator(x))  # two dropout draws
    # Default (the code's --eval): deterministic, the eval-mode generator, any batch grouping.
    first = model.translate(x, "AtoB")["output"]
    assert model.generator.training  # the mode it was in is restored
    assert torch.equal(first, model.translate(x, "AtoB")["output"])
    assert torch.allclose(first[:1], model.translate(x[:1], "AtoB")["output"], atol=1e-6)
    with torch.no_grad():
        assert torch.allclose(first, model.generator.eval()(x), atol=1e-6)
    # Paper: dropout and batch statistics at test; drawn from a fixed seed, so still repeatable,
    # and the running statistics are left as they were.
    model.config.test_dropout = True
    buffers = {k: v.clone() for k, v in model.generator.named_buffers()}
    state = torch.get_rng_state()
    noisy = model.translate(x, "AtoB")["output"]
    assert torch.equal(torch.get_rng_state(), state)  # the global stream is untouched
    assert not torch.allclose(noisy, first, atol=1e-3)
    assert torch.equal(noisy, model.translate(x, "AtoB")["output"])
    for name, value in model.generator.named_buffers():
        assert torch.equal(value, buffers[name]), name
    # Without dropout levels the generator has no noise left.
    quiet = Pix2Pix(Pix2PixConfig(**SMALL, dropout_blocks=0), INFO)
    assert not any(isinstance(m, torch.nn.Dropout) for m in quiet.modules())


def test_translate_takes_any_size_and_refuses_the_other_direction():
    model = Pix2Pix(Pix2PixConfig(**SMALL), INFO)
    assert model.translate(images(1, size=16)[..., :13, :5], "AtoB")["output"].shape[-2:] == (13, 5)
    assert model.translate(torch.zeros(1, 3, 40, 21), "AtoB")["output"].shape[-2:] == (40, 21)
    with pytest.raises(UserError, match="data.direction=BtoA"):
        model.translate(images(1), "BtoA")
    with pytest.raises(UserError, match="does not sample from noise"):
        model.generate(torch.zeros(1, 1))


# --- label maps as inputs -------------------------------------------------------------------------


class TinyMaps:
    """A hand-made paired dataset of 3-class label maps (x) and colour images (y)."""

    info = DataInfo("images", (1, 16, 16), pairing="paired", y_shape=(3, 16, 16), map_classes=3)

    def batch(self, step: int) -> Batch:
        generator = torch.Generator().manual_seed(step)
        maps = torch.randint(0, 3, (2, 1, 16, 16), generator=generator).float()
        palette = torch.tensor([[-1.0, 0, 1], [0.5, -0.5, 0], [1, 1, -1]])  # class -> colour
        y = palette[maps.long().squeeze(1)].permute(0, 3, 1, 2)
        return Batch(maps, y=y)


@pytest.mark.parametrize("critic", ["patch", "swd"])
def test_label_maps_are_one_hot_for_the_generator_and_the_critic(critic):
    torch.manual_seed(0)
    data = TinyMaps()
    model = Pix2Pix(Pix2PixConfig(**SMALL, critic=critic, code_dim=8), data.info)
    first = next(m for m in model.generator.modules() if isinstance(m, torch.nn.Conv2d))
    assert first.in_channels == 3  # one channel per class
    first_critic = next(m for m in model.critic.modules() if isinstance(m, torch.nn.Conv2d))
    assert first_critic.in_channels == 3 + 3  # one-hot map and image
    for step in range(2):
        logs = model.train_step(data.batch(step), step)
        assert all(torch.isfinite(v) for v in logs.values())
    maps = data.batch(5).x
    out = model.translate(maps, "AtoB")["output"]
    assert out.shape == (2, 3, 16, 16)
    with torch.no_grad():
        expected = model.generator.eval()(one_hot(maps, 3))
    assert torch.allclose(out, expected, atol=1e-6)


# --- data: the aligned layout, direction, digits-pairs --------------------------------------------


def write_aligned(folder, count: int, size=(8, 8), seed: int = 0) -> list[np.ndarray]:
    """``count`` side-by-side files: a random left half A and its negative as B."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lefts = []
    for index in range(count):
        left = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        Image.fromarray(np.concatenate([left, 255 - left], axis=1)).save(folder / f"{index}.png")
        lefts.append(left)
    return lefts


def test_aligned_layout_reads_pairs_and_direction_swaps_them(tmp_path):
    write_aligned(tmp_path / "train", 3)
    held = write_aligned(tmp_path / "val", 2, size=(8, 12), seed=1)
    config = DataConfig(name="paired-folders", path=str(tmp_path), image_size=8, flip=False)
    data = build_dataset(config)
    assert data.info.pairing == "paired" and len(data) == 3
    batch = data.batch(0, 4, seed=0)
    assert torch.allclose(batch.x, -batch.y, atol=1e-6)  # B is A's negative, window by window
    pairs = data.held_out_pairs()  # val/ is the held-out split without test/
    assert len(pairs) == 2 and pairs[0][0].shape == (1, 3, 8, 12)
    expected = torch.from_numpy(held[0]).permute(2, 0, 1).float() / 127.5 - 1
    assert torch.allclose(pairs[0][0][0], expected)  # the left half is the input
    config.direction = "BtoA"
    swapped = build_dataset(config)
    right = swapped.held_out_pairs()[0][0][0]
    assert torch.allclose(right, -expected, atol=1e-6)  # the right half is the input now
    assert torch.equal(swapped.batch(0, 4, seed=0).x, batch.y)


def test_input_target_folders_honour_the_direction(tmp_path):
    for half, value in (("input", 10), ("target", 200)):
        (tmp_path / half).mkdir()
        Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(tmp_path / half / "a.png")
    forward = build_dataset(DataConfig(name=str(tmp_path), image_size=8))
    backward = build_dataset(DataConfig(name=str(tmp_path), image_size=8, direction="BtoA"))
    assert torch.equal(forward.batch(0, 2, 0).x, backward.batch(0, 2, 0).y)
    assert float(backward.batch(0, 2, 0).x.mean()) > 0.5  # the targets are the inputs now


def test_aligned_layout_bad_inputs(tmp_path):
    (tmp_path / "odd" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 9, 3), np.uint8)).save(tmp_path / "odd" / "train" / "x.png")
    with pytest.raises(UserError, match=r"'x.png' is 9 x 8, an odd width"):
        build_dataset(DataConfig(name="paired-folders", path=str(tmp_path / "odd")))
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(UserError, match="holds no PNG"):
        build_dataset(DataConfig(name="paired-folders", path=str(tmp_path / "empty")))
    (tmp_path / "neither").mkdir()
    with pytest.raises(UserError, match="nor train/ of input"):
        build_dataset(DataConfig(name="paired-folders", path=str(tmp_path / "neither")))
    write_aligned(tmp_path / "small" / "train", 1, size=(4, 4))
    with pytest.raises(UserError, match="smaller than data.image_size=8"):
        build_dataset(DataConfig(name="paired-folders", path=str(tmp_path / "small"), image_size=8))


def test_digits_pairs_are_digits_recolour_pairs_with_its_held_out_digits():
    pairs = build_dataset(DataConfig(name="digits-pairs", image_size=16, limit=80))
    recolour = build_dataset(DataConfig(name="digits-recolour", image_size=16, limit=80))
    assert pairs.info.pairing == "paired" and len(pairs) == 60  # every training digit, paired
    held, truth = pairs.held_out(20), recolour.held_out(20, "AtoB")
    assert torch.equal(held.x, truth.x) and torch.equal(held.y, truth.y)  # the same 20 digits
    batch = pairs.batch(3, 8, seed=1)
    from swgen.data.two_domain import recolour as recolour_fn

    grey = (batch.x[:, :1] + 1) / 2
    assert (recolour_fn(grey) * 2 - 1 - batch.y).abs().max() < 0.03  # y is x recoloured
    backward = build_dataset(DataConfig(name="digits-pairs", image_size=16, limit=80,
                                        direction="BtoA"))  # fmt: skip
    assert torch.equal(backward.held_out(20).x, held.y)
    grey_view = backward.classifier_view((held.y + 1) / 2, "A")  # inputs are recoloured now
    assert grey_view.shape == (20, 1, 16, 16)
    with pytest.raises(UserError, match="no data.load_size"):
        build_dataset(DataConfig(name="digits-pairs", image_size=16, load_size=20))


def test_model_refuses_data_it_cannot_take():
    with pytest.raises(UserError, match="pix2pix translates paired images"):
        Pix2Pix(Pix2PixConfig(**SMALL), DataInfo("images", (3, 16, 16), pairing="unpaired"))
    paired_24, paired_8 = (DataInfo("images", (3, s, s), pairing="paired") for s in (24, 8))
    with pytest.raises(UserError, match=r"data.image_size=24 is not a multiple of 2\^model"):
        Pix2Pix(Pix2PixConfig(**SMALL, num_downs=4), paired_24)
    with pytest.raises(UserError, match="critic_layers=3 leaves no patches"):
        Pix2Pix(Pix2PixConfig(**SMALL, critic_layers=3), paired_8)


# --- the commands ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pix2pix")
    argv = ["train", "--model", "pix2pix", "--data", "digits-pairs", *TINY]
    argv += ["train.eval_every=2", "train.eval_samples=8"]
    assert main([*argv, "--out", str(root / "run")]) == 0
    return root / "run"


def test_cli_train_eval_measures_against_the_truth(run):
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("ssim_AtoB" in r and "label_preservation_AtoB" in r for r in logged)
    assert main(["eval", str(run), "--n", "8"]) == 0
    found = json.loads((run / "eval.json").read_text())["metrics"]
    assert set(found) == {"AtoB"} and found["AtoB"]["n"] == 8
    for key in ("psnr", "ssim", "psnr_identity", "label_preservation", "label_preservation_truth"):
        assert np.isfinite(found["AtoB"][key]), key


def test_cli_translate_and_sample(run, tmp_path, capsys):
    inputs = tmp_path / "in"
    (inputs / "nested").mkdir(parents=True)
    Image.fromarray(np.zeros((13, 21, 3), np.uint8)).save(inputs / "a.png")
    Image.fromarray(np.zeros((40, 7, 3), np.uint8)).save(inputs / "nested" / "b.jpg")
    out = tmp_path / "out"
    assert main(["translate", str(run), "--input", str(inputs), "-o", str(out)]) == 0
    assert Image.open(out / "a.png").size == (21, 13)
    assert Image.open(out / "nested" / "b.jpg").size == (7, 40)
    grid = tmp_path / "grid.png"
    assert main(["sample", str(run), "-n", "4", "-o", str(grid)]) == 0
    assert "(AtoB, input | output | truth)" in capsys.readouterr().out
    picture = Image.open(grid)
    assert picture.width > picture.height  # groups of three panels
    assert main(["sample", str(run), "-n", "3", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (3, 3, 16, 16)


def test_cli_resume_continues_the_same_run(tmp_path):
    common = ["train", "--model", "pix2pix", "--data", "digits-pairs", *TINY[:-1]]
    assert main([*common, "train.steps=4", "--out", str(tmp_path / "straight")]) == 0
    assert main([*common, "train.steps=2", "--out", str(tmp_path / "halves")]) == 0
    assert main(["train", "--resume", str(tmp_path / "halves"), "train.steps=4"]) == 0
    states = [
        torch.load(tmp_path / r / "checkpoints" / "last.pt", weights_only=True)["model"]
        for r in ("straight", "halves")
    ]
    for key, value in states[0].items():
        assert torch.allclose(value.float(), states[1][key].float(), atol=1e-5), key


def test_cli_trains_on_the_aligned_layout(tmp_path):
    write_aligned(tmp_path / "facades" / "train", 3, size=(16, 16))
    write_aligned(tmp_path / "facades" / "test", 2, size=(16, 20), seed=1)
    argv = ["train", "--model", "pix2pix", "--data", "paired-folders",
            f"data.path={tmp_path / 'facades'}", *TINY[:2], *TINY[3:]]  # fmt: skip
    assert main([*argv, "data.direction=BtoA", "--out", str(tmp_path / "run")]) == 0
    assert main(["eval", str(tmp_path / "run"), "--n", "2"]) == 0
    found = json.loads((tmp_path / "run" / "eval.json").read_text())["metrics"]["AtoB"]
    assert found["n"] == 2  # the whole held-out pairs, measured as photos
