"""Scenarios as the web API names them: a bundled name, ``saved:ID`` (a
scenario saved in the store) or TOML text that may extend bundled scenarios
only. Failures are HTTP errors with one line (404: no such name; 422: bad
text or ID)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from fastapi import HTTPException

from ..tomlsource import suggest


def found(value, what: str):
    """``value``, or a 404 naming what was not found."""
    if value is None:
        raise HTTPException(404, f"no {what}")
    return value


def scenario_from_text(text: str):
    """The scenario of TOML ``text``; it may extend (or compare) bundled scenarios only."""
    from .. import scenario as S

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HTTPException(422, f"scenario text: not valid TOML: {exc}") from None
    ext = doc.get("scenario", {}).get("extends") if isinstance(doc.get("scenario"), dict) else None
    refs = ([ext] if ext else []) + list((doc.get("phases") or {}).get("members", []) if isinstance(doc.get("phases"), dict) else [])
    for r in refs:
        if not isinstance(r, str) or r not in S.bundled_names():
            raise HTTPException(422, f"scenario text: may extend bundled scenarios only ({', '.join(S.bundled_names())}), "
                                     f"got {r!r}")
    try:
        return S.loads(text, "scenario text")
    except S.ScenarioError as exc:
        raise HTTPException(422, str(exc)) from None


def load_scenario(store, ref: str, toml: str | None = None):
    """The scenario ``toml`` (when given) or ``ref``: a bundled name, ``default`` or ``saved:ID`` of ``store``."""
    from .. import scenario as S

    if toml is not None:
        return scenario_from_text(toml)
    if ref.startswith("saved:"):
        try:
            sid = int(ref.split(":", 1)[1])
        except ValueError:
            raise HTTPException(422, f"scenario {ref!r}: expected saved:ID with an integer ID") from None
        return scenario_from_text(found(store.scenario(sid), f"saved scenario {sid}")["toml"])
    if ref not in S.bundled_names() and ref != "default":
        raise HTTPException(404, f"no bundled scenario {ref!r}{suggest(ref, S.bundled_names())}")
    try:
        return S.load(ref)
    except S.ScenarioError as exc:
        raise HTTPException(422, str(exc)) from None


def initial_scenario(ref: str) -> str:
    """The architecture the page opens with (``openbmd serve SCENARIO``): a
    bundled single architecture as given; for a comparison its first member."""
    from .. import scenario as S

    if ref in S.bundled_names():
        sc = S.load(ref)
        if not sc.is_comparison and sc.batteries:
            return ref
        members = [Path(p.path).stem for p in sc.phases or []]
        for m in members:
            if m in S.bundled_names() and S.load(m).batteries:
                return m
    return "epaa-phase3"
