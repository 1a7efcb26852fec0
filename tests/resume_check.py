"""Shared by tests of settings that must survive a resume: a run trained straight to 4 steps and
one trained to 2, then resumed to 4, on the CLI, loaded for comparison."""

import torch

from swgen.cli import main
from swgen.train.checkpoint import load_trained


def straight_and_resumed(tmp_path, overrides: list[str], data: str = "gaussians8"):
    """Both runs of swgan on ``data`` with ``overrides``, checkpointed every 2 steps."""
    common = ["--model", "swgan", "--data", data, "train.progress=false"]
    settings = [*overrides, "train.checkpoint_every=2"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["train", *common, "--out", str(straight), *settings, "train.steps=4"]) == 0
    assert main(["train", *common, "--out", str(resumed), *settings, "train.steps=2"]) == 0
    assert main(["train", "--resume", str(resumed), "train.steps=4"]) == 0
    return load_trained(straight), load_trained(resumed)


def assert_same_weights(a, b) -> None:
    for (name, x), (_, y) in zip(
        a.model.state_dict().items(), b.model.state_dict().items(), strict=True
    ):
        assert torch.equal(x, y), name
