"""Cached feature statistics of real data, so repeated evaluations extract them once.

``reference_statistics(dataset, extractor, n)`` streams ``n`` real images
(``DataSource.sample_chunks(n, seed)``: a few thousand in memory at a time, read from a folder's
prepared copy), extracts their features and keeps their mean and covariance (for FID) and, when
small, the features themselves (for KID and precision/recall). Results are stored in the cache
folder (``$SWGEN_CACHE``, default ``~/.cache/swgen``) under a name derived from everything that
changes them: the dataset config (less where copies are kept), the content of the user's data
folder (relative paths, sizes and modification times of its files: a changed folder is measured
again), the extractor and its weights, n, the seed and the resize mode. So a second evaluation
of another run on the same data skips the real images.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swgen.data import DataConfig, build_dataset, data_content
from swgen.metrics.features import FeatureExtractor, extract_features, get_feature_extractor
from swgen.metrics.frechet import feature_statistics
from swgen.metrics.resize import RESIZE_MODE

__all__ = ["ReferenceStatistics", "default_cache_dir", "reference_statistics"]

KEEP_FEATURES_UP_TO = 25_000_000
"""Features (n * dim values) are cached with the statistics up to this size (100 MB float32)."""


@dataclass
class ReferenceStatistics:
    mu: np.ndarray
    sigma: np.ndarray
    features: np.ndarray | None  # float32 (n, dim), or None when too large to keep
    n: int
    key: dict


def default_cache_dir() -> Path:
    return Path(os.environ.get("SWGEN_CACHE", "~/.cache/swgen")).expanduser()


def reference_statistics(
    dataset: DataConfig | str,
    extractor: FeatureExtractor | str,
    n: int,
    cache_dir: Path | str | None = None,
    seed: int = 0,
    batch_size: int = 250,
) -> ReferenceStatistics:
    """Statistics of ``n`` real samples (at most the dataset's size) in ``extractor``'s features.

    The cache is keyed by the requested ``n``; the returned ``.n`` is the number actually used.
    """
    config = DataConfig(name=dataset) if isinstance(dataset, str) else dataset
    if isinstance(extractor, str):
        extractor = get_feature_extractor(extractor)
    data = dataclasses.asdict(config)
    data.pop("cache_dir")  # where prepared copies live does not change the images
    key = {
        "data": data,
        "extractor": extractor.name,
        "weights": extractor.identity,
        "n": n,
        "seed": seed,
        "resize": RESIZE_MODE,
    }
    content = data_content(config)
    if content is not None:  # a user's folder (bundled data keep their earlier cache names)
        key["content"] = content
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    label = Path(config.name).name or "data"  # a folder's last part; a registered name as is
    path = folder / f"{label}-{extractor.name}-{n}-{digest}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as saved:  # a cache file never runs code
                features = saved["features"] if saved["features"].size else None
                mu, sigma, used = saved["mu"], saved["sigma"], int(saved["n"])
            return ReferenceStatistics(mu, sigma, features, used, key)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # a cut or corrupt entry is computed again, never trusted

    source = build_dataset(config)  # only now: opening a dataset can take seconds
    n = min(n, len(source)) if hasattr(source, "__len__") else n
    # Chunks of whole extractor batches: the same batches, so the same features, as at once.
    chunks = source.sample_chunks(n, seed, chunk=batch_size * 8)
    features = np.concatenate(
        [extract_features(extractor, source.to_data_space(c), batch_size) for c in chunks]
    )
    mu, sigma = feature_statistics(features)
    kept = features.astype(np.float32) if features.size <= KEEP_FEATURES_UP_TO else None
    folder.mkdir(parents=True, exist_ok=True)
    # One temporary name per process: runs evaluated side by side may fill the same entry.
    partial = path.with_suffix(f".{os.getpid()}.partial.npz")
    empty = np.zeros((0,), np.float32)
    np.savez(partial, mu=mu, sigma=sigma, features=kept if kept is not None else empty,
             n=n, key=json.dumps(key))  # fmt: skip
    os.replace(partial, path)
    return ReferenceStatistics(mu, sigma, kept, n, key)
