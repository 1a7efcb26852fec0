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


def test_official_gradient_weighting_scales_each_samples_gradient_by_one_minus_mu():
    torch.manual_seed(0)
    w = torch.randn(5, requires_grad=True)

    def critic(x):
        return x @ w  # gradient w everywhere

    # real = 0 and fake = 1 make x_hat = mu, so the test reads each sample's mu off x_hat
    real, fake = torch.zeros(64, 5), torch.ones(64, 5)
    penalty, x_hat = gradient_penalty(critic, real, fake, target=0.0, weighting="official")
    mu = x_hat.detach()[:, 0]
    expected = ((1 - mu) ** 2).mean() * w.detach().square().sum()
    assert torch.allclose(penalty, expected, atol=1e-5)
    paper, _ = gradient_penalty(critic, real, fake, target=0.0, weighting="paper")
    assert torch.allclose(paper, w.detach().square().sum(), atol=1e-5)
    assert penalty < 0.6 * paper  # E(1 - mu)^2 = 1/3
    with pytest.raises(ValueError, match="weighting"):
        gradient_penalty(critic, real, fake, weighting="code")


def _one_coordinate_block(scale: float, offset: float):
    from swgen.sliced import DualSWDBlock

    block = DualSWDBlock(1, negative_slope=0.2)
    with torch.no_grad():
        block.scale.fill_(scale)
        block.offset.fill_(offset)
    return block


def test_slope_penalty_forms_against_hand_computed_values():
    # one coordinate, theta = +-1 (the only 1x1 orthogonal matrices): t = theta * y
    block = _one_coordinate_block(scale=2.0, offset=0.5)
    theta = block.directions().item()
    ys = torch.tensor([[1.0], [-2.0]]) * theta  # t = 1 and t = -2
    # pre-activations u = 2 t + 0.5: 2.5 and -3.5; outputs F = 2.5 and -0.7
    true = block.derivative(ys).detach().flatten()
    assert torch.allclose(true, torch.tensor([2.0, 0.4]))  # a and 0.2 a
    official = block.official_slope(ys).detach().flatten()
    # a * F = 5.0 on the positive side, a * (-0.2 F) = 2 * 0.14 = 0.28 on the negative side
    assert torch.allclose(official, torch.tensor([5.0, 0.28]))
    k = 0.001
    true_penalty = slope_penalty([block], ys, k, form="derivative").item()
    assert true_penalty == pytest.approx(((2.0 - k) ** 2 + (0.4 - k) ** 2) / 2, rel=1e-6)
    official_penalty = slope_penalty([block], ys, k, form="official").item()
    assert official_penalty == pytest.approx(((5.0 - k) ** 2 + (0.28 - k) ** 2) / 2, rel=1e-6)


def test_official_slope_penalty_trains_encoder_side_inputs_and_offsets_true_one_does_not():
    block = _one_coordinate_block(scale=1.5, offset=0.3)
    codes = torch.randn(8, 1, requires_grad=True)
    for form, reaches_inputs in (("derivative", False), ("official", True)):
        block.zero_grad()
        codes.grad = None
        slope_penalty([block], codes, 0.001, form=form).backward()
        assert block.scale.grad.abs().sum() > 0
        offset_grad = 0.0 if block.offset.grad is None else block.offset.grad.abs().sum()
        input_grad = 0.0 if codes.grad is None else codes.grad.abs().sum()
        assert (offset_grad > 0) == reaches_inputs
        assert (input_grad > 0) == reaches_inputs
    with pytest.raises(ValueError, match="form"):
        slope_penalty([block], codes, 0.001, form="true")
