"""The two default jobs' presets, chosen by measurement: plain ``swgen train`` and gaussians25.

    python benchmarks/presets.py [--jobs 2] [--out benchmarks/results] [--only digits gaussians25]

* ``digits``: candidates for the main job (SWGAN on the bundled digits, 10 minutes of training
  on 2 CPU cores): the old preset and the new ones, each an ordinary run folder evaluated like the
  quality table, with its classifier FID and the share of samples the shipped digits classifier
  recognises (probability >= 0.9 for one class; ``recognised_digits``) against that of real digits
  (``recognised_digits_real``), and the curve of FID against training seconds
  (``presets_digits.png``).
* ``gaussians25``: SWGAN on the 25-Gaussian grid: modes covered and the share of samples within
  3 sigma of a mode, against training seconds (``presets_gaussians25.png``).

Candidates are dicts of config overrides applied on top of the dataset preset; the row named
``default`` is what ``swgen train`` runs today (no overrides), so the table checks the preset
files themselves. Prints a Markdown section.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality  # noqa: E402

# Every row pins what it changes, so that it measures the same thing whatever the preset files say.
LINEAR_DECAY = ["train.lr_schedule=linear", "train.lr_decay_start=0.5"]
# the papers' N(0, I) latent prior, which every digits row before 2026-11-28 ran with
PLAIN_PRIOR = ["model.prior_components=1", "model.info_weight=0"]
# the rows of the mixture prior were measured before the preset added InfoGAN's term
NO_INFO = ["model.info_weight=0"]
# the main job's schedule since 2026-11-26: one critic update per step at Adam 1e-3, linear decay
MAIN_SCHEDULE = ["model.n_critic=1", "model.lr=0.001", *LINEAR_DECAY]
# data -> (evaluation samples, rows of (label, steps, overrides))
CANDIDATES: dict[str, tuple[int, list[tuple[str, int, list[str]]]]] = {
    "digits": (
        2000,
        [
            (
                "old preset (width 16, n_critic 4, 800 steps)",
                800,
                [
                    "model.width=16",
                    "model.n_critic=4",
                    "model.lr=0.0003",
                    "model.slope_form=derivative",
                    "train.lr_schedule=constant",
                    *PLAIN_PRIOR,
                ],
            ),
            (
                "n_critic 4, 1100 steps, linear decay from half-way",
                1100,
                [
                    "model.n_critic=4",
                    "model.lr=0.0003",
                    "train.lr_schedule=linear",
                    "train.lr_decay_start=0.5",
                    *PLAIN_PRIOR,
                ],
            ),
            (
                "n_critic 2, 1800 steps, linear decay from half-way",
                1800,
                [
                    "model.n_critic=2",
                    "model.lr=0.0003",
                    "train.lr_schedule=linear",
                    "train.lr_decay_start=0.5",
                    *PLAIN_PRIOR,
                ],
            ),
            (
                "n_critic 2, lr 1e-3, 1800 steps, linear decay",
                1800,
                ["model.n_critic=2", "model.lr=0.001", *LINEAR_DECAY, *PLAIN_PRIOR],
            ),
            (
                "n_critic 1, lr 1e-3, 2700 steps, linear decay (the preset to 2026-11-27)",
                2700,
                [*MAIN_SCHEDULE, *PLAIN_PRIOR],
            ),
            (
                "the same with 10 separated Gaussians as prior, s = 8",
                2700,
                [
                    *MAIN_SCHEDULE,
                    "model.prior_components=10",
                    "model.prior_separation=8",
                    *NO_INFO,
                ],
            ),
            (
                "10 separated Gaussians, s = 16, 4000 steps (the preset before InfoGAN's term)",
                4000,
                [
                    *MAIN_SCHEDULE,
                    "model.prior_components=10",
                    "model.prior_separation=16",
                    *NO_INFO,
                ],
            ),
            # The bundled digits are 8 x 8 scans: at 16 px a step costs about a third as much.
            (
                "16 px, n_critic 1, lr 1e-3, 8000 steps, linear decay",
                8000,
                [
                    "data.image_size=16",
                    *MAIN_SCHEDULE,
                    *PLAIN_PRIOR,
                ],
            ),
            (
                "16 px, width 32, n_critic 1, lr 1e-3, 3000 steps, linear decay",
                3000,
                [
                    "data.image_size=16",
                    "model.width=32",
                    *MAIN_SCHEDULE,
                    *PLAIN_PRIOR,
                ],
            ),
        ],
    ),
    "gaussians25": (
        2500,
        [
            (
                "old preset (n_critic 4, lr 3e-4, 6000 steps)",
                6000,
                ["model.n_critic=4", "model.lr=0.0003"],
            ),
            ("default (the preset: n_critic 1, lr 1e-3, 6000 steps)", 0, []),
        ],
    ),
}
# A row whose run is the same job as one of benchmarks/options.py (same overrides, budget and
# evaluation) reads that run folder instead of training it twice.
SHARED_RUNS = {
    ("digits", "old preset (width 16, n_critic 4, 800 steps)"): "swgan-digits-derivative-s0",
}
COLUMNS = {
    "digits": [
        ("FID", "fid_digits"),
        ("recognised", "recognised_digits"),
        ("real recognised", "recognised_digits_real"),
        ("P", "precision_digits"),
        ("R", "recall_digits"),
    ],
    "gaussians25": quality.COLUMNS["gaussians25"],
}
CURVE_METRICS = {"digits": ["fid_digits", "recognised_digits"], "gaussians25": ["modes_covered"]}


def preset_steps(data: str) -> int:
    """``train.steps`` of the dataset's preset file (what ``swgen train --data DATA`` runs)."""
    from swgen.config import resolve

    return resolve(overrides=[f"data.name={data}"]).train.steps


def jobs_of(data: str, out: Path, seed: int, threads: int) -> dict:
    n_eval, rows = CANDIDATES[data]
    jobs = {}
    for label, steps, overrides in rows:
        steps = steps or preset_steps(data)
        jobs[(data, label)] = {
            "model": "swgan",
            "data": data,
            "seed": seed,
            "steps": steps,
            "n_eval": n_eval,
            "folder": str(
                out / "options" / SHARED_RUNS[(data, label)]
                if (data, label) in SHARED_RUNS
                else out / "presets" / f"{data}-{quality.slug(label, 40)}-s{seed}"
            ),
            "threads": threads,
            "data_overrides": [*overrides, f"train.checkpoint_every={max(1, steps // 4)}"],
            "inception_n": 0,
        }
    return jobs


def seconds_per_step(data: str, steps: int, overrides: list[str], probe_steps: int = 30) -> float:
    """Seconds per training step of a candidate alone on this machine (all its threads).

    The curves' time axis is ``step x`` this: the benchmark's runs share the cores with each
    other, so their own clocks measure the load, not the preset.
    """
    import json
    import tempfile

    from swgen.cli import main as swgen

    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder) / "probe"
        arguments = [f"train.steps={probe_steps}", f"train.log_every={probe_steps}"]
        quiet = ["train.progress=false", f"train.sample_every={probe_steps}"]
        code = swgen(["train", "--data", data, "--out", str(run), *overrides, *arguments, *quiet])
        if code != 0:
            return float("nan")
        record = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
        return 1.0 / record["steps_per_second"]


def plot(out: Path, data: str, results: dict) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = CURVE_METRICS[data]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        for (which, label), result in results.items():
            curve = [r for r in result.get("curve", []) if metric in r] if which == data else []
            if curve:
                pace = result.get("seconds_per_step")
                axis.plot(
                    [(r["step"] * pace if pace else r["train_seconds"]) / 60 for r in curve],
                    [r[metric] for r in curve],
                    marker="o",
                    markersize=3,
                    label=label,
                )
        axis.set_xlabel("training minutes alone on this machine (steps x seconds per step)")
        axis.set_title(f"{metric}, SWGAN on {data}")
        axis.grid(alpha=0.3)
        if metric.startswith("fid"):
            axis.set_yscale("log")
        axis.legend(fontsize=7)
    figure.tight_layout()
    path = out / f"presets_{data}.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def run_presets(out: Path, datasets: list[str], n_jobs: int, seed: int = 0) -> str:
    threads = max(1, (os.cpu_count() or 1) // n_jobs)
    jobs = {}
    for data in datasets:
        jobs.update(jobs_of(data, out, seed, threads))
    results = quality.run_jobs(jobs, n_jobs)
    for (data, label), result in results.items():
        if "error" not in result:
            overrides = next(o for name, _, o in CANDIDATES[data][1] if name == label)
            result["seconds_per_step"] = seconds_per_step(data, result["step"], overrides)
    lines = [
        f"Seed {seed}; {n_jobs} run(s) side by side, {threads} thread(s) each. 'min alone' is "
        "the run's steps times the seconds per step of the same preset measured alone on the "
        "machine (all cores, 30 steps): the runs' own clocks measure the load of the benchmark.",
        "",
    ]
    for data in datasets:
        columns = COLUMNS[data]
        lines += [
            f"**{data}** ({CANDIDATES[data][0]} samples)",
            "",
            "| preset | steps | " + " | ".join(c for c, _ in columns) + " | min alone |",
            "|" + "---|" * (len(columns) + 3),
        ]
        for label, _, _ in CANDIDATES[data][1]:
            result = results[(data, label)]
            if "error" in result:
                lines.append(f"| {label} | – | {result['error']} |")
                continue
            cells = [f"{quality.lookup(result['metrics'], path):.3g}" for _, path in columns]
            minutes = result["step"] * result["seconds_per_step"] / 60
            lines.append(
                f"| {label} | {result['step']} | " + " | ".join(cells) + f" | {minutes:.1f} |"
            )
        picture = plot(out, data, {k: v for k, v in results.items() if k[0] == data})
        lines += ["", f"![presets_{data}]({picture.name})" if picture else "", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--only", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    print(run_presets(Path(args.out), args.only, args.jobs))


if __name__ == "__main__":
    main()
