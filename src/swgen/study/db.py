"""The study file: one SQLite database holding a study's settings, its stimuli and every answer.

Nothing a study needs lives outside this file: the stimuli are PNG or GIF bytes in ``stimuli``,
so a study can be copied, served on another machine and reported on without the runs it was
drawn from. Tables:

* ``settings``: ``key -> JSON value`` (``format``, ``kind``, ``trials``, ``seed``, ...);
* ``runs``: the runs whose samples the study shows (label, folder, model, step);
* ``stimuli``: ``role`` (``real``, ``fake``, ``noise``, ``tutorial-real``, ``tutorial-fake``),
  the run of a fake, ``item`` (stimuli of one item come from one seed or one held-out input, so
  a preference trial compares like with like), the media type and the bytes. Their ids are
  shuffled at creation, so an id says nothing about its role;
* ``participants``: a random ``token`` per participant (their link) and the state of their
  staircase (HYPE-time exposure and run of correct answers);
* ``trials``: each participant's plan, fixed when they arrive (stimuli, sides, phase), and, as
  each is shown and answered, its exposure, choice, reaction time and times.

Every answer is committed in its own transaction (rollback journal, ``synchronous=FULL``): a
server stopped at any moment loses no answer it acknowledged.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from swgen.errors import UserError

STUDY_FORMAT = "swgen-study-1"
SQLITE_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, path TEXT NOT NULL, model TEXT NOT NULL,
    step INTEGER NOT NULL
);
CREATE TABLE stimuli (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('real', 'fake', 'noise', 'tutorial-real', 'tutorial-fake')),
    run_id INTEGER REFERENCES runs(id),
    item INTEGER NOT NULL,
    media_type TEXT NOT NULL CHECK (media_type IN ('image/png', 'image/gif')),
    data BLOB NOT NULL
);
CREATE TABLE participants (
    id INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, created REAL NOT NULL, finished REAL,
    exposure_ms INTEGER, streak INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE trials (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    position INTEGER NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('tutorial', 'main')),
    kind TEXT NOT NULL CHECK (kind IN ('test', 'catch')),
    left_id INTEGER NOT NULL REFERENCES stimuli(id),
    right_id INTEGER REFERENCES stimuli(id),
    truth TEXT,
    exposure_ms INTEGER,
    nonce TEXT,
    shown REAL,
    shows INTEGER NOT NULL DEFAULT 0,
    choice TEXT,
    correct INTEGER,
    reaction_ms REAL,
    server_ms REAL,
    answered REAL,
    UNIQUE (participant_id, position)
);
CREATE INDEX trials_by_participant ON trials (participant_id, position);
"""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are opened explicitly with ``BEGIN``),
    waiting up to 10 s for another thread's write."""
    connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = FULL")
    return connection


def create_schema(connection: sqlite3.Connection, settings: dict[str, Any]) -> None:
    connection.executescript(SCHEMA)
    write_settings(connection, {"format": STUDY_FORMAT, **settings})


def write_settings(connection: sqlite3.Connection, settings: dict[str, Any]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        [(key, json.dumps(value)) for key, value in settings.items()],
    )


def read_settings(connection: sqlite3.Connection) -> dict[str, Any]:
    return {key: json.loads(value) for key, value in connection.execute("SELECT * FROM settings")}


def open_study(path: str | Path) -> tuple[sqlite3.Connection, dict[str, Any]]:
    """Open an existing study file for reading and answering, with its settings; one-line
    errors for a missing file, a file that is not a study, and a study of another format."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"'{path}' is a folder; give the study file 'swgen study create' wrote")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        raise UserError(
            f"study file '{path}' does not exist; make one with 'swgen study create'"
        ) from None
    except OSError:
        raise UserError(f"cannot read study file '{path}'; check its permissions") from None
    if header != SQLITE_HEADER:
        raise UserError(
            f"'{path}' is not a study file (not an SQLite database); give the file "
            "'swgen study create' wrote"
        )
    try:
        connection = connect(path)
        settings = read_settings(connection)
    except (sqlite3.Error, ValueError, TypeError):
        raise UserError(
            f"'{path}' is not a swgen study (an SQLite database without a study's settings); "
            "give the file 'swgen study create' wrote"
        ) from None
    found = settings.get("format")
    if found != STUDY_FORMAT:
        connection.close()
        raise UserError(
            f"study file '{path}' has format {found!r}, and this swgen reads {STUDY_FORMAT!r}; "
            "create the study again with this version of swgen"
        )
    return connection, settings
