"""``swgen eval``: every metric that fits a run's data, written to ``RUN/eval.json``.

* 2D Gaussian mixtures: modes covered, share of high-quality samples (within 3 standard
  deviations of a mode), exact W2 between sample sets (POT's ``ot.emd2``, when POT is installed)
  and the sliced W2 (``swgen.sliced``);
* other 2D data: exact W2 and sliced W2;
* video: ``fvd_moving_digits`` (Fréchet distance on the shipped moving-digits 3D classifier, for
  moving-digits runs) and ``frame_fid_digits`` (the digits classifier's FID over frames), see
  ``swgen.metrics.video``;
* translation (models that map data): per direction, PSNR, SSIM and label preservation of
  held-out translations against their truth where the dataset knows it (``digits-recolour``),
  beside the identity map's, and multi-scale SWD against the target domain
  (:func:`evaluate_translation`); label maps to images (``spade``, or pix2pix on maps): a proxy
  segmenter's pixel accuracy and mIoU against the input maps and a Fréchet distance in its
  features (``swgen.metrics.segmentation``); among the domains of labelled images (stargan),
  per target domain, a proxy domain classifier's accuracy, label preservation and PSNR/SSIM
  against the truth (:func:`evaluate_domain_translation`); enhancement (paired data,
  ``dacal``): PSNR and SSIM of held-out photos at a downscaled size and at full resolution,
  beside the untouched inputs' (:func:`evaluate_enhancement`, ``swgen.metrics.enhancement``);
* images: multi-scale SWD on pixels (always); ``fid_digits``/``kid_digits``, precision and
  recall on the digits classifier's features for ``digits``, and ``recognised_digits``, the share
  of samples the classifier assigns a class with probability >= 0.9 (beside the same share of
  real images, ``recognised_digits_real``); ``fid_fashion``/``kid_fashion`` for
  Fashion-MNIST and MNIST; ``fid_inception`` when asked for (``--inception``) or when the user
  gives Inception weights; for a run that samples by class (``model.conditional=true``, the AAE's
  supervised prior) on digits, MNIST or Fashion-MNIST, ``label_agreement_<classifier>``: how often
  the shipped classifier calls a sample drawn for class K class K, overall and per class; for a
  model with a W space (``stylegan``), ``ppl_w_<net>``/``ppl_z_<net>``, the perceptual path
  length in W and Z on that classifier's activations (or Inception's when asked for), a proxy of
  the paper's LPIPS-based one (:mod:`swgen.metrics.path_length`).

One image (models that ``learns_one_image``, ``singan``): ``sifid_proxy`` and
``diversity`` of samples from scales 0 and 1 (``swgen.metrics.sifid``).

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
# The classifier whose classes are the dataset's labels (MNIST's are the digits').
LABEL_CLASSIFIER_FOR = {"digits": "digits", "mnist": "digits", "fashion-mnist": "fashion"}
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
    from swgen.metrics.recognised import recognised_share

    fake = run.sample(n, seed=seed)
    metrics: dict[str, Any] = {"resize": RESIZE_MODE}
    # A model still growing (progressive growing below full resolution) is compared with real
    # data as it currently learns them, not with what it cannot yet produce.
    real_n = real_count(run, n)
    metrics["real_n"] = real_n
    real_images = run.data.to_data_space(
        run.model.real_view(run.data.sample(real_n, seed=seed + 1))
    )
    at_full_data = run.model.stage().get("grown", True)
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
        fake_features = extract_features(extractor, fake[:count])
        reference = (
            reference_statistics(run.config.data, extractor, count, seed=seed + 1)
            if at_full_data
            else None
        )
        real_features = (
            reference.features
            if reference is not None and reference.features is not None
            else extract_features(extractor, real_images[: min(count, real_n)])
        )
        metrics[f"fid_{name}"] = fid(real_features, fake_features)
        mean, std = kid(real_features, fake_features, seed=seed)
        metrics[f"kid_{name}"] = {"mean": mean, "std": std}
        if name != "inception":
            precision, recall = precision_recall(real_features, fake_features)
            metrics[f"precision_{name}"] = precision
            metrics[f"recall_{name}"] = recall
            metrics[f"recognised_{name}"] = recognised_share(fake[:count], name)
            metrics[f"recognised_{name}_real"] = recognised_share(real_images[:count], name)
    if getattr(run.model, "style_space", False):  # a W space (StyleGAN): perceptual path length
        from swgen.metrics.path_length import path_length_metrics

        name = classifier or ("inception" if inception or inception_weights else "digits")
        slow = name == "inception"  # as fid_inception, at most --inception-n pairs
        options = {"weights": inception_weights} if slow and inception_weights else {}
        pairs = min(n, inception_n or n) if slow else n
        extractor = get_feature_extractor(name, **options)
        metrics.update(path_length_metrics(run, pairs, seed, extractor))
    metrics.update(class_metrics(run, n, seed))
    return metrics


def class_metrics(run: TrainedRun, n: int, seed: int) -> dict[str, Any]:
    """``label_agreement_<classifier>`` for runs that sample by class (module docstring):
    ``n // K`` samples of each class ``K``."""
    from swgen.metrics.recognised import label_agreement

    classifier = LABEL_CLASSIFIER_FOR.get(run.config.data.name.lower())
    if classifier is None or not run.model.samples_by_class:
        return {}
    classes = run.data.info.num_classes
    per_class = max(1, n // classes)
    images = torch.cat([run.sample(per_class, seed=seed + k, label=k) for k in range(classes)])
    labels = torch.arange(classes).repeat_interleave(per_class)
    return {f"label_agreement_{classifier}": label_agreement(images, labels, classifier)}


def evaluate_video(
    run: TrainedRun, n: int, seed: int, inception: bool, inception_weights: str | None,
    inception_n: int | None = None, frames_per_clip: int = 8,
) -> dict[str, Any]:  # fmt: skip
    """Clips: ``fvd_moving_digits`` (moving-digits runs) and frame-level FIDs.

    Frame-level metrics take ``frames_per_clip`` frames spread over each clip, so a clip weighs
    the same whatever its length. See ``swgen.metrics.video`` for what the numbers mean.
    """
    from swgen.metrics import extract_features, fid, get_feature_extractor
    from swgen.metrics.video import frames_of, load_video_classifier, video_features

    fake = run.sample(n, seed=seed)
    real = run.data.to_data_space(run.model.real_view(run.data.sample(n, seed=seed + 1)))
    metrics: dict[str, Any] = {}
    if run.config.data.name.lower() == "moving-digits":
        classifier, metadata = load_video_classifier()
        metrics["fvd_moving_digits"] = fid(
            video_features(classifier, real), video_features(classifier, fake)
        )
        metrics["video_classifier_held_out_accuracy"] = {
            k: v for k, v in metadata.items() if k.startswith("accuracy")
        }
        metrics["fvd_note"] = (
            "Frechet distance on swgen's small moving-digits 3D-conv classifier: compare swgen "
            "models with it, not with the SWGAN paper's video FID (another network and data)"
        )
    fake_frames, real_frames = (frames_of(c, frames_per_clip) for c in (fake, real))
    names = ["digits"] + (["inception"] if inception or inception_weights else [])
    for name in names:
        options = (
            {"weights": inception_weights} if name == "inception" and inception_weights else {}
        )
        extractor = get_feature_extractor(name, **options)
        count = len(fake_frames) if name == "digits" else min(len(fake_frames), inception_n or n)
        metrics[f"frame_fid_{name}"] = fid(
            extract_features(extractor, real_frames[:count]),
            extract_features(extractor, fake_frames[:count]),
        )
    metrics["frames_per_clip"] = min(frames_per_clip, fake.shape[2])
    return metrics


def evaluate_translation(run: Any, n: int, seed: int) -> dict[str, Any]:
    """Metrics of a model that maps data (``run`` is a ``TrainedRun`` or a ``Trainer``: anything
    with ``model``, ``data`` and ``translate``), per direction, on ``n`` held-out inputs.

    With true translations (``digits-recolour``, ``digits-pairs``): ``psnr`` and ``ssim`` against
    them and, as a floor, ``psnr_identity``/``ssim_identity`` of the untouched inputs. With a
    shipped classifier: ``label_preservation`` (the classifier's class of the input kept by the
    output), beside the identity's (``label_preservation_identity``) and the truth's
    (``label_preservation_truth``, the ceiling). From 16 px: ``multiscale_swd`` between the
    outputs and held-out images of the target domain (realism, without pairs).
    """
    from swgen.metrics import multiscale_swd
    from swgen.metrics.domain_translation import is_domain_data
    from swgen.metrics.translation import label_preservation, mean_finite, psnr, ssim

    data = run.data
    if data.info.map_classes:  # label maps -> images: adherence to the map and realism
        from swgen.metrics.segmentation import evaluate_label_maps

        return evaluate_label_maps(run, n, seed)
    # Paired photos of any size are measured whole; paired data whose held-out rows are of one
    # size with their truth (``paired_test``, e.g. ``digits-pairs``) as translations below.
    if data.info.pairing == "paired" and not getattr(data, "paired_test", False):
        return evaluate_enhancement(run, n)
    if is_domain_data(data.info):
        return evaluate_domain_translation(run, n, seed)
    metrics: dict[str, Any] = {}
    for direction in run.model.directions:
        source, target = direction[0], direction[-1]
        count = min(n, len(data.held_out_domains[source]))  # each held-out image once
        if count < n:
            # As ``real_count``: a metric is a mean over inputs, so a small held-out set still
            # gives one (PSNR over Set5's five images is the field's custom), but never silently.
            warnings.warn(
                f"asked for {n} samples, but domain {source} holds {count} held-out "
                f"image(s) (its test images, or its training images without a test split); "
                f"{direction} is measured on those {count}, each once",
                stacklevel=2,
            )
        held = data.held_out(count, direction, seed)
        inputs, outputs = run.translate(held.x, direction)[:2]
        targets = data.to_data_space(held.y)
        found: dict[str, Any] = {"n": count}
        if data.paired_test:
            for name, images in (("", outputs), ("_identity", inputs)):
                found[f"psnr{name}"] = mean_finite(psnr(images, targets))
                found[f"ssim{name}"] = float(ssim(images, targets).mean())
        if data.classifier is not None:
            view = data.classifier_view
            before = view(inputs, source)
            for name, images in (("", outputs), ("_identity", inputs), ("_truth", targets)):
                if name == "_truth" and not data.paired_test:
                    continue
                found[f"label_preservation{name}"] = label_preservation(
                    before, view(images, target), data.classifier
                )
        if data.info.image_size >= 16 and count >= 2:
            found["multiscale_swd"] = multiscale_swd(targets, outputs, seed=seed)["mean"]
        metrics[direction] = found
    return metrics


def evaluate_domain_translation(run: Any, n: int, seed: int) -> dict[str, Any]:
    """Metrics of a model that maps among the domains (classes) of labelled images (StarGAN),
    per target domain, on ``n`` held-out inputs of the other domains
    (``swgen.metrics.domain_translation``): ``domain_accuracy`` (a proxy classifier's),
    beside the inputs' (``_identity``); with a shipped classifier ``label_preservation``
    (beside the truth's, the ceiling); with true translations (``digits-styles``) ``psnr`` and
    ``ssim`` against them, beside the inputs'. ``mean``: each averaged over target domains,
    with ``domain_accuracy_real``, the classifier's accuracy on real held-out images."""
    from swgen.metrics.domain_translation import domain_classifier_of, viewed
    from swgen.metrics.translation import label_preservation, mean_finite, psnr, ssim

    data = run.data
    source = getattr(data, "source", data)  # a RunData opens its dataset here
    names = data.info.class_names
    held_out = getattr(source, "held_out_count", None)
    count = min(n, len(source) if held_out is None else held_out)
    if count < n:
        kind = " (their training images: no held-out set)" if held_out is None else ""
        warnings.warn(
            f"asked for {n} samples, but the data hold {count} held-out input(s){kind}; "
            f"measured on those {count}, each once",
            stacklevel=2,
        )
    held = data.sample_batch(count, seed)
    truth = (
        data.to_data_space(source.held_out_in_every_domain(count, seed))
        if hasattr(source, "held_out_in_every_domain")
        else None
    )
    classifier = domain_classifier_of(source, seed)
    shipped = getattr(source, "classifier", None)
    metrics: dict[str, Any] = {}
    for target, name in enumerate(names):
        others = held.labels != target  # inputs of the other domains
        if not bool(others.any()):
            continue
        inputs, outputs = run.translate(held.x[others], name)[:2]
        wanted = torch.full((len(inputs),), target)
        found: dict[str, Any] = {"n": len(inputs)}
        for suffix, images in (("", outputs), ("_identity", inputs)):
            found[f"domain_accuracy{suffix}"] = classifier.accuracy(images, wanted)
        if truth is not None:
            true = truth[others, target]
            for suffix, images in (("", outputs), ("_identity", inputs)):
                found[f"psnr{suffix}"] = mean_finite(psnr(images, true))
                found[f"ssim{suffix}"] = float(ssim(images, true).mean())
        if shipped is not None:
            before = viewed(inputs, held.labels[others], names, source.classifier_view)
            after = [("", outputs)]
            if truth is not None:
                after.append(("_truth", truth[others, target]))
            for suffix, images in after:
                found[f"label_preservation{suffix}"] = label_preservation(
                    before, source.classifier_view(images, name), shipped
                )
        metrics[name] = found
    real = truth.flatten(end_dim=1) if truth is not None else data.to_data_space(held.x)
    real_domains = (
        torch.arange(len(names)).repeat(count) if truth is not None else held.labels.cpu()
    )
    mean: dict[str, Any] = {"n": count, "translations": sum(f["n"] for f in metrics.values())}
    for key in next(iter(metrics.values())):
        if key != "n":
            mean[key] = float(np.mean([found[key] for found in metrics.values()]))
    mean["domain_accuracy_real"] = classifier.accuracy(real, real_domains)
    return {**metrics, "mean": mean}


def evaluate_enhancement(run: Any, n: int) -> dict[str, Any]:
    """PSNR_d, SSIM_d, PSNR_f, SSIM_f (``swgen.metrics.enhancement``) of the first ``n``
    held-out pairs of a paired dataset, whole, each at its own size, beside the identity's."""
    from swgen.metrics.enhancement import enhancement_scores

    direction = run.model.directions[0]
    held_out = run.data.held_out_pairs()
    if len(held_out) < n:
        warnings.warn(
            f"asked for {n} samples, but the data hold {len(held_out)} held-out pair(s) "
            f"(the test split, or the training pairs without one); {direction} is measured on "
            f"those {len(held_out)}, each once",
            stacklevel=2,
        )
    pairs = [(run.data.to_data_space(x), run.data.to_data_space(y)) for x, y in held_out[:n]]

    def enhance(images: torch.Tensor) -> torch.Tensor:
        return run.translate(images * 2 - 1, direction)[1]

    return {direction: {"n": len(pairs), **enhancement_scores(enhance, pairs)}}


def real_count(run: TrainedRun, n: int) -> int:
    """Real samples to compare ``n`` generated ones with: ``n``, or all of a smaller dataset.

    Drawing more than a finite dataset holds would count real images twice and flatter every
    metric, so the real set stops at the dataset's size and a warning says so.
    """
    source = getattr(run.data, "source", run.data)  # a RunData opens its dataset for the count
    size = len(source) if hasattr(source, "__len__") else n
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
    images: multi-scale SWD (16 px and up) and, for datasets with a shipped classifier, its FID
    and the share of samples it recognises.
    """
    from swgen.sliced import sliced_wasserstein

    n = trainer.config.train.eval_samples
    seed = trainer.config.train.seed
    if trainer.model.maps_data:
        return {
            f"{key}_{direction}": value
            for direction, found in evaluate_translation(trainer, n, seed).items()
            for key, value in found.items()
            if key != "n"
        }
    latents = trainer.model.sample_codes(n, torch.Generator().manual_seed(seed + 7))
    fake = trainer.generate(latents).cpu()
    data = trainer.data
    real = data.to_data_space(trainer.model.real_view(data.sample(n, seed=seed + 1))).cpu()
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

    if data.info.kind == "video":
        from swgen.metrics.video import frames_of

        frames = [frames_of(c, 4) for c in (real, fake)]
        extractor = get_feature_extractor("digits")
        metrics["frame_fid_digits"] = fid(*(extract_features(extractor, f) for f in frames))
        return metrics
    if data.info.image_size >= 16:
        metrics["multiscale_swd"] = multiscale_swd(real, fake, seed=seed)["mean"]
    classifier = CLASSIFIER_FOR.get(trainer.config.data.name.lower())
    if classifier is not None:
        extractor = get_feature_extractor(classifier)
        metrics[f"fid_{classifier}"] = fid(
            extract_features(extractor, real), extract_features(extractor, fake)
        )
        from swgen.metrics.recognised import recognised_share

        metrics[f"recognised_{classifier}"] = recognised_share(fake, classifier)
    return metrics


def stage_note(run: TrainedRun) -> dict[str, Any]:
    """For a model that grows: where it stands, and that the metrics are taken there."""
    stage = run.model.stage()
    if not stage:
        return {}
    if stage.get("grown", True):
        note = "the model has grown to the data's full resolution"
    else:
        note = (
            f"metrics evaluate the current resolution {stage.get('resolution')}: real data are "
            "downsampled (and faded) the way the model sees them, both upsampled to the data size"
        )
    return {"stage": stage, "stage_note": note}


def evaluation_file_name(
    truncation: float | None = None, jacobian_keep: float | None = None
) -> str:
    """``eval.json``; ``eval-truncation-<t>.json`` for samples of a truncated prior,
    ``eval-jacobian-keep-<f>.json`` for those kept by Jacobian-based truncation, and
    ``eval-truncation-<t>-jacobian-keep-<f>.json`` for both."""
    parts = []
    if truncation is not None:
        parts.append(f"truncation-{truncation:g}")
    if jacobian_keep is not None:
        parts.append(f"jacobian-keep-{jacobian_keep:g}")
    return "-".join(["eval", *parts]) + ".json"


def evaluate_run(
    run_dir: str | Path,
    n: int = 5000,
    seed: int = 0,
    device: str = "cpu",
    inception: bool = False,
    inception_weights: str | None = None,
    inception_n: int | None = None,
    truncation: float | None = None,
    jacobian_keep: float | None = None,
    write: bool = True,
    data: str | None = None,
) -> dict[str, Any]:
    """Compute the metrics of a trained run and write them to ``RUN/eval.json`` (``write=False``:
    only return them, for benchmarks that must leave a run folder as it is).

    ``inception_n`` caps the samples of ``fid_inception``/``kid_inception`` (default ``n``).
    With ``truncation`` t the samples come from the prior truncated at t standard deviations
    (the truncation trick) and the metrics go to ``RUN/eval-truncation-<t>.json`` instead, so
    they never stand in for the run's plain evaluation; likewise ``jacobian_keep`` f measures
    the samples Jacobian-based truncation keeps (``TrainedRun.keep_low_jacobian``), in
    ``RUN/eval-jacobian-keep-<f>.json``. ``data``: the run's data folder, when it moved.
    """
    if not 2 <= n <= MAX_SAMPLES:
        raise UserError(f"--n must be between 2 and {MAX_SAMPLES}, got {n}")
    if inception_n is not None and not 2 <= inception_n <= MAX_SAMPLES:
        raise UserError(f"--inception-n must be between 2 and {MAX_SAMPLES}, got {inception_n}")
    run = load_trained(run_dir, device=device, data=data)
    run.truncate(truncation)
    run.keep_low_jacobian(jacobian_keep)
    started = time.perf_counter()
    if run.model.maps_data:
        metrics = evaluate_translation(run, n, seed)
        n = max(found["n"] for found in metrics.values())  # held-out inputs, each used once
    elif getattr(run.model, "learns_one_image", False):  # singan: SIFID proxy and diversity
        from swgen.metrics.sifid import single_image_scores

        metrics = single_image_scores(run.model, n, seed)
        n = metrics["samples"]
    elif run.data.info.kind == "points":
        metrics = evaluate_points(run, n, seed)
    elif run.data.info.kind == "video":
        metrics = evaluate_video(run, n, seed, inception, inception_weights, inception_n)
    else:
        metrics = evaluate_images(run, n, seed, inception, inception_weights, inception_n)
    result = {
        "model": run.config.model_name,
        "data": run.config.data.name,
        "step": run.step,
        "n": n,
        "seed": seed,
        "weights": "ema" if run.config.train.ema_decay > 0 else "raw",
        **stage_note(run),
        **({"truncation": truncation} if truncation is not None else {}),
        **({"jacobian_keep": jacobian_keep} if jacobian_keep is not None else {}),
        "metrics": metrics,
        "seconds": round(time.perf_counter() - started, 2),
    }
    if not write:
        return result
    written = Path(run_dir) / evaluation_file_name(truncation, jacobian_keep)
    try:
        atomic_write_bytes(written, json.dumps(result, indent=1).encode())
    except OSError as error:
        raise UserError(
            f"cannot write '{written}' ({error.strerror or error}); make the run folder writable"
        ) from None
    return result
