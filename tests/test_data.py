"""Tests of swgen.data: determinism, rank sharding, epochs, every dataset's shapes, IDX, folders."""

from __future__ import annotations

import contextlib
import gzip
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.data import (
    DataConfig,
    DataInfo,
    GaussianMixture,
    InMemoryImages,
    build_dataset,
    read_idx,
    write_idx,
)
from swgen.data import mnist as mnist_module
from swgen.data.memory import bicubic_matrix, grayscale_to_uint8
from swgen.errors import UserError

TOYS = ["gaussians8", "gaussians25", "swissroll"]


# --- fixtures: tiny IDX files and image folders written by the tests ------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX bytes written by hand (uint8 only), independent of ``write_idx``."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_mnist(folder: Path, count: int = 20, gz: bool = True, split: str = "train") -> np.ndarray:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", labels)
    return images


def save_image(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def image_folder(root: Path) -> Path:
    """Two readable images (PNG, JPEG) in nested folders, one corrupt PNG and a non-image file."""
    rng = np.random.default_rng(1)
    save_image(root / "a" / "one.png", rng.integers(0, 256, (40, 30, 3), dtype=np.uint8))
    save_image(root / "b" / "c" / "two.JPG", rng.integers(0, 256, (24, 50, 3), dtype=np.uint8))
    (root / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    (root / "notes.txt").write_text("not an image")
    return root


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    tiny_mnist(root / "mnist")
    tiny_mnist(root / "fashion", gz=False, split="t10k")
    image_folder(root / "images")
    return root


def config_for(name: str, data_dir: Path, **overrides: object) -> DataConfig:
    paths = {
        "mnist": data_dir / "mnist",
        "fashion-mnist": data_dir / "fashion",
        "folder": data_dir / "images",
    }
    path = str(paths[name]) if name in paths else None
    return DataConfig(name=name, path=path, **overrides)


def build(name: str, data_dir: Path, **overrides: object):
    """The dataset ``name`` on the test's files (the test folder warns of its corrupt file)."""
    with pytest.warns(UserWarning) if name == "folder" else contextlib.nullcontext():
        return build_dataset(config_for(name, data_dir, **overrides))


ALL = TOYS + ["digits", "mnist", "fashion-mnist", "folder"]


# --- the contract: determinism and sharding ------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_batches_are_pure_functions_of_seed_and_step(name: str, data_dir: Path) -> None:
    data = build(name, data_dir, limit=200)
    a = data.batch(3, 8, seed=0).x
    assert torch.equal(a, data.batch(3, 8, seed=0).x)
    assert torch.equal(a, build(name, data_dir, limit=200).batch(3, 8, seed=0).x)
    assert not torch.equal(a, data.batch(4, 8, seed=0).x)
    assert not torch.equal(a, data.batch(3, 8, seed=1).x)
    assert a.dtype == torch.float32


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("batch_size", [8, 7])
def test_rank_slices_partition_the_global_batch(name: str, batch_size: int, data_dir: Path) -> None:
    data = build(name, data_dir, limit=200)
    full = data.batch(5, batch_size, seed=2).x
    parts = [data.batch(5, batch_size, seed=2, rank=r, world_size=2).x for r in range(2)]
    assert len(parts[0]) + len(parts[1]) == batch_size
    assert torch.equal(parts[0], full[0::2])
    assert torch.equal(parts[1], full[1::2])


def labelled(count: int) -> InMemoryImages:
    """Image ``i`` is filled with the value ``i``, so a batch tells which samples it holds."""
    values = torch.arange(count, dtype=torch.uint8).view(count, 1, 1, 1)
    return InMemoryImages("labelled", values.expand(count, 1, 2, 2).contiguous())


def sample_ids(batch: torch.Tensor) -> list[int]:
    return torch.round((batch[:, 0, 0, 0] + 1) * 127.5).long().tolist()


@pytest.mark.parametrize("batch_size", [10, 7, 64])
def test_each_epoch_visits_every_sample_once(batch_size: int) -> None:
    data = labelled(50)
    steps = math.ceil(150 / batch_size)
    order = sum((sample_ids(data.batch(s, batch_size, seed=3).x) for s in range(steps)), [])
    epochs = [order[i * 50 : (i + 1) * 50] for i in range(3)]
    for epoch in epochs:
        assert sorted(epoch) == list(range(50))
    assert epochs[0] != epochs[1] and epochs[0] != list(range(50))


def test_finite_sample_is_deterministic_and_distinct() -> None:
    data = labelled(50)
    ids = sample_ids(data.sample(50, seed=4))
    assert sorted(ids) == list(range(50))
    assert ids == sample_ids(data.sample(50, seed=4))
    assert ids != sample_ids(data.sample(50, seed=5))
    assert len(data.sample(120, seed=4)) == 120


@pytest.mark.parametrize("name", TOYS)
def test_toy_sample_is_deterministic(name: str) -> None:
    data = build_dataset(DataConfig(name=name))
    assert torch.equal(data.sample(100, seed=1), data.sample(100, seed=1))
    assert not torch.equal(data.sample(100, seed=1), data.sample(100, seed=2))


# --- shapes and ranges ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["digits", "mnist", "fashion-mnist", "folder"])
@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_image_datasets_shapes_and_ranges(
    name: str, size: int, channels: int, data_dir: Path
) -> None:
    data = build(name, data_dir, image_size=size, channels=channels, limit=300)
    assert (data.info.kind, data.info.shape) == ("images", (channels, size, size))
    assert data.info.num_classes == (2 if name == "folder" else 10)  # subfolders a/ and b/
    x = data.batch(0, 16, seed=0).x
    assert x.shape == (16, channels, size, size)  # the folder's 2 images wrap over epochs
    assert x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1 and x.std() > 0.05
    if channels == 3 and name != "folder":  # grayscale replicated
        assert torch.equal(x[:, 0], x[:, 2])
    saved = data.to_data_space(x)
    assert saved.min() >= 0 and saved.max() <= 1


@pytest.mark.parametrize("name", TOYS)
def test_toys_are_2d_points(name: str) -> None:
    data = build_dataset(DataConfig(name=name, image_size=64, channels=3))
    assert data.info == DataInfo("points", (2,))
    x = data.batch(0, 1000, seed=0).x
    assert x.shape == (1000, 2) and x.dtype == torch.float32
    assert 0.5 < x.std().item() < 1.6  # the networks see every toy at about unit scale
    torch.testing.assert_close(data.to_data_space(x) / data.model_scale, x)


def test_digits_default_and_limit() -> None:
    data = build_dataset(DataConfig())
    assert data.name == "digits" and len(data) == 1797
    assert data.info == DataInfo("images", (1, 32, 32), 10, tuple("0123456789"))
    assert data.labels is not None and data.labels.tolist()[:3] == [0, 1, 2]
    assert len(build_dataset(DataConfig(limit=100))) == 100


# --- toys: the distributions themselves -----------------------------------------------------


def test_gaussians25_samples_lie_near_their_modes() -> None:
    data = build_dataset(DataConfig(name="gaussians25"))
    assert isinstance(data, GaussianMixture)
    assert data.modes.shape == (25, 2) and data.mode_std == 0.05
    assert sorted(set(data.modes[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    x = data.to_data_space(data.batch(0, 20000, seed=0).x)
    distance, nearest = torch.cdist(x, data.modes).min(dim=1)
    counts = torch.bincount(nearest, minlength=25)
    assert counts.min() > 20000 / 25 * 0.8  # every mode hit, roughly equally
    # Distance to the centre of a 2D isotropic Gaussian is Rayleigh: mean std * sqrt(pi / 2).
    assert distance.mean().item() == pytest.approx(0.05 * math.sqrt(math.pi / 2), rel=0.05)
    assert distance.max() < 0.05 * 6


def test_gaussians8_modes_on_circle_of_radius_2() -> None:
    data = build_dataset(DataConfig(name="gaussians8"))
    assert data.modes.shape == (8, 2) and data.mode_std == 0.02
    assert torch.allclose(data.modes.norm(dim=1), torch.full((8,), 2.0))
    x = data.to_data_space(data.sample(4000))
    distance, nearest = torch.cdist(x, data.modes).min(dim=1)
    assert torch.bincount(nearest, minlength=8).min() > 350
    assert distance.mean().item() == pytest.approx(0.02 * math.sqrt(math.pi / 2), rel=0.1)


def test_swissroll_spans_about_minus_2_to_2() -> None:
    x = build_dataset(DataConfig(name="swissroll")).sample(5000)
    assert x.abs().max() < 2.5 and x.abs().max() > 1.5
    radius = x.norm(dim=1)
    assert radius.min() > 0.3  # the roll starts at t = 1.5 pi, away from the origin


# --- IDX reader ----------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_hand_written_file(tmp_path: Path, gz: bool) -> None:
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(array)
    path = tmp_path / ("x.idx.gz" if gz else "x.idx")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    assert np.array_equal(read_idx(path), array)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip_big_endian(tmp_path: Path, dtype: type) -> None:
    array = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    write_idx(tmp_path / "x.gz", array)
    back = read_idx(tmp_path / "x.gz")
    assert back.dtype == np.dtype(dtype) and np.array_equal(back, array)
    raw = gzip.decompress((tmp_path / "x.gz").read_bytes())
    assert raw[12:] == array.astype(np.dtype(dtype).newbyteorder(">")).tobytes()


def corrupt_files(tmp_path: Path) -> dict[str, Path]:
    good = idx_bytes(np.zeros((4, 5, 5), dtype=np.uint8))
    files = {
        "bad magic": b"\x08\x03\x00\x00" + good[4:],
        "unknown type": b"\x00\x00\x07\x03" + good[4:],
        "truncated data": good[:-3],
        "extra data": good + b"\x00",
        "truncated header": good[:9],
        "empty": b"",
    }
    paths = {}
    for reason, raw in files.items():
        paths[reason] = tmp_path / f"{reason.replace(' ', '-')}.idx"
        paths[reason].write_bytes(raw)
    paths["truncated gzip"] = tmp_path / "truncated.gz"
    paths["truncated gzip"].write_bytes(gzip.compress(good)[:-10])
    paths["missing"] = tmp_path / "missing-idx3-ubyte"
    return paths


def test_read_idx_corrupt_files_raise_one_line_user_errors(tmp_path: Path) -> None:
    for reason, path in corrupt_files(tmp_path).items():
        with pytest.raises(UserError) as caught:
            read_idx(path)
        message = str(caught.value)
        assert str(path) in message and "\n" not in message, reason


def test_mnist_reads_idx_folder(data_dir: Path) -> None:
    images = tiny_mnist(data_dir / "plain", gz=False)
    data = build_dataset(DataConfig(name="mnist", path=str(data_dir / "plain"), image_size=28))
    assert len(data) == 20 and data.labels.tolist()[:11] == list(range(10)) + [0]
    # image_size 28: no resize, so the uint8 pixels come back exactly
    assert torch.equal(data.images[:, 0], torch.from_numpy(images))


def test_mnist_accepts_dotted_names_and_the_images_file(tmp_path: Path) -> None:
    images = np.full((3, 28, 28), 200, dtype=np.uint8)
    write_idx(tmp_path / "train-images.idx3-ubyte", images)
    data = build_dataset(DataConfig(name="mnist", path=str(tmp_path)))
    assert len(data) == 3 and data.labels is None
    data = build_dataset(DataConfig(name="mnist", path=str(tmp_path / "train-images.idx3-ubyte")))
    assert len(data) == 3


def test_mnist_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="needs data.path"):
        build_dataset(DataConfig(name="mnist"))
    with pytest.raises(UserError, match="train-images-idx3-ubyte"):
        build_dataset(DataConfig(name="mnist", path=str(tmp_path)))
    with pytest.raises(UserError, match="does not exist"):
        build_dataset(DataConfig(name="mnist", path=str(tmp_path / "nowhere")))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((2, 4), np.uint8)))
    with pytest.raises(UserError, match=r"not uint8 images \(N, H, W\)"):
        build_dataset(DataConfig(name="mnist", path=str(tmp_path)))


def test_fashion_mnist_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist_module, "DEBIAN_FASHION_MNIST", tmp_path / "absent")
    with pytest.raises(UserError, match="apt-get install dataset-fashion-mnist"):
        build_dataset(DataConfig(name="fashion-mnist"))
    tiny_mnist(tmp_path / "debian")
    monkeypatch.setattr(mnist_module, "DEBIAN_FASHION_MNIST", tmp_path / "debian")
    assert len(build_dataset(DataConfig(name="fashion-mnist"))) == 20


def test_debian_fashion_mnist_location_is_the_package_path() -> None:
    assert mnist_module.DEBIAN_FASHION_MNIST == Path("/usr/share/datasets/fashion-mnist")


# --- image folders ---------------------------------------------------------------------------


def test_folder_skips_and_counts_corrupt_files(data_dir: Path) -> None:
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        data = build_dataset(DataConfig(name="folder", path=str(data_dir / "images")))
    assert len(data) == 2 and data.skipped == 1
    assert data.info == DataInfo("images", (3, 32, 32), 2, ("a", "b"))  # classes: subfolders


def test_folder_given_as_the_dataset_name(data_dir: Path) -> None:
    with pytest.warns(UserWarning):
        data = build_dataset(DataConfig(name=str(data_dir / "images"), channels=1))
    assert data.name == "folder" and data.info.shape == (1, 32, 32)


def test_folder_grayscale_vs_rgb(tmp_path: Path) -> None:
    red = np.zeros((20, 20, 3), dtype=np.uint8)
    red[..., 0] = 255
    save_image(tmp_path / "red.png", red)
    rgb = build_dataset(DataConfig(name=str(tmp_path), image_size=8)).batch(0, 1, seed=0).x[0]
    assert rgb.shape == (3, 8, 8)
    assert torch.allclose(rgb[0], torch.ones(8, 8)) and torch.allclose(rgb[1], -torch.ones(8, 8))
    gray = build_dataset(DataConfig(name=str(tmp_path), image_size=8, channels=1))
    luma = gray.batch(0, 1, seed=0).x[0]
    assert luma.shape == (1, 8, 8)
    assert torch.allclose(luma, torch.full_like(luma, 76 / 127.5 - 1))  # L = 0.299 R


@pytest.mark.parametrize("wide", [True, False])
def test_folder_crops_non_square_images_to_the_centre(tmp_path: Path, wide: bool) -> None:
    stripes = np.zeros((20, 60, 3), dtype=np.uint8)  # red | green | blue thirds
    for third in range(3):
        stripes[:, 20 * third : 20 * (third + 1), third] = 255
    image = stripes if wide else stripes.transpose(1, 0, 2).copy()
    save_image(tmp_path / "stripes.png", image)
    x = build_dataset(DataConfig(name=str(tmp_path), image_size=16)).batch(0, 1, seed=0).x[0]
    assert x.shape == (3, 16, 16)
    colour = (x + 1) / 2
    inner = colour[:, 2:-2, 2:-2]  # away from the bicubic blend at the crop edges
    assert inner[1].min() > 0.9 and inner[0].max() < 0.1 and inner[2].max() < 0.1


def test_folder_limit_keeps_first_sorted_images(tmp_path: Path) -> None:
    for i in range(5):
        save_image(tmp_path / f"{i}.png", np.full((8, 8), 50 * i, dtype=np.uint8))
    data = build_dataset(DataConfig(name=str(tmp_path), image_size=8, channels=1, limit=3))
    assert len(data) == 3
    assert sorted(sample_ids(data.sample(3))) == [0, 50, 100]


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(
        UserError, match=r"has no readable images \(checked 0 files, 0 unreadable\)"
    ):
        build_dataset(DataConfig(name="folder", path=str(tmp_path)))
    (tmp_path / "bad.jpg").write_bytes(b"garbage")
    with pytest.raises(UserError, match="checked 1 files, 1 unreadable"):
        build_dataset(DataConfig(name="folder", path=str(tmp_path)))
    with pytest.raises(UserError, match="does not exist"):
        build_dataset(DataConfig(name="folder", path=str(tmp_path / "nowhere")))
    with pytest.raises(UserError, match="needs data.path"):
        build_dataset(DataConfig(name="folder"))


def test_folder_names_images_too_large_for_pillow(tmp_path: Path, monkeypatch) -> None:
    """Pillow refuses more than 2 * MAX_IMAGE_PIXELS pixels (a 30000 x 30000 PNG by default) as a
    possible decompression bomb: such a valid image is skipped with its size, not called
    unreadable; above MAX_IMAGE_PIXELS it is read, with a warning naming it (the limit is
    lowered here so that the files stay tiny)."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    save_image(tmp_path / "huge.png", np.zeros((16, 14), dtype=np.uint8))  # 224 px: refused
    save_image(tmp_path / "large.png", np.zeros((10, 12), dtype=np.uint8))  # 120 px: warned
    save_image(tmp_path / "small.png", np.zeros((8, 8), dtype=np.uint8))
    with pytest.warns(UserWarning) as caught:
        data = build_dataset(DataConfig(name=str(tmp_path), image_size=8))
    said = " | ".join(str(warning.message) for warning in caught)
    assert len(data) == 2 and data.skipped == 1
    assert "skipped 'huge.png': 14 x 16 pixels, above Pillow's limit against decompression" in said
    assert "unreadable" not in said and "downscale it" in said
    assert "large.png' is 12 x 10 pixels, above Pillow's warning threshold" in said
    assert Image.MAX_IMAGE_PIXELS == 100  # reading the header lifted the limit for a moment only
    for name in ("large.png", "small.png"):
        (tmp_path / name).unlink()
    save_image(tmp_path / "huge2.png", np.zeros((20, 20), dtype=np.uint8))
    with pytest.raises(UserError) as refused:
        build_dataset(DataConfig(name=str(tmp_path), image_size=8))
    message = str(refused.value)
    assert "no readable images (checked 2 files, 0 unreadable, 2 too large)" in message
    assert "skipped 2 images above Pillow's limit" in message and "downscale them" in message


# --- names and configuration errors ----------------------------------------------------------


def test_unknown_dataset_name_lists_the_names() -> None:
    with pytest.raises(UserError) as caught:
        build_dataset(DataConfig(name="cifar10-please"))
    message = str(caught.value)
    for name in ["digits", "fashion-mnist", "folder", "gaussians25", "gaussians8", "mnist"]:
        assert name in message
    assert "\n" not in message


def test_bad_channels_and_limit_are_user_errors() -> None:
    with pytest.raises(UserError, match="channels must be 1 or 3"):
        build_dataset(DataConfig(channels=2))
    with pytest.raises(UserError, match="limit"):
        build_dataset(DataConfig(limit=0))


# --- resizing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), [(8, 32), (28, 32), (28, 16), (28, 64)])
def test_bicubic_matrix_matches_pil_per_image(source: int, target: int) -> None:
    rng = np.random.default_rng(0)
    image = rng.random((source, source), dtype=np.float32)
    reference = np.asarray(
        Image.fromarray(image).resize((target, target), Image.Resampling.BICUBIC)
    )
    resize = bicubic_matrix(source, target)
    np.testing.assert_allclose(resize @ image @ resize.T, reference, atol=1e-5)


def test_grayscale_to_uint8_matches_pil_on_non_square_images() -> None:
    rng = np.random.default_rng(2)
    images = rng.random((3, 10, 14), dtype=np.float32)
    pixels = grayscale_to_uint8(images, size=16, channels=1)
    for image, resized in zip(images, pixels[:, 0], strict=True):
        reference = np.asarray(Image.fromarray(image).resize((16, 16), Image.Resampling.BICUBIC))
        expected = np.rint(np.clip(reference, 0, 1) * 255)
        assert np.abs(resized.numpy().astype(float) - expected).max() <= 1


# --- class labels ----------------------------------------------------------------------------


def test_folder_labels_come_from_the_subfolder_names(tmp_path: Path) -> None:
    for name, shade in (("zebra", 0), ("ant", 255), ("cat", 128)):
        for index in range(2):
            save_image(
                tmp_path / name / "deeper" / f"{index}.png", np.full((8, 8), shade, np.uint8)
            )
    data = build_dataset(DataConfig(name=str(tmp_path), image_size=4, channels=1))
    assert data.info.class_names == ("ant", "cat", "zebra") and data.info.num_classes == 3
    batch = data.sample_batch(6)
    shades = batch.x.mean(dim=(1, 2, 3))  # -1 black (zebra), 1 white (ant), ~0 grey (cat)
    expected = {0: 1.0, 1: 0.0, 2: -1.0}
    for label, shade in zip(batch.labels.tolist(), shades.tolist(), strict=True):
        assert shade == pytest.approx(expected[label], abs=0.01)


def test_folder_without_class_subfolders_is_unlabelled(tmp_path: Path) -> None:
    save_image(tmp_path / "top.png", np.zeros((8, 8), np.uint8))
    save_image(tmp_path / "only" / "a.png", np.zeros((8, 8), np.uint8))
    assert not build_dataset(DataConfig(name=str(tmp_path), image_size=4)).info.has_labels
    assert not build_dataset(DataConfig(name=str(tmp_path / "only"), image_size=4)).info.has_labels


def test_fashion_mnist_names_its_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_mnist(tmp_path / "debian")
    monkeypatch.setattr(mnist_module, "DEBIAN_FASHION_MNIST", tmp_path / "debian")
    data = build_dataset(DataConfig(name="fashion-mnist", image_size=8))
    assert data.info.class_names[0] == "T-shirt/top" and data.info.class_names[9] == "Ankle boot"
    assert data.batch(0, 4, seed=0).labels.shape == (4,)
