#!/usr/bin/env python
"""Citation audit of openbmd's data: every citation names a listed document,
every listed document says how much of it was read.

What it checks (``python tools/audit_sources.py``; ``tests/data/test_audit_sources.py``
runs it):

1. **Documents.** The bibliography tables of ``docs/sources*.md`` (a Markdown
   table whose header starts with ``Key``) list the documents by short key.
   Each key has one row in a *status table* (a table with ``Key`` and
   ``Status`` columns, in any ``docs/sources*.md``) with one of the statuses
   ``read`` (the third column says which pages or sections were read),
   ``summary read`` (the third column says whose summary, and where) or
   ``not retrieved``.
2. **Citations.** Every ``source`` and ``*_source`` string of the catalog data
   files (``src/openbmd/catalog/data/*.toml``), of the bundled scenarios
   (``source`` fields, ``*_source`` fields and the ``[scenario] sources``
   list) and of the bundled guarantees (``sources``) names at least one listed
   key, or is marked as the project's own (``estimate``, ``ASSUMPTION``,
   ``assumed``, ``definition``, ``as <another entry>``, ...). A scenario whose header comments cite
   sources must list their keys in ``[scenario] sources``.
3. **Numbers on unread documents.** A number whose ``X_source`` names only
   documents that were ``not retrieved`` must say ``ASSUMPTION`` and carry
   an ``X_range``. Such numbers are listed in the report's assumptions
   section.
4. **Words of unverified memory** ("from memory", "recalled", "not verified
   against", "writer's recollection", ...) do not appear in source strings
   or notes: a number is sourced, or it is an estimate/assumption with a range.
5. **The record** (scenario contents against the public record, from the
   project's issue 17): no bundled scenario flies a PLACEHOLDER missile or
   deploys a RETIRED interceptor without a dated ASSUMPTION; NRC 2012 is not
   cited for Russian strategic forces or interceptor burnout speeds (the
   study says it does not consider defence against them, NRC 2012 p. 24);
   dated EPAA facts (GAO-14-314 and the others in ``RECORD_CHECKS``).
6. **The history** (``src/openbmd/catalog/data/history.toml``, shown in the
   report): every event has an ISO date and each part of its source is a
   listed document with a status; each EPAA phase says what it was announced
   as on 17 September 2009; Phase 1 deployed in December 2011 (GAO-14-314);
   Phase 4 cancelled in March 2013.

``audit()`` returns a list of :class:`Finding`; ``report()`` formats them.
Exit status 1 when anything fails.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DATA = ROOT / "src" / "openbmd" / "catalog" / "data"
SCENARIOS = ROOT / "src" / "openbmd" / "scenarios"
GUARANTEES = ROOT / "src" / "openbmd" / "guarantees"
HISTORY = DATA / "history.toml"

STATUSES = ("read", "summary read", "not retrieved")

#: a part of a source string that names no document but says it is the project's own
OWN = re.compile(
    r"\b(estimat\w*|assum\w*|approximat\w*|definition|placeholder|illustrat\w*|hypothetical|inferred|inference|"
    r"this catalog's|catalog estimates?|catalog places|catalog entr\w*|chosen|derived|computed|"
    r"as (?:AN/|the |RAF |Voronezh|Aegis|SM-|GBI|Thule|Fylingdales)|same as)\b",
    re.IGNORECASE,
)
#: words of unchecked memory that must not stand in for a source
MEMORY = re.compile(
    r"from memory|recalled|recollection|not verified against|not checked in this session|"
    r"not verified in this session|not verified against those texts",
    re.IGNORECASE,
)

@dataclass
class Finding:
    check: str      # documents | citation | unread-number | memory | record
    where: str      # file (and entry / field)
    message: str
    ok: bool = False

    def __str__(self):
        return f"{'ok  ' if self.ok else 'FAIL'} [{self.check}] {self.where}: {self.message}"


@dataclass
class Documents:
    citations: dict = field(default_factory=dict)   # key -> (citation text, file)
    status: dict = field(default_factory=dict)      # key -> [(status, detail, file)] (one per status row)

    def state(self, key) -> str:
        """A key's status; with rows in several files, the most that was read."""
        rows = self.status.get(key, [])
        for st in STATUSES:
            if any(r[0] == st for r in rows):
                return st
        return rows[0][0] if rows else ""

    def keys(self):
        return set(self.citations) | set(self.status)


# --------------------------------------------------------------- parsing ----
def _cells(line: str) -> list[str]:
    s = line.strip()
    if not (s.startswith("|") and s.endswith("|")):
        return []
    return [c.strip() for c in s[1:-1].split("|")]


def _tables(text: str):
    """(header cells, [row cells]) of every Markdown table of a text."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        head = _cells(lines[i])
        if head and i + 1 < len(lines) and re.fullmatch(r"\|[\s:\-|]+\|", lines[i + 1].strip() or "x"):
            rows, j = [], i + 2
            while j < len(lines) and _cells(lines[j]):
                rows.append(_cells(lines[j]))
                j += 1
            yield head, rows
            i = j
        else:
            i += 1


def parse_status(cell: str) -> tuple[str, str]:
    """(status, detail) of a status cell: ``read (pp. 3-5)``, ``summary read: X's
    summary in Y``, ``not retrieved``; the status is the cell's leading words."""
    c = cell.strip().strip("*_").strip()
    for st in sorted(STATUSES, key=len, reverse=True):
        if c.lower().startswith(st) and (len(c) == len(st) or not c[len(st)].isalnum()):
            return st, c[len(st):].strip(" :;,-")
    return c.lower(), ""


def _key_cell(c: str) -> str:
    return c.replace("`", "").replace("**", "").strip()


def read_documents(files=None) -> Documents:
    """Keys, citations and statuses of every ``docs/sources*.md``."""
    docs = Documents()
    for f in sorted(files if files is not None else DOCS.glob("sources*.md")):
        f = Path(f)
        for head, rows in _tables(f.read_text(encoding="utf-8")):
            low = [h.lower() for h in head]
            if not low or low[0] != "key":
                continue
            if "status" in low:
                si = low.index("status")
                ci = low.index("citation") if "citation" in low else None
                di = next((i for i, h in enumerate(low) if i not in (0, si, ci)), None)
                for r in rows:
                    if len(r) <= si or not _key_cell(r[0]):
                        continue
                    k = _key_cell(r[0])
                    st, detail = parse_status(r[si])
                    if not detail and di is not None and di < len(r) and ci is None:
                        detail = r[di].strip()
                    docs.status.setdefault(k, []).append((st, detail, f.name))
                    if ci is not None and ci < len(r):
                        docs.citations.setdefault(k, (r[ci], f.name))
            else:
                for r in rows:
                    if r and _key_cell(r[0]):
                        docs.citations.setdefault(_key_cell(r[0]), (" | ".join(r[1:]), f.name))
    return docs


def _pattern(key: str) -> re.Pattern:
    """A key as it may be cited: exact words; a trailing `` X`` stands for a name
    (``CSIS Missile Threat X`` matches ``CSIS Missile Threat Yars``)."""
    if key.endswith(" X"):
        return re.compile(r"(?<![\w])" + re.escape(key[:-2]), re.IGNORECASE)
    m = re.fullmatch(r"(.+?) \(([^()]+)\)", key)
    if m:  # "Wright 2017 (UCS)" also as "Wright 2017 (UCS, ~13,000 km)"
        return re.compile(r"(?<![\w])" + re.escape(m.group(1)) + r"\s*\(\s*" + re.escape(m.group(2)) + r"(?![\w])",
                          re.IGNORECASE)
    return re.compile(r"(?<![\w])" + re.escape(key) + r"(?![\w])", re.IGNORECASE)


def cited_keys(text: str, keys) -> list[str]:
    """The listed keys a source string names (longest first, no overlaps)."""
    spans, out = [], []
    for k in sorted(keys, key=len, reverse=True):
        for m in _pattern(k).finditer(text):
            if not any(a < m.end() and m.start() < b for a, b in spans):
                spans.append((m.start(), m.end()))
                if k not in out:
                    out.append(k)
    return out


def split_parts(text: str) -> list[str]:
    """A source string's parts: split at semicolons outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == ";" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _sources_in(obj, path=()):
    """(path, field name, text, owning table) of every source string of a TOML document."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if (k == "source" or k.endswith("_source")) and isinstance(v, str):
                yield path + (k,), k, v, obj
            elif k == "sources" and isinstance(v, list):
                for i, s in enumerate(v):
                    if isinstance(s, str):
                        yield path + (k, i), k, s, obj
            else:
                yield from _sources_in(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            name = v.get("name") if isinstance(v, dict) else None
            yield from _sources_in(v, path + ((name or i),))


def _fmt(path) -> str:
    return ".".join(str(p) for p in path)


# ---------------------------------------------------------------- checks ----
def check_documents(docs: Documents) -> list[Finding]:
    out = []
    for k in sorted(docs.keys()):
        where = docs.citations[k][-1] if k in docs.citations else docs.status[k][0][-1]
        if k not in docs.status:
            out.append(Finding("documents", f"{where}: {k}", "listed without a status (add a row to a status table)"))
            continue
        for st, detail, sfile in docs.status[k]:
            if st not in STATUSES:
                out.append(Finding("documents", f"{sfile}: {k}", f"status {st!r} is not one of {STATUSES}"))
            elif st in ("read", "summary read") and len(detail) < 3:
                what = "which pages or sections were read" if st == "read" else "whose summary was read, and where"
                out.append(Finding("documents", f"{sfile}: {k}", f"status {st!r} must say {what}"))
            elif k not in docs.citations:
                out.append(Finding("documents", f"{sfile}: {k}", "has a status but no citation row in a bibliography table"))
            else:
                out.append(Finding("documents", f"{sfile}: {k}", st, ok=True))
    return out


def _check_string(text, where, docs, keys) -> list[Finding]:
    out = []
    if MEMORY.search(text):
        out.append(Finding("memory", where, f"unverified memory stands in for a source: {MEMORY.search(text).group(0)!r}"))
    if not cited_keys(text, keys) and not OWN.search(text):
        out.append(Finding("citation", where, f"names no document of docs/sources*.md and is not marked as an "
                                              f"estimate or assumption: {text[:120]!r}"))
    if not out:
        out.append(Finding("citation", where, "ok", ok=True))
    return out


def _numbers_of(table: dict, base: str) -> list[str]:
    return [k for k, v in table.items()
            if (k == base or k.startswith(base + "_")) and not k.endswith(("_range", "_source"))
            and isinstance(v, (int, float)) and not isinstance(v, bool)]


def check_unread_numbers(table, fieldname, text, where, docs, keys) -> list[Finding]:
    """A number whose only documents were not retrieved: ASSUMPTION with a range."""
    if fieldname in ("source", "sources"):
        return []
    base = fieldname[: -len("_source")]
    cited = cited_keys(text, keys)
    if not cited or any(docs.state(k) != "not retrieved" for k in cited):
        return []
    out = []
    for num in _numbers_of(table, base) or [base]:
        has_range = f"{num}_range" in table or f"{base}_range" in table
        marked = "assumption" in text.lower()
        if marked and has_range:
            out.append(Finding("unread-number", f"{where} ({num})",
                               f"ASSUMPTION with range {table.get(num + '_range', table.get(base + '_range'))}; "
                               f"documents not retrieved: {', '.join(cited)}", ok=True))
        else:
            need = " and ".join(x for x, bad in (("say ASSUMPTION", not marked), (f"carry {num}_range", not has_range)) if bad)
            out.append(Finding("unread-number", f"{where} ({num})",
                               f"only source(s) not retrieved ({', '.join(cited)}): must {need}"))
    return out


def check_catalog(docs: Documents, files=None) -> list[Finding]:
    keys = docs.keys()
    out = []
    for f in sorted(files if files is not None else DATA.glob("*.toml")):
        f = Path(f)
        doc = tomllib.loads(f.read_text(encoding="utf-8"))
        for path, name, text, table in _sources_in(doc):
            where = f"{f.name}: {_fmt(path)}"
            out += _check_string(text, where, docs, keys)
            out += check_unread_numbers(table, name, text, where, docs, keys)
        for path, text in _notes_in(doc):
            if MEMORY.search(text):
                out.append(Finding("memory", f"{f.name}: {_fmt(path)}",
                                   f"notes rely on unverified memory: {MEMORY.search(text).group(0)!r}"))
    return out


def _notes_in(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "notes" and isinstance(v, str):
                yield path + (k,), v
            else:
                yield from _notes_in(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            name = v.get("name") if isinstance(v, dict) else None
            yield from _notes_in(v, path + ((name or i),))


def _header_comments(text: str) -> str:
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            out.append(s.lstrip("#").strip())
        elif s.startswith("["):
            break
    return "\n".join(out)


def check_scenarios(docs: Documents, files=None) -> list[Finding]:
    keys = docs.keys()
    out = []
    for f in sorted(files if files is not None else SCENARIOS.glob("*.toml")):
        f = Path(f)
        text = f.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
        for path, name, s, table in _sources_in(doc):
            where = f"{f.name}: {_fmt(path)}"
            out += _check_string(s, where, docs, keys)
        comments = _header_comments(text)
        listed = doc.get("scenario", {}).get("sources", [])
        if re.search(r"\bsources?\b", comments, re.IGNORECASE) and not listed:
            out.append(Finding("citation", f"{f.name}: header comments",
                               "cite sources in prose but [scenario] sources lists no keys"))
        elif listed:
            out.append(Finding("citation", f"{f.name}: [scenario] sources", f"{len(listed)} keys", ok=True))
    return out


def check_guarantees(docs: Documents, files=None) -> list[Finding]:
    keys = docs.keys()
    out = []
    for f in sorted(files if files is not None else GUARANTEES.glob("*.toml")):
        f = Path(f)
        doc = tomllib.loads(f.read_text(encoding="utf-8"))
        for path, name, s, table in _sources_in(doc):
            out += _check_string(s, f"{f.name}: {_fmt(path)}", docs, keys)
    return out


# ------------------------------------------------------------ the record ----
def _catalog_entries():
    out = {}
    for kind in ("missile", "interceptor"):
        d = tomllib.loads((DATA / f"{kind}s.toml").read_text(encoding="utf-8"))
        for e in d.get(kind, []):
            for n in (e["name"], *e.get("aliases", ())):
                out[(kind, re.sub(r"[^0-9a-z]+", "", n.lower()))] = e
    return out


def _entry(entries, kind, name):
    return entries.get((kind, re.sub(r"[^0-9a-z]+", "", str(name).lower())))


def _comment_paragraphs(text):
    para = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#") and s.lstrip("#").strip():
            para.append(s.lstrip("#").strip())
        else:
            if para:
                yield " ".join(para)
            para = []
    if para:
        yield " ".join(para)


#: dated facts of the public record each EPAA scenario must respect:
#: (file, description, predicate on the file's text, source keys)
RECORD_CHECKS = [
    ("epaa-phase1.toml", "the AN/TPY-2 at Kurecik is dated December 2011 (not 'January 2012')",
     lambda t: "operational January 2012" not in t and "December 2011" in t, "GAO-14-314"),
    ("epaa-phase2.toml", "the Rota basing is four destroyers (2014-2015): modelled, or one ship stated as an ASSUMPTION",
     lambda t: bool(re.search(r"Rota[^\n]*(\n[^\[]*)?(ASSUMPTION|four)", t)) and "ASSUMPTION" in t, "NTI 2012 (Rota ships); Naval Today 2016"),
    ("epaa-phase3.toml", "Deveselu's interceptor in Phase 3 is unsourced either way: stated as an ASSUMPTION",
     lambda t: bool(re.search(r"Deveselu[^\n]*\n?[^\n]*ASSUMPTION|ASSUMPTION[^\n]*Deveselu", t)), "State Dept EPAA fact sheet 2011"),
    ("epaa-phase4.toml", "Phase 4 is stated as cancelled on 15 March 2013",
     lambda t: "cancel" in t.lower() and "2013" in t, "ACA 2013 (Phase 4 cancelled)"),
]


def check_record(docs: Documents) -> list[Finding]:
    entries = _catalog_entries()
    out = []
    for f in sorted(SCENARIOS.glob("*.toml")):
        text = f.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
        for t in doc.get("threat", []):
            for m in t.get("missile", []):
                e = _entry(entries, "missile", m)
                if e is not None and "PLACEHOLDER" in (e.get("notes", "") + e.get("source", "")):
                    out.append(Finding("record", f"{f.name}: threat {t.get('name')}",
                                       f"flies the placeholder missile {m!r} (placeholders are for explicit use only)"))
        for b in doc.get("battery", []):
            e = _entry(entries, "interceptor", b.get("interceptor", ""))
            if e is not None and "RETIRED" in e.get("notes", "") and "ASSUMPTION" not in b.get("source", ""):
                out.append(Finding("record", f"{f.name}: battery {b.get('name')}",
                                   f"deploys the retired interceptor {b['interceptor']!r} without a dated ASSUMPTION in its source"))
        for para in _comment_paragraphs(text):
            if re.search(r"NRC 2012|Making Sense of Ballistic Missile Defense|National Research Council", para) and \
                    re.search(r"Russian ICBM|Russian strategic|Russian SLBM", para) and "does not consider" not in para:
                out.append(Finding("record", f"{f.name}: comments",
                                   "cites NRC 2012 beside the Russian strategic threat geometry; NRC 2012 (p. 24) "
                                   "does not consider defence against Russian or Chinese strategic forces"))
        for path, name, s, table in _sources_in(doc):
            if "NRC 2012" in s and ("role" in table and table.get("role") == "strategic"):
                out.append(Finding("record", f"{f.name}: {_fmt(path)}",
                                   "cites NRC 2012 for a Russian strategic threat (NRC 2012 p. 24 excludes them)"))
    for kind in ("interceptors",):
        d = tomllib.loads((DATA / f"{kind}.toml").read_text(encoding="utf-8"))
        for e in d.get("interceptor", []):
            if "NRC 2012" in e.get("burnout_speed_km_s_source", ""):
                out.append(Finding("record", f"{kind}.toml: {e['name']}.burnout_speed_km_s_source",
                                   "cites NRC 2012 for a burnout speed (not read there)"))
    for fname, desc, pred, src in RECORD_CHECKS:
        p = SCENARIOS / fname
        if p.is_file():
            ok = bool(pred(p.read_text(encoding="utf-8")))
            out.append(Finding("record", fname, f"{desc} [{src}]", ok=ok))
    if not any(not x.ok for x in out):
        out.append(Finding("record", "scenarios", "no placeholder, retired or mis-cited content", ok=True))
    return out


def check_history(docs: Documents, path=None) -> list[Finding]:
    """The dated EPAA record: dates, sources that are listed documents, the
    announcement of every phase, Phase 1's deployment and Phase 4's cancellation."""
    path = Path(path or HISTORY)
    if not path.is_file():
        return [Finding("record", path.name, "the history file is missing")]
    events = tomllib.loads(path.read_text(encoding="utf-8")).get("event", [])
    keys = set(docs.keys())
    out = []
    for i, e in enumerate(events):
        where = f"{path.name}: event[{i + 1}] ({e.get('phase', '?')}, {e.get('date', '?')})"
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", str(e.get("date", ""))):
            out.append(Finding("record", where, f"needs an ISO date (YYYY[-MM[-DD]]), got {e.get('date')!r}"))
        parts = split_parts(str(e.get("source", "")))
        if not parts:
            out.append(Finding("record", where, "has no source"))
        for part in parts:
            if part not in keys:
                out.append(Finding("record", where, f"source {part!r} is not a key of docs/sources*.md"))
            elif part not in docs.status:
                out.append(Finding("record", where, f"source {part!r} has no status"))

    def has(pred):
        return any(pred(e) for e in events)

    for ph in ("Phase 1", "Phase 2", "Phase 3", "Phase 4"):
        if not has(lambda e, ph=ph: e.get("phase") == ph and e.get("kind") == "announced" and e.get("date") == "2009-09-17"):
            out.append(Finding("record", f"{path.name}: {ph}", "says nothing of what it was announced as (17 September 2009)"))
    if not has(lambda e: e.get("phase") == "Phase 1" and e.get("kind") == "deployed" and e.get("date") == "2011-12"
               and "GAO-14-314" in e.get("source", "")):
        out.append(Finding("record", f"{path.name}: Phase 1", "deployed in December 2011 (GAO-14-314): not stated"))
    if not has(lambda e: e.get("phase") == "Phase 4" and e.get("kind") == "cancelled"
               and str(e.get("date", "")).startswith("2013-03")):
        out.append(Finding("record", f"{path.name}: Phase 4", "cancelled in March 2013: not stated"))
    if not out:
        out.append(Finding("record", path.name, f"{len(events)} dated events, each with listed sources", ok=True))
    return out


# ----------------------------------------------------------------- audit ----
def audit(doc_files=None) -> list[Finding]:
    docs = read_documents(doc_files)
    return (check_documents(docs) + check_catalog(docs) + check_scenarios(docs)
            + check_guarantees(docs) + check_record(docs) + check_history(docs))


def report(findings, *, verbose=False) -> str:
    docs = read_documents()
    counts = {}
    for k in docs.status:
        st = docs.state(k)
        counts[st] = counts.get(st, 0) + 1
    fails = [f for f in findings if not f.ok]
    lines = ["# openbmd citation audit", "",
             f"Documents listed in docs/sources*.md: {len(docs.keys())} "
             f"({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}).",
             f"Source strings checked: {sum(1 for f in findings if f.check == 'citation')}; "
             f"failures: {len(fails)}.", ""]
    if fails:
        lines += ["## Failures", ""] + [f"- {f}" for f in fails] + [""]
    lines += ["## Assumptions: numbers whose only documents were not retrieved", ""]
    lines += [f"- {f.where}: {f.message}" for f in findings if f.check == "unread-number" and f.ok] or ["- none"]
    lines.append("")
    if verbose:
        lines += ["## Passed", ""] + [f"- {f}" for f in findings if f.ok and f.check != "unread-number"]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verbose", action="store_true", help="also list what passed")
    ap.add_argument("--strict", action="store_true", help="(kept for old command lines; every check is strict now)")
    args = ap.parse_args(argv)
    findings = audit()
    print(report(findings, verbose=args.verbose))
    return 1 if any(not f.ok for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
