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
