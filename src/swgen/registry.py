"""Name -> class/factory registries, so models and datasets are picked by name.

Adding a model or dataset means decorating it with ``@MODELS.register("name", summary=...)`` (or
``DATASETS``) in its own file; nothing else in the package needs editing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Generic, TypeVar

from swgen.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    """A case-insensitive mapping from names to registered objects."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._summaries: dict[str, str] = {}

    def register(self, name: str, summary: str = "") -> Callable[[T], T]:
        """Register under ``name``; ``summary`` is its line in ``swgen list`` (models and
        datasets must give one: a test checks)."""

        def decorator(obj: T) -> T:
            key = name.lower()
            if key in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[key] = obj
            self._summaries[key] = summary
            return obj

        return decorator

    def summary(self, name: str) -> str:
        return self._summaries[str(name).lower()]

    def get(self, name: str) -> T:
        key = str(name).lower()
        if key not in self._entries:
            close = difflib.get_close_matches(key, self._entries, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UserError(
                f"unknown {self.kind} {name!r}{hint}; choose one of: {', '.join(self.names())}"
            )
        return self._entries[key]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return str(name).lower() in self._entries


MODELS: Registry = Registry("model")
DATASETS: Registry = Registry("dataset")
