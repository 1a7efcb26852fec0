"""The engine's learning-rate schedule: a pure function of the step, applied to every optimiser."""

import pytest
import torch

from swgen.cli import main
from swgen.train.engine import learning_rate_factor

POINTS = ["--data", "gaussians8", "model.width=16", "model.latent_dim=4", "train.batch_size=32"]


def test_linear_factor_by_hand():
    assert [learning_rate_factor("constant", s, 4, 0.0) for s in range(4)] == [1.0] * 4
    assert [learning_rate_factor("linear", s, 4, 0.0) for s in range(4)] == [1, 0.75, 0.5, 0.25]
    # CycleGAN's shape: constant for half the steps, then linearly to zero
    assert [learning_rate_factor("linear", s, 8, 0.5) for s in range(8)] == [
        1,
        1,
        1,
        1,
        1,
        0.75,
        0.5,
        0.25,
    ]


def test_step_factor_by_hand():
    # the WAE code's MNIST schedule: 100 epochs, halved at epoch 30, a tenth from epoch 50
    factors = [learning_rate_factor("step", s, 10, 0.0, (0.3, 0.5), (0.5, 0.1)) for s in range(10)]
    assert factors == [1, 1, 1, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1]
    # a milestone at 0 changes the rate from the first step
    assert learning_rate_factor("step", 0, 10, 0.0, (0.0,), (0.2,)) == 0.2


def test_step_schedule_reaches_every_optimiser(tmp_path):
    run = tmp_path / "run"
    arguments = ["train", "--model", "wae", *POINTS, "--out", str(run), "train.progress=false"]
    step = ["train.lr_schedule=step", "train.lr_milestones=[0.3,0.5]", "train.lr_factors=[0.5,0.1]"]
    assert main([*arguments, *step, "train.steps=10", "model.penalty=gan"]) == 0
    saved = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert len(saved["optimizers"]) == 2  # autoencoder and latent adversary
    for state in saved["optimizers"].values():
        for group in state["param_groups"]:
            assert group["lr"] == pytest.approx(group["initial_lr"] * 0.1)


def test_every_optimiser_follows_the_schedule(tmp_path):
    run = tmp_path / "run"
    arguments = ["train", "--model", "swgan", *POINTS, "--out", str(run), "train.progress=false"]
    assert main([*arguments, "train.steps=4", "train.lr_schedule=linear"]) == 0
    saved = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    for state in saved["optimizers"].values():
        for group in state["param_groups"]:
            assert group["initial_lr"] == pytest.approx(3e-4)
            assert group["lr"] == pytest.approx(3e-4 * 0.25)  # the rate of the last step, 3


@pytest.mark.parametrize(
    "override",
    [
        "train.lr_schedule=cosine",
        "train.lr_decay_start=1.0",
        "train.lr_decay_start=-1",
        "train.lr_schedule=step",  # no milestones
        "train.lr_milestones=[0.5]",  # milestones without the step schedule
        "train.lr_schedule=step train.lr_milestones=[0.5,0.3] train.lr_factors=[0.5,0.1]",
        "train.lr_schedule=step train.lr_milestones=[0.3,0.5] train.lr_factors=[0.5]",
        "train.lr_schedule=step train.lr_milestones=[1.5] train.lr_factors=[0.5]",
        "train.lr_schedule=step train.lr_milestones=[0.5] train.lr_factors=[0]",
    ],
)
def test_bad_schedules_are_one_line_errors(tmp_path, capsys, override):
    arguments = ["train", *POINTS, "--out", str(tmp_path / "run"), "train.progress=false"]
    assert main([*arguments, "train.steps=2", *override.split()]) == 2
    assert "lr_" in capsys.readouterr().err
