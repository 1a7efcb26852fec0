"""StyleGAN on digits against DCGAN and SWGAN at equal wall time, with and without style mixing,
and the StyleGAN generator against SWGAN's dual-SWD critic.

    python benchmarks/stylegan.py [--stylegan-seeds 0 1 2] [--stylegan-seconds 480]
        [--stylegan-eval 2000] [--out benchmarks/results] [--quick]

(``benchmarks/run.py --only-stylegan`` runs this section alone and rewrites it in
BENCHMARKS.md.) Every candidate trains on the bundled digits (32 px) from its own digits preset
for the same budget in seconds: its seconds per step are probed alone first (20 steps, all
cores), and it gets ``budget / (s per step)`` steps; the runs then go one at a time, so each
has the machine to itself. Scores: ``fid_digits`` (the shipped digits classifier's features),
``recognised_digits`` (share the classifier is sure of), and for the StyleGAN runs the
perceptual path lengths in W and Z (``ppl_w_digits``, ``ppl_z_digits``, the LPIPS proxy of
``swgen.metrics.path_length``), from ``swgen eval``. The style-mixing grid of the first seed's
StyleGAN run (``swgen explore --style-mix``) is saved as ``docs/stylegan-style-mix.png``.
Finished runs (their ``eval.json``) are reused. ``--quick`` checks the script end to end on a
tiny budget (one seed, a few seconds per run, 200 samples); its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PICTURE = HERE.parent / "docs" / "stylegan-style-mix.png"

# label -> (model, overrides over the model's digits preset)
CANDIDATES: dict[str, tuple[str, list[str]]] = {
    "dcgan": ("dcgan", []),
    "swgan (main job's preset)": ("swgan", []),
    "stylegan": ("stylegan", []),
    "stylegan, no style mixing": ("stylegan", ["model.mixing_prob=0"]),
    "stylegan G + SWGAN critic": ("stylegan", ["model.critic=swd", "model.critic_width=16"]),
}


def seconds_per_step(model: str, overrides: list[str], probe_steps: int) -> float:
    """Seconds per training step of a candidate alone (the engine's own count, warm)."""
    from swgen.cli import main as swgen

    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder) / "probe"
        code = swgen(
            ["train", "--model", model, "--data", "digits", "--out", str(run), *overrides,
             f"train.steps={probe_steps}", f"train.log_every={probe_steps}",
             f"train.sample_every={probe_steps}", "train.progress=false"]
        )  # fmt: skip
        if code != 0:
            raise SystemExit(f"probe of {model} {overrides} failed ({code})")
        record = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
        return 1.0 / record["steps_per_second"]


def run_one(label: str, seed: int, steps: int, folder: Path, n_eval: int) -> dict:
    """Train (or reuse) and evaluate one run."""
    from swgen.cli import main as swgen

    model, overrides = CANDIDATES[label]
    evaluated = folder / "eval.json"
    if not evaluated.is_file():
        if folder.exists():
            shutil.rmtree(folder)  # an unfinished run: start again
        started = time.perf_counter()
        code = swgen(
            ["train", "--model", model, "--data", "digits", "--seed", str(seed), "--out",
             str(folder), *overrides, f"train.steps={steps}", f"train.sample_every={steps}",
             f"train.checkpoint_every={steps}", "train.log_every=50", "train.progress=false"]
        )  # fmt: skip
        if code != 0:
            return {"label": label, "seed": seed, "error": f"training exited with {code}"}
        (folder / "wall_seconds.txt").write_text(f"{time.perf_counter() - started:.1f}\n")
        if swgen(["eval", str(folder), "--n", str(n_eval), "--seed", str(seed)]) != 0:
            return {"label": label, "seed": seed, "error": "evaluation failed"}
    result = json.loads(evaluated.read_text())
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    train_seconds = max(json.loads(line).get("train_seconds", 0.0) for line in lines)
    return {"label": label, "seed": seed, "steps": steps, "metrics": result["metrics"],
            "train_seconds": train_seconds, "folder": str(folder)}  # fmt: skip


def mean_std(values: list[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{statistics.mean(values):.3g} ± {statistics.stdev(values):.2g}"


def render(results: list[dict], paces: dict[str, float], seeds: list[int], budget: float) -> str:
    lines = [
        f"Digits, 32 px; every run {budget:g} s of training alone (steps = budget / s per step "
        f"probed alone); seeds {', '.join(map(str, seeds))}, mean ± std over seeds; FID and "
        "recognised share on the shipped digits classifier; PPL: the LPIPS-proxy path length "
        "(swgen.metrics.path_length), comparable between these rows only.",
        "",
        "| candidate | s/step alone | steps | FID (digits clf.) | recognised | PPL W | PPL Z | "
        "train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label in CANDIDATES:
        mine = [r for r in results if r["label"] == label and "error" not in r]
        errors = [r["error"] for r in results if r["label"] == label and "error" in r]
        if not mine:
            lines.append(f"| {label} | {errors[0] if errors else 'no run'} |")
            continue

        def col(key: str, mine: list[dict] = mine) -> str:
            found = [r["metrics"][key] for r in mine if isinstance(r["metrics"].get(key), float)]
            return mean_std(found)

        lines.append(
            f"| {label} | {paces[label]:.3f} | {mine[0]['steps']} | {col('fid_digits')} | "
            f"{col('recognised_digits')} | {col('ppl_w_digits')} | {col('ppl_z_digits')} | "
            f"{mean_std([r['train_seconds'] for r in mine])} |"
        )
    if PICTURE.is_file():
        lines += ["", f"![style mixing, stylegan seed {seeds[0]}](docs/{PICTURE.name})"]
    return "\n".join(lines)


def style_mix_picture(run: Path) -> None:
    """``swgen explore --style-mix`` of ``run``, copied to ``docs/stylegan-style-mix.png``."""
    from swgen.cli import main as swgen

    with tempfile.TemporaryDirectory() as folder:
        if swgen(["explore", str(run), "-o", folder, "--style-mix"]) == 0:
            shutil.copy(Path(folder) / "style_mix.png", PICTURE)


def run_stylegan(
    out: Path, seeds: list[int], budget: float, n_eval: int, quick: bool = False
) -> str:
    """Probe, train, evaluate; returns the Markdown of the section."""
    folder = out / "stylegan"
    folder.mkdir(parents=True, exist_ok=True)
    paces = {
        label: seconds_per_step(model, overrides, 3 if quick else 20)
        for label, (model, overrides) in CANDIDATES.items()
    }
    results = []
    for seed in seeds:
        for label, pace in paces.items():
            steps = max(2, round(budget / pace))
            name = f"{label.split(' (')[0].replace(' ', '-').replace(',', '')}-s{seed}"
            results.append(run_one(label, seed, steps, folder / "runs" / name, n_eval))
    first = next((r for r in results if r["label"] == "stylegan" and "folder" in r), None)
    if first is not None and not quick:
        style_mix_picture(Path(first["folder"]))
    (folder / "results.json").write_text(json.dumps({"paces": paces, "results": results}, indent=1))
    return render(results, paces, seeds, budget)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stylegan-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--stylegan-seconds", type=float, default=480.0)
    parser.add_argument("--stylegan-eval", type=int, default=2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--quick", action="store_true", help="a tiny budget, to check the script")
    add_arguments(parser)
    args = parser.parse_args()
    if args.quick:  # in a temporary folder: nothing of it is worth keeping
        with tempfile.TemporaryDirectory() as folder:
            report = run_stylegan(Path(folder), args.stylegan_seeds[:1], 5.0, 200, quick=True)
    else:
        report = run_stylegan(
            Path(args.out), args.stylegan_seeds, args.stylegan_seconds, args.stylegan_eval
        )
    print(report, flush=True)


if __name__ == "__main__":
    main()
