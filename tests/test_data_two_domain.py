"""Tests of swgen.data.two_domain: folder layouts, unpaired batches, crops, digits-recolour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.data import DataConfig, TwoDomainImages, build_dataset
from swgen.data.two_domain import classifier_view, recolour
from swgen.errors import UserError


def write_domain(folder: Path, count: int, colour: int, size: int = 12) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(count + colour)
    for index in range(count):
        pixels = rng.integers(0, 256, (size, size + 4, 3), dtype=np.uint8)
        pixels[..., 0] = colour
        Image.fromarray(pixels).save(folder / f"img{index:02d}.png")


def two_domain_folder(root: Path, layout: str = "cyclegan", a: int = 5, b: int = 3) -> Path:
    names = {"cyclegan": ("trainA", "trainB"), "lecture": ("train/A", "train/B")}[layout]
    write_domain(root / names[0], a, 0)
    write_domain(root / names[1], b, 255)
    return root


@pytest.mark.parametrize("layout", ["cyclegan", "lecture"])
def test_both_layouts_are_found_from_the_folder_alone(tmp_path, layout):
    root = two_domain_folder(tmp_path / layout, layout)
    data = build_dataset(DataConfig(name=str(root), image_size=8))
    assert isinstance(data, TwoDomainImages)
    assert data.info.pairing == "unpaired" and data.info.shape == (3, 8, 8)
    assert [len(data.domains[d]) for d in "AB"] == [5, 3]
    batch = data.batch(0, 4, seed=0)
    assert batch.x.shape == batch.y.shape == (4, 3, 8, 8)
    # Red channel tells the domains apart: 0 in A, 255 in B.
    assert (batch.x[:, 0] == -1).all() and (batch.y[:, 0] == 1).all()


def test_batches_are_deterministic_sharded_and_pairs_change_per_epoch(tmp_path):
    data = build_dataset(DataConfig(name=str(two_domain_folder(tmp_path, a=4, b=3)), image_size=8))
    first, again = data.batch(3, 4, seed=1), data.batch(3, 4, seed=1)
    assert torch.equal(first.x, again.x) and torch.equal(first.y, again.y)
    ranks = [data.batch(3, 4, seed=1, rank=r, world_size=2) for r in (0, 1)]
    assert torch.equal(torch.cat([ranks[0].x, ranks[1].x]), first.x[[0, 2, 1, 3]])
    assert torch.equal(torch.cat([ranks[0].y, ranks[1].y]), first.y[[0, 2, 1, 3]])

    def pairs(epoch):  # which B image meets each A image in one pass over the 4 A images
        batch = data.batch(epoch, 4, seed=0)
        return [(a.sum().item(), b.sum().item()) for a, b in zip(batch.x, batch.y, strict=True)]

    assert len({tuple(sorted(pairs(e))) for e in range(6)}) > 1


def test_random_crops_and_flips_follow_the_seed(tmp_path):
    root = two_domain_folder(tmp_path)
    data = build_dataset(DataConfig(name=str(root), image_size=8, load_size=12))
    assert data.domains["A"].images.shape[-1] == 12  # loaded big, cropped per batch
    batches = [data.batch(0, 5, seed=s).x for s in (0, 0, 1)]
    assert batches[0].shape == (5, 3, 8, 8)
    assert torch.equal(batches[0], batches[1]) and not torch.equal(batches[0], batches[2])
    held = data.held_out(5).x
    assert held.shape == (5, 3, 8, 8)
    unflipped = build_dataset(DataConfig(name=str(root), image_size=12, flip=False))
    plain = unflipped.domains["A"].batch(0, 5, 0).x
    assert torch.equal(unflipped.batch(0, 5, 0).x, plain)
    flipped = (
        build_dataset(DataConfig(name=str(root), image_size=12)).batch(0, 5, 0).x
    )  # folders flip
    mirrored = [torch.equal(f, p.flip(-1)) for f, p in zip(flipped, plain, strict=True)]
    assert any(mirrored) and not all(mirrored)
    with pytest.raises(UserError, match="smaller than data.image_size"):
        build_dataset(DataConfig(name=str(root), image_size=12, load_size=8))


def test_grey_test_splits_and_unreadable_files(tmp_path):
    root = two_domain_folder(tmp_path)
    write_domain(root / "testA", 2, 0)
    write_domain(root / "testB", 2, 255)
    (root / "trainB" / "broken.png").write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        data = build_dataset(DataConfig(name=str(root), image_size=8, channels=1))
    assert data.info.shape == (1, 8, 8)
    assert len(data.held_out_domains["A"]) == 2 and len(data.domains["B"]) == 3
    assert data.held_out(3, "BtoA").x.shape == (3, 1, 8, 8)


def test_one_domain_or_no_readable_images_is_a_user_error(tmp_path):
    write_domain(tmp_path / "one" / "trainA", 2, 0)
    with pytest.raises(UserError, match="no 'trainB'"):
        build_dataset(DataConfig(name=str(tmp_path / "one")))
    (tmp_path / "empty" / "train" / "A").mkdir(parents=True)
    write_domain(tmp_path / "empty" / "train" / "B", 2, 0)
    with pytest.raises(UserError, match="has no readable images"):
        build_dataset(DataConfig(name=str(tmp_path / "empty")))
    with pytest.raises(UserError, match="needs data.path"):
        build_dataset(DataConfig(name="two-domain"))


def test_a_folder_holding_both_layouts_is_ambiguous(tmp_path):
    """Either layout could be the one meant: refuse, naming both, rather than drop one's images
    (a test split in the other layout too: it would silently not be the held-out set)."""
    both = two_domain_folder(two_domain_folder(tmp_path / "both"), "lecture")
    with pytest.raises(UserError, match=r"holds both trainA/, trainB/ and train/A/, train/B/"):
        build_dataset(DataConfig(name=str(both), image_size=8))
    mixed = two_domain_folder(tmp_path / "mixed")
    write_domain(mixed / "test" / "A", 1, 0)
    write_domain(mixed / "test" / "B", 1, 255)
    with pytest.raises(UserError, match=r"trainA/, trainB/ and test/A/, test/B/.*keep one layout"):
        build_dataset(DataConfig(name=str(mixed), image_size=8))


def test_digits_recolour_holds_out_true_pairs():
    data = build_dataset(DataConfig(name="digits-recolour", image_size=16))
    assert data.info.shape == (3, 16, 16) and data.info.pairing == "unpaired"
    held = data.held_out(20, "AtoB", seed=3)
    grey = ((held.x[:, :1] + 1) / 2).clamp(0, 1)
    truth = recolour(grey) * 2 - 1
    assert (held.y - truth).abs().max() < 2 / 255 + 1e-6  # uint8 rounding only
    back = data.held_out(20, "BtoA", seed=3)
    assert torch.equal(back.x, held.y) and torch.equal(back.y, held.x)
    # A and B training images are different digits: no A image equals grey of a B image.
    assert len(data.domains["A"]) + len(data.domains["B"]) + 300 == 1797
    # The classifier's view of B puts the stroke bright on black, like A.
    view = classifier_view((held.y + 1) / 2, "B")
    assert view.shape == (20, 1, 16, 16) and view.amin() >= 0 and view.amax() <= 1
    assert (view > 0.5).float().mean() > (grey > 0.5).float().mean()  # the stroke is thicker
