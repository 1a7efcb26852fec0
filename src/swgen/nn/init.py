"""Weight initialisations of the official codes that the paper architectures reproduce.

The TensorFlow codes behind the paper networks do not use PyTorch's defaults, and the scale of
the first weights matters to how a GAN starts; each paper network applies its own code's rule:

* ``tflib_uniform_``: igul222/improved_wgan_training ``tflib/ops/{linear,conv2d,deconv2d}.py``
  (also vendored by musikisomorphie/swd): uniform weights of standard deviation
  ``sqrt(g / (fan_in + fan_out))`` with ``g = 4`` ("He") or ``g = 2`` ("Glorot"), zero biases.
* ``wae_normal_``: tolstikhin/wae ``ops.py``: weights N(0, 0.0099999) (truncated at two standard
  deviations for convolutions), zero biases.
* ``glorot_uniform_``: TensorFlow's ``tf.contrib.layers`` default, used by ishansd/swg.
"""

from __future__ import annotations

import math

from torch import nn

WAE_INIT_STD = 0.0099999  # tolstikhin/wae configs.py, config_mnist['init_std']


def tflib_uniform_(layer: nn.Module, he: bool = True, stride: int = 1) -> nn.Module:
    """tflib's initialisation of one ``Linear``, ``Conv2d`` or ``ConvTranspose2d``; returns it.

    ``stride`` is the stride tflib assumed for the fans (its ``Conv2D`` divides ``fan_out`` by
    ``stride**2``; its ``Deconv2D`` always has stride 2 and divides ``fan_in`` instead). A
    ``Linear`` takes ``he=True`` as tflib's ``'he'`` (``sqrt(2 / fan_in)``) and ``False`` as its
    default (``sqrt(2 / (fan_in + fan_out))``).
    """
    if isinstance(layer, nn.Linear):
        fan_in, fan_out = layer.in_features, layer.out_features
        std = math.sqrt(2.0 / fan_in) if he else math.sqrt(2.0 / (fan_in + fan_out))
    elif isinstance(layer, nn.ConvTranspose2d):
        area = layer.kernel_size[0] * layer.kernel_size[1]
        fan_in = layer.in_channels * area / stride**2
        fan_out = layer.out_channels * area
        std = math.sqrt((4.0 if he else 2.0) / (fan_in + fan_out))
    elif isinstance(layer, nn.Conv2d):
        area = layer.kernel_size[0] * layer.kernel_size[1]
        fan_in = layer.in_channels * area
        fan_out = layer.out_channels * area / stride**2
        std = math.sqrt((4.0 if he else 2.0) / (fan_in + fan_out))
    else:
        raise TypeError(f"tflib_uniform_ does not initialise {type(layer).__name__}")
    bound = std * math.sqrt(3.0)  # a uniform on [-b, b] has standard deviation b / sqrt(3)
    nn.init.uniform_(layer.weight, -bound, bound)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def wae_normal_(module: nn.Module) -> None:
    """WAE's initialisation, applied with ``network.apply(wae_normal_)``."""
    if isinstance(module, nn.Conv2d):
        nn.init.trunc_normal_(module.weight, 0.0, WAE_INIT_STD, -2 * WAE_INIT_STD, 2 * WAE_INIT_STD)
    elif isinstance(module, (nn.Linear, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, WAE_INIT_STD)
    else:
        return
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def glorot_uniform_(module: nn.Module) -> None:
    """``tf.contrib.layers``' default, applied with ``network.apply(glorot_uniform_)``."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
