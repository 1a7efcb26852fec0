"""Datasets, each registered by name in ``swgen.registry.DATASETS``; ``build_dataset`` picks one.

Registered: ``digits`` (default, bundled with scikit-learn), ``mnist`` and ``fashion-mnist`` (IDX
files), ``folder`` (any folder of images), the video datasets ``moving-digits`` (generated from the
bundled digits) and ``video-folder`` (GIF/MP4/AVI files or frame folders), and the 2D toys
``gaussians8``, ``gaussians25`` and ``swissroll``; for unpaired translation ``two-domain``
(folders with ``trainA``/``trainB`` or ``train/A``/``train/B``) and ``digits-recolour`` (bundled,
with the true translation of every held-out image); for paired translation ``digits-pairs``
(bundled: the same digits as aligned pairs) and ``paired-folders``; for enhancement
``paired-folders`` (``input/`` and ``target/``, or pix2pix's ``train/`` of side-by-side pairs)
and ``photo-pairs`` (bundled photos through a known camera model); for semantic
synthesis ``label-maps`` (``label/`` class-index maps and ``image/``) and ``scenes`` (bundled,
generated). Nothing is
ever downloaded. The user's folders are read through prepared copies, decoded once on every
core into memory-mapped files (``swgen.data.prepared``). A new dataset is one file with a factory
``@DATASETS.register("name", summary="...") def f(config: DataConfig) -> DataSource``, imported
below.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from swgen.data import (  # noqa: F401  (registers the datasets)
    digit_pairs,
    digit_styles,
    digits,
    folder,
    label_maps,
    mnist,
    moving_digits,
    paired,
    scenes,
    single_image,
    toy,
    two_domain,
    video_folder,
)
from swgen.data.base import DataConfig, DataInfo, DataSource, step_generator
from swgen.data.folder import FolderImages, load_folder
from swgen.data.idx import read_idx, write_idx
from swgen.data.label_maps import LabelMapPairs, label_map_folders
from swgen.data.memory import InMemoryImages
from swgen.data.paired import PairedImages, paired_folders
from swgen.data.prepared import cache_root, clear_copies, content_of
from swgen.data.single_image import absolute_spec, check_image_spec, is_image_spec
from swgen.data.toy import GaussianMixture, SwissRoll
from swgen.data.two_domain import TwoDomainImages, domain_folders
from swgen.errors import UserError
from swgen.listing import relative_posix, scan_files
from swgen.registry import DATASETS

__all__ = [
    "DataConfig",
    "DataInfo",
    "DataSource",
    "FolderImages",
    "GaussianMixture",
    "InMemoryImages",
    "LabelMapPairs",
    "PairedImages",
    "SwissRoll",
    "TwoDomainImages",
    "DataFolderMissing",
    "build_dataset",
    "cache_root",
    "check_data_name",
    "clear_copies",
    "data_content",
    "folder_fingerprint",
    "load_folder",
    "read_idx",
    "step_generator",
    "user_folder",
    "with_absolute_paths",
    "write_idx",
]


def build_dataset(config: DataConfig) -> DataSource:
    """The dataset ``config.name`` names; an existing folder given as the name is a ``folder``.

    A folder holding two domains (``trainA``/``trainB`` or ``train/A``/``train/B``) is a
    ``two-domain`` dataset; one holding ``input/`` and ``target/`` is ``paired-folders``; one
    holding ``label/`` and ``image/`` is ``label-maps``. A registered name wins over a folder of
    the same name. A name that is neither gets one of three messages (:func:`check_data_name`):
    a missing folder, a file, an unknown name.
    """
    check_data_name(config.name)
    if is_image_spec(config.name):  # one image file: the ``image`` dataset reads it
        config = dataclasses.replace(config, name="image", path=config.name[len("image:") :])
    elif config.name not in DATASETS and Path(config.name).expanduser().is_dir():
        root = Path(config.name).expanduser()
        name = "two-domain" if domain_folders(root) is not None else "folder"
        if name == "folder" and paired_folders(root) is not None:
            name = "paired-folders"
        if name == "folder" and label_map_folders(root) is not None:
            name = "label-maps"
        config = dataclasses.replace(config, name=name, path=config.name)
    return DATASETS.get(config.name)(config)


class DataFolderMissing(UserError):
    """A data folder (``--data DIR`` or ``data.path``) that does not exist."""


def looks_like_path(name: str) -> bool:
    """Whether ``--data NAME`` was meant as a path rather than a registered name."""
    return "/" in name or os.sep in name or name.startswith(("~", "."))


def check_data_name(name: str) -> None:
    """Refuse, in one line each, a missing folder, a file where a folder is wanted, and an unknown
    dataset name (with the registered names); pass a registered name or an existing folder."""
    if is_image_spec(name):
        check_image_spec(name)  # ``image:PATH``, one image file (swgen.data.single_image)
        return
    path = Path(name).expanduser()
    if name in DATASETS or path.is_dir():
        return
    if path.exists():
        raise UserError(
            f"data '{name}' is a file, not a folder; give a folder of images, or a dataset name "
            "(swgen list shows them)"
        )
    if looks_like_path(name):
        raise DataFolderMissing(
            f"no such folder '{name}'; give an existing folder of images, or a dataset name "
            "(swgen list shows them)"
        )
    DATASETS.get(name)  # an unknown name: the registry's message lists the registered ones


def with_absolute_paths(config: DataConfig) -> DataConfig:
    """``config`` with its folders (a folder given as ``name``, and ``path``) made absolute, so a
    run trained on ``--data photos`` works from any directory later."""
    changes = {}
    if is_image_spec(config.name):
        changes["name"] = absolute_spec(config.name)
    elif config.name not in DATASETS and Path(config.name).expanduser().is_dir():
        changes["name"] = os.path.abspath(Path(config.name).expanduser())
    for key in ("path", "cache_dir"):
        if getattr(config, key) is not None:
            changes[key] = os.path.abspath(Path(getattr(config, key)).expanduser())
    return dataclasses.replace(config, **changes) if changes else config


def user_folder(config: DataConfig) -> Path | None:
    """The folder of the user's files a dataset reads (``None`` for bundled or generated data
    that find their own files, and one image file, ``image:PATH``)."""
    if is_image_spec(config.name) or config.name == "image":
        return None
    if config.name not in DATASETS:
        return Path(config.name).expanduser()
    return Path(config.path).expanduser() if config.path is not None else None


def data_content(config: DataConfig) -> dict[str, object] | None:
    """What the user's data folder holds (a file count and a digest of relative paths, sizes
    and modification times, ``swgen.data.prepared.content_of``), to key what is computed from
    it; ``None`` for bundled and generated data."""
    root = user_folder(config)
    if root is None or not root.is_dir():
        return None
    return content_of(root, scan_files(root))


def folder_fingerprint(root: Path) -> tuple[int, str]:
    """The number of files under ``root`` and a digest of their relative paths and sizes: what a
    run records of its data folder, so a later run can tell whether the folder changed. It does
    not hash contents (a 200,000-image folder is listed in seconds) and ignores modification
    times, so a folder copied elsewhere keeps its fingerprint (a prepared copy, which must match
    its files exactly, is keyed by their times too: ``swgen.data.prepared.content_of``)."""
    entries = [
        f"{relative_posix(entry.location, root)}\0{entry.size}" for entry in scan_files(root)
    ]
    entries.sort()
    # The digest of the lines joined by "\n", fed line by line: no second copy of the listing.
    digest = hashlib.sha256()
    for index, line in enumerate(entries):
        digest.update(("\n" if index else "").encode() + line.encode("utf-8", "surrogateescape"))
    return len(entries), digest.hexdigest()[:16]
