"""Photo enhancement on photo-pairs: DACAL with each division switched on in turn, against the
identity and an L1-only enhancer with the same network (the lecture's Tables 1 and 2).

    python benchmarks/enhancement.py [--seeds 0 1 2] [--steps N] [--out benchmarks/results]

(``benchmarks/run.py --only-enhancement`` runs this section alone and rewrites it in
BENCHMARKS.md.) Every variant trains with the ``dacal`` preset for ``photo-pairs`` (``swgen
train --model dacal --data photo-pairs``) unless ``--steps`` shortens it, and is evaluated by
``swgen eval`` on the held-out photo regions: PSNR and SSIM at a downscaled size (``_d``) and at
full resolution (``_f``), beside the untouched inputs' (identity, the floor). Variants:

* ``l1-only``: ``model.adversarial_weight=0`` (content loss alone, same enhancer);
* ``l``: perception division alone: one critic on whole images, WGAN-GP;
* ``l+f``: plus the frequency division (two critics, low and high frequencies), WGAN-GP;
* ``l+f+d``: plus the dimension division (dual SWD blocks), SWGAN's penalties;
* ``l+f+d ada``: the same with the adaptive penalty, AdaSWGAN (the default).

Finished runs (their ``eval.json``) are reused; a run's folder name holds its step budget. Each
run also writes a before/after picture of held-out crops (``swgen sample``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from progressive import mean_std  # noqa: E402  (mean ± std over seeds, as that section)

DATA = "photo-pairs"
VARIANTS = {
    "l1-only": ["model.adversarial_weight=0"],
    "l": ["model.frequency=false", "model.loss=wgan"],
    "l+f": ["model.frequency=true", "model.loss=wgan"],
    "l+f+d": ["model.frequency=true", "model.loss=swgan"],
    "l+f+d ada": ["model.frequency=true", "model.loss=adaswgan"],
}
COLUMNS = (("psnr_d", "PSNR_d"), ("ssim_d", "SSIM_d"), ("psnr_f", "PSNR_f"), ("ssim_f", "SSIM_f"))


def jobs_for(seeds: list[int], out: Path, steps: int | None) -> list[dict]:
    budget = f"-{steps}steps" if steps else ""
    return [
        {
            "variant": variant,
            "seed": seed,
            "steps": steps,
            "folder": str(
                out / "enhancement" / "runs" / f"{variant.replace(' ', '-')}{budget}-seed{seed}"
            ),
        }
        for seed in seeds
        for variant in VARIANTS
    ]


def run_job(job: dict) -> dict:
    """Train (or reuse) and evaluate one run; returns its metrics and timings."""
    from swgen.cli import main as swgen

    folder = Path(job["folder"])
    evaluated = folder / "eval.json"
    if not evaluated.is_file():
        if folder.exists():
            shutil.rmtree(folder)  # an unfinished run: start again
        budget = [f"train.steps={job['steps']}"] if job["steps"] else []
        started = time.perf_counter()
        argv = ["train", "--model", "dacal", "--data", DATA, "--seed", str(job["seed"])]
        settings = [*VARIANTS[job["variant"]], "train.progress=false", *budget]
        if swgen([*argv, "--out", str(folder), *settings]) != 0:
            return {**job, "error": "training failed"}
        (folder / "wall_seconds.txt").write_text(f"{time.perf_counter() - started:.1f}\n")
        if swgen(["eval", str(folder), "--seed", str(job["seed"])]) != 0:
            return {**job, "error": "evaluation failed"}
        swgen(["sample", str(folder), "-n", "6", "-o", str(folder / "before_after.png")])
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    result = json.loads(evaluated.read_text())
    return {
        **job,
        "steps": result["step"],
        "metrics": result["metrics"]["AtoB"],
        "train_seconds": max(r.get("train_seconds", 0.0) for r in records),
        "wall": float((folder / "wall_seconds.txt").read_text()),
    }


def render(results: list[dict], seeds: list[int]) -> str:
    done = [r for r in results if "error" not in r]
    held = done[0]["metrics"]["n"] if done else 0
    lines = [
        f"Seeds {', '.join(map(str, seeds))}; mean ± std over seeds; {held} held-out photo "
        "regions at full resolution (_f) and downscaled to a long side of 256 px (_d).",
        "",
    ]
    for error in (r for r in results if "error" in r):
        lines.append(f"- {error['variant']} seed {error['seed']}: {error['error']}")
    lines += [
        "| enhancer | steps | "
        + " | ".join(label for _, label in COLUMNS)
        + " | train s | wall s |",
        "|---|---|" + "---|" * len(COLUMNS) + "---|---|",
    ]

    def column(rows: list[dict], key: str) -> str:
        values = [r["metrics"].get(key) for r in rows]
        return mean_std([v for v in values if isinstance(v, (int, float))])

    if done:  # the identity does not depend on the variant or the seed
        floor = " | ".join(column(done[:1], f"{key}_identity") for key, _ in COLUMNS)
        lines.append(f"| identity (floor) | – | {floor} | – | – |")
    for variant in VARIANTS:
        rows = [r for r in done if r["variant"] == variant]
        if not rows:
            continue
        cells = " | ".join(column(rows, key) for key, _ in COLUMNS)
        timing = f"{mean_std([r['train_seconds'] for r in rows])} | "
        timing += mean_std([r["wall"] for r in rows])
        lines.append(f"| dacal {variant} | {rows[0]['steps']} | {cells} | {timing} |")
    lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--enhancement-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--enhancement-steps", type=int, help="shorter budget than the preset (a smoke test)"
    )


def run_enhancement(out: Path, seeds: list[int], steps: int | None = None) -> str:
    """Train, evaluate and tabulate every run; returns the Markdown of the section."""
    torch.set_num_threads(1)  # a shared 2-core machine: one thread per process
    (out / "enhancement").mkdir(parents=True, exist_ok=True)
    results = [run_job(job) for job in jobs_for(seeds, out, steps)]
    (out / "enhancement" / "results.json").write_text(json.dumps(results, indent=1))
    return render(results, seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, help="shorter budget than the preset (a smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args()
    print(run_enhancement(Path(args.out), args.seeds, args.steps))


if __name__ == "__main__":
    main()
