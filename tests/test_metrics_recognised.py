"""The recognised share: how often the shipped classifier is sure of a class."""

import torch

from swgen.data import build_dataset
from swgen.data.base import DataConfig
from swgen.metrics.recognised import class_probabilities, recognised_share


def real_digits(n: int) -> torch.Tensor:
    data = build_dataset(DataConfig(name="digits"))
    return data.to_data_space(data.sample(n, seed=3))


def test_real_digits_are_recognised_and_noise_is_not():
    digits = real_digits(300)
    assert recognised_share(digits) > 0.95
    noise = torch.rand(300, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    assert recognised_share(noise) < 0.5
    # an average of two different digits is ambiguous far more often than either digit alone
    mixed = (digits[:150] + digits[150:]) / 2
    assert recognised_share(mixed) < recognised_share(digits) - 0.2


def test_probabilities_sum_to_one_and_threshold_is_monotone():
    digits = real_digits(64)
    probabilities = class_probabilities(digits)
    assert probabilities.shape == (64, 10)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(64), atol=1e-5)
    shares = [recognised_share(digits, threshold=t) for t in (0.5, 0.9, 0.99)]
    assert shares[0] >= shares[1] >= shares[2]


def test_label_agreement_counts_each_class(monkeypatch):
    import swgen.metrics.recognised as recognised

    # the classifier calls images 0, 1 class 0 and images 2, 3 class 1
    probabilities = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    monkeypatch.setattr(recognised, "class_probabilities", lambda images, name: probabilities)
    result = recognised.label_agreement(torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 1, 1]))
    assert result == {"mean": 0.5, "per_class": [1.0, 1 / 3]}
