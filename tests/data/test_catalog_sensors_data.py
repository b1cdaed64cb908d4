"""Checks of the radar and interceptor data files alone (tomllib only, no
openbmd import): they parse, every entry is sourced, uncertainty ranges
bracket their values, names and aliases are unique, geometry fields are in
bounds, sites exist in places.toml, and each interceptor's staged model gives
an ideal delta-v consistent with its stated burnout speed."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "src" / "openbmd" / "catalog" / "data"
G0 = 9.80665
# Ideal delta-v minus burnout speed (gravity + drag losses), km/s.
LOSS_BAND = (0.2, 1.5)
RADAR_KINDS = {"fire_control", "early_warning"}


def _load(name):
    with open(DATA / name, "rb") as f:
        return tomllib.load(f)


RADARS = _load("radars.toml")["radar"]
INTERCEPTORS = _load("interceptors.toml")["interceptor"]
PLACE_NAMES = {p["name"] for p in _load("places.toml")["place"]}


def _norm(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


def _ids(entries):
    return [e["name"] for e in entries]


def _ideal_dv_km_s(entry):
    stages = entry["stage"]
    mass = entry["kill_vehicle_mass_kg"] + sum(s["total_mass_kg"] for s in stages)
    dv = 0.0
    for s in stages:
        dv += s["isp_s"] * G0 * math.log(mass / (mass - s["propellant_mass_kg"]))
        mass -= s["total_mass_kg"]
    return dv / 1000.0


def _walk(obj):
    """Yield every table (dict) nested in obj, obj included."""
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


@pytest.mark.parametrize("entries", [RADARS, INTERCEPTORS], ids=["radars", "interceptors"])
def test_every_entry_is_sourced_and_named(entries):
    assert entries
    for e in entries:
        assert isinstance(e.get("name"), str) and e["name"].strip()
        assert isinstance(e.get("source"), str) and e["source"].strip(), e["name"]
        assert isinstance(e.get("notes"), str) and e["notes"].strip(), e["name"]
        assert isinstance(e.get("country"), str) and e["country"].strip(), e["name"]
        assert isinstance(e.get("aliases", []), list)


@pytest.mark.parametrize("entries", [RADARS, INTERCEPTORS], ids=["radars", "interceptors"])
def test_names_and_aliases_unique(entries):
    """Names and aliases, normalised (lowercase, alphanumerics only), never
    point to two entries. (One entry may list spellings that normalise alike,
    e.g. 'SM-3 IIA' and 'SM-3-IIA', so that exact-match lookups find both.)"""
    seen: dict[str, str] = {}
    for e in entries:
        keys = {_norm(x) for x in [e["name"], *e.get("aliases", [])]}
        assert all(keys), f"{e['name']}: empty label"
        for k in keys:
            assert k not in seen, f"{k!r} of {e['name']} clashes with {seen.get(k)}"
            seen[k] = e["name"]


@pytest.mark.parametrize("entries", [RADARS, INTERCEPTORS], ids=["radars", "interceptors"])
def test_ranges_contain_values(entries):
    for e in entries:
        for table in _walk(e):
            for key, rng in table.items():
                if not key.endswith("_range"):
                    continue
                base = key[: -len("_range")]
                assert base in table, f"{e['name']}: {key} without {base}"
                lo, hi = rng
                assert lo <= hi, f"{e['name']}: {key} {rng}"
                assert lo <= table[base] <= hi, f"{e['name']}: {base}={table[base]} not in {rng}"


def test_sm3_spellings_present():
    keys = {_norm(a): i["name"] for i in INTERCEPTORS for a in [i["name"], *i.get("aliases", [])]}
    for spelling in ("SM-3 Block IIA", "SM-3 IIA", "SM-3-IIA", "sm3iia"):
        assert keys.get(_norm(spelling)) == "SM-3 Block IIA", spelling
    for spelling in ("SM-3 Block IA", "SM-3 Block IB", "SM-3 Block IIB"):
        assert _norm(spelling) in keys, spelling


@pytest.mark.parametrize("i", INTERCEPTORS, ids=_ids(INTERCEPTORS))
def test_interceptor_delta_v_consistent_with_burnout_speed(i):
    loss = _ideal_dv_km_s(i) - i["burnout_speed_km_s"]
    assert LOSS_BAND[0] <= loss <= LOSS_BAND[1], f"{i['name']}: ideal dv - burnout = {loss:.2f} km/s"


@pytest.mark.parametrize("i", INTERCEPTORS, ids=_ids(INTERCEPTORS))
def test_interceptor_fields_sane(i):
    assert 0.5 < i["burnout_speed_km_s"] < 9.0
    assert 0 <= i["min_intercept_altitude_km"] < i["max_intercept_altitude_km"]
    assert i["max_range_km"] > 0
    assert isinstance(i["tail_chase"], bool)
    assert 0.1 < i["diameter_m"] < 4.0
    assert i["kill_vehicle_mass_kg"] > 0
    assert i.get("vertical_rise_s", 0.0) >= 0
    assert i.get("min_closing_speed_km_s", 0.0) >= 0
    assert i["stage"], i["name"]
    for s in i["stage"]:
        assert 0 < s["propellant_mass_kg"] < s["total_mass_kg"]
        assert 150 < s["isp_s"] < 350
        assert s["burn_time_s"] > 0
    # burn_time_s is the time to burnout: at least the sum of the stage burns
    total = sum(s["burn_time_s"] for s in i["stage"])
    assert i["burn_time_s"] >= total - 1e-9, i["name"]
    assert i["burn_time_s"] <= total + 30.0, i["name"]


@pytest.mark.parametrize("r", RADARS, ids=_ids(RADARS))
def test_radar_geometry_in_bounds(r):
    assert r["kind"] in RADAR_KINDS
    assert 0.0 <= r["boresight_azimuth_deg"] < 360.0
    assert 0.0 < r["azimuth_half_width_deg"] <= 180.0
    if r["azimuth_half_width_deg"] == 180.0:
        assert r["boresight_azimuth_deg"] == 0.0, "360-degree radars give boresight 0"
    assert -5.0 <= r["min_elevation_deg"] < r["max_elevation_deg"] <= 90.0
    assert r["reference_rcs_m2"] > 0
    assert 0 < r["reference_range_km"] <= r["max_range_km"] <= 10000.0
    if "track_time_s" in r:
        assert r["track_time_s"] > 0


@pytest.mark.parametrize("r", RADARS, ids=_ids(RADARS))
def test_radar_location(r):
    if "site" in r:
        assert r["site"] in PLACE_NAMES, f"{r['name']}: unknown site {r['site']!r}"
        assert "lat_deg" not in r and "lon_deg" not in r, "give site or coordinates, not both"
    if "lat_deg" in r or "lon_deg" in r:
        assert -90.0 <= r["lat_deg"] <= 90.0
        assert -180.0 <= r["lon_deg"] <= 180.0
        assert r.get("position_uncertainty_km", 0.0) >= 0


def test_required_entries_present():
    radar_keys = {_norm(a) for r in RADARS for a in [r["name"], *r.get("aliases", [])]}
    for label in ("AN/TPY-2", "SPY-1D(V)", "Aegis Ashore SPY-1 (Deveselu)", "Aegis Ashore SPY-1 (Redzikowo)",
                  "RAF Fylingdales UEWR", "Thule UEWR", "LRDR", "Armavir radar", "Pionersky radar",
                  "Lekhtusi radar", "Don-2N"):
        assert _norm(label) in radar_keys, label
    icpt_keys = {_norm(a) for i in INTERCEPTORS for a in [i["name"], *i.get("aliases", [])]}
    for label in ("SM-3 Block IA", "SM-3 Block IB", "SM-3 Block IIA", "SM-3 Block IIB", "GBI (three-stage)",
                  "GBI (two-stage)", "THAAD", "53T6", "51T6", "PRS-1M"):
        assert _norm(label) in icpt_keys, label
    # the Voronezh and LRDR entries need coordinates (their places are not in places.toml)
    for r in RADARS:
        if "Voronezh" in r["name"] or r["name"] == "Long Range Discrimination Radar":
            assert "lat_deg" in r and "lon_deg" in r, r["name"]
