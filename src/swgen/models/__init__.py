"""Models, one file per family; importing this package registers them all in ``MODELS``.

``gan`` (non-saturating), ``wgan`` (weight clipping), ``wgan-gp`` (gradient penalty), ``swgan``
(dual SWD blocks, Algorithm 4 of Wu et al. 2019) and ``swae`` (primal SWD blocks, Algorithm 2);
the baselines of the SWGAN paper's comparison: ``wae`` (MMD or latent GAN penalty), ``ae-idt``
(auto-encoder + iterative distribution transfer), ``ctgan`` (WGAN-GP + consistency term) and
``swg`` (sliced Wasserstein distance on discriminator features); progressive growing (Karras et
al. 2018) with the WGAN-GP or the SWGAN critic: ``pg-wgan`` and ``pg-swgan``, and their 3-D
convolutional versions for video, ``pg-wgan-3d`` and ``pg-swgan-3d``; unpaired image-to-image
translation: ``cyclegan`` (Zhu et al. 2017) and ``attention-gan`` (Chen et al. 2018); paired
translation: ``pix2pix`` (Isola et al. 2017, U-Net and conditional PatchGAN); photo
enhancement: ``dacal`` (DACAL / MUSPE, Huang et al. 2019); the style-based generator
``stylegan`` (Karras et al. 2019); semantic image synthesis from label maps: ``spade`` (Park
et al. 2019). One image: ``singan``
(Rott Shaham et al. 2019). The lectures' zoo: ``dcgan``,
``lsgan`` and ``hinge-gan`` (the GAN under other defaults and losses; every GAN loss by name
in ``gan_losses``, with PU-GAN's form), ``vae`` and ``aae``.
"""

from swgen.models import (  # noqa: F401  (registers the models)
    aae,
    ae_idt,
    attention_gan,
    ctgan,
    cyclegan,
    dacal,
    dcgan,
    gan,
    loss_gans,
    pix2pix,
    progressive,
    progressive_3d,
    singan,
    spade,
    stargan,
    stylegan,
    swae,
    swg,
    swgan,
    vae,
    wae,
    wgan,
    wgan_gp,
)
from swgen.models.base import GenerativeModel, requires_grad
from swgen.registry import MODELS

__all__ = ["MODELS", "GenerativeModel", "build_model", "model_names", "requires_grad"]


def model_names() -> list[str]:
    """Names accepted by ``--model``."""
    return MODELS.names()


def build_model(name: str, config: object, data: object) -> GenerativeModel:
    """The registered model ``name``, built from its ``Config`` instance and a ``DataInfo``."""
    return MODELS.get(name)(config, data)
