"""The batch contract: labels and second samples travel with their rows, whatever the split."""

import pytest
import torch

from swgen.data import build_dataset
from swgen.data.base import Batch, DataConfig
from swgen.data.memory import InMemoryImages


def labelled(n: int = 50) -> InMemoryImages:
    """Images whose every pixel is their own label, so a row's label can be read off its image."""
    labels = torch.arange(n) % 7
    images = labels.to(torch.uint8).view(n, 1, 1, 1).expand(n, 1, 4, 4).clone()
    return InMemoryImages("labelled", images, labels)


def label_of(x: torch.Tensor) -> torch.Tensor:
    return ((x[:, 0, 0, 0] + 1) * 127.5).round().long()


def test_labels_stay_with_their_images_across_epochs_and_ranks():
    data = labelled()
    assert data.info.num_classes == 7 and data.info.class_names == tuple("0123456")
    for step in range(6):  # batches of 24 over 50 samples straddle epoch boundaries
        full = data.batch(step, 24, seed=3)
        assert full.labels is not None and full.labels.dtype == torch.long
        assert torch.equal(full.labels, label_of(full.x))
        for rank in range(3):
            part = data.batch(step, 24, seed=3, rank=rank, world_size=3)
            assert torch.equal(part.labels, full.labels[rank::3])
    sample = data.sample_batch(20, seed=1)
    assert torch.equal(sample.labels, label_of(sample.x))
    assert torch.equal(sample.x, data.sample(20, seed=1))


def test_digits_serve_labels_and_toys_do_not():
    digits = build_dataset(DataConfig(name="digits", image_size=8, limit=100))
    assert digits.info.num_classes == 10
    assert digits.batch(0, 8, seed=0).labels.shape == (8,)
    toy = build_dataset(DataConfig(name="gaussians8"))
    assert toy.info.num_classes == 0 and toy.batch(0, 8, seed=0).labels is None
    assert toy.info.pairing == "none" and toy.info.target_shape == toy.info.shape


def test_chunk_and_cat_are_inverse_and_keep_fields_aligned():
    x = torch.arange(12.0).view(6, 2)
    batch = Batch(x, labels=torch.arange(6), y=-x)
    parts = batch.chunk(3)
    assert [len(p) for p in parts] == [2, 2, 2]
    assert all(torch.equal(p.y, -p.x) and torch.equal(p.labels * 2.0, p.x[:, 0]) for p in parts)
    joined = Batch.cat(parts)
    assert torch.equal(joined.x, x) and torch.equal(joined.labels, batch.labels)
    assert Batch.cat([Batch(x[:2]), Batch(x[2:])]).labels is None
    with pytest.raises(ValueError, match="do not split"):
        batch.chunk(4)
