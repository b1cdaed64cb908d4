"""Scenario files: a defence architecture, the threats, the assumptions and the
analyses to run, in TOML, validated into domain objects.

A scenario file (see ``src/openbmd/scenarios/`` for the bundled ones and
``docs/user-guide.md`` for every field)::

    [scenario]                 name, description, extends = "epaa-phase2" (a bundled name or a path)
    [model]                    earth, rotation, gravity, drag, threat_step_s, coarse_step_s
    [doctrine]                 decision_time_s, track_time_s, rcs_m2, assessment_time_s, cue, launch_delay_s,
                               shot_doctrine, salvo, max_engagements, kill_probability (+ _range, _source)
    [[interceptor]]            name, base (catalog name) and field overrides (burnout_speed_km_s, ...)
    [[radar]]                  name, type (catalog name), at / lat_deg+lon_deg, field overrides
    [[battery]]                name, interceptor, count, at / lat_deg+lon_deg / patrol_box_deg, cued_by, kind
    [[target_set]]             name, targets
    [[threat]]                 name, role (strategic|southern), from, to, missile, profiles
    [[raid]]                   name, threat (a [[threat]] name), from, missiles, warheads_per_missile,
                               decoys_per_missile, start_s, spacing_s
    [balance]                  force, attack, decoys_per_missile, inventory_factors, decision_times_s, method
    [analyses]                 run = ["assess", ...], [analyses.footprint] ...
    [phases]                   members = ["epaa-phase1", ...]  (a comparison of scenarios)

A scenario that ``extends`` another starts from it: top-level tables merge key
by key; ``[[battery]]``, ``[[radar]]``, ``[[interceptor]]``, ``[[threat]]`` and
``[[target_set]]`` entries merge by ``name`` (same name: the fields given
replace the parent's; ``remove = true`` drops the parent's entry).

Errors are :class:`ScenarioError`: ``FILE:LINE: field 'battery[2].interceptor':
...`` with what was expected and near-miss suggestions. Loading never writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..catalog import CatalogError, default_catalog
from ..earth import EarthModel
from ..flight import FlightOptions
from ..errors import OpenBMDError
from ..tomlsource import MAX_FILE_BYTES, Source, fmt_path, parse_toml, suggest  # noqa: F401 (MAX_FILE_BYTES: re-exported)
from ..tomlsource import read_toml as _read_toml

DEFAULT = "epaa-phases"  # the bundled default: the whole phase comparison
ENTRY_TABLES = ("interceptor", "radar", "satellite", "network", "battery", "target_set", "threat", "raid")
TOP_TABLES = ("scenario", "model", "doctrine", "analyses", "phases", "balance")
PROFILES = ("min-energy", "lofted", "depressed")
ROLES = ("strategic", "southern")
ANALYSES = ("assess", "footprint", "south-vs-north", "raid", "balance", "track")
MODES = ("own", "launch-on-remote", "engage-on-remote")
TAIL_CHASE_RULES = ("low-closing-speed", "receding", "allowed")
SIGNATURE_MODELS = ("by-phase", "warhead-only")

SCHEMA = {
    "scenario": {"name": str, "description": str, "extends": str, "year": int, "sources": list},
    "model": {"earth": str, "rotation": bool, "gravity": str, "drag": bool, "threat_step_s": float,
              "coarse_step_s": float},
    "doctrine": {"decision_time_s": float, "track_time_s": float, "rcs_m2": float, "assessment_time_s": float,
                 "cue": str, "launch_delay_s": float, "lofted_apogee_factor": float,
                 "depressed_apogee_factor": float, "shot_doctrine": str, "salvo": int, "max_engagements": int,
                 "kill_probability": float, "kill_probability_range": list, "kill_probability_source": str,
                 "tail_chase": str, "tail_chase_closing_speed_km_s": float, "handover_time_s": float,
                 "signatures": str},
    "interceptor": {"name": str, "base": str, "burnout_speed_km_s": float, "min_intercept_altitude_km": float,
                    "max_intercept_altitude_km": float, "max_range_km": float, "min_closing_speed_km_s": float,
                    "tail_chase": bool, "impulsive": bool, "remove": bool, "source": str},
    "radar": {"name": str, "type": str, "at": str, "lat_deg": float, "lon_deg": float,
              "boresight_azimuth_deg": float, "azimuth_half_width_deg": float, "min_elevation_deg": float,
              "max_range_km": float, "reference_range_km": float, "track_time_s": float, "remove": bool,
              "source": str},
    "satellite": {"name": str, "type": str, "cloud_top_km": float, "report_latency_s": float, "track_time_s": float,
                  "remove": bool, "source": str},
    "network": {"name": str, "type": str, "link_latency_s": float, "remove": bool, "source": str},
    "battery": {"name": str, "interceptor": str, "count": int, "at": str, "lat_deg": float, "lon_deg": float,
                "patrol_box_deg": list, "stations": int, "cued_by": list, "own_radar": str, "mode": str,
                "network": str, "kind": str, "remove": bool, "source": str, "cue_source": str},
    "target_set": {"name": str, "targets": list, "remove": bool},
    "threat": {"name": str, "role": str, "from": list, "to": list, "missile": list, "profiles": list,
               "remove": bool, "source": str},
    "analyses": {"run": list, "footprint": dict},
    "footprint": {"launch_area": str, "missile": str, "region_deg": list, "step_deg": float,
                  "countries": list},
    "phases": {"members": list},
    "raid": {"name": str, "threat": str, "from": list, "missiles": int, "warheads_per_missile": int,
             "decoys_per_missile": int, "start_s": float, "spacing_s": float, "remove": bool, "source": str},
    "balance": {"force": list, "attack": list, "decoys_per_missile": int, "inventory_factors": list,
                "decision_times_s": list, "method": str},
}
KINDS = ("land", "ship")

# The physical range of every number a scenario file holds: (low, high, unit or
# reason). Generous sanity bounds, checked when the file is read, so that a
# typo (count = 1000000000000, a delay of 1e308 s) is refused, not computed.
# The same limits as the command line's (openbmd.cli.common).
MAX_BURNOUT_SPEED_KM_S = 11.0  # below escape speed at the surface (11.2 km/s)
_DAY = (0, 86_400, "s, at most a day")
_ALT = (0, 10_000, "km")
_RANGE_KM = (0, 50_000, "km")
RANGES = {  # latitudes and longitudes: in _latlon
    "scenario": {"year": (1900, 2200, "")},
    "model": {"threat_step_s": (0, 600, "s"), "coarse_step_s": (0, 600, "s")},
    "doctrine": {"decision_time_s": _DAY, "track_time_s": _DAY, "rcs_m2": (0, 10_000, "m^2"),
                 "assessment_time_s": _DAY, "launch_delay_s": _DAY, "lofted_apogee_factor": (0, 10, ""),
                 "depressed_apogee_factor": (0, 10, ""), "salvo": (1, 100, "interceptors"),
                 "max_engagements": (1, 100, ""),
                 "tail_chase_closing_speed_km_s": (0, 30, "km/s"), "handover_time_s": _DAY},
    "interceptor": {"min_intercept_altitude_km": _ALT, "max_intercept_altitude_km": _ALT,
                    "max_range_km": (0, 20_040, "km, half the Earth's circumference"),
                    "min_closing_speed_km_s": (0, 30, "km/s")},
    "radar": {"boresight_azimuth_deg": (-360, 360, "deg"),
              "azimuth_half_width_deg": (0, 180, "deg"), "min_elevation_deg": (-90, 90, "deg"),
              "max_range_km": _RANGE_KM, "reference_range_km": _RANGE_KM, "track_time_s": _DAY},
    "satellite": {"cloud_top_km": (0, 100, "km"), "report_latency_s": _DAY, "track_time_s": _DAY},
    "network": {"link_latency_s": _DAY},
    "battery": {"count": (0, 100_000, "interceptors"), "stations": (1, 1_000, "")},
    "footprint": {"step_deg": (0, 30, "deg")},
    "raid": {"missiles": (1, 100_000, ""), "warheads_per_missile": (1, 1_000, ""), "decoys_per_missile": (0, 1_000, ""),
             "start_s": _DAY, "spacing_s": _DAY},
    "balance": {"decoys_per_missile": (0, 1_000, "")},
}


class ScenarioError(OpenBMDError, ValueError):
    """A bad scenario: the message names the file, line, field and what was expected."""


# ------------------------------------------------------------- loading ----
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
class _Entry:
    data: dict
    src: Source
    path: tuple  # (table, index) in its own file


def _check_fields(obj: dict, schema_key: str, src: Source, path: tuple):
    schema = SCHEMA[schema_key]
    if not isinstance(obj, dict):
        raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path)}': expected a table")
    for k, v in obj.items():
        if k not in schema:
            raise ScenarioError(f"{src.where(path + (k,))}: unknown field '{fmt_path(path + (k,))}'"
                                f"{suggest(k, schema)} (expected one of: {', '.join(schema)})")
        want = schema[k]
        ok = (isinstance(v, bool) if want is bool else
              isinstance(v, int) and not isinstance(v, bool) if want is int else
              isinstance(v, (int, float)) and not isinstance(v, bool) if want is float else
              isinstance(v, (str, list)) if want is list else isinstance(v, want))
        if not ok:
            tname = {str: "a string", bool: "true or false", int: "an integer", float: "a number",
                     list: "a list", dict: "a table"}[want]
            raise ScenarioError(f"{src.where(path + (k,))}: field '{fmt_path(path + (k,))}': expected {tname}, "
                                f"got {v!r}")
        if want is float and not math.isfinite(v):
            raise ScenarioError(f"{src.where(path + (k,))}: field '{fmt_path(path + (k,))}': expected a finite number, got {v!r}")
        if k in RANGES.get(schema_key, {}):
            lo, hi, unit = RANGES[schema_key][k]
            if not lo <= v <= hi:
                got = f"{v:,}" if isinstance(v, int) else f"{v:,g}"
                raise ScenarioError(f"{src.where(path + (k,))}: field '{fmt_path(path + (k,))}': expected "
                                    f"{'an integer' if want is int else 'a number'} >= {lo:,} and <= {hi:,}"
                                    f"{' (' + unit + ')' if unit else ''}, got {got}")


def _load_chain(path: Path, stack: tuple = (), text: str | None = None
                ) -> tuple[dict, dict[str, list[_Entry]], list[str], Source]:
    """(merged top-level tables with their sources, merged entries, files in
    order, the source of this file). ``text``: the file's text, given
    (:func:`loads`; ``path`` then only names it)."""
    rp = path.resolve()
    if rp in stack:
        chain = " -> ".join(str(p) for p in (*stack, rp))
        raise ScenarioError(f"{path}: field 'scenario.extends': the scenario extends itself ({chain})")
    if len(stack) > 20:
        raise ScenarioError(f"{path}: field 'scenario.extends': more than 20 levels of extends")
    doc, src = read_toml(path) if text is None else parse_toml(text, str(path), ScenarioError)
    for k in doc:
        if k not in SCHEMA or k == "footprint":
            raise ScenarioError(f"{src.where((k,))}: unknown table '{k}'{suggest(k, [s for s in SCHEMA if s != 'footprint'])}")
    for k in TOP_TABLES:
        if k in doc:
            _check_fields(doc[k], k, src, (k,))
    if "analyses" in doc and "footprint" in doc["analyses"]:
        _check_fields(doc["analyses"]["footprint"], "footprint", src, ("analyses", "footprint"))
    parent_ref = doc.get("scenario", {}).get("extends")
    if parent_ref:
        try:
            ppath = resolve(parent_ref, path)
        except ScenarioError as exc:
            raise ScenarioError(f"{src.where(('scenario', 'extends'))}: field 'scenario.extends': {exc}") from None
        tables, entries, files, _ = _load_chain(ppath, stack + (rp,))
    else:
        tables, entries, files = {}, {k: [] for k in ENTRY_TABLES}, []
    files = files + [str(path)]
    for k in TOP_TABLES:
        if k in doc:
            merged = dict(tables.get(k, ({}, src))[0])
            for key, val in doc[k].items():
                # nested tables ([analyses.footprint]) merge key by key too
                merged[key] = {**merged[key], **val} if isinstance(val, dict) and isinstance(merged.get(key), dict) else val
            if k == "scenario" and "extends" not in doc[k]:
                merged.pop("extends", None)
            tables[k] = (merged, src)
    for k in ENTRY_TABLES:
        if k not in doc:
            continue
        items = doc[k]
        if not isinstance(items, list):
            raise ScenarioError(f"{src.where((k,))}: '{k}' must be written [[{k}]] (a list of tables)")
        for i, item in enumerate(items):
            p = (k, i)
            _check_fields(item, k, src, p)
            name = item.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ScenarioError(f"{src.where(p)}: field '{fmt_path(p)}.name': missing (every [[{k}]] needs a name)")
            old = next((e for e in entries[k] if e.data["name"] == name), None)
            if item.get("remove"):
                if old is None:
                    raise ScenarioError(f"{src.where(p + ('remove',))}: field '{fmt_path(p)}.remove': no {k} named "
                                        f"{name!r} to remove{suggest(name, [e.data['name'] for e in entries[k]])}")
                entries[k].remove(old)
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
                entries[k][entries[k].index(old)] = _Entry(data, src, p)
            else:
                if any(e.data["name"] == name for e in entries[k] if e.src is src):
                    raise ScenarioError(f"{src.where(p)}: field '{fmt_path(p)}.name': a second {k} named {name!r}")
                entries[k].append(_Entry(dict(item), src, p))
    return tables, entries, files, src


# ---------------------------------------------------------- the result ----
@dataclass
class BatterySpec:
    name: str
    interceptor: object  # Interceptor
    count: int | None
    kind: str
    stations: list  # [(lat, lon)] radians: one point, or a patrol box's sample points
    patrol_box: tuple | None  # (lat_min, lat_max, lon_min, lon_max) degrees
    cue: str | None  # the first cueing radar's name in the scenario, or None for the doctrine's launch delay
    source: str = ""
    position_uncertainty: float = 0.0  # m: of the catalog place it stands at (0 for given coordinates)
    cues: tuple = ()  # every cue source: [[radar]] and [[satellite]] names
    own_radar: object = None  # sensors.Radar: the battery's own radar (mobile: placed at each station), or None
    mode: str = "own"  # own | launch-on-remote | engage-on-remote
    network: str | None = None  # a [[network]] name
    cue_source: str = ""  # where the cueing arrangement comes from


@dataclass
class ThreatSpec:
    name: str
    role: str
    launches: list  # catalog Places
    targets: list  # catalog Places
    missiles: list  # catalog Missiles, the first that reaches is flown
    profiles: tuple
    source: str = ""


@dataclass
class RaidSpec:
    """A salvo: ``missiles`` missiles of one [[threat]] group (optionally only
    from some of its launch points), launched ``spacing`` s apart from
    ``start`` s, each flying the group's trajectories in turn."""

    name: str
    threat: str
    launches: tuple  # launch place names (empty: all of the group's)
    missiles: int
    warheads_per_missile: int
    decoys_per_missile: int
    start: float
    spacing: float
    source: str = ""


@dataclass
class BalanceSpec:
    """The strategic-balance question: which force (catalog ``forces.toml``),
    which attacks, and the sensitivities asked."""

    forces: tuple  # force names
    attacks: tuple  # attack names
    decoys_per_missile: int = 0
    inventory_factors: tuple = (0.5, 2.0)
    decision_times: tuple = (10.0, 60.0)  # s
    method: str = "auto"


@dataclass
class FootprintSpec:
    launch_area: object  # Place
    missile: object
    region: tuple  # lat_min, lat_max, lon_min, lon_max (deg)
    step: float  # deg
    countries: tuple  # minimum-energy shots (the footprint's aim points are flown at minimum energy)


@dataclass
class Scenario:
    name: str
    description: str
    path: str
    files: list
    options: FlightOptions
    threat_step: float
    coarse_step: float
    decision_time: float
    track_time: float | None
    rcs: float
    assessment_time: float
    launch_delay: float | None
    default_cue: str | None
    lofted_factor: float
    depressed_factor: float
    interceptors: dict
    radars: dict
    batteries: list
    target_sets: dict
    threats: list
    analyses: list
    footprint: FootprintSpec | None
    phases: list = field(default_factory=list)  # member Scenarios of a comparison
    year: int | None = None
    sources: list = field(default_factory=list)
    doctrine: object = None  # wta.Doctrine
    raids: list = field(default_factory=list)  # RaidSpec
    balance: BalanceSpec | None = None
    notes: list = field(default_factory=list)  # what loading decided (e.g. inherited raids dropped)
    satellites: dict = field(default_factory=dict)  # name -> sensors.EarlyWarningSatellites
    networks: dict = field(default_factory=dict)  # name -> sensors.Network
    signature_model: str = "by-phase"
    signatures: object = None  # sensors.Signatures (by missile); None: the constant rcs
    tail_chase: str = "low-closing-speed"
    tail_chase_closing_speed: float = 3000.0  # m/s
    handover_time: float = 10.0  # s
    assumption_set: str = "as declared"

    def replace(self, **kw) -> "Scenario":
        from dataclasses import replace

        return replace(self, **kw)

    @property
    def is_comparison(self) -> bool:
        return bool(self.phases)

    def assumptions(self) -> list[str]:
        """Every parameter the scenario sets, in words, with sources."""
        out = [f"scenario {self.name!r} from {' <- '.join(reversed(self.files))}"]
        out += self.options.assumptions()
        out.append(f"threat time series every {self.threat_step:g} s; window search coarse step {self.coarse_step:g} s")
        out.append(f"doctrine: decision {self.decision_time:g} s after a firm track"
                   + (f" (track time {self.track_time:g} s)" if self.track_time is not None else " (track time: each radar's)")
                   + f"; threat RCS {self.rcs:g} m^2; kill assessment {self.assessment_time:g} s")
        if self.doctrine is not None:
            out += self.doctrine.describe()
        out += self.notes
        if self.launch_delay is not None:
            out.append(f"batteries without a cueing radar launch no earlier than {self.launch_delay:g} s after threat launch")
        out.append(f"assumption set: {self.assumption_set}")
        if self.signatures is not None:
            out.append("radar signatures by flight phase (booster, post-boost vehicle, RV) per missile class, catalog "
                       f"sensors.toml; missiles outside its classes: {self.rcs:g} m^2")
            seen_sig = set()
            for t in self.threats:
                for m in t.missiles:
                    sig = self.signatures.of(m.name)
                    if sig.name not in seen_sig:
                        seen_sig.add(sig.name)
                        out.append(f"signature {sig.describe()}; source: {sig.source or 'doctrine'}")
        else:
            out.append(f"radar signature: the warhead's {self.rcs:g} m^2 over the whole flight (booster and bus not modelled)")
        from ..vehicles import TAIL_CHASE_CLOSING_SPEED_SOURCE

        out.append({"allowed": "tail chase allowed: every intercept geometry",
                    "receding": "tail chase: every receding geometry (range from the site opening) refused",
                    "low-closing-speed": f"tail chase: a receding geometry closing slower than "
                                         f"{self.tail_chase_closing_speed / 1e3:g} km/s refused; "
                                         + TAIL_CHASE_CLOSING_SPEED_SOURCE}[self.tail_chase])
        from ..engage import HANDOVER_SOURCE

        out.append(f"guidance: the guiding radar holds a firm track {self.handover_time:g} s before the intercept; "
                   + HANDOVER_SOURCE)
        for s_ in self.satellites.values():
            out.append(f"early-warning satellites {s_.name}: plume seen above {s_.cloud_top / 1e3:g} km, boost track "
                       f"{s_.track_time:g} s after first sight (while burning), reported {s_.report_latency:g} s later; "
                       f"source: {s_.source}")
        for n_ in self.networks.values():
            out.append(f"network {n_.name}: {n_.link_latency:g} s per link; source: {n_.source}")
        out.append(f"lofted = {self.lofted_factor:g} x and depressed = {self.depressed_factor:g} x the minimum-energy apogee")
        for r in self.radars.values():
            out.append(f"radar {r.name}: at {math.degrees(r.lat):.2f}, {math.degrees(r.lon):.2f}; boresight "
                       f"{math.degrees(r.boresight_azimuth):.0f} +- {math.degrees(r.azimuth_half_width):.0f} deg; "
                       f"{r.reference_range / 1e3:,.0f} km on {r.reference_rcs:g} m^2; source: {r.source}")
        for ic in self.interceptors.values():
            out.append(f"interceptor {ic.name}: burnout {ic.burnout_speed / 1e3:g} km/s"
                       f"{' (impulsive)' if ic.impulsive else ''}; intercept altitude "
                       f"{ic.min_intercept_altitude / 1e3:g}-{ic.max_intercept_altitude / 1e3:g} km; range <= "
                       f"{ic.max_range / 1e3:,.0f} km; source: {ic.source}")
        seen_m, seen_p = {}, {}
        for t in self.threats:
            for m in t.missiles:
                seen_m.setdefault(m.name, getattr(m, "source", ""))
            for p in (*t.launches, *t.targets):
                seen_p.setdefault(p.name, p.source)
            out.append(f"threat group {t.name!r} ({t.role}): {', '.join(p.name for p in t.launches)} -> "
                       f"{len(t.targets)} targets; missiles {', '.join(m.name for m in t.missiles)} (the first that "
                       f"reaches is flown); profiles {', '.join(t.profiles)}" + (f"; source: {t.source}" if t.source else ""))
        for name, src in seen_m.items():
            out.append(f"missile {name}: source: {src or 'catalog'}")
        for name, src in seen_p.items():
            out.append(f"place {name}: source: {src or 'catalog'}")
        for b in self.batteries:
            where = (f"patrol box {b.patrol_box} deg sampled at {len(b.stations)} stations" if b.patrol_box else
                     f"{math.degrees(b.stations[0][0]):.2f}, {math.degrees(b.stations[0][1]):.2f}")
            cue = ", ".join(b.cues) or "launch delay"
            own = f"; own radar {b.own_radar.name}" if b.own_radar is not None else ""
            out.append(f"battery {b.name} ({b.kind}): {b.interceptor.name} x {b.count if b.count is not None else '?'} at "
                       f"{where}; cued by {cue}{own}; mode {b.mode}" + (f" via {b.network}" if b.network else "")
                       + (f"; source: {b.source}" if b.source else "")
                       + (f"; cueing: {b.cue_source}" if b.cue_source else ""))
        return out


def _num(d, key, default=None):
    v = d.get(key, default)
    return None if v is None else float(v)


def _place(cat, name, src, path):
    try:
        return cat.place(name)
    except CatalogError as exc:
        raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path)}': {exc}") from None


def _latlon(d, src, path, cat, required=True):
    if "at" in d and ("lat_deg" in d or "lon_deg" in d):
        raise ScenarioError(f"{src.where(path + ('at',))}: field '{fmt_path(path)}': give either 'at' or lat_deg/lon_deg, not both")
    if "at" in d:
        p = _place(cat, d["at"], src, path + ("at",))
        return p.lat, p.lon
    if "lat_deg" in d or "lon_deg" in d:
        for k in ("lat_deg", "lon_deg"):
            if k not in d:
                raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path + (k,))}': missing (lat_deg and lon_deg go together)")
        lat, lon = float(d["lat_deg"]), float(d["lon_deg"])
        if not -90 <= lat <= 90:
            raise ScenarioError(f"{src.where(path + ('lat_deg',))}: field '{fmt_path(path + ('lat_deg',))}': expected -90..90, got {lat:g}")
        if not -180 <= lon <= 360:
            raise ScenarioError(f"{src.where(path + ('lon_deg',))}: field '{fmt_path(path + ('lon_deg',))}': expected -180..360, got {lon:g}")
        return math.radians(lat), math.radians(lon)
    if required:
        raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path)}': missing a position (at = PLACE, or lat_deg and lon_deg)")
    return None


def _as_list(v):
    return [v] if isinstance(v, str) else list(v)


def _positive(v, src, path, allow_zero=False):
    if v is None:
        return None
    if not (v > 0 or (allow_zero and v == 0)):
        raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path)}': expected a number {'>=' if allow_zero else '>'} 0, got {v:g}")
    return v


def _interceptor(cat, d, src, path, known):
    base = d.get("base", d["name"])
    if base in known:
        ic = known[base]
    else:
        try:
            ic = cat.interceptor(base)
        except CatalogError as exc:
            raise ScenarioError(f"{src.where(path + ('base',))}: field '{fmt_path(path)}.base': {exc}") from None
    over = {"name": d["name"]}
    if "source" in d:
        over["source"] = d["source"] + (f" (variant of {ic.name}: {ic.source})" if ic.source else "")
    for key, attr, scale in (("min_intercept_altitude_km", "min_intercept_altitude", 1e3),
                             ("max_intercept_altitude_km", "max_intercept_altitude", 1e3),
                             ("max_range_km", "max_range", 1e3), ("min_closing_speed_km_s", "min_closing_speed", 1e3)):
        if key in d:
            over[attr] = _positive(float(d[key]), src, path + (key,), allow_zero=True) * scale
    if "tail_chase" in d:
        over["tail_chase"] = d["tail_chase"]
    if "burnout_speed_km_s" in d:
        v = _positive(float(d["burnout_speed_km_s"]), src, path + ("burnout_speed_km_s",)) * 1e3
        if v >= MAX_BURNOUT_SPEED_KM_S * 1e3:
            raise ScenarioError(f"{src.where(path + ('burnout_speed_km_s',))}: field '{fmt_path(path)}.burnout_speed_km_s': "
                                f"{v / 1e3:g} km/s is above escape speed; expected a burnout speed below "
                                f"{MAX_BURNOUT_SPEED_KM_S:g} km/s")
        over["burnout_speed"] = v
        if ic.stages and not d.get("impulsive", False):
            over["stages"] = ic.with_burnout_speed(v).stages
    if d.get("impulsive"):
        over["stages"] = ()
    try:
        return ic.replace(**over)
    except ValueError as exc:
        raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path)}': {exc}") from None


def _radar(cat, d, src, path):
    kind = d.get("type", d["name"])
    try:
        r = cat.radar(kind)
    except CatalogError as exc:
        raise ScenarioError(f"{src.where(path + ('type',))}: field '{fmt_path(path)}.type': {exc}") from None
    pos = _latlon(d, src, path, cat, required=False)
    if pos is None and r.mobile:
        raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path)}': radar type {r.name!r} has no fixed site; "
                            "give at = PLACE or lat_deg/lon_deg")
    over = {"name": d["name"]}
    if pos is not None:
        over["lat"], over["lon"] = pos
        over["mobile"] = False
    for key, attr, f in (("boresight_azimuth_deg", "boresight_azimuth", math.radians),
                         ("azimuth_half_width_deg", "azimuth_half_width", math.radians),
                         ("min_elevation_deg", "min_elevation", math.radians),
                         ("max_range_km", "max_range", lambda x: x * 1e3),
                         ("reference_range_km", "reference_range", lambda x: x * 1e3),
                         ("track_time_s", "track_time", float)):
        if key in d:
            v = float(d[key])
            if key == "azimuth_half_width_deg" and not 0 < v <= 180:
                raise ScenarioError(f"{src.where(path + (key,))}: field '{fmt_path(path + (key,))}': expected 0 < value <= 180, got {v:g}")
            if key in ("max_range_km", "reference_range_km", "track_time_s"):
                _positive(v, src, path + (key,), allow_zero=key == "track_time_s")
            over[attr] = f(v)
    if "source" in d:
        over["source"] = d["source"] + f" (a {r.name}: {r.source})"
    try:
        return r.replace(**over)
    except ValueError as exc:
        raise ScenarioError(f"{src.where(path)}: field '{fmt_path(path)}': {exc}") from None


def _sensor_entry(d, src, path, find, fields):
    """A [[satellite]] or [[network]] entry: the catalog entry its ``type``
    names (``find``), with the overrides ``fields`` = ((key, attr, scale), ...)."""
    try:
        obj = find(d.get("type", d["name"]))
    except CatalogError as exc:
        raise ScenarioError(f"{src.where(path + ('type',))}: field '{fmt_path(path)}.type': {exc}") from None
    over = {"name": d["name"]}
    for key, attr, f in fields:
        if key in d:
            over[attr] = _positive(float(d[key]), src, path + (key,), allow_zero=True) * f
    if "source" in d:
        over["source"] = d["source"] + f" (a {obj.name}: {obj.source})"
    return obj.replace(**over)


def _satellite(d, src, path):
    from ..catalog.sensors import default_sensors

    return _sensor_entry(d, src, path, default_sensors().satellite,
                         (("cloud_top_km", "cloud_top", 1e3), ("report_latency_s", "report_latency", 1.0),
                          ("track_time_s", "track_time", 1.0)))


def _network(d, src, path):
    from ..catalog.sensors import default_sensors

    return _sensor_entry(d, src, path, default_sensors().network, (("link_latency_s", "link_latency", 1.0),))


def _cueing(d, src, p, cat, radars, satellites, networks, default_cue, stations):
    """A battery's cue sources, own radar, mode and network (validated)."""
    raw = d.get("cued_by", default_cue)
    cues = [] if raw is None else _as_list(raw)
    if cues == ["launch_delay"]:
        cues = []
    known = list(radars) + list(satellites)
    for c in cues:
        if not isinstance(c, str) or c not in known:
            raise ScenarioError(f"{src.where(p + ('cued_by',))}: field '{fmt_path(p)}.cued_by': no [[radar]] or "
                                f"[[satellite]] named {c!r}{suggest(c, known)} (or \"launch_delay\")")
    own = None
    if "own_radar" in d:
        name = d["own_radar"]
        if name in radars:
            own = radars[name]
        else:
            try:
                own = cat.radar(name)
            except CatalogError as exc:
                raise ScenarioError(f"{src.where(p + ('own_radar',))}: field '{fmt_path(p)}.own_radar': not a [[radar]] "
                                    f"of the scenario{suggest(name, radars)}, and {exc}") from None
            if not own.mobile:
                lat, lon = stations[0]
                own = own.at(lat=lat, lon=lon).replace(name=f"{d['name']} {own.name}", mobile=True)
            else:
                own = own.replace(name=f"{d['name']} {own.name}")
    mode = d.get("mode")
    if mode is None:
        mode = "launch-on-remote" if (own is not None and any(c != getattr(own, "name", None) for c in cues)) else "own"
        if own is None and cues and cues[0] in radars:
            r = radars[cues[0]]
            at_site = len(stations) == 1 and abs(r.lat - stations[0][0]) < 1e-6 and abs(r.lon - stations[0][1]) < 1e-6
            mode = "own" if at_site else "launch-on-remote"
    if mode not in MODES:
        raise ScenarioError(f"{src.where(p + ('mode',))}: field '{fmt_path(p)}.mode': expected one of {', '.join(MODES)}, "
                            f"got {mode!r}{suggest(mode, MODES)}")
    if mode != "own" and own is None and "mode" in d:
        raise ScenarioError(f"{src.where(p + ('mode',))}: field '{fmt_path(p)}.mode': {mode} needs the battery's "
                            "own_radar (the radar that guides its interceptors, or that must see the intercept)")
    if mode == "own" and own is None and not any(c in radars for c in cues) and "mode" in d:
        raise ScenarioError(f"{src.where(p + ('mode',))}: field '{fmt_path(p)}.mode': 'own' needs an own_radar")
    if any(c in satellites for c in cues) and own is None:
        raise ScenarioError(f"{src.where(p + ('cued_by',))}: field '{fmt_path(p)}.cued_by': a satellite cue is a launch "
                            "cue only; the battery needs an own_radar to guide the interceptor")
    net = d.get("network")
    if net is not None and net not in networks:
        raise ScenarioError(f"{src.where(p + ('network',))}: field '{fmt_path(p)}.network': no [[network]] named "
                            f"{net!r}{suggest(net, networks)}")
    if net is None and len(networks) == 1:
        net = next(iter(networks))
    return cues, own, mode, net


def patrol_stations(box, n: int):
    """``n`` sample points (radians) spread over a lat/lon box (degrees): the
    centre first, then a grid."""
    la0, la1, lo0, lo1 = box
    if n <= 1:
        return [(math.radians((la0 + la1) / 2), math.radians((lo0 + lo1) / 2))]
    k = max(2, int(math.ceil(math.sqrt(n - 1))))
    pts = [((la0 + la1) / 2, (lo0 + lo1) / 2)]
    for a in np.linspace(la0, la1, k):
        for o in np.linspace(lo0, lo1, k):
            pts.append((float(a), float(o)))
    return [(math.radians(a), math.radians(o)) for a, o in pts[:n]]


def load(ref, catalog=None) -> Scenario:
    """Load and validate a scenario file (a path or a bundled name)."""
    path = resolve(str(ref)) if not isinstance(ref, Path) else ref
    if isinstance(ref, Path) and not ref.is_file():
        raise ScenarioError(f"no such scenario file: {ref}")
    return _build(path, catalog or default_catalog(), ())


def loads(text: str, name: str = "scenario text", catalog=None) -> Scenario:
    """Load and validate a scenario from its TOML text (no file is written);
    errors name ``name`` with the line. It may extend bundled scenarios (and
    files by absolute path)."""
    if not isinstance(text, str):
        raise ScenarioError(f"{name}: expected TOML text, got {type(text).__name__}")
    return _build(Path(name), catalog or default_catalog(), (), text=text)


def _build(path: Path, cat, stack, text: str | None = None) -> Scenario:
    tables, entries, files, top_src = _load_chain(path, text=text)

    def tab(k):
        return tables.get(k, ({}, top_src))

    sc, ssrc = tab("scenario")
    name = sc.get("name") or path.stem
    md, msrc = tab("model")
    try:
        earth = EarthModel(shape=md.get("earth", "wgs84"), rotation=md.get("rotation", True), gravity=md.get("gravity", "j2"))
    except ValueError as exc:
        key = "earth" if "shape" in str(exc) else "gravity"
        raise ScenarioError(f"{msrc.where(('model', key))}: field 'model.{key}': {exc}") from None
    options = FlightOptions(earth=earth, drag=md.get("drag", True))
    threat_step = _positive(float(md.get("threat_step_s", 2.0)), msrc, ("model", "threat_step_s"))
    coarse_step = _positive(float(md.get("coarse_step_s", 24.0)), msrc, ("model", "coarse_step_s"), allow_zero=True)
    dd, dsrc = tab("doctrine")
    for k in ("decision_time_s", "track_time_s", "assessment_time_s", "launch_delay_s"):
        if k in dd:
            _positive(float(dd[k]), dsrc, ("doctrine", k), allow_zero=True)
    rcs = _positive(float(dd.get("rcs_m2", 0.1)), dsrc, ("doctrine", "rcs_m2"))
    lf = _positive(float(dd.get("lofted_apogee_factor", 1.4)), dsrc, ("doctrine", "lofted_apogee_factor"))
    df = _positive(float(dd.get("depressed_apogee_factor", 0.6)), dsrc, ("doctrine", "depressed_apogee_factor"))
    if lf <= 1.0:
        raise ScenarioError(f"{dsrc.where(('doctrine', 'lofted_apogee_factor'))}: field 'doctrine.lofted_apogee_factor': expected > 1 (a lofted shot flies higher than minimum energy), got {lf:g}")
    if df >= 1.0:
        raise ScenarioError(f"{dsrc.where(('doctrine', 'depressed_apogee_factor'))}: field 'doctrine.depressed_apogee_factor': expected < 1, got {df:g}")

    doctrine = _doctrine(dd, dsrc)

    interceptors: dict = {}
    for e in entries["interceptor"]:
        interceptors[e.data["name"]] = _interceptor(cat, e.data, e.src, e.path, interceptors)
    own_types = list(interceptors)
    radars = {e.data["name"]: _radar(cat, e.data, e.src, e.path) for e in entries["radar"]}
    satellites = {e.data["name"]: _satellite(e.data, e.src, e.path) for e in entries["satellite"]}
    networks = {e.data["name"]: _network(e.data, e.src, e.path) for e in entries["network"]}
    for nm in satellites:
        if nm in radars:
            e = next(x for x in entries["satellite"] if x.data["name"] == nm)
            raise ScenarioError(f"{e.src.where(e.path)}: field '{fmt_path(e.path)}.name': {nm!r} is also a [[radar]]; "
                                "cue sources need distinct names")
    tail_rule = dd.get("tail_chase", "low-closing-speed")
    if tail_rule not in TAIL_CHASE_RULES:
        raise ScenarioError(f"{dsrc.where(('doctrine', 'tail_chase'))}: field 'doctrine.tail_chase': expected one of "
                            f"{', '.join(TAIL_CHASE_RULES)}, got {tail_rule!r}{suggest(tail_rule, TAIL_CHASE_RULES)}")
    tail_speed = 1e3 * _positive(float(dd.get("tail_chase_closing_speed_km_s", 3.0)), dsrc,
                                 ("doctrine", "tail_chase_closing_speed_km_s"), allow_zero=True)
    handover = _positive(float(dd.get("handover_time_s", 10.0)), dsrc, ("doctrine", "handover_time_s"), allow_zero=True)
    sig_model = dd.get("signatures", "by-phase")
    if sig_model not in SIGNATURE_MODELS:
        raise ScenarioError(f"{dsrc.where(('doctrine', 'signatures'))}: field 'doctrine.signatures': expected one of "
                            f"{', '.join(SIGNATURE_MODELS)}, got {sig_model!r}{suggest(sig_model, SIGNATURE_MODELS)}")
    cue = dd.get("cue")
    if cue is not None and cue not in radars:
        raise ScenarioError(f"{dsrc.where(('doctrine', 'cue'))}: field 'doctrine.cue': no [[radar]] named {cue!r} in the scenario"
                            f"{suggest(cue, radars)}")
    launch_delay = _num(dd, "launch_delay_s")

    batteries = []
    for e in entries["battery"]:
        d, src, p = e.data, e.src, e.path
        if "interceptor" not in d:
            raise ScenarioError(f"{src.where(p)}: field '{fmt_path(p)}.interceptor': missing (an interceptor type)")
        if d["interceptor"] in interceptors:
            ic = interceptors[d["interceptor"]]
        else:
            try:
                ic = cat.interceptor(d["interceptor"])
            except CatalogError as exc:
                raise ScenarioError(f"{src.where(p + ('interceptor',))}: field '{fmt_path(p)}.interceptor': {exc}"
                                    + (f" (or one of this scenario's [[interceptor]]: {', '.join(own_types)})" if own_types else "")) from None
            interceptors.setdefault(ic.name, ic)
        kind = d.get("kind", "ship" if "patrol_box_deg" in d else "land")
        if kind not in KINDS:
            raise ScenarioError(f"{src.where(p + ('kind',))}: field '{fmt_path(p)}.kind': expected one of {KINDS}, got {kind!r}")
        box = None
        if "patrol_box_deg" in d:
            if "at" in d or "lat_deg" in d or "lon_deg" in d:
                raise ScenarioError(f"{src.where(p + ('patrol_box_deg',))}: field '{fmt_path(p)}': give a position "
                                    "(at / lat_deg, lon_deg) or a patrol_box_deg, not both")
            b = d["patrol_box_deg"]
            if not (isinstance(b, list) and len(b) == 4 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b)):
                raise ScenarioError(f"{src.where(p + ('patrol_box_deg',))}: field '{fmt_path(p)}.patrol_box_deg': "
                                    f"expected [lat_min, lat_max, lon_min, lon_max] in degrees, got {b!r}")
            la0, la1, lo0, lo1 = (float(x) for x in b)
            if not (-90 <= la0 < la1 <= 90 and -180 <= lo0 < lo1 <= 360):
                raise ScenarioError(f"{src.where(p + ('patrol_box_deg',))}: field '{fmt_path(p)}.patrol_box_deg': "
                                    f"expected lat_min < lat_max within -90..90 and lon_min < lon_max, got {b!r}")
            if kind != "ship":
                raise ScenarioError(f"{src.where(p + ('kind',))}: field '{fmt_path(p)}.kind': a patrol box is for ships, "
                                    f"but kind = {kind!r}")
            box = (la0, la1, lo0, lo1)
            n = int(d.get("stations", 5))
            if n < 1:
                raise ScenarioError(f"{src.where(p + ('stations',))}: field '{fmt_path(p)}.stations': expected >= 1, got {n}")
            stations = patrol_stations(box, n)
            punc = 0.0
        else:
            stations = [_latlon(d, src, p, cat)]
        punc = cat.place(d["at"]).position_uncertainty if "at" in d else 0.0
        count = d.get("count")
        if count is not None and count < 0:
            raise ScenarioError(f"{src.where(p + ('count',))}: field '{fmt_path(p)}.count': expected >= 0, got {count}")
        cues, own, mode, net = _cueing(d, src, p, cat, radars, satellites, networks, cue, stations)
        bcue = next((c for c in cues if c in radars), None)
        if not cues and own is None and launch_delay is None:
            raise ScenarioError(f"{src.where(p)}: field '{fmt_path(p)}.cued_by': battery {d['name']!r} has no cueing radar "
                                "and [doctrine] sets no launch_delay_s (contradictory: nothing says when it may launch)")
        batteries.append(BatterySpec(d["name"], ic, count, kind, stations, box, bcue, d.get("source", ""), punc,
                                     cues=tuple(cues), own_radar=own, mode=mode, network=net,
                                     cue_source=d.get("cue_source", "")))

    target_sets = {}
    for e in entries["target_set"]:
        d, src, p = e.data, e.src, e.path
        tl = _as_list(d.get("targets", []))
        if not tl:
            raise ScenarioError(f"{src.where(p)}: field '{fmt_path(p)}.targets': missing or empty")
        target_sets[d["name"]] = [_place(cat, t, src, p + ("targets",)) for t in tl]

    threats = []
    for e in entries["threat"]:
        d, src, p = e.data, e.src, e.path
        for k in ("from", "to", "missile"):
            if k not in d:
                raise ScenarioError(f"{src.where(p)}: field '{fmt_path(p)}.{k}': missing")
        role = d.get("role", "strategic")
        if role not in ROLES:
            raise ScenarioError(f"{src.where(p + ('role',))}: field '{fmt_path(p)}.role': expected one of {ROLES}, got {role!r}{suggest(role, ROLES)}")
        launches = [_place(cat, x, src, p + ("from",)) for x in _as_list(d["from"])]
        targets = []
        for t in _as_list(d["to"]):
            targets += target_sets[t] if t in target_sets else [_place(cat, t, src, p + ("to",))]
        missiles = []
        for mname in _as_list(d["missile"]):
            try:
                missiles.append(cat.missile(mname))
            except CatalogError as exc:
                raise ScenarioError(f"{src.where(p + ('missile',))}: field '{fmt_path(p)}.missile': {exc}") from None
        profiles = tuple(_as_list(d.get("profiles", ["min-energy"])))
        for pr in profiles:
            if pr not in PROFILES:
                raise ScenarioError(f"{src.where(p + ('profiles',))}: field '{fmt_path(p)}.profiles': expected some of {PROFILES}, got {pr!r}{suggest(pr, PROFILES)}")
        if not launches or not targets or not missiles:
            raise ScenarioError(f"{src.where(p)}: field '{fmt_path(p)}': empty from, to or missile")
        threats.append(ThreatSpec(d["name"], role, launches, targets, missiles, profiles, d.get("source", "")))

    raids, notes = [], []
    groups = {t.name: t for t in threats}
    for e in entries["raid"]:
        if e.data.get("threat") not in groups and Path(e.src.path).resolve() != path.resolve():
            # inherited, and this file removed its threat group: the raid goes with it (said in the assumptions)
            notes.append(f"raid {e.data['name']!r} of {e.src.path} dropped: its threat group "
                         f"{e.data.get('threat')!r} was removed")
            continue
        raids.append(_raid(e.data, e.src, e.path, groups))
    balance = None
    bd, bsrc = tab("balance")
    if bd:
        balance = _balance(bd, bsrc)

    an, asrc = tab("analyses")
    run_list = _as_list(an.get("run", ["assess", "south-vs-north"]))
    for a in run_list:
        if a not in ANALYSES:
            raise ScenarioError(f"{asrc.where(('analyses', 'run'))}: field 'analyses.run': unknown analysis {a!r}{suggest(a, ANALYSES)} "
                                f"(expected some of {', '.join(ANALYSES)})")
    fp = None
    if "footprint" in an:
        fd = an["footprint"]
        pth = ("analyses", "footprint")
        for k in ("launch_area", "missile"):
            if k not in fd:
                raise ScenarioError(f"{asrc.where(pth)}: field 'analyses.footprint.{k}': missing")
        la = _place(cat, fd["launch_area"], asrc, pth + ("launch_area",))
        try:
            mis = cat.missile(fd["missile"])
        except CatalogError as exc:
            raise ScenarioError(f"{asrc.where(pth + ('missile',))}: field 'analyses.footprint.missile': {exc}") from None
        reg = fd.get("region_deg", [34.0, 72.0, -12.0, 45.0])
        if not (isinstance(reg, list) and len(reg) == 4 and reg[0] < reg[1] and reg[2] < reg[3]):
            raise ScenarioError(f"{asrc.where(pth + ('region_deg',))}: field 'analyses.footprint.region_deg': expected "
                                f"[lat_min, lat_max, lon_min, lon_max] with min < max, got {reg!r}")
        step = _positive(float(fd.get("step_deg", 0.5)), asrc, pth + ("step_deg",))
        if step < 0.05:
            raise ScenarioError(f"{asrc.where(pth + ('step_deg',))}: field 'analyses.footprint.step_deg': expected >= 0.05 deg, got {step:g}")
        countries = tuple(_as_list(fd.get("countries", [])))
        if countries:
            from .. import geo

            for c in countries:
                try:
                    geo.country(c)
                except ValueError as exc:
                    raise ScenarioError(f"{asrc.where(pth + ('countries',))}: field 'analyses.footprint.countries': {exc}") from None
        fp = FootprintSpec(la, mis, tuple(float(x) for x in reg), step, countries)
    if "raid" in run_list and not raids and Path(asrc.path).resolve() != path.resolve():
        run_list = [a for a in run_list if a != "raid"]  # inherited, and its raids went with their threats
    if "raid" in run_list and not raids:
        raise ScenarioError(f"{asrc.where(('analyses', 'run'))}: field 'analyses.run': 'raid' is asked for but the "
                            "scenario has no [[raid]]")
    if "balance" in run_list and balance is None:
        raise ScenarioError(f"{asrc.where(('analyses', 'run'))}: field 'analyses.run': 'balance' is asked for but the "
                            "scenario has no [balance] table (force, attack)")
    if "footprint" in run_list and fp is None:
        raise ScenarioError(f"{asrc.where(('analyses', 'run'))}: field 'analyses.run': 'footprint' is asked for but "
                            "[analyses.footprint] is missing (launch_area, missile, region_deg, step_deg)")

    ph, psrc = tab("phases")
    members = []
    for i, ref in enumerate(_as_list(ph.get("members", []))):
        try:
            mp = resolve(ref, Path(psrc.path))
        except ScenarioError as exc:
            raise ScenarioError(f"{psrc.where(('phases', 'members'))}: field 'phases.members': {exc}") from None
        if mp.resolve() == path.resolve() or mp.resolve() in stack:
            raise ScenarioError(f"{psrc.where(('phases', 'members'))}: field 'phases.members': {ref!r} is this comparison itself")
        members.append(_build(mp, cat, stack + (path.resolve(),)))
    if not members and not threats:
        raise ScenarioError(f"{path}: no [[threat]]: nothing to assess")
    return Scenario(
        name=name, description=sc.get("description", ""), path=str(path), files=files, options=options,
        threat_step=threat_step, coarse_step=coarse_step, decision_time=float(dd.get("decision_time_s", 30.0)),
        track_time=_num(dd, "track_time_s"), rcs=rcs, assessment_time=float(dd.get("assessment_time_s", 60.0)),
        launch_delay=launch_delay, default_cue=cue, lofted_factor=lf, depressed_factor=df,
        interceptors=interceptors, radars=radars, batteries=batteries, target_sets=target_sets, threats=threats,
        analyses=run_list, footprint=fp, phases=members, year=sc.get("year"), sources=_as_list(sc.get("sources", [])),
        doctrine=doctrine, raids=raids, balance=balance, notes=notes,
        satellites=satellites, networks=networks, signature_model=sig_model,
        signatures=_signatures(rcs) if sig_model == "by-phase" else None,
        tail_chase=tail_rule, tail_chase_closing_speed=tail_speed, handover_time=handover,
    )


def _signatures(rcs: float):
    """Radar signatures by flight phase for every catalog missile class; a
    missile outside the classes keeps the doctrine's constant RCS."""
    from ..catalog.sensors import default_sensors
    from ..sensors import Signature, Signatures

    return Signatures(default_sensors().by_missile().by_missile, default=Signature.constant(rcs))


def _doctrine(dd, src):
    from ..wta import PK_DEFAULT, PK_RANGE, PK_SOURCE, SHOT_DOCTRINES, Doctrine, WTAError

    shot = dd.get("shot_doctrine", "shoot-look-shoot")
    if shot not in SHOT_DOCTRINES:
        raise ScenarioError(f"{src.where(('doctrine', 'shot_doctrine'))}: field 'doctrine.shot_doctrine': expected one of "
                            f"{SHOT_DOCTRINES}, got {shot!r}{suggest(shot, SHOT_DOCTRINES)}")
    look = shot == "shoot-look-shoot"
    salvo = dd.get("salvo", 1 if look else 2)
    kmax = dd.get("max_engagements", 2 if look else 1)
    for k, v in (("salvo", salvo), ("max_engagements", kmax)):
        if v < 1:
            raise ScenarioError(f"{src.where(('doctrine', k))}: field 'doctrine.{k}': expected an integer >= 1, got {v}")
    pk = float(dd.get("kill_probability", PK_DEFAULT))
    if not 0.0 <= pk <= 1.0:
        raise ScenarioError(f"{src.where(('doctrine', 'kill_probability'))}: field 'doctrine.kill_probability': "
                            f"expected a probability in [0, 1], got {pk:g}")
    rng = dd.get("kill_probability_range", list(PK_RANGE) if "kill_probability" not in dd else [pk, pk])
    if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in rng)
            and 0.0 <= rng[0] <= pk <= rng[1] <= 1.0):
        raise ScenarioError(f"{src.where(('doctrine', 'kill_probability_range'))}: field 'doctrine.kill_probability_range': "
                            f"expected [low, high] with 0 <= low <= kill_probability ({pk:g}) <= high <= 1, got {rng!r}")
    psrc = dd.get("kill_probability_source", PK_SOURCE if "kill_probability" not in dd else "given in the scenario")
    try:
        return Doctrine(shot=shot, salvo=int(salvo), max_engagements=int(kmax), pk=pk,
                        pk_range=(float(rng[0]), float(rng[1])), pk_source=psrc)
    except WTAError as exc:
        raise ScenarioError(f"{src.where(('doctrine',))}: field 'doctrine': {exc}") from None


def _raid(d, src, p, groups):
    where = lambda k: src.where(p + (k,))  # noqa: E731
    fp = fmt_path(p)
    for k in ("threat", "missiles"):
        if k not in d:
            raise ScenarioError(f"{src.where(p)}: field '{fp}.{k}': missing")
    if d["threat"] not in groups:
        raise ScenarioError(f"{where('threat')}: field '{fp}.threat': no [[threat]] named {d['threat']!r}"
                            f"{suggest(d['threat'], groups)} (threat groups: {', '.join(groups)})")
    g = groups[d["threat"]]
    names = [pl.name for pl in g.launches]
    launches = tuple(_as_list(d.get("from", [])))
    for x in launches:
        if x not in names:
            raise ScenarioError(f"{where('from')}: field '{fp}.from': {x!r} is not a launch point of threat "
                                f"{g.name!r}{suggest(x, names)} (its launch points: {', '.join(names)})")
    for k, lo in (("missiles", 1), ("warheads_per_missile", 1), ("decoys_per_missile", 0)):
        v = d.get(k, lo)
        if v < lo:
            raise ScenarioError(f"{where(k)}: field '{fp}.{k}': expected an integer >= {lo}, got {v}")
    if d["missiles"] > 100_000:
        raise ScenarioError(f"{where('missiles')}: field '{fp}.missiles': expected at most 100,000, got {d['missiles']}")
    for k in ("start_s", "spacing_s"):
        if k in d:
            _positive(float(d[k]), src, p + (k,), allow_zero=True)
    return RaidSpec(d["name"], g.name, launches, int(d["missiles"]), int(d.get("warheads_per_missile", 1)),
                    int(d.get("decoys_per_missile", 0)), float(d.get("start_s", 0.0)), float(d.get("spacing_s", 0.0)),
                    d.get("source", ""))


def _balance(bd, src):
    from ..catalog import forces as F

    def names(key, loader, default):
        out = []
        for x in _as_list(bd.get(key, default)):
            try:
                out.append(loader(x).name)
            except CatalogError as exc:
                raise ScenarioError(f"{src.where(('balance', key))}: field 'balance.{key}': {exc}") from None
        return tuple(out)

    if "force" not in bd:
        raise ScenarioError(f"{src.where(('balance',))}: field 'balance.force': missing (a force of the catalog, "
                            f"e.g. {', '.join(F.force_names()[:3])})")
    forces = names("force", F.load_force, None)
    attacks = names("attack", F.load_attack, ["full launch"])
    dec = bd.get("decoys_per_missile", 0)
    if dec < 0:
        raise ScenarioError(f"{src.where(('balance', 'decoys_per_missile'))}: field 'balance.decoys_per_missile': "
                            f"expected an integer >= 0, got {dec}")
    out = {}
    for key, default in (("inventory_factors", [0.5, 2.0]), ("decision_times_s", [10.0, 60.0])):
        v = bd.get(key, default)
        if not (isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                                            and x >= 0 for x in v)):
            raise ScenarioError(f"{src.where(('balance', key))}: field 'balance.{key}': expected a list of numbers >= 0, got {v!r}")
        out[key] = tuple(float(x) for x in v)
    method = bd.get("method", "auto")
    if method not in ("auto", "optimal", "greedy"):
        raise ScenarioError(f"{src.where(('balance', 'method'))}: field 'balance.method': expected auto, optimal or greedy, "
                            f"got {method!r}")
    return BalanceSpec(forces, attacks, int(dec), out["inventory_factors"], out["decision_times_s"], method)
