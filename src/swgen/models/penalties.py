"""Regularisers of critics: the gradient penalty of WGAN-GP and the slope penalty of SWGAN.

Both are easy to get subtly wrong (PyTorch-GAN's WGAN-GP drew one mixing weight per pixel and
took the norm over the wrong axis), so each has a closed-form test in ``tests/test_penalties.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

from swgen.models.base import per_sample_noise


def mixing_weights(real: Tensor) -> Tensor:
    """ONE ``mu ~ U[0, 1]`` per sample (row), shaped to broadcast over the sample's dimensions
    (drawn from the per-sample stream every process shares, ``per_sample_noise``)."""
    ones = [1] * (real.dim() - 1)
    return per_sample_noise(
        real.shape[0], *ones, uniform=True, device=real.device, dtype=real.dtype
    )


def interpolate(real: Tensor, fake: Tensor, mu: Tensor | None = None) -> Tensor:
    """``x_hat = (1 - mu) x + mu x_fake`` with ONE ``mu ~ U[0, 1]`` per sample (row)."""
    mu = mixing_weights(real) if mu is None else mu
    return (1 - mu) * real + mu * fake


GRADIENT_WEIGHTINGS = ("paper", "official")


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    target: float = 1.0,
    weighting: str = "paper",
) -> tuple[Tensor, Tensor]:
    """``E[(||grad_x critic(x_hat)||_2 - target)^2]`` over per-sample interpolates ``x_hat``.

    ``target = 1`` is WGAN-GP's two-sided penalty (Gulrajani et al., 2017, Eq. 3); ``target = 0``
    is the zero-centred ``E ||grad||^2`` of SWGAN's Algorithm 4 (Wu et al., 2019). The norm is
    taken over each sample's flattened gradient. ``critic`` returns one score per sample, or
    several that are summed, and the graph is kept (``create_graph``) so the penalty can be
    back-propagated into the critic. Returns ``(penalty, x_hat)``.

    ``weighting="official"`` is the official SWGAN code's variant
    (``standard_training/swgan_64x64.py``): each sample's gradient is multiplied by its
    ``(1 - mu)`` before the norm, ``E[(||(1 - mu) grad D(x_hat)||_2 - target)^2]``, which
    penalises the critic less near the fake samples (mu -> 1) and fully at the real ones.
    """
    if weighting not in GRADIENT_WEIGHTINGS:
        raise ValueError(f"unknown gradient weighting {weighting!r}; use 'paper' or 'official'")
    mu = mixing_weights(real)
    x_hat = interpolate(real.detach(), fake.detach(), mu).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    if weighting == "official":
        grad = (1 - mu) * grad
    norms = grad.flatten(start_dim=1).norm(dim=1)
    return ((norms - target) ** 2).mean(), x_hat


SLOPE_FORMS = ("derivative", "official")


def slope_penalty(
    blocks: Iterable[nn.Module], codes: Tensor, k: float, form: str = "derivative"
) -> Tensor:
    """SWGAN's ``E[(dF_i/dt (theta_i^T y_hat) - k)^2]`` over blocks, samples and coordinates.

    Each dual SWD block ``F_i(theta_i^T y)`` should be k-Lipschitz in its 1-D argument; this
    pushes the slope of every ``F_i`` towards ``k`` at the interpolated codes ``y_hat``
    (Algorithm 4, lambda_2 term, averaged as in the official code).

    ``form="derivative"`` uses the true derivative ``block.derivative`` (``a_i`` or ``s a_i``),
    whose gradient only reaches the scales ``a_i``; ``form="official"`` uses the official code's
    expression ``block.official_slope`` (``a_i |F_i|`` up to the code's constants), whose
    gradient also trains the encoder, projections and offsets. See
    :meth:`swgen.sliced.DualSWDBlock.official_slope`.
    """
    if form not in SLOPE_FORMS:
        raise ValueError(f"unknown slope penalty form {form!r}; use 'derivative' or 'official'")
    if form == "derivative":
        slopes = torch.cat([block.derivative(codes) for block in blocks], dim=1)
    else:
        slopes = torch.cat([block.official_slope(codes) for block in blocks], dim=1)
    return ((slopes - k) ** 2).mean()


def adaptive_gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    average: Tensor,
    weight: float,
    eta: float,
) -> tuple[Tensor, Tensor]:
    """DACAL's adaptive penalty (AdaWGAN / AdaSWGAN, the lecture's slide):

    ``lambda E_y_hat max(0, ||g_bar|| - 1)`` with
    ``g_bar = eta g_bar + (1 - eta) grad_y_hat C(y_hat) / lambda``

    over per-sample interpolates ``y_hat`` of real and enhanced images. Interpretation (the
    slide gives no more; reference-facts.md section 6): the running average is kept of the
    gradient's norm, one scalar ``average`` (a buffer, so resuming continues it), since the
    gradient itself belongs to other samples at every step; each sample's term mixes the
    detached average with its own ``||grad|| / lambda``. Returns ``(penalty, new average)``,
    the new average being the batch mean of the mixed norms (detached).
    """
    x_hat = interpolate(real.detach(), fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.flatten(start_dim=1).norm(dim=1)
    mixed = eta * average.detach() + (1 - eta) * norms / weight
    return weight * torch.relu(mixed - 1).mean(), mixed.mean().detach()
