"""``video-folder``: clips from a folder of videos or of frame folders.

Each entry directly under ``data.path`` is one video: a GIF (read with Pillow), an MP4, AVI,
MOV, MKV or WebM file (read with imageio through PyAV, the optional extra
``pip install swgen[video]``), or a sub-folder of numbered frames (PNG/JPEG/..., in natural
order: ``2.png`` before ``10.png``). Every ``data.frame_stride``-th frame is kept, each frame is
resized (PIL bicubic, shorter side to ``data.image_size``) and centre-cropped, and the video is
cut into consecutive, non-overlapping clips of ``data.frames`` frames (the leftover tail is
dropped). Entries are read in sorted order, so ``data.limit`` (a number of clips) keeps the same
clips on every machine. Unreadable entries are skipped with one warning, which names the file
(one unreadable frame skips its whole video: a clip must not jump over it); a video whose frames
differ in size, a folder without any readable clip, or one whose videos are all shorter than
``data.frames``, is a one-line error. The clips are kept in a prepared copy
(``swgen.data.prepared``): decoded once, one video per worker on every core, then memory-mapped.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageSequence

from swgen.data.base import DataConfig
from swgen.data.folder import (
    IMAGE_SUFFIXES,
    UNREADABLE,
    ImageTooLarge,
    image_files,
    read_image,
    square_crop,
)
from swgen.data.memory import InMemoryImages, check_image_size, image_channels, take_limit
from swgen.data.prepared import (
    CopyWriter,
    cache_root,
    decode_in_order,
    prepared_copy,
)
from swgen.errors import UserError
from swgen.listing import scan_files
from swgen.registry import DATASETS

GIF_SUFFIXES = frozenset({".gif"})
MOVIE_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm"})


class VideoUnavailable(Exception):
    """A movie file needs the optional reader (imageio + PyAV), which is not installed."""


def natural_key(path: Path) -> list[object]:
    """Sort key reading runs of digits as numbers: frame2 < frame10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class SkippedVideo(Exception):
    """A video entry that is skipped; the message says which file of it and why."""


def read_frames(entry: Path, size: int, mode: str, stride: int) -> list[np.ndarray]:
    """Every ``stride``-th frame of one video entry, square-cropped to ``size`` in PIL ``mode``.

    Frames of different sizes are a :class:`UserError` naming the video (resizing each to
    ``size`` would hide a mix of videos, and ``swgen enhance`` refuses the same input); an
    unreadable frame skips the video (its clips would jump over it) with a
    :class:`SkippedVideo` naming the frame.
    """
    frames: list[np.ndarray] = []
    first: Image.Image | None = None  # the first frame read, whose size every frame must have

    def add(picture: Image.Image, name: str) -> None:
        nonlocal first
        first = picture if first is None else first
        if picture.size != first.size:
            (w0, h0), (w1, h1) = first.size, picture.size
            raise UserError(
                f"video '{entry}' has frames of different sizes ({w0} x {h0} at first, "
                f"{w1} x {h1} at {name}); give every frame of a video one size, or make it two "
                "videos"
            )
        frames.append(square_crop(picture, size))

    if entry.is_dir():
        for path in sorted(image_files(entry), key=natural_key)[::stride]:
            try:
                picture = read_image(path, mode)
            except ImageTooLarge as error:
                raise SkippedVideo(f"'{entry.name}': frame {error}") from None
            except UNREADABLE:
                raise SkippedVideo(f"'{entry.name}': frame '{path.name}' is unreadable") from None
            add(picture, f"'{path.name}'")
        return frames
    suffix = entry.suffix.lower()
    if suffix in GIF_SUFFIXES:
        with Image.open(entry) as image:
            pictures = [frame.convert(mode) for frame in ImageSequence.Iterator(image)]
        return [square_crop(picture, size) for picture in pictures[::stride]]
    for index, array in enumerate(movie_frames(entry)):
        if index % stride == 0:
            add(Image.fromarray(array).convert(mode), f"frame {index}")
    return frames


def movie_frames(path: Path) -> Iterator[np.ndarray]:
    """The RGB frames (H, W, 3) uint8 of a movie file, decoded by imageio through PyAV; raises
    ``VideoUnavailable`` when the optional reader is not installed."""
    try:
        import av  # imageio's pyav plugin, imported here to fail before reading
        import imageio.v3 as iio
    except ImportError:
        raise VideoUnavailable from None
    try:
        for array in iio.imiter(path, plugin="pyav"):
            yield np.asarray(array)
    except av.FFmpegError as error:  # a cut or corrupt stream: unreadable, like a bad image
        raise OSError(f"cannot decode '{path}': {error}") from None


def video_entries(folder: Path) -> list[Path]:
    """The entries of ``folder`` that may hold a video, sorted by name."""
    suffixes = GIF_SUFFIXES | MOVIE_SUFFIXES
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() or p.suffix.lower() in suffixes),
        key=natural_key,
    )


DECODER = "video-folder-1"  # bumped whenever decoding changes what a prepared copy holds


def decode_video(entry: str, size: int, mode: str, stride: int) -> tuple[str, Any]:
    """One video entry for a prepared copy, in a worker process: ``("ok", frames)`` (T, H, W)
    or (T, H, W, 3) uint8, or why it is skipped: ``("reader", None)`` (needs the video extra),
    ``("skipped", reason)``, ``("error", message)`` (a user error, e.g. frames of two sizes)."""
    path = Path(entry)
    try:
        frames = read_frames(path, size, mode, stride)
    except VideoUnavailable:
        return ("reader", None)
    except SkippedVideo as skipped:
        return ("skipped", str(skipped))
    except UserError as error:
        return ("error", str(error))
    except (OSError, SyntaxError, ValueError, RuntimeError, Image.DecompressionBombError):
        return ("skipped", f"'{path.name}' is unreadable")
    return ("ok", np.stack(frames)) if frames else ("skipped", None)


def load_video_folder(folder: str | Path, config: DataConfig) -> InMemoryImages:
    """All clips of ``folder``, from its prepared copy (see the module docstring)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"video folder '{folder}' does not exist or is not a folder")
    size = check_image_size(config)
    mode = "L" if image_channels(config, 3) == 1 else "RGB"
    length, stride = config.frames, config.frame_stride
    for key, value in (("frames", length), ("frame_stride", stride)):
        if not isinstance(value, int) or value < 1:
            raise UserError(f"data.{key} must be a positive integer, got {value!r}")
    entries = [e for e in video_entries(folder) if not e.is_dir() or any(
        p.suffix.lower() in IMAGE_SUFFIXES for p in e.iterdir())]  # fmt: skip
    wanted = None if config.limit is None else take_limit(config, 1 << 62)
    settings = {"reader": "video", "size": size, "mode": mode, "limit": config.limit,
                "frames": length, "frame_stride": stride, "decoder": DECODER}  # fmt: skip

    def build(writer: CopyWriter) -> dict[str, Any]:
        unreadable, missing_reader, longest = 0, 0, 0
        reasons: list[str] = []  # why entries were skipped, where a file of them can be named
        decode = functools.partial(decode_video, size=size, mode=mode, stride=stride)
        results = decode_in_order(decode, [str(e) for e in entries], f"preparing {folder.name}")
        with contextlib.closing(results):
            for status, payload in results:
                if wanted is not None and writer.rows("clips") >= wanted:
                    break
                if status == "error":
                    raise UserError(payload)
                if status != "ok":
                    missing_reader += status == "reader"
                    unreadable += status != "reader"
                    reasons += [payload] if payload else []
                    continue
                longest = max(longest, len(payload))
                for start in range(0, len(payload) - length + 1, length):
                    if wanted is not None and writer.rows("clips") >= wanted:
                        break
                    clip = payload[start : start + length]  # (T, H, W) or (T, H, W, 3)
                    clip = clip[None] if mode == "L" else clip.transpose(3, 0, 1, 2)
                    writer.append("clips", clip)  # (C, T, H, W)
        hint = (
            f"; {missing_reader} MP4/AVI file(s) need the video extra (pip install swgen[video])"
            if missing_reader
            else ""
        )
        more = "; ..." if len(reasons) > 3 else ""
        named = f": {'; '.join(reasons[:3])}{more}" if reasons else ""
        if not writer.rows("clips"):
            if longest:
                raise UserError(
                    f"video folder '{folder}': every clip is shorter than data.frames={length} "
                    f"(the longest has {longest} frames at data.frame_stride={stride}); lower "
                    "data.frames or data.frame_stride"
                )
            raise UserError(
                f"video folder '{folder}' has no readable clip (checked {len(entries)} entries, "
                f"{unreadable} unreadable{named}{hint}); give GIF/MP4/AVI files or folders of "
                "numbered frames"
            )
        skipped = unreadable + missing_reader
        return {"notes": [f"skipped {skipped} entries{named}{hint}"] if skipped else []}

    files = scan_files(folder)
    copy = prepared_copy(folder, settings, files, build, cache_root(config.cache_dir))
    if copy.meta["notes"]:
        warnings.warn(f"video folder '{folder}': {copy.meta['notes'][0]}", stacklevel=2)
    clips = copy.rows("clips")
    return InMemoryImages("video-folder", clips.tensor, verify=clips.verify)


@DATASETS.register(
    "video-folder", summary="clips from a folder of GIFs, movies or frame folders (yours)"
)
def video_folder(config: DataConfig) -> InMemoryImages:
    if not config.path:
        raise UserError(
            "dataset 'video-folder' needs data.path, a folder of GIF/MP4/AVI files or of "
            "frame folders"
        )
    return load_video_folder(config.path, config)
