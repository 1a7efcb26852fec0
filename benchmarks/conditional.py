"""The conditional DCGAN on digits with its preset: time, and how often ``--label K`` gives a K.

    python benchmarks/conditional.py [--quick] [--out benchmarks/results] [--n 1000]

Runs the issue's command ``swgen train --model dcgan --data digits model.conditional=true`` (the
digits preset: 800 steps, width 16 at 32 px, batch 64) into ``<out>/conditional/runs/``, times its
training steps, then ``swgen eval`` reports ``label_agreement_digits``: for each class K, the
share of ``n / 10`` samples drawn with ``--label K`` that the shipped digits classifier calls K
(real digits: about 99% of them, its held-out accuracy). ``--quick`` (20 steps, width 4, 16 px)
only shows that the pipeline works. A finished run is reused.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

COMMAND = ["--model", "dcgan", "--data", "digits", "model.conditional=true"]
QUICK = ["train.steps=20", "model.width=4", "data.image_size=16", "train.sample_every=20"]


def run_conditional(out: Path, n: int = 1000, quick: bool = False) -> str:
    """Train (unless done) and evaluate the conditional DCGAN; return the Markdown report."""
    from swgen.cli import main as swgen

    section = out / ("conditional-quick" if quick else "conditional")
    folder = section / "runs" / "dcgan-digits"
    if not (folder / "checkpoints" / "last.pt").is_file():
        extra = QUICK if quick else []
        arguments = ["train", *COMMAND, "train.progress=false", *extra, "--out", str(folder)]
        if swgen(arguments) != 0:
            raise SystemExit(f"training into {folder} failed")
    if swgen(["eval", str(folder), "--n", str(n)]) != 0:
        raise SystemExit(f"evaluating {folder} failed")
    evaluation = json.loads((folder / "eval.json").read_text())
    last = json.loads((folder / "metrics.jsonl").read_text().splitlines()[-1])
    grid = section / "samples_dcgan_digits.png"  # the last grid: one row per class
    shutil.copyfile(sorted((folder / "samples").glob("step_*.png"))[-1], grid)
    report = render(evaluation, last.get("train_seconds", float("nan")), n, quick)
    return f"{report}\n\n![{grid.stem}]({grid.name})"


def render(evaluation: dict, seconds: float, n: int, quick: bool) -> str:
    metrics = evaluation["metrics"]
    agreement = metrics["label_agreement_digits"]
    command = "swgen train " + " ".join(COMMAND) + (" " + " ".join(QUICK) if quick else "")
    lines = [
        f"`{command}`: {evaluation['step']} steps in {seconds / 60:.1f} minutes of training "
        f"steps; classifier FID {metrics.get('fid_digits', float('nan')):.1f}. Share of the "
        f"{n // 10} samples of each `--label K` that the shipped digits classifier calls K "
        f"(all classes: {100 * agreement['mean']:.1f}%):",
        "",
        "| K | " + " | ".join(str(k) for k in range(10)) + " |",
        "|---|" + "---|" * 10,
        "| agreement % | "
        + " | ".join("–" if v is None else f"{100 * v:.0f}" for v in agreement["per_class"])
        + " |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--n", type=int, default=1000, help="evaluation samples (default 1000)")
    args = parser.parse_args()
    print(run_conditional(Path(args.out), args.n, args.quick), flush=True)


if __name__ == "__main__":
    main()
