"""Video metrics: clip preparation, frame selection, the shipped moving-digits classifier."""

import pytest
import torch

from swgen.data.moving_digits import make_moving_digits
from swgen.metrics import fid
from swgen.metrics.video import (
    VIDEO_WEIGHTS,
    frames_of,
    load_video_classifier,
    prepare_clips,
    video_features,
)


def test_frames_of_spreads_frames_over_each_clip():
    clips = torch.arange(2 * 6, dtype=torch.float).view(2, 1, 6, 1, 1).expand(2, 1, 6, 2, 2)
    frames = frames_of(clips, 3)
    assert frames.shape == (6, 1, 2, 2)
    assert frames[:, 0, 0, 0].tolist() == [0, 2, 5, 6, 8, 11]  # frames 0, 2 (2.5 rounds), 5
    assert frames_of(clips).shape == (12, 1, 2, 2)


def test_prepare_clips_makes_grey_16_px_clips_in_model_range():
    clips = torch.rand(3, 3, 4, 32, 32)
    x = prepare_clips(clips)
    assert x.shape == (3, 1, 4, 16, 16) and x.min() >= -1 and x.max() <= 1
    assert torch.allclose(prepare_clips(torch.ones(1, 1, 2, 32, 32)), torch.ones(1, 1, 2, 16, 16))
    grey = prepare_clips(torch.rand(2, 1, 3, 16, 16))
    assert torch.allclose(
        prepare_clips(grey.add(1).div(2).expand(2, 3, 3, 16, 16)), grey, atol=1e-6
    )


@pytest.mark.skipif(not VIDEO_WEIGHTS.is_file(), reason="video classifier not trained yet")
def test_shipped_video_classifier_is_small_and_sees_motion():
    assert VIDEO_WEIGHTS.stat().st_size < 300_000
    model, metadata = load_video_classifier()
    assert metadata["accuracy_per_label"] > 0.8
    clips, _ = make_moving_digits(300, 16, 32, seed=5)
    clips = clips.float() / 255
    a, b = clips[:150], clips[150:]
    shuffled = b[:, :, torch.randperm(16, generator=torch.Generator().manual_seed(0))]
    same = fid(video_features(model, a), video_features(model, b))
    scrambled = fid(video_features(model, a), video_features(model, shuffled))
    assert scrambled > 2 * same  # the same frames in another order are another distribution
