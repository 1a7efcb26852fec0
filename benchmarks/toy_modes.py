"""Mode coverage of a trained run on a Gaussian-mixture toy (gaussians8 / gaussians25).

    python benchmarks/toy_modes.py RUN [--n 2500]

Prints the covered modes (>= 1 and >= 20 high-quality samples), the share of high-quality samples
(within 3 standard deviations of a mode), for the EMA and the raw generator.
"""

from __future__ import annotations

import argparse
import json

from swgen.metrics import mode_coverage
from swgen.train.checkpoint import load_trained


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--n", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args()
    results = {}
    for label, use_ema in (("ema", True), ("raw", False)):
        run = load_trained(args.run, use_ema=use_ema)
        samples = run.sample(args.n, seed=args.seed)
        loose = mode_coverage(samples, run.data.modes, run.data.mode_std)
        strict = mode_coverage(samples, run.data.modes, run.data.mode_std, min_count=20)
        results[label] = {
            "step": run.step,
            "n": args.n,
            "modes_covered": loose.modes_covered,
            "modes_covered_20": strict.modes_covered,
            "n_modes": loose.n_modes,
            "high_quality_fraction": round(loose.high_quality_fraction, 4),
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
