"""A batch gives the same results as the same trajectories flown one at a time,
and the same results whatever the mix of vehicles in the batch."""

import numpy as np
import pytest

from openbmd.flight import FlightOptions, Impulsive, run
from openbmd.vehicles import Missile, ReentryVehicle, Stage

M1 = Missile("test-3stage", (Stage(23000, 20500, 285, 60), Stage(7300, 6200, 300, 65), Stage(3700, 3300, 295, 60)),
             1100.0, ReentryVehicle(400, 1.2e5), 1.7)
M2 = Missile("test-1stage", (Stage(5900, 3700, 230, 62),), 1000.0, ReentryVehicle(1000, 1.5e4), 0.88,
             vertical_rise=5.0)


def _columns(tr):
    return np.column_stack([tr.ground_range, tr.burnout_time, tr.burnout_speed, tr.apogee, tr.flight_time,
                            tr.reentry_speed, tr.impact_lat, tr.impact_lon])


def test_mixed_batch_equals_one_at_a_time(rng):
    n = 24
    vehicles = [M1 if i % 3 == 0 else M2 if i % 3 == 1 else Impulsive() for i in range(n)]
    lat = rng.uniform(-1, 1, n)
    lon = rng.uniform(-3, 3, n)
    az = rng.uniform(0, 2 * np.pi, n)
    kick = np.radians(rng.uniform(20, 55, n))
    speed = rng.uniform(2000, 7000, n)
    elev = np.radians(rng.uniform(10, 60, n))
    opts = FlightOptions(output_step=10.0)
    batch = run(vehicles, lat, lon, az, kick=kick, speed=speed, elevation=elev, options=opts)
    for i in range(n):
        one = run(vehicles[i], lat[i], lon[i], az[i], kick=kick[i], speed=speed[i], elevation=elev[i], options=opts)
        np.testing.assert_array_equal(_columns(batch)[i], _columns(one)[0])
        k = int(one.n_samples[0])
        assert batch.n_samples[i] == k
        np.testing.assert_array_equal(batch.samples_r[i, :k], one.samples_r[0, :k])
        assert np.all(np.isnan(batch.samples_r[i, k:]))


def test_samples_are_on_the_fixed_output_step_and_end_at_impact():
    tr = run(M1, 0.5, 0.5, 1.0, kick=np.radians(45), options=FlightOptions(output_step=2.0))
    k = int(tr.n_samples[0])
    assert tr.sample_times[k - 1] <= tr.flight_time[0] < tr.sample_times[k - 1] + 2.0
    lat, lon, h = tr.samples_geodetic
    assert h[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert np.nanmax(h) == pytest.approx(tr.apogee[0], rel=1e-4)
    assert np.all(h[0, 1:k] > 0)
