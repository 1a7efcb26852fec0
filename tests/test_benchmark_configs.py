"""Every run the benchmark scripts plan is a config swgen accepts and a model it builds.

A preset that changes under a benchmark's pinned settings breaks its runs only hours into a
re-run otherwise: the main job's InfoGAN term (``model.info_weight`` in the SWGAN digits preset)
made every SWGAN-on-digits row pinned to the papers' one-Gaussian prior a config error."""

import sys
from pathlib import Path

import pytest
import torch

from swgen.config import resolve
from swgen.data import build_dataset
from swgen.errors import UserError
from swgen.train.engine import build_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import ablations  # noqa: E402
import options  # noqa: E402
import presets  # noqa: E402
import quality  # noqa: E402

NOWHERE = Path("unused")


def planned_runs() -> list[tuple[str, str, str, list[str]]]:
    """(id, model, data, overrides) of every run of the quality table (both architectures), the
    option scans, the preset candidates and the ablations, on the bundled data sets."""
    runs = []
    for model in quality.MODELS:
        for data in ("gaussians25", "digits"):
            for architecture in ("shared", "paper"):
                settings = quality.PAPER_SETTINGS.get((model, data), [])
                overrides = [*settings, f"model.architecture={architecture}"]
                runs.append((f"quality-{model}-{data}-{architecture}", model, data, overrides))
    planned = [
        job for group in options.GROUPS for job in options.jobs_of(group, NOWHERE, [0], 1).values()
    ]
    planned += [
        job for data in presets.CANDIDATES for job in presets.jobs_of(data, NOWHERE, 0, 1).values()
    ]
    for job in planned:
        name = f"{Path(job['folder']).name}"
        runs.append((name, job["model"], job["data"], job["data_overrides"]))
    for model, data, overrides, label in ablations.ABLATIONS:
        runs.append((f"ablation-{quality.slug(label)}", model, data, overrides))
    return [run for run in runs if run[2] in ("gaussians25", "digits")]


RUNS = planned_runs()


@pytest.mark.parametrize(
    ("model", "data", "overrides"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS]
)
def test_a_planned_run_builds(model, data, overrides):
    try:
        config = resolve(overrides=[f"model.name={model}", f"data.name={data}", *overrides])
        build_model(config, build_dataset(config.data), torch.device("cpu"))
    except UserError as error:
        pytest.fail(f"{model} on {data} with {overrides}: {error}")
