"""The sensor tables of a scenario file, ``[[radar]]``, ``[[satellite]]`` and
``[[network]]`` (catalog entries with the file's overrides), and a battery's
cueing: its cue sources, own radar, mode and network."""

from __future__ import annotations

import math

from ..catalog import CatalogError
from ..tomlsource import suggest
from .fields import as_list, fail, latlon, positive
from .schema import MODES


def build_sensors(cat, entries) -> tuple[dict, dict, dict]:
    """(radars, satellites, networks) by name, from the merged entries; a
    satellite may not share a radar's name (both are cue sources)."""
    radars = {e.data["name"]: radar(cat, e.data, e.src, e.path) for e in entries["radar"]}
    satellites = {e.data["name"]: satellite(e.data, e.src, e.path) for e in entries["satellite"]}
    networks = {e.data["name"]: network(e.data, e.src, e.path) for e in entries["network"]}
    for nm in satellites:
        if nm in radars:
            e = next(x for x in entries["satellite"] if x.data["name"] == nm)
            fail(e.src, e.path, f"{nm!r} is also a [[radar]]; cue sources need distinct names", field=e.path + ("name",))
    return radars, satellites, networks


def radar(cat, d, src, path):
    """A [[radar]] entry: the catalog radar its ``type`` names, placed and overridden."""
    kind = d.get("type", d["name"])
    try:
        r = cat.radar(kind)
    except CatalogError as exc:
        fail(src, path + ("type",), str(exc))
    pos = latlon(d, src, path, cat, required=False)
    if pos is None and r.mobile:
        fail(src, path, f"radar type {r.name!r} has no fixed site; give at = PLACE or lat_deg/lon_deg")
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
                fail(src, path + (key,), f"expected 0 < value <= 180, got {v:g}")
            if key in ("max_range_km", "reference_range_km", "track_time_s"):
                positive(v, src, path + (key,), allow_zero=key == "track_time_s")
            over[attr] = f(v)
    if "source" in d:
        over["source"] = d["source"] + f" (a {r.name}: {r.source})"
    try:
        return r.replace(**over)
    except ValueError as exc:
        fail(src, path, str(exc))


def sensor_entry(d, src, path, find, overrides):
    """A [[satellite]] or [[network]] entry: the catalog entry its ``type``
    names (``find``), with the ``overrides`` = ((key, attr, scale), ...)."""
    try:
        obj = find(d.get("type", d["name"]))
    except CatalogError as exc:
        fail(src, path + ("type",), str(exc))
    over = {"name": d["name"]}
    for key, attr, f in overrides:
        if key in d:
            over[attr] = positive(float(d[key]), src, path + (key,), allow_zero=True) * f
    if "source" in d:
        over["source"] = d["source"] + f" (a {obj.name}: {obj.source})"
    return obj.replace(**over)


def satellite(d, src, path):
    from ..catalog.sensors import default_sensors

    return sensor_entry(d, src, path, default_sensors().satellite,
                        (("cloud_top_km", "cloud_top", 1e3), ("report_latency_s", "report_latency", 1.0),
                         ("track_time_s", "track_time", 1.0)))


def network(d, src, path):
    from ..catalog.sensors import default_sensors

    return sensor_entry(d, src, path, default_sensors().network, (("link_latency_s", "link_latency", 1.0),))


def cueing(d, src, p, cat, radars, satellites, networks, default_cue, stations):
    """A battery's cue sources, own radar, mode and network (validated)."""
    raw = d.get("cued_by", default_cue)
    cues = [] if raw is None else as_list(raw)
    if cues == ["launch_delay"]:
        cues = []
    known = list(radars) + list(satellites)
    for c in cues:
        if not isinstance(c, str) or c not in known:
            fail(src, p + ("cued_by",), f"no [[radar]] or [[satellite]] named {c!r}{suggest(c, known)} (or \"launch_delay\")")
    own = own_radar(d, src, p, cat, radars, stations) if "own_radar" in d else None
    mode = d.get("mode")
    if mode is None:
        mode = "launch-on-remote" if (own is not None and any(c != getattr(own, "name", None) for c in cues)) else "own"
        if own is None and cues and cues[0] in radars:
            r = radars[cues[0]]
            at_site = len(stations) == 1 and abs(r.lat - stations[0][0]) < 1e-6 and abs(r.lon - stations[0][1]) < 1e-6
            mode = "own" if at_site else "launch-on-remote"
    if mode not in MODES:
        fail(src, p + ("mode",), f"expected one of {', '.join(MODES)}, got {mode!r}{suggest(mode, MODES)}")
    if mode != "own" and own is None and "mode" in d:
        fail(src, p + ("mode",), f"{mode} needs the battery's own_radar (the radar that guides its interceptors, "
                                 "or that must see the intercept)")
    if mode == "own" and own is None and not any(c in radars for c in cues) and "mode" in d:
        fail(src, p + ("mode",), "'own' needs an own_radar")
    if any(c in satellites for c in cues) and own is None:
        fail(src, p + ("cued_by",), "a satellite cue is a launch cue only; the battery needs an own_radar to guide "
                                    "the interceptor")
    net = d.get("network")
    if net is not None and net not in networks:
        fail(src, p + ("network",), f"no [[network]] named {net!r}{suggest(net, networks)}")
    if net is None and len(networks) == 1:
        net = next(iter(networks))
    return cues, own, mode, net


def own_radar(d, src, p, cat, radars, stations):
    """The battery's ``own_radar``: a [[radar]] of the scenario, or a catalog
    radar named after the battery (a fixed-site type moved to its first station)."""
    name = d["own_radar"]
    if name in radars:
        return radars[name]
    try:
        own = cat.radar(name)
    except CatalogError as exc:
        fail(src, p + ("own_radar",), f"not a [[radar]] of the scenario{suggest(name, radars)}, and {exc}")
    if not own.mobile:
        lat, lon = stations[0]
        return own.at(lat=lat, lon=lon).replace(name=f"{d['name']} {own.name}", mobile=True)
    return own.replace(name=f"{d['name']} {own.name}")
