"""Single-image metrics of SinGAN (Rott Shaham et al. 2019, Sec. 3.1-3.2): SIFID and diversity.

* SIFID (the code's ``SIFID/sifid_score.py``): for a real image and one fake, take a
  convolutional feature map of each, treat EVERY SPATIAL POSITION as a sample, fit a Gaussian
  (mean, covariance) to each set and take their Fréchet distance
  (``swgen.metrics.frechet.frechet_distance``); report the mean over the fakes. The paper uses
  InceptionV3's 192-channel block that ends with its second max-pool; swgen ships no Inception
  weights, so ``sifid_proxy`` uses the first two conv + max-pool stages of swgen's shipped
  digits classifier (32 channels at 1/4 of the size), applied to each colour channel as a grey
  image and concatenated (96 values per position): a PROXY that ranks swgen's runs, not
  comparable with the paper's numbers. Lower is better.
* Diversity (paper Sec. 3.2): the standard deviation over samples of each pixel's intensity
  (the mean over colour channels), averaged over pixels and divided by the standard deviation
  of the training image's intensities. 0: every sample is the same image.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from swgen.metrics.frechet import feature_statistics, frechet_distance

SIFID_PROXY_NOTE = (
    "sifid_proxy: Frechet distance between the per-position feature statistics of the real "
    "image and each sample (SinGAN's SIFID), on the first two conv stages of swgen's digits "
    "classifier per colour channel (96 features at 1/4 size), not InceptionV3's second pool: "
    "compare swgen runs with it, not with the paper's SIFID"
)


def proxy_extractor() -> nn.Module:
    """The shipped digits classifier up to its second max-pool (1 channel in, [-1, 1])."""
    from swgen.metrics.features import WEIGHTS_DIR, load_classifier

    classifier, _ = load_classifier(WEIGHTS_DIR / "digits_classifier.pt")
    return classifier.body[:6].eval()


@torch.no_grad()
def position_features(extractor: nn.Module, image: Tensor) -> np.ndarray:
    """(positions, features) of one image (C, H, W) in [0, 1]: the extractor on each channel
    (mapped to [-1, 1]), concatenated over channels at every spatial position."""
    channels = image.float().clamp(0, 1)[:, None] * 2 - 1  # (C, 1, H, W)
    maps = extractor(channels)  # (C, F, h, w)
    return maps.flatten(0, 1).flatten(1).T.double().cpu().numpy()


def sifid(real_features: np.ndarray, fake_features: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to per-position features (n_pos, d)."""
    return frechet_distance(*feature_statistics(real_features), *feature_statistics(fake_features))


def mean_sifid(real: Tensor, fakes: Tensor, extractor: nn.Module | None = None) -> float:
    """Mean SIFID of ``fakes`` (N, C, H, W) against ``real`` (C, H, W), all in [0, 1]."""
    extractor = extractor if extractor is not None else proxy_extractor()
    reference = position_features(extractor, real)
    return float(np.mean([sifid(reference, position_features(extractor, f)) for f in fakes]))


def diversity(samples: Tensor, real: Tensor) -> float:
    """Paper's diversity: ``mean_pixels std_samples(I) / std(I_real)`` of intensities ``I``
    (mean over channels); ``samples`` (N, C, H, W), ``real`` (C, H, W), in [0, 1]."""
    intensity = samples.double().mean(dim=1)
    return float(intensity.std(dim=0).mean() / real.double().mean(dim=0).std())


SINGLE_IMAGE_SAMPLES = 100  # the paper's diversity uses 100 samples (SIFID: 50 per image)


def single_image_scores(model: Any, n: int, seed: int) -> dict[str, Any]:
    """``swgen eval`` of a model that learns one image (``learns_one_image``): SIFID proxy and
    diversity of ``min(n, 100)`` samples started at scale 0 (the coarsest: the paper's n = N)
    and at scale 1 (the paper's N - 1: the coarsest layout kept), at the training size of the
    scale the model has reached, against the training image there."""
    count = min(n, SINGLE_IMAGE_SAMPLES)
    extractor = proxy_extractor()
    real = to_unit(model.training_image())[0]
    scores: dict[str, Any] = {"samples": count, "sifid_note": SIFID_PROXY_NOTE}
    for start in range(min(2, model.current_scale + 1)):
        generator = torch.Generator().manual_seed(seed + start)
        fakes = to_unit(model.samples_from(count, start, generator))
        scores[f"sifid_proxy_n{start}"] = mean_sifid(real, fakes, extractor)
        scores[f"diversity_n{start}"] = diversity(fakes, real)
    return scores


def to_unit(images: Tensor) -> Tensor:
    return ((images.detach().float().cpu() + 1) / 2).clamp(0, 1)
