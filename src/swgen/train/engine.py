"""The one training loop shared by every model.

The engine owns devices and processes (through accelerate), seeding, the data stream, EMA,
logging (progress bar, TensorBoard, ``metrics.jsonl``), sample grids and atomic checkpoints.
A model only provides ``train_step`` (see ``swgen.models.base``), so adding a model never
touches this file.

Reproducibility: weights are initialised from ``train.seed`` on every process; batches are a pure
function of (seed, step); the noise a model draws comes from torch's global generator, whose
state (one per process) is saved in each checkpoint. Resuming therefore continues the very same
run: on the CPU, N steps + resume + N steps gives the numbers of 2N uninterrupted steps.

Stopping: SIGINT (Ctrl-C) or SIGTERM lets the current step finish, writes a checkpoint and ends
with :class:`Interrupted`, whose message says how to resume; a second signal stops at once. A
failed write (disk full, read-only folder) ends with a one-line error and leaves the previous
checkpoint as it was, since checkpoints are replaced atomically.
"""

from __future__ import annotations

import itertools
import math
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import Tensor, nn
from tqdm.auto import tqdm

from swgen.config import RunConfig, TrainConfig
from swgen.data import build_dataset
from swgen.data.base import Batch, DataSource
from swgen.errors import Interrupted, UserError
from swgen.models.base import GenerativeModel, set_noise_shard
from swgen.plots import (
    frame_strips,
    image_grid,
    panel_grid,
    save_picture,
    scatter_plot,
)
from swgen.registry import MODELS
from swgen.train.batch_norm import use_global_batch_norm
from swgen.train.checkpoint import (
    CHECKPOINT_FORMAT,
    data_record,
    load_checkpoint,
    restore_model,
    translate_in_chunks,
)
from swgen.train.ema import ExponentialMovingAverage
from swgen.train.processes import launched_processes
from swgen.train.run_folder import RunFolder, atomic_torch_save

MetricHook = Callable[["Trainer"], dict[str, float]]


class TrainingDiverged(UserError):
    """A loss became NaN or infinite; the last good checkpoint is left as it was."""


def build_model(config: RunConfig, data: DataSource, device: torch.device) -> GenerativeModel:
    """Construct the configured model from the seed, so every process starts from the same
    weights."""
    torch.manual_seed(config.train.seed)
    try:
        model = MODELS.get(config.model_name)(config.model, data.info)
    except (ValueError, RuntimeError, OverflowError, MemoryError) as error:
        # Settings that pass their own range checks may still not fit together (or in memory).
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise UserError(
            f"cannot build {config.model_name} with this config ({first_line}); "
            "change the model settings"
        ) from None
    model = model.to(device)
    if conv_memory_format(config.train.memory_format, device) == "channels_last":
        to_channels_last(model)
    return model


MEMORY_FORMATS = ("auto", "channels_last", "contiguous")


def conv_memory_format(setting: str, device: torch.device) -> str:
    """The layout of 2-D convolution weights: ``auto`` is ``channels_last`` on the CPU, where
    oneDNN runs NHWC convolutions and their double backward faster (BENCHMARKS.md, "Speed",
    the memory-format table: a training step 0.79-1.01 times as long, the main job 0.83-0.90),
    and ``contiguous`` elsewhere, where it was not measured."""
    if setting not in MEMORY_FORMATS:
        raise UserError(
            f"unknown train.memory_format {setting!r}; choose one of: " + ", ".join(MEMORY_FORMATS)
        )
    if setting == "auto":
        return "channels_last" if device.type == "cpu" else "contiguous"
    return setting


def to_channels_last(model: nn.Module) -> None:
    """Store every 4-D weight (2-D convolution kernels) as NHWC, in place.

    A convolution whose weight is channels-last gives a channels-last output, so the layout
    then carries through each network without converting the batches. 5-D (video) kernels are
    left alone, and so are the Parameter objects themselves, which the optimisers already hold.
    """
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 4:
                parameter.data = parameter.data.contiguous(memory_format=torch.channels_last)


def make_accelerator(config: RunConfig) -> Any:
    """An ``accelerate.Accelerator`` for the configured device and precision.

    Multi-process runs are started by ``torchrun --nproc_per_node N``; accelerate reads the
    environment torchrun sets and joins the process group (gloo on the CPU, NCCL on GPUs).
    accelerate forms a CPU group only when told ``cpu=True``, so ``auto`` on a machine without
    a GPU asks for it under torchrun: otherwise each process would train a run of its own
    into the one run folder.
    """
    from accelerate import Accelerator

    device = config.train.device.lower()
    precision = config.train.mixed_precision.lower()
    if precision not in ("no", "bf16"):
        raise UserError(
            f"train.mixed_precision={precision!r} is not supported (fp16 needs loss scaling, "
            "which swgen's models do not do); use 'no' or 'bf16'"
        )
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(
                f"device {device!r} is not available (torch sees no GPU); use --device cpu"
            )
        if ":" in device:
            torch.cuda.set_device(int(device.split(":", 1)[1]))
    elif device == "mps" and not torch.backends.mps.is_available():
        raise UserError("device 'mps' is not available here; use --device cpu")
    elif device not in ("auto", "cpu", "mps"):
        raise UserError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps")
    launched = launched_processes()
    cpu = device == "cpu" or (device == "auto" and launched > 1 and not torch.cuda.is_available())
    accelerator = Accelerator(cpu=cpu, mixed_precision=precision)
    if accelerator.num_processes != launched:
        raise UserError(
            f"{launched} processes were started, but device {device!r} cannot train one run "
            "across processes; use --device cpu (gloo) or --device cuda (NCCL)"
        )
    return accelerator


LR_SCHEDULES = ("constant", "linear", "step")


def learning_rate_factor(
    schedule: str,
    step: int,
    steps: int,
    decay_start: float,
    milestones: tuple[float, ...] = (),
    factors: tuple[float, ...] = (),
) -> float:
    """Multiplier of the learning rates at ``step`` of ``steps``.

    ``constant``: 1. ``linear``: 1 until ``decay_start * steps``, then linearly down to
    ``1 / (remaining steps)`` at the last step (zero after it), as the linear decay of WGAN-GP's
    CIFAR-10 ResNet code (``decay_start = 0``) and CycleGAN's "constant, then linear to zero"
    (``decay_start = 0.5`` for 100 + 100 epochs). ``step``: 1 until the first milestone, then
    ``factors[i]`` from step ``int(milestones[i] * steps)`` on, as the WAE code's ``manual``
    schedule for MNIST (100 epochs; the rate halved at epoch 30 and a tenth of the first from
    epoch 50: milestones (0.3, 0.5), factors (0.5, 0.1)).
    """
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        factor = 1.0
        for milestone, milestone_factor in zip(milestones, factors, strict=True):
            if step >= int(milestone * steps):
                factor = milestone_factor
        return factor
    start = int(decay_start * steps)
    if step < start:
        return 1.0
    return max(0.0, (steps - step) / max(1, steps - start))


def check_step_schedule(train: TrainConfig) -> None:
    """Fail with a one-line error unless ``train.lr_milestones`` and ``train.lr_factors`` make a
    ``step`` schedule (one factor per increasing milestone), or are unset for another schedule."""
    milestones, factors = train.lr_milestones, train.lr_factors
    if train.lr_schedule != "step":
        if milestones or factors:
            raise UserError(
                "train.lr_milestones and train.lr_factors apply to train.lr_schedule=step only; "
                "set train.lr_schedule=step or drop them"
            )
        return
    if not milestones or len(milestones) != len(factors):
        raise UserError(
            "train.lr_schedule=step needs one train.lr_factors entry per train.lr_milestones "
            f"entry, got {len(milestones)} milestones and {len(factors)} factors; e.g. "
            "train.lr_milestones=[0.3,0.5] train.lr_factors=[0.5,0.1]"
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(milestones)):
        raise UserError(
            f"train.lr_milestones must increase, got {list(milestones)}; sort them (and their "
            "train.lr_factors with them)"
        )


class Trainer:
    """Trains one model on one dataset into one run folder."""

    def __init__(
        self,
        config: RunConfig,
        folder: RunFolder,
        resume: bool = False,
        metric_hooks: Sequence[MetricHook] = (),
    ) -> None:
        self.config = config
        self.folder = folder
        # Callables run every ``train.eval_every`` steps on rank 0; what they return is logged
        # like the losses. The CLI passes swgen.evaluate's hook, keeping metrics out of train/.
        self.metric_hooks = list(metric_hooks)
        self.accelerator = make_accelerator(config)
        self.rank = self.accelerator.process_index
        self.world_size = self.accelerator.num_processes
        self.is_main = self.accelerator.is_main_process
        train = config.train
        if train.batch_size % self.world_size:
            raise UserError(
                f"train.batch_size={train.batch_size} does not split over {self.world_size} "
                "processes; choose a multiple of the process count"
            )
        if train.lr_schedule not in LR_SCHEDULES:
            raise UserError(
                f"unknown train.lr_schedule {train.lr_schedule!r}; choose one of: "
                + ", ".join(LR_SCHEDULES)
            )
        if not 0 <= train.lr_decay_start < 1:
            raise UserError(f"train.lr_decay_start must be in [0, 1), got {train.lr_decay_start}")
        check_step_schedule(train)
        for key in ("steps", "batch_size", "log_every", "sample_every", "checkpoint_every"):
            if getattr(train, key) < 1:
                raise UserError(
                    f"train.{key} must be a positive integer, got {getattr(train, key)}"
                )

        self.data = build_dataset(config.data)
        self.model = build_model(config, self.data, self.accelerator.device)
        if self.world_size > 1 and train.sync_batch_norm:
            use_global_batch_norm(self.model)  # normalise by the global batch, as one process
        self.model.attach_backend(
            self.accelerator.backward, self._all_reduce_gradients, self._gather_samples
        )
        self.ema = (
            ExponentialMovingAverage(
                {name: getattr(self.model, name) for name in self.model.ema_modules},
                train.ema_decay,
            )
            if train.ema_decay > 0
            else None
        )
        self.step = 0
        # Seconds spent in training steps alone (no metrics, samples or checkpoints), summed over
        # resumes: the x axis of quality-against-time plots.
        self.train_seconds = 0.0
        self.last_saved: int | None = None
        self._restored_rng: dict[str, Tensor] | None = None
        if resume:
            self._restore()
        self._seed_noise()
        # Fixed latent codes (or held-out inputs, for a model that maps data) so that the grids
        # of successive steps are comparable; a conditional model shows one row per class (the
        # model says which class each sample is).
        grid_labels = None if self.model.maps_data else self.model.grid_labels(train.grid_size)
        self.grid_latents = (
            None
            if self.model.maps_data
            else self.model.sample_codes(
                train.grid_size if grid_labels is None else len(grid_labels),
                generator=torch.Generator().manual_seed(train.seed),
                labels=grid_labels,
            )
        )
        self.grid_columns = (
            None if grid_labels is None else len(grid_labels) // self.data.info.num_classes
        )
        self.writer = None
        self._signal = 0  # the number of a stop signal received during fit(), 0 if none
        self._recorded_data: dict[str, Any] | None = None
        # A new run's folder ("created" by this run, or an "empty" one given as --out), removed
        # again if the run fails before its first checkpoint; "" when resuming.
        self._new_folder = "" if resume else ("empty" if folder.root.is_dir() else "created")

    # --- the loop ----------------------------------------------------------------------------
    def fit(self) -> dict[str, float]:
        train = self.config.train
        summary: dict[str, float] = {}
        progress = None
        try:
            if self.is_main:
                self._open_folder()
            progress = tqdm(
                total=train.steps,
                initial=self.step,
                disable=not (self.is_main and train.progress),
                desc=f"{self.config.model_name} on {self.data.name}",
                unit="step",
                dynamic_ncols=True,
            )
            self.model.train()
            with self._deferred_signals():
                summary = self._loop(progress)
        except OSError as error:
            root = self.folder.root
            name = f"'{error.filename}'" if error.filename else f"the run folder '{root}'"
            raise UserError(
                f"cannot write {name} ({error.strerror or error}); {self._kept()}; free disk "
                f"space or make the folder writable, then continue with --resume '{root}'"
            ) from None
        except Exception as error:
            if not isinstance(error, UserError):
                # A failure of the code, not of the input: leave nothing that blocks a retry.
                self._discard_unstarted()
            raise
        except KeyboardInterrupt:
            # A second Ctrl-C while a step was running: no new checkpoint.
            raise Interrupted(
                f"interrupted at once during step {self.step + 1}; {self._kept()}; "
                f"{self._how_to_resume()}",
                signal.SIGINT,
            ) from None
        finally:
            if progress is not None:
                progress.close()
            if self.writer is not None:
                self.writer.close()
        return summary

    def close(self) -> None:
        """End the run's distributed state (the process group of a multi-process run; a no-op in
        one process). Call once, after ``fit()`` and whatever still talks to the other ranks. A
        rank of a multi-process run should then end with ``swgen.train.processes.exit_rank``:
        gloo's threads outlive the group and can abort interpreter shutdown after a finished
        run."""
        self.accelerator.end_training()

    def _open_folder(self) -> None:
        """Rank 0: create the folder, clear what kills left behind, save the config."""
        self.folder.create()
        self.folder.remove_orphans()
        self.config.save(self.folder.config)
        self.folder.truncate_metrics(self.step)
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(self.folder.events), purge_step=self.step)

    def _loop(self, progress: Any) -> dict[str, float]:
        train = self.config.train
        summary: dict[str, float] = {}
        started = time.perf_counter()
        first_step = self.step
        while self.step < train.steps:
            step_started = time.perf_counter()
            self._schedule_learning_rates(self.step)
            logs = self.model.train_step(self._real_batch(self.step), self.step)
            self._check_finite(logs)
            if self.ema is not None:
                self.ema.update()
            self.train_seconds += time.perf_counter() - step_started
            self.step += 1
            progress.update(1)
            if self.step % train.log_every == 0 or self.step == train.steps:
                elapsed = time.perf_counter() - started
                summary = self._log(logs, (self.step - first_step) / max(elapsed, 1e-9))
                progress.set_postfix(
                    {
                        k.removeprefix("loss_"): f"{v:.3g}"
                        for k, v in summary.items()
                        if k.startswith("loss_")
                    }
                )
            if train.eval_every and self.step % train.eval_every == 0:
                self._log_metrics()
            if self.step % train.sample_every == 0 or self.step == train.steps:
                self.write_samples()
            if self.step % train.checkpoint_every == 0 or self.step == train.steps:
                self.save()
            if self._stop_requested():
                if self.last_saved != self.step:
                    self.save()
                name = signal.Signals(self._signal).name
                raise Interrupted(
                    f"stopped by {name} after step {self.step} of {train.steps}; checkpoint "
                    f"written to '{self.folder.checkpoint}'; {self._how_to_resume()}",
                    self._signal,
                )
        return summary

    # --- stopping ----------------------------------------------------------------------------
    @contextmanager
    def _deferred_signals(self) -> Iterator[None]:
        """Turn the first SIGINT/SIGTERM into a request to stop after the current step."""
        self._signal = 0
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be installed from the main thread
            return
        previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

        def request_stop(number: int, frame: object) -> None:
            self._signal = number
            # The next signal acts at once (KeyboardInterrupt for Ctrl-C, exit for TERM).
            for other, handler in previous.items():
                signal.signal(other, handler)

        for number in previous:
            signal.signal(number, request_stop)
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _stop_requested(self) -> bool:
        """Whether any process got a stop signal; all processes agree, so they stop together."""
        if self.world_size > 1:
            import torch.distributed as dist

            flag = torch.tensor([self._signal], device=self.accelerator.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            self._signal = int(flag.item())
        return bool(self._signal)

    def _kept(self) -> str:
        if self.last_saved is not None and self.folder.checkpoint.is_file():
            return (
                f"the checkpoint of step {self.last_saved} in '{self.folder.checkpoint}' is intact"
            )
        return "no checkpoint had been written yet"

    def _how_to_resume(self) -> str:
        if self.folder.checkpoint.is_file():
            return f"continue with: swgen train --resume '{self.folder.root}'"
        return (
            f"start it again with: swgen train --resume '{self.folder.root}' "
            "(it restarts from step 0)"
        )

    def _schedule_learning_rates(self, step: int) -> None:
        """Scale every optimiser's rate by ``learning_rate_factor`` of this step.

        The factor is a pure function of the step (the rate each group started with is kept in
        the group as ``initial_lr``, which optimiser checkpoints carry), so a resumed run sees
        exactly the rates of an uninterrupted one, and a model never has to know.
        """
        train = self.config.train
        factor = learning_rate_factor(
            train.lr_schedule,
            step,
            train.steps,
            train.lr_decay_start,
            train.lr_milestones,
            train.lr_factors,
        )
        for optimizer in self.model.optimizers.values():
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
                group["lr"] = group["initial_lr"] * factor

    def _real_batch(self, step: int) -> Batch:
        """The real batches of generator step ``step``: this process's rows of each, one after
        the other (labels and second samples included, whatever the data carries)."""
        per_step = self.model.batches_per_step
        # A model may size its batches from its own state (progressive growing's minibatch per
        # resolution); the batch stays a pure function of (seed, step, model state).
        size = self.model.batch_size(self.config.train.batch_size)
        if size % self.world_size:
            raise UserError(
                f"{self.config.model_name} asks for batches of {size}, which do not split over "
                f"{self.world_size} processes; choose sizes that are multiples of the process count"
            )
        batches = [
            self.data.batch(
                step * per_step + index,
                size,
                self.config.train.seed,
                self.rank,
                self.world_size,
            )
            for index in range(per_step)
        ]
        return Batch.cat(batches).to(self.accelerator.device, non_blocking=True)

    def _seed_noise(self) -> None:
        """Seed the noise stream (unless restored from a checkpoint): one stream shared by all
        processes for models that draw per-sample noise as rows of the global batch
        (``shares_noise``), else one stream per process."""
        set_noise_shard(self.rank, self.world_size)
        if self._restored_rng is None:
            offset = 0 if self.model.shares_noise else self.rank
            torch.manual_seed(self.config.train.seed * 1_000_003 + offset + 1)
        else:
            torch.set_rng_state(self._restored_rng["cpu"])
            if "cuda" in self._restored_rng and torch.cuda.is_available():
                torch.cuda.set_rng_state(self._restored_rng["cuda"])

    def _gather_samples(self, tensor: Tensor) -> Tensor:
        """Every process's rows of a per-sample tensor, concatenated in rank order; through
        autograd's all-gather, so a loss of the gathered rows trains every process's own."""
        if self.world_size == 1:
            return tensor
        from torch.distributed.nn.functional import all_gather

        return torch.cat(all_gather(tensor.contiguous()))

    def _all_reduce_gradients(self, parameters: list[torch.nn.Parameter]) -> None:
        """Average gradients over processes in one flat all-reduce (data parallelism)."""
        if self.world_size == 1 or not parameters:
            return
        from accelerate.utils import reduce
        from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

        gradients = [p.grad for p in parameters]
        flat = reduce(_flatten_dense_tensors(gradients), reduction="mean")
        for gradient, synced in zip(
            gradients, _unflatten_dense_tensors(flat, gradients), strict=True
        ):
            gradient.copy_(synced)

    def _check_finite(self, logs: dict[str, Tensor]) -> None:
        losses = {k: v for k, v in logs.items() if k.startswith("loss_")}
        if not losses:
            return
        device = self.accelerator.device
        values = torch.stack([v.detach().float().reshape(()).to(device) for v in losses.values()])
        finite = torch.isfinite(values).all().float()
        if self.world_size > 1:
            from accelerate.utils import reduce

            finite = reduce(finite.reshape(1), reduction="sum").reshape(()) / self.world_size
        if finite.item() == 1.0:
            return
        bad = next((k for k, v in losses.items() if not math.isfinite(float(v))), "a loss")
        kept = (
            f"the last good checkpoint (step {self.last_saved}) "
            f"is kept in '{self.folder.checkpoint}'"
            if self.last_saved is not None
            else "no checkpoint had been written yet"
        )
        raise TrainingDiverged(
            f"training stopped at step {self.step + 1}: {bad} is not finite (NaN or inf); {kept}; "
            "lower the learning rate or change the seed and train again"
        )

    def _log(self, logs: dict[str, Tensor], steps_per_second: float) -> dict[str, float]:
        names = sorted(logs)
        # a model may log bookkeeping scalars (a phase, a blend weight) made on the CPU
        device = self.accelerator.device
        values = torch.stack([logs[k].detach().float().reshape(()).to(device) for k in names])
        if self.world_size > 1:
            from accelerate.utils import reduce

            values = reduce(values, reduction="mean")
        record = {k: float(v) for k, v in zip(names, values.tolist(), strict=True)}
        if self.is_main:
            for key, value in record.items():
                self.writer.add_scalar(key, value, self.step)
            self.writer.add_scalar("steps_per_second", steps_per_second, self.step)
            self.folder.append_metrics(
                {
                    "step": self.step,
                    **record,
                    "steps_per_second": steps_per_second,
                    "train_seconds": self.train_seconds,
                }
            )
        return record

    def _log_metrics(self) -> None:
        if not self.is_main:
            return
        record: dict[str, float] = {}
        devices = [self.accelerator.device] if self.accelerator.device.type == "cuda" else []
        # Whatever a hook draws must not shift the noise of the steps that follow.
        with torch.random.fork_rng(devices=devices):
            for hook in self.metric_hooks:
                record.update(hook(self))
        for key, value in record.items():
            self.writer.add_scalar(f"metrics/{key}", value, self.step)
        if record:
            self.folder.append_metrics(
                {"step": self.step, **record, "train_seconds": self.train_seconds}
            )

    # --- samples and checkpoints -------------------------------------------------------------
    @torch.no_grad()
    def generate(self, latents: Tensor) -> Tensor:
        """Samples in data space from the EMA weights (the live ones if EMA is off), a training
        batch at a time: a 64-sample grid at 128 px in one pass would need more memory than the
        training step itself."""
        was_training = self.model.training
        self.model.eval()
        try:
            with self.ema.applied() if self.ema is not None else nullcontext():
                return torch.cat(
                    [
                        self.data.to_data_space(self.model.generate(chunk).float())
                        for chunk in latents.split(self.config.train.batch_size)
                    ]
                )
        finally:
            self.model.train(was_training)

    def translate(self, x: Tensor, direction: str) -> list[Tensor]:
        """For a model that maps data: ``[input, output, ...]`` panels of model-space inputs
        ``x``, in data space, from the EMA weights (the live ones if EMA is off)."""
        was_training = self.model.training
        self.model.eval()
        try:
            with self.ema.applied() if self.ema is not None else nullcontext():
                return translate_in_chunks(self.model, self.data, x, direction)
        finally:
            self.model.train(was_training)

    def write_samples(self) -> Path | None:
        if not self.is_main:
            return None
        if self.model.maps_data:
            held_out = self.data.sample_batch(self.config.train.grid_size, self.config.train.seed)
            panels = self.translate(held_out.x, self.model.directions[0])
            if held_out.y is not None and self.data.info.pairing == "paired":
                panels.append(self.data.to_data_space(held_out.y.float().cpu()))  # the truth
            picture = panel_grid(panels)
        else:
            picture = self._sample_picture()
        path = self.folder.sample_grid(self.step)
        save_picture(picture, path)
        if self.writer is not None:
            import numpy as np

            self.writer.add_image(
                "samples", np.asarray(picture.convert("RGB")), self.step, dataformats="HWC"
            )
        return path

    def _sample_picture(self) -> Image.Image:
        samples = self.generate(self.grid_latents).cpu()
        if self.data.info.kind == "images":
            picture = image_grid(samples, columns=self.grid_columns)
        elif self.data.info.kind == "video":
            picture = frame_strips(samples[:16])  # a row of frames per clip
        else:
            real = self.data.to_data_space(
                self.data.sample(len(samples) * 8, seed=self.config.train.seed)
            )
            fake = self.generate(
                self.model.sample_codes(len(real), torch.Generator().manual_seed(1))
            ).cpu()
            picture = scatter_plot(fake, real)
        return picture

    def save(self) -> None:
        """Write ``checkpoints/last.pt`` atomically (rank 0), with every process's RNG state."""
        rng = {"cpu": torch.get_rng_state()}
        if torch.cuda.is_available() and self.accelerator.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state()
        rngs = [rng]
        if self.world_size > 1:
            from accelerate.utils import gather_object

            rngs = gather_object([rng])
        if self.is_main:
            state = {
                "format": CHECKPOINT_FORMAT,
                "model_name": self.config.model_name,
                "config": self.config.to_dict(),
                "step": self.step,
                "train_seconds": self.train_seconds,
                "world_size": self.world_size,
                "model": self.model.state_dict(),
                "optimizers": {k: o.state_dict() for k, o in self.model.optimizers.items()},
                "ema": self.ema.state_dict() if self.ema is not None else None,
                "rng": rngs,
                "data": self._data_record(),
            }
            try:
                atomic_torch_save(state, self.folder.checkpoint)
            except OSError as error:
                raise UserError(
                    f"cannot write checkpoint '{self.folder.checkpoint}' at step {self.step} "
                    f"({error.strerror or error}); {self._kept()}; free disk space or make the "
                    f"run folder writable, then continue with --resume '{self.folder.root}'"
                ) from None
        self.last_saved = self.step
        self.accelerator.wait_for_everyone()

    def _data_record(self) -> dict[str, Any]:
        """The checkpoint's record of the data (``swgen.train.checkpoint.data_record``), made once
        per process: listing a large folder takes seconds."""
        if self._recorded_data is None:
            self._recorded_data = data_record(self.config.data, self.data.info)
        return self._recorded_data

    def _discard_unstarted(self) -> None:
        """Remove what a new run wrote when it failed before its first checkpoint, so the same
        command can be run again (``--out`` refuses a folder holding a run's files)."""
        if not self._new_folder or self.last_saved is not None or not self.is_main:
            return
        root = self.folder.root
        targets = [root] if self._new_folder == "created" else list(root.iterdir())
        for target in targets:
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)

    def _restore(self) -> None:
        if not self.folder.checkpoint.is_file():
            # Stopped before its first checkpoint: nothing to continue, the run starts over.
            warnings.warn(
                f"run '{self.folder.root}' has no checkpoint yet; training it from step 0",
                stacklevel=2,
            )
            return
        state = load_checkpoint(self.folder.checkpoint)
        restore_model(self.model, state, self.config.model_name, self.folder.checkpoint)
        for name, optimizer in self.model.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.step = int(state["step"])
        if self.config.train.steps < self.step:
            raise UserError(
                f"run '{self.folder.root}' is at step {self.step}, past train.steps="
                f"{self.config.train.steps}; give train.steps above {self.step} to train it on"
            )
        self.train_seconds = float(state.get("train_seconds", 0.0))
        self.last_saved = self.step
        rngs = state.get("rng") or []
        if len(rngs) == self.world_size:
            self._restored_rng = rngs[self.rank]
            if not isinstance(self._restored_rng, dict) or not isinstance(
                self._restored_rng.get("cpu"), Tensor
            ):
                raise UserError(
                    f"checkpoint '{self.folder.checkpoint}' has no valid random state; "
                    "it is damaged: restore it from a backup or train the run again"
                )
