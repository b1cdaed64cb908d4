"""MIRV footprints: the warheads of a bus fly to their own aim points after
release (openbmd.analysis.mirv), share the bus's trajectory before it, and
an intercept before release counts every warhead (openbmd.analysis.raid).
Physics first: impact points against the catalogued footprint, the restart
from the bus's sampled state against the compiled flight of the whole
missile, then the raid's counting and the catalog's data and errors."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from openbmd import earth as E
from openbmd import scenario
from openbmd.analysis import mirv
from openbmd.analysis.assess import assess, release_times
from openbmd.analysis.raid import build_objects, plan, problem_for
from openbmd.catalog import CatalogError, default_catalog
from openbmd.catalog.sensors import FILE as SENSORS_FILE
from openbmd.catalog.sensors import SensorCatalog, default_sensors
from openbmd.flight import FlightOptions
from openbmd.flight.aim import aim
from openbmd.scenario import RaidSpec
from openbmd import wta

YARS = "RS-24 Yars"
RUSSIA = "European Russia ICBM fields to the US"


@pytest.fixture(scope="module")
def bus():
    """One Yars bus, Kozelsk -> Washington, sampled every 2 s; its class's
    footprint and release time from the catalog."""
    cat = default_catalog()
    k, w = cat.place("Kozelsk"), cat.place("Washington")
    tr = aim(cat.missile(YARS), k.lat, k.lon, w.lat, w.lon, options=FlightOptions(output_step=2.0))
    sig = default_sensors().by_missile().of(YARS)
    return tr, sig, float(sig.release_time(tr.burnout_time)[0])


def test_catalogued_footprint_of_the_solid_mirv_class():
    sig = default_sensors().by_missile().of(YARS)
    assert sig.bus_release > 0 and sig.footprint > 0 and sig.footprint_width > 0
    lo, hi = sig.uncertainty["footprint_width_km"]
    assert lo <= sig.footprint_width / 1e3 <= hi
    single = default_sensors().by_missile().of("Sejjil-2")
    assert single.footprint == single.footprint_width == 0.0


def test_layout_spans_the_footprint():
    a, c = mirv.layout(4, 300e3, 100e3)
    assert a.max() - a.min() == pytest.approx(300e3) and abs(a.mean()) < 1e-6
    assert c.max() - c.min() == pytest.approx(100e3) and np.all(np.abs(c) == 50e3)
    assert np.all(np.concatenate(mirv.layout(1, 300e3, 100e3)) == 0)
    with pytest.raises(ValueError):
        mirv.layout(0, 1.0, 1.0)


def test_warheads_land_on_their_aim_points_within_the_catalogued_footprint(bus):
    tr, sig, rel = bus
    w = 6
    a, c = mirv.layout(w, sig.footprint, sig.footprint_width)
    parent = np.zeros(w, dtype=int)
    la, lo = mirv.aim_points(tr, parent, a, c)
    wt = mirv.fly_warheads(tr, parent, la, lo, np.full(w, rel))
    assert np.all(wt.impacted)
    # each warhead on its own aim point (the Newton tolerance, a few hundred metres at most)
    assert np.max(wt.miss_distance) < 10 * mirv.AIM_TOLERANCE
    # ... and every impact inside the stated footprint around the target (1 km for the tangent-plane inverse)
    along, cross = mirv.offsets(tr, parent, wt.impact_lat, wt.impact_lon)
    assert np.all(np.abs(along) <= sig.footprint / 2 + 1e3)
    assert np.all(np.abs(cross) <= sig.footprint_width / 2 + 1e3)
    # the spread is the catalogued one: along-track extent L, cross-track extent W (within 1 %)
    assert along.max() - along.min() == pytest.approx(sig.footprint, rel=0.01)
    assert cross.max() - cross.min() == pytest.approx(sig.footprint_width, rel=0.01)
    # the largest distance between two warheads: at least the length, at most the diagonal
    span = mirv.footprint_span(wt.impact_lat, wt.impact_lon)
    assert sig.footprint * 0.99 <= span <= math.hypot(sig.footprint, sig.footprint_width) * 1.01


def test_before_release_warheads_share_the_bus_trajectory(bus):
    tr, sig, rel = bus
    a, c = mirv.layout(3, sig.footprint, sig.footprint_width)
    parent = np.zeros(3, dtype=int)
    la, lo = mirv.aim_points(tr, parent, a, c)
    wt = mirv.fly_warheads(tr, parent, la, lo, np.full(3, rel))
    t_branch = float(mirv.release_sample_time(tr, rel))
    assert rel <= t_branch < rel + tr.options.output_step
    k = int(round(t_branch / tr.options.output_step))
    for i in range(3):
        np.testing.assert_array_equal(wt.samples_r[i, :k], tr.samples_r[0, :k])
        np.testing.assert_array_equal(wt.samples_v[i, :k], tr.samples_v[0, :k])
    # continuous at release (same state), then drifting apart (small release velocities)
    np.testing.assert_allclose(wt.samples_r[:, k], np.repeat(tr.samples_r[:1, k], 3, axis=0), atol=1e-3)
    sep = lambda j: np.linalg.norm(wt.samples_r[0, j] - wt.samples_r[2, j])  # noqa: E731
    mid = (k + int(min(wt.n_samples))) // 2
    assert sep(k + 5) < 5e3 and sep(mid) > 10 * sep(k + 5) and sep(mid) > 20e3
    # the burnout (booster phase) and launch are the bus's
    np.testing.assert_array_equal(wt.burnout_time, np.repeat(tr.burnout_time, 3))


def test_restart_from_the_release_state_reproduces_the_missile_flight(bus):
    """Cross-method: a warhead aimed at the bus's own impact point, flown as an
    impulsive re-entry vehicle from the sampled state at release, lands where
    and when the compiled powered flight of the whole missile does."""
    tr, _, rel = bus
    wt = mirv.fly_warheads(tr, np.array([0]), tr.impact_lat, tr.impact_lon, np.array([rel]))
    assert abs(wt.flight_time[0] - tr.flight_time[0]) < 1.0
    d, _ = E.geodesic_inverse(wt.impact_lat, wt.impact_lon, tr.impact_lat, tr.impact_lon)
    assert d[0] < 1e3


def test_release_after_landing_is_refused(bus):
    tr, _, _ = bus
    with pytest.raises(ValueError, match="after it lands"):
        mirv.fly_warheads(tr, np.array([0]), tr.impact_lat, tr.impact_lon, np.array([tr.flight_time[0] + 10.0]))


# ------------------------------------------------------------------ raid ----
@pytest.fixture(scope="module")
def northern():
    return assess(scenario.load("epaa-phase4-northern-seas"))


def test_an_intercept_before_release_counts_every_warhead(northern):
    a = northern
    spec = RaidSpec("r", RUSSIA, (), 60, 4, 1, 0.0, 2.0)
    objs = build_objects(a, [spec])
    pre = a.before_release.any(axis=1)
    on_bus = objs.bus
    assert on_bus.any(), "the northern IIB ships meet some buses before release"
    # a bus met before release is ONE object worth all four warheads (its decoy aboard)
    assert np.all(objs.value[on_bus] == 4.0) and np.all(pre[objs.traj[on_bus]])
    assert objs.value.sum() == pytest.approx(60 * 4)
    # ... engaged only by the batteries that meet it before release
    d = wta.Doctrine()
    p = problem_for(a, objs, d, np.full(len(a.scenario.batteries), 10**6))
    assert np.all((p.cap[on_bus] > 0) <= a.before_release[objs.traj[on_bus]])
    # one certain kill of a bus removes all its warheads
    r = plan(a, objs, wta.Doctrine(pk=1.0, pk_range=(1.0, 1.0)), inventory=np.full(len(a.scenario.batteries), 10**6))
    killed = r.assignment.p_kill
    assert np.all(killed[on_bus & (p.cap.sum(axis=1) > 0)] == pytest.approx(1.0))
    assert r.totals()["warheads_intercepted_expected"] >= 4 * (on_bus & (p.cap.sum(axis=1) > 0)).sum() - 1e-9


def test_released_warheads_have_their_own_windows_after_release(northern):
    a = northern
    spec = RaidSpec("r", RUSSIA, (), 60, 4, 0, 0.0, 2.0)
    objs = build_objects(a, [spec])
    rel = objs.released
    free = ~objs.bus
    assert rel is not None and np.all(objs.warhead[free] >= 0)
    # each released warhead flies its own trajectory: four distinct aim points per missile
    wa = rel.assessment
    t = wa.flights.trajectories
    for mis in np.unique(objs.missile[free])[:5]:
        rows = objs.warhead[objs.missile == mis]
        assert len(set(np.round(t.target_lat[rows], 6))) + len(set(np.round(t.target_lon[rows], 6))) > 2
    # no warhead intercept before its release (that is the bus's)
    ei = wa.pairs["earliest_intercept_s"].to_numpy(dtype=float).reshape(len(wa.flights), -1)
    ok = np.isfinite(ei)
    assert np.all(ei[ok] >= np.repeat(rel.release, ei.shape[1]).reshape(ei.shape)[ok] - 1e-9)
    # the warheads' impact points spread over the class's footprint around the missile's target
    sig = default_sensors().by_missile().of(YARS)
    along, cross = mirv.offsets(a.flights.trajectories, rel.parent, t.impact_lat, t.impact_lon)
    assert np.all(np.abs(along) <= sig.footprint / 2 + 2e3) and np.all(np.abs(cross) <= sig.footprint_width / 2 + 2e3)
    # the raid's tables and assumptions say which objects fly where after release
    r = plan(a, objs)
    po = r.per_object()
    assert set(po.loc[objs.bus, "after_release"]) <= {"bus (all warheads)"}
    assert po.loc[~objs.bus, "after_release"].str.contains(r"\[RV \d\]").all()
    text = " ".join(r.assumptions())
    assert f"({int((~objs.bus).sum())} objects here)" in text and "footprint" in text
    # the older model is still available: every object on its missile's trajectory
    old = build_objects(a, [spec], footprints=False)
    assert old.warhead is None and len(old) == len(objs)


def test_release_times_follow_the_catalog(northern):
    a = northern
    tr = a.flights.trajectories
    sig = a.scenario.signatures.of(YARS)
    i = int(np.nonzero((a.meta["missile"] == YARS).to_numpy())[0][0])
    assert release_times(a.scenario, tr)[i] == pytest.approx(tr.burnout_time[i] + sig.bus_release)


# --------------------------------------------------------------- catalog ----
def _doc():
    return tomllib.loads(SENSORS_FILE.read_text())


def test_footprint_entries_are_sourced_or_assumptions_with_ranges():
    for e in _doc()["signature"]:
        for k in ("bus_release_s", "footprint_km", "footprint_width_km"):
            assert k in e, (e["name"], k)
            lo, hi = e[f"{k}_range"]
            assert lo <= e[k] <= hi, (e["name"], k)
            src = e[f"{k}_source"]
            assert src.strip(), (e["name"], k)
            if e[k] > 0 and "ASSUMPTION" not in src:
                # a number from a document names one of the keys listed in docs/sources-sensors.md
                assert any(key in src for key in ("Time 1968 bus", "Baghai 2023 MIRV")), (e["name"], k)
            if "ASSUMPTION" in src and e[k] > 0:
                assert hi > lo, (e["name"], k, "an assumption states a range")


@pytest.mark.parametrize("edit, words", [
    ({"footprint_width_km": -5.0}, "field 'footprint_width_km' must be >= 0"),
    ({"footprint_width_km": "wide"}, "field 'footprint_width_km' must be a number"),
    ({"footprint_width_km_source": None}, "field 'footprint_width_km_source' missing"),
    ({"footprint_width_km_range": None}, "field 'footprint_width_km_range' missing"),
    ({"footprint_width_km_range": [200.0, 600.0]}, "outside its range"),
])
def test_bad_footprint_input_is_one_line_naming_file_and_field(edit, words):
    doc = _doc()
    e = doc["signature"][0]
    for k, v in edit.items():
        if v is None:
            e.pop(k)
        else:
            e[k] = v
    with pytest.raises(CatalogError) as exc:
        SensorCatalog(doc, SENSORS_FILE)
    msg = str(exc.value)
    assert "\n" not in msg and "sensors.toml" in msg and e["name"] in msg and words in msg, msg
