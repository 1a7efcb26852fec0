"""Types and checks that the ``Config`` dataclasses of several model families share."""

from __future__ import annotations

from typing import Literal

# Normalisation of a conv encoder or critic (``swgen.nn.conv.NORMS``).
Norm = Literal["none", "layer", "batch", "instance"]


def check_positive(config: object, *names: str) -> None:
    """Reject non-positive hyperparameters (a ``ValueError`` becomes a one-line user error)."""
    for name in names:
        if getattr(config, name) <= 0:
            raise ValueError(f"{name} must be positive, got {getattr(config, name)}")
