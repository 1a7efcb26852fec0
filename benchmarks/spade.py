"""Semantic image synthesis on the same pairs: spade against pix2pix on scenes (the SPADE paper's
comparison with a map-to-image translator fed the one-hot map at its input).

    python benchmarks/spade.py [--seeds 0 1 2] [--steps N] [--jobs 2] [--out benchmarks/results]

(``benchmarks/run.py --only-spade`` runs this section alone and rewrites it in BENCHMARKS.md.)
spade trains with its preset (``swgen train --model spade --data scenes``); pix2pix with the same
budget on the same pairs: 16 channels in generator and critic, batches of 8, the preset's steps,
constant then linearly decaying rates, no weight averaging (its own losses, networks and Adam
settings). ``--steps`` shortens both (a smoke test). Both are evaluated by ``swgen eval`` on the
256 held-out scenes: the proxy segmenter's pixel accuracy and mean IoU of the synthesised images
against their input maps, the Fréchet distance in the segmenter's features and the multi-scale
SWD against the true images (``swgen.metrics.segmentation``; proxies, never the paper's numbers),
beside the real held-out images' (the ceiling) and real training images' (the floor of the
distances), with training and wall time. Finished runs (their ``eval.json``) are reused; a run's
folder name holds its step budget. A model not registered in this checkout is left out, with a
line saying so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_runs import add_section_arguments, run_side_by_side, section_main  # noqa: E402
from progressive import mean_std  # noqa: E402  (mean ± std over seeds, as that section)

DATA = "scenes"
DIRECTION = "AtoB"
PRESET_STEPS = 2000  # configs/spade/scenes.yaml
# pix2pix at spade's preset budget (configs/spade/scenes.yaml), with its own defaults otherwise.
PIX2PIX_SETTINGS = [
    "data.image_size=32", "model.width=16", "model.critic_width=16", "train.batch_size=8",
    "train.lr_schedule=linear", "train.lr_decay_start=0.5", "train.ema_decay=0",
    "train.sample_every=500", "train.checkpoint_every=500", "train.grid_size=16",
]  # fmt: skip
MODELS = (("spade", []), ("pix2pix", PIX2PIX_SETTINGS))
COLUMNS = (
    ("proxy_pixel_accuracy", "pixel acc."),
    ("proxy_mean_iou", "mIoU"),
    ("fid_segmenter", "FID (segmenter)"),
    ("multiscale_swd", "MS-SWD"),
)
CEILING = {
    "proxy_pixel_accuracy": "proxy_pixel_accuracy_truth",
    "proxy_mean_iou": "proxy_mean_iou_truth",
    "fid_segmenter": "fid_segmenter_real",
}


def registered() -> set[str]:
    from swgen.models import model_names

    return set(model_names())


def jobs_for(seeds: list[int], out: Path, steps: int | None, threads: int = 1) -> list[dict]:
    budget = f"-{steps}steps" if steps else ""
    known = registered()
    jobs = []
    for seed in seeds:
        for model, settings in MODELS:
            if model not in known:
                continue
            # pix2pix has no scenes preset: it runs spade's step budget unless --steps says
            run_steps = steps or (None if model == "spade" else PRESET_STEPS)
            jobs.append(
                {
                    "model": model,
                    "data": DATA,
                    "seed": seed,
                    "steps": run_steps,
                    "settings": settings,
                    "threads": threads,
                    "folder": str(out / "spade" / "runs" / f"{DATA}-{model}{budget}-seed{seed}"),
                }
            )
    return jobs


def render(results: list[dict], seeds: list[int]) -> str:
    done = [r for r in results if "error" not in r]
    lines = [
        f"Seeds {', '.join(map(str, seeds))}; mean ± std over seeds; the 256 held-out scenes. "
        "Proxy metrics (a small segmenter trained on the real training pairs), for comparing "
        "these runs only.",
        "",
    ]
    known = registered()
    for model, _ in MODELS:
        if model not in known:
            lines.append(f"- {model} is not registered in this checkout: left out.")
    for error in (r for r in results if "error" in r):
        lines.append(f"- {error['model']} seed {error['seed']}: {error['error']}")
    header = " | ".join(label for _, label in COLUMNS)
    lines += [
        f"| model | steps | {header} | train s | wall s |",
        "|---|---|" + "---|" * len(COLUMNS) + "---|---|",
    ]

    def column(rows: list[dict], key: str | None) -> str:
        if key is None:
            return "–"
        values = [r["metrics"][DIRECTION].get(key) for r in rows]
        return mean_std([v for v in values if isinstance(v, (int, float))])

    for model, _ in MODELS:
        rows = [r for r in done if r["model"] == model]
        if not rows:
            continue
        cells = " | ".join(column(rows, key) for key, _ in COLUMNS)
        timing = f"{mean_std([r['train_seconds'] for r in rows])} | "
        timing += mean_std([r["wall"] for r in rows])
        lines.append(f"| {model} | {rows[0]['steps']} | {cells} | {timing} |")
    if done:  # the real images' scores depend on neither the model nor the seed
        cells = " | ".join(column(done[:1], CEILING.get(key)) for key, _ in COLUMNS)
        lines.append(f"| real images (ceiling / floor) | – | {cells} | – | – |")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_section_arguments(parser, "spade")


def run_spade(out: Path, seeds: list[int], steps: int | None = None, jobs: int = 2) -> str:
    """Train, evaluate and tabulate every run; returns the Markdown of the section."""
    (out / "spade").mkdir(parents=True, exist_ok=True)
    results = run_side_by_side(jobs_for(seeds, out, steps), jobs)
    (out / "spade" / "results.json").write_text(json.dumps(results, indent=1))
    return render(results, seeds)


def main() -> None:
    section_main(__doc__, run_spade)


if __name__ == "__main__":
    main()
