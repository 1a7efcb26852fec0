"""A run's configuration: three dataclasses (model, data, train) loaded from YAML, validated once.

Layers of a resolved config, later ones winning:

1. the dataclass defaults (the model's ``Config`` carries its paper's defaults),
2. the preset shipped for the dataset, ``swgen/configs/<dataset>.yaml`` (budgets that fit it),
   or, when a model has its own for that dataset, ``swgen/configs/<model>/<dataset>.yaml``
   instead (progressive growing's schedule is counted in images, not in steps),
3. the user's ``--config file.yaml``,
4. command-line flags (``--model``, ``--data``, ``--seed``, ``--device``) and dotted overrides
   such as ``train.steps=2000`` or ``model.lambda1=10``.

Unknown keys and values of the wrong type fail with a one-line :class:`UserError` naming the key.
The resolved config is saved as ``config.yaml`` in the run folder and read back by ``--resume``,
``swgen sample`` and ``swgen explore``.
"""

from __future__ import annotations

import dataclasses
import difflib
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
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    mixed_precision: str = "no"  # no | fp16 | bf16 (through accelerate's autocast)
    ema_decay: float = 0.999  # EMA of the generator's weights, used for samples; 0 turns it off
    lr_schedule: str = "constant"  # constant | linear: every optimiser's rate decays linearly to 0
    lr_decay_start: float = 0.0  # share of train.steps after which the linear decay begins
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 500
    grid_size: int = 64  # samples in each grid (a square number makes a square grid)
    eval_every: int = 0  # compute metrics during training every N steps (0: never)
    eval_samples: int = 1000  # generated samples for those metrics
    progress: bool = True


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
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))


DEFAULT_MODEL = "swgan"


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a config file; a missing or malformed file is a user error."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file '{path}' does not exist; give the path of a YAML file")
    try:
        content = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"config file '{path}' is not valid YAML{where}; fix its syntax") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise UserError(f"config file '{path}' must hold a mapping with sections {SECTIONS}")
    return content


def parse_override(text: str) -> tuple[str, Any]:
    """``train.steps=2000`` -> (``"train.steps"``, 2000); values are read as YAML scalars."""
    key, sep, raw = text.partition("=")
    if not sep or "." not in key:
        raise UserError(
            f"cannot read override {text!r}; write SECTION.KEY=VALUE, e.g. train.steps=2000"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def _merge(into: dict[str, dict[str, Any]], layer: dict[str, Any], origin: str) -> None:
    for section, values in layer.items():
        if section not in SECTIONS:
            raise UserError(_unknown(f"section {section!r} in {origin}", section, SECTIONS))
        if values is None:
            continue
        if not isinstance(values, dict):
            raise UserError(f"section '{section}' in {origin} must be a mapping of keys to values")
        into[section].update(values)


def _unknown(what: str, name: str, choices: typing.Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown config {what}{hint}; known keys: {', '.join(choices)}"


def _preset(dataset: str, model: str = DEFAULT_MODEL) -> dict[str, Any]:
    """The budget shipped for a dataset: ``configs/<model>/<dataset>.yaml`` if the model has one,
    else ``configs/<dataset>.yaml``, else nothing."""
    configs = resources.files("swgen") / "configs"
    for resource in (
        configs / model.lower() / f"{dataset.lower()}.yaml",
        configs / f"{dataset.lower()}.yaml",
    ):
        if resource.is_file():
            return yaml.safe_load(resource.read_text()) or {}
    return {}


def _preset_for(dataset: str, model: str) -> dict[str, Any]:
    """The preset, keeping only the model keys the chosen model has: a dataset's preset sizes
    the networks of the models it was written for (``width``), not of every model."""
    import swgen.models  # noqa: F401  (models register themselves on import)
    from swgen.registry import MODELS

    preset = dict(_preset(dataset, model))
    if model in MODELS and isinstance(preset.get("model"), dict):
        known = {f.name for f in dataclasses.fields(MODELS.get(model).Config)}
        preset["model"] = {k: v for k, v in preset["model"].items() if k in known}
    return preset


def resolve(
    config_file: str | Path | None = None,
    overrides: typing.Sequence[str] = (),
    flags: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> RunConfig:
    """Build and validate a :class:`RunConfig` from the layers described in the module docstring.

    ``base`` replaces the defaults and presets (``--resume`` starts from the saved config).
    ``flags`` maps dotted keys to values from explicit CLI flags (``None`` values are ignored).
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
    if base is not None:
        _merge(merged, base, "the saved run config")
    else:
        # The dataset decides which preset applies, so look ahead for its final name.
        dataset, model = DataConfig.name, DEFAULT_MODEL
        for layer, _ in layers:
            dataset = (layer.get("data") or {}).get("name", dataset)
            model = (layer.get("model") or {}).get("name", model)
        _merge(merged, _preset_for(str(dataset), str(model)), f"the preset for {dataset!r}")
    for layer, origin in layers:
        _merge(merged, layer, origin)
    return build(merged)


def build(sections: dict[str, dict[str, Any]]) -> RunConfig:
    """Turn merged plain dictionaries into validated dataclasses."""
    import swgen.models  # noqa: F401  (models register themselves on import)
    from swgen.registry import MODELS

    model_values = dict(sections.get("model", {}))
    model_name = str(model_values.pop("name", DEFAULT_MODEL))
    model_class = MODELS.get(model_name)
    return RunConfig(
        model_name=model_name.lower(),
        model=to_dataclass(model_class.Config, model_values, "model"),
        data=to_dataclass(DataConfig, sections.get("data", {}), "data"),
        train=to_dataclass(TrainConfig, sections.get("train", {}), "train"),
    )


def to_dataclass(cls: type, values: dict[str, Any], section: str) -> Any:
    """Instantiate ``cls`` from ``values``, checking every key and the type of every value."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    checked = {}
    for key, value in values.items():
        if key not in fields:
            raise UserError(_unknown(f"key '{section}.{key}'", key, fields))
        checked[key] = _check_type(value, hints[key], f"{section}.{key}")
    try:
        return cls(**checked)
    except (TypeError, ValueError) as error:
        raise UserError(f"invalid {section} config: {error}") from None


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
