"""Radars: Earth curvature, field of view, detection range versus RCS; track
times; early-warning satellites."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbmd import earth as E
from openbmd.flight.aim import aim
from openbmd.sensors import EarlyWarningSatellites, Radar, horizon_range, observe
from openbmd.vehicles import Missile, ReentryVehicle, Stage

SPHERE = E.EarthModel("sphere", rotation=False, gravity="point")
ICBM = Missile("test-icbm", (Stage(23000, 20500, 285, 60), Stage(7300, 6200, 300, 65), Stage(3700, 3300, 295, 60)),
               700.0, ReentryVehicle(400, 1.2e4), 1.7)


def _points_along_equator(alt, dists):
    lat = np.zeros_like(dists)
    lon = dists / E.SPHERE_RADIUS
    x, y, z = E.geodetic_to_ecef(lat, lon, alt, SPHERE)
    return np.stack([x, y, z], axis=-1)


@pytest.mark.parametrize("alt_km", [100.0, 500.0, 1500.0])
def test_radar_horizon_matches_the_formula(alt_km):
    radar = Radar("r", 0.0, 0.0, max_range=2e7, reference_range=2e7)
    d = np.linspace(1e5, 5e6, 20000)  # ground distances along the equator
    pts = _points_along_equator(alt_km * 1e3, d)
    vis = radar.visible(pts, 1.0, SPHERE)
    last = np.nonzero(vis)[0].max()
    _, _, slant = radar.look(pts[last], SPHERE)
    assert slant == pytest.approx(horizon_range(0.0, alt_km * 1e3), rel=1e-3)
    # by hand: sqrt((R + h)^2 - R^2)
    r = E.SPHERE_RADIUS
    assert horizon_range(0.0, alt_km * 1e3) == pytest.approx(math.sqrt((r + alt_km * 1e3) ** 2 - r**2))


def test_minimum_elevation_shortens_the_horizon():
    assert horizon_range(0.0, 500e3, math.radians(5.0)) < horizon_range(0.0, 500e3)
    radar = Radar("r", 0.0, 0.0, min_elevation=math.radians(5.0), max_range=2e7, reference_range=2e7)
    d = np.linspace(1e5, 4e6, 20000)
    pts = _points_along_equator(500e3, d)
    vis = radar.visible(pts, 1.0, SPHERE)
    _, el, slant = radar.look(pts[np.nonzero(vis)[0].max()], SPHERE)
    assert slant == pytest.approx(horizon_range(0.0, 500e3, math.radians(5.0)), rel=1e-3)


def test_detection_range_scales_as_the_fourth_root_of_rcs():
    radar = Radar("r", 0.0, 0.0, max_range=1e7, reference_range=1.0e6, reference_rcs=0.01)
    assert radar.detection_range(0.16) == pytest.approx(2.0e6)
    assert radar.detection_range(0.01 / 16) == pytest.approx(0.5e6)
    assert Radar("r", 0, 0, max_range=1.5e6, reference_range=1e6).detection_range(100.0) == pytest.approx(1.5e6)
    with pytest.raises(ValueError, match="positive"):
        radar.detection_range(-1.0)


def test_field_of_view_limits_azimuth():
    radar = Radar("r", 0.0, 0.0, boresight_azimuth=math.radians(90), azimuth_half_width=math.radians(60),
                  max_range=1e7, reference_range=1e7)
    east = _points_along_equator(300e3, np.array([1e6]))
    west = _points_along_equator(300e3, np.array([-1e6]))
    assert radar.visible(east, 1.0, SPHERE)[0]
    assert not radar.visible(west, 1.0, SPHERE)[0]


@pytest.fixture(scope="module")
def threat():
    return aim(ICBM, math.radians(55.0), math.radians(37.0), math.radians(50.0), math.radians(-40.0),
               output_step=2.0)


def test_detection_and_track_times(threat):
    radar = Radar("r", math.radians(60.0), math.radians(20.0), max_range=5e6, reference_range=3e6, track_time=20.0)
    rep = observe(threat, radar, 0.1)
    assert np.isfinite(rep.detection_time[0])
    assert rep.track_time[0] == pytest.approx(rep.detection_time[0] + 20.0)
    a, b = rep.intervals[0][0]
    assert a == rep.detection_time[0] and b >= a
    df = rep.to_dataframe(["t"])
    assert df.loc[0, "detection_s"] == rep.detection_time[0]


@settings(max_examples=25, deadline=None)
@given(st.floats(0.001, 1.0), st.floats(1.0, 16.0))
def test_larger_rcs_never_delays_detection(rcs, factor):
    tr = _THREAT
    radar = Radar("r", math.radians(60.0), math.radians(20.0), max_range=6e6, reference_range=1.5e6)
    small = observe(tr, radar, rcs).detection_time[0]
    big = observe(tr, radar, rcs * factor).detection_time[0]
    assert np.isnan(small) or big <= small


_THREAT = aim(ICBM, math.radians(55.0), math.radians(37.0), math.radians(50.0), math.radians(-40.0), output_step=2.0)


def test_satellites_cue_in_the_boost(threat):
    sat = EarlyWarningSatellites(delay=45.0)
    assert sat.detection_time(threat)[0] == 45.0
    assert np.isnan(EarlyWarningSatellites(delay=1e4).detection_time(threat)[0])
    with pytest.raises(ValueError):
        EarlyWarningSatellites(delay=-1.0)


def test_the_visibility_kept_for_repeated_looks_is_bounded_in_bytes(monkeypatch):
    """observe keeps visibility arrays for repeated looks (least recently used
    dropped first), bounded in count and in bytes, and a dropped one is
    computed again to the same answer."""
    import numpy as np

    from openbmd import sensors as S
    from openbmd.catalog import default_catalog
    from openbmd.flight import FlightOptions, run

    cat = default_catalog()
    tr = run(cat.missile("RS-24 Yars"), np.radians(54.0), np.radians(35.0), np.radians(np.linspace(300, 330, 4)),
             kick=np.radians(10.0), options=FlightOptions(output_step=10.0))
    radar = cat.radar("Fylingdales radar")
    S._VIS.clear()
    ref = S.observe(tr, radar).track_time
    one = next(iter(S._VIS.values()))[1].nbytes
    monkeypatch.setattr(S, "VIS_CACHE_BYTES", 2.5 * one)
    for k in range(5):
        S.observe(tr, radar.at(lat=radar.lat + 1e-3 * (k + 1)))
        assert sum(v[1].nbytes for v in S._VIS.values()) <= 2.5 * one
    assert len(S._VIS) == 2
    np.testing.assert_array_equal(S.observe(tr, radar).track_time, ref)  # dropped, computed again: the same
