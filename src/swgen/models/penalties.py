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


SMOOTH_FORMS = ("jacobian", "composed")


def ball_noise(z: Tensor, radius: float) -> Tensor:
    """One point drawn uniformly in the L2 ball of ``radius`` around each row of ``z``
    (direction uniform on the sphere, distance ``radius * U^(1/d)``), from the shared stream."""
    n, dim = z.shape
    direction = per_sample_noise(n, dim, device=z.device, dtype=z.dtype)
    direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
    distance = per_sample_noise(n, 1, uniform=True, device=z.device, dtype=z.dtype)
    return z + radius * distance.pow(1.0 / dim) * direction


def generator_smoothness(
    generator: Callable[[Tensor], Tensor],
    z: Tensor,
    radius: float,
    form: str = "jacobian",
    critic: Callable[[Tensor], Tensor] | None = None,
) -> Tensor:
    """Smooth GAN's generator penalty (Guo et al., AAAI 2019), as swgen reads it.

    The paper calls ``G`` smooth at ``z`` when ``|G_i(z + delta) - G_i(z)| < eps`` and shows
    (Theorem 1) that it holds for ``||delta||_q < eps / max_{z_hat in B_p(z, R)}
    ||grad_{z_hat} G_i(z_hat)||_p``, and (Theorem 2) for the critic's view of it with
    ``||grad D(x_hat)||_p ||grad G(z_hat)||_p`` in the denominator; it keeps that gradient low
    beside a gradient-penalised critic. The exact penalty was not found, so this is swgen's
    reading, its choices settings:

    * the max over the ball ``B_2(z, R)`` is replaced by one point ``z_hat`` drawn uniformly in
      it (as WGAN-GP replaces the sup over x by random interpolates), ``p = q = 2``;
    * ``form="jacobian"`` (Theorem 1): ``E ||J_G(z_hat)||_F^2``, estimated without building the
      Jacobian as ``E_v ||J_G(z_hat)^T v||^2`` with one ``v ~ N(0, I)`` per sample (Hutchinson:
      ``E_v ||J^T v||^2 = ||J||_F^2``), squared and zero-centred ("keep the norm low");
    * ``form="composed"`` (Theorem 2): ``E ||grad_{z_hat} D(G(z_hat))||^2``, the gradient of
      the critic through the generator, which Theorem 2's product bounds from above.

    The graph is kept so the penalty trains the generator.
    """
    if form not in SMOOTH_FORMS:
        raise ValueError(f"unknown smoothness form {form!r}; use 'jacobian' or 'composed'")
    z_hat = ball_noise(z.detach(), radius).requires_grad_(True)
    out = generator(z_hat)
    if form == "jacobian":
        probe = per_sample_noise(len(out), *out.shape[1:], device=out.device, dtype=out.dtype)
        scalar = (out * probe).sum()
    else:
        if critic is None:
            raise ValueError("the composed smoothness form needs the critic")
        scalar = critic(out).sum()
    (grad,) = torch.autograd.grad(scalar, z_hat, create_graph=True)
    return grad.square().sum(dim=1).mean()


def dpe_adaptive_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    average: Tensor,
    weight: Tensor,
    eta: float,
    bound: float,
    grow: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """The adaptive penalty with the running average adapting lambda, as DPE's A-WGAN does
    (Chen et al., CVPR 2018, nothinglo/Deep-Photo-Enhancer: ``loss_wgan_gp_mv_decay`` 0.99,
    ``loss_wgan_gp_bound`` 5e-2, ``loss_wgan_lambda_grow`` 2; reference-facts.md section 6,
    the closest public precedent of the lecture's "running average used to adapt lambda"):

    ``penalty = lambda_t E_y_hat max(0, ||grad C(y_hat)|| - 1)`` (the slide's one-sided term),
    ``g_bar = eta g_bar + (1 - eta) E max(0, ||grad|| - 1)`` (the deviation's running average),
    and ``lambda_{t+1} = grow * lambda_t`` while ``g_bar > bound`` (DPE's released code never
    lowers lambda). Returns ``(penalty, new average, new lambda)``, the last two detached.
    """
    x_hat = interpolate(real.detach(), fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    excess = torch.relu(grad.flatten(start_dim=1).norm(dim=1) - 1)
    weight = weight.detach().clone()  # the caller updates its buffer in place
    penalty = weight * excess.mean()
    new_average = eta * average.detach() + (1 - eta) * excess.mean().detach()
    new_weight = torch.where(new_average > bound, weight * grow, weight)
    return penalty, new_average, new_weight


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
