"""Prepared copies of image folders at scale: preparation, start-up, memory and loader speed.

    python benchmarks/prepared_data.py [--counts 10000 30000 50000 200000] [--sizes 64 128]
        [--work DIR] [--out benchmarks/results/prepared.json] [--device cpu|cuda] [--quick]

Generates CelebA-like folders (178 x 218 JPEGs of smooth random content, quality 90; the
smaller folders are hard links to the first files of the largest) under ``--work`` (default: a
temporary folder), then for every count and image size measures, each command in a process of
its own (wall clock, CPU time and peak resident memory from ``os.wait4``, which counts the pool's
workers too):

1. ``swgen prepare DIR --size S`` into an empty cache: seconds of the command, images per
   second of the preparation itself (its own clock, without starting Python), cores used (CPU
   seconds / wall seconds, all of the command) and images per second per core (images / CPU
   seconds);
2. the issue's command on the prepared folder, ``swgen train --model dcgan --data DIR
   data.image_size=S train.batch_size=16 train.steps=2``: seconds from the command to the end of
   its 2 steps and peak memory, beside the same command on the bundled digits at the same size;
3. in one process: the seconds ``build_dataset`` takes to open the prepared copy (listing the
   folder included), and the loader's images per second alone (``DataSource.batch`` of 64 rows
   at steps spread over the epochs, float32 in [-1, 1], as the engine asks);

and once, at 64 px on the smallest folder, the images per second a training step of SWGAN and of
DCGAN consumes (their presets' batches; on ``--device``), so the loader is shown to outpace them.
``--quick`` (one folder of 500 images at 32 px) only shows that the pipeline works; its numbers
mean nothing. Run it on an idle machine: the timings are wall-clock.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from swgen.data.prepared import usable_cores

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 178, 218  # CelebA's aligned crops
COUNTS = (10_000, 30_000, 50_000, 200_000)
SIZES = (64, 128)
LOADER_BATCH = 64
LOADER_BATCHES = 200
ISSUE_COMMAND = ["--model", "dcgan", "train.batch_size=16", "train.steps=2"]


# --- the folders ----------------------------------------------------------------------------


def write_face(path: str) -> None:
    """One smooth random 178 x 218 JPEG: a 6 x 5 colour field upsampled bicubically, plus a
    little noise (JPEG sizes and decode times like a photo's, not like white noise)."""
    from PIL import Image

    index = int(Path(path).stem)
    rng = np.random.default_rng(index)
    low = Image.fromarray(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8))
    field = np.asarray(low.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC), np.int16)
    noisy = np.clip(field + rng.integers(-6, 7, field.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(path, quality=90)


def make_folders(work: Path, counts: list[int]) -> dict[int, Path]:
    """``work/faces-<count>/`` for every count; files are written once, for the largest."""
    largest = work / f"faces-{max(counts)}"
    largest.mkdir(parents=True, exist_ok=True)
    missing = [str(largest / f"{i:06d}.jpg") for i in range(max(counts))]
    missing = [p for p in missing if not os.path.exists(p)]
    if missing:
        print(f"writing {len(missing)} JPEGs into {largest}", flush=True)
        with Pool() as pool:
            pool.map(write_face, missing, chunksize=256)
    folders = {max(counts): largest}
    for count in counts:
        folder = work / f"faces-{count}"
        if count == max(counts):
            continue
        folder.mkdir(exist_ok=True)
        for i in range(count):
            name = f"{i:06d}.jpg"
            if not (folder / name).exists():
                try:
                    os.link(largest / name, folder / name)
                except OSError:
                    shutil.copy2(largest / name, folder / name)
        folders[count] = folder
    return folders


# --- measured commands ----------------------------------------------------------------------


def measured(arguments: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Run ``arguments``; its wall seconds, CPU seconds (user + system, with its waited-for
    children) and peak resident memory in GB (the largest of it and its children)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        arguments, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{output[-3000:]}")
    return {
        "seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_gb": usage.ru_maxrss * 1024 / 1e9,  # kilobytes on Linux
        "output": output,
    }


SWGEN = [sys.executable, "-m", "swgen.cli"]

OPEN_AND_LOAD = """
import json, sys, time
started = time.perf_counter()
from swgen.data import DataConfig, build_dataset
imported = time.perf_counter()
data = build_dataset(DataConfig(name=sys.argv[1], image_size=int(sys.argv[2])))
opened = time.perf_counter()
batch, count = int(sys.argv[3]), int(sys.argv[4])
steps = [(k * 7919) % max(1, 50 * len(data) // batch) for k in range(count)]  # spread epochs
data.batch(0, batch, 0)
begin = time.perf_counter()
for step in steps:
    data.batch(step, batch, 0)
loading = time.perf_counter() - begin
print(json.dumps({"import_seconds": imported - started, "open_seconds": opened - imported,
                  "loader_images_per_second": batch * count / loading}))
"""


def open_and_load(folder: Path, size: int, env: dict[str, str], batches: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LOAD, str(folder), str(size), str(LOADER_BATCH),
         str(batches)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise SystemExit(f"opening {folder} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def step_consumption(folder: Path, device: str, size: int = 64, repeats: int = 5) -> list[dict]:
    """Images per second a training step of SWGAN and of DCGAN consumes (presets' batches)."""
    import torch

    sys.path.insert(0, str(HERE))
    from speed import device_sync, interleaved_medians, repeated_step

    rows = []
    for model_name in ("swgan", "dcgan"):
        overrides = [f"model.name={model_name}", f"data.name={folder}", f"data.image_size={size}"]
        model, step = repeated_step(overrides, torch.device(device))
        from swgen.config import resolve

        config = resolve(overrides=overrides)
        images = model.batch_size(config.train.batch_size) * model.batches_per_step
        sync = device_sync(torch.device(device))
        seconds = interleaved_medians({"step": step}, repeats, sync)["step"]
        rows.append(
            {"model": model_name, "size": size, "images_per_step": images,
             "step_seconds": seconds, "images_per_second": images / seconds, "device": device}
        )  # fmt: skip
    return rows


# --- the benchmark --------------------------------------------------------------------------


def measure(
    work: Path, counts: list[int], sizes: list[int], device: str = "cpu", quick: bool = False
) -> dict:
    """Every measurement of the module docstring; ``quick``: one round of each, at 32 px."""
    folders = make_folders(work, counts)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    batches = 20 if quick else LOADER_BATCHES
    results: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "cores": usable_cores(),
        "rows": [],
        "digits": [],
    }  # fmt: skip
    for size in sizes:
        digits = measured(
            [*SWGEN, "train", "--data", "digits", f"data.image_size={size}", *ISSUE_COMMAND,
             "train.progress=false", "--out", str(work / "runs" / f"digits-{size}")],
            env, work,
        )  # fmt: skip
        shutil.rmtree(work / "runs" / f"digits-{size}", ignore_errors=True)
        digits.pop("output")
        results["digits"].append({"size": size, **digits})
        print(json.dumps(results["digits"][-1]), flush=True)
        for count in counts:
            cache = work / "cache" / f"{count}-{size}"
            shutil.rmtree(cache, ignore_errors=True)
            run_env = {**env, "SWGEN_CACHE": str(cache)}
            folder = folders[count]
            prepare = measured([*SWGEN, "prepare", str(folder), "--size", str(size)], run_env, work)
            # The copy is on disk before the run that opens it: otherwise the kernel's writeback
            # of a just-written 10 GB copy competes with that run (a later run never sees it).
            os.sync()
            run = work / "runs" / f"faces-{count}-{size}"
            shutil.rmtree(run, ignore_errors=True)
            train = measured(
                [*SWGEN, "train", "--data", str(folder), f"data.image_size={size}",
                 *ISSUE_COMMAND, "train.progress=false", "--out", str(run)],
                run_env, work,
            )  # fmt: skip
            shutil.rmtree(run, ignore_errors=True)
            loading = open_and_load(folder, size, run_env, batches)
            # The command's own clock of the preparation (without starting Python and torch).
            found = re.search(r"prepared in ([0-9.]+) s", prepare["output"])
            decoding = float(found.group(1)) if found else prepare["seconds"]
            row = {
                "count": count, "size": size,
                "prepare_seconds": prepare["seconds"],
                "decode_seconds": decoding,
                "prepare_cores": prepare["cpu_seconds"] / prepare["seconds"],
                "prepare_images_per_second": count / decoding,
                "prepare_images_per_core_second": count / prepare["cpu_seconds"],
                "prepare_peak_gb": prepare["peak_gb"],
                "copy_gb": sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 1e9,
                "train_seconds": train["seconds"], "train_peak_gb": train["peak_gb"],
                **loading,
            }  # fmt: skip
            results["rows"].append(row)
            print(json.dumps(row), flush=True)
            shutil.rmtree(cache, ignore_errors=True)
    os.environ["SWGEN_CACHE"] = str(work / "cache" / "steps")  # not the user's cache
    step_size = 32 if quick else 64
    results["steps"] = step_consumption(folders[min(counts)], device, step_size, 1 if quick else 5)
    for row in results["steps"]:
        print(json.dumps(row), flush=True)
    return results


def render(results: dict) -> str:
    """The Markdown tables of BENCHMARKS.md's section ``prepared``."""
    digits = {row["size"]: row for row in results["digits"]}
    lines = [
        f"On {results['cores']} cores. Generated 178 x 218 JPEGs; `swgen prepare DIR --size S` "
        "into an empty cache, then the issue's command `swgen train --model dcgan --data DIR "
        "data.image_size=S train.batch_size=16 train.steps=2` on the prepared folder (from the "
        "command to the end of its 2 steps), beside the same command on the bundled digits.",
        "",
        "| images | size | prepare s | images/s | cores used | images/s per core | copy GB "
        "| train s (digits) | train peak GB (digits) | open s | loader images/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        base = digits.get(row["size"], {})
        lines.append(
            f"| {row['count']:,} | {row['size']} | {row['prepare_seconds']:.1f} "
            f"| {row['prepare_images_per_second']:,.0f} | {row['prepare_cores']:.1f} "
            f"| {row['prepare_images_per_core_second']:,.0f} | {row['copy_gb']:.2f} "
            f"| {row['train_seconds']:.1f} ({base.get('seconds', float('nan')):.1f}) "
            f"| {row['train_peak_gb']:.2f} ({base.get('peak_gb', float('nan')):.2f}) "
            f"| {row['open_seconds']:.2f} | {row['loader_images_per_second']:,.0f} |"
        )
    lines += [
        "",
        f"A training step's appetite (images per second it consumes, at "
        f"{results['steps'][0]['size'] if results.get('steps') else 64} px, "
        f"on {results['steps'][0]['device'] if results.get('steps') else '-'}), against the "
        f"loader's {LOADER_BATCH}-row batches above:",
        "",
        "| model | images per step | step s | images/s consumed |",
        "|---|---|---|---|",
    ]
    for row in results.get("steps", []):
        lines.append(
            f"| {row['model']} | {row['images_per_step']} | {row['step_seconds']:.3f} "
            f"| {row['images_per_second']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=list(COUNTS))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--work", help="folder for the generated images (default: temporary)")
    parser.add_argument("--out", help="results (default: benchmarks/results/prepared.json)")
    parser.add_argument("--device", default="cpu", help="device of the step-rate rows")
    parser.add_argument("--quick", action="store_true", help="500 images at 32 px: a smoke test")
    args = parser.parse_args()
    counts, sizes = ([500], [32]) if args.quick else (args.counts, args.sizes)
    results = run_prepared(counts, sizes, args.work, args.device, args.quick)
    name = "prepared-quick.json" if args.quick else "prepared.json"
    out = Path(args.out or HERE / "results" / name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(render(results))


def run_prepared(
    counts: list[int], sizes: list[int], work: str | None, device: str = "cpu", quick: bool = False
) -> dict:
    """``measure`` in ``work`` (default: a temporary folder, removed after)."""
    with tempfile.TemporaryDirectory(prefix="swgen-prepared-") as temporary:
        results = measure(Path(work or temporary), counts, sizes, device, quick)
    return {**results, "quick": quick}


if __name__ == "__main__":
    main()
