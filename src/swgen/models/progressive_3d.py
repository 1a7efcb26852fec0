"""Progressive growing for video: ``pg-wgan-3d`` and ``pg-swgan-3d`` (SWGAN paper, Sec. 5.3).

The image models of ``swgen.models.progressive`` with 3-D convolutions (3 x 3 x 3) over clips
``(C, T, H, W)``. Space doubles at every level; time doubles only when entering the sizes in
``time_doubles_at``, as the official code's ``temporal_upscale_map`` (entering 8, 32 and 128 px):
for 16-frame 32 px clips the levels are (frames x size) 4 x 4^2 -> 8 x 8^2 -> 8 x 16^2 ->
16 x 32^2, and for the paper's 32-frame 256 px clips 4 x 4^2 ... 32 x 256^2. Real clips are
average-pooled over (T, H, W) to each level and faded in the same way as the generator.

Defaults are the official 3D code's: latent 128, fmap_base 1024, fmap_max 128, minibatch by
resolution {4: 32, 8: 32, 16: 16, 32: 16, 64: 8, 128: 8, 256: 4}, 600 kimg per phase (counted
in clips), Adam 1e-3 betas (0, 0.99). Departures, on purpose:

* the official generator nearest-upsamples its output in time to the full clip length at every
  level and its critic takes full-length clips; here both networks work at the level's own
  frame count (fewer operations, the same information, since the upsampled frames are copies),
  and only ``generate`` upsamples to the full clip (so samples always have ``data.frames``
  frames, repeated where the level is shorter);
* the penalties of ``pg-swgan-3d`` are those of ``pg-swgan`` (see its departures).
"""

from __future__ import annotations

from dataclasses import dataclass

from swgen.data.base import DataInfo
from swgen.errors import UserError
from swgen.models.progressive import (
    ProgressiveConfig,
    ProgressiveSWGAN,
    ProgressiveSWGANConfig,
    ProgressiveWGAN,
    is_power_of_two,
)
from swgen.nn.progressive import Size
from swgen.registry import MODELS

TIME_DOUBLES_AT = (8, 32, 128)  # official code: temporal_upscale_map, frames double entering these


@dataclass
class Progressive3DConfig(ProgressiveConfig):
    latent_dim: int = 128  # official 3D code
    fmap_base: int = 1024  # official 3D code
    fmap_max: int = 128  # official 3D code
    drift: float = 0.001  # PGGAN wgan_epsilon (the WGAN-GP baseline keeps it)
    time_doubles_at: tuple[int, ...] = TIME_DOUBLES_AT  # sizes (px) entering which frames double


@dataclass
class Progressive3DSWGANConfig(ProgressiveSWGANConfig):
    latent_dim: int = 128  # official 3D code
    fmap_base: int = 1024  # official 3D code
    fmap_max: int = 128  # official 3D code
    time_doubles_at: tuple[int, ...] = TIME_DOUBLES_AT  # sizes (px) entering which frames double


def video_level_sizes(
    model_name: str, data: DataInfo, time_doubles_at: tuple[int, ...]
) -> list[Size]:
    """``(frames, size, size)`` at each level, from 4 px up to the data's clips."""
    if data.kind != "video":
        image_model = model_name.removesuffix("-3d")
        raise UserError(
            f"{model_name} trains on video clips but the data are {data.kind}; use "
            f"{image_model} for images or a video dataset (moving-digits, video-folder)"
        )
    _, frames, height, width = data.shape
    if height != width or not is_power_of_two(width):
        raise UserError(
            f"{model_name} grows from 4 px by doubling, so data.image_size must be a power of two "
            f"(8, 16, 32, 64, ...), got {height}x{width}"
        )
    spatial = [4 * 2**i for i in range(int(width).bit_length() - 2)]
    doublings = sum(1 for size in spatial[1:] if size in time_doubles_at)
    start, remainder = divmod(frames, 2**doublings)
    if remainder or start < 1:
        raise UserError(
            f"{model_name}: data.frames={frames} must be a multiple of {2**doublings} "
            f"(frames double {doublings} times up to {width} px, model.time_doubles_at="
            f"{list(time_doubles_at)})"
        )
    sizes, t = [], start
    for size in spatial:
        if size in time_doubles_at and size != spatial[0]:
            t *= 2
        sizes.append((t, size, size))
    return sizes


class VideoLevels:
    """Levels of clips instead of images (mixed into the image models below)."""

    config: Progressive3DConfig

    def level_sizes(self, data: DataInfo) -> list[Size]:
        return video_level_sizes(self.name(), data, self.config.time_doubles_at)


@MODELS.register(
    "pg-wgan-3d", summary="progressive growing of video with WGAN-GP (3-D convolutions)"
)
class ProgressiveWGAN3D(VideoLevels, ProgressiveWGAN):
    """PG-WGAN-3D: PGGAN's WGAN-GP with drift, on 3-D convolutional networks."""

    Config = Progressive3DConfig

    @classmethod
    def name(cls) -> str:
        return "pg-wgan-3d"


@MODELS.register(
    "pg-swgan-3d",
    summary="progressive growing of video with SWGAN's dual SWD block (Wu et al. 2019)",
)
class ProgressiveSWGAN3D(VideoLevels, ProgressiveSWGAN):
    """PG-SWGAN-3D: one dual SWD block on the 3-D critic's 128 features (official code)."""

    Config = Progressive3DSWGANConfig

    @classmethod
    def name(cls) -> str:
        return "pg-swgan-3d"
