"""StarGAN: one generator for translation among K domains (Choi et al., CVPR 2018).

The domains are the classes of a labelled image data set (``digits-styles``, or a folder with one
subfolder per domain). ``G(x, c)`` maps image ``x`` to domain ``c`` (its one-hot label
replicated as input planes, :mod:`swgen.nn.stargan`); the critic ``D`` gives a patch map of
real/fake scores ``D_src`` and domain logits ``D_cls``. Per step, with the batch's own domains
``c`` and targets ``c'`` = the same labels in a random permutation (the code's ``rand_idx``):

* critic (every step, the code's WGAN-GP form of Eq. 1-3 and 8):
  ``L_D = -E D_src(x) + E D_src(G(x, c')) + lambda_cls E -log D_cls(c | x)
  + lambda_gp E (||grad D_src(x_hat)||_2 - 1)^2``, ``x_hat`` a per-sample mix of ``x`` and
  ``G(x, c')`` (:func:`swgen.models.penalties.gradient_penalty`),
* generator (on the steps where ``(step + 1) % n_critic == 0``, the code's
  ``if (i+1) % n_critic == 0``): ``L_G = -E D_src(G(x, c'))
  + lambda_cls E -log D_cls(c' | G(x, c')) + lambda_rec E |x - G(G(x, c'), c)|``.

The classification term is the softmax cross-entropy of exclusive domains (the code's RaFD
form, :func:`classification_loss`); the reconstruction term the mean absolute error over
pixels (:func:`reconstruction_loss`). ``train.steps`` counts critic updates, as the code's
iterations (200,000 of them, 40,000 generator updates).

Defaults and their sources (yunjey/stargan, ``main.py`` and ``solver.py``): ``g_conv_dim =
d_conv_dim = 64``, ``g_repeat_num = 6`` residual blocks, ``d_repeat_num = 6`` critic layers at
128 px (here: whatever leaves the same 2 x 2 map, 4 at 32 px), ``lambda_cls = 1``,
``lambda_rec = 10``, ``lambda_gp = 10``, ``n_critic = 5``, Adam lr 1e-4 for both, betas
(0.5, 0.999); no weight averaging (``ema_modules`` is empty).

The learning rate's decay is swgen's ``train.lr_schedule``: the paper decays it linearly to zero
over the second half (``train.lr_schedule=linear train.lr_decay_start=0.5``, the
``digits-styles`` preset); the code's update (``g_lr -= g_lr0 / num_iters_decay`` every
1,000 of the last 100,000 iterations) lowers it by 0.1% in all, which the default
``train.lr_schedule=constant`` reproduces to that 0.1%.

Options beyond the code: ``model.loss`` names another adversarial loss of
:mod:`swgen.models.gan_losses` (the penalty stays; ``model.lambda_gp=0`` drops it).

Translation (``translate``): ``directions`` are the domain names, a direction the target
domain, plus ``every-domain`` (:data:`EVERY_DOMAIN`, the first, which sample grids show): each
input to every domain in turn, as panels ``output`` (the first domain) and ``to <name>`` for
the others (in [0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel, requires_grad
from swgen.models.gan import LossName
from swgen.models.gan_losses import critic_loss, generator_loss
from swgen.models.hyperparameters import check_positive
from swgen.models.penalties import gradient_penalty
from swgen.nn.stargan import DomainCritic, DomainGenerator, check_sizes
from swgen.nn.translation import init_weights, translate_any_size
from swgen.registry import MODELS

# The direction that translates each input to every domain (what sample grids show).
EVERY_DOMAIN = "every-domain"


@dataclass
class StarGANConfig:
    width: int = 64  # g_conv_dim, channels of the generator's first layer, StarGAN code
    critic_width: int = 64  # d_conv_dim, channels of the critic's first layer, StarGAN code
    n_blocks: int = 6  # g_repeat_num, residual blocks of the generator, StarGAN code
    critic_layers: int | None = None  # d_repeat_num; None: a 2 x 2 patch map (6 at 128 px, code)
    loss: LossName = "wasserstein"  # adversarial loss (gan_losses.py); the code's is WGAN-GP's
    lambda_cls: float = 1.0  # weight of the domain classification terms, StarGAN code
    lambda_rec: float = 10.0  # weight of the reconstruction (cycle) L1 term, StarGAN code
    lambda_gp: float = 10.0  # weight of the gradient penalty, StarGAN code
    n_critic: int = 5  # critic updates per generator update, StarGAN code
    lr: float = 1e-4  # Adam, generator and critic (g_lr = d_lr), StarGAN code
    betas: tuple[float, float] = (0.5, 0.999)  # Adam (beta1, beta2), StarGAN code

    def __post_init__(self) -> None:
        check_positive(self, "width", "critic_width", "n_blocks", "n_critic", "lr")


def classification_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """``E -log softmax(logits)[label]``: the domain classification loss of exclusive domains
    (the code's ``F.cross_entropy(out_cls, label)``, Eq. 2 and 3), averaged over the batch."""
    return F.cross_entropy(logits, labels)


def reconstruction_loss(real: Tensor, reconstructed: Tensor) -> Tensor:
    """``E |x - G(G(x, c'), c)|``, averaged over every pixel and channel (Eq. 4, the code's
    ``torch.mean(torch.abs(x_real - x_reconst))``)."""
    return (real - reconstructed).abs().mean()


def updates_generator(step: int, n_critic: int) -> bool:
    """Whether step ``step`` (from 0) also updates the generator: ``(step + 1) % n_critic == 0``,
    so the generator first learns after ``n_critic`` critic updates, as in the code."""
    return (step + 1) % n_critic == 0


@MODELS.register("stargan", summary="one generator for K image domains (Choi et al. 2018)")
class StarGAN(GenerativeModel):
    Config = StarGANConfig
    maps_data = True
    ema_modules = ()  # the code averages no weights
    latent_dim = 0

    def __init__(self, config: StarGANConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        if data.kind != "images" or data.pairing != "none" or data.map_classes:
            raise UserError(
                "stargan translates between the classes (domains) of labelled images; give "
                "--data digits-styles, or a folder with one subfolder of images per domain"
            )
        if data.num_classes < 2:
            raise UserError(
                "stargan needs images of two or more domains, and these data have "
                f"{data.num_classes or 'no'} class(es); give a folder with one subfolder of "
                "images per domain (at least two), or --data digits-styles"
            )
        if EVERY_DOMAIN in data.class_names:
            raise UserError(
                f"a domain is named {EVERY_DOMAIN!r}, the name stargan gives the translation to "
                "every domain; rename that subfolder"
            )
        layers = check_sizes(data.image_size, config.critic_layers)  # before a run folder
        self.classes = data.num_classes
        self.generator = DomainGenerator(data.channels, self.classes, config.width, config.n_blocks)
        self.critic = DomainCritic(
            data.channels, self.classes, config.critic_width, layers, data.image_size
        )
        init_weights(self.generator)
        init_weights(self.critic)
        self.optimizers = {
            "generator": torch.optim.Adam(
                self.generator.parameters(), lr=config.lr, betas=config.betas
            ),
            "critic": torch.optim.Adam(self.critic.parameters(), lr=config.lr, betas=config.betas),
        }

    # --- domains -------------------------------------------------------------------------------
    @property
    def domains(self) -> tuple[str, ...]:
        """The domain names, in label order (the data's class names)."""
        return self.data.class_names

    @property
    def directions(self) -> tuple[str, ...]:  # type: ignore[override]
        return (EVERY_DOMAIN, *self.domains)

    def domain_index(self, domain: str) -> int:
        """The label of ``domain``, given by name or by index; unknown: a one-line error."""
        if domain in self.domains:
            return self.domains.index(domain)
        if domain.strip().isdigit() and int(domain) < self.classes:
            return int(domain)
        known = ", ".join(f"{name} ({index})" for index, name in enumerate(self.domains))
        raise UserError(f"unknown domain {domain!r}; choose one of: {known}")

    def target_labels(self, labels: Tensor) -> Tensor:
        """``c'``: the batch's labels in a random permutation, drawn from torch's CPU stream (the
        engine seeds it and saves it in checkpoints, so a resumed run draws the same)."""
        return labels[torch.randperm(len(labels)).to(labels.device)]

    # --- one step ------------------------------------------------------------------------------
    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        c = self.config
        real, labels = batch.x, batch.labels
        assert labels is not None
        targets = self.target_labels(labels)

        with torch.no_grad():
            fake = self.generator(real, targets)
        source_real, domain_real = self.critic(real)
        source_fake, _ = self.critic(fake)
        adversarial = critic_loss(c.loss, source_real, source_fake)
        classification = classification_loss(domain_real, labels)
        penalty, _ = gradient_penalty(lambda x: self.critic(x)[0], real, fake, target=1.0)
        loss_critic = adversarial + c.lambda_cls * classification + c.lambda_gp * penalty
        self.optimize(loss_critic, self.optimizers["critic"])
        logs = {
            "loss_critic": loss_critic.detach(),
            "critic_adversarial": adversarial.detach(),
            "critic_classification": classification.detach(),
            "gradient_penalty": penalty.detach(),
            "wasserstein": (source_real.mean() - source_fake.mean()).detach(),
        }
        if not updates_generator(step, c.n_critic):
            return logs

        requires_grad(self.critic, False)
        fake = self.generator(real, targets)
        reconstructed = self.generator(fake, labels)
        source_fake, domain_fake = self.critic(fake)
        terms = {
            "adversarial": generator_loss(c.loss, source_fake),
            "classification": c.lambda_cls * classification_loss(domain_fake, targets),
            "reconstruction": c.lambda_rec * reconstruction_loss(real, reconstructed),
        }
        loss_generator = sum(terms.values())
        self.optimize(loss_generator, self.optimizers["generator"])
        requires_grad(self.critic, True)
        logs.update({f"loss_{name}": value.detach() for name, value in terms.items()})
        return {**logs, "loss_generator": loss_generator.detach()}

    # --- translation ---------------------------------------------------------------------------
    def to_domain(self, x: Tensor, domain: int) -> Tensor:
        """``G(x, domain)`` for inputs of any size (model space)."""
        labels = torch.full((len(x),), domain, dtype=torch.long, device=x.device)
        return translate_any_size(lambda padded: self.generator(padded, labels), x)

    def translate(self, x: Tensor, direction: str) -> dict[str, Tensor]:
        if direction != EVERY_DOMAIN:
            return {"output": self.to_domain(x, self.domain_index(direction))}
        first, *others = (self.to_domain(x, k) for k in range(self.classes))
        panels = {"output": first}
        for name, output in zip(self.domains[1:], others, strict=True):
            panels[f"to {name}"] = ((output + 1) / 2).clamp(0, 1)
        return panels

    def generate(self, z: Tensor) -> Tensor:
        raise UserError("stargan translates images; it does not sample from noise")
