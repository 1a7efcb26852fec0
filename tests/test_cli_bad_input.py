"""Every command against bad input, from one table: each case ends in one line on stderr,
``swgen: ...``, exit code 2, no traceback, and writes nothing it should not.

The README's "Reliability" section states how many cases this table holds (a test below keeps
the two in step).
"""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.train.checkpoint import CHECKPOINT_FORMAT

QUIET = "train.progress=false"
POINTS = ["--data", "gaussians8", "model.width=16", "model.latent_dim=4", "train.batch_size=16"]


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Run folders good and broken, user files and bad config files, made once."""
    d = tmp_path_factory.mktemp("world")
    train = ["train", QUIET, *POINTS, "train.steps=1"]
    assert main([*train, "--model", "swgan", "--out", str(d / "run")]) == 0
    assert main([*train, "--model", "wgan", "--out", str(d / "other")]) == 0
    # --- output safety and runs that travel (issue 44)
    assert (
        main([*train[:-1], "train.steps=2", "--model", "wgan", "--out", str(d / "two-steps")]) == 0
    )
    (d / "mine.npy").write_bytes(b"my own array")
    (d / "my-strips").mkdir()
    (d / "my-strips" / "sweep.png").write_bytes(b"my own picture")
    for index in range(8):
        (d / "moving-images").mkdir(exist_ok=True)
        pixels = np.full((8, 8, 3), index * 30, dtype=np.uint8)
        Image.fromarray(pixels).save(d / "moving-images" / f"{index}.png")
    moving = ["--data", str(d / "moving-images"), "data.image_size=8", "model.width=4"]
    moved = ["--model", "dcgan", *moving, "train.batch_size=8", "--out", str(d / "moved-run")]
    assert main(["train", QUIET, "train.steps=1", *moved]) == 0
    (d / "moving-images").rename(d / "moved-images")
    digits = ["--data", "digits", "data.image_size=8", "model.width=4", "data.limit=32"]
    conditional = [
        *digits,
        "train.batch_size=8",
        "model.conditional=true",
        "--out",
        str(d / "cond"),
    ]
    assert main(["train", QUIET, "train.steps=1", "--model", "gan", *conditional]) == 0
    style = ["--model", "stylegan", *digits[:3], "model.latent_dim=4", "model.fmap_base=8"]
    style += ["model.mapping_layers=1", "data.limit=8", "train.batch_size=8"]
    assert main(["train", QUIET, "train.steps=1", *style, "--out", str(d / "stylegan")]) == 0
    checkpoint = Path("checkpoints") / "last.pt"
    good = (d / "run" / checkpoint).read_bytes()

    def broken(name, payload=None):
        shutil.copytree(d / "run", d / name)
        if payload is not None:
            (d / name / checkpoint).write_bytes(payload)
        return d / name

    broken("mixed", (d / "other" / checkpoint).read_bytes())
    broken("truncated", good[: len(good) // 2])
    broken("random", bytes(range(256)) * 40)
    broken("empty-ckpt", b"")
    torch.save({"step": 1}, broken("foreign") / checkpoint)
    torch.save({"format": CHECKPOINT_FORMAT, "model_name": "swgan"}, broken("damaged") / checkpoint)
    state = torch.load(d / "run" / checkpoint, weights_only=True)
    state["rng"] = [{"cpu": "not a tensor"}]
    torch.save(state, broken("bad-rng") / checkpoint)
    state = torch.load(d / "run" / checkpoint, weights_only=True)
    state["extra"] = Payload(d / "payload-ran")
    torch.save(state, broken("crafted") / checkpoint)
    (broken("bin-config") / "config.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    (broken("yaml-config") / "config.yaml").write_text("model: [\n")
    (broken("no-ckpt") / checkpoint).unlink()
    shutil.copytree(d / "run" / "checkpoints", d / "no-config" / "checkpoints")
    # A user's own folder that happens to look like a run's outputs.
    user = d / "user"
    (user / "samples").mkdir(parents=True)
    (user / "config.yaml").write_text("my: own settings\n")
    (user / "metrics.jsonl").write_text("not json at all\n")
    (user / "samples" / "step_0000001.png").write_bytes(b"my picture")
    (d / "afile").write_text("a file, not a folder")
    (d / "empty-images").mkdir()
    (d / "binary.yaml").write_bytes(bytes(range(128, 256)))
    (d / "intkey.yaml").write_text("1: 2\n")
    (d / "intkey-in-section.yaml").write_text("train:\n  1: 2\n")
    (d / "boolkey.yaml").write_text("train:\n  yes: 2\n")
    (d / "list.yaml").write_text("- train\n- model\n")
    (d / "scalar.yaml").write_text("42\n")
    (d / "invalid.yaml").write_text("train: {steps: [\n")
    (d / "section-scalar.yaml").write_text("train: 5\n")
    (d / "unknown-section.yaml").write_text("optimizer: {lr: 1}\n")
    (d / "deep.yaml").write_text("[" * 5000 + "]" * 5000)
    (d / "wrong-type.yaml").write_text("train: {steps: many}\n")
    (d / "width-zero.yaml").write_text("model: {width: 0}\n")
    # Two image domains, one domain alone, a domain without readable images; a cyclegan run.
    for domain, red in (("A", 0), ("B", 255)):
        folder = d / "domains" / f"train{domain}"
        folder.mkdir(parents=True)
        for index in range(2):
            pixels = np.full((8, 8, 3), index * 40, dtype=np.uint8)
            pixels[..., 0] = red
            Image.fromarray(pixels).save(folder / f"{index}.png")
    shutil.copytree(d / "domains" / "trainA", d / "one-domain" / "train" / "A")
    shutil.copytree(d / "domains" / "trainA", d / "unreadable-domain" / "trainA")
    (d / "unreadable-domain" / "trainB").mkdir()
    (d / "unreadable-domain" / "trainB" / "x.png").write_bytes(b"not a png")
    cycle = ["--model", "cyclegan", "--data", str(d / "domains"), "data.image_size=8"]
    tiny = ["model.width=2", "model.critic_width=2", "model.n_blocks=1", "train.batch_size=2"]
    assert main(["train", QUIET, "train.steps=1", *cycle, *tiny, "--out", str(d / "cycle")]) == 0
    # Paired folders: names that do not match, sizes that differ, one half only.
    for half in ("input", "target"):
        (d / "pairs" / half).mkdir(parents=True)
        for name in ("a.png", "b.png", f"only-{half}.png"):
            Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(d / "pairs" / half / name)
    shutil.copytree(d / "pairs", d / "pairs-sizes")
    for half in ("input", "target"):
        (d / "pairs-sizes" / half / f"only-{half}.png").unlink()
    Image.fromarray(np.zeros((9, 8, 3), np.uint8)).save(d / "pairs-sizes" / "target" / "a.png")
    shutil.copytree(d / "pairs" / "input", d / "half-pairs" / "input")
    (d / "empty-pairs" / "input").mkdir(parents=True)
    (d / "empty-pairs" / "target").mkdir()
    for half in ("input", "target"):
        (d / "good-pairs" / half).mkdir(parents=True)
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(d / "good-pairs" / half / "a.png")
    dacal = ["--model", "dacal", "--data", str(d / "good-pairs"), "data.image_size=16"]
    small = ["model.width=2", "model.critic_width=2", "model.code_dim=4", "train.batch_size=2"]
    assert main(["train", QUIET, "train.steps=1", *dacal, *small, "--out", str(d / "dacal")]) == 0
    # --- data and config cases (issue 44)
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(d / "not-inception.pt"))  # TorchScript
    for video, sizes in (("sizes", (8, 8, 10)), ("broken", (8, 8, 8))):
        frames = d / f"video-{video}" / "clip"
        frames.mkdir(parents=True)
        for index, side in enumerate(sizes):
            Image.fromarray(np.zeros((side, 8, 3), np.uint8)).save(frames / f"{index}.png")
    (d / "video-broken" / "clip" / "1.png").write_bytes(b"not a png")
    for layout in ("trainA", "trainB"):
        shutil.copytree(d / "domains" / layout, d / "both-layouts" / layout)
    shutil.copytree(d / "domains" / "trainA", d / "both-layouts" / "train" / "A")
    shutil.copytree(d / "domains" / "trainB", d / "both-layouts" / "train" / "B")
    (d / "duplicate.yaml").write_text("train:\n  steps: 1\n  batch_size: 2\n  steps: 2\n")
    saved = (d / "run" / "config.yaml").read_text()
    (broken("dup-config") / "config.yaml").write_text(saved + "train:\n  steps: 5\n")
    shutil.copytree(d / "cycle", d / "edited-model")
    cycle_config = (d / "cycle" / "config.yaml").read_text()
    assert "  name: cyclegan\n" in cycle_config
    edited = cycle_config.replace("  name: cyclegan\n", "  name: dcgan\n", 1)
    (d / "edited-model" / "config.yaml").write_text(edited)
    shutil.copytree(d / "domains" / "trainA", d / "one-class" / "cats")
    # A stargan run among digits-styles' four domains.
    styles = ["--model", "stargan", "--data", "digits-styles", "data.image_size=8", "data.limit=32"]
    assert main(["train", QUIET, "train.steps=1", *styles, *tiny, "--out", str(d / "star")]) == 0
    # pix2pix's aligned layout with a file of odd width (not input | target side by side).
    (d / "aligned-odd" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 9, 3), np.uint8)).save(d / "aligned-odd" / "train" / "x.png")
    # spade's label/ + image/ layout with an RGB colour mask, and with a 0/255 binary mask.
    colour = np.zeros((8, 8, 3), np.uint8)
    colour[:4] = (200, 40, 0)
    for name, mask in (("colour-masks", colour), ("binary-masks", np.eye(8, dtype=np.uint8) * 255)):
        for sub in ("label", "image"):
            (d / name / sub).mkdir(parents=True)
        Image.fromarray(mask).save(d / name / "label" / "a.png")
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(d / name / "image" / "a.jpg")
    return d


# (id, argv with {d} for the fixture folder, what the message must contain)
CASES = [
    # --- train: names, keys, types --------------------------------------------------------
    ("unknown model", "train --model stylegan9", "unknown model 'stylegan9'"),
    ("unknown dataset", "train --data imagenet", "unknown dataset 'imagenet'"),
    ("misspelt key", "train train.batchsize=3", "(did you mean 'batch_size'?)"),
    ("unknown section", "train optim.lr=1", "unknown config section 'optim'"),
    ("override without section", "train steps=5", "cannot read override"),
    ("override without key", "train =5", "cannot read override"),
    ("bare word", "train steps", "cannot read override 'steps'"),
    ("unknown flag", "train --epochs 3", "unrecognized arguments: --epochs"),
    ("string for int", "train train.batch_size=big", "'train.batch_size' must be int"),
    ("string for float", "train model.lambda1=strong", "'model.lambda1' must be float"),
    ("float for int", "train train.steps=1.5", "'train.steps' must be int"),
    ("bool for int", "train train.steps=true", "'train.steps' must be int"),
    ("empty value", "train train.steps=", "'train.steps' must be int"),
    ("mapping for int", "train train.steps={a:1}", "'train.steps' must be int"),
    ("one beta", "train model.betas=[0.5]", "'model.betas' must be"),
    ("string for bool", "train train.progress=maybe", "'train.progress' must be bool"),
    ("bad literal", "train model.critic_norm=banana", "choose one of"),
    ("seed not a number", "train --seed abc", "invalid int value: 'abc'"),
    # --- train: ranges ----------------------------------------------------------------------
    ("batch size 0", "train train.batch_size=0", "'train.batch_size' is 0"),
    ("steps 0", "train train.steps=0", "'train.steps' is 0"),
    ("grid size -1", "train train.grid_size=-1", "'train.grid_size' is -1"),
    ("log_every 0", "train train.log_every=0", "'train.log_every' is 0"),
    ("checkpoint_every -5", "train train.checkpoint_every=-5", "'train.checkpoint_every' is -5"),
    ("eval_every -1", "train train.eval_every=-1", "'train.eval_every' is -1"),
    ("eval_samples 1", "train train.eval_samples=1", "'train.eval_samples' is 1"),
    ("ema_decay 1.5", "train train.ema_decay=1.5", "'train.ema_decay' is 1.5"),
    ("ema_decay -0.1", "train train.ema_decay=-0.1", "'train.ema_decay' is -0.1"),
    ("seed beyond 64 bits", "train --seed 18446744073709551616", "'train.seed' is"),
    ("negative seed", "train --seed -1", "'train.seed' is -1"),
    ("width -4", "train model.width=-4", "'model.width' is -4"),
    ("width 0", "train model.width=0", "'model.width' is 0"),
    ("huge width", "train model.width=100000000", "'model.width' is 100000000"),
    ("latent_dim 0", "train model.latent_dim=0", "'model.latent_dim' is 0"),
    ("n_critic 0", "train model.n_critic=0", "'model.n_critic' is 0"),
    ("betas [2, 0.9]", "train model.betas=[2,0.9]", "'model.betas' is (2.0, 0.9)"),
    ("betas negative", "train model.betas=[-0.1,0.9]", "'model.betas' is"),
    ("lr 0", "train model.lr=0", "'model.lr' is 0.0"),
    ("lr nan", "train model.lr=.nan", "'model.lr' is nan"),
    ("lr inf", "train model.lr=.inf", "'model.lr' is inf"),
    ("negative penalty", "train model.lambda1=-1", "'model.lambda1' is -1.0"),
    ("target slope 0", "train model.k=0", "'model.k' is 0.0"),
    ("image size 0", "train data.image_size=0", "'data.image_size' is 0"),
    ("image size huge", "train data.image_size=100000", "'data.image_size' is 100000"),
    ("channels 2", "train data.channels=2", "data.channels must be 1 or 3"),
    ("limit 0", "train data.limit=0", "'data.limit' is 0"),
    ("fp16", "train train.mixed_precision=fp16", "not supported"),
    ("memory format", "train train.memory_format=nhwc", "unknown train.memory_format"),
    ("no gpu", "train --device cuda", "is not available"),
    ("unknown device", "train --device tpu", "unknown device 'tpu'"),
    # --- train: config files ----------------------------------------------------------------
    ("missing config", "train --config {d}/nope.yaml", "does not exist"),
    ("config is a folder", "train --config {d}/user", "is a folder"),
    ("binary config", "train --config {d}/binary.yaml", "is not a text file"),
    ("integer section key", "train --config {d}/intkey.yaml", "unknown config section 1"),
    ("integer key", "train --config {d}/intkey-in-section.yaml", "unknown config key 'train.1'"),
    ("boolean key", "train --config {d}/boolkey.yaml", "unknown config key 'train.True'"),
    ("config is a list", "train --config {d}/list.yaml", "must hold a mapping"),
    ("config is a number", "train --config {d}/scalar.yaml", "must hold a mapping"),
    ("invalid yaml", "train --config {d}/invalid.yaml", "is not valid YAML at line"),
    ("section not a mapping", "train --config {d}/section-scalar.yaml", "must be a mapping"),
    ("unknown section in file", "train --config {d}/unknown-section.yaml", "'optimizer'"),
    ("deeply nested", "train --config {d}/deep.yaml", "config file"),
    ("wrong type in file", "train --config {d}/wrong-type.yaml", "'train.steps' must be int"),
    ("width 0 in file", "train --config {d}/width-zero.yaml", "'model.width' is 0"),
    # --- train: the model zoo's settings ---------------------------------------------------
    ("unknown loss", "train --model gan model.loss=wgan", "'model.loss' is 'wgan'; choose one of"),
    ("pu_prior 0", "train --model gan model.pu_prior=0", "'model.pu_prior' is 0"),
    ("pu_prior 1.5", "train --model lsgan model.pu_prior=1.5", "'model.pu_prior' is 1.5"),
    ("pu_prior 1", "train --model wgan-gp model.pu_prior=1", "'model.pu_prior' is 1"),
    ("pu schedule", "train --model gan model.pu_schedule=basic", "choose one of"),
    ("prior components 0", "train model.prior_components=0", "'model.prior_components' is 0"),
    ("prior components > latent", "train model.prior_components=129", "exceed latent_dim"),
    ("prior separation negative", "train --model wgan model.prior_separation=-2", "must be > 0"),
    (
        "conditional without labels",
        "train --model dcgan --data gaussians8 model.conditional=true",
        "model.conditional=true needs data with class labels",
    ),
    (
        "bernoulli vae on points",
        "train --model vae --data gaussians8 model.decoder=bernoulli",
        "model.decoder=gaussian",
    ),
    (
        "aae supervised without mixture",
        "train --model aae model.supervised_prior=true",
        "supervised_prior needs prior=mixture",
    ),
    (
        "aae mixture not 2-D",
        "train --model aae model.prior=mixture model.latent_dim=8",
        "the mixture prior is 2-D",
    ),
    # --- train: data ------------------------------------------------------------------------
    ("empty image folder", "train --data {d}/empty-images", "has no readable images"),
    ("folder dataset without path", "train --data folder", "needs data.path"),
    ("mnist without files", "train --data mnist data.path={d}/user", "mnist"),
    # --- train: run folders -----------------------------------------------------------------
    ("out over a run", "train --out {d}/run", "already holds a trained run"),
    ("out over user files", "train --out {d}/user", "already exists and holds files"),
    ("out over a stopped run", "train --out {d}/no-ckpt", "continue it with --resume"),
    ("out is a file", "train --out {d}/afile", "is a file, not a folder"),
    ("out under a file", "train --out {d}/afile/run", "cannot create run folder"),
    ("out in /proc", "train --out /proc/swgen-run", "cannot create run folder"),
    ("resume and out", "train --resume {d}/run --out {d}/x", "not both"),
    ("resume missing", "train --resume {d}/nope", "does not exist"),
    ("resume a file", "train --resume {d}/afile", "is a file, not a run folder"),
    ("resume not a run", "train --resume {d}/empty-images", "not a run folder"),
    ("resume user folder", "train --resume {d}/user", "unknown config section 'my'"),
    ("resume other model", "train --resume {d}/run --model wgan", "holds a swgan model"),
    ("resume swapped ckpt", "train --resume {d}/mixed", "belongs to model 'wgan'"),
    ("resume truncated", "train --resume {d}/truncated", "is unreadable"),
    ("resume random bytes", "train --resume {d}/random", "is unreadable"),
    ("resume empty ckpt", "train --resume {d}/empty-ckpt", "is unreadable"),
    ("resume foreign", "train --resume {d}/foreign", "is not a swgen checkpoint"),
    ("resume damaged", "train --resume {d}/damaged", "is damaged"),
    ("resume bad rng", "train --resume {d}/bad-rng", "no valid random state"),
    ("resume crafted", "train --resume {d}/crafted", "refuses to load it"),
    ("resume binary config", "train --resume {d}/bin-config", "is not a text file"),
    ("resume bad yaml", "train --resume {d}/yaml-config", "is not valid YAML"),
    # --- sample -----------------------------------------------------------------------------
    ("sample missing run", "sample {d}/nope -o {d}/s.npy", "does not exist"),
    ("sample not a run", "sample {d}/user -o {d}/s.npy", "no checkpoint yet"),
    ("sample no config", "sample {d}/no-config -o {d}/s.npy", "no config.yaml"),
    ("sample no checkpoint", "sample {d}/no-ckpt -o {d}/s.npy", "no checkpoint yet"),
    ("sample swapped ckpt", "sample {d}/mixed -o {d}/s.npy", "belongs to model 'wgan'"),
    ("sample truncated", "sample {d}/truncated -o {d}/s.npy", "is unreadable"),
    ("sample random bytes", "sample {d}/random -o {d}/s.npy", "is unreadable"),
    ("sample foreign", "sample {d}/foreign -o {d}/s.npy", "is not a swgen checkpoint"),
    ("sample damaged", "sample {d}/damaged -o {d}/s.npy", "is damaged"),
    ("sample crafted", "sample {d}/crafted -o {d}/s.npy", "refuses to load it"),
    ("sample binary config", "sample {d}/bin-config -o {d}/s.npy", "is not a text file"),
    ("sample gif", "sample {d}/run -o {d}/s.gif", "animated GIFs are for video runs"),
    ("sample no extension", "sample {d}/run -o {d}/samples", "give a .png or .npy"),
    ("sample n 0", "sample {d}/run -n 0 -o {d}/s.npy", "-n must be between 1"),
    ("sample n negative", "sample {d}/run -n -5 -o {d}/s.npy", "-n must be between 1"),
    ("sample n huge", "sample {d}/run -n 100000000000 -o {d}/s.npy", "-n must be between 1"),
    ("sample n text", "sample {d}/run -n many -o {d}/s.npy", "invalid int value"),
    ("sample seed negative", "sample {d}/run --seed -1 -o {d}/s.npy", "--seed must be between"),
    ("sample seed 2**64", "sample {d}/run --seed 18446744073709551616 -o {d}/s.npy", "--seed"),
    ("sample to /proc", "sample {d}/run -o /proc/swgen.npy", "cannot write samples to"),
    ("sample under a file", "sample {d}/run -o {d}/afile/s.png", "cannot write samples to"),
    ("sample bad device", "sample {d}/run --device tpu -o {d}/s.npy", "device 'tpu'"),
    ("sample no output", "sample {d}/run", "required: -o/--output"),
    (
        "sample label unconditional",
        "sample {d}/run --label 1 -o {d}/s.npy",
        "this run is unconditional",
    ),
    (
        "sample label out of range",
        "sample {d}/cond --label 10 -o {d}/s.npy",
        "unknown label '10'; this run's classes are 0, 1",
    ),
    ("sample label negative", "sample {d}/cond --label=-1 -o {d}/s.npy", "unknown label '-1'"),
    (
        "sample label unknown name",
        "sample {d}/cond --label cat -o {d}/s.npy",
        "unknown label 'cat'",
    ),
    ("sample label missing", "sample {d}/cond -o {d}/s.npy --label", "expected one argument"),
    ("sample stray override", "sample {d}/run -o {d}/s.npy train.steps=3", "unrecognized"),
    ("sample truncation 0", "sample {d}/run --truncation 0 -o {d}/s.npy", "positive number"),
    ("sample truncation nan", "sample {d}/run --truncation nan -o {d}/s.npy", "positive number"),
    ("sample truncation word", "sample {d}/run --truncation big -o {d}/s.npy", "invalid float"),
    (
        "sample truncation translation",
        "sample {d}/cycle --truncation 1 -o {d}/s.npy",
        "draws no latent codes",
    ),
    ("sample jacobian keep 0", "sample {d}/run --jacobian-keep 0 -o {d}/s.npy", "in (0, 1]"),
    ("sample jacobian keep 2", "sample {d}/run --jacobian-keep 2 -o {d}/s.npy", "in (0, 1]"),
    (
        "sample jacobian keep translation",
        "sample {d}/cycle --jacobian-keep 0.5 -o {d}/s.npy",
        "drop --jacobian-keep",
    ),
    # --- where outputs go (issue 44): nothing of the user's is replaced ---------------------
    ("sample over a png", "sample {d}/run -o {d}/user/samples/step_0000001.png", "already exists"),
    ("sample over an npy", "sample {d}/run -o {d}/mine.npy", "add --overwrite"),
    ("sample label translation", "sample {d}/cycle --label 1 -o {d}/s.png", "drop --label"),
    ("sample picture too big", "sample {d}/cond -n 5000000 -o {d}/s.png", "megapixels"),
    ("explore over user files", "explore {d}/run -o {d}/my-strips", "add --overwrite"),
    (
        "translate into its input",
        "translate {d}/cycle --input {d}/domains -o {d}/domains",
        "is inside the input folder",
    ),
    (
        "translate into a subfolder of its input",
        "translate {d}/cycle --input {d}/domains -o {d}/domains/out",
        "is inside the input folder",
    ),
    (
        "translate input inside output",
        "translate {d}/cycle --input {d}/domains/trainA -o {d}/domains --overwrite",
        "is inside the output folder",
    ),
    (
        "translate over user files",
        "translate {d}/cycle --input {d}/domains -o {d}/user",
        "did not write for this run",
    ),
    (
        "enhance into its input",
        "enhance {d}/dacal --input {d}/good-pairs -o {d}/good-pairs --overwrite",
        "is inside the input folder",
    ),
    (
        "enhance over user files",
        "enhance {d}/dacal --input {d}/good-pairs -o {d}/user",
        "did not write for this run",
    ),
    (
        "run folder inside its data",
        "train --model cyclegan --data {d}/domains --out {d}/domains/run",
        "is inside the data folder",
    ),
    # --- data that moved, and data that never was ------------------------------------------
    ("data folder missing", "train --data {d}/nope", "no such folder"),
    ("data is a file", "train --data {d}/afile", "is a file, not a folder"),
    ("config data missing", "config dacal --data {d}/missing", "no such folder"),
    ("eval data moved", "eval {d}/moved-run --n 8", "does not exist (moved or deleted?)"),
    ("resume data moved", "train --resume {d}/moved-run", "give its new location with --data"),
    ("eval new data missing", "eval {d}/moved-run --data {d}/nope --n 8", "no such folder"),
    ("resume fewer steps", "train --resume {d}/two-steps train.steps=1", "past train.steps=1"),
    # --- explore ----------------------------------------------------------------------------
    ("explore missing run", "explore {d}/nope -o {d}/e", "does not exist"),
    ("explore swapped ckpt", "explore {d}/mixed -o {d}/e", "belongs to model 'wgan'"),
    ("explore truncated", "explore {d}/truncated -o {d}/e", "is unreadable"),
    ("explore crafted", "explore {d}/crafted -o {d}/e", "refuses to load it"),
    ("explore to /proc", "explore {d}/run -o /proc/swgen-explore", "cannot write exploration"),
    ("explore into a file", "explore {d}/run -o {d}/afile", "cannot write exploration"),
    ("explore under a file", "explore {d}/run -o {d}/afile/e", "cannot write exploration"),
    ("explore seed negative", "explore {d}/run --seed -3 -o {d}/e", "--seed must be between"),
    # --- eval -------------------------------------------------------------------------------
    ("eval missing run", "eval {d}/nope", "does not exist"),
    ("eval n 1", "eval {d}/run --n 1", "--n must be between 2"),
    ("eval n huge", "eval {d}/run --n 100000000000", "--n must be between 2"),
    ("eval inception n 0", "eval {d}/run --inception-n 0", "--inception-n must be between 2"),
    ("eval seed negative", "eval {d}/run --seed -1", "--seed must be between"),
    ("eval swapped ckpt", "eval {d}/mixed --n 8", "belongs to model 'wgan'"),
    ("eval random bytes", "eval {d}/random --n 8", "is unreadable"),
    ("eval crafted", "eval {d}/crafted --n 8", "refuses to load it"),
    ("eval no checkpoint", "eval {d}/no-ckpt --n 8", "no checkpoint yet"),
    ("eval truncation negative", "eval {d}/run --truncation=-1 --n 8", "positive number"),
    ("eval truncation inf", "eval {d}/run --truncation inf --n 8", "positive number"),
    ("eval jacobian keep nan", "eval {d}/run --jacobian-keep nan --n 8", "in (0, 1]"),
    # --- translation ---------------------------------------------------------------------------
    ("one domain", "train --model cyclegan --data {d}/one-domain", "no 'train/B'"),
    ("domain unreadable", "train --model cyclegan --data {d}/unreadable-domain", "no readable"),
    ("cyclegan on one domain", "train --model cyclegan --data digits", "two image domains"),
    ("load below image size", "train --data {d}/domains data.load_size=8", "smaller than"),
    ("translate other model", "translate {d}/run --input {d}/domains -o {d}/t", "not translate"),
    ("translate no input", "translate {d}/cycle --input {d}/nope -o {d}/t", "does not exist"),
    ("translate empty input", "translate {d}/cycle --input {d}/empty-images -o {d}/t", "no PNG"),
    (
        "translate direction",
        "translate {d}/cycle --input {d}/domains -o {d}/t --direction CtoD",
        "invalid choice: 'CtoD'",
    ),
    (
        "translate no attention",
        "translate {d}/cycle --input {d}/domains -o {d}/t --save-attention",
        "has no attention maps",
    ),
    (
        "translate into a file",
        "translate {d}/cycle --input {d}/domains -o {d}/afile",
        "cannot write translations",
    ),
    ("translate without --input", "translate {d}/cycle -o {d}/t", "required: --input"),
    ("explore translation run", "explore {d}/cycle -o {d}/e", "no latent space"),
    # --- enhancement -------------------------------------------------------------------------
    ("pair names differ", "train --model dacal --data {d}/pairs", "2 file name(s)"),
    ("pair sizes differ", "train --model dacal --data {d}/pairs-sizes", "the same size"),
    ("pair half missing", "train --model dacal --data {d}/half-pairs", "no 'target'"),
    ("pairs empty", "train --model dacal --data {d}/empty-pairs", "hold no PNG"),
    ("dacal on one domain", "train --model dacal --data digits", "dacal enhances photos"),
    ("dacal even blur", "train --model dacal model.blur_size=4", "blur_size must be odd"),
    ("enhance other model", "enhance {d}/cycle --input {d}/domains -o {d}/t", "not enhance"),
    ("enhance tile", "enhance {d}/cycle --input {d}/domains -o {d}/t --tile 2", "--tile"),
    ("enhance no input", "enhance {d}/run -o {d}/t", "required: --input"),
    ("enhance empty input", "enhance {d}/dacal --input {d}/empty-images -o {d}/t", "no PNG"),
    ("photo-clips one frame", "train --model dacal --data photo-clips data.frames=1", "at least 2"),
    # --- config, list, the command itself ---------------------------------------------------
    ("config unknown model", "config stylegan9", "unknown model 'stylegan9'"),
    ("config unknown dataset", "config swgan --data imagenet", "unknown dataset 'imagenet'"),
    ("config stray", "config swgan wgan", "unrecognized arguments: wgan"),
    ("list stray", "list everything", "unrecognized arguments: everything"),
    ("no command", "", "required: command"),
    ("unknown command", "fly", "invalid choice: 'fly'"),
    # --- data and config (issue 44) ---
    *(
        (
            f"{model} image size {size}",
            f"train --model {model} --data {{d}}/domains data.image_size={size}",
            f"data.image_size={size} is not supported by the translation networks",
        )
        for model in ("cyclegan", "attention-gan")
        for size in (7, 10)
    ),
    (
        "cyclegan critic layers too many",
        "train --model cyclegan --data {d}/domains data.image_size=8 model.critic_layers=2",
        "model.critic_layers=2 leaves no patches to score",
    ),
    *(
        (
            f"eval inception weights {name}",
            f"eval {{d}}/cond --n 8 --inception-weights {{d}}/{path}",
            message,
        )
        for name, path, message in (
            ("random bytes", "random/checkpoints/last.pt", "is not a TorchScript InceptionV3"),
            ("text", "user/config.yaml", "is not a TorchScript InceptionV3"),
            ("checkpoint", "run/checkpoints/last.pt", "is not a TorchScript InceptionV3"),
            ("other network", "not-inception.pt", "is TorchScript but not an InceptionV3"),
            ("missing", "nope.pt", "nope.pt' does not exist"),
            ("folder", "user", "user' is a folder, not a file"),
        )
    ),
    (
        "video frames differ in size",
        "train --data video-folder data.path={d}/video-sizes data.frames=2 data.image_size=8",
        "/video-sizes/clip' has frames of different sizes (8 x 8 at first, 8 x 10 at '2.png')",
    ),
    (
        "video frame unreadable",
        "train --data video-folder data.path={d}/video-broken data.frames=2 data.image_size=8",
        "'clip': frame '1.png' is unreadable",
    ),
    (
        "two-domain layouts both",
        "train --model cyclegan --data {d}/both-layouts data.image_size=8",
        "holds both trainA/, trainB/ and train/A/, train/B/",
    ),
    (
        "duplicate key in config",
        "train --config {d}/duplicate.yaml",
        "duplicate.yaml' sets 'train.steps' twice (lines 2 and 4)",
    ),
    ("duplicate key in run config", "sample {d}/dup-config -o {d}/s.npy", "sets 'train' twice"),
    ("duplicate key on resume", "train --resume {d}/dup-config", "sets 'train' twice"),
    (
        "run config edited to another model",
        "sample {d}/edited-model -o {d}/s.npy",
        "edited-model/config.yaml' is not a setting of model 'dcgan'",
    ),
    (
        "resume config edited to another model",
        "train --resume {d}/edited-model",
        "so the file was probably edited to another model",
    ),
    (
        "conditional on one class",
        "train --model gan --data {d}/one-class data.image_size=8 model.conditional=true",
        "of two or more classes",
    ),
    # --- swgen study (issue 41); other versions, bare databases, busy ports: tests/test_study.py
    (
        "study of a folder that is no run",
        "study create {d}/s.db --kind real-or-fake {d}/user",
        "user' has no checkpoint yet",
    ),
    (
        "study of a points run",
        "study create {d}/s.db --kind real-or-fake {d}/run",
        "models points, not images; a study shows images",
    ),
    (
        "preference study of one run",
        "study create {d}/s.db --kind preference {d}/run",
        "a preference study takes RUN_A RUN_B, got 1 run folder(s)",
    ),
    (
        "study over an existing file",
        "study create {d}/afile --kind real-or-fake {d}/cond",
        "afile' already exists; give a new file name, or add --overwrite",
    ),
    (
        "study with odd trials",
        "study create {d}/s.db --kind real-or-fake {d}/cond --trials 3",
        "--trials must be even, half real and half fake; got 3",
    ),
    (
        "study with too few stimuli",
        "study create {d}/s.db --kind real-or-fake {d}/cond --trials 20 --stimuli 5",
        "--stimuli must be between 10",
    ),
    ("serve a file that is no study", "study serve {d}/afile", "afile' is not a study file"),
    ("serve a missing study", "study serve {d}/nope.db", "nope.db' does not exist"),
    ("serve on a bad port", "study serve {d}/afile --port 70000", "--port must be between 0"),
    ("report of a folder", "study report {d}/user", "user' is a folder; give the study file"),
    # --- pix2pix (paired translation) ---
    (
        "pix2pix on two domains",
        "train --model pix2pix --data {d}/domains data.image_size=8",
        "pix2pix translates paired images",
    ),
    (
        "pix2pix image size",
        "train --model pix2pix --data digits-pairs data.image_size=24 model.num_downs=4",
        "data.image_size=24 is not a multiple of 2^model.num_downs=16",
    ),
    (
        "aligned pair of odd width",
        "train --model pix2pix --data paired-folders data.path={d}/aligned-odd data.image_size=8",
        "'x.png' is 9 x 8, an odd width",
    ),
    (
        "paired folder of neither layout",
        "train --model pix2pix --data paired-folders data.path={d}/one-class",
        "nor train/ of input | target files side by side",
    ),
    (
        "unknown data direction",
        "train --model pix2pix --data digits-pairs data.direction=AB",
        "choose one of ['AtoB', 'BtoA']",
    ),
    # --- stargan (issue 42)
    ("stargan on one class", "train --model stargan --data {d}/one-class", "two or more domains"),
    ("stargan on two domains", "train --model stargan --data {d}/domains", "labelled images"),
    (
        "translate to an unknown domain",
        "translate {d}/star --input {d}/domains -o {d}/t --to blue",
        "unknown domain 'blue'; choose one of: plain (0), ink (1), neon (2), rust (3)",
    ),
    (
        "translate to a domain index too large",
        "translate {d}/star --input {d}/domains -o {d}/t --to 4",
        "unknown domain '4'",
    ),
    ("translate without --to", "translate {d}/star --input {d}/domains -o {d}/t", "--to DOMAIN"),
    ("cyclegan with --to", "translate {d}/cycle --input {d}/domains -o {d}/t --to B", "--to"),
    ("sample stargan by label", "sample {d}/star --label 1 -o {d}/s.png", "drop --label"),
    # --- singan (issue 43)
    ("singan on a set of images", "train --model singan --data digits", "learns from one image"),
    (
        "singan on an image too small",
        "train --model singan --data china model.max_size=40 model.min_size=30",
        "too small for a pyramid",
    ),
    ("missing image file", "train --model singan --data image:{d}/no.png", "no such image file"),
    ("singan task on another run", "singan random {d}/run -o {d}/s.png", "not a SinGAN"),
    ("sample --size of a fixed size", "sample {d}/run --size 8x8 -o {d}/s.png", "drop --size"),
    # --- spade (issue 42)
    ("spade on images without maps", "train --model spade --data digits", "from label maps"),
    ("spade image size", "train --model spade --data scenes data.image_size=9", "too small or odd"),
    ("label map in colour", "train --model spade --data {d}/colour-masks", "RGB colour mask"),
    ("label maps of 0/255", "train --model spade --data {d}/binary-masks", "0/255 masks?"),
    (
        "label index out of range",
        "train --model spade --data {d}/binary-masks data.map_classes=4",
        "out of range for data.map_classes=4",
    ),
    # --- stylegan (issue 43)
    ("style mix without a style space", "explore {d}/run -o {d}/mix --style-mix", "style space"),
    ("stylegan psi above 1", "sample {d}/stylegan -o {d}/s.npy --truncation 1.5", "psi, between"),
    ("stylegan psi negative", "eval {d}/stylegan --truncation -0.5", "psi, between 0"),
    ("stylegan mixing 1.5", "train --model stylegan model.mixing_prob=1.5", "is 1.5"),
    ("stylegan critic name", "train --model stylegan model.critic=patch", "choose one of"),
    ("stylegan odd size", "train --model stylegan data.image_size=24", "power of two"),
]


def test_readme_states_the_number_of_cases():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    stated = re.search(r"(\d+) bad inputs", readme)
    assert stated is not None, "README's Reliability section must state the count"
    assert int(stated.group(1)) == len(CASES)


@pytest.mark.parametrize(("argv", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line(world, capsys, argv, pattern):
    before = snapshot(world)
    arguments = [part.replace("{d}", str(world)) for part in argv.split()]
    if arguments[:1] == ["train"] and "--out" not in arguments and "--resume" not in arguments:
        arguments += ["--out", str(world / "new-run")]
    code = main(arguments)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, (code, err)
    assert err.startswith("swgen: ") and "\n" not in err and "Traceback" not in err, err
    if pattern is not None:
        assert pattern in err, err
    assert snapshot(world) == before  # nothing written, nothing changed
    assert not (world / "payload-ran").exists()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
