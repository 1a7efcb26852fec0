"""How well images synthesised from label maps follow their maps, and how real they look (SPADE).

The SPADE paper segments synthesised images with a pretrained network (DeepLabV2 on COCO-Stuff,
UperNet101 on ADE20K, DRN-D-105 on Cityscapes) and scores the result against the input map
(mIoU and pixel accuracy), beside FID on Inception features. Every one of those networks needs
downloaded weights; offline, swgen uses a **proxy**:

* a small fully convolutional segmenter (:class:`Segmenter`: three 3 x 3 convolutions of
  :data:`HIDDEN` channels with ReLU, then a 1 x 1 convolution to the classes; a 7 x 7 receptive
  field that sees colour and local texture) trained deterministically (fixed seed,
  :data:`STEPS` Adam steps on batches of :data:`BATCH` real training pairs of the run's data, the
  same for every run on those data) to read the map back from the real image;
* ``proxy_pixel_accuracy`` and ``proxy_mean_iou`` (``proxy_iou_<class>`` per class): the
  segmenter's reading of the synthesised images against the input maps; the same reading of the
  real held-out images (``..._truth``) is the ceiling a generator can reach with this segmenter;
* ``fid_segmenter``: the Fréchet distance between held-out real images and the synthesised ones
  in the segmenter's features (per image, the mean and standard deviation of each hidden
  channel over the pixels); ``fid_segmenter_real`` compares real training images with the same
  held-out ones, the floor at that sample size; ``multiscale_swd`` (from 16 px) on pixels.

Numbers are for comparing swgen runs on the same data (e.g. ``spade`` against ``pix2pix``),
never with the paper's: another segmenter, other features, other data.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

HIDDEN = 16  # channels of each hidden layer of the segmenter
STEPS = 150  # its Adam steps
BATCH = 16  # real training pairs per step
LEARNING_RATE = 3e-3
SEED = 1234  # its initialisation and batches: the same segmenter for every run on the data

_trained: weakref.WeakKeyDictionary[Any, Segmenter] = weakref.WeakKeyDictionary()


class Segmenter(nn.Module):
    """Images (N, C, H, W) in [0, 1] -> class logits (N, K, H, W) (see the module docstring)."""

    def __init__(self, channels: int, classes: int, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
        )  # fmt: skip
        self.classify = nn.Conv2d(hidden, classes, 1)

    def forward(self, images: Tensor) -> Tensor:
        return self.classify(self.features(images * 2 - 1))

    @torch.no_grad()
    def predict(self, images: Tensor, batch: int = 256) -> Tensor:
        """(N, H, W) class indices."""
        return torch.cat([self(part.float()).argmax(1) for part in images.split(batch)])

    @torch.no_grad()
    def image_features(self, images: Tensor, batch: int = 256) -> np.ndarray:
        """(N, 2 * hidden): each hidden channel's mean and standard deviation over the pixels."""
        out = []
        for part in images.split(batch):
            hidden = self.features(part.float() * 2 - 1).flatten(2)
            out.append(torch.cat([hidden.mean(2), hidden.std(2)], 1))
        return torch.cat(out).double().numpy()


def train_segmenter(data: Any, steps: int | None = None, seed: int = SEED) -> Segmenter:
    """The segmenter of ``data`` (a label-map dataset: ``batch`` gives maps ``x`` and images
    ``y``), trained on the CPU from a fixed seed on its real training pairs for ``steps`` steps
    (default :data:`STEPS`)."""
    info = data.info
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        segmenter = Segmenter(info.target_shape[0], info.map_classes)
    optimizer = torch.optim.Adam(segmenter.parameters(), lr=LEARNING_RATE)
    for step in range(STEPS if steps is None else steps):
        batch = data.batch(step, BATCH, seed)
        assert batch.y is not None
        logits = segmenter(((batch.y.float() + 1) / 2).clamp(0, 1))
        loss = F.cross_entropy(logits, batch.x[:, 0].long())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return segmenter.eval()


def segmenter_of(data: Any) -> Segmenter:
    """:func:`train_segmenter` of ``data``, trained once per dataset object (training metrics
    ask for it again every ``train.eval_every`` steps)."""
    source = getattr(data, "source", data)  # a trained run's RunData: its dataset
    if source not in _trained:
        _trained[source] = train_segmenter(source)
    return _trained[source]


def confusion_matrix(predicted: Tensor, truth: Tensor, classes: int) -> Tensor:
    """(K, K) pixel counts, row = true class, column = predicted class."""
    pairs = truth.long().flatten() * classes + predicted.long().flatten()
    return torch.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


def segmentation_scores(confusion: Tensor) -> tuple[float, float, list[float]]:
    """(pixel accuracy, mean IoU, IoU per class) of a confusion matrix. ``IoU_k = TP_k /
    (TP_k + FP_k + FN_k)``; the mean is over the classes present in the truth (a class absent
    from every map has no IoU: NaN in the list)."""
    confusion = confusion.double()
    true_positive = confusion.diagonal()
    in_truth, in_prediction = confusion.sum(1), confusion.sum(0)
    union = in_truth + in_prediction - true_positive
    iou = torch.where(in_truth > 0, true_positive / union.clamp(min=1), torch.nan)
    accuracy = float(true_positive.sum() / confusion.sum().clamp(min=1))
    present = in_truth > 0
    return accuracy, float(iou[present].mean()), iou.tolist()


def evaluate_label_maps(run: Any, n: int, seed: int) -> dict[str, Any]:
    """The metrics of the module docstring for a model that synthesises images from label maps
    (``run``: a ``TrainedRun`` or a ``Trainer``), on ``n`` held-out maps (each once)."""
    from swgen.metrics import fid, multiscale_swd

    data = run.data
    source = getattr(data, "source", data)
    direction = run.model.directions[0]
    count = min(n, source.held_out_count)
    if count < n:
        warnings.warn(
            f"asked for {n} samples, but the data hold {count} held-out label map(s); "
            f"measured on those {count}, each once",
            stacklevel=2,
        )
    held = source.held_out(count, direction, seed)
    outputs = run.translate(held.x, direction)[1]
    real = data.to_data_space(held.y.float().cpu())
    classes = data.info.map_classes
    names = getattr(source, "class_names", tuple(str(k) for k in range(classes)))
    segmenter = segmenter_of(data)
    found: dict[str, Any] = {"n": count}
    for suffix, images in (("", outputs), ("_truth", real)):
        confusion = confusion_matrix(segmenter.predict(images), held.x[:, 0], classes)
        accuracy, mean_iou, ious = segmentation_scores(confusion)
        found[f"proxy_pixel_accuracy{suffix}"] = accuracy
        found[f"proxy_mean_iou{suffix}"] = mean_iou
        if not suffix:
            for name, iou in zip(names, ious, strict=True):
                if not np.isnan(iou):
                    found[f"proxy_iou_{name}"] = iou
    if count >= 2:
        train = data.to_data_space(source.batch(0, count, seed + 1).y.float().cpu())
        real_features = segmenter.image_features(real)
        found["fid_segmenter"] = fid(real_features, segmenter.image_features(outputs))
        found["fid_segmenter_real"] = fid(real_features, segmenter.image_features(train))
        if data.info.image_size >= 16:
            found["multiscale_swd"] = multiscale_swd(real, outputs, seed=seed)["mean"]
    return {direction: found}
