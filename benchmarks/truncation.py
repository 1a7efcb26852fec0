"""What the truncation trick and Jacobian-based truncation buy an unconditional generator:
fidelity against variety.

    python benchmarks/truncation.py RUN [RUN ...] [--bounds 2 1.5 1 0.5] [--jacobian-keeps 0.9 0.7]
        [--pairs 2:0.9] [--n 2000] [--seed 0] [--save rows.json] [--plot frontier.png]
    python benchmarks/truncation.py --load rows.json [rows.json ...] [--plot frontier.png]

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

``--save`` keeps the rows as JSON and ``--load`` renders saved rows again without sampling;
``--plot`` draws each run's recognised share against its FID, one line per way of sampling: the
fidelity-variety trade-off each dial offers, beside real images' share.
"""

from __future__ import annotations

import argparse
import json
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


def mean_cell(rows: list[dict], key: str, digits: int, spread: bool = True) -> str:
    values = [r[key] for r in rows]
    mean = f"{sum(values) / len(values):.{digits}f}"
    if not spread:
        return mean
    return f"{mean} ({' / '.join(f'{v:.{digits}f}' for v in values)})"


def shared_rows(results: dict[str, list[dict]]) -> tuple[list[dict[str, dict]], list[str]]:
    """Each run's rows by sampling, and the samplings every run has, in the first run's order."""
    by_run = [{r["sampling"]: r for r in rows} for rows in results.values()]
    return by_run, [s for s in by_run[0] if all(s in b for b in by_run)]


def render_means(results: dict[str, list[dict]]) -> str:
    """One row per way of sampling that every run has: the mean over runs, then each run's
    value, for FID and the recognised share; precision and recall as means."""
    names = list(results)
    by_run, samplings = shared_rows(results)
    lines = [
        f"Means over {len(names)} runs ({', '.join(names)}); each run's value in brackets.",
        "",
        "| sampling | FID | recognised | P | R |",
        "|---|---|---|---|---|",
    ]
    for sampling in samplings:
        rows = [b[sampling] for b in by_run]
        lines.append(
            f"| {sampling} | {mean_cell(rows, 'fid', 2)} | {mean_cell(rows, 'recognised', 3)} "
            f"| {mean_cell(rows, 'precision', 3, spread=False)} "
            f"| {mean_cell(rows, 'recall', 3, spread=False)} |"
        )
    return "\n".join(lines)


def family(sampling: str) -> str:
    """The dial a row turns: "truncation", "Jacobian keep", both, or "none"."""
    if sampling == "none":
        return "none"
    return ", ".join(part.rsplit(" ", 1)[0] for part in sampling.split(", "))


def setting(sampling: str) -> str:
    return ", ".join(part.rsplit(" ", 1)[1] for part in sampling.split(", "))


def plot(results: dict[str, list[dict]], path: Path) -> None:
    """Recognised share against FID (log scale), one line per family of sampling: the mean over
    the runs of each setting that every run has, from the untruncated point to the strongest
    setting, each labelled; every run's own rows as faint points of the same colour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    by_run, shared = shared_rows(results)
    means = {
        s: {k: sum(b[s][k] for b in by_run) / len(by_run) for k in ("fid", "recognised")}
        for s in shared
    }
    families = sorted({family(s) for s in shared} - {"none"})
    colours = dict(zip(families, ["tab:blue", "tab:orange", "tab:green", "tab:red"], strict=False))
    figure, axis = plt.subplots(figsize=(8, 5))
    for kind in families:
        settings = sorted(
            [s for s in shared if family(s) == kind], key=lambda s: means[s]["recognised"]
        )
        line = ["none"] * ("none" in means) + settings
        axis.plot(
            [means[s]["fid"] for s in line],
            [means[s]["recognised"] for s in line],
            color=colours[kind],
            marker="o",
            markersize=4,
            label=f"{kind} (mean of {len(by_run)} run{'s' * (len(by_run) > 1)})",
        )
        for s in settings:
            axis.annotate(
                setting(s),
                (means[s]["fid"], means[s]["recognised"]),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=7,
                color=colours[kind],
            )
        if len(by_run) > 1:
            axis.scatter(
                [b[s]["fid"] for b in by_run for s in settings],
                [b[s]["recognised"] for b in by_run for s in settings],
                color=colours[kind],
                s=8,
                alpha=0.3,
            )
    real = [r["recognised_real"] for rows in results.values() for r in rows]
    if real:
        axis.axhline(max(real), color="black", linestyle="--", linewidth=1, label="real images")
    axis.set_xscale("log")
    axis.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axis.set_xlabel("classifier FID (log scale; lower is better)")
    axis.set_ylabel("share recognised (classifier p >= 0.9)")
    axis.set_title("Fidelity against variety: sampling dials on trained runs")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", type=Path)
    parser.add_argument("--bounds", nargs="*", type=float, default=[2.0, 1.5, 1.0, 0.5])
    parser.add_argument("--jacobian-keeps", nargs="*", type=float, default=[])
    parser.add_argument(
        "--pairs",
        nargs="*",
        default=[],
        metavar="BOUND:KEEP",
        help="both at once: Jacobian-based truncation among codes of the truncated prior",
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, default=None, help="write the rows to this JSON file")
    parser.add_argument(
        "--load", nargs="*", type=Path, default=[], help="render rows saved by --save (no sampling)"
    )
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    if not args.runs and not args.load:
        parser.error("give trained run folders, or --load rows saved by --save")
    samplings: list[Sampling] = [(None, None)]
    samplings += [(bound, None) for bound in args.bounds]
    samplings += [(None, keep) for keep in args.jacobian_keeps]
    for pair in args.pairs:
        bound, _, keep = pair.partition(":")
        try:
            samplings.append((float(bound), float(keep)))
        except ValueError:
            parser.error(f"--pairs takes BOUND:KEEP, such as 2:0.9; got {pair!r}")
    results: dict[str, list[dict]] = {}
    for saved in args.load:
        results.update(json.loads(saved.read_text()))
    for run in args.runs:
        results[f"{run.parent.parent.name}/{run.name}"] = measure(run, samplings, args.n, args.seed)
    if args.save is not None:
        args.save.write_text(json.dumps(results, indent=1))
    print(render(results))
    if len(results) > 1:
        print()
        print(render_means(results))
    if args.plot is not None:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
