"""The sensor network: cue sources through a network, engagement modes,
early-warning satellites, signatures by flight phase, the crossing-intercept
rule and MIRV buses; the bundled scenarios' cueing and bad input."""

import json
import math
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbmd import earth as E
from openbmd.catalog import default_catalog, place
from openbmd.catalog.sensors import FILE as SENSORS_FILE
from openbmd.catalog.sensors import default_sensors
from openbmd.engage import Battery, Timeline, _closing, engage
from openbmd.flight import FlightOptions, Impulsive
from openbmd.flight.aim import aim
from openbmd.flight.trajectories import Trajectories
from openbmd.scenario import ScenarioError, load
from openbmd.sensors import Network, Radar, Signature, Signatures, observe
from openbmd.vehicles import impulsive_interceptor

TWO_BODY = FlightOptions(earth=E.EarthModel("sphere", rotation=False, gravity="point"), drag=False)
MU, R = E.GM_EARTH, E.SPHERE_RADIUS
SMALL = dict(n_fan=61, n_range=161, n_alt=121, step=1.0)
deg = math.radians


# ---------------------------------------------------------------- fixtures ----
@pytest.fixture(scope="module")
def icbms():
    """RS-24 trajectories from European Russia toward the US (time series every 2 s)."""
    yars = default_catalog().missile("RS-24 Yars")
    pairs = [("Teykovo", "Washington"), ("Kozelsk", "New York"), ("Tatishchevo", "Chicago"), ("Kozelsk", "Washington")]
    return aim(yars, [place(a).lat for a, _ in pairs], [place(a).lon for a, _ in pairs],
               [place(b).lat for _, b in pairs], [place(b).lon for _, b in pairs], output_step=2.0)


@pytest.fixture(scope="module")
def sensors():
    cat = default_catalog()
    own = cat.radar("AN/SPY-1D(V) (Aegis BMD ship)").at(lat=deg(68.0), lon=deg(5.0))
    return {"own": own, "fyl": cat.radar("Fylingdales radar"), "thule": cat.radar("Thule UEWR"),
            "sat": default_sensors().satellite("SBIRS/DSP"), "net": Network("C2BMC", 5.0)}


SIG = Signatures({"RS-24 Yars": Signature("solid MIRV", booster_rcs=5.0, post_boost_rcs=1.0, rv_rcs=0.05,
                                          decoy_rcs=0.05, bus_release=300.0)})


def _tl(s, mode, remote=("fyl",), **kw):
    return Timeline(own=s["own"], remote=tuple(s[k] for k in remote), network=s["net"], mode=mode, rcs=SIG,
                    decision_time=30.0, **kw)


# ------------------------------------------------------------------ modes ----
def test_engage_on_remote_never_later_than_launch_on_remote_never_later_than_own(icbms, sensors):
    ic = impulsive_interceptor(5500.0, min_intercept_altitude=70e3)
    bats = [Battery(m, deg(68.0), deg(5.0), ic, _tl(sensors, m)) for m in ("own", "launch-on-remote", "engage-on-remote")]
    res = engage(icbms, bats)
    tl = np.where(np.isfinite(res.earliest_launch), res.earliest_launch, np.inf)
    assert np.all(tl[:, 2] <= tl[:, 1]) and np.all(tl[:, 1] <= tl[:, 0])
    # the remote early-warning radar cues earlier than the ship's own radar on these tracks
    assert np.any(tl[:, 1] < tl[:, 0] - 30.0)
    eng = res.engageable
    assert np.all(eng[:, 0] <= eng[:, 1]) and np.all(eng[:, 1] <= eng[:, 2])
    ei = np.where(eng, res.earliest_intercept, np.inf)
    assert np.all(ei[:, 2] <= ei[:, 1] + 1e-9) and np.all(ei[:, 1] <= ei[:, 0] + 1e-9)
    # the cue's latency is the network's: launch-on-remote's earliest launch is
    # the remote track + 5 s + the decision where the remote radar is first
    fyl = observe(icbms, sensors["fyl"], SIG).track_time
    own = observe(icbms, sensors["own"], SIG).track_time
    want = np.fmin(fyl + 5.0, own) + 30.0
    np.testing.assert_allclose(res.earliest_launch[:, 1], want, atol=1e-9)


def test_adding_a_sensor_never_shrinks_a_window(icbms, sensors):
    ic = impulsive_interceptor(5500.0, min_intercept_altitude=70e3)
    for mode in ("launch-on-remote", "engage-on-remote"):
        few = Battery("few", deg(68.0), deg(5.0), ic, _tl(sensors, mode, remote=("fyl",)))
        more = Battery("more", deg(68.0), deg(5.0), ic, _tl(sensors, mode, remote=("fyl", "thule", "sat")))
        res = engage(icbms, [few, more])
        assert np.all(res.engageable[:, 0] <= res.engageable[:, 1])
        both = res.engageable.all(axis=1)
        assert np.all(res.earliest_intercept[both, 1] <= res.earliest_intercept[both, 0] + 1e-9)
        assert np.all(res.latest_intercept[both, 1] >= res.latest_intercept[both, 0] - 1e-9)
        assert np.all(np.nan_to_num(res.earliest_launch[:, 1], nan=np.inf) <=
                      np.nan_to_num(res.earliest_launch[:, 0], nan=np.inf))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(["fyl", "thule", "sat"]), min_size=1, max_size=3, unique=True))
def test_the_earliest_cue_of_a_set_is_the_minimum_of_its_members(icbms, sensors, members):
    whole = _tl(sensors, "launch-on-remote", remote=tuple(members)).earliest_launch(icbms)
    singles = [_tl(sensors, "launch-on-remote", remote=(m,)).earliest_launch(icbms) for m in members]
    np.testing.assert_allclose(whole, np.fmin.reduce(singles), equal_nan=True)


def test_launch_on_remote_refuses_an_intercept_outside_the_own_radar_coverage(icbms, sensors):
    ic = impulsive_interceptor(5500.0, min_intercept_altitude=70e3)
    blind = sensors["own"].replace(boresight_azimuth=deg(180.0), azimuth_half_width=deg(20.0))  # looks south only
    s = dict(sensors, own=blind)
    free = Battery("no guidance constraint", deg(68.0), deg(5.0), ic,
                   Timeline(radar=sensors["fyl"], rcs=SIG, decision_time=30.0))
    lor = Battery("launch on remote", deg(68.0), deg(5.0), ic, _tl(s, "launch-on-remote"))
    eor = Battery("engage on remote", deg(68.0), deg(5.0), ic, _tl(s, "engage-on-remote"))
    res = engage(icbms, [free, lor, eor])
    assert res.engageable[:, 0].any()  # the geometry and timing allow it...
    assert not res.engageable[:, 1].any()  # ...but the own radar never sees the intercept point
    # engage on remote: Fylingdales guides where it sees the intercept point
    assert res.engageable[:, 2].sum() >= 1
    g = eor.timeline.guidance(icbms)
    k = res.out[..., 4].astype(int)[:, 2]
    for i in np.nonzero(res.engageable[:, 2])[0]:
        assert g[i, k[i]]


def test_a_satellite_cue_comes_before_the_first_radar_detection_of_a_boosting_icbm(icbms, sensors):
    sat = sensors["sat"]
    # an early-warning radar 600 km from Kozelsk, looking at the launch area
    near = Radar("near", lat=place("Kozelsk").lat + deg(5.4), lon=place("Kozelsk").lon, max_range=6e6,
                 reference_range=2e6, reference_rcs=1.0, min_elevation=deg(1.0))
    rep = observe(icbms, near, SIG)
    det = sat.detection_time(icbms)
    bo = icbms.burnout_time
    seen = np.isfinite(rep.detection_time) & (rep.detection_time < bo)  # seen by both while boosting
    assert seen.any()
    assert np.all(det[seen] < rep.detection_time[seen])
    # the plume is first seen as the missile clears the cloud top
    _, _, h = icbms.samples_geodetic
    t = icbms.sample_times
    for i in range(len(icbms)):
        j = int(np.searchsorted(t, det[i]))
        assert h[i, j] >= sat.cloud_top and (j == 0 or h[i, j - 1] < sat.cloud_top)
    # a boost track is a launch cue while the motor burns; after burnout there is none
    cue = sat.cue_time(icbms)
    np.testing.assert_allclose(cue, det + sat.track_time + sat.report_latency)
    late = sat.replace(track_time=1e4)
    assert np.isnan(late.cue_time(icbms)).all()


def test_radars_see_the_signature_of_each_flight_phase(icbms):
    sig = SIG.of("RS-24 Yars")
    t = icbms.sample_times
    bo = icbms.burnout_time
    rcs = SIG.rcs(icbms)
    for i in range(len(icbms)):
        assert np.all(rcs[i, t < bo[i]] == 5.0)
        assert np.all(rcs[i, (t >= bo[i]) & (t < bo[i] + 300.0)] == 1.0)
        assert np.all(rcs[i, t >= bo[i] + 300.0] == 0.05)
    assert sig.release_time(bo[0]) == pytest.approx(bo[0] + 300.0)
    fyl = default_catalog().radar("Fylingdales radar")
    by_phase = observe(icbms, fyl, SIG)
    rv_only = observe(icbms, fyl, 0.05)
    # a larger object seen earlier: never a later detection than the RV alone
    a, b = np.nan_to_num(by_phase.detection_time, nan=np.inf), np.nan_to_num(rv_only.detection_time, nan=np.inf)
    assert np.all(a <= b)
    # the radar equation: detection range scales as RCS^(1/4)
    assert float(fyl.detection_range(5.0) / fyl.detection_range(0.05)) == pytest.approx(100 ** 0.25, rel=1e-9) \
        or fyl.detection_range(5.0) == fyl.max_range


# ---------------------------------------------------------- tail chase ----
def _westward(alt, speed, t_over, dt, n):
    """A threat flying due west along the equator at constant altitude and
    speed, over (0, 0) at t_over."""
    t = np.arange(n) * dt
    lon = speed * (t_over - t) / (R + alt)
    x, y, z = E.geodetic_to_ecef(np.zeros(n), lon, np.full(n, alt), TWO_BODY.earth)
    r = np.stack([x, y, z], axis=-1)[None]
    v = np.gradient(r, dt, axis=1)
    return Trajectories([Impulsive()], np.zeros(1, int), np.zeros(1), np.array([0.1]), np.zeros(1), np.zeros(1),
                        np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.full((1, 26), np.nan),
                        np.full((1, 6), np.nan), r, v, np.array([n]), TWO_BODY.replace(output_step=dt))


def _v_up(v0, h):
    return math.sqrt(v0 ** 2 - 2 * MU * (1 / R - 1 / (R + h)))


def test_closing_speed_of_a_crossing_geometry_by_hand():
    # threat overhead the site at 400 km moving west at 6 km/s; an interceptor
    # arriving vertically at v_up: closing speed sqrt(6^2 + v_up^2) by hand
    h, vt, v0 = 400e3, 6000.0, 4000.0
    x, y, z = E.geodetic_to_ecef(0.0, 0.0, h, TWO_BODY.earth)
    thr_r = np.array([[[x, y, z]]])
    thr_v = np.array([[[0.0, -vt, 0.0]]])  # west at (0, 0) is -y
    site = np.array([E.geodetic_to_ecef(0.0, 0.0, 0.0, TWO_BODY.earth)])
    up = _v_up(v0, h)
    close, cross = _closing(0, 0, 0, thr_r, thr_v, site, up, math.pi / 2)
    assert close == pytest.approx(math.hypot(vt, up), rel=1e-9)
    assert cross == pytest.approx(math.pi / 2, abs=1e-9)
    # a head-on arrival (interceptor flying east, horizontal) closes at the sum of the speeds
    site2 = np.array([E.geodetic_to_ecef(0.0, -0.05, 0.0, TWO_BODY.earth)])
    close2, cross2 = _closing(0, 0, 0, thr_r, thr_v, site2, 3000.0, 0.0)
    assert close2 == pytest.approx(vt + 3000.0, rel=2e-3)
    assert cross2 == pytest.approx(math.pi, abs=0.01)


def test_a_crossing_intercept_after_closest_approach_is_allowed():
    h, vt, t_over, v0 = 400e3, 6000.0, 500.0, 4000.0
    thr = _westward(h, vt, t_over, 0.5, 2000)
    close_over = math.hypot(vt, _v_up(v0, h))  # ~6.7 km/s, by hand
    bats = [Battery("default", 0.0, 0.0, impulsive_interceptor(v0), Timeline(launch_delay=100.0)),
            Battery("older rule", 0.0, 0.0, impulsive_interceptor(v0, tail_chase_closing_speed=np.inf),
                    Timeline(launch_delay=100.0)),
            Battery("threshold above", 0.0, 0.0, impulsive_interceptor(v0, tail_chase_closing_speed=close_over + 300.0),
                    Timeline(launch_delay=100.0))]
    res = engage(thr, bats, **SMALL)
    assert res.engageable.all()
    # the older rule stops at the overhead point; the default goes on past it
    assert res.latest_intercept[0, 1] == pytest.approx(t_over, abs=1.5)
    assert res.latest_intercept[0, 0] > t_over + 20.0
    # a threshold above the crossing's closing speed refuses it again
    assert res.latest_intercept[0, 2] == pytest.approx(t_over, abs=2.5)


def test_a_receding_geometry_with_low_closing_speed_is_refused():
    # a slow threat (1 km/s) and a slow interceptor (up at ~1.3 km/s at 400 km):
    # after the overhead point they close at ~1.6 km/s < 3 km/s: a tail chase
    h, vt, t_over, v0 = 400e3, 1000.0, 500.0, 3000.0
    assert math.hypot(vt, _v_up(v0, h)) < 2000.0
    thr = _westward(h, vt, t_over, 0.5, 2000)
    bats = [Battery("default", 0.0, 0.0, impulsive_interceptor(v0), Timeline(launch_delay=50.0)),
            Battery("tail chase allowed", 0.0, 0.0, impulsive_interceptor(v0, tail_chase=True),
                    Timeline(launch_delay=50.0))]
    res = engage(thr, bats, **SMALL)
    assert res.engageable.all()
    assert res.latest_intercept[0, 0] <= t_over + 2.0
    assert res.latest_intercept[0, 1] > t_over + 20.0


def test_the_issue_case_kozelsk_to_washington_is_engageable_by_default_and_closes_fast():
    """Kozelsk -> Washington (impulsive, vacuum, no rotation), a 5.5 km/s
    impulsive interceptor at Redzikowo, no launch delay, no altitude cap:
    refused under the older opening-range rule, engageable by default, and the
    intercept closes at several km/s (not a tail chase)."""
    from openbmd.cli import main

    base = ["engage", "--impulsive", "--from", "Kozelsk", "--to", "Washington", "--no-rotation", "--no-drag",
            "--gravity", "point", "--site", "Redzikowo", "--interceptor-burnout-speed-km-s", "5.5",
            "--launch-delay-s", "0", "--json"]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(base) == 0
    row = json.loads(out.getvalue().splitlines()[0])
    assert row["engageable"] is True
    assert row["closing_speed_km_s"] > 5.0
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(base + ["--receding-is-tail-chase"]) == 0
    assert json.loads(out.getvalue().splitlines()[0])["engageable"] is False


# -------------------------------------------------------------- MIRV bus ----
def test_an_intercept_before_release_counts_every_warhead_on_the_bus():
    from openbmd.analysis.balance import _force_arrays
    from openbmd.catalog import forces as F

    force = F.load_force("russia-2024")
    att = F.load_attack("full launch")
    launch = np.array([u.launch for u in force.units], dtype=object)
    after, rows = _force_arrays(launch, [force], att, 0, np.zeros(len(launch), bool))
    before, _ = _force_arrays(launch, [force], att, 0, np.ones(len(launch), bool))
    assert before.value.sum() == pytest.approx(after.value.sum())  # the same warheads
    missiles = sum(r["missiles"] for r in rows)
    assert len(before) < len(after)
    w = before.warheads_per_missile[before.missile]
    # a multi-warhead missile met before release is one object carrying all its warheads
    multi = w > 1
    np.testing.assert_allclose(before.value[multi], w[multi])
    assert before.bus[multi].all() and not before.bus[~multi].any()
    assert len(np.unique(before.missile)) == missiles


def test_a_bus_is_engaged_only_by_the_batteries_that_meet_it_before_release():
    from openbmd import wta
    from openbmd.analysis.raid import Objects, problem_for

    class _A:  # the two things problem_for reads of an assessment
        before_release = np.array([[True, False]])

    objs = Objects(np.array([0, 0]), np.array([3.0, 1.0]), np.zeros(2), np.array([0, 1]), np.zeros(2, int),
                   np.array([3.0, 1.0]), np.zeros(2), ["r"], np.array([True, False]))
    caps = (np.array([[2, 2]]), np.zeros((1, 2)))
    p = problem_for(_A(), objs, wta.Doctrine(), np.array([5, 5]), caps=caps)
    np.testing.assert_array_equal(p.cap, [[2, 0], [2, 2]])


# --------------------------------------------------------------- catalog ----
def test_every_sensor_catalog_number_has_a_source_or_is_an_assumption_with_a_range():
    doc = tomllib.loads(SENSORS_FILE.read_text())
    n = 0
    for table in ("satellite", "network", "signature"):
        assert doc[table], table
        for e in doc[table]:
            assert e.get("source"), (table, e["name"])
            for k, v in e.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    n += 1
                    src = e.get(f"{k}_source", "")
                    rng = e.get(f"{k}_range")
                    assert rng is not None and rng[0] <= v <= rng[1], (e["name"], k)
                    assert src, (e["name"], k, "needs a <field>_source: a document or ASSUMPTION")
    assert n >= 30
    # every catalog missile has exactly one signature class
    sigs = default_sensors().signatures.values()
    names = [m for s in sigs for m in s.missiles]
    assert sorted(names) == sorted(set(names))
    assert set(default_catalog().missiles) <= set(names)


# ------------------------------------------------------- bundled scenarios ----
def test_phase2_deveselu_engages_southern_threats():
    from openbmd import analysis

    sc = load("epaa-phase2")
    dev = next(b for b in sc.batteries if "Deveselu" in b.name)
    assert dev.mode == "launch-on-remote" and "Kurecik TPY-2" in dev.cues and dev.own_radar.name == "Deveselu SPY-1"
    a = analysis.assess(sc)
    p = a.pairs
    assert p[(p.role == "southern") & (p.battery == dev.name)]["engageable"].sum() > 0


def test_phase_scenarios_are_cued_as_the_record_describes():
    p1, p3 = load("epaa-phase1"), load("epaa-phase3")
    ship = p1.batteries[0]
    assert ship.mode == "launch-on-remote" and ship.cues == ("Kurecik TPY-2",) and ship.network == "C2BMC"
    assert "FTM-15" in ship.cue_source
    red = next(b for b in p3.batteries if "Redzikowo" in b.name)
    assert red.mode == "engage-on-remote" and "FTM-29" in red.cue_source
    rota = [b for b in p3.batteries if "Rota" in b.name]
    assert len(rota) == 4 and all(b.count == 8 and b.interceptor.name == "SM-3 Block IIA" for b in rota)
    early = load("epaa-phase4-early-intercept")
    red4 = next(b for b in early.batteries if "Redzikowo" in b.name)
    assert "SBIRS" in red4.cues and red4.interceptor.name == "SM-3 Block IIB"
    older = load("epaa-phase3-older-cues")
    assert older.tail_chase == "receding" and older.signatures is None
    assert all(b.mode == "own" for b in older.batteries if "Ashore" in b.name)


# -------------------------------------------------------------- bad input ----
BASE = '''[scenario]
name = "t"
[doctrine]
decision_time_s = 30.0
[[radar]]
name = "R"
type = "Fylingdales radar"
[[network]]
name = "N"
type = "C2BMC"
{extra}
[[battery]]
name = "B"
interceptor = "SM-3 Block IIA"
at = "Redzikowo"
{battery}
[[threat]]
name = "x"
from = ["Kozelsk"]
to = ["Washington"]
missile = ["RS-24 Yars"]
'''


@pytest.mark.parametrize("extra,battery,field,words", [
    ("", 'cued_by = ["R", "Nowhere"]\nown_radar = "R"', "battery[1].cued_by", "no [[radar]] or [[satellite]] named 'Nowhere'"),
    ("", 'cued_by = ["R"]\nown_radar = "R"\nmode = "launch-on-remoet"', "battery[1].mode", "did you mean"),
    ('[[network]]\nname = "M"\ntype = "C2BMC"\nlink_latency_s = -2.0', 'cued_by = ["R"]', "network[2].link_latency_s", ">= 0"),
    ("", 'cued_by = ["R"]\nnetwork = "Q"', "battery[1].network", "no [[network]] named 'Q'"),
    ('[[satellite]]\nname = "S"\ntype = "SBIRS"', 'cued_by = ["S"]', "battery[1].cued_by", "needs an own_radar"),
    ('[[satellite]]\nname = "S"\ntype = "SBIRZ"', 'cued_by = ["R"]', "satellite[1].type", "unknown satellite"),
])
def test_bad_sensor_network_input_names_file_line_and_field(tmp_path, extra, battery, field, words):
    f = tmp_path / "bad.toml"
    f.write_text(BASE.format(extra=extra, battery=battery))
    with pytest.raises(ScenarioError) as ei:
        load(f)
    msg = str(ei.value)
    assert msg.startswith(f"{f}:") and msg.split(":")[1].isdigit(), msg
    assert f"'{field}'" in msg and words in msg, msg
    # the CLI: one line on stderr, exit 2
    r = subprocess.run([sys.executable, "-m", "openbmd.cli", "validate", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and field in r.stderr


def test_doctrine_rules_are_validated(tmp_path):
    for key, val, words in (("tail_chase", '"sometimes"', "expected one of"), ("signatures", '"fancy"', "by-phase"),
                            ("handover_time_s", "-1.0", ">= 0"), ("tail_chase_closing_speed_km_s", "-3.0", ">= 0")):
        f = tmp_path / f"{key}.toml"
        f.write_text(BASE.format(extra="", battery='cued_by = ["R"]').replace(
            "decision_time_s = 30.0", f"decision_time_s = 30.0\n{key} = {val}"))
        with pytest.raises(ScenarioError, match=words) as ei:
            load(f)
        assert f"doctrine.{key}" in str(ei.value)


@settings(max_examples=15, deadline=None)
@given(st.floats(-60, 60), st.floats(0, 359), st.floats(5, 180), st.floats(-2, 10), st.floats(30, 90))
def test_compiled_visibility_equals_the_look_angles(lat, bore, half, el_min, el_max):
    """Radar.visible (compiled, one pass) against the azimuth, elevation and
    range of Radar.look (numpy), point by point, with a per-point RCS."""
    r = Radar("r", lat=deg(lat), lon=deg(20.0), boresight_azimuth=deg(bore), azimuth_half_width=deg(half),
              min_elevation=deg(el_min), max_elevation=deg(el_max), reference_range=1.5e6, max_range=4e6)
    rng = np.random.default_rng(abs(int(lat * 10 + bore)))
    la, lo = rng.uniform(-80, 80, 3000), rng.uniform(-30, 70, 3000)
    h = rng.uniform(0, 1.5e6, 3000)
    pts = np.stack(E.geodetic_to_ecef(np.radians(la), np.radians(lo), h), axis=-1).reshape(30, 100, 3)
    pts[0, :5] = np.nan
    rcs = rng.uniform(0.01, 5.0, (30, 100))
    az, el, d = r.look(pts)
    daz = np.abs((az - r.boresight_azimuth + np.pi) % (2 * np.pi) - np.pi)
    want = (el >= r.min_elevation) & (el <= r.max_elevation) & (d <= r.detection_range(rcs)) & np.isfinite(d)
    if r.azimuth_half_width < math.pi:
        want &= daz <= r.azimuth_half_width
    got = r.visible(pts, rcs)
    # points within 1e-9 of a boundary may fall either way (sin vs arcsin)
    assert (got != want).mean() < 1e-3 and got.sum() > 0


def test_robustness_json_nested_sets_never_lower_the_strategic_share(capsys):
    """`openbmd robustness --json`: one object per phase and set with the
    issue's keys; down the nested cue sets the strategic share never falls
    (each cues no later and guides no less) and the southern one neither."""
    from openbmd.analysis.robustness import NESTED
    from openbmd.cli import main

    assert main(["robustness", "epaa-phase4-northern-seas", "--json", "--quiet", "--sets", ",".join(NESTED)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["assumptions"] for r in rows] == list(NESTED)
    for r in rows:
        assert {"name", "assumptions", "strategic_engageable_share", "southern_covered_share", "warheads_engageable",
                "warheads_attrited_expected"} <= set(r)
    s = [r["strategic_engageable_share"] for r in rows]
    w = [r["warheads_engageable"] for r in rows]
    south = [r["southern_covered_share"] for r in rows]
    assert all(a <= b + 1e-12 for a, b in zip(s, s[1:])) and s[-1] > s[0]
    assert all(a <= b + 1e-9 for a, b in zip(w, w[1:]))
    assert all(a <= b + 1e-12 for a, b in zip(south, south[1:]))
    # the flips table marks where the answer differs in kind from 'as declared'
    from openbmd.analysis.robustness import robustness

    res = robustness(load("epaa-phase3"), ("as declared", "early-warning-launch"), balance=False)
    m, f = res.matrix(), res.flips()
    ph = m.columns[0]
    assert m.loc["as declared", ph] == 0 and m.loc["early-warning-launch", ph] > 0
    assert f.loc["early-warning-launch", ph] and not f.loc["as declared", ph]
