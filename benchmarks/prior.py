"""The main job with the papers' N(0, I) prior against priors of separated Gaussians.

    python benchmarks/prior.py RUN... [--plot benchmarks/results/prior_digits.png]

Reads finished SWGAN digits runs (each evaluated by ``swgen eval --n 2000``), groups them by
their prior (``model.prior_components``, ``model.prior_separation``) and prints a Markdown table
of each group's classifier FID, recognised share, precision and recall, per seed and as the mean
over seeds. Runs trained with ``train.eval_every`` also give curves of classifier FID and
recognised share against training time, drawn to ``--plot``: the runs' own clocks, or, with
``--seconds-per-step S``, each point's step times S (the preset's cost per step measured alone,
since runs sharing the cores slow each other by different amounts). Runs of the same prior and
budget form one row. The runs are trained with the commands BENCHMARKS.md names; this script only
reads them.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import yaml

METRICS = [
    ("FID", "fid_digits", "{:.2f}"),
    ("recognised", "recognised_digits", "{:.3f}"),
    ("P", "precision_digits", "{:.3f}"),
    ("R", "recall_digits", "{:.3f}"),
]


def prior_label(config: dict) -> str:
    components = config["model"].get("prior_components", 1)
    if components == 1:
        return "N(0, I) (the papers')"
    return f"{components} Gaussians, s = {config['model'].get('prior_separation', 8.0):g}"


def read_run(folder: Path) -> dict:
    config = yaml.safe_load((folder / "config.yaml").read_text())
    evaluation = json.loads((folder / "eval.json").read_text())
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return {
        "label": prior_label(config),
        "seed": config["train"]["seed"],
        "steps": config["train"]["steps"],
        "metrics": evaluation["metrics"],
        "train_seconds": max(r.get("train_seconds", 0.0) for r in records),
        "curve": [r for r in records if "fid_digits" in r],
    }


def table(runs: list[dict]) -> str:
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for run in runs:
        groups[run["label"], run["steps"]].append(run)
    lines = [
        "| prior | steps | seeds | " + " | ".join(name for name, _, _ in METRICS) + " | train s |",
        "|---|---|---|" + "---|" * len(METRICS) + "---|",
    ]
    for (label, steps), members in groups.items():
        members.sort(key=lambda run: run["seed"])
        cells = []
        for _, key, form in METRICS:
            values = [run["metrics"][key] for run in members]
            each = " / ".join(form.format(v) for v in values)
            cells.append(
                f"{form.format(statistics.fmean(values))} ({each})" if len(values) > 1 else each
            )
        seconds = statistics.fmean(run["train_seconds"] for run in members)
        seeds = ", ".join(str(run["seed"]) for run in members)
        lines.append(
            f"| {label} | {steps} | {seeds} | " + " | ".join(cells) + f" | {seconds:.0f} |"
        )
    return "\n".join(lines)


def plot(runs: list[dict], path: Path, seconds_per_step: float | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [("fid_digits", "classifier FID (500 samples)"), ("recognised_digits", "recognised")]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, (key, title) in zip(axes, metrics, strict=True):
        for run in runs:
            if run["curve"]:
                axis.plot(
                    [
                        (r["step"] * seconds_per_step if seconds_per_step else r["train_seconds"])
                        / 60
                        for r in run["curve"]
                    ],
                    [r[key] for r in run["curve"]],
                    marker="o",
                    markersize=3,
                    label=f"{run['label']}, {run['steps']} steps, seed {run['seed']}",
                )
        axis.set_xlabel(
            f"training minutes alone (step x {seconds_per_step:g} s)"
            if seconds_per_step
            else "training minutes (one thread; other runs shared the cores)"
        )
        axis.set_title(f"{title}, the main job (SWGAN on digits)")
        axis.grid(alpha=0.3)
        if key.startswith("fid"):
            axis.set_yscale("log")
        axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument(
        "--seconds-per-step",
        type=float,
        default=None,
        help="plot against step x this (the preset's seconds per step alone), not the runs' clocks",
    )
    args = parser.parse_args()
    runs = [read_run(folder) for folder in args.runs]
    print(table(runs))
    if args.plot is not None:
        plot(runs, args.plot, args.seconds_per_step)
        print(f"\nwrote {args.plot}")


if __name__ == "__main__":
    main()
