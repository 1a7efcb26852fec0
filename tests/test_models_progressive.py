"""pg-wgan and pg-swgan: the schedule, the phase kept as model state, the fade of real images."""

import pytest
import torch

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.progressive import (
    ProgressiveConfig,
    ProgressiveSWGAN,
    ProgressiveSWGANConfig,
    ProgressiveWGAN,
    schedule,
)
from swgen.nn.progressive import resize_to

DIGITS = DataInfo("images", (1, 16, 16))
TINY = {"latent_dim": 8, "fmap_base": 32, "fmap_max": 8, "minibatch": (8, 4)}


def test_schedule_counts_images_through_stabilise_and_transition_phases():
    # 3 levels (4, 8, 16 px), 100 images to stabilise, 50 to fade in
    assert schedule(0, 3, 100, 50) == (0, 1.0)
    assert schedule(99, 3, 100, 50) == (0, 1.0)
    assert schedule(100, 3, 100, 50) == (1, 0.0)
    assert schedule(125, 3, 100, 50) == (1, 0.5)
    assert schedule(150, 3, 100, 50) == (1, 1.0)
    assert schedule(250, 3, 100, 50) == (2, 0.0)
    assert schedule(300, 3, 100, 50) == (2, 1.0)
    assert schedule(10**9, 3, 100, 50) == (2, 1.0)  # fully grown: stays


def make(cls=ProgressiveWGAN, config=ProgressiveConfig, **overrides):
    torch.manual_seed(0)
    values = {**TINY, "stabilise_kimg": 0.008, "transition_kimg": 0.008, **overrides}
    return cls(config(**values), DIGITS)


BOTH = [(ProgressiveWGAN, ProgressiveConfig), (ProgressiveSWGAN, ProgressiveSWGANConfig)]


@pytest.mark.parametrize(("cls", "config"), BOTH)
def test_phase_advances_with_images_shown_and_picks_the_minibatch(cls, config):
    model = make(cls, config)
    seen = []
    for step in range(8):
        size = model.batch_size(64)  # the engine's train.batch_size is not used
        seen.append((model.phase()[0], size))
        logs = model.train_step(Batch(torch.rand(size, 1, 16, 16) * 2 - 1), step)
        assert torch.isfinite(logs["loss_critic"]) and torch.isfinite(logs["loss_generator"])
    # level 0 with batches of 8 for 8 images, level 1 fading with 4 for 8 images, then stable
    assert seen[:4] == [(0, 8), (1, 4), (1, 4), (1, 4)]
    assert seen[-1] == (2, 4)
    assert int(model.images_shown) == 8 + 4 * 7
    assert model.stage()["resolution"] == "16x16"


def test_adam_moments_are_reset_when_a_level_starts_or_stops_fading():
    model = make()
    real = torch.rand(8, 1, 16, 16)
    model.train_step(Batch(real), 0)  # level 0: one Adam step
    moments = model.optimizers["critic"].state
    assert {int(s["step"]) for s in moments.values()} == {1}
    model.train_step(Batch(real[:4]), 1)  # level 1 fades in: fresh moments, new layers included
    assert {int(s["step"]) for s in model.optimizers["critic"].state.values()} == {1}
    model.train_step(Batch(real[:4]), 2)  # same stage: moments kept
    assert {int(s["step"]) for s in model.optimizers["critic"].state.values()} == {2}
    kept = make(reset_optimizer=False)
    for step in range(3):
        kept.train_step(Batch(real[: kept.batch_size(8)]), step)
    assert 3 in {int(s["step"]) for s in kept.optimizers["critic"].state.values()}


def test_real_images_fade_between_levels_like_the_generator():
    model = make(stabilise_kimg=0.004, transition_kimg=0.004)
    real = torch.rand(4, 1, 16, 16)
    model.images_shown.fill_(4)  # level 1 (8 px) starts fading in: alpha = 0
    assert model.phase() == (1, 0.0)
    low = resize_to(resize_to(real, (4, 4)), (8, 8))
    assert torch.allclose(model.real_at_level(real), low)
    model.images_shown.fill_(6)  # half way
    expected = 0.5 * low + 0.5 * resize_to(real, (8, 8))
    assert torch.allclose(model.real_at_level(real), expected)
    assert model.real_view(real).shape == real.shape  # metrics see it at the data size
    assert model.generate(torch.randn(3, 8)).shape == (3, 1, 16, 16)


def test_phase_is_saved_in_the_state_dict():
    model = make()
    model.images_shown.fill_(13)
    restored = make()
    restored.load_state_dict(model.state_dict())
    assert restored.phase() == model.phase() and int(restored.images_shown) == 13


def test_progressive_models_refuse_data_they_cannot_grow_to():
    with pytest.raises(UserError, match="power of two"):
        ProgressiveWGAN(ProgressiveConfig(**TINY), DataInfo("images", (1, 24, 24)))
    with pytest.raises(UserError, match="pg-swgan-3d"):
        ProgressiveSWGAN(ProgressiveSWGANConfig(**TINY), DataInfo("points", (2,)))
