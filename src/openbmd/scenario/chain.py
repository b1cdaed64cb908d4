"""Finding and reading scenario files, and the ``extends`` chain: a
scenario that extends another starts from it; top-level tables merge key by
key, ``[[entry]]`` tables merge by ``name`` (``remove = true`` drops the
parent's entry)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..tomlsource import Source, parse_toml, suggest
from ..tomlsource import read_toml as _read_toml
from .fields import ScenarioError, check_fields, fail
from .schema import DEFAULT, ENTRY_TABLES, SCHEMA, TOP_TABLES


def bundled_dir() -> Path:
    return Path(str(resources.files("openbmd") / "scenarios"))


def bundled_names() -> list[str]:
    return sorted(p.stem for p in bundled_dir().glob("*.toml"))


def resolve(ref: str, relative_to: Path | None = None) -> Path:
    """A bundled scenario name (``epaa-phase3``) or a path (relative to the
    file that names it)."""
    if ref == "default":
        ref = DEFAULT
    p = Path(ref)
    if relative_to is not None and not p.is_absolute():
        cand = relative_to.parent / p
        if cand.is_file():
            return cand
    if p.is_file():
        return p
    if p.is_dir():
        raise ScenarioError(f"{ref!r} is a directory; expected a scenario file (.toml) or a bundled name")
    b = bundled_dir() / f"{ref}.toml"
    if b.is_file():
        return b
    raise ScenarioError(f"no scenario file or bundled scenario {ref!r}{suggest(ref, bundled_names())} "
                        f"(bundled: {', '.join(bundled_names())})")


def read_toml(path: Path, error=None, what: str = "scenario") -> tuple[dict, Source]:
    """:func:`openbmd.tomlsource.read_toml` with ScenarioError as the default error."""
    return _read_toml(path, error or ScenarioError, what)


@dataclass
class Entry:
    """One ``[[table]]`` entry after the ``extends`` merge."""

    data: dict
    src: Source
    path: tuple  # (table, index) in its own file


def load_chain(path: Path, stack: tuple = (), text: str | None = None
               ) -> tuple[dict, dict[str, list[Entry]], list[str], Source]:
    """(merged top-level tables with their sources, merged entries, files in
    order, the source of this file). ``text``: the file's text, given
    (:func:`openbmd.scenario.loads`; ``path`` then only names it)."""
    rp = path.resolve()
    if rp in stack:
        chain = " -> ".join(str(p) for p in (*stack, rp))
        fail(path, ("scenario", "extends"), f"the scenario extends itself ({chain})")
    if len(stack) > 20:
        fail(path, ("scenario", "extends"), "more than 20 levels of extends")
    doc, src = read_toml(path) if text is None else parse_toml(text, str(path), ScenarioError)
    check_tables(doc, src)
    parent_ref = doc.get("scenario", {}).get("extends")
    if parent_ref:
        try:
            ppath = resolve(parent_ref, path)
        except ScenarioError as exc:
            fail(src, ("scenario", "extends"), str(exc))
        tables, entries, files, _ = load_chain(ppath, stack + (rp,))
    else:
        tables, entries, files = {}, {k: [] for k in ENTRY_TABLES}, []
    files = files + [str(path)]
    merge_tables(tables, doc, src)
    for k in ENTRY_TABLES:
        if k in doc:
            merge_entries(entries[k], k, doc[k], src)
    return tables, entries, files, src


def check_tables(doc: dict, src: Source):
    """Only known tables; the fields of the top-level ones checked."""
    for k in doc:
        if k not in SCHEMA or k == "footprint":
            fail(src, (k,), f"unknown table '{k}'{suggest(k, [s for s in SCHEMA if s != 'footprint'])}", field="")
    for k in TOP_TABLES:
        if k in doc:
            check_fields(doc[k], k, src, (k,))
    if "analyses" in doc and "footprint" in doc["analyses"]:
        check_fields(doc["analyses"]["footprint"], "footprint", src, ("analyses", "footprint"))


def merge_tables(tables: dict, doc: dict, src: Source):
    """The top-level tables of ``doc`` merged into the parent's ``tables``
    (table name -> (fields, source)), key by key."""
    for k in TOP_TABLES:
        if k in doc:
            merged = dict(tables.get(k, ({}, src))[0])
            for key, val in doc[k].items():
                # nested tables ([analyses.footprint]) merge key by key too
                merged[key] = {**merged[key], **val} if isinstance(val, dict) and isinstance(merged.get(key), dict) else val
            if k == "scenario" and "extends" not in doc[k]:
                merged.pop("extends", None)
            tables[k] = (merged, src)


def merge_entries(entries: list[Entry], k: str, items, src: Source):
    """The ``[[k]]`` entries ``items`` of one file merged into the parent's
    ``entries`` by name: same name, the fields given replace the parent's;
    ``remove = true`` drops the parent's entry; a new name is appended."""
    if not isinstance(items, list):
        fail(src, (k,), f"'{k}' must be written [[{k}]] (a list of tables)", field="")
    for i, item in enumerate(items):
        p = (k, i)
        check_fields(item, k, src, p)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            fail(src, p, f"missing (every [[{k}]] needs a name)", field=p + ("name",))
        old = next((e for e in entries if e.data["name"] == name), None)
        if item.get("remove"):
            if old is None:
                fail(src, p + ("remove",), f"no {k} named {name!r} to remove{suggest(name, [e.data['name'] for e in entries])}")
            entries.remove(old)
            continue
        if old is not None:
            data = dict(old.data)
            # a position given in the child replaces the parent's, whatever its form
            groups = (("at",), ("lat_deg", "lon_deg"), ("patrol_box_deg", "stations"))
            for grp in groups:
                if any(key in item for key in grp):
                    for other in groups:
                        if other is not grp:
                            for key in other:
                                data.pop(key, None)
            data.update(item)
            entries[entries.index(old)] = Entry(data, src, p)
        else:
            if any(e.data["name"] == name for e in entries if e.src is src):
                fail(src, p, f"a second {k} named {name!r}", field=p + ("name",))
            entries.append(Entry(dict(item), src, p))
