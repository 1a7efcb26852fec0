"""The engine's promises about stopping: a signal finishes the step and writes a checkpoint,
and the message says truthfully how to go on."""

import os
import signal
from dataclasses import dataclass

import pytest
import torch

from swgen.cli import main
from swgen.models.base import GenerativeModel
from swgen.registry import MODELS

QUIET = ["train.progress=false"]


@dataclass
class SignallingConfig:
    latent_dim: int = 2  # noise size
    width: int | None = None  # unused; the dataset presets set it
    signal_at: int = 3  # the step during which the process signals itself
    signal_number: int = 2  # SIGINT


@MODELS.register("test-signalling", summary="a test model")
class SignallingModel(GenerativeModel):
    """A model that sends its own process a signal in the middle of one step (registered only
    by this test): the deterministic stand-in for a user pressing Ctrl-C or a scheduler's TERM."""

    Config = SignallingConfig

    def __init__(self, config, data):
        super().__init__(config, data)
        self.latent_dim = config.latent_dim
        self.generator = torch.nn.Linear(config.latent_dim, data.shape[0])
        self.optimizers = {"generator": torch.optim.SGD(self.generator.parameters(), lr=0.01)}

    def train_step(self, batch, step):
        real = batch.x
        if step + 1 == self.config.signal_at:
            os.kill(os.getpid(), self.config.signal_number)
        loss = (self.generator(torch.randn(len(real), self.latent_dim)) - real).pow(2).mean()
        self.optimize(loss, self.optimizers["generator"])
        return {"loss_fit": loss.detach()}


@pytest.fixture(autouse=True)
def foreground_signals():
    """Python's usual Ctrl-C handler, as in a terminal: a shell that starts the test suite in the
    background (``nohup``, ``&``) makes it ignore SIGINT, which would hide what is tested here."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def train(run, *extra):
    argv = ["train", "--model", "test-signalling", "--data", "gaussians8", "--out", str(run)]
    return main([*argv, *QUIET, "train.batch_size=8", "train.steps=8", *extra])


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_signal_finishes_the_step_and_writes_a_checkpoint(tmp_path, capsys, number):
    run = tmp_path / "run"
    code = train(run, f"model.signal_number={int(number)}", "train.checkpoint_every=100")
    err = capsys.readouterr().err.strip()
    assert code == 128 + number
    assert "\n" not in err and err.startswith("swgen: ")
    assert f"stopped by {signal.Signals(number).name} after step 3 of 8" in err
    assert f"continue with: swgen train --resume '{run}'" in err
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 3
    # The handlers are back: a later signal would act as usual.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    # Resuming continues to the end, and the numbers match an uninterrupted run's.
    assert main(["train", "--resume", str(run), *QUIET, "model.signal_at=0"]) == 0
    assert train(tmp_path / "whole", "model.signal_at=0") == 0
    final = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    whole = torch.load(tmp_path / "whole" / "checkpoints" / "last.pt", weights_only=True)
    assert final["step"] == 8
    for key, value in whole["model"].items():
        assert torch.equal(final["model"][key], value), key


def test_second_ctrl_c_stops_at_once_and_says_what_is_kept(tmp_path, capsys, monkeypatch):
    """Ctrl-C twice in step 3, before any checkpoint: no checkpoint exists, and the message
    says so (and how to start again) instead of promising an intact one."""
    original = SignallingModel.train_step

    def twice(self, real, step):
        if step + 1 == 3:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, real, step)

    monkeypatch.setattr(SignallingModel, "train_step", twice)
    run = tmp_path / "run"
    code = train(run, "model.signal_at=0", "train.checkpoint_every=100")
    err = capsys.readouterr().err.strip()
    assert code == 130 and "\n" not in err
    assert "no checkpoint had been written yet" in err
    assert f"start it again with: swgen train --resume '{run}'" in err
    assert not (run / "checkpoints" / "last.pt").exists()
    monkeypatch.undo()
    # ... and that command works: the run starts from step 0 with its saved config.
    with pytest.warns(UserWarning, match="no checkpoint yet"):
        assert main(["train", "--resume", str(run), *QUIET]) == 0
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 8


def test_signal_before_the_first_checkpoint_writes_one(tmp_path, capsys):
    run = tmp_path / "run"
    assert train(run, "model.signal_at=1", "train.checkpoint_every=100") == 130
    assert "after step 1 of 8; checkpoint written" in capsys.readouterr().err
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 1


def test_resume_after_a_kill_mid_write(tmp_path, capsys):
    """What a SIGKILL in the middle of writes leaves: half a metrics line and a temporary
    checkpoint file. Resuming drops the half line with a warning and removes the temporary."""
    run = tmp_path / "run"
    points = ["--data", "gaussians8", "model.width=16", "model.latent_dim=4", "train.batch_size=8"]
    command = ["train", "--out", str(run), *QUIET, *points, "train.log_every=1", "train.steps=2"]
    assert main(command) == 0
    with (run / "metrics.jsonl").open("ab") as stream:
        stream.write(b'{"step": 3, "loss_crit')
    orphan = run / "checkpoints" / ".last.pt.k1ll3d"
    orphan.write_bytes(b"half a checkpoint")
    with pytest.warns(UserWarning, match="dropped 1 unreadable line"):
        assert main(["train", "--resume", str(run), *QUIET, "train.steps=4"]) == 0
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [__import__("json").loads(line)["step"] for line in lines] == [1, 2, 3, 4]
    assert not orphan.exists()
