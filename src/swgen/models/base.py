"""The contract between a model and the engine.

A model owns its networks, optimisers and one ``train_step``; the engine owns the loop, devices,
distribution, EMA, checkpoints, logging and sampling. The engine only calls what is defined here,
so adding a model never means touching the engine:

* ``Config``: a dataclass of hyperparameters whose defaults are the paper's,
* ``batches_per_step``: how many real batches one step consumes (default 1),
* ``train_step(batch, step) -> dict`` of detached scalar tensors to log (``loss_*`` are checked
  for NaN/inf by the engine),
* ``generate(z)`` and ``sample_latent(n, generator)`` for sampling; the engine and the CLI
  draw generator inputs through ``sample_codes(n, generator, labels, truncation)``, which
  appends the class of each sample for a conditional model (``model.conditional=true``; see
  :mod:`swgen.models.conditioning`) and is ``sample_latent`` otherwise; ``grid_labels(n)`` says
  which class each sample of a grid shows (one row per class; ``None`` when unconditional).
  ``truncation`` (``swgen sample/eval --truncation``) cuts the prior's tails; a model whose
  prior is not a scaled ``N(0, I)`` overrides ``sample_latent`` and refuses it;
  ``jacobian_norms`` (``--jacobian-keep``) differentiates ``generate`` through the codes' first
  ``latent_dim`` coordinates,
* ``optimizers``: a name -> optimiser dict, saved in checkpoints,
* ``ema_modules``: the names of sub-modules whose weights the engine averages (default the
  ``generator``), used for sampling,
* ``paper_architecture``: the image networks of the model's paper, which
  ``model.architecture=paper`` picks (``swgen.nn.ARCHITECTURES``),
* optionally ``batch_size(configured)``: the global rows of each real batch of the next step
  (default ``train.batch_size``; progressive growing picks one per resolution from its state),
  ``real_view(real)``: real samples as the model currently learns them (default unchanged;
  progressive growing shows them at its current resolution, so metrics compare like with like)
  and ``stage()``: a dict saying which part of that the model is at (written into eval.json).

A model that maps data to data (image-to-image translation) instead of noise to data sets
``maps_data = True`` and implements ``translate(x, direction)``; the engine, ``swgen sample``,
``swgen eval`` and ``swgen translate`` then show and measure translations of held-out inputs
(``DataSource.sample_batch``) instead of samples from latent codes, and never call ``generate``.
One that also sets ``enhances = True`` (photo enhancement, ``dacal``) is what ``swgen enhance``
takes; its paired data make ``swgen eval`` measure it on whole held-out photos.

A model that changes over training (progressive growing's phase) keeps that state in buffers, so
it is saved in checkpoints with the weights and the engine never learns its name.

Inside ``train_step`` a model calls ``self.optimize(loss, optimizer)`` for each update; the engine
installs the backward pass (mixed precision scaling) and the gradient all-reduce of multi-process
training behind it, so one model file works on one CPU, one GPU or many processes.

Noise drawn for each sample of a batch (latent codes, interpolation weights) goes through
:func:`per_sample_noise`: over W processes every process draws the global batch's noise from one
shared stream and keeps its own rows, the rows of the real batch it holds. A model whose every
per-sample draw does so sets ``shares_noise = True``, and W processes then train the very run
one process would (up to the order of floating-point sums); other models draw from one stream
per process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.conditioning import append_labels, check_labels, one_hot

GradientSync = Callable[[list[nn.Parameter]], None]

# (rank, world size) of this process, set by the engine; per_sample_noise keeps rows rank::W.
_noise_shard: tuple[int, int] = (0, 1)


def set_noise_shard(rank: int, world_size: int) -> None:
    global _noise_shard
    _noise_shard = (rank, world_size)


def process_rank() -> int:
    """This process's rank among those training one run (0 when alone)."""
    return _noise_shard[0]


def per_sample_noise(
    n: int,
    *shape: int,
    uniform: bool = False,
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """``(n, *shape)`` draws of N(0, 1) (or U[0, 1)) for this process's ``n`` samples.

    One process: ``torch.randn(n, *shape)``. W processes: rows ``rank::W`` of the global
    ``(n * W, *shape)`` draw, matching the real rows ``rank::W`` each process trains on.
    """
    rank, world_size = _noise_shard
    draw = torch.rand if uniform else torch.randn
    if world_size == 1:
        return draw(n, *shape, device=device, dtype=dtype)
    return draw(n * world_size, *shape, device=device, dtype=dtype)[rank::world_size]


def truncated_normal(
    shape: tuple[int, ...], bound: float, generator: torch.Generator | None = None
) -> Tensor:
    """Standard normal draws conditioned on ``|z| <= bound`` in every coordinate: the
    truncation trick (Brock et al. 2019, BigGAN, Sec. 3.1), which trades the variety of a
    generator's samples for their fidelity by keeping its inputs away from the prior's tails.

    Inverse-CDF sampling, ``z = Phi^-1(Phi(-b) + u (1 - 2 Phi(-b)))`` with ``u ~ U(0, 1)``: one
    uniform per coordinate whatever the bound (rejection sampling would use a bound-dependent
    number of draws), in float64 so the tails of large bounds keep their precision."""
    if not (isinstance(bound, int | float) and math.isfinite(bound) and bound > 0):
        raise UserError(
            f"truncation must be a positive number of prior standard deviations (BigGAN uses "
            f"0.5 to 2), got {bound!r}"
        )
    low = torch.special.ndtr(torch.tensor(-float(bound), dtype=torch.float64))
    uniform = torch.rand(shape, generator=generator, dtype=torch.float64)
    z = torch.special.ndtri(low + uniform * (1 - 2 * low))
    return z.clamp(-bound, bound).float()


class GenerativeModel(nn.Module):
    """Base class of every registered model."""

    Config: ClassVar[type]
    ema_modules: ClassVar[tuple[str, ...]] = ("generator",)
    # Real batches consumed by one train_step (e.g. n_critic for WGAN-style critics): the engine
    # passes ``batches_per_step * batch_size`` rows and the model splits them.
    batches_per_step: int = 1
    # True when every per-sample draw of train_step goes through per_sample_noise (see above).
    shares_noise: ClassVar[bool] = False

    def __init__(self, config: Any, data: DataInfo) -> None:
        super().__init__()
        self.config = config
        self.data = data
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self._backward: Callable[[Tensor], None] = Tensor.backward
        self._sync: GradientSync = lambda params: None
        self._gather: Callable[[Tensor], Tensor] = lambda tensor: tensor
        # A folder with a single subfolder gives unlabelled data (swgen.data.folder): one class
        # is nothing to condition on, so the message says two are needed, not just labels.
        if getattr(config, "conditional", False) and data.num_classes < 2:
            raise UserError(
                "model.conditional=true needs data with class labels, of two or more classes "
                "(digits, mnist, fashion-mnist, or a folder with one subfolder of images per "
                "class: a single subfolder is one class, so unlabelled); drop "
                "model.conditional, or add a subfolder for each class"
            )

    # --- what a model implements -------------------------------------------------------------
    latent_dim: int
    # The image networks of the model's own paper (a name in ``swgen.nn.ARCHITECTURES``), picked
    # by ``model.architecture=paper``; "shared" where the paper's networks are swgen's own.
    paper_architecture: ClassVar[str] = "shared"

    def paper_architecture_for(self, data: DataInfo) -> str:
        """The paper's networks for this data (a paper may use one for grey, one for colour)."""
        return self.paper_architecture

    @property
    def architecture(self) -> str:
        """The architecture name ``model.architecture`` resolves to ("paper" -> the paper's)."""
        name = getattr(self.config, "architecture", "shared")
        return self.paper_architecture_for(self.data) if name == "paper" else name

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        """One training step on ``batch`` (``batch.x`` the real samples; ``batch.labels`` and
        ``batch.y`` when ``self.data`` announces them); returns detached scalars to log."""
        raise NotImplementedError

    def generate(self, z: Tensor) -> Tensor:
        """Map latent codes to samples in model space (images in [-1, 1])."""
        return self.generator(z)

    @torch.no_grad()
    def jacobian_norms(
        self, codes: Tensor, probes: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """``||J_G(z)||_F^2`` for each code: the squared Frobenius norm of the Jacobian of
        ``generate`` with respect to the code's latent part (its first ``latent_dim``
        coordinates; a conditional code's one-hot class is held fixed), estimated as
        ``(1 / probes) sum_k ||J v_k||^2`` over directions ``v_k ~ N(0, I)``, an unbiased
        estimate since ``E ||J v||^2 = trace(J^T J)`` (Hutchinson).

        The quantity of Jacobian-based truncation (Tanielian et al. 2020, "Learning
        disconnected manifolds: a no GAN's land", Sec. 4): a continuous generator must cross
        the gaps between the data's disconnected modes somewhere, and does so where it changes
        fastest, so the codes of largest norm are where samples fall between modes. The paper
        takes finite differences ``(G(z + eps v) - G(z)) / eps``; ``J v`` here is exact, by
        forward-mode differentiation (``torch.func.jvp``), so no step size is chosen.
        """
        directions = torch.zeros_like(codes)
        norms = torch.zeros(len(codes), dtype=torch.float64)
        for _ in range(probes):
            latent = torch.randn(len(codes), self.latent_dim, generator=generator)
            directions[:, : self.latent_dim] = latent.to(codes)
            _, change = torch.func.jvp(self.generate, (codes,), (directions,))
            norms += change.flatten(1).double().pow(2).sum(dim=1).cpu()
        return norms / probes

    # True for models that map data to data (translation): see ``translate``.
    maps_data: ClassVar[bool] = False
    # Translation directions ``translate`` takes (the first is the one sample grids show).
    directions: ClassVar[tuple[str, ...]] = ()
    # True for models that map degraded photos to enhanced ones (``swgen enhance``).
    enhances: ClassVar[bool] = False

    def translate(self, x: Tensor, direction: str) -> dict[str, Tensor]:
        """For ``maps_data`` models: inputs ``x`` (model space, any height and width) mapped in
        ``direction``, as named panels: ``"output"`` in model space, and what else the model shows
        beside it (e.g. ``"attention"``, one channel in [0, 1]), all at ``x``'s height and width."""
        raise NotImplementedError(f"{type(self).__name__} does not translate")

    def batch_size(self, configured: int) -> int:
        """Global rows of each real batch of the next ``train_step`` (default: ``configured``)."""
        return configured

    def real_view(self, real: Tensor) -> Tensor:
        """Real samples (model space) as the model currently learns them; unchanged by default."""
        return real

    def stage(self) -> dict[str, Any]:
        """What part of the data the model is at now (empty unless it grows, e.g. a resolution)."""
        return {}

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, truncation: float | None = None
    ) -> Tensor:
        """Latent codes of the prior, N(0, I) unless a model says otherwise; with
        ``truncation`` t, of the prior truncated to [-t, t] in every coordinate
        (:func:`truncated_normal`)."""
        device = next(self.parameters()).device
        if truncation is None:
            z = torch.randn(n, self.latent_dim, generator=generator)
        else:
            z = truncated_normal((n, self.latent_dim), truncation, generator)
        return z.to(device)

    # --- conditioning on class labels (the same for every model) -----------------------------
    @property
    def num_conditions(self) -> int:
        """Classes the model is conditioned on: the data's with ``model.conditional``, else 0."""
        return self.data.num_classes if getattr(self.config, "conditional", False) else 0

    def condition(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """The generator's input for codes ``z`` of class ``labels``: ``[z, one_hot(labels)]``
        for a conditional model (labels default to the classes in turn), ``z`` otherwise
        (labels are then ignored: unconditional models train on labelled data too)."""
        classes = self.num_conditions
        if not classes:
            return z
        if labels is None:
            labels = torch.arange(len(z)) % classes
        check_labels(labels, classes)
        return torch.cat([z, one_hot(labels.to(z.device), classes).to(z.dtype)], dim=1)

    def with_labels(self, x: Tensor, labels: Tensor | None) -> Tensor:
        """Samples as a conditional critic or encoder sees them: with one constant plane (or
        coordinate) per class appended, 1 for the sample's class; ``x`` when unconditional."""
        if not self.num_conditions:
            return x
        if labels is None:
            raise ValueError("a conditional model needs the labels of its batch")
        return append_labels(x, labels, self.num_conditions)

    def prior_components_of(self, codes: Tensor) -> Tensor | None:
        """For a prior of several components, the component of each of ``sample_codes``'s
        codes (``(n,)`` indices); ``None`` for a prior of one piece, as N(0, I)."""
        return None

    def sample_codes(
        self,
        n: int,
        generator: torch.Generator | None = None,
        labels: Tensor | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """Inputs of ``generate`` for ``n`` samples: prior codes (truncated at ``truncation``
        prior standard deviations when given), conditioned on ``labels`` (classes in turn when
        ``None``) for a conditional model."""
        if labels is not None and not self.samples_by_class:
            raise UserError(
                "this run is unconditional, so it cannot sample a class; drop --label, or train "
                "with model.conditional=true"
            )
        z = self.sample_latent(n, generator, truncation)
        return self.condition(z, labels)

    @property
    def samples_by_class(self) -> bool:
        """Whether ``sample_codes`` takes labels (``--label``, one grid row per class): a
        conditional model, or one whose prior has a part per class (the AAE's)."""
        return self.num_conditions > 0

    def grid_labels(self, n: int) -> Tensor | None:
        """The class of each sample of a grid of about ``n``: one row per class, ``n // K``
        columns (``None`` unless the model samples by class)."""
        if not self.samples_by_class:
            return None
        classes = self.data.num_classes
        return torch.arange(classes).repeat_interleave(max(1, n // classes))

    def latent_codes(self, x: Tensor, labels: Tensor | None = None) -> Tensor | None:
        """The codes an auto-encoder gives samples ``x`` (``swgen explore`` draws them when they
        are 2-D); ``None`` for models without an encoder."""
        return None

    # --- what the engine provides ------------------------------------------------------------
    def attach_backend(
        self,
        backward: Callable[[Tensor], None],
        sync: GradientSync,
        gather: Callable[[Tensor], Tensor],
    ) -> None:
        """Installed by the engine: how to back-propagate, how to all-reduce gradients and how
        to concatenate a per-sample tensor over processes in rank order (``gather``). The gather
        is differentiable: a loss every process computes alike from gathered rows sends each
        process's rows the sum of every process's gradient, W times the one-process gradient,
        which the all-reduce's average divides back, so a loss that needs the whole batch (a
        sliced Wasserstein distance sorts it) trains as one process would."""
        self._backward = backward
        self._sync = sync
        self._gather = gather

    def optimize(self, loss: Tensor, *optimizers: torch.optim.Optimizer) -> None:
        """One update of the parameters the ``optimizers`` hold: zero, backward, all-reduce,
        step (several when one loss trains networks with optimisers of their own)."""
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        self._backward(loss)
        self._sync(
            [
                p
                for optimizer in optimizers
                for group in optimizer.param_groups
                for p in group["params"]
                if p.grad is not None
            ]
        )
        for optimizer in optimizers:
            optimizer.step()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def requires_grad(modules: nn.Module | Iterable[nn.Module], flag: bool) -> None:
    """Freeze or unfreeze parameters (a critic while the generator learns, and back)."""
    if isinstance(modules, nn.Module):
        modules = [modules]
    for module in modules:
        for parameter in module.parameters():
            parameter.requires_grad_(flag)
