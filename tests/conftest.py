"""Shared test settings."""

import os

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    """One intra-op thread: small tensors on a busy 2-core machine run far faster this way, and
    results do not depend on the machine's thread count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """Prepared copies of test folders and cached feature statistics go to a folder of this
    session (``SWGEN_CACHE``), never to the user's ``~/.cache/swgen``; subprocesses inherit it."""
    previous = os.environ.get("SWGEN_CACHE")
    os.environ["SWGEN_CACHE"] = str(tmp_path_factory.mktemp("swgen-cache"))
    yield
    if previous is None:
        os.environ.pop("SWGEN_CACHE", None)
    else:
        os.environ["SWGEN_CACHE"] = previous
