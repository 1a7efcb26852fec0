"""Does discriminator optimal transport in latent space raise the main job's recognised share?

    python benchmarks/latent_dot.py RUN [RUN ...] [--steps 10] [--lr 0.01] [--optimizer sgd]
        [--n 2000] [--seed 0]

Latent-space DOT (Tanaka, NeurIPS 2019, Algorithm 2; read from the author's public code): a
Wasserstein critic ``D`` (here realness ``r = -g(D(G(z)))``, the model's per-sample generator
loss negated, which for SWGAN, WGAN and WGAN-GP is the critic itself up to sign) is a dual
potential, and each prior code ``y`` is moved to

    z* = argmin_z ||z - y + 0.001||_2 - r(G(z)) / k_eff,

by ``--steps`` steps of SGD (the code's default, lr 0.05) or Adam (betas 0, 0.9), with
``k_eff = max |r(G(z1)) - r(G(z2))| / ||z1 - z2||`` over 100 pairs of prior codes, the
critic's effective Lipschitz constant in latent space. The samples are ``G(z*)``, drawn from the
same codes as ``swgen eval`` draws (sample seed ``--seed``), and measured as ``swgen eval``
measures them; nothing is written into the run folders. The run's critic is the one saved with
it (trained against the raw generator), the generator its EMA weights, as ``swgen sample`` uses.

Not an option of ``swgen sample``: on the main job it did not beat the truncation trick
(BENCHMARKS.md, "What else did not help").
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def realness_of(model):
    def realness(z: torch.Tensor) -> torch.Tensor:
        return -model.generator_losses(model.generate(z)).reshape(len(z))

    return realness


def effective_lipschitz(model, realness, pairs: int = 100) -> float:
    generator = torch.Generator().manual_seed(123)
    with torch.no_grad():
        z1, z2 = model.sample_codes(pairs, generator), model.sample_codes(pairs, generator)
        ratios = (realness(z1) - realness(z2)).abs() / (z1 - z2).norm(dim=1)
    return ratios.max().item()


def measure(folder: str, steps: int, lr: float, optimizer: str, n: int, seed: int) -> dict:
    from swgen.evaluate import CLASSIFIER_FOR, evaluate_images
    from swgen.train.checkpoint import load_trained

    run = load_trained(folder)
    model = run.model
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    realness = realness_of(model)
    k_eff = effective_lipschitz(model, realness)
    plain_generate = run.generate
    moved: list[float] = []

    def transported(codes: torch.Tensor) -> torch.Tensor:
        start = codes.to(model.device)
        z = start.clone().requires_grad_(True)
        if optimizer == "sgd":
            step = torch.optim.SGD([z], lr=lr)
        else:
            step = torch.optim.Adam([z], lr=lr, betas=(0.0, 0.9))
        with torch.enable_grad():
            for _ in range(steps):
                step.zero_grad()
                cost = (z - start + 0.001).norm(dim=1) - realness(z) / k_eff
                cost.sum().backward()
                step.step()
        moved.append((z - start).norm(dim=1).mean().item())
        return plain_generate(z.detach())

    run.generate = transported
    started = time.perf_counter()
    metrics = evaluate_images(run, n, seed, False, None, None)
    classifier = CLASSIFIER_FOR[run.config.data.name.lower()]
    return {
        "run": folder,
        "steps": steps,
        "lr": lr,
        "optimizer": optimizer,
        "k_eff": k_eff,
        "mean_move": sum(moved) / max(1, len(moved)),
        "fid": metrics[f"fid_{classifier}"],
        "recognised": metrics[f"recognised_{classifier}"],
        "precision": metrics[f"precision_{classifier}"],
        "recall": metrics[f"recall_{classifier}"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for folder in args.runs:
        row = measure(folder, args.steps, args.lr, args.optimizer, args.n, args.seed)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
