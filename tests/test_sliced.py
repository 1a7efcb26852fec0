"""Tests of swgen.sliced: distances against scipy, POT and closed forms; the soft-histogram
transport and the SWD blocks against their definitions; gradients by finite differences."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
import scipy.stats
import torch
from torch.autograd import gradcheck

from swgen.sliced import (
    DualSWDBlock,
    OrthogonalProjection,
    PrimalSWDBlock,
    histogram_cdf,
    interpolate,
    inverse_cdf,
    orthogonal_directions,
    random_directions,
    sliced_wasserstein,
    soft_histogram,
    transport_1d,
    wasserstein_1d,
)

DOUBLE = torch.float64
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def one_cpu_thread():
    """These tensors are tiny: intra-op threads only add overhead (50x on a loaded 2-core box)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------------------------
# wasserstein_1d
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n, m", [(30, 30), (30, 17), (5, 64), (1, 9)])
def test_wasserstein_1d_p1_matches_scipy(seed: int, n: int, m: int) -> None:
    g = generator(seed)
    u = torch.randn(n, generator=g, dtype=DOUBLE)
    v = 2 * torch.randn(m, generator=g, dtype=DOUBLE) + 0.5
    expected = scipy.stats.wasserstein_distance(u.numpy(), v.numpy())
    assert wasserstein_1d(u, v, p=1).item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("m", [100_000, 70_001])
def test_wasserstein_1d_p2_gaussians_closed_form(m: int) -> None:
    # W_2(N(m1, s1^2), N(m2, s2^2)) = sqrt((m1 - m2)^2 + (s1 - s2)^2).
    g = generator(3)
    u = 1.0 + 2.0 * torch.randn(100_000, generator=g, dtype=DOUBLE)
    v = -0.5 + 0.5 * torch.randn(m, generator=g, dtype=DOUBLE)
    exact = math.sqrt(1.5**2 + 1.5**2)
    assert wasserstein_1d(u, v, p=2).item() == pytest.approx(exact, abs=0.02)


@pytest.mark.parametrize("p", [2, 3])
@pytest.mark.parametrize("n, m", [(40, 40), (40, 23), (8, 51)])
def test_wasserstein_1d_matches_pot(p: int, n: int, m: int) -> None:
    g = generator(4)
    u = torch.rand(n, generator=g, dtype=DOUBLE)
    v = torch.randn(m, generator=g, dtype=DOUBLE)
    # POT returns the p-th power of W_p.
    expected = ot.wasserstein_1d(u.numpy(), v.numpy(), p=p) ** (1 / p)
    assert wasserstein_1d(u, v, p=p).item() == pytest.approx(expected, rel=1e-8)
    if p == 2:
        emd = ot.emd2_1d(u.numpy(), v.numpy(), metric="sqeuclidean") ** 0.5
        assert wasserstein_1d(u, v, p=p).item() == pytest.approx(emd, rel=1e-8)


@pytest.mark.parametrize("m", [20, 13])
def test_wasserstein_1d_batched_equals_loop(m: int) -> None:
    g = generator(5)
    u = torch.randn(3, 4, 20, generator=g, dtype=DOUBLE)
    v = torch.randn(3, 4, m, generator=g, dtype=DOUBLE)
    batched = wasserstein_1d(u, v, p=2)
    assert batched.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert batched[i, j].item() == pytest.approx(wasserstein_1d(u[i, j], v[i, j]).item())
    # Leading dimensions broadcast.
    assert torch.allclose(wasserstein_1d(u, v[0, 0]), wasserstein_1d(u, v[0, 0].expand(3, 4, m)))


def test_wasserstein_1d_zero_distance_has_finite_gradient() -> None:
    u = torch.randn(10, dtype=DOUBLE, requires_grad=True)
    distance = wasserstein_1d(u, u.detach().flip(0), p=2)
    distance.backward()
    assert distance.item() == 0.0
    assert torch.isfinite(u.grad).all()


def test_wasserstein_1d_gradcheck() -> None:
    g = generator(6)
    u = torch.randn(2, 7, generator=g, dtype=DOUBLE, requires_grad=True)
    v = torch.randn(2, 7, generator=g, dtype=DOUBLE, requires_grad=True)
    w = torch.randn(2, 4, generator=g, dtype=DOUBLE, requires_grad=True)
    assert gradcheck(lambda a, b: wasserstein_1d(a, b, p=2), (u, v))
    assert gradcheck(lambda a, b: wasserstein_1d(a, b, p=2), (u, w))
    assert gradcheck(lambda a, b: wasserstein_1d(a, b, p=1.5), (u, w))


# --------------------------------------------------------------------------------------------
# directions and sliced_wasserstein
# --------------------------------------------------------------------------------------------


def test_random_directions_are_unit_columns() -> None:
    theta = random_directions(7, 50, generator(0), dtype=DOUBLE)
    assert theta.shape == (7, 50) and theta.dtype == DOUBLE
    assert torch.allclose(theta.norm(dim=0), torch.ones(50, dtype=DOUBLE))
    assert not torch.allclose(theta[:, 0], theta[:, 1])


def test_orthogonal_directions_are_orthonormal_in_blocks() -> None:
    d, k = 6, 15
    theta = orthogonal_directions(d, k, generator(0), dtype=DOUBLE)
    assert theta.shape == (d, k)
    for start in range(0, k, d):
        block = theta[:, start : start + d]
        eye = torch.eye(block.shape[1], dtype=DOUBLE)
        assert torch.allclose(block.T @ block, eye, atol=1e-12)
    # Different blocks are different rotations.
    assert not torch.allclose(theta[:, :d].abs(), theta[:, d : 2 * d].abs())


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("m", [60, 45])
def test_sliced_wasserstein_matches_pot(p: int, m: int) -> None:
    g = generator(7)
    x = torch.randn(60, 5, generator=g, dtype=DOUBLE)
    y = torch.rand(m, 5, generator=g, dtype=DOUBLE) + 0.3
    theta = random_directions(5, 40, g, dtype=DOUBLE)
    # POT: projections (d, k) as columns, returns (mean_k W_p^p)^(1/p).
    expected = ot.sliced_wasserstein_distance(x.numpy(), y.numpy(), p=p, projections=theta.numpy())
    assert sliced_wasserstein(x, y, p=p, projections=theta).item() == pytest.approx(
        expected, rel=1e-8
    )


@pytest.mark.parametrize("kind", ["random", "orthogonal"])
def test_sliced_wasserstein_drawn_directions_are_seeded(kind: str) -> None:
    g = generator(8)
    x = torch.randn(100, 4, generator=g)
    y = torch.randn(100, 4, generator=g) * 2
    first = sliced_wasserstein(x, y, 16, projections=kind, generator=generator(1))
    again = sliced_wasserstein(x, y, 16, projections=kind, generator=generator(1))
    other = sliced_wasserstein(x, y, 16, projections=kind, generator=generator(2))
    assert first.item() == again.item() != other.item()
    theta = (random_directions if kind == "random" else orthogonal_directions)(4, 16, generator(1))
    assert first.item() == pytest.approx(sliced_wasserstein(x, y, projections=theta).item())


def test_max_sliced_finds_the_direction_that_differs() -> None:
    g = generator(9)
    x = torch.randn(500, 10, generator=g)
    y = torch.randn(500, 10, generator=g)
    y[:, 3] += 3.0
    random = sliced_wasserstein(x, y, 256, projections="random", generator=generator(0))
    maximal = sliced_wasserstein(x, y, projections="max", generator=generator(0))
    assert maximal > random
    # The worst direction is e_3, along which W_2 is about the shift.
    assert maximal.item() == pytest.approx(3.0, rel=0.1)


def test_sliced_wasserstein_accepts_modules_and_callables() -> None:
    g = generator(10)
    x = torch.randn(50, 6, generator=g)
    y = torch.randn(40, 6, generator=g) + 1
    projection = OrthogonalProjection(6, 3)
    via_module = sliced_wasserstein(x, y, projections=projection)
    via_tensor = sliced_wasserstein(x, y, projections=projection.weight)
    via_callable = sliced_wasserstein(x, y, projections=lambda points: points[:, :2])
    assert via_module.item() == pytest.approx(via_tensor.item(), rel=1e-5)
    assert via_callable.item() == pytest.approx(
        sliced_wasserstein(x, y, projections=torch.eye(6)[:, :2]).item(), rel=1e-6
    )
    via_module.backward()
    assert all(p.grad is not None for p in projection.parameters())


def test_sliced_wasserstein_rejects_bad_arguments() -> None:
    x = torch.randn(5, 3)
    with pytest.raises(ValueError, match="unknown projections"):
        sliced_wasserstein(x, x, projections="spherical")
    with pytest.raises(ValueError, match=r"\(d, k\)"):
        sliced_wasserstein(x, x, projections=torch.randn(4, 2))
    with pytest.raises(ValueError, match="needs x"):
        sliced_wasserstein(x, torch.randn(5, 4))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("projections", ["random", "orthogonal", "max"])
def test_sliced_wasserstein_gradients_flow_to_x(device: str, projections: str) -> None:
    g = torch.Generator(device).manual_seed(0)
    x = torch.randn(64, 8, device=device, requires_grad=True)
    y = torch.randn(64, 8, device=device) + 1
    distance = sliced_wasserstein(x, y, 32, projections=projections, generator=g)
    distance.backward()
    assert distance.device == x.device and distance.dtype == x.dtype
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("m", [9, 6])
def test_sliced_wasserstein_gradcheck(m: int) -> None:
    g = generator(11)
    x = torch.randn(9, 3, generator=g, dtype=DOUBLE, requires_grad=True)
    y = torch.randn(m, 3, generator=g, dtype=DOUBLE, requires_grad=True)
    theta = random_directions(3, 5, g, dtype=DOUBLE).requires_grad_(True)
    assert gradcheck(lambda a, b, t: sliced_wasserstein(a, b, projections=t), (x, y, theta))


# --------------------------------------------------------------------------------------------
# OrthogonalProjection
# --------------------------------------------------------------------------------------------


def test_orthogonal_projection_starts_orthonormal_and_projects() -> None:
    torch.manual_seed(0)
    projection = OrthogonalProjection(5, 3)
    weight = projection.weight
    assert weight.shape == (5, 3)
    assert torch.allclose(weight.T @ weight, torch.eye(3), atol=1e-6)
    x = torch.randn(2, 4, 5)
    assert torch.allclose(projection(x), x @ weight)
    assert OrthogonalProjection(4).weight.shape == (4, 4)
    with pytest.raises(ValueError):
        OrthogonalProjection(3, 4)


@pytest.mark.parametrize(
    "optimiser, k, steps",
    [(torch.optim.Adam, None, 1000), (torch.optim.Adam, 5, 1000), (torch.optim.RMSprop, 5, 300)],
)
def test_orthogonal_projection_stays_orthonormal_under_training(
    optimiser: type[torch.optim.Optimizer], k: int | None, steps: int
) -> None:
    torch.manual_seed(0)
    projection = OrthogonalProjection(16, k)
    start = projection.weight.detach().clone()
    target = 10 * torch.randn_like(start)
    x = torch.randn(64, 16)
    opt = optimiser(projection.parameters(), lr=0.02)
    for _ in range(steps):
        weight = projection.weight
        loss = -(weight * target).sum() + (x @ weight).pow(4).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    weight = projection.weight.detach()
    assert (weight - start).abs().max() > 0.1  # it did train
    eye = torch.eye(weight.shape[1])
    assert (weight.T @ weight - eye).abs().max() < 1e-4


# --------------------------------------------------------------------------------------------
# soft histogram, CDF, interpolation, transport
# --------------------------------------------------------------------------------------------


def test_soft_histogram_definition_and_default_sharpness() -> None:
    g = generator(12)
    x = torch.rand(3, 200, generator=g, dtype=DOUBLE)
    hist = soft_histogram(x, 8)
    assert hist.shape == (3, 8)
    assert torch.allclose(hist.sum(-1), torch.ones(3, dtype=DOUBLE))
    centres = torch.linspace(0, 1, 8, dtype=DOUBLE)
    weights = torch.exp(-49 * (x[..., None] - centres) ** 2)
    assert torch.allclose(hist, (weights / weights.sum(-1, keepdim=True)).mean(-2))
    # Half-way between two centres, the two nearest bins take most of the mass.
    midway = soft_histogram(torch.tensor([[0.5 / 7]], dtype=DOUBLE), 8)[0]
    assert midway[0] == pytest.approx(midway[1]) and midway[:2].sum() > 0.75
    # A very sharp kernel is the nearest-centre histogram.
    hard = soft_histogram(x, 8, alpha=1e6)
    nearest = torch.round(x * 7).long()
    counts = torch.stack([torch.bincount(row, minlength=8) for row in nearest]).to(DOUBLE) / 200
    assert torch.allclose(hard, counts)


def test_histogram_cdf_convention() -> None:
    uniform = torch.full((2, 6), 1 / 6, dtype=DOUBLE)
    assert torch.allclose(histogram_cdf(uniform), torch.linspace(0, 1, 6, dtype=DOUBLE))
    hist = torch.tensor([0.5, 0.0, 0.0, 0.5], dtype=DOUBLE)
    # Trapezoids: masses 0.25, 0, 0.25 between centres.
    assert torch.allclose(histogram_cdf(hist), torch.tensor([0, 0.5, 0.5, 1.0], dtype=DOUBLE))
    cdf = histogram_cdf(torch.rand(4, 10, generator=generator(13)))
    assert (cdf[:, 0] == 0).all() and torch.allclose(cdf[:, -1], torch.ones(4))
    assert (cdf.diff(dim=-1) >= 0).all()


def test_interpolate_matches_numpy() -> None:
    g = generator(14)
    xp = torch.cumsum(torch.rand(3, 9, generator=g, dtype=DOUBLE), -1)
    fp = torch.randn(3, 9, generator=g, dtype=DOUBLE)
    x = torch.rand(3, 50, generator=g, dtype=DOUBLE) * 6 - 0.5  # also outside [xp0, xp-1]
    x[:, 0] = xp[:, 3]  # exactly on a knot
    ours = interpolate(x, xp, fp)
    for row in range(3):
        expected = np.interp(x[row].numpy(), xp[row].numpy(), fp[row].numpy())
        np.testing.assert_allclose(ours[row].numpy(), expected, rtol=1e-12)
    # Shared knots broadcast over a batch of queries.
    shared = interpolate(x, xp[0], fp[0])
    np.testing.assert_allclose(shared[2].numpy(), np.interp(x[2], xp[0], fp[0]), rtol=1e-12)


def test_interpolate_tolerates_repeated_knots_and_gradcheck() -> None:
    xp = torch.tensor([0.0, 0.5, 0.5, 1.0], dtype=DOUBLE)
    fp = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=DOUBLE)
    values = interpolate(torch.tensor([0.25, 0.5, 0.75], dtype=DOUBLE), xp, fp)
    assert torch.isfinite(values).all()
    assert values[0] == pytest.approx(0.5) and values[2] == pytest.approx(2.5)
    g = generator(15)
    knots = torch.cumsum(torch.rand(2, 6, generator=g, dtype=DOUBLE) + 0.1, -1)
    queries = (torch.rand(2, 7, generator=g, dtype=DOUBLE) * knots[:, -1:]).requires_grad_(True)
    values = torch.randn(2, 6, generator=g, dtype=DOUBLE, requires_grad=True)
    assert gradcheck(lambda q, f: interpolate(q, knots, f), (queries, values))


def test_inverse_cdf_inverts_and_crosses_flat_stretches() -> None:
    centres = torch.linspace(0, 1, 5, dtype=DOUBLE)
    cdf = torch.tensor([0.0, 0.1, 0.4, 0.8, 1.0], dtype=DOUBLE)
    assert torch.allclose(inverse_cdf(cdf, cdf, centres), centres, atol=1e-9)
    flat = torch.tensor([0.0, 0.5, 0.5, 0.5, 1.0], dtype=DOUBLE)
    quantiles = inverse_cdf(torch.tensor([0.25, 0.75], dtype=DOUBLE), flat, centres)
    assert torch.allclose(quantiles, torch.tensor([0.125, 0.875], dtype=DOUBLE), atol=1e-9)


def test_transport_1d_maps_uniform_to_gaussian_quantiles() -> None:
    g = generator(16)
    b = 4000
    y = torch.rand(b, generator=g, dtype=DOUBLE)
    z = torch.randn(b, generator=g, dtype=DOUBLE)
    z = (z - z.min()) / (z.max() - z.min())
    moved = transport_1d(y, z)
    # Monotone map, endpoints kept, and the moved sample is distributed like z.
    order = torch.argsort(y)
    assert (moved[order].diff() >= -1e-12).all()
    assert 0 <= moved.min() and moved.max() <= 1
    before = wasserstein_1d(y, z, p=1).item()
    after = wasserstein_1d(moved, z, p=1).item()
    assert after < 0.01 < before / 5
    # Pointwise: the empirical Gaussian quantile at each uniform level, up to the smoothing of
    # the soft bins (about one bin width, 1/31, at worst; much less on average).
    error = (moved - torch.quantile(z, y)).abs()
    assert error.max() < 1.5 / 31 and error.mean() < 0.01


def test_transport_1d_gradcheck() -> None:
    g = generator(17)
    y = torch.rand(2, 12, generator=g, dtype=DOUBLE, requires_grad=True)
    z = torch.rand(2, 9, generator=g, dtype=DOUBLE).pow(2).requires_grad_(True)
    assert gradcheck(lambda a, b: transport_1d(a, b, n_bins=8), (y, z))
    assert gradcheck(lambda a: soft_histogram(a, 8), (y,))


# --------------------------------------------------------------------------------------------
# SWD blocks
# --------------------------------------------------------------------------------------------


def test_primal_block_moves_a_uniform_batch_to_the_gaussian() -> None:
    torch.manual_seed(0)
    g = generator(18)
    b, dim = 512, 8
    y = 4 * torch.rand(b, dim, generator=g) + 1  # uniform on [1, 5]^8
    z = torch.randn(b, dim, generator=g)
    fresh = torch.randn(4096, dim, generator=g)
    theta = random_directions(dim, 1000, g)
    block = PrimalSWDBlock(dim)
    moved = block(y, z)
    assert moved.shape == (b, dim)
    before = sliced_wasserstein(y, fresh, projections=theta)
    after = sliced_wasserstein(moved, fresh, projections=theta)
    assert before > 5 * after
    # Along the block's own directions, each coordinate is moved by an increasing map onto the
    # noise's range, and its marginal now follows the noise's.
    rotation = block.projection.weight.detach()
    for i in range(dim):
        coordinate, noise = moved.detach() @ rotation[:, i], z @ rotation[:, i]
        assert coordinate.min().item() == pytest.approx(noise.min().item(), abs=1e-4)
        assert coordinate.max().item() == pytest.approx(noise.max().item(), abs=1e-4)
        assert (coordinate[torch.argsort(y @ rotation[:, i])].diff() > -1e-5).all()
        assert wasserstein_1d(coordinate, noise, p=1) < 0.1
    # Without noise given, the block draws its own, shaped like y.
    assert block(y).shape == (b, dim)


def test_primal_block_gradcheck() -> None:
    torch.manual_seed(1)
    block = PrimalSWDBlock(3, n_bins=8).double()
    y = torch.rand(10, 3, dtype=DOUBLE, requires_grad=True)
    z = torch.randn(12, 3, dtype=DOUBLE)
    assert gradcheck(lambda a: block(a, z), (y,))
    block(y, z).sum().backward()
    assert all(p.grad is not None for p in block.parameters())


def test_dual_block_forward_and_true_derivative() -> None:
    torch.manual_seed(2)
    block = DualSWDBlock(6).double()
    with torch.no_grad():
        block.scale.copy_(torch.linspace(-1.5, 2.0, 6))
        block.offset.copy_(torch.linspace(-0.5, 0.5, 6))
    y = torch.randn(20, 6, dtype=DOUBLE)
    t = (y @ block.projection.weight).detach().requires_grad_(True)
    features = torch.nn.functional.leaky_relu(block.scale * t + block.offset, 0.2)
    assert torch.allclose(block(y), features)
    (autograd_derivative,) = torch.autograd.grad(features.sum(), t)
    derivative = block.derivative(y)
    assert derivative.shape == (20, 6)
    assert torch.allclose(derivative, autograd_derivative)
    # Both branches of the leaky ReLU are exercised.
    assert (derivative == block.scale).any() and (derivative == 0.2 * block.scale).any()

    # The derivative is differentiable in the scales (gradcheck through the method).
    class Derivative(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = block

        def forward(self, points: torch.Tensor) -> torch.Tensor:
            return self.block.derivative(points)

    def derivative_of_scale(scale: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(Derivative(), {"block.scale": scale}, (y,))

    scale = block.scale.detach().clone().requires_grad_(True)
    assert gradcheck(derivative_of_scale, (scale,))
    block.derivative(y).square().mean().backward()
    assert block.scale.grad is not None and block.scale.grad.abs().sum() > 0


def test_dual_block_initialisation_is_official() -> None:
    block = DualSWDBlock(4)
    assert torch.equal(block.scale, torch.ones(4)) and torch.equal(block.offset, torch.zeros(4))
    weight = block.projection.weight
    assert torch.allclose(weight.T @ weight, torch.eye(4), atol=1e-6)


def test_dual_block_copies_equal_separate_blocks() -> None:
    torch.manual_seed(0)
    stacked = DualSWDBlock(5, negative_slope=0.2, copies=3).double()
    with torch.no_grad():
        stacked.scale.uniform_(-1, 1)
        stacked.offset.uniform_(-0.5, 0.5)
    y = torch.randn(7, 5, dtype=DOUBLE)
    weights = stacked.projection.weight.detach()
    assert weights.shape == (3, 5, 5)
    for block in range(3):
        w = weights[block]
        torch.testing.assert_close(w.T @ w, torch.eye(5, dtype=DOUBLE), atol=1e-6, rtol=0)
        columns = slice(5 * block, 5 * block + 5)
        pre = stacked.scale[columns] * (y @ w) + stacked.offset[columns]
        expected = torch.nn.functional.leaky_relu(pre, 0.2)
        torch.testing.assert_close(stacked(y)[:, columns], expected)
        slope = torch.where(pre > 0, 1.0, 0.2).to(DOUBLE) * stacked.scale[columns]
        torch.testing.assert_close(stacked.derivative(y)[:, columns], slope)


def test_exact_transport_matches_rank_matching_in_numpy() -> None:
    from swgen.sliced import transport_1d_exact

    rng = np.random.default_rng(0)
    y, z = rng.normal(size=(3, 50)), rng.gamma(2.0, size=(3, 50))
    expected = np.empty_like(y)
    for row in range(3):
        expected[row, np.argsort(y[row])] = np.sort(z[row])  # i-th smallest -> i-th smallest
    moved = transport_1d_exact(torch.tensor(y), torch.tensor(z))
    np.testing.assert_allclose(moved.numpy(), expected, rtol=0, atol=1e-12)


def test_exact_transport_gradient_is_the_local_slope_and_reaches_the_targets() -> None:
    from swgen.sliced import transport_1d_exact

    y = torch.tensor([0.0, 1.0, 3.0], requires_grad=True)
    z = torch.tensor([10.0, 0.0, 20.0], requires_grad=True)  # sorted: 0, 10, 20
    moved = transport_1d_exact(y, z)
    assert torch.equal(moved.detach(), torch.tensor([0.0, 10.0, 20.0]))
    moved.sum().backward()
    # at a knot the value is the knot's target; its slope is that of the segment to the right
    # (the last point uses the segment to its left): (10 - 0) / 1, (20 - 10) / 2, (20 - 10) / 2
    assert torch.allclose(y.grad, torch.tensor([10.0, 5.0, 5.0]))
    assert z.grad.abs().sum() > 0


def test_primal_block_with_sorting_gives_exactly_the_noise_marginals() -> None:
    torch.manual_seed(0)
    block = PrimalSWDBlock(4, transport="sort")
    y, z = torch.randn(64, 4) * 5 + 3, torch.randn(64, 4)
    moved = block(y, z)
    rotation = block.projection.weight.detach()
    got = torch.sort((moved @ rotation).T, dim=-1).values
    want = torch.sort((z @ rotation).T, dim=-1).values
    assert torch.allclose(got, want, atol=1e-5)  # every projected marginal equals the noise's
    with pytest.raises(ValueError, match="transport"):
        PrimalSWDBlock(4, transport="histogram")
