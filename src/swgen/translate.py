"""``swgen translate``: every readable image of a folder through a translation run's generator.

Outputs keep the input's relative path (sub-folders and file name, hence its format) under the
output folder and the input's size: the generators are fully convolutional, so an image of any
size is padded (edge pixels repeated) to what they take and the output cropped back
(``swgen.nn.translation.translate_any_size``). Images are read like image folders for training
(any depth, EXIF orientation, 16-bit grey scaled to 8 bits) in the run's channels; files that
cannot be decoded are skipped and counted in one warning. ``save_attention`` also writes the
attention map of attention-gan as ``<stem>_attention.png`` beside each output (``-2``, ... added
when that name is taken, :mod:`swgen.outputs`). The output folder follows swgen's rule for
outputs (:mod:`swgen.outputs`): nothing a user already has is replaced.

``keep_modes`` (``swgen enhance``) writes each output in its input's own mode instead of the
run's: a grey input is mapped as colour (its grey repeated) and written grey, and an alpha
channel is set aside, never mapped, and put back (:func:`read_keeping_mode`).
"""

from __future__ import annotations

import contextlib
import typing
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from swgen.data.folder import UNREADABLE, image_files, read_image, to_8_bit
from swgen.data.label_maps import read_map_input
from swgen.errors import UserError
from swgen.outputs import OutputFolder
from swgen.plots import to_uint8_images
from swgen.train.checkpoint import TrainedRun


def translate_folder(
    run: TrainedRun,
    input_dir: str | Path,
    output: OutputFolder,
    direction: str = "AtoB",
    save_attention: bool = False,
    keep_modes: bool = False,
    style: str | Path | None = None,
) -> tuple[int, int]:
    """Translate every image under ``input_dir`` into the ``output`` folder (checked by the rule
    of :mod:`swgen.outputs` before anything is read); returns (written, skipped). A run whose
    data are label maps (``map_classes``) reads each input as a label map
    (:func:`swgen.data.label_maps.read_map_input`); ``style``: an image whose style a model with
    a style encoder (spade) gives every output."""
    source, out = Path(input_dir).expanduser(), output.root
    model = run.model
    if not model.maps_data:
        raise UserError(
            f"this run holds a {run.config.model_name} model, which does not translate images; "
            "give the run folder of a translation run (cyclegan, pix2pix, stargan, spade, ...)"
        )
    if direction not in model.directions:
        raise UserError(
            f"unknown direction {direction!r}; choose one of {', '.join(model.directions)}"
        )
    if not source.is_dir():
        raise UserError(f"input folder '{source}' does not exist or is not a folder")
    paths = image_files(source)
    if not paths:
        raise UserError(f"input folder '{source}' holds no PNG, JPEG, BMP or WebP files")
    channels = run.data.info.channels
    if save_attention:
        probe = torch.zeros(1, channels, 8, 8, device=model.device)
        with torch.no_grad():
            if "attention" not in model.translate(probe, direction):
                raise UserError(
                    f"--save-attention: {run.config.model_name} has no attention maps; "
                    "drop the flag (attention-gan has them)"
                )
    styling = style_scope(run, style)
    output.check()
    relative = [path.relative_to(source) for path in paths]
    # Translations keep their inputs' names; attention maps claim theirs after them, so a
    # collision (``a.png`` and ``a.jpg``, or ``x.png`` beside ``x_attention.png``) renames a map.
    targets = output.claim(relative)
    maps = (
        output.claim(r.with_name(f"{r.stem}_attention.png") for r in relative)
        if save_attention
        else [None] * len(paths)
    )
    mode = "L" if channels == 1 else "RGB"
    written = skipped = 0
    for path, target, attention in zip(paths, targets, maps, strict=True):
        try:
            if keep_modes:
                x, restore = read_keeping_mode(path, channels)
            elif run.data.info.map_classes:
                x, restore = read_map_input(path, run.data.info.map_classes), None
            else:
                x, restore = to_model_space(read_image(path, mode), channels), None
        except UNREADABLE:
            skipped += 1
            continue
        with styling():
            panels = run.translate(x, direction)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if restore is not None:
                restore(panels[1]).save(target)
            else:
                save_image(panels[1], target)
            if attention is not None:
                save_image(panels[2], attention)
        except OSError:
            raise UserError(
                f"cannot write translations into '{out}'; give a path in a writable folder"
            ) from None
        written += 1
    if written == 0:
        output.abandon()
        raise UserError(
            f"input folder '{source}' has no readable images (checked {len(paths)} files, "
            f"{skipped} unreadable); give a folder of PNG or JPEG files"
        )
    if skipped:
        warnings.warn(
            f"input folder '{source}': skipped {skipped} unreadable image file(s)", stacklevel=2
        )
    return written, skipped


def target_domain(model: typing.Any, to: str | None) -> str:
    """The direction of ``swgen translate --to DOMAIN`` for a model that maps among the domains
    of labelled images (``model.domains``, stargan): the domain's name, given by name or index."""
    domains = getattr(model, "domains", ())
    if not domains:
        raise UserError(
            "--to names a target domain, for runs that translate among several domains "
            "(stargan); drop it, and use --direction AtoB or BtoA"
        )
    if to is None:
        raise UserError(
            f"this run translates among the domains {', '.join(domains)}; name the target with "
            "--to DOMAIN (a name or an index)"
        )
    return domains[model.domain_index(to)]


def style_scope(run: TrainedRun, style: str | Path | None) -> Callable[[], typing.Any]:
    """A context for each translation: the style of the image ``style`` (read in the run's
    image channels) in force for a model with a style encoder, nothing when ``style`` is None."""
    if style is None:
        return contextlib.nullcontext
    model = run.model
    if not hasattr(model, "style_of"):
        raise UserError(
            f"--style: {run.config.model_name} has no style encoder; drop --style (spade with "
            "model.style_encoder=true takes one)"
        )
    path = Path(style).expanduser()
    channels = run.data.info.target_shape[0]
    try:
        image = read_image(path, "L" if channels == 1 else "RGB")
    except UNREADABLE:
        raise UserError(f"--style: cannot read '{path}' as an image; give a PNG or JPEG") from None
    code = model.style_of(to_model_space(image, channels))
    return lambda: model.styled(code)


def to_model_space(image: Image.Image, channels: int) -> torch.Tensor:
    """A PIL image (mode L or RGB) as a (1, C, H, W) tensor in [-1, 1]."""
    pixels = np.asarray(image, dtype=np.float32)
    x = torch.from_numpy(pixels).reshape(*pixels.shape[:2], channels).permute(2, 0, 1)
    return x.unsqueeze(0) / 127.5 - 1


def read_keeping_mode(
    path: Path, channels: int
) -> tuple[torch.Tensor, Callable[[torch.Tensor], Image.Image]]:
    """The image at ``path`` in the run's ``channels`` (model space), and how to turn an output
    (1, C, H, W) in [0, 1] back into the input's own kind: grey stays grey, alpha is kept."""
    with Image.open(path) as opened:
        image = to_8_bit(ImageOps.exif_transpose(opened))
        has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
            image.mode == "P" and "transparency" in image.info
        )
        alpha = image.convert("RGBA").getchannel("A") if has_alpha else None
        grey = image.mode in ("1", "L", "LA", "La")
        x = to_model_space(image.convert("L" if channels == 1 else "RGB"), channels)

    def restore(output: torch.Tensor) -> Image.Image:
        pixels = to_uint8_images(output)[0]
        result = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
        if grey and result.mode != "L":
            result = result.convert("L")
        if alpha is not None:
            result.putalpha(alpha)
        return result

    return x, restore


def save_image(image: torch.Tensor, path: Path) -> None:
    """One (1, C, H, W) image in [0, 1] to ``path``, in the format its suffix names."""
    pixels = to_uint8_images(image)[0]
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(path)
