"""The uncertainty Monte Carlo draws the tail-chase threshold, the intercept
altitude bands, the radar and satellite track times and the handover time
from the ranges stated in the catalog, seeded, and every drawn value reaches
the engine: widening one range in a constructed case changes the result."""

import math
import textwrap
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from openbmd import scenario
from openbmd.analysis.assess import engine_batteries
from openbmd.engage import HANDOVER_SOURCE, HANDOVER_TIME
from openbmd.guarantee import Guarantee, load_guarantee
from openbmd.uncertainty import (_draws, drawn_parameters, monte_carlo, sample_engine, sample_scenario)
from openbmd.vehicles import TAIL_CHASE_CLOSING_SPEED_SOURCE, Interceptor

ROOT = Path(__file__).resolve().parents[2]
INTERCEPTORS = tomllib.loads((ROOT / "src/openbmd/catalog/data/interceptors.toml").read_text())["interceptor"]
NEW_KEYS = ("tail_chase_closing_speed_km_s", "handover_time_s")


# ------------------------------------------------------ the catalog data ----
@pytest.mark.parametrize("e", INTERCEPTORS, ids=[e["name"] for e in INTERCEPTORS])
def test_every_interceptor_states_the_new_ranges_with_an_assumption(e):
    for key in NEW_KEYS:
        lo, hi = e[f"{key}_range"]
        assert lo <= e[key] <= hi and lo < hi, (e["name"], key)
        assert "ASSUMPTION" in e[f"{key}_source"], (e["name"], key)
    # the ranges are the ones the code's own source strings state
    assert tuple(e["tail_chase_closing_speed_km_s_range"]) == (2.0, 5.0) and "2-5 km/s" in TAIL_CHASE_CLOSING_SPEED_SOURCE
    assert tuple(e["handover_time_s_range"]) == (0.0, 30.0) and "0-30 s" in HANDOVER_SOURCE
    # the catalog's nominal values are the doctrine defaults the model uses
    assert e["tail_chase_closing_speed_km_s"] * 1e3 == Interceptor.__dataclass_fields__["tail_chase_closing_speed"].default
    assert e["handover_time_s"] == HANDOVER_TIME


# ---------------------------------------------------- EPAA Phase 3 draws ----
@pytest.fixture(scope="module")
def phase3():
    return scenario.load("epaa-phase3")


@pytest.fixture(scope="module")
def north():
    return load_guarantee("north-speed-limit")


def test_phase3_draws_every_new_parameter_from_a_stated_range(phase3, north):
    rows = {r["parameter"]: r for r in drawn_parameters(phase3, north)}
    for t in ("SM-3 Block IB", "SM-3 Block IIA"):
        for key in ("min_intercept_altitude_km", "tail_chase_closing_speed_km_s", "handover_time_s"):
            assert f"{key}[{t}]" in rows, (key, t)
    assert "max_intercept_altitude_km[SM-3 Block IB]" in rows
    # the IIA's maximum altitude is a press figure without a range: not drawn
    assert "max_intercept_altitude_km[SM-3 Block IIA]" not in rows
    # track times of every radar a battery uses: the remote TPY-2, the Aegis Ashore radars, each ship's own
    tracks = [p for p in rows if p.startswith("track_time_s[")]
    assert "track_time_s[Kurecik TPY-2]" in rows and "track_time_s[Deveselu SPY-1]" in rows
    assert sum("AN/SPY-1D(V)" in p for p in tracks) == 5
    for r in rows.values():
        assert r["low"] <= r["nominal"] <= r["high"], r
        assert r["source"].strip() and r["unit"], r
    assert rows["tail_chase_closing_speed_km_s[SM-3 Block IIA]"]["unit"] == "km/s"
    assert "ASSUMPTION" in rows["handover_time_s[SM-3 Block IB]"]["source"]
    assert "ASSUMPTION" in rows["track_time_s[Kurecik TPY-2]"]["source"]


def test_rules_that_make_a_parameter_moot_stop_its_draw(phase3, north):
    receding = {r["parameter"] for r in drawn_parameters(replace(phase3, tail_chase="receding"), north)}
    assert not any(p.startswith("tail_chase_closing_speed_km_s[") for p in receding)
    fixed_track = {r["parameter"] for r in drawn_parameters(replace(phase3, track_time=20.0), north)}
    # the doctrine's fixed track time is the radars'; a satellite's boost-track
    # time (drawn where the worst-case set adds satellites) is its own
    radars = {f"track_time_s[{n}]" for n in phase3.radars} | {
        f"track_time_s[{b.own_radar.name}]" for b in phase3.batteries if b.own_radar is not None}
    assert not any(p in radars for p in fixed_track)
    # a scenario value outside the catalog range (an override) is held, not drawn
    b = phase3.batteries[1]
    high = replace(b, interceptor=b.interceptor.replace(min_intercept_altitude=150e3))
    held = {r["parameter"] for r in drawn_parameters(replace(phase3, batteries=[high]), north)}
    assert f"min_intercept_altitude_km[{b.interceptor.name}]" not in held


def test_draws_fall_inside_their_ranges_and_repeat_with_the_seed(phase3, north):
    rows = drawn_parameters(phase3, north)
    a = _draws(north, phase3, 300, 11)
    assert a.equals(_draws(north, phase3, 300, 11))
    assert not a.equals(_draws(north, phase3, 300, 12))
    for r in rows:
        if r["parameter"].startswith("position_km["):
            name = r["parameter"][len("position_km"):]
            rad = np.hypot(a[f"north_km{name}"], a[f"east_km{name}"])
            assert (rad <= r["high"] + 1e-3).all()
            continue
        x = a[r["parameter"]].to_numpy(float)
        lo, hi = r["low"], r["high"]
        tol = 0.026 * hi if r["parameter"].startswith("radar_range_km[") else 0.51  # grid rounding at the ends
        assert (x >= lo - tol).all() and (x <= hi + tol).all(), r["parameter"]
        if hi > lo:
            assert np.ptp(x) > 0.5 * (hi - lo), r["parameter"]  # spread over the range, not stuck


def test_a_drawn_row_reaches_the_engine_batteries(phase3, north):
    from openbmd.guarantee import claim_scenario

    base = claim_scenario(north, phase3)
    ship = "Aegis ship, Eastern Mediterranean"
    own = f"{ship} AN/SPY-1D(V) (Aegis BMD ship)"
    row = {"min_intercept_altitude_km[SM-3 Block IIA]": 97.0, "min_intercept_altitude_km[SM-3 Block IB]": 61.0,
           "max_intercept_altitude_km[SM-3 Block IB]": 260.0, "tail_chase_closing_speed_km_s[SM-3 Block IIA]": 4.9,
           "handover_time_s[SM-3 Block IIA]": 29.0, "handover_time_s[SM-3 Block IB]": 1.0,
           f"track_time_s[{own}]": 28.0, "track_time_s[Kurecik TPY-2]": 6.0, "radar_range_km[Kurecik TPY-2]": 1450.0,
           "track_time_s[Deveselu SPY-1]": 7.0, "radar_range_km[Deveselu SPY-1]": 255.0, "decision_time_s": 12.0}
    s = sample_scenario(row, base)
    eb, tab, _ = sample_engine(row, s)
    by = {b.name: b for b in eb}
    e = by[f"{ship} #1"]
    assert e.interceptor.min_intercept_altitude == 97e3 and e.interceptor.tail_chase_closing_speed == 4.9e3
    assert e.timeline.handover_time == 29.0 and e.timeline.decision_time == 12.0
    assert e.timeline.own.track_time == 28.0
    tpy = [r for r in (e.timeline.radar, *e.timeline.remote) if getattr(r, "name", "") == "Kurecik TPY-2"][0]
    assert tpy.track_time == 6.0 and tpy.reference_range == 1450e3
    d = by["Aegis Ashore Deveselu"]
    assert (d.interceptor.min_intercept_altitude, d.interceptor.max_intercept_altitude) == (61e3, 260e3)
    assert d.timeline.handover_time == 1.0
    assert d.timeline.own.track_time == 7.0 and d.timeline.own.reference_range == 255e3
    # the fly-out table is built to the top of the IB's altitude range, so that every drawn band lies inside it
    t = {b.name: b for b in tab}["Aegis Ashore Deveselu"]
    assert t.interceptor.max_intercept_altitude == 600e3
    # nothing drawn: the nominal engine batteries
    nominal, _, _ = engine_batteries(base)
    plain, _, _ = sample_engine({}, sample_scenario({}, base))
    assert [b.interceptor for b in plain] == [b.interceptor for b in nominal]
    assert [b.timeline for b in plain] == [b.timeline for b in nominal]


# --------------------------------------- a constructed end-to-end case ----
CASE = """
[scenario]
name = "constructed Monte Carlo case"

[doctrine]
launch_delay_s = 60.0

[[interceptor]]
name = "fast"
base = "SM-3 Block IIB"
impulsive = true
burnout_speed_km_s = 5.5
{radar}
[[battery]]
name = "Site"
interceptor = "fast"
lat_deg = 54.48
lon_deg = 17.1
{battery}
[[threat]]
name = "T"
role = "strategic"
from = ["Kozelsk"]
to = ["Washington"]
missile = ["RS-24 Yars"]
profiles = ["min-energy"]
"""
RADAR = """
[[radar]]
name = "R"
type = "AN/TPY-2 (forward-based mode)"
lat_deg = 54.48
lon_deg = 17.1
boresight_azimuth_deg = 45.0
"""
G = Guarantee(name="constructed", description="", protected_party="x", path="", limits=[], cue="launch_delay",
              launch_delay=60.0, decision_time=None, protected_role="strategic", mission_role="southern",
              min_mission_coverage=0.0)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    d = tmp_path_factory.mktemp("mc")
    (d / "plain.toml").write_text(textwrap.dedent(CASE.format(radar="", battery="")))
    (d / "guided.toml").write_text(textwrap.dedent(CASE.format(radar=RADAR, battery='cued_by = ["R"]\nown_radar = "R"\n')))
    return scenario.load(d / "plain.toml"), scenario.load(d / "guided.toml")


def _with_interceptor_range(sc, key, rng):
    b = sc.batteries[0]
    ic = b.interceptor.replace(uncertainty={**b.interceptor.uncertainty, key: rng})
    return replace(sc, batteries=[replace(b, interceptor=ic)])


def _with_radar_range(sc, key, rng):
    b = sc.batteries[0]
    r = b.own_radar.replace(uncertainty={**b.own_radar.uncertainty, key: rng})
    return replace(sc, batteries=[replace(b, own_radar=r)], radars={**sc.radars, r.name: r})


def _compare(narrow, wide, column):
    """The two runs draw the same values for every other column; return (narrow, wide) samples."""
    a = monte_carlo(G, narrow, samples=6, seed=3, chunk_size=6).samples
    b = monte_carlo(G, wide, samples=6, seed=3, chunk_size=6).samples
    others = [c for c in a.columns if c not in (column, "max_margin_s", "holds")]
    assert a[others].equals(b[others])
    return a, b


def _margin(df):
    return df["max_margin_s"].fillna(-np.inf).to_numpy()


def test_widening_the_tail_chase_range_changes_the_margin(case):
    plain, _ = case
    col = "tail_chase_closing_speed_km_s[fast]"
    a, b = _compare(_with_interceptor_range(plain, "tail_chase_closing_speed_km_s", (3.0, 3.0)),
                    _with_interceptor_range(plain, "tail_chase_closing_speed_km_s", (3.0, 60.0)), col)
    assert (a[col] == 3.0).all() and (b[col] > 3.0).all() and (b[col] <= 60.0).all()
    # refusing more receding geometries never helps; here it costs every sample time
    assert (_margin(b) <= _margin(a) + 1e-6).all() and (_margin(b) < _margin(a) - 1.0).any()


def test_widening_the_minimum_altitude_range_changes_the_claim(case):
    plain, _ = case
    col = "min_intercept_altitude_km[fast]"
    a, b = _compare(_with_interceptor_range(plain, "min_intercept_altitude_km", (70.0, 70.0)),
                    _with_interceptor_range(plain, "min_intercept_altitude_km", (70.0, 1500.0)), col)
    assert (_margin(b) <= _margin(a) + 1e-6).all()
    assert b["holds"].sum() > a["holds"].sum()  # some drawn floors lie above the whole trajectory


def test_widening_the_handover_range_changes_the_claim(case):
    _, guided = case
    col = "handover_time_s[fast]"
    a, b = _compare(_with_interceptor_range(guided, "handover_time_s", (10.0, 10.0)),
                    _with_interceptor_range(guided, "handover_time_s", (10.0, 400.0)), col)
    assert not (b["holds"] < a["holds"]).any()  # a longer handover never makes a trajectory engageable
    assert b["holds"].sum() > a["holds"].sum()


def test_widening_the_radar_track_time_range_changes_the_claim(case):
    _, guided = case
    col = "track_time_s[R]"
    a, b = _compare(_with_radar_range(guided, "track_time_s", (10.0, 10.0)),
                    _with_radar_range(guided, "track_time_s", (10.0, 400.0)), col)
    assert not (b["holds"] < a["holds"]).any()
    assert b["holds"].sum() > a["holds"].sum()


def test_the_monte_carlo_repeats_with_its_seed_and_lists_what_it_drew(case):
    _, guided = case
    a = monte_carlo(G, guided, samples=5, seed=9, chunk_size=2)
    b = monte_carlo(G, guided, samples=5, seed=9, chunk_size=5)
    assert a.samples.equals(b.samples)
    s = a.summary()
    drawn = {r["parameter"] for r in s["drawn"]}
    assert {"tail_chase_closing_speed_km_s[fast]", "handover_time_s[fast]", "min_intercept_altitude_km[fast]",
            "max_intercept_altitude_km[fast]", "track_time_s[R]", "launch_delay_s"} <= drawn
    assert drawn == set(a.parameters) - {"north_km[Site]", "east_km[Site]"}
    assert math.isfinite(s["p_claim_holds"])
