"""What the truncation trick and Jacobian-based truncation buy an unconditional generator:
fidelity against variety.

    python benchmarks/truncation.py RUN [RUN ...] [--bounds 2 1.5 1 0.5] [--jacobian-keeps 0.9 0.7]
        [--n 2000] [--seed 0]

For each trained run on a data set with a shipped classifier (digits, Fashion-MNIST), ``swgen
eval``'s classifier metrics on ``n`` samples drawn from the prior as trained ("none"), from
the prior truncated at each bound, in prior standard deviations (Brock et al. 2019, BigGAN,
Sec. 3.1; :func:`swgen.models.base.truncated_normal`), and kept by Jacobian-based truncation at
each fraction (Tanielian et al. 2020, Sec. 4: of ``n / fraction`` prior codes, the ``n`` where
the generator's Jacobian norm is smallest, within each component of a mixture prior;
``TrainedRun.keep_low_jacobian``): FID, precision
and recall (Kynkäänniemi et al.) and the share of samples the classifier gives one class a
probability of at least 0.9, beside that share for real images. The same sample seed for every
row, so rows differ by the sampling alone. Nothing is written into the run folders
(``evaluate_run(..., write=False)``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

Sampling = tuple[float | None, float | None]  # (truncation bound, Jacobian keep fraction)


def describe(sampling: Sampling) -> str:
    bound, keep = sampling
    parts = [f"truncation {bound:g}"] if bound is not None else []
    parts += [f"Jacobian keep {keep:g}"] if keep is not None else []
    return ", ".join(parts) or "none"


def measure(folder: Path, samplings: list[Sampling], n: int, seed: int) -> list[dict]:
    from swgen.evaluate import CLASSIFIER_FOR, evaluate_run

    rows = []
    for bound, keep in samplings:
        result = evaluate_run(
            folder, n=n, seed=seed, truncation=bound, jacobian_keep=keep, write=False
        )
        classifier = CLASSIFIER_FOR.get(result["data"].lower())
        if classifier is None:
            raise SystemExit(
                f"{folder}: {result['data']} has no shipped classifier; pass runs on one of: "
                f"{', '.join(CLASSIFIER_FOR)}"
            )
        metrics = result["metrics"]
        rows.append(
            {
                "sampling": describe((bound, keep)),
                "step": result["step"],
                "fid": metrics[f"fid_{classifier}"],
                "precision": metrics[f"precision_{classifier}"],
                "recall": metrics[f"recall_{classifier}"],
                "recognised": metrics[f"recognised_{classifier}"],
                "recognised_real": metrics[f"recognised_{classifier}_real"],
            }
        )
    return rows


def render(results: dict[str, list[dict]]) -> str:
    lines = [
        "| run | step | sampling | FID | P | R | recognised | real recognised |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        for r in rows:
            lines.append(
                f"| {name} | {r['step']} | {r['sampling']} | {r['fid']:.3g} | {r['precision']:.3f} "
                f"| {r['recall']:.3f} | {r['recognised']:.3f} | {r['recognised_real']:.3f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--bounds", nargs="*", type=float, default=[2.0, 1.5, 1.0, 0.5])
    parser.add_argument("--jacobian-keeps", nargs="*", type=float, default=[])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    samplings: list[Sampling] = [(None, None)]
    samplings += [(bound, None) for bound in args.bounds]
    samplings += [(None, keep) for keep in args.jacobian_keeps]
    results = {
        f"{run.parent.parent.name}/{run.name}": measure(run, samplings, args.n, args.seed)
        for run in args.runs
    }
    print(render(results))


if __name__ == "__main__":
    main()
