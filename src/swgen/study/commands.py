"""``swgen study create | serve | report``: the command group, added to ``swgen``'s parser by
:func:`add_study_commands`. Every bad input ends as a one-line ``UserError`` (exit 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from swgen.errors import UserError


def _create(args: argparse.Namespace) -> None:
    from swgen.cli import _check_seed
    from swgen.study.create import create_study

    _check_seed(args.seed)
    settings = create_study(
        args.study,
        args.kind,
        args.runs,
        real=args.real,
        trials=args.trials,
        catch_trials=args.catch,
        tutorial_trials=args.tutorial,
        stimuli=args.stimuli,
        exposure=args.exposure,
        catch_errors_allowed=args.catch_errors_allowed,
        seed=args.seed,
        device=args.device,
        overwrite=args.overwrite,
    )
    print(
        f"swgen: wrote the {settings['kind']} study '{args.study}' ({settings['stimuli']} "
        f"stimuli per kind; {settings['tutorial_trials']} tutorial, {settings['trials']} scored "
        f"and {settings['catch_trials']} catch trials per participant); take it with "
        f"'swgen study serve {args.study}'"
    )


def _serve(args: argparse.Namespace) -> None:
    from swgen.study.server import Study, StudyServer, check_port

    check_port(args.port)
    if not 0 <= args.links <= 10_000:
        raise UserError(f"--links must be between 0 and 10000, got {args.links}")
    study = Study(args.study)
    server = StudyServer(study, args.host, args.port)
    try:
        for _ in range(args.links):
            study.new_participant()
        links = [f"{server.url}/p/{token}/" for token in study.existing_links()]
        settings = study.settings
        print(
            f"swgen: serving the {settings['kind']} study '{args.study}' at {server.url}/ "
            "(Ctrl-C stops it; every answer is saved as it is given)"
        )
        if server.open_enrolment:
            print("  each visit to that address enrols a new participant")
        if links:
            print(f"  personal links of the {len(links)} participant(s) who have not finished:")
            for link in links:
                print(f"  {link}")
        elif not server.open_enrolment:
            print("  no participant links yet: restart with --links N to mint N of them")
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        print(f"swgen: stopped serving '{args.study}'; the answers given are in it")
    finally:
        server.server_close()


def _report(args: argparse.Namespace) -> None:
    from swgen.outputs import OutputFolder
    from swgen.study.report import format_report, study_report, write_report

    report = study_report(args.study)
    folder = args.output or str(Path(args.study).with_suffix("")) + "-report"
    output = OutputFolder(folder, "study report", args.study, args.overwrite, what="the report")
    output.check()
    print(format_report(report))
    try:
        written = write_report(report, output)
    except OSError:
        raise UserError(
            f"cannot write the report into '{folder}'; give -o a writable folder"
        ) from None
    print(f"swgen: wrote {written[0]} and {written[1]}")


def add_study_commands(commands: Any) -> None:
    """The ``study`` group of ``swgen``'s subcommands (imports nothing heavy: every
    ``swgen`` command builds this parser)."""
    study = commands.add_parser(
        "study",
        help="'Real or fake?' (HYPE) and preference studies of runs, taken in the browser",
        description="Human studies of trained runs: create draws the stimuli into one SQLite "
        "file, serve shows the study's page, report computes the scores. See docs/study.md.",
    )
    group = study.add_subparsers(
        dest="study_command", required=True, help="create, serve or report a study"
    )

    create = group.add_parser("create", help="draw a study's stimuli into a new study file")
    create.add_argument("study", metavar="STUDY.db", help="the study file to write")
    create.add_argument(
        "--kind", required=True, choices=["real-or-fake", "preference"],
        help="real-or-fake: one RUN's samples among real images (HYPE); preference: RUN_A "
        "against RUN_B, side by side",
    )  # fmt: skip
    create.add_argument(
        "runs", nargs="+", metavar="RUN", help="run folder(s): one for real-or-fake, two for "
        "preference",
    )  # fmt: skip
    create.add_argument(
        "--real", metavar="DATA",
        help="real-or-fake: take the real images (and a translation run's inputs) from this "
        "dataset name or folder instead of the run's own data",
    )  # fmt: skip
    create.add_argument(
        "--trials", type=int, default=20,
        help="scored trials per participant (default 20; real-or-fake: even, half real)",
    )  # fmt: skip
    create.add_argument(
        "--catch", type=int, default=4,
        help="catch trials per participant (noise: obviously fake; default 4)",
    )  # fmt: skip
    create.add_argument(
        "--tutorial", type=int, default=4, help="tutorial trials with feedback (default 4)"
    )
    create.add_argument(
        "--catch-errors-allowed", type=int, default=0,
        help="exclude a participant with more catch trials wrong than this (default 0)",
    )  # fmt: skip
    create.add_argument(
        "--stimuli", type=int, default=50,
        help="stimuli drawn per kind (real, fake; per run) (default 50)",
    )  # fmt: skip
    create.add_argument(
        "--exposure", default="unlimited", choices=["unlimited", "staircase"],
        help="real-or-fake: unlimited (HYPE-infinity, default) or staircase (HYPE-time)",
    )  # fmt: skip
    create.add_argument("--seed", type=int, default=0, help="seed of samples and plans (0)")
    create.add_argument("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    create.add_argument(
        "--overwrite", action="store_true", help="replace STUDY.db if it exists (else refused)"
    )
    create.set_defaults(handler=_create)

    serve = group.add_parser("serve", help="serve a study's page; answers go into its file")
    serve.add_argument("study", metavar="STUDY.db", help="a study file made by 'study create'")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free)")
    serve.add_argument(
        "--host", default="127.0.0.1",
        help="address to serve on (default 127.0.0.1, this machine only; e.g. 0.0.0.0 for a "
        "network, where participants need the links of --links)",
    )  # fmt: skip
    serve.add_argument(
        "--links", type=int, default=0, metavar="N",
        help="mint N new participant links (random tokens) and print them",
    )  # fmt: skip
    serve.set_defaults(handler=_serve)

    report = group.add_parser("report", help="error rates and preferences with 95%% intervals")
    report.add_argument("study", metavar="STUDY.db", help="a study file made by 'study create'")
    report.add_argument(
        "-o", "--output", metavar="DIR",
        help="folder for report.json and report.png (default: STUDY-report beside the file)",
    )  # fmt: skip
    report.add_argument(
        "--overwrite", action="store_true",
        help="write into a folder holding other files, replacing those of the same names",
    )  # fmt: skip
    report.set_defaults(handler=_report)
