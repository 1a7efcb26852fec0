"""Run under torchrun by test_distributed.py: trains a few steps on every rank, then checks that
the gradient all-reduce kept all ranks' weights identical. The run folder (checkpoint, losses of
every step) is compared by the test with a one-process run of the same config."""

import sys

import torch
import torch.distributed as dist

from swgen.config import resolve
from swgen.train.engine import Trainer
from swgen.train.processes import exit_rank
from swgen.train.run_folder import RunFolder

OVERRIDES = [
    "data.name=gaussians8",
    "model.width=16",
    "model.latent_dim=4",
    "train.batch_size=16",
    "train.steps=4",
    "train.log_every=1",
    "train.progress=false",
    "train.device=cpu",
]


def main() -> None:
    out, model, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    config = resolve(overrides=[f"model.name={model}", *OVERRIDES, *extra])
    trainer = Trainer(config, RunFolder(out))
    trainer.fit()
    weights = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
    gathered = [torch.empty_like(weights) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, weights)
    if trainer.is_main:
        same = all(torch.equal(gathered[0], other) for other in gathered[1:])
        (RunFolder(out).root / "ranks.txt").write_text(f"{dist.get_world_size()} {same}\n")
    trainer.close()


if __name__ == "__main__":
    main()
    exit_rank(0)
