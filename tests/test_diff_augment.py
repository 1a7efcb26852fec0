"""DiffAugment of the critic's inputs (``model.diffaugment``, Zhao et al. 2020)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import Tensor

from resume_check import assert_same_weights, straight_and_resumed
from swgen.cli import main
from swgen.config import resolve
from swgen.data import build_dataset
from swgen.data.base import Batch
from swgen.errors import UserError
from swgen.models import base
from swgen.models.diff_augment import (
    adjust_color,
    cut_out,
    diff_augment,
    parse_policy,
    translate,
)
from swgen.models.swgan import SWGANConfig
from swgen.train.engine import build_model

GAN_FAMILY = ["gan", "dcgan", "lsgan", "hinge-gan", "wgan", "wgan-gp", "ctgan", "swgan"]
ALL = ("color", "translation", "cutout")


def numpy_translate(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """out[..., h, w] = x[..., h - dy, w - dx], zero outside, by slicing."""
    out = np.zeros_like(x)
    height, width = x.shape[-2:]
    rows_out = slice(max(dy, 0), height + min(dy, 0))
    rows_in = slice(max(-dy, 0), height - max(dy, 0))
    cols_out = slice(max(dx, 0), width + min(dx, 0))
    cols_in = slice(max(-dx, 0), width - max(dx, 0))
    out[..., rows_out, cols_out] = x[..., rows_in, cols_in]
    return out


def test_translation_matches_shifting_by_slicing_in_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 2, 7, 9))
    shifts = np.array([[0, 0], [1, -2], [-3, 4], [6, 0], [-7, -9], [2, 8]])
    got = translate(torch.tensor(x), torch.tensor(shifts)).numpy()
    for i, (dy, dx) in enumerate(shifts):
        np.testing.assert_array_equal(got[i], numpy_translate(x[i], dy, dx))


def test_cutout_zeroes_the_clipped_square_and_nothing_else():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3, 8, 10)) + 5  # no pixel is 0 before the cutout
    side = 4
    centres = np.array([[0, 0], [8, 10], [4, 5], [1, 9], [7, 2]])
    got = cut_out(torch.tensor(x), torch.tensor(centres), side).numpy()
    for i, (cy, cx) in enumerate(centres):
        hole = np.zeros((8, 10), dtype=bool)
        for h in range(8):
            for w in range(10):
                hole[h, w] = cy - side // 2 <= h < cy - side // 2 + side and (
                    cx - side // 2 <= w < cx - side // 2 + side
                )
        np.testing.assert_array_equal(got[i] == 0, np.broadcast_to(hole, got[i].shape))
        np.testing.assert_array_equal(got[i][:, ~hole], x[i][:, ~hole])


def test_colour_is_brightness_then_saturation_then_contrast_as_written_in_numpy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3, 5, 5))
    u = rng.uniform(size=(4, 3))
    expected = x + (u[:, 0] - 0.5)[:, None, None, None]
    channel_mean = expected.mean(axis=1, keepdims=True)
    expected = channel_mean + 2 * u[:, 1, None, None, None] * (expected - channel_mean)
    image_mean = expected.mean(axis=(1, 2, 3), keepdims=True)
    expected = image_mean + (u[:, 2] + 0.5)[:, None, None, None] * (expected - image_mean)
    got = adjust_color(torch.tensor(x), torch.tensor(u)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_draws_cover_the_papers_ranges_at_32_pixels():
    """Shifts uniform on -4..4 (1/8 of 32) on each axis; cutouts 16 pixels on a side."""
    torch.manual_seed(0)
    x = torch.ones(4000, 1, 32, 32)
    shifted = diff_augment(x, ("translation",))
    # A shift by (dy, dx) leaves |dy| rows and |dx| columns of zeros at the border.
    empty_rows = (shifted[:, 0].sum(dim=2) == 0).sum(dim=1)
    empty_cols = (shifted[:, 0].sum(dim=1) == 0).sum(dim=1)
    for empty in (empty_rows, empty_cols):
        counts = torch.bincount(empty, minlength=6)
        assert counts[5:].sum() == 0  # never more than 4
        # |d| = 0 has one of 9 values, |d| = 1..4 two each.
        expected = torch.tensor([1, 2, 2, 2, 2]) / 9 * 4000
        assert torch.all((counts[:5] - expected).abs() < 5 * expected.sqrt())
    holes = (diff_augment(x, ("cutout",)) == 0).sum(dim=(1, 2, 3))
    assert holes.max() == 16 * 16 and holes.min() == 8 * 8  # centred inside, or at a corner
    assert 0.2 < (holes == 256).float().mean() < 0.35  # centre in 8..24 on both axes: (17/33)^2


def test_the_empty_policy_is_the_identity_and_draws_nothing():
    x = torch.randn(3, 1, 8, 8)
    torch.manual_seed(5)
    expected_next_draw = torch.rand(4)
    torch.manual_seed(5)
    assert diff_augment(x, parse_policy(" , ")) is x
    assert torch.equal(torch.rand(4), expected_next_draw)


def test_the_augmentation_is_differentiable():
    """``T`` is applied on the generator's path: the gradient reaches the images exactly."""
    x = torch.randn(3, 2, 6, 6, dtype=torch.float64, requires_grad=True)

    def augmented(images):
        torch.manual_seed(3)  # the same draws at every evaluation
        return diff_augment(images, ALL, translation_ratio=0.34, cutout_ratio=0.5)

    assert torch.autograd.gradcheck(augmented, (x,))


def test_a_clip_is_moved_as_one_its_frames_alike():
    torch.manual_seed(4)
    frame = torch.randn(6, 3, 1, 16, 16)
    clip = frame.expand(6, 3, 5, 16, 16).contiguous()
    torch.manual_seed(9)
    out = diff_augment(clip, ALL)
    assert torch.equal(out, out[:, :, :1].expand_as(out))
    torch.manual_seed(9)
    assert torch.allclose(out[:, :, :1], diff_augment(frame, ALL), atol=1e-6)


def test_each_process_augments_its_rows_of_the_one_process_batch(monkeypatch):
    """W processes draw from the shared per-sample stream, so they train the one-process run."""
    x = torch.randn(8, 1, 16, 16)
    torch.manual_seed(11)
    whole = diff_augment(x, ALL)
    for rank in (0, 1):
        monkeypatch.setattr(base, "_noise_shard", (rank, 2))
        torch.manual_seed(11)
        mine = diff_augment(x[rank::2], ALL)
        assert torch.allclose(mine, whole[rank::2], atol=1e-6)


def model_on_digits(name: str, *overrides: str):
    config = resolve(
        overrides=[
            f"model.name={name}",
            "data.name=digits",
            "data.image_size=16",
            "model.width=8",
            *overrides,
        ]
    )
    return build_model(config, build_dataset(config.data), torch.device("cpu"))


@pytest.mark.parametrize("name", GAN_FAMILY)
def test_the_critic_sees_augmented_real_and_fake_images_in_both_updates(name, monkeypatch):
    """With ``cutout`` every image handed to the critic's loss and to the generator's has a hole
    of at least 4 x 4 exact zeros (a 8-pixel square clipped at a corner); without it none has."""

    def holes_seen(*overrides: str) -> list[int]:
        torch.manual_seed(0)
        model = model_on_digits(name, "model.n_critic=1", *overrides)
        seen: list[Tensor] = []
        critic_loss, generator_loss = model.critic_loss, model.generator_loss

        def spy_critic(real, fake):
            seen.extend([real, fake])
            return critic_loss(real, fake)

        def spy_generator(fake):
            seen.append(fake)
            return generator_loss(fake)

        monkeypatch.setattr(model, "critic_loss", spy_critic)
        monkeypatch.setattr(model, "generator_loss", spy_generator)
        real = torch.rand(16, 1, 16, 16) * 2 - 1
        model.train_step(Batch(x=real), 0)
        assert len(seen) == 3
        return [int((images == 0).flatten(1).sum(dim=1).min()) for images in seen]

    assert all(fewest >= 16 for fewest in holes_seen("model.diffaugment=cutout"))
    assert all(fewest < 16 for fewest in holes_seen())


def test_off_by_default_the_step_is_unchanged_and_on_it_changes():
    def one_step(*overrides: str):
        torch.manual_seed(1)
        model = model_on_digits("swgan", "model.n_critic=1", *overrides)
        torch.manual_seed(2)
        model.train_step(Batch(x=torch.rand(16, 1, 16, 16) * 2 - 1), 0)
        return [p.detach().clone() for p in model.generator.parameters()]

    plain = one_step()
    empty = one_step("model.diffaugment=''")
    augmented = one_step("model.diffaugment=translation")
    assert all(torch.equal(a, b) for a, b in zip(plain, empty, strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(plain, augmented, strict=True))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.diffaugment=flip"], "unknown transformation 'flip'"),
        (["model.diffaugment=translation,zoom"], "unknown transformation 'zoom'"),
        (["model.translation_ratio=0"], "'model.translation_ratio' is 0"),
        (["model.cutout_ratio=1.5"], "'model.cutout_ratio' is 1.5"),
    ],
)
def test_bad_diffaugment_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=re.escape(message)):
        model_on_digits("swgan", *overrides)


def test_settings_built_in_code_are_checked_too():
    with pytest.raises(ValueError, match="unknown transformation 'Cutout'"):
        SWGANConfig(diffaugment="Cutout")
    with pytest.raises(ValueError, match="cutout_ratio must be a number in"):
        SWGANConfig(cutout_ratio=float("nan"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["swgan", "gaussians8", "model.diffaugment=cutout"], "the data are points"),
        (["swg", "digits", "model.diffaugment=cutout"], "diffaugment"),
        (["swgan", "digits", "model.diffaugment=blur"], "'blur'"),
    ],
)
def test_the_cli_refuses_in_one_line_with_exit_2(arguments, message, capsys, tmp_path):
    out = tmp_path / "run"
    model, data, setting = arguments
    code = main(["train", "--model", model, "--data", data, setting, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_training_and_resume_on_digits_continue_the_same_draws(tmp_path):
    a, b = straight_and_resumed(
        tmp_path,
        ["data.image_size=16", "model.width=8", "model.diffaugment=color,translation,cutout"],
        data="digits",
    )
    assert_same_weights(a, b)
