"""StyleGAN: the code's mapping multiplier, style mixing, R1, truncation, noise inputs, the W
hooks of explore and eval, resume, and the CLI end to end on tiny budgets."""

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.metrics.path_length import mean_within_percentiles, slerp
from swgen.models.stylegan import StyleGAN, StyleGANConfig, r1_penalty
from swgen.nn.stylegan import MultipliedLinear, StyleLayer, mix_styles, truncate_styles

QUIET = ["train.progress=false"]
TINY = [
    *("model.latent_dim=8", "model.fmap_base=16", "model.fmap_max=4", "model.mapping_layers=2"),
    *("data.image_size=16", "data.limit=64", "train.batch_size=8", "train.log_every=1"),
]
IMAGES = DataInfo(kind="images", shape=(1, 16, 16))


def tiny_model(**settings) -> StyleGAN:
    torch.manual_seed(0)
    config = StyleGANConfig(latent_dim=8, fmap_base=16, fmap_max=4, mapping_layers=2, **settings)
    return StyleGAN(config, IMAGES)


def test_mapping_multiplier_scales_the_effective_weights_and_their_learning_rate():
    torch.manual_seed(0)
    layer = MultipliedLinear(256, 256, lr_multiplier=0.01)
    # Stored N(0, 1/lrmul^2), used times he_std * lrmul: effective weights at He's scale.
    assert layer.weight.std().item() == pytest.approx(100, rel=0.02)
    assert layer.scale == pytest.approx(math.sqrt(2) / 16 * 0.01)
    effective = layer.weight * layer.scale
    assert effective.std().item() == pytest.approx(math.sqrt(2) / 16, rel=0.02)
    # One Adam step moves every stored parameter by lr, so the effective weights move by
    # lr * he_std * lrmul and the bias by lr * lrmul: 1/100 of an lrmul-1 layer's moves.
    moves = {}
    for lrmul in (1.0, 0.01):
        torch.manual_seed(0)
        layer = MultipliedLinear(4, 3, lr_multiplier=lrmul).double()  # float32 rounds 100 + 1e-5
        before_w, before_b = (layer.weight * layer.scale).detach(), layer.bias.detach() * lrmul
        optimizer = torch.optim.Adam(layer.parameters(), lr=1e-3)
        layer(torch.randn(5, 4, dtype=torch.float64)).sum().backward()
        optimizer.step()
        after_w, after_b = (layer.weight * layer.scale).detach(), layer.bias.detach() * lrmul
        moves[lrmul] = ((after_w - before_w).abs(), (after_b - before_b).abs())
        assert torch.allclose(
            moves[lrmul][0], torch.full_like(before_w, 1e-3 * lrmul * math.sqrt(2) / 2), rtol=1e-3
        )
    assert torch.allclose(moves[0.01][1], moves[1.0][1] * 0.01, rtol=1e-3)


def test_style_mixing_gives_layers_before_the_crossover_w1_and_after_it_w2():
    w1, w2 = torch.zeros(3, 4), torch.ones(3, 4)
    ws = mix_styles(w1, w2, crossover=3, num_layers=8)
    assert ws.shape == (3, 8, 4)
    assert torch.equal(ws[:, :3], torch.zeros(3, 3, 4))
    assert torch.equal(ws[:, 3:], torch.ones(3, 5, 4))
    assert torch.equal(mix_styles(w1, w2, 8, 8), torch.zeros(3, 8, 4))  # no mixing


def test_r1_of_a_linear_critic_is_its_squared_weight_norm():
    a = torch.tensor([1.0, -2.0, 0.5, 3.0])

    def critic(x):
        return (x.flatten(1) * a).sum(dim=1) + 7.0

    real = torch.randn(5, 1, 2, 2)
    assert r1_penalty(critic, real).item() == pytest.approx(1 + 4 + 0.25 + 9)
    # in the critic loss: (gamma / 2) ||a||^2 = 5 * 14.25 beside the logistic terms


def test_critic_loss_adds_gamma_over_two_r1_to_the_logistic_loss():
    model = tiny_model()
    real, fake = torch.randn(4, 1, 16, 16), torch.randn(4, 1, 16, 16)
    loss, logs = model.critic_loss(real, fake)
    softplus = torch.nn.functional.softplus
    logistic = softplus(model.score(fake)).mean() + softplus(-model.score(real)).mean()
    expected = logistic + 5.0 * r1_penalty(model.score, real)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert logs["r1_penalty"].item() > 0


def test_lazy_r1_runs_every_k_steps_weighted_by_k():
    model = tiny_model(r1_every=4, r1_gamma=2.0)
    real = torch.randn(4, 1, 16, 16)
    assert model.lazy_r1(real, 1) is None and model.lazy_r1(real, 3) is None
    assert model.lazy_r1(real, 4).item() == pytest.approx(
        4 * 1.0 * r1_penalty(model.score, real).item(), rel=1e-5
    )
    # StyleGAN2's Adam correction of the critic: lr * k / (k + 1), beta ** (k / (k + 1))
    group = model.optimizers["critic"].param_groups[0]
    assert group["lr"] == pytest.approx(1e-3 * 0.8)
    assert group["betas"][1] == pytest.approx(0.99**0.8)


def test_truncation_moves_styles_towards_w_avg_on_the_first_layers_only():
    ws = torch.randn(2, 6, 3)
    w_avg = torch.randn(3)
    out = truncate_styles(ws, w_avg, 0.25, layers=4)
    assert torch.allclose(out[:, :4], w_avg + 0.25 * (ws[:, :4] - w_avg))
    assert torch.equal(out[:, 4:], ws[:, 4:])
    assert torch.allclose(truncate_styles(ws, w_avg, 0.0, 6), w_avg.expand(2, 6, 3))
    # sample_codes carries psi; generate then applies it (psi = 0: every sample the same image)
    model = tiny_model(truncation_layers=8).eval()
    model.generator.w_avg.normal_()
    codes = model.sample_codes(3, torch.Generator().manual_seed(0), truncation=0.0)
    assert codes.shape == (3, 9) and torch.all(codes[:, -1] == 0)
    torch.manual_seed(1)
    images = model.generate(codes)
    torch.manual_seed(1)
    average = model.synthesize(model.generator.w_avg.expand(3, -1))
    assert torch.allclose(images, average, atol=1e-6)
    with pytest.raises(UserError, match="between 0"):
        model.sample_codes(1, truncation=1.5)


def test_noise_scales_start_at_zero_and_the_constant_at_one():
    model = tiny_model()
    layers = model.generator.synthesis.layers
    assert all(
        torch.equal(layer.noise_strength, torch.zeros_like(layer.noise_strength))
        for layer in layers
    )
    assert torch.equal(
        model.generator.synthesis.constant, torch.ones_like(model.generator.synthesis.constant)
    )
    # so at initialisation the noise maps change nothing
    ws = model.generator.broadcast(model.map_latents(torch.randn(2, 8)))
    noise_a = model.noise_maps(2, torch.Generator().manual_seed(0))
    noise_b = model.noise_maps(2, torch.Generator().manual_seed(1))
    assert torch.allclose(model.synthesize(ws, noise_a), model.synthesize(ws, noise_b))


def test_adain_epilogue_is_noise_bias_lrelu_instance_norm_style():
    layer = StyleLayer(2, 2, 3, upsample=False, conv=False)
    with torch.no_grad():
        layer.noise_strength.copy_(torch.tensor([0.5, -1.0]))
        layer.bias.copy_(torch.tensor([0.1, 0.2]))
        layer.style.bias.copy_(torch.tensor([0.3, -0.2, 1.0, 2.0]))  # (y_s, y_b) from w = 0
    x, noise, w = torch.randn(1, 2, 3, 3), torch.randn(1, 1, 3, 3), torch.zeros(1, 3)
    strength, bias = torch.tensor([0.5, -1.0]).view(1, 2, 1, 1), torch.tensor([0.1, 0.2])
    h = torch.nn.functional.leaky_relu(x + strength * noise + bias.view(1, 2, 1, 1), 0.2)
    h = (h - h.mean(dim=(2, 3), keepdim=True)) / (
        h.var(dim=(2, 3), unbiased=False, keepdim=True) + 1e-8
    ).sqrt()
    expected = h * (1 + torch.tensor([0.3, -0.2]).view(1, 2, 1, 1)) + torch.tensor([1.0, 2.0]).view(
        1, 2, 1, 1
    )
    assert torch.allclose(layer(x, w, noise), expected, atol=1e-5)


def test_demodulated_weights_have_unit_norm_per_output_channel():
    model = tiny_model(style_form="demodulate")
    images = model.synthesize(model.map_latents(torch.randn(3, 8)))
    assert images.shape == (3, 1, 16, 16) and torch.isfinite(images).all()
    layer = model.generator.synthesis.layers[1]
    # one sample's demodulated kernel: sum over inputs and taps of w''^2 = 1 per output channel
    w = torch.randn(1, 8)
    weight = layer.conv.weight * layer.conv.scale
    styled = weight * layer.style(w).view(1, -1, 1, 1)
    styled = styled * torch.rsqrt(styled.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
    assert torch.allclose(styled.square().sum(dim=(1, 2, 3)), torch.ones(len(styled)), atol=1e-5)
    x = torch.randn(1, layer.conv.weight.shape[1], 4, 4)
    assert torch.allclose(
        layer.convolve(x, w), torch.nn.functional.conv2d(x, styled, padding=1), atol=1e-5
    )


def test_w_avg_is_an_ema_of_the_batch_mean_of_w():
    model = tiny_model(w_avg_beta=0.5)
    batch = Batch(torch.rand(4, 1, 16, 16) * 2 - 1, None, None)
    torch.manual_seed(5)
    model.train_step(batch, 0)
    after_one = model.generator.w_avg.clone()
    assert after_one.abs().sum() > 0  # moved half way from 0 towards the batch mean of w
    assert "w_avg" in dict(model.generator.named_buffers())


def test_slerp_and_percentile_mean():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 2.0]])
    assert torch.allclose(slerp(a, b, torch.tensor([0.0])), a)
    assert torch.allclose(slerp(a, b, torch.tensor([1.0])), torch.tensor([[0.0, 1.0]]), atol=1e-6)
    half = slerp(a, b, torch.tensor([0.5]))
    assert torch.allclose(half, torch.tensor([[1.0, 1.0]]) / math.sqrt(2))
    values = np.concatenate([np.arange(1.0, 99.0), [1e6]])
    assert mean_within_percentiles(values) < 100  # the outlier above the 99th percentile is dropped


def records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_cli_train_sample_explore_eval_end_to_end(tmp_path):
    run = tmp_path / "run"
    assert (
        main(["train", "--model", "stylegan", "--out", str(run), *QUIET, *TINY, "train.steps=2"])
        == 0
    )
    assert (
        main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "t.npy"), "--truncation", "0"])
        == 0
    )
    truncated = np.load(tmp_path / "t.npy")
    assert truncated.shape == (4, 1, 16, 16)
    assert main(["sample", str(run), "-n", "4", "-o", str(tmp_path / "s.png")]) == 0
    assert main(["explore", str(run), "-o", str(tmp_path / "mix"), "--style-mix"]) == 0
    grid = Image.open(tmp_path / "mix" / "style_mix.png")
    # 5 sources + the destination column; a top row + 2 rows per kind (coarse, middle, fine)
    assert grid.size == (6 * 18 + 2, 7 * 18 + 2)
    assert main(["eval", str(run), "--n", "16"]) == 0
    metrics = json.loads((run / "eval.json").read_text())["metrics"]
    assert (
        metrics["ppl_w_digits"] > 0
        and metrics["ppl_z_digits"] > 0
        and "proxy" in metrics["ppl_note"]
    )
    assert "fid_digits" in metrics


SWD_CRITIC = ["model.critic=swd", "model.critic_width=4", "model.code_dim=8"]
GROWING = ["model.structure=progressive", "model.minibatch=[8]", "model.stabilise_kimg=0.008"]


@pytest.mark.parametrize("extra", [SWD_CRITIC, [*GROWING, "model.transition_kimg=0.008"]])
def test_resume_continues_the_same_run(tmp_path, extra):
    common = ["--model", "stylegan", *QUIET, *TINY, *extra, "--seed", "3", "model.r1_every=2"]
    assert main(["train", "--out", str(tmp_path / "straight"), *common, "train.steps=4"]) == 0
    assert main(["train", "--out", str(tmp_path / "split"), *common, "train.steps=2"]) == 0
    assert main(["train", "--resume", str(tmp_path / "split"), *QUIET, "train.steps=4"]) == 0
    timings = {"steps_per_second", "train_seconds"}

    def losses(run):
        return [{k: v for k, v in r.items() if k not in timings} for r in records(run)]

    assert losses(tmp_path / "straight") == losses(tmp_path / "split")
    a = torch.load(tmp_path / "straight/checkpoints/last.pt", weights_only=True)
    b = torch.load(tmp_path / "split/checkpoints/last.pt", weights_only=True)
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    for key, value in a["ema"]["shadow"]["generator"].items():
        assert torch.equal(value, b["ema"]["shadow"]["generator"][key]), key


def test_style_mix_on_a_run_without_a_style_space_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "dcgan", "--out", str(run), *QUIET, "--data", "digits",
                 "data.image_size=8", "model.width=4", "data.limit=16", "train.batch_size=8",
                 "train.steps=1"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["explore", str(run), "-o", str(tmp_path / "out"), "--style-mix"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--style-mix needs a model with a style space" in err
    assert not (tmp_path / "out").exists()
