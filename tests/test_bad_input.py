"""Bad input ends in one line on stderr, exit code 2, no traceback, nothing lost."""

from dataclasses import dataclass

import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.models.base import GenerativeModel
from swgen.registry import MODELS

QUIET = ["train.progress=false"]
POINTS = ["--data", "gaussians8", "model.width=16", "model.latent_dim=4", "train.batch_size=16"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


def assert_one_line(code, err, pattern):
    assert code == 2
    assert err.startswith("swgen: ")
    assert "\n" not in err and "Traceback" not in err
    assert pattern in err, err


@pytest.mark.parametrize(
    ("arguments", "pattern"),
    [
        (["--model", "stylegan9"], "unknown model 'stylegan9'"),
        (["--data", "imagenet"], "unknown dataset 'imagenet'"),
        (
            ["train.batchsize=3"],
            "unknown config key 'train.batchsize' (did you mean 'batch_size'?)",
        ),
        (["train.batch_size=big"], "config key 'train.batch_size' must be int"),
        (["model.lambda1=strong"], "config key 'model.lambda1' must be float"),
        (["--device", "tpu"], "unknown device 'tpu'"),
        (["train.batch_size=0"], "config key 'train.batch_size' is 0; it must be between 1"),
    ],
)
def test_bad_names_keys_and_types(tmp_path, capsys, arguments, pattern):
    code, err = run_cli(capsys, "train", "--out", str(tmp_path / "run"), *QUIET, *arguments)
    assert_one_line(code, err, pattern)
    assert not (tmp_path / "run").exists()


def test_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, err = run_cli(
        capsys, "train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "r")
    )
    assert_one_line(code, err, "has no readable images")


def test_folder_of_corrupt_images_only(tmp_path, capsys):
    folder = tmp_path / "broken"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index}.png").write_bytes(b"not a png at all")
    code, err = run_cli(capsys, "train", "--data", str(folder), "--out", str(tmp_path / "r"))
    assert_one_line(code, err, "3 unreadable")


def test_folder_with_some_corrupt_images_trains(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(6):
        Image.new("RGB", (20, 24), (40 * index, 10, 200)).save(folder / f"{index}.png")
    (folder / "bad.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.warns(UserWarning, match="1"):
        code = main(
            [
                "train",
                "--model",
                "gan",
                "--data",
                str(folder),
                "--out",
                str(tmp_path / "r"),
                *QUIET,
                "data.image_size=16",
                "model.width=8",
                "train.batch_size=4",
                "train.steps=1",
            ]
        )
    assert code == 0


def test_resume_with_another_model_or_a_broken_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(["train", "--model", "swgan", "--out", str(run), *QUIET, *POINTS, "train.steps=2"])
        == 0
    )
    capsys.readouterr()
    code, err = run_cli(capsys, "train", "--resume", str(run), "--model", "wgan")
    assert_one_line(code, err, "holds a swgan model, not wgan")

    code, err = run_cli(capsys, "train", "--out", str(run), *QUIET)
    assert_one_line(code, err, "already holds a trained run")

    checkpoint = run / "checkpoints" / "last.pt"
    good = checkpoint.read_bytes()
    checkpoint.write_bytes(good[: len(good) // 2])
    code, err = run_cli(capsys, "sample", str(run), "-n", "4", "-o", str(tmp_path / "x.npy"))
    assert_one_line(code, err, "is unreadable")

    torch.save({"step": 1}, checkpoint)
    code, err = run_cli(capsys, "train", "--resume", str(run), *QUIET)
    assert_one_line(code, err, "is not a swgen checkpoint")

    code, err = run_cli(capsys, "sample", str(tmp_path / "missing"), "-n", "4", "-o", "x.png")
    assert_one_line(code, err, "does not exist")
    code, err = run_cli(capsys, "sample", str(tmp_path), "-n", "4", "-o", "x.jpg")
    assert_one_line(code, err, "give a .png or .npy")


def test_checkpoint_of_a_different_model_is_refused(tmp_path, capsys):
    """A run folder whose checkpoint was swapped for another model's."""
    first, second = tmp_path / "a", tmp_path / "b"
    assert (
        main(["train", "--model", "swgan", "--out", str(first), *QUIET, *POINTS, "train.steps=1"])
        == 0
    )
    assert (
        main(["train", "--model", "wgan", "--out", str(second), *QUIET, *POINTS, "train.steps=1"])
        == 0
    )
    capsys.readouterr()
    (first / "checkpoints" / "last.pt").write_bytes(
        (second / "checkpoints" / "last.pt").read_bytes()
    )
    code, err = run_cli(capsys, "sample", str(first), "-n", "4", "-o", str(tmp_path / "x.npy"))
    assert_one_line(code, err, "belongs to model 'wgan', not 'swgan'")


@dataclass
class ExplodingConfig:
    latent_dim: int = 2
    width: int | None = None  # unused; the dataset presets set it
    explode_at: int = 5


@MODELS.register("test-exploding", summary="a test model")
class ExplodingModel(GenerativeModel):
    """A model whose loss turns NaN at a chosen step (registered only by this test)."""

    Config = ExplodingConfig

    def __init__(self, config, data):
        super().__init__(config, data)
        self.latent_dim = config.latent_dim
        self.generator = torch.nn.Linear(config.latent_dim, data.shape[0])
        self.optimizers = {"generator": torch.optim.SGD(self.generator.parameters(), lr=0.01)}

    def train_step(self, batch, step):
        real = batch.x
        fake = self.generator(torch.randn(len(real), self.latent_dim))
        loss = (fake - real).pow(2).mean()
        if step + 1 >= self.config.explode_at:
            loss = loss * float("nan")
        self.optimize(loss, self.optimizers["generator"])
        return {"loss_fit": loss.detach()}


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    code, err = run_cli(
        capsys,
        "train",
        "--model",
        "test-exploding",
        "--data",
        "gaussians8",
        "--out",
        str(run),
        *QUIET,
        "train.steps=10",
        "train.checkpoint_every=3",
        "model.explode_at=5",
    )
    assert_one_line(code, err, "loss_fit is not finite")
    assert "step 3" in err and "at step 5" in err
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 3
    assert all(torch.isfinite(v).all() for v in state["model"].values())
