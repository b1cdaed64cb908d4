"""Country and land geometry: TopoJSON decoding, masks, areas and the antimeridian."""

import numpy as np
import pytest
from pyproj import Geod

from openbmd import geo

WARSAW = (52.23, 21.01)
BERLIN = (52.52, 13.40)
MOSCOW = (55.76, 37.62)
MID_ATLANTIC = (30.0, -40.0)


def test_decoding_sanity():
    table = geo.countries()
    assert len(table) > 200
    for name in ("Poland", "Russia", "United States of America", "Germany", "France", "United Kingdom", "Antarctica"):
        assert name in table
    lon_min, lat_min, lon_max, lat_max = table["Poland"].bbox
    assert 13.8 < lon_min < 14.4 and 23.9 < lon_max < 24.4
    assert 48.8 < lat_min < 49.2 and 54.6 < lat_max < 55.0
    assert table["Poland"].id == "616"
    for c in table.values():
        assert c.polygons
        for poly in c.polygons:
            for ring in poly:
                assert ring.ndim == 2 and ring.shape[1] == 2 and len(ring) >= 4
                np.testing.assert_array_equal(ring[0], ring[-1])
                assert np.all(np.abs(ring[:, 0]) <= 180.0) and np.all(np.abs(ring[:, 1]) <= 90.0)


def test_decoding_is_cached_and_fresh_dicts_are_returned():
    a, b = geo.countries(), geo.countries()
    assert a is not b and a["Poland"] is b["Poland"]
    a.clear()
    assert len(geo.countries()) > 200


def test_names_aliases_and_suggestions():
    assert geo.country("poland").name == "Poland"
    for alias in ("USA", "United States", "US", "usa"):
        assert geo.country(alias).name == "United States of America"
    assert geo.country("UK").name == "United Kingdom"
    assert geo.country("United Kingdom").name == "United Kingdom"
    assert geo.country("Russian Federation").name == "Russia"
    for target in geo.ALIASES.values():
        assert target in geo.countries(), target
    with pytest.raises(geo.GeoError, match="Poland") as err:
        geo.country("Polnd")
    assert isinstance(err.value, ValueError)
    with pytest.raises(geo.GeoError):
        geo.country_mask("Atlantis", 0.0, 0.0)


def test_point_masks():
    assert geo.country_mask("Poland", *WARSAW)
    assert not geo.country_mask("Poland", *BERLIN)
    assert geo.country_mask(["Poland", "Germany"], *BERLIN)
    assert geo.land_mask(*WARSAW) and geo.land_mask(*BERLIN)
    assert not geo.land_mask(*MID_ATLANTIC)
    assert geo.country_mask("Russia", *MOSCOW)
    # Russia's far east on both sides of the antimeridian (Chukotka reaches 169 W)
    assert geo.country_mask("Russia", 65.0, 175.0)
    assert geo.country_mask("Russia", 65.0, -175.0)
    assert geo.country_mask("Russia", 71.2, -179.5)  # Wrangel Island, cut by the antimeridian
    assert not geo.country_mask("Russia", 65.0, -160.0)  # Alaska
    assert geo.country_mask("USA", 65.0, -160.0)
    assert geo.country_mask("USA", 40.0, -100.0)
    # Antarctica goes round the pole
    assert geo.country_mask("Antarctica", -89.5, 45.0) and geo.land_mask(-85.0, -120.0)
    assert not geo.land_mask(-60.0, 0.0)
    names = geo.country_of([WARSAW[0], BERLIN[0], MOSCOW[0], 65.0, 65.0, 40.0, MID_ATLANTIC[0]],
                           [WARSAW[1], BERLIN[1], MOSCOW[1], 175.0, -175.0, -100.0, MID_ATLANTIC[1]])
    assert list(names) == ["Poland", "Germany", "Russia", "Russia", "Russia", "United States of America", ""]


def test_vectorised_masks_match_point_calls():
    rng = np.random.default_rng(7)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, (100, 100))))
    lon = rng.uniform(-180.0, 180.0, (100, 100))
    land = geo.land_mask(lat, lon)
    rus = geo.country_mask("Russia", lat, lon)
    names = geo.country_of(lat, lon)
    assert land.shape == rus.shape == names.shape == (100, 100)
    assert land.dtype == bool
    assert 0.24 < land.mean() < 0.34  # about 29 % of the Earth is land
    assert np.array_equal(rus, names == "Russia")
    flat = rng.choice(lat.size, 60, replace=False)
    for k in flat:
        i, j = np.unravel_index(k, lat.shape)
        assert bool(geo.land_mask(lat[i, j], lon[i, j])) == land[i, j]
        assert str(geo.country_of(lat[i, j], lon[i, j])) == names[i, j]
    # a country is land, and land outside every country is rare (coastline differences)
    assert np.all(land[names == "Poland"])
    assert np.mean((names != "") == land) > 0.995


def test_masks_broadcast_and_ignore_invalid_points():
    lat = np.array([WARSAW[0], np.nan, 95.0])
    assert list(geo.land_mask(lat, WARSAW[1])) == [True, False, False]
    grid = geo.land_mask(np.arange(-89.5, 90.0, 1.0)[:, None], np.arange(-179.5, 180.0, 1.0)[None, :])
    assert grid.shape == (180, 360)
    # longitudes outside [-180, 180) wrap
    assert geo.country_mask("Russia", 65.0, 185.0) and geo.country_mask("Poland", WARSAW[0], WARSAW[1] + 360.0)


def test_polygon_mask_across_the_antimeridian_and_around_a_pole():
    box = np.array([[170.0, 0.0], [-170.0, 0.0], [-170.0, 10.0], [170.0, 10.0], [170.0, 0.0]])
    assert list(geo.polygon_mask(box, 5.0, [175.0, -175.0, 0.0, 160.0])) == [True, True, False, False]
    az = np.linspace(0.0, 360.0, 73)[:-1]
    cap = np.column_stack((az, np.full_like(az, 80.0)))  # the parallel 80 N, open ring
    assert list(geo.polygon_mask(cap, [85.0, 89.9, 75.0], [10.0, -100.0, 10.0])) == [True, True, False]


def test_country_areas_on_the_ellipsoid():
    assert geo.country_area_km2("Poland") == pytest.approx(312_000.0, rel=0.03)
    assert geo.country_area_km2("Germany") == pytest.approx(357_000.0, rel=0.03)
    # metropolitan France, Corsica, French Guiana and the overseas islands: ~640,000 km^2
    assert geo.country_area_km2("France") == pytest.approx(640_000.0, rel=0.03)
    assert geo.country_area_km2("Russia") == pytest.approx(17_098_000.0, rel=0.03)  # crosses the antimeridian
    assert geo.country_area_km2("USA") == geo.country_area_km2("United States of America")
    # Natural Earth's Antarctica is the grounded ice (no ice shelves): ~12.3 million km^2
    assert 11.5e6 < geo.country_area_km2("Antarctica") < 14.5e6


def test_grid_cell_area():
    lat = np.arange(-89.5, 90.0, 1.0)
    cells = geo.grid_cell_area_km2(lat[:, None], 1.0, np.ones((1, 360)))
    assert cells.shape == (180, 360)
    assert cells.sum() == pytest.approx(510.07e6, rel=0.005)
    assert cells.sum() == pytest.approx(510_065_621.7, rel=1e-9)  # WGS84 surface area
    assert np.allclose(cells[:90], cells[::-1][:90])  # symmetric about the equator
    # a small cell agrees with a geodesic polygon (edges nearly along the parallels)
    geod = Geod(ellps="WGS84")
    a_m2, _ = geod.polygon_area_perimeter([10.0, 10.01, 10.01, 10.0], [45.0, 45.0, 45.01, 45.01])
    assert geo.grid_cell_area_km2(45.005, 0.01, 0.01) == pytest.approx(abs(a_m2) / 1e6, rel=1e-4)
    # cells reaching past a pole are clipped there
    assert geo.grid_cell_area_km2(90.0, 2.0, 360.0) == pytest.approx(geo.grid_cell_area_km2(89.5, 1.0, 360.0))


def test_split_at_antimeridian():
    pieces = geo.split_at_antimeridian([170.0, 179.0, -179.0, -170.0], [0.0, 1.0, 2.0, 3.0])
    assert len(pieces) == 2
    np.testing.assert_allclose(pieces[0][-1], [180.0, 1.5])
    np.testing.assert_allclose(pieces[1][0], [-180.0, 1.5])
    # altitude is interpolated at the crossing; NaN breaks the line
    pieces = geo.split_at_antimeridian([-170.0, -179.0, 179.0, np.nan, 150.0, 140.0], [0, 1, 2, 3, 4, 5],
                                       extra=[0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    assert [len(p) for p in pieces] == [3, 2, 2]
    np.testing.assert_allclose(pieces[0][-1], [-180.0, 1.5, 15.0])
    # centred elsewhere, the seam moves
    assert len(geo.split_at_antimeridian([170.0, -170.0], [0.0, 0.0], lon_center_deg=180.0)) == 1
    assert len(geo.split_at_antimeridian([-10.0, 10.0], [0.0, 0.0], lon_center_deg=180.0)) == 2


@pytest.mark.parametrize("name", ["Russia", "Fiji", "Antarctica", "United States of America"])
def test_rings_for_plot_have_no_streaks(name):
    lines = geo.rings_for_plot(name)
    assert lines
    for line in lines:
        assert np.all(np.abs(np.diff(line[:, 0])) <= 180.0)
        assert np.all(np.abs(line[:, 0]) <= 180.0)
    raw = [r for poly in geo.country(name).polygons for r in poly]
    if name != "United States of America":  # those do cross the antimeridian in the data
        assert any(np.any(np.abs(np.diff(r[:, 0])) > 180.0) for r in raw)


def test_fill_polygons_and_lines():
    polys = geo.fill_polygons("Russia")
    assert polys
    for poly in polys:
        assert geo.signed_area(poly[0]) > 0  # exterior counter-clockwise
    assert len(geo.borders()) > 100
    assert len(geo.coastlines()) > 1000
