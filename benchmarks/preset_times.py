"""The course models' presets timed alone: seconds per step from a short probe of each preset,
and the minutes the preset's whole run takes at that rate.

    python benchmarks/preset_times.py [--probe-steps 40]

(``benchmarks/run.py --only-preset-times`` rewrites its BENCHMARKS.md section.) Each probe is
``swgen train --model M --data D`` with the preset's settings but ``train.steps`` set to the
probe, alone on the machine (it measures the machine: run nothing else); the rate is the
engine's own ``steps_per_second`` over the probe's steps, which includes the sample grid and
checkpoint of the probe. A preset must train its demo within 10 minutes on 2 CPU cores.
``singan`` is left out: its steps grow costlier scale by scale, so a probe at the coarsest scale
would understate it; its section (``benchmarks/singan.py``) times the whole preset instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from presets import seconds_per_step  # noqa: E402

from swgen.config import resolve  # noqa: E402

PRESETS = (
    ("pix2pix", "digits-pairs"),
    ("stargan", "digits-styles"),
    ("spade", "scenes"),
    ("stylegan", "digits"),
    ("stylegan", "fashion-mnist"),
)
LIMIT_MINUTES = 10.0


def measure(probe_steps: int = 40) -> list[dict]:
    rows = []
    for model, data in PRESETS:
        steps = resolve(flags={"model.name": model, "data.name": data}).train.steps
        rate = seconds_per_step(data, steps, ["--model", model], probe_steps=probe_steps)
        rows.append({"model": model, "data": data, "steps": steps, "seconds_per_step": rate,
                     "minutes": rate * steps / 60})  # fmt: skip
        print(f"{model} on {data}: {rate:.3f} s/step, {rate * steps / 60:.1f} min", flush=True)
    return rows


def render(rows: list[dict], probe_steps: int) -> str:
    lines = [
        f"Probes of {probe_steps} steps, each alone on the 2 cores.",
        "",
        "| model | data | preset steps | s/step | projected run (min) | within 10 min |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ok = "yes" if r["minutes"] <= LIMIT_MINUTES else "no"
        lines.append(
            f"| {r['model']} | {r['data']} | {r['steps']} | {r['seconds_per_step']:.3f} | "
            f"{r['minutes']:.1f} | {ok} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe-steps", type=int, default=40)
    args = parser.parse_args()
    print(render(measure(args.probe_steps), args.probe_steps))


if __name__ == "__main__":
    main()
