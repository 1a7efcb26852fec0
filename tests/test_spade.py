"""SPADE: the normalisation, the losses, resume, the label-map reader, ``swgen translate`` of
maps, and end-to-end train / eval / sample / translate on tiny budgets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.data import DataConfig, build_dataset
from swgen.data.scenes import CLASS_NAMES
from swgen.errors import UserError
from swgen.metrics import segmentation
from swgen.metrics.segmentation import confusion_matrix, segmentation_scores
from swgen.models.spade import (
    feature_matching,
    kl_divergence,
    multiscale_critic_loss,
    multiscale_generator_loss,
)
from swgen.nn.label_maps import one_hot
from swgen.nn.spade import SPADE, SPADEGenerator, generator_channels, upsamplings
from swgen.plots import class_palette, label_map_colours

TINY = [
    "train.progress=false",
    "data.image_size=16",
    "data.limit=32",
    "model.width=4",
    "model.spade_hidden=4",
    "model.critic_width=4",
    "model.critic_layers=2",
    "model.z_dim=8",
    "model.encoder_width=4",
    "train.batch_size=2",
]


# --- the SPADE layer and the networks ----------------------------------------------------------


def test_spade_normalisation_against_a_hand_computed_value():
    """``norm(x) * (1 + gamma(m)) + beta(m)`` with 1 x 1-acting convolutions set by hand."""
    layer = SPADE(channels=1, label_channels=2, hidden=1, norm="instance")
    with torch.no_grad():
        for conv in (layer.shared[0], layer.gamma, layer.beta):
            conv.weight.zero_()
            conv.bias.zero_()
        layer.shared[0].weight[0, 1, 1, 1] = 1.0  # hidden = relu(one-hot of class 1)
        layer.gamma.weight[0, 0, 1, 1] = 2.0  # gamma = 2 * [class 1]
        layer.beta.weight[0, 0, 1, 1] = 0.5  # beta = 0.5 * [class 1] + 0.1
        layer.beta.bias.fill_(0.1)
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    segmap = one_hot(torch.tensor([[[[0.0, 1.0]]]]), 2)  # 1 x 2: resized (nearest) to columns
    out = layer(x, segmap)
    normalised = (x - 2.5) / math.sqrt(1.25 + 1e-5)  # instance norm: mean 2.5, variance 1.25
    class_one = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    expected = normalised * (1 + 2 * class_one) + 0.5 * class_one + 0.1
    assert torch.allclose(out, expected, atol=1e-5)


def test_generator_depth_and_channels_follow_the_image_size():
    assert upsamplings(256) == 5 and upsamplings(32) == 3 and upsamplings(48) == 3
    assert generator_channels(64, 5) == [1024, 1024, 1024, 512, 256, 128, 64]  # the SPADE code
    assert generator_channels(16, 3) == [64, 64, 64, 32, 16]
    with pytest.raises(UserError, match="too small or odd"):
        upsamplings(9)
    generator = SPADEGenerator(3, 3, width=4, image_size=16, hidden=4)
    maps = one_hot(torch.randint(0, 3, (2, 1, 16, 16)).float(), 3)
    out = generator(maps)
    assert out.shape == (2, 3, 16, 16) and out.abs().max() <= 1
    # blocks whose channels change have a learned shortcut, others not (the code's rule)
    shortcuts = [block.learned_shortcut for block in generator.blocks]
    assert shortcuts == [False, False, False, True]


# --- the losses ---------------------------------------------------------------------------------


def test_hinge_terms_over_two_critics():
    real = [[torch.tensor([0.5, 2.0])], [torch.tensor([-1.0, 0.0])]]
    fake = [[torch.tensor([-2.0, 0.0])], [torch.tensor([1.0, 3.0])]]
    # critic 1: mean relu(1 - real) = 0.25, mean relu(1 + fake) = 0.5; critic 2: 1.5 and 3
    assert multiscale_critic_loss("hinge", real, fake).item() == pytest.approx((0.75 + 4.5) / 2)
    # generator: -mean D(fake), averaged over the critics
    assert multiscale_generator_loss("hinge", fake).item() == pytest.approx((1.0 - 2.0) / 2)


def test_feature_matching_is_l1_over_intermediate_layers_divided_by_num_d():
    fake = [
        [torch.zeros(2), torch.ones(3), torch.tensor([9.0])],
        [torch.full((2,), 2.0), torch.tensor([7.0])],
    ]
    real = [
        [torch.ones(2), torch.zeros(3), torch.tensor([-9.0])],  # last outputs: scores, ignored
        [torch.zeros(2), torch.tensor([0.0])],
    ]
    # L1 means: critic 1: 1 + 1; critic 2: 2; times lambda_feat 10 over num_d 2
    assert feature_matching(fake, real, 10.0).item() == pytest.approx((1 + 1 + 2) * 10 / 2)
    fake_leaf = [[t.clone().requires_grad_() for t in layers] for layers in fake]
    real_leaf = [[t.clone().requires_grad_() for t in layers] for layers in real]
    feature_matching(fake_leaf, real_leaf).backward()
    assert fake_leaf[0][0].grad is not None
    assert all(t.grad is None for layers in real_leaf for t in layers)  # real: detached


def test_kl_term_is_a_sum_over_rows_and_coordinates():
    mu = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    logvar = torch.tensor([[0.0, math.log(2.0)], [0.0, 0.0]])
    # -1/2 sum(1 + logvar - mu^2 - exp(logvar)), entry by entry
    expected = -0.5 * ((1 + 0 - 1 - 1) + (1 + math.log(2) - 0 - 2) + (1 - 1) + (1 + 0 - 4 - 1))
    assert kl_divergence(mu, logvar).item() == pytest.approx(expected)
    prior = torch.distributions.Normal(torch.zeros(2, 2), torch.ones(2, 2))
    posterior = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    reference = torch.distributions.kl_divergence(posterior, prior).sum()
    assert kl_divergence(mu, logvar).item() == pytest.approx(reference.item(), rel=1e-5)


def test_segmentation_scores_by_hand():
    truth = torch.tensor([[0, 0, 1, 1]])
    predicted = torch.tensor([[0, 1, 1, 1]])
    confusion = confusion_matrix(predicted, truth, 3)
    accuracy, mean_iou, ious = segmentation_scores(confusion)
    assert accuracy == pytest.approx(0.75)
    assert ious[0] == pytest.approx(0.5) and ious[1] == pytest.approx(2 / 3)
    assert math.isnan(ious[2])  # absent from the truth: no IoU, not in the mean
    assert mean_iou == pytest.approx((0.5 + 2 / 3) / 2)


def test_palette_is_fixed_per_class():
    palette = class_palette(40)
    assert len({tuple(c) for c in palette.tolist()}) == 40
    colours = label_map_colours(torch.tensor([[[[0.0, 3.0]]]]))
    assert torch.equal(colours[0, :, 0, 1], palette[3])
    assert torch.equal(class_palette(4), palette[:4])


# --- data ---------------------------------------------------------------------------------------


def test_scenes_are_deterministic_and_split():
    config = DataConfig(name="scenes", limit=16)
    first, second = build_dataset(config), build_dataset(config)
    assert torch.equal(first.maps, second.maps) and torch.equal(first.images, second.images)
    assert first.info.map_classes == len(CLASS_NAMES) and first.info.pairing == "paired"
    assert first.info.shape == (1, 32, 32) and first.info.target_shape == (3, 32, 32)
    assert not any(torch.equal(first.test_maps[0], m) for m in first.maps)  # held out apart
    batch = first.batch(3, 4, seed=1)
    assert torch.equal(batch.x, second.batch(3, 4, seed=1).x)
    assert set(batch.x.unique().tolist()) <= set(range(len(CLASS_NAMES)))
    # the map decides the image: the mean colour of sky is blue, of square red
    maps, images = first.maps[:, 0], first.images.float()
    sky = images.permute(1, 0, 2, 3)[:, maps == 0].mean(1)
    square = images.permute(1, 0, 2, 3)[:, maps == 3].mean(1)
    assert sky[2] > sky[0] and square[0] > square[2]


def write_pairs(root: Path, maps: list[np.ndarray], image_suffix: str = ".png") -> None:
    (root / "label").mkdir(parents=True, exist_ok=True)
    (root / "image").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index, label in enumerate(maps):
        Image.fromarray(label).save(root / "label" / f"m{index}.png")
        pixels = rng.integers(0, 256, (*label.shape[:2], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "image" / f"m{index}{image_suffix}")


def folder_config(root: Path, **changes) -> DataConfig:
    return DataConfig(name=str(root), image_size=8, cache_dir=str(root.parent / "cache"), **changes)


def test_label_maps_read_classes_from_the_maps(tmp_path):
    maps = [np.full((10, 12), k, np.uint8) for k in (0, 2, 4)]
    maps[0][:, :6] = 1
    write_pairs(tmp_path / "data", maps, ".jpg")  # images in JPEG, matched by name
    data = build_dataset(folder_config(tmp_path / "data"))
    assert data.name == "label-maps" and data.info.map_classes == 5
    assert data.info.shape == (1, 8, 8) and data.info.target_shape == (3, 8, 8)
    assert sorted(data.maps.unique().tolist()) == [0, 1, 2, 4]
    assert build_dataset(folder_config(tmp_path / "data", map_classes=7)).info.map_classes == 7
    with pytest.raises(UserError, match="holds class index 4, out of range for data.map"):
        build_dataset(folder_config(tmp_path / "data", map_classes=3))


def test_palette_maps_are_read_as_indices(tmp_path):
    label = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), mode="P")
    label.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    (tmp_path / "d" / "label").mkdir(parents=True)
    (tmp_path / "d" / "image").mkdir(parents=True)
    label.save(tmp_path / "d" / "label" / "a.png")
    Image.new("RGB", (2, 2)).save(tmp_path / "d" / "image" / "a.png")
    data = build_dataset(folder_config(tmp_path / "d"))
    assert data.info.map_classes == 3


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("colour", "is an RGB colour mask (3 distinct channels)"),
        ("binary", "0/255 masks?"),
        ("names", "do not match (e.g. 'm1' is only in label/)"),
        ("sizes", "is 12 x 10 but its image is 5 x 5"),
    ],
)
def test_label_map_folders_refuse_common_mistakes(tmp_path, case, message):
    root = tmp_path / "data"
    if case == "colour":
        mask = np.zeros((10, 12, 3), np.uint8)
        mask[:, :6] = (128, 64, 0)
        write_pairs(root, [mask])
    elif case == "binary":
        write_pairs(root, [np.where(np.eye(10, 12) > 0, 255, 0).astype(np.uint8)])
    else:
        write_pairs(root, [np.zeros((10, 12), np.uint8)] * 2)
        if case == "names":
            (root / "image" / "m1.png").unlink()
        else:
            Image.new("RGB", (5, 5)).save(root / "image" / "m0.png")
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_dataset(folder_config(root))


# --- end to end ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A spade run on scenes and one with the style encoder, two steps each."""
    root = tmp_path_factory.mktemp("spade")
    common = ["train", "--model", "spade", "--data", "scenes", *TINY, "train.steps=2"]
    assert main([*common, "--out", str(root / "plain")]) == 0
    assert main([*common, "model.style_encoder=true", "--out", str(root / "style")]) == 0
    return root


def test_training_writes_grids_of_map_output_truth(runs):
    grid = Image.open(runs / "plain" / "samples" / "step_0000002.png")
    assert grid.mode == "RGB" and grid.width > grid.height  # map | output | truth per sample
    state = torch.load(runs / "style" / "checkpoints" / "last.pt", weights_only=True)
    assert any(key.startswith("encoder.") for key in state["model"])
    assert state["data"]["info"]["map_classes"] == len(CLASS_NAMES)


@pytest.mark.parametrize("style", [False, True])
def test_resume_continues_the_same_run(tmp_path, style):
    common = ["train", "--model", "spade", "--data", "scenes", *TINY]
    if style:
        common.append("model.style_encoder=true")
    assert main([*common, "train.steps=4", "--out", str(tmp_path / "straight")]) == 0
    assert main([*common, "train.steps=2", "--out", str(tmp_path / "halves")]) == 0
    assert main(["train", "--resume", str(tmp_path / "halves"), "train.steps=4"]) == 0
    states = [
        torch.load(tmp_path / r / "checkpoints" / "last.pt", weights_only=True)
        for r in ("straight", "halves")
    ]
    for key, value in states[0]["model"].items():
        assert torch.allclose(value.float(), states[1]["model"][key].float(), atol=1e-5), key


def test_eval_measures_adherence_and_realism(runs, monkeypatch):
    monkeypatch.setattr(segmentation, "STEPS", 20)  # the segmenter's training, cut for the test
    assert main(["eval", str(runs / "plain"), "--n", "8"]) == 0
    found = json.loads((runs / "plain" / "eval.json").read_text())["metrics"]["AtoB"]
    assert found["n"] == 8
    for key in ("proxy_pixel_accuracy", "proxy_mean_iou", "proxy_pixel_accuracy_truth"):
        assert 0 <= found[key] <= 1
    assert np.isfinite(found["fid_segmenter"]) and np.isfinite(found["fid_segmenter_real"])
    assert any(key.startswith("proxy_iou_") for key in found)


def test_sample_shows_map_output_truth(runs, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["sample", str(runs / "plain"), "--n", "4", "-o", str(out)]) == 0
    assert "input | output | truth" in capsys.readouterr().out
    assert Image.open(out).mode == "RGB"


def test_translate_maps_keeps_names_and_sizes(runs, tmp_path):
    inputs = tmp_path / "maps"
    (inputs / "nested").mkdir(parents=True)
    Image.fromarray(np.full((13, 21), 1, np.uint8)).save(inputs / "a.png")
    classes = np.arange(35, dtype=np.uint8).reshape(5, 7) % 5
    Image.fromarray(classes).save(inputs / "nested" / "b.png")
    out = tmp_path / "out"
    assert main(["translate", str(runs / "plain"), "--input", str(inputs), "-o", str(out)]) == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("[!.]*") if p.is_file())
    assert written == ["a.png", "nested/b.png"]
    assert Image.open(out / "a.png").size == (21, 13) and Image.open(out / "a.png").mode == "RGB"
    assert Image.open(out / "nested" / "b.png").size == (7, 5)
    # with the style encoder: one style image gives the same style to every map
    style = tmp_path / "style.png"
    Image.new("RGB", (16, 16), (200, 30, 30)).save(style)
    styled = tmp_path / "styled"
    argv = ["translate", str(runs / "style"), "--input", str(inputs), "-o", str(styled)]
    assert main([*argv, "--style", str(style)]) == 0
    assert Image.open(styled / "a.png").size == (21, 13)


def test_translate_refuses_bad_maps(runs, tmp_path, capsys):
    inputs = tmp_path / "maps"
    inputs.mkdir()
    Image.fromarray(np.full((8, 8), 9, np.uint8)).save(inputs / "a.png")
    argv = ["translate", str(runs / "plain"), "--input", str(inputs), "-o", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "holds class index 9, but the run was trained on 5 classes" in capsys.readouterr().err
    argv[-1] = str(tmp_path / "o2")
    assert main([*argv, "--style", str(inputs / "a.png")]) == 2
    assert "needs a run trained with the style encoder" in capsys.readouterr().err
