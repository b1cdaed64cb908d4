"""The dated public record of the EPAA as scenario metadata: what each phase
was announced as, what was deployed when, what was cancelled, each with its
source (``catalog/data/history.toml``).

>>> from openbmd import history, scenario
>>> events = history.history_for(scenario.load("epaa-phase4"))
>>> [e.date for e in events if e.kind == "cancelled"]
['2013-03-15']

An event belongs to a bundled scenario file (``scenario = "epaa-phase3"``); a
scenario shows the events of every file it is built from (the files it
extends, and the members of a phase comparison). Errors are
:class:`HistoryError`: ``FILE:LINE: field 'event[3].date': ...``.
"""

from __future__ import annotations

import datetime as _dt
import re
import tomllib
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from .scenario import ScenarioError

KINDS = ("announced", "planned", "construction", "deployed", "operational", "assessed", "cancelled")
FIELDS = ("phase", "scenario", "date", "kind", "what", "source")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class HistoryError(ScenarioError):
    """A bad history file: the message names the file, line and field."""


@dataclass(frozen=True)
class Event:
    phase: str  # "EPAA", "Phase 1" ... "Phase 4"
    scenario: str  # the bundled scenario file (stem) it belongs to
    date: str  # ISO, as precise as the source: YYYY-MM-DD, YYYY-MM or YYYY
    kind: str  # one of KINDS
    what: str
    source: str  # keys of docs/sources.md, ";"-separated

    @property
    def sources(self) -> list[str]:
        return [s.strip() for s in self.source.split(";") if s.strip()]

    def describe(self) -> str:
        return f"{self.date} {self.phase} {self.kind}: {self.what} [{self.source}]"


def default_file() -> Path:
    return Path(str(resources.files("openbmd") / "catalog" / "data" / "history.toml"))


def _lines(text: str) -> list[int]:
    """Line number of each ``[[event]]`` header."""
    return [no for no, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[event]]")]


def _key_line(text: str, start: int, key: str) -> int:
    lines = text.splitlines()
    for no in range(start, len(lines)):
        s = lines[no].strip()
        if s.startswith("[["):
            break
        if re.match(rf"^{re.escape(key)}\s*=", s):
            return no + 1
    return start


def _check_date(v: str) -> bool:
    m = _DATE.match(v)
    if not m:
        return False
    y, mo, d = (int(x) if x else None for x in m.groups())
    try:
        _dt.date(y, mo or 1, d or 1)
    except ValueError:
        return False
    return 1900 <= y <= 2100


def loads(text: str, name: str = "history.toml", scenarios: set | None = None) -> list[Event]:
    """Validate a history text: every event has each field, a date the
    calendar knows, one of the kinds, a scenario that exists and a source."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HistoryError(f"{name}: not valid TOML: {exc}") from None
    extra = sorted(k for k in doc if k != "event")
    if extra:
        raise HistoryError(f"{name}:1: unknown table {extra[0]!r} (expected only [[event]] entries)")
    events = doc.get("event", [])
    if not isinstance(events, list) or not events:
        raise HistoryError(f"{name}:1: no [[event]] entries")
    heads = _lines(text)
    known = scenarios if scenarios is not None else _bundled_scenarios()
    out = []
    for i, e in enumerate(events):
        head = heads[i] if i < len(heads) else 1

        def err(key, msg, e=e, i=i, head=head):
            line = _key_line(text, head, key) if key in e else head
            return HistoryError(f"{name}:{line}: field 'event[{i + 1}].{key}': {msg}")

        for k in e:
            if k not in FIELDS:
                raise err(k, f"unknown field (expected {', '.join(FIELDS)})")
        for k in FIELDS:
            if k not in e:
                raise err(k, "missing")
            if not isinstance(e[k], str) or not e[k].strip():
                raise err(k, f"expected a non-empty string, got {e[k]!r}")
        if not _check_date(e["date"]):
            raise err("date", f"expected an ISO date YYYY-MM-DD, YYYY-MM or YYYY, got {e['date']!r}")
        if e["kind"] not in KINDS:
            raise err("kind", f"expected one of {', '.join(KINDS)}, got {e['kind']!r}")
        if e["scenario"] not in known:
            raise err("scenario", f"no bundled scenario {e['scenario']!r} (bundled: {', '.join(sorted(known))})")
        out.append(Event(**{k: e[k].strip() for k in FIELDS}))
    return out


def _bundled_scenarios() -> set:
    d = Path(str(resources.files("openbmd") / "scenarios"))
    return {p.stem for p in d.glob("*.toml")}


@lru_cache(maxsize=4)
def _load_cached(path: str) -> tuple:
    p = Path(path)
    return tuple(loads(p.read_text(encoding="utf-8"), p.name))


def load_history(path=None) -> list[Event]:
    """Every event of the history file (the bundled one by default), validated."""
    return list(_load_cached(str(path or default_file())))


def _stems(sc) -> set:
    out = {Path(f).stem for f in getattr(sc, "files", []) or []}
    for p in getattr(sc, "phases", []) or []:
        out |= _stems(p)
    return out


def history_for(sc, events=None) -> list[Event]:
    """The events of the files scenario ``sc`` is built from (a comparison: of
    its members'), by phase, then date."""
    stems = _stems(sc)
    evs = [e for e in (events if events is not None else load_history()) if e.scenario in stems]
    order = {p: i for i, p in enumerate(("EPAA", "Phase 1", "Phase 2", "Phase 3", "Phase 4"))}
    return sorted(evs, key=lambda e: (order.get(e.phase, 99), e.phase, e.date))


def history_table(events) -> pd.DataFrame:
    """One row per event: phase, date, kind, what, source."""
    return pd.DataFrame([asdict(e) for e in events], columns=list(FIELDS)).drop(columns=["scenario"])
