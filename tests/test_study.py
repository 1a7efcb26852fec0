"""swgen.study: the report's numbers by hand, the plans, the stimuli of runs, and the server
over HTTP (every answer in the database, resume after a reload and a restart, 4xx cases)."""

import io
import json
import socket
import sqlite3
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from swgen.cli import main
from swgen.errors import UserError
from swgen.study import db
from swgen.study.create import create_study, encode, run_stimuli, side_by_side
from swgen.study.protocol import (
    STAIRCASE,
    is_excluded,
    modal_exposure,
    next_exposure,
    participant_rng,
    plan_trials,
)
from swgen.study.report import BOOTSTRAP_RESAMPLES, study_report
from swgen.study.server import Study, StudyServer

TINY = ["--data", "digits", "data.image_size=8", "data.limit=32", "model.width=4"]
QUIET = ["train.progress=false", "train.steps=1", "train.batch_size=8"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two one-step gan runs on 8 px digits, and a real-or-fake and a preference study."""
    d = tmp_path_factory.mktemp("study")
    for name, seed in (("gan-a", "0"), ("gan-b", "1")):
        argv = ["train", "--model", "gan", *TINY, *QUIET, "--seed", seed, "--out", str(d / name)]
        assert main(argv) == 0
    small = ["--trials", "4", "--catch", "2", "--tutorial", "2", "--stimuli", "6"]
    assert main(["study", "create", str(d / "rof.db"), "--kind", "real-or-fake",
                 str(d / "gan-a"), *small]) == 0  # fmt: skip
    assert main(["study", "create", str(d / "pref.db"), "--kind", "preference",
                 str(d / "gan-a"), str(d / "gan-b"), *small]) == 0  # fmt: skip
    return d


# --- the report against hand-computed numbers ------------------------------------------------


def hand_study(path: Path, kind: str, answers: list[tuple], catches: list[tuple], unfinished=0):
    """A study file written row by row. ``answers``: (participant, stimulus, truth or
    left-run, choice, correct); ``catches``: (participant, correct)."""
    connection = db.connect(path)
    settings = {
        "kind": kind, "exposure": "unlimited", "trials": 4, "catch_trials": 1,
        "tutorial_trials": 0, "catch_errors_allowed": 0, "stimuli": 4, "seed": 0,
        "staircase": None, "fixation_ms": 500, "display_px": 8, "pixelated": False,
    }  # fmt: skip
    db.create_schema(connection, settings)
    connection.execute("INSERT INTO runs VALUES (1, 'A', 'a', 'gan', 1), (2, 'B', 'b', 'gan', 1)")
    png = b"png"
    for stimulus in range(1, 21):
        if kind == "real-or-fake":  # 1..10 real, 11..19 fake
            role = "noise" if stimulus == 20 else ("real" if stimulus <= 10 else "fake")
            run, item = (1 if role == "fake" else None), stimulus
        else:  # item i: stimulus i of run A (1), stimulus 10 + i of run B (2)
            role = "noise" if stimulus in (10, 20) else "fake"
            run, item = (None if role == "noise" else 1 + stimulus // 10), stimulus % 10
        connection.execute(
            "INSERT INTO stimuli VALUES (?, ?, ?, ?, 'image/png', ?)",
            (stimulus, role, run, item, png),
        )
    people = {row[0] for row in answers} | {row[0] for row in catches}
    for person in sorted(people):
        connection.execute(
            "INSERT INTO participants (id, token, created, finished) VALUES (?, ?, 0, 1)",
            (person, f"token-{person}"),
        )
    for k in range(unfinished):
        connection.execute(
            "INSERT INTO participants (token, created) VALUES (?, 0)", (f"unfinished-{k}",)
        )
    position = 0
    for person, stimulus, truth, choice, correct in answers:
        position += 1
        if kind == "real-or-fake":
            left, right = stimulus, None
        else:  # stimulus = the item; truth = the run on the left
            a, b = stimulus, 10 + stimulus
            left, right, truth = (a, b, None) if truth == 1 else (b, a, None)
        connection.execute(
            "INSERT INTO trials (participant_id, position, phase, kind, left_id, right_id, truth,"
            " shown, choice, correct, reaction_ms, answered) "
            "VALUES (?, ?, 'main', 'test', ?, ?, ?, 0, ?, ?, 100, 1)",
            (person, position, left, right, truth, choice, correct),
        )
    for person, correct in catches:
        position += 1
        connection.execute(
            "INSERT INTO trials (participant_id, position, phase, kind, left_id, truth, shown, "
            "choice, correct, answered) VALUES (?, ?, 'main', 'catch', 20, 'fake', 0, ?, ?, 1)",
            (person, position, "fake" if correct else "real", int(correct)),
        )
    connection.close()


def reference_bootstrap(answers, strata, resamples, seed):
    """The two-way bootstrap written plainly: ``answers`` are (participant, stimulus, value)
    with participants 0..P-1; ``strata`` lists the stimuli of each stratum in sorted order.
    Each resample: participants drawn, then each stratum's stimuli drawn, with replacement;
    every answer counted once per draw of its participant times per draw of its stimulus."""
    rng = np.random.default_rng(seed)
    count = max(p for p, _, _ in answers) + 1
    rates = []
    for _ in range(resamples):
        people = list(rng.integers(0, count, count))
        stimuli = []
        for members in strata:
            stimuli += [members[i] for i in rng.integers(0, len(members), len(members))]
        total = hits = 0.0
        for person in people:
            for stimulus in stimuli:
                for p, s, value in answers:
                    if p == person and s == stimulus:
                        total += 1
                        hits += value
        if total:
            rates.append(hits / total)
    return np.percentile(rates, 2.5), np.percentile(rates, 97.5)


def test_real_or_fake_report_equals_hand_computed(tmp_path):
    # Participants 1 and 2 count; 3 failed the catch (excluded); one more never finished.
    # Stimuli 1, 2 real; 11, 12 fake.
    answers = [
        (1, 1, "real", "real", 1), (1, 2, "real", "fake", 0),
        (1, 11, "fake", "real", 0), (1, 12, "fake", "fake", 1),
        (2, 1, "real", "fake", 0), (2, 2, "real", "fake", 0),
        (2, 11, "fake", "real", 0), (2, 12, "fake", "real", 0),
        (3, 1, "real", "real", 1), (3, 11, "fake", "fake", 1),
    ]  # fmt: skip
    hand_study(tmp_path / "s.db", "real-or-fake", answers, [(1, 1), (2, 1), (3, 0)], unfinished=1)
    report = study_report(tmp_path / "s.db")
    assert (report["participants"], report["finished"], report["excluded"]) == (4, 3, 1)
    assert (report["counted"], report["unfinished"]) == (2, 1)
    run = report["real_or_fake"][0]
    # Errors on real: participant 1 missed stimulus 2, participant 2 both: 3 of 4.
    assert run["error_real"]["rate"] == pytest.approx(3 / 4)
    # Errors on fake: participant 1 missed 11, participant 2 both: 3 of 4; together 6 of 8.
    assert run["error_fake"]["rate"] == pytest.approx(3 / 4)
    assert run["error"]["rate"] == pytest.approx(6 / 8)
    assert run["error"]["answers"] == 8
    # Indices as the report numbers them: counted participants 0, 1; stimuli 1, 2, 11, 12 -> 0..3.
    counted = [(p - 1, [1, 2, 11, 12].index(s), 1.0 - c) for p, s, _, _, c in answers if p < 3]
    low, high = reference_bootstrap(counted, [[0, 1], [2, 3]], 300, 0)
    from swgen.study.report import Answers, bootstrap_interval

    mine = bootstrap_interval(
        Answers(
            participant=np.array([a[0] for a in counted]),
            stimulus=np.array([a[1] for a in counted]),
            stratum=np.array([0, 0, 1, 1]),
            value=np.array([a[2] for a in counted]),
        ),
        resamples=300,
    )
    assert mine == pytest.approx((low, high))
    # The report itself: the same procedure at the full count.
    full = reference_bootstrap(counted, [[0, 1], [2, 3]], BOOTSTRAP_RESAMPLES, 0)
    assert run["error"]["interval"] == pytest.approx(full)
    real_only = [a for a in counted if a[1] < 2]
    assert run["error_real"]["interval"] == pytest.approx(
        reference_bootstrap(real_only, [[0, 1], [2, 3]], BOOTSTRAP_RESAMPLES, 0)
    )


def test_preference_report_equals_hand_computed(tmp_path):
    # (participant, item, run on the left, choice): A chosen in 4 of 6 trials.
    trials = [(1, 1, 1, "left"), (1, 2, 2, "left"), (1, 3, 2, "right"),
              (2, 1, 2, "right"), (2, 2, 1, "right"), (2, 3, 1, "left")]  # fmt: skip
    answers = [(p, item, run, choice, None) for p, item, run, choice in trials]
    hand_study(tmp_path / "p.db", "preference", answers, [(1, 1), (2, 1)])
    report = study_report(tmp_path / "p.db")
    pair = report["preference"][0]
    assert (pair["run_a"], pair["run_b"]) == ("A", "B")
    chose_a = [(run == 1) == (choice == "left") for _, _, run, choice in trials]
    assert chose_a == [True, False, True, True, False, True]
    assert pair["share_a"]["rate"] == pytest.approx(4 / 6)
    counted = [
        (p - 1, item - 1, float(a)) for (p, item, _, _), a in zip(trials, chose_a, strict=True)
    ]
    expected = reference_bootstrap(counted, [[0, 1, 2]], BOOTSTRAP_RESAMPLES, 0)
    assert pair["share_a"]["interval"] == pytest.approx(expected)


def test_report_command_writes_table_json_and_plot(runs, tmp_path, capsys):
    assert main(["study", "report", str(runs / "rof.db"), "-o", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "error on real" in out and "0 counted" in out
    saved = json.loads((tmp_path / "r" / "report.json").read_text())
    assert saved["kind"] == "real-or-fake" and saved["participants"] == 0
    assert Image.open(tmp_path / "r" / "report.png").size == (640, 360)


# --- the protocol -----------------------------------------------------------------------------


def test_plans_balance_real_and_fake_and_sides():
    settings = {"kind": "real-or-fake", "trials": 10, "catch_trials": 3, "tutorial_trials": 3}
    pools = {"real": list(range(1, 11)), "fake": list(range(11, 21)), "noise": [21, 22, 23],
             "tutorial-real": [24, 25], "tutorial-fake": [26, 27]}  # fmt: skip
    plan = plan_trials(settings, pools, participant_rng(0, 1))
    assert [t.phase for t in plan] == ["tutorial"] * 3 + ["main"] * 13
    scored = [t for t in plan if t.phase == "main" and t.kind == "test"]
    assert sorted(t.truth for t in scored) == ["fake"] * 5 + ["real"] * 5
    assert len({t.left for t in scored}) == 10  # no image twice
    assert sum(t.kind == "catch" and t.left in pools["noise"] for t in plan) == 3
    assert plan == plan_trials(settings, pools, participant_rng(0, 1))  # seeded
    assert plan != plan_trials(settings, pools, participant_rng(0, 2))
    settings = {"kind": "preference", "trials": 6, "catch_trials": 2, "tutorial_trials": 1}
    pools = {"fake:1": [1, 2, 3, 4, 5, 6], "fake:2": [7, 8, 9, 10, 11, 12], "real": [13],
             "noise": [14]}  # fmt: skip
    plan = plan_trials(settings, pools, participant_rng(3, 1))
    scored = [t for t in plan if t.kind == "test" and t.phase == "main"]
    assert sum(t.left in pools["fake:1"] for t in scored) == 3  # A on the left in half
    for t in scored:  # item i of A beside item i of B
        a, b = (t.left, t.right) if t.left <= 6 else (t.right, t.left)
        assert b == a + 6
    catches = [t for t in plan if t.kind == "catch"]
    assert all({t.left, t.right} == {13, 14} for t in catches)
    assert all((t.left == 13) == (t.truth == "left") for t in catches)


def test_staircase_is_three_down_one_up_within_bounds():
    exposure, streak = STAIRCASE["start_ms"], 0
    for _ in range(2):
        exposure, streak = next_exposure(exposure, streak, True)
    assert (exposure, streak) == (500, 2)
    assert next_exposure(exposure, streak, True) == (450, 0)
    assert next_exposure(exposure, streak, False) == (550, 0)
    assert next_exposure(100, 2, True) == (100, 0)
    assert next_exposure(1000, 0, False) == (1000, 0)
    assert modal_exposure([500, 450, 450, 500, 400]) == 450  # tie: the shorter
    assert is_excluded([True, False], 0) and not is_excluded([True, False], 1)


# --- stimuli of runs --------------------------------------------------------------------------


def test_created_study_holds_shuffled_decodable_stimuli(runs):
    connection, settings = db.open_study(runs / "rof.db")
    assert (settings["format"], settings["kind"], settings["trials"]) == (
        "swgen-study-1",
        "real-or-fake",
        4,
    )
    roles = dict(connection.execute("SELECT role, count(*) FROM stimuli GROUP BY role"))
    assert roles == {"real": 6, "fake": 6, "tutorial-real": 1, "tutorial-fake": 1, "noise": 2}
    ordered = [role for (role,) in connection.execute("SELECT role FROM stimuli ORDER BY id")]
    changes = sum(a != b for a, b in zip(ordered, ordered[1:], strict=False))
    assert changes > len(roles) - 1  # shuffled: roles are not in blocks of ids
    for media_type, data in connection.execute("SELECT media_type, data FROM stimuli"):
        assert media_type == "image/png"
        assert Image.open(io.BytesIO(data)).size == (8, 8)
    assert settings["display_px"] == 256 and settings["pixelated"]
    run = connection.execute("SELECT label, model, step FROM runs").fetchall()
    assert run == [("gan-a", "gan", 1)]
    connection.close()


def test_translation_runs_show_inputs_beside_outputs():
    """A stand-in translation run: paired data show input | output against input | target;
    unpaired data show the outputs alone against target-domain images."""
    inputs = torch.zeros(3, 1, 4, 4)
    targets = torch.ones(3, 3, 4, 4)  # model space: to_data_space gives 1.0

    def stand_in(pairing):
        data = SimpleNamespace(
            info=SimpleNamespace(pairing=pairing),
            held_out=lambda n, direction, seed: SimpleNamespace(x=inputs[:n], y=targets[:n]),
            to_data_space=lambda x: (x + 1) / 2,
        )
        return SimpleNamespace(
            model=SimpleNamespace(maps_data=True, directions=("AtoB",)),
            data=data,
            translate=lambda x, d: [x, torch.full((len(x), 3, 4, 4), 0.25)],
        )

    fake, real = run_stimuli(stand_in("paired"), 3, 0, True)
    assert fake.shape == real.shape == (3, 3, 4, 10)  # 4 + 2 px gap + 4
    assert torch.all(fake[..., 6:] == 0.25) and torch.all(real[..., 6:] == 1.0)
    assert torch.all(fake[..., 4:6] == 1.0)  # the white gap
    fake, real = run_stimuli(stand_in("unpaired"), 3, 0, True)
    assert fake.shape == real.shape == (3, 3, 4, 4)
    fake, _ = run_stimuli(stand_in("unpaired"), 3, 0, False)  # preference: pairs always
    assert fake.shape == (3, 3, 4, 10)


def test_clips_become_looping_gifs():
    clip = torch.rand(3, 5, 6, 6)
    picture = Image.open(io.BytesIO(encode(clip)))
    assert picture.format == "GIF" and picture.n_frames == 5 and picture.info["loop"] == 0
    assert side_by_side(torch.rand(1, 1, 5, 6, 6), clip[None]).shape == (1, 3, 5, 6, 14)


def test_bad_studies_are_one_line_errors(runs, tmp_path):
    other = tmp_path / "other-version.db"
    other.write_bytes((runs / "rof.db").read_bytes())
    connection = sqlite3.connect(other)
    connection.execute("UPDATE settings SET value = '\"swgen-study-0\"' WHERE key = 'format'")
    connection.commit()
    connection.close()
    with pytest.raises(UserError, match="has format 'swgen-study-0', and this swgen reads"):
        db.open_study(other)
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(UserError, match="is not a swgen study"):
        db.open_study(bare)
    before = (runs / "rof.db").read_bytes()
    with pytest.raises(UserError, match="already exists; give a new file name, or add --over"):
        create_study(runs / "rof.db", "real-or-fake", [str(runs / "gan-a")])
    assert (runs / "rof.db").read_bytes() == before


def test_port_in_use_is_one_line(runs, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["study", "serve", str(runs / "rof.db"), "--port", str(port)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == (
        f"swgen: port {port} on 127.0.0.1 is in use; give another with --port "
        "(--port 0 picks a free one)"
    )


# --- the server over HTTP ----------------------------------------------------------------------


class Client:
    """A participant's side of the HTTP conversation (urllib, no redirects followed)."""

    def __init__(self, base: str, link: str) -> None:
        self.base, self.link = base, link

    def request(self, path, body=None, method=None, raw=None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def trial(self):
        status, body = self.request(f"{self.link}api/trial")
        assert status == 200, body
        return json.loads(body)

    def answer(self, trial, choice, nonce=None, reaction=321.5):
        body = {"trial": trial["id"], "nonce": nonce or trial["nonce"], "choice": choice,
                "reaction_ms": reaction}  # fmt: skip
        return self.request(f"{self.link}api/answer", body)


@pytest.fixture
def served(runs, tmp_path):
    """A fresh copy of the real-or-fake study, served on a free port."""
    study = tmp_path / "rof.db"
    study.write_bytes((runs / "rof.db").read_bytes())
    server = StudyServer(Study(study), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, study
    server.shutdown()
    server.server_close()


def enrol(server) -> Client:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(NoRedirect).open(server.url + "/", timeout=10)
    assert redirect.value.code == 303
    return Client(server.url, redirect.value.headers["Location"])


def rows(study: Path, query: str, *parameters):
    connection = sqlite3.connect(study)
    try:
        return connection.execute(query, parameters).fetchall()
    finally:
        connection.close()


def test_every_answer_is_in_the_database_as_given(served):
    server, study = served
    client = enrol(server)
    status, page = client.request(client.link)
    assert status == 200 and b"/static/study.js" in page
    given = []
    while not (state := client.trial())["done"]:
        trial = state["trial"]
        for url in trial["stimuli"]:
            status, data = client.request(url)
            assert status == 200 and data.startswith(b"\x89PNG")
        choice = "fake" if len(given) % 3 else "real"
        status, body = client.answer(trial, choice, reaction=100.0 + len(given))
        assert status == 200, body
        given.append((trial["id"], choice, 100.0 + len(given)))
        stored = rows(study, "SELECT choice, reaction_ms, answered FROM trials WHERE id = ?",
                      trial["id"])  # fmt: skip
        assert stored[0][:2] == (choice, given[-1][2]) and stored[0][2] is not None
        if trial["phase"] == "tutorial":
            assert json.loads(body)["feedback"] is True
    assert len(given) == 2 + 4 + 2  # tutorial, scored, catch
    stored = rows(study, "SELECT id, choice, reaction_ms, correct, truth, server_ms, shown "
                  "FROM trials ORDER BY position")  # fmt: skip
    assert [(r[0], r[1], r[2]) for r in stored] == given
    assert all(r[3] == (r[1] == r[4]) for r in stored)  # correct = choice matches the truth
    assert all(r[5] >= 0 and r[6] > 0 for r in stored)
    main_truths = rows(study, "SELECT truth FROM trials WHERE phase = 'main' AND kind = 'test'")
    assert sorted(t for (t,) in main_truths) == ["fake", "fake", "real", "real"]
    assert rows(study, "SELECT finished IS NOT NULL FROM participants") == [(1,)]
    assert state["code"] and client.answer(trial, "real")[0] == 409  # replay after the end


def test_reload_and_restart_resume_where_the_participant_was(served, runs):
    server, study = served
    client = enrol(server)
    first = client.trial()["trial"]
    assert client.answer(first, "real")[0] == 200
    shown = client.trial()["trial"]
    reloaded = client.trial()["trial"]  # a reload: the same trial, a new nonce
    assert reloaded["id"] == shown["id"] and reloaded["nonce"] != shown["nonce"]
    status, body = client.answer(shown, "real")  # the answer of the earlier showing
    assert status == 409 and b"earlier showing" in body
    # Stop the server mid-trial; a new one on the same file shows the same trial.
    server.shutdown()
    server.server_close()
    again = StudyServer(Study(study), "127.0.0.1", 0)
    threading.Thread(target=again.serve_forever, daemon=True).start()
    try:
        client.base = again.url
        resumed = client.trial()
        assert resumed["trial"]["id"] == shown["id"] and resumed["answered"] == 1
        assert client.answer(resumed["trial"], "fake")[0] == 200
        assert rows(study, "SELECT count(*) FROM trials WHERE answered IS NOT NULL") == [(2,)]
    finally:
        again.shutdown()
        again.server_close()
    server.server_close()


def test_refused_requests_get_4xx_without_traceback(served):
    server, study = served
    client, other = enrol(server), enrol(server)
    trial = client.trial()["trial"]
    unshown = rows(study, "SELECT id FROM trials WHERE participant_id = 1 AND shown IS NULL")[0][0]
    theirs = other.trial()["trial"]
    hidden = rows(
        study, "SELECT left_id FROM trials WHERE participant_id = 1 AND shown IS NULL AND "
        "left_id NOT IN (SELECT left_id FROM trials WHERE participant_id = 1 AND shown > 0)"
    )[0][0]  # fmt: skip
    link = client.link
    cases = [
        (client.answer({"id": unshown, "nonce": "x"}, "real"), 409, b"never shown"),
        (client.answer(theirs, "real"), 409, b"never shown to you"),
        (client.answer(trial, "maybe"), 400, b"choice must be real or fake"),
        (client.answer(trial, "real", reaction=-5), 400, b"reaction_ms"),
        (client.answer(trial, "real", nonce="forged"), 409, b"earlier showing"),
        (client.request(f"{link}api/answer", raw=b"{not json"), 400, b"JSON object"),
        (client.request(f"{link}api/answer", raw=b"[1, 2]"), 400, b"JSON object"),
        (client.request(f"{link}api/answer", raw=b"x" * 5000), 413, b"small JSON"),
        (client.request("/p/AAAAAAAAAAAAAAAAAAAAAA/api/trial"), 403, b"not a participant link"),
        (client.request("/p/../../etc/passwd"), 404, b"no such page"),
        (client.request(f"{link}stimulus/0"), 404, b"no stimulus"),
        (client.request(f"{link}stimulus/99999"), 404, b"no stimulus"),
        (client.request(f"{link}stimulus/-1"), 404, b"no stimulus"),
        (client.request(f"{link}stimulus/{hidden}"), 404, b"not in a trial shown to you"),
        (client.request(f"{link}stimulus/..%2f..%2fdb.py"), 404, b"no stimulus"),
        (client.request("/static/../db.py"), 404, b"no such page"),
        (client.request("/static/study.js/../../server.py"), 404, b"no such page"),
        (client.request("/etc/passwd"), 404, b"no such page"),
        (client.request(link, method="PUT", raw=b""), 405, b"GET and POST only"),
    ]
    for (status, body), expected, message in cases:
        assert status == expected, (status, body)
        assert message in body and b"Traceback" not in body, body
    assert client.answer(trial, "real")[0] == 200  # the right answer still goes through
    assert client.answer(trial, "real")[0] == 409  # and only once
    answered = rows(study, "SELECT participant_id, choice FROM trials WHERE answered IS NOT NULL")
    assert answered == [(1, "real")]


def test_network_hosts_take_only_minted_links(served):
    server, _ = served
    server.open_enrolment = False  # as when serving on a network address
    status, body = Client(server.url, "").request("/")
    assert status == 403 and b"personal links" in body
    link = f"/p/{server.study.new_participant()}/"
    assert Client(server.url, link).trial()["trial"]["phase"] == "tutorial"


def test_staircase_exposure_follows_the_answers(runs, tmp_path):
    study = tmp_path / "timed.db"
    assert main(["study", "create", str(study), "--kind", "real-or-fake", str(runs / "gan-a"),
                 "--trials", "6", "--catch", "0", "--tutorial", "1", "--stimuli", "3",
                 "--exposure", "staircase"]) == 0  # fmt: skip
    server = StudyServer(Study(study), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = enrol(server)
        exposures = []
        while not (state := client.trial())["done"]:
            trial = state["trial"]
            truth = rows(study, "SELECT truth FROM trials WHERE id = ?", trial["id"])[0][0]
            exposures.append(trial["exposure_ms"])
            assert client.answer(trial, truth)[0] == 200  # always right
    finally:
        server.shutdown()
        server.server_close()
    # Tutorial at the start; three right answers: 50 ms shorter; three more: shorter again.
    assert exposures == [500, 500, 500, 500, 450, 450, 450]
    assert rows(study, "SELECT exposure_ms, streak FROM participants") == [(400, 0)]
    report = study_report(study)
    assert report["real_or_fake"][0]["hype_time_ms"]["mean"] == 450
    assert report["real_or_fake"][0]["error"]["rate"] == 0
