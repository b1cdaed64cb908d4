"""Checks of the catalog data files alone (no openbmd import): they parse,
every entry is sourced, uncertainty ranges bracket their values, names are
unique, masses and coordinates are sane, and each missile's stage data give an
ideal delta-v consistent with its category and its published range."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "src" / "openbmd" / "catalog" / "data"
G0 = 9.80665
MU = 3.986004418e14
R_EARTH = 6.371e6

CATEGORIES = {"ICBM", "SLBM", "IRBM", "MRBM", "SRBM"}
PLACE_KINDS = {"defence_site", "radar_site", "icbm_field", "slbm_base", "slbm_patrol_area", "launch_area", "city"}
# Plausible ideal (rocket-equation) delta-v bands, km/s.
DV_BAND = {"ICBM": (7.0, 9.5), "SLBM": (7.0, 9.5), "IRBM": (5.5, 8.0), "MRBM": (3.8, 6.5), "SRBM": (1.5, 4.5)}


def _load(name):
    with open(DATA / name, "rb") as f:
        return tomllib.load(f)


MISSILES = _load("missiles.toml")["missile"]
PLACES = _load("places.toml")["place"]
CURVES = _load("drag_curves.toml")["drag_curve"]


def _ideal_dv(m):
    mass = m["payload_mass_kg"] + sum(s["total_mass_kg"] for s in m["stage"])
    dv = 0.0
    for s in m["stage"]:
        dv += s["isp_s"] * G0 * math.log(mass / (mass - s["propellant_mass_kg"]))
        mass -= s["total_mass_kg"]
    return dv


def _min_energy_speed(range_km):
    """Minimum-energy burnout speed from the surface of a spherical,
    non-rotating Earth for a given ground range."""
    s = math.sin(range_km * 1e3 / R_EARTH / 2)
    return math.sqrt(MU / R_EARTH * 2 * s / (1 + s))


def _walk(obj, path=""):
    """Yield (path, key, value, parent) for every key of nested tables."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield path, k, v, obj
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{path}[{i}]")


@pytest.mark.parametrize("fname", ["missiles.toml", "places.toml", "drag_curves.toml"])
def test_ranges_bracket_values(fname):
    for path, key, val, parent in _walk(_load(fname)):
        if key.endswith("_range") and key[: -len("_range")] in parent:
            base = parent[key[: -len("_range")]]
            assert isinstance(val, list) and len(val) == 2, f"{path}.{key} must be [lo, hi]"
            lo, hi = val
            assert lo <= base <= hi, f"{path}.{key}: {lo} <= {base} <= {hi} fails"
        if key.endswith("_source"):
            assert isinstance(val, str) and val.strip(), f"{path}.{key} is empty"


@pytest.mark.parametrize("entries", [MISSILES, PLACES, CURVES], ids=["missiles", "places", "drag_curves"])
def test_every_entry_has_a_source(entries):
    for e in entries:
        assert isinstance(e.get("source"), str) and e["source"].strip(), f"{e.get('name')} has no source"


@pytest.mark.parametrize("entries", [MISSILES, PLACES, CURVES], ids=["missiles", "places", "drag_curves"])
def test_names_and_aliases_unique(entries):
    seen = {}
    for e in entries:
        for n in [e["name"], *e.get("aliases", [])]:
            key = n.strip().casefold()
            assert key, f"empty name/alias in {e['name']}"
            assert key not in seen, f"{n!r} used by both {seen[key]!r} and {e['name']!r}"
            seen[key] = e["name"]


def test_required_aliases_resolve():
    lookup = {n.casefold(): m["name"] for m in MISSILES for n in [m["name"], *m.get("aliases", [])]}
    for a in ("SS-27", "Topol-M", "RS-12M2"):
        assert lookup[a.casefold()] == "RS-12M2 Topol-M"
    assert lookup["ss-27 mod 2"] == "RS-24 Yars"
    for a in ("R-17", "SS-1c", "8K14"):
        assert lookup[a.casefold()] == "Scud-B"
    for a in ("SS-18", "RS-20V", "Satan"):
        assert lookup[a.casefold()] == "R-36M2 Voevoda"


def test_missile_fields():
    curves = {c["name"] for c in CURVES}
    for m in MISSILES:
        n = m["name"]
        assert m["category"] in CATEGORIES, n
        assert m["propellant"] in {"solid", "liquid"}, n
        assert m["drag_curve"] in curves, n
        assert m["stage"], n
        for k in ("published_range_km", "diameter_m", "payload_mass_kg", "rv_mass_kg", "rv_ballistic_coefficient_kg_m2"):
            assert m[k] > 0, (n, k)
        assert m["rv_mass_kg"] <= m["payload_mass_kg"], n
        # beta in kg/m^2: between a tumbling body and the highest-beta RVs.
        assert 500 <= m["rv_ballistic_coefficient_kg_m2"] <= 50000, n
        for i, s in enumerate(m["stage"]):
            assert 0 < s["propellant_mass_kg"] < s["total_mass_kg"], (n, i)
            assert 150 <= s["isp_s"] <= 360, (n, i)
            assert s["burn_time_s"] > 0 and s.get("coast_after_s", 0.0) >= 0, (n, i)


def test_delta_v_plausible_for_category():
    for m in MISSILES:
        lo, hi = DV_BAND[m["category"]]
        dv = _ideal_dv(m) / 1e3
        assert lo <= dv <= hi, f"{m['name']}: ideal delta-v {dv:.2f} km/s outside {lo}-{hi} for {m['category']}"


def test_delta_v_consistent_with_published_range():
    """Ideal delta-v minus the minimum-energy burnout speed for the published
    range is the implied gravity+drag loss: ~0.4-2 km/s is physical."""
    for m in MISSILES:
        loss = (_ideal_dv(m) - _min_energy_speed(m["published_range_km"])) / 1e3
        assert 0.4 <= loss <= 2.0, f"{m['name']}: implied losses {loss:.2f} km/s"


def test_places():
    missile_names = {m["name"] for m in MISSILES}
    for p in PLACES:
        n = p["name"]
        assert p["kind"] in PLACE_KINDS, n
        assert -90 <= p["lat_deg"] <= 90, n
        assert -180 <= p["lon_deg"] <= 180, n
        assert p.get("position_uncertainty_km", 0.0) >= 0, n
        for name in p.get("missiles", []):
            assert name in missile_names, (n, name)
        for lat, lon in p.get("polygon", []):
            assert -90 <= lat <= 90 and -180 <= lon <= 180, n
        if "polygon" in p:
            assert len(p["polygon"]) >= 3, n


def test_required_places_present():
    names = {n.casefold() for p in PLACES for n in [p["name"], *p.get("aliases", [])]}
    required = [
        "Kozelsk", "Tatishchevo", "Teykovo", "Yoshkar-Ola", "Vypolzovo", "Novosibirsk", "Irkutsk", "Barnaul",
        "Nizhniy Tagil", "Yasny", "Dombarovsky", "Uzhur", "Malmstrom", "Minot", "F.E. Warren", "Gadzhiyevo",
        "Vilyuchinsk", "Faslane", "Ile Longue", "Kings Bay", "Bangor", "Sohae", "Deveselu", "Redzikowo",
        "Kurecik", "Rota", "RAF Fylingdales", "Thule", "Fort Greely", "Vandenberg", "Don-2N", "A-135",
        "Washington", "New York", "Boston", "Chicago", "Omaha", "Denver", "Los Angeles", "San Francisco",
        "Seattle", "Honolulu", "Anchorage", "London", "Paris", "Berlin", "Rome", "Madrid", "Warsaw",
        "Bucharest", "Brussels", "Ankara", "Tel Aviv", "Riyadh", "Moscow", "Saint Petersburg", "Beijing",
        "Tokyo", "Seoul",
    ]
    missing = [r for r in required if r.casefold() not in names]
    assert not missing, missing
    assert sum(p["kind"] == "launch_area" and p["country"] == "Iran" for p in PLACES) >= 4
    assert sum(p["kind"] == "slbm_patrol_area" for p in PLACES) >= 5


def test_drag_curves():
    assert {"slender-missile", "scud-b"} <= {c["name"] for c in CURVES}
    for c in CURVES:
        assert len(c["mach"]) == len(c["cd"]) >= 2, c["name"]
        assert all(b > a for a, b in zip(c["mach"], c["mach"][1:])), c["name"]
        assert all(0 < x < 2 for x in c["cd"]), c["name"]
