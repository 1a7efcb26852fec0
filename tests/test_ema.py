"""The generator's exponential moving average."""

import torch
from torch import nn

from swgen.train.ema import ExponentialMovingAverage


def test_ema_follows_the_recurrence_and_copies_buffers():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ema = ExponentialMovingAverage({"generator": module}, decay=0.9)
    expected = module[0].weight.detach().clone()
    for step in range(150):
        with torch.no_grad():
            module[0].weight.add_(1.0)
        module(torch.randn(8, 3))  # updates BatchNorm running statistics
        ema.update()
        decay = min(0.9, (1 + step) / (10 + step))  # warm-up, then the set decay
        expected = decay * expected + (1 - decay) * module[0].weight.detach()
    assert ema.current_decay() == 0.9
    shadow = ema.state_dict()["shadow"]["generator"]
    torch.testing.assert_close(shadow["0.weight"], expected)
    torch.testing.assert_close(shadow["1.running_mean"], module[1].running_mean)


def test_applied_swaps_weights_in_and_back():
    module = nn.Linear(2, 2)
    ema = ExponentialMovingAverage({"generator": module}, decay=0.5)
    live = module.weight.detach().clone()
    with torch.no_grad():
        module.weight.add_(2.0)
    ema.update()  # first update: warm-up decay 1/10
    with ema.applied():
        torch.testing.assert_close(module.weight.detach(), live + 1.8)
    with torch.no_grad():
        module.weight.sub_(2.0)
    ema.updates = 100  # past the warm-up: decay 0.5
    ema.update()
    with ema.applied():
        torch.testing.assert_close(module.weight.detach(), live + 0.9)
    torch.testing.assert_close(module.weight.detach(), live)
