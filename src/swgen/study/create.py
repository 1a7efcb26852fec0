"""``swgen study create``: draw a study's stimuli from trained runs into one study file.

What a stimulus is follows the run's data:

* images: one sample, or one real image of the run's data (``DataSource.sample``, the real set
  the metrics use), as a PNG;
* video: one clip as a looping GIF;
* translation and enhancement runs (``model.maps_data``): the held-out input beside its output
  (``input | output``). Beside it the real stimulus is the input beside its true translation
  (``input | target``) when the data know it (paired data, ``digits-recolour``); for unpaired
  domains there is no true translation, so real and fake are shown alone (a translated image
  against a held-out image of the target domain, as CycleGAN's perceptual study did).

Catch stimuli are uniform noise of a real stimulus's shape: obviously fake.
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from swgen.errors import UserError
from swgen.outputs import check_output_file
from swgen.study import db
from swgen.study.protocol import EXPOSURES, FIXATION_MS, KINDS, STAIRCASE

MAX_TRIALS = 1000
MAX_STIMULI = 10_000
DISPLAY_PX = 256  # stimuli are shown about this tall, scaled by a whole factor (sharp pixels)
GIF_FRAME_MS = 100  # as swgen sample's GIFs
PANEL_GAP = 2  # white pixels between an input and its output


def create_study(
    path: str | Path,
    kind: str,
    runs: Sequence[str],
    *,
    real: str | None = None,
    trials: int = 20,
    catch_trials: int = 4,
    tutorial_trials: int = 4,
    stimuli: int = 50,
    exposure: str = "unlimited",
    catch_errors_allowed: int = 0,
    seed: int = 0,
    device: str = "cpu",
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write a new study file at ``path`` and return its settings. ``runs``: one run folder for
    ``real-or-fake``, two for ``preference``; ``stimuli`` per role (real, fake; per run)."""
    from swgen.cli import package_version
    from swgen.train.checkpoint import load_trained

    path = Path(path).expanduser()
    settings = check_settings(
        kind, runs, real, trials, catch_trials, tutorial_trials, stimuli, exposure,
        catch_errors_allowed,
    )  # fmt: skip
    check_output_file(path, overwrite)
    if kind == "real-or-fake":
        loaded = [load_trained(runs[0], device=device, data=real)]
    else:
        loaded = [load_trained(run, device=device) for run in runs]
    for folder, run in zip(runs, loaded, strict=True):
        check_showable(folder, run)
    if (
        len({run.model.maps_data for run in loaded}) > 1
        or len({run.data.info.kind for run in loaded}) > 1
    ):
        raise UserError(
            f"runs '{runs[0]}' and '{runs[1]}' make different things (images, video, "
            "translations); a preference study compares two runs of the same kind"
        )
    if kind == "real-or-fake":
        tutorial_each, shown_real = math.ceil(tutorial_trials / 2), 0
    else:  # each tutorial and catch trial shows a real image against noise
        tutorial_each, shown_real = 0, max(1, tutorial_trials + catch_trials)
    noise = max(1, catch_trials, shown_real)
    rows = draw_stimuli(loaded, kind, stimuli, tutorial_each, shown_real, noise, seed)
    media_type = "image/gif" if loaded[0].data.info.kind == "video" else "image/png"
    height = rows[0][3].shape[-2]
    scale = max(1, round(DISPLAY_PX / height))
    settings.update(
        seed=seed,
        display_px=height * scale,
        pixelated=scale > 1,
        created=time.time(),
        swgen_version=package_version(),
    )
    labels = run_labels(runs)
    write_study(path, settings, loaded, runs, labels, rows, media_type, seed)
    return settings


def check_settings(
    kind: str,
    runs: Sequence[str],
    real: str | None,
    trials: int,
    catch_trials: int,
    tutorial_trials: int,
    stimuli: int,
    exposure: str,
    catch_errors_allowed: int,
) -> dict[str, Any]:
    """The settings, refused in one line each when they cannot make a study."""
    if kind not in KINDS:
        raise UserError(f"unknown study kind {kind!r}; give --kind real-or-fake or preference")
    wanted = 1 if kind == "real-or-fake" else 2
    if len(runs) != wanted:
        usage = "RUN" if wanted == 1 else "RUN_A RUN_B"
        raise UserError(f"a {kind} study takes {usage}, got {len(runs)} run folder(s)")
    if kind == "preference" and real is not None:
        raise UserError("--real is for real-or-fake studies; a preference study shows two runs")
    if kind == "preference" and exposure != "unlimited":
        raise UserError("--exposure staircase is for real-or-fake studies (HYPE-time)")
    if exposure not in EXPOSURES:
        raise UserError(f"unknown --exposure {exposure!r}; give unlimited or staircase")
    if not 1 <= trials <= MAX_TRIALS:
        raise UserError(f"--trials must be between 1 and {MAX_TRIALS}, got {trials}")
    if kind == "real-or-fake" and trials % 2:
        raise UserError(f"--trials must be even, half real and half fake; got {trials}")
    for flag, value in (("--catch", catch_trials), ("--tutorial", tutorial_trials)):
        if not 0 <= value <= MAX_TRIALS:
            raise UserError(f"{flag} must be between 0 and {MAX_TRIALS}, got {value}")
    if catch_errors_allowed < 0:
        raise UserError(f"--catch-errors-allowed must be 0 or more, got {catch_errors_allowed}")
    needed = trials // 2 if kind == "real-or-fake" else trials
    if not needed <= stimuli <= MAX_STIMULI:
        raise UserError(
            f"--stimuli must be between {needed} (so no participant sees an image twice in "
            f"{trials} trials) and {MAX_STIMULI}, got {stimuli}"
        )
    return {
        "kind": kind,
        "exposure": exposure,
        "trials": trials,
        "catch_trials": catch_trials,
        "tutorial_trials": tutorial_trials,
        "catch_errors_allowed": catch_errors_allowed,
        "stimuli": stimuli,
        "staircase": STAIRCASE if exposure == "staircase" else None,
        "fixation_ms": FIXATION_MS,
    }


def check_showable(folder: str, run: Any) -> None:
    if not run.data.info.is_pixels:
        raise UserError(
            f"run '{folder}' models {run.data.info.kind}, not images; a study shows images, "
            "clips or translations"
        )


def run_labels(runs: Sequence[str]) -> list[str]:
    """Short names of the runs for the page's report (folder names; whole paths if those clash)."""
    names = [Path(run).expanduser().resolve().name for run in runs]
    return names if len(set(names)) == len(names) else [str(Path(run)) for run in runs]


# (role, run index or None, item, tensor in [0, 1]: (C, H, W) or (C, T, H, W))
StimulusRow = tuple[str, int | None, int, Tensor]


def draw_stimuli(
    runs: list[Any],
    kind: str,
    count: int,
    tutorial_each: int,
    shown_real: int,
    noise: int,
    seed: int,
) -> list[StimulusRow]:
    """Every stimulus of a study: ``count`` per run (and real, for real-or-fake),
    ``tutorial_each`` real and fake for a real-or-fake tutorial, ``shown_real`` real images for
    the tutorials and catches of a preference study, and ``noise`` noise images."""
    first = runs[0]
    fakes, real = run_stimuli(first, count + tutorial_each, seed, kind == "real-or-fake")
    rows: list[StimulusRow] = []
    if kind == "real-or-fake":
        rows += [("fake", 0, i, fakes[i]) for i in range(count)]
        rows += [("tutorial-fake", 0, i, fakes[count + i]) for i in range(tutorial_each)]
        rows += [("real", None, i, real[i]) for i in range(count)]
        rows += [("tutorial-real", None, i, real[count + i]) for i in range(tutorial_each)]
    else:
        # The same seed (and held-out inputs) for both runs: item i of A and of B go together.
        rows += [("fake", 0, i, fakes[i]) for i in range(count)]
        second, _ = run_stimuli(runs[1], count, seed, False)
        rows += [("fake", 1, i, second[i]) for i in range(count)]
        _, real = run_stimuli(first, shown_real, seed + 1, True)
        rows += [("real", None, i, real[i]) for i in range(shown_real)]
    generator = torch.Generator().manual_seed(seed)
    shape = real[0].shape
    rows += [("noise", None, i, torch.rand(shape, generator=generator)) for i in range(noise)]
    return rows


def run_stimuli(run: Any, n: int, seed: int, with_real: bool) -> tuple[Tensor, Tensor | None]:
    """``n`` fake stimuli of ``run`` and, if ``with_real``, ``n`` real ones, in [0, 1]."""
    if not run.model.maps_data:
        fake = run.sample(n, seed=seed)
        real = run.data.to_data_space(run.data.sample(n, seed=seed)) if with_real else None
        return fake, real
    direction = run.model.directions[0]
    held = run.data.held_out(n, direction, seed)
    inputs, outputs = run.translate(held.x, direction)[:2]
    target = run.data.to_data_space(held.y.float().cpu())
    knows_truth = run.data.info.pairing == "paired" or bool(getattr(run.data, "paired_test", False))
    if knows_truth or not with_real:
        fake = side_by_side(inputs, outputs)
        real = side_by_side(inputs, target) if knows_truth else target
        return fake, real
    return outputs, target  # unpaired: nothing to set beside an input, so outputs alone


def side_by_side(left: Tensor, right: Tensor) -> Tensor:
    """``left | right`` (N, C, [T,] H, W) with a white gap; one channel repeated to three."""
    channels = max(left.shape[1], right.shape[1])
    left, right = (t.expand(-1, channels, *t.shape[2:]) for t in (left, right))
    height = max(left.shape[-2], right.shape[-2])
    left, right = (pad_height(t, height) for t in (left, right))
    gap = torch.ones(*left.shape[:-1], PANEL_GAP)
    return torch.cat([left, gap, right], dim=-1)


def pad_height(x: Tensor, height: int) -> Tensor:
    missing = height - x.shape[-2]
    return torch.nn.functional.pad(x, (0, 0, 0, missing), value=1.0) if missing else x


def encode(stimulus: Tensor) -> bytes:
    """One stimulus in [0, 1] as PNG bytes, or a clip (C, T, H, W) as a looping GIF."""
    from swgen.plots import to_uint8_images

    frames = stimulus.unsqueeze(0) if stimulus.dim() == 3 else stimulus.transpose(0, 1)
    pictures = [
        Image.fromarray(frame[..., 0] if frame.shape[-1] == 1 else frame)
        for frame in to_uint8_images(frames)
    ]
    buffer = io.BytesIO()
    if stimulus.dim() == 3:
        pictures[0].save(buffer, format="PNG")
    else:
        pictures[0].save(
            buffer, format="GIF", save_all=True, append_images=pictures[1:],
            duration=GIF_FRAME_MS, loop=0, optimize=False,
        )  # fmt: skip
    return buffer.getvalue()


def write_study(
    path: Path,
    settings: dict[str, Any],
    runs: list[Any],
    folders: Sequence[str],
    labels: list[str],
    rows: list[StimulusRow],
    media_type: str,
    seed: int,
) -> None:
    """Write the study beside ``path`` and move it into place: no half-written study file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.unlink(missing_ok=True)
        connection = db.connect(temporary)
    except (OSError, db.sqlite3.Error):
        raise UserError(
            f"cannot write the study file '{path}'; give a path in a writable folder"
        ) from None
    try:
        db.create_schema(connection, settings)  # a new file: no transaction needed yet
        connection.execute("BEGIN")
        for index, (run, folder, label) in enumerate(zip(runs, folders, labels, strict=True)):
            connection.execute(
                "INSERT INTO runs (id, label, path, model, step) VALUES (?, ?, ?, ?, ?)",
                (index + 1, label, str(Path(folder).expanduser().resolve()),
                 run.config.model_name, run.step),
            )  # fmt: skip
        # Shuffled ids: a stimulus id tells a participant nothing about what it shows.
        ids = np.random.default_rng(seed).permutation(len(rows)) + 1
        connection.executemany(
            "INSERT INTO stimuli (id, role, run_id, item, media_type, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (int(ids[k]), role, None if run is None else run + 1, item, media_type,
                 encode(stimulus))
                for k, (role, run, item, stimulus) in enumerate(rows)
            ],
        )  # fmt: skip
        connection.execute("COMMIT")
        connection.close()
        os.replace(temporary, path)
    except (OSError, db.sqlite3.Error) as error:
        raise UserError(f"cannot write the study file '{path}' ({error}); check the disk") from None
    finally:
        connection.close()
        temporary.unlink(missing_ok=True)
