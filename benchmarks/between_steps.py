"""What each part of the engine's work between two training steps costs, timed one by one.

    python benchmarks/between_steps.py [--device cuda] [--models swgan wgan-gp] [--steps 60]

``speed.py`` measures the engine's work between steps as one figure; this splits it into the
parts ``Trainer._loop`` runs around ``train_step`` (the learning-rate schedule, drawing and
copying the real batch, the finiteness check, the EMA update, and a log record, which a run
writes every ``train.log_every`` steps), on digits at the settings of speed.py's training rows,
the device synchronised after each part so that queued GPU work is charged to the part that
queued it. Medians over the steps after the first ten.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from quality import PAPER_SETTINGS
from speed import device_sync

from swgen.config import resolve
from swgen.train.engine import Trainer
from swgen.train.run_folder import RunFolder

PARTS = ("learning rates", "batch", "train_step", "finiteness check", "EMA", "log record")


def part_medians(model_name: str, device: torch.device, steps: int) -> dict[str, float]:
    config = resolve(
        overrides=[
            f"model.name={model_name}",
            "data.name=digits",
            "model.width=16",
            *PAPER_SETTINGS.get((model_name, "digits"), []),
            "train.progress=false",
            f"train.steps={steps}",
            f"train.device={device.type}",
        ]
    )
    sync = device_sync(device)
    times: dict[str, list[float]] = {part: [] for part in PARTS}
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(config, RunFolder(Path(folder) / "run"))
        trainer._open_folder()  # the log record writes to the run folder
        marks: list[float] = []

        def mark() -> None:
            sync()
            marks.append(time.perf_counter())

        for step in range(steps):
            marks[:] = [time.perf_counter()]
            trainer._schedule_learning_rates(step)
            mark()
            batch = trainer._real_batch(step)
            mark()
            logs = trainer.model.train_step(batch, step)
            mark()
            trainer._check_finite(logs)
            mark()
            if trainer.ema is not None:
                trainer.ema.update()
            mark()
            trainer._log(logs, 1.0)
            mark()
            if step >= 10:  # after the warm-up of cuDNN's algorithm search and the allocator
                for part, begin, end in zip(PARTS, marks[:-1], marks[1:], strict=True):
                    times[part].append(end - begin)
        trainer.writer.close()
    return {part: statistics.median(values) for part, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--models", nargs="+", default=["swgan", "wgan-gp"])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    device = torch.device(args.device)
    for model_name in args.models:
        medians = part_medians(model_name, device, args.steps)
        per_step = sum(v for k, v in medians.items() if k not in ("train_step", "log record"))
        print(
            f"{model_name} on digits, {device}: "
            + ", ".join(f"{part} {seconds * 1e3:.2f} ms" for part, seconds in medians.items())
            + f"; every step's parts together {per_step * 1e3:.2f} ms, "
            f"{100 * per_step / medians['train_step']:.1f}% of train_step",
            flush=True,
        )


if __name__ == "__main__":
    main()
