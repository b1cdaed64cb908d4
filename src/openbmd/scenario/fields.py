"""Reading the fields of a scenario file: its one error,
:class:`ScenarioError`, raised through :func:`fail` with file, line and
field; the type and range check of a table's fields; and the small readers
(numbers, places, positions, lists) every table builder shares."""

from __future__ import annotations

import math
from typing import NoReturn

from ..catalog import CatalogError
from ..errors import OpenBMDError
from ..tomlsource import Source, fmt_path, suggest
from .schema import RANGES, SCHEMA


class ScenarioError(OpenBMDError, ValueError):
    """A bad scenario: the message names the file, line, field and what was expected."""

    __module__ = "openbmd.scenario"  # where it is imported from (and named in a traceback)


def fail(src, at: tuple, message: str, field: tuple | str | None = None) -> NoReturn:
    """Raise the :class:`ScenarioError` ``FILE:LINE: field 'FIELD': MESSAGE``.

    ``src``: the file's :class:`~openbmd.tomlsource.Source`, FILE:LINE being
    where the path ``at`` (table, index, key) is in it; or the file's name
    (no line). ``field``: the field named, a path or its text; by default
    ``at``; empty: no field, the message follows FILE:LINE. Raised ``from
    None``: an error caught on the way is not shown again."""
    where = src.where(at) if isinstance(src, Source) else str(src)
    name = fmt_path(at) if field is None else fmt_path(field) if isinstance(field, tuple) else field
    raise ScenarioError(f"{where}: field '{name}': {message}" if name else f"{where}: {message}") from None


def check_fields(obj: dict, schema_key: str, src: Source, path: tuple):
    """The table ``obj`` at ``path`` has only the fields of ``SCHEMA[schema_key]``,
    each of its type and (``RANGES``) in its range."""
    schema = SCHEMA[schema_key]
    if not isinstance(obj, dict):
        fail(src, path, "expected a table")
    for k, v in obj.items():
        at = path + (k,)
        if k not in schema:
            fail(src, at, f"unknown field '{fmt_path(at)}'{suggest(k, schema)} (expected one of: {', '.join(schema)})",
                 field="")
        want = schema[k]
        ok = (isinstance(v, bool) if want is bool else
              isinstance(v, int) and not isinstance(v, bool) if want is int else
              isinstance(v, (int, float)) and not isinstance(v, bool) if want is float else
              isinstance(v, (str, list)) if want is list else isinstance(v, want))
        if not ok:
            tname = {str: "a string", bool: "true or false", int: "an integer", float: "a number",
                     list: "a list", dict: "a table"}[want]
            fail(src, at, f"expected {tname}, got {v!r}")
        if want is float and not math.isfinite(v):
            fail(src, at, f"expected a finite number, got {v!r}")
        if k in RANGES.get(schema_key, {}):
            lo, hi, unit = RANGES[schema_key][k]
            if not lo <= v <= hi:
                got = f"{v:,}" if isinstance(v, int) else f"{v:,g}"
                fail(src, at, f"expected {'an integer' if want is int else 'a number'} >= {lo:,} and <= {hi:,}"
                              f"{' (' + unit + ')' if unit else ''}, got {got}")


def num(d, key, default=None):
    v = d.get(key, default)
    return None if v is None else float(v)


def place(cat, name, src, path):
    """The catalog place ``name`` (named at ``path``)."""
    try:
        return cat.place(name)
    except CatalogError as exc:
        fail(src, path, str(exc))


def latlon(d, src, path, cat, required=True):
    """(lat, lon) in radians of the entry ``d``: ``at`` = PLACE or lat_deg and
    lon_deg; None if it gives neither and is not ``required``."""
    if "at" in d and ("lat_deg" in d or "lon_deg" in d):
        fail(src, path + ("at",), "give either 'at' or lat_deg/lon_deg, not both", field=path)
    if "at" in d:
        p = place(cat, d["at"], src, path + ("at",))
        return p.lat, p.lon
    if "lat_deg" in d or "lon_deg" in d:
        for k in ("lat_deg", "lon_deg"):
            if k not in d:
                fail(src, path, "missing (lat_deg and lon_deg go together)", field=path + (k,))
        lat, lon = float(d["lat_deg"]), float(d["lon_deg"])
        if not -90 <= lat <= 90:
            fail(src, path + ("lat_deg",), f"expected -90..90, got {lat:g}")
        if not -180 <= lon <= 360:
            fail(src, path + ("lon_deg",), f"expected -180..360, got {lon:g}")
        return math.radians(lat), math.radians(lon)
    if required:
        fail(src, path, "missing a position (at = PLACE, or lat_deg and lon_deg)")
    return None


def as_list(v):
    return [v] if isinstance(v, str) else list(v)


def positive(v, src, path, allow_zero=False):
    """``v`` if it is > 0 (>= 0 with ``allow_zero``); None stays None."""
    if v is None:
        return None
    if not (v > 0 or (allow_zero and v == 0)):
        fail(src, path, f"expected a number {'>=' if allow_zero else '>'} 0, got {v:g}")
    return v
