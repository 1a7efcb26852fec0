"""Checkpoints hold only tensors and plain values, load without unpickling code, and a failed
write keeps the previous checkpoint."""

import errno
import pickle

import pytest
import torch

import swgen.models  # noqa: F401  (registers the models)
from swgen.cli import main
from swgen.errors import UserError
from swgen.registry import MODELS
from swgen.train.checkpoint import load_checkpoint

QUIET = ["train.progress=false"]
POINTS = ["--data", "gaussians8", "model.latent_dim=4", "train.batch_size=16"]
TINY = {"swgan": ["model.code_dim=8", "model.n_blocks=2"], "swg": ["model.n_projections=16"]}


PROGRESSIVE = [
    "model.latent_dim=8",
    "model.fmap_base=32",
    "model.fmap_max=8",
    "model.minibatch=[8]",
    "data.limit=32",
]
TRANSLATION = [
    "data.image_size=8",
    "data.limit=16",
    "model.width=2",
    "model.critic_width=2",
    "model.n_blocks=1",
    "train.batch_size=2",
]
DATA = {  # the progressive models grow images and clips, not points
    "pg-wgan": ["--data", "digits", *PROGRESSIVE],
    "pg-swgan": ["--data", "digits", *PROGRESSIVE],
    "pg-wgan-3d": ["--data", "moving-digits", *PROGRESSIVE],
    "pg-swgan-3d": ["--data", "moving-digits", *PROGRESSIVE],
    # translation models take two image domains (their history pools are buffers)
    "cyclegan": ["--data", "digits-recolour", *TRANSLATION],
    "attention-gan": [
        "--data",
        "digits-recolour",
        *TRANSLATION,
        "model.attention_width=2",
        "model.attention_blocks=1",
    ],
    # enhancement takes (input, target) pairs (the adaptive penalty's averages are buffers)
    "dacal": [
        "--data",
        "photo-pairs",
        "model.loss=adaswgan",
        "data.image_size=16",
        "model.width=2",
        "model.critic_width=2",
        "model.code_dim=4",
        "model.blur_size=5",
        "train.batch_size=2",
    ],
    # stylegan grows images from 4 px (w_avg and the fixed noise maps are buffers)
    "stylegan": ["--data", "digits", *PROGRESSIVE[:3], "data.limit=16", "train.batch_size=8"],
    # paired translation takes (input, target) pairs (batch norm's statistics are buffers)
    "pix2pix": [
        "--data",
        "digits-pairs",
        *TRANSLATION[:2],
        "model.width=2",
        "model.critic_width=2",
        "train.batch_size=2",
    ],
    # label maps -> images (spectral norm's vectors and batch norm's statistics are buffers)
    "spade": ["--data", "scenes", "data.image_size=16", "data.limit=16", "model.width=4",
              "model.spade_hidden=4", "model.critic_width=4", "model.critic_layers=2",
              "model.z_dim=8", "model.encoder_width=4", "train.batch_size=2"],
    # K domains of labelled images
    "stargan": ["--data", "digits-styles", "data.image_size=16", "data.limit=32",
                "model.width=4", "model.critic_width=4", "model.n_blocks=1",
                "train.batch_size=4", "train.grid_size=4"],
    # one image (the pyramid's reals, fixed noise and noise amplitudes are buffers)
    "singan": ["--data", "flower", "model.max_size=32", "model.min_size=14", "model.nfc=4",
               "model.max_nfc=8"],
}  # fmt: skip


def train(run, model="swgan", *extra):
    arguments = ["train", "--model", model, "--out", str(run), *QUIET]
    if model in DATA:
        return main([*arguments, *DATA[model], *extra])
    return main([*arguments, *POINTS, "model.width=16", *TINY.get(model, []), *extra])


@pytest.mark.parametrize("model", [m for m in MODELS.names() if not m.startswith("test-")])
def test_every_model_checkpoint_loads_with_weights_only(tmp_path, model):
    """What the engine saves (optimiser, EMA, RNG and config states) passes torch's restricted
    unpickler, so checkpoints never need ``weights_only=False``."""
    assert train(tmp_path / "run", model, "train.steps=1") == 0
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    assert state["model_name"] == model and state["step"] == 1


class Payload:
    """Unpickling this calls ``open(marker, "w")``: the code a crafted checkpoint would run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def crafted_run(tmp_path_factory):
    """A real run folder whose last.pt was replaced by a pickle that runs code when loaded."""
    root = tmp_path_factory.mktemp("crafted")
    run = root / "run"
    assert train(run, "swgan", "train.steps=1") == 0
    marker = root / "payload-ran"
    checkpoint = run / "checkpoints" / "last.pt"
    state = torch.load(checkpoint, weights_only=True)
    state["payload"] = Payload(marker)
    torch.save(state, checkpoint)
    return run, marker


@pytest.mark.parametrize(
    "command",
    [
        ["sample", "{run}", "-n", "4", "-o", "{tmp}/x.npy"],
        ["eval", "{run}", "--n", "8"],
        ["explore", "{run}", "-o", "{tmp}/explore"],
        ["train", "--resume", "{run}", "train.steps=2", *QUIET],
    ],
    ids=["sample", "eval", "explore", "resume"],
)
def test_a_crafted_checkpoint_cannot_run_code(crafted_run, tmp_path, capsys, command):
    run, marker = crafted_run
    argv = [part.format(run=run, tmp=tmp_path) for part in command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("swgen: ") and "\n" not in err
    assert "refuses to load it" in err
    assert not marker.exists()


def test_plain_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "last.pt"
    path.write_bytes(pickle.dumps(Payload(marker)))  # a bare pickle, not torch's zip format
    with pytest.raises(UserError, match="refuses to load it|unreadable"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_failed_checkpoint_write_keeps_the_previous_one(tmp_path, capsys, monkeypatch, failure):
    """Disk full or a read-only folder at the second checkpoint: one line, step 2 kept."""
    run = tmp_path / "run"
    real_save = torch.save
    calls = []

    def failing_save(state, stream, *args, **kwargs):
        calls.append(state["step"])
        if len(calls) == 2:
            raise OSError(failure, "simulated failure")
        return real_save(state, stream, *args, **kwargs)

    monkeypatch.setattr(torch, "save", failing_save)
    code = train(run, "swgan", "train.steps=6", "train.checkpoint_every=2")
    monkeypatch.undo()
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("swgen: ") and "\n" not in err, err
    assert "cannot write checkpoint" in err and "checkpoint of step 2" in err
    assert "simulated failure" in err and "--resume" in err
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 2
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["last.pt"]
    # ... and the run continues from there once the disk is back.
    assert main(["train", "--resume", str(run), *QUIET]) == 0
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == 6


def test_unwritable_sample_grid_is_one_line(tmp_path, capsys, monkeypatch):
    """Any other write of the run folder failing (here the sample grid) is one line too."""
    import swgen.train.engine as engine

    def failing_picture(picture, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(engine, "save_picture", failing_picture)
    code = train(tmp_path / "run", "swgan", "train.steps=2")
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "No space left on device" in err and "no checkpoint had been written yet" in err
