"""``swgen enhance``: every photo of a folder, or every video when the run enhances video.

Photos go through ``swgen.translate.translate_folder`` with ``keep_modes`` (names, sizes, grey
and alpha kept). A video run (Recurrent-DACAL, trained on clips) enhances videos instead, each at
its own size and length, frame after frame with the recurrence carried through the whole video:

* a folder of frames (PNG/JPEG/..., in natural order: ``2.png`` before ``10.png``): the input
  folder itself when it holds frames, and each sub-folder that does; written as a folder of the
  same relative path holding frames of the same names;
* a GIF under the input folder: written as a GIF of the same name and frame durations;
* a movie file (MP4, MOV, MKV, AVI, WebM) under the input folder, with the video extra
  (``pip install swgen[video]``: imageio and PyAV, which bundles FFmpeg): written as a movie of the
  same name, size and frame rate, re-encoded at near-lossless quality (H.264 at CRF 17 in
  MP4/MOV/MKV, MPEG-4 Part 2 at qscale 2 in AVI, VP9 at CRF 20 in WebM; 4:2:0 chroma where the
  codec allows it at that size, else 4:4:4).
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageSequence

from swgen.data.folder import IMAGE_SUFFIXES, UNREADABLE, image_files
from swgen.data.video_folder import MOVIE_SUFFIXES, VideoUnavailable, movie_frames, natural_key
from swgen.errors import UserError
from swgen.outputs import OutputFolder
from swgen.plots import to_uint8_images
from swgen.train.checkpoint import TrainedRun
from swgen.translate import translate_folder


def enhance_folder(run: TrainedRun, input_dir: str | Path, output: OutputFolder) -> int:
    """Enhance every photo (or, for a video run, every video) under ``input_dir`` into the
    ``output`` folder (swgen's rule for outputs, :mod:`swgen.outputs`); returns how many were
    written."""
    if not run.model.enhances:
        raise UserError(
            f"this run holds a {run.config.model_name} model, which does not enhance photos; "
            "give the run folder of a dacal run"
        )
    direction = run.model.directions[0]
    if run.data.info.kind != "video":
        return translate_folder(run, input_dir, output, direction, keep_modes=True)[0]
    return enhance_videos(run, Path(input_dir).expanduser(), output)


# The encoder and its quality options for each container: near-lossless, so the enhancement
# is what a user sees, not the re-encoding.
MOVIE_ENCODERS = {
    ".mp4": ("libx264", {"crf": "17"}),
    ".mov": ("libx264", {"crf": "17"}),
    ".mkv": ("libx264", {"crf": "17"}),
    ".avi": ("mpeg4", {"qscale": "2"}),
    ".webm": ("libvpx-vp9", {"crf": "20", "b": "0"}),
}


def find_videos(source: Path) -> list[Path]:
    """Frame folders (``source`` and its sub-folders holding images), GIFs and movie files, in
    sorted order."""
    if not source.is_dir():
        raise UserError(f"input folder '{source}' does not exist or is not a folder")
    folders = sorted({path.parent for path in image_files(source)})
    suffixes = MOVIE_SUFFIXES | {".gif"}
    files = sorted(path for path in source.rglob("*") if path.suffix.lower() in suffixes)
    return [*folders, *files]


def frame_paths(folder: Path) -> list[Path]:
    """The frames directly in ``folder``, in natural order."""
    frames = (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return sorted(frames, key=natural_key)


def read_video(entry: Path, mode: str) -> tuple[list[Image.Image], list[str], list[int]]:
    """Frames in ``mode``, their file names (frame folders) and durations in ms (GIFs)."""
    if entry.suffix.lower() in MOVIE_SUFFIXES:
        return [Image.fromarray(a).convert(mode) for a in movie_frames(entry)], [], []
    if entry.is_dir():
        paths = frame_paths(entry)
        frames = []
        for path in paths:
            try:
                with Image.open(path) as image:
                    frames.append(image.convert(mode))
            except UNREADABLE:
                raise UnreadableFrame(path) from None
        return frames, [p.name for p in paths], []
    frames, durations = [], []
    with Image.open(entry) as image:
        for picture in ImageSequence.Iterator(image):  # one image object, seeked: copy each
            durations.append(int(picture.info.get("duration", 100)))
            frames.append(picture.convert(mode))
    return frames, [], durations


def movie_rate(path: Path) -> Fraction:
    """The frame rate of a movie file, as its container states it (25 when it does not)."""
    import av

    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
    return Fraction(rate) if rate else Fraction(25)


def write_movie(path: Path, pictures: list[Image.Image], rate: Fraction) -> None:
    """Encode ``pictures`` as a movie of ``path``'s container (see ``MOVIE_ENCODERS``)."""
    import av

    codec, options = MOVIE_ENCODERS[path.suffix.lower()]
    width, height = pictures[0].size
    even = width % 2 == 0 and height % 2 == 0
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = width, height
        # 4:2:0 halves the chroma, so libx264 needs even sides; MPEG-4 Part 2 has only 4:2:0
        stream.pix_fmt = "yuv420p" if even or codec == "mpeg4" else "yuv444p"
        stream.options = dict(options)
        for picture in pictures:
            frame = av.VideoFrame.from_ndarray(np.asarray(picture.convert("RGB")), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())  # flush the encoder's delayed frames


class UnreadableFrame(Exception):
    """A frame of a frame folder that cannot be decoded (``args[0]``: its path)."""


def enhance_videos(run: TrainedRun, source: Path, output: OutputFolder) -> int:
    out = output.root
    videos = find_videos(source)
    if not videos:
        raise UserError(
            f"input folder '{source}' holds no video: give GIFs, movie files (MP4/AVI/...) or "
            "one folder of numbered frames per video"
        )
    movies = [entry for entry in videos if entry.suffix.lower() in MOVIE_SUFFIXES]
    if movies:
        try:
            import av  # noqa: F401
        except ImportError:
            if len(movies) == len(videos):
                raise UserError(
                    f"input folder '{source}' holds only movie files, which need the video "
                    "extra: pip install swgen[video] (or give GIFs or folders of frames)"
                ) from None
            warnings.warn(
                f"skipped {len(movies)} movie file(s) under '{source}': reading and writing "
                "them needs the video extra (pip install swgen[video])",
                stacklevel=2,
            )
            videos = [entry for entry in videos if entry not in movies]
    channels = run.data.info.channels
    mode = "L" if channels == 1 else "RGB"
    output.check()
    # Outputs keep their inputs' relative paths (a frame folder: its frames' names), which are
    # distinct, so claiming them renames nothing: it records them as this command's.
    output.claim(
        path.relative_to(source)
        for entry in videos
        for path in (frame_paths(entry) if entry.is_dir() else [entry])
    )
    written = skipped = 0
    for entry in videos:
        frames = []
        try:
            frames, names, durations = read_video(entry, mode)
            rate = movie_rate(entry) if entry in movies else None  # read with the frames
        except UnreadableFrame as error:
            warnings.warn(
                f"skipped video '{entry}': its frame '{error.args[0].name}' is unreadable",
                stacklevel=2,
            )
        except (*UNREADABLE, VideoUnavailable):
            warnings.warn(f"skipped unreadable video '{entry}'", stacklevel=2)
        if not frames:
            skipped += 1
            continue
        if len({frame.size for frame in frames}) > 1:
            raise UserError(
                f"the frames of '{entry}' differ in size; give frames of one size per video"
            )
        pixels = np.stack(
            [np.asarray(f, np.float32).reshape(f.height, f.width, -1) for f in frames]
        )
        clip = torch.from_numpy(pixels).permute(3, 0, 1, 2).unsqueeze(0) / 127.5 - 1
        enhanced = run.translate(clip, run.model.directions[0])[1][0]  # (C, T, H, W) in [0, 1]
        pictures = [Image.fromarray(squeeze(p)) for p in to_uint8_images(enhanced.transpose(0, 1))]
        target = out / entry.relative_to(source)
        try:
            if entry.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                for picture, name in zip(pictures, names, strict=True):
                    picture.save(target / name)
            elif entry in movies:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_movie(target, pictures, rate)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                pictures[0].save(
                    target, save_all=True, append_images=pictures[1:], duration=durations, loop=0
                )
        except OSError:
            raise UserError(
                f"cannot write enhanced videos into '{out}'; give a path in a writable folder"
            ) from None
        written += 1
    if written == 0:
        output.abandon()
        raise UserError(
            f"input folder '{source}' has no readable video (checked {len(videos)}, {skipped} "
            "unreadable); give GIFs, movie files or folders of numbered frames"
        )
    return written


def squeeze(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels
