"""Hypothesis fuzzing of what swgen reads from users: config files, overrides and images.

Whatever the input, the result is a normal one or a ``UserError`` (a one-line message), never
another exception. Each test stops after a fixed number of examples (no timing involved), and
``derandomize`` makes CI see the same examples on every run.
"""

import dataclasses
import io
import warnings
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import swgen.models  # noqa: F401
from swgen.config import SECTIONS, RunConfig, TrainConfig, resolve
from swgen.data.base import DataConfig
from swgen.data.folder import load_folder
from swgen.errors import UserError
from swgen.registry import MODELS

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KNOWN_KEYS = sorted(
    {f.name for f in dataclasses.fields(TrainConfig)}
    | {f.name for f in dataclasses.fields(DataConfig)}
    | {f.name for name in MODELS.names() for f in dataclasses.fields(MODELS.get(name).Config)}
    | {"name"}
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(MODELS.names() + ["gaussians8", "digits", "swissroll", "folder"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8), st.integers(), st.booleans())
sections = st.dictionaries(
    st.one_of(st.sampled_from(SECTIONS), st.text(max_size=6), st.integers()),
    st.one_of(st.dictionaries(keys, values, max_size=4), values),
    max_size=4,
)


def resolves_or_user_error(**arguments) -> None:
    try:
        config = resolve(**arguments)
    except UserError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(config, RunConfig)
    config.to_dict()  # what would be saved as config.yaml


@FUZZ
@given(content=sections)
def test_config_structures(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("config") / "c.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True))
    resolves_or_user_error(config_file=path)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_config_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("config") / "c.yaml"
    path.write_bytes(raw)
    resolves_or_user_error(config_file=path)


@FUZZ
@given(
    overrides=st.lists(
        st.builds(
            lambda key, value: f"{key}={value}",
            st.one_of(
                st.builds("{}.{}".format, st.sampled_from(SECTIONS), st.sampled_from(KNOWN_KEYS)),
                st.text(max_size=10),
            ),
            st.one_of(st.text(max_size=10), scalars.map(str)),
        ),
        max_size=4,
    )
)
def test_overrides(overrides):
    resolves_or_user_error(overrides=overrides)


MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "F"]
FORMATS = {"PNG": ".png", "JPEG": ".jpg", "BMP": ".bmp", "WEBP": ".webp"}


@st.composite
def image_files(draw):
    """Bytes of a real image of random mode, size and format, possibly with bytes damaged."""
    mode = draw(st.sampled_from(MODES))
    width, height = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed)
    if mode in ("I;16",):
        image = Image.fromarray(pixels.integers(0, 65536, (height, width), dtype=np.uint16))
    elif mode == "F":
        image = Image.fromarray(pixels.random((height, width)).astype(np.float32))
    else:
        image = Image.fromarray(pixels.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
        image = image.convert(mode)
    format_ = draw(st.sampled_from(sorted(FORMATS)))
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=format_)
    except (OSError, ValueError, KeyError):  # a mode the format cannot store
        buffer, format_ = io.BytesIO(), "PNG"
        image.convert("RGB").save(buffer, format=format_)
    data = bytearray(buffer.getvalue())
    for position, value in draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)))):
        data[position % len(data)] = value
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data), FORMATS[format_]


@FUZZ
@given(
    files=st.lists(
        st.one_of(image_files(), st.tuples(st.binary(max_size=200), st.sampled_from([".png"]))),
        min_size=1,
        max_size=3,
    ),
    channels=st.sampled_from([None, 1, 3]),
    size=st.integers(1, 12),
)
def test_image_folder(tmp_path_factory, files, channels, size):
    folder = tmp_path_factory.mktemp("images")
    for index, (data, suffix) in enumerate(files):
        (folder / f"{index}{suffix}").write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = load_folder(folder, DataConfig(image_size=size, channels=channels))
    except UserError as error:
        assert "\n" not in str(error)
        return
    images = dataset.images
    assert images.dtype == __import__("torch").uint8
    assert tuple(images.shape[1:]) == ((channels or 3), size, size)
    assert 1 <= len(images) <= len(files)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path: Path):
    """A 16-bit grey ramp loads as the 8-bit ramp (x / 257), not as a white image."""
    ramp = np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    images = load_folder(tmp_path, DataConfig(image_size=32, channels=1)).images[0, 0].numpy()
    expected = np.rint(ramp / 257.0)
    assert np.abs(images.astype(float) - expected).max() <= 2  # bicubic at the same size
    assert 120 < images.mean() < 135  # the clipped version has a mean near 250
