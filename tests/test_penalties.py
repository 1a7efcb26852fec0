"""Closed-form checks of the critic penalties (per-sample mixing, per-sample norms)."""

import pytest
import torch

from swgen.models.penalties import gradient_penalty, interpolate, slope_penalty


def test_interpolate_draws_one_weight_per_sample():
    torch.manual_seed(0)
    real, fake = torch.zeros(16, 3, 4, 4), torch.ones(16, 3, 4, 4)
    mu = interpolate(real, fake)  # equals the weight itself
    per_sample = mu.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample))
    assert per_sample[:, 0].std() > 0.1  # different samples, different weights
    assert (mu >= 0).all() and (mu <= 1).all()


@pytest.mark.parametrize("shape", [(8, 5), (8, 3, 4, 4)])
@pytest.mark.parametrize("target", [1.0, 0.0])
def test_linear_critic_penalty_is_closed_form(shape, target):
    torch.manual_seed(0)
    w = torch.randn(shape[1:], requires_grad=True)

    def critic(x):
        return (x * w).flatten(1).sum(1)  # <w, x>: gradient w everywhere

    penalty, _ = gradient_penalty(critic, torch.randn(shape), torch.randn(shape), target=target)
    expected = (w.norm() - target) ** 2
    assert torch.allclose(penalty, expected, atol=1e-5)
    # create_graph: the penalty back-propagates into the critic's weights
    (grad_w,) = torch.autograd.grad(penalty, w)
    assert torch.allclose(grad_w, 2 * (w.norm() - target) * w / w.norm(), atol=1e-5)


def test_quadratic_critic_penalty_uses_each_samples_flattened_gradient():
    torch.manual_seed(0)
    real, fake = torch.randn(6, 2, 3, 3), torch.randn(6, 2, 3, 3)

    def critic(x):
        return 0.5 * x.flatten(1).pow(2).sum(1)  # gradient x_hat, different for every sample

    penalty, x_hat = gradient_penalty(critic, real, fake, target=1.0)
    expected = ((x_hat.detach().flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert torch.allclose(penalty, expected, atol=1e-6)
    wrong_axis = ((x_hat.detach().norm(dim=1) - 1) ** 2).mean()  # PyTorch-GAN's mistake
    assert not torch.allclose(penalty, wrong_axis)
    zero_centred, x_hat = gradient_penalty(critic, real, fake, target=0.0)
    assert torch.allclose(zero_centred, x_hat.detach().flatten(1).pow(2).sum(1).mean(), atol=1e-5)


def test_slope_penalty_averages_squared_slope_errors_over_blocks():
    class FixedSlope(torch.nn.Module):
        def __init__(self, slope):
            super().__init__()
            self.slope = slope

        def derivative(self, y):
            return torch.full_like(y, self.slope)

    codes = torch.randn(5, 4)
    value = slope_penalty([FixedSlope(1.0), FixedSlope(0.5)], codes, k=0.5)
    assert torch.isclose(value, torch.tensor(0.125))  # ((0.5)^2 + 0^2) / 2
