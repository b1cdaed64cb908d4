"""Technical guarantees: machine-checkable limits on a deployment, and the
physical claim they are meant to back.

A guarantee file (TOML)::

    [guarantee]      name, description, protected_party, sources
    [assumptions]    sets = [...] the assumption sets the claim must hold under
                     (names of :mod:`openbmd.analysis.robustness`: "own-radar",
                     "as declared", "remote", "early-warning-launch", "tail chase
                     allowed", ...); default: the nested cue sets "as declared",
                     "remote" and "early-warning-launch", whose last is the
                     protected party's worst case the deployment's sensors allow;
                     or launch_delay_s = T (one set: every interceptor may launch
                     T s after the threat's launch, whatever the radars see);
                     decision_time_s; protected_role ("strategic"), mission_role
                     ("southern"), min_mission_coverage (0..1)
    [[limit]]        kind = one of LIMIT_KINDS, with its fields (see below)

Limit kinds (all angles in degrees, distances in km, speeds in km/s):

* ``max_burnout_speed``: ``max_km_s``; optional ``area`` (a named area) or
  ``polygon_deg`` ([[lat, lon], ...]): applies to batteries inside it;
* ``no_naval_north_of``: ``lat_deg`` (ships and their patrol boxes);
* ``keep_out``: ``area`` or ``polygon_deg``; ``applies_to`` = all | ship | land;
* ``min_distance_from_border``: ``country``, ``km``;
* ``no_sites_east_of``: ``lon_deg``;
* ``radar_sector``: ``radar`` (a scenario radar name, or "*" for all),
  ``azimuth_min_deg``, ``azimuth_max_deg``: the radar's field of view must lie
  within the sector (clockwise from min to max);
* ``max_interceptors_per_site``: ``count``;
* ``max_interceptors_total``: ``count``: every battery's interceptors together
  (one interceptor per launcher, so also a limit on launchers);
* ``max_deployment_areas``: ``count``, ``radius_km``: every site (each
  station of a ship's patrol box too) inside at most ``count`` circles of
  that radius;
* ``no_basing``: ``modes`` (a list of sea, air, space, mobile-land): no
  battery of those basing modes (a scenario's ship batteries are sea-based;
  a land battery with a patrol box or several stations is mobile land-based;
  the scenario format has no air- or space-based batteries);
* ``early_warning_periphery``: ``km``; optional ``country`` (default: each
  radar's own country), ``probe_km`` (300), ``outside_tolerance_km`` (25):
  every early-warning radar within ``km`` of its national territory's border,
  not more than the tolerance outside it, and oriented outward (the point
  ``probe_km`` along its boresight lies outside the territory);
* limits on flight tests (checked against a flight-test file, see
  :mod:`openbmd.flighttests`; against a deployment they do not apply):
  ``max_test_interceptor_speed`` (``max_km_s``), ``max_test_target_speed``
  (``max_km_s``), ``max_test_target_range`` (``max_km``),
  ``max_test_intercept_altitude`` (``max_km``).

:func:`verify` checks (a) compliance with each limit (by how much it fails),
(b) the physical claim: no protected trajectory can be engaged under any of
the assumption sets (per set: its verdict and smallest margin; the *binding*
set is the one with the smallest margin), (c) the mission: the share of the
mission's threats still covered, the smallest over the sets (the deploying
party's worst case).
"""

from __future__ import annotations

import copy
import functools
import math
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np

from . import geo
from .scenario import ScenarioError, read_toml
from .tomlsource import fmt_path, suggest

LIMIT_KINDS = ("max_burnout_speed", "no_naval_north_of", "keep_out", "min_distance_from_border", "no_sites_east_of",
               "radar_sector", "max_interceptors_per_site", "max_interceptors_total", "max_deployment_areas",
               "no_basing", "early_warning_periphery", "max_test_interceptor_speed", "max_test_target_speed",
               "max_test_target_range", "max_test_intercept_altitude")
#: limits on flight tests: what a test may demonstrate (the parameter, its unit)
TEST_LIMIT_KINDS = {"max_test_interceptor_speed": ("interceptor burnout speed", "km/s"),
                    "max_test_target_speed": ("target speed", "km/s"),
                    "max_test_target_range": ("target range", "km"),
                    "max_test_intercept_altitude": ("intercept altitude", "km")}
BASING_MODES = ("sea", "air", "space", "mobile-land")
LIMIT_FIELDS = {
    "max_burnout_speed": {"max_km_s": float, "area": str, "polygon_deg": list},
    "no_naval_north_of": {"lat_deg": float},
    "keep_out": {"area": str, "polygon_deg": list, "applies_to": str},
    "min_distance_from_border": {"country": str, "km": float},
    "no_sites_east_of": {"lon_deg": float},
    "radar_sector": {"radar": str, "azimuth_min_deg": float, "azimuth_max_deg": float},
    "max_interceptors_per_site": {"count": int},
    "max_interceptors_total": {"count": int},
    "max_deployment_areas": {"count": int, "radius_km": float},
    "no_basing": {"modes": list},
    "early_warning_periphery": {"km": float, "country": str, "probe_km": float, "outside_tolerance_km": float},
    "max_test_interceptor_speed": {"max_km_s": float},
    "max_test_target_speed": {"max_km_s": float},
    "max_test_target_range": {"max_km": float},
    "max_test_intercept_altitude": {"max_km": float},
}
REQUIRED = {
    "max_burnout_speed": ("max_km_s",), "no_naval_north_of": ("lat_deg",), "keep_out": (),
    "min_distance_from_border": ("country", "km"), "no_sites_east_of": ("lon_deg",),
    "radar_sector": ("radar", "azimuth_min_deg", "azimuth_max_deg"), "max_interceptors_per_site": ("count",),
    "max_interceptors_total": ("count",), "max_deployment_areas": ("count", "radius_km"), "no_basing": ("modes",),
    "early_warning_periphery": ("km",), "max_test_interceptor_speed": ("max_km_s",),
    "max_test_target_speed": ("max_km_s",), "max_test_target_range": ("max_km",),
    "max_test_intercept_altitude": ("max_km",),
}
SCHEMA = {
    "guarantee": {"name": str, "description": str, "protected_party": str, "sources": list},
    "assumptions": {"cue": str, "sets": list, "launch_delay_s": float, "decision_time_s": float, "protected_role": str,
                    "mission_role": str, "min_mission_coverage": float, "launch_delay_s_range": list},
}


class GuaranteeError(ScenarioError):
    """A bad guarantee file: names the file, line and field."""


# ------------------------------------------------------------ named areas ----
def _areas_file() -> Path:
    return Path(str(resources.files("openbmd") / "data" / "areas.toml"))


def named_areas() -> dict:
    """Named sea areas and regions (polygons of (lat, lon) degrees) with sources
    (the bundled file is read once per modification; a copy is returned)."""
    p = _areas_file()
    st = p.stat()
    return copy.deepcopy(_read_areas(str(p), st.st_mtime_ns, st.st_size))


@functools.lru_cache(maxsize=4)
def _read_areas(path: str, mtime_ns: int, size: int) -> dict:
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    return {a["name"]: a for a in doc["area"]}


def area_polygon(name: str) -> np.ndarray:
    areas = named_areas()
    if name not in areas:
        raise GuaranteeError(f"unknown area {name!r}{suggest(name, areas)} (bundled: {', '.join(areas)})")
    return np.asarray(areas[name]["polygon_deg"], dtype=float)


def in_polygon(poly_latlon, lat_deg, lon_deg) -> np.ndarray:
    """Points inside a (lat, lon) polygon."""
    p = np.asarray(poly_latlon, float)
    return geo.polygon_mask([p[:, ::-1]], np.atleast_1d(lat_deg), np.atleast_1d(lon_deg))


# --------------------------------------------------------------- the file ----
@dataclass
class Limit:
    kind: str
    params: dict
    where: str  # file:line
    source: str = ""  # the limit's own citation (precedent files: the article)
    ranges: dict = field(default_factory=dict)  # {field: (low, high)} of assumed figures

    def describe(self) -> str:
        p = self.params
        k = self.kind
        if k == "max_burnout_speed":
            reg = p.get("area") or ("the given polygon" if "polygon_deg" in p else "anywhere")
            return f"interceptor burnout speed at most {p['max_km_s']:g} km/s for sites in {reg}"
        if k == "no_naval_north_of":
            return f"no naval interceptor launchers north of {p['lat_deg']:g} deg N"
        if k == "keep_out":
            who = "" if p.get("applies_to", "all") == "all" else p["applies_to"] + " "
            return f"no {who}interceptor sites inside {p.get('area') or 'the given polygon'}"
        if k == "min_distance_from_border":
            return f"no interceptor sites within {p['km']:g} km of {p['country']}"
        if k == "no_sites_east_of":
            return f"no interceptor sites east of {p['lon_deg']:g} deg E"
        if k == "radar_sector":
            return (f"radar {p['radar']} field of view within azimuths {p['azimuth_min_deg']:g}-"
                    f"{p['azimuth_max_deg']:g} deg")
        if k == "max_interceptors_total":
            return f"at most {p['count']} interceptors (and launchers) in all"
        if k == "max_deployment_areas":
            return f"every site within {p['count']} deployment area(s) of radius {p['radius_km']:g} km"
        if k == "no_basing":
            return f"no {', '.join(p['modes'])}-based interceptor batteries"
        if k == "early_warning_periphery":
            who = p.get("country") or "its own country"
            return (f"early-warning radars within {p['km']:g} km of the border of {who} and oriented outward "
                    f"(the point {p.get('probe_km', 300.0):g} km along the boresight outside it)")
        if k in TEST_LIMIT_KINDS:
            what, unit = TEST_LIMIT_KINDS[k]
            v = p.get("max_km_s", p.get("max_km"))
            return f"in flight tests: {what} at most {v:g} {unit}"
        return f"at most {p['count']} interceptors per site"


@dataclass
class Guarantee:
    name: str
    description: str
    protected_party: str
    path: str
    limits: list
    cue: str  # "scenario" or "launch_delay"
    launch_delay: float | None
    decision_time: float | None
    protected_role: str
    mission_role: str
    min_mission_coverage: float
    launch_delay_range: tuple | None = None
    sources: list = field(default_factory=list)
    sets: tuple = ()  # assumption sets (robustness names); () with cue = launch_delay: that one set

    @property
    def set_names(self) -> tuple:
        """The assumption sets the claim is judged under, in order."""
        if self.cue == "launch_delay":
            return (f"launch delay {self.launch_delay:g} s",)
        return self.sets or DEFAULT_SETS

    def assumptions(self) -> list[str]:
        out = [f"guarantee {self.name!r} ({self.path}) protecting {self.protected_party}: the scenario's "
               f"'{self.protected_role}' threats are the protected trajectories; '{self.mission_role}' the stated mission"]
        if self.cue == "launch_delay":
            out.append(f"every interceptor may launch {self.launch_delay:g} s after the threat's launch "
                       "(an early-warning cue: the protected party's worst case), whatever the radars see")
        else:
            out.append("the claim must hold under every assumption set: " + "; ".join(
                f"{n} ({_describe_set(n)})" for n in self.set_names)
                       + ("" if self.sets else " (the default: the nested cue sets up to the protected party's worst "
                          "case the deployment's sensors allow)"))
        if self.decision_time is not None:
            out.append(f"decision time {self.decision_time:g} s")
        out.append(f"the mission is covered when at least {100 * self.min_mission_coverage:g} % of its threats can be engaged")
        return out + [f"limit: {lim.describe()}" for lim in self.limits]


DEFAULT_SETS = ("as declared", "remote", "early-warning-launch")


def _describe_set(name: str) -> str:
    from .analysis.robustness import DESCRIBE

    return DESCRIBE.get(name, name)


def bundled_guarantees() -> list[str]:
    d = Path(str(resources.files("openbmd") / "guarantees"))
    return sorted(p.stem for p in d.glob("*.toml"))


def _resolve(ref) -> Path:
    p = Path(str(ref))
    if p.is_file():
        return p
    b = Path(str(resources.files("openbmd") / "guarantees")) / f"{ref}.toml"
    if b.is_file():
        return b
    raise GuaranteeError(f"no guarantee file or bundled guarantee {str(ref)!r}{suggest(str(ref), bundled_guarantees())} "
                         f"(bundled: {', '.join(bundled_guarantees())})")


def _typed(v, want):
    if want is bool:
        return isinstance(v, bool)
    if want is int:
        return isinstance(v, int) and not isinstance(v, bool)
    if want is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return isinstance(v, want)


_TNAME = {str: "a string", bool: "true or false", int: "an integer", float: "a finite number", list: "a list"}


def load_guarantee(ref) -> Guarantee:
    """Load and validate a guarantee file (a path or a bundled name)."""
    path = _resolve(ref)
    doc, src = read_toml(path, GuaranteeError, "guarantee")

    def err(pth, msg):
        return GuaranteeError(f"{src.where(pth)}: field '{fmt_path(pth)}': {msg}")

    for k in doc:
        if k not in (*SCHEMA, "limit"):
            raise GuaranteeError(f"{src.where((k,))}: unknown table '{k}'{suggest(k, [*SCHEMA, 'limit'])}")
    for k, schema in SCHEMA.items():
        for key, v in doc.get(k, {}).items():
            if key not in schema:
                raise err((k, key), f"unknown field{suggest(key, schema)} (expected one of: {', '.join(schema)})")
            if not _typed(v, schema[key]):
                raise err((k, key), f"expected {_TNAME[schema[key]]}, got {v!r}")
    g = doc.get("guarantee", {})
    if not g.get("name"):
        raise err(("guarantee", "name"), "missing (every guarantee needs a name)")
    a = doc.get("assumptions", {})
    if "launch_delay_s" in a and a.get("cue", "launch_delay") != "launch_delay":
        raise err(("assumptions", "cue"), f"cue = {a['cue']!r} contradicts launch_delay_s (give one)")
    cue = a.get("cue", "launch_delay" if "launch_delay_s" in a else "scenario")
    if cue not in ("scenario", "launch_delay"):
        raise err(("assumptions", "cue"), f"expected 'scenario' or 'launch_delay', got {cue!r}")
    if cue == "launch_delay" and "launch_delay_s" not in a:
        raise err(("assumptions", "launch_delay_s"), "missing (cue = 'launch_delay' needs it)")
    for k in ("launch_delay_s", "decision_time_s"):
        if k in a and a[k] < 0:
            raise err(("assumptions", k), f"expected >= 0, got {a[k]:g}")
    sets = a.get("sets", [])
    if sets:
        from .analysis.robustness import SETS

        if not all(isinstance(x, str) for x in sets):
            raise err(("assumptions", "sets"), f"expected a list of assumption-set names, got {sets!r}")
        if cue == "launch_delay":
            raise err(("assumptions", "sets"), "contradicts launch_delay_s (a launch delay is its own single set)")
        for x in sets:
            if x not in SETS:
                raise err(("assumptions", "sets"), f"unknown assumption set {x!r}{suggest(x, SETS)} "
                          f"(known: {', '.join(SETS)})")
        if len(set(sets)) != len(sets):
            raise err(("assumptions", "sets"), f"a set named twice in {sets!r}")
    cov = float(a.get("min_mission_coverage", 0.0))
    if not 0.0 <= cov <= 1.0:
        raise err(("assumptions", "min_mission_coverage"), f"expected a share within 0..1, got {cov:g}")
    rng = a.get("launch_delay_s_range")
    if rng is not None:
        if not (len(rng) == 2 and all(_typed(x, float) for x in rng) and 0 <= rng[0] <= rng[1]):
            raise err(("assumptions", "launch_delay_s_range"), f"expected [low, high] with 0 <= low <= high, got {rng!r}")
        rng = (float(rng[0]), float(rng[1]))
    limits = []
    items = doc.get("limit", [])
    if not isinstance(items, list):
        raise GuaranteeError(f"{src.where(('limit',))}: 'limit' must be written [[limit]]")
    areas = named_areas()
    for i, lim in enumerate(items):
        p = ("limit", i)
        kind = lim.get("kind")
        if kind not in LIMIT_KINDS:
            raise err(p + ("kind",), f"expected one of {', '.join(LIMIT_KINDS)}, got {kind!r}{suggest(kind or '', LIMIT_KINDS)}")
        fields = LIMIT_FIELDS[kind]
        for key, v in lim.items():
            if key == "kind":
                continue
            if key == "source":  # where the limit's figures come from (any kind; audited)
                if not isinstance(v, str):
                    raise err(p + (key,), f"expected a string, got {v!r}")
                continue
            if key.endswith("_range") and key[:-6] in fields and fields[key[:-6]] is float:
                # the range of an ASSUMED figure: [low, high] around the value
                val = lim.get(key[:-6])
                if not (isinstance(v, list) and len(v) == 2 and all(_typed(x, float) for x in v) and v[0] <= v[1]
                        and (val is None or not _typed(val, float) or v[0] <= val <= v[1])):
                    raise err(p + (key,), f"expected [low, high] around {key[:-6]} = {val!r}, got {v!r}")
                continue
            if key not in fields:
                raise err(p + (key,), f"unknown field for a {kind} limit{suggest(key, fields)} (expected: {', '.join(fields)})")
            if not _typed(v, fields[key]):
                raise err(p + (key,), f"expected {_TNAME[fields[key]]}, got {v!r}")
        for key in REQUIRED[kind]:
            if key not in lim:
                raise err(p + (key,), f"missing (a {kind} limit needs {', '.join(REQUIRED[kind])})")
        params = {k: v for k, v in lim.items() if k not in ("kind", "source") and not (
            k.endswith("_range") and k[:-6] in fields)}
        if "area" in params and "polygon_deg" in params:
            raise err(p + ("area",), "give either area or polygon_deg, not both")
        if kind == "keep_out" and "area" not in params and "polygon_deg" not in params:
            raise err(p, "missing (a keep_out limit needs area or polygon_deg)")
        if "area" in params and params["area"] not in areas:
            raise err(p + ("area",), f"unknown area {params['area']!r}{suggest(params['area'], areas)} (bundled: {', '.join(areas)})")
        if "polygon_deg" in params:
            poly = params["polygon_deg"]
            if not (len(poly) >= 3 and all(isinstance(q, list) and len(q) == 2 and all(_typed(x, float) for x in q)
                                           for q in poly) and all(-90 <= q[0] <= 90 for q in poly)):
                raise err(p + ("polygon_deg",), "expected at least 3 [lat, lon] pairs in degrees")
        if kind == "keep_out" and params.get("applies_to", "all") not in ("all", "ship", "land"):
            raise err(p + ("applies_to",), f"expected all, ship or land, got {params['applies_to']!r}")
        if kind == "min_distance_from_border":
            try:
                geo.country(params["country"])
            except ValueError as exc:
                raise err(p + ("country",), str(exc)) from None
            if params["km"] < 0:
                raise err(p + ("km",), f"expected >= 0, got {params['km']:g}")
        if kind == "max_burnout_speed" and params["max_km_s"] <= 0:
            raise err(p + ("max_km_s",), f"expected > 0, got {params['max_km_s']:g}")
        if kind in ("max_interceptors_per_site", "max_interceptors_total") and params["count"] < 0:
            raise err(p + ("count",), f"expected >= 0, got {params['count']}")
        if kind == "max_deployment_areas":
            if params["count"] < 0:
                raise err(p + ("count",), f"expected >= 0, got {params['count']}")
            if not params["radius_km"] > 0:
                raise err(p + ("radius_km",), f"expected > 0, got {params['radius_km']:g}")
        if kind == "no_basing":
            bad = [m for m in params["modes"] if m not in BASING_MODES]
            if bad or not params["modes"]:
                m = str(bad[0]) if bad else ""
                raise err(p + ("modes",), f"expected a list of {', '.join(BASING_MODES)}, got "
                                          f"{params['modes']!r}{suggest(m, BASING_MODES) if m else ''}")
        if kind == "early_warning_periphery":
            if "country" in params:
                try:
                    geo.country(params["country"])
                except ValueError as exc:
                    raise err(p + ("country",), str(exc)) from None
            for key in ("km", "probe_km", "outside_tolerance_km"):
                if key in params and not params[key] >= 0:
                    raise err(p + (key,), f"expected >= 0, got {params[key]:g}")
        if kind in TEST_LIMIT_KINDS:
            key = "max_km_s" if "max_km_s" in LIMIT_FIELDS[kind] else "max_km"
            if not params[key] > 0:
                raise err(p + (key,), f"expected > 0, got {params[key]:g}")
        if kind == "no_naval_north_of" and not -90 <= params["lat_deg"] <= 90:
            raise err(p + ("lat_deg",), f"expected -90..90, got {params['lat_deg']:g}")
        limits.append(Limit(kind, params, src.where(p), lim.get("source", ""),
                            {k[:-6]: tuple(v) for k, v in lim.items() if k.endswith("_range") and k[:-6] in fields}))
    return Guarantee(
        name=g["name"], description=g.get("description", ""), protected_party=g.get("protected_party", ""),
        path=str(path), limits=limits, cue=cue, launch_delay=a.get("launch_delay_s"),
        decision_time=a.get("decision_time_s"), protected_role=a.get("protected_role", "strategic"),
        mission_role=a.get("mission_role", "southern"), min_mission_coverage=cov, launch_delay_range=rng,
        sources=list(g.get("sources", [])), sets=tuple(sets),
    )


# ------------------------------------------------------------- compliance ----
@dataclass
class Check:
    what: str
    passed: bool
    margin: float  # how far inside the limit (positive) or beyond it (negative), in `unit`
    unit: str
    detail: str = ""


def _region_mask(params, lat_deg, lon_deg):
    if "area" in params:
        return in_polygon(area_polygon(params["area"]), lat_deg, lon_deg)
    if "polygon_deg" in params:
        return in_polygon(params["polygon_deg"], lat_deg, lon_deg)
    return np.ones(np.size(lat_deg), bool)


def _border_distance_km(country, lat_deg, lon_deg):
    """Geodesic distance (km) from points to a country's boundary vertices;
    negative inside the country."""
    from pyproj import Geod

    c = geo.country(country)
    rings = [r for poly in c.polygons for r in poly]
    pts = np.vstack(rings)  # (lon, lat)
    g = Geod(ellps="WGS84")
    out = []
    for la, lo in zip(np.atleast_1d(lat_deg), np.atleast_1d(lon_deg)):
        # a coarse prefilter by angular distance, then geodesics to the nearest vertices
        d2 = (pts[:, 1] - la) ** 2 + ((pts[:, 0] - lo) * math.cos(math.radians(la))) ** 2
        near = pts[np.argsort(d2)[:200]]
        _, _, d = g.inv(np.full(len(near), lo), np.full(len(near), la), near[:, 0], near[:, 1])
        dist = float(np.min(d)) / 1e3
        inside = bool(geo.country_mask(country, np.array([la]), np.array([lo]))[0])
        out.append(-dist if inside else dist)
    return np.array(out)


def compliance(g: Guarantee, sc) -> list[Check]:
    """Each limit against the scenario's deployment."""
    checks = []
    for lim in g.limits:
        p, k = lim.params, lim.kind
        worst, detail = math.inf, ""
        if k == "radar_sector":
            radars = list(sc.radars.values()) if p["radar"] == "*" else [sc.radars[p["radar"]]] if p["radar"] in sc.radars else []
            if not radars and p["radar"] != "*":
                checks.append(Check(lim.describe(), True, math.inf, "deg", f"no radar named {p['radar']!r} in the scenario"))
                continue
            a0, a1 = p["azimuth_min_deg"] % 360, p["azimuth_max_deg"] % 360
            width = (a1 - a0) % 360 or 360.0
            for r in radars:
                b, hw = math.degrees(r.boresight_azimuth), math.degrees(r.azimuth_half_width)
                lo_ = (b - hw - a0) % 360  # the field of view's start, clockwise from the sector's
                if hw >= 180:
                    m = width - 360.0
                else:
                    m = min(width - lo_ - 2 * hw, lo_) if lo_ <= width else -max(
                        min(lo_ - width, 360 - lo_),  # starts outside: before the start, or past the end
                        lo_ + 2 * hw - 360 - width)  # and, starting before it, may overrun its end too
                if m < worst:
                    worst, detail = m, f"{r.name}: field of view {b - hw:.0f}..{b + hw:.0f} deg"
            checks.append(Check(lim.describe(), worst >= 0, worst, "deg", detail))
            continue
        if k in _WHOLE_DEPLOYMENT:
            checks.append(_WHOLE_DEPLOYMENT[k](lim, sc))
            continue
        for b in sc.batteries:
            la = np.degrees([s[0] for s in b.stations])
            lo = np.degrees([s[1] for s in b.stations])
            if k == "max_burnout_speed":
                inside = _region_mask(p, la, lo)
                if inside.any():
                    m = p["max_km_s"] - b.interceptor.burnout_speed / 1e3
                    if m < worst:
                        worst, detail = m, f"{b.name}: {b.interceptor.name} at {b.interceptor.burnout_speed / 1e3:g} km/s"
            elif k == "no_naval_north_of" and b.kind == "ship":
                north = b.patrol_box[1] if b.patrol_box else float(la.max())
                m = p["lat_deg"] - north
                if m < worst:
                    worst, detail = m, f"{b.name}: reaches {north:g} deg N"
            elif k == "keep_out" and p.get("applies_to", "all") in ("all", b.kind):
                inside = _region_mask(p, la, lo)
                m = -float(inside.sum())
                if inside.any() and m < worst:
                    worst, detail = m, f"{b.name}: {int(inside.sum())} of {len(la)} stations inside"
                elif worst == math.inf:
                    worst = 0.0
            elif k == "min_distance_from_border":
                d = _border_distance_km(p["country"], la, lo)
                m = float(d.min()) - p["km"]
                if m < worst:
                    worst, detail = m, f"{b.name}: {float(d.min()):,.0f} km from {p['country']}"
            elif k == "no_sites_east_of":
                m = p["lon_deg"] - float(lo.max())
                if m < worst:
                    worst, detail = m, f"{b.name}: at {float(lo.max()):.2f} deg E"
            elif k == "no_basing":
                mode = _basing_mode(b)
                if mode in p["modes"]:  # margin: minus the number of batteries so based
                    worst = min(worst, 0.0) - 1.0
                    detail = (detail + ", " if detail else "") + f"{b.name}: {mode}-based"
                elif worst == math.inf:
                    worst = 0.0
            elif k == "max_interceptors_per_site" and b.count is not None:
                m = float(p["count"] - b.count)
                if m < worst:
                    worst, detail = m, f"{b.name}: {b.count} interceptors"
        unit = {"max_burnout_speed": "km/s", "no_naval_north_of": "deg", "keep_out": "stations",
                "min_distance_from_border": "km", "no_sites_east_of": "deg",
                "max_interceptors_per_site": "interceptors", "no_basing": "batteries"}[k]
        checks.append(Check(lim.describe(), worst >= 0, worst, unit, detail or "no battery concerned"))
    return checks


def _basing_mode(b) -> str:
    """A battery's basing mode in the terms of ABM Treaty Article V: ships are
    sea-based; a land battery that moves (a patrol box, or several stations)
    is mobile land-based; a land battery at one point is fixed."""
    if b.kind == "ship":
        return "sea"
    if b.patrol_box is not None or len(b.stations) > 1:
        return "mobile-land"
    return "fixed-land"


def _unit_vectors(lat_deg, lon_deg):
    la, lo = np.radians(np.asarray(lat_deg, float)), np.radians(np.asarray(lon_deg, float))
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _areas_needed(lat_deg, lon_deg, radius_km):
    """How many circles of ``radius_km`` (on a sphere of the mean Earth radius)
    cover the points: greedy cover from candidate centres (the points, the
    midpoints of pairs and the circumcentres of triples), exact for one or two
    points and for one circle; and the smallest radius of one circle (km)."""
    R = 6371.0088
    u = _unit_vectors(lat_deg, lon_deg)
    u = np.unique(np.round(u, 12), axis=0)
    n = len(u)
    if n == 0:
        return 0, 0.0
    cands = [u]
    if n > 1:
        i, j = np.triu_indices(n, 1)
        m = u[i] + u[j]
        cands.append(m[np.linalg.norm(m, axis=1) > 1e-12])
    if 2 < n <= 40:
        import itertools

        tri = np.array(list(itertools.combinations(range(n), 3)))
        a, b_, c = u[tri[:, 0]], u[tri[:, 1]], u[tri[:, 2]]
        cc = np.cross(b_ - a, c - a)
        cc *= np.sign(np.einsum("ij,ij->i", cc, a + b_ + c))[:, None]
        cands.append(cc[np.linalg.norm(cc, axis=1) > 1e-15])
    cen = np.vstack(cands)
    cen /= np.linalg.norm(cen, axis=1)[:, None]
    d = R * np.arccos(np.clip(cen @ u.T, -1.0, 1.0))  # (candidates, points) km
    one = float(d.max(axis=1).min())
    cover = d <= radius_km * (1 + 1e-12) + 1e-9
    left, areas = np.ones(n, bool), 0
    while left.any():
        best = int(np.argmax((cover & left).sum(axis=1)))
        left &= ~cover[best]
        areas += 1
    return areas, one


def _all_sites(sc):
    la, lo = [], []
    for b in sc.batteries:
        la += [math.degrees(s[0]) for s in b.stations]
        lo += [math.degrees(s[1]) for s in b.stations]
    return np.array(la), np.array(lo)


def _check_total(lim, sc) -> Check:
    counted = [b for b in sc.batteries if b.count is not None]
    total = sum(b.count for b in counted)
    unknown = [b.name for b in sc.batteries if b.count is None]
    detail = f"{total} interceptors in {len(counted)} batteries" + (
        f"; no count given for {', '.join(unknown)} (not counted)" if unknown else "")
    m = float(lim.params["count"] - total)
    return Check(lim.describe(), m >= 0, m, "interceptors", detail)


def _check_areas(lim, sc) -> Check:
    p = lim.params
    la, lo = _all_sites(sc)
    if la.size == 0:
        return Check(lim.describe(), True, float(p["count"]), "areas", "no battery concerned")
    n, one = _areas_needed(la, lo, p["radius_km"])
    m = float(p["count"] - n)
    return Check(lim.describe(), m >= 0, m, "areas",
                 f"{la.size} sites need {n} circle(s) of {p['radius_km']:g} km; one circle would need a radius of "
                 f"{one:,.0f} km")


def _check_periphery(lim, sc) -> Check:
    """Early-warning radars on the periphery of the national territory and
    oriented outward: margin (km) the smallest of (``km`` - depth inside the
    territory), (tolerance - distance outside it) and the distance of the
    boresight probe point outside the territory (negative: inside)."""
    from pyproj import Geod

    p = lim.params
    probe = float(p.get("probe_km", 300.0))
    tol = float(p.get("outside_tolerance_km", 25.0))
    worst, detail, seen = math.inf, "", 0
    g = Geod(ellps="WGS84")
    for r in getattr(sc, "radars", {}).values():
        if getattr(r, "kind", "") != "early_warning":
            continue
        seen += 1
        country = p.get("country") or r.country
        try:
            geo.country(country)
        except ValueError:
            m, why = -math.inf, f"{r.name}: no national territory {country!r} to judge it by"
        else:
            la, lo = math.degrees(r.lat), math.degrees(r.lon)
            d = float(_border_distance_km(country, la, lo)[0])  # negative inside
            plo, pla, _ = g.fwd(lo, la, math.degrees(r.boresight_azimuth), probe * 1e3)
            dp = float(_border_distance_km(country, pla, plo)[0])
            parts = [(p["km"] + d, f"{-d:,.0f} km inside {country}"), (tol - d, f"{d:,.0f} km outside {country}"),
                     (dp, f"boresight {math.degrees(r.boresight_azimuth):.0f} deg: {probe:g} km out the point is "
                          f"{abs(dp):,.0f} km {'outside' if dp >= 0 else 'inside'} {country}")]
            m, why = min(parts)
            why = f"{r.name}: {why}"
        if m < worst:
            worst, detail = m, why
    if not seen:
        return Check(lim.describe(), True, math.inf, "km", "no early-warning radar in the deployment")
    return Check(lim.describe(), worst >= 0, worst, "km", detail)


def _check_test_limit(lim, sc) -> Check:
    return Check(lim.describe(), True, math.inf, TEST_LIMIT_KINDS[lim.kind][1],
                 "a limit on flight tests: checked against a flight-test file (openbmd guarantee observe), "
                 "not a deployment")


_WHOLE_DEPLOYMENT = {"max_interceptors_total": _check_total, "max_deployment_areas": _check_areas,
                     "early_warning_periphery": _check_periphery,
                     **{k: _check_test_limit for k in TEST_LIMIT_KINDS}}


# ----------------------------------------------------------------- claim ----
def claim_scenario(g: Guarantee, sc, set_name: str | None = None):
    """The scenario as the guarantee's assumptions say it is to be judged
    (under assumption set ``set_name``; default: the guarantee's last, the
    protected party's worst case)."""
    if g.cue == "launch_delay":
        new = replace(sc, launch_delay=float(g.launch_delay), batteries=[replace(b, cue=None) for b in sc.batteries])
    else:
        from .analysis.robustness import apply_set

        new = apply_set(sc, set_name or g.set_names[-1])
    if g.decision_time is not None:
        new = replace(new, decision_time=float(g.decision_time))
    return new


@dataclass
class Verification:
    guarantee: Guarantee
    scenario_name: str
    compliance: list
    protected_trajectories: int
    protected_engageable: int
    smallest_margin_s: float | None  # how far from engageable the closest protected trajectory is (> 0: holds)
    closest: str | None
    closest_battery: str | None
    engageable_examples: list
    mission_trajectories: int
    mission_coverage: float | None
    assumptions: list
    assessment: object = None  # the assessment under the binding assumption set (for maps)
    breaking: list = field(default_factory=list)  # what would break it: [{parameter, value, ...}]
    sets: list = field(default_factory=list)  # per assumption set: name, claim_holds, min_margin_s, ...
    binding: str | None = None  # the set with the smallest margin

    def set_table(self) -> list[str]:
        """One line per assumption set (for the CLI and the certificate)."""
        out = []
        for r in self.sets:
            m = "no protected trajectory in reach" if r["min_margin_s"] is None else f"engagement margin {-r['min_margin_s']:+.0f} s"
            cov = "" if r["mission_coverage"] is None else f"; mission {100 * r['mission_coverage']:.1f} %"
            mark = "  <- binding" if r["name"] == self.binding else ""
            out.append(f"{r['name']}: {'holds' if r['claim_holds'] else 'FAILS'} ({r['protected_engageable']} of "
                       f"{self.protected_trajectories} engageable; {m}{cov}){mark}")
        return out

    @property
    def compliant(self) -> bool:
        return all(c.passed for c in self.compliance)

    @property
    def claim_holds(self) -> bool:
        return self.protected_engageable == 0 and all(r["claim_holds"] for r in self.sets)

    @property
    def mission_covered(self) -> bool:
        return self.mission_coverage is not None and self.mission_coverage >= self.guarantee.min_mission_coverage - 1e-12

    @property
    def passed(self) -> bool:
        return self.compliant and self.claim_holds and (self.mission_covered or self.mission_trajectories == 0)

    def to_dict(self) -> dict:
        from .jsonsafe import jsonable

        return jsonable({
            "guarantee": self.guarantee.name, "scenario": self.scenario_name, "passed": self.passed,
            "compliant": self.compliant,
            "compliance": [c.__dict__ for c in self.compliance],
            "claim_holds": self.claim_holds, "protected_trajectories": self.protected_trajectories,
            "protected_engageable": self.protected_engageable, "smallest_margin_s": self.smallest_margin_s,
            "engagement_margin_s": None if self.smallest_margin_s is None else -self.smallest_margin_s,
            "closest_trajectory": self.closest, "closest_battery": self.closest_battery,
            "engageable_examples": self.engageable_examples,
            "mission_trajectories": self.mission_trajectories, "mission_coverage": self.mission_coverage,
            "min_mission_coverage": self.guarantee.min_mission_coverage, "mission_covered": self.mission_covered,
            "what_would_break_it": self.breaking, "assumptions": self.assumptions,
            "assumption_sets": self.sets, "binding_assumption": self.binding,
        })


def _judge(g: Guarantee, judged, progress=None):
    """The claim and the mission in one judged scenario."""
    from .analysis import assess

    a = assess(judged, progress=progress)
    t = a.per_threat()
    prot = t[t["role"] == g.protected_role]
    if prot.empty:
        raise GuaranteeError(f"{judged.path}: the scenario has no '{g.protected_role}' threats to protect")
    mis = t[t["role"] == g.mission_role]
    best = prot["best_margin_s"]
    if best.notna().any():
        i = best.idxmax()
        smallest = -float(best.max())
        closest, cb = str(prot.loc[i, "label"]), prot.loc[i, "best_battery"]
    else:
        smallest, closest, cb = None, None, None
    return a, prot, mis, smallest, closest, cb


def verify(g: Guarantee, sc, progress=None, cache: dict | None = None) -> Verification:
    """Compliance, the physical claim and the mission, for one deployment,
    under each of the guarantee's assumption sets. The claim holds only if
    it holds under every set; the headline figures are the binding set's
    (the smallest margin); the mission coverage is the smallest over the
    sets."""
    if sc.is_comparison:
        raise GuaranteeError(f"{sc.path}: a comparison of scenarios; verify one architecture at a time")
    checks = compliance(g, sc)
    cache = {} if cache is None else cache
    runs = []
    for name in g.set_names:
        # ``cache``: judgements shared by guarantees that judge a scenario alike
        key = (sc.path, sc.name, name, g.cue, g.launch_delay, g.decision_time, g.protected_role, g.mission_role)
        if key not in cache:
            cache[key] = _judge(g, claim_scenario(g, sc, name), progress)
        runs.append((name, *cache[key]))
    rows = []
    for name, a, prot, mis, smallest, _, _ in runs:
        rows.append({"name": name, "claim_holds": bool(not prot["engageable"].any()), "min_margin_s": smallest,
                     "protected_engageable": int(prot["engageable"].sum()),
                     "mission_coverage": float(mis["engageable"].mean()) if len(mis) else None})
    # the binding set: the smallest margin (None: nothing in reach, ranked last); ties: the later (worse) set
    key = [(r["min_margin_s"] if r["min_margin_s"] is not None else np.inf) for r in rows]
    k = min(range(len(rows)), key=lambda j: (key[j], -j))
    name, a, prot, mis, smallest, closest, cb = runs[k]
    eng = prot[prot["engageable"]]
    covs = [r["mission_coverage"] for r in rows if r["mission_coverage"] is not None]
    return Verification(
        g, sc.name, checks, len(prot), int(len(eng)), smallest, closest, cb,
        [f"{r.label} (by {r.best_battery}, margin {r.best_margin_s:+.0f} s)" for r in eng.head(10).itertuples()],
        len(mis), min(covs) if covs else None,
        g.assumptions() + [f"binding assumption set: {name}"] + a.assumptions(), a,
        sets=rows, binding=name,
    )


def table_inputs(guarantees=None, scenarios=None):
    """Guarantees and single-architecture scenarios by name (default: all
    bundled; comparisons left out), loaded once."""
    from .scenario import bundled_names, load

    gs = [load_guarantee(n) for n in (guarantees or bundled_guarantees())]
    scs = [s for s in (load(n) for n in (scenarios or bundled_names())) if not s.is_comparison]
    return gs, scs


def table(gs, scs, progress=None) -> list[dict]:
    """Every guarantee against every scenario: one row per pair with
    ``guarantee``, ``scenario``, ``complies``, ``claim_holds``,
    ``binding_assumption``, ``min_margin_s``, ``mission_coverage``,
    ``passed`` and ``failed_limits``. A scenario's judgement under one set is
    shared by the guarantees that judge it alike (:func:`verify`'s cache)."""
    memo: dict = {}
    rows = []
    for sc in scs:
        for g in gs:
            v = verify(g, sc, cache=memo)
            rows.append({"guarantee": Path(g.path).stem, "scenario": sc.name, "complies": v.compliant,
                         "claim_holds": v.claim_holds, "binding_assumption": v.binding,
                         "min_margin_s": v.smallest_margin_s, "mission_coverage": v.mission_coverage,
                         "passed": v.passed, "failed_limits": [c.what for c in v.compliance if not c.passed]})
            if progress:
                progress(1)
    return rows


def what_would_break(g: Guarantee, sc, v: Verification, *, max_speed_km_s: float = 10.0, tol_km_s: float = 0.05) -> list:
    """The smallest change of single parameters that makes a protected
    trajectory engageable (the claim holding before): an earlier interceptor
    launch (exactly the smallest margin), and for each battery the burnout
    speed at which its interceptor first engages one (bisection; the staged
    booster rescaled as in scenario overrides)."""
    from .analysis import assess

    out = []
    if not v.claim_holds:
        return out
    if v.smallest_margin_s is not None:
        out.append({"parameter": "interceptor launch time", "change": f"{v.smallest_margin_s:.0f} s earlier",
                    "value": v.smallest_margin_s, "unit": "s", "trajectory": v.closest, "battery": v.closest_battery})
    judged = claim_scenario(g, sc, v.binding)
    prot_role = g.protected_role
    for b in judged.batteries:
        ic = b.interceptor
        v0 = ic.burnout_speed / 1e3

        def engages(speed):
            new = ic.with_burnout_speed(speed * 1e3)
            one = replace(judged, batteries=[replace(b, interceptor=new)])
            t = assess(one).per_threat()
            t = t[t["role"] == prot_role]
            hit = t[t["engageable"]]
            return (not hit.empty), (hit["label"].iloc[0] if not hit.empty else None)

        hi_ok, label = engages(max_speed_km_s)
        if not hi_ok:
            out.append({"parameter": f"burnout speed of {b.name}", "change": f"none up to {max_speed_km_s:g} km/s",
                        "value": None, "unit": "km/s", "trajectory": None, "battery": b.name})
            continue
        lo, hi = v0, max_speed_km_s
        while hi - lo > tol_km_s:
            mid = 0.5 * (lo + hi)
            ok, lab = engages(mid)
            if ok:
                hi, label = mid, lab
            else:
                lo = mid
        out.append({"parameter": f"burnout speed of {b.name}", "change": f"{v0:g} -> {hi:.2f} km/s (+{hi - v0:.2f})",
                    "value": hi, "unit": "km/s", "trajectory": label, "battery": b.name})
    return out
