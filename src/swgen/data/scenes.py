"""``scenes``: generated label maps and the images they describe, for semantic synthesis (bundled).

Each scene is a label map of five classes (:data:`CLASS_NAMES`): sky above a horizon of random
height and tilt, ground below it, a triangle (a mountain standing on the horizon), a square and
a disc, drawn in that order (later shapes cover earlier ones), each shape with a random position
and size. Its image renders every class with a colour and a texture of its own, so the map
decides what each pixel shows and a per-pixel reading of colour and texture recovers the map
(``swgen.metrics.segmentation``):

* sky: blue, lighter towards the horizon (a vertical gradient);
* ground: green with horizontal furrows (a sine of the row);
* triangle: brown-grey with diagonal stripes;
* square: red with a 2-pixel checkerboard;
* disc: yellow-orange, shaded from its centre.

Per image, each texture's phase and the colours' brightness vary a little, and Gaussian pixel
noise is added: several images fit one map, as photos do. Everything is drawn from
``numpy.random.default_rng([SEED, split, index])``: scene ``i`` of a split is the same on every
machine. The split is fixed: :data:`TRAIN_SCENES` training scenes and :data:`TEST_SCENES`
held-out scenes drawn from another stream (``data.limit`` keeps fewer training scenes).
"""

from __future__ import annotations

import numpy as np
import torch

from swgen.data.base import DataConfig
from swgen.data.label_maps import LabelMapPairs, check_one_way
from swgen.data.memory import check_image_size, image_channels, take_limit
from swgen.errors import UserError
from swgen.registry import DATASETS

CLASS_NAMES = ("sky", "ground", "triangle", "square", "disc")
SKY, GROUND, TRIANGLE, SQUARE, DISC = range(5)
TRAIN_SCENES = 2000
TEST_SCENES = 256
SEED = 20190318  # SPADE's arXiv date; any fixed number
TRAIN_SPLIT, TEST_SPLIT = 0, 1
NOISE = 0.04  # pixel noise sigma, of the [0, 1] range
BASE_COLOURS = {
    SKY: (0.35, 0.55, 0.95),
    GROUND: (0.25, 0.60, 0.20),
    TRIANGLE: (0.50, 0.42, 0.38),
    SQUARE: (0.85, 0.15, 0.15),
    DISC: (1.00, 0.80, 0.10),
}


def scene_map(rng: np.random.Generator, size: int) -> np.ndarray:
    """One (size, size) uint8 map of class indices (see the module docstring)."""
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float64) / size  # in [0, 1)
    horizon = rng.uniform(0.35, 0.7) + rng.uniform(-0.15, 0.15) * (columns - 0.5)
    label = np.where(rows < horizon, SKY, GROUND).astype(np.uint8)
    if rng.random() < 0.7:  # a mountain on the horizon
        centre, half, height = rng.uniform(0.2, 0.8), rng.uniform(0.15, 0.35), rng.uniform(0.2, 0.4)
        base = rng.uniform(0.45, 0.65)
        top = base - height * (1 - np.abs(columns - centre) / half)
        label[(rows >= top) & (rows < base) & (np.abs(columns - centre) < half)] = TRIANGLE
    if rng.random() < 0.7:
        side = rng.uniform(0.18, 0.35)
        top, left = rng.uniform(0.3, 0.95 - side), rng.uniform(0.05, 0.95 - side)
        inside = (rows >= top) & (rows < top + side) & (columns >= left) & (columns < left + side)
        label[inside] = SQUARE
    if rng.random() < 0.8:
        radius = rng.uniform(0.08, 0.18)
        cy, cx = rng.uniform(0.1, 0.6), rng.uniform(0.15, 0.85)
        label[(rows - cy) ** 2 + (columns - cx) ** 2 < radius**2] = DISC
    return label


def render(label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The (size, size, 3) float image in [0, 1] of a map (see the module docstring)."""
    size = label.shape[0]
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float64)
    scale = size / 32  # textures keep their size in pixels of a 32 px scene
    image = np.zeros((size, size, 3))
    shade = {k: rng.uniform(0.9, 1.1) for k in BASE_COLOURS}
    phases = rng.uniform(0, 2 * np.pi, size=3)
    textures = {
        SKY: 0.75 + 0.35 * rows / size,
        GROUND: 1 + 0.18 * np.sin(rows / scale * 1.6 + phases[0]),
        TRIANGLE: 1 + 0.2 * np.sign(np.sin((rows + columns) / scale * 0.9 + phases[1])),
        SQUARE: 1 + 0.2 * np.where(((rows // (2 * scale)) + (columns // (2 * scale))) % 2, 1, -1),
        DISC: np.ones_like(rows),
    }
    disc = label == DISC
    if disc.any():  # shaded from the disc's centre
        cy, cx = rows[disc].mean(), columns[disc].mean()
        radius = max(1.0, np.sqrt(disc.sum() / np.pi))
        distance = np.sqrt((rows - cy) ** 2 + (columns - cx) ** 2) / radius
        textures[DISC] = 1.1 - 0.35 * np.clip(distance, 0, 1)
    for k, colour in BASE_COLOURS.items():
        mask = label == k
        image[mask] = np.asarray(colour) * shade[k] * textures[k][mask, None]
    image += rng.normal(0.0, NOISE, size=image.shape)
    return np.clip(image, 0, 1)


def scenes_split(split: int, count: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` scenes of ``split``: maps (count, 1, size, size) and images (count, 3, size,
    size), both uint8."""
    maps = np.empty((count, 1, size, size), np.uint8)
    images = np.empty((count, 3, size, size), np.uint8)
    for index in range(count):
        rng = np.random.default_rng([SEED, split, index])
        label = scene_map(rng, size)
        maps[index, 0] = label
        images[index] = np.rint(render(label, rng) * 255).astype(np.uint8).transpose(2, 0, 1)
    return maps, images


@DATASETS.register(
    "scenes", summary="generated label maps of 5 classes and their textured images (bundled)"
)
def scenes(config: DataConfig) -> LabelMapPairs:
    check_one_way(config)
    size = check_image_size(config)
    if size < 8:
        raise UserError(f"scenes needs data.image_size of at least 8, got {size}")
    if image_channels(config, 3) != 3:
        raise UserError("scenes is in colour; leave data.channels at 3 (or null)")
    if config.map_classes not in (None, len(CLASS_NAMES)):
        raise UserError(
            f"scenes has {len(CLASS_NAMES)} classes; drop data.map_classes (got "
            f"{config.map_classes})"
        )
    count = take_limit(config, TRAIN_SCENES)
    train = [torch.from_numpy(a) for a in scenes_split(TRAIN_SPLIT, count, size)]
    test = [torch.from_numpy(a) for a in scenes_split(TEST_SPLIT, TEST_SCENES, size)]
    flip = False if config.flip is None else bool(config.flip)  # scenes are drawn symmetric
    return LabelMapPairs(
        "scenes", *train, len(CLASS_NAMES), flip, *test, class_names=CLASS_NAMES,
        names=[f"scene-{i}" for i in range(TEST_SCENES)],
    )  # fmt: skip
