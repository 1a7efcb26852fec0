"""Paired against unpaired translation on the same held-out digits: pix2pix on digits-pairs and
CycleGAN on digits-recolour.

    python benchmarks/pix2pix.py [--seeds 0 1 2] [--steps N] [--jobs 2] [--out benchmarks/results]

(``benchmarks/run.py --only-pix2pix`` runs this section alone and rewrites it in BENCHMARKS.md.)
Each model trains with its preset (``swgen train --model pix2pix --data digits-pairs``: 16
channels, batches of 4, 1200 steps; ``swgen train --model cyclegan --data digits-recolour``: the
unpaired demo) unless ``--steps`` shortens both, and is evaluated by ``swgen eval`` on the 300
held-out digits the two datasets share (``digits-pairs`` keeps ``digits-recolour``'s split):
grey -> recoloured, PSNR and SSIM against the true recolouring and label preservation (the
shipped digits classifier), beside the identity map (the floor) and the truth (the ceiling), with
training and wall time. pix2pix sees every training digit with its recolouring; CycleGAN sees the
grey half and the recoloured half of the training digits, unpaired. Finished runs (their
``eval.json``) are reused; a run's folder name holds its step budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_runs import add_section_arguments, run_side_by_side, section_main  # noqa: E402
from progressive import mean_std  # noqa: E402  (mean ± std over seeds, as that section)

RUNS = (("pix2pix", "digits-pairs", "paired"), ("cyclegan", "digits-recolour", "unpaired"))
DIRECTION = "AtoB"  # grey -> recoloured, the direction both models learn
COLUMNS = (("psnr", "PSNR dB"), ("ssim", "SSIM"), ("label_preservation", "label kept"))


def jobs_for(seeds: list[int], out: Path, steps: int | None, threads: int = 1) -> list[dict]:
    budget = f"-{steps}steps" if steps else ""
    return [
        {
            "model": model,
            "data": data,
            "pairing": pairing,
            "seed": seed,
            "steps": steps,
            "threads": threads,
            "folder": str(out / "pix2pix" / "runs" / f"{data}-{model}{budget}-seed{seed}"),
        }
        for seed in seeds
        for model, data, pairing in RUNS
    ]


def render(results: list[dict], seeds: list[int]) -> str:
    done = [r for r in results if "error" not in r]
    lines = [
        f"Seeds {', '.join(map(str, seeds))}; mean ± std over seeds; the 300 held-out digits "
        "both datasets share, grey -> recoloured.",
        "",
    ]
    for error in (r for r in results if "error" in r):
        lines.append(f"- {error['model']} seed {error['seed']}: {error['error']}")
    header = " | ".join(label for _, label in COLUMNS)
    lines += [
        f"| model | data (pairs) | steps | {header} | train s | wall s |",
        "|---|---|---|" + "---|" * len(COLUMNS) + "---|---|",
    ]

    def column(rows: list[dict], key: str) -> str:
        values = [r["metrics"][DIRECTION].get(key) for r in rows]
        return mean_std([v for v in values if isinstance(v, (int, float))])

    for model, data, pairing in RUNS:
        rows = [r for r in done if r["model"] == model]
        if not rows:
            continue
        cells = " | ".join(column(rows, key) for key, _ in COLUMNS)
        timing = f"{mean_std([r['train_seconds'] for r in rows])} | "
        timing += mean_std([r["wall"] for r in rows])
        lines.append(f"| {model} | {data} ({pairing}) | {rows[0]['steps']} | {cells} | {timing} |")
    if done:  # the identity map and the truth depend on neither the model nor the seed
        floor = " | ".join(column(done[:1], f"{key}_identity") for key, _ in COLUMNS)
        lines.append(f"| identity (floor) | – | – | {floor} | – | – |")
        truth = column(done[:1], "label_preservation_truth")
        lines.append(f"| truth (ceiling) | – | – | ∞ | 1 | {truth} | – | – |")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_section_arguments(parser, "pix2pix")


def run_pix2pix(out: Path, seeds: list[int], steps: int | None = None, jobs: int = 2) -> str:
    """Train, evaluate and tabulate every run; returns the Markdown of the section."""
    (out / "pix2pix").mkdir(parents=True, exist_ok=True)
    results = run_side_by_side(jobs_for(seeds, out, steps), jobs)
    (out / "pix2pix" / "results.json").write_text(json.dumps(results, indent=1))
    return render(results, seeds)


def main() -> None:
    section_main(__doc__, run_pix2pix)


if __name__ == "__main__":
    main()
