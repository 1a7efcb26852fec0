"""The mathematics of sliced Wasserstein distances, in torch alone.

Everything here is differentiable, batched over leading dimensions, and follows the device and
dtype of its inputs. Three groups:

* distances: ``wasserstein_1d`` (exact, by sorting) and ``sliced_wasserstein`` (random,
  orthogonal, max-sliced, fixed or learned projections), with the direction samplers
  ``random_directions`` and ``orthogonal_directions``;
* the differentiable 1D transport map of SWGAN's primal block: ``soft_histogram``,
  ``histogram_cdf``, ``interpolate``, ``inverse_cdf`` and ``transport_1d``;
* layers: ``OrthogonalProjection`` (columns kept orthonormal), ``PrimalSWDBlock`` (Algorithm 1 of
  Wu, Huang et al., CVPR 2019) and ``DualSWDBlock`` (their Algorithm 3).

References
----------
Bonneel, Rabin, Peyre, Pfister. Sliced and Radon Wasserstein barycenters of measures. JMIV 2015.
Peyre, Cuturi. Computational Optimal Transport. Foundations and Trends in ML, 2019 (Remark 2.30).
Deshpande et al. Max-sliced Wasserstein distance and its use for GANs. CVPR 2019.
Wu, Huang, Acharya, Li, Thoma, Paudel, Van Gool. Sliced Wasserstein generative models. CVPR 2019.
Lezcano-Casado, Martinez-Rubio. Cheap orthogonal constraints in neural networks. ICML 2019.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrizations

__all__ = [
    "DualSWDBlock",
    "OrthogonalProjection",
    "PrimalSWDBlock",
    "histogram_cdf",
    "interpolate",
    "inverse_cdf",
    "orthogonal_directions",
    "random_directions",
    "sliced_wasserstein",
    "soft_histogram",
    "transport_1d",
    "transport_1d_exact",
    "wasserstein_1d",
]

Projections = str | Tensor | nn.Module | Callable[[Tensor], Tensor]

MAX_SLICED_STEPS = 50
"""Gradient-ascent steps that ``projections="max"`` spends looking for the worst direction."""
MAX_SLICED_LR = 0.1
"""Adam step size (in units of the direction's norm, 1) of that search."""


# --------------------------------------------------------------------------------------------
# One-dimensional Wasserstein distance
# --------------------------------------------------------------------------------------------


def _abs_pow(diff: Tensor, p: float) -> Tensor:
    """``|diff|^p``, with the common cases p = 1, 2 done without ``pow``."""
    if p == 2:
        return diff.square()
    if p == 1:
        return diff.abs()
    return diff.abs().pow(p)


def _root(value: Tensor, p: float) -> Tensor:
    """``value^(1/p)`` whose gradient at 0 is 0 instead of inf/NaN (safe for identical inputs)."""
    if p == 1:
        return value
    positive = value > 0
    safe = torch.where(positive, value, torch.ones_like(value))
    return torch.where(positive, safe.pow(1.0 / p), torch.zeros_like(value))


def _quantile_breakpoints(n: int, m: int, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Segments of [0, 1] on which both empirical quantile functions are constant.

    The quantile function of n equal atoms jumps at i/n, that of m atoms at j/m. Counting t in
    units of 1/(n m) keeps the breakpoints exact integers (i m and j n). On a segment (a, b] the
    quantile of the first sample is its ceil(b/m)-th sorted value and that of the second its
    ceil(b/n)-th. Returns (index into u, index into v, segment length as a fraction of 1).
    """
    ends = torch.cat(
        [
            torch.arange(1, n + 1, device=device, dtype=torch.int64) * m,
            torch.arange(1, m + 1, device=device, dtype=torch.int64) * n,
        ]
    )
    ends = torch.sort(ends).values
    starts = torch.cat([ends.new_zeros(1), ends[:-1]])
    index_u = torch.div(ends + m - 1, m, rounding_mode="floor") - 1
    index_v = torch.div(ends + n - 1, n, rounding_mode="floor") - 1
    return index_u, index_v, (ends - starts).double() / (n * m)


def _wasserstein_1d_pow(u: Tensor, v: Tensor, p: float, sorted_: bool = False) -> Tensor:
    """W_p^p between the empirical measures of the last dimension of u and v (see below)."""
    if not sorted_:
        u = torch.sort(u, dim=-1).values
        v = torch.sort(v, dim=-1).values
    n, m = u.shape[-1], v.shape[-1]
    if n == m:
        return _abs_pow(u - v, p).mean(dim=-1)
    index_u, index_v, length = _quantile_breakpoints(n, m, u.device)
    diff = u[..., index_u] - v[..., index_v]
    return (_abs_pow(diff, p) * length.to(diff.dtype)).sum(dim=-1)


def wasserstein_1d(u: Tensor, v: Tensor, p: float = 2) -> Tensor:
    r"""Exact p-Wasserstein distance between two 1D empirical distributions, by sorting.

    .. math::
        W_p(\mu_u, \nu_v) = \Big( \int_0^1 |F_u^{-1}(t) - F_v^{-1}(t)|^p \, dt \Big)^{1/p}

    where :math:`F^{-1}` are the (piecewise-constant) quantile functions of the uniform
    empirical measures on the last dimension of ``u`` and ``v`` (Peyre and Cuturi 2019,
    Remark 2.30). For equal sizes this is :math:`(\frac1n\sum_i |u_{(i)} - v_{(i)}|^p)^{1/p}`
    over sorted values; for unequal sizes the integral is computed exactly on the union of the
    breakpoints :math:`i/n` and :math:`j/m`.

    Args:
        u: ``(..., n)`` samples of the first distribution.
        v: ``(..., m)`` samples of the second; leading dimensions broadcast against ``u``'s.
        p: order, ``p >= 1``.

    Returns:
        ``(...)``: W_p itself (not its p-th power). Its gradient at distance 0 is set to 0.
    """
    if p < 1:
        raise ValueError(f"swgen: wasserstein_1d needs p >= 1, got p={p}")
    return _root(_wasserstein_1d_pow(u, v, p), p)


# --------------------------------------------------------------------------------------------
# Directions and the sliced distance
# --------------------------------------------------------------------------------------------


def random_directions(
    d: int,
    k: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    r"""``k`` directions drawn uniformly on the unit sphere :math:`\mathbb{S}^{d-1}`, as columns.

    :math:`\theta_j = g_j / \|g_j\|` with :math:`g_j \sim \mathcal{N}(0, I_d)` (Bonneel et al.
    2015). Returns a ``(d, k)`` matrix, the layout ``sliced_wasserstein`` and POT use.
    """
    gaussian = torch.randn(d, k, generator=generator, device=device, dtype=dtype)
    return gaussian / gaussian.norm(dim=0, keepdim=True)


def _orthonormal_qr(matrix: Tensor) -> Tensor:
    """Q of the QR decomposition of ``matrix`` with the sign fix diag(R) > 0 (unique, Haar)."""
    q, r = torch.linalg.qr(matrix)
    signs = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    signs = torch.where(signs == 0, torch.ones_like(signs), signs)
    return q * signs.unsqueeze(-2)


def orthogonal_directions(
    d: int,
    k: int,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    r"""``k`` unit directions in blocks of ``d`` mutually orthogonal ones, as columns ``(d, k)``.

    Each block is :math:`Q` of :math:`QR(G)`, :math:`G \in \mathbb{R}^{d\times d}` Gaussian, with
    :math:`\mathrm{diag}(R) > 0` so that Q is Haar-distributed on O(d) (the initialisation of
    the official SWGAN code). Blocks are concatenated and the last one truncated to ``k``
    columns. Orthogonal directions cover the sphere more evenly than independent ones, the
    motivation for SWGAN's orthogonal projections (Wu, Huang et al. 2019, Sec. 3).
    """
    n_blocks = -(-k // d)
    gaussian = torch.randn(n_blocks, d, d, generator=generator, device=device, dtype=dtype)
    blocks = _orthonormal_qr(gaussian)
    return blocks.transpose(0, 1).reshape(d, n_blocks * d)[:, :k]


def _project_rows(points: Tensor, theta: Tensor) -> Tensor:
    """``(points @ theta)^T`` as a contiguous ``(k, n)`` tensor, ready to sort along samples.

    ``points @ theta`` then a copy of the small ``(n, k)`` result measured ~15 % faster on CPU
    than ``theta^T @ points^T`` (n = 20000, d = 784, k = 128); sorting along the last dimension
    of a contiguous tensor is the fast case of ``torch.sort``.
    """
    return (points @ theta).T.contiguous()


def _max_direction(x: Tensor, y: Tensor, p: float, generator: torch.Generator | None) -> Tensor:
    """A unit direction (d, 1) that (locally) maximises W_p^p of the projections of x and y."""
    x, y = x.detach(), y.detach()
    direction = random_directions(x.shape[1], 1, generator, x.device, x.dtype)
    direction.requires_grad_(True)
    optimiser = torch.optim.Adam([direction], lr=MAX_SLICED_LR)
    with torch.enable_grad():
        for _ in range(MAX_SLICED_STEPS):
            unit = direction / direction.norm()
            loss = -_wasserstein_1d_pow(_project_rows(x, unit), _project_rows(y, unit), p).sum()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        return direction / direction.norm()


def sliced_wasserstein(
    x: Tensor,
    y: Tensor,
    n_projections: int = 128,
    p: float = 2,
    projections: Projections = "random",
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Monte-Carlo sliced p-Wasserstein distance between two point clouds.

    .. math::
        SW_p(\mu, \nu) = \Big( \frac1K \sum_{j=1}^K
            W_p^p\big(\theta_j^\# \mu, \theta_j^\# \nu\big) \Big)^{1/p},
        \qquad \theta_j^\# \mu = \text{law of } \theta_j^T X,\ X \sim \mu,

    the Monte-Carlo estimate of :math:`(\int_{\mathbb{S}^{d-1}} W_p^p\, d\theta)^{1/p}`
    (Bonneel et al. 2015), the same quantity as POT's ``ot.sliced_wasserstein_distance``.

    Args:
        x: ``(n, d)`` samples of mu.
        y: ``(m, d)`` samples of nu.
        n_projections: K for ``"random"`` and ``"orthogonal"``; ignored otherwise.
        p: order, ``p >= 1``.
        projections: how the directions are chosen:

            * ``"random"``: K uniform unit directions (``random_directions``);
            * ``"orthogonal"``: K directions in orthonormal blocks of d (``orthogonal_directions``);
            * ``"max"``: max-sliced distance (Deshpande et al. 2019),
              :math:`\max_\theta W_p(\theta^\#\mu, \theta^\#\nu)`; the direction is sought by
              ``MAX_SLICED_STEPS`` Adam steps of gradient ascent on detached data from a random
              unit start (a local maximum), then the distance is evaluated differentiably there;
            * a ``(d, k)`` tensor: its columns are the directions, used as given (not normalised);
            * an ``nn.Module`` or callable mapping ``(n, d) -> (n, k)``: the k coordinates it
              returns are the projections (e.g. an ``OrthogonalProjection``, learned).
        generator: random generator for the directions (on the device of ``x``).

    Returns:
        A scalar tensor, :math:`SW_p` (not its p-th power).

    For equal sizes the work is one matrix product of both clouds with the directions and one
    sort of the ``(k, 2, n)`` projections along the samples.
    """
    if p < 1:
        raise ValueError(f"swgen: sliced_wasserstein needs p >= 1, got p={p}")
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"swgen: sliced_wasserstein needs x (n, d) and y (m, d), got {tuple(x.shape)} and "
            f"{tuple(y.shape)}"
        )
    d = x.shape[1]
    if isinstance(projections, str):
        if projections == "random":
            theta = random_directions(d, n_projections, generator, x.device, x.dtype)
        elif projections == "orthogonal":
            theta = orthogonal_directions(d, n_projections, generator, x.device, x.dtype)
        elif projections == "max":
            theta = _max_direction(x, y, p, generator)
        else:
            raise ValueError(
                f"swgen: unknown projections {projections!r}; use 'random', 'orthogonal', 'max', "
                "a (d, k) tensor or a module"
            )
    elif isinstance(projections, Tensor):
        theta = projections
        if theta.dim() != 2 or theta.shape[0] != d:
            raise ValueError(
                f"swgen: projections must be a (d, k) = ({d}, k) tensor, got {tuple(theta.shape)}"
            )
    else:
        projected_x, projected_y = projections(x).T, projections(y).T
        return _root(_wasserstein_1d_pow(projected_x, projected_y, p).mean(), p)

    n, m = x.shape[0], y.shape[0]
    if n == m:
        both = _project_rows(torch.cat([x, y]), theta).view(-1, 2, n)
        sorted_ = torch.sort(both, dim=-1).values
        per_direction = _abs_pow(sorted_[:, 0] - sorted_[:, 1], p).mean(dim=-1)
    else:
        per_direction = _wasserstein_1d_pow(_project_rows(x, theta), _project_rows(y, theta), p)
    return _root(per_direction.mean(), p)


# --------------------------------------------------------------------------------------------
# Differentiable 1D transport by soft histograms (SWGAN, primal block)
# --------------------------------------------------------------------------------------------


def _bin_centres(n_bins: int, like: Tensor) -> Tensor:
    return torch.linspace(0.0, 1.0, n_bins, device=like.device, dtype=like.dtype)


def soft_histogram(x: Tensor, n_bins: int = 32, alpha: float | None = None) -> Tensor:
    r"""Normalised soft histogram of values in [0, 1] on ``n_bins`` centres.

    With centres :math:`c_i = i/(l-1)`, :math:`i = 0..l-1` (``torch.linspace(0, 1, l)``), each
    value y puts on bin i the weight (Wu, Huang et al. 2019, Sec. 3.1)

    .. math::
        w_i(y) = \frac{e^{-\alpha (y - c_i)^2}}{\sum_{j} e^{-\alpha (y - c_j)^2}},
        \qquad p_i = \frac1n \sum_{y} w_i(y).

    The default :math:`\alpha = (l-1)^2` measures distances in bin widths h = 1/(l-1), i.e.
    weights proportional to :math:`\exp(-(\text{distance}/h)^2)` as in the official code; nearly
    all the mass of a value goes to its two nearest bins (a value on a centre keeps about 55 %,
    each neighbour about 20 %; half-way between two centres each gets about 39 %). The official
    code truncates to the two nearest bins; swgen keeps the paper's softmax over all bins, which
    is smooth everywhere.

    Args:
        x: ``(..., n)`` values, expected in [0, 1].
        n_bins: l, number of bin centres.
        alpha: sharpness; ``None`` for ``(n_bins - 1)^2``.

    Returns:
        ``(..., n_bins)`` histogram summing to 1 over the last dimension.
    """
    if alpha is None:
        alpha = float((n_bins - 1) ** 2)
    centres = _bin_centres(n_bins, x)
    logits = -alpha * (x.unsqueeze(-1) - centres).square()
    return torch.softmax(logits, dim=-1).mean(dim=-2)


def histogram_cdf(hist: Tensor) -> Tensor:
    r"""CDF on the bin centres of a histogram whose centres span [0, 1] evenly.

    Convention: the histogram is read as a density that is linear between neighbouring centres
    (value :math:`p_i` at :math:`c_i`), so the CDF at the centres is the trapezoidal sum

    .. math::
        F(c_0) = 0, \qquad
        F(c_i) = \frac{1}{Z}\sum_{j=1}^{i} \frac{p_{j-1} + p_j}{2},
        \qquad Z = \sum_{j=1}^{l-1} \frac{p_{j-1} + p_j}{2},

    which is 0 at the left edge (0) and 1 at the right edge (1), non-decreasing, and linear
    interpolation between the centres is its CDF everywhere up to the quadratic term. With the
    same convention for both distributions, ``transport_1d`` maps 0 to 0 and 1 to 1 (batch
    minimum to noise minimum, maximum to maximum in the primal block).

    Args:
        hist: ``(..., l)`` non-negative histogram, ``l >= 2``.

    Returns:
        ``(..., l)`` CDF values at the centres.
    """
    steps = 0.5 * (hist[..., 1:] + hist[..., :-1])
    cumulative = torch.cat([torch.zeros_like(hist[..., :1]), torch.cumsum(steps, dim=-1)], -1)
    total = cumulative[..., -1:].clamp_min(torch.finfo(hist.dtype).tiny)
    return cumulative / total


def interpolate(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    r"""Batched piecewise-linear interpolation, like ``numpy.interp`` on the last dimension.

    .. math::
        f(x) = f_k + \frac{x - x_k}{x_{k+1} - x_k} (f_{k+1} - f_k), \qquad x_k \le x < x_{k+1},

    and :math:`f(x) = f_0` left of :math:`x_0`, :math:`f_{L-1}` right of :math:`x_{L-1}`.
    Differentiable in ``x``, ``xp`` and ``fp``. Repeated knots (zero-width intervals) are
    tolerated: the value jumps there, without division by zero.

    Args:
        x: ``(..., n)`` query points.
        xp: ``(..., L)`` knots, non-decreasing along the last dimension.
        fp: ``(..., L)`` values at the knots.
        Leading dimensions of the three broadcast.

    Returns:
        ``(..., n)`` interpolated values.
    """
    batch = torch.broadcast_shapes(x.shape[:-1], xp.shape[:-1], fp.shape[:-1])
    n_knots = xp.shape[-1]
    x = x.expand(*batch, x.shape[-1])
    xp = xp.expand(*batch, n_knots)
    fp = fp.expand(*batch, n_knots)
    right = torch.searchsorted(xp.detach().contiguous(), x.detach().contiguous(), right=True)
    right = right.clamp(1, n_knots - 1)
    left = right - 1
    x_left, x_right = xp.gather(-1, left), xp.gather(-1, right)
    f_left, f_right = fp.gather(-1, left), fp.gather(-1, right)
    width = x_right - x_left
    positive = width > 0
    safe_width = torch.where(positive, width, torch.ones_like(width))
    weight = torch.where(positive, (x - x_left) / safe_width, (x >= x_right).to(x.dtype))
    weight = weight.clamp(0.0, 1.0)
    return f_left + weight * (f_right - f_left)


def inverse_cdf(q: Tensor, cdf: Tensor, centres: Tensor) -> Tensor:
    r"""Quantile function :math:`F^{-1}(q)` by linear interpolation of the inverse.

    ``interpolate(q, F(c), c)``: the piecewise-linear CDF through the points
    :math:`(c_i, F(c_i))` is inverted exactly. Flat stretches of F (empty bins) would make the
    inverse multivalued; a tiny strictly increasing ramp, :math:`\tilde F = (F + \epsilon\,
    i/(l-1)) / (1 + \epsilon)` with :math:`\epsilon = 256\,` machine epsilon, keeps the knots
    increasing and the endpoints at 0 and 1, so the inverse is a function that crosses a flat
    stretch at once.

    Args:
        q: ``(..., n)`` levels in [0, 1].
        cdf: ``(..., l)`` CDF values at the centres (``histogram_cdf``).
        centres: ``(l,)`` or ``(..., l)`` increasing bin centres.

    Returns:
        ``(..., n)`` quantiles.
    """
    eps = 256 * torch.finfo(cdf.dtype).eps
    ramp = torch.linspace(0.0, 1.0, cdf.shape[-1], device=cdf.device, dtype=cdf.dtype)
    return interpolate(q, (cdf + eps * ramp) / (1 + eps), centres)


def transport_1d(y: Tensor, z: Tensor, n_bins: int = 32, alpha: float | None = None) -> Tensor:
    r"""Differentiable 1D optimal transport map of y's distribution onto z's, per row.

    .. math::
        \tau(y) = F_z^{-1}\big(F_y(y)\big)

    the increasing rearrangement (Wu, Huang et al. 2019, Eq. 4 and Algorithm 1), with
    :math:`F_y, F_z` the soft-histogram CDFs (``soft_histogram`` then ``histogram_cdf``) of the
    rows, :math:`F_y(y)` evaluated by linear interpolation between centres and
    :math:`F_z^{-1}` by ``inverse_cdf``.

    Args:
        y: ``(..., b)`` values in [0, 1] to transport.
        z: ``(..., b')`` target samples in [0, 1]; leading dimensions broadcast with ``y``'s.
        n_bins, alpha: see ``soft_histogram``.

    Returns:
        ``(..., b)`` transported values in [0, 1].
    """
    centres = _bin_centres(n_bins, y)
    cdf_y = histogram_cdf(soft_histogram(y, n_bins, alpha))
    cdf_z = histogram_cdf(soft_histogram(z, n_bins, alpha))
    return inverse_cdf(interpolate(y, centres, cdf_y), cdf_z, centres)


def transport_1d_exact(y: Tensor, z: Tensor) -> Tensor:
    r"""Exact 1D optimal transport of the empirical measure of y onto that of z, by sorting.

    For equal sizes the increasing rearrangement sends the sample of rank i to the i-th smallest
    target value, :math:`\tau(y_{(i)}) = z_{(i)}` (Peyre and Cuturi 2019, Remark 2.28): the
    exact counterpart of ``transport_1d``'s soft-histogram map, with no bins. For unequal sizes
    the target quantile at level :math:`i/(b-1)` is read off the sorted targets by linear
    interpolation.

    The values are exact; the derivative is that of the piecewise-linear map through the knots
    :math:`(y_{(i)}, z_{(i)})` (knots held fixed), the local slope
    :math:`(z_{(i+1)} - z_{(i)}) / (y_{(i+1)} - y_{(i)})`. A rank map alone has zero derivative
    almost everywhere, which would leave every layer before an SWD block untrained; the
    official SWAE code likewise evaluates its (non-differentiable) inverse CDF by linear
    interpolation at each sample.

    Args:
        y: ``(..., b)`` values to transport.
        z: ``(..., b')`` target samples; leading dimensions broadcast with ``y``'s.

    Returns:
        ``(..., b)`` transported values (in z's units).
    """
    sorted_y = torch.sort(y.detach(), dim=-1).values
    sorted_z = torch.sort(z, dim=-1).values
    b, b_target = y.shape[-1], z.shape[-1]
    if b_target != b:
        levels = torch.linspace(0.0, 1.0, b, device=z.device, dtype=z.dtype)
        positions = torch.linspace(0.0, 1.0, b_target, device=z.device, dtype=z.dtype)
        sorted_z = interpolate(levels, positions, sorted_z)
    return interpolate(y, sorted_y, sorted_z)


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------


class OrthogonalProjection(nn.Module):
    r"""Learnable ``(d, k)`` projection with orthonormal columns, :math:`W^T W = I_k`.

    ``forward(x) = x @ W``: coordinate j is :math:`\theta_j^T x`. W stays on the Stiefel
    manifold under any optimiser because it is not a free parameter but the image of one:
    ``torch.nn.utils.parametrizations.orthogonal`` with the **Cayley** map and the
    (dynamic-trivialisation) base of Lezcano-Casado and Martinez-Rubio 2019,

    .. math::
        W = B \,\big[(I - A/2)^{-1} (I + A/2)\big]_{[:, :k]}, \qquad A = X - X^T,

    B the orthogonal base set at initialisation, X the free (lower-triangular) parameter. The
    Cayley transform of a skew-symmetric matrix is orthogonal to rounding error for any X, so
    no drift accumulates over training; at X = 0 its differential is the identity, so the first
    gradient on X is the skew part of :math:`W^T G`, the Riemannian gradient
    :math:`G - W\,\mathrm{sym}(W^T G)` that the official SWGAN code feeds to Adam before its QR
    retraction (swgen replaces that hand-written Stiefel update by the parametrisation, which
    works with every optimiser). Cayley rather than torch's default matrix exponential: one
    linear solve per forward, measured ~10x cheaper on CPU for 16x16 and 128x128 weights.

    Initialisation as the official code: Q of QR of a Gaussian ``(d, k)`` matrix with
    :math:`\mathrm{diag}(R) > 0`.

    Args:
        d: input dimension.
        k: number of directions, ``k <= d``; default ``d`` (a rotation).
        copies: if given, a stack of that many independent projections, ``weight`` of shape
            ``(copies, d, k)``, parametrised in one batched Cayley map (one batched linear
            solve for SWGAN's m dual blocks instead of m calls).
    """

    def __init__(self, d: int, k: int | None = None, copies: int | None = None) -> None:
        super().__init__()
        k = d if k is None else k
        if not 1 <= k <= d:
            raise ValueError(f"swgen: OrthogonalProjection needs 1 <= k <= d, got d={d}, k={k}")
        self.d, self.k, self.copies = d, k, copies
        shape = (d, k) if copies is None else (copies, d, k)
        self.weight = nn.Parameter(_orthonormal_qr(torch.randn(*shape)))
        parametrizations.orthogonal(self, "weight", orthogonal_map="cayley")

    def forward(self, x: Tensor) -> Tensor:
        """``(..., d) -> (..., k)``: ``x @ W`` (``(copies, ..., k)`` for a stack of copies)."""
        return x @ self.weight

    def extra_repr(self) -> str:
        copies = "" if self.copies is None else f", copies={self.copies}"
        return f"d={self.d}, k={self.k}{copies}"


class PrimalSWDBlock(nn.Module):
    r"""Algorithm 1, primal SWD block (Wu, Huang et al., CVPR 2019).

    Moves a batch of codes y towards the distribution of the noise z along ``dim`` learned
    orthonormal directions :math:`O = [\theta_1, \dots, \theta_r]`:

    1. project: :math:`y'_i = \theta_i^T y`, :math:`z'_i = \theta_i^T z`;
    2. min-max normalise each coordinate over the batch, y and z separately:
       :math:`y''_i = (y'_i - \min y'_i) / (\max y'_i - \min y'_i)` (same for z; the range is
       clamped below by ``eps``);
    3. transport each coordinate by the soft-histogram map
       :math:`t_i = F_{z''_i}^{-1}(F_{y''_i}(y''_i))` (``transport_1d``, ``n_bins`` bins);
    4. undo the normalisation with the noise's range:
       :math:`\hat y_i = (\max z'_i - \min z'_i)\, t_i + \min z'_i`;
    5. rotate back: :math:`\tilde y = O \hat y`, i.e. ``y_hat @ O.T`` for row batches.

    ``forward(y, z=None)``: y ``(b, dim)``; z ``(b', dim)``, drawn from N(0, I) like y when
    None. Returns ``(b, dim)``.

    ``transport="sort"`` replaces steps 2-4 by the exact rank map of ``transport_1d_exact``
    (the batch's i-th smallest projected code goes to the i-th smallest projected noise value;
    min-max normalisation changes no rank, so it is skipped): the paper's soft histogram without
    its binning error, for comparison.
    """

    TRANSPORTS = ("soft-histogram", "sort")

    def __init__(
        self,
        dim: int,
        n_bins: int = 32,
        alpha: float | None = None,
        eps: float = 1e-8,
        transport: str = "soft-histogram",
    ) -> None:
        super().__init__()
        if transport not in self.TRANSPORTS:
            raise ValueError(
                f"swgen: unknown transport {transport!r}; use one of {', '.join(self.TRANSPORTS)}"
            )
        self.projection = OrthogonalProjection(dim)
        self.n_bins, self.alpha, self.eps = n_bins, alpha, eps
        self.transport = transport

    def _normalise(self, projected: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        low = projected.amin(dim=-1, keepdim=True)
        span = (projected.amax(dim=-1, keepdim=True) - low).clamp_min(self.eps)
        return (projected - low) / span, low, span

    def forward(self, y: Tensor, z: Tensor | None = None) -> Tensor:
        if z is None:
            z = torch.randn_like(y)
        rotation = self.projection.weight
        if self.transport == "sort":
            moved = transport_1d_exact(_project_rows(y, rotation), _project_rows(z, rotation))
            return moved.T @ rotation.T
        y_normal, _, _ = self._normalise(_project_rows(y, rotation))
        z_normal, z_low, z_span = self._normalise(_project_rows(z, rotation))
        moved = transport_1d(y_normal, z_normal, self.n_bins, self.alpha)
        y_hat = z_span * moved + z_low
        return y_hat.T @ rotation.T

    def extra_repr(self) -> str:
        return f"n_bins={self.n_bins}, alpha={self.alpha}, transport={self.transport}"


class DualSWDBlock(nn.Module):
    r"""Algorithm 3, dual SWD block (Wu, Huang et al., CVPR 2019).

    For learned orthonormal directions :math:`O = [\theta_1, \dots, \theta_r]`, each coordinate
    gets its own 1D potential (the f of the dual 1D Wasserstein problem, paper Eq. 10):

    .. math::
        F_i(t) = \mathrm{LeakyReLU}_s(a_i t + b_i), \qquad \text{output}_i = F_i(\theta_i^T y),

    with slope s = ``negative_slope``, scales :math:`a_i` initialised to 1 and offsets
    :math:`b_i` to 0 (official code). ``forward(y)``: ``(b, dim) -> (b, dim)``.

    ``copies = m`` holds the m blocks of an SWGAN critic in one module (outputs concatenated,
    ``(b, m * dim)``): the same functions as m separate blocks, computed with one matrix
    product and one batched orthogonal parametrisation.
    """

    def __init__(self, dim: int, negative_slope: float = 0.2, copies: int = 1) -> None:
        super().__init__()
        self.dim, self.copies = dim, copies
        self.projection = OrthogonalProjection(dim, copies=copies if copies > 1 else None)
        self.scale = nn.Parameter(torch.ones(copies * dim))
        self.offset = nn.Parameter(torch.zeros(copies * dim))
        self.negative_slope = negative_slope

    def directions(self) -> Tensor:
        """All directions as the columns of one ``(dim, copies * dim)`` matrix, block by block."""
        weight = self.projection.weight
        if weight.dim() == 2:
            return weight
        return weight.transpose(0, 1).reshape(self.dim, self.copies * self.dim)

    def _pre_activation(self, y: Tensor) -> Tensor:
        return self.scale * (y @ self.directions()) + self.offset

    def forward(self, y: Tensor) -> Tensor:
        return F.leaky_relu(self._pre_activation(y), self.negative_slope)

    def derivative(self, y: Tensor) -> Tensor:
        r"""True derivative :math:`F_i'(t)` at :math:`t = \theta_i^T y`, ``(b, dim)``.

        .. math::
            F_i'(t) = a_i \cdot \begin{cases} 1 & a_i t + b_i > 0 \\ s & \text{otherwise}
            \end{cases}

        Differentiable with respect to the scales :math:`a_i`, as SWGAN's penalty
        :math:`\lambda_2\, \mathrm{mean}((F'(t) - k)^2)` needs (Algorithm 4). The official code
        uses an expression that is not this derivative: :meth:`official_slope`.
        """
        pre_activation = self._pre_activation(y)
        slope = torch.full_like(pre_activation, self.negative_slope).detach()
        slope = torch.where(pre_activation > 0, torch.ones_like(slope), slope)
        return self.scale * slope

    def official_slope(self, y: Tensor) -> Tensor:
        r"""The official SWGAN code's stand-in for :math:`F_i'`, ``(b, dim)``.

        The code (``standard_training/swgan_64x64.py``, "directly compute the derivate of swd
        block") penalises, with :math:`\ell = F_i(t)` the block's output,

        .. math::
            g_i = a_i \big(0.1 (|\ell| - \ell) + 0.5 (|\ell| + \ell)\big)
                = a_i \cdot \begin{cases} \ell & \ell > 0 \\ -0.2\,\ell & \text{otherwise}
                \end{cases}

        (the constants are the code's, whatever ``negative_slope``). This is not the derivative:
        it is :math:`a_i |u|` (times 1 or :math:`0.2 s`) for the pre-activation
        :math:`u = a_i t + b_i`, so :math:`(g - k)^2` pulls the pre-activations of the
        interpolated codes towards :math:`|u| \approx k / a_i` and its gradient reaches the
        encoder, the projections and the offsets, not only the scales :math:`a_i` as the true
        derivative's does.
        """
        output = self.forward(y)
        return self.scale * (0.1 * (output.abs() - output) + 0.5 * (output.abs() + output))

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}, copies={self.copies}"
