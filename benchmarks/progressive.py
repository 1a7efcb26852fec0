"""Progressive growing: PG-SWGAN against PG-WGAN on digits and Fashion-MNIST, PG-SWGAN-3D
against PG-WGAN-3D on moving digits, at equal budgets in images (clips) shown, plus the
non-progressive SWGAN.

    python benchmarks/progressive.py [--progressive-seeds 0 1 2] [--out benchmarks/results]
        [--progressive-only images|video] [--progressive-datasets digits fashion-mnist]
        [--progressive-skip-speed]

(``benchmarks/run.py --only-progressive`` runs this section alone and rewrites it in
BENCHMARKS.md.) Budgets are CPU-sized and stated in the table: the image runs use the
``pg-*/digits`` presets' networks (the Fashion-MNIST presets' are the same) with a shorter
schedule (``IMAGE_KIMG`` per phase, growing 4 -> 32 px), scored by the classifier of their data
set (digits: ``fid_digits``; Fashion-MNIST, 28 px served at 32: ``fid_fashion``); the video
runs grow 4 x 4^2 -> 8 x 8^2 -> 8 x 16^2 on 8-frame 16 px moving digits (``VIDEO_KIMG`` per
phase). ``swgan`` gets the same number of real images shown to its critic
(steps x n_critic x batch). Finished runs (their ``eval.json``) are reused. Speed: images per
second of each model at each level, both models timed in one process, interleaved.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from swgen.models.progressive import SWGAN_MINIBATCH, schedule  # noqa: E402

IMAGE_KIMG = 1.0  # images per stabilise and per transition phase, thousands
VIDEO_KIMG = 0.5  # clips per phase, thousands
IMAGE_EVAL, VIDEO_EVAL = 2000, 500
# image data set -> the shipped classifier that scores it, and the table's caption
IMAGE_DATA = {
    "digits": ("digits", "digits, 32 px"),
    "fashion-mnist": ("fashion", "Fashion-MNIST, 28 px served at 32"),
}
PRESET_IMAGES = ["model.fmap_base=128", "model.fmap_max=32", "model.latent_dim=128"]
VIDEO_DATA = ["data.image_size=16", "data.frames=8", "data.limit=2048"]
VIDEO_NETS = [
    "model.fmap_base=64",
    "model.fmap_max=8",
    "model.latent_dim=64",
    "model.minibatch=[32,32,16]",
]


def steps_to_grow(levels: int, kimg: float, minibatch: tuple[int, ...] = SWGAN_MINIBATCH) -> int:
    """Steps until the last level has been stabilised for one phase (the same for both models)."""
    phase = round(kimg * 1000)
    images, steps = 0, 0
    total = phase * (2 * levels - 1)
    while images < total:
        level, _ = schedule(images, levels, phase, phase)
        images += minibatch[min(level, len(minibatch) - 1)]
        steps += 1
    return steps


def jobs_for(
    seeds: list[int], out: Path, only: str | None, datasets: tuple[str, ...] = tuple(IMAGE_DATA)
) -> list[dict]:
    jobs = []
    image_steps = steps_to_grow(4, IMAGE_KIMG)
    image_total = round(IMAGE_KIMG * 1000) * 7
    video_steps = steps_to_grow(3, VIDEO_KIMG)
    for seed in seeds:
        for data in datasets if only in (None, "images") else ():
            schedule_keys = [
                f"model.stabilise_kimg={IMAGE_KIMG}",
                f"model.transition_kimg={IMAGE_KIMG}",
            ]
            for model in ("pg-swgan", "pg-wgan"):
                jobs.append(
                    {
                        "model": model,
                        "data": data,
                        "seed": seed,
                        "steps": image_steps,
                        "overrides": [*PRESET_IMAGES, *schedule_keys],
                        "n_eval": IMAGE_EVAL,
                        "group": "images",
                        "images": image_total,
                    }
                )
            swgan_steps = image_total // (4 * 64)  # n_critic 4, batch 64: same images shown
            jobs.append(
                {
                    "model": "swgan",
                    "data": data,
                    "seed": seed,
                    "steps": swgan_steps,
                    # The official settings, as in the quality table (the main job's preset
                    # changes them; n_critic must be 4 for the images shown to match).
                    "overrides": [
                        "model.n_critic=4",
                        "model.lr=0.0003",
                        "train.lr_schedule=constant",
                    ],
                    "n_eval": IMAGE_EVAL,
                    "group": "images",
                    "images": swgan_steps * 4 * 64,
                }
            )
        if only in (None, "video"):
            schedule_keys = [
                f"model.stabilise_kimg={VIDEO_KIMG}",
                f"model.transition_kimg={VIDEO_KIMG}",
            ]
            for model in ("pg-swgan-3d", "pg-wgan-3d"):
                jobs.append(
                    {
                        "model": model,
                        "data": "moving-digits",
                        "seed": seed,
                        "steps": video_steps,
                        "group": "video",
                        "overrides": [*VIDEO_DATA, *VIDEO_NETS, *schedule_keys],
                        "n_eval": VIDEO_EVAL,
                        "images": round(VIDEO_KIMG * 1000) * 5,
                    }
                )
    for job in jobs:
        name = f"{job['data']}-{job['model']}-seed{job['seed']}"
        job["folder"] = str(out / "progressive" / "runs" / name)  # runs/ is not committed
    return jobs


def run_job(job: dict) -> dict:
    """Train (or reuse) and evaluate one run; returns its eval.json plus timings."""
    from swgen.cli import main as swgen

    folder = Path(job["folder"])
    steps = job["steps"]
    evaluated = folder / "eval.json"
    trained = (folder / "wall_seconds.txt").is_file()
    if not evaluated.is_file() and not trained:
        if folder.exists():
            shutil.rmtree(folder)  # an unfinished run: start again, the budgets are small
        started = time.perf_counter()
        code = swgen(
            [
                "train",
                "--model",
                job["model"],
                "--data",
                job["data"],
                "--seed",
                str(job["seed"]),
                "--out",
                str(folder),
                "train.progress=false",
                f"train.steps={steps}",
                f"train.sample_every={steps}",
                f"train.checkpoint_every={steps}",
                "train.log_every=10",
                *job["overrides"],
            ]
        )
        wall = time.perf_counter() - started
        if code != 0:
            return {**job, "error": f"training exited with {code}"}
        (folder / "wall_seconds.txt").write_text(f"{wall:.1f}\n")
    if not evaluated.is_file():
        if swgen(["eval", str(folder), "--n", str(job["n_eval"]), "--seed", str(job["seed"])]):
            return {**job, "error": "evaluation failed"}
    result = json.loads(evaluated.read_text())
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    train_seconds = max(r.get("train_seconds", 0.0) for r in records)
    wall = float((folder / "wall_seconds.txt").read_text())
    return {
        **job,
        "metrics": result["metrics"],
        "train_seconds": train_seconds,
        "wall": wall,
        "stage": result.get("stage", {}),
    }


def measure_speed(group: str, repeats: int = 3, steps: int = 4) -> list[dict]:
    """Images per second of the SWGAN and WGAN variants at each level, interleaved, one process."""
    from swgen.config import resolve
    from swgen.data.base import Batch, DataInfo
    from swgen.registry import MODELS

    if group == "images":
        pair, info, nets = ("pg-swgan", "pg-wgan"), DataInfo("images", (1, 32, 32)), PRESET_IMAGES
    else:
        pair, info, nets = (
            ("pg-swgan-3d", "pg-wgan-3d"),
            DataInfo("video", (1, 8, 16, 16)),
            VIDEO_NETS,
        )
    models = {}
    for name in pair:
        config = resolve(overrides=[f"model.name={name}", *nets])
        torch.manual_seed(0)
        models[name] = MODELS.get(name)(config.model, info)
    rows = []
    for level in range(len(models[pair[0]].sizes)):
        times: dict[str, list[float]] = {name: [] for name in pair}
        for _ in range(repeats):
            for name, model in models.items():
                phase = round(
                    model.config.stabilise_kimg * 1000 + model.config.transition_kimg * 1000
                )
                model.images_shown.fill_(level * phase)  # stabilising this level
                size = model.batch_size(0)
                real = Batch(torch.rand(size, *info.shape) * 2 - 1)
                model.train_step(real, 0)  # warm-up
                started = time.perf_counter()
                for step in range(steps):
                    model.images_shown.fill_(level * phase)
                    model.train_step(real, step)
                times[name].append(size * steps / (time.perf_counter() - started))
        resolution = models[pair[0]].stage()["resolution"]
        rows.append(
            {
                "level": level,
                "resolution": resolution,
                **{name: statistics.median(v) for name, v in times.items()},
            }
        )
    return rows


def mean_std(values: list[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{statistics.mean(values):.3g} ± {statistics.stdev(values):.2g}"


def render(results: list[dict], speed: dict[str, list[dict]], seeds: list[int], out: Path) -> str:
    pictures = out / "progressive"
    lines = []
    groups = [("images", data, *IMAGE_DATA[data]) for data in IMAGE_DATA]
    groups.append(("video", "moving-digits", "moving_digits", "moving digits, 8 x 16^2"))
    for group, data, classifier, label in groups:
        rows = [r for r in results if r["group"] == group and r["data"] == data]
        if not rows:
            continue
        lines += [f"**{label}** (seeds {', '.join(map(str, seeds))}; mean ± std over seeds)", ""]
        if group == "images":
            lines += [
                f"| model | steps | images shown | FID ({classifier} clf.) | precision | recall | "
                "train s | wall s |",
                "|---|---|---|---|---|---|---|---|",
            ]
        else:
            lines += [
                "| model | steps | clips shown | FVD (moving-digits clf.) | "
                "frame FID (digits clf.) | train s | wall s |",
                "|---|---|---|---|---|---|---|",
            ]
        for model in dict.fromkeys(r["model"] for r in rows):
            mine = [r for r in rows if r["model"] == model and "error" not in r]
            errors = [r["error"] for r in rows if r["model"] == model and "error" in r]
            if not mine:
                lines.append(f"| {model} | {errors[0] if errors else 'no run'} |")
                continue
            first = mine[0]

            def col(key: str, mine: list[dict] = mine) -> str:
                values = [
                    r["metrics"][key]
                    for r in mine
                    if isinstance(r["metrics"].get(key), (int, float))
                ]
                return mean_std(values)

            seconds = [r["train_seconds"] for r in mine]
            timing = f"{mean_std(seconds)} | {mean_std([r['wall'] for r in mine])}"
            if group == "images":
                lines.append(
                    f"| {model} | {first['steps']} | {first['images']} | "
                    f"{col(f'fid_{classifier}')} | {col(f'precision_{classifier}')} | "
                    f"{col(f'recall_{classifier}')} | {timing} |"
                )
            else:
                lines.append(
                    f"| {model} | {first['steps']} | {first['images']} | "
                    f"{col('fvd_moving_digits')} | {col('frame_fid_digits')} | {timing} |"
                )
            source = Path(first["folder"]) / "samples"
            grids = sorted(source.glob("step_*.png"))
            picture = f"samples_{model}.png" if data == "digits" else f"samples_{data}_{model}.png"
            if grids:
                shutil.copy(grids[-1], pictures / picture)
        lines.append("")
        for model in dict.fromkeys(r["model"] for r in rows):
            picture = f"samples_{model}.png" if data == "digits" else f"samples_{data}_{model}.png"
            if (pictures / picture).is_file():
                what = "rows of frames, one clip per row" if group == "video" else "samples"
                lines.append(f"![{model} {what}, seed {seeds[0]}]({picture})")
        lines.append("")
    for group, rows in speed.items():
        pair = [k for k in rows[0] if k not in ("level", "resolution")]
        lines += [
            f"Speed ({group}, CPU, images or clips per second at each level, median of 3, "
            "both models timed in one process):",
            "",
            f"| level | size | {pair[0]} | {pair[1]} | ratio |",
            "|---|---|---|---|---|",
        ]
        for row in rows:
            ratio = row[pair[0]] / row[pair[1]]
            lines.append(
                f"| {row['level']} | {row['resolution']} | {row[pair[0]]:.0f} | "
                f"{row[pair[1]]:.0f} | {ratio:.2f} |"
            )
        lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--progressive-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--progressive-only", choices=["images", "video"])
    parser.add_argument(
        "--progressive-datasets", nargs="+", choices=list(IMAGE_DATA), default=list(IMAGE_DATA)
    )
    parser.add_argument("--progressive-skip-speed", action="store_true")


def run_progressive(
    out: Path,
    seeds: list[int],
    only: str | None = None,
    skip_speed: bool = False,
    datasets: tuple[str, ...] = tuple(IMAGE_DATA),
) -> str:
    """Train, evaluate and time everything; returns the Markdown of the section."""
    torch.set_num_threads(1)  # a shared 2-core machine: one thread per process is fastest
    (out / "progressive").mkdir(parents=True, exist_ok=True)
    results = [run_job(job) for job in jobs_for(seeds, out, only, tuple(datasets))]
    speed_file = out / "progressive" / "speed.json"
    speed = json.loads(speed_file.read_text()) if speed_file.is_file() else {}
    if not skip_speed:
        for group in ("images", "video"):
            if only in (None, group):
                speed[group] = measure_speed(group)
        speed_file.write_text(json.dumps(speed, indent=1))
    (out / "progressive" / "results.json").write_text(json.dumps(results, indent=1, default=str))
    return render(results, speed, seeds, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results")
    add_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    report = run_progressive(
        Path(args.out),
        args.progressive_seeds,
        args.progressive_only,
        args.progressive_skip_speed,
        tuple(args.progressive_datasets),
    )
    print(report, flush=True)


if __name__ == "__main__":
    main()
