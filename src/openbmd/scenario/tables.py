"""Builders of a scenario file's tables, one a table: ``[[interceptor]]``,
``[[battery]]``, ``[[target_set]]``, ``[[threat]]``, ``[[raid]]``,
``[balance]`` and ``[analyses]`` (with ``[analyses.footprint]``). Each checks
its table's values against the catalog and the rest of the scenario and
fails with file, line and field (:func:`openbmd.scenario.fields.fail`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..catalog import CatalogError
from ..tomlsource import suggest
from .cueing import cueing
from .fields import as_list, fail, latlon, place, positive
from .model import BalanceSpec, BatterySpec, FootprintSpec, RaidSpec, ThreatSpec
from .schema import ANALYSES, KINDS, MAX_BURNOUT_SPEED_KM_S, PROFILES, ROLES


# ------------------------------------------------------------ interceptors ----
def build_interceptors(cat, entries) -> dict:
    """The [[interceptor]] entries by name (each may start from an earlier one)."""
    interceptors: dict = {}
    for e in entries:
        interceptors[e.data["name"]] = interceptor(cat, e.data, e.src, e.path, interceptors)
    return interceptors


def interceptor(cat, d, src, path, known):
    base = d.get("base", d["name"])
    if base in known:
        ic = known[base]
    else:
        try:
            ic = cat.interceptor(base)
        except CatalogError as exc:
            fail(src, path + ("base",), str(exc))
    over = {"name": d["name"]}
    if "source" in d:
        over["source"] = d["source"] + (f" (variant of {ic.name}: {ic.source})" if ic.source else "")
    for key, attr, scale in (("min_intercept_altitude_km", "min_intercept_altitude", 1e3),
                             ("max_intercept_altitude_km", "max_intercept_altitude", 1e3),
                             ("max_range_km", "max_range", 1e3), ("min_closing_speed_km_s", "min_closing_speed", 1e3)):
        if key in d:
            over[attr] = positive(float(d[key]), src, path + (key,), allow_zero=True) * scale
    if "tail_chase" in d:
        over["tail_chase"] = d["tail_chase"]
    if "burnout_speed_km_s" in d:
        v = positive(float(d["burnout_speed_km_s"]), src, path + ("burnout_speed_km_s",)) * 1e3
        if v >= MAX_BURNOUT_SPEED_KM_S * 1e3:
            fail(src, path + ("burnout_speed_km_s",), f"{v / 1e3:g} km/s is above escape speed; expected a burnout "
                                                      f"speed below {MAX_BURNOUT_SPEED_KM_S:g} km/s")
        over["burnout_speed"] = v
        if ic.stages and not d.get("impulsive", False):
            over["stages"] = ic.with_burnout_speed(v).stages
    if d.get("impulsive"):
        over["stages"] = ()
    try:
        return ic.replace(**over)
    except ValueError as exc:
        fail(src, path, str(exc))


# --------------------------------------------------------------- batteries ----
def build_batteries(entries, cat, interceptors: dict, sensors: tuple, cue, launch_delay) -> list:
    """The [[battery]] entries. ``interceptors``: the scenario's, to which a
    catalog interceptor a battery names is added; ``sensors``: (radars,
    satellites, networks); ``cue``: [doctrine] cue."""
    own_types = list(interceptors)
    return [battery(e.data, e.src, e.path, cat, interceptors, own_types, sensors, cue, launch_delay) for e in entries]


def battery(d, src, p, cat, interceptors, own_types, sensors, cue, launch_delay) -> BatterySpec:
    radars, satellites, networks = sensors
    ic = battery_interceptor(d, src, p, cat, interceptors, own_types)
    kind = d.get("kind", "ship" if "patrol_box_deg" in d else "land")
    if kind not in KINDS:
        fail(src, p + ("kind",), f"expected one of {KINDS}, got {kind!r}")
    stations, box = battery_stations(d, src, p, cat, kind)
    punc = cat.place(d["at"]).position_uncertainty if "at" in d else 0.0
    count = d.get("count")
    if count is not None and count < 0:
        fail(src, p + ("count",), f"expected >= 0, got {count}")
    cues, own, mode, net = cueing(d, src, p, cat, radars, satellites, networks, cue, stations)
    bcue = next((c for c in cues if c in radars), None)
    if not cues and own is None and launch_delay is None:
        fail(src, p, f"battery {d['name']!r} has no cueing radar and [doctrine] sets no launch_delay_s "
                     "(contradictory: nothing says when it may launch)", field=p + ("cued_by",))
    return BatterySpec(d["name"], ic, count, kind, stations, box, bcue, d.get("source", ""), punc,
                       cues=tuple(cues), own_radar=own, mode=mode, network=net, cue_source=d.get("cue_source", ""))


def battery_interceptor(d, src, p, cat, interceptors, own_types):
    """The battery's interceptor: one of the scenario's, or the catalog's
    (then added to ``interceptors``)."""
    if "interceptor" not in d:
        fail(src, p, "missing (an interceptor type)", field=p + ("interceptor",))
    if d["interceptor"] in interceptors:
        return interceptors[d["interceptor"]]
    try:
        ic = cat.interceptor(d["interceptor"])
    except CatalogError as exc:
        fail(src, p + ("interceptor",), f"{exc}" + (f" (or one of this scenario's [[interceptor]]: "
                                                    f"{', '.join(own_types)})" if own_types else ""))
    interceptors.setdefault(ic.name, ic)
    return ic


def battery_stations(d, src, p, cat, kind) -> tuple[list, tuple | None]:
    """(stations, patrol box): the battery's one position, or a ship's
    patrol box (degrees) and its sample points."""
    if "patrol_box_deg" not in d:
        return [latlon(d, src, p, cat)], None
    at = p + ("patrol_box_deg",)
    if "at" in d or "lat_deg" in d or "lon_deg" in d:
        fail(src, at, "give a position (at / lat_deg, lon_deg) or a patrol_box_deg, not both", field=p)
    b = d["patrol_box_deg"]
    if not (isinstance(b, list) and len(b) == 4 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b)):
        fail(src, at, f"expected [lat_min, lat_max, lon_min, lon_max] in degrees, got {b!r}")
    la0, la1, lo0, lo1 = (float(x) for x in b)
    if not (-90 <= la0 < la1 <= 90 and -180 <= lo0 < lo1 <= 360):
        fail(src, at, f"expected lat_min < lat_max within -90..90 and lon_min < lon_max, got {b!r}")
    if kind != "ship":
        fail(src, p + ("kind",), f"a patrol box is for ships, but kind = {kind!r}")
    box = (la0, la1, lo0, lo1)
    n = int(d.get("stations", 5))
    if n < 1:
        fail(src, p + ("stations",), f"expected >= 1, got {n}")
    return patrol_stations(box, n), box


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


# ----------------------------------------------------------------- threats ----
def build_target_sets(entries, cat) -> dict:
    target_sets = {}
    for e in entries:
        d, src, p = e.data, e.src, e.path
        tl = as_list(d.get("targets", []))
        if not tl:
            fail(src, p, "missing or empty", field=p + ("targets",))
        target_sets[d["name"]] = [place(cat, t, src, p + ("targets",)) for t in tl]
    return target_sets


def build_threats(entries, cat, target_sets) -> list:
    return [threat(e.data, e.src, e.path, cat, target_sets) for e in entries]


def threat(d, src, p, cat, target_sets) -> ThreatSpec:
    for k in ("from", "to", "missile"):
        if k not in d:
            fail(src, p, "missing", field=p + (k,))
    role = d.get("role", "strategic")
    if role not in ROLES:
        fail(src, p + ("role",), f"expected one of {ROLES}, got {role!r}{suggest(role, ROLES)}")
    launches = [place(cat, x, src, p + ("from",)) for x in as_list(d["from"])]
    targets = []
    for t in as_list(d["to"]):
        targets += target_sets[t] if t in target_sets else [place(cat, t, src, p + ("to",))]
    missiles = []
    for mname in as_list(d["missile"]):
        try:
            missiles.append(cat.missile(mname))
        except CatalogError as exc:
            fail(src, p + ("missile",), str(exc))
    profiles = tuple(as_list(d.get("profiles", ["min-energy"])))
    for pr in profiles:
        if pr not in PROFILES:
            fail(src, p + ("profiles",), f"expected some of {PROFILES}, got {pr!r}{suggest(pr, PROFILES)}")
    if not launches or not targets or not missiles:
        fail(src, p, "empty from, to or missile")
    return ThreatSpec(d["name"], role, launches, targets, missiles, profiles, d.get("source", ""))


# ------------------------------------------------------------------- raids ----
def build_raids(entries, threats, path: Path) -> tuple[list, list]:
    """(raids, notes): an inherited raid whose threat group this file removed
    is dropped, and said in the notes."""
    raids, notes = [], []
    groups = {t.name: t for t in threats}
    for e in entries:
        if e.data.get("threat") not in groups and Path(e.src.path).resolve() != path.resolve():
            # inherited, and this file removed its threat group: the raid goes with it (said in the assumptions)
            notes.append(f"raid {e.data['name']!r} of {e.src.path} dropped: its threat group "
                         f"{e.data.get('threat')!r} was removed")
            continue
        raids.append(raid(e.data, e.src, e.path, groups))
    return raids, notes


def raid(d, src, p, groups) -> RaidSpec:
    for k in ("threat", "missiles"):
        if k not in d:
            fail(src, p, "missing", field=p + (k,))
    if d["threat"] not in groups:
        fail(src, p + ("threat",), f"no [[threat]] named {d['threat']!r}{suggest(d['threat'], groups)} "
                                   f"(threat groups: {', '.join(groups)})")
    g = groups[d["threat"]]
    names = [pl.name for pl in g.launches]
    launches = tuple(as_list(d.get("from", [])))
    for x in launches:
        if x not in names:
            fail(src, p + ("from",), f"{x!r} is not a launch point of threat {g.name!r}{suggest(x, names)} "
                                     f"(its launch points: {', '.join(names)})")
    for k, lo in (("missiles", 1), ("warheads_per_missile", 1), ("decoys_per_missile", 0)):
        v = d.get(k, lo)
        if v < lo:
            fail(src, p + (k,), f"expected an integer >= {lo}, got {v}")
    if d["missiles"] > 100_000:
        fail(src, p + ("missiles",), f"expected at most 100,000, got {d['missiles']}")
    for k in ("start_s", "spacing_s"):
        if k in d:
            positive(float(d[k]), src, p + (k,), allow_zero=True)
    return RaidSpec(d["name"], g.name, launches, int(d["missiles"]), int(d.get("warheads_per_missile", 1)),
                    int(d.get("decoys_per_missile", 0)), float(d.get("start_s", 0.0)), float(d.get("spacing_s", 0.0)),
                    d.get("source", ""))


# ----------------------------------------------------------------- balance ----
def build_balance(bd, src) -> BalanceSpec:
    from ..catalog import forces as F

    def names(key, loader, default):
        out = []
        for x in as_list(bd.get(key, default)):
            try:
                out.append(loader(x).name)
            except CatalogError as exc:
                fail(src, ("balance", key), str(exc))
        return tuple(out)

    if "force" not in bd:
        fail(src, ("balance",), f"missing (a force of the catalog, e.g. {', '.join(F.force_names()[:3])})",
             field=("balance", "force"))
    forces = names("force", F.load_force, None)
    attacks = names("attack", F.load_attack, ["full launch"])
    dec = bd.get("decoys_per_missile", 0)
    if dec < 0:
        fail(src, ("balance", "decoys_per_missile"), f"expected an integer >= 0, got {dec}")
    out = {}
    for key, default in (("inventory_factors", [0.5, 2.0]), ("decision_times_s", [10.0, 60.0])):
        v = bd.get(key, default)
        if not (isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                                            and x >= 0 for x in v)):
            fail(src, ("balance", key), f"expected a list of numbers >= 0, got {v!r}")
        out[key] = tuple(float(x) for x in v)
    method = bd.get("method", "auto")
    if method not in ("auto", "optimal", "greedy"):
        fail(src, ("balance", "method"), f"expected auto, optimal or greedy, got {method!r}")
    return BalanceSpec(forces, attacks, int(dec), out["inventory_factors"], out["decision_times_s"], method)


# ---------------------------------------------------------------- analyses ----
def build_analyses(an, asrc, cat, path: Path, raids, balance) -> tuple[list, FootprintSpec | None]:
    """(the analyses to run, the footprint's question): each analysis asked
    for has what it needs."""
    run_list = as_list(an.get("run", ["assess", "south-vs-north"]))
    run = ("analyses", "run")
    for a in run_list:
        if a not in ANALYSES:
            fail(asrc, run, f"unknown analysis {a!r}{suggest(a, ANALYSES)} (expected some of {', '.join(ANALYSES)})")
    fp = build_footprint(an["footprint"], asrc, cat) if "footprint" in an else None
    if "raid" in run_list and not raids and Path(asrc.path).resolve() != path.resolve():
        run_list = [a for a in run_list if a != "raid"]  # inherited, and its raids went with their threats
    if "raid" in run_list and not raids:
        fail(asrc, run, "'raid' is asked for but the scenario has no [[raid]]")
    if "balance" in run_list and balance is None:
        fail(asrc, run, "'balance' is asked for but the scenario has no [balance] table (force, attack)")
    if "footprint" in run_list and fp is None:
        fail(asrc, run, "'footprint' is asked for but [analyses.footprint] is missing (launch_area, missile, "
                        "region_deg, step_deg)")
    return run_list, fp


def build_footprint(fd, asrc, cat) -> FootprintSpec:
    pth = ("analyses", "footprint")
    for k in ("launch_area", "missile"):
        if k not in fd:
            fail(asrc, pth, "missing", field=pth + (k,))
    la = place(cat, fd["launch_area"], asrc, pth + ("launch_area",))
    try:
        mis = cat.missile(fd["missile"])
    except CatalogError as exc:
        fail(asrc, pth + ("missile",), str(exc))
    reg = fd.get("region_deg", [34.0, 72.0, -12.0, 45.0])
    if not (isinstance(reg, list) and len(reg) == 4 and reg[0] < reg[1] and reg[2] < reg[3]):
        fail(asrc, pth + ("region_deg",), f"expected [lat_min, lat_max, lon_min, lon_max] with min < max, got {reg!r}")
    step = positive(float(fd.get("step_deg", 0.5)), asrc, pth + ("step_deg",))
    if step < 0.05:
        fail(asrc, pth + ("step_deg",), f"expected >= 0.05 deg, got {step:g}")
    countries = tuple(as_list(fd.get("countries", [])))
    if countries:
        from .. import geo

        for c in countries:
            try:
                geo.country(c)
            except ValueError as exc:
                fail(asrc, pth + ("countries",), str(exc))
    return FootprintSpec(la, mis, tuple(float(x) for x in reg), step, countries)
