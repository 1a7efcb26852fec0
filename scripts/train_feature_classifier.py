"""Train the small classifier whose features give ``fid_digits`` and ``fid_fashion``.

    python scripts/train_feature_classifier.py --dataset digits
    python scripts/train_feature_classifier.py --dataset fashion --data-path FOLDER

``digits``: scikit-learn's 1797 digits at 32 px, a seeded 80/20 split (``held_out_split``); the
accuracy on the 20 % held out is stored. ``fashion``: Fashion-MNIST's 60k training images at 32 px;
the accuracy on its 10k test images (t10k) is stored. Images come through swgen's own datasets
(PIL bicubic upsampling on floats, uint8), so the classifier sees what the metrics feed it. Training
uses random shifts of up to 2 px, Adam, one CPU thread, a fixed seed. Weights are saved as
``{"state_dict": ..., "metadata": {...}}`` to ``src/swgen/metrics/weights/<dataset>_classifier.pt``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data import DataConfig, build_dataset, read_idx
from swgen.data.memory import grayscale_to_uint8
from swgen.data.mnist import DEBIAN_FASHION_MNIST, idx_names
from swgen.metrics.features import WEIGHTS_DIR, FeatureClassifier, held_out_split

IMAGE_SIZE = 32
HELD_OUT_FRACTION = 0.2


def to_model_space(pixels: Tensor) -> Tensor:
    return pixels.float() / 127.5 - 1.0


def digits_splits(seed: int) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor], str]:
    source = build_dataset(DataConfig(name="digits", image_size=IMAGE_SIZE))
    train, held_out = held_out_split(len(source), HELD_OUT_FRACTION, seed)
    x, y = to_model_space(source.images), source.labels
    return (x[train], y[train]), (x[held_out], y[held_out]), f"random {HELD_OUT_FRACTION:.0%}"


def read_fashion_split(folder: Path, split: str) -> tuple[Tensor, Tensor]:
    def find(kind: str) -> Path:
        return next(folder / n for n in idx_names(split, kind) if (folder / n).is_file())

    images = read_idx(find("images")).astype(np.float32) / 255.0
    labels = torch.as_tensor(read_idx(find("labels")).astype(np.int64))
    return to_model_space(grayscale_to_uint8(images, IMAGE_SIZE, 1)), labels


def fashion_splits(folder: Path) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor], str]:
    return read_fashion_split(folder, "train"), read_fashion_split(folder, "t10k"), "t10k"


def random_shift(x: Tensor, generator: torch.Generator, pixels: int = 2) -> Tensor:
    """The batch shifted by one random offset of up to ``pixels`` per axis (background -1 fills)."""
    padded = F.pad(x, (pixels,) * 4, value=-1.0)
    size = x.shape[-1]
    dy, dx = torch.randint(0, 2 * pixels + 1, (2,), generator=generator).tolist()
    return padded[..., dy : dy + size, dx : dx + size]


@torch.no_grad()
def accuracy(model: FeatureClassifier, x: Tensor, y: Tensor) -> float:
    model.eval()
    predictions = torch.cat([model(x[i : i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((predictions == y).double().mean())


def train(
    model: FeatureClassifier, x: Tensor, y: Tensor, epochs: int, seed: int, batch_size: int
) -> None:
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimiser, epochs * (-(-len(x) // batch_size))
    )
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            loss = F.cross_entropy(model(random_shift(x[batch], generator)), y[batch])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["digits", "fashion"], required=True)
    parser.add_argument(
        "--data-path", default=str(DEBIAN_FASHION_MNIST), help="Fashion-MNIST IDX folder"
    )
    parser.add_argument("--epochs", type=int, default=None, help="default: 40 digits, 8 fashion")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: 64 digits, 128 fashion"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default=None, help="default: swgen/metrics/weights/<dataset>_classifier.pt"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    if args.dataset == "digits":
        (x, y), (x_test, y_test), held_out = digits_splits(args.seed)
    else:
        (x, y), (x_test, y_test), held_out = fashion_splits(Path(args.data_path))
    epochs = args.epochs or (40 if args.dataset == "digits" else 8)
    batch_size = args.batch_size or (64 if args.dataset == "digits" else 128)
    model = FeatureClassifier()
    started = time.perf_counter()
    train(model, x, y, epochs, args.seed, batch_size)
    seconds = time.perf_counter() - started
    held_out_accuracy = accuracy(model, x_test, y_test)
    print(
        f"{args.dataset}: held-out accuracy {held_out_accuracy:.4f} on {len(x_test)} images "
        f"({held_out}); trained on {len(x)} in {seconds:.0f} s"
    )

    metadata = {
        "dataset": args.dataset,
        "n_classes": 10,
        "feature_dim": model.head.in_features,
        "width": model.body[3].out_channels,
        "image_size": IMAGE_SIZE,
        "accuracy": held_out_accuracy,
        "held_out": held_out,
        "held_out_fraction": HELD_OUT_FRACTION if args.dataset == "digits" else None,
        "n_train": len(x),
        "n_held_out": len(x_test),
        "seed": args.seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "torch_version": str(torch.__version__),
    }
    out = Path(args.out) if args.out else WEIGHTS_DIR / f"{args.dataset}_classifier.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "metadata": metadata}, out)
    print(f"saved {out} ({out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
