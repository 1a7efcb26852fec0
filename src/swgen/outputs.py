"""Where swgen writes outside a run folder, and the one rule every command follows there.

The rule: **swgen never replaces a file it did not write.**

* An output file (``swgen sample -o FILE``) must not exist yet.
* An output folder (``translate``, ``enhance``, ``explore -o DIR``) must be new or empty, or hold
  only what the same command wrote there earlier for the same run: a re-run replaces its own
  outputs. The folder remembers what it holds in a small manifest, ``.swgen-outputs.json``
  (command, run folder, the files), written before the first output, so a re-run after an
  interrupted one is recognised too.
* ``--overwrite`` lifts both rules: the user says the files may go.
* An output folder inside the input folder, or the input inside the output, is refused even then:
  outputs would become inputs of the next run, or replace them.
* Output names never collide: when two outputs would get one name (``a.png`` and ``a.jpg`` both
  asking for ``a_attention.png``), the later one, in sorted input order, takes ``-2``, ``-3``, ...
  before its suffix (``a_attention-2.png``). Names are compared case-insensitively, as some
  file systems do.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from swgen.errors import UserError

MANIFEST = ".swgen-outputs.json"


def check_output_file(path: Path, overwrite: bool = False) -> None:
    """Refuse to replace an existing file (or a folder) unless ``overwrite``."""
    if path.is_dir():
        raise UserError(f"'{path}' is a folder; give a file name for -o")
    if path.exists() and not overwrite:
        raise UserError(
            f"'{path}' already exists; give a new file name, or add --overwrite to replace it"
        )


def is_within(inner: Path, outer: Path) -> bool:
    """Whether ``inner`` is ``outer`` or lies inside it (symbolic links followed)."""
    inner, outer = inner.expanduser().resolve(), outer.expanduser().resolve()
    return inner == outer or outer in inner.parents


class OutputFolder:
    """An output folder claimed by one command (``translate``, ``enhance``, ``explore``) for one
    run, following the module's rule. ``check()`` before any work; ``claim(names)`` for the
    relative names to write, which returns their paths, collision-free, and records them."""

    def __init__(
        self,
        root: str | Path,
        command: str,
        run: str | Path,
        overwrite: bool = False,
        inputs: Iterable[Path] = (),
        what: str = "outputs",
    ) -> None:
        self.root = Path(root).expanduser()
        self.what = what  # for messages: "cannot write <what> into ..."
        self.command = command
        self.run = str(Path(run).expanduser().resolve())
        self.overwrite = overwrite
        self.inputs = [Path(p) for p in inputs]
        self.claimed: dict[str, Path] = {}  # case-folded relative name -> its path
        self.existed = self.root.is_dir()
        self.had_manifest = (self.root / MANIFEST).is_file()

    def check(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise UserError(
                f"cannot write {self.what} into '{self.root}', a file; give a folder for -o"
            )
        for source in self.inputs:
            if is_within(self.root, source):
                raise UserError(
                    f"output folder '{self.root}' is inside the input folder '{source}', so the "
                    "outputs would be read as inputs next time; give a folder outside it"
                )
            if is_within(source, self.root):
                raise UserError(
                    f"the input folder '{source}' is inside the output folder '{self.root}', "
                    "whose outputs could replace inputs; give an output folder outside it"
                )
        if self.overwrite or not self.root.is_dir():
            return
        held = self._files()
        if not held:
            return
        previous = self._manifest()
        if previous is not None and previous[:2] == (self.command, self.run):
            foreign = sorted(held - previous[2])
        else:
            foreign = sorted(held)
        if foreign:
            raise UserError(
                f"output folder '{self.root}' already holds {len(foreign)} file(s) this command "
                f"did not write for this run (e.g. '{foreign[0]}'); give a new or empty folder, "
                "or add --overwrite to let swgen replace them"
            )

    def claim(self, names: Iterable[str | Path]) -> list[Path]:
        """The paths to write ``names`` (relative to the folder) at, in order; a name already
        claimed takes ``-2``, ``-3``, ... before its suffix. Records them in the manifest."""
        paths = []
        for name in names:
            relative = Path(name)
            candidate, index = relative, 1
            while candidate.as_posix().casefold() in self.claimed:
                index += 1
                candidate = relative.with_name(f"{relative.stem}-{index}{relative.suffix}")
            self.claimed[candidate.as_posix().casefold()] = candidate
            paths.append(self.root / candidate)
        self._write_manifest()
        return paths

    def abandon(self) -> None:
        """Undo the claim when the command wrote nothing after all (every input unreadable):
        remove the folder if this command made it, else the manifest if it was the first."""
        if not self.existed:
            shutil.rmtree(self.root, ignore_errors=True)
        elif not self.had_manifest:
            (self.root / MANIFEST).unlink(missing_ok=True)

    def _files(self) -> set[str]:
        return {
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.name != MANIFEST and not path.is_dir()
        }

    def _manifest(self) -> tuple[str, str, set[str]] | None:
        try:
            content = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
            return content["command"], content["run"], set(content["files"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_manifest(self) -> None:
        files = sorted(path.as_posix() for path in self.claimed.values())
        previous = self._manifest()
        if previous is not None and previous[:2] == (self.command, self.run):
            # A re-run writing fewer files still owns what its earlier runs wrote.
            files = sorted(set(files) | (previous[2] & self._files()))
        record = {"command": self.command, "run": self.run, "files": files}
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temporary = self.root / f"{MANIFEST}.{os.getpid()}"
            temporary.write_text(json.dumps(record, indent=1), encoding="utf-8")
            os.replace(temporary, self.root / MANIFEST)
        except OSError:
            raise UserError(
                f"cannot write {self.what} into '{self.root}'; give -o a path in a writable folder"
            ) from None
