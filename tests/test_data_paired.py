"""Paired data for enhancement: paired folders and the bundled photo-pairs."""

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.data import DataConfig, build_dataset
from swgen.data.paired import degrade
from swgen.errors import UserError


def write_pairs(root, names, size=(20, 24), same=False):
    rng = np.random.default_rng(0)
    for half in ("input", "target"):
        (root / half).mkdir(parents=True, exist_ok=True)
    for name in names:
        target = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
        source = target if same else (target // 2)
        (root / "input" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "target" / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(source).save(root / "input" / name)
        Image.fromarray(target).save(root / "target" / name)


def test_paired_folder_is_found_and_crops_are_aligned(tmp_path):
    write_pairs(tmp_path, ["a.png", "b.png", "sub/c.png"], same=True)
    data = build_dataset(DataConfig(name=str(tmp_path), image_size=8))
    assert data.name == "paired-folders" and len(data) == 3
    assert data.info.pairing == "paired" and data.info.y_shape == (3, 8, 8)
    batch = data.batch(5, 6, seed=1)
    assert batch.x.shape == (6, 3, 8, 8)
    assert torch.equal(batch.x, batch.y)  # same window (and flip) of input and target
    again = data.batch(5, 6, seed=1)
    assert torch.equal(batch.x, again.x)  # a pure function of (seed, step)
    shards = [data.batch(5, 6, seed=1, rank=r, world_size=2).x for r in (0, 1)]
    assert torch.equal(torch.cat([shards[0][:1], shards[1][:1]]), batch.x[:2])
    assert not torch.equal(data.batch(6, 6, seed=1).x, batch.x)


def test_paired_folder_test_split_and_held_out(tmp_path):
    write_pairs(tmp_path, ["a.png", "b.png"])
    write_pairs(tmp_path / "test", ["t.png"], size=(30, 11))
    data = build_dataset(DataConfig(name=str(tmp_path), image_size=8))
    pairs = data.held_out_pairs()
    assert len(pairs) == 1 and pairs[0][0].shape == (1, 3, 30, 11)
    held = data.held_out(3)
    assert held.x.shape == (3, 3, 8, 8) and held.y.shape == (3, 3, 8, 8)


def test_paired_folder_names_must_match(tmp_path):
    write_pairs(tmp_path, ["a.png", "b.png"])
    Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(tmp_path / "input" / "c.png")
    with pytest.raises(UserError, match=r"1 file name\(s\).*'c.png' is only in input/"):
        build_dataset(DataConfig(name=str(tmp_path), image_size=8))


def test_paired_folder_names_pairs_too_large_for_pillow(tmp_path, monkeypatch):
    """An input above Pillow's limit against decompression bombs is named with its size."""
    write_pairs(tmp_path, ["a.png", "big.png"], size=(8, 8))
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "input" / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 16 x 16 > 200: refused by Pillow
    with pytest.warns(UserWarning, match=r"skipped 'big.png': 16 x 16 pixels, above Pillow's"):
        data = build_dataset(DataConfig(name=str(tmp_path), image_size=8))
    assert len(data) == 1
    (tmp_path / "input" / "a.png").unlink()
    (tmp_path / "target" / "a.png").unlink()
    with pytest.raises(UserError, match=r"no readable pairs \(checked 1, 0 unreadable, 1 too"):
        build_dataset(DataConfig(name=str(tmp_path), image_size=8))


def test_degrade_is_a_darker_noisier_copy_and_deterministic():
    photo = np.full((32, 32, 3), 200, np.uint8)
    first = degrade(photo, np.random.default_rng(3))
    assert first.shape == photo.shape and first.dtype == np.uint8
    assert first.mean() < 0.8 * photo.mean()
    assert np.array_equal(first, degrade(photo, np.random.default_rng(3)))


def test_photo_pairs_holds_out_regions_of_the_photos():
    data = build_dataset(DataConfig(name="photo-pairs", image_size=32))
    assert data.info.pairing == "paired" and data.info.shape == (3, 32, 32)
    pairs = data.held_out_pairs()
    assert len(pairs) >= 6 and len(data.names) == len(pairs)
    for x, y in pairs:
        assert x.shape == y.shape and x.mean() < y.mean()  # degraded inputs are darker
    train_width = data.pairs[0][0].shape[-1]
    assert train_width + pairs[0][0].shape[-1] == 640  # the two parts of china.jpg
    batch = data.batch(0, 4, seed=0)
    assert batch.x.shape == batch.y.shape == (4, 3, 32, 32)


def test_photo_clips_pan_across_the_pairs():
    data = build_dataset(DataConfig(name="photo-clips", image_size=16, frames=3, flip=False))
    assert data.info.kind == "video" and data.info.shape == (3, 3, 16, 16)
    batch = data.batch(0, 2, seed=0)
    assert batch.x.shape == batch.y.shape == (2, 3, 3, 16, 16)
    assert torch.equal(batch.y[:, :, 1, :, :-2], batch.y[:, :, 0, :, 2:])  # 2 px to the right
    x, y = data.held_out_pairs()[0]
    assert x.shape[:3] == (1, 3, 3) and x.shape == y.shape
    with pytest.raises(UserError, match="data.frames of at least 2"):
        build_dataset(DataConfig(name="photo-clips", frames=1))
