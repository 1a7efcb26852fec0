"""``swgen eval``: every metric that fits a run's data, written to ``RUN/eval.json``.

* 2D Gaussian mixtures: modes covered, share of high-quality samples (within 3 standard
  deviations of a mode), exact W2 between sample sets (POT's ``ot.emd2``, when POT is installed)
  and the sliced W2 (``swgen.sliced``);
* other 2D data: exact W2 and sliced W2;
* images: multi-scale SWD on pixels (always); ``fid_digits``/``kid_digits``, precision and
  recall on the digits classifier's features for ``digits``; ``fid_fashion``/``kid_fashion`` for
  Fashion-MNIST and MNIST; ``fid_inception`` when asked for (``--inception``) or when the user
  gives Inception weights.

Real statistics come from ``reference_statistics`` (cached per dataset and extractor); generated
samples come from the EMA generator with a fixed seed, so an evaluation repeats exactly.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from swgen.errors import UserError
from swgen.train.checkpoint import TrainedRun, load_trained
from swgen.train.run_folder import atomic_write_bytes

MAX_SAMPLES = 10_000_000  # generated samples are held in memory at once
CLASSIFIER_FOR = {"digits": "digits", "fashion-mnist": "fashion", "mnist": "fashion"}
EXACT_W2_MAX_SAMPLES = 2000  # ot.emd2 is cubic in n


def evaluate_points(run: TrainedRun, n: int, seed: int) -> dict[str, Any]:
    from swgen.sliced import sliced_wasserstein

    fake = run.sample(n, seed=seed).double()
    real = run.data.to_data_space(run.data.sample(n, seed=seed + 1)).double()
    metrics: dict[str, Any] = {}
    if hasattr(run.data, "modes"):
        from swgen.metrics import mode_coverage

        coverage = mode_coverage(fake, run.data.modes, run.data.mode_std)
        metrics.update(coverage.as_dict())
        metrics["modes_covered_20"] = mode_coverage(
            fake, run.data.modes, run.data.mode_std, min_count=20
        ).modes_covered
    generator = torch.Generator().manual_seed(seed)
    metrics["sliced_w2"] = float(
        sliced_wasserstein(fake, real, n_projections=1024, generator=generator)
    )
    try:
        import ot
    except ImportError:
        metrics["w2"] = None
        metrics["w2_note"] = "POT is not installed (pip install pot) so the exact W2 is skipped"
    else:
        m = min(n, EXACT_W2_MAX_SAMPLES)
        cost = ot.dist(fake[:m].numpy(), real[:m].numpy())  # squared Euclidean
        metrics["w2"] = float(np.sqrt(ot.emd2([], [], cost, numItermax=10_000_000)))
        metrics["w2_samples"] = m
    return metrics


def evaluate_images(
    run: TrainedRun,
    n: int,
    seed: int,
    inception: bool,
    inception_weights: str | None,
    inception_n: int | None = None,
) -> dict[str, Any]:
    from swgen.metrics import (
        RESIZE_MODE,
        extract_features,
        fid,
        get_feature_extractor,
        kid,
        multiscale_swd,
        precision_recall,
        reference_statistics,
    )

    fake = run.sample(n, seed=seed)
    metrics: dict[str, Any] = {"resize": RESIZE_MODE}
    real_n = real_count(run, n)
    metrics["real_n"] = real_n
    real_images = run.data.to_data_space(run.data.sample(real_n, seed=seed + 1))
    if run.data.info.image_size >= 16:
        swd = multiscale_swd(real_images, fake, seed=seed)
        metrics["multiscale_swd"] = {str(k): v for k, v in swd.items()}
    extractors = []  # (name, options, samples)
    classifier = CLASSIFIER_FOR.get(run.config.data.name.lower())
    if classifier is not None:
        extractors.append((classifier, {}, n))
    if inception or inception_weights:
        # Inception costs ~0.1-0.2 s per image on a CPU: it may use fewer samples than the rest.
        count = min(n, inception_n or n)
        extractors.append(("inception", {"weights": inception_weights}, count))
        metrics["inception_n"] = count
    for name, options, count in extractors:
        extractor = get_feature_extractor(name, **{k: v for k, v in options.items() if v})
        reference = reference_statistics(run.config.data, extractor, count, seed=seed + 1)
        fake_features = extract_features(extractor, fake[:count])
        real_features = (
            reference.features
            if reference.features is not None
            else extract_features(extractor, real_images[: min(count, real_n)])
        )
        metrics[f"fid_{name}"] = fid(real_features, fake_features)
        mean, std = kid(real_features, fake_features, seed=seed)
        metrics[f"kid_{name}"] = {"mean": mean, "std": std}
        if name != "inception":
            precision, recall = precision_recall(real_features, fake_features)
            metrics[f"precision_{name}"] = precision
            metrics[f"recall_{name}"] = recall
    return metrics


def real_count(run: TrainedRun, n: int) -> int:
    """Real samples to compare ``n`` generated ones with: ``n``, or all of a smaller dataset.

    Drawing more than a finite dataset holds would count real images twice and flatter every
    metric, so the real set stops at the dataset's size and a warning says so.
    """
    size = len(run.data) if hasattr(run.data, "__len__") else n
    if n > size:
        warnings.warn(
            f"--n {n} is more than the {size} real samples of {run.config.data.name}; "
            f"comparing {n} generated samples with all {size} real ones (each used once)",
            stacklevel=2,
        )
    return min(n, size)


def training_metrics(trainer: Any) -> dict[str, float]:
    """Cheap metrics logged during training (``train.eval_every``), from the EMA generator.

    2D mixtures: modes covered, high-quality share and sliced W2; other 2D data: sliced W2;
    images: multi-scale SWD (16 px and up) and, for datasets with a shipped classifier, its FID.
    """
    from swgen.sliced import sliced_wasserstein

    n = trainer.config.train.eval_samples
    seed = trainer.config.train.seed
    latents = trainer.model.sample_latent(n, torch.Generator().manual_seed(seed + 7))
    fake = trainer.generate(latents).cpu()
    data = trainer.data
    real = data.to_data_space(data.sample(n, seed=seed + 1)).cpu()
    metrics: dict[str, float] = {}
    if data.info.kind == "points":
        if hasattr(data, "modes"):
            from swgen.metrics import mode_coverage

            coverage = mode_coverage(fake, data.modes, data.mode_std)
            metrics["modes_covered"] = coverage.modes_covered
            metrics["high_quality_fraction"] = coverage.high_quality_fraction
        generator = torch.Generator().manual_seed(seed)
        metrics["sliced_w2"] = float(
            sliced_wasserstein(fake.double(), real.double(), 256, generator=generator)
        )
        return metrics
    from swgen.metrics import extract_features, fid, get_feature_extractor, multiscale_swd

    if data.info.image_size >= 16:
        metrics["multiscale_swd"] = multiscale_swd(real, fake, seed=seed)["mean"]
    classifier = CLASSIFIER_FOR.get(trainer.config.data.name.lower())
    if classifier is not None:
        extractor = get_feature_extractor(classifier)
        metrics[f"fid_{classifier}"] = fid(
            extract_features(extractor, real), extract_features(extractor, fake)
        )
    return metrics


def evaluate_run(
    run_dir: str | Path,
    n: int = 5000,
    seed: int = 0,
    device: str = "cpu",
    inception: bool = False,
    inception_weights: str | None = None,
    inception_n: int | None = None,
) -> dict[str, Any]:
    """Compute the metrics of a trained run and write them to ``RUN/eval.json``.

    ``inception_n`` caps the samples of ``fid_inception``/``kid_inception`` (default ``n``).
    """
    if not 2 <= n <= MAX_SAMPLES:
        raise UserError(f"--n must be between 2 and {MAX_SAMPLES}, got {n}")
    if inception_n is not None and not 2 <= inception_n <= MAX_SAMPLES:
        raise UserError(f"--inception-n must be between 2 and {MAX_SAMPLES}, got {inception_n}")
    run = load_trained(run_dir, device=device)
    started = time.perf_counter()
    if run.data.info.kind == "points":
        metrics = evaluate_points(run, n, seed)
    else:
        metrics = evaluate_images(run, n, seed, inception, inception_weights, inception_n)
    result = {
        "model": run.config.model_name,
        "data": run.config.data.name,
        "step": run.step,
        "n": n,
        "seed": seed,
        "weights": "ema" if run.config.train.ema_decay > 0 else "raw",
        "metrics": metrics,
        "seconds": round(time.perf_counter() - started, 2),
    }
    written = Path(run_dir) / "eval.json"
    try:
        atomic_write_bytes(written, json.dumps(result, indent=1).encode())
    except OSError as error:
        raise UserError(
            f"cannot write '{written}' ({error.strerror or error}); make the run folder writable"
        ) from None
    return result
