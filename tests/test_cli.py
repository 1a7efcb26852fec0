"""End-to-end runs of the swgen command on tiny budgets."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main

TIMINGS = {"steps_per_second", "train_seconds"}  # wall-clock fields differ run to run

QUIET = ["train.progress=false"]
POINTS = ["--data", "gaussians8", "model.width=16", "model.latent_dim=4", "train.batch_size=32"]
IMAGES = [
    "--data",
    "digits",
    "data.image_size=16",
    "model.width=8",
    "model.latent_dim=8",
    "train.batch_size=16",
    "data.limit=64",
]


def train(out, *arguments):
    return main(["train", "--out", str(out), *QUIET, *arguments])


def records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_train_writes_a_complete_run_folder(tmp_path):
    run = tmp_path / "run"
    code = train(
        run,
        "--model",
        "wgan-gp",
        *POINTS,
        "train.steps=6",
        "train.log_every=2",
        "train.sample_every=3",
        "train.checkpoint_every=3",
    )
    assert code == 0
    assert (run / "config.yaml").is_file() and (run / "checkpoints" / "last.pt").is_file()
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "step_0000003.png",
        "step_0000006.png",
    ]
    assert [r["step"] for r in records(run)] == [2, 4, 6]
    assert all(np.isfinite(r["loss_critic"]) for r in records(run))
    assert any((run / "events").iterdir())
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 6


@pytest.mark.parametrize(("model", "data"), [("swgan", POINTS), ("swae", IMAGES), ("wgan", POINTS)])
def test_resume_continues_the_same_run(tmp_path, model, data):
    common = ["--model", model, *data, "train.log_every=1", "--seed", "7"]
    assert train(tmp_path / "straight", *common, "train.steps=6") == 0
    assert train(tmp_path / "split", *common, "train.steps=3") == 0
    assert main(["train", "--resume", str(tmp_path / "split"), *QUIET, "train.steps=6"]) == 0

    def losses(run):
        return [{k: v for k, v in r.items() if k not in TIMINGS} for r in records(run)]

    assert losses(tmp_path / "straight") == losses(tmp_path / "split")  # bit for bit
    assert len(losses(tmp_path / "split")) == 6
    clock = [r["train_seconds"] for r in records(tmp_path / "split")]
    assert all(b > a > 0 for a, b in zip(clock, clock[1:], strict=False))  # clock kept
    straight = torch.load(tmp_path / "straight/checkpoints/last.pt", weights_only=True)
    split = torch.load(tmp_path / "split/checkpoints/last.pt", weights_only=True)
    for key, value in straight["model"].items():
        assert torch.equal(value, split["model"][key]), key


def test_sample_and_explore_points(tmp_path):
    run = tmp_path / "run"
    assert train(run, "--model", "swgan", *POINTS, "train.steps=2") == 0
    assert main(["sample", str(run), "-n", "50", "-o", str(tmp_path / "s.npy")]) == 0
    array = np.load(tmp_path / "s.npy")
    assert array.shape == (50, 2) and np.isfinite(array).all()
    assert main(["sample", str(run), "-n", "50", "-o", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size == (512, 512)
    assert main(["explore", str(run), "-o", str(tmp_path / "explore")]) == 0
    assert np.load(tmp_path / "explore" / "sweep.npy").shape[1] == 2


def test_sample_and_explore_images(tmp_path):
    run = tmp_path / "run"
    assert train(run, "--model", "gan", *IMAGES, "train.steps=2") == 0
    assert main(["sample", str(run), "-n", "9", "-o", str(tmp_path / "s.npy"), "--seed", "1"]) == 0
    array = np.load(tmp_path / "s.npy")
    assert array.shape == (9, 1, 16, 16) and array.min() >= 0 and array.max() <= 1
    assert (
        main(["sample", str(run), "-n", "9", "-o", str(tmp_path / "again.npy"), "--seed", "1"]) == 0
    )
    assert np.array_equal(array, np.load(tmp_path / "again.npy"))  # seeded sampling repeats
    assert main(["sample", str(run), "-n", "9", "-o", str(tmp_path / "grid.png")]) == 0
    assert Image.open(tmp_path / "grid.png").size == (3 * 18 + 2, 3 * 18 + 2)
    assert main(["explore", str(run), "-o", str(tmp_path / "explore")]) == 0
    names = sorted(p.name for p in (tmp_path / "explore").glob("[!.]*"))
    assert names == ["fixed_codes.png", "interpolation.png", "one_hot.png", "sweep.png"]
    sweep = Image.open(tmp_path / "explore" / "sweep.png")
    assert sweep.size[0] == 9 * 18 + 2  # one column per value of the swept coordinate


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "swgen.cli",
            "train",
            "--model",
            "swgna",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0
    assert completed.stderr.startswith("swgen: unknown model 'swgna' (did you mean 'swgan'?)")
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "r").exists()


def test_every_argument_of_every_command_has_help_and_counts_take_both_spellings():
    import argparse

    from swgen.cli import build_parser

    parser = build_parser()

    def check(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, (path, action.dest)
            if isinstance(action, argparse._SubParsersAction):  # groups: study, singan
                for name, command in action.choices.items():
                    check(command, (*path, name))

    check(parser, ())
    for argv in (["sample", "RUN", "-o", "x.png"], ["eval", "RUN"]):
        assert parser.parse_args([*argv, "-n", "7"]).n == parser.parse_args([*argv, "--n", "7"]).n
        assert parser.parse_args([*argv, "--n", "7"]).n == 7


def test_version_prints_the_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"swgen {version('swgen')}"
