"""Compliance with each kind of guarantee limit, on synthetic deployments
placed on either side of the limit: the check's pass/fail, the sign of its
margin (positive: inside the limit by that much; negative: beyond it) and
the margin's size.

References: hand arithmetic on the stated positions (degrees, km/s,
interceptor counts, azimuths), exact to 1e-9; for the distance from a border,
the geodesic distance (WGS 84, pyproj) from the site to every vertex of the
country's boundary (Natural Earth 1:50m, as bundled), brute force, within
1e-6 km; the sign (negative inside the country) by hand.
"""

import math
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest

from openbmd import geo
from openbmd import guarantee as G
from openbmd.scenario import BatterySpec, patrol_stations
from openbmd.sensors import Radar
from openbmd.vehicles import impulsive_interceptor


def guarantee(tmp_path, *limits):
    """A guarantee file with the given [[limit]] tables (dicts), loaded."""
    body = ['[guarantee]\nname = "test"\n']
    for lim in limits:
        body.append("[[limit]]")
        for k, v in lim.items():
            body.append(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"')
        body.append("")
    p = tmp_path / "g.toml"
    p.write_text("\n".join(body))
    return G.load_guarantee(p)


def battery(name, lat=None, lon=None, *, speed_km_s=4.0, kind="land", box=None, count=None, stations=5):
    """A battery at (lat, lon) degrees, or a ship patrolling a box (lat0, lat1, lon0, lon1) degrees."""
    pts = patrol_stations(box, stations) if box else [(math.radians(lat), math.radians(lon))]
    return BatterySpec(name=name, interceptor=impulsive_interceptor(speed_km_s * 1e3), count=count,
                       kind="ship" if box else kind, stations=pts, patrol_box=box, cue=None)


def deployment(*batteries, radars=()):
    return SimpleNamespace(batteries=list(batteries), radars={r.name: r for r in radars})


def check(tmp_path, limit, *batteries, radars=()):
    (c,) = G.compliance(guarantee(tmp_path, limit), deployment(*batteries, radars=radars))
    assert c.passed == (c.margin >= 0)
    return c


# ------------------------------------------------------------------------------
def test_no_sites_east_of(tmp_path):
    lim = {"kind": "no_sites_east_of", "lon_deg": 20.0}
    c = check(tmp_path, lim, battery("east", 54.0, 25.0))
    assert not c.passed and c.margin == pytest.approx(-5.0, abs=1e-9) and c.unit == "deg"
    assert "east" in c.detail
    c = check(tmp_path, lim, battery("west", 54.0, 15.0))
    assert c.passed and c.margin == pytest.approx(5.0, abs=1e-9)
    # the worst battery decides; a patrol box by its easternmost station
    c = check(tmp_path, lim, battery("west", 54.0, 15.0), battery("box", box=(55.0, 57.0, 18.0, 21.5)))
    assert not c.passed and c.margin == pytest.approx(-1.5, abs=1e-9) and "box" in c.detail
    c = check(tmp_path, lim, battery("on the line", 54.0, 20.0))
    assert c.passed and c.margin == pytest.approx(0.0, abs=1e-9)


def test_max_burnout_speed(tmp_path):
    poly = [[60.0, 0.0], [60.0, 10.0], [70.0, 10.0], [70.0, 0.0]]
    lim = {"kind": "max_burnout_speed", "max_km_s": 4.5, "polygon_deg": poly}
    c = check(tmp_path, lim, battery("fast inside", 65.0, 5.0, speed_km_s=5.5))
    assert not c.passed and c.margin == pytest.approx(-1.0, abs=1e-9) and c.unit == "km/s"
    c = check(tmp_path, lim, battery("slow inside", 65.0, 5.0, speed_km_s=4.0))
    assert c.passed and c.margin == pytest.approx(0.5, abs=1e-9)
    # outside the region the limit does not apply
    c = check(tmp_path, lim, battery("fast outside", 55.0, 5.0, speed_km_s=8.0))
    assert c.passed and c.margin == math.inf and c.detail == "no battery concerned"
    # a named area, and no area at all (applies everywhere)
    named = {"kind": "max_burnout_speed", "max_km_s": 4.5, "area": "Norwegian Sea"}
    c = check(tmp_path, named, battery("ship", 68.5, 4.5, speed_km_s=5.0, kind="ship"))
    assert not c.passed and c.margin == pytest.approx(-0.5, abs=1e-9)
    c = check(tmp_path, {"kind": "max_burnout_speed", "max_km_s": 3.0}, battery("any", 10.0, 10.0, speed_km_s=3.25))
    assert not c.passed and c.margin == pytest.approx(-0.25, abs=1e-9)


def test_no_naval_north_of(tmp_path):
    lim = {"kind": "no_naval_north_of", "lat_deg": 60.0}
    c = check(tmp_path, lim, battery("north", 62.0, 5.0, kind="ship"))
    assert not c.passed and c.margin == pytest.approx(-2.0, abs=1e-9) and c.unit == "deg"
    c = check(tmp_path, lim, battery("south", 58.0, 5.0, kind="ship"))
    assert c.passed and c.margin == pytest.approx(2.0, abs=1e-9)
    # a patrol box counts by its northern edge
    c = check(tmp_path, lim, battery("box", box=(55.0, 65.0, 0.0, 10.0)))
    assert not c.passed and c.margin == pytest.approx(-5.0, abs=1e-9)
    # land sites are not naval
    c = check(tmp_path, lim, battery("land", 70.0, 20.0))
    assert c.passed and c.margin == math.inf


def test_keep_out(tmp_path):
    poly = [[60.0, 0.0], [60.0, 10.0], [70.0, 10.0], [70.0, 0.0]]
    lim = {"kind": "keep_out", "polygon_deg": poly}
    c = check(tmp_path, lim, battery("inside", 65.0, 5.0, kind="ship"))
    assert not c.passed and c.margin == pytest.approx(-1.0) and c.unit == "stations"
    c = check(tmp_path, lim, battery("outside", 55.0, 5.0, kind="ship"))
    assert c.passed and c.margin == pytest.approx(0.0)
    # a patrol box straddling the region's southern edge: its stations inside, counted
    box = (55.0, 64.0, 2.0, 8.0)
    inside = sum(60.0 < math.degrees(la) < 70.0 for la, _ in patrol_stations(box, 5))
    assert inside == 2  # by hand: the centre (59.5 N) and the southern corners out; (64 N, 2 E), (64 N, 8 E) in
    c = check(tmp_path, lim, battery("box", box=box, stations=5))
    assert not c.passed and c.margin == pytest.approx(-2.0)
    # applies_to = ship: a land site inside is not concerned, a ship is
    ships = {"kind": "keep_out", "polygon_deg": poly, "applies_to": "ship"}
    c = check(tmp_path, ships, battery("land inside", 65.0, 5.0))
    assert c.passed
    c = check(tmp_path, ships, battery("land inside", 65.0, 5.0), battery("ship inside", 66.0, 6.0, kind="ship"))
    assert not c.passed and c.margin == pytest.approx(-1.0) and "ship inside" in c.detail


def _vertex_distance_km(country, lat, lon):
    """Brute force: geodesic distance (km) to the nearest boundary vertex."""
    from pyproj import Geod

    pts = np.vstack([r for poly in geo.country(country).polygons for r in poly])  # (lon, lat)
    _, _, d = Geod(ellps="WGS84").inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
    return float(d.min()) / 1e3


def test_min_distance_from_border(tmp_path):
    helsinki = (60.17, 24.94)
    ref = _vertex_distance_km("Russia", *helsinki)
    assert 100.0 < ref < 250.0  # by hand: the Russian shore of the Gulf of Finland, ~160 km east
    site = battery("Helsinki", *helsinki)
    c = check(tmp_path, {"kind": "min_distance_from_border", "country": "Russia", "km": ref - 20.0}, site)
    assert c.passed and c.margin == pytest.approx(20.0, abs=1e-6) and c.unit == "km"
    c = check(tmp_path, {"kind": "min_distance_from_border", "country": "Russia", "km": ref + 20.0}, site)
    assert not c.passed and c.margin == pytest.approx(-20.0, abs=1e-6)
    # inside the country the distance counts as negative: always beyond the limit
    moscow = (55.75, 37.62)
    inside = _vertex_distance_km("Russia", *moscow)
    c = check(tmp_path, {"kind": "min_distance_from_border", "country": "Russia", "km": 0.0}, battery("Moscow", *moscow))
    assert not c.passed and c.margin == pytest.approx(-inside, abs=1e-6)


@pytest.mark.parametrize("sector, boresight, half_width, margin", [
    ((0.0, 90.0), 45.0, 30.0, 15.0),  # 15..75 inside 0..90: 15 deg to spare on both sides
    ((0.0, 90.0), 35.0, 30.0, 5.0),  # 5..65: 5 deg to spare at the start
    ((0.0, 90.0), 80.0, 30.0, -20.0),  # 50..110: 20 deg beyond the end
    ((0.0, 90.0), 10.0, 30.0, -20.0),  # -20..40: 20 deg before the start
    ((0.0, 90.0), 55.0, 65.0, -30.0),  # -10..120: 10 deg before the start and 30 beyond the end
    ((300.0, 60.0), 0.0, 30.0, 30.0),  # a sector across north: 330..30 inside 300..60
    ((0.0, 90.0), 0.0, 180.0, -270.0),  # all round: 270 deg of it outside the sector
])
def test_radar_sector(tmp_path, sector, boresight, half_width, margin):
    r = Radar("R", math.radians(50.0), math.radians(10.0), boresight_azimuth=math.radians(boresight),
              azimuth_half_width=math.radians(half_width))
    lim = {"kind": "radar_sector", "radar": "R", "azimuth_min_deg": sector[0], "azimuth_max_deg": sector[1]}
    c = check(tmp_path, lim, radars=[r])
    assert c.margin == pytest.approx(margin, abs=1e-9) and c.unit == "deg"
    assert c.passed is (margin >= 0)


def test_radar_sector_names_and_wildcard(tmp_path):
    good = Radar("good", 0.9, 0.2, boresight_azimuth=math.radians(45.0), azimuth_half_width=math.radians(30.0))
    bad = Radar("bad", 0.9, 0.2, boresight_azimuth=math.radians(80.0), azimuth_half_width=math.radians(30.0))
    every = {"kind": "radar_sector", "radar": "*", "azimuth_min_deg": 0.0, "azimuth_max_deg": 90.0}
    c = check(tmp_path, every, radars=[good, bad])
    assert not c.passed and c.margin == pytest.approx(-20.0, abs=1e-9) and "bad" in c.detail
    absent = {"kind": "radar_sector", "radar": "elsewhere", "azimuth_min_deg": 0.0, "azimuth_max_deg": 90.0}
    c = check(tmp_path, absent, radars=[bad])
    assert c.passed and c.margin == math.inf and "no radar named" in c.detail


def test_max_interceptors_per_site(tmp_path):
    lim = {"kind": "max_interceptors_per_site", "count": 24}
    c = check(tmp_path, lim, battery("many", 54.0, 17.0, count=30))
    assert not c.passed and c.margin == pytest.approx(-6.0) and c.unit == "interceptors"
    c = check(tmp_path, lim, battery("few", 54.0, 17.0, count=20))
    assert c.passed and c.margin == pytest.approx(4.0)
    c = check(tmp_path, lim, battery("few", 54.0, 17.0, count=20), battery("many", 44.0, 24.0, count=25))
    assert not c.passed and c.margin == pytest.approx(-1.0) and "many" in c.detail
    c = check(tmp_path, lim, battery("uncounted", 54.0, 17.0, count=None))
    assert c.passed and c.margin == math.inf


def test_every_limit_kind_is_covered():
    tested = {"no_sites_east_of", "max_burnout_speed", "no_naval_north_of", "keep_out", "min_distance_from_border",
              "radar_sector", "max_interceptors_per_site"}
    # the precedents' kinds (treaty articles and limits on flight tests): tests/validation/test_against_treaty_precedents.py
    tested |= {"max_interceptors_total", "max_deployment_areas", "no_basing", "early_warning_periphery",
               "max_test_interceptor_speed", "max_test_target_speed", "max_test_target_range",
               "max_test_intercept_altitude"}
    assert set(G.LIMIT_KINDS) == tested


def test_several_limits_one_check_each(tmp_path):
    g = guarantee(tmp_path, {"kind": "no_sites_east_of", "lon_deg": 20.0},
                  {"kind": "max_interceptors_per_site", "count": 24})
    checks = G.compliance(g, deployment(battery("a", 54.0, 22.0, count=10)))
    assert [c.passed for c in checks] == [False, True]
    assert [c.margin for c in checks] == pytest.approx([-2.0, 14.0])
    assert textwrap.shorten(checks[0].what, 80).startswith("no interceptor sites east of 20")
