"""Exponential moving average of a model's generator weights (Karras et al.; StudioGAN's EMA).

theta_ema <- d_t * theta_ema + (1 - d_t) * theta after every step, with the warm-up
d_t = min(decay, (1 + t) / (10 + t)) so that short runs are not dominated by the initial
weights (at decay 0.999 and no warm-up, 300 steps would still weigh the initialisation by
74%); buffers (BatchNorm statistics) are copied as they are. Sample grids, ``swgen sample``
and ``swgen explore`` use the averaged weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class ExponentialMovingAverage:
    def __init__(self, modules: dict[str, nn.Module], decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.modules = modules
        self.shadow = {
            name: {key: value.detach().clone() for key, value in module.state_dict().items()}
            for name, module in modules.items()
        }
        # state_dict() tensors share storage with the live weights, which optimisers update in
        # place, so the pairs can be collected once.
        self._averaged: list[torch.Tensor] = []
        self._live: list[torch.Tensor] = []
        self._copied: list[tuple[torch.Tensor, torch.Tensor]] = []
        for name, module in modules.items():
            parameter_keys = {key for key, _ in module.named_parameters()}
            for key, value in module.state_dict().items():
                if key in parameter_keys and value.is_floating_point():
                    self._averaged.append(self.shadow[name][key])
                    self._live.append(value)
                else:
                    self._copied.append((self.shadow[name][key], value))

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self) -> None:
        if self._averaged:
            torch._foreach_lerp_(self._averaged, self._live, 1.0 - self.current_decay())
        self.updates += 1
        for shadow, live in self._copied:
            shadow.copy_(live)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """Temporarily load the averaged weights into the live modules."""
        saved = {
            name: {key: value.clone() for key, value in module.state_dict().items()}
            for name, module in self.modules.items()
        }
        for name, module in self.modules.items():
            module.load_state_dict(self.shadow[name])
        try:
            yield
        finally:
            for name, module in self.modules.items():
                module.load_state_dict(saved[name])

    def state_dict(self) -> dict:
        return {"shadow": self.shadow, "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.updates = int(state["updates"])
        for name, values in state["shadow"].items():
            for key, value in values.items():
                self.shadow[name][key].copy_(value)
