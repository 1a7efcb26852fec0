"""Reference statistics are computed once and read back from the cache."""

import numpy as np
import pytest

from swgen.metrics import reference, reference_statistics


def test_cached_statistics_are_reused_and_keyed_by_n(tmp_path, monkeypatch):
    first = reference_statistics("digits", "digits", 300, cache_dir=tmp_path)
    assert first.mu.shape == (128,) and first.sigma.shape == (128, 128)
    assert first.features.shape == (300, 128) and len(list(tmp_path.iterdir())) == 1

    def fail(*args, **kwargs):
        raise AssertionError("features extracted again")

    monkeypatch.setattr(reference, "extract_features", fail)
    again = reference_statistics("digits", "digits", 300, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.mu, first.mu)
    np.testing.assert_array_equal(again.features, first.features)
    with pytest.raises(AssertionError, match="extracted again"):
        reference_statistics("digits", "digits", 200, cache_dir=tmp_path)


def test_cache_folder_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SWGEN_CACHE", str(tmp_path / "cache"))
    stats = reference_statistics("digits", "digits", 5000)
    assert stats.n == 1797  # at most the dataset's size
    assert reference_statistics("digits", "digits", 5000).n == 1797  # read back
    assert len(list((tmp_path / "cache").glob("digits-digits-5000-*.npz"))) == 1
