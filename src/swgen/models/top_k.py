"""Top-k training of the generator (``model.topk_min``), for the GAN family.

Sinha et al., "Top-k Training of GANs: Improving GAN Performance by Throwing Away Bad Samples"
(NeurIPS 2020): in each generator update only the ``k`` generated samples of the batch that the
critic rates most realistic contribute to the loss,

    L_G = (1 / k) sum_{i in top_k} g(D(G(z_i))),

the ``k`` smallest per-sample generator losses ``g(D(G(z_i)))`` (for every loss swgen names, the
samples the critic finds most real). Their argument: the samples the critic rates worst get
gradients that can point away from the data (in their mixtures of Gaussians, along the gaps
between modes), and averaged in, these pull the good samples off theirs. ``k`` starts
at the batch size ``B`` and is annealed, as the paper does once per epoch, to

    k = max(gamma^floor(step / every), nu) * B,

with gamma = 0.99 (the paper's decay) and the floor ``nu`` = ``topk_min``; the paper's
experiments, and a public PyTorch port of them on Mimicry, use nu = 0.5. ``every`` is the
paper's epoch in generator steps (30: one pass over the bundled digits at batch 64); at the
defaults ``k`` reaches ``B / 2`` after about 2000 steps. ``topk_min`` = 1 (the default) is the
ordinary mean. The critic's update is untouched.

On the main job (SWGAN on digits with its preset) nu = 0.5 lowered the share of samples the
digits classifier recognises by 2.4 and 3.7 points in two paired seeds (BENCHMARKS.md, "What
else did not help"), so no preset turns it on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor


@dataclass
class TopKSettings:
    """The generator update's top-k selection (mixed into each GAN-family model's config)."""

    # Sinha et al. 2020: G's loss over the k samples D finds most real; k anneals B -> nu B.
    topk_min: float = 1.0  # nu, the floor of k / batch (paper: 0.5); 1: every sample, off
    topk_decay: float = 0.99  # gamma: k / batch is multiplied by it every topk_every steps (paper)
    topk_every: int = 30  # generator steps per decay, the paper's epoch (digits: 1797 / 64)

    def check_top_k(self) -> None:
        for name in ("topk_min", "topk_decay"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value <= 1):
                raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
        every = self.topk_every
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"topk_every must be a whole number >= 1, got {every!r}")


def top_k_fraction(step: int, settings: TopKSettings) -> float:
    """``k / B`` at generator step ``step``: ``max(gamma^floor(step / every), nu)``."""
    if settings.topk_min >= 1:
        return 1.0
    decays = step // settings.topk_every
    return max(settings.topk_decay**decays, settings.topk_min)


def top_k_mean(
    losses: Tensor, fraction: float, everyone: Tensor | None = None, rank: int = 0
) -> Tensor:
    """The mean of the ``k = max(1, floor(fraction * N))`` smallest of ``N`` per-sample losses
    (all of them, in their order, when ``fraction`` is 1).

    One process: ``N = n``, the ``losses`` themselves. W processes: ``everyone`` holds every
    process's ``n`` losses in rank order (``N = n W``), the ``k`` are chosen among all of them,
    and this process returns ``W / k`` times the sum of its own chosen ones, so the mean over
    processes, which the gradient all-reduce takes, is the one-process batch's top-k mean."""
    n = len(losses)
    total = n if everyone is None else len(everyone)
    k = max(1, math.floor(fraction * total + 1e-9))
    if k >= total:
        return losses.mean()
    if total == n:
        return losses.topk(k, largest=False, sorted=False).values.mean()
    chosen = everyone.topk(k, largest=False, sorted=False).indices - rank * n
    mine = chosen[(chosen >= 0) & (chosen < n)]
    return losses[mine].sum() * (total / n) / k
