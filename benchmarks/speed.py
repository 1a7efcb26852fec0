"""Speed, measured side by side in one run: swgen against POT and against a bare PyTorch loop.

    python benchmarks/speed.py [--quick] [--device cpu|cuda] [--out benchmarks/results/speed.json]

1. ``swgen.sliced.sliced_wasserstein`` against POT's ``ot.sliced_wasserstein_distance`` (numpy
   and torch backends) with the same 128 projections, and against the floor of the computation
   (one product of both point sets with the projections plus one sort);
2. a training step of SWGAN against one of WGAN-GP with the same networks and batch;
3. the engine's overhead: ``Trainer.fit`` against a bare PyTorch loop calling the same
   ``train_step`` on the same batches (no EMA, logging, checkpoints or sample grids).

Each timing is the median of several repeats after a warm-up; ratios come from timings taken
in the same process, one right after the other.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch


def median_seconds(fn: Callable[[], object], repeats: int, sync: Callable[[], None]) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sliced_rows(device: torch.device, quick: bool, sync: Callable[[], None]) -> list[dict]:
    import ot

    from swgen.sliced import random_directions, sliced_wasserstein

    rows = []
    sizes = [1000, 10000]
    dims = [2, 128, 784] if quick else [2, 128, 784, 3072]
    for n in sizes:
        for d in dims:
            generator = torch.Generator().manual_seed(0)
            x = torch.randn(n, d, generator=generator).to(device)
            y = (torch.rand(n, d, generator=generator) * 2).to(device)
            theta = random_directions(d, 128, generator=generator).to(device)
            theta_np = theta.double().cpu().numpy()
            x_np, y_np = x.double().cpu().numpy(), y.double().cpu().numpy()
            repeats = 3 if n * d >= 10000 * 784 else 7

            def ours(x=x, y=y, theta=theta) -> object:
                return sliced_wasserstein(x, y, projections=theta)

            def floor(x=x, y=y, theta=theta, n=n) -> object:
                projected = torch.cat([x, y]) @ theta
                return projected.T.contiguous().view(128, 2, n).sort(dim=-1)

            def pot_torch(x=x, y=y, theta=theta) -> object:
                return ot.sliced_wasserstein_distance(x, y, projections=theta, p=2)

            def pot_numpy(x_np=x_np, y_np=y_np, theta_np=theta_np) -> object:
                return ot.sliced_wasserstein_distance(x_np, y_np, projections=theta_np, p=2)

            row = {"n": n, "d": d}
            row["swgen_s"] = median_seconds(ours, repeats, sync)
            row["floor_s"] = median_seconds(floor, repeats, sync)
            row["pot_torch_s"] = median_seconds(pot_torch, repeats, sync)
            row["pot_numpy_s"] = median_seconds(pot_numpy, repeats, lambda: None)
            row["vs_pot_torch"] = row["pot_torch_s"] / row["swgen_s"]
            row["vs_pot_numpy"] = row["pot_numpy_s"] / row["swgen_s"]
            row["vs_floor"] = row["swgen_s"] / row["floor_s"]
            agree = abs(float(ours()) - float(pot_torch())) / max(float(pot_torch()), 1e-12)
            row["relative_difference_to_pot"] = agree
            rows.append(row)
            print(
                f"sliced n={n:>5} d={d:>4}: swgen {row['swgen_s'] * 1e3:8.2f} ms | "
                f"POT torch x{row['vs_pot_torch']:.2f} | POT numpy x{row['vs_pot_numpy']:.2f} | "
                f"floor ratio {row['vs_floor']:.2f}",
                flush=True,
            )
    return rows


def training_rows(device: torch.device, quick: bool) -> list[dict]:
    from swgen.config import resolve
    from swgen.data import build_dataset
    from swgen.train.engine import Trainer, build_model
    from swgen.train.run_folder import RunFolder

    steps = 10 if quick else 30
    rows = []
    setups = [
        ("digits", ["data.name=digits", "model.width=16"]),
        ("gaussians25", ["data.name=gaussians25"]),
    ]
    for data_name, data_overrides in setups:
        timings = {}
        for model_name in ("swgan", "wgan-gp"):
            overrides = [
                f"model.name={model_name}",
                *data_overrides,
                f"train.steps={steps}",
                "train.progress=false",
                f"train.device={device.type}",
                f"train.log_every={steps}",
                f"train.sample_every={steps}",
                f"train.checkpoint_every={steps}",
            ]
            config = resolve(overrides=overrides)
            data = build_dataset(config.data)
            model = build_model(config, data, device)
            per_step = model.batches_per_step
            batches = [
                torch.cat(
                    [
                        data.batch(s * per_step + i, config.train.batch_size, 0)
                        for i in range(per_step)
                    ]
                ).to(device)
                for s in range(steps + 1)
            ]
            model.train_step(batches[0], 0)  # warm-up
            start = time.perf_counter()
            for step in range(1, steps + 1):
                model.train_step(batches[step], step)
            if device.type == "cuda":
                torch.cuda.synchronize()
            bare = (time.perf_counter() - start) / steps

            with tempfile.TemporaryDirectory() as folder:
                trainer = Trainer(config, RunFolder(Path(folder) / "run"))
                trainer.model.train_step(batches[0], 0)  # the same warm-up
                start = time.perf_counter()
                trainer.fit()
                engine = (time.perf_counter() - start) / steps
            timings[model_name] = (bare, engine)
            rows.append(
                {
                    "data": data_name,
                    "model": model_name,
                    "steps": steps,
                    "bare_step_s": bare,
                    "engine_step_s": engine,
                    "engine_overhead": engine / bare - 1,
                }
            )
            print(
                f"train {model_name:>8} on {data_name}: bare {bare * 1e3:8.1f} ms/step | "
                f"engine {engine * 1e3:8.1f} ms/step | overhead {100 * (engine / bare - 1):+.1f}%",
                flush=True,
            )
        ratio = timings["swgan"][0] / timings["wgan-gp"][0]
        rows.append({"data": data_name, "swgan_over_wgan_gp_step": ratio})
        print(f"swgan step / wgan-gp step on {data_name}: {ratio:.2f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="benchmarks/results/speed.json")
    args = parser.parse_args()
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "numpy": np.__version__,
    }
    print(json.dumps(machine), flush=True)
    results = {
        "machine": machine,
        "sliced": sliced_rows(device, args.quick, sync),
        "training": training_rows(device, args.quick),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
