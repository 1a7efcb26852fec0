"""Two image domains for unpaired translation: ``two-domain`` folders and ``digits-recolour``.

A batch's ``x`` rows come from domain A and its ``y`` rows from domain B
(``DataInfo.pairing == "unpaired"``). Each domain is an :class:`InMemoryImages` shuffled per
epoch with its own stream, so the two are drawn independently: with different counts per domain
the pairs change every epoch, and every batch is still a pure function of (seed, step) and
sharded by rank like every swgen dataset (the CycleGAN code's ``UnalignedDataset`` pairs an
index of A with a random index of B instead).

Folder layouts, found from the folder alone (``--data FOLDER``):

* ``FOLDER/trainA``, ``FOLDER/trainB`` and optionally ``testA``, ``testB`` (the CycleGAN code's);
* ``FOLDER/train/A``, ``FOLDER/train/B`` and optionally ``test/A``, ``test/B`` (the lecture's).

Images are read as for image folders (``swgen.data.folder``: any depth, unreadable files skipped
with one warning per domain, each domain folder from its own prepared copy). With ``data.load_size``
they are loaded at that size and each training image is a random ``image_size`` crop (CycleGAN: load
286, crop 256); with ``data.flip`` it is mirrored with probability 1/2 (CycleGAN's default; on for
folders). Crops and flips are drawn from ``step_generator(seed, AUGMENT_STREAM, domain, step)`` for
the global batch, so they too are a pure function of (seed, step). Held-out images (``test*`` when
present, else the training images) are centre crops, never flipped.

``digits-recolour`` (bundled, no download): A is the scikit-learn digits in grey, B the same
kind of digits with a thicker dark-blue stroke on a striped light-orange background. B is a fixed
function of the digit (:func:`recolour`), so every held-out A image has its true B counterpart
(and the reverse): PSNR and SSIM of a translation against the truth measure it. The training
halves of A and B hold different digits, so nothing pairs them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.base import Batch, DataConfig, DataInfo, DataSource, step_generator
from swgen.data.folder import load_folder
from swgen.data.memory import (
    InMemoryImages,
    check_image_size,
    grayscale_to_uint8,
    image_channels,
    take_limit,
)
from swgen.errors import UserError
from swgen.registry import DATASETS

DIRECTIONS = ("AtoB", "BtoA")
DOMAIN_STREAMS = {"A": (1,), "B": (2,)}  # shuffles of the two domains, apart from each other
AUGMENT_STREAM = 3
# Which sub-folders hold which split and domain, per layout, in the order they are looked for.
LAYOUTS = (
    {"train": ("trainA", "trainB"), "test": ("testA", "testB")},
    {"train": ("train/A", "train/B"), "test": ("test/A", "test/B")},
)


def domain_folders(root: Path) -> dict[str, tuple[Path, Path]] | None:
    """The (A, B) folders of each split under ``root``, or None when it holds no two-domain
    layout. A layout with one domain's folder only is a user error, and so is a folder holding
    both layouts: either could be the one meant, and using one would silently leave out the
    other's images."""
    held = [
        [f"{name}/" for name in (*layout["train"], *layout["test"]) if (root / name).is_dir()]
        for layout in LAYOUTS
    ]
    if all(held):
        first, second = (", ".join(names) for names in held)
        raise UserError(
            f"data folder '{root}' holds both {first} and {second} (two layouts of two "
            "domains); keep one layout, moving the other's images into it"
        )
    for layout in LAYOUTS:
        a, b = (root / name for name in layout["train"])
        if not (a.is_dir() or b.is_dir()):
            continue
        if not (a.is_dir() and b.is_dir()):
            have, missing = (a, b) if a.is_dir() else (b, a)
            raise UserError(
                f"data folder '{root}' holds '{have.relative_to(root)}' but no "
                f"'{missing.relative_to(root)}'; put the images of the other domain there"
            )
        found = {"train": (a, b)}
        test_a, test_b = (root / name for name in layout["test"])
        if test_a.is_dir() and test_b.is_dir():
            found["test"] = (test_a, test_b)
        return found
    return None


def flip_default(config: DataConfig, default: bool) -> bool:
    return default if config.flip is None else bool(config.flip)


class TwoDomainImages(DataSource):
    """Unpaired images of domains A and B (see the module docstring).

    ``train_a``/``train_b`` hold uint8 images at the load size (>= ``size``); ``test_a``/``test_b``
    the held-out ones (default: the training images). Each is a tensor or an
    :class:`InMemoryImages` (a folder's, memory-mapped from its prepared copy, whose rows are
    checked as they are read). With ``paired_test`` row i of ``test_a`` and row i of ``test_b``
    show the same thing in the two domains (the truth of a translation).
    ``classifier``/``classifier_view`` name a shipped classifier and how it reads each domain.
    """

    def __init__(
        self,
        name: str,
        train_a: Tensor | InMemoryImages,
        train_b: Tensor | InMemoryImages,
        size: int,
        flip: bool,
        test_a: Tensor | InMemoryImages | None = None,
        test_b: Tensor | InMemoryImages | None = None,
        paired_test: bool = False,
        classifier: str | None = None,
        classifier_view: Callable[[Tensor, str], Tensor] | None = None,
    ) -> None:
        (train_a, check_a), (train_b, check_b) = rows_of(train_a), rows_of(train_b)
        if train_a.shape[1:2] != train_b.shape[1:2]:
            raise UserError(f"the two domains of {name!r} have different channel counts")
        self.name = name
        self.size = size
        self.flip = flip
        self.paired_test = paired_test
        # A shipped classifier that reads both domains through ``classifier_view(images, "A"|"B")``
        # (images in [0, 1]), for the label preservation metric; None for folders.
        self.classifier = classifier
        self.classifier_view = classifier_view
        self.domains = {
            "A": InMemoryImages(f"{name} A", train_a, stream=DOMAIN_STREAMS["A"], verify=check_a),
            "B": InMemoryImages(f"{name} B", train_b, stream=DOMAIN_STREAMS["B"], verify=check_b),
        }
        self.held_out_domains = {}
        for domain, given in (("A", test_a), ("B", test_b)):
            images, check = rows_of(self.domains[domain] if given is None else given)
            # Paired held-out images share one shuffle, so row i of A and of B stay a pair.
            stream = DOMAIN_STREAMS["A" if paired_test else domain]
            self.held_out_domains[domain] = InMemoryImages(
                f"{name} {domain}", images, stream=stream, verify=check, crop=size
            )
        shape = (int(train_a.shape[1]), size, size)
        self.info = DataInfo("images", shape, pairing="unpaired", y_shape=shape)

    def __len__(self) -> int:
        """Images of the larger domain: one epoch of it visits every image of both."""
        return max(len(d) for d in self.domains.values())

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        x, y = (
            self._augment(self.domains[d].batch(step, batch_size, seed, rank, world_size).x,
                          seed, index, step, batch_size, rank, world_size)
            for index, d in enumerate("AB")
        )  # fmt: skip
        return Batch(x, y=y)

    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` held-out images of domain A (centre crops)."""
        return self.held_out_domains["A"].sample(n, seed)

    def sample_batch(self, n: int, seed: int = 0) -> Batch:
        return self.held_out(n, "AtoB", seed)

    def held_out(self, n: int, direction: str = "AtoB", seed: int = 0) -> Batch:
        """``n`` held-out inputs ``x`` of ``direction`` with, as ``y``, their true translations
        when the dataset knows them (``paired_test``), else independent target-domain images."""
        source, target = ("A", "B") if direction == "AtoB" else ("B", "A")
        x = self.held_out_domains[source].sample(n, seed)
        y = self.held_out_domains[target].sample(n, seed)
        return Batch(x, y=y)

    def _augment(
        self, x: Tensor, seed: int, domain: int, step: int, batch_size: int, rank: int, world: int
    ) -> Tensor:
        """Random ``size`` crops and mirror flips of this rank's rows of the global batch."""
        load = x.shape[-1]
        if load == self.size and not self.flip:
            return x
        generator = step_generator(seed, AUGMENT_STREAM, domain, step)
        tops = torch.randint(0, load - self.size + 1, (batch_size,), generator=generator)
        lefts = torch.randint(0, load - self.size + 1, (batch_size,), generator=generator)
        flips = torch.rand(batch_size, generator=generator) < 0.5
        rows = slice(rank, batch_size, world)
        out = []
        for image, top, left, flip in zip(x, tops[rows], lefts[rows], flips[rows], strict=True):
            crop = image[:, top : top + self.size, left : left + self.size]
            out.append(crop.flip(-1) if flip and self.flip else crop)
        return torch.stack(out)

    def describe(self) -> str:
        a, b = (len(self.domains[d]) for d in "AB")
        return f"{self.name}: {a} images in A, {b} in B, of shape {tuple(self.info.shape)}"


def rows_of(
    images: Tensor | InMemoryImages,
) -> tuple[Tensor, Callable[[Tensor], None] | None]:
    """The uint8 images of a tensor or dataset, and the check of its rows (if any)."""
    if isinstance(images, InMemoryImages):
        return images.images, images.verify
    return images, None


def load_size(config: DataConfig) -> int:
    size = check_image_size(config)
    loaded = config.load_size or size
    if loaded < size:
        raise UserError(
            f"data.load_size={loaded} is smaller than data.image_size={size}; give a load size "
            "at least the image size (CycleGAN: 286 for 256)"
        )
    return loaded


def load_domains(root: str | Path, config: DataConfig) -> TwoDomainImages:
    """The two-domain dataset of a folder with ``trainA``/``trainB`` or ``train/A``/``train/B``."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserError(f"data folder '{root}' does not exist or is not a folder")
    found = domain_folders(root)
    if found is None:
        raise UserError(
            f"data folder '{root}' holds neither trainA/ and trainB/ nor train/A and train/B; "
            "put the images of each domain in one of those layouts"
        )
    loading = dataclasses.replace(config, image_size=load_size(config))
    train = [load_folder(folder, loading) for folder in found["train"]]
    test: list[InMemoryImages | None] = [None, None]
    if "test" in found:
        test = [load_folder(folder, loading) for folder in found["test"]]
    return TwoDomainImages(
        "two-domain", *train, size=config.image_size, flip=flip_default(config, True),
        test_a=test[0], test_b=test[1],
    )  # fmt: skip


@DATASETS.register(
    "two-domain", summary="trainA/trainB or train/A,B folders, for unpaired translation (yours)"
)
def two_domain(config: DataConfig) -> TwoDomainImages:
    if not config.path:
        raise UserError(
            "dataset 'two-domain' needs data.path, a folder with trainA/ and trainB/ "
            "(or train/A and train/B)"
        )
    return load_domains(config.path, config)


# --- digits-recolour ---------------------------------------------------------------------------

BACKGROUND = (0.95, 0.80, 0.55)  # light orange
STROKE = (0.10, 0.20, 0.60)  # dark blue
STRIPE_DEPTH = 0.12  # background brightness varies by this share along diagonal stripes
HELD_OUT = 300  # digits kept out of training, with both their A and B versions
LUMINANCE = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's convert("L")


def recolour(grey: Tensor) -> Tensor:
    """Domain B of digits-recolour: (N, 1, H, W) grey digits in [0, 1] -> (N, 3, H, W) in [0, 1].

    The stroke is thickened by a 3 x 3 grey dilation (a max filter), coloured ``STROKE`` and laid
    over a ``BACKGROUND`` darkened along diagonal stripes four pixels (at 32 px) apart.
    """
    size = grey.shape[-1]
    stroke = F.max_pool2d(grey, 3, stride=1, padding=1)
    rows, columns = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    period = max(2.0, size / 8)
    stripes = 1 - STRIPE_DEPTH * (0.5 + 0.5 * torch.cos(2 * math.pi * (rows + columns) / period))
    background = torch.tensor(BACKGROUND).view(1, 3, 1, 1) * stripes
    colour = torch.tensor(STROKE).view(1, 3, 1, 1)
    return background * (1 - stroke) + colour * stroke


def classifier_view(images: Tensor, domain: str) -> Tensor:
    """digits-recolour images in [0, 1] as the shipped digits classifier reads them: A as it is
    (grey), B as its darkness relative to the background (the stroke bright on black, like A)."""
    if domain == "A":
        return images.mean(dim=1, keepdim=True)
    weights = torch.tensor(LUMINANCE, dtype=images.dtype).view(1, 3, 1, 1)
    luminance = (images * weights).sum(dim=1, keepdim=True)
    light = sum(w * c for w, c in zip(LUMINANCE, BACKGROUND, strict=True))
    dark = sum(w * c for w, c in zip(LUMINANCE, STROKE, strict=True))
    return ((light - luminance) / (light - dark)).clamp(0, 1)


def to_uint8(images: Tensor) -> Tensor:
    return images.mul(255).round_().clamp_(0, 255).to(torch.uint8)


def recoloured_digits(config: DataConfig) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The digits in both colourings, uint8 (N, 3, S, S) grey ``a`` and :func:`recolour`-ed
    ``b`` at the load size, and the fixed split of their indices, the same for every run and
    every dataset made of them (``digits-recolour``, ``digits-pairs``): held-out, training."""
    from sklearn.datasets import load_digits  # scikit-learn is slow to import; only here

    bunch = load_digits()
    count = take_limit(config, len(bunch.images))
    if count < 4:
        raise UserError(f"data.limit={count} leaves too few digits; give at least 4")
    size = load_size(config)
    grey = grayscale_to_uint8(np.asarray(bunch.images[:count], np.float32) / 16.0, size, 1)
    grey = grey.float() / 255.0
    order = torch.randperm(count, generator=torch.Generator().manual_seed(0))
    held = min(HELD_OUT, count // 4)
    a, b = to_uint8(grey.expand(-1, 3, -1, -1)), to_uint8(recolour(grey))
    return a, b, order[:held], order[held:]


@DATASETS.register(
    "digits-recolour",
    summary="digits in two colourings with the true translation, for translation (bundled)",
)
def digits_recolour(config: DataConfig) -> TwoDomainImages:
    if image_channels(config, 3) != 3:
        raise UserError("digits-recolour is in colour; leave data.channels at 3 (or null)")
    a, b, test, train = recoloured_digits(config)
    train_a, train_b = train[: len(train) // 2], train[len(train) // 2 :]
    return TwoDomainImages(
        "digits-recolour", a[train_a], b[train_b], size=config.image_size,
        flip=flip_default(config, False), test_a=a[test], test_b=b[test], paired_test=True,
        classifier="digits", classifier_view=classifier_view,
    )  # fmt: skip
