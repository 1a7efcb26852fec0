"""``swgen study serve``: the study's web page, on the standard library's HTTP server.

Why ``http.server`` and ``sqlite3``, not a framework (docs/study.md has the measurements): a
study page needs five routes and a few requests a second; both modules ship with Python, so
swgen gains no dependency and the page works on an offline machine.

The server keeps all state (``Study``): it fixes each participant's plan when they arrive,
decides the next trial, and accepts only the answer to the trial it showed last, carrying the
one-time ``nonce`` it was shown with. A reload shows the same trial again (a new nonce); an
answer is committed in its own transaction before it is acknowledged, so stopping the server
loses nothing. Requests never name a file: the page's three files are a fixed table, and images
come from the database by stimulus id, only those of trials shown to the asking participant.

Routes (``TOKEN`` is a participant's random link token):

* ``GET /``: on a loopback address, a new participant, redirected to their link; elsewhere 403,
  since participants come with links minted by ``--links N``;
* ``GET /p/TOKEN/``: the page; ``GET /static/study.js|study.css``: its script and style;
* ``GET /p/TOKEN/api/trial``: the current trial (or ``done``); ``POST /p/TOKEN/api/answer``;
* ``GET /p/TOKEN/stimulus/ID``: a stimulus's bytes.
"""

from __future__ import annotations

import errno
import hashlib
import ipaddress
import json
import re
import secrets
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from swgen.errors import UserError
from swgen.study import db
from swgen.study.protocol import (
    is_correct,
    next_exposure,
    participant_rng,
    plan_trials,
)

PAGE_FILES = {  # URL -> (file in swgen/study/page, media type): the only files ever served
    "/static/study.js": ("study.js", "text/javascript; charset=utf-8"),
    "/static/study.css": ("study.css", "text/css; charset=utf-8"),
}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16)
MAX_BODY = 4096  # bytes of an answer's JSON
MAX_REACTION_MS = 24 * 3600 * 1000
CHOICES = {"real-or-fake": ("real", "fake"), "preference": ("left", "right")}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # links carry the participant's token
    "Cache-Control": "no-store",
}


class HttpError(Exception):
    """A request the study refuses: a 4xx status and one line saying why."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class Study:
    """The server-side state of one study file: participants, plans, answers."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        connection, self.settings = db.open_study(self.path)
        with connection:
            rows = connection.execute("SELECT id, role, run_id FROM stimuli ORDER BY item, id")
            self.pools: dict[str, list[int]] = {}
            for stimulus, role, run in rows:
                key = f"{role}:{run}" if role == "fake" and self.kind == "preference" else role
                self.pools.setdefault(key, []).append(stimulus)
            self.stimulus_count = connection.execute("SELECT count(*) FROM stimuli").fetchone()[0]
        connection.close()

    @property
    def kind(self) -> str:
        return self.settings["kind"]

    def connect(self) -> sqlite3.Connection:
        return db.connect(self.path)

    def new_participant(self) -> str:
        """A participant with their whole plan fixed now, from the seed and their number."""
        token = secrets.token_urlsafe(16)
        connection = self.connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            staircase = self.settings.get("staircase")
            cursor = connection.execute(
                "INSERT INTO participants (token, created, exposure_ms) VALUES (?, ?, ?)",
                (token, time.time(), staircase["start_ms"] if staircase else None),
            )
            participant = cursor.lastrowid
            plan = plan_trials(
                self.settings, self.pools, participant_rng(self.settings["seed"], participant)
            )
            connection.executemany(
                "INSERT INTO trials (participant_id, position, phase, kind, left_id, right_id, "
                "truth) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (participant, position, t.phase, t.kind, t.left, t.right, t.truth)
                    for position, t in enumerate(plan)
                ],
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
        return token

    @contextmanager
    def transaction(self, token: str) -> Iterator[tuple[sqlite3.Connection, tuple]]:
        """A write transaction on behalf of the participant of ``token`` (403 for a token that
        is not theirs): committed when the block ends, rolled back when it raises."""
        connection = self.connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield connection, self.participant(connection, token)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    def participant(self, connection: sqlite3.Connection, token: str) -> tuple:
        if not TOKEN.match(token):
            raise HttpError(HTTPStatus.FORBIDDEN, "not a participant link of this study")
        row = connection.execute(
            "SELECT id, exposure_ms, streak, finished FROM participants WHERE token = ?", (token,)
        ).fetchone()
        if row is None:
            raise HttpError(HTTPStatus.FORBIDDEN, "not a participant link of this study")
        return row

    def current_trial(self, token: str) -> dict[str, Any]:
        """Show the participant's first unanswered trial (again, after a reload)."""
        with self.transaction(token) as (connection, (participant, exposure, _, _)):
            row = connection.execute(
                "SELECT id, position, phase, kind, left_id, right_id, exposure_ms FROM trials "
                "WHERE participant_id = ? AND answered IS NULL ORDER BY position LIMIT 1",
                (participant,),
            ).fetchone()
            counts = dict(
                connection.execute(
                    "SELECT phase, count(*) FROM trials WHERE participant_id = ? GROUP BY phase",
                    (participant,),
                ).fetchall()
            )
            answered = connection.execute(
                "SELECT count(*) FROM trials WHERE participant_id = ? AND answered IS NOT NULL",
                (participant,),
            ).fetchone()[0]
            if row is None:
                return {"done": True, "code": completion_code(token), "answered": answered}
            trial, position, phase, kind, left, right, shown_exposure = row
            if shown_exposure is None and self.settings["exposure"] == "staircase":
                # The tutorial runs at the starting exposure; the rest follows the staircase.
                tutorial = phase == "tutorial"
                shown_exposure = self.settings["staircase"]["start_ms"] if tutorial else exposure
            nonce = secrets.token_urlsafe(12)
            connection.execute(
                "UPDATE trials SET nonce = ?, shown = ?, shows = shows + 1, exposure_ms = ? "
                "WHERE id = ?",
                (nonce, time.time(), shown_exposure, trial),
            )
        tutorial_count = counts.get("tutorial", 0)
        in_phase = position + 1 if phase == "tutorial" else position + 1 - tutorial_count
        return {
            "done": False,
            "kind": self.kind,
            "answered": answered,
            "trial": {
                "id": trial,
                "nonce": nonce,
                "phase": phase,
                "number": in_phase,
                "of": counts.get(phase, 0),
                "first_scored": phase == "main" and in_phase == 1,
                "stimuli": [
                    f"/p/{token}/stimulus/{stimulus}" for stimulus in (left, right) if stimulus
                ],
                "exposure_ms": shown_exposure,
                "fixation_ms": self.settings["fixation_ms"],
                "display_px": self.settings["display_px"],
                "pixelated": self.settings["pixelated"],
            },
        }

    def answer(self, token: str, body: Any) -> dict[str, Any]:
        """Record the answer to the trial shown last, in one transaction; feedback for the
        tutorial's trials."""
        trial_id, nonce, choice, reaction_ms = self.check_answer(body)
        with self.transaction(token) as (connection, (participant, exposure, streak, _)):
            row = connection.execute(
                "SELECT participant_id, phase, kind, truth, nonce, shown, answered, position, "
                "exposure_ms FROM trials WHERE id = ?",
                (trial_id,),
            ).fetchone()
            if row is None or row[0] != participant or row[5] is None:
                raise HttpError(HTTPStatus.CONFLICT, f"trial {trial_id} was never shown to you")
            _, phase, kind, truth, expected_nonce, shown, answered, position, shown_exposure = row
            if answered is not None:
                raise HttpError(HTTPStatus.CONFLICT, f"trial {trial_id} is already answered")
            if not secrets.compare_digest(str(nonce), str(expected_nonce)):
                raise HttpError(
                    HTTPStatus.CONFLICT, "this answer is for an earlier showing of the trial; "
                    "reload the page",
                )  # fmt: skip
            now = time.time()
            correct = is_correct(truth, choice)
            connection.execute(
                "UPDATE trials SET choice = ?, correct = ?, reaction_ms = ?, server_ms = ?, "
                "answered = ?, nonce = NULL WHERE id = ?",
                (choice, correct, reaction_ms, (now - shown) * 1000, now, trial_id),
            )
            scored = phase == "main" and kind == "test"
            if scored and self.settings["exposure"] == "staircase":
                exposure, streak = next_exposure(shown_exposure, streak, bool(correct))
                connection.execute(
                    "UPDATE participants SET exposure_ms = ?, streak = ? WHERE id = ?",
                    (exposure, streak, participant),
                )
            left = connection.execute(
                "SELECT count(*) FROM trials WHERE participant_id = ? AND answered IS NULL",
                (participant,),
            ).fetchone()[0]
            if left == 0:
                connection.execute(
                    "UPDATE participants SET finished = ? WHERE id = ?", (now, participant)
                )
        if phase == "tutorial":
            return {"feedback": True, "correct": correct, "truth": truth}
        return {"feedback": False}

    def check_answer(self, body: Any) -> tuple[int, str, str, float]:
        if not isinstance(body, dict):
            raise HttpError(HTTPStatus.BAD_REQUEST, "an answer is a JSON object")
        trial, nonce, choice = body.get("trial"), body.get("nonce"), body.get("choice")
        reaction = body.get("reaction_ms")
        if type(trial) is not int or not isinstance(nonce, str):
            raise HttpError(HTTPStatus.BAD_REQUEST, "an answer names its trial and nonce")
        if choice not in CHOICES[self.kind]:
            allowed = " or ".join(CHOICES[self.kind])
            raise HttpError(HTTPStatus.BAD_REQUEST, f"choice must be {allowed}")
        if type(reaction) not in (int, float) or not 0 <= reaction <= MAX_REACTION_MS:
            raise HttpError(HTTPStatus.BAD_REQUEST, "reaction_ms must be a number of ms")
        return trial, nonce, choice, float(reaction)

    def stimulus(self, token: str, text: str) -> tuple[str, bytes]:
        """A stimulus of a trial shown to this participant; 404 for any other id."""
        if not text.isdigit() or not 1 <= int(text) <= self.stimulus_count:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no stimulus {text[:20]!r} in this study")
        connection = self.connect()
        try:
            participant = self.participant(connection, token)[0]
            row = connection.execute(
                "SELECT s.media_type, s.data FROM stimuli s WHERE s.id = ? AND EXISTS ("
                "SELECT 1 FROM trials t WHERE t.participant_id = ? AND t.shown IS NOT NULL "
                "AND (t.left_id = s.id OR t.right_id = s.id))",
                (int(text), participant),
            ).fetchone()
        finally:
            connection.close()
        if row is None:
            raise HttpError(HTTPStatus.NOT_FOUND, f"stimulus {text} is not in a trial shown to you")
        return row[0], row[1]

    def existing_links(self) -> list[str]:
        """Tokens of participants who have not finished."""
        connection = self.connect()
        try:
            rows = connection.execute(
                "SELECT token FROM participants WHERE finished IS NULL ORDER BY id"
            ).fetchall()
        finally:
            connection.close()
        return [token for (token,) in rows]


def completion_code(token: str) -> str:
    """A short code a participant can quote (e.g. to a crowd platform), derived from the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:8].upper()


def page_file(name: str) -> bytes:
    return resources.files("swgen.study").joinpath("page", name).read_bytes()


class StudyHandler(BaseHTTPRequestHandler):
    server: StudyServer
    server_version = "swgen-study"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.respond(self.route_get)

    def do_POST(self) -> None:  # noqa: N802
        self.respond(self.route_post)

    def do_HEAD(self) -> None:  # noqa: N802
        self.respond(self.refuse_method)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD  # noqa: N815

    def refuse_method(self, parts: list[str]) -> None:
        raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, "this study answers GET and POST only")

    def respond(self, route: Any) -> None:
        """Run ``route``; a refused request gets its 4xx, anything unforeseen a bare 500 (the
        traceback goes to the server's terminal in one line, never to the browser)."""
        try:
            path = urlsplit(self.path).path
            route([part for part in path.split("/")][1:])
        except HttpError as error:
            self.send_json({"error": str(error)}, error.status)
        except (ConnectionError, TimeoutError):
            pass  # the browser went away
        except Exception as error:  # noqa: BLE001 (a server keeps serving)
            print(f"swgen: study server: {type(error).__name__}: {error}", file=sys.stderr)
            self.send_json({"error": "internal error"}, HTTPStatus.INTERNAL_SERVER_ERROR)

    def route_get(self, parts: list[str]) -> None:
        study = self.server.study
        if parts == [""]:
            if not self.server.open_enrolment:
                raise HttpError(
                    HTTPStatus.FORBIDDEN,
                    "this study is taken through personal links; ask its organiser for yours",
                )
            self.send_response(HTTPStatus.SEE_OTHER)
            self.send_header("Location", f"/p/{study.new_participant()}/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        url = "/" + "/".join(parts)
        if url in PAGE_FILES:
            name, media_type = PAGE_FILES[url]
            self.send_bytes(page_file(name), media_type)
            return
        match parts:
            case ["p", token, ""]:
                connection = study.connect()
                try:
                    study.participant(connection, token)
                finally:
                    connection.close()
                self.send_bytes(page_file("index.html"), "text/html; charset=utf-8")
            case ["p", token, "api", "trial"]:
                self.send_json(study.current_trial(token))
            case ["p", token, "stimulus", stimulus]:
                media_type, data = study.stimulus(token, stimulus)
                self.send_bytes(data, media_type)
            case _:
                raise HttpError(HTTPStatus.NOT_FOUND, "no such page in this study")

    def route_post(self, parts: list[str]) -> None:
        match parts:
            case ["p", token, "api", "answer"]:
                self.send_json(self.server.study.answer(token, self.read_json()))
            case _:
                raise HttpError(HTTPStatus.NOT_FOUND, "no such page in this study")

    def read_json(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise HttpError(
                HTTPStatus.LENGTH_REQUIRED, "an answer needs a Content-Length"
            ) from None
        if not 0 <= length <= MAX_BODY:
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "an answer is a small JSON object")
        try:
            return json.loads(self.rfile.read(length))
        except (ValueError, UnicodeError):
            raise HttpError(HTTPStatus.BAD_REQUEST, "an answer is a JSON object") from None

    def send_json(self, payload: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_bytes(json.dumps(payload).encode(), "application/json", status)

    def send_bytes(self, data: bytes, media_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request would bury the study's own messages


class StudyServer(ThreadingHTTPServer):
    """The study's HTTP server on ``host:port`` (port 0: a free one). On a loopback address a
    visit to ``/`` enrols a new participant; elsewhere only minted links are accepted."""

    daemon_threads = True

    def __init__(self, study: Study, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.study = study
        self.open_enrolment = is_loopback(host)
        if ":" in host:
            self.address_family = socket.AF_INET6
        try:
            super().__init__((host, port), StudyHandler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} on {host} is in use; give another with --port "
                    "(--port 0 picks a free one)"
                ) from None
            if error.errno == errno.EACCES:
                raise UserError(
                    f"no permission to serve on port {port}; give a port above 1023 with --port"
                ) from None
            raise UserError(
                f"cannot serve on {host}:{port} ({error.strerror or error}); give an address of "
                "this machine with --host"
            ) from None

    def handle_error(self, request: Any, client_address: Any) -> None:
        print(f"swgen: study server: a request from {client_address[0]} failed", file=sys.stderr)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = host
        if host in ("0.0.0.0", "::"):
            shown = socket.gethostname()
        elif ":" in host:
            shown = f"[{host}]"
        return f"http://{shown}:{port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise UserError(f"--port must be between 0 and 65535, got {port}")
