"""Runs that travel: a run trained on a relative folder works from any directory, samples and
translates with its training folder gone, and is pointed at a moved folder with --data NEW;
with the set-up failures and output limits of issue 44."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.data import folder_fingerprint
from swgen.train.checkpoint import load_trained

QUIET = "train.progress=false"
TINY_GAN = ["data.image_size=8", "model.width=4", "train.batch_size=4", "train.steps=1"]
TINY_CYCLE = [
    "data.image_size=8", "model.width=2", "model.critic_width=2", "model.n_blocks=1",
    "train.batch_size=2", "train.steps=1",
]  # fmt: skip


def write_images(folder: Path, count: int, red: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(red + count)
    for index in range(count):
        pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        pixels[..., 0] = red
        Image.fromarray(pixels).save(folder / f"{index}.png")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Runs trained from inside ``project/`` on the relative folders ``photos`` and ``domains``."""
    root = tmp_path_factory.mktemp("project")
    write_images(root / "photos", 8, 100)
    write_images(root / "domains" / "trainA", 4, 0)
    write_images(root / "domains" / "trainB", 4, 255)
    here = os.getcwd()
    os.chdir(root)
    try:
        gan = ["train", QUIET, "--model", "dcgan", "--data", "photos", *TINY_GAN]
        assert main([*gan, "--out", "runs/gan"]) == 0
        cycle = ["train", QUIET, "--model", "cyclegan", "--data", "domains", *TINY_CYCLE]
        assert main([*cycle, "--out", "runs/cycle"]) == 0
    finally:
        os.chdir(here)
    return root


def test_a_run_records_its_data_folder_absolutely_with_what_it_held(project):
    config = (project / "runs" / "gan" / "config.yaml").read_text()
    assert f"name: {project / 'photos'}" in config
    state = torch.load(project / "runs" / "gan" / "checkpoints" / "last.pt", weights_only=True)
    record = state["data"]
    assert record["folder"] == str(project / "photos")
    assert (record["files"], record["fingerprint"]) == folder_fingerprint(project / "photos")
    assert record["info"]["shape"] == [3, 8, 8] and record["info"]["kind"] == "images"


def test_fingerprint_follows_names_and_sizes_not_places_or_times(tmp_path):
    write_images(tmp_path / "a", 3, 0)
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # a copy: other modification times
    os.utime(tmp_path / "b" / "0.png", (0, 0))
    assert folder_fingerprint(tmp_path / "a") == folder_fingerprint(tmp_path / "b")
    (tmp_path / "b" / "2.png").rename(tmp_path / "b" / "3.png")
    assert folder_fingerprint(tmp_path / "b")[1] != folder_fingerprint(tmp_path / "a")[1]


def test_every_command_works_from_another_directory(project, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    gan, cycle = str(project / "runs" / "gan"), str(project / "runs" / "cycle")
    assert main(["sample", gan, "-n", "4", "-o", "s.png"]) == 0
    assert main(["sample", cycle, "-n", "2", "-o", "t.png"]) == 0
    assert main(["eval", gan, "--n", "8"]) == 0
    assert main(["eval", cycle, "-n", "2"]) == 0
    translate = ["translate", cycle, "--input", str(project / "domains" / "trainA")]
    assert main([*translate, "-o", "translated"]) == 0
    assert len(list((elsewhere / "translated").glob("*.png"))) == 4
    copy = tmp_path / "gan-copy"
    shutil.copytree(gan, copy)
    assert main(["train", QUIET, "--resume", str(copy), "train.steps=2"]) == 0


def test_sample_and_translate_need_no_training_data_and_eval_names_the_missing_folder(
    project, tmp_path, capsys
):
    gan, cycle = project / "runs" / "gan", project / "runs" / "cycle"
    (project / "photos").rename(project / "photos-moved")
    (project / "domains").rename(project / "domains-moved")
    try:
        assert main(["sample", str(gan), "-n", "4", "-o", str(tmp_path / "s.png")]) == 0
        assert main(["sample", str(gan), "-n", "4", "-o", str(tmp_path / "s.npy")]) == 0
        assert main(["explore", str(gan), "-o", str(tmp_path / "strips")]) == 0
        inputs = project / "domains-moved" / "trainB"
        translate = ["translate", str(cycle), "--input", str(inputs), "--direction", "BtoA"]
        assert main([*translate, "-o", str(tmp_path / "t")]) == 0
        capsys.readouterr()
        # What needs real samples says which folder is missing and how to point at the new one.
        assert main(["eval", str(gan), "--n", "8"]) == 2
        error = capsys.readouterr().err
        assert f"the data folder '{project / 'photos'}' (8 files at training time)" in error
        assert "give its new location with --data NEW" in error
        assert main(["sample", str(cycle), "-n", "2", "-o", str(tmp_path / "t.png")]) == 2
        assert "--data NEW" in capsys.readouterr().err
        moved = str(project / "photos-moved")
        assert main(["eval", str(gan), "--n", "8", "--data", moved]) == 0
        domains = str(project / "domains-moved")
        assert main(["sample", str(cycle), "-n", "2", "-o", str(tmp_path / "t.png"), "--data",
                     domains]) == 0  # fmt: skip
        copy = tmp_path / "gan-copy"
        shutil.copytree(gan, copy)
        assert main(["train", QUIET, "--resume", str(copy), "train.steps=2", "--data", moved]) == 0
        assert f"name: {moved}" in (copy / "config.yaml").read_text()
    finally:
        (project / "photos-moved").rename(project / "photos")
        (project / "domains-moved").rename(project / "domains")


def test_a_changed_folder_is_used_with_a_warning(project, tmp_path):
    copy = tmp_path / "photos"
    shutil.copytree(project / "photos", copy)
    (copy / "7.png").unlink()
    with pytest.warns(UserWarning, match="now holds 7 files, and not the same ones as the 8"):
        assert main(["eval", str(project / "runs" / "gan"), "--n", "8", "--data", str(copy)]) == 0


def test_streamed_npy_samples_equal_the_in_memory_ones(project, tmp_path):
    out = tmp_path / "s.npy"
    assert main(["sample", str(project / "runs" / "gan"), "-n", "1100", "-o", str(out)]) == 0
    expected = load_trained(project / "runs" / "gan").sample(1100).numpy()
    assert np.array_equal(np.load(out), expected)
    assert [p.name for p in tmp_path.iterdir()] == ["s.npy"]  # no temporary left behind


def test_npy_beyond_the_free_disk_is_refused_before_sampling(project, tmp_path, monkeypatch):
    free = shutil.disk_usage(tmp_path)._replace(free=1000)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: free)
    out = tmp_path / "s.npy"
    assert main(["sample", str(project / "runs" / "gan"), "-n", "64", "-o", str(out)]) == 2
    assert list(tmp_path.iterdir()) == []


def test_sample_overwrite_replaces_only_when_asked(project, tmp_path):
    out = tmp_path / "s.png"
    out.write_bytes(b"mine")
    assert main(["sample", str(project / "runs" / "gan"), "-n", "4", "-o", str(out)]) == 2
    assert out.read_bytes() == b"mine"
    assert main(["sample", str(project / "runs" / "gan"), "-n", "4", "-o", str(out),
                 "--overwrite"]) == 0  # fmt: skip
    assert out.read_bytes().startswith(b"\x89PNG")


def test_a_run_that_crashes_before_its_first_checkpoint_leaves_nothing_behind(
    project, tmp_path, monkeypatch
):
    from swgen.models.gan import GAN

    def crash(self, batch, step):
        raise RuntimeError("a bug inside the model")

    out = tmp_path / "run"
    argv = ["train", QUIET, "--model", "dcgan", "--data", str(project / "photos"), *TINY_GAN]
    with monkeypatch.context() as patch:
        patch.setattr(GAN, "train_step", crash)
        with pytest.raises(RuntimeError, match="a bug inside the model"):
            main([*argv, "--out", str(out)])
    assert not out.exists()
    assert main([*argv, "--out", str(out)]) == 0  # the same command, again


def test_explore_reruns_into_its_own_folder(project, tmp_path):
    out = tmp_path / "strips"
    assert main(["explore", str(project / "runs" / "gan"), "-o", str(out)]) == 0
    manifest = json.loads((out / ".swgen-outputs.json").read_text())
    assert manifest["command"] == "explore" and "sweep.png" in manifest["files"]
    assert main(["explore", str(project / "runs" / "gan"), "-o", str(out), "--seed", "1"]) == 0


def test_a_closed_pipe_ends_quietly():
    """``swgen list | head -1``: the reader leaves first; no BrokenPipeError traceback."""
    command = [sys.executable, "-m", "swgen.cli", "list"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait() == 0 and error == "", error
