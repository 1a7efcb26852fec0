"""A screenshot of the ``swgen study`` page, taken by headless Chromium as a participant sees it.

    python benchmarks/study_screenshot.py RUN [-o docs/study.png]
    python benchmarks/study_screenshot.py RUN_A RUN_B --kind preference -o study-preference.png

Creates a throwaway study of RUN (or RUN_A against RUN_B) in a temporary folder, serves it on a
free port of 127.0.0.1, opens it in Debian's ``chromium`` through ``chromium-driver`` and
Selenium, passes the introduction and takes the picture of the first tutorial trial.

Needs ``apt-get install chromium chromium-driver`` and ``pip install selenium`` (the test
extra). ``chromium_driver`` is also what tests/test_study_browser.py drives the page with.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver", "chromium-driver")


def chromium_missing() -> str | None:
    """Why a headless Chromium cannot be driven here (``None`` when it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not any(shutil.which(name) for name in BROWSERS):
        return "chromium is not installed (apt-get install chromium chromium-driver)"
    if not any(shutil.which(name) for name in DRIVERS):
        return "chromium-driver is not installed (apt-get install chromium-driver)"
    return None


def chromium_driver(width: int = 1000, height: int = 720) -> Any:
    """A headless Chromium under Selenium, on the installed browser and driver (Selenium's own
    driver download is never used: the machine may be offline)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(n) for n in BROWSERS if shutil.which(n))
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    driver_path = next(shutil.which(n) for n in DRIVERS if shutil.which(n))
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def serve(study: Path) -> Any:
    """The study's server on a free loopback port, serving from a daemon thread."""
    from swgen.study.server import Study, StudyServer

    server = StudyServer(Study(study), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def take_screenshot(runs: list[str], kind: str, output: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from swgen.study.create import create_study

    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "study.db"
        create_study(study, kind, runs, trials=10, stimuli=10)
        server = serve(study)
        driver = chromium_driver()
        try:
            driver.get(f"{server.url}/")
            wait = WebDriverWait(driver, 30)
            wait.until(ready.element_to_be_clickable((By.ID, "start"))).click()
            first = "answer-real" if kind == "real-or-fake" else "answer-left"
            wait.until(ready.element_to_be_clickable((By.ID, first)))
            output.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(output))
        finally:
            driver.quit()
            server.shutdown()
            server.server_close()
    print(f"wrote {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="RUN")
    parser.add_argument("--kind", default="real-or-fake", choices=["real-or-fake", "preference"])
    parser.add_argument("-o", "--output", default="docs/study.png")
    args = parser.parse_args()
    missing = chromium_missing()
    if missing is not None:
        raise SystemExit(f"study_screenshot: {missing}")
    take_screenshot(args.runs, args.kind, Path(args.output))


if __name__ == "__main__":
    main()
