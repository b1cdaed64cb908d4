"""Earth rotation: eastward and westward shots at the same Earth-relative speed.

The eastward shot gains the Earth's surface speed (465 m/s at the equator), so
it flies farther than the westward one. The reference is an independent
calculation: the same burnout state converted to the inertial frame,
integrated with scipy's solve_ivp in that frame (two-body), and the impact
point rotated back into the Earth frame.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from openbmd.earth import GM_EARTH, OMEGA_EARTH, SPHERE_RADIUS, EarthModel
from openbmd.flight import FlightOptions, Impulsive, run

OPTS = FlightOptions(earth=EarthModel("sphere", rotation=True, gravity="point"), drag=False)


def inertial_reference(lat, lon, az, speed, elev):
    """Ground range (m) of an impulsive shot from (lat, lon) computed in the
    inertial frame, independent of openbmd's kernel."""
    r0 = SPHERE_RADIUS * np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    e = np.array([-np.sin(lon), np.cos(lon), 0.0])
    n = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    u = r0 / SPHERE_RADIUS
    v_rel = speed * (np.cos(elev) * (np.sin(az) * e + np.cos(az) * n) + np.sin(elev) * u)
    v_in = v_rel + np.cross([0, 0, OMEGA_EARTH], r0)

    def f(t, y):
        r = y[:3]
        return np.concatenate([y[3:], -GM_EARTH * r / np.linalg.norm(r) ** 3])

    def hit(t, y):
        return np.linalg.norm(y[:3]) - SPHERE_RADIUS

    hit.terminal, hit.direction = True, -1
    sol = solve_ivp(f, (0, 1e4), np.concatenate([r0, v_in]), events=hit, rtol=1e-12, atol=1e-6, method="DOP853",
                    first_step=1.0)
    t_imp = sol.t_events[0][-1]
    ri = sol.y_events[0][-1][:3]
    # rotate the inertial impact point back to the Earth frame
    th = -OMEGA_EARTH * t_imp
    ri = np.array([np.cos(th) * ri[0] - np.sin(th) * ri[1], np.sin(th) * ri[0] + np.cos(th) * ri[1], ri[2]])
    c = np.clip(ri @ r0 / (np.linalg.norm(ri) * SPHERE_RADIUS), -1, 1)
    return SPHERE_RADIUS * np.arccos(c), t_imp


@pytest.mark.parametrize("lat_deg", [0.0, 45.0])
def test_east_west_asymmetry_matches_inertial_calculation(lat_deg):
    lat = np.radians(lat_deg)
    speed, elev = 6000.0, np.radians(30.0)
    tr = run(Impulsive(), lat, 0.0, np.radians([90.0, 270.0]), speed=speed, elevation=elev,
             options=OPTS.replace(rtol=1e-11))
    east, west = tr.ground_range
    ref_e, t_e = inertial_reference(lat, 0.0, np.pi / 2, speed, elev)
    ref_w, t_w = inertial_reference(lat, 0.0, 3 * np.pi / 2, speed, elev)
    assert east > west
    assert east == pytest.approx(ref_e, abs=50.0)
    assert west == pytest.approx(ref_w, abs=50.0)
    assert tr.flight_time[0] == pytest.approx(t_e, abs=0.05)
    assert tr.flight_time[1] == pytest.approx(t_w, abs=0.05)
    # the asymmetry is large: hundreds of km at the equator for a 6 km/s shot
    if lat_deg == 0.0:
        assert east - west > 500e3


def test_no_rotation_switch_removes_the_asymmetry():
    opts = OPTS.replace(earth=EarthModel("sphere", rotation=False, gravity="point"))
    tr = run(Impulsive(), 0.0, 0.0, np.radians([90.0, 270.0]), speed=6000.0, elevation=np.radians(30.0), options=opts)
    assert tr.ground_range[0] == pytest.approx(tr.ground_range[1], rel=1e-9)
