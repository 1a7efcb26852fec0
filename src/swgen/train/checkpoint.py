"""Reading checkpoints back: validation with one-line errors, and trained runs for sampling.

A checkpoint is read with ``torch.load(weights_only=True)``: torch's restricted unpickler accepts
tensors and plain containers (dict, list, tuple, str, int, float, bool, None) and nothing else,
so a crafted ``last.pt`` cannot run code through ``--resume``, ``sample``, ``eval`` or
``explore``. Everything swgen saves is of those kinds (RNG states are byte tensors, optimiser
states are tensors and numbers, the config is a nested dict), so checkpoints of every swgen
version load this way.
"""

from __future__ import annotations

import math
import pickle
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from swgen.data.base import DataInfo, DataSource
from swgen.errors import UserError
from swgen.models.base import GenerativeModel

CHECKPOINT_FORMAT = "swgen-checkpoint-1"
# Random directions per code in the Jacobian-norm estimate of ``--jacobian-keep``. Only the
# ranking of codes decides which are kept: on 500 codes of the main job's generator, 10
# directions rank them with a Spearman correlation of 0.95 against the exact norms (128
# directions) and keep 94% of the codes the exact norms keep at 0.7 (3 directions: 0.86, 89%;
# 30: 0.98, 96%), for 10 forward-mode passes per code.
JACOBIAN_PROBES = 10


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint on the CPU, refusing files that are not swgen checkpoints."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"checkpoint '{path}' does not exist; train the run first") from None
    except pickle.UnpicklingError as error:
        found = re.search(r"(?:global|GLOBAL) ([\w.]+)", str(error))
        if "weights only" not in str(error).lower() or found is None:
            # Not a pickle of objects at all (random or cut bytes): nothing to refuse, just bad.
            raise UserError(
                f"checkpoint '{path}' is unreadable (corrupt or not a torch file); "
                "restore it from a backup or train the run again"
            ) from None
        # The restricted unpickler met something other than tensors and plain containers: a
        # crafted file, or another program's. Never retry with weights_only=False.
        raise UserError(
            f"checkpoint '{path}' holds objects other than tensors and plain values"
            f" ({found.group(1)}); swgen refuses to load it, since "
            "unpickling them can run code (swgen never writes them): train the run again, or "
            "convert a file you trust as the README's 'Reliability' section shows"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, UnicodeError):
        raise UserError(
            f"checkpoint '{path}' is unreadable (corrupt or not a torch file); "
            "restore it from a backup or train the run again"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise UserError(
            f"'{path}' is not a swgen checkpoint; give the run folder 'swgen train' made"
        )
    expected = {"model_name": str, "step": int, "model": dict, "optimizers": dict}
    damaged = [key for key, kind in expected.items() if not isinstance(state.get(key), kind)]
    if damaged or (state.get("ema") is not None and not isinstance(state["ema"], dict)):
        raise UserError(
            f"checkpoint '{path}' is damaged (missing or wrong {', '.join(damaged) or 'ema'}); "
            "restore it from a backup or train the run again"
        )
    return state


def restore_model(
    model: GenerativeModel, state: dict[str, Any], model_name: str, path: Path
) -> None:
    """Load weights, or explain why they do not fit (another model, other sizes)."""
    if state.get("model_name") != model_name:
        # config.yaml and the checkpoint beside it disagree: the folder was edited by hand (a
        # checkpoint copied in from another run), so no flag can make them fit again.
        raise UserError(
            f"checkpoint '{path}' belongs to model '{state.get('model_name')}', not "
            f"'{model_name}' as the run's config.yaml says; put back the checkpoint of this run, "
            "or train a new run with --out"
        )
    try:
        model.load_state_dict(state["model"])
    except (RuntimeError, KeyError, TypeError, AttributeError):
        raise UserError(
            f"checkpoint '{path}' does not fit the configured {model_name} (network sizes differ); "
            "resume with the config saved in the run folder"
        ) from None


@torch.no_grad()
def translate_in_chunks(
    model: GenerativeModel, data: Any, x: torch.Tensor, direction: str, batch: int = 250
) -> list[torch.Tensor]:
    """``[input, output, ...]`` panels (data space, on the CPU; one-channel maps such as
    attention in [0, 1]) of model-space inputs ``x`` translated in ``direction`` by a model that
    maps data, ``batch`` inputs at a time."""
    from swgen.plots import translation_panels

    chunks = []
    for start in range(0, len(x), batch):
        part = x[start : start + batch]
        translated = model.translate(part.to(model.device), direction)
        chunks.append(translation_panels(data, part, translated))
    return [torch.cat(panel) for panel in zip(*chunks, strict=True)]


def data_record(config: Any, info: DataInfo) -> dict[str, Any]:
    """What a checkpoint keeps of its run's data (plain values, so ``weights_only`` loads it):
    the shape of a sample (``DataInfo``), so commands that need no real samples never open the
    data, and the user's folder with its file count and fingerprint, to tell a moved, missing or
    changed folder apart when the data are needed again."""
    from swgen.data import folder_fingerprint, user_folder

    record: dict[str, Any] = {
        "info": {
            "kind": info.kind,
            "shape": list(info.shape),
            "num_classes": info.num_classes,
            "class_names": list(info.class_names),
            "pairing": info.pairing,
            "y_shape": None if info.y_shape is None else list(info.y_shape),
            "map_classes": info.map_classes,
            "single_image": info.single_image,
        }
    }
    folder = user_folder(config)
    if folder is not None and folder.is_dir():
        record["folder"] = str(folder)
        record["files"], record["fingerprint"] = folder_fingerprint(folder)
    return record


def recorded_info(record: Any) -> DataInfo | None:
    """The ``DataInfo`` a checkpoint recorded (``None`` for checkpoints older than the record, or
    a damaged one: the data are then opened to find it)."""
    try:
        info = record["info"]
        return DataInfo(
            kind=info["kind"],
            shape=tuple(int(v) for v in info["shape"]),
            num_classes=int(info["num_classes"]),
            class_names=tuple(str(v) for v in info["class_names"]),
            pairing=info["pairing"],
            y_shape=None if info["y_shape"] is None else tuple(int(v) for v in info["y_shape"]),
            map_classes=int(info.get("map_classes", 0)),
            single_image=bool(info.get("single_image", False)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def open_run_data(config: Any, run_root: Path, record: Any = None) -> DataSource:
    """Open the data of the run in ``run_root`` (``config``: its ``data`` section), after
    :func:`check_run_data`."""
    from swgen.data import build_dataset

    check_run_data(config, run_root, record)
    return build_dataset(config)


def check_run_data(config: Any, run_root: Path, record: Any = None) -> None:
    """Say in one line which data folder of the run in ``run_root`` is missing and how to point
    the run at its new place, and warn when the folder no longer holds the files the run was
    trained on (``record``, the checkpoint's :func:`data_record`)."""
    from swgen.data import DataFolderMissing, folder_fingerprint, user_folder

    folder = user_folder(config)
    if folder is not None and not folder.is_dir():
        held = ""
        if isinstance(record, dict) and isinstance(record.get("files"), int):
            held = f" ({record['files']} files at training time)"
        raise DataFolderMissing(
            f"the data folder '{folder}'{held} of run '{run_root}' does not exist (moved or "
            "deleted?); give its new location with --data NEW"
        )
    if folder is not None and isinstance(record, dict) and "fingerprint" in record:
        files, fingerprint = folder_fingerprint(folder)
        if fingerprint != record["fingerprint"]:
            warnings.warn(
                f"data folder '{folder}' now holds {files} files, and not the same ones as the "
                f"{record.get('files')} run '{run_root}' was trained on; using what it holds now",
                stacklevel=2,
            )


class RunData:
    """A trained run's data as commands see them: ``info`` and ``to_data_space`` come from the
    checkpoint's record, so ``sample``, ``translate`` and ``enhance`` work with the training
    folder moved or deleted; anything else (real samples, held-out inputs) opens the data then,
    through :func:`open_run_data`."""

    def __init__(self, config: Any, run_root: Path, record: Any = None) -> None:
        self._config = config
        self._run_root = run_root
        self._record = record
        self._info = recorded_info(record)
        self._source: DataSource | None = None

    @property
    def source(self) -> DataSource:
        if self._source is None:
            self._source = open_run_data(self._config, self._run_root, self._record)
        return self._source

    @property
    def info(self) -> DataInfo:
        return self._info if self._info is not None else self.source.info

    def to_data_space(self, x: torch.Tensor) -> torch.Tensor:
        if self._info is not None and self._info.is_pixels:
            return DataSource.to_data_space(self, x)  # type: ignore[arg-type]  # pixels: no state
        return self.source.to_data_space(x)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.source, name)


@dataclass
class TrainedRun:
    """A trained run loaded for sampling: the model with its EMA weights and its data
    (:class:`RunData`, opened only when real samples are read)."""

    model: GenerativeModel
    data: Any
    config: Any
    step: int
    truncation: float | None = None  # see :meth:`truncate`
    jacobian_keep: float | None = None  # see :meth:`keep_low_jacobian`

    def truncate(self, bound: float | None) -> None:
        """Draw every later sample from the prior truncated at ``bound`` standard deviations
        (the truncation trick, :func:`swgen.models.base.truncated_normal`); ``None`` undoes it.
        Checked here, before anything is written."""
        if bound is not None:
            if self.model.maps_data:
                raise UserError(
                    "this run maps images to images and draws no latent codes; drop --truncation"
                )
            self.model.sample_codes(1, torch.Generator().manual_seed(0), truncation=bound)
        self.truncation = bound

    def keep_low_jacobian(self, fraction: float | None) -> None:
        """Draw every later sample by Jacobian-based truncation (Tanielian et al. 2020, Sec. 4):
        of ``ceil(n / fraction)`` prior codes, keep the ``n`` where the generator's Jacobian
        norm is smallest (:meth:`GenerativeModel.jacobian_norms`), which rejects the samples it
        places between modes; ``None`` undoes it. Checked here, before anything is written."""
        if fraction is not None:
            if not (isinstance(fraction, int | float) and 0 < fraction <= 1):
                raise UserError(
                    f"--jacobian-keep is the fraction of latent codes to keep, in (0, 1] (e.g. "
                    f"0.7 keeps 70%), got {fraction!r}"
                )
            if self.model.maps_data:
                raise UserError(
                    "this run maps images to images and draws no latent codes; drop --jacobian-keep"
                )
        self.jacobian_keep = fraction

    @torch.no_grad()
    def generate(self, latents: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        return self.data.to_data_space(self.model.generate(latents.to(self.model.device)).float())

    def translate(self, x: torch.Tensor, direction: str) -> list[torch.Tensor]:
        """For a model that maps data: ``[input, output, ...]`` panels of model-space inputs."""
        self.model.eval()
        return translate_in_chunks(self.model, self.data, x, direction)

    def sample(
        self, n: int, seed: int = 0, batch: int = 500, label: int | None = None
    ) -> torch.Tensor:
        """``n`` samples in data space; of class ``label`` only, for a conditional run; from
        the prior truncated at ``self.truncation`` when that is set, and of the codes kept by
        Jacobian-based truncation when ``self.jacobian_keep`` is."""
        return torch.cat(list(self.sample_chunks(n, seed, batch, label)))

    def sample_chunks(
        self, n: int, seed: int = 0, batch: int = 500, label: int | None = None
    ) -> Iterator[torch.Tensor]:
        """The samples of :meth:`sample`, ``batch`` at a time (bounded memory for any ``n``)."""
        generator = torch.Generator().manual_seed(seed)
        if self.jacobian_keep is not None:
            codes = self.codes_of_low_jacobian(n, generator, batch, label)
            for part in codes.split(batch):
                yield self.generate(part).cpu()
            return
        for start in range(0, n, batch):
            codes = self.draw_codes(min(batch, n - start), generator, label)
            yield self.generate(codes).cpu()

    def draw_codes(self, count: int, generator: torch.Generator, label: int | None) -> torch.Tensor:
        labels = None if label is None else torch.full((count,), label, dtype=torch.long)
        return self.model.sample_codes(count, generator, labels=labels, truncation=self.truncation)

    def codes_of_low_jacobian(
        self, n: int, generator: torch.Generator, batch: int, label: int | None
    ) -> torch.Tensor:
        """The ``n`` codes of smallest Jacobian norm among ``ceil(n / jacobian_keep)`` drawn,
        in the order they were drawn (ties broken by that order, so a seed gives one set).

        With a prior of several components (``model.prior_components``) each component keeps
        the same share of its own codes, those of smallest norm (:func:`ranks_within`): the
        mixture's weights stay as trained. One threshold over all would reweight it, since the
        components' typical norms differ with what each draws (the main job, keeping half:
        its most-drawn class went from 207 to 378 of 2000 samples, BENCHMARKS.md).

        The candidates are drawn in :meth:`sample`'s chunks before any direction of the
        estimate, so ``jacobian_keep=1`` keeps exactly the codes, and samples, of a plain
        ``sample``."""
        assert self.jacobian_keep is not None
        self.model.eval()
        candidates = math.ceil(n / self.jacobian_keep - 1e-9)  # 0.7 keeps 7 of 10, not of 11
        codes = torch.cat(
            [
                self.draw_codes(min(batch, candidates - start), generator, label)
                for start in range(0, candidates, batch)
            ]
        )
        norms = torch.cat(
            [
                self.model.jacobian_norms(part, JACOBIAN_PROBES, generator)
                for part in codes.split(batch)
            ]
        )
        components = self.model.prior_components_of(codes)
        ranks = norms if components is None else ranks_within(norms, components.to(norms.device))
        kept = ranks.argsort(stable=True)[:n].sort().values
        return codes[kept.to(codes.device)]

    def label_index(self, text: str) -> int:
        """The class index ``--label`` names (an index or a class name of the run's data)."""
        names = self.data.info.class_names
        if not self.model.samples_by_class:
            raise UserError(
                "this run is unconditional, so it cannot sample a class; drop --label, or train "
                "with model.conditional=true"
            )
        if text in names:
            return names.index(text)
        if text.lstrip("-").isdigit() and 0 <= int(text) < len(names):
            return int(text)
        shown = ", ".join(
            f"{k} ({name})" if name != str(k) else name for k, name in enumerate(names)
        )
        raise UserError(f"unknown label {text!r}; this run's classes are {shown}")


def ranks_within(values: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """Each value's rank within its group as a share of the group's size, ``r / m`` for the
    ``r``-th smallest (from 0) of ``m``: taking the smallest shares takes the same fraction
    of every group, up to one element, and the smallest values within each."""
    shares = torch.empty(len(values), dtype=torch.float64, device=values.device)
    for group in groups.unique():
        members = (groups == group).nonzero().squeeze(1)
        order = values[members].argsort(stable=True)
        positions = torch.arange(len(members), dtype=torch.float64, device=values.device)
        shares[members[order]] = positions / len(members)
    return shares


def load_trained(
    run_dir: str | Path, device: str = "cpu", use_ema: bool = True, data: str | None = None
) -> TrainedRun:
    """Rebuild a run's model from its saved config and checkpoint (EMA weights by default).
    ``data``: where the run's data are now, when its folder moved (``--data NEW``)."""
    import dataclasses

    from swgen.config import load_yaml, resolve
    from swgen.data import check_data_name, with_absolute_paths
    from swgen.train.run_folder import RunFolder

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.empty(0, device=device)
    except (RuntimeError, ValueError, AssertionError):
        raise UserError(
            f"device {device!r} is not available here; use --device cpu (or auto, cuda, cuda:N)"
        ) from None
    folder = RunFolder(run_dir)
    folder.require_existing()
    config = resolve(base=load_yaml(folder.config))
    if data is not None:
        check_data_name(data)
        config.data = with_absolute_paths(dataclasses.replace(config.data, name=data))
    state = load_checkpoint(folder.checkpoint)
    # At a new location the fingerprint still tells whether the folder holds the same files.
    run_data = RunData(config.data, folder.root, state.get("data"))
    torch.manual_seed(config.train.seed)
    from swgen.registry import MODELS

    model = MODELS.get(config.model_name)(config.model, run_data.info)
    restore_model(model, state, config.model_name, folder.checkpoint)
    if use_ema and state.get("ema"):
        try:
            for name, values in state["ema"]["shadow"].items():
                getattr(model, name).load_state_dict(values)
        except (KeyError, AttributeError, RuntimeError, TypeError):
            raise UserError(
                f"checkpoint '{folder.checkpoint}' has damaged EMA weights; sample with --no-ema "
                "or restore the checkpoint from a backup"
            ) from None
    return TrainedRun(model=model.to(device), data=run_data, config=config, step=int(state["step"]))
