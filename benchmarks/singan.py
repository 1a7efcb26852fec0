"""SinGAN on a bundled photo: train the preset, show samples at several sizes, measure them.

    python benchmarks/singan.py [--data china] [--quick] [--out benchmarks/results]

Trains ``swgen train --model singan --data china`` (the preset, configs/singan/china.yaml; with
``--quick`` one step per scale, a smoke test), then writes ``docs/singan-samples.png`` (the
training image, random samples from scale 0 and from scale 1 at the training size, a sample
twice as wide and one half as wide; ``--quick`` writes beside the run instead) and the section
``<!-- singan -->`` of BENCHMARKS.md through ``benchmarks/run.py --only-singan``: the SIFID proxy
and the diversity (``swgen.metrics.sifid``) of 100 samples started at scale 0 (the paper's
n = N) and at scale 1 (n = N - 1), with the training time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
PICTURE = HERE.parent / "docs" / "singan-samples.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--singan-data", default="china", help="china or flower (singan section)")


def to_picture(image: torch.Tensor) -> Image.Image:
    """(C, H, W) in [-1, 1] -> a Pillow image."""
    from swgen.plots import to_uint8_images

    return Image.fromarray(to_uint8_images(((image[None] + 1) / 2).clamp(0, 1))[0])


def sample_sheet(model: object, seed: int = 0) -> Image.Image:
    """One row: the training image | 3 samples from scale 0 | 2 from scale 1 | a 1:2-wide and a
    2:1-tall-as-wide sample (noise maps scaled), on white, 4 px apart."""
    from swgen.singan_apps import random_samples

    height, width = model.sizes[-1]  # type: ignore[attr-defined]
    tiles = [model.real(model.finest)[0]]  # type: ignore[attr-defined]
    tiles += list(random_samples(model, 3, 0, seed))
    tiles += list(random_samples(model, 2, 1, seed + 1))
    tiles += list(random_samples(model, 1, 0, seed + 2, (height, 2 * width)))
    tiles += list(random_samples(model, 1, 0, seed + 3, (height, width // 2)))
    pictures = [to_picture(t.float().cpu()) for t in tiles]
    sheet = Image.new("RGB", (sum(p.width + 4 for p in pictures) + 4, height + 8), "white")
    left = 4
    for picture in pictures:
        sheet.paste(picture, (left, 4))
        left += picture.width + 4
    return sheet


def run_singan(out: Path, data: str = "china", quick: bool = False) -> str:
    """Train, draw and measure; returns the Markdown of the section."""
    from swgen.cli import main
    from swgen.metrics.sifid import single_image_scores
    from swgen.train.checkpoint import load_trained

    run = out / "singan" / f"{data}{'-quick' if quick else ''}"
    budget = ["model.steps_per_scale=1", "train.steps=5"] if quick else []
    started = time.perf_counter()
    if not (run / "checkpoints" / "last.pt").is_file():
        argv = ["train", "--model", "singan", "--data", data, "--out", str(run), *budget]
        if main([*argv, "train.progress=false"]) != 0:
            raise SystemExit(f"training {run} failed")
    seconds = time.perf_counter() - started
    trained = load_trained(run)
    model = trained.model
    picture = run / "singan-samples.png" if quick else PICTURE
    sample_sheet(model).save(picture)
    model.set_sample_size(*model.sizes[-1])
    scores = single_image_scores(model, 100, seed=0)
    (run / "benchmark.json").write_text(json.dumps({"seconds": seconds, **scores}, indent=1))
    sizes = " -> ".join("x".join(map(str, s)) for s in model.sizes)
    steps = trained.config.model.steps_per_scale
    link = picture.relative_to(HERE.parent).as_posix() if not quick else picture.name
    return "\n".join(
        [
            f"`swgen train --model singan --data {data}` (preset: {len(model.sizes)} scales "
            f"{sizes}, scale factor {model.factor:.3f}, {steps} iterations per scale, "
            f"{trained.step} steps), trained in {seconds / 60:.1f} min on this machine.",
            "",
            "| samples from | SIFID proxy (lower is better) | diversity |",
            "|---|---|---|",
            f"| scale 0 (paper: n = N) | {scores['sifid_proxy_n0']:.3g} | "
            f"{scores['diversity_n0']:.3f} |",
            f"| scale 1 (paper: n = N - 1) | {scores.get('sifid_proxy_n1', float('nan')):.3g} | "
            f"{scores.get('diversity_n1', float('nan')):.3f} |",
            "",
            f"![singan samples]({link}): the training image, 3 samples from scale 0, 2 from "
            "scale 1, one twice as wide and one half as wide.",
            "",
            f"{scores['sifid_note']}. Expected direction (paper, Sec. 3): samples from scale 1 "
            "are closer to the image (lower SIFID) and less diverse than from scale 0.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="china", help="china or flower")
    parser.add_argument("--quick", action="store_true", help="one step per scale (smoke test)")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    print(run_singan(Path(args.out), args.data, args.quick))


if __name__ == "__main__":
    main()
