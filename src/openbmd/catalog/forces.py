"""Strategic forces: public estimates of deployed strategic ballistic missiles by
unit, attack definitions (which share of each basing is launched) and the New
START limits, read from ``catalog/data/forces.toml``.

A :class:`Force` is a list of :class:`ForceUnit` (an ICBM division, a missile
wing, an SSBN fleet), each launching one catalog missile from one catalog
place, so that the scenarios can fly its trajectories. Numbers carry their
source and, where estimates disagree, a ``(lo, hi)`` range in ``uncertainty``.
Bomber weapons are not ballistic-missile warheads: a force states them
separately (``bomber_warheads``) so that its units reconcile with the source's
total (:meth:`Force.reconcile`).

>>> f = load_force("Russia 2024")
>>> round(f.missile_warheads)
1510
>>> a = load_attack("retaliation after a first strike")
>>> round(a.launched_total(f))       # warheads launched after riding out an attack
330
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import DATA, Catalog, CatalogError, read_data_file, default_catalog, normalize

KINDS = ("ICBM", "SLBM")
BASINGS = ("silo", "road-mobile", "submarine")
#: the place kinds a unit of each kind may launch from
LAUNCH_PLACE_KINDS = {"ICBM": ("icbm_field", "launch_area"), "SLBM": ("slbm_patrol_area", "slbm_base")}
#: relative tolerance of sum(units) + bomber warheads against the source's stated total
RECONCILE_TOLERANCE = 0.02


# ------------------------------------------------------------------ data ----
@dataclass(frozen=True)
class ForceUnit:
    """Deployed launchers of one missile at one launch place."""

    name: str
    launch: str  # a catalog place (canonical name)
    missile: str  # a catalog missile (canonical name)
    kind: str  # "ICBM" | "SLBM"
    basing: str  # "silo" | "road-mobile" | "submarine"
    launchers: int
    warheads_per_launcher: float  # average loaded, not capacity
    submarines: int | None = None
    source: str = ""
    notes: str = ""
    sources: dict = field(default_factory=dict, compare=False, hash=False)  # field -> source
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)  # field -> (lo, hi)

    @property
    def warheads(self) -> float:
        return self.launchers * self.warheads_per_launcher

    @property
    def warheads_range(self) -> tuple[float, float]:
        """(lo, hi) of warheads from the ranges of launchers and warheads per launcher."""
        lo_l, hi_l = self.uncertainty.get("launchers", (self.launchers, self.launchers))
        lo_w, hi_w = self.uncertainty.get("warheads_per_launcher", (self.warheads_per_launcher,) * 2)
        return lo_l * lo_w, hi_l * hi_w

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Force:
    """One party's deployed strategic ballistic-missile force in one year."""

    name: str
    party: str
    year: int
    units: tuple[ForceUnit, ...]
    deployed_strategic_warheads: float | None = None  # as the source states (bomber weapons included)
    bomber_warheads: float | None = None
    deployed_bombers: float | None = None  # New START counts one warhead for each
    source: str = ""
    notes: str = ""
    aliases: tuple[str, ...] = ()
    sources: dict = field(default_factory=dict, compare=False, hash=False)
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def missile_warheads(self) -> float:
        return sum(u.warheads for u in self.units)

    @property
    def launchers(self) -> int:
        return sum(u.launchers for u in self.units)

    @property
    def missile_warheads_range(self) -> tuple[float, float]:
        return sum(u.warheads_range[0] for u in self.units), sum(u.warheads_range[1] for u in self.units)

    def by_launch(self) -> dict[str, float]:
        """Missile warheads by launch place."""
        out: dict[str, float] = {}
        for u in self.units:
            out[u.launch] = out.get(u.launch, 0.0) + u.warheads
        return out

    def by_basing(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for u in self.units:
            out[u.basing] = out.get(u.basing, 0.0) + u.warheads
        return out

    def by_missile(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for u in self.units:
            out[u.missile] = out.get(u.missile, 0.0) + u.warheads
        return out

    def unit(self, name: str) -> ForceUnit:
        return _lookup({u.name: u for u in self.units}, {}, name, f"unit of {self.name}")

    def reconcile(self) -> tuple[float, float, float]:
        """(sum of units + bomber warheads, stated deployed total, relative difference)."""
        if self.deployed_strategic_warheads is None:
            raise CatalogError(f"force {self.name!r} states no deployed_strategic_warheads to reconcile with")
        total = self.missile_warheads + (self.bomber_warheads or 0.0)
        stated = self.deployed_strategic_warheads
        return total, stated, (total - stated) / stated

    def new_start_count(self) -> tuple[float, float]:
        """(warheads, deployed launchers) as New START would count these estimates:
        missile warheads plus one per deployed heavy bomber; missiles plus bombers."""
        bombers = self.deployed_bombers or 0.0
        return self.missile_warheads + bombers, self.launchers + bombers

    def scaled(self, factor: float) -> Force:
        """The same force with every unit's warheads per launcher times ``factor``
        (e.g. an upload or download study); bomber and stated totals unchanged."""
        if not (math.isfinite(factor) and factor >= 0):
            raise ValueError(f"factor must be a finite number >= 0, got {factor!r}")
        units = tuple(
            ForceUnit(**{**u.__dict__, "warheads_per_launcher": u.warheads_per_launcher * factor}) for u in self.units
        )
        return Force(**{**self.__dict__, "units": units, "notes": f"{self.notes} [scaled x{factor:g}]".strip()})

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Attack:
    """Which share of each basing's deployed warheads is launched. ``survival``
    maps basing -> fraction; ``party_survival`` maps (party, basing) -> fraction
    and overrides it for that party."""

    name: str
    survival: dict  # basing -> fraction in [0, 1]
    survival_range: dict  # basing -> (lo, hi)
    source: str = ""
    notes: str = ""
    aliases: tuple[str, ...] = ()
    party_survival: dict = field(default_factory=dict)  # (party, basing) -> fraction
    party_survival_range: dict = field(default_factory=dict)  # (party, basing) -> (lo, hi)
    sources: dict = field(default_factory=dict, compare=False, hash=False)  # basing or (party, basing) -> source

    def fraction(self, basing: str, party: str | None = None, which: str = "value") -> float:
        """Launched share of ``basing`` (for ``party`` if it has its own row);
        ``which`` is "value", "lo" or "hi"."""
        if which not in ("value", "lo", "hi"):
            raise ValueError(f"which must be 'value', 'lo' or 'hi', got {which!r}")
        key = (party, basing)
        if party is not None and key in self.party_survival:
            v, r = self.party_survival[key], self.party_survival_range[key]
        elif basing in self.survival:
            v, r = self.survival[basing], self.survival_range[basing]
        else:
            raise CatalogError(f"attack {self.name!r} defines no survival for basing {basing!r}")
        return v if which == "value" else r[0] if which == "lo" else r[1]

    def launched(self, force: Force, which: str = "value") -> dict[str, float]:
        """Warheads launched from each launch place of ``force`` in this attack."""
        out: dict[str, float] = {}
        for u in force.units:
            out[u.launch] = out.get(u.launch, 0.0) + u.warheads * self.fraction(u.basing, force.party, which)
        return out

    def launched_total(self, force: Force, which: str = "value") -> float:
        return sum(self.launched(force, which).values())

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Declaration:
    """One party's aggregate numbers in one treaty data exchange."""

    party: str
    date: str
    deployed_warheads: int
    deployed_launchers: int
    total_launchers: int
    source: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Treaty:
    name: str
    deployed_warheads: int
    deployed_launchers: int
    total_launchers: int
    source: str = ""
    notes: str = ""
    aliases: tuple[str, ...] = ()
    signed: str = ""
    entered_into_force: str = ""
    expired: str = ""
    declared: tuple[Declaration, ...] = ()

    def last_declared(self, party: str) -> Declaration:
        rows = sorted((d for d in self.declared if normalize(d.party) == normalize(party)), key=lambda d: d.date)
        if not rows:
            raise CatalogError(f"treaty {self.name!r} has no declared data for {party!r}")
        return rows[-1]

    def within_limits(self, deployed_warheads: float, deployed_launchers: float | None = None) -> bool:
        ok = deployed_warheads <= self.deployed_warheads
        return ok and (deployed_launchers is None or deployed_launchers <= self.deployed_launchers)

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class ForceData:
    """Everything in one forces file."""

    forces: dict  # name -> Force
    attacks: dict  # name -> Attack
    treaties: dict  # name -> Treaty
    file: str = "forces.toml"

    def force(self, name: str) -> Force:
        return _lookup(self.forces, _aliases(self.forces), name, "force")

    def attack(self, name: str) -> Attack:
        return _lookup(self.attacks, _aliases(self.attacks), name, "attack")

    def treaty(self, name: str = "New START") -> Treaty:
        return _lookup(self.treaties, _aliases(self.treaties), name, "treaty")


# ------------------------------------------------------------ validation ----
def _aliases(table) -> dict[str, str]:
    return {normalize(a): n for n, v in table.items() for a in getattr(v, "aliases", ())}


def _lookup(table, aliases, name, what):
    k = normalize(str(name))
    for n in table:
        if normalize(n) == k:
            return table[n]
    if k in aliases:
        return table[aliases[k]]
    names = {normalize(a): a for v in table.values() for a in getattr(v, "aliases", ())}
    names.update({normalize(n): n for n in table})  # a canonical name wins over an alias spelt alike
    close = [names[c] for c in difflib.get_close_matches(k, list(names), n=4, cutoff=0.6)]
    close += [n for c, n in names.items() if k and k in c and n not in close][:3]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise CatalogError(f"unknown {what} {name!r}{hint} (known: {', '.join(sorted(table))})")


def _number(entry, key, where, *, required=True, integer=False, lo=None, hi=None):
    if key not in entry:
        if required:
            raise CatalogError(f"{where}: missing field '{key}'")
        return None
    v = entry[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise CatalogError(f"{where}: field '{key}' must be a number, got {v!r}")
    if integer and v != int(v):
        raise CatalogError(f"{where}: field '{key}' must be a whole number, got {v!r}")
    if lo is not None and v < lo:
        raise CatalogError(f"{where}: field '{key}' must be >= {lo}, got {v!r}")
    if hi is not None and v > hi:
        raise CatalogError(f"{where}: field '{key}' must be <= {hi}, got {v!r}")
    return int(v) if integer else float(v)


def _range(entry, key, value, where, *, lo=None, hi=None):
    """``key_range`` as (lo, hi) with lo <= value <= hi (None if absent)."""
    rk = f"{key}_range"
    if rk not in entry:
        return None
    r = entry[rk]
    if not (isinstance(r, list) and len(r) == 2):
        raise CatalogError(f"{where}: field '{rk}' must be a list [lo, hi], got {r!r}")
    pair = tuple(_number({rk: x}, rk, where, lo=lo, hi=hi) for x in r)
    if not pair[0] <= value <= pair[1]:
        raise CatalogError(f"{where}: field '{rk}' {list(pair)} must satisfy lo <= {key} ({value:g}) <= hi")
    return pair


def _text(entry, key, where, *, required=True, what="a citation"):
    v = entry.get(key, "")
    if not isinstance(v, str):
        raise CatalogError(f"{where}: field '{key}' must be text, got {v!r}")
    if required and not v.strip():
        raise CatalogError(f"{where}: missing field '{key}' ({what})")
    return v


def _sourced(entry, key, where, *, required=True, **kw):
    """A number with its range and its ``key_source`` (required when the number is)."""
    v = _number(entry, key, where, required=required, **{k: kw[k] for k in ("integer", "lo", "hi") if k in kw})
    if v is None:
        return None, None, ""
    r = _range(entry, key, v, where, lo=kw.get("lo"), hi=kw.get("hi"))
    src = _text(entry, f"{key}_source", where, what="where this number comes from")
    return v, r, src


def _head(e, where, what):
    """An entry's name and where it is (for messages), after checking it is a
    table with a name and a source."""
    if not isinstance(e, dict):
        raise CatalogError(f"{where}: must be a table, got {e!r}")
    name = _text(e, "name", where, what=f"the {what}'s name")
    where = f"{where} ({name})"
    _text(e, "source", where)
    return name, where


def _unit(e, where, catalog: Catalog) -> ForceUnit:
    name, where = _head(e, where, "unit")
    kind = e.get("kind")
    if kind not in KINDS:
        raise CatalogError(f"{where}: field 'kind' must be one of {KINDS}, got {kind!r}")
    basing = e.get("basing")
    if basing not in BASINGS:
        raise CatalogError(f"{where}: field 'basing' must be one of {BASINGS}, got {basing!r}")
    if (kind == "SLBM") != (basing == "submarine"):
        raise CatalogError(f"{where}: kind {kind!r} does not go with basing {basing!r} (SLBM <-> submarine)")
    try:
        place = catalog.place(_text(e, "launch", where, what="a place of places.toml"))
    except CatalogError as exc:
        raise CatalogError(f"{where}: field 'launch': {exc}") from None
    if place.kind not in LAUNCH_PLACE_KINDS[kind]:
        raise CatalogError(
            f"{where}: field 'launch': place {place.name!r} is a {place.kind}, an {kind} launches from one of {LAUNCH_PLACE_KINDS[kind]}"
        )
    try:
        missile = catalog.missile(_text(e, "missile", where, what="a missile of missiles.toml"))
    except CatalogError as exc:
        raise CatalogError(f"{where}: field 'missile': {exc}") from None
    if missile.category != kind:
        raise CatalogError(f"{where}: field 'missile': {missile.name!r} is an {missile.category}, the unit's kind is {kind}")
    sources, unc = {}, {}
    launchers, r, sources["launchers"] = _sourced(e, "launchers", where, integer=True, lo=0)
    if r:
        unc["launchers"] = r
    wpl, r, sources["warheads_per_launcher"] = _sourced(e, "warheads_per_launcher", where, lo=0)
    if r:
        unc["warheads_per_launcher"] = r
    subs = _number(e, "submarines", where, required=False, integer=True, lo=0)
    if subs is not None:
        r = _range(e, "submarines", subs, where, lo=0)
        if r:
            unc["submarines"] = r
    return ForceUnit(
        name=name,
        launch=place.name,
        missile=missile.name,
        kind=kind,
        basing=basing,
        launchers=launchers,
        warheads_per_launcher=wpl,
        submarines=subs,
        source=e["source"],
        notes=_text(e, "notes", where, required=False),
        sources=sources,
        uncertainty=unc,
    )


def _force(e, where, catalog: Catalog) -> Force:
    name, where = _head(e, where, "force")
    party = _text(e, "party", where, what="the party whose force it is")
    year = _number(e, "year", where, integer=True, lo=1945)
    sources, unc = {}, {}
    vals = {}
    for key in ("deployed_strategic_warheads", "bomber_warheads", "deployed_bombers"):
        v, r, s = _sourced(e, key, where, required=False, lo=0)
        vals[key] = v
        if v is not None:
            sources[key] = s
        if r:
            unc[key] = r
    rows = e.get("unit", [])
    if not isinstance(rows, list) or not rows:
        raise CatalogError(f"{where}: needs at least one [[force.unit]]")
    units = tuple(_unit(u, f"{where}, unit #{j + 1}", catalog) for j, u in enumerate(rows))
    seen = set()
    for u in units:
        if normalize(u.name) in seen:
            raise CatalogError(f"{where}: unit name {u.name!r} is used twice")
        seen.add(normalize(u.name))
    return Force(
        name=name,
        party=party,
        year=year,
        units=units,
        deployed_strategic_warheads=vals["deployed_strategic_warheads"],
        bomber_warheads=vals["bomber_warheads"],
        deployed_bombers=vals["deployed_bombers"],
        source=e["source"],
        notes=_text(e, "notes", where, required=False),
        aliases=tuple(str(a) for a in e.get("aliases", ())),
        sources=sources,
        uncertainty=unc,
    )


def _attack(e, where) -> Attack:
    name, where = _head(e, where, "attack")
    surv, rng, psurv, prng, sources = {}, {}, {}, {}, {}
    rows = e.get("survival", [])
    if not isinstance(rows, list) or not rows:
        raise CatalogError(f"{where}: needs [[attack.survival]] rows (basing, fraction, fraction_range, fraction_source)")
    for j, row in enumerate(rows):
        w = f"{where}, survival #{j + 1}"
        if not isinstance(row, dict):
            raise CatalogError(f"{w}: must be a table, got {row!r}")
        basing = row.get("basing")
        if basing not in BASINGS:
            raise CatalogError(f"{w}: field 'basing' must be one of {BASINGS}, got {basing!r}")
        party = row.get("party")
        w = f"{w} ({basing}{'' if party is None else ', ' + str(party)})"
        v = _number(row, "fraction", w, lo=0.0, hi=1.0)
        r = _range(row, "fraction", v, w, lo=0.0, hi=1.0)
        if r is None:
            raise CatalogError(f"{w}: missing field 'fraction_range' ([lo, hi], lo <= fraction <= hi)")
        src = _text(row, "fraction_source", w, what="a citation, or 'assumption'")
        key = basing if party is None else (str(party), basing)
        table, ranges = (surv, rng) if party is None else (psurv, prng)
        if key in table:
            raise CatalogError(f"{w}: survival for {key!r} is given twice")
        table[key], ranges[key], sources[key] = v, r, src
    missing = [b for b in BASINGS if b not in surv]
    if missing:
        raise CatalogError(f"{where}: no general survival row for basing {missing} (every basing needs one)")
    return Attack(
        name=name,
        survival=surv,
        survival_range=rng,
        source=e["source"],
        notes=_text(e, "notes", where, required=False),
        aliases=tuple(str(a) for a in e.get("aliases", ())),
        party_survival=psurv,
        party_survival_range=prng,
        sources=sources,
    )


def _treaty(e, where) -> Treaty:
    name, where = _head(e, where, "treaty")
    lim = {k: _number(e, k, where, integer=True, lo=0) for k in ("deployed_warheads", "deployed_launchers", "total_launchers")}
    decl = []
    for j, d in enumerate(e.get("declared", [])):
        w = f"{where}, declared #{j + 1}"
        if not isinstance(d, dict):
            raise CatalogError(f"{w}: must be a table, got {d!r}")
        decl.append(
            Declaration(
                party=_text(d, "party", w, what="the declaring party"),
                date=_text(d, "date", w, what="the date the data are current as of"),
                **{k: _number(d, k, w, integer=True, lo=0) for k in ("deployed_warheads", "deployed_launchers", "total_launchers")},
                source=_text(d, "source", w),
                notes=_text(d, "notes", w, required=False),
            )
        )
    return Treaty(
        name=name,
        **lim,
        source=e["source"],
        notes=_text(e, "notes", where, required=False),
        aliases=tuple(str(a) for a in e.get("aliases", ())),
        signed=str(e.get("signed", "")),
        entered_into_force=str(e.get("entered_into_force", "")),
        expired=str(e.get("expired", "")),
        declared=tuple(decl),
    )


def _table(rows, build, what, file):
    if not isinstance(rows, list):
        raise CatalogError(f"{file}: '{what}' must be an array of tables ([[{what}]])")
    out: dict = {}
    keys: dict[str, str] = {}
    for j, e in enumerate(rows):
        item = build(e, f"{file}: {what} #{j + 1}")
        for n in (item.name, *item.aliases):
            k = normalize(n)
            if k in keys and keys[k] != item.name:
                raise CatalogError(f"{file}: {what} name {n!r} of {item.name!r} is already used by {keys[k]!r}")
            keys[k] = item.name
        out[item.name] = item
    return out


# ---------------------------------------------------------------- loading ----
def load_forces_file(path, catalog: Catalog | None = None) -> ForceData:
    """Read and validate a forces file; launch places and missiles are checked
    against ``catalog`` (the bundled catalog by default)."""
    catalog = catalog or default_catalog()
    file = Path(str(path)).name
    exists = path.is_file() if hasattr(path, "is_file") else Path(path).is_file()
    if not exists:
        raise CatalogError(f"{path}: no such forces file")
    data = read_data_file(path)
    forces = _table(data.get("force", []), lambda e, w: _force(e, w, catalog), "force", file)
    attacks = _table(data.get("attack", []), _attack, "attack", file)
    treaties = _table(data.get("treaty", []), _treaty, "treaty", file)
    return ForceData(forces, attacks, treaties, file)


@lru_cache(maxsize=1)
def default_forces() -> ForceData:
    """The bundled ``catalog/data/forces.toml``."""
    return load_forces_file(DATA / "forces.toml")


def load_force(name: str) -> Force:
    """A force of the bundled file, by name or alias (case and punctuation ignored)."""
    return default_forces().force(name)


def force_names() -> list[str]:
    return sorted(default_forces().forces)


def load_attack(name: str) -> Attack:
    return default_forces().attack(name)


def attack_names() -> list[str]:
    return sorted(default_forces().attacks)


def load_treaty(name: str = "New START") -> Treaty:
    return default_forces().treaty(name)


__all__ = [
    "BASINGS",
    "KINDS",
    "RECONCILE_TOLERANCE",
    "Attack",
    "Declaration",
    "Force",
    "ForceData",
    "ForceUnit",
    "Treaty",
    "attack_names",
    "default_forces",
    "force_names",
    "load_attack",
    "load_force",
    "load_forces_file",
    "load_treaty",
]
