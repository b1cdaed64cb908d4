"""Earth model against independent implementations (pyproj, pymap3d) and the
J2 potential."""

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from openbmd import earth as E

SPHERE = E.EarthModel("sphere", rotation=False, gravity="point")


def test_geodetic_to_ecef_matches_pyproj(rng):
    lat = rng.uniform(-90, 90, 500)
    lon = rng.uniform(-180, 180, 500)
    h = rng.uniform(-1e3, 2e6, 500)
    t = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    xr, yr, zr = t.transform(lon, lat, h)
    x, y, z = E.geodetic_to_ecef(np.radians(lat), np.radians(lon), h)
    np.testing.assert_allclose(np.stack([x, y, z]), np.stack([xr, yr, zr]), atol=1e-6)


def test_ecef_to_geodetic_matches_pyproj(rng):
    lat = rng.uniform(-89.9, 89.9, 500)
    lon = rng.uniform(-180, 180, 500)
    h = rng.uniform(-1e3, 5e6, 500)
    x, y, z = E.geodetic_to_ecef(np.radians(lat), np.radians(lon), h)
    la, lo, hh = E.ecef_to_geodetic(x, y, z)
    np.testing.assert_allclose(np.degrees(la), lat, atol=1e-9)
    np.testing.assert_allclose(np.degrees(lo), lon, atol=1e-9)
    np.testing.assert_allclose(hh, h, atol=1e-4)


@settings(max_examples=200, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(0, 3e6))
def test_geodetic_round_trip_property(lat, lon, h):
    x, y, z = E.geodetic_to_ecef(np.radians(lat), np.radians(lon), h)
    la, lo, hh = E.ecef_to_geodetic(x, y, z)
    assert abs(hh - h) < 1e-4
    assert abs(np.degrees(la) - lat) < 1e-9


def test_sphere_conversion_is_spherical():
    x, y, z = E.geodetic_to_ecef(np.radians(30.0), 0.0, 1000.0, SPHERE)
    assert np.hypot(np.hypot(x, y), z) == pytest.approx(6371e3 + 1000.0)
    la, _, h = E.ecef_to_geodetic(x, y, z, SPHERE)
    assert np.degrees(la) == pytest.approx(30.0)
    assert h == pytest.approx(1000.0)


def test_enu_and_aer_match_pymap3d(rng):
    lat0, lon0, h0 = 44.08, 24.35, 100.0
    lat = rng.uniform(30, 60, 50)
    lon = rng.uniform(0, 50, 50)
    h = rng.uniform(0, 1e6, 50)
    az, el, rg = E.aer(np.radians(lat0), np.radians(lon0), h0, np.radians(lat), np.radians(lon), h)
    azr, elr, rgr = pymap3d.geodetic2aer(lat, lon, h, lat0, lon0, h0)
    np.testing.assert_allclose(np.degrees(az), azr, atol=1e-7)
    np.testing.assert_allclose(np.degrees(el), elr, atol=1e-7)
    np.testing.assert_allclose(rg, rgr, rtol=1e-10)
    x, y, z = E.geodetic_to_ecef(np.radians(lat), np.radians(lon), h)
    x0, y0, z0 = E.geodetic_to_ecef(np.radians(lat0), np.radians(lon0), h0)
    e, n, u = E.ecef_to_enu(x - x0, y - y0, z - z0, np.radians(lat0), np.radians(lon0))
    er, nr, ur = pymap3d.geodetic2enu(lat, lon, h, lat0, lon0, h0)
    np.testing.assert_allclose(np.stack([e, n, u]), np.stack([er, nr, ur]), atol=1e-5)
    back = E.enu_to_ecef(e, n, u, np.radians(lat0), np.radians(lon0))
    np.testing.assert_allclose(np.stack(back), np.stack([x - x0, y - y0, z - z0]), atol=1e-5)


def test_geodesics():
    # Moscow -> Washington on WGS84 (Karney via pyproj) and on the sphere
    lat1, lon1, lat2, lon2 = np.radians([55.7558, 37.6173, 38.9072, -77.0369])
    d, az = E.geodesic_inverse(lat1, lon1, lat2, lon2)
    assert d == pytest.approx(7_839_000, rel=5e-3)  # ~7,840 km
    ds, azs = E.geodesic_inverse(lat1, lon1, lat2, lon2, SPHERE)
    assert abs(ds - d) / d < 5e-3  # sphere vs ellipsoid differ by < 0.5 %
    for model in (E.WGS84, SPHERE):
        dd, aa = E.geodesic_inverse(lat1, lon1, lat2, lon2, model)
        la, lo = E.geodesic_direct(lat1, lon1, aa, dd, model)
        assert np.degrees(la) == pytest.approx(38.9072, abs=1e-7)
        assert np.degrees(lo) == pytest.approx(-77.0369, abs=1e-7)


def test_j2_gravity_is_the_gradient_of_the_j2_potential(rng):
    mu, j2, re = E.GM_EARTH, E.J2_EARTH, E.WGS84_A

    def pot(r):
        rn = np.linalg.norm(r)
        s = r[2] / rn
        return mu / rn * (1 - j2 * (re / rn) ** 2 * 0.5 * (3 * s * s - 1))

    for _ in range(20):
        r = rng.normal(size=3)
        r *= rng.uniform(6.4e6, 9e6) / np.linalg.norm(r)
        g = np.array(E.gravity_k(r[0], r[1], r[2], mu, j2, re))
        h = 1.0
        num = np.array([(pot(r + h * dv) - pot(r - h * dv)) / (2 * h) for dv in np.eye(3)])
        np.testing.assert_allclose(g, num, rtol=1e-6)
    # point mass and the J2 magnitude at the equator: g0 * (1 + 1.5 J2) at r = a
    gp = np.array(E.gravity_k(re, 0.0, 0.0, mu, 0.0, re))
    gj = np.array(E.gravity_k(re, 0.0, 0.0, mu, j2, re))
    assert gj[0] / gp[0] == pytest.approx(1 + 1.5 * j2, rel=1e-12)


def test_bad_model_names():
    with pytest.raises(ValueError, match="earth shape"):
        E.EarthModel("flat")
    with pytest.raises(ValueError, match="gravity"):
        E.EarthModel(gravity="j4")


def test_altitude_kernel_equals_the_full_conversion(rng):
    lat = rng.uniform(-90, 90, 300)
    lon = rng.uniform(-180, 180, 300)
    h = rng.uniform(-1e3, 3e6, 300)
    x, y, z = E.geodetic_to_ecef(np.radians(lat), np.radians(lon), h)
    for model in (E.WGS84, SPHERE):
        xs, ys, zs = E.geodetic_to_ecef(np.radians(lat), np.radians(lon), h, model)
        got = np.array([E.altitude_k(a, b, c, model.a, model.f) for a, b, c in zip(xs, ys, zs)])
        np.testing.assert_allclose(got, h, atol=1e-4)
