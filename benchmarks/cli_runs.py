"""Benchmark runs made through the command line, as a user makes them: ``swgen train`` (timed),
``swgen eval``, any further commands; finished runs are reused; several runs side by side.

Used by the sections whose rows are whole runs of a preset (translation, enhancement).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def train_and_evaluate(job: dict) -> dict:
    """Train (unless ``eval.json`` exists) and evaluate one run; its metrics and timings.

    ``job``: ``folder``, ``model``, ``data``, ``seed``, ``steps`` (None: the preset's),
    ``settings`` (dotted overrides), ``threads``, optional ``after`` (CLI argument lists run on
    the finished run, ``{folder}`` filled in).
    """
    import torch

    from swgen.cli import main as swgen

    torch.set_num_threads(job["threads"])
    folder = Path(job["folder"])
    evaluated = folder / "eval.json"
    if not evaluated.is_file():
        if folder.exists():
            shutil.rmtree(folder)  # an unfinished run: start again
        budget = [f"train.steps={job['steps']}"] if job["steps"] else []
        argv = ["train", "--model", job["model"], "--data", job["data"], "--seed", str(job["seed"])]
        settings = [*job.get("settings", []), "train.progress=false", *budget]
        started = time.perf_counter()
        if swgen([*argv, "--out", str(folder), *settings]) != 0:
            return {**job, "error": "training failed"}
        (folder / "wall_seconds.txt").write_text(f"{time.perf_counter() - started:.1f}\n")
        if swgen(["eval", str(folder), "--seed", str(job["seed"])]) != 0:
            return {**job, "error": "evaluation failed"}
        for command in job.get("after", []):
            swgen([part.format(folder=folder) for part in command])
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    result = json.loads(evaluated.read_text())
    return {
        **job,
        "steps": result["step"],
        "metrics": result["metrics"],
        "train_seconds": max(r.get("train_seconds", 0.0) for r in records),
        "wall": float((folder / "wall_seconds.txt").read_text()),
    }


def run_side_by_side(jobs: list[dict], n_jobs: int) -> list[dict]:
    """``train_and_evaluate`` on every job, ``n_jobs`` at a time, results in the jobs' order."""
    if n_jobs <= 1:
        return [train_and_evaluate(job) for job in jobs]
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch threads
    with ProcessPoolExecutor(n_jobs, mp_context=context) as pool:
        return list(pool.map(train_and_evaluate, jobs))


def section_main(doc: str, run: Callable[[Path, list[int], int | None, int], str]) -> None:
    """The command line of a section script run alone: ``--seeds``, ``--steps``, ``--jobs`` and
    ``--out`` (default ``benchmarks/results``); prints ``run``'s Markdown."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, help="shorter budget than the presets (a smoke test)")
    parser.add_argument("--jobs", type=int, default=2, help="runs side by side, one thread each")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args()
    print(run(Path(args.out), args.seeds, args.steps, args.jobs))


def add_section_arguments(parser: argparse.ArgumentParser, section: str) -> None:
    """``--<section>-seeds``, ``--<section>-steps`` and ``--<section>-jobs`` for run.py."""
    parser.add_argument(f"--{section}-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        f"--{section}-steps", type=int, help="shorter budget than the preset (a smoke test)"
    )
    parser.add_argument(
        f"--{section}-jobs", type=int, default=2, help="runs side by side, one thread each"
    )
