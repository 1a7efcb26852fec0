"""Batch norm over every process's rows (``train.sync_batch_norm``): the exact combination of
per-process moments, and the conversion of a model's layers. Two processes training the
one-process run on images is tested in test_distributed.py."""

import numpy as np
import pytest
import torch
from torch import nn

from swgen.train.batch_norm import GlobalBatchNorm, combine_moments, use_global_batch_norm


@pytest.mark.parametrize("sizes", [[8, 8], [3, 11, 1], [5]])
def test_combined_moments_are_those_of_the_whole_batch(sizes):
    rng = np.random.default_rng(0)
    groups = [rng.normal(loc=3.0, scale=2.0, size=(n, 4)) for n in sizes]
    counts = torch.tensor([[float(len(g))] * 4 for g in groups], dtype=torch.float64)
    means = torch.tensor(np.stack([g.mean(axis=0) for g in groups]))
    m2s = torch.tensor(np.stack([((g - g.mean(axis=0)) ** 2).sum(axis=0) for g in groups]))
    total, mean, m2 = combine_moments(counts, means, m2s)
    whole = np.concatenate(groups)
    np.testing.assert_allclose(total.numpy(), len(whole))
    np.testing.assert_allclose(mean.numpy(), whole.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose((m2 / total).numpy(), whole.var(axis=0), rtol=1e-12)


def test_conversion_keeps_the_parameters_buffers_and_keys():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(3, 8),
        nn.BatchNorm1d(8),
        nn.Sequential(nn.Unflatten(1, (2, 2, 2)), nn.BatchNorm2d(2, momentum=None)),
    )
    before = dict(model.state_dict(keep_vars=True))
    optimizer = torch.optim.Adam(model.parameters())
    assert use_global_batch_norm(model) == 2
    assert isinstance(model[1], GlobalBatchNorm) and isinstance(model[2][1], GlobalBatchNorm)
    after = model.state_dict(keep_vars=True)
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)  # the very tensors the optimiser holds
    assert model[2][1].momentum is None
    assert optimizer.param_groups[0]["params"][2] is model[1].weight
    assert use_global_batch_norm(model) == 0  # converting twice changes nothing


def test_alone_it_is_the_plain_layer_in_training_and_evaluation():
    torch.manual_seed(1)
    plain = nn.BatchNorm2d(3)
    converted = nn.Sequential(nn.BatchNorm2d(3))
    use_global_batch_norm(converted)
    x = torch.randn(6, 3, 4, 4) * 2 + 1
    for mode in (True, False):
        plain.train(mode)
        converted.train(mode)
        assert torch.equal(plain(x), converted(x))
    assert torch.equal(plain.running_var, converted[0].running_var)
