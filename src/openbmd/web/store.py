"""Saved scenarios and results: an embedded SQLite database in a file under
the user's data directory (``$OPENBMD_DATA_DIR``, else
``$XDG_DATA_HOME/openbmd``, else ``~/.local/share/openbmd``), or a path given
by the operator (never by a web client)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
import threading
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenario (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    toml TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS result (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created TEXT NOT NULL
);
"""


def default_db_path() -> Path:
    base = os.environ.get("OPENBMD_DATA_DIR")
    if base:
        return Path(base) / "openbmd.sqlite3"
    xdg = os.environ.get("XDG_DATA_HOME")
    root = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return root / "openbmd" / "openbmd.sqlite3"


class Store:
    """A thread-safe wrapper around one SQLite file (one connection per call)."""

    def __init__(self, path=None):
        self.path = Path(path) if path else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as c:
            c.executescript(SCHEMA)

    def _connect(self):
        c = sqlite3.connect(self.path, timeout=10.0)
        c.row_factory = sqlite3.Row
        return c

    @staticmethod
    def _now() -> str:
        return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

    def save_scenario(self, name: str, toml: str) -> int:
        with self._lock, self._connect() as c:
            cur = c.execute("INSERT INTO scenario (name, toml, created) VALUES (?, ?, ?)", (name, toml, self._now()))
            return int(cur.lastrowid)

    def scenarios(self) -> list[dict]:
        with self._connect() as c:
            return [dict(r) for r in c.execute("SELECT id, name, created FROM scenario ORDER BY id")]

    def scenario(self, sid: int) -> dict | None:
        with self._connect() as c:
            r = c.execute("SELECT id, name, toml, created FROM scenario WHERE id = ?", (sid,)).fetchone()
            return dict(r) if r else None

    def delete_scenario(self, sid: int) -> bool:
        with self._lock, self._connect() as c:
            return c.execute("DELETE FROM scenario WHERE id = ?", (sid,)).rowcount > 0

    def save_result(self, scenario: str, kind: str, body: dict) -> int:
        with self._lock, self._connect() as c:
            cur = c.execute("INSERT INTO result (scenario, kind, body, created) VALUES (?, ?, ?, ?)",
                            (scenario, kind, json.dumps(body), self._now()))
            return int(cur.lastrowid)

    def results(self) -> list[dict]:
        with self._connect() as c:
            return [dict(r) for r in c.execute("SELECT id, scenario, kind, created FROM result ORDER BY id")]

    def result(self, rid: int) -> dict | None:
        with self._connect() as c:
            r = c.execute("SELECT id, scenario, kind, body, created FROM result WHERE id = ?", (rid,)).fetchone()
            if not r:
                return None
            d = dict(r)
            d["body"] = json.loads(d["body"])
            return d
