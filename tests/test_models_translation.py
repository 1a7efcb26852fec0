"""CycleGAN and Attention-GAN: networks, losses, the history pool, attention layering."""

from __future__ import annotations

import pytest
import torch

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.attention_gan import AttentionGAN, AttentionGANConfig
from swgen.models.cyclegan import CycleGAN, CycleGANConfig, HistoryPool, adversarial_loss
from swgen.nn.translation import (
    AttentionGenerator,
    PatchCritic,
    ResnetGenerator,
    patch_layers,
    translate_any_size,
)

INFO = DataInfo("images", (3, 16, 16), pairing="unpaired")
SMALL = {"width": 4, "critic_width": 4, "n_blocks": 1}


def test_networks_keep_sizes_and_patch_critics_fit_small_images():
    generator = ResnetGenerator(3, 3, 4, 2)
    assert generator(torch.randn(2, 3, 16, 24)).shape == (2, 3, 16, 24)
    assert translate_any_size(generator, torch.randn(1, 3, 13, 5)).shape == (1, 3, 13, 5)
    for size in (8, 16, 32, 64):
        scores = PatchCritic(3, 4, patch_layers(size))(torch.randn(1, 3, size, size))
        assert scores.shape[-1] >= 2
    assert patch_layers(256) == 3 and patch_layers(16) == 2 and patch_layers(8) == 1


def test_attention_generator_is_the_layered_operation():
    network = AttentionGenerator(3, 4, 1, 4, 1)
    x = torch.randn(2, 3, 8, 8)
    output, attention = network.with_attention(x)
    assert attention.shape == (2, 1, 8, 8) and attention.min() >= 0 and attention.max() <= 1
    expected = attention * network.transform(x) + (1 - attention) * x
    assert torch.allclose(output, expected)


def test_adversarial_losses():
    scores = torch.tensor([0.5, -1.0])
    assert float(adversarial_loss("lsgan", scores, real=True)) == pytest.approx((0.25 + 4) / 2)
    assert float(adversarial_loss("lsgan", scores, real=False)) == pytest.approx((0.25 + 1) / 2)
    bce = torch.nn.functional.softplus(-scores).mean()
    assert float(adversarial_loss("bce", scores, real=True)) == pytest.approx(float(bce))


def test_history_pool_fills_then_swaps_half_the_time():
    pool = HistoryPool(3, (1, 1, 1))
    first = torch.arange(3.0).view(3, 1, 1, 1)
    assert torch.equal(pool.query(first), first) and int(pool.count) == 3
    torch.manual_seed(0)
    new = torch.arange(100.0, 300.0).view(200, 1, 1, 1)
    out = pool.query(new)
    swapped = (out != new).sum().item()
    assert 60 < swapped < 140  # about half come from the history
    assert set(out.flatten().tolist()) <= set(range(300))
    assert "images" in dict(pool.named_buffers())  # saved in checkpoints


@pytest.mark.parametrize("model", [CycleGAN, AttentionGAN])
@pytest.mark.parametrize("critic", ["patch", "swd"])
def test_a_train_step_updates_and_logs_every_term(model, critic):
    torch.manual_seed(0)
    config = (AttentionGANConfig if model is AttentionGAN else CycleGANConfig)(
        **SMALL, critic=critic, code_dim=8
    )
    if model is AttentionGAN:
        config.attention_width, config.attention_blocks, config.lambda_identity = 4, 1, 0.5
    net = model(config, INFO)
    before = [p.clone() for p in net.generator_ab.parameters()]
    batch = Batch(torch.rand(2, 3, 16, 16) * 2 - 1, y=torch.rand(2, 3, 16, 16) * 2 - 1)
    logs = net.train_step(batch, 0)
    assert all(torch.isfinite(v) for v in logs.values())
    expected = {"loss_adversarial", "loss_cycle", "loss_generator", "loss_critic_a"}
    expected.add("loss_identity")
    if model is AttentionGAN:
        expected |= {"loss_sparse", "loss_attention_cycle"}
    assert expected <= set(logs)
    assert any(
        not torch.equal(a, b) for a, b in zip(before, net.generator_ab.parameters(), strict=True)
    )
    panels = net.translate(torch.randn(1, 3, 10, 6), "BtoA")
    assert panels["output"].shape == (1, 3, 10, 6)
    assert ("attention" in panels) == (model is AttentionGAN)


def test_translation_models_need_two_domains():
    with pytest.raises(UserError, match="two image domains"):
        CycleGAN(CycleGANConfig(**SMALL), DataInfo("images", (3, 16, 16)))


@pytest.mark.parametrize("model", [CycleGAN, AttentionGAN])
def test_translation_models_take_multiples_of_4_from_8_px(model):
    """The generators halve an image twice: 12 px trains (generator and critic keep the shapes),
    7, 10 and 4 px are refused when the model is built, before a run folder exists."""
    config = (CycleGANConfig if model is CycleGAN else AttentionGANConfig)(**SMALL)
    net = model(config, DataInfo("images", (3, 12, 12), pairing="unpaired"))
    images = torch.rand(2, 3, 12, 12) * 2 - 1
    net.train_step(Batch(images, y=images.flip(0)), 0)
    for size in (7, 10, 4):
        with pytest.raises(UserError, match=rf"data.image_size={size} is not supported .*from 8"):
            model(config, DataInfo("images", (3, size, size), pairing="unpaired"))
    config.critic_layers = 2
    with pytest.raises(UserError, match="critic_layers=2 leaves no patches .* at most 1"):
        model(config, DataInfo("images", (3, 8, 8), pairing="unpaired"))
