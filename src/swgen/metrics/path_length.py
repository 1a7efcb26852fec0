"""Perceptual path length (Karras et al. 2019, Sec. 4.2), with an offline perceptual distance.

The official metric (``NVlabs/stylegan`` ``metrics/perceptual_path_length.py``): for pairs of
codes and ``t ~ U(0, 1)``, generate the images at ``t`` and ``t + epsilon`` (``epsilon = 1e-4``)
along the path between them, with the same noise inputs, and take

    ``l = d(G(path(t)), G(path(t + epsilon))) / epsilon^2``,

``d`` being LPIPS (VGG16); values outside the 1st-99th percentiles are dropped and the mean
reported. In Z the path is spherical (``slerp`` of the normalised codes, :func:`slerp`), in W
linear (``lerp`` of the mapped ``w``). The paper also crops faces to their central region;
swgen's images need no crop.

LPIPS needs ImageNet VGG16 weights, which swgen never downloads, so ``d`` here is a proxy built
the same way from a network swgen has offline (:func:`perceptual_distance`): the activations of
each ReLU of the shipped digits (or Fashion-MNIST) classifier, unit-normalised over channels at
each position, squared differences summed over channels, averaged over positions and summed over
layers (LPIPS with equal layer weights); for a network that only gives its final features
(Inception), those features unit-normalised. The numbers compare swgen runs measured with the
same network, never the paper's (FFHQ: 233 in W, 665 in Z); what carries over is the direction,
a shorter path in W than in Z for a disentangled W.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from swgen.metrics.features import FeatureExtractor

EPSILON = 1e-4  # the code's epsilon
PERCENTILES = (1.0, 99.0)  # values kept, the code's filter


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """The code's spherical interpolation of the normalised rows of ``a`` and ``b`` at ``t``
    (N,): unit vectors at angle ``t * angle(a, b)`` from ``a`` in the plane of ``a`` and ``b``
    (the mapping network pixel-normalises ``z``, so only directions matter)."""
    a = a / a.norm(dim=-1, keepdim=True)
    b = b / b.norm(dim=-1, keepdim=True)
    cosine = (a * b).sum(dim=-1, keepdim=True).clamp(-1.0, 1.0)
    angle = t.view(-1, 1) * torch.acos(cosine)
    ortho = b - cosine * a
    ortho = ortho / ortho.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    out = a * torch.cos(angle) + ortho * torch.sin(angle)
    return out / out.norm(dim=-1, keepdim=True)


def _activations(extractor: FeatureExtractor, images: Tensor) -> list[Tensor]:
    """The activations ``perceptual_distance`` compares: after each ReLU of a sequential
    network, else the network's output."""
    x = extractor.prepare(images)
    module = extractor.module
    if not isinstance(module, nn.Sequential):
        return [module(x)]
    found = []
    for layer in module:
        x = layer(x)
        if isinstance(layer, nn.ReLU):
            found.append(x)
    return found or [x]


def perceptual_distance(extractor: FeatureExtractor, x: Tensor, y: Tensor) -> Tensor:
    """The LPIPS-like proxy of the module docstring between images ``x`` and ``y`` ((N, C, H,
    W) in [0, 1]), one value per pair."""
    total = torch.zeros(len(x), dtype=torch.float64)
    for a, b in zip(_activations(extractor, x), _activations(extractor, y), strict=True):
        a = a / a.norm(dim=1, keepdim=True).clamp_min(1e-10)
        b = b / b.norm(dim=1, keepdim=True).clamp_min(1e-10)
        squared = (a - b).square().sum(dim=1)
        total += squared.reshape(len(squared), -1).mean(dim=1).double().cpu()
    return total


def mean_within_percentiles(values: np.ndarray, low: float = 1.0, high: float = 99.0) -> float:
    """The code's filter: the mean of the values between the ``low`` and ``high`` percentiles
    (inclusive, numpy's linear interpolation as the code's ``np.percentile``)."""
    lo, hi = np.percentile(values, [low, high])
    return float(values[(values >= lo) & (values <= hi)].mean())


@torch.no_grad()
def path_lengths(
    model: Any,
    to_data_space: Any,
    extractor: FeatureExtractor,
    n: int,
    space: str,
    seed: int = 0,
    batch: int = 250,
    epsilon: float = EPSILON,
) -> np.ndarray:
    """``n`` values ``d(G(path(t)), G(path(t + epsilon))) / epsilon^2`` of a model with a W
    (``map_latents``, ``synthesize``, ``noise_maps``, ``latent_dim``), ``space`` "z" or "w"
    (the code's ``sampling='full'``). ``to_data_space`` maps model space to [0, 1]."""
    if space not in ("z", "w"):
        raise ValueError(f"space must be 'z' or 'w', got {space!r}")
    generator = torch.Generator().manual_seed(seed)
    device = model.device
    values = []
    for start in range(0, n, batch):
        count = min(batch, n - start)
        ends = torch.randn(2, count, model.latent_dim, generator=generator).to(device)
        t = torch.rand(count, generator=generator).to(device)
        if space == "z":
            codes = torch.cat([slerp(ends[0], ends[1], t), slerp(ends[0], ends[1], t + epsilon)])
            w = model.map_latents(codes)
        else:
            w0, w1 = model.map_latents(ends[0]), model.map_latents(ends[1])
            w = torch.cat(
                [torch.lerp(w0, w1, t[:, None]), torch.lerp(w0, w1, t[:, None] + epsilon)]
            )
        noise = [maps.repeat(2, 1, 1, 1) for maps in model.noise_maps(count, generator)]
        images = to_data_space(model.synthesize(w, noise).float())
        distance = perceptual_distance(extractor, images[:count], images[count:])
        values.append(distance / epsilon**2)
    return torch.cat(values).numpy()


def path_length_metrics(run: Any, n: int, seed: int, extractor: FeatureExtractor) -> dict[str, Any]:
    """``ppl_w_<name>`` and ``ppl_z_<name>`` of a trained run (``run.model`` with a W), from
    ``n`` pairs each, with a note saying what they are."""
    run.model.eval()
    found: dict[str, Any] = {}
    for space in ("w", "z"):
        values = path_lengths(run.model, run.data.to_data_space, extractor, n, space, seed)
        found[f"ppl_{space}_{extractor.name}"] = mean_within_percentiles(values, *PERCENTILES)
    found["ppl_note"] = (
        f"perceptual path length ('full' sampling, epsilon {EPSILON:g}, {n} pairs, no truncation): "
        f"a proxy of the paper's LPIPS-based PPL, with distances on the {extractor.name} "
        "network's unit-normalised activations; compare swgen runs, not the paper's numbers"
    )
    return found
