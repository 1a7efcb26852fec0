"""The generator's exponential moving average."""

import torch
from torch import nn

from swgen.train.ema import ExponentialMovingAverage


def test_ema_follows_the_recurrence_and_copies_buffers():
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ema = ExponentialMovingAverage({"generator": module}, decay=0.9)
    start = module[0].weight.detach().clone()
    expected = start.clone()
    for _ in range(5):
        with torch.no_grad():
            module[0].weight.add_(1.0)
        module(torch.randn(8, 3))  # updates BatchNorm running statistics
        ema.update()
        expected = 0.9 * expected + 0.1 * module[0].weight.detach()
    shadow = ema.state_dict()["generator"]
    torch.testing.assert_close(shadow["0.weight"], expected)
    torch.testing.assert_close(shadow["1.running_mean"], module[1].running_mean)


def test_applied_swaps_weights_in_and_back():
    module = nn.Linear(2, 2)
    ema = ExponentialMovingAverage({"generator": module}, decay=0.5)
    live = module.weight.detach().clone()
    with torch.no_grad():
        module.weight.add_(2.0)
    ema.update()
    with ema.applied():
        torch.testing.assert_close(module.weight.detach(), live + 1.0)
    torch.testing.assert_close(module.weight.detach(), live + 2.0)
