"""The SWGAN paper's comparison, re-run in swgen: every model, the same networks and budget.

    python benchmarks/quality.py [--quick] [--seeds 0 1 2] [--out benchmarks/results]

Rows: WAE, AE+IDT, SWAE | GAN, WGAN, WGAN-GP, CT-GAN, SWG, SWGAN. Columns: 25 Gaussians (modes
covered, high-quality share, W2), digits (fid_digits, kid_digits, multi-scale SWD, precision,
recall) and, unless ``--quick``, Fashion-MNIST (fid_fashion, multi-scale SWD; the 60k set from
Debian's ``dataset-fashion-mnist``). Every cell is mean +- std over seeds, with the wall time of
training. Each run is an ordinary ``swgen train`` + ``swgen eval`` run folder under ``--out``,
so any number here can be inspected or recomputed.

``--quick`` (one seed, small budgets, no Fashion-MNIST) finishes in about 10 minutes on 2 cores;
its numbers show that the pipeline works, not which model is best.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from swgen.cli import main as swgen

MODELS = ["wae", "ae-idt", "swae", "gan", "wgan", "wgan-gp", "ctgan", "swg", "swgan"]
LABELS = {
    "wae": "WAE",
    "ae-idt": "AE+IDT",
    "swae": "SWAE",
    "gan": "GAN",
    "wgan": "WGAN",
    "wgan-gp": "WGAN-GP",
    "ctgan": "CT-GAN",
    "swg": "SWG",
    "swgan": "SWGAN",
}
# (dataset, extra overrides, metrics to tabulate as (label, path in eval.json))
SETUPS = {
    "gaussians25": (
        [],
        [("modes", "modes_covered"), ("HQ %", "high_quality_fraction"), ("W2", "w2")],
    ),
    "digits": (
        [],
        [
            ("FID", "fid_digits"),
            ("KID", "kid_digits.mean"),
            ("MS-SWD", "multiscale_swd.mean"),
            ("P", "precision_digits"),
            ("R", "recall_digits"),
        ],
    ),
    "fashion-mnist": ([], [("FID", "fid_fashion"), ("MS-SWD", "multiscale_swd.mean")]),
}
BUDGETS = {  # generator steps per run: (quick, full)
    "gaussians25": (300, 2000),
    "digits": (100, 800),
    "fashion-mnist": (0, 800),
}
EVAL_SAMPLES = {"gaussians25": (1000, 2500), "digits": (500, 2000), "fashion-mnist": (0, 5000)}


def lookup(metrics: dict, path: str) -> float:
    value = metrics
    for key in path.split("."):
        value = value[key]
    return float(value)


def run_one(out: Path, model: str, data: str, seed: int, steps: int, n_eval: int) -> dict:
    folder = out / "runs" / f"{data}-{model}-s{seed}"
    overrides = [
        f"train.steps={steps}",
        "train.progress=false",
        f"train.sample_every={steps}",
        f"train.checkpoint_every={steps}",
        f"train.log_every={max(1, steps // 10)}",
    ]
    if not (folder / "eval.json").is_file():
        started = time.perf_counter()
        if (folder / "checkpoints" / "last.pt").is_file():
            code = swgen(["train", "--resume", str(folder), *overrides])
        else:
            code = swgen(
                [
                    "train",
                    "--model",
                    model,
                    "--data",
                    data,
                    "--seed",
                    str(seed),
                    "--out",
                    str(folder),
                    *SETUPS[data][0],
                    *overrides,
                ]
            )
        if code != 0:
            return {"error": f"training exited with {code}"}
        wall = time.perf_counter() - started
        if swgen(["eval", str(folder), "--n", str(n_eval), "--seed", str(seed)]) != 0:
            return {"error": "evaluation failed"}
        result = json.loads((folder / "eval.json").read_text())
        result["train_seconds"] = wall
        (folder / "eval.json").write_text(json.dumps(result, indent=1))
    return json.loads((folder / "eval.json").read_text())


def table(results: dict, data: str, seeds: list[int]) -> list[str]:
    columns = SETUPS[data][1]
    header = "| model | " + " | ".join(label for label, _ in columns) + " | train s |"
    lines = [header, "|" + "---|" * (len(columns) + 2)]
    for model in MODELS:
        runs = [
            results[(model, data, s)] for s in seeds if "error" not in results[(model, data, s)]
        ]
        if not runs:
            lines.append(f"| {LABELS[model]} | " + " | ".join("failed" for _ in columns) + " | |")
            continue
        cells = []
        for _, path in columns:
            values = [lookup(r["metrics"], path) for r in runs]
            mean = statistics.fmean(values)
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{mean:.3g} ± {spread:.2g}" if len(values) > 1 else f"{mean:.3g}")
        wall = statistics.fmean(r["train_seconds"] for r in runs)
        lines.append(f"| {LABELS[model]} | " + " | ".join(cells) + f" | {wall:.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--models", nargs="+", default=MODELS)
    args = parser.parse_args()
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    which = 0 if args.quick else 1
    datasets = [d for d in SETUPS if BUDGETS[d][which] > 0]
    out = Path(args.out) / ("quick" if args.quick else "full")
    results = {}
    for data in datasets:
        for model in args.models:
            for seed in seeds:
                results[(model, data, seed)] = run_one(
                    out, model, data, seed, BUDGETS[data][which], EVAL_SAMPLES[data][which]
                )
                print(
                    f"{data} {model} seed {seed}: {results[(model, data, seed)].get('metrics')}",
                    flush=True,
                )
    report = [
        f"Seeds {seeds}; steps per run {[BUDGETS[d][which] for d in datasets]} "
        f"for {datasets}; evaluated on {[EVAL_SAMPLES[d][which] for d in datasets]} samples.",
        "",
    ]
    for data in datasets:
        report += [f"### {data}", "", *table(results, data, seeds), ""]
    (out / "quality.md").write_text("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
