"""A run's configuration: three dataclasses (model, data, train) loaded from YAML, validated once.

Layers of a resolved config, later ones winning:

1. the dataclass defaults (the model's ``Config`` carries its paper's defaults),
2. the preset shipped for the dataset, ``swgen/configs/<dataset>.yaml`` (budgets that fit it),
   with, when a model has its own for that dataset, ``swgen/configs/<model>/<dataset>.yaml``
   layered over it key by key (the settings in which that model departs: progressive growing's
   schedule counted in images, WGAN-GP's toy-code penalty, the main job's budget),
3. the user's ``--config file.yaml``,
4. command-line flags (``--model``, ``--data``, ``--seed``, ``--device``) and dotted overrides
   such as ``train.steps=2000`` or ``model.lambda1=10``.

Unknown keys, values of the wrong type and numbers out of range (:data:`RANGES`, one rule per
key name, checked for every section) fail with a one-line :class:`UserError` naming the key.
``describe(model)`` lists every key with its default and meaning, read from the comment on the
key's line in its dataclass, so ``swgen config`` cannot drift from the code.
The resolved config is saved as ``config.yaml`` in the run folder and read back by ``--resume``,
``swgen sample`` and ``swgen explore``.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import io
import math
import re
import textwrap
import tokenize
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from swgen.data.base import DataConfig
from swgen.errors import UserError

SECTIONS = ("model", "data", "train")


@dataclass
class TrainConfig:
    """The ``train:`` section: the budget and the engine's settings."""

    steps: int = 3000  # generator updates (a step may consume several real batches)
    batch_size: int = 64  # global batch; split across processes
    seed: int = 0  # seeds weights, batches and noise: the same seed repeats the run
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    mixed_precision: str = "no"  # no | bf16 (through accelerate's autocast)
    memory_format: str = "auto"  # auto (channels_last on the CPU) | channels_last | contiguous
    sync_batch_norm: bool = True  # batch norm over every process's rows, as one process; false: own
    ema_decay: float = 0.999  # EMA of the generator's weights, used for samples; 0 turns it off
    lr_schedule: str = "constant"  # constant | linear (every rate decays to 0) | step (milestones)
    lr_decay_start: float = 0.0  # share of train.steps after which the linear decay begins
    lr_milestones: tuple[float, ...] = ()  # step: shares of train.steps where the rate changes
    lr_factors: tuple[float, ...] = ()  # step: multiplier of every rate from each milestone on
    log_every: int = 50  # write losses to metrics.jsonl and TensorBoard every N steps
    sample_every: int = 500  # save a sample grid every N steps (and at the last step)
    checkpoint_every: int = 500  # replace checkpoints/last.pt every N steps (and at the last)
    grid_size: int = 64  # samples in each grid (a square number makes a square grid)
    eval_every: int = 0  # compute metrics during training every N steps (0: never)
    eval_samples: int = 1000  # generated samples for those metrics
    progress: bool = True  # show a progress bar on the terminal


@dataclass
class RunConfig:
    """A whole run: which model with which hyperparameters, on which data, for how long."""

    model_name: str
    model: Any  # an instance of the model's own ``Config`` dataclass
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {
            "model": {"name": self.model_name, **dataclasses.asdict(self.model)},
            "data": dataclasses.asdict(self.data),
            "train": dataclasses.asdict(self.train),
        }

    def save(self, path: Path) -> None:
        from swgen.train.run_folder import atomic_write_bytes

        atomic_write_bytes(path, yaml.safe_dump(self.to_dict(), sort_keys=False).encode())


DEFAULT_MODEL = "swgan"


class ConfigFile(dict):
    """A config file's mapping that remembers its ``source`` file, so that an error found only
    when its keys meet a model (``resolve(base=load_yaml(run_config))``) names the file."""

    def __init__(self, content: dict[str, Any], source: Path) -> None:
        super().__init__(content)
        self.source = source


# ``yaml.safe_dump`` writes a ConfigFile as the plain mapping it is.
yaml.SafeDumper.add_representer(ConfigFile, yaml.representer.SafeRepresenter.represent_dict)


class DuplicateKey(yaml.YAMLError):
    """A key written twice in one mapping of a YAML file (its dotted name and both lines)."""

    def __init__(self, key: str, first: int, second: int) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping: PyYAML keeps the last
    value without a word (YAML 1.2 forbids duplicates). A ``<<`` merge may still be overridden,
    as YAML intends. Mappings learn their dotted place (``train.``) from their parent, which
    the constructor builds first, so the error names ``train.steps``, not ``steps``."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.prefixes: dict[int, str] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        prefix = self.prefixes.get(id(node), "")
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(value_node, yaml.MappingNode):
                self.prefixes.setdefault(id(value_node), f"{prefix}{key}.")
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # an unhashable key: SafeLoader's own error follows
                continue
            if first is not key_node:
                line = key_node.start_mark.line + 1
                raise DuplicateKey(f"{prefix}{key}", first.start_mark.line + 1, line)
        return super().construct_mapping(node, deep)


def load_yaml(path: str | Path) -> ConfigFile:
    """Read a config file; a missing or malformed file, or a key written twice, is a user
    error. The mapping remembers the file (:class:`ConfigFile`) for later messages."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"config file '{path}' is a folder; give the path of a YAML file")
    if not path.is_file():
        raise UserError(f"config file '{path}' does not exist; give the path of a YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(
            f"config file '{path}' is not a text file (not UTF-8); give a YAML file"
        ) from None
    except OSError as error:
        raise UserError(f"cannot read config file '{path}' ({error.strerror or error})") from None
    try:
        content = yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: builds no objects
    except DuplicateKey as error:
        lines = f"lines {error.first} and {error.second}"
        if error.first == error.second:  # flow style: {steps: 1, steps: 2}
            lines = f"line {error.first}"
        raise UserError(
            f"config file '{path}' sets '{error.key}' twice ({lines}); keep one of them"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"config file '{path}' is not valid YAML{where}; fix its syntax") from None
    except RecursionError:
        raise UserError(f"config file '{path}' is nested too deeply; fix its structure") from None
    if content is None:
        return ConfigFile({}, path)
    if not isinstance(content, dict):
        raise UserError(f"config file '{path}' must hold a mapping with sections {SECTIONS}")
    return ConfigFile(content, path)


def parse_override(text: str) -> tuple[str, Any]:
    """``train.steps=2000`` -> (``"train.steps"``, 2000); values are read as YAML scalars."""
    key, sep, raw = text.partition("=")
    if not sep or "." not in key:
        raise UserError(
            f"cannot read override {text!r}; write SECTION.KEY=VALUE, e.g. train.steps=2000"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except (yaml.YAMLError, RecursionError):
        value = raw
    return key.strip(), value


# Where each key of a merged config was last set: (section, key) -> a layer's origin, such as
# "'run.yaml'" or "the command line"; a config file's own origin starts with a quote.
Origins = dict[tuple[str, str], str]


def _merge(
    into: dict[str, dict[str, Any]],
    layer: dict[str, Any],
    origin: str,
    origins: Origins | None = None,
) -> None:
    for section, values in layer.items():
        if section not in SECTIONS:
            raise UserError(_unknown(f"section {section!r} in {origin}", section, SECTIONS))
        if values is None:
            continue
        if not isinstance(values, dict):
            raise UserError(f"section '{section}' in {origin} must be a mapping of keys to values")
        into[section].update(values)
        if origins is not None:
            origins.update({(section, key): origin for key in values})


def _unknown(what: str, name: Any, choices: typing.Iterable[str]) -> str:
    choices = list(choices)
    # YAML keys may be numbers or booleans (``1: 2``); difflib compares strings only.
    close = difflib.get_close_matches(str(name), choices, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown config {what}{hint}; known keys: {', '.join(choices)}"


def _preset_layers(dataset: str, model: str = DEFAULT_MODEL) -> list[tuple[dict[str, Any], str]]:
    """The budget shipped for a dataset: ``configs/<dataset>.yaml``, then the model's own
    ``configs/<model>/<dataset>.yaml`` to layer over it, key by key (a model preset names only the
    settings in which the model departs from the dataset's budget); each with its origin (the
    file, as ``swgen config`` names it), and none if neither exists."""
    if not re.fullmatch(r"[\w-]+", dataset) or not re.fullmatch(r"[\w-]+", model):
        return []  # a path or odd text: no preset of that name
    configs = resources.files("swgen") / "configs"
    layers = []
    for relative in (f"{dataset.lower()}.yaml", f"{model.lower()}/{dataset.lower()}.yaml"):
        resource = configs.joinpath(*relative.split("/"))
        if resource.is_file():
            layer = yaml.safe_load(resource.read_text()) or {}
            layers.append(({k: dict(v or {}) for k, v in layer.items()}, f"preset {relative}"))
    return layers


# Image sizes with a preset for a folder of the user's own images, ``configs/<model>/folder-<S>``.
FOLDER_PRESET_SIZES = (32, 64, 128)


def folder_preset_name(dataset: str, image_size: Any) -> str:
    """``folder-<S>`` for a folder of one's own images (``--data DIR``, or ``--data folder``),
    S the largest of :data:`FOLDER_PRESET_SIZES` not above ``image_size`` (32 below 32): the
    presets size the networks and the schedule to the image size. Other names pass through."""
    from swgen.registry import DATASETS

    is_folder = dataset.lower() == "folder" or (
        dataset not in DATASETS and Path(dataset).expanduser().is_dir()
    )
    if not is_folder or isinstance(image_size, bool) or not isinstance(image_size, int):
        return dataset  # a wrong size type fails later, with its own message
    fitting = [size for size in FOLDER_PRESET_SIZES if size <= image_size]
    return f"folder-{max(fitting, default=FOLDER_PRESET_SIZES[0])}"


def _preset(dataset: str, model: str = DEFAULT_MODEL) -> dict[str, Any]:
    """The preset's layers (:func:`_preset_layers`) merged into one."""
    preset: dict[str, dict[str, Any]] = {}
    for layer, _ in _preset_layers(dataset, model):
        for section, values in layer.items():
            preset.setdefault(section, {}).update(values)
    return preset


def _preset_for(dataset: str, model: str) -> list[tuple[dict[str, Any], str]]:
    """The preset's layers, keeping only the model keys the chosen model has: a dataset's preset
    sizes the networks of the models it was written for (``width``), not of every model."""
    import swgen.models  # noqa: F401  (models register themselves on import)
    from swgen.registry import MODELS

    layers = _preset_layers(dataset, model)
    if model in MODELS:
        known = {f.name for f in dataclasses.fields(MODELS.get(model).Config)}
        for layer, _ in layers:
            if isinstance(layer.get("model"), dict):
                layer["model"] = {k: v for k, v in layer["model"].items() if k in known}
    return layers


def resolve(
    config_file: str | Path | None = None,
    overrides: typing.Sequence[str] = (),
    flags: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
    origins_out: Origins | None = None,
) -> RunConfig:
    """Build and validate a :class:`RunConfig` from the layers described in the module docstring.

    ``base`` replaces the defaults and presets (``--resume`` starts from the saved config); given
    as :func:`load_yaml` returns it, a key that does not fit its model is reported with the file.
    ``flags`` maps dotted keys to values from explicit CLI flags (``None`` values are ignored).
    ``origins_out``, when given, receives where each key was last set (``swgen config``).
    """
    layers: list[tuple[dict[str, Any], str]] = []
    if config_file is not None:
        layers.append((load_yaml(config_file), f"'{config_file}'"))
    command_line: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for key, value in list((flags or {}).items()) + [parse_override(o) for o in overrides]:
        if value is None and key in (flags or {}):
            continue
        section, _, name = key.partition(".")
        if section not in SECTIONS:
            raise UserError(_unknown(f"section {section!r} in override {key!r}", section, SECTIONS))
        command_line[section][name] = value
    layers.append((command_line, "the command line"))

    merged: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    origins: Origins = {}
    base_origin = None
    if base is not None:
        source = getattr(base, "source", None)  # a ConfigFile from load_yaml names its file
        base_origin = "the saved run config" if source is None else f"'{source}'"
        _merge(merged, base, base_origin, origins)
    else:
        # The dataset decides which preset applies, so look ahead for its final name.
        dataset, model = DataConfig.name, DEFAULT_MODEL
        image_size: Any = DataConfig.image_size
        for layer, _ in layers:
            section = layer.get("data")
            if isinstance(section, dict):  # other shapes fail with their message in _merge
                dataset = section.get("name", dataset)
                image_size = section.get("image_size", image_size)
            section = layer.get("model")
            if isinstance(section, dict):
                model = section.get("name", model)
        dataset = folder_preset_name(str(dataset), image_size)
        for preset, origin in _preset_for(str(dataset), str(model)):
            _merge(merged, preset, origin, origins)
    for layer, origin in layers:
        _merge(merged, layer, origin, origins)
    if origins_out is not None:
        origins_out.update(origins)
    return build(merged, origins, base_origin)


def build(
    sections: dict[str, dict[str, Any]],
    origins: Origins | None = None,
    base_origin: str | None = None,
) -> RunConfig:
    """Turn merged plain dictionaries into validated dataclasses. ``origins`` says where each key
    was set, for messages; ``base_origin`` is the origin of a saved run's config (``--resume``,
    ``sample`` and the other commands that read a run)."""
    import swgen.models  # noqa: F401  (models register themselves on import)
    from swgen.registry import MODELS

    model_values = dict(sections.get("model", {}))
    model_name = str(model_values.pop("name", DEFAULT_MODEL))
    model_class = MODELS.get(model_name)
    _check_model_keys(model_name.lower(), model_values, origins or {}, base_origin)
    return RunConfig(
        model_name=model_name.lower(),
        model=to_dataclass(model_class.Config, model_values, "model", origins),
        data=to_dataclass(DataConfig, sections.get("data", {}), "data", origins),
        train=to_dataclass(TrainConfig, sections.get("train", {}), "train", origins),
    )


def _check_model_keys(
    model_name: str, values: dict[str, Any], origins: Origins, base_origin: str | None
) -> None:
    """Refuse a model key that belongs to other models, saying which: the sign of a config
    written for one model and given to another, most often a run's ``config.yaml`` whose
    ``model.name`` was edited by hand. Keys of no model get ``to_dataclass``'s message."""
    from swgen.registry import MODELS

    known = {f.name for f in dataclasses.fields(MODELS.get(model_name).Config)}
    for key in values:
        if key in known:
            continue
        owners = [
            name
            for name in MODELS.names()
            if key in {f.name for f in dataclasses.fields(MODELS.get(name).Config)}
        ]
        if not owners:
            continue
        origin = origins.get(("model", key), "the config")
        listed = ", ".join(owners[:3]) + (", ..." if len(owners) > 3 else "")
        if origin == base_origin:
            advice = (
                ", so the file was probably edited to another model; set its model.name back to "
                "the model it was written for, or remove the key"
            )
        else:
            advice = f"; remove it, or choose {'that model' if len(owners) == 1 else 'one of them'}"
        raise UserError(
            f"config key 'model.{key}' in {origin} is not a setting of model '{model_name}' "
            f"(but of {listed}){advice}"
        )


def to_dataclass(
    cls: type, values: dict[str, Any], section: str, origins: Origins | None = None
) -> Any:
    """Instantiate ``cls`` from ``values``, checking every key and the type of every value.
    ``origins`` (from :func:`resolve`) lets an unknown key's message name the file that set it."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    checked = {}
    for key, value in values.items():
        if key not in fields:
            origin = (origins or {}).get((section, key), "")
            where = f" in {origin}" if origin.startswith("'") else ""  # a config file's name
            raise UserError(_unknown(f"key {f'{section}.{key}'!r}{where}", key, fields))
        checked[key] = _check_type(value, hints[key], f"{section}.{key}")
        check_range(checked[key], key, f"{section}.{key}")
    try:
        return cls(**checked)
    except (TypeError, ValueError, OverflowError) as error:
        raise UserError(f"invalid {section} config: {error}; fix its value") from None


def _check_type(value: Any, hint: Any, key: str) -> Any:
    """Return ``value`` as type ``hint`` (ints accepted for floats, lists for tuples) or fail."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _check_type(value, option, key)
            except UserError as error:
                errors.append(error)
        raise errors[0]
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise _type_error(key, value, hint)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise _type_error(key, value, hint)
            return tuple(_check_type(v, a, key) for v, a in zip(value, args, strict=True))
        item = args[0] if args else Any
        return origin(_check_type(v, item, key) for v in value)
    if origin is typing.Literal:
        if value not in args:
            raise UserError(f"config key '{key}' is {value!r}; choose one of {list(args)}")
        return value
    if hint is Any:
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):
        # YAML 1.1 reads "1e-3" (no dot) as a string; people write learning rates that way.
        try:
            return float(value)
        except ValueError:
            pass
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(hint, type) and hint not in (int, float, bool, str) and isinstance(value, hint):
        return value
    raise _type_error(key, value, hint)


def _type_error(key: str, value: Any, hint: Any) -> UserError:
    name = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
    return UserError(
        f"config key '{key}' must be {name}, got {value!r} ({type(value).__name__}); fix its value"
    )


@dataclass(frozen=True)
class Range:
    """The allowed values of a numeric config key: ``low <= x <= high`` (ends may be open)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: x > low
    high_open: bool = False  # True: x < high

    def holds(self, value: float) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def describe(self) -> str:
        def show(bound: float) -> str:
            return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"

        if self.low is not None and self.high is not None and not self.low_open | self.high_open:
            return f"between {show(self.low)} and {show(self.high)}"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {show(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {show(self.high)}")
        return " and ".join(parts) or "a finite number"


SEED_RANGE = Range(0, 2**32 - 1)  # batches and noise streams mix the low 32 bits of the seed
SIZE = Range(1, 2**16)  # network sizes; beyond this a model cannot be built in memory anyway
COUNT = Range(1, 10**12)
WEIGHT = Range(0, 1e6)  # loss weights and margins: 0 turns a term off
RATE = Range(0, 1, low_open=True)  # learning rates
FRACTION = Range(0, 1, high_open=True)  # probabilities, Adam betas, EMA decays

# One rule per key name, for every section and model (a tuple's items are each checked). A test
# requires a rule for every numeric key of every registered model, so none goes unchecked.
RANGES: dict[str, Range] = {
    # train:
    "steps": COUNT,
    "batch_size": Range(1, 2**20),
    "seed": SEED_RANGE,
    "ema_decay": FRACTION,
    "lr_decay_start": FRACTION,
    "lr_milestones": FRACTION,
    "lr_factors": Range(0, 1e6, low_open=True),
    "log_every": COUNT,
    "sample_every": COUNT,
    "checkpoint_every": COUNT,
    "grid_size": Range(1, 4096),
    "eval_every": Range(0, 10**12),
    "eval_samples": Range(2, 2**24),
    # data:
    "image_size": Range(1, 4096),
    "channels": Range(1, 3),
    "limit": COUNT,
    "frames": Range(1, 4096),
    "frame_stride": Range(1, 4096),
    "load_size": Range(1, 4096),
    "map_classes": Range(1, 256),
    # model:
    "latent_dim": SIZE,
    "code_dim": SIZE,
    "width": SIZE,
    "adversary_width": SIZE,
    "adversary_depth": Range(1, 1024),
    "n_blocks": Range(1, 1024),
    "n_bins": SIZE,
    "n_critic": Range(1, 1000),
    "n_projections": Range(1, 2**20),
    "idt_iterations": Range(1, 2**16),
    "n_quantiles": Range(2, 2**16),
    "bank_size": Range(1, 2**24),
    "idt_seed": SEED_RANGE,
    "lr": RATE,
    "adversary_lr": RATE,
    "betas": FRACTION,
    "dropout": FRACTION,
    "alpha": Range(0, 1e6, low_open=True),
    "negative_slope": Range(0, 1),
    "lambda1": WEIGHT,
    "lambda2": WEIGHT,
    "gp_weight": WEIGHT,
    "ct_weight": WEIGHT,
    "ct_feature_weight": WEIGHT,
    "ct_margin": WEIGHT,
    "wae_lambda": WEIGHT,
    "reconstruction_weight": WEIGHT,
    "k": Range(0, 1e6, low_open=True),
    "prior_variance": Range(0, 1e6, low_open=True),
    "prior_components": SIZE,
    "prior_separation": Range(0, 1e6, low_open=True),
    "info_weight": WEIGHT,
    "topk_min": Range(0, 1, low_open=True),
    "topk_decay": Range(0, 1, low_open=True),
    "topk_every": Range(1, 10**9),
    "translation_ratio": Range(0, 1, low_open=True),
    "cutout_ratio": Range(0, 1, low_open=True),
    "clip": Range(0, 1e6, low_open=True),
    "input_noise": WEIGHT,
    # progressive growing (PGGAN and the SWGAN code's progressive version):
    "fmap_base": SIZE,
    "fmap_max": SIZE,
    "stabilise_kimg": Range(0, 1e9),
    "transition_kimg": Range(0, 1e9),
    "minibatch": Range(1, 2**20),
    "mbstd_group": Range(1, 2**16),
    "eps": Range(0, 1, low_open=True),
    "drift": WEIGHT,
    "time_doubles_at": Range(1, 2**16),
    # image-to-image translation (CycleGAN, Attention-GAN):
    "critic_width": SIZE,
    "critic_layers": Range(1, 16),
    "attention_width": SIZE,
    "attention_blocks": Range(1, 1024),
    "lambda_cycle": WEIGHT,
    "lambda_identity": WEIGHT,
    "lambda_sparse": WEIGHT,
    "lambda_attention_cycle": WEIGHT,
    "pool_size": Range(0, 10**5),
    # paired translation (pix2pix):
    "num_downs": Range(2, 16),
    "dropout_blocks": Range(0, 16),
    "lambda_l1": WEIGHT,
    # multi-domain translation (StarGAN):
    "lambda_cls": WEIGHT,
    "lambda_rec": WEIGHT,
    "lambda_gp": WEIGHT,
    # semantic image synthesis (SPADE):
    "num_d": Range(1, 8),
    "spade_hidden": SIZE,
    "lambda_feat": WEIGHT,
    "z_dim": SIZE,
    "encoder_width": SIZE,
    "lambda_kld": WEIGHT,
    "lr_generator": RATE,
    "lr_critic": RATE,
    # PU-GAN's class prior and its schedule, Smooth GAN's generator penalty:
    "pu_prior": Range(0, 1, low_open=True, high_open=True),
    "pu_increase": Range(0, 1),
    "pu_every": COUNT,
    "pu_max": Range(0, 1, low_open=True, high_open=True),
    "smooth_weight": WEIGHT,
    "smooth_radius": Range(0, 1e6, low_open=True),
    "decoder_std": Range(0, 1e6, low_open=True),
    # photo enhancement (DACAL / MUSPE):
    "scale": Range(1, 64),
    "fine_width": SIZE,
    "fine_depth": Range(1, 64),
    "tile": Range(8, 2**16),
    "blur_size": Range(1, 255),
    "blur_sigma": Range(0, 1e3, low_open=True),
    "eta": Range(0, 1, high_open=True),
    "adaptive_bound": Range(0, 1e6, low_open=True),
    "adaptive_grow": Range(1, 1e3),
    "content_weight": WEIGHT,
    "adversarial_weight": WEIGHT,
    # StyleGAN (the style-based generator):
    "mapping_layers": Range(1, 64),
    "mapping_lrmul": Range(0, 1e3, low_open=True),
    "mixing_prob": Range(0, 1),
    "w_avg_beta": FRACTION,
    "truncation_layers": Range(1, 1024),
    "r1_gamma": WEIGHT,
    "r1_every": Range(1, 10**6),
    # singan (issue 43)
    "max_size": Range(1, 4096),
    "min_size": Range(1, 4096),
    "scale_factor": Range(0, 1, low_open=True, high_open=True),
    "nfc": Range(1, 4096),
    "max_nfc": Range(1, 4096),
    "layers": Range(2, 64),
    "steps_per_scale": COUNT,
    "d_steps": Range(1, 1000),
    "g_steps": Range(1, 1000),
    "lr_drop_at": Range(0, 1),
    "lr_drop": Range(0, 1, low_open=True),
    "noise_amp": Range(0, 1e6, low_open=True),
}
ANY_NUMBER = Range()  # keys without a rule must at least be finite


def check_range(value: Any, name: str, key: str) -> None:
    """Fail with a one-line error unless every number in ``value`` is in ``name``'s range."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    rule = RANGES.get(name, ANY_NUMBER)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            continue
        if not rule.holds(item):
            raise UserError(
                f"config key '{key}' is {value!r}; it must be {rule.describe()}"
                f"{' (each item)' if len(items) > 1 else ''}; fix its value"
            )


def field_meanings(cls: type) -> dict[str, str]:
    """Each field of dataclass ``cls`` -> the comment on the line that declares it.

    Read from the source with ``tokenize``, so the text ``swgen config`` prints is the text a
    reader of the code sees; a field without a comment maps to ``""`` (a test forbids that).
    """
    meanings: dict[str, str] = {}
    for owner in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(owner):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(owner))
        except (OSError, TypeError):
            continue
        names = {
            node.lineno: node.target.id
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        }
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and token.start[0] in names:
                meanings[names[token.start[0]]] = token.string.lstrip("#").strip()
    return {f.name: meanings.get(f.name, "") for f in dataclasses.fields(cls)}


def describe(config: RunConfig, origins: Origins | None = None) -> str:
    """Every key of ``config``'s three sections: its value, allowed range or choices, and
    meaning. The meaning, with its source note ("official code", "paper"), describes the
    dataclass default; where a preset (or another layer named in ``origins``) set a different
    value, the line says so and attaches the meaning to the default instead, so a source note
    never labels a value that is not the source's."""
    import swgen.models  # noqa: F401
    from swgen.registry import MODELS

    model_class = MODELS.get(config.model_name)
    sections = [
        ("model", model_class.Config, config.model),
        ("data", DataConfig, config.data),
        ("train", TrainConfig, config.train),
    ]
    lines = [f"model.name: {config.model_name}  # the model (swgen list shows them)"]
    for section, cls, values in sections:
        meanings = field_meanings(cls)
        hints = typing.get_type_hints(cls)
        defaults = cls()
        for name, meaning in meanings.items():
            value = getattr(values, name)
            default = getattr(defaults, name)
            allowed = allowed_values(hints[name], name)
            if value != default and origins and (section, name) in origins:
                where = origins[(section, name)].strip("'")
                note = f"set by {where}; default {show_value(default)}: {meaning}{allowed}"
            else:
                note = f"{meaning}{allowed}"
            lines.append(f"{section}.{name}: {show_value(value)}  # {note}")
    return "\n".join(lines)


def show_value(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def allowed_values(hint: Any, name: str) -> str:
    """`` [range]`` of a numeric key, `` {a | b}`` of a key with named choices, else ``""``."""
    options = (hint, *typing.get_args(hint))
    literal = next((t for t in options if typing.get_origin(t) is typing.Literal), None)
    if literal is not None:
        return " {" + " | ".join(str(choice) for choice in typing.get_args(literal)) + "}"
    if name == "architecture":
        from swgen.nn.architectures import ARCHITECTURES

        return " {" + " | ".join(["paper", *ARCHITECTURES.names()]) + "}"
    if any(t in (int, float) for t in options) and hint is not bool:
        return f" [{RANGES.get(name, ANY_NUMBER).describe()}]"
    return ""
