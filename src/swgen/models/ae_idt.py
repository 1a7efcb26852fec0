"""Auto-encoder + iterative distribution transfer (the "AE + IDT" baseline of Wu et al. 2019).

A plain auto-encoder (encoder ``E``, decoder ``G = self.generator``) is trained on the
reconstruction error alone,

    minimise  mean (x - G(E(x)))^2   (mean over pixels, as swgen's SWAE),

and sampling needs a map ``T`` from the prior ``N(0, I)`` to the distribution of the codes
``E(x)``; samples are ``G(T(z))``. ``T`` is Pitie, Kokaram and Dahyot's iterative distribution
transfer (IDT, ICCV 2005 / CVIU 2007), fitted from Gaussian reference points to the codes:

    repeat K times:  R ~ Haar on O(d);  y = R^T x;  y_i <- F_{target,i}^{-1}(F_{y,i}(y_i)) for
    every coordinate i (1-D quantile matching of the rotated marginals);  x <- R y.

Fitting and applying (a robust, deterministic design):

* Every ``train_step`` writes its codes into a ring buffer ``code_bank`` of the last
  ``bank_size`` codes (detached; a buffer, so it is in checkpoints).
* :meth:`fit_transfer` fits ``T`` on the bank: ``n`` Gaussian reference points and the K
  rotations come from a private generator seeded with ``idt_seed``, so the map is a pure function
  of the bank and neither consumes nor depends on torch's global random state (resumed runs stay
  bit-identical). Each iteration stores its rotation and the ``n_quantiles`` quantiles of the
  rotated reference points and codes, per coordinate (buffers of the ``transfer`` module, so the
  fitted map is saved in checkpoints and applies to NEW ``z``: piecewise-linear interpolation
  between the two quantile tables, clamped to the codes' range outside the table).
* :meth:`generate` refits lazily when codes were written since the last fit (the engine samples
  at the last step before the final checkpoint, so that checkpoint holds the final map). A
  loaded checkpoint whose map is stale refits identically from the saved bank.
* Cost: a fit is ``idt_iterations`` x (two sorts and one interpolation of ``r x bank_size``
  values), about 10 s at r = 128 with 2,048 codes on one busy CPU core (NumPy); applying the map
  to 500 codes about 0.5 s. The stored map takes ``idt_iterations * r * (r + 2 n_quantiles)``
  floats (25 MB at r = 128).

The codes in the bank come from the live encoder of the last ``bank_size / batch`` steps while
samples use the EMA decoder: both lag the final weights slightly. Defaults: the SWAE official
code's auto-encoder settings (r = 128, Adam lr 3e-4, betas (0, 0.9); the SWGAN paper gives none
for its AE baseline) and 100 IDT iterations ("AE + 100 IDT" in its comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.models.base import GenerativeModel
from swgen.models.gan import Norm, check_positive
from swgen.nn import build_encoder, build_generator
from swgen.registry import MODELS
from swgen.sliced import orthogonal_directions


def interpolate_quantiles(x: Tensor, source: Tensor, target: Tensor, eps: float = 1e-12) -> Tensor:
    """Per coordinate, the piecewise-linear map through the points ``(source_k, target_k)``.

    ``x`` is ``(n, d)``; ``source`` and ``target`` are ``(d, q)`` quantile tables, ``source``
    non-decreasing along ``q``. Values outside ``[source_0, source_{q-1}]`` map to the end values
    of ``target`` (clamped), so the map never extrapolates.
    """
    values = x.T.contiguous()
    upper = torch.searchsorted(source, values).clamp(1, source.shape[1] - 1)
    lower = upper - 1
    x0, x1 = source.gather(1, lower), source.gather(1, upper)
    y0, y1 = target.gather(1, lower), target.gather(1, upper)
    weight = ((values - x0) / (x1 - x0).clamp_min(eps)).clamp(0, 1)
    return (y0 + weight * (y1 - y0)).T


def _quantiles(rows: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of each row of ``rows (d, n)`` at ``levels (q,)``: ``(d, q)``, by one sort and
    linear interpolation between order statistics (NumPy's default "linear" method)."""
    ordered = np.sort(rows, axis=1)
    position = levels * (rows.shape[1] - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, rows.shape[1] - 1)
    fraction = position - low
    return ordered[:, low] * (1 - fraction) + ordered[:, high] * fraction


class IterativeDistributionTransfer(nn.Module):
    """A fitted IDT map ``R^d -> R^d`` (Pitie et al. 2007), stored as buffers.

    ``fit(source, target, generator)`` learns ``iterations`` (rotation, quantile-table pairs)
    carrying the ``source`` sample to the ``target`` sample; ``forward(x)`` applies the same
    sequence to any points. Until fitted, ``forward`` is the identity.
    """

    def __init__(self, dim: int, iterations: int = 100, n_quantiles: int = 128) -> None:
        super().__init__()
        if n_quantiles < 2:
            raise ValueError(f"swgen: IDT needs n_quantiles >= 2, got {n_quantiles}")
        self.dim, self.iterations, self.n_quantiles = dim, iterations, n_quantiles
        self.register_buffer("rotations", torch.eye(dim).repeat(iterations, 1, 1))
        self.register_buffer("source_quantiles", torch.zeros(iterations, dim, n_quantiles))
        self.register_buffer("target_quantiles", torch.zeros(iterations, dim, n_quantiles))
        self.register_buffer("fitted", torch.tensor(False))

    @torch.no_grad()
    def fit(
        self, source: Tensor, target: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """Fit the map from samples ``source (n, d)`` to ``target (m, d)``; return T(source).

        The fit runs once per refresh on the CPU in NumPy (its sorts were measured ~10x faster
        than torch's CPU sort); the tables are stored as buffers on the module's device
        and :meth:`forward` applies them in torch. ``generator`` draws the rotations (Haar, Q of
        QR with the sign fix, :func:`swgen.sliced.orthogonal_directions`).
        """
        levels = np.linspace(0.0, 1.0, self.n_quantiles, dtype=np.float32)
        x = source.detach().float().cpu().numpy()
        y = target.detach().float().cpu().numpy()
        for t in range(self.iterations):
            rotation = orthogonal_directions(self.dim, self.dim, generator)
            r = rotation.numpy()
            rotated = np.ascontiguousarray((x @ r).T)  # (d, n): one row per coordinate
            source_q = _quantiles(rotated, levels)
            target_q = _quantiles(np.ascontiguousarray((y @ r).T), levels)
            for i in range(self.dim):  # np.interp clamps outside the table, as forward does
                rotated[i] = np.interp(rotated[i], source_q[i], target_q[i])
            x = rotated.T @ r.T
            self.rotations[t].copy_(rotation)
            self.source_quantiles[t].copy_(torch.from_numpy(source_q))
            self.target_quantiles[t].copy_(torch.from_numpy(target_q))
        self.fitted.fill_(True)
        return torch.from_numpy(x).to(source)

    def forward(self, x: Tensor) -> Tensor:
        if not bool(self.fitted):
            return x
        for rotation, source_q, target_q in zip(
            self.rotations, self.source_quantiles, self.target_quantiles, strict=True
        ):
            x = interpolate_quantiles(x @ rotation, source_q, target_q) @ rotation.T
        return x

    def extra_repr(self) -> str:
        return f"dim={self.dim}, iterations={self.iterations}, n_quantiles={self.n_quantiles}"


@dataclass
class AEIDTConfig:
    latent_dim: int = 128  # code size r, as SWAE's official code (same auto-encoder)
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    encoder_norm: Norm = "none"  # as swgen's SWAE (the official BEGAN-style encoder has none)
    lr: float = 3e-4  # Adam, SWAE official code (the SWGAN paper gives none for AE + IDT)
    betas: tuple[float, float] = (0.0, 0.9)  # Adam, SWAE official code
    idt_iterations: int = 100  # "AE + 100 IDT" in the SWGAN paper's comparison
    n_quantiles: int = 128  # quantile levels stored per coordinate and iteration (swgen's choice)
    bank_size: int = 2048  # recent codes the map is fitted on (swgen's choice; see above)
    idt_seed: int = 0  # seed of the reference Gaussian points and the rotations

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "lr", "idt_iterations", "bank_size")
        if self.n_quantiles < 2:
            raise ValueError(f"n_quantiles must be at least 2, got {self.n_quantiles}")


@MODELS.register(
    "ae-idt", summary="auto-encoder + iterative distribution transfer (the SWGAN paper's baseline)"
)
class AEIDT(GenerativeModel):
    Config = AEIDTConfig

    def __init__(self, config: AEIDTConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        c = config
        self.latent_dim = c.latent_dim
        self.encoder = build_encoder(data, c.latent_dim, c.width, c.encoder_norm, self.architecture)
        self.generator = build_generator(
            data, c.latent_dim, c.width, self.architecture
        )  # the decoder G
        self.transfer = IterativeDistributionTransfer(c.latent_dim, c.idt_iterations, c.n_quantiles)
        self.register_buffer("code_bank", torch.zeros(c.bank_size, c.latent_dim))
        self.register_buffer("codes_written", torch.tensor(0, dtype=torch.int64))
        self.register_buffer("codes_fitted", torch.tensor(0, dtype=torch.int64))
        self.optimizers = {
            "autoencoder": torch.optim.Adam(
                [*self.encoder.parameters(), *self.generator.parameters()], lr=c.lr, betas=c.betas
            )
        }

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        real = batch.x
        codes = self.encoder(real)
        loss = F.mse_loss(self.generator(codes), real)
        self.optimize(loss, self.optimizers["autoencoder"])
        self.remember(codes.detach())
        return {"loss_reconstruction": loss.detach()}

    @torch.no_grad()
    def remember(self, codes: Tensor) -> None:
        """Write ``codes`` into the ring buffer (the newest ``bank_size`` are kept)."""
        size = self.code_bank.shape[0]
        codes = codes[-size:].to(self.code_bank.dtype)
        slots = (self.codes_written + torch.arange(len(codes), device=codes.device)) % size
        self.code_bank[slots] = codes
        self.codes_written += len(codes)

    @torch.no_grad()
    def fit_transfer(self) -> None:
        """Fit the IDT map from N(0, I) reference points to the codes in the bank."""
        count = int(min(int(self.codes_written), self.code_bank.shape[0]))
        if count < 2:
            raise RuntimeError("swgen: ae-idt has no codes to fit the transfer on; train it first")
        codes = self.code_bank[:count]
        generator = torch.Generator().manual_seed(self.config.idt_seed)
        reference = torch.randn(count, self.latent_dim, generator=generator).to(codes)
        self.transfer.fit(reference, codes, generator)
        self.codes_fitted.copy_(self.codes_written)

    def generate(self, z: Tensor) -> Tensor:
        """``G(T(z))``, refitting ``T`` first if codes were written since the last fit."""
        if int(self.codes_written) >= 2 and int(self.codes_fitted) != int(self.codes_written):
            self.fit_transfer()
        return self.generator(self.transfer(z))
