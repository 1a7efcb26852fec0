"""Train the small 3D-conv classifier whose features give ``fvd_moving_digits``.

    python scripts/train_video_classifier.py [--clips 6000] [--epochs 8]

Clips come from swgen's own ``moving-digits`` generator, from two disjoint sets of sklearn digit
images (a seeded 80/20 split of the 1797): training clips use the 80 %, held-out clips the 20 %,
so held-out accuracy is measured on handwriting the network never saw. Half the clips are the
dataset's default (16 frames of 32 px), half the benchmark's (8 frames of 16 px); frames are
resized to 16 px as the metric feeds them. Targets are 14 independent labels (10: "digit d is in
the clip", 4: "a digit starts moving in direction k"), trained with binary cross-entropy, Adam,
one CPU thread, a fixed seed. Stored accuracies: all 10 digit labels right, all 4 direction labels
right, and the mean over the 14 labels, on the held-out clips. Weights are saved as
``{"state_dict": ..., "metadata": {...}}`` to
``src/swgen/metrics/weights/moving_digits_classifier.pt`` (float16 to keep the file small).
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.moving_digits import make_moving_digits
from swgen.metrics.features import held_out_split
from swgen.metrics.video import FRAME_SIZE, VIDEO_WEIGHTS, VideoClassifier, prepare_clips

SEED = 0
TRAIN_SEED, HELD_OUT_SEED = 101, 202  # clip generators apart from the dataset's own


def targets(labels: Tensor) -> Tensor:
    """(N, 5) moving-digits labels -> (N, 14) multi-hot: digit classes present, directions."""
    out = torch.zeros(len(labels), 14)
    for slot in range(2):
        present = labels[:, 1 + 2 * slot] >= 0
        rows = present.nonzero().squeeze(1)
        out[rows, labels[rows, 1 + 2 * slot]] = 1
        out[rows, 10 + labels[rows, 2 + 2 * slot]] = 1
    return out


def make_set(count: int, seed: int, glyphs: Tensor) -> list[tuple[Tensor, Tensor]]:
    """Two groups of clips (16 x 32^2 and 8 x 16^2), prepared as the metric feeds them."""
    groups = []
    for frames, size, offset in ((16, 32, 0), (8, 16, 1)):
        clips, labels = make_moving_digits(count // 2, frames, size, seed + offset, glyphs.numpy())
        groups.append((prepare_clips(clips.float() / 255), targets(labels)))
    return groups


@torch.no_grad()
def accuracy(model: VideoClassifier, groups: list[tuple[Tensor, Tensor]]) -> dict[str, float]:
    model.eval()
    predictions = torch.cat([(model(x) > 0).float() for x, _ in groups])
    truth = torch.cat([y for _, y in groups])
    right = predictions == truth
    return {
        "accuracy_digit_set": right[:, :10].all(dim=1).float().mean().item(),
        "accuracy_direction_set": right[:, 10:].all(dim=1).float().mean().item(),
        "accuracy_per_label": right.float().mean().item(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    train_glyphs, held_out_glyphs = held_out_split(1797, 0.2, SEED)
    train = make_set(args.clips, TRAIN_SEED, train_glyphs)
    held_out = make_set(args.clips // 5, HELD_OUT_SEED, held_out_glyphs)
    model = VideoClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(SEED)
    started = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        for x, y in train:
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), args.batch_size):
                index = order[start : start + args.batch_size]
                loss = F.binary_cross_entropy_with_logits(model(x[index]), y[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        scores = accuracy(model, held_out)
        print(f"epoch {epoch + 1}: loss {loss.item():.3f} held-out {scores}", flush=True)
    metadata = {
        "n_outputs": 14,
        "feature_dim": 64,
        "width": 8,
        "frame_size": FRAME_SIZE,
        "train_clips": args.clips,
        "held_out_clips": args.clips // 5,
        "held_out": "clips of the 20 % of sklearn digits the training clips never use",
        "epochs": args.epochs,
        "seconds": round(time.perf_counter() - started),
        **{k: round(v, 4) for k, v in accuracy(model, held_out).items()},
    }
    state = {k: v.half() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "metadata": metadata}, VIDEO_WEIGHTS)
    print(f"saved {VIDEO_WEIGHTS}: {metadata}")


if __name__ == "__main__":
    main()
