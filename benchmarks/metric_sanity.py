"""What the image metrics say about known cases: the scale against which to read the tables.

    python benchmarks/metric_sanity.py

For digits (all 1,797 images, two disjoint halves) and Fashion-MNIST (two disjoint sets of 5,000
training images, when the IDX files are found), one half is the reference and the other is
compared as it is, blurred (Gaussian, sigma 1 px), with only classes 0-4 (half the modes
dropped) and as uniform noise. Also prints the shipped classifiers' held-out accuracies.
"""

from __future__ import annotations

import argparse
import json

import torch
import torch.nn.functional as F

from swgen.data import build_dataset
from swgen.data.base import DataConfig
from swgen.errors import UserError
from swgen.metrics import (
    extract_features,
    fid,
    get_feature_extractor,
    kid,
    multiscale_swd,
    precision_recall,
)
from swgen.metrics.features import WEIGHTS_DIR, load_classifier


def gaussian_blur(images: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    radius = int(3 * sigma)
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    padded = F.pad(images, (radius,) * 4, mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def cases(name: str, n: int, path: str | None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The reference half and the compared sets, images in [0, 1]."""
    source = build_dataset(DataConfig(name=name, path=path))
    order = torch.randperm(len(source.images), generator=torch.Generator().manual_seed(0))
    n = min(n, len(order) // 2)
    to_unit = lambda index: source.images[index].float() / 255  # noqa: E731
    reference, other = order[:n], order[n:]
    first_classes = other[source.labels[other] < 5]
    noise = torch.rand((n, *source.images.shape[1:]), generator=torch.Generator().manual_seed(1))
    compared = {
        "real (other half)": to_unit(other[:n]),
        "real, blurred (sigma 1 px)": gaussian_blur(to_unit(other[:n])),
        "real, classes 0-4 only": to_unit(first_classes[:n]),
        "uniform noise": noise,
    }
    return to_unit(reference), compared


def measure(fashion_path: str | None) -> dict:
    results: dict = {"classifiers": {}, "cases": {}}
    for file in sorted(WEIGHTS_DIR.glob("*_classifier.pt")):
        _, meta = load_classifier(file)
        results["classifiers"][meta["dataset"]] = {
            key: meta[key] for key in ("accuracy", "held_out", "n_train", "n_held_out", "epochs")
        }
    for data, extractor_name, n, path in (
        ("digits", "digits", 898, None),
        ("fashion-mnist", "fashion", 5000, fashion_path),
    ):
        try:
            reference, compared = cases(data, n, path)
        except UserError as error:
            print(f"skipping {data}: {error}")
            continue
        extractor = get_feature_extractor(extractor_name)
        real_features = extract_features(extractor, reference)
        rows = {}
        for label, images in compared.items():
            features = extract_features(extractor, images)
            precision, recall = precision_recall(real_features, features)
            rows[label] = {
                "n": len(images),
                f"fid_{extractor_name}": fid(real_features, features),
                f"kid_{extractor_name}": kid(real_features, features, seed=0)[0],
                "multiscale_swd": multiscale_swd(reference, images, seed=0)["mean"],
                "precision": precision,
                "recall": recall,
            }
            print(data, label, json.dumps(rows[label]), flush=True)
        results["cases"][data] = {"n_reference": len(reference), "rows": rows}
    return results


def render(results: dict) -> str:
    lines = [
        "| classifier | held-out accuracy | held out | trained on | epochs |",
        "|---|---|---|---|---|",
    ]
    for name, meta in results["classifiers"].items():
        lines.append(
            f"| {name} | {meta['accuracy']:.3f} | {meta['held_out']} ({meta['n_held_out']}) | "
            f"{meta['n_train']} images | {meta['epochs']} |"
        )
    for data, block in results["cases"].items():
        extractor = "digits" if data == "digits" else "fashion"
        lines += [
            "",
            f"{data}, reference: {block['n_reference']} real images",
            "",
            f"| compared set | n | FID ({extractor}) | KID | MS-SWD | P | R |",
            "|---|---|---|---|---|---|---|",
        ]
        for label, row in block["rows"].items():
            lines.append(
                f"| {label} | {row['n']} | {row[f'fid_{extractor}']:.3g} | "
                f"{row[f'kid_{extractor}']:.3g} | {row['multiscale_swd']:.3g} | "
                f"{row['precision']:.3f} | {row['recall']:.3f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fashion-path")
    args = parser.parse_args()
    print(render(measure(args.fashion_path)))


if __name__ == "__main__":
    main()
