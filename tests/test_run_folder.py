"""Atomic checkpoint writes and the run-folder layout."""

import json

import pytest
import torch

from swgen.errors import UserError
from swgen.train.run_folder import RunFolder, atomic_torch_save


def test_atomic_save_keeps_previous_checkpoint_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "checkpoints" / "last.pt"
    atomic_torch_save({"step": 1, "weights": torch.ones(3)}, path)

    def dying_save(state, stream):
        stream.write(b"half a checkpoint")
        raise KeyboardInterrupt  # the process is killed in the middle of the write

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        atomic_torch_save({"step": 2, "weights": torch.zeros(3)}, path)
    monkeypatch.undo()

    state = torch.load(path)
    assert state["step"] == 1 and torch.equal(state["weights"], torch.ones(3))
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]  # no temporary left behind


def test_truncate_metrics_drops_steps_after_resume_point(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.create()
    for step in (10, 20, 30):
        folder.append_metrics({"step": step, "loss": step / 10})
    folder.truncate_metrics(20)
    steps = [json.loads(line)["step"] for line in folder.metrics.read_text().splitlines()]
    assert steps == [10, 20]


def test_require_existing_explains_what_is_missing(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        RunFolder(tmp_path / "nowhere").require_existing()
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="not a run folder"):
        RunFolder(tmp_path / "empty").require_existing()


def test_new_run_folders_never_collide(tmp_path):
    first = RunFolder.new("swgan", "digits", parent=tmp_path)
    first.create()
    second = RunFolder.new("swgan", "digits", parent=tmp_path)
    assert first.root != second.root


def test_append_metrics_writes_whole_lines(tmp_path):
    folder = RunFolder(tmp_path)
    folder.append_metrics({"step": 1, "loss": 0.5})
    folder.append_metrics({"step": 2, "loss": 0.25})
    assert folder.metrics.read_bytes().count(b"\n") == 2
    assert folder.metrics.read_bytes().endswith(b"\n")


def test_partial_last_metrics_line_is_dropped_with_a_warning(tmp_path):
    """A kill in the middle of a write leaves half a JSON line; resuming drops it."""
    folder = RunFolder(tmp_path)
    for step in (1, 2):
        folder.append_metrics({"step": step, "loss": 1.0})
    with folder.metrics.open("ab") as stream:
        stream.write(b'{"step": 3, "lo')
    with pytest.warns(UserWarning, match="dropped 1 unreadable line"):
        folder.truncate_metrics(5)
    steps = [json.loads(line)["step"] for line in folder.metrics.read_text().splitlines()]
    assert steps == [1, 2]


def test_orphan_temporary_files_are_removed(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.create()
    orphans = [
        folder.checkpoint.parent / ".last.pt.abc123",
        folder.root / ".metrics.jsonl.xyz",
        folder.root / ".config.yaml.q",
    ]
    for orphan in orphans:
        orphan.write_bytes(b"half a file")
    keep = folder.root / "notes.txt"
    keep.write_text("mine")
    assert sorted(folder.remove_orphans()) == sorted(orphans)
    assert not any(orphan.exists() for orphan in orphans) and keep.exists()


def test_check_new_refuses_folders_with_content(tmp_path):
    RunFolder(tmp_path / "fresh").check_new()
    (tmp_path / "empty").mkdir()
    RunFolder(tmp_path / "empty").check_new()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "config.yaml").write_text("my: own")
    with pytest.raises(UserError, match="holds files; choose a new folder for --out"):
        RunFolder(tmp_path / "mine").check_new()
    (tmp_path / "stopped").mkdir()
    (tmp_path / "stopped" / "config.yaml").write_text("model: {}\ndata: {}\ntrain: {}\n")
    with pytest.raises(UserError, match="holds a swgen run .*--resume"):
        RunFolder(tmp_path / "stopped").check_new()
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes(b"x")
    with pytest.raises(UserError, match="holds files; choose a new folder for --out"):
        RunFolder(tmp_path / "photos").check_new()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file"):
        RunFolder(tmp_path / "file").check_new()
