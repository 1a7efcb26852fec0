"""The documentation holds together: README, docs/ and BENCHMARKS.md.

Every relative link resolves (a file that exists and, for an anchor into a Markdown file, a
heading with that GitHub slug); README's model table names every registered model and its text
every registered data set; every ``swgen ...`` command README shows (and every one in docs/'s
shell blocks) parses with swgen's own parser, and a ``train`` command's overrides resolve to a
valid config; README stays short; LICENSE, CITATION.cff and CHANGELOG.md exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import swgen.data  # noqa: F401  (registers the data sets)
import swgen.models  # noqa: F401  (registers the models)
from swgen.cli import build_parser
from swgen.config import resolve
from swgen.errors import UserError
from swgen.registry import DATASETS, MODELS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTS = [README, ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
SHELL_OPERATORS = {"&&", "||", ";", "|"}


def prose_lines(text: str) -> list[str]:
    """The lines of ``text`` outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def code_blocks(text: str, languages: tuple[str, ...] = ("bash", "sh", "shell")) -> list[str]:
    """The bodies of the fenced code blocks of ``text`` in one of ``languages``."""
    blocks, current, language = [], None, None
    for line in text.splitlines():
        opening = re.match(r"^\s*```\s*([\w+-]*)", line)
        if current is None and opening:
            current, language = [], opening.group(1).lower()
        elif current is not None and re.match(r"^\s*```\s*$", line):
            if language in languages:
                blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: link syntax and punctuation dropped, lower case,
    spaces to hyphens (``Speed (`speed.py`)`` -> ``speed-speedpy``)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, repeated slugs numbered as GitHub does."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match is None:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    """The targets of the links and images of ``path`` that point inside the repository."""
    targets = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        line = re.sub(r"`[^`]*`", "", line)  # code spans hold no links
        for target in LINK.findall(line):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, mailto:
                targets.append(target)
    return targets


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target} (no heading '#{anchor}' in {resolved.name})")
    return broken


def swgen_commands(text: str) -> list[list[str]]:
    """Every ``swgen ...`` command of a shell text, as argv lists without the ``swgen``."""
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # an unclosed quote is a broken command too
            commands.append(["<unparsable>", line])
            continue
        for start, word in enumerate(words):
            if word == "swgen":
                argv = []
                for part in words[start + 1 :]:
                    if part in SHELL_OPERATORS:
                        break
                    argv.append(part)
                commands.append(argv)
    return commands


def readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    commands = [c for block in code_blocks(text) for c in swgen_commands(block)]
    for line in prose_lines(text):
        for span in re.findall(r"`(swgen(?: [^`]*)?)`", line):
            commands += swgen_commands(span)
    return commands


def docs_commands() -> list[list[str]]:
    return [
        command
        for path in sorted((ROOT / "docs").glob("*.md"))
        for block in code_blocks(path.read_text(encoding="utf-8"))
        for command in swgen_commands(block)
    ]


def parse_problem(argv: list[str]) -> str | None:
    """Why ``swgen argv`` would not parse, as swgen's own command line reads it; None if it does.
    A ``train`` command must also resolve to a valid config (its keys exist, its values fit),
    unless it reads a file or a run folder the documentation only names."""
    try:
        args, leftovers = build_parser().parse_known_args(argv)
    except UserError as error:
        return str(error)
    except SystemExit:  # --help
        return None
    strays = [item for item in leftovers if "=" not in item or item.startswith("-")]
    if strays or (leftovers and args.command != "train"):
        return f"unrecognized arguments: {' '.join(strays or leftovers)}"
    if args.command == "train" and args.config is None and args.resume is None:
        flags = {"model.name": args.model, "data.name": args.data, "train.seed": args.seed}
        try:
            resolve(None, [*args.overrides, *leftovers], flags)
        except UserError as error:
            return str(error)
    return None


def readme_model_table() -> set[str]:
    """The names in the first column of README's model table (the table under 'Models')."""
    names, in_section = set(), False
    for line in prose_lines(README.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading:
            in_section = heading.group(2).strip().lower() == "models"
            continue
        cell = re.match(r"^\|\s*`([^`]+)`\s*\|", line)
        if in_section and cell:
            names.add(cell.group(1))
    return names


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path):
    assert path.is_file(), f"{path} is missing"
    assert broken_links(path) == []


def test_the_link_check_catches_broken_links(tmp_path):
    (tmp_path / "other.md").write_text("# A heading (`with code`)\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#a-heading-with-code) [ok](other.md#twice-1) [ok](#here) ![ok](other.md)\n"
        "[web](https://example.org/x) `[not a link](nowhere.md)`\n"
        "## Here\n"
        "[gone](missing.md) [bad anchor](other.md#nothing) ![gone](missing.png)\n"
        "```\n[in code](missing-too.md)\n```\n"
    )
    assert broken_links(page) == [
        "missing.md (no such file)",
        "other.md#nothing (no heading '#nothing' in other.md)",
        "missing.png (no such file)",
    ]


def test_benchmarks_headings_are_unique():
    headings = [
        HEADING.match(line).group(2)
        for line in prose_lines((ROOT / "BENCHMARKS.md").read_text(encoding="utf-8"))
        if HEADING.match(line)
    ]
    repeated = sorted({h for h in headings if headings.count(h) > 1})
    assert repeated == []


def test_readme_model_table_names_every_model():
    table = readme_model_table()
    assert table, "README has no model table under a 'Models' heading"
    # The models swgen ships (other tests register their own stand-ins in the same registry).
    shipped = {name for name in MODELS.names() if MODELS.get(name).__module__.startswith("swgen.")}
    assert sorted(shipped - table) == []
    assert sorted(table - shipped) == []


def test_readme_names_every_dataset():
    text = README.read_text(encoding="utf-8")
    assert [name for name in DATASETS.names() if f"`{name}`" not in text] == []


def test_readme_shows_swgen_commands():
    commands = readme_commands()
    shown = {argv[0] for argv in commands if argv}
    assert {"train", "sample", "eval"} <= shown


@pytest.mark.parametrize(
    "argv", readme_commands() + docs_commands(), ids=lambda argv: " ".join(["swgen", *argv])
)
def test_swgen_command_parses(argv):
    assert parse_problem(argv) is None


@pytest.mark.parametrize(
    "line",
    [
        "swgen trian",
        "swgen sample runs/x -o a.png --bogus",
        "swgen eval runs/x model.width=3",
        "swgen train --model nosuchmodel",
        "swgen train model.nosuchkey=1",
        "swgen train train.steps=-5",
        "swgen sample runs/x",
    ],
)
def test_the_command_check_catches_bad_commands(line):
    (argv,) = swgen_commands(line)
    assert parse_problem(argv) is not None


def test_commands_are_found_in_shell_text():
    text = (
        "pip install -e . && swgen train --out runs/a  # a comment\n"
        "torchrun --nproc_per_node 2 --no-python swgen train \\\n  --device cpu train.steps=5\n"
    )
    assert swgen_commands(text) == [
        ["train", "--out", "runs/a"],
        ["train", "--device", "cpu", "train.steps=5"],
    ]


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_readme_keeps_the_test_command_where_ci_reads_it():
    lines = README.read_text(encoding="utf-8").splitlines()
    marker = lines.index("<!-- test-command -->")
    assert lines[marker + 1] == "```bash"
    assert lines[marker + 2].endswith('pip install torch==2.13.0 -e ".[test]" && python -m pytest')


@pytest.mark.parametrize("name", ["LICENSE", "CITATION.cff", "CHANGELOG.md"])
def test_project_files_exist(name):
    path = ROOT / name
    assert path.is_file() and path.read_text(encoding="utf-8").strip(), f"{name} is missing"
