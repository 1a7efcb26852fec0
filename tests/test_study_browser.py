"""End to end: a real headless Chromium (Debian's chromium and chromium-driver, through
Selenium) takes a short study of each kind on the served page, clicking the introduction, the
tutorial's feedback and every trial; then the database rows and the report are checked.

Skipped, with the reason, where chromium, chromium-driver or selenium is missing (.ci/run
installs them when it runs as root with apt)."""

import sqlite3
import sys
import threading
from pathlib import Path

import pytest

from swgen.cli import main
from swgen.study.report import study_report
from swgen.study.server import Study, StudyServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from study_screenshot import chromium_driver, chromium_missing  # noqa: E402

pytestmark = pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))

TINY = ["--data", "digits", "data.image_size=8", "data.limit=32", "model.width=4"]
QUIET = ["train.progress=false", "train.steps=1", "train.batch_size=8"]
SMALL = ["--trials", "4", "--catch", "1", "--tutorial", "2", "--stimuli", "4"]


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    d = tmp_path_factory.mktemp("browser")
    for name, seed in (("gan-a", "0"), ("gan-b", "1")):
        argv = ["train", "--model", "gan", *TINY, *QUIET, "--seed", seed, "--out", str(d / name)]
        assert main(argv) == 0
    assert main(["study", "create", str(d / "rof.db"), "--kind", "real-or-fake",
                 str(d / "gan-a"), *SMALL]) == 0  # fmt: skip
    assert main(["study", "create", str(d / "pref.db"), "--kind", "preference",
                 str(d / "gan-a"), str(d / "gan-b"), *SMALL]) == 0  # fmt: skip
    return d


@pytest.fixture(scope="module")
def browser():
    driver = chromium_driver()
    yield driver
    driver.quit()


def serve(study: Path) -> StudyServer:
    server = StudyServer(Study(study), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def click(driver, element_id: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(ready.element_to_be_clickable((By.ID, element_id))).click()


def take_study(driver, server: StudyServer, answers: list[str], reload_at: int) -> str:
    """Go through the whole study in the browser, clicking ``answers`` in turn (answer buttons
    or images, ``next`` after the tutorial's feedback, ``begin`` after the tutorial); reload
    the page once, before click number ``reload_at``. Returns the completion code shown."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    driver.get(f"{server.url}/")
    click(driver, "start")
    for index, answer in enumerate(answers):
        if index == reload_at:
            driver.refresh()  # resumes at the same trial, without the introduction
        before = driver.find_element(By.ID, "progress").text
        click(driver, answer)
        if answer in ("next", "begin"):
            continue

        def moved_on(d, before=before):
            screens = ("feedback", "interlude", "done")
            if any(d.find_element(By.ID, screen).is_displayed() for screen in screens):
                return True
            return d.find_element(By.ID, "progress").text != before

        wait.until(moved_on)  # the answer is stored and the next screen is up
    wait.until(ready.visibility_of_element_located((By.ID, "done")))
    return driver.find_element(By.ID, "code").text


def scored_truths(study: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(study)
    try:
        return connection.execute(
            "SELECT truth, choice FROM trials WHERE phase = 'main' AND kind = 'test'"
        ).fetchall()
    finally:
        connection.close()


def test_real_or_fake_study_in_a_browser(studies, browser):
    server = serve(studies / "rof.db")
    try:
        # Tutorial: two trials, each followed by its feedback; then the study's five.
        tutorial = ["answer-real", "next", "answer-fake", "next"]
        scored = ["begin", "answer-fake", "answer-real", "answer-fake", "answer-real",
                  "answer-fake"]  # fmt: skip
        code = take_study(browser, server, tutorial + scored, reload_at=6)
    finally:
        server.shutdown()
        server.server_close()
    assert len(code) == 8
    connection = sqlite3.connect(studies / "rof.db")
    stored = connection.execute(
        "SELECT phase, choice, reaction_ms, shows FROM trials ORDER BY position"
    ).fetchall()
    connection.close()
    expected = ["real", "fake", "fake", "real", "fake", "real", "fake"]
    assert [row[1] for row in stored] == expected
    assert [row[0] for row in stored] == ["tutorial"] * 2 + ["main"] * 5
    assert all(row[2] > 0 for row in stored)  # reaction times measured by the page
    assert sum(row[3] for row in stored) == len(stored) + 1  # one trial shown twice (reload)
    report = study_report(studies / "rof.db")
    assert report["finished"] == 1 and report["counted"] + report["excluded"] == 1
    errors = [row[1] != row[0] for row in scored_truths(studies / "rof.db")]
    expected_rate = sum(errors) / len(errors) if report["counted"] else None
    assert report["real_or_fake"][0]["error"]["rate"] == expected_rate
    assert main(["study", "report", str(studies / "rof.db")]) == 0
    assert (studies / "rof-report" / "report.png").is_file()


def test_preference_study_in_a_browser(studies, browser):
    server = serve(studies / "pref.db")
    try:
        tutorial = ["answer-left", "next", "stimulus-right", "next"]
        scored = ["begin", "answer-left", "stimulus-left", "answer-right", "answer-left",
                  "stimulus-right"]  # fmt: skip
        take_study(browser, server, tutorial + scored, reload_at=100)
    finally:
        server.shutdown()
        server.server_close()
    connection = sqlite3.connect(studies / "pref.db")
    stored = connection.execute(
        "SELECT phase, kind, choice, correct FROM trials ORDER BY position"
    ).fetchall()
    connection.close()
    assert [row[2] for row in stored] == ["left", "right", "left", "left", "right", "left",
                                          "right"]  # fmt: skip
    assert all(row[3] is None for row in stored if row[1] == "test" and row[0] == "main")
    report = study_report(studies / "pref.db")
    assert report["finished"] == 1
    counted = report["counted"]
    share = report["preference"][0]["share_a"]
    assert share["answers"] == (4 if counted else 0)
