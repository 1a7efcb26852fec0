"""The CI version of scripts/soak_kill.py: two SIGKILLs at random moments, then resume; the
result must equal an uninterrupted run bit for bit (the script raises SystemExit otherwise)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "scripts" / "soak_kill.py"


def test_two_sigkills_then_resume_equal_an_uninterrupted_run(tmp_path):
    spec = importlib.util.spec_from_file_location("soak_kill", SCRIPT)
    soak_kill = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak_kill)
    line = soak_kill.soak(kills=2, steps=30, seed=1, workdir=tmp_path)
    assert "2 SIGKILLs" in line and "bit for bit" in line
    assert not list((tmp_path / "killed").rglob(".*.pt.*"))
