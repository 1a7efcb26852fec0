"""The SWGAN paper's comparison, re-run in swgen: every model, the same networks and budget.

    python benchmarks/quality.py [--quick] [--seeds 0 1 2] [--jobs 2] [--out benchmarks/results]

Rows: WAE, AE+IDT, SWAE, VAE, AAE | GAN, DCGAN, LSGAN, hinge GAN, WGAN, WGAN-GP, CT-GAN, SWG,
SWGAN. Columns: 25 Gaussians (modes covered, high-quality share, W2), digits (fid_digits,
kid_digits, multi-scale SWD, precision, recall, the share of samples the digits classifier
recognises) and, unless ``--quick``, Fashion-MNIST (fid_fashion, multi-scale SWD, precision,
recall; the 60k set from Debian's ``dataset-fashion-mnist``, or ``--fashion-path``). Every cell is
mean +- std over seeds, with the seconds spent in training steps. Each run is an ordinary
``swgen train`` + ``swgen eval`` run folder under ``--out``, so any number here can be inspected
or recomputed; runs already evaluated are reused, so an interrupted benchmark resumes.

Plots (PNG, beside the table): ``samples_<data>.png``, the last sample grid of every model
(seed 0), and ``curves_<data>.png``, the metrics logged during training against training time.

``--set KEY=VALUE ... --tag NAME`` runs every model with extra settings (a model's official
learning-rate schedule, say) into a table of its own, ``<out>/full[-paper][-<N>steps]-<NAME>``.

``--jobs N`` trains N runs side by side, each on cpu_count / N threads (numbers then match a
run on that many threads). ``--quick`` (one seed, small budgets, no Fashion-MNIST) finishes in
about 10 minutes on 2 cores; its numbers show that the pipeline works, not which model is best.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

MODELS = ["wae", "ae-idt", "swae", "vae", "aae"]
MODELS += ["gan", "dcgan", "lsgan", "hinge-gan", "wgan", "wgan-gp", "ctgan", "swg", "swgan"]
LABELS = {
    "wae": "WAE",
    "ae-idt": "AE+IDT",
    "swae": "SWAE",
    "vae": "VAE",
    "aae": "AAE",
    "gan": "GAN",
    "dcgan": "DCGAN",
    "lsgan": "LSGAN",
    "hinge-gan": "hinge GAN",
    "wgan": "WGAN",
    "wgan-gp": "WGAN-GP",
    "ctgan": "CT-GAN",
    "swg": "SWG",
    "swgan": "SWGAN",
}
IMAGE_COLUMNS = [("MS-SWD", "multiscale_swd.mean")]
# dataset -> metrics to tabulate as (label, path in eval.json)
COLUMNS = {
    "gaussians25": [("modes", "modes_covered"), ("HQ %", "high_quality_percent"), ("W2", "w2")],
    "digits": [
        ("FID", "fid_digits"),
        ("KID", "kid_digits.mean"),
        *IMAGE_COLUMNS,
        ("P", "precision_digits"),
        ("R", "recall_digits"),
        # the share of samples the digits classifier is sure of (real digits: about 0.99)
        ("recognised", "recognised_digits"),
    ],
    "fashion-mnist": [
        ("FID", "fid_fashion"),
        ("KID", "kid_fashion.mean"),
        ("FID Inception", "fid_inception"),
        *IMAGE_COLUMNS,
        ("P", "precision_fashion"),
        ("R", "recall_fashion"),
    ],
}
# metrics logged during training (train.eval_every), plotted against training time
CURVES = {
    "gaussians25": ["modes_covered", "sliced_w2"],
    "digits": ["fid_digits", "multiscale_swd"],
    "fashion-mnist": ["fid_fashion", "multiscale_swd"],
}
BUDGETS = {  # generator steps per run: (quick, full)
    "gaussians25": (300, 1500),
    "digits": (100, 600),
    "fashion-mnist": (0, 200),
}
EVAL_SAMPLES = {"gaussians25": (1000, 2500), "digits": (500, 2000), "fashion-mnist": (0, 5000)}
CURVE_SAMPLES = {"gaussians25": 1000, "digits": 500, "fashion-mnist": 500}
CURVE_POINTS = 5  # training-time evaluations per run


def lookup(metrics: dict, path: str) -> float:
    if path == "high_quality_percent":
        return 100 * float(metrics["high_quality_fraction"])
    value = metrics
    for key in path.split("."):
        value = value[key]
    return float(value)


def has(metrics: dict, path: str) -> bool:
    try:
        lookup(metrics, path)
    except KeyError:
        return False
    return True


# The table runs every model at its paper's hyperparameters; where a model ships a preset of its
# own for a data set (the main job's SWGAN on digits), these overrides undo what it changes.
PAPER_SETTINGS = {
    # the papers' N(0, I) prior, which the main job's preset no longer uses
    ("swgan", "digits"): [
        "model.n_critic=4",
        "model.lr=0.0003",
        "train.lr_schedule=constant",
        "model.prior_components=1",
        "model.info_weight=0",  # the preset's InfoGAN term needs its ten components
    ],
    ("swgan", "gaussians25"): ["model.n_critic=4", "model.lr=0.0003"],
    **{("swae", data): ["model.n_blocks=3"] for data in ("gaussians25", "digits", "fashion-mnist")},
}


def run_one(job: dict) -> dict:
    """Train and evaluate one (model, data, seed) run unless its ``eval.json`` exists."""
    import torch

    from swgen.cli import main as swgen

    torch.set_num_threads(job["threads"])
    folder = Path(job["folder"])
    steps, data = job["steps"], job["data"]
    curve_every = max(1, steps // job.get("curve_points", CURVE_POINTS))
    overrides = [
        f"train.steps={steps}",
        "train.progress=false",
        f"train.sample_every={steps}",
        # a checkpoint at every curve point: a long CPU run stopped with its session resumes
        # from there on the next call instead of from its start
        f"train.checkpoint_every={curve_every}",
        f"train.log_every={max(1, steps // 10)}",
        f"train.eval_every={curve_every}",
        f"train.eval_samples={job.get('curve_samples') or CURVE_SAMPLES[data]}",
        *job["data_overrides"],
        *([f"train.device={job['device']}"] if job.get("device") else []),
    ]
    evaluated = folder / "eval.json"
    if evaluated.is_file() and not evaluated_at(folder, steps):
        evaluated.unlink()  # a run of another budget: train on (or resume) to this one
    if not evaluated.is_file():
        if folder.is_dir() and not (folder / "checkpoints" / "last.pt").is_file():
            shutil.rmtree(folder)  # stopped before its first checkpoint: nothing to resume
        if (folder / "checkpoints" / "last.pt").is_file():
            code = swgen(["train", "--resume", str(folder), *overrides])
        else:
            code = swgen(
                [
                    "train",
                    "--model",
                    job["model"],
                    "--data",
                    data,
                    "--seed",
                    str(job["seed"]),
                    "--out",
                    str(folder),
                    *overrides,
                ]
            )
        if code != 0:
            return {"error": f"training exited with {code}"}
        device = ["--device", job["device"]] if job.get("device") else []
        evaluation = ["eval", str(folder), "--n", str(job["n_eval"]), "--seed", str(job["seed"])]
        if swgen([*evaluation, *device]):
            return {"error": "evaluation failed"}
    result = json.loads((folder / "eval.json").read_text())
    if job["inception_n"] and "fid_inception" not in result["metrics"]:
        evaluation = ["eval", str(folder), "--n", str(job["n_eval"]), "--seed", str(job["seed"])]
        if swgen([*evaluation, "--inception", "--inception-n", str(job["inception_n"])]):
            return {"error": "evaluation with Inception failed"}
        result = json.loads((folder / "eval.json").read_text())
    result["curve"] = [
        record
        for record in map(json.loads, (folder / "metrics.jsonl").read_text().splitlines())
        if not any(key.startswith("loss_") for key in record)
    ]
    last = json.loads((folder / "metrics.jsonl").read_text().splitlines()[-1])
    result["train_seconds"] = last.get("train_seconds", float("nan"))
    return result


def evaluated_at(folder: Path, steps: int) -> bool:
    """Whether the run in ``folder`` has been evaluated at ``steps`` (a run evaluated at another
    budget would be trained on by ``run_one``: not what ``--cached-only`` may do)."""
    evaluated = folder / "eval.json"
    return evaluated.is_file() and json.loads(evaluated.read_text())["step"] == steps


def run_jobs(jobs: dict, n_jobs: int) -> dict:
    """``run_one`` on every job, ``n_jobs`` side by side; ``{key: result}`` in the jobs' order."""
    results = {}
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch threads
    with ProcessPoolExecutor(n_jobs, mp_context=context) as pool:
        futures = {key: pool.submit(run_one, job) for key, job in jobs.items()}
        for key, future in futures.items():
            results[key] = future.result()
            shown = results[key].get("metrics", results[key].get("error"))
            print(f"{key}: {shown}", flush=True)
    return results


def slug(label: str, length: int | None = None) -> str:
    """A file-name-safe form of a row label (run folders are named after their rows)."""
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")[:length]


def table(results: dict, data: str, seeds: list[int], models: list[str] = MODELS) -> list[str]:
    columns = COLUMNS[data]
    header = "| model | " + " | ".join(label for label, _ in columns) + " | train s |"
    lines = [header, "|" + "---|" * (len(columns) + 2)]
    for model in [m for m in MODELS if m in models]:
        runs = [results[(model, data, s)] for s in seeds if (model, data, s) in results]
        runs = [r for r in runs if "error" not in r]
        label = LABELS[model] + (
            f" ({len(runs)} seed{'s' * (len(runs) > 1)})" if runs and len(runs) < len(seeds) else ""
        )
        if not runs:
            lines.append(f"| {LABELS[model]} | " + " | ".join("–" for _ in columns) + " | |")
            continue
        cells = []
        for _, path in columns:
            values = [lookup(r["metrics"], path) for r in runs if has(r["metrics"], path)]
            if not values:
                cells.append("–")
                continue
            mean = statistics.fmean(values)
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{mean:.3g} ± {spread:.2g}" if len(values) > 1 else f"{mean:.3g}")
        wall = statistics.fmean(r["train_seconds"] for r in runs)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {wall:.0f} |")
    return lines


def plot_samples(out: Path, data: str, seed: int) -> Path | None:
    """The last sample grid of every model (one seed) side by side, labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    grids = {}
    for model in MODELS:
        samples = sorted((out / "runs" / f"{data}-{model}-s{seed}" / "samples").glob("*.png"))
        if samples:
            grids[model] = Image.open(samples[-1])
    if not grids:
        return None
    figure, axes = plt.subplots(1, len(grids), figsize=(2.2 * len(grids), 2.6))
    panels = list(axes) if len(grids) > 1 else [axes]
    for axis, (model, grid) in zip(panels, grids.items(), strict=True):
        axis.imshow(grid, cmap="gray" if grid.mode == "L" else None)
        axis.set_title(LABELS[model], fontsize=10)
        axis.axis("off")
    figure.tight_layout()
    path = out / f"samples_{data}.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_curves(out: Path, results: dict, data: str, seeds: list[int]) -> Path | None:
    """Training-time metrics against seconds of training, mean over seeds, one line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = CURVES[data]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4))
    drawn = False
    for axis, metric in zip(axes, metrics, strict=True):
        for index, model in enumerate(MODELS):
            curves = [
                results[(model, data, s)].get("curve", [])
                for s in seeds
                if "error" not in results.get((model, data, s), {"error": 1})
            ]
            curves = [[r for r in c if metric in r] for c in curves]
            curves = [c for c in curves if c]
            if not curves:
                continue
            length = min(len(c) for c in curves)
            points = range(length)
            seconds = [statistics.fmean(c[i]["train_seconds"] for c in curves) for i in points]
            values = [statistics.fmean(c[i][metric] for c in curves) for i in points]
            style = "-" if index >= 3 else "--"
            axis.plot(seconds, values, style, marker="o", markersize=3, label=LABELS[model])
            drawn = True
        axis.set_xscale("log")
        if metric.startswith("fid") or metric in ("sliced_w2", "multiscale_swd"):
            axis.set_yscale("log")
        axis.set_xlabel("training seconds (log)")
        axis.set_title(f"{metric} on {data} (mean over {len(seeds)} seeds)")
        axis.grid(alpha=0.3)
    if not drawn:
        plt.close(figure)
        return None
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    path = out / f"curves_{data}.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def at_least_two(text: str) -> int:
    """argparse type of --curve-samples: a metric over fewer than two samples is undefined."""
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--datasets", nargs="+", default=list(COLUMNS))
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="runs trained side by side (default: 2, or 1 on a 1-core machine)",
    )
    parser.add_argument(
        "--inception",
        type=int,
        default=0,
        metavar="N",
        help="also fid_inception on N samples, Fashion-MNIST runs of the first seed only "
        "(Inception takes ~0.15 s per image on a CPU)",
    )
    parser.add_argument(
        "--fashion-path", help="Fashion-MNIST IDX folder (default: Debian's dataset folder)"
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="render the tables from the runs already evaluated; train nothing (a missing run "
        "is a missing seed in its row)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        help="generator steps of every run instead of the budget of each data set (longer "
        "budgets, to see the curves flatten); results go to <out>/<full|quick>[-paper]-<N>steps/",
    )
    parser.add_argument(
        "--curve-points", type=int, default=CURVE_POINTS, help="training-time evaluations per run"
    )
    parser.add_argument(
        "--curve-samples",
        type=at_least_two,
        help="generated samples per training-time evaluation (default: 1000 on 25 Gaussians, 500 "
        "on images); near FID 5 a 500-sample FID is mostly its own bias, so late curves of long "
        "runs need more to show whether they have flattened",
    )
    parser.add_argument(
        "--architecture",
        default="shared",
        help="model.architecture of every run: 'shared' (swgen's networks, one table on the same "
        "footing) or 'paper' (each model on its paper's own networks); results go to "
        "<out>/<full|quick>[-paper]/",
    )
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="config overrides for every run, after the paper settings (e.g. a model's official "
        "learning-rate schedule); needs --tag, so that these runs never mix with the plain ones",
    )
    parser.add_argument(
        "--tag",
        help="suffix of the runs' folder and of the BENCHMARKS.md section: "
        "<out>/<full|quick>[-paper][-<N>steps]-<tag>/",
    )
    parser.add_argument(
        "--trained-on",
        metavar="MACHINE",
        help="where the runs were trained, for the report's header when it is rendered on "
        "another machine (--cached-only; e.g. 'one H100, 5 threads per run'); default: this "
        "machine's device and threads per run",
    )


def describe_device(device: str | None) -> str:
    import torch

    if device and device.startswith("cuda") and torch.cuda.is_available():
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return device or "auto"


def output_name(args: argparse.Namespace) -> str:
    """The folder under ``--out`` of this table's runs and plots, and the name of its
    BENCHMARKS.md section: ``quick``, ``full``, ``full-paper``, ``full-1800steps``,
    ``full-paper-10000steps-wae-schedule``, ..."""
    if getattr(args, "set", None) and not getattr(args, "tag", None):
        raise SystemExit("--set changes every run: name these runs with --tag NAME")
    name = "quick" if args.quick else "full"
    name += "" if args.architecture == "shared" else f"-{args.architecture}"
    name += f"-{args.steps}steps" if args.steps else ""
    return name + (f"-{slug(args.tag)}" if getattr(args, "tag", None) else "")


def data_heading(data: str, section: str) -> str:
    """The heading of one data set's table in a report: ``#### digits, full-1800steps``. It
    names the report's BENCHMARKS.md section (the marker without ``quality:``), so the many
    tables of one data set have headings, and links, of their own."""
    return f"#### {data}, {section}"


def run_benchmark(args: argparse.Namespace, section: str | None = None) -> str:
    """Train and evaluate every run (reusing finished ones); return the Markdown report, whose
    headings name ``section`` (default: :func:`output_name`)."""
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    which = 0 if args.quick else 1
    datasets = [d for d in args.datasets if BUDGETS[d][which] > 0]
    budgets = {d: args.steps or BUDGETS[d][which] for d in datasets}
    out = Path(args.out) / output_name(args)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    jobs = {}
    for data in datasets:
        fashion_path = args.fashion_path if data == "fashion-mnist" else None
        extra = [f"data.path={fashion_path}"] if fashion_path else []
        for model in args.models:
            for seed in seeds:
                jobs[(model, data, seed)] = {
                    "model": model,
                    "data": data,
                    "seed": seed,
                    "steps": budgets[data],
                    "curve_points": args.curve_points,
                    "curve_samples": args.curve_samples,
                    "device": getattr(args, "device", None),
                    "n_eval": EVAL_SAMPLES[data][which],
                    "folder": str(out / "runs" / f"{data}-{model}-s{seed}"),
                    "threads": threads,
                    "data_overrides": [
                        *PAPER_SETTINGS.get((model, data), []),
                        *extra,
                        f"model.architecture={args.architecture}",
                        *getattr(args, "set", []),
                    ],
                    "inception_n": args.inception
                    if data == "fashion-mnist" and seed == seeds[0]
                    else 0,
                }
    if getattr(args, "cached_only", False):
        jobs = {k: j for k, j in jobs.items() if evaluated_at(Path(j["folder"]), j["steps"])}
    results = run_jobs(jobs, args.jobs)
    report = [
        f"Seeds {seeds}; generator steps per run "
        + ", ".join(f"{d} {budgets[d]}" for d in datasets)
        + "; metrics on "
        + ", ".join(f"{d} {EVAL_SAMPLES[d][which]}" for d in datasets)
        + f" generated samples. Networks: model.architecture={args.architecture}."
        + (f" Every run with: {' '.join(args.set)}." if getattr(args, "set", None) else "")
        + (
            f" Trained on {args.trained_on}, {args.jobs} run(s) side by side; "
            if getattr(args, "trained_on", None)
            else f" Device: {describe_device(getattr(args, 'device', None))}."
            + f" {args.jobs} run(s) side by side, {threads} thread(s) each; "
        )
        + "'train s' is the time spent in training steps."
        + (
            f" FID Inception: {args.inception} samples, seed {seeds[0]} only."
            if args.inception
            else ""
        ),
        "",
    ]
    for data in datasets:
        heading = data_heading(data, section or output_name(args))
        report += [heading, "", *table(results, data, seeds, args.models), ""]
        for path in (plot_samples(out, data, seeds[0]), plot_curves(out, results, data, seeds)):
            if path is not None:
                report += [f"![{path.stem}]({path.name})", ""]
    (out / "quality.md").write_text("\n".join(report))
    return "\n".join(report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # run.py has its own --device (the speed rows' and these runs')
    parser.add_argument("--device", help="train.device of every run (default: auto)")
    add_arguments(parser)
    print(run_benchmark(parser.parse_args()), flush=True)


if __name__ == "__main__":
    main()
