"""The ``swgen`` command: train, sample, translate, enhance, explore, eval, prepare, config, list,
study (its group lives in ``swgen.study.commands``).

Every user error ends as one line on stderr, ``swgen: <what is wrong>; <what to do>``, and exit
code 2, without a traceback; nothing already written is lost.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import typing
import warnings
from collections.abc import Sequence
from pathlib import Path

from swgen.errors import UserError
from swgen.listing import one_listing_per_folder
from swgen.outputs import OutputFolder, check_output_file

EXIT_USER_ERROR = 2
SEED_MAX = 2**32 - 1  # the seeds of batches and noise streams keep 32 bits
MAX_SAMPLES = 10_000_000  # samples held in memory at once by 'swgen sample'


def _check_seed(seed: int) -> None:
    if not 0 <= seed <= SEED_MAX:
        raise UserError(f"--seed must be between 0 and {SEED_MAX}, got {seed}")


def _writable(path: Path, what: str) -> UserError:
    """The error for an output that cannot be written (unwritable, under a file, /proc)."""
    return UserError(f"cannot write {what} '{path}'; give a path in a writable folder")


def _train(args: argparse.Namespace) -> None:
    from swgen.config import load_yaml, resolve
    from swgen.data import check_data_name, with_absolute_paths
    from swgen.evaluate import training_metrics
    from swgen.train.checkpoint import check_run_data, load_checkpoint
    from swgen.train.engine import Trainer
    from swgen.train.run_folder import RunFolder

    flags = {
        "model.name": args.model,
        "data.name": args.data,
        "train.seed": args.seed,
        "train.device": args.device,
    }
    if args.resume is not None:
        if args.out is not None:
            raise UserError("give either --resume RUN (continue a run) or --out DIR, not both")
        folder = RunFolder(args.resume)
        # A run stopped before its first checkpoint has nothing to continue: it starts again.
        folder.require_existing(checkpoint=False)
        saved = load_yaml(folder.config)
        saved_model = str((saved.get("model") or {}).get("name", ""))
        if args.model is not None and args.model.lower() != saved_model.lower():
            raise UserError(
                f"run '{folder.root}' holds a {saved_model} model, not {args.model}; "
                "drop --model to resume it, or start a new run with --out"
            )
        config = resolve(args.config, args.overrides, flags, base=saved)
        config.data = with_absolute_paths(config.data)
        record = None
        if folder.checkpoint.is_file():
            record = load_checkpoint(folder.checkpoint).get("data")
        check_run_data(config.data, folder.root, record)  # a moved folder: one line, --data NEW
        check_data_outside_run(config.data, folder)
        trainer = Trainer(config, folder, resume=True, metric_hooks=[training_metrics])
    else:
        config = resolve(args.config, args.overrides, flags)
        check_data_name(config.data.name)
        config.data = with_absolute_paths(config.data)
        from swgen.registry import MODELS

        check_run = getattr(MODELS.get(config.model_name), "check_run", None)
        if check_run is not None:
            check_run(config)  # a model's own checks before anything is written (singan)
        if args.out is not None:
            folder = RunFolder(args.out)
            folder.check_new()
        else:
            folder = RunFolder.new(config.model_name, config.data.name)
        check_data_outside_run(config.data, folder)
        trainer = Trainer(config, folder, metric_hooks=[training_metrics])
    summary = trainer.fit()
    trainer.close()
    if trainer.is_main:
        losses = ", ".join(f"{k}={v:.4g}" for k, v in summary.items() if k.startswith("loss_"))
        print(
            f"swgen: trained {config.model_name} on {config.data.name} to step {trainer.step}"
            f" ({losses}); run folder: {folder.root}"
        )


def check_data_outside_run(data: typing.Any, folder: typing.Any) -> None:
    """Refuse a run folder inside its own data folder (folders are read in depth, so the run's
    sample grids would become training data on --resume and in eval), or data inside the run."""
    from swgen.data import user_folder
    from swgen.outputs import is_within

    source = user_folder(data)
    if source is None or not source.is_dir():
        return
    if is_within(folder.root, source):
        raise UserError(
            f"run folder '{folder.root}' is inside the data folder '{source}', whose images "
            "would then include the run's own sample grids; give --out a folder outside it"
        )
    if is_within(source, folder.root):
        raise UserError(
            f"the data folder '{source}' is inside the run folder '{folder.root}'; "
            "keep training data outside run folders"
        )


def _sample(args: argparse.Namespace) -> None:

    from swgen.plots import frame_strips, image_grid, save_gif, save_picture, scatter_plot
    from swgen.train.checkpoint import load_trained

    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".npy", ".gif"):
        raise UserError(
            f"cannot write samples to '{out}'; give a .png or .npy file name (or .gif for video)"
        )
    if not 1 <= args.n <= MAX_SAMPLES:
        raise UserError(f"-n must be between 1 and {MAX_SAMPLES}, got {args.n}")
    _check_seed(args.seed)
    check_output_file(out, args.overwrite)
    run = load_trained(args.run, device=args.device, use_ema=not args.no_ema, data=args.data)
    run.truncate(args.truncation)  # a translation run refuses a bound: it draws no latent codes
    run.keep_low_jacobian(args.jacobian_keep)
    if args.size is not None:
        from swgen.singan_apps import sample_at_size

        sample_at_size(run.model, args.size)  # models that sample any size (singan)
    if run.model.maps_data:
        _sample_translations(run, args, out)
        return
    kind = run.data.info.kind
    if suffix == ".gif" and kind != "video":
        raise UserError(f"'{out}': animated GIFs are for video runs; this run's data are {kind}")
    label = None if args.label is None else run.label_index(args.label)
    if suffix == ".npy":
        _save_samples_npy(run, args, out, label)
        return
    check_picture_size(args.n, run.data.info)
    samples = run.sample(args.n, seed=args.seed, label=label)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".gif":
            save_gif(samples, out)
        elif kind == "video":
            save_picture(frame_strips(samples), out)  # a row of frames per clip
        elif kind == "images":
            save_picture(image_grid(samples), out)
        else:
            real = run.data.to_data_space(run.data.sample(min(args.n, 2000), seed=args.seed))
            save_picture(scatter_plot(samples, real), out)
    except OSError:
        raise _writable(out, "samples to") from None
    print(f"swgen: wrote {args.n} samples of {run.config.model_name} (step {run.step}) to {out}")


# The largest sample picture (grid, frame strips or GIF frame) 'swgen sample' draws: 100
# megapixels, a 10,000 x 10,000 grid, which image viewers still open; .npy takes any number.
MAX_PICTURE_PIXELS = 100_000_000


def check_picture_size(n: int, info: typing.Any) -> None:
    """Refuse a sample picture too large to draw or view, saying how many samples fit."""
    if not info.is_pixels:
        return  # a scatter plot has one size whatever the number of points
    per_sample = info.image_size**2 * (info.frames if info.kind == "video" else 1)
    if n * per_sample > MAX_PICTURE_PIXELS:
        fits = MAX_PICTURE_PIXELS // per_sample
        raise UserError(
            f"a picture of {n} samples would hold {n * per_sample / 1e6:.0f} megapixels, over "
            f"swgen's limit of {MAX_PICTURE_PIXELS // 1_000_000}; ask for at most {fits} with "
            "-n, or write a .npy file, which takes any number"
        )


def _save_samples_npy(
    run: typing.Any, args: argparse.Namespace, out: Path, label: int | None
) -> None:
    """Write ``args.n`` samples to ``out`` as one .npy array, chunk by chunk through a memory
    map, so memory stays bounded whatever the number; refused up front when the disk lacks the
    space. Written beside ``out`` and renamed, so a failure leaves no partial file."""
    import shutil
    import tempfile

    import numpy as np

    first = run.sample(1, seed=args.seed, label=label)
    shape = (args.n, *first.shape[1:])
    needed = args.n * first[0].numel() * 4
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=out.parent, prefix=f".{out.name}.", suffix=".npy"
        )
        os.close(descriptor)
        free = shutil.disk_usage(out.parent).free
    except OSError:
        raise _writable(out, "samples to") from None
    try:
        if needed > free:
            raise UserError(
                f"{args.n} samples need {needed / 1e9:.1f} GB in '{out}', and its disk has "
                f"{free / 1e9:.1f} GB free; ask for fewer with -n"
            )
        array = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.float32, shape=shape)
        start = 0
        for chunk in run.sample_chunks(args.n, seed=args.seed, label=label):
            array[start : start + len(chunk)] = chunk.numpy()
            start += len(chunk)
        array.flush()
        del array
        if args.overwrite or not out.exists():
            os.replace(temporary, out)
        else:
            raise UserError(f"'{out}' appeared while sampling; give a new file name")
    except OSError:
        raise _writable(out, "samples to") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
    print(f"swgen: wrote {args.n} samples of {run.config.model_name} (step {run.step}) to {out}")


def _sample_translations(run: typing.Any, args: argparse.Namespace, out: Path) -> None:
    """``swgen sample`` on a translation run: held-out inputs | outputs (| attention) (| the
    truth, where the data know it)."""
    import numpy as np
    import torch

    from swgen.plots import panel_grid, save_picture

    if out.suffix.lower() == ".gif":
        raise UserError(f"'{out}': animated GIFs are for video runs; this run translates images")
    from swgen.metrics.domain_translation import is_domain_data

    # Among the domains of labelled images (stargan): each input in every domain, one a row.
    domains = run.data.info.class_names if is_domain_data(run.data.info) else ()
    if args.label is not None:
        if domains:
            raise UserError(
                "--label samples a class, and this run translates images among domains; drop "
                "--label (the grid shows every domain; swgen translate --to DOMAIN picks one)"
            )
        raise UserError("this run translates images and has no classes to sample; drop --label")
    direction = run.model.directions[0]
    if domains:
        inputs = run.data.sample_batch(args.n, args.seed).x
    else:
        held = run.data.held_out(args.n, direction, args.seed)
        inputs = held.x
    panels = run.translate(inputs, direction)
    shown = "input | output" + (" | attention" if len(panels) > 2 else "")
    # The truth beside each output where the data know it: paired data, or held-out images
    # with their true translation (digits-recolour).
    paired = run.data.info.pairing == "paired" or getattr(run.data, "paired_test", False)
    if paired and not domains:
        panels.append(run.data.to_data_space(held.y.float().cpu()))
        shown += " | truth"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".npy":
            # the translations, (N, C, H, W) in [0, 1]; (N, K, C, H, W) to each of K domains
            outputs = torch.stack(panels[1:], dim=1) if domains else panels[1]
            np.save(out, outputs.numpy())
        else:
            save_picture(panel_grid(panels, groups_per_row=1 if domains else None), out)
    except OSError:
        raise _writable(out, "samples to") from None
    if domains:
        shown = "input | " + " | ".join(domains)
    print(
        f"swgen: wrote {args.n} held-out translations ({direction}, {shown}) of "
        f"{run.config.model_name} (step {run.step}) to {out}"
    )


def _translate(args: argparse.Namespace) -> None:
    from swgen.train.checkpoint import load_trained
    from swgen.translate import target_domain, translate_folder

    run = load_trained(args.run, device=args.device, use_ema=not args.no_ema)
    direction, shown = args.direction, args.direction
    if args.to is not None or getattr(run.model, "domains", ()):
        direction = target_domain(run.model, args.to)  # among K domains (stargan)
        shown = f"to {direction}"
    output = OutputFolder(
        args.output, "translate", args.run, args.overwrite, [Path(args.input)], "translations"
    )
    written, skipped = translate_folder(
        run, args.input, output, direction, save_attention=args.save_attention, style=args.style
    )
    note = f", skipped {skipped} unreadable" if skipped else ""
    print(f"swgen: translated {written} images ({shown}{note}) into {args.output}")


def _enhance(args: argparse.Namespace) -> None:
    from swgen.enhance import enhance_folder
    from swgen.train.checkpoint import load_trained

    if args.tile is not None and args.tile < 8:
        raise UserError(f"--tile must be at least 8 pixels, got {args.tile}")
    run = load_trained(args.run, device=args.device, use_ema=not args.no_ema)
    if args.tile is not None and run.model.enhances:
        run.model.config.tile = args.tile
    output = OutputFolder(
        args.output, "enhance", args.run, args.overwrite, [Path(args.input)], "enhanced photos"
    )
    written = enhance_folder(run, args.input, output)
    what = "videos" if run.data.info.kind == "video" else "images"
    print(f"swgen: enhanced {written} {what} into {args.output}")


def _explore(args: argparse.Namespace) -> None:
    from swgen.explore import explore, style_mixing
    from swgen.train.checkpoint import load_trained

    _check_seed(args.seed)
    run = load_trained(args.run, device=args.device, data=args.data)
    if run.model.maps_data:
        raise UserError(
            f"run '{args.run}' holds {run.config.model_name}, which translates images and has no "
            "latent space to explore; use 'swgen translate' or 'swgen sample'"
        )
    try:
        written = (style_mixing if args.style_mix else explore)(
            run,
            OutputFolder(
                args.output, "explore", args.run, args.overwrite, what="exploration strips"
            ),
            seed=args.seed,
        )
    except OSError:
        raise _writable(Path(args.output), "exploration strips into") from None
    print(f"swgen: wrote {len(written)} files to {args.output}")


def _eval(args: argparse.Namespace) -> None:
    from swgen.evaluate import evaluate_run, evaluation_file_name

    _check_seed(args.seed)
    result = evaluate_run(
        args.run,
        n=args.n,
        seed=args.seed,
        device=args.device,
        inception=args.inception,
        inception_weights=args.inception_weights,
        inception_n=args.inception_n,
        truncation=args.truncation,
        jacobian_keep=args.jacobian_keep,
        data=args.data,
    )
    print(json.dumps(result["metrics"]))
    written = Path(args.run) / evaluation_file_name(args.truncation, args.jacobian_keep)
    print(f"swgen: wrote {written} ({result['n']} samples, step {result['step']})")


def _prepare(args: argparse.Namespace) -> None:
    """``swgen prepare DIR --size S``: the prepared copy a run on DIR at that size reads;
    ``swgen prepare --clear``: remove every prepared copy."""
    import time

    from swgen.data import DataConfig, build_dataset, cache_root, with_absolute_paths
    from swgen.data.prepared import clear_copies, human_bytes, recording

    cache = cache_root(args.cache_dir)
    if args.clear:
        if args.folder is not None:
            raise UserError("give either a folder to prepare or --clear, not both")
        removed, freed = clear_copies(cache)
        copies = "copy" if removed == 1 else "copies"
        print(f"swgen: removed {removed} prepared {copies} ({human_bytes(freed)}) from {cache}")
        return
    if args.folder is None:
        raise UserError("give a folder to prepare (swgen prepare DIR --size S), or --clear")
    if args.size is None:
        raise UserError("give the image size of the runs with --size S (their data.image_size)")
    folder = Path(args.folder).expanduser()
    if not folder.is_dir():
        what = "a file, not a folder" if folder.exists() else "not an existing folder"
        raise UserError(f"'{args.folder}' is {what}; give a folder of your images")
    for flag in ("size", "limit", "load_size", "frames", "frame_stride"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            name = "--" + flag.replace("_", "-")
            raise UserError(f"{name} must be a positive integer, got {value}")
    config = with_absolute_paths(
        DataConfig(
            name="video-folder" if args.video else str(folder),
            path=str(folder) if args.video else None,
            image_size=args.size,
            channels=args.channels,
            limit=args.limit,
            frames=args.frames,
            frame_stride=args.frame_stride,
            load_size=args.load_size,
            cache_dir=args.cache_dir,
        )
    )
    started = time.perf_counter()
    with recording() as copies:
        try:
            source = build_dataset(config)
        except UserError as error:
            from swgen.data.video_folder import video_entries

            if args.video or not any(e.is_file() for e in video_entries(folder)):
                raise
            raise UserError(f"{error}; for a folder of videos add --video") from None
    seconds = time.perf_counter() - started
    built = sum(copy.built for copy in copies)
    done = f"prepared in {seconds:.1f} s" if built else "already prepared"
    print(f"swgen: {source.describe()}; {done}:")
    for copy in copies:
        print(f"  {copy.path} ({human_bytes(copy.nbytes)})")


def _config(args: argparse.Namespace) -> None:
    from swgen.config import describe, resolve
    from swgen.data import check_data_name

    flags = {"model.name": args.model, "data.name": args.data}
    if args.data is not None:
        check_data_name(args.data)  # a missing folder, a file, an unknown name: one line each
    origins: dict = {}
    print(describe(resolve(flags=flags, origins_out=origins), origins))


def _list(args: argparse.Namespace) -> None:
    import swgen.data  # noqa: F401  (datasets register on import)
    import swgen.models  # noqa: F401
    from swgen.registry import DATASETS, MODELS

    width = max(len(name) for name in MODELS.names() + DATASETS.names()) + 2
    print("models (--model NAME; default swgan):")
    for name in MODELS.names():
        print(f"  {name:<{width}}{MODELS.summary(name)}")
    print("datasets (--data NAME, or --data DIR for a folder of your own; default digits):")
    for name in DATASETS.names():
        print(f"  {name:<{width}}{DATASETS.summary(name)}")


RUN_HELP = "a run folder made by 'swgen train'"
SEED_HELP = "random seed of the drawn samples (default 0)"
DEVICE_HELP = "cpu (default), auto, cuda, cuda:N or mps"
OVERWRITE_FILE_HELP = "replace the output file if it exists (otherwise refused)"
OVERWRITE_FOLDER_HELP = (
    "write into an output folder holding other files, replacing those of the same names "
    "(otherwise the folder must be new, empty or hold only this command's earlier outputs)"
)
DATA_HELP = "where the run's data folder is now, when it moved (the run recorded the old location)"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is a one-line ``UserError`` like every other bad input
    (argparse itself prints the whole usage block before its message)."""

    def error(self, message: str) -> typing.NoReturn:
        raise UserError(f"{message}; see '{self.prog} --help'")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="swgen", description="Sliced Wasserstein generative models and their baselines."
    )
    parser.add_argument("--version", action="version", version=f"swgen {package_version()}")
    commands = parser.add_subparsers(
        dest="command", required=True, help="swgen COMMAND --help shows its options"
    )

    train = commands.add_parser(
        "train",
        help="train a model (default: swgan on digits)",
        epilog="'swgen config MODEL --data NAME' lists every KEY with its default and meaning.",
    )
    train.add_argument("--model", help="model name (default swgan; swgen list shows them)")
    train.add_argument(
        "--data", help="dataset name (default digits), or a folder of your own images"
    )
    train.add_argument("--config", help="YAML file with model:, data:, train: sections")
    train.add_argument("--seed", type=int, help="random seed (train.seed, default 0)")
    train.add_argument(
        "--device", help="auto (default: a GPU if there is one), cpu, cuda, cuda:N or mps"
    )
    train.add_argument(
        "--out", help="run folder to create (default: runs/<model>-<data>-<date>-<time>)"
    )
    train.add_argument("--resume", metavar="RUN", help="continue the run in this folder")
    train.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="dotted overrides, e.g. train.steps=2000 model.lambda1=10",
    )
    train.set_defaults(handler=_train)

    sample = commands.add_parser("sample", help="draw samples from a trained run")
    sample.add_argument("run", metavar="RUN", help=RUN_HELP)
    sample.add_argument("-n", "--n", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument(
        "-o", "--output", required=True,
        help=".png (grid, frame strips or scatter), .gif (animated, video runs) or .npy",
    )  # fmt: skip
    sample.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    sample.add_argument("--device", default="cpu", help=DEVICE_HELP)
    sample.add_argument("--overwrite", action="store_true", help=OVERWRITE_FILE_HELP)
    sample.add_argument("--data", metavar="NEW", help=DATA_HELP)
    sample.add_argument(
        "--label", help="class to sample, by index or name (runs with model.conditional=true)"
    )
    sample.add_argument("--no-ema", action="store_true", help="use the raw, not averaged, weights")
    sample.add_argument(
        "--truncation", type=float, metavar="T",
        help="draw the latent codes from the prior truncated at T standard deviations (the "
        "truncation trick: the smaller T, the more typical and the less varied the samples); "
        "stylegan truncates in W instead, T being psi in [0, 1] (w' = w_avg + psi (w - w_avg))",
    )  # fmt: skip
    sample.add_argument(
        "--jacobian-keep", type=float, metavar="FRACTION",
        help="keep the FRACTION of latent codes where the generator changes slowest (Jacobian-"
        "based truncation; of each component's codes, for a mixture prior): rejects samples "
        "that fall between modes, e.g. blends of two digits",
    )  # fmt: skip
    sample.add_argument(
        "--size", metavar="HxW",
        help="singan: samples of H x W pixels, any size and aspect ratio (default: the training "
        "image's)",
    )  # fmt: skip
    sample.set_defaults(handler=_sample)

    translate = commands.add_parser(
        "translate",
        help="translate every image of a folder with a translation run (cyclegan, pix2pix, ...)",
    )
    translate.add_argument("run", metavar="RUN", help=RUN_HELP)
    translate.add_argument(
        "--input", required=True,
        help="folder of images, or of label maps for spade (searched in depth)",
    )  # fmt: skip
    translate.add_argument(
        "-o", "--output", required=True, help="folder for the translations (same relative names)"
    )
    translate.add_argument(
        "--direction", default="AtoB", choices=["AtoB", "BtoA"],
        help="AtoB (default) maps domain A to B, BtoA the other way",
    )  # fmt: skip
    translate.add_argument(
        "--to", metavar="DOMAIN",
        help="stargan: the target domain, by name or index (the run's data classes)",
    )  # fmt: skip
    translate.add_argument(
        "--save-attention", action="store_true",
        help="attention-gan: also write each attention map as NAME_attention.png",
    )  # fmt: skip
    translate.add_argument(
        "--style", metavar="IMAGE",
        help="spade with model.style_encoder=true: render every label map in this image's style",
    )  # fmt: skip
    translate.add_argument("--device", default="cpu", help=DEVICE_HELP)
    translate.add_argument("--overwrite", action="store_true", help=OVERWRITE_FOLDER_HELP)
    translate.add_argument(
        "--no-ema", action="store_true", help="use the raw, not averaged, weights"
    )
    translate.set_defaults(handler=_translate)

    enhance = commands.add_parser(
        "enhance",
        help="enhance every photo (video run: every GIF or frame folder) of a folder with a "
        "dacal run, at its own size",
    )
    enhance.add_argument("run", metavar="RUN", help=RUN_HELP)
    enhance.add_argument("--input", required=True, help="folder of photos (searched in depth)")
    enhance.add_argument(
        "-o", "--output", required=True, help="folder for the enhanced photos (same names)"
    )
    enhance.add_argument(
        "--tile", type=int, help="full-resolution tile side (default: the run's model.tile)"
    )
    enhance.add_argument("--device", default="cpu", help=DEVICE_HELP)
    enhance.add_argument("--overwrite", action="store_true", help=OVERWRITE_FOLDER_HELP)
    enhance.add_argument("--no-ema", action="store_true", help="use the raw, not averaged, weights")
    enhance.set_defaults(handler=_enhance)

    explore = commands.add_parser("explore", help="latent-space exploration strips")
    explore.add_argument("run", metavar="RUN", help=RUN_HELP)
    explore.add_argument("-o", "--output", required=True, help="folder for the strips")
    explore.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    explore.add_argument("--device", default="cpu", help=DEVICE_HELP)
    explore.add_argument("--overwrite", action="store_true", help=OVERWRITE_FOLDER_HELP)
    explore.add_argument("--data", metavar="NEW", help=DATA_HELP)
    explore.add_argument(
        "--style-mix", action="store_true",
        help="stylegan runs: draw the style-mixing grid (coarse, middle and fine styles of source "
        "images put into destination images) as style_mix.png instead of the strips",
    )  # fmt: skip
    explore.set_defaults(handler=_explore)

    evaluate = commands.add_parser("eval", help="compute every metric that fits the run's data")
    evaluate.add_argument("run", metavar="RUN", help=RUN_HELP)
    evaluate.add_argument(
        "-n", "--n", type=int, default=5000, help="generated samples (default 5000)"
    )
    evaluate.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    evaluate.add_argument("--device", default="cpu", help=DEVICE_HELP)
    evaluate.add_argument("--data", metavar="NEW", help=DATA_HELP)
    evaluate.add_argument("--inception", action="store_true", help="also fid_inception")
    evaluate.add_argument("--inception-weights", help="TorchScript file of the TF-FID Inception")
    evaluate.add_argument(
        "--inception-n", type=int, help="samples for fid_inception (default: --n; slow on a CPU)"
    )
    evaluate.add_argument(
        "--truncation", type=float, metavar="T",
        help="measure samples of the prior truncated at T standard deviations (the truncation "
        "trick; stylegan: psi in [0, 1], in W); the metrics go to RUN/eval-truncation-T.json, "
        "and eval.json is left as it is",
    )  # fmt: skip
    evaluate.add_argument(
        "--jacobian-keep", type=float, metavar="FRACTION",
        help="measure the FRACTION of samples whose latent codes have the smallest generator "
        "Jacobian (Jacobian-based truncation); the metrics go to RUN/eval-jacobian-keep-F.json",
    )  # fmt: skip
    evaluate.set_defaults(handler=_eval)

    config = commands.add_parser(
        "config", help="every config key of a model, with its default, range and meaning"
    )
    config.add_argument("model", nargs="?", help="model name (default: swgan)")
    config.add_argument("--data", help="dataset whose preset fills the defaults (default: digits)")
    config.set_defaults(handler=_config)

    prepare = commands.add_parser(
        "prepare",
        help="decode a folder once, on every core, into the prepared copy its runs read",
        epilog="Runs prepare their folder themselves on first use; this does it ahead of time. "
        "Copies live in data.cache_dir, else $SWGEN_CACHE/prepared (~/.cache/swgen/prepared).",
    )
    prepare.add_argument(
        "folder", nargs="?", metavar="DIR", help="a folder of your images (any layout of --data)"
    )
    prepare.add_argument(
        "--size", type=int, metavar="S", help="image size of the runs (data.image_size)"
    )
    prepare.add_argument(
        "--channels", type=int, choices=[1, 3], help="1 for grey, 3 for colour (default 3)"
    )
    prepare.add_argument(
        "--limit", type=int, metavar="N", help="only the first N images (data.limit)"
    )
    prepare.add_argument(
        "--load-size",
        type=int,
        metavar="L",
        help="two domains: the size images are loaded at (data.load_size)",
    )
    prepare.add_argument(
        "--video", action="store_true",
        help="DIR holds videos (GIFs, movies, frame folders): prepare it as video-folder",
    )  # fmt: skip
    prepare.add_argument(
        "--frames",
        type=int,
        default=16,
        metavar="T",
        help="video: frames per clip (data.frames, default 16)",
    )
    prepare.add_argument(
        "--frame-stride", type=int, default=1, metavar="K",
        help="video: keep every K-th frame (data.frame_stride, default 1)",
    )  # fmt: skip
    prepare.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="where prepared copies live (data.cache_dir; default $SWGEN_CACHE/prepared)",
    )
    prepare.add_argument(
        "--clear", action="store_true", help="remove every prepared copy of the cache folder"
    )
    prepare.set_defaults(handler=_prepare)

    from swgen.study.commands import add_study_commands

    add_study_commands(commands)
    from swgen.singan_apps import add_singan_commands

    add_singan_commands(commands)

    listing = commands.add_parser("list", help="list models and datasets")
    listing.set_defaults(handler=_list)
    return parser


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("swgen")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _one_line_warning(message, category, filename, lineno, line=None) -> str:  # noqa: ANN001
    return f"swgen: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """The ``swgen`` command; returns its exit code. In a rank of a torchrun launch
    (``WORLD_SIZE`` > 1) it ends the process itself with that code, without interpreter
    shutdown (see ``exit_rank``), instead of returning."""
    code = _run_command(argv)
    from swgen.train.processes import exit_rank, launched_processes

    if launched_processes() > 1:
        exit_rank(code)  # a torchrun rank: interpreter shutdown could abort it (see exit_rank)
    return code


def _run_command(argv: Sequence[str] | None) -> int:
    warnings.formatwarning = _one_line_warning
    parser = build_parser()
    args = argparse.Namespace(command="")
    try:
        # Overrides may stand between options (``--data x train.steps=5 --seed 1``), which
        # argparse's trailing positional cannot take: collect the leftovers like KEY=VALUE.
        args, leftovers = parser.parse_known_args(argv)
        strays = [item for item in leftovers if "=" not in item or item.startswith("-")]
        if strays or (leftovers and args.command != "train"):
            parser.error(f"unrecognized arguments: {' '.join(strays or leftovers)}")
        if args.command == "train":
            args.overrides = [*args.overrides, *leftovers]
        with one_listing_per_folder():
            args.handler(args)
        sys.stdout.flush()  # a closed pipe fails here, inside the handler below, not at exit
    except UserError as error:
        # One line even when the message quotes user text holding a line break.
        print(f"swgen: {str(error).replace(chr(10), ' ')}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader of stdout left early (``swgen list | head -1``): not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        # Training turns Ctrl-C into Interrupted (with what was saved); this is another command.
        print(
            f"swgen: interrupted; the outputs of 'swgen {args.command}' may be incomplete; "
            "run it again",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
