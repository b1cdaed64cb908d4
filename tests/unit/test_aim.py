"""Aiming with Earth rotation, J2 and drag: shots land within 1 km of the aim
point; lofted and depressed shots fly the apogee or time asked; a target out
of reach is a clear error naming the missile's maximum range."""

import numpy as np
import pytest

from openbmd.flight import FlightOptions, Impulsive, run
from openbmd.flight.aim import AimError, aim, max_range
from openbmd.vehicles import Missile, ReentryVehicle, Stage

ICBM = Missile("test-icbm", (Stage(23000, 20500, 285, 60), Stage(7300, 6200, 300, 65), Stage(3700, 3300, 295, 60)),
               700.0, ReentryVehicle(400, 1.2e4), 1.7)
deg = np.radians


def test_grid_of_launch_target_pairs_lands_within_1_km():
    launches = [(55.0, 37.0), (35.0, 50.0), (-10.0, 120.0), (64.0, -146.0)]
    offsets = [(1000, 45.0), (3000, 135.0), (6000, 300.0), (9000, 20.0), (5000, 250.0)]
    from openbmd.earth import geodesic_direct

    lat, lon, tlat, tlon = [], [], [], []
    for la, lo in launches:
        for d, az in offsets:
            t = geodesic_direct(deg(la), deg(lo), deg(az), d * 1e3)
            lat.append(deg(la)), lon.append(deg(lo)), tlat.append(float(t[0])), tlon.append(float(t[1]))
    tr = aim(ICBM, lat, lon, tlat, tlon)
    assert len(tr) == 20
    assert np.all(tr.impacted)
    assert np.max(tr.miss_distance) < 1000.0
    # and the same aim points by impulsive shots
    tri = aim(Impulsive(), lat, lon, tlat, tlon)
    assert np.max(tri.miss_distance) < 1000.0


def test_min_energy_needs_less_burnout_speed_than_lofted_or_depressed():
    args = (ICBM, deg(55.0), deg(37.0), deg(52.5), deg(-1.0))  # ~2,500 km
    me = aim(*args)
    lofted = aim(*args, mode="apogee", apogee=me.apogee[0] + 300e3)
    depressed = aim(*args, mode="apogee", apogee=me.apogee[0] - 200e3)
    assert lofted.apogee[0] == pytest.approx(me.apogee[0] + 300e3, abs=1e3)
    assert depressed.apogee[0] == pytest.approx(me.apogee[0] - 200e3, abs=1e3)
    for tr in (lofted, depressed):
        assert tr.miss_distance[0] < 1000.0
        assert tr.burnout_speed[0] > me.burnout_speed[0]


def test_flight_time_mode():
    args = (ICBM, deg(55.0), deg(37.0), deg(52.5), deg(-1.0))
    me = aim(*args)
    tr = aim(*args, mode="flight-time", flight_time=me.flight_time[0] - 60.0)
    assert tr.flight_time[0] == pytest.approx(me.flight_time[0] - 60.0, abs=1.0)
    assert tr.miss_distance[0] < 1000.0
    assert tr.apogee[0] < me.apogee[0]  # a shorter flight is a depressed one


def test_unreachable_target_names_the_maximum_range():
    srbm = Missile("test-srbm", (Stage(4900, 3700, 230, 75),), 1000.0, ReentryVehicle(1000, 2e3), 0.84)
    with pytest.raises(AimError, match=r"reaches at most [\d,]+ km") as info:
        aim(srbm, deg(38.0), deg(46.0), deg(44.4), deg(26.1))  # ~1,800 km
    assert 200e3 < info.value.max_range[0] < 400e3


def test_unflyable_apogee_is_an_error():
    with pytest.raises(AimError, match="cannot be flown"):
        aim(ICBM, deg(55.0), deg(37.0), deg(52.5), deg(-1.0), mode="apogee", apogee=20000e3)


def test_max_range_maximises_range_over_the_kick():
    tr = max_range(ICBM, deg(45.0), 0.0, 0.0)
    kick = tr.kick[0]
    around = run(ICBM, deg(45.0), 0.0, 0.0, kick=kick + deg(np.array([-2.0, -0.5, 0.5, 2.0])))
    assert np.all(around.ground_range <= tr.ground_range[0] + 1.0)


def test_rotation_changes_the_aim_but_not_the_hit():
    # the same pair, with and without rotation: different guidance, both on target
    a = aim(ICBM, deg(40.0), deg(0.0), deg(40.0), deg(60.0))
    b = aim(ICBM, deg(40.0), deg(0.0), deg(40.0), deg(60.0),
            options=FlightOptions(earth=a.options.earth.__class__(rotation=False)))
    assert a.miss_distance[0] < 1000 and b.miss_distance[0] < 1000
    assert abs(a.azimuth[0] - b.azimuth[0]) > deg(0.05) or abs(a.cutoff[0] - b.cutoff[0]) > 0.5
