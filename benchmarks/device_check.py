"""Every model through the whole CLI workflow on one device: train, resume, sample, eval, apply.

    python benchmarks/device_check.py --device cuda [--jobs 4] [--out benchmarks/results/device]

The test suite runs on CPUs (CI has no GPU); this script is the check that a model keeps every
tensor on the run's device. For each case (a model on a data set it trains on) it runs, each as
its own ``python -m swgen.cli`` process on narrow networks:

1. ``train`` for 4 steps (checkpoints every 2), then ``train --resume`` to 6 steps;
2. ``sample -n 8`` (with ``--label`` for a conditional model), ``eval --n 64``;
3. ``translate`` / ``enhance`` on a few held-out images where the run is a translation or
   enhancement model.

Extra cases cover bf16 mixed precision and a resume across a resolution boundary of a
progressive model. It prints one Markdown table (case, pass/fail, seconds, the failing step's last
line) and writes it with the full logs under ``--out``. A failure here is a device bug to fix;
the script itself exits 1 when any case fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from PIL import Image

NARROW_IMAGES = ["model.width=8"]
NARROW_PROGRESSIVE = [
    "model.fmap_base=32",
    "model.fmap_max=8",
    "model.stabilise_kimg=0.05",
    "model.transition_kimg=0.05",
]
IMAGE_MODELS = ["gan", "dcgan", "lsgan", "hinge-gan", "wgan", "wgan-gp", "ctgan", "swg", "swgan"]
IMAGE_MODELS += ["wae", "ae-idt", "swae", "vae", "aae"]
SHORT = ["train.log_every=1", "train.sample_every=4", "train.checkpoint_every=2"]
SHORT += ["train.grid_size=16", "train.progress=false"]


def cases() -> dict[str, dict]:
    """Case name -> model, data, overrides and what to apply the run to."""
    found: dict[str, dict] = {}
    for model in ["swgan", "swg", "wgan-gp", "ctgan", "gan", "wae", "swae", "vae", "aae"]:
        found[f"{model} gaussians25"] = {"model": model, "data": "gaussians25", "set": []}
    for model in IMAGE_MODELS:
        found[f"{model} digits"] = {"model": model, "data": "digits", "set": NARROW_IMAGES}
    for model in ["swgan", "swae", "ctgan", "wgan-gp", "swg", "wae"]:
        found[f"{model} digits paper nets"] = {
            "model": model,
            "data": "digits",
            "set": ["model.architecture=paper"],
        }
    found["dcgan digits conditional"] = {
        "model": "dcgan",
        "data": "digits",
        "set": [*NARROW_IMAGES, "model.conditional=true"],
        "label": 3,
    }
    found["swgan digits bf16"] = {
        "model": "swgan",
        "data": "digits",
        "set": [*NARROW_IMAGES, "train.mixed_precision=bf16"],
    }
    found["wgan-gp digits bf16"] = {
        "model": "wgan-gp",
        "data": "digits",
        "set": [*NARROW_IMAGES, "train.mixed_precision=bf16"],
    }
    for model in ["pg-wgan", "pg-swgan"]:
        found[f"{model} digits"] = {"model": model, "data": "digits", "set": NARROW_PROGRESSIVE}
    for model in ["pg-wgan-3d", "pg-swgan-3d"]:
        found[f"{model} moving-digits"] = {
            "model": model,
            "data": "moving-digits",
            "set": [*NARROW_PROGRESSIVE, "data.frames=8", "data.image_size=16"],
        }
    for model in ["cyclegan", "attention-gan"]:
        found[f"{model} digits-recolour"] = {
            "model": model,
            "data": "digits-recolour",
            "set": [],
            "apply": "translate",
        }
    found["pix2pix digits-pairs"] = {
        "model": "pix2pix",
        "data": "digits-pairs",
        "set": [],
        "apply": "translate",
    }
    found["dacal photo-pairs"] = {
        "model": "dacal",
        "data": "photo-pairs",
        "set": [],
        "apply": "enhance",
    }
    found["dacal photo-pairs wgan"] = {
        "model": "dacal",
        "data": "photo-pairs",
        "set": ["model.loss=wgan"],
        "apply": "enhance",
    }
    return found


def write_inputs(folder: Path, colour: bool) -> Path:
    """A few small images of odd sizes for translate / enhance."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for index, (height, width) in enumerate([(20, 28), (33, 17)]):
        pixels = rng.integers(0, 256, (height, width, 3) if colour else (height, width))
        Image.fromarray(pixels.astype(np.uint8)).save(folder / f"in{index}.png")
    return folder


def run_case(name: str, case: dict, device: str, out: Path, threads: int) -> dict:
    folder = out / "runs" / name.replace(" ", "-")
    log = out / "logs" / (name.replace(" ", "-") + ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-m", "swgen.cli"]
    steps = [
        ("train", [*cli, "train", "--model", case["model"], "--data", case["data"],
                   "--device", device, "--out", str(folder), "train.steps=4",
                   *SHORT, *case["set"]]),
        ("resume", [*cli, "train", "--resume", str(folder), "--device", device, "train.steps=6"]),
        ("sample", [*cli, "sample", str(folder), "-n", "8", "-o", str(folder / "s.npy"),
                    "--device", device,
                    *(["--label", str(case["label"])] if "label" in case else [])]),
        ("eval", [*cli, "eval", str(folder), "--n", "64", "--device", device]),
    ]  # fmt: skip
    if case.get("apply"):
        inputs = write_inputs(out / "inputs" / case["apply"], colour=True)
        steps.append(
            (case["apply"], [*cli, case["apply"], str(folder), "--input", str(inputs),
                             "-o", str(folder / "applied"), "--device", device])
        )  # fmt: skip
    start = time.perf_counter()
    with log.open("w") as handle:
        for step, command in steps:
            handle.write(f"$ {' '.join(command)}\n")
            handle.flush()
            result = subprocess.run(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
            if result.returncode != 0:
                lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
                return {"ok": False, "step": step, "rc": result.returncode,
                        "last": lines[-1][-200:] if lines else "",
                        "seconds": time.perf_counter() - start}  # fmt: skip
    return {"ok": True, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--only", nargs="+", help="case names to run (default: all)")
    parser.add_argument("--out", default="benchmarks/results/device")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = {k: v for k, v in cases().items() if not args.only or k in args.only}
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    results: dict[str, dict] = {}
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            pool.submit(run_case, name, case, args.device, out, threads): name
            for name, case in chosen.items()
        }
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            # written as cases finish, so a run stopped at a time limit keeps what it checked
            (out / "device_check.json").write_text(json.dumps(results, indent=1))
            print(futures[future], results[futures[future]], flush=True)
    results = {name: results[name] for name in chosen}
    rows = ["| case | result | s | failing step: last line |", "| --- | --- | ---: | --- |"]
    for name, result in results.items():
        verdict = "pass" if result["ok"] else "FAIL"
        detail = "" if result["ok"] else f"{result['step']}: {result['last']}".replace("|", "/")
        rows.append(f"| {name} | {verdict} | {result['seconds']:.1f} | {detail} |")
    passed = sum(r["ok"] for r in results.values())
    rows.append("")
    rows.append(f"{passed} of {len(results)} cases pass on {args.device}.")
    (out / "device_check.md").write_text("\n".join(rows) + "\n")
    print("\n".join(rows), flush=True)
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
