"""Datasets, each registered by name in ``swgen.registry.DATASETS``; ``build_dataset`` picks one.

Registered: ``digits`` (default, bundled with scikit-learn), ``mnist`` and ``fashion-mnist`` (IDX
files), ``folder`` (any folder of images), the video datasets ``moving-digits`` (generated from the
bundled digits) and ``video-folder`` (GIF/MP4/AVI files or frame folders), and the 2D toys
``gaussians8``, ``gaussians25`` and ``swissroll``; for unpaired translation ``two-domain``
(folders with ``trainA``/``trainB`` or ``train/A``/``train/B``) and ``digits-recolour`` (bundled,
with the true translation of every held-out image); for enhancement ``paired-folders`` (``input/``
and ``target/``) and ``photo-pairs`` (bundled photos through a known camera model). Nothing is
ever downloaded. A new dataset is one file with a factory ``@DATASETS.register("name") def
f(config: DataConfig) -> DataSource``, imported below.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from swgen.data import (  # noqa: F401  (registers the datasets)
    digits,
    folder,
    mnist,
    moving_digits,
    paired,
    toy,
    two_domain,
    video_folder,
)
from swgen.data.base import DataConfig, DataInfo, DataSource, step_generator
from swgen.data.folder import FolderImages, load_folder
from swgen.data.idx import read_idx, write_idx
from swgen.data.memory import InMemoryImages
from swgen.data.paired import PairedImages, paired_folders
from swgen.data.toy import GaussianMixture, SwissRoll
from swgen.data.two_domain import TwoDomainImages, domain_folders
from swgen.registry import DATASETS

__all__ = [
    "DataConfig",
    "DataInfo",
    "DataSource",
    "FolderImages",
    "GaussianMixture",
    "InMemoryImages",
    "PairedImages",
    "SwissRoll",
    "TwoDomainImages",
    "build_dataset",
    "load_folder",
    "read_idx",
    "step_generator",
    "write_idx",
]


def build_dataset(config: DataConfig) -> DataSource:
    """The dataset ``config.name`` names; an existing folder given as the name is a ``folder``.

    A folder holding two domains (``trainA``/``trainB`` or ``train/A``/``train/B``) is a
    ``two-domain`` dataset; one holding ``input/`` and ``target/`` is ``paired-folders``. A
    registered name wins over a folder of the same name. An unknown name that is not a folder
    raises the registry's ``UserError``, which lists the registered names.
    """
    if config.name not in DATASETS and Path(config.name).expanduser().is_dir():
        root = Path(config.name).expanduser()
        name = "two-domain" if domain_folders(root) is not None else "folder"
        if name == "folder" and paired_folders(root) is not None:
            name = "paired-folders"
        config = dataclasses.replace(config, name=name, path=config.name)
    return DATASETS.get(config.name)(config)
