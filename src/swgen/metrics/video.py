"""Video metrics: a Fréchet video distance on a small shipped 3D-conv classifier, frame-level FID.

* ``fvd_moving_digits``: the Fréchet distance (``swgen.metrics.frechet.fid``) between the
  penultimate-layer features of :class:`VideoClassifier` on real and generated clips. The network
  (three strided 3x3x3 convolutions, ~30k parameters) was trained by
  ``scripts/train_video_classifier.py`` on moving digits to tell which digit classes and which
  motion directions a clip holds; its held-out accuracy is stored with its weights
  (``weights/moving_digits_classifier.pt``) and reported by ``swgen eval``. The shipped weights
  are weak (3000 clips, 6 epochs on a CPU shared with other jobs): held-out accuracy per label
  0.841 (always answering "absent" gives 0.796), all four direction labels right on 47.5 % of
  clips, all ten digit labels right on none. Its features react to motion and layout more than
  to digit identity; retraining longer with the script is the first thing to do.
* ``frame_fid_digits``: the digits classifier's FID over all frames of the clips (an image metric;
  it ignores motion).

The SWGAN paper's video FID came from another network (and data): these numbers are NOT
comparable to its 404.1 / 462.6, only between swgen models evaluated the same way.

Clips of any size are fed as the classifier was trained: frames resized to 16 px (bilinear,
antialiased), the frame count kept (the network pools over time).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.errors import UserError
from swgen.metrics.features import WEIGHTS_DIR

VIDEO_WEIGHTS = WEIGHTS_DIR / "moving_digits_classifier.pt"
FRAME_SIZE = 16  # frames are resized to this: small digits stay legible, 3D convs stay cheap


class VideoClassifier(nn.Module):
    """Clips (N, 1, T, 16, 16) in [-1, 1] -> ``n_outputs`` logits; ``features`` is the ReLU layer
    before them. Outputs: 10 "digit d is in the clip" and 4 "a digit moves in direction k"."""

    def __init__(self, n_outputs: int = 14, feature_dim: int = 64, width: int = 8) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv3d(1, width, 3, stride=(1, 2, 2), padding=1), nn.ReLU(),
            nn.Conv3d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv3d(2 * width, 4 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool3d(1), nn.Flatten(),
            nn.Linear(4 * width, feature_dim), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(feature_dim, n_outputs)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


def prepare_clips(clips: Tensor) -> Tensor:
    """Clips (N, C, T, H, W) in [0, 1] -> (N, 1, T, 16, 16) in [-1, 1] (grey, bilinear resize)."""
    x = clips.float().clamp(0, 1)
    if x.shape[1] != 1:
        x = x.mean(dim=1, keepdim=True)
    n, _, t, h, w = x.shape
    if (h, w) != (FRAME_SIZE, FRAME_SIZE):
        frames = x.transpose(1, 2).reshape(n * t, 1, h, w)
        frames = F.interpolate(
            frames, size=(FRAME_SIZE, FRAME_SIZE), mode="bilinear", antialias=True
        )
        x = frames.reshape(n, t, 1, FRAME_SIZE, FRAME_SIZE).transpose(1, 2)
    return x * 2 - 1


def load_video_classifier(path: Path | str = VIDEO_WEIGHTS) -> tuple[VideoClassifier, dict]:
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"video classifier weights '{path}' are missing; run scripts/train_video_classifier.py"
        )
    saved = torch.load(path, map_location="cpu", weights_only=True)
    metadata = dict(saved["metadata"])
    model = VideoClassifier(metadata["n_outputs"], metadata["feature_dim"], metadata["width"])
    model.load_state_dict(saved["state_dict"])
    return model.eval(), metadata


@torch.no_grad()
def video_features(model: VideoClassifier, clips: Tensor, batch_size: int = 100) -> np.ndarray:
    """Features (N, feature_dim) float64 of clips (N, C, T, H, W) in [0, 1]."""
    if clips.dim() != 5:
        raise UserError(f"video features need clips (N, C, T, H, W), got {tuple(clips.shape)}")
    parts = [
        model.features(prepare_clips(clips[start : start + batch_size])).double()
        for start in range(0, len(clips), batch_size)
    ]
    return torch.cat(parts).numpy()


def frames_of(clips: Tensor, max_frames: int | None = None) -> Tensor:
    """All frames (N * T, C, H, W) of clips (N, C, T, H, W), or ``max_frames`` of them spread
    evenly over the frame axis of every clip."""
    t = clips.shape[2]
    keep = torch.arange(t)
    if max_frames is not None and t > max_frames:
        keep = torch.linspace(0, t - 1, max_frames).round().long()
    return clips[:, :, keep].transpose(1, 2).flatten(end_dim=1)
