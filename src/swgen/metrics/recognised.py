"""How often a shipped classifier recognises generated images: the "would a user call it a digit?"
check behind the main job's preset.

``recognised_share(images, "digits")`` is the share of images to which the shipped digits
classifier gives one class a probability of at least ``threshold`` (0.9 by default); real held-out
digits score about 0.99 (BENCHMARKS.md), blurred or mixed strokes much less. It complements FID,
which measures the whole distribution (coverage included) but can hide samples that are
individually unrecognisable. The same works with ``"fashion"``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from swgen.metrics.features import WEIGHTS_DIR, FeatureExtractor, load_classifier

CLASSIFIER_WEIGHTS = {
    "digits": WEIGHTS_DIR / "digits_classifier.pt",
    "fashion": WEIGHTS_DIR / "fashion_classifier.pt",
}
RECOGNISED_THRESHOLD = 0.9


@torch.no_grad()
def class_probabilities(
    images: Tensor, classifier: str = "digits", batch_size: int = 250
) -> Tensor:
    """Softmax class probabilities ``(N, classes)`` of images ``(N, C, H, W)`` in [0, 1]."""
    model, metadata = load_classifier(CLASSIFIER_WEIGHTS[classifier])
    # The same input preparation as the classifier's feature extractor: 32 px, grey, [-1, 1].
    extractor = FeatureExtractor(classifier, model, metadata["image_size"], 1, (-1.0, 1.0))
    chunks = [
        torch.softmax(model(extractor.prepare(images[start : start + batch_size].cpu())), dim=1)
        for start in range(0, len(images), batch_size)
    ]
    return torch.cat(chunks)


def recognised_share(
    images: Tensor, classifier: str = "digits", threshold: float = RECOGNISED_THRESHOLD
) -> float:
    """Share of images whose most likely class has probability ``>= threshold``."""
    probabilities = class_probabilities(images, classifier)
    return float((probabilities.max(dim=1).values >= threshold).double().mean())


def label_agreement(images: Tensor, labels: Tensor, classifier: str = "digits") -> dict:
    """How often the shipped classifier's most likely class is the label an image was drawn
    for (a conditional model's ``--label K`` samples): the share over all images (``mean``) and
    for each class ``k`` (``per_class[k]``; ``None`` for a class without images)."""
    predicted = class_probabilities(images, classifier).argmax(dim=1)
    agree = predicted == labels.cpu()
    classes = int(labels.max()) + 1 if len(labels) else 0
    per_class = [
        float(agree[labels.cpu() == k].double().mean()) if bool((labels == k).any()) else None
        for k in range(classes)
    ]
    return {"mean": float(agree.double().mean()), "per_class": per_class}
