"""SinGAN's applications (paper Sec. 4), each with the official code's method (tamarott/SinGAN):

* ``random_samples``: noise at every scale, from a start scale ``n`` (scales below take the
  reconstruction noise ``{z*, 0, ...}``, the code's ``gen_start_scale``), at any size;
* ``super_resolve`` (``SR.py``): upsample by ``r`` and apply the finest generator, ``k`` times,
  ``k = round(log_{r0}(1 / s))`` with ``r0 = (1/2)^(1/3)`` and ``r = s^(1/k)`` (x4: 6 steps of
  1.26); the code trains an SR run with ``alpha = 100`` and ``min_size = 18`` (set
  ``model.alpha=100 model.min_size=18`` for that);
* ``inject`` (``paint2image.py``, ``harmonization.py``, ``editing.py``): an image downsampled to
  scale ``n - 1``, upsampled to scale ``n`` and fed there in place of the coarser scales'
  output, then scales ``n .. N`` with fresh noise; ``paint_to_image`` is that (the code's optional
  re-training on k-means colours is not done);
* ``harmonise`` and ``edit``: the injected output blended into the training image as
  ``(1 - m) real + m out``, ``m`` the mask dilated by a disk (radius 7 for harmonisation, 20
  for editing) and blurred (Gaussian, sigma 5), rescaled to [0, 1] (``functions.dilate_mask``).
  The radii and sigma are the code's pixels at 250 px, scaled here to the training size;
* ``animate`` (``manipulate.generate_gif``): a random walk of the noise of every scale,
  ``z_t = a z_rec + (1 - a)(z_{t-1} + b (z_{t-1} - z_{t-2}) + (1 - b) e)``, ``a = 0.1``,
  ``b = 0.9``, from a start scale (2), 100 frames at 10 fps. The code animates a run re-trained
  with noise over the padding ("noise padding" mode); swgen animates the run as trained.

Images are model space (``[-1, 1]``, (1, C, H, W)) inside; files are read and written by
:func:`read_picture` and the CLI.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from swgen.errors import UserError
from swgen.nn.singan import imresize_size, resize

CODE_SIZE = 250  # the official code's max_size: its mask radii and blur are pixels at this size
HARMONISE_RADIUS = 7  # functions.dilate_mask, harmonization
EDIT_RADIUS = 20  # functions.dilate_mask, editing
MASK_SIGMA = 5.0  # functions.dilate_mask: filters.gaussian(mask, sigma=5)
SR_BASE_STEP = math.pow(1 / 2, 1 / 3)  # functions.calc_init_scale


def check_singan(model: Any, run: str) -> None:
    """Refuse, in one line, a run whose model does not learn one image."""
    if not getattr(model, "learns_one_image", False):
        raise UserError(
            f"run '{run}' holds {type(model).__name__}, not a SinGAN; 'swgen singan' takes a run "
            "trained with --model singan"
        )


def read_picture(path: str | Path, size: tuple[int, int], channels: int) -> Tensor:
    """An image file at ``size`` (the training size; any other is resized, as the code's
    ``imresize_to_shape``), (1, C, H, W) in [-1, 1]."""
    from swgen.data.single_image import read_image, to_model_space

    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"no such image file '{path}'; give an existing PNG or JPEG")
    image = to_model_space(read_image(path, channels))[None]
    return resize(image, size).clamp(-1, 1)


def check_scale(model: Any, scale: int, what: str) -> None:
    if not 1 <= scale <= model.finest:
        raise UserError(
            f"{what} must be between 1 and {model.finest} (this run's scales are 0 to "
            f"{model.finest}), got {scale}"
        )


@torch.no_grad()
def random_samples(
    model: Any, n: int, start_scale: int = 0, seed: int = 0, size: tuple[int, int] | None = None
) -> Tensor:
    """``n`` random samples (model space), from ``start_scale``, at ``size`` (default the
    training size)."""
    model.eval()
    if size is not None:
        model.set_sample_size(*size)
    z = model.sample_latent(n, torch.Generator().manual_seed(seed))
    return model.generate(z, start_scale=start_scale)


@torch.no_grad()
def inject(model: Any, image: Tensor, scale: int, seed: int = 0) -> Tensor:
    """Scales ``scale .. N`` run from ``image`` (training size) fed at ``scale``: downsampled
    to scale ``scale - 1`` and upsampled to ``scale``, with fresh noise from there on."""
    model.eval()
    check_scale(model, scale, "the injection scale")
    start = resize(resize(image.to(model.device), model.sizes[scale - 1]), model.sizes[scale])
    noises = model.random_noise(1, model.sizes, torch.Generator().manual_seed(seed))
    return model.cascade(noises, model.sizes, scale, model.finest, prev=start)


def paint_to_image(model: Any, paint: Tensor, scale: int, seed: int = 0) -> Tensor:
    """Paint-to-image: a clipart injected at ``scale`` (``paint2image.py``)."""
    return inject(model, paint, scale, seed)


def soft_mask(mask: Tensor, radius: float, sigma: float) -> Tensor:
    """``functions.dilate_mask``: binary dilation by a disk of ``radius`` px, Gaussian blur of
    ``sigma`` px, rescaled to [0, 1]; ``mask`` (1, C, H, W) in [-1, 1] (white = the region)."""
    from scipy import ndimage

    binary = (mask[0].mean(dim=0) > 0).cpu().numpy()
    dilated = ndimage.binary_dilation(binary, structure=disk(round(radius)))
    blurred = ndimage.gaussian_filter(dilated.astype(np.float64), sigma=sigma, mode="nearest")
    spread = blurred.max() - blurred.min()
    if spread == 0:
        raise UserError("the mask is empty (all black or all white); paint the region in white")
    soft = (blurred - blurred.min()) / spread
    return torch.from_numpy(soft).float()[None, None]


def disk(radius: int) -> np.ndarray:
    """skimage's ``morphology.disk``: the pixels within ``radius`` of the centre."""
    radius = max(0, radius)
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return x**2 + y**2 <= radius**2


def scaled_to_training(model: Any, pixels: float) -> float:
    """A length in pixels of the code's 250 px images, at this run's training size."""
    return pixels * max(model.sizes[-1]) / CODE_SIZE


def blend_injection(
    model: Any, reference: Tensor, mask: Tensor, scale: int, radius: float, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Harmonisation / editing: ``(1 - m) real + m out`` with ``out`` the injection of
    ``reference`` at ``scale`` and ``m`` the soft mask; returns ``(blended, out)``."""
    out = inject(model, reference, scale, seed)
    m = soft_mask(mask, scaled_to_training(model, radius), scaled_to_training(model, MASK_SIGMA))
    m = m.to(out.device)
    real = model.real(model.finest)
    return (1 - m) * real + m * out, out


def harmonise(
    model: Any, composite: Tensor, mask: Tensor, scale: int, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Harmonisation: a pasted object (``composite`` with its ``mask``) made to fit the image."""
    return blend_injection(model, composite, mask, scale, HARMONISE_RADIUS, seed)


def edit(
    model: Any, edited: Tensor, mask: Tensor, scale: int, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Editing: a copy-pasted rearrangement (``edited`` with its ``mask``) made seamless."""
    return blend_injection(model, edited, mask, scale, EDIT_RADIUS, seed)


@torch.no_grad()
def super_resolve(model: Any, factor: float, image: Tensor | None = None, seed: int = 0) -> Tensor:
    """``SR.py``: ``k`` times, upsample by ``r`` (``imresize``'s ceil sizes) and apply the finest
    generator with its noise amplitude; cropped to ``factor`` times the input's size."""
    model.eval()
    if not (isinstance(factor, int | float) and 1 < factor <= 16):
        raise UserError(f"the super-resolution factor must be in (1, 16], got {factor}")
    x = (model.real(model.finest) if image is None else image).to(model.device)
    height, width = x.shape[-2:]
    steps = max(1, round(math.log(1 / factor, SR_BASE_STEP)))
    r = math.pow(factor, 1 / steps)
    generator = torch.Generator().manual_seed(seed)
    n = model.finest
    for _ in range(steps):
        x = resize(x, imresize_size(*x.shape[-2:], r))
        z = torch.randn(1, model.channels, *x.shape[-2:], generator=generator).to(x.device)
        x = model.scale_output(n, z, x)
    return x[:, :, : int(factor * height), : int(factor * width)]


@torch.no_grad()
def animate(
    model: Any,
    frames: int = 100,
    start_scale: int = 2,
    alpha: float = 0.1,
    beta: float = 0.9,
    seed: int = 0,
) -> Tensor:
    """``generate_gif``: (frames, C, H, W) of a random walk around the reconstruction noise."""
    model.eval()
    if not 0 <= start_scale <= model.finest:
        raise UserError(f"--start-scale must be between 0 and {model.finest}, got {start_scale}")
    if not 2 <= frames <= 1000:
        raise UserError(f"--frames must be between 2 and 1000, got {frames}")
    generator = torch.Generator().manual_seed(seed)
    rec = model.reconstruction_noise()
    walks = []  # per scale, (frames, C, h, w)
    for n, z_rec in enumerate(rec):
        shape = (1, 1 if n == 0 else model.channels, *model.sizes[n])
        draws = [
            model.full_channels(torch.randn(shape, generator=generator)).to(z_rec.device)
            for _ in range(frames + 1)
        ]
        previous, before = 0.95 * z_rec + 0.05 * draws[0], z_rec
        steps = []
        for draw in draws[1:]:
            step = beta * (previous - before) + (1 - beta) * draw
            current = alpha * z_rec + (1 - alpha) * (previous + step)
            before, previous = previous, current
            steps.append(z_rec if n < start_scale else current)
        walks.append(torch.cat(steps))
    return model.cascade(walks, model.sizes, 0, model.finest)


# --------------------------------------------------------------------------------------------
# The command line: ``swgen sample --size`` and ``swgen singan ...``
# --------------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    """``"HxW"`` -> ``(H, W)``; a one-line error otherwise."""
    height, _, width = str(text).lower().partition("x")
    if not (height.strip().isdigit() and width.strip().isdigit()):
        raise UserError(f"--size takes HEIGHTxWIDTH in pixels, e.g. 64x128, got {text!r}")
    return int(height), int(width)


def sample_at_size(model: Any, text: str) -> None:
    """``swgen sample --size HxW``: for a model that samples any size (``samples_any_size``)."""
    if not getattr(model, "samples_any_size", False):
        raise UserError(
            "this run's samples have the size it was trained at; --size is for models that "
            "sample any size (singan); drop --size"
        )
    model.set_sample_size(*parse_size(text))


def add_singan_commands(commands: Any) -> None:
    """``swgen singan random|sr|paint|harmonise|edit|animate RUN ...`` (module docstring)."""
    singan = commands.add_parser(
        "singan", help="SinGAN's applications on a singan run (samples, SR, paint, harmonise, "
        "edit, animate)",
    )  # fmt: skip
    tasks = singan.add_subparsers(
        dest="task", required=True, help="what to do with the trained pyramid"
    )

    def task(name: str, help_text: str, suffix: str = ".png") -> Any:
        parser = tasks.add_parser(name, help=help_text)
        parser.add_argument(
            "run", metavar="RUN", help="a run folder of 'swgen train --model singan'"
        )
        parser.add_argument("-o", "--output", required=True, help=f"the {suffix} file to write")
        parser.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
        parser.add_argument("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N")
        parser.add_argument("--overwrite", action="store_true", help="replace the output file")
        parser.set_defaults(handler=run_task, suffix=suffix)
        return parser

    def injection(parser: Any, image: str, what: str, mask: bool) -> None:
        parser.add_argument(f"--{image}", required=True, help=what)
        if mask:
            parser.add_argument(
                "--mask", required=True, help="white where the image was changed (any size)"
            )
        parser.add_argument(
            "--scale", type=int, default=1,
            help="the scale it is injected at, 1 (coarsest after 0) to the finest (default 1)",
        )  # fmt: skip

    random = task("random", "random samples from a start scale, at any size")
    random.add_argument("-n", type=int, default=16, help="samples (default 16)")
    random.add_argument(
        "--start-scale", type=int, default=0,
        help="scales below it keep the image's layout (reconstruction noise); default 0",
    )  # fmt: skip
    random.add_argument("--size", metavar="HxW", help="sample size (default: the training size)")
    sr = task("sr", "super-resolution: the finest generator applied k times (SR.py)")
    sr.add_argument("--factor", type=float, default=4.0, help="upscaling factor (default 4)")
    sr.add_argument("--input", help="image to upscale (default: the training image)")
    paint = task("paint", "paint-to-image: a clipart injected at a coarse scale")
    injection(paint, "paint", "the clipart (resized to the training size)", mask=False)
    harmonise = task("harmonise", "harmonise an object pasted into the training image")
    injection(harmonise, "composite", "the training image with the object pasted in", mask=True)
    edit = task("edit", "make a copy-paste edit of the training image seamless")
    injection(edit, "edited", "the edited training image", mask=True)
    animation = task("animate", "a looping GIF of a random walk in noise space", ".gif")
    animation.add_argument("--frames", type=int, default=100, help="frames (default 100)")
    animation.add_argument("--fps", type=float, default=10.0, help="frames per second (10)")
    animation.add_argument("--start-scale", type=int, default=2, help="default 2 (the code)")
    animation.add_argument("--alpha", type=float, default=0.1, help="pull to z_rec (0.1)")
    animation.add_argument("--beta", type=float, default=0.9, help="momentum (0.9)")


def run_task(args: Any) -> None:
    """The handler of every ``swgen singan`` task."""
    from swgen.outputs import check_output_file
    from swgen.plots import image_grid, save_gif, save_picture
    from swgen.train.checkpoint import load_trained

    out = Path(args.output)
    if out.suffix.lower() != args.suffix:
        raise UserError(f"'{out}': 'swgen singan {args.task}' writes a {args.suffix} file")
    check_output_file(out, args.overwrite)
    run = load_trained(args.run, device=args.device)
    model = run.model
    check_singan(model, args.run)
    model.eval()
    size, channels = model.sizes[-1], model.channels

    def picture(name: str) -> Tensor:
        return read_picture(getattr(args, name), size, channels)

    if args.task == "random":
        if not 1 <= args.n <= 1000:
            raise UserError(f"-n must be between 1 and 1000, got {args.n}")
        shape = None if args.size is None else parse_size(args.size)
        result = random_samples(model, args.n, args.start_scale, args.seed, shape)
    elif args.task == "sr":
        image = None
        if args.input is not None:
            from swgen.data.single_image import read_image, to_model_space

            image = to_model_space(read_image(Path(args.input), channels))[None]
        result = super_resolve(model, args.factor, image, args.seed)
    elif args.task == "paint":
        result = paint_to_image(model, picture("paint"), args.scale, args.seed)
    elif args.task in ("harmonise", "edit"):
        apply = harmonise if args.task == "harmonise" else edit
        reference = picture("composite" if args.task == "harmonise" else "edited")
        result, _ = apply(model, reference, picture("mask"), args.scale, args.seed)
    else:
        if not 0 < args.fps <= 100:
            raise UserError(f"--fps must be in (0, 100], got {args.fps}")
        frames = animate(model, args.frames, args.start_scale, args.alpha, args.beta, args.seed)
        clip = ((frames.float().cpu() + 1) / 2).clamp(0, 1).permute(1, 0, 2, 3)[None]
        try:
            save_gif(clip, out, duration_ms=round(1000 / args.fps))
        except OSError:
            raise UserError(f"cannot write '{out}'; give a path in a writable folder") from None
        print(f"swgen: wrote a {args.frames}-frame looping GIF of {args.run} to {out}")
        return
    images = ((result.float().cpu() + 1) / 2).clamp(0, 1)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        save_picture(image_grid(images, padding=0 if len(images) == 1 else 2), out)
    except OSError:
        raise UserError(f"cannot write '{out}'; give a path in a writable folder") from None
    shown = "x".join(map(str, images.shape[-2:]))
    print(f"swgen: wrote {len(images)} {args.task} image(s) of {shown} px to {out}")
