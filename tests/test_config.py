"""Config layers, dotted overrides and validation of keys and types."""

import pytest
import yaml

from swgen.config import load_yaml, parse_override, resolve
from swgen.errors import UserError


def test_defaults_are_swgan_on_digits():
    config = resolve()
    assert config.model_name == "swgan"
    assert config.data.name == "digits"
    assert config.train.batch_size > 0


def test_layers_file_then_flags_then_overrides(tmp_path):
    file = tmp_path / "run.yaml"
    file.write_text(
        yaml.safe_dump({"model": {"name": "wgan-gp"}, "train": {"steps": 7, "seed": 3}})
    )
    config = resolve(
        file, ["train.steps=11", "data.image_size=16"], {"train.seed": 5, "data.name": None}
    )
    assert config.model_name == "wgan-gp"
    assert config.train.steps == 11  # the override beats the file
    assert config.train.seed == 5  # the flag beats the file
    assert config.data.image_size == 16
    assert config.data.name == "digits"  # a flag left unset changes nothing


def test_dataset_preset_applies_under_user_values():
    preset = resolve(flags={"data.name": "gaussians25"})
    assert (
        preset.train.batch_size != resolve().train.batch_size
        or preset.train.steps != resolve().train.steps
    )
    overridden = resolve(overrides=["train.steps=5"], flags={"data.name": "gaussians25"})
    assert overridden.train.steps == 5


@pytest.mark.parametrize("toy", ["gaussians8", "gaussians25", "swissroll"])
def test_wgan_gp_toy_preset_is_the_official_toy_code(toy):
    """gan_toy.py of WGAN-GP: lambda 0.1 and Adam betas (0.5, 0.9) on the toy sets; Algorithm 1's
    lambda 10 and betas (0, 0.9) stay the defaults on images."""
    config = resolve(flags={"model.name": "wgan-gp", "data.name": toy})
    assert config.model.gp_weight == 0.1 and tuple(config.model.betas) == (0.5, 0.9)
    images = resolve(flags={"model.name": "wgan-gp", "data.name": "digits"})
    assert images.model.gp_weight == 10.0 and tuple(images.model.betas) == (0.0, 0.9)
    overridden = resolve(
        overrides=["model.gp_weight=10"],
        flags={"model.name": "wgan-gp", "data.name": "gaussians25"},
    )
    assert overridden.model.gp_weight == 10.0


@pytest.mark.parametrize(
    ("model", "toy"),
    [
        ("swgan", "gaussians25"),
        ("wgan-gp", "gaussians8"),
        ("wgan-gp", "gaussians25"),
        ("wgan-gp", "swissroll"),
    ],
)
def test_model_toy_presets_keep_the_dataset_budget(model, toy):
    """A model's own toy preset is layered over the dataset's: the budget and networks it does
    not name stay the dataset's, so that the toy tables compare every model on the same footing."""
    shared = resolve(flags={"model.name": "gan", "data.name": toy})
    own = resolve(flags={"model.name": model, "data.name": toy})
    assert own.train == shared.train
    assert (own.model.width, own.model.latent_dim) == (shared.model.width, shared.model.latent_dim)


def test_saved_config_round_trips(tmp_path):
    config = resolve(overrides=["train.steps=9", "model.name=wgan"])
    config.save(tmp_path / "config.yaml")
    again = resolve(base=yaml.safe_load((tmp_path / "config.yaml").read_text()))
    assert again == config


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["train.stpes=10"], r"unknown config key 'train.stpes' \(did you mean 'steps'\?\)"),
        (["trian.steps=10"], r"unknown config section 'trian'.*did you mean 'train'"),
        (["train.steps=ten"], r"config key 'train.steps' must be int, got 'ten'"),
        (["train.steps=1.5"], r"config key 'train.steps' must be int"),
        (["train.progress=maybe"], r"config key 'train.progress' must be bool"),
        (["model.name=nonsense"], r"unknown model 'nonsense'; choose one of: .*swgan"),
        (["model.no_such_key=1"], r"unknown config key 'model.no_such_key'"),
        (["steps"], r"write SECTION.KEY=VALUE"),
    ],
)
def test_bad_configs_fail_with_one_line(overrides, message):
    with pytest.raises(UserError, match=message) as error:
        resolve(overrides=overrides)
    assert "\n" not in str(error.value)


def test_config_file_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        resolve(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("train: [steps: 1\n")
    with pytest.raises(UserError, match="not valid YAML"):
        resolve(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(UserError, match="must hold a mapping"):
        resolve(listed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "train:\n  steps: 1\n  batch_size: 2\n  steps: 3\n",
            r"'train.steps' twice \(lines 2 and 4\)",
        ),
        ("train: {steps: 1}\nmodel: {}\ntrain: {seed: 2}\n", r"'train' twice \(lines 1 and 3\)"),
        ("model: {width: 1, width: 2}\n", r"'model.width' twice \(line 1\)"),
    ],
)
def test_a_key_written_twice_is_refused(tmp_path, text, message):
    """PyYAML keeps the last of two equal keys without a word; swgen names the key and lines."""
    file = tmp_path / "twice.yaml"
    file.write_text(text)
    with pytest.raises(UserError, match=rf"config file '.*twice.yaml' sets {message}; keep one"):
        resolve(file)


def test_a_merge_key_may_still_be_overridden(tmp_path):
    file = tmp_path / "merge.yaml"
    file.write_text("train:\n  <<: {steps: 4, seed: 1}\n  steps: 5\n")
    config = resolve(file)
    assert config.train.steps == 5 and config.train.seed == 1


def test_a_run_config_edited_to_another_model_names_the_file(tmp_path):
    """A run's config.yaml whose model.name was edited keeps keys of the old model: the message
    names the file and says whose keys they are, not only "unknown config key"."""
    saved = tmp_path / "config.yaml"
    resolve(overrides=["model.name=cyclegan", "data.name=digits-recolour"]).save(saved)
    saved.write_text(saved.read_text().replace("name: cyclegan", "name: dcgan", 1))
    loaded = load_yaml(saved)
    assert yaml.safe_load(yaml.safe_dump(loaded)) == dict(loaded)  # still dumps as a mapping
    with pytest.raises(UserError) as refused:
        resolve(base=loaded)
    message = str(refused.value)
    assert f"'{saved}' is not a setting of model 'dcgan' (but of " in message
    assert "cyclegan" in message and "probably edited to another model" in message
    with pytest.raises(UserError, match=r"in the command line is not a setting of model 'dcgan'"):
        resolve(overrides=["model.name=dcgan", "model.critic_width=8"])
    typo = tmp_path / "typo.yaml"
    typo.write_text("model: {name: dcgan, widht: 8}\n")
    with pytest.raises(UserError, match=r"unknown config key 'model.widht' in '.*' \(did you"):
        resolve(base=load_yaml(typo))


def test_scientific_notation_without_a_dot_is_a_float():
    assert resolve(overrides=["model.lr=1e-3"]).model.lr == 1e-3


def test_override_values_are_yaml_scalars():
    assert parse_override("train.steps=20") == ("train.steps", 20)
    assert parse_override("model.betas=[0.5, 0.9]") == ("model.betas", [0.5, 0.9])
    assert parse_override("data.path=/tmp/x") == ("data.path", "/tmp/x")


def test_model_presets_replace_the_dataset_preset_and_foreign_keys_are_dropped():
    from swgen.config import resolve

    progressive = resolve(flags={"model.name": "pg-swgan"})  # configs/pg-swgan/digits.yaml
    assert progressive.model.fmap_max == 32 and progressive.train.steps == 6500
    video = resolve(flags={"model.name": "pg-wgan-3d"})  # digits preset: its width is not ours
    assert not hasattr(video.model, "width")
    assert resolve(flags={"model.name": "wgan-gp"}).model.width == 16  # still applied


def test_every_numeric_key_has_a_range_and_every_key_a_meaning():
    """A new config key must come with a range rule (if numeric) and a comment on its line,
    which ``swgen config`` prints: neither can be forgotten."""
    import dataclasses
    import typing

    import swgen.models  # noqa: F401
    from swgen.config import RANGES, TrainConfig, field_meanings
    from swgen.data.base import DataConfig
    from swgen.registry import MODELS

    classes = [TrainConfig, DataConfig] + [
        MODELS.get(name).Config for name in MODELS.names() if not name.startswith("test-")
    ]
    for cls in classes:
        meanings = field_meanings(cls)
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            assert meanings[field.name], f"{cls.__name__}.{field.name} has no comment"
            kinds = {hints[field.name], *typing.get_args(hints[field.name])}
            if kinds & {int, float}:
                assert field.name in RANGES, f"{cls.__name__}.{field.name} has no range"
        # The defaults themselves are in range.
        for field in dataclasses.fields(cls):
            value = getattr(cls(), field.name)
            values = value if isinstance(value, tuple) else (value,)
            rule = RANGES.get(field.name)
            for item in values:
                if rule and isinstance(item, (int, float)) and not isinstance(item, bool):
                    assert rule.holds(item), (cls.__name__, field.name, item)


def test_swgen_config_lists_every_key(capsys):
    import dataclasses

    from swgen.cli import main
    from swgen.config import TrainConfig
    from swgen.models.wgan_gp import WGANGPConfig

    assert main(["config", "wgan-gp", "--data", "gaussians8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    keys = [line.split(":", 1)[0] for line in lines]
    expected = {f"model.{f.name}" for f in dataclasses.fields(WGANGPConfig)}
    expected |= {f"train.{f.name}" for f in dataclasses.fields(TrainConfig)}
    assert expected <= set(keys)
    assert "train.checkpoint_every: 500  # replace checkpoints/last.pt every N steps" in "\n".join(
        lines
    )
    # the toy preset (gan_toy.py's lambda), not Algorithm 1's 10, which the meaning describes
    preset = "model.gp_weight: 0.1  # set by preset wgan-gp/gaussians8.yaml; default 10.0: lambda"
    assert any(line.startswith(preset) for line in lines)
    assert any(line.startswith("train.batch_size: 256") for line in lines)  # the preset's value


def test_swgen_config_never_labels_a_preset_value_with_the_defaults_source(capsys):
    """The main job's preset sets n_critic 1 and lr 1e-3; "official code" is 4 and 3e-4."""
    from swgen.cli import main

    assert main(["config", "swgan"]) == 0
    lines = {line.split(":", 1)[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["model.n_critic"].startswith(
        "model.n_critic: 1  # set by preset swgan/digits.yaml; default 4: critic updates"
    )
    assert "default 0.0003: Adam, both networks, official code" in lines["model.lr"]
    assert "set by preset digits.yaml; default null" in lines["model.width"]
    assert lines["model.slope_form"].endswith("{derivative | official}")
    assert "{paper | began | shared" in lines["model.architecture"]
    assert lines["model.betas"].startswith("model.betas: [0.0, 0.9]  # Adam, official code")


@pytest.mark.parametrize(
    ("size", "preset"), [(16, 32), (32, 32), (48, 32), (64, 64), (100, 64), (128, 128), (256, 128)]
)
def test_a_folder_of_ones_own_images_gets_the_preset_of_its_size(tmp_path, size, preset):
    from importlib import resources

    import yaml

    expected = yaml.safe_load(
        (resources.files("swgen") / "configs" / "swgan" / f"folder-{preset}.yaml").read_text()
    )
    origins: dict = {}
    for data in ([f"data.name={tmp_path}"], ["data.name=folder", f"data.path={tmp_path}"]):
        config = resolve(overrides=[*data, f"data.image_size={size}"], origins_out=origins)
        assert config.model.width == expected["model"]["width"]
        assert config.train.steps == expected["train"]["steps"]
        assert origins[("model", "width")] == f"preset swgan/folder-{preset}.yaml"


def test_folder_presets_are_swgans_only_and_leave_named_datasets_alone(tmp_path):
    assert resolve(overrides=["data.name=digits", "data.image_size=64"]).model.width == 16
    dcgan = resolve(overrides=[f"data.name={tmp_path}"], flags={"model.name": "dcgan"})
    assert dcgan.model.width is None and dcgan.train.steps == 3000  # its own defaults
    missing = resolve(overrides=[f"data.name={tmp_path / 'nope'}"])  # refused later, at build
    assert missing.model.n_critic == 4
