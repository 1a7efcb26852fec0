"""Regularisers of critics: the gradient penalty of WGAN-GP and the slope penalty of SWGAN.

Both are easy to get subtly wrong (PyTorch-GAN's WGAN-GP drew one mixing weight per pixel and
took the norm over the wrong axis), so each has a closed-form test in ``tests/test_penalties.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

from swgen.models.base import per_sample_noise


def interpolate(real: Tensor, fake: Tensor) -> Tensor:
    """``x_hat = (1 - mu) x + mu x_fake`` with ONE ``mu ~ U[0, 1]`` per sample (row)."""
    ones = [1] * (real.dim() - 1)
    mu = per_sample_noise(real.shape[0], *ones, uniform=True, device=real.device, dtype=real.dtype)
    return (1 - mu) * real + mu * fake


def gradient_penalty(
    critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, target: float = 1.0
) -> tuple[Tensor, Tensor]:
    """``E[(||grad_x critic(x_hat)||_2 - target)^2]`` over per-sample interpolates ``x_hat``.

    ``target = 1`` is WGAN-GP's two-sided penalty (Gulrajani et al., 2017, Eq. 3); ``target = 0``
    is the zero-centred ``E ||grad||^2`` of SWGAN's Algorithm 4 (Wu et al., 2019). The norm is
    taken over each sample's flattened gradient. ``critic`` returns one score per sample, or
    several that are summed, and the graph is kept (``create_graph``) so the penalty can be
    back-propagated into the critic. Returns ``(penalty, x_hat)``.
    """
    x_hat = interpolate(real.detach(), fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.flatten(start_dim=1).norm(dim=1)
    return ((norms - target) ** 2).mean(), x_hat


def slope_penalty(blocks: Iterable[nn.Module], codes: Tensor, k: float) -> Tensor:
    """SWGAN's ``E[(dF_i/dt (theta_i^T y_hat) - k)^2]`` over blocks, samples and coordinates.

    Each dual SWD block ``F_i(theta_i^T y)`` should be k-Lipschitz in its 1-D argument; this
    pushes the true derivative of every ``F_i`` (given by ``block.derivative``) towards ``k`` at
    the interpolated codes ``y_hat`` (Algorithm 4, lambda_2 term, averaged as in the official code).
    """
    slopes = torch.cat([block.derivative(codes) for block in blocks], dim=1)
    return ((slopes - k) ** 2).mean()
