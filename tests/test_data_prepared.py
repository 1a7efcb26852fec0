"""Tests of swgen.data.prepared: prepared copies serve the in-memory batches, are rebuilt when
the folder changed or the copy is cut, corrupt or of another version, never survive a full disk,
are shared by the processes of one run, and key the cached real statistics of eval."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.data import DataConfig, InMemoryImages, build_dataset, cache_root
from swgen.data import prepared as prepared_module
from swgen.data.folder import load_square_image
from swgen.data.prepared import HEADER, RowFile, clear_copies, recording
from swgen.errors import UserError
from swgen.listing import one_listing_per_folder, relative_posix, scan_files


def write_images(folder: Path, count: int, seed: int = 0, size=(14, 18)) -> list[Path]:
    """``count`` smooth colour images of ``size`` (JPEG and PNG), and one unreadable file."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        low = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
        pixels = np.asarray(Image.fromarray(low).resize(size[::-1], Image.Resampling.BILINEAR))
        path = folder / f"img{index:03d}.{'png' if index % 3 else 'jpg'}"
        Image.fromarray(pixels).save(path)
        paths.append(path)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    return paths


def in_memory(paths: list[Path], size: int, labels=None, class_names=None) -> InMemoryImages:
    """What a folder gave before prepared copies: every image decoded into one tensor."""
    pixels = np.stack([load_square_image(p, size, "RGB") for p in sorted(paths)])
    tensor = torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()
    return InMemoryImages("folder", tensor, labels, class_names)


def copies(folder: Path | None = None) -> list[Path]:
    """The prepared copies in ``folder`` (default: the cache of this test)."""
    folder = cache_root() if folder is None else folder
    return sorted(p for p in folder.iterdir() if (p / HEADER).is_file()) if folder.is_dir() else []


@pytest.fixture
def prepared_cache(tmp_path, monkeypatch) -> Path:
    """A cache of prepared copies of this test alone."""
    monkeypatch.setenv("SWGEN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "prepared"


def test_prepared_copy_gives_the_in_memory_batches(tmp_path, prepared_cache):
    paths = write_images(tmp_path / "photos", 11)
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        data = build_dataset(DataConfig(name=str(tmp_path / "photos"), image_size=8))
    reference = in_memory(paths, 8)
    assert data.info == reference.info and len(data) == 11 and data.skipped == 1
    assert isinstance(data.prepared.rows("images").array, np.memmap)  # read from the file
    for step in range(5):  # several epochs of 11 images in batches of 4
        for rank, world in ((0, 1), (0, 2), (1, 2)):
            got, want = (
                d.batch(step, 4, seed=3, rank=rank, world_size=world) for d in (data, reference)
            )
            assert torch.equal(got.x, want.x)
    assert torch.equal(data.sample(7, seed=2), reference.sample(7, seed=2))
    assert torch.equal(torch.cat(list(data.sample_chunks(7, 2, chunk=3))), data.sample(7, seed=2))
    assert len(copies(prepared_cache)) == 1


def test_class_subfolders_keep_their_labels(tmp_path, prepared_cache):
    cats = write_images(tmp_path / "pets" / "cats", 3, seed=1)
    dogs = write_images(tmp_path / "pets" / "dogs", 4, seed=2)
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        data = build_dataset(DataConfig(name=str(tmp_path / "pets"), image_size=8))
    assert data.info.class_names == ("cats", "dogs")
    labels = torch.tensor([0] * 3 + [1] * 4)
    reference = in_memory(cats + dogs, 8, labels, ("cats", "dogs"))
    got, want = data.batch(2, 5, seed=0), reference.batch(2, 5, seed=0)
    assert torch.equal(got.x, want.x) and torch.equal(got.labels, want.labels)


def test_every_core_decodes_the_same_copy(tmp_path, monkeypatch):
    """The process pool (forced on a tiny folder) writes the bytes one process writes."""
    write_images(tmp_path / "photos", 9)
    config = DataConfig(
        name=str(tmp_path / "photos"), image_size=8, cache_dir=str(tmp_path / "one")
    )
    with pytest.warns(UserWarning):
        serial = build_dataset(config)
    monkeypatch.setattr(prepared_module, "SERIAL_BELOW", 0)
    monkeypatch.setattr(prepared_module, "usable_cores", lambda: 2)
    with pytest.warns(UserWarning):
        pooled = build_dataset(
            DataConfig(**{**config.__dict__, "cache_dir": str(tmp_path / "two")})
        )
    assert torch.equal(serial.images, pooled.images) and pooled.prepared.built


def test_a_second_run_opens_the_copy_without_decoding(tmp_path, prepared_cache, monkeypatch):
    write_images(tmp_path / "photos", 5)
    config = DataConfig(name=str(tmp_path / "photos"), image_size=8, limit=4)
    with pytest.warns(UserWarning):
        first = build_dataset(config)
    assert first.prepared.built and len(first) == 4  # data.limit: the first 4 readable images

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr("swgen.data.folder.decode_in_order", no_decoding)
    with pytest.warns(UserWarning, match="skipped"):  # the count is kept with the copy
        again = build_dataset(config)
    assert not again.prepared.built and torch.equal(first.images, again.images)


def rebuild_notice(config: DataConfig, match: str):
    with pytest.warns(UserWarning) as caught:
        data = build_dataset(config)
    notices = [str(w.message) for w in caught if "prepared copy" in str(w.message)]
    assert len(notices) == 1 and match in notices[0] and "\n" not in notices[0], notices
    assert data.prepared.built
    return data


def test_a_changed_folder_is_prepared_again(tmp_path, prepared_cache):
    paths = write_images(tmp_path / "photos", 4)
    config = DataConfig(name=str(tmp_path / "photos"), image_size=8)
    with pytest.warns(UserWarning):
        build_dataset(config)
    write_images(tmp_path / "more", 1, seed=9)
    shutil.move(tmp_path / "more" / "img000.jpg", tmp_path / "photos" / "new.jpg")
    data = rebuild_notice(config, "the folder changed since it was prepared")
    assert len(data) == 5
    os.utime(paths[0], ns=(1, 1))  # the same files, one touched: its bytes may differ
    rebuild_notice(config, "out of date")
    assert len(copies(prepared_cache)) == 1  # replaced, not added


def corrupt_row(copy: Path, row: int, row_bytes: int) -> None:
    with open(copy / "images.u8", "r+b") as stream:
        stream.seek(row * row_bytes + 5)
        byte = stream.read(1)
        stream.seek(row * row_bytes + 5)
        stream.write(bytes([byte[0] ^ 0xFF]))


def test_cut_corrupt_and_other_version_copies_are_rebuilt(tmp_path, prepared_cache):
    write_images(tmp_path / "photos", 6)
    config = DataConfig(name=str(tmp_path / "photos"), image_size=8)
    with pytest.warns(UserWarning):
        expected = build_dataset(config).images.clone()
    (copy,) = copies(prepared_cache)

    with open(copy / "images.u8", "r+b") as stream:  # cut
        stream.truncate(100)
    assert torch.equal(rebuild_notice(config, "is cut short").images, expected)

    header = (copy / HEADER).read_bytes()
    (copy / HEADER).write_bytes(header.replace(b'"rows"', b'"rowz"', 1))  # checksum fails
    assert torch.equal(rebuild_notice(config, "is corrupt").images, expected)

    body = json.loads(header.rstrip(b"\n").rpartition(b"\n")[0])
    body["format"] = "swgen-prepared-0"  # well-formed, another version
    prepared_module.write_header(copy, body)
    assert torch.equal(rebuild_notice(config, "another format").images, expected)

    corrupt_row(copy, 0, 3 * 8 * 8)  # a row checked on opening
    assert torch.equal(rebuild_notice(config, "do not match their checksums").images, expected)


def test_a_row_damaged_later_is_refused_when_read(tmp_path, prepared_cache, monkeypatch):
    monkeypatch.setattr(prepared_module, "SPOT_CHECKS", 2)  # opening checks rows 0 and 5 only
    write_images(tmp_path / "photos", 6)
    config = DataConfig(name=str(tmp_path / "photos"), image_size=8)
    with pytest.warns(UserWarning):
        build_dataset(config)
    (copy,) = copies(prepared_cache)
    corrupt_row(copy, 3, 3 * 8 * 8)
    with pytest.warns(UserWarning):
        data = build_dataset(config)  # opens: row 3 is not checked yet
    with pytest.raises(UserError, match="is corrupt .row 3 of images") as error:
        data.sample(6)
    assert "\n" not in str(error.value) and not copy.exists()  # removed: the next run rebuilds
    with pytest.warns(UserWarning):
        assert build_dataset(config).prepared.built


def test_a_full_disk_leaves_no_copy(tmp_path, prepared_cache, monkeypatch):
    write_images(tmp_path / "photos", 5)
    config = DataConfig(name=str(tmp_path / "photos"), image_size=8)
    append = RowFile.append

    def fill_up(self, row):
        if len(self.crcs) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        append(self, row)

    monkeypatch.setattr(RowFile, "append", fill_up)
    with pytest.raises(UserError, match="filled up while preparing") as error:
        build_dataset(config)
    assert "\n" not in str(error.value) and "nothing was kept" in str(error.value)
    assert copies(prepared_cache) == []
    assert not [p for p in prepared_cache.iterdir() if ".partial-" in p.name]
    monkeypatch.setattr(RowFile, "append", append)

    class Usage:
        free = 10

    monkeypatch.setattr(prepared_module.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(UserError, match=r"needs 1.15 kB .* which has 10 bytes free"):
        build_dataset(config)
    monkeypatch.undo()
    monkeypatch.setenv("SWGEN_CACHE", str(prepared_cache.parent))
    with pytest.warns(UserWarning):
        assert len(build_dataset(config)) == 5


def test_a_cache_inside_the_data_folder_is_refused(tmp_path):
    write_images(tmp_path / "photos", 2)
    inside = DataConfig(
        name=str(tmp_path / "photos"), image_size=8, cache_dir=str(tmp_path / "photos" / "c")
    )
    with pytest.raises(UserError, match="is inside the data folder"):
        build_dataset(inside)


def test_every_layout_reads_a_prepared_copy(tmp_path, prepared_cache):
    from test_data_paired import write_pairs
    from test_data_two_domain import two_domain_folder
    from test_data_video import write_gif

    two_domain_folder(tmp_path / "domains")
    write_pairs(tmp_path / "pairs", ["a.png", "b.png"])
    (tmp_path / "videos").mkdir()
    write_gif(tmp_path / "videos" / "a.gif", 9)
    configs = {
        "two-domain": DataConfig(name=str(tmp_path / "domains"), image_size=8, load_size=10),
        "paired-folders": DataConfig(name=str(tmp_path / "pairs"), image_size=8),
        "video-folder": DataConfig(
            name="video-folder", path=str(tmp_path / "videos"), image_size=8, frames=4
        ),
    }
    for name, config in configs.items():
        with recording() as first:
            data = build_dataset(config)
        with recording() as second:
            again = build_dataset(config)
        assert first and all(c.built for c in first), name
        assert second and not any(c.built for c in second), name
        assert torch.equal(data.batch(1, 4, seed=0).x, again.batch(1, 4, seed=0).x), name
    data = build_dataset(configs["two-domain"])  # held out: centre crops of the loaded images
    crops = data.domains["A"].images[..., 1:9, 1:9].contiguous()  # 10 px loaded, 8 px served
    assert data.held_out_domains["A"].info.shape == (3, 8, 8)
    assert torch.equal(data.sample(5), InMemoryImages("A", crops, stream=(1,)).sample(5))


def test_scan_files_lists_what_rglob_lists(tmp_path):
    write_images(tmp_path / "a" / "b", 2)
    (tmp_path / "notes.txt").write_text("x")
    listed = [entry.path for entry in scan_files(tmp_path)]
    assert listed == sorted(p for p in tmp_path.rglob("*") if p.is_file())
    images = scan_files(tmp_path, frozenset({".png"}))
    assert [e.path.suffix for e in images] == [".png"] * 2
    assert all(e.size == e.path.stat().st_size for e in images)


def test_scan_files_sorts_as_paths_do_and_lists_once_per_command(tmp_path, monkeypatch):
    # "a/b" sorts before "a-b" as paths, after it as strings: the order batches are drawn in.
    for name in ("a-b.png", "a/b.png", "a/c/d.png", "a.png", "B.png", "a0.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    listed = [entry.path for entry in scan_files(tmp_path)]
    assert listed == sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [relative_posix(p, tmp_path) for p in listed] == [
        p.relative_to(tmp_path).as_posix() for p in listed
    ]
    walks = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: walks.append(path) or real_scandir(path))
    with one_listing_per_folder():
        first = scan_files(tmp_path)
        (tmp_path / "late.png").write_bytes(b"x")  # not seen: one listing per command
        assert scan_files(tmp_path) == first
        assert [e.path.name for e in scan_files(tmp_path, frozenset({".png"}))] == [
            e.path.name for e in first
        ]
    assert len(walks) == 3  # the root and its two folders, once
    assert len(scan_files(tmp_path)) == len(first) + 1  # outside a command: listed afresh


def test_swgen_prepare_and_clear(tmp_path, prepared_cache, capsys):
    write_images(tmp_path / "photos", 3)
    assert main(["prepare", str(tmp_path / "photos"), "--size", "8"]) == 0
    out = capsys.readouterr().out
    assert "3 images of shape (3, 8, 8)" in out and "prepared in" in out
    assert str(prepared_cache) in out
    assert main(["train", "--data", str(tmp_path / "photos"), "--out", str(tmp_path / "run"),
                 "--model", "gan", "data.image_size=8", "model.width=4", "train.batch_size=2",
                 "train.steps=1", "train.progress=false"]) == 0  # fmt: skip
    assert len(copies(prepared_cache)) == 1  # the run opened the copy made ahead
    assert main(["prepare", str(tmp_path / "photos"), "--size", "8"]) == 0
    assert "already prepared" in capsys.readouterr().out
    assert main(["prepare", "--clear"]) == 0
    assert "removed 1 prepared copy" in capsys.readouterr().out and copies(prepared_cache) == []
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "clip.gif").write_bytes(b"GIF89a")
    for argv, message in [
        (["prepare", str(tmp_path / "photos")], "--size"),
        (["prepare"], "give a folder"),
        (["prepare", str(tmp_path / "none"), "--size", "8"], "not an existing folder"),
        (["prepare", str(tmp_path / "photos"), "--size", "0"], "--size must"),
        (["prepare", str(tmp_path / "photos"), "--clear"], "not both"),
        (["prepare", str(tmp_path / "photos"), "--size", "8", "--limit", "0"], "--limit must"),
        (["prepare", str(tmp_path / "videos"), "--size", "8"], "add --video"),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("swgen: ") and "\n" not in err and message in err, err


def test_two_processes_read_one_copy_and_train_the_one_process_run(tmp_path, prepared_cache):
    """Both ranks of a torchrun launch open one prepared copy (the first to come prepares it,
    the other waits for it) and train the run one process trains."""
    from distributed_check import OVERRIDES
    from swgen.config import resolve
    from swgen.train.engine import Trainer
    from swgen.train.run_folder import RunFolder
    from test_distributed import assert_same_losses, run

    write_images(tmp_path / "photos", 12)
    (tmp_path / "photos" / "broken.png").unlink()
    extra = [f"data.name={tmp_path / 'photos'}", "data.image_size=16", "model.latent_dim=8"]
    run([str(Path(__file__).with_name("distributed_check.py")), str(tmp_path / "two"), "dcgan",
         *extra], tmp_path)  # fmt: skip
    assert (tmp_path / "two" / "ranks.txt").read_text().split() == ["2", "True"]
    assert len(copies(prepared_cache)) == 1
    config = resolve(overrides=["model.name=dcgan", *OVERRIDES, *extra])
    Trainer(config, RunFolder(tmp_path / "one")).fit()

    assert_same_losses(tmp_path / "one", tmp_path / "two", steps=4)


def test_eval_statistics_of_a_folder_are_cached_and_equal_fresh_ones(
    tmp_path, prepared_cache, monkeypatch
):
    from swgen.metrics import reference as reference_module
    from swgen.metrics import reference_statistics

    write_images(tmp_path / "photos", 7)
    config = DataConfig(name=str(tmp_path / "photos"), image_size=16)
    with pytest.warns(UserWarning):
        first = reference_statistics(config, "digits", 5, cache_dir=tmp_path / "stats")
    with pytest.warns(UserWarning):
        fresh = reference_statistics(config, "digits", 5, cache_dir=tmp_path / "other")

    def no_data(*args, **kwargs):
        raise AssertionError("the real images were read again")

    monkeypatch.setattr(reference_module, "build_dataset", no_data)
    cached = reference_statistics(config, "digits", 5, cache_dir=tmp_path / "stats")
    for a, b in ((first, cached), (fresh, cached)):
        assert np.array_equal(a.mu, b.mu) and np.array_equal(a.sigma, b.sigma)
        assert np.array_equal(a.features, b.features) and a.n == b.n == 5
    # Another cache folder for prepared copies is the same data; a changed folder is not.
    moved = DataConfig(**{**config.__dict__, "cache_dir": str(tmp_path / "elsewhere")})
    assert reference_statistics(moved, "digits", 5, cache_dir=tmp_path / "stats").n == 5
    write_images(tmp_path / "extra", 1, seed=5)
    shutil.move(tmp_path / "extra" / "img000.jpg", tmp_path / "photos" / "zz.jpg")
    with pytest.raises(AssertionError, match="read again"):
        reference_statistics(config, "digits", 5, cache_dir=tmp_path / "stats")


def test_clear_copies_touches_only_copies(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("x")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / HEADER).write_text("{}")
    (tmp_path / ".copy.lock").write_text("")
    assert clear_copies(tmp_path) == (1, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
