"""Pictures of samples with Pillow alone: image grids, strips, animated GIFs, 2D scatter plots."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import Tensor


def to_uint8_images(images: Tensor) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] -> (N, H, W, C) uint8, rounding like clean-fid."""
    array = images.detach().float().clamp(0, 1).cpu().numpy()
    return np.rint(array.transpose(0, 2, 3, 1) * 255).astype(np.uint8)


def image_grid(images: Tensor, columns: int | None = None, padding: int = 2) -> Image.Image:
    """Tile (N, C, H, W) images in [0, 1] into one picture, ``columns`` per row (default square)."""
    pixels = to_uint8_images(images)
    count, height, width, channels = pixels.shape
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    canvas = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        255,
        dtype=np.uint8,
    )
    for index in range(count):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        canvas[top : top + height, left : left + width] = pixels[index]
    return Image.fromarray(canvas[..., 0] if channels == 1 else canvas)


def panel_grid(
    panels: list[Tensor], padding: int = 2, groups_per_row: int | None = None
) -> Image.Image:
    """Panels ``[input, output, ...]`` of the same n samples, each (n, C, H, W) in [0, 1] (one
    channel is repeated to C; clips (n, C, T, H, W) show their frames in a row): one group of
    panels side by side per sample, ``groups_per_row`` groups in a row (default: so many that
    the picture is about square; 1: a row per sample, e.g. an input in every domain)."""
    # A clip (n, C, T, H, W) shows as its frames side by side, (n, C, H, T * W).
    panels = [p.permute(0, 1, 3, 2, 4).flatten(3) if p.dim() == 5 else p for p in panels]
    channels = max(p.shape[1] for p in panels)
    panels = [p.expand(-1, channels, -1, -1) if p.shape[1] == 1 else p for p in panels]
    count = len(panels[0])
    groups = groups_per_row or max(1, math.ceil(math.sqrt(count / len(panels))))
    tiles = torch.stack(panels, dim=1).flatten(end_dim=1)  # sample-major order
    return image_grid(tiles, columns=groups * len(panels), padding=padding)


def translation_panels(data: Any, x: Tensor, translated: dict[str, Tensor]) -> list[Tensor]:
    """``[input, output, ...]`` in [0, 1] from model-space input ``x`` and a model's
    ``translate`` panels (model-space ``"output"``; other panels, such as attention, in [0, 1]).
    Label maps (``data.info.map_classes > 0``) show in the colours of :func:`label_map_colours`."""
    if data.info.map_classes:
        panels = [label_map_colours(x)]
    else:
        panels = [data.to_data_space(x.float().cpu())]
    for name, panel in translated.items():
        panel = panel.float().cpu()
        panels.append(data.to_data_space(panel) if name == "output" else panel.clamp(0, 1))
    return panels


def frame_strips(clips: Tensor, max_frames: int | None = None, padding: int = 2) -> Image.Image:
    """(N, C, T, H, W) clips in [0, 1] as one picture: a row per clip, a column per frame.

    ``max_frames`` keeps that many frames spread evenly over the clip (all by default).
    """
    frames = clips.shape[2]
    keep = list(range(frames))
    if max_frames is not None and frames > max_frames:
        keep = [round(i * (frames - 1) / (max_frames - 1)) for i in range(max_frames)]
    tiles = clips[:, :, keep].permute(0, 2, 1, 3, 4).flatten(end_dim=1)  # clip-major order
    return image_grid(tiles, columns=len(keep), padding=padding)


def save_gif(clips: Tensor, path: Path, columns: int | None = None, duration_ms: int = 100) -> None:
    """(N, C, T, H, W) clips in [0, 1] as an animated GIF: frame t is the grid of every clip's
    frame t (Pillow writes GIFs; no extra dependency). Loops forever."""
    pictures = [image_grid(clips[:, :, t], columns=columns) for t in range(clips.shape[2])]
    path.parent.mkdir(parents=True, exist_ok=True)
    pictures[0].save(
        path, save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0,
        optimize=False,
    )  # fmt: skip


def scatter_plot(
    fake: Tensor, real: Tensor | None = None, size: int = 512, limit: float | None = None
) -> Image.Image:
    """A scatter plot of 2D points: real samples in blue under generated ones in orange."""
    points = [p.detach().float().cpu().numpy() for p in (real, fake) if p is not None]
    if limit is None:
        limit = float(max(np.abs(p).max() for p in points)) * 1.1 + 1e-6
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    centre = size / 2
    draw.line([(0, centre), (size, centre)], fill=(220, 220, 220))
    draw.line([(centre, 0), (centre, size)], fill=(220, 220, 220))

    def to_pixels(xy: np.ndarray) -> np.ndarray:
        return np.stack([centre + xy[:, 0] / limit * centre, centre - xy[:, 1] / limit * centre], 1)

    colours = [(31, 119, 180), (255, 127, 14)] if real is not None else [(255, 127, 14)]
    for xy, colour in zip(points, colours, strict=True):
        for x, y in to_pixels(xy):
            draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=colour)
    return image


# Ten distinguishable colours (matplotlib's "tab10"), one per class; more classes cycle.
CLASS_COLOURS = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)  # fmt: skip


def class_palette(classes: int) -> Tensor:
    """(classes, 3) colours in [0, 1], fixed per class index: :data:`CLASS_COLOURS` for the
    first ten, then the PASCAL VOC palette's bit interleaving of the index (distinct to 256)."""
    colours = []
    for k in range(classes):
        if k < len(CLASS_COLOURS):
            colours.append(CLASS_COLOURS[k])
            continue
        red = green = blue = 0
        index = k
        for bit in range(8):
            red |= ((index >> 0) & 1) << (7 - bit)
            green |= ((index >> 1) & 1) << (7 - bit)
            blue |= ((index >> 2) & 1) << (7 - bit)
            index >>= 3
        colours.append((red, green, blue))
    return torch.tensor(colours, dtype=torch.float32) / 255


def label_map_colours(maps: Tensor) -> Tensor:
    """(N, 1, H, W) class indices -> (N, 3, H, W) in [0, 1], class ``k`` in colour
    ``class_palette(...)[k]``, the same in every picture."""
    indices = maps.detach().cpu().long().clamp(min=0)[:, 0]
    palette = class_palette(int(indices.max()) + 1 if indices.numel() else 1)
    return palette[indices].permute(0, 3, 1, 2).contiguous()


def labelled_scatter(
    points: Tensor, labels: Tensor, names: tuple[str, ...] = (), size: int = 512
) -> Image.Image:
    """2D points coloured by class label, with a legend of ``names`` (class ``k`` -> colour
    ``CLASS_COLOURS[k % 10]``): e.g. the code space of an autoencoder."""
    xy = points.detach().float().cpu().numpy()
    classes = labels.detach().cpu().numpy().astype(int)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.maximum(high - low, 1e-6) * 1.1
    middle = (low + high) / 2
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    pixels = np.stack(
        [(xy[:, 0] - middle[0]) / span[0] + 0.5, 0.5 - (xy[:, 1] - middle[1]) / span[1]], 1
    ) * (size - 1)
    for (x, y), k in zip(pixels, classes, strict=True):
        draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=CLASS_COLOURS[k % 10])
    for k, name in enumerate(names):
        colour = CLASS_COLOURS[k % 10]
        draw.rectangle([4, 4 + 12 * k, 12, 12 + 12 * k], fill=colour)
        draw.text((16, 2 + 12 * k), name, fill=(0, 0, 0))
    return image


def save_picture(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
