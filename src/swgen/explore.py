"""Latent-space exploration of a trained generator (the lectures' "latent vector" exercise).

Writes, for image data, one strip per experiment:

* ``fixed_codes.png``: the codes all 1, all 0.5, all 0.3, all 0, all -1;
* ``one_hot.png``: (1, 0, 0, ...), (0, 1, 0, ...), ... for the first coordinates;
* ``sweep.png``: one row per coordinate, that coordinate going from -3 to 3 while the others stay
  at a fixed random code;
* ``interpolation.png``: one row per pair of random codes, linear interpolation between them;
* ``components.png``, for a GAN trained with a latent prior of K separated Gaussians
  (``model.prior_components``, :mod:`swgen.models.latent_prior`): one row per component, codes
  drawn from it, so each row shows what the generator learnt to make of its component.

The other strips walk codes of ``N(0, I)``, whatever the prior.

``swgen explore --style-mix`` draws, for a model with a style space (StyleGAN), the style-mixing
grid instead (``style_mix.png``, :func:`style_mixing`): coarse, middle and fine styles of source
images put into destination images.

For 2D data the same codes are drawn as scatter plots over real samples, and every experiment is
also saved as ``<name>.npy`` (the generated samples, in data coordinates).

For an auto-encoder with a 2-D code (``aae``, ``vae``: ``latent_codes``), ``code_space.png``
draws the codes of data samples coloured by class label, as the lectures' AAE figure on MNIST
(``code_space.npy`` holds the codes, ``code_labels.npy`` the labels). swgen's datasets have no
held-out split, so the samples come from the data's reference stream (``DataSource.sample``),
the draws the metrics compare with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from swgen.errors import UserError
from swgen.models.latent_prior import component_means
from swgen.outputs import OutputFolder
from swgen.plots import image_grid, labelled_scatter, save_picture, scatter_plot
from swgen.train.checkpoint import TrainedRun


def exploration_codes(
    latent_dim: int,
    seed: int = 0,
    steps: int = 9,
    rows: int = 6,
    components: int = 1,
    separation: float = 0.0,
) -> dict[str, Tensor]:
    """The latent codes of each experiment, as (rows * columns, latent_dim) tensors; with
    ``components`` > 1, also ``steps`` draws of each component of the separated-Gaussian prior."""
    generator = torch.Generator().manual_seed(seed)
    fixed = torch.stack([torch.full((latent_dim,), v) for v in (1.0, 0.5, 0.3, 0.0, -1.0)])
    one_hot = torch.eye(latent_dim)[: min(latent_dim, steps)]
    base = torch.randn(latent_dim, generator=generator)
    values = torch.linspace(-3, 3, steps)
    sweep = base.repeat(min(rows, latent_dim), steps, 1)
    for coordinate in range(min(rows, latent_dim)):
        sweep[coordinate, :, coordinate] = values
    ends = torch.randn(2, rows, latent_dim, generator=generator)
    weights = torch.linspace(0, 1, steps).view(1, steps, 1)
    interpolation = (1 - weights) * ends[0].unsqueeze(1) + weights * ends[1].unsqueeze(1)
    codes = {
        "fixed_codes": fixed,
        "one_hot": one_hot,
        "sweep": sweep.reshape(-1, latent_dim),
        "interpolation": interpolation.reshape(-1, latent_dim),
    }
    if components > 1:
        which = torch.arange(components).repeat_interleave(steps)
        eps = torch.randn(components * steps, latent_dim, generator=generator)
        codes["components"] = eps + component_means(which, latent_dim, separation)
    return codes


def explore(run: TrainedRun, output: OutputFolder, seed: int = 0, steps: int = 9) -> list[Path]:
    """Write the strips into ``output`` (swgen's rule for outputs, :mod:`swgen.outputs`)."""
    output.check()
    written = []
    config = run.model.config
    codes = exploration_codes(
        run.model.latent_dim,
        seed=seed,
        steps=steps,
        components=getattr(config, "prior_components", 1),
        separation=getattr(config, "prior_separation", 0.0),
    )
    real = (
        run.data.to_data_space(run.data.sample(1000, seed=seed))
        if run.data.info.kind == "points"
        else None
    )
    for name, latents in codes.items():
        # A conditional run shows the classes in turn (the same codes, one class per sample).
        samples = run.generate(run.model.condition(latents)).cpu()
        if samples.dim() == 5:  # video: strips of each clip's middle frame
            samples = samples[:, :, samples.shape[2] // 2]
        if real is None:
            columns = len(latents) if name in ("fixed_codes", "one_hot") else steps
            picture = image_grid(samples, columns=columns)
        else:
            picture = scatter_plot(samples, real)
            written.append(output.claim([f"{name}.npy"])[0])
            np.save(written[-1], samples.numpy())
        written.append(output.claim([f"{name}.png"])[0])
        save_picture(picture, written[-1])
    return written + code_space(run, output, seed=seed)


@torch.no_grad()
def code_space(run: TrainedRun, output: OutputFolder, seed: int = 0, n: int = 2000) -> list[Path]:
    """``code_space.png`` (and its ``.npy`` arrays) for a 2-D auto-encoder; nothing otherwise."""
    if run.model.latent_dim != 2:
        return []
    batch = run.data.sample_batch(n, seed=seed)
    run.model.eval()
    device = run.model.device
    labels = batch.labels.to(device) if batch.labels is not None else None
    codes = run.model.latent_codes(batch.x.to(device), labels)
    if codes is None:
        return []
    codes = codes.float().cpu()
    names = ["code_space.png", "code_space.npy"]
    names += ["code_labels.npy"] if batch.labels is not None else []
    written = output.claim(names)
    if batch.labels is None:
        picture = labelled_scatter(codes, torch.zeros(len(codes), dtype=torch.long))
    else:
        picture = labelled_scatter(codes, batch.labels, run.data.info.class_names)
        np.save(written[2], batch.labels.numpy())
    np.save(written[1], codes.numpy())
    save_picture(picture, written[0])
    return written


@torch.no_grad()
def style_mixing(
    run: TrainedRun, output: OutputFolder, seed: int = 0, sources: int = 5, per_kind: int = 2
) -> list[Path]:
    """``style_mix.png`` for a model with a W space (``style_space``, StyleGAN), as the paper's
    Figure 3: a top row of ``sources`` images; then, for coarse, middle and fine styles in turn
    (``model.style_ranges()``), ``per_kind`` rows, each a destination image followed by the
    destination with those styles taken from each source. One noise draw serves every image, so
    only the styles differ. Refused (one line) for any other model."""
    model = run.model
    if not getattr(model, "style_space", False):
        raise UserError(
            f"--style-mix needs a model with a style space (stylegan); this run holds "
            f"{run.config.model_name}: drop --style-mix"
        )
    output.check()
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    kinds = model.style_ranges()
    codes = torch.randn(sources + per_kind * len(kinds), model.latent_dim, generator=generator)
    w = model.map_latents(codes.to(model.device))
    source_w, destination_w = w[:sources], w[sources:]
    noise = [maps[:1] for maps in model.noise_maps(1, generator)]  # broadcast over the batch
    blank = torch.ones(1, *run.data.info.shape, device=model.device)  # white in data space
    cells = [blank, model.synthesize(source_w, noise)]
    for layers, destinations in zip(kinds.values(), destination_w.split(per_kind), strict=True):
        for destination in destinations:
            cells.append(model.synthesize(destination[None], noise))
            mixed = model.mix(destination.expand(sources, -1), source_w, layers)
            cells.append(model.synthesize(mixed, noise))
    images = run.data.to_data_space(torch.cat(cells).float()).cpu()
    written = output.claim(["style_mix.png"])
    save_picture(image_grid(images, columns=sources + 1), written[0])
    return written
