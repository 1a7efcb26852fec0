"""``digits-pairs``: the digits of ``digits-recolour`` as aligned pairs, for paired translation.

Row ``i`` of a batch holds a grey digit ``x`` (its grey repeated in three channels, as
``digits-recolour``'s domain A) and, as ``y``, the same digit recoloured (:func:`recolour`: a
thicker dark-blue stroke on a striped light-orange background, ``digits-recolour``'s domain B):
``DataInfo.pairing == "paired"``, the data pix2pix learns from. ``data.direction=BtoA`` swaps
them (recoloured -> grey).

The split is ``digits-recolour``'s (:func:`swgen.data.two_domain.recoloured_digits`): the same
300 held-out digits, drawn in the same order, so a pix2pix run here and a CycleGAN run on
``digits-recolour`` are measured on the very same inputs against the very same truths. Every
training digit is a pair here, where ``digits-recolour`` splits them between its two unpaired
domains. ``swgen eval`` measures PSNR and SSIM against the truth and label preservation (the
shipped digits classifier reading each side through :func:`classifier_view`), as for
``digits-recolour`` (``swgen.evaluate.evaluate_translation``).

Batches are a pure function of (seed, step): the pairs are one :class:`InMemoryImages` of the
two sides stacked along the channels (one shuffle per epoch, so ``x`` and ``y`` stay a pair),
and ``data.flip`` mirrors both sides of a row alike, drawn from
``step_generator(seed, FLIP_STREAM, step)`` for the global batch (off by default: a mirrored
digit is another shape).
"""

from __future__ import annotations

import torch
from torch import Tensor

from swgen.data.base import Batch, DataConfig, DataInfo, DataSource, step_generator
from swgen.data.memory import InMemoryImages, image_channels
from swgen.data.two_domain import DOMAIN_STREAMS, classifier_view, recoloured_digits
from swgen.errors import UserError
from swgen.registry import DATASETS

PAIR_STREAM = (5,)  # shuffles of the training pairs
FLIP_STREAM = 6


class DigitPairs(DataSource):
    """Aligned (input, target) digit pairs of one size (see the module docstring).

    ``train``/``test``: uint8 (N, C, S, S) inputs and targets, row by row; ``sides`` names the
    ``digits-recolour`` domain of the input and of the target ("A" grey, "B" recoloured).
    """

    name = "digits-pairs"
    paired_test = True  # held-out rows carry their true translation (swgen eval measures it)
    classifier = "digits"  # the shipped classifier, read through classifier_view

    def __init__(
        self,
        train: tuple[Tensor, Tensor],
        test: tuple[Tensor, Tensor],
        flip: bool = False,
        sides: tuple[str, str] = ("A", "B"),
    ) -> None:
        self.channels = int(train[0].shape[1])
        self.flip = flip
        self.sides = dict(zip(("A", "B"), sides, strict=True))
        self.pairs = InMemoryImages(self.name, torch.cat(train, dim=1), stream=PAIR_STREAM)
        # digits-recolour's held-out shuffle, so the first n held-out digits are its first n.
        self.held = InMemoryImages(self.name, torch.cat(test, dim=1), stream=DOMAIN_STREAMS["A"])
        # Held-out inputs of each side (how many there are, for swgen eval's count).
        self.held_out_domains = {"A": self.held, "B": self.held}
        size = int(train[0].shape[-1])
        self.info = DataInfo(
            "images", (self.channels, size, size), pairing="paired",
            y_shape=(int(train[1].shape[1]), size, size),
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.pairs)

    def split(self, rows: Tensor) -> Batch:
        return Batch(rows[:, : self.channels], y=rows[:, self.channels :])

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        rows = self.pairs.batch(step, batch_size, seed, rank, world_size).x
        if self.flip:
            flips = torch.rand(batch_size, generator=step_generator(seed, FLIP_STREAM, step)) < 0.5
            mine = flips[rank:batch_size:world_size]
            rows = torch.where(mine.view(-1, 1, 1, 1), rows.flip(-1), rows)
        return self.split(rows)

    def held_out(self, n: int, direction: str = "AtoB", seed: int = 0) -> Batch:
        """``n`` held-out inputs with their true targets (``BtoA``: the other way round)."""
        pairs = self.split(self.held.sample(n, seed))
        return pairs if direction == "AtoB" else Batch(pairs.y, y=pairs.x)  # type: ignore[arg-type]

    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` held-out inputs."""
        return self.held_out(n, seed=seed).x

    def sample_batch(self, n: int, seed: int = 0) -> Batch:
        return self.held_out(n, seed=seed)

    def classifier_view(self, images: Tensor, side: str) -> Tensor:
        """Images in [0, 1] of the input side ("A") or target side ("B") as the digits
        classifier reads them (``digits-recolour``'s view of the domain that side holds)."""
        return classifier_view(images, self.sides[side])

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self.pairs)} training pairs, {len(self.held)} held out, "
            f"{tuple(self.info.shape)} -> {tuple(self.info.target_shape)}"
        )


@DATASETS.register(
    "digits-pairs",
    summary="grey digits and their recolouring as aligned pairs, for paired translation (bundled)",
)
def digits_pairs(config: DataConfig) -> DigitPairs:
    if image_channels(config, 3) != 3:
        raise UserError("digits-pairs is in colour; leave data.channels at 3 (or null)")
    if config.load_size not in (None, config.image_size):
        raise UserError(
            "digits-pairs takes no data.load_size (a crop would cut digits apart); drop it"
        )
    a, b, test, train = recoloured_digits(config)
    pairs, sides = ((a, b), ("A", "B")) if config.direction == "AtoB" else ((b, a), ("B", "A"))
    x, y = pairs
    return DigitPairs((x[train], y[train]), (x[test], y[test]), bool(config.flip), sides)
