"""Regenerate the measured sections of BENCHMARKS.md: speed, metrics, quality, in one command.

    python benchmarks/run.py [--quick] [--jobs 2] [--inception N] [--skip-speed]
        [--skip-metrics] [--skip-quality] [--skip-paper] [--skip-ablations] [--skip-options]
        [--skip-presets] [--skip-progressive] [--only-progressive [--progressive-seeds 0 1 2]]
        [--skip-translation] [--only-translation [--translation-seeds 0 1 2]]
        [--skip-pix2pix] [--only-pix2pix [--pix2pix-seeds 0 1 2]]
        [--skip-stargan] [--only-stargan [--stargan-seeds 0 1 2]]
        [--skip-singan] [--only-singan [--singan-data china]]
        [--skip-spade] [--only-spade [--spade-seeds 0 1 2]]
        [--skip-stylegan] [--only-stylegan [--stylegan-seeds 0 1 2] [--stylegan-seconds 480]]
        [--skip-pu] [--only-pu [--pu-seeds 0 1 2] [--pu-steps 2000]]
        [--skip-conditional] [--only-conditional]
        [--skip-prepared] [--only-prepared [--prepared-counts 10000 ...] [--prepared-sizes 64 128]]
        [--skip-enhancement] [--only-enhancement [--enhancement-seeds 0 1 2]]

Runs ``benchmarks/speed.py`` (results in ``benchmarks/results/speed.json``),
``benchmarks/metric_sanity.py``, ``benchmarks/quality.py`` (run folders, table and plots in
``benchmarks/results/{quick,full}/``; again on each paper's own networks in ``full-paper/``, digits
only, since on points every architecture is the same MLP) and, unless ``--quick``,
``benchmarks/ablations.py``, ``benchmarks/options.py`` (the measurements behind SWGAN's and SWAE's
defaults), ``benchmarks/presets.py`` (the two default jobs' presets) and
``benchmarks/progressive.py`` (progressive growing; ``--only-progressive`` runs it alone) and
``benchmarks/translation.py`` (cyclegan and attention-gan on digits-recolour;
``--only-translation`` runs it alone), ``benchmarks/pix2pix.py`` (pix2pix on digits-pairs
against cyclegan on digits-recolour; ``--only-pix2pix``), ``benchmarks/stargan.py`` (one stargan
on digits-styles against a cyclegan per pair of styles; ``--only-stargan``),
``benchmarks/spade.py`` (spade against pix2pix on scenes; ``--only-spade``),
``benchmarks/stylegan.py`` (stylegan against dcgan and swgan at equal wall time on digits;
``--only-stylegan``),
``benchmarks/enhancement.py`` (dacal's divisions on photo-pairs; ``--only-enhancement`` runs it
alone), ``benchmarks/pu_gan.py`` (PU-GAN's Fashion-MNIST table; ``--only-pu`` runs it alone) and
``benchmarks/conditional.py`` (the conditional DCGAN's per-class agreement;
``--only-conditional``) and
``benchmarks/prepared_data.py`` (prepared copies of generated CelebA-like folders: preparation,
start-up, memory, loader speed; ``--only-prepared``; results in
``benchmarks/results/prepared.json``), then
replaces what lies between the markers ``<!-- speed -->``, ``<!-- metrics -->``,
``<!-- quality:full -->`` (or ``quality:quick``; ``quality:full-<N>steps`` with ``--steps N``),
``<!-- quality:paper -->`` (``quality:paper-<N>steps``; runs under another ``--out`` folder F:
``quality:F/...``),
``<!-- ablations -->``, ``<!-- options -->``, ``<!-- presets -->``, ``<!-- progressive -->``,
``<!-- translation -->``, ``<!-- pix2pix -->``, ``<!-- stargan -->``, ``<!-- spade -->``,
``<!-- stylegan -->``, ``<!-- enhancement -->``,
``<!-- pu-gan -->``,
``<!-- conditional -->`` and ``<!-- prepared -->`` of
BENCHMARKS.md and the next ``<!-- end -->`` with the new tables. The prose around the markers
(what the numbers mean, the verdict) is written by people and kept; it names the date of the run
it discusses. ``--skip-speed`` re-renders the last ``speed.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ablations  # noqa: E402
import conditional  # noqa: E402
import enhancement  # noqa: E402
import metric_sanity  # noqa: E402
import options  # noqa: E402
import pix2pix  # noqa: E402
import prepared_data  # noqa: E402
import preset_times  # noqa: E402
import presets  # noqa: E402
import progressive  # noqa: E402
import pu_gan  # noqa: E402
import quality  # noqa: E402
import singan  # noqa: E402
import spade  # noqa: E402
import speed  # noqa: E402
import stargan  # noqa: E402
import stylegan  # noqa: E402
import translation  # noqa: E402

BENCHMARKS = HERE.parent / "BENCHMARKS.md"


def replace_section(text: str, marker: str, body: str) -> str:
    """``text`` with the part between ``<!-- marker -->`` and the next ``<!-- end -->`` replaced."""
    pattern = re.compile(rf"(<!-- {re.escape(marker)} -->\n)(.*?)(<!-- end -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"BENCHMARKS.md has no '<!-- {marker} -->' ... '<!-- end -->' section")
    return pattern.sub(lambda match: match.group(1) + body.strip() + "\n" + match.group(3), text)


def record(sections: dict[str, str], text: str, marker: str, body: str) -> str:
    """``replace_section`` that also remembers the new body, to apply again at the end."""
    sections[marker] = body
    return replace_section(text, marker, body)


def link_pictures(report: str, folder: Path) -> str:
    """Point the report's ``![name](file.png)`` links at ``folder``, relative to BENCHMARKS.md."""
    base = folder.resolve().relative_to(BENCHMARKS.parent).as_posix()
    return re.sub(r"!\[([^\]]*)\]\(([^)/]+)\)", rf"![\1]({base}/\2)", report)


def quality_marker(args: argparse.Namespace, name: str) -> str:
    """The BENCHMARKS.md section of a quality table: ``quality:<name>``, or, for runs kept under
    another ``--out`` (a lent GPU's runs, say), ``quality:<that folder>/<name>``, so that they
    never replace the table of the default folder's runs."""
    default = (HERE / "results").resolve()
    prefix = "" if Path(args.out).resolve() == default else f"{Path(args.out).name}/"
    return f"quality:{prefix}{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quality.add_arguments(parser)
    parser.add_argument(
        "--device", default="cpu", help="device of the speed rows and of the quality runs"
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-metrics", action="store_true")
    parser.add_argument("--skip-ablations", action="store_true")
    parser.add_argument("--skip-paper", action="store_true")
    parser.add_argument("--skip-options", action="store_true")
    parser.add_argument("--skip-presets", action="store_true")
    parser.add_argument("--skip-progressive", action="store_true")
    parser.add_argument(
        "--only-progressive", action="store_true", help="run only the progressive-growing section"
    )
    progressive.add_arguments(parser)
    parser.add_argument("--skip-translation", action="store_true")
    parser.add_argument(
        "--only-translation", action="store_true", help="run only the translation section"
    )
    translation.add_arguments(parser)
    parser.add_argument("--skip-pix2pix", action="store_true")
    parser.add_argument("--only-pix2pix", action="store_true", help="run only the pix2pix section")
    pix2pix.add_arguments(parser)
    parser.add_argument("--skip-stargan", action="store_true")
    parser.add_argument("--only-stargan", action="store_true", help="run only the stargan section")
    parser.add_argument("--skip-singan", action="store_true")
    parser.add_argument("--only-singan", action="store_true", help="run only the singan section")
    singan.add_arguments(parser)
    stargan.add_arguments(parser)
    parser.add_argument("--skip-enhancement", action="store_true")
    parser.add_argument(
        "--only-enhancement", action="store_true", help="run only the enhancement section"
    )
    enhancement.add_arguments(parser)
    parser.add_argument("--skip-spade", action="store_true")
    parser.add_argument("--only-spade", action="store_true", help="run only the spade section")
    spade.add_arguments(parser)
    parser.add_argument("--skip-stylegan", action="store_true")
    parser.add_argument(
        "--only-stylegan", action="store_true", help="run only the stylegan section"
    )
    stylegan.add_arguments(parser)
    parser.add_argument("--skip-pu", action="store_true")
    parser.add_argument("--only-pu", action="store_true", help="run only the PU-GAN section")
    pu_gan.add_arguments(parser)
    parser.add_argument("--skip-conditional", action="store_true")
    parser.add_argument(
        "--only-conditional", action="store_true", help="run only the conditional DCGAN section"
    )
    parser.add_argument("--skip-preset-times", action="store_true")
    parser.add_argument(
        "--only-preset-times", action="store_true", help="run only the course presets' timing"
    )
    parser.add_argument("--preset-probe-steps", type=int, default=40, help="steps per probe")
    parser.add_argument("--skip-prepared", action="store_true")
    parser.add_argument(
        "--only-prepared", action="store_true", help="run only the prepared-copies section"
    )
    parser.add_argument(
        "--prepared-counts", type=int, nargs="+", default=list(prepared_data.COUNTS),
        help="image counts of the generated folders (default 10000 30000 50000 200000)",
    )  # fmt: skip
    parser.add_argument(
        "--prepared-sizes", type=int, nargs="+", default=list(prepared_data.SIZES),
        help="image sizes to prepare at (default 64 128)",
    )  # fmt: skip
    parser.add_argument("--prepared-work", help="folder for the generated images (kept)")
    args = parser.parse_args()
    today = datetime.date.today().isoformat()
    text = BENCHMARKS.read_text()
    sections: dict[str, str] = {}  # marker -> new body, applied to the file as it is at the end
    only = {
        "progressive": args.only_progressive,
        "translation": args.only_translation,
        "pix2pix": args.only_pix2pix,
        "stargan": args.only_stargan,
        "spade": args.only_spade,
        "enhancement": args.only_enhancement,
        "pu": args.only_pu,
        "conditional": args.only_conditional,
        "prepared": args.only_prepared,
        "singan": args.only_singan,
        "stylegan": args.only_stylegan,
        "preset-times": args.only_preset_times,
    }
    if any(only.values()):
        args.skip_speed = args.skip_quality = args.skip_metrics = args.skip_ablations = True
        args.skip_paper = args.skip_options = args.skip_presets = True
        args.skip_progressive = args.skip_progressive or not only["progressive"]
        args.skip_translation = args.skip_translation or not only["translation"]
        args.skip_pix2pix = args.skip_pix2pix or not only["pix2pix"]
        args.skip_stargan = args.skip_stargan or not only["stargan"]
        args.skip_spade = args.skip_spade or not only["spade"]
        args.skip_enhancement = args.skip_enhancement or not only["enhancement"]
        args.skip_pu = args.skip_pu or not only["pu"]
        args.skip_conditional = args.skip_conditional or not only["conditional"]
        args.skip_prepared = args.skip_prepared or not only["prepared"]
        args.skip_singan = args.skip_singan or not only["singan"]
        args.skip_stylegan = args.skip_stylegan or not only["stylegan"]
        args.skip_preset_times = args.skip_preset_times or not only["preset-times"]

    speed_json = HERE / "results" / "speed.json"
    if not args.skip_speed:
        results = {"date": today, **speed.measure(torch.device(args.device), args.quick)}
        speed_json.write_text(json.dumps(results, indent=1))
    if not any(only.values()):
        speed_results = json.loads(speed_json.read_text())
        stamp = speed_results.get("date", "an earlier date")
        text = record(sections, text, "speed", f"Run of {stamp}. " + speed.render(speed_results))
        # a lent GPU's speed.py runs, one file and one section per card
        for gpu_json in sorted((HERE / "results" / "gpu").glob("speed_*.json")):
            gpu_results = json.loads(gpu_json.read_text())
            body = f"Run of {gpu_results['date']}. " + speed.render(gpu_results)
            text = record(sections, text, f"speed:gpu/{gpu_json.stem}", body)

    if not (args.quick or args.skip_metrics):  # the same cases either way: a full-run section
        sanity = metric_sanity.render(metric_sanity.measure(args.fashion_path))
        text = record(sections, text, "metrics", f"Run of {today}.\n\n{sanity}")

    if not args.skip_quality:
        name = quality.output_name(args)  # a longer --steps budget has a section of its own
        marker = quality_marker(args, name)
        report = quality.run_benchmark(args, section=marker.removeprefix("quality:"))
        report = link_pictures(report, Path(args.out) / name)
        text = record(sections, text, marker, f"Run of {today}. " + report)

    if not (args.quick or args.skip_paper):
        paper_args = argparse.Namespace(**{**vars(args), "architecture": "paper"})
        paper_args.datasets = [d for d in args.datasets if d != "gaussians25"]
        folder = quality.output_name(paper_args)  # full-paper[-<N>steps][-<tag>]
        marker = quality_marker(args, folder.removeprefix("full-"))
        report = quality.run_benchmark(paper_args, section=marker.removeprefix("quality:"))
        report = link_pictures(report, Path(args.out) / folder)
        text = record(sections, text, marker, f"Run of {today}. " + report)

    if not (args.quick or args.skip_options):
        table = options.run_options(Path(args.out), list(options.GROUPS), [0], args.jobs)
        text = record(sections, text, "options", f"Run of {today}. {table}")

    if not (args.quick or args.skip_presets):
        report = presets.run_presets(Path(args.out), list(presets.CANDIDATES), args.jobs)
        report = link_pictures(report, Path(args.out))
        text = record(sections, text, "presets", f"Run of {today}. {report}")

    if not (args.quick or args.skip_ablations):
        table = ablations.run_ablations(Path(args.out), args.jobs)
        text = record(sections, text, "ablations", f"Run of {today}. {table}")

    if not (args.quick or args.skip_progressive):
        out = Path(args.out)
        datasets = tuple(args.progressive_datasets)
        report = progressive.run_progressive(
            out,
            args.progressive_seeds,
            args.progressive_only,
            args.progressive_skip_speed,
            datasets,
        )
        report = link_pictures(report, out / "progressive")
        command = "python benchmarks/run.py --only-progressive " + " ".join(
            ["--progressive-seeds", *map(str, args.progressive_seeds)]
            + (["--progressive-only", args.progressive_only] if args.progressive_only else [])
            + (
                ["--progressive-datasets", *datasets]
                if datasets != tuple(progressive.IMAGE_DATA)
                else []
            )
        )
        text = record(sections, text, "progressive", f"Run of {today} (`{command}`).\n\n{report}")
    if not (args.quick or args.skip_translation):
        seeds, steps = args.translation_seeds, args.translation_steps
        report = translation.run_translation(Path(args.out), seeds, steps, args.translation_jobs)
        command = "python benchmarks/run.py --only-translation " + " ".join(
            ["--translation-seeds", *map(str, seeds)]
            + (["--translation-steps", str(steps)] if steps else [])
        )
        text = record(sections, text, "translation", f"Run of {today} (`{command}`).\n\n{report}")

    if not (args.quick or args.skip_pix2pix):
        seeds, steps = args.pix2pix_seeds, args.pix2pix_steps
        report = pix2pix.run_pix2pix(Path(args.out), seeds, steps, args.pix2pix_jobs)
        command = "python benchmarks/run.py --only-pix2pix " + " ".join(
            ["--pix2pix-seeds", *map(str, seeds)]
            + (["--pix2pix-steps", str(steps)] if steps else [])
        )
        text = record(sections, text, "pix2pix", f"Run of {today} (`{command}`).\n\n{report}")
    if not (args.quick or args.skip_preset_times):
        probe = args.preset_probe_steps
        report = preset_times.render(preset_times.measure(probe), probe)
        command = f"python benchmarks/run.py --only-preset-times --preset-probe-steps {probe}"
        text = record(sections, text, "preset-times", f"Run of {today} (`{command}`).\n\n{report}")
    if not (args.quick or args.skip_singan):
        report = singan.run_singan(Path(args.out), args.singan_data)
        command = f"python benchmarks/run.py --only-singan --singan-data {args.singan_data}"
        text = record(sections, text, "singan", f"Run of {today} (`{command}`).\n\n{report}")
    if not (args.quick or args.skip_stargan):
        seeds, steps = args.stargan_seeds, args.stargan_steps
        report = stargan.run_stargan(Path(args.out), seeds, steps, args.stargan_jobs)
        command = "python benchmarks/run.py --only-stargan " + " ".join(
            ["--stargan-seeds", *map(str, seeds)]
            + (["--stargan-steps", str(steps)] if steps else [])
        )
        text = record(sections, text, "stargan", f"Run of {today} (`{command}`).\n\n{report}")
    if not (args.quick or args.skip_spade):
        seeds, steps = args.spade_seeds, args.spade_steps
        report = spade.run_spade(Path(args.out), seeds, steps, args.spade_jobs)
        command = "python benchmarks/run.py --only-spade " + " ".join(
            ["--spade-seeds", *map(str, seeds)] + (["--spade-steps", str(steps)] if steps else [])
        )
        text = record(sections, text, "spade", f"Run of {today} (`{command}`).\n\n{report}")
    if not (args.quick or args.skip_stylegan):
        seeds, seconds = args.stylegan_seeds, args.stylegan_seconds
        report = stylegan.run_stylegan(Path(args.out), seeds, seconds, args.stylegan_eval)
        command = "python benchmarks/run.py --only-stylegan " + " ".join(
            ["--stylegan-seeds", *map(str, seeds), "--stylegan-seconds", f"{seconds:g}"]
        )
        text = record(sections, text, "stylegan", f"Run of {today} (`{command}`).\n\n{report}")

    if not (args.quick or args.skip_enhancement):
        seeds, steps = args.enhancement_seeds, args.enhancement_steps
        report = enhancement.run_enhancement(Path(args.out), seeds, steps, args.enhancement_jobs)
        command = "python benchmarks/run.py --only-enhancement " + " ".join(
            ["--enhancement-seeds", *map(str, seeds)]
            + (["--enhancement-steps", str(steps)] if steps else [])
        )
        text = record(sections, text, "enhancement", f"Run of {today} (`{command}`).\n\n{report}")

    if not (args.quick or args.skip_pu):
        report = pu_gan.run_pu_gan(
            Path(args.out), args.pu_seeds, args.pu_steps, args.jobs, fashion_path=args.fashion_path
        )
        command = "python benchmarks/run.py --only-pu " + " ".join(
            (["--pu-seeds", *map(str, args.pu_seeds)] if args.pu_seeds else [])
            + ([f"--pu-steps {args.pu_steps}"] if args.pu_steps else [])
        )
        text = record(
            sections, text, "pu-gan", f"Run of {today} (`{command.strip()}`).\n\n{report}"
        )

    if not (args.quick or args.skip_conditional):
        report = conditional.run_conditional(Path(args.out))
        report = link_pictures(report, Path(args.out) / "conditional")
        text = record(sections, text, "conditional", f"Run of {today}. {report}")
    if not (args.quick or args.skip_prepared):
        counts, sizes = args.prepared_counts, args.prepared_sizes
        results = prepared_data.run_prepared(counts, sizes, args.prepared_work, args.device)
        (HERE / "results" / "prepared.json").write_text(json.dumps(results, indent=1))
        command = "python benchmarks/run.py --only-prepared " + " ".join(
            ["--prepared-counts", *map(str, counts), "--prepared-sizes", *map(str, sizes)]
        )
        report = prepared_data.render(results)
        text = record(sections, text, "prepared", f"Run of {today} (`{command}`).\n\n{report}")
    # Sections are put into the file as it is now, not as it was read at the start: hand edits
    # made to BENCHMARKS.md while the benchmarks ran (often hours) are kept.
    current = BENCHMARKS.read_text()
    for marker, body in sections.items():
        current = replace_section(current, marker, body)
    BENCHMARKS.write_text(current)
    print(f"rewrote {BENCHMARKS}")


if __name__ == "__main__":
    main()
