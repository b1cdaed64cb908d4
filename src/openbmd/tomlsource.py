"""Person-written TOML files (scenarios, guarantees, flight tests): reading
them with one clear error per failure, and locating tables and keys by line,
so that every error message names file, line and field.

Used by :mod:`openbmd.scenario`, :mod:`openbmd.guarantee`,
:mod:`openbmd.flighttests` and the web view."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_FILE_BYTES", "Locator", "Source", "fmt_path", "parse_toml", "read_toml", "suggest"]

MAX_FILE_BYTES = 1_000_000  # a scenario is text written by a person; anything larger is a mistake

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


class Locator:
    """Line numbers of tables and keys of one TOML text (for error messages)."""

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        count: dict[str, int] = {}
        cur: tuple = ()
        for no, line in enumerate(text.splitlines(), 1):
            m = _HEADER.match(line)
            if m:
                name = m.group(2).replace('"', "").strip()
                if m.group(1) == "[[":
                    i = count.get(name, 0)
                    count[name] = i + 1
                    cur = (name, i)
                else:
                    cur = tuple(name.split("."))
                self.lines.setdefault(cur, no)
                continue
            k = _KEY.match(line)
            if k:
                self.lines.setdefault(cur + (k.group(1).strip('"'),), no)

    def line(self, path: tuple) -> int | None:
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


@dataclass
class Source:
    path: str
    locator: Locator

    def where(self, path: tuple) -> str:
        line = self.locator.line(path)
        return f"{self.path}:{line}" if line else self.path


def fmt_path(path) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def suggest(name, options) -> str:
    close = difflib.get_close_matches(str(name), list(options), n=3, cutoff=0.6)
    if not close and len(str(name)) >= 3:  # a part of the name ("Deveselu" for "Aegis Ashore Deveselu")
        close = [o for o in options if str(name).lower() in str(o).lower()][:3]
    if not close:
        low = {o.lower(): o for o in options}
        close = [low[c] for c in difflib.get_close_matches(str(name).lower(), list(low), n=3, cutoff=0.6)]
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def parse_toml(text: str, name: str, error) -> tuple[dict, Source]:
    """TOML ``text`` (named ``name`` in messages) and its line locator; a size
    over MAX_FILE_BYTES or bad TOML is one ``error`` naming it."""
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise error(f"{name}: {size / 1e6:.1f} MB of text; at most {MAX_FILE_BYTES / 1e6:g} MB")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{name}: not valid TOML: {exc}") from None
    return doc, Source(name, Locator(text))


def read_toml(path: Path, error, what: str = "scenario") -> tuple[dict, Source]:
    """A person's TOML file (scenario, guarantee, flight test) and its line
    locator; every failure is one ``error`` naming the file: unreadable, over
    MAX_FILE_BYTES, not UTF-8, not TOML."""
    if path.is_dir():
        raise error(f"{path}: is a directory; expected a {what} file (.toml)")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise error(f"{path}: file is {size / 1e6:.1f} MB; a {what} file must be under "
                    f"{MAX_FILE_BYTES / 1e6:g} MB (is this the right file?)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(f"{path}: not a UTF-8 text file") from None
    return parse_toml(text, str(path), error)
