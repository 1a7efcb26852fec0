"""How well translations among K domains (StarGAN) reach their target domain and keep content.

* ``domain_accuracy``: the share of translated images that a domain classifier assigns to the
  target domain (the paper's RaFD measure is the error of a ResNet-18 trained on real images;
  Sec. 4.5). Offline and CPU-bound, the classifier here is a proxy: multinomial logistic
  regression on pixels (averaged down to at most 16 x 16, standardised), fitted with L-BFGS,
  deterministically, on up to 2,000 real training images (:func:`fit_domain_classifier`). It
  separates styles of colour and background well, domains that differ in finer content less;
  its accuracy on real held-out images (``domain_accuracy_real``) is the ceiling to read
  translated images' against, and the untouched inputs' (``domain_accuracy_identity``) the
  floor. Numbers are for comparing swgen runs, never the paper's.
* ``label_preservation``: the share of translations to which a shipped classifier gives the
  class it gives their input (each domain first turned into what it reads by the data's
  ``classifier_view``), as :func:`swgen.metrics.translation.label_preservation`.
* ``psnr`` and ``ssim`` against the true translation, where the data know it
  (``held_out_in_every_domain``, ``digits-styles``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

CLASSIFIER_IMAGES = 2000  # real training images the domain classifier is fitted on
CLASSIFIER_SIZE = 16  # pixels are averaged down to at most this side
CLASSIFIER_SEED_OFFSET = 91  # its training batch is drawn apart from the evaluation's inputs


def is_domain_data(info: object) -> bool:
    """Labelled images of two or more classes and no second sample per row: the domains of a
    multi-domain translation model (StarGAN), when a model that maps data trains on them."""
    return (
        getattr(info, "kind", None) == "images"
        and getattr(info, "num_classes", 0) >= 2
        and getattr(info, "pairing", None) == "none"
        and not getattr(info, "map_classes", 0)
    )


def pixel_features(images: Tensor) -> np.ndarray:
    """(N, C, H, W) images in [0, 1] -> (N, C * h * w) pixels averaged to at most 16 px."""
    side = images.shape[-1]
    factor = max(1, side // CLASSIFIER_SIZE)
    pooled = F.avg_pool2d(images.float(), factor) if factor > 1 else images.float()
    return pooled.flatten(1).double().numpy()


@dataclass
class DomainClassifier:
    """A fitted logistic regression on :func:`pixel_features` (see the module docstring)."""

    model: object  # sklearn.linear_model.LogisticRegression inside a standardising pipeline

    def predict(self, images: Tensor) -> Tensor:
        return torch.as_tensor(self.model.predict(pixel_features(images.cpu())))  # type: ignore

    def accuracy(self, images: Tensor, domains: Tensor) -> float:
        """Share of ``images`` (in [0, 1]) assigned to ``domains`` (one per image)."""
        return float((self.predict(images) == domains.cpu()).double().mean())


def fit_domain_classifier(images: Tensor, domains: Tensor) -> DomainClassifier:
    """Multinomial logistic regression of ``domains`` on the pixels of ``images`` (in [0, 1]),
    deterministic (L-BFGS from zero weights)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500))
    model.fit(pixel_features(images.cpu()), domains.cpu().numpy())
    return DomainClassifier(model)


_fitted: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def domain_classifier_of(source: object, seed: int) -> DomainClassifier:
    """The domain classifier of a data set (a ``DataSource`` with labelled training batches),
    fitted on ``min(len, 2000)`` of its training images (data space) once per data set and seed,
    so metrics logged during training refit nothing."""
    cached = _fitted.setdefault(source, {})
    if seed not in cached:
        count = min(len(source), CLASSIFIER_IMAGES)  # type: ignore[arg-type]
        batch = source.batch(0, count, seed + CLASSIFIER_SEED_OFFSET)  # type: ignore[attr-defined]
        images = source.to_data_space(batch.x)  # type: ignore[attr-defined]
        cached[seed] = fit_domain_classifier(images, batch.labels)
    return cached[seed]


def viewed(
    images: Tensor, domains: Tensor, names: tuple[str, ...], view: Callable[[Tensor, str], Tensor]
) -> Tensor:
    """``images`` as a shipped classifier reads them, each through the view of its domain."""
    out = torch.empty(len(images), 1, *images.shape[-2:], dtype=images.dtype)
    for index, name in enumerate(names):
        rows = domains == index
        if bool(rows.any()):
            out[rows] = view(images[rows], name)
    return out
