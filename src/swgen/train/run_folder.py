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
        for folder in (self.root, self.checkpoint.parent, self.samples, self.events):
            folder.mkdir(parents=True, exist_ok=True)

    def require_existing(self) -> None:
        """Fail with a one-line hint unless this is a run folder with a checkpoint."""
        if not self.root.is_dir():
            raise UserError(
                f"run folder '{self.root}' does not exist; give a folder made by 'swgen train'"
            )
        if not self.config.is_file():
            raise UserError(
                f"'{self.root}' is not a run folder (no config.yaml); "
                "give a folder made by 'swgen train'"
            )
        if not self.checkpoint.is_file():
            raise UserError(
                f"run folder '{self.root}' has no checkpoint yet; "
                f"train it first (swgen train --resume '{self.root}')"
            )

    def append_metrics(self, record: dict[str, Any]) -> None:
        with self.metrics.open("a") as stream:
            stream.write(json.dumps(record) + "\n")

    def truncate_metrics(self, after_step: int) -> None:
        """Drop records past ``after_step`` so a resumed run does not log a step twice."""
        if not self.metrics.is_file():
            return
        kept = [
            line
            for line in self.metrics.read_text().splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= after_step
        ]
        atomic_write_bytes(self.metrics, ("\n".join(kept) + "\n" if kept else "").encode())


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
