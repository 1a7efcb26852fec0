"""Photo enhancement on photo-pairs: DACAL with each division switched on in turn, against the
identity and an L1-only enhancer with the same network (the lecture's Tables 1 and 2).

    python benchmarks/enhancement.py [--seeds 0 1 2] [--steps N] [--out benchmarks/results]

(``benchmarks/run.py --only-enhancement`` runs this section alone and rewrites it in
BENCHMARKS.md.) Two tables. The ablation: every variant below at ``ABLATION_STEPS`` steps (a
short budget, so that all divisions fit in three seeds). The preset: the user's command
``swgen train --model dacal --data photo-pairs`` (its preset and default, ``l+f+d``) against
the L1-only enhancer and its neighbours (``PRESET_VARIANTS``) at the preset's own budget: the
issue's gate.
``--steps`` sets both budgets (a smoke test). Every run uses the ``dacal`` preset for
``photo-pairs`` otherwise, and is evaluated by ``swgen eval`` on the held-out photo regions:
PSNR and SSIM at a downscaled size (``_d``) and at full resolution (``_f``), beside the
untouched inputs' (identity, the floor). Variants:

* ``l1-only``: ``model.adversarial_weight=0`` (content loss alone, same enhancer);
* ``l``: perception division alone: one critic on whole images, WGAN-GP;
* ``l+f``: plus the frequency division (two critics, low and high frequencies), WGAN-GP;
* ``l+f+d``: plus the dimension division (dual SWD blocks), SWGAN's penalties (the default);
* ``l+f+d ada``: the same with the adaptive penalty, AdaSWGAN, as the slide reads;
* ``l+f+d ada-dpe``: AdaSWGAN with the running average adapting lambda as DPE's A-WGAN does.

Finished runs (their ``eval.json``) are reused; a run's folder name holds its step budget. Each
run also writes a before/after picture of held-out crops (``swgen sample``).

A photo no run ever saw: matplotlib's sample ``grace_hopper.jpg`` (512 x 600), through the same
camera model as photo-pairs' inputs (``swgen.data.paired.degrade``, three draws), written as RGB
files, plus one grey and one RGBA copy of the first, and enhanced by ``swgen enhance`` (the
user's command) at their own size; the "unseen" columns are PSNR_f/SSIM_f of the RGB outputs
against the photo, the grey and RGBA copies only have to come back at their size and mode.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_runs import add_section_arguments, run_side_by_side  # noqa: E402
from progressive import mean_std  # noqa: E402  (mean ± std over seeds, as that section)

DATA = "photo-pairs"
VARIANTS = {
    "l1-only": ["model.adversarial_weight=0"],
    "l": ["model.frequency=false", "model.loss=wgan"],
    "l+f": ["model.frequency=true", "model.loss=wgan"],
    "l+f+d": ["model.frequency=true", "model.loss=swgan"],
    "l+f+d ada": ["model.frequency=true", "model.loss=adaswgan"],
    "l+f+d ada-dpe": ["model.frequency=true", "model.loss=adaswgan", "model.adaptive_rule=dpe"],
}
ABLATION_STEPS = 500  # every division, 3 seeds: about 25 min of both cores
# at the preset's budget: the default and its neighbours against the L1-only enhancer (the gate)
PRESET_VARIANTS = ("l1-only", "l+f", "l+f+d", "l+f+d ada", "l+f+d ada-dpe")
COLUMNS = (("psnr_d", "PSNR_d"), ("ssim_d", "SSIM_d"), ("psnr_f", "PSNR_f"), ("ssim_f", "SSIM_f"))
UNSEEN = (("unseen_psnr_f", "unseen PSNR_f"), ("unseen_ssim_f", "unseen SSIM_f"))
UNSEEN_DRAWS = 3


def unseen_photo(folder: Path) -> tuple[Path, np.ndarray]:
    """The degraded copies of a photo photo-pairs does not hold; returns the folder and target."""
    import matplotlib
    from PIL import Image

    from swgen.data.paired import degrade

    with Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg") as f:
        photo = np.asarray(f.convert("RGB"), dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for draw in range(UNSEEN_DRAWS):
        degraded = degrade(photo, np.random.default_rng(1000 + draw))
        Image.fromarray(degraded).save(folder / f"rgb{draw}.png")
        if draw == 0:
            Image.fromarray(degraded).convert("L").save(folder / "grey0.png")
            Image.fromarray(degraded).convert("RGBA").save(folder / "rgba0.png")
    return folder, photo


def unseen_scores(run: Path, inputs: Path, photo: np.ndarray) -> dict[str, float]:
    """``swgen enhance`` the unseen copies; PSNR_f/SSIM_f of the RGB outputs and the inputs'."""
    import torch
    from PIL import Image

    from swgen.cli import main as swgen
    from swgen.metrics.translation import psnr, ssim

    out = run / "unseen"
    shutil.rmtree(out, ignore_errors=True)  # outputs of an earlier rendering
    if swgen(["enhance", str(run), "--input", str(inputs), "-o", str(out)]) != 0:
        return {"unseen_error": 1.0}
    as_tensor = lambda a: torch.from_numpy(np.array(a)).permute(2, 0, 1)[None].double() / 255  # noqa: E731
    truth = as_tensor(photo)
    scores: dict[str, list[float]] = {}
    for source in sorted(inputs.glob("*.png")):
        with Image.open(source) as given, Image.open(out / source.name) as made:
            if given.size != made.size or given.mode != made.mode:
                return {"unseen_error": 1.0}  # not at the input's own size and mode
            if given.mode != "RGB":
                continue
            pairs = (("", np.asarray(made)), ("_identity", np.asarray(given)))
        for suffix, pixels in pairs:
            image = as_tensor(np.array(pixels))
            scores.setdefault(f"unseen_psnr_f{suffix}", []).append(float(psnr(image, truth)))
            scores.setdefault(f"unseen_ssim_f{suffix}", []).append(float(ssim(image, truth)))
    return {key: float(np.mean(values)) for key, values in scores.items()}


def default_variant() -> str:
    """The variant whose settings are dacal's defaults (``swgen train --model dacal``)."""
    from swgen.models.dacal import DACALConfig

    defaults = DACALConfig()
    for name, settings in VARIANTS.items():
        pairs = (setting.removeprefix("model.").split("=") for setting in settings)
        if name != "l1-only" and all(str(getattr(defaults, k)).lower() == v for k, v in pairs):
            return name
    return "none"


def preset_steps() -> int:
    from swgen.config import resolve

    return resolve(overrides=["model.name=dacal", f"data.name={DATA}"]).train.steps


def jobs_for(
    seeds: list[int], out: Path, steps: int, variants=tuple(VARIANTS), threads: int = 1
) -> list[dict]:
    return [
        {
            "variant": variant,
            "model": "dacal",
            "data": DATA,
            "settings": VARIANTS[variant],
            "seed": seed,
            "steps": steps,
            "threads": threads,
            "after": [["sample", "{folder}", "-n", "6", "-o", "{folder}/before_after.png"]],
            "folder": str(
                out
                / "enhancement"
                / "runs"
                / f"{variant.replace(' ', '-')}-{steps}steps-seed{seed}"
            ),
        }
        for seed in seeds
        for variant in variants
    ]


def render(results: list[dict], seeds: list[int], title: str) -> str:
    done = [r for r in results if "error" not in r]
    held = done[0]["metrics"]["n"] if done else 0
    lines = [
        f"{title} Seeds {', '.join(map(str, seeds))}; mean ± std over seeds; {held} held-out "
        "photo regions at full resolution (_f) and downscaled to a long side of 256 px (_d).",
        "",
    ]
    for error in (r for r in results if "error" in r):
        lines.append(f"- {error['variant']} seed {error['seed']}: {error['error']}")
    columns = (*COLUMNS, *UNSEEN)
    lines += [
        "| enhancer | steps | "
        + " | ".join(label for _, label in columns)
        + " | train s | wall s |",
        "|---|---|" + "---|" * len(columns) + "---|---|",
    ]

    def column(rows: list[dict], key: str) -> str:
        values = [r["metrics"].get(key) for r in rows]
        return mean_std([v for v in values if isinstance(v, (int, float))])

    default = default_variant()
    if done:  # the identity does not depend on the variant or the seed
        floor = " | ".join(column(done[:1], f"{key}_identity") for key, _ in columns)
        lines.append(f"| identity (floor) | – | {floor} | – | – |")
    for variant in VARIANTS:
        rows = [r for r in done if r["variant"] == variant]
        if not rows:
            continue
        cells = " | ".join(column(rows, key) for key, _ in columns)
        timing = f"{mean_std([r['train_seconds'] for r in rows])} | "
        timing += mean_std([r["wall"] for r in rows])
        name = f"**dacal {variant}** (default)" if variant == default else f"dacal {variant}"
        lines.append(f"| {name} | {rows[0]['steps']} | {cells} | {timing} |")
    failed = [r for r in done if "unseen_error" in r["metrics"]]
    for r in failed:
        lines.append(f"- {r['variant']} seed {r['seed']}: swgen enhance failed on the unseen photo")
    lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_section_arguments(parser, "enhancement")


def run_enhancement(out: Path, seeds: list[int], steps: int | None = None, jobs: int = 2) -> str:
    """Train, evaluate and tabulate every run; returns the Markdown of the section."""
    (out / "enhancement").mkdir(parents=True, exist_ok=True)
    ablation, preset = steps or ABLATION_STEPS, steps or preset_steps()
    planned = jobs_for(seeds, out, preset, PRESET_VARIANTS) + jobs_for(seeds, out, ablation)
    planned = list({job["folder"]: job for job in planned}.values())  # one budget: once
    results = run_side_by_side(planned, jobs)
    inputs, photo = unseen_photo(out / "enhancement" / "unseen_inputs")
    for result in results:  # one direction: input -> enhanced
        if "metrics" in result:
            result["metrics"] = result["metrics"]["AtoB"]
            result["metrics"].update(unseen_scores(Path(result["folder"]), inputs, photo))
    (out / "enhancement" / "results.json").write_text(json.dumps(results, indent=1))
    at = lambda budget, names: [  # noqa: E731
        r for r in results if r["steps"] == budget and r["variant"] in names
    ]
    gate = render(
        at(preset, PRESET_VARIANTS),
        seeds,
        f"**The preset** (`swgen train --model dacal --data {DATA}`, {preset} steps; the "
        f"default is {default_variant()}) against the L1-only enhancer and its neighbours.",
    )
    table = render(
        at(ablation, VARIANTS), seeds, f"**Ablation**, each division in turn, {ablation} steps."
    )
    return gate + "\n" + table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, help="shorter budget than the preset (a smoke test)")
    parser.add_argument("--jobs", type=int, default=2, help="runs side by side, one thread each")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args()
    print(run_enhancement(Path(args.out), args.seeds, args.steps, args.jobs))


if __name__ == "__main__":
    main()
