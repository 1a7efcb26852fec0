"""swgen's rule for outputs outside run folders (swgen/outputs.py): never replace a user's file."""

import json

import pytest

from swgen.errors import UserError
from swgen.outputs import MANIFEST, OutputFolder, check_output_file, is_within


def claim_and_write(folder: OutputFolder, names: list[str]) -> list:
    folder.check()
    paths = folder.claim(names)
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("output")
    return paths


def test_output_file_must_be_new_unless_overwrite(tmp_path):
    target = tmp_path / "samples.png"
    check_output_file(target)  # new: fine
    target.write_text("mine")
    with pytest.raises(UserError, match="already exists; give a new file name, or add --overwrite"):
        check_output_file(target)
    check_output_file(target, overwrite=True)
    with pytest.raises(UserError, match="is a folder"):
        check_output_file(tmp_path, overwrite=True)


def test_new_and_empty_folders_are_accepted(tmp_path):
    claim_and_write(OutputFolder(tmp_path / "new", "translate", tmp_path / "run"), ["a.png"])
    (tmp_path / "empty").mkdir()
    claim_and_write(OutputFolder(tmp_path / "empty", "translate", tmp_path / "run"), ["a.png"])
    assert (tmp_path / "empty" / "a.png").read_text() == "output"


def test_a_users_file_blocks_the_folder_unless_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.png").write_text("mine")
    with pytest.raises(UserError, match=r"already holds 1 file\(s\) this command did not write"):
        OutputFolder(out, "translate", tmp_path / "run").check()
    assert (out / "a.png").read_text() == "mine"
    claim_and_write(OutputFolder(out, "translate", tmp_path / "run", overwrite=True), ["a.png"])
    assert (out / "a.png").read_text() == "output"


def test_a_rerun_replaces_its_own_outputs_but_not_another_commands(tmp_path):
    out, run = tmp_path / "out", tmp_path / "run"
    claim_and_write(OutputFolder(out, "translate", run), ["a.png", "sub/b.png"])
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["command"] == "translate" and manifest["files"] == ["a.png", "sub/b.png"]
    claim_and_write(OutputFolder(out, "translate", run), ["a.png"])  # the same command again
    # A re-run that writes fewer files still owns the earlier ones.
    assert json.loads((out / MANIFEST).read_text())["files"] == ["a.png", "sub/b.png"]
    with pytest.raises(UserError, match="did not write for this run"):
        OutputFolder(out, "enhance", run).check()
    with pytest.raises(UserError, match="did not write for this run"):
        OutputFolder(out, "translate", tmp_path / "another-run").check()
    (out / "c.png").write_text("mine, added later")
    with pytest.raises(UserError, match="e.g. 'c.png'"):
        OutputFolder(out, "translate", run).check()


def test_an_interrupted_run_is_recognised_by_its_manifest(tmp_path):
    out, run = tmp_path / "out", tmp_path / "run"
    folder = OutputFolder(out, "explore", run)
    folder.check()
    first, _ = folder.claim(["one.png", "two.png"])
    first.write_text("written before the interruption")
    OutputFolder(out, "explore", run).check()  # the manifest came first: the re-run may go on


def test_output_and_input_may_not_nest_even_with_overwrite(tmp_path):
    source = tmp_path / "photos"
    (source / "nested").mkdir(parents=True)
    for out in (source, source / "out", source / "nested"):
        with pytest.raises(UserError, match="is inside the input folder"):
            OutputFolder(out, "translate", tmp_path / "run", True, [source]).check()
    with pytest.raises(UserError, match="is inside the output folder"):
        OutputFolder(tmp_path, "translate", tmp_path / "run", True, [source]).check()
    OutputFolder(tmp_path / "beside", "translate", tmp_path / "run", False, [source]).check()


def test_is_within_follows_links_and_dots(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert is_within(tmp_path / "link" / "b", tmp_path / "a")
    assert is_within(tmp_path / "a" / "b" / "..", tmp_path / "a")
    assert not is_within(tmp_path / "a", tmp_path / "a" / "b")
    assert not is_within(tmp_path / "ab", tmp_path / "a")  # a prefix of the name is not a parent


def test_colliding_names_take_numbered_suffixes_in_order(tmp_path):
    folder = OutputFolder(tmp_path / "out", "translate", tmp_path / "run")
    folder.check()
    translations = folder.claim(["a.jpg", "a.png", "x.png", "x_attention.png"])
    assert [p.name for p in translations] == ["a.jpg", "a.png", "x.png", "x_attention.png"]
    maps = folder.claim(
        ["a_attention.png", "a_attention.png", "x_attention.png", "X_Attention.png"]
    )
    assert [p.name for p in maps] == [
        "a_attention.png",
        "a_attention-2.png",
        "x_attention-2.png",  # the translation of x_attention.png keeps its name
        "X_Attention-3.png",  # compared case-insensitively, as some file systems do
    ]
    assert len({p.name.casefold() for p in translations + maps}) == 8


def test_a_file_given_as_the_output_folder_is_refused(tmp_path):
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(UserError, match="cannot write strips into .*, a file"):
        OutputFolder(tmp_path / "afile", "explore", tmp_path, what="strips").check()
