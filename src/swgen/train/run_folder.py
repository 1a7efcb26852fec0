"""The run folder: everything one training run writes, and how it is written safely.

Layout::

    RUN/config.yaml            the resolved config (read back by --resume, sample, explore)
    RUN/checkpoints/last.pt    the latest checkpoint, replaced atomically
    RUN/samples/step_*.png     sample grids (scatter plots for 2D data)
    RUN/events/                TensorBoard events
    RUN/metrics.jsonl          one JSON object per logged step
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import torch

from swgen.errors import UserError


class RunFolder:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def new(cls, model: str, data: str, parent: str | Path = "runs") -> RunFolder:
        """A fresh folder ``runs/<model>-<data>-<timestamp>`` (suffixed if it already exists)."""
        stem = f"{model}-{Path(data).name or 'data'}-{time.strftime('%Y%m%d-%H%M%S')}"
        candidate = Path(parent) / stem
        index = 1
        while candidate.exists():
            index += 1
            candidate = Path(parent) / f"{stem}-{index}"
        return cls(candidate)

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def checkpoint(self) -> Path:
        return self.root / "checkpoints" / "last.pt"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def events(self) -> Path:
        return self.root / "events"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    def sample_grid(self, step: int) -> Path:
        return self.samples / f"step_{step:07d}.png"

    def create(self) -> None:
        try:
            for folder in (self.root, self.checkpoint.parent, self.samples, self.events):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(
                f"cannot create run folder '{self.root}' ({error.strerror or error}); "
                "give --out a path in a writable folder"
            ) from None

    def check_new(self) -> None:
        """Refuse to start a new run in a folder that already holds something (``--out``).

        A user's own files must never be overwritten, and an existing run must be continued with
        ``--resume`` rather than silently restarted over its metrics and sample grids.
        """
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"--out '{self.root}' is a file, not a folder; choose a new folder")
        if self.checkpoint.exists():
            raise UserError(
                f"'{self.root}' already holds a trained run; continue it with "
                f"--resume '{self.root}' or choose another --out"
            )
        # Empty sub-folders are what a kill right after create() leaves: nothing to lose there.
        if self.root.is_dir() and any(path.is_file() for path in self.root.rglob("*")):
            if self._holds_run_config():
                raise UserError(
                    f"'{self.root}' already holds a swgen run (stopped before its first "
                    f"checkpoint); continue it with --resume '{self.root}' or choose a new folder "
                    "for --out"
                )
            raise UserError(
                f"'{self.root}' already exists and holds files; choose a new folder for --out"
            )

    def _holds_run_config(self) -> bool:
        import yaml

        try:
            content = yaml.safe_load(self.config.read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError):
            return False
        return isinstance(content, dict) and set(content) == {"model", "data", "train"}

    def remove_orphans(self) -> list[Path]:
        """Delete temporary files that a kill during an atomic write left behind."""
        removed = []
        for target in (self.checkpoint, self.metrics, self.config):
            # atomic_file names its temporary ``.<name>.<random>`` beside the target.
            for path in target.parent.glob(f".{target.name}.*"):
                if path.is_file():
                    path.unlink(missing_ok=True)
                    removed.append(path)
        return removed

    def require_existing(self, checkpoint: bool = True) -> None:
        """Fail with a one-line hint unless this is a run folder (with a checkpoint, if asked)."""
        if self.root.exists() and not self.root.is_dir():
            raise UserError(
                f"'{self.root}' is a file, not a run folder; give a folder made by 'swgen train'"
            )
        if not self.root.is_dir():
            raise UserError(
                f"run folder '{self.root}' does not exist; give a folder made by 'swgen train'"
            )
        if not self.config.is_file():
            raise UserError(
                f"'{self.root}' is not a run folder (no config.yaml); "
                "give a folder made by 'swgen train'"
            )
        if checkpoint and not self.checkpoint.is_file():
            raise UserError(
                f"run folder '{self.root}' has no checkpoint yet (training stopped before its "
                f"first one); train it with 'swgen train --resume {self.root}', which starts it "
                "again from step 0"
            )

    def append_metrics(self, record: dict[str, Any]) -> None:
        """Append one JSON line with a single ``write`` on an ``O_APPEND`` descriptor, so a kill
        leaves at most one partial last line (dropped by :meth:`truncate_metrics`)."""
        line = (json.dumps(record) + "\n").encode()
        descriptor = os.open(self.metrics, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(descriptor, line)
            if written != len(line):  # a full disk: never leave half a line behind
                raise OSError(28, "No space left on device", str(self.metrics))
        finally:
            os.close(descriptor)

    def truncate_metrics(self, after_step: int) -> None:
        """Drop records past ``after_step`` so a resumed run does not log a step twice.

        Lines that are not JSON records (a last line cut by a kill) are dropped with a warning.
        """
        if not self.metrics.is_file():
            return
        kept, unreadable = [], 0
        for line in self.metrics.read_bytes().split(b"\n"):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                step = record.get("step", 0) if isinstance(record, dict) else None
            except (ValueError, UnicodeDecodeError):
                step = None
            if not isinstance(step, int):
                unreadable += 1
            elif step <= after_step:
                kept.append(line)
        if unreadable:
            warnings.warn(
                f"dropped {unreadable} unreadable line(s) of '{self.metrics}' (cut by an "
                "interrupted write)",
                stacklevel=2,
            )
        atomic_write_bytes(self.metrics, b"".join(line + b"\n" for line in kept))


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary stream to a temporary file beside ``path``, flushed to disk and renamed over
    ``path`` on success; on any failure (a kill included) ``path`` keeps its old content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    with atomic_file(path) as stream:
        stream.write(payload)


def atomic_torch_save(state: dict[str, Any], path: Path) -> None:
    """``torch.save`` that never leaves a half-written checkpoint at ``path``."""
    with atomic_file(path) as stream:
        torch.save(state, stream)
