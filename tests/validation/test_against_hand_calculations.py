"""The engagement rules, each against a hand calculation on a synthetic threat.

The threats are straight lines written here (not flown), over a spherical,
non-rotating Earth, so every quantity has a closed form:

* a threat falling vertically onto the site at 6 km/s meets a vertically
  launched impulsive interceptor exactly head-on; the interceptor's speed at
  altitude h is sqrt(v0^2 - 2 GM (1/R - 1/(R + h))) (energy), its time to
  reach h a quadrature of 1/v (two-body); the closing speed is the sum of the
  two speeds;
* a threat climbing toward the site gives a launch-time curve t - T(t) with
  its maximum inside the trajectory (the latest launch), checked against a
  scan of every sample with the fly-out table's own lookup.

Every threat here approaches the site at every sample (asserted), so none of
these cases depends on the tail-chase rule.

References and tolerances:

* head-on closing speed: the hand value v_i(h) + v_t at the engine's
  earliest intercept, within 0.5 % (the table's speed interpolation is good
  to 0.2 %); the crossing angle 180 deg within 2 deg; the earliest intercept
  time within 1.5 s of the root of t - T(h(t)) = launch delay (table time
  interpolation ~0.5 s, sampling 0.1 s);
* minimum closing speed: thresholds 0.5 % above the highest and 0.5 % below
  the lowest hand-computed closing speed in the altitude band (the band's
  closing speeds span 0.3 %);
* latest launch: the exhaustive scan (coarse_step=0) equals the per-sample
  scan within 0.05 of the sample step (same table; float32 storage); the
  default coarse-to-fine search is never later than the exhaustive maximum
  (it only evaluates real samples; 1e-3 s) and within 0.25 of the sample step
  below it;
* radar maximum elevation: exact (elevations 1 deg either side of the limit).
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from openbmd import earth as E
from openbmd.engage import Battery, FlyoutTable, Timeline, engage
from openbmd.flight import FlightOptions, Impulsive
from openbmd.flight.trajectories import Trajectories
from openbmd.sensors import Radar
from openbmd.vehicles import impulsive_interceptor

GM = 3.986004418e14  # m^3/s^2 (published WGS 84 value)
R = 6371000.0  # m: the spherical Earth of these cases
SPHERE = FlightOptions(earth=E.EarthModel("sphere", rotation=False, gravity="point"), drag=False)
SITE = np.array([R, 0.0, 0.0])  # (0 N, 0 E) on the sphere


def threat_from(path, t):
    """A one-trajectory Trajectories sampled at times t (uniform step) from
    ``path(t) -> (N, 3)`` ECEF positions; velocities by central differences
    of the path itself (exact for these straight lines)."""
    dt = float(t[1] - t[0])
    r = path(t)
    v = (path(t + 1e-3) - path(t - 1e-3)) / 2e-3
    assert np.all(((r - SITE) * v).sum(axis=1) < 0), "every sample must approach the site"
    n = len(t)
    return Trajectories(
        vehicles=[Impulsive()], vehicle_index=np.zeros(1, int), launch_lat=np.zeros(1), launch_lon=np.zeros(1),
        launch_alt=np.zeros(1), azimuth=np.zeros(1), kick=np.full(1, np.nan), cutoff=np.full(1, np.nan),
        initial_speed=np.zeros(1), initial_elevation=np.zeros(1), result=np.full((1, 26), np.nan),
        stage_times=np.full((1, 6), np.nan), samples_r=r[None], samples_v=v[None], n_samples=np.array([n]),
        options=SPHERE.replace(output_step=dt))


# ---------------------------------------------------- head-on, closing speed ----
V0 = 4000.0  # m/s: impulsive interceptor
VT = 6000.0  # m/s: threat falling vertically onto the site
H0 = 1000e3  # m: threat altitude at t = 0


def interceptor_speed(h):
    return math.sqrt(V0**2 - 2 * GM * (1 / R - 1 / (R + h)))


def time_to(h):
    """Two-body time for the vertical interceptor to climb to altitude h (quadrature)."""
    return quad(lambda x: 1.0 / interceptor_speed(x), 0.0, h)[0]


def falling(t):
    h = H0 - VT * np.asarray(t)
    return np.stack([R + h, 0.0 * h, 0.0 * h], axis=-1)


@pytest.fixture(scope="module")
def falling_threat():
    t = np.arange(0.0, (H0 - 1e3) / VT, 0.1)
    return threat_from(falling, t)


def test_head_on_closing_speed_is_the_sum_of_the_speeds(falling_threat):
    delay = 20.0
    ic = impulsive_interceptor(V0)
    res = engage(falling_threat, [Battery("site", 0.0, 0.0, ic, Timeline(launch_delay=delay))])
    assert res.engageable[0, 0]
    # by hand: the earliest intercept solves t - T(h(t)) = delay
    t_hand = brentq(lambda t: t - time_to(H0 - VT * t) - delay, (H0 - 900e3) / VT, (H0 - 2e3) / VT)
    t_e = res.earliest_intercept[0, 0]
    assert t_e == pytest.approx(t_hand, abs=1.5)
    h_e = H0 - VT * t_e
    assert res.intercept_point()[2][0, 0] == pytest.approx(h_e, abs=1.0)
    hand = interceptor_speed(h_e) + VT  # head-on: the speeds add
    assert res.closing_speed[0, 0] == pytest.approx(hand, rel=5e-3)
    assert hand == pytest.approx(9150.0, abs=60.0)  # ~3.15 km/s + 6 km/s at ~325 km
    assert res.crossing_angle[0, 0] == pytest.approx(math.pi, abs=math.radians(2.0))


@pytest.mark.parametrize("where", ["below", "middle", "above"])
def test_minimum_closing_speed_either_side_of_the_hand_value(falling_threat, where):
    """Intercepts only in the 300-310 km band, where the hand-computed
    closing speed falls from 9,183 m/s (300 km) to 9,155 m/s (310 km)."""
    lo_h, hi_h = 300e3, 310e3
    c_lo_h, c_hi_h = interceptor_speed(lo_h) + VT, interceptor_speed(hi_h) + VT  # the higher, the slower
    assert c_lo_h > c_hi_h
    threshold = {"below": c_hi_h * (1 - 5e-3), "above": c_lo_h * (1 + 5e-3),
                 "middle": interceptor_speed(305e3) + VT}[where]
    ic = impulsive_interceptor(V0, min_intercept_altitude=lo_h, max_intercept_altitude=hi_h,
                               min_closing_speed=threshold)
    # the exhaustive scan: the threat crosses the 10 km band in 1.7 s, an island
    # far shorter than the default coarse step (which may miss such islands)
    res = engage(falling_threat, [Battery("site", 0.0, 0.0, ic, Timeline(launch_delay=0.0))], coarse_step=0.0)
    if where == "above":
        assert not res.engageable[0, 0] and not res.reachable[0, 0]
        return
    assert res.engageable[0, 0]
    h_e = res.intercept_point()[2][0, 0]
    assert res.closing_speed[0, 0] >= threshold
    if where == "below":
        # every sample in the band qualifies: the first one in it (the top of the band)
        assert h_e == pytest.approx(hi_h, abs=VT * 0.1 + 1.0)
    else:
        # only the lower half qualifies: the intercept moves down to ~305 km
        assert h_e == pytest.approx(305e3, abs=1.5e3)


# --------------------------------------------------------- latest launch ----
def climbing(rho0, vh, h0, vz):
    """A threat along the equator, east of the site, flying west (toward it)
    at vh over the ground while climbing at vz."""
    def path(t):
        t = np.asarray(t, dtype=float)
        lon = (rho0 - vh * t) / R
        h = h0 + vz * t
        return np.stack([(R + h) * np.cos(lon), (R + h) * np.sin(lon), 0.0 * t], axis=-1)
    return path


CASES = [  # (ground range at t = 0, ground speed, initial altitude, climb rate, duration, sample step)
    (1500e3, 1500.0, 100e3, 2000.0, 290.0, 2.0),
    (1500e3, 2000.0, 100e3, 2500.0, 250.0, 1.0),
    (1500e3, 2000.0, 100e3, 2000.0, 300.0, 2.0),
]


@pytest.fixture(scope="module")
def table():
    return FlyoutTable.build(impulsive_interceptor(V0), 0.0, 0.0, options=SPHERE)


@pytest.mark.parametrize("rho0, vh, h0, vz, duration, dt", CASES)
def test_latest_launch_against_a_scan_of_every_sample(table, rho0, vh, h0, vz, duration, dt):
    t = np.arange(0.0, duration, dt)
    thr = threat_from(climbing(rho0, vh, h0, vz), t)
    bat = Battery("site", 0.0, 0.0, table.interceptor, Timeline(launch_delay=0.0))
    # the reference: t - T(t) at every sample, T from the table's own lookup
    # (ground range and altitude of the straight line, azimuth east)
    T, _, _ = table.lookup(rho0 - vh * t, h0 + vz * t, np.full_like(t, math.pi / 2))
    launch = np.where(np.isfinite(T), t - T, -np.inf)
    k = int(np.argmax(launch))
    assert 0 < k < len(t) - 3, "the maximum must be inside the trajectory"
    scan = launch[k]
    exhaustive = engage(thr, [bat], tables=[table], coarse_step=0.0)
    assert exhaustive.latest_launch[0, 0] == pytest.approx(scan, abs=0.05 * dt)
    coarse = engage(thr, [bat], tables=[table])  # the default coarse-to-fine search
    assert coarse.latest_launch[0, 0] <= exhaustive.latest_launch[0, 0] + 1e-3
    assert coarse.latest_launch[0, 0] >= exhaustive.latest_launch[0, 0] - 0.25 * dt
    # the margin is the latest launch minus the permitted one, both searches
    assert coarse.margin[0, 0] == pytest.approx(coarse.latest_launch[0, 0], abs=1e-9)


def test_an_island_shorter_than_the_coarse_step_needs_the_exhaustive_scan(table):
    """A stated limit of the default search: here the latest launch is a single
    feasible sample at the fly-out table's edge (t = 1551 s, 11 s later than
    the last sample of the main run), an island shorter than the 24 s coarse
    step. The exhaustive scan (coarse_step=0) finds it; the default search
    reports the main run's maximum, never a later one."""
    t = np.arange(0.0, 1600.0, 1.0)
    thr = threat_from(climbing(2000e3, 1000.0, 100e3, 500.0), t)
    bat0 = Battery("site", 0.0, 0.0, table.interceptor, Timeline(launch_delay=0.0))
    ex = engage(thr, [bat0], tables=[table], coarse_step=0.0)
    best = ex.latest_launch[0, 0]
    assert best > 1000.0
    co = engage(thr, [bat0], tables=[table])
    assert co.latest_launch[0, 0] <= best + 1e-9
    assert best - co.latest_launch[0, 0] < 15.0
    bat = Battery("site", 0.0, 0.0, table.interceptor, Timeline(launch_delay=best - 1.0))
    assert engage(thr, [bat], tables=[table], coarse_step=0.0).engageable[0, 0]
    # the main run's maximum is found: a launch permitted 1 s before it engages
    early = Battery("site", 0.0, 0.0, table.interceptor, Timeline(launch_delay=co.latest_launch[0, 0] - 1.0))
    assert engage(thr, [early], tables=[table]).engageable[0, 0]


# ------------------------------------------------- radar maximum elevation ----
@pytest.mark.parametrize("max_el_deg, el_deg, seen", [
    (60.0, 90.0, False),  # overhead: above the face's maximum elevation
    (60.0, 61.0, False),
    (60.0, 59.0, True),
    (60.0, 30.0, True),
    (90.0, 90.0, True),  # an all-sky radar sees the zenith
])
def test_radar_maximum_elevation(max_el_deg, el_deg, seen):
    """A point 800 km from the radar at elevation el in the radar's local
    (east, north, up) frame: seen only when el <= the maximum elevation (and
    within range: 800 km < the 1,000 km detection range of a 0.01 m^2
    reference target)."""
    lat, lon = math.radians(52.0), math.radians(10.0)
    radar = Radar("test", lat, lon, max_elevation=math.radians(max_el_deg), reference_range=1.0e6,
                  reference_rcs=0.01)
    d, el = 800e3, math.radians(el_deg)
    x0, y0, z0 = E.geodetic_to_ecef(lat, lon, 0.0)
    dx, dy, dz = E.enu_to_ecef(0.0, d * math.cos(el), d * math.sin(el), lat, lon)
    r = np.array([[x0 + float(dx), y0 + float(dy), z0 + float(dz)]])
    assert math.degrees(float(radar.look(r)[1][0])) == pytest.approx(el_deg, abs=1e-6)
    assert bool(radar.visible(r, rcs=0.01)[0]) is seen
