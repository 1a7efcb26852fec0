"""Speed, measured side by side in one run: swgen against POT and against a bare PyTorch loop.

    python benchmarks/speed.py [--quick] [--device cpu|cuda] [--out benchmarks/results/speed.json]
                               [--parts sliced training paper-steps memory-format dropout]

A lent GPU's numbers go to a file of their own, ``--out benchmarks/results/gpu/speed_<card>.json``,
which ``benchmarks/run.py`` renders into the BENCHMARKS.md section ``speed:gpu/speed_<card>``.

1. ``swgen.sliced.sliced_wasserstein`` (float32) against POT's ``ot.sliced_wasserstein_distance``
   (torch backend on the same float32 tensors; numpy backend on float64 arrays, numpy's default,
   and on float32 arrays) with the same 128 projections, and against the floor of the computation
   (one product of both point sets with the projections plus one sort);
2. a training step of SWGAN against one of WGAN-GP with the same networks and batch;
3. the engine's overhead: ``Trainer.fit`` against a bare PyTorch loop calling the same
   ``train_step`` on the same pre-built batches (no data loading, EMA, logging, checkpoints or
   sample grids), per step, with the fixed cost of one sample grid and one checkpoint apart;
   and, within each engine run, the time between consecutive ``train_step`` calls against the
   time inside them (immune to the run-to-run noise of a shared machine and to the run's
   one-off costs);
4. one generator step of SWGAN, WGAN-GP, CT-GAN and SWG each on its paper's own networks
   (``model.architecture=paper``, digits, the settings of the quality table's paper runs), on one
   thread as those runs had: the exchange rate between their step counts at equal CPU time;
5. one training step of each image model with its convolution weights contiguous against
   channels-last (``train.memory_format``), the layout swgen picks on the CPU;
6. one CT-GAN step with swgen's dropout (CPU masks drawn from uniforms) against ``nn.Dropout``.

Each timing is the median of several repeats after a warm-up; the contenders of a row are timed
round-robin in the same process (one call of each per round), and bare-loop and engine runs
alternate, so that drift in the machine's speed hits both sides of every ratio alike.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from itertools import count, pairwise
from pathlib import Path

import numpy as np
import torch
from torch import nn

from swgen.data.base import Batch


def interleaved_medians(
    functions: dict[str, Callable[[], object]], repeats: int, sync: Callable[[], None]
) -> dict[str, float]:
    """Median seconds of each function, timed round-robin (one call of each per round).

    Round-robin rather than one function's repeats after another's, so that a drift in the
    machine's speed (other tenants of a VM, thermal state) hits every contender alike.
    """
    for function in functions.values():
        function()
        sync()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            sync()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def device_sync(device: torch.device) -> Callable[[], None]:
    """What waits for the device's queued work before a clock is read (nothing on a CPU)."""
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def step_batch(data, config, per_step: int, step: int, device: torch.device) -> Batch:
    """The real rows of training step ``step``: ``per_step`` consecutive batches, one per critic
    update, as the engine hands them to ``train_step``."""
    rows = [data.batch(step * per_step + i, config.train.batch_size, 0) for i in range(per_step)]
    return Batch.cat(rows).to(device)


def repeated_step(overrides: list[str], device: torch.device) -> tuple[torch.nn.Module, Callable]:
    """The model the config ``overrides`` build on ``device``, and a call of its ``train_step``
    on one fixed real batch (the step number counting up), for round-robin timing."""
    from swgen.config import resolve
    from swgen.data import build_dataset
    from swgen.train.engine import build_model

    config = resolve(overrides=[*overrides, f"train.device={device.type}"])
    data = build_dataset(config.data)
    model = build_model(config, data, device)
    batch = step_batch(data, config, model.batches_per_step, 0, device)
    step_numbers = count()
    return model, lambda: model.train_step(batch, next(step_numbers))


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
            x_np32, y_np32, theta_np32 = x.cpu().numpy(), y.cpu().numpy(), theta.cpu().numpy()
            repeats = 5 if n * d >= 10000 * 784 else 9

            def ours(x=x, y=y, theta=theta) -> object:
                return sliced_wasserstein(x, y, projections=theta)

            def floor(x=x, y=y, theta=theta, n=n) -> object:
                projected = torch.cat([x, y]) @ theta
                return projected.T.contiguous().view(128, 2, n).sort(dim=-1)

            def pot_torch(x=x, y=y, theta=theta) -> object:
                return ot.sliced_wasserstein_distance(x, y, projections=theta, p=2)

            def pot_numpy(x_np=x_np, y_np=y_np, theta_np=theta_np) -> object:
                return ot.sliced_wasserstein_distance(x_np, y_np, projections=theta_np, p=2)

            def pot_numpy32(x_np=x_np32, y_np=y_np32, theta_np=theta_np32) -> object:
                return ot.sliced_wasserstein_distance(x_np, y_np, projections=theta_np, p=2)

            row = {"n": n, "d": d}
            medians = interleaved_medians(
                {"swgen_s": ours, "floor_s": floor, "pot_torch_s": pot_torch}, repeats, sync
            )
            medians |= interleaved_medians(
                {"pot_numpy_s": pot_numpy, "pot_numpy32_s": pot_numpy32}, repeats, lambda: None
            )
            row |= medians
            row["repeats"] = repeats
            row["vs_pot_torch"] = row["pot_torch_s"] / row["swgen_s"]
            row["vs_pot_numpy"] = row["pot_numpy_s"] / row["swgen_s"]
            row["vs_pot_numpy32"] = row["pot_numpy32_s"] / row["swgen_s"]
            row["vs_floor"] = row["swgen_s"] / row["floor_s"]
            agree = abs(float(ours()) - float(pot_torch())) / max(float(pot_torch()), 1e-12)
            row["relative_difference_to_pot"] = agree
            rows.append(row)
            print(
                f"sliced n={n:>5} d={d:>4}: swgen {row['swgen_s'] * 1e3:8.2f} ms | "
                f"POT torch x{row['vs_pot_torch']:.2f} | POT numpy x{row['vs_pot_numpy']:.2f} "
                f"(float32 x{row['vs_pot_numpy32']:.2f}) | "
                f"floor ratio {row['vs_floor']:.2f}",
                flush=True,
            )
    return rows


def bare_loop(config, data, batches: list, device: torch.device) -> float:
    """Seconds of ``len(batches) - 1`` calls of ``train_step``, after one warm-up call."""
    from swgen.train.engine import build_model

    model = build_model(config, data, device)
    model.train_step(batches[0], 0)
    start = time.perf_counter()
    for step in range(1, len(batches)):
        model.train_step(batches[step], step)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def engine_fit(config, batches: list, sync: Callable[[], None]) -> tuple[float, ...]:
    """Seconds of ``Trainer.fit``, of its fixed costs (one sample grid, one checkpoint), of the
    ``train_step`` calls inside it, and of the engine's work between consecutive steps.

    The last two make the engine's own work per step measurable within one run, free of the
    run-to-run drift of a shared machine and of the run's one-off costs (opening the run
    folder, the final grid and checkpoint), which a 40-step window of millisecond GPU steps
    would otherwise spread over too few steps. Each timed step waits for the device's queued
    work (``sync``): on a GPU a step returns before its kernels have run, and their time would
    otherwise be charged to the engine's first synchronising call after it (the finiteness
    check).
    """
    # Imported once per process by the engine's first run: not a cost of each step or run.
    from torch.utils.tensorboard import SummaryWriter  # noqa: F401

    from swgen.train.engine import Trainer
    from swgen.train.run_folder import RunFolder

    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(config, RunFolder(Path(folder) / "run"))
        trainer.model.train_step(batches[0], 0)  # the same warm-up
        spans: list[tuple[float, float]] = []
        train_step = trainer.model.train_step

        def timed_step(*args, **kwargs):
            started = time.perf_counter()
            logs = train_step(*args, **kwargs)
            sync()
            spans.append((started, time.perf_counter()))
            return logs

        trainer.model.train_step = timed_step
        start = time.perf_counter()
        trainer.fit()
        fit = time.perf_counter() - start
        start = time.perf_counter()
        trainer.write_samples()
        trainer.save()
        fixed = time.perf_counter() - start
        inside = sum(end - begin for begin, end in spans)
        between = sum(nxt[0] - prev[1] for prev, nxt in pairwise(spans))
        return fit, fixed, inside, between


def training_rows(device: torch.device, quick: bool) -> list[dict]:
    from quality import PAPER_SETTINGS

    from swgen.config import resolve
    from swgen.data import build_dataset
    from swgen.train.engine import build_model

    steps = 10 if quick else 40
    repeats = 1 if quick else 5
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
                # the paper's settings, not the presets SWGAN's default jobs ship (n_critic 1)
                *PAPER_SETTINGS.get((model_name, data_name), []),
                f"train.steps={steps}",
                "train.progress=false",
                f"train.device={device.type}",
                f"train.sample_every={steps}",
                f"train.checkpoint_every={steps}",
            ]
            config = resolve(overrides=overrides)
            data = build_dataset(config.data)
            per_step = build_model(config, data, device).batches_per_step
            batches = [step_batch(data, config, per_step, s, device) for s in range(steps + 1)]

            bare_runs, engine_runs = [], []
            for _ in range(repeats):  # alternated, so that drift in machine speed hits both
                bare_runs.append(bare_loop(config, data, batches, device))
                engine_runs.append(engine_fit(config, batches, device_sync(device)))
            bare = statistics.median(bare_runs) / steps
            fit = statistics.median(run[0] for run in engine_runs)
            fixed = statistics.median(run[1] for run in engine_runs)
            per_step = (fit - fixed) / steps
            # each engine run against the bare loop timed right before it: the spread of these
            # is the measurement noise of the machine
            paired = [
                (run_fit - run_fixed) / run_bare - 1
                for run_bare, (run_fit, run_fixed, *_) in zip(bare_runs, engine_runs, strict=True)
            ]
            # the engine's own work between two steps against a step, in the same run
            in_run = statistics.median(
                (between / (steps - 1)) / (inside / steps) for *_, inside, between in engine_runs
            )
            timings[model_name] = (bare, per_step)
            rows.append(
                {
                    "data": data_name,
                    "model": model_name,
                    "steps": steps,
                    "repeats": repeats,
                    "bare_step_s": bare,
                    "engine_step_s": per_step,
                    "engine_overhead": per_step / bare - 1,
                    "paired_overheads": paired,
                    "in_run_overhead": in_run,
                    "fixed_s": fixed,
                    "window_overhead": fit / (bare * steps) - 1,
                }
            )
            print(
                f"train {model_name:>8} on {data_name}: bare {bare * 1e3:8.1f} ms/step | "
                f"engine {per_step * 1e3:8.1f} ms/step ({100 * (per_step / bare - 1):+.1f}%, "
                f"pairs {min(paired) * 100:+.1f}% to {max(paired) * 100:+.1f}%; "
                f"in-run {in_run * 100:+.2f}%) | "
                f"grid + checkpoint {fixed:.2f} s | {steps}-step window "
                f"{100 * (fit / (bare * steps) - 1):+.1f}%",
                flush=True,
            )
        ratio = timings["swgan"][0] / timings["wgan-gp"][0]
        rows.append({"data": data_name, "swgan_over_wgan_gp_step": ratio})
        print(f"swgan step / wgan-gp step on {data_name}: {ratio:.2f}", flush=True)
    return rows


PAPER_STEP_MODELS = ("swgan", "wgan-gp", "ctgan", "swg")

# (label, overrides) of the training steps timed in both layouts: the main job itself, then
# each image model at its digits preset, then SWGAN on its paper's networks
MEMORY_FORMAT_CASES = (
    ("main job (swgan preset)", []),
    *(
        (name, [f"model.name={name}"])
        for name in ("wgan-gp", "ctgan", "swg", "dcgan", "gan", "wgan", "wae", "swae", "vae", "aae")
    ),
    ("swgan, paper networks, n_critic 4", ["model.architecture=paper", "model.n_critic=4"]),
)


def memory_format_rows(device: torch.device, quick: bool, sync: Callable[[], None]) -> list[dict]:
    """Median seconds of one ``train_step`` with the convolution weights contiguous (NCHW)
    against channels-last (NHWC, ``train.memory_format``), round-robin, on digits."""
    cases = MEMORY_FORMAT_CASES[:2] if quick else MEMORY_FORMAT_CASES
    repeats = 1 if quick else 9
    rows = []
    for label, overrides in cases:
        steps = {
            layout: repeated_step([*overrides, f"train.memory_format={layout}"], device)[1]
            for layout in ("contiguous", "channels_last")
        }
        seconds = interleaved_medians(steps, repeats, sync)
        ratio = seconds["channels_last"] / seconds["contiguous"]
        rows.append(
            {
                "case": label,
                "contiguous_s": seconds["contiguous"],
                "channels_last_s": seconds["channels_last"],
                "ratio": ratio,
                "threads": torch.get_num_threads(),
            }
        )
        print(
            f"memory format, {label:>34}: contiguous {seconds['contiguous'] * 1e3:8.1f} ms, "
            f"channels-last {seconds['channels_last'] * 1e3:8.1f} ms ({ratio:.3f})",
            flush=True,
        )
    return rows


def paper_step_rows(device: torch.device, quick: bool, sync: Callable[[], None]) -> list[dict]:
    """Median seconds of one ``train_step`` of each model on its paper's networks, round-robin.

    Digits at the digits preset's width, each model with the overrides the quality table's paper
    runs use (``quality.PAPER_SETTINGS``: SWGAN's official n_critic 4 at Adam 3e-4), one thread.
    """
    from quality import PAPER_SETTINGS

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        steps = {}
        for model_name in PAPER_STEP_MODELS:
            overrides = [
                f"model.name={model_name}",
                "data.name=digits",
                "model.architecture=paper",
                *PAPER_SETTINGS.get((model_name, "digits"), []),
            ]
            steps[model_name] = repeated_step(overrides, device)[1]
        # a GPU step takes milliseconds, so more rounds cost nothing there and steady the medians
        repeats = 1 if quick else (15 if device.type == "cuda" else 5)
        seconds = interleaved_medians(steps, repeats, sync)
    finally:
        torch.set_num_threads(threads)
    rows = []
    for model_name, median in seconds.items():
        rows.append(
            {"model": model_name, "step_s": median, "over_wgan_gp": median / seconds["wgan-gp"]}
        )
        print(
            f"paper networks, {model_name:>8}: {median * 1e3:8.1f} ms per generator step "
            f"({median / seconds['wgan-gp']:.2f} x WGAN-GP's)",
            flush=True,
        )
    return rows


def dropout_rows(device: torch.device, quick: bool, sync: Callable[[], None]) -> list[dict]:
    """Median seconds of one CT-GAN ``train_step`` (digits, its preset: the official MNIST
    critic with dropout 0.5 after every layer) with swgen's dropout, whose CPU mask is drawn
    from uniforms, against the same step with ``torch.nn.Dropout``, round-robin."""
    from swgen.models.ctgan import Dropout

    steps = {}
    for mask in ("torch", "swgen"):
        model, steps[mask] = repeated_step(["model.name=ctgan"], device)
        if mask == "torch":
            layers = model.critic.features
            for index, layer in enumerate(layers):
                if isinstance(layer, Dropout):
                    layers[index] = nn.Dropout(layer.p)
    seconds = interleaved_medians(steps, 1 if quick else 9, sync)
    ratio = seconds["swgen"] / seconds["torch"]
    print(
        f"ctgan step, dropout masks from torch {seconds['torch'] * 1e3:.1f} ms, from uniforms "
        f"{seconds['swgen'] * 1e3:.1f} ms ({ratio:.3f})",
        flush=True,
    )
    return [
        {
            "torch_s": seconds["torch"],
            "swgen_s": seconds["swgen"],
            "ratio": ratio,
            "threads": torch.get_num_threads(),
        }
    ]


def render(results: dict) -> str:
    """Markdown tables of a ``speed.json``: what ``benchmarks/run.py`` puts in BENCHMARKS.md."""
    machine = results["machine"]
    lines = [
        f"Measured on {machine['device']} ({machine['processor']}, {machine['threads']} threads, "
        f"torch {machine['torch']}, numpy {machine['numpy']}).",
    ]
    if results.get("sliced"):
        lines += [
            "",
            "| n | d | swgen ms | POT torch ms | POT numpy ms (f64 / f32) | vs POT torch "
            "| vs POT numpy f64 | vs POT numpy f32 | swgen / floor |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    for row in results.get("sliced", []):
        numpy32 = row.get("pot_numpy32_s", float("nan"))
        lines.append(
            f"| {row['n']} | {row['d']} | {row['swgen_s'] * 1e3:.1f} | "
            f"{row['pot_torch_s'] * 1e3:.1f} | {row['pot_numpy_s'] * 1e3:.1f} / "
            f"{numpy32 * 1e3:.1f} | {row['vs_pot_torch']:.2f}x | {row['vs_pot_numpy']:.2f}x | "
            f"{row.get('vs_pot_numpy32', float('nan')):.2f}x | {row['vs_floor']:.2f} |"
        )
    if results.get("training"):
        if results.get("training_date", results.get("date")) != results.get("date"):
            lines += ["", f"Training steps measured {results['training_date']}:"]
        lines += [
            "",
            "| data | model | bare loop ms/step | engine ms/step | engine overhead per step "
            "| range over repeat pairs | engine's own work per step, in-run "
            "| one grid + checkpoint s | overhead over the window |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        ratios = []
        for row in results["training"]:
            if "swgan_over_wgan_gp_step" in row:
                ratios.append(f"{row['data']} {row['swgan_over_wgan_gp_step']:.2f}")
                continue
            window = row.get("window_overhead", row["engine_overhead"])
            paired = row.get("paired_overheads") or [float("nan")]
            spread = f"{100 * min(paired):+.1f}% to {100 * max(paired):+.1f}% ({row['repeats']})"
            lines.append(
                f"| {row['data']} | {row['model']} | {row['bare_step_s'] * 1e3:.1f} | "
                f"{row['engine_step_s'] * 1e3:.1f} | {100 * row['engine_overhead']:+.1f}% | "
                f"{spread} | {100 * row.get('in_run_overhead', float('nan')):+.2f}% | "
                f"{row.get('fixed_s', float('nan')):.2f} | {100 * window:+.1f}% "
                f"({row['steps']} steps) |"
            )
        lines += [
            "",
            "SWGAN step / WGAN-GP step (bare loops, each at its paper's settings: SWGAN 4 critic "
            "updates per generator step, WGAN-GP 5): " + ", ".join(ratios) + ".",
        ]
    if results.get("paper_steps"):
        lines += [
            "",
            f"Each model on its paper's own networks (digits, width 16, one CPU thread; measured "
            f"{results.get('paper_steps_date', results.get('date', 'with the rows above'))}):",
            "",
            "| model | ms per generator step | / WGAN-GP's |",
            "|---|---|---|",
        ]
        lines += [
            f"| {row['model']} | {row['step_s'] * 1e3:.{0 if row['step_s'] >= 0.1 else 1}f} | "
            f"{row['over_wgan_gp']:.2f} |"
            for row in results["paper_steps"]
        ]
    if results.get("memory_format"):
        rows = results["memory_format"]
        lines += [
            "",
            f"One training step with the convolution weights contiguous (NCHW) and channels-last "
            f"(NHWC, `train.memory_format`), digits at each model's preset, "
            f"{rows[0]['threads']} thread(s), medians of round-robin repeats (measured "
            f"{results.get('memory_format_date', results.get('date'))}):",
            "",
            "| training step | contiguous ms | channels-last ms | channels-last / contiguous |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {row['case']} | {row['contiguous_s'] * 1e3:.1f} | "
            f"{row['channels_last_s'] * 1e3:.1f} | {row['ratio']:.2f} |"
            for row in rows
        ]
    for row in results.get("dropout", []):
        lines += [
            "",
            f"One CT-GAN training step (digits, its preset, {row['threads']} thread(s), measured "
            f"{results.get('dropout_date', results.get('date'))}): dropout masks from "
            f"`torch.nn.Dropout` {row['torch_s'] * 1e3:.1f} ms, from swgen's uniforms "
            f"{row['swgen_s'] * 1e3:.1f} ms ({row['ratio']:.2f}).",
        ]
    return "\n".join(lines)


PARTS = ("sliced", "training", "paper-steps", "memory-format", "dropout")


def machine_info(device: torch.device) -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "numpy": np.__version__,
    }


def measure(device: torch.device, quick: bool, parts: tuple[str, ...] = PARTS) -> dict:
    """The results of the named parts (1.-3. and 4. of the module docstring) on ``device``."""
    sync = device_sync(device)
    machine = machine_info(device)
    print(json.dumps(machine), flush=True)
    results: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine}
    if "sliced" in parts:
        results["sliced"] = sliced_rows(device, quick, sync)
    if "training" in parts:
        results["training"] = training_rows(device, quick)
        results["training_date"] = results["date"]
    if "paper-steps" in parts:
        results["paper_steps"] = paper_step_rows(device, quick, sync)
        results["paper_steps_date"] = results["date"]
    if "memory-format" in parts:
        results["memory_format"] = memory_format_rows(device, quick, sync)
        results["memory_format_date"] = results["date"]
    if "dropout" in parts:
        results["dropout"] = dropout_rows(device, quick, sync)
        results["dropout_date"] = results["date"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="cpu")
    # beside this script, wherever it is run from
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "speed.json")
    )
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=list(PARTS),
        help="measure only these parts; an existing --out measured on the same device keeps the "
        "others",
    )
    parser.add_argument(
        "--paper-steps-only",
        action="store_true",
        help="the same as --parts paper-steps",
    )
    args = parser.parse_args()
    device = torch.device(args.device)
    parts = ("paper-steps",) if args.paper_steps_only else tuple(args.parts)
    out = Path(args.out)
    results = {}
    if set(parts) != set(PARTS) and out.is_file():
        results = json.loads(out.read_text())
        measured_on, running_on = results["machine"]["device"], machine_info(device)["device"]
        if measured_on != running_on:
            parser.error(
                f"{out} was measured on {measured_on}, not {running_on}: give another --out "
                "so that one file holds one machine's numbers"
            )
    measured = measure(device, args.quick, parts)
    if results:  # a partial run: the file's date stays that of its full run, each part has its own
        measured.pop("date")
    results |= measured
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(render(results))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
