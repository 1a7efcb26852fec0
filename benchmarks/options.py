"""Measurements behind the defaults of issue 7: SWGAN slope penalty, SWAE encoder and blocks.

    python benchmarks/options.py [--jobs 2] [--out benchmarks/results] [--groups swgan swae]

Each group runs one model with one setting changed at a time, on the data the choice is made
for, with the same evaluation as ``quality.py`` (its ``run_one``: an ordinary ``swgen train`` +
``swgen eval`` run folder under ``--out``/options/, reused when finished). Prints Markdown tables
(mean ± std over the seeds given) and writes a curve plot per group and data set.

* ``swgan``: ``model.slope_form`` true (the derivative of the leaky ReLU) against official (the
  official code's expression), with the paper's and the official gradient-penalty weighting, on
  25 Gaussians and digits;
* ``swae``: the shared conv encoder/decoder against the official linear encoder and BEGAN decoder
  (``model.architecture=paper``), each with 3, 10 and 30 primal blocks, and exact rank transport
  instead of the soft histogram, on digits; the two encoders with 3, 10 and 30 blocks on
  Fashion-MNIST.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality  # noqa: E402

# The rows were run with the presets of the time (25 Gaussians: 128-D noise, constant rates; both:
# the official n_critic 4 and Adam 3e-4, which swgen's presets for SWGAN now change); pinned so
# that a re-run measures the same thing.
OFFICIAL_SWGAN = [
    "model.n_critic=4",
    "model.lr=0.0003",
    "train.lr_schedule=constant",
    "model.prior_components=1",
    "model.info_weight=0",
]
G25_OLD_PRESET = ["model.latent_dim=128", *OFFICIAL_SWGAN]
# group -> data -> (steps, evaluation samples, rows of (label, model, overrides))
GROUPS: dict[str, dict[str, tuple[int, int, list[tuple[str, str, list[str]]]]]] = {
    "swgan": {
        "gaussians25": (
            1500,
            2500,
            [
                ("derivative", "swgan", ["model.slope_form=derivative", *G25_OLD_PRESET]),
                ("official expression", "swgan", ["model.slope_form=official", *G25_OLD_PRESET]),
            ],
        ),
        "digits": (
            800,
            2000,
            [
                ("derivative", "swgan", ["model.slope_form=derivative", *OFFICIAL_SWGAN]),
                ("official expression", "swgan", ["model.slope_form=official", *OFFICIAL_SWGAN]),
                (
                    "official expression + (1 - mu) GP",
                    "swgan",
                    [
                        "model.slope_form=official",
                        "model.gradient_weighting=official",
                        *OFFICIAL_SWGAN,
                    ],
                ),
            ],
        ),
    },
    "swae": {
        data: (
            400,
            2000,
            [
                *(
                    (f"{name}, {blocks} blocks", "swae", [*overrides, f"model.n_blocks={blocks}"])
                    for name, overrides in (
                        ("shared conv nets", ["model.architecture=shared"]),
                        ("official linear encoder + BEGAN decoder", ["model.architecture=paper"]),
                    )
                    for blocks in block_counts
                ),
                *extra,
            ],
        )
        for data, block_counts, extra in (
            (
                "digits",
                (3, 10, 30),
                [
                    (
                        "official nets, 3 blocks, exact rank transport",
                        "swae",
                        ["model.architecture=paper", "model.n_blocks=3", "model.transport=sort"],
                    )
                ],
            ),
            ("fashion-mnist", (3, 10, 30), []),
        )
    },
}
COLUMNS = {
    "gaussians25": quality.COLUMNS["gaussians25"],
    "digits": [("FID", "fid_digits"), ("P", "precision_digits"), ("R", "recall_digits")],
    "fashion-mnist": [
        ("FID", "fid_fashion"),
        ("P", "precision_fashion"),
        ("R", "recall_fashion"),
    ],
}


def jobs_of(group: str, out: Path, seeds: list[int], threads: int) -> dict:
    jobs = {}
    for data, (steps, n_eval, rows) in GROUPS[group].items():
        for label, model, overrides in rows:
            for seed in seeds:
                jobs[(group, data, label, seed)] = {
                    "model": model,
                    "data": data,
                    "seed": seed,
                    "steps": steps,
                    "n_eval": n_eval,
                    "folder": str(
                        out / "options" / f"{group}-{data}-{quality.slug(label)}-s{seed}"
                    ),
                    "threads": threads,
                    "data_overrides": [*overrides, f"train.checkpoint_every={max(1, steps // 4)}"],
                    "inception_n": 0,
                }
    return jobs


def render(group: str, results: dict, seeds: list[int]) -> list[str]:
    lines = []
    for data, (steps, n_eval, rows) in GROUPS[group].items():
        columns = COLUMNS[data]
        lines += [
            f"**{group}, {data}** ({steps} generator steps, {n_eval} samples, seeds {seeds})",
            "",
            "| setting | " + " | ".join(label for label, _ in columns) + " | train s |",
            "|" + "---|" * (len(columns) + 2),
        ]
        for label, _, _ in rows:
            runs = [results.get((group, data, label, s), {"error": "missing"}) for s in seeds]
            runs = [r for r in runs if "error" not in r]
            if not runs:
                lines.append(f"| {label} | " + " | ".join("–" for _ in columns) + " | |")
                continue
            cells = []
            for _, path in columns:
                values = [quality.lookup(r["metrics"], path) for r in runs]
                mean = statistics.fmean(values)
                spread = f" ± {statistics.stdev(values):.2g}" if len(values) > 1 else ""
                cells.append(f"{mean:.3g}{spread}")
            wall = statistics.fmean(r["train_seconds"] for r in runs)
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {wall:.0f} |")
        lines.append("")
    return lines


def run_options(out: Path, groups: list[str], seeds: list[int], n_jobs: int) -> str:
    threads = max(1, (os.cpu_count() or 1) // n_jobs)
    jobs = {}
    for group in groups:
        jobs.update(jobs_of(group, out, seeds, threads))
    results = quality.run_jobs(jobs, n_jobs)
    lines = [f"{n_jobs} run(s) side by side, {threads} thread(s) each.", ""]
    for group in groups:
        lines += render(group, results, seeds)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--groups", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    print(run_options(Path(args.out), args.groups, args.seeds, args.jobs))


if __name__ == "__main__":
    main()
