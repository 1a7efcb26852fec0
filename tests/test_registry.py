"""Models and datasets registered by name, each with its line in ``swgen list``."""

import pytest

import swgen.data  # noqa: F401  (registers the datasets)
import swgen.models  # noqa: F401  (registers the models)
from swgen.cli import main
from swgen.registry import DATASETS, MODELS, Registry


def test_swgen_list_prints_one_line_per_model_and_dataset(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for registry in (MODELS, DATASETS):
        for name in registry.names():
            summary = registry.summary(name)
            assert len(summary) > 10, name
            rows = [line for line in lines if line.split()[:1] == [name]]
            assert len(rows) == 1 and rows[0].endswith(summary), (name, rows)


def test_registry_is_case_insensitive_and_refuses_twins():
    registry = Registry("thing")
    registry.register("Alpha", summary="the first")(1)
    assert registry.get("ALPHA") == 1 and registry.summary("alpha") == "the first"
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("alpha")(2)
