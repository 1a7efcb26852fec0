"""Two CPU processes under torchrun (gloo): one run folder, synchronised weights."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


def run(arguments, tmp_path):
    completed = subprocess.run(
        [*TORCHRUN, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


@pytest.mark.parametrize("model", ["swgan", "wgan-gp"])
def test_two_processes_keep_identical_weights(tmp_path, model):
    script = Path(__file__).with_name("distributed_check.py")
    run([str(script), str(tmp_path / "run"), model], tmp_path)
    assert (tmp_path / "run" / "ranks.txt").read_text().split() == ["2", "True"]


def test_two_process_cli_run_writes_one_run_folder(tmp_path):
    run(
        [
            "-m",
            "swgen.cli",
            "train",
            "--device",
            "cpu",
            "--out",
            "ddp",
            "--model",
            "swgan",
            "--data",
            "gaussians8",
            "model.width=16",
            "model.latent_dim=4",
            "train.batch_size=16",
            "train.steps=4",
            "train.log_every=2",
            "train.progress=false",
        ],
        tmp_path,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp"]
    lines = (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [2, 4]  # written once, by rank 0
    import torch

    state = torch.load(tmp_path / "ddp" / "checkpoints" / "last.pt", weights_only=False)
    assert state["world_size"] == 2 and len(state["rng"]) == 2
