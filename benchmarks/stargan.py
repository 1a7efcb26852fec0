"""One StarGAN for K domains against the K(K-1)/2 CycleGANs (K(K-1) generators) the same
translations would otherwise take: the paper's argument (Choi et al. 2018, Fig. 2), on digits.

    python benchmarks/stargan.py [--seeds 0 1 2] [--steps N] [--jobs 2] [--out benchmarks/results]

(``benchmarks/run.py --only-stargan`` runs this section alone and rewrites it in BENCHMARKS.md.)
StarGAN trains with its preset on ``digits-styles`` (4 styles; ``swgen train --model stargan
--data digits-styles``); CycleGAN with its preset on ``digits-recolour``, which is one pair of
those styles (``plain`` and ``ink``) with the same 300 held-out digits; ``--steps`` shortens
both. Each is evaluated by ``swgen eval``. Rows: StarGAN per target domain (inputs from the
other three styles) and CycleGAN per direction (inputs from the other style of its pair): PSNR
and SSIM against the true translation, label preservation (the shipped digits classifier) and,
for StarGAN, the proxy domain classifier's accuracy; then the cost: training seconds and
generator parameters of one StarGAN, and of one CycleGAN times K(K-1)/2 = 6 (every pair of the
4 styles). Finished runs (their ``eval.json``) are reused; a run's folder name holds its budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_runs import add_section_arguments, run_side_by_side, section_main  # noqa: E402
from progressive import mean_std  # noqa: E402  (mean ± std over seeds, as that section)

RUNS = (("stargan", "digits-styles"), ("cyclegan", "digits-recolour"))
DOMAINS = 4  # digits-styles' styles
PAIRS = DOMAINS * (DOMAINS - 1) // 2  # CycleGANs (two generators each) for every direction
COLUMNS = (
    ("psnr", "PSNR dB"),
    ("ssim", "SSIM"),
    ("label_preservation", "label kept"),
    ("domain_accuracy", "in target domain (proxy)"),
)
# CycleGAN's directions as the digits-styles target domain they reach.
CYCLE_TARGETS = {"AtoB": "ink", "BtoA": "plain"}


def jobs_for(seeds: list[int], out: Path, steps: int | None, threads: int = 1) -> list[dict]:
    budget = f"-{steps}steps" if steps else ""
    return [
        {
            "model": model,
            "data": data,
            "seed": seed,
            "steps": steps,
            "threads": threads,
            "folder": str(out / "stargan" / "runs" / f"{data}-{model}{budget}-seed{seed}"),
        }
        for seed in seeds
        for model, data in RUNS
    ]


def generator_parameters(folder: str) -> int:
    """Parameters of a run's generators (every ``generator*`` tensor of its checkpoint)."""
    import torch

    state = torch.load(Path(folder) / "checkpoints" / "last.pt", weights_only=True)["model"]
    return sum(v.numel() for k, v in state.items() if k.startswith("generator"))


def render(results: list[dict], seeds: list[int]) -> str:
    done = [r for r in results if "error" not in r]
    lines = [
        f"Seeds {', '.join(map(str, seeds))}; mean ± std over seeds; the 300 held-out digits.",
        "",
    ]
    for error in (r for r in results if "error" in r):
        lines.append(f"- {error['model']} seed {error['seed']}: {error['error']}")
    lines += [
        "| map | to | steps | " + " | ".join(label for _, label in COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(COLUMNS),
    ]

    def cells(rows: list[dict], key: str) -> str:
        def column(name: str) -> str:
            values = [r["metrics"][key].get(name) for r in rows]
            return mean_std([v for v in values if isinstance(v, (int, float))])

        return " | ".join(column(name) for name, _ in COLUMNS)

    stargan = [r for r in done if r["model"] == "stargan"]
    cyclegan = [r for r in done if r["model"] == "cyclegan"]
    if stargan:
        for target in ("plain", "ink", "neon", "rust", "mean"):
            lines.append(f"| stargan (1 model) | {target} | {stargan[0]['steps']} | "
                         f"{cells(stargan, target)} |")  # fmt: skip
    for direction, target in CYCLE_TARGETS.items():
        if cyclegan:
            lines.append(f"| cyclegan (plain, ink) | {target} | {cyclegan[0]['steps']} | "
                         f"{cells(cyclegan, direction)} |")  # fmt: skip
    lines += [
        "",
        "| cost | models | generator parameters | train s | wall s |",
        "|---|---|---|---|---|",
    ]
    for name, rows, copies in (("stargan", stargan, 1), ("cyclegan", cyclegan, PAIRS)):
        if not rows:
            continue
        parameters = generator_parameters(rows[0]["folder"]) * copies
        train = mean_std([r["train_seconds"] * copies for r in rows])
        wall = mean_std([r["wall"] * copies for r in rows])
        label = name if copies == 1 else f"{name} × {copies} (every pair of {DOMAINS} styles)"
        lines.append(f"| {label} | {copies} | {parameters:,} | {train} | {wall} |")
    lines += [
        "",
        "StarGAN's rows to `plain` and `ink` average inputs from three styles, CycleGAN's from "
        "the one other style of its pair. The CycleGAN cost is one measured pair times "
        f"{PAIRS}; the domain accuracy is a proxy (logistic regression on pixels, "
        "`swgen.metrics.domain_translation`).",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_section_arguments(parser, "stargan")


def run_stargan(out: Path, seeds: list[int], steps: int | None = None, jobs: int = 2) -> str:
    """Train, evaluate and tabulate every run; returns the Markdown of the section."""
    (out / "stargan").mkdir(parents=True, exist_ok=True)
    results = run_side_by_side(jobs_for(seeds, out, steps), jobs)
    (out / "stargan" / "results.json").write_text(json.dumps(results, indent=1))
    return render(results, seeds)


def main() -> None:
    section_main(__doc__, run_stargan)


if __name__ == "__main__":
    main()
