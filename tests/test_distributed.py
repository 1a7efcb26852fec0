"""Two CPU processes under torchrun (gloo): one run folder, synchronised weights."""

import json
import os
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
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    # A rank that dies ends stderr with torchrun's report; the error that caused it comes first.
    stderr = completed.stderr
    shown = stderr if len(stderr) <= 6000 else stderr[:3000] + "\n...\n" + stderr[-3000:]
    assert completed.returncode == 0, shown
    return completed


# Two processes sum the same products in another order (each rank's half, then the all-reduce
# of gradients): after 4 steps of Adam SWGAN's runs agree to 2e-7 (losses, relative) and 4e-6
# (weights); the bounds below leave a margin of 25x over that.
LOSS_RTOL, LOSS_ATOL = 1e-4, 1e-5
WEIGHT_ATOL = 1e-4


# Top-k training chooses its k among both processes' samples: k = 8 of 16 from the second step.
TOP_K = ["model.topk_min=0.5", "model.topk_decay=0.5", "model.topk_every=1"]
# On images every hidden layer of the generator (and DCGAN's critic) is batch-normalised: the
# processes normalise by the global batch's statistics (train.sync_batch_norm), as one would.
DIGITS = ["data.name=digits", "data.image_size=16", "model.latent_dim=16"]
# DiffAugment draws each image's transformation from the shared per-sample stream.
DIFF_AUGMENT = [*DIGITS, "model.diffaugment=color,translation,cutout"]


def biases_batch_norm_removes(model) -> set[str]:
    """Names of the biases a batch norm right after cancels (its mean removes them), and of that
    norm's running mean, which tracks them: their true gradient is 0, so what Adam makes of the
    rounding noise differs between runs that sum in another order."""
    from torch import nn
    from torch.nn.modules.batchnorm import _BatchNorm

    shape_only = (nn.Unflatten, nn.Flatten, nn.Upsample)
    names = set()
    for prefix, module in model.named_modules():
        if not isinstance(module, nn.Sequential):
            continue
        children = list(module.named_children())
        for i, (name, child) in enumerate(children):
            if isinstance(child, _BatchNorm) or getattr(child, "bias", None) is None:
                continue
            after = [c for _, c in children[i + 1 :] if not isinstance(c, shape_only)]
            if after and isinstance(after[0], _BatchNorm):
                norm = next(n for n, c in children[i + 1 :] if c is after[0])
                names |= {f"{prefix}.{name}.bias", f"{prefix}.{norm}.running_mean"}
    return names


def assert_same_losses(one: Path, two: Path, steps: int) -> None:
    """The run folders ``one`` and ``two`` logged the same losses at each of their ``steps``."""

    def losses(folder: Path) -> list[dict]:
        lines = (folder / "metrics.jsonl").read_text().splitlines()
        return [{k: v for k, v in json.loads(x).items() if k.startswith("loss_")} for x in lines]

    first, second = losses(one), losses(two)
    assert len(first) == len(second) == steps
    for a, b in zip(first, second, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == pytest.approx(b[key], rel=LOSS_RTOL, abs=LOSS_ATOL), key


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("swgan", []),
        ("wgan-gp", []),
        ("swgan", TOP_K),
        ("dcgan", DIGITS),
        ("swgan", DIFF_AUGMENT),
        ("swg", DIGITS),
    ],
    ids=[
        "swgan",
        "wgan-gp",
        "swgan-top-k",
        "dcgan-digits",
        "swgan-digits-diffaugment",
        "swg-digits",  # its generator's loss sorts the whole batch: the gather hook
    ],
)
def test_two_processes_train_the_one_process_run(tmp_path, model, extra):
    """2 gloo processes keep identical weights, and train the run 1 process trains with the
    same global batch and seed: the same losses at every step and the same final weights."""
    script = Path(__file__).with_name("distributed_check.py")
    run([str(script), str(tmp_path / "two"), model, *extra], tmp_path)
    assert (tmp_path / "two" / "ranks.txt").read_text().split() == ["2", "True"]

    import torch

    from distributed_check import OVERRIDES
    from swgen.config import resolve
    from swgen.train.engine import Trainer
    from swgen.train.run_folder import RunFolder

    config = resolve(overrides=[f"model.name={model}", *OVERRIDES, *extra])
    Trainer(config, RunFolder(tmp_path / "one")).fit()

    assert_same_losses(tmp_path / "one", tmp_path / "two", steps=4)
    states = [
        torch.load(tmp_path / f / "checkpoints" / "last.pt", weights_only=True)
        for f in ("one", "two")
    ]
    initial = resolve(overrides=[f"model.name={model}", *OVERRIDES, *extra])
    untrained_model = Trainer(initial, RunFolder(tmp_path / "unused")).model
    removed = biases_batch_norm_removes(untrained_model)
    assert states[0]["model"].keys() == states[1]["model"].keys()
    for key, value in states[0]["model"].items():
        if key in removed:
            continue
        assert torch.allclose(value, states[1]["model"][key], rtol=0, atol=WEIGHT_ATOL), key
    # ... and the weights moved: equal because trained alike, not because untouched.
    untrained = untrained_model.state_dict()
    assert any(
        (untrained[k] - v).abs().max() > 2 * WEIGHT_ATOL for k, v in states[0]["model"].items()
    )


@pytest.mark.parametrize("device", [["--device", "cpu"], []], ids=["cpu", "auto"])
def test_two_process_cli_run_writes_one_run_folder(tmp_path, device):
    """Also with the default device (auto) on a machine without a GPU: the processes form one
    gloo group, not one run each racing for the same folder."""
    run(
        [
            "-m",
            "swgen.cli",
            "train",
            *device,
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

    state = torch.load(tmp_path / "ddp" / "checkpoints" / "last.pt", weights_only=True)
    assert state["world_size"] == 2 and len(state["rng"]) == 2


def test_a_launch_the_device_cannot_join_is_refused(monkeypatch):
    """torchrun started 2 processes but accelerate formed no group (a device without a
    multi-process backend): one clear error, not two runs writing into one folder."""
    import accelerate

    from swgen.config import resolve
    from swgen.errors import UserError
    from swgen.train.engine import make_accelerator

    class Alone:
        num_processes = 1

        def __init__(self, cpu, mixed_precision):
            pass

    monkeypatch.setattr(accelerate, "Accelerator", Alone)
    monkeypatch.setenv("WORLD_SIZE", "2")
    config = resolve(overrides=["data.name=gaussians8", "train.device=cpu"])
    with pytest.raises(UserError, match="2 processes were started"):
        make_accelerator(config)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert isinstance(make_accelerator(config), Alone)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 1), ("1", 1), ("2", 2), (" 4 ", 4), ("0", 1), ("two", 1)]
)
def test_launched_processes_reads_torchruns_world_size(monkeypatch, value, expected):
    from swgen.train.processes import launched_processes

    if value is None:
        monkeypatch.delenv("WORLD_SIZE", raising=False)
    else:
        monkeypatch.setenv("WORLD_SIZE", value)
    assert launched_processes() == expected


# Marks whether interpreter shutdown ran (atexit handlers run in it, before gloo's threads can
# abort it); the command's own output must come out flushed either way.
SHUTDOWN_PROBE = (
    "import atexit, sys; atexit.register(lambda: print('shutdown ran'));"
    "from swgen.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize(
    ("world_size", "arguments", "code"),
    [("1", ["list"], 0), ("2", ["list"], 0), ("2", ["train", "--model", "nosuch"], 2)],
)
def test_a_rank_of_several_ends_without_interpreter_shutdown(world_size, arguments, code):
    """Under torchrun (WORLD_SIZE > 1) every swgen command ends its process with its exit code
    and flushed output but skips interpreter shutdown, where gloo's leftover threads can abort
    a finished rank; alone, the process ends normally."""
    completed = subprocess.run(
        [sys.executable, "-c", SHUTDOWN_PROBE, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "WORLD_SIZE": world_size},
    )
    assert completed.returncode == code, completed.stderr
    assert ("shutdown ran" in completed.stdout) == (world_size == "1")
    if code == 0:
        assert "swgan" in completed.stdout  # the listing, flushed before the exit
    else:
        assert completed.stderr.startswith("swgen: ") and completed.stderr.count("\n") == 1
