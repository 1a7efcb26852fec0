"""The processes of a run: how many torchrun started, and how a rank of several ends.

Torch-free, so that the command line can ask without importing torch.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def launched_processes() -> int:
    """How many processes were started for this run: torchrun's ``WORLD_SIZE``, 1 without it."""
    size = os.environ.get("WORLD_SIZE", "1").strip()
    return max(int(size), 1) if size.isdigit() else 1


def exit_rank(exit_code: int) -> NoReturn:
    """End a rank of a multi-process run now, without interpreter shutdown.

    gloo's worker threads outlive ``destroy_process_group`` and release the tensors of the last
    collective when the operating system next runs them. One that does so after interpreter
    shutdown has begun cannot take the GIL, and the thread's exit ends the whole process in
    ``std::terminate`` (SIGABRT, "terminate called without an active exception"): a finished
    run that torchrun reports as failed. A core dump of such a rank shows that stack
    (``AsyncAllgatherWork`` destroyed in ``ProcessGroupGloo::runLoop``, waiting in
    ``take_gil`` while the main thread is in ``Py_FinalizeEx``); upstream has no fix yet
    (pytorch/pytorch#179291, abandoned). Call it after ``Trainer.close()``: by then everything
    swgen writes is complete (checkpoints atomically, the tensorboard log closed), so only the
    standard streams need flushing.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
