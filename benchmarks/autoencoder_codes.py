"""Why an auto-encoder's samples are poor: its decoder on its own codes, then on the prior's noise.

    python benchmarks/autoencoder_codes.py RUN [RUN ...] [--n 2000] [--seed 0]

For each trained run of an auto-encoder (``swae``, ``wae``), the classifier FID (digits or
Fashion-MNIST classifier, as ``swgen eval``) of the decoder applied to

- the codes of real digits (SWAE: ``Q(x, z) = S_p,m o ... o S_p,1 o E(x)``, the blocks moving each
  training-sized batch of codes towards a batch of noise ``z``, exactly as in training; WAE:
  ``E(x)``), which is what the decoder was trained on, and
- fresh noise ``z ~ N(0, I)``, which is what it is sampled on (the quality tables' FID),

with the largest and smallest covariance eigenvalues of the raw codes ``E(x)``, of the codes the
decoder sees, and of ``z`` (about 1). A decoder that is good on its codes and poor on ``z`` has
learned on codes unlike the noise: the mismatch issue 7 diagnosed for SWAE, measured here.
The decoder is the weights samples use (EMA where the run kept one); the encoder the trained one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


@torch.no_grad()
def measure(folder: Path, n: int, seed: int) -> dict[str, float]:
    from swgen.evaluate import CLASSIFIER_FOR
    from swgen.metrics import extract_features, fid, get_feature_extractor
    from swgen.train.checkpoint import load_trained

    run = load_trained(folder)
    classifier = CLASSIFIER_FOR.get(run.config.data.name.lower())
    if classifier is None or not hasattr(run.model, "encoder"):
        raise SystemExit(
            f"{folder}: not an auto-encoder run on a data set with a classifier "
            f"({run.config.model_name} on {run.config.data.name}); pass swae or wae runs on "
            f"one of: {', '.join(CLASSIFIER_FOR)}"
        )
    model = run.model.eval()
    real = run.data.sample(n, seed=seed + 1)
    generator = torch.Generator().manual_seed(seed)
    batch = run.config.train.batch_size
    raw, seen = [], []
    for start in range(0, n, batch):
        x = real[start : start + batch]
        codes = model.encoder(x)
        raw.append(codes)
        if hasattr(model, "blocks"):  # SWAE: the blocks, with one noise batch, as in training
            z = torch.randn(x.shape[0], codes.shape[1], generator=generator)
            codes = model.encode(x, z)
        seen.append(codes)
    raw_codes, seen_codes = torch.cat(raw), torch.cat(seen)
    noise = torch.randn(n, raw_codes.shape[1], generator=generator)
    extractor = get_feature_extractor(classifier)
    distinct = min(n, len(run.data))  # beyond one epoch the real set repeats itself
    real_features = extract_features(extractor, run.data.to_data_space(real[:distinct]))

    def decoded_fid(codes: torch.Tensor) -> float:
        images = torch.cat([run.generate(c) for c in codes.split(500)])
        return fid(real_features, extract_features(extractor, images))

    def eigenvalues(codes: torch.Tensor) -> tuple[float, float]:
        values = torch.linalg.eigvalsh(torch.cov(codes.T.double()))
        return float(values.max()), float(values.min())

    result = {"fid_on_codes": decoded_fid(seen_codes), "fid_on_noise": decoded_fid(noise)}
    for name, codes in (("raw", raw_codes), ("seen", seen_codes), ("noise", noise)):
        result[f"{name}_eig_max"], result[f"{name}_eig_min"] = eigenvalues(codes)
    return result


def render(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| run | FID, decoder on its codes | FID, decoder on z | codes E(x): eig max / min "
        "| codes decoded: eig max / min | z: eig max / min |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['fid_on_codes']:.3g} | {r['fid_on_noise']:.3g} "
            f"| {r['raw_eig_max']:.3g} / {r['raw_eig_min']:.2g} "
            f"| {r['seen_eig_max']:.3g} / {r['seen_eig_min']:.2g} "
            f"| {r['noise_eig_max']:.3g} / {r['noise_eig_min']:.2g} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = {
        f"{run.parent.parent.name}/{run.name}": measure(run, args.n, args.seed) for run in args.runs
    }
    print(render(results))


if __name__ == "__main__":
    main()
