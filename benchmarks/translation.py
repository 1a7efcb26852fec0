"""Unpaired translation on digits-recolour: cyclegan and attention-gan against the identity map.

    python benchmarks/translation.py [--seeds 0 1 2] [--steps N] [--out benchmarks/results]

(``benchmarks/run.py --only-translation`` runs this section alone and rewrites it in
BENCHMARKS.md.) Each model trains with the ``digits-recolour`` preset (``swgen train --model M
--data digits-recolour``, the default demo run) unless ``--steps`` shortens it, and is evaluated
by ``swgen eval`` on the 300 held-out digits in both directions: PSNR and SSIM against the true
translations, label preservation (the shipped digits classifier's class kept), each beside the
identity map's (the floor) and, for label preservation, the truth's (the ceiling). Finished runs
(their ``eval.json``) are reused; a run's folder name holds its step budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_runs import add_section_arguments, run_side_by_side, section_main  # noqa: E402
from progressive import mean_std  # noqa: E402  (mean ± std over seeds, as that section)

MODELS = ("cyclegan", "attention-gan")
DATA = "digits-recolour"
COLUMNS = (("psnr", "PSNR dB"), ("ssim", "SSIM"), ("label_preservation", "label kept"))


def jobs_for(seeds: list[int], out: Path, steps: int | None, threads: int = 1) -> list[dict]:
    budget = f"-{steps}steps" if steps else ""
    return [
        {
            "model": model,
            "data": DATA,
            "seed": seed,
            "steps": steps,
            "threads": threads,
            "folder": str(out / "translation" / "runs" / f"{DATA}-{model}{budget}-seed{seed}"),
        }
        for seed in seeds
        for model in MODELS
    ]


def render(results: list[dict], seeds: list[int]) -> str:
    done = [r for r in results if "error" not in r]
    lines = [f"Seeds {', '.join(map(str, seeds))}; mean ± std over seeds; 300 held-out digits.", ""]
    for error in (r for r in results if "error" in r):
        lines.append(f"- {error['model']} seed {error['seed']}: {error['error']}")
    for direction, what in (("AtoB", "grey -> recoloured"), ("BtoA", "recoloured -> grey")):
        lines += [
            f"**{direction}** ({what})",
            "",
            "| map | steps | "
            + " | ".join(label for _, label in COLUMNS)
            + " | train s | wall s |",
            "|---|---|" + "---|" * len(COLUMNS) + "---|---|",
        ]

        def column(rows: list[dict], key: str, direction: str = direction) -> str:
            values = [r["metrics"][direction].get(key) for r in rows]
            return mean_std([v for v in values if isinstance(v, (int, float))])

        for model in MODELS:
            rows = [r for r in done if r["model"] == model]
            if not rows:
                continue
            cells = " | ".join(column(rows, key) for key, _ in COLUMNS)
            timing = f"{mean_std([r['train_seconds'] for r in rows])} | "
            timing += mean_std([r["wall"] for r in rows])
            lines.append(f"| {model} | {rows[0]['steps']} | {cells} | {timing} |")
        if done:  # the identity map and the truth do not depend on the model or the seed
            floor = " | ".join(column(done[:1], f"{key}_identity") for key, _ in COLUMNS)
            lines.append(f"| identity (floor) | – | {floor} | – | – |")
            truth = column(done[:1], "label_preservation_truth")
            lines.append(f"| truth (ceiling) | – | ∞ | 1 | {truth} | – | – |")
        lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_section_arguments(parser, "translation")


def run_translation(out: Path, seeds: list[int], steps: int | None = None, jobs: int = 2) -> str:
    """Train, evaluate and tabulate every run; returns the Markdown of the section."""
    (out / "translation").mkdir(parents=True, exist_ok=True)
    results = run_side_by_side(jobs_for(seeds, out, steps), jobs)
    (out / "translation" / "results.json").write_text(json.dumps(results, indent=1))
    return render(results, seeds)


def main() -> None:
    section_main(__doc__, run_translation)


if __name__ == "__main__":
    main()
