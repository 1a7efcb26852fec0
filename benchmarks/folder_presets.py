"""Presets for a folder of one's own images (``swgen/configs/swgan/folder-<S>.yaml``), timed and
checked against what such a run did before them.

    python benchmarks/folder_presets.py [--images 10000] [--sizes 32 64 128] [--quality 32]
                                        [--out benchmarks/results]

The folder is Fashion-MNIST's first ``--images`` training images written as RGB PNGs (Debian's
``dataset-fashion-mnist``; nothing is downloaded): a folder of real photographs of clothes, read
by ``--data DIR`` like any user's folder and resized by it to each size.

* Timing, alone on the machine (it measures the machine, so run nothing else): seconds per step
  of the preset and of the old default (the official SWGAN settings on 64-channel networks, the
  dataclass defaults a folder run took before the presets), from a short probe run each, and the
  minutes a whole run takes.
* Quality at the ``--quality`` sizes: the preset's full run against the old default trained for
  the same wall time, by multi-scale SWD (PGGAN's, on the run's own RGB images) and the Fréchet
  distance of the shipped Fashion-MNIST classifier's features (``fid_fashion``, on grey
  versions), both over 2000 samples against the folder's images.

Prints a Markdown section for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from presets import seconds_per_step  # noqa: E402

from swgen.config import resolve  # noqa: E402

FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
# What `swgen train --data DIR` ran before the presets: SWGANConfig's official settings.
OLD_DEFAULT = [
    "model.width=64",
    "model.n_critic=4",
    "model.lr=0.0003",
    "train.lr_schedule=constant",
    "train.steps=3000",
]
EVAL_N = 2000


def make_folder(folder: Path, count: int) -> Path:
    from swgen.data import read_idx

    if folder.is_dir() and len(list(folder.glob("*.png"))) == count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(read_idx(FASHION)[:count]):
        Image.fromarray(np.repeat(image[..., None], 3, axis=2)).save(folder / f"{index:05d}.png")
    return folder


def preset_steps(folder: Path, size: int) -> int:
    return resolve(overrides=[f"data.name={folder}", f"data.image_size={size}"]).train.steps


def train_and_measure(folder: Path, run: Path, size: int, overrides: list[str]) -> dict:
    from swgen.cli import main as swgen
    from swgen.metrics import extract_features, fid
    from swgen.train.checkpoint import load_trained

    if not (run / "eval.json").is_file():
        argv = ["train", "--data", str(folder), f"data.image_size={size}", "--out", str(run)]
        assert swgen([*argv, *overrides, "train.progress=false"]) == 0
        assert swgen(["eval", str(run), "--n", str(EVAL_N)]) == 0
    metrics = json.loads((run / "eval.json").read_text())["metrics"]
    trained = load_trained(run)
    fake = trained.sample(EVAL_N, seed=0).mean(1, keepdim=True)
    real = trained.data.to_data_space(trained.data.sample(EVAL_N, seed=1)).mean(1, keepdim=True)
    return {
        "multiscale_swd": metrics["multiscale_swd"]["mean"],
        "fid_fashion": fid(extract_features("fashion", real), extract_features("fashion", fake)),
        "steps": trained.step,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10000, help="images in the folder")
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128], help="to time")
    parser.add_argument("--quality", type=int, nargs="*", default=[32], help="sizes to train")
    parser.add_argument("--probe-steps", type=int, default=10, help="steps of each timing probe")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="runs")
    args = parser.parse_args()
    out = args.out / "folder-presets"
    folder = make_folder(out / f"fashion-{args.images}", args.images)
    timing = {}
    for size in args.sizes:
        base = [f"data.image_size={size}"]
        new = seconds_per_step(str(folder), args.probe_steps, base, args.probe_steps)
        old = seconds_per_step(str(folder), args.probe_steps, [*base, *OLD_DEFAULT], 3)
        timing[size] = (new, old, preset_steps(folder, size))
    print("## Presets for one's own images (`benchmarks/folder_presets.py`)\n")
    print(f"A folder of {args.images} Fashion-MNIST PNGs; seconds per step from probe runs alone.")
    print(
        "\n| size | preset | s/step | min per 1000 steps | steps | run (min) | old default s/step |"
    )
    print("|---|---|---|---|---|---|---|")
    for size, (new, old, steps) in timing.items():
        config = resolve(overrides=[f"data.name={folder}", f"data.image_size={size}"])
        print(
            f"| {size} | width {config.model.width} | {new:.3f} | {new * 1000 / 60:.1f} | "
            f"{steps} | {new * steps / 60:.1f} | {old:.2f} |"
        )
    for size in args.quality:
        new, old, steps = timing.get(size) or (None, None, preset_steps(folder, size))
        preset = train_and_measure(folder, out / f"preset-{size}", size, [])
        old_steps = max(1, round(steps * new / old)) if new and old else 100
        before = train_and_measure(
            folder, out / f"old-{size}", size, [*OLD_DEFAULT, f"train.steps={old_steps}"]
        )
        print(f"\nAt {size} px, equal wall time ({steps} preset steps, {old_steps} old steps):\n")
        print("| run | steps | multi-scale SWD | fid_fashion |")
        print("|---|---|---|---|")
        for name, found in (("preset", preset), ("old default", before)):
            print(
                f"| {name} | {found['steps']} | {found['multiscale_swd']:.1f} | "
                f"{found['fid_fashion']:.1f} |"
            )


if __name__ == "__main__":
    main()
