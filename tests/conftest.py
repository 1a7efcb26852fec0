"""Shared test settings."""

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
