"""Soak test of resuming: SIGKILL training at random moments, resume, compare with a clean run.

    python scripts/soak_kill.py                 # 20 kills (not part of CI; a few minutes)
    python scripts/soak_kill.py --kills 5 --steps 200 --model wgan-gp

One uninterrupted run is trained first. The same run is then started in another folder and
killed with SIGKILL at a random moment of its training (see ``killed_run``), resumed with
``swgen train --resume``, killed again, and so on ``--kills`` times; the last resume runs to the
end. Kills land anywhere: in a step, in the middle of a checkpoint or metrics write, before the
first checkpoint. Passing means the final
checkpoint (weights, optimiser states, EMA, RNG) and every logged loss equal the clean run's, bit
for bit (CPU, one thread), and no temporary file is left. ``tests/test_soak.py`` runs it in CI
with 2 kills. Prints one result line, quoted in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

TIMINGS = {"steps_per_second", "train_seconds"}


def train_command(model: str, steps: int, out: Path, resume: bool) -> list[str]:
    where = ["--resume", str(out)] if resume else ["--out", str(out), "--model", model]
    settings = [
        "--data", "gaussians8", "--device", "cpu", "model.width=16", "model.latent_dim=4",
        "train.batch_size=32", f"train.steps={steps}", "train.log_every=1",
        "train.checkpoint_every=3", "train.sample_every=20", "train.progress=false",
    ]  # fmt: skip
    return [sys.executable, "-m", "swgen.cli", "train", *where, *(settings if not resume else [])]


def environment() -> dict[str, str]:
    # One thread everywhere: the same reduction order in every process, hence equal numbers.
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def clean_run(model: str, steps: int, out: Path) -> None:
    completed = subprocess.run(
        train_command(model, steps, out, resume=False),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"soak: the clean run failed: {completed.stderr.decode()[-2000:]}")


def logged_steps(run: Path) -> int:
    try:
        return (run / "metrics.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def killed_run(model: str, steps: int, out: Path, kills: int, rng: random.Random) -> int:
    """Start, SIGKILL at a random moment, resume, ``kills`` times; then finish. Returns the
    number of starts.

    The moment is drawn by progress, not by the clock, so that a busy machine still kills each
    process inside its training: a random step is drawn past the last one logged, and the kill
    comes a random 0-50 ms after that step's line appears (inside a step, a checkpoint or
    metrics write, or a sample grid).
    """
    starts = 0
    for kill in range(kills + 1):
        resume = (out / "config.yaml").is_file()  # else nothing usable was written yet
        process = subprocess.Popen(
            train_command(model, steps, out, resume=resume),
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        starts += 1
        if kill == kills:
            break
        # A step before the end, leaving one step for each kill still to come.
        last = steps - (kills - kill)
        target = rng.randint(min(logged_steps(out) + 1, last), last)
        while process.poll() is None and logged_steps(out) < target:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.05))
        if process.poll() is not None:
            raise SystemExit(f"soak: the run ended before kill {kill + 1}; give more --steps")
        process.send_signal(signal.SIGKILL)
        process.wait()
    _, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"soak: the last resume failed: {err.decode()[-2000:]}")
    return starts


def compare(clean: Path, killed: Path) -> list[str]:
    """What differs between the two runs' final states and logs (empty: identical)."""
    problems = []
    a = torch.load(clean / "checkpoints" / "last.pt", weights_only=True)
    b = torch.load(killed / "checkpoints" / "last.pt", weights_only=True)

    def walk(x: object, y: object, where: str) -> None:
        if isinstance(x, torch.Tensor):
            if not (isinstance(y, torch.Tensor) and torch.equal(x, y)):
                problems.append(f"{where} differs")
        elif isinstance(x, dict):
            if not isinstance(y, dict) or set(x) != set(y):
                problems.append(f"{where} has other keys")
                return
            for key in x:
                walk(x[key], y[key], f"{where}.{key}")
        elif isinstance(x, (list, tuple)):
            if not isinstance(y, (list, tuple)) or len(x) != len(y):
                problems.append(f"{where} has another length")
                return
            for index, (p, q) in enumerate(zip(x, y, strict=True)):
                walk(p, q, f"{where}[{index}]")
        elif x != y:
            problems.append(f"{where}: {x!r} != {y!r}")

    for key in ("step", "model", "optimizers", "ema", "rng"):
        walk(a[key], b[key], key)

    def losses(run: Path) -> list[dict]:
        lines = (run / "metrics.jsonl").read_text().splitlines()
        return [{k: v for k, v in json.loads(line).items() if k not in TIMINGS} for line in lines]

    if losses(clean) != losses(killed):
        problems.append("metrics.jsonl losses differ")
    leftovers = [p.name for p in killed.rglob(".*") if p.is_file()]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    return problems


def soak(kills: int = 20, steps: int = 300, model: str = "swgan", seed: int = 0,
         workdir: Path | None = None) -> str:  # fmt: skip
    """Run the soak test; return its result line, or raise SystemExit on a failure."""
    rng = random.Random(seed)
    root = Path(workdir or tempfile.mkdtemp(prefix="swgen-soak-"))
    clean_run(model, steps, root / "clean")
    starts = killed_run(model, steps, root / "killed", kills, rng)
    problems = compare(root / "clean", root / "killed")
    if problems:
        raise SystemExit(f"soak: FAILED after {kills} SIGKILLs: {'; '.join(problems[:5])}")
    if workdir is None:
        shutil.rmtree(root)
    return (
        f"soak: {kills} SIGKILLs at random moments of {model} training ({steps} steps, "
        f"{starts} starts): final weights, optimiser, EMA and RNG states and all "
        f"{steps} logged losses equal the uninterrupted run's bit for bit"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs before the last resume")
    parser.add_argument("--steps", type=int, default=300, help="training steps of the run")
    parser.add_argument("--model", default="swgan")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument("--workdir", type=Path, help="keep the run folders here")
    args = parser.parse_args()
    print(soak(args.kills, args.steps, args.model, args.seed, args.workdir))


if __name__ == "__main__":
    main()
