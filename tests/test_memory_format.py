"""``train.memory_format``: convolution weights stored channels-last on the CPU, with the same
arithmetic as the contiguous layout."""

import pytest
import torch
from torch import nn

from swgen.config import resolve
from swgen.data import build_dataset
from swgen.data.base import Batch
from swgen.errors import UserError
from swgen.train.engine import build_model, conv_memory_format, to_channels_last


def test_auto_is_channels_last_on_the_cpu_only():
    assert conv_memory_format("auto", torch.device("cpu")) == "channels_last"
    assert conv_memory_format("auto", torch.device("cuda")) == "contiguous"
    assert conv_memory_format("contiguous", torch.device("cpu")) == "contiguous"
    assert conv_memory_format("channels_last", torch.device("cuda")) == "channels_last"


def test_unknown_memory_format_is_a_user_error():
    with pytest.raises(UserError, match="unknown train.memory_format 'nhwc'"):
        conv_memory_format("nhwc", torch.device("cpu"))


def test_only_2d_kernels_change_layout_and_parameters_stay_the_same_objects():
    network = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv3d(2, 4, 3), nn.Linear(5, 6))
    before = list(network.parameters())
    values = [p.detach().clone() for p in before]
    to_channels_last(network)
    assert all(a is b for a, b in zip(before, network.parameters(), strict=True))
    conv2d, conv3d, linear = network
    assert conv2d.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv2d.weight.is_contiguous()  # 8 x 3 x 3 x 3: the two layouts differ
    assert conv3d.weight.is_contiguous() and linear.weight.is_contiguous()
    assert all(torch.equal(a, b) for a, b in zip(values, network.parameters(), strict=True))


def three_steps(memory_format: str) -> list[dict[str, float]]:
    config = resolve(
        overrides=["model.width=8", "train.batch_size=16", f"train.memory_format={memory_format}"]
    )
    data = build_dataset(config.data)
    model = build_model(config, data, torch.device("cpu"))
    if memory_format == "channels_last":
        assert any(
            p.dim() == 4
            and p.is_contiguous(memory_format=torch.channels_last)
            and not p.is_contiguous()
            for p in model.parameters()
        )
    torch.manual_seed(1)
    logs = []
    for step in range(3):
        batch = Batch.cat(
            [
                data.batch(step * model.batches_per_step + i, 16, 0)
                for i in range(model.batches_per_step)
            ]
        )
        logs.append({k: float(v) for k, v in model.train_step(batch, step).items()})
    return logs


def test_swgan_steps_compute_the_same_in_both_layouts():
    """The main job's model (convolutions, batch and layer norm, the gradient penalty's double
    backward) takes three steps from the same weights on the same batches: only the summation
    order may differ. Losses, not weights, are compared: a bias followed by batch norm has a
    gradient of rounding noise alone, which Adam scales up to a full step either way, and which
    the norm then removes from every output."""
    contiguous, channels_last = three_steps("contiguous"), three_steps("channels_last")
    for step, (expected, got) in enumerate(zip(contiguous, channels_last, strict=True)):
        assert got.keys() == expected.keys()
        for key in expected:
            assert got[key] == pytest.approx(expected[key], rel=1e-3, abs=1e-5), (step, key)
