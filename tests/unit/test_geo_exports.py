"""Geographic exports: GeoJSON (RFC 7946), KML 2.2 and CZML, written atomically."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from openbmd.report.geoexport import (
    Feature,
    kml_color,
    to_czml,
    to_geojson,
    to_kml,
    write_czml,
    write_geojson,
    write_kml,
)

KML = "{http://www.opengis.net/kml/2.2}"


def ellipse(lon0, lat0, a_deg, b_deg, n=36):
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.column_stack((lon0 + a_deg * np.cos(t), lat0 + b_deg * np.sin(t)))


@pytest.fixture
def features():
    t = np.arange(7) * 30.0
    track = np.column_stack((np.linspace(170.0, 200.0, 7), np.linspace(50.0, 62.0, 7),
                             [0.0, 8e4, 1.5e5, 2e5, 1.5e5, 8e4, 0.0]))
    return [
        Feature("point", (21.01, 52.23), {"name": "Warsaw", "id": "waw", "color": "#1f77b4",
                                          "population": np.int64(1_860_000), "score": np.float32(0.5)}),
        Feature("point", (-160.0, 65.0, 120.0), {"name": "radar", "range_km": np.nan, "tags": ("a", np.int32(2))}),
        Feature("line", track, {"name": "track", "apogee_km": np.float64(200.0), "color": "#2ca02c"}, time=t),
        Feature("line", np.array([[10.0, 50.0], [20.0, 51.0], [np.nan, np.nan], [30.0, 52.0], [40.0, 53.0]]),
                {"name": "gap", "max": np.inf}),
        # clockwise exterior on input, with a clockwise hole: the writers fix the winding
        Feature("polygon", [ellipse(21.0, 52.0, 4.0, 2.5)[::-1], ellipse(21.0, 52.0, 1.0, 0.5)],
                {"name": "coverage", "color": "#d62728", "area_km2": np.float32(1.2e5)}),
        Feature("polygon", ellipse(178.0, 64.0, 6.0, 3.0), {"name": "across"}),
    ]


def positions(geometry):
    """All positions of a GeoJSON geometry, with the nesting depth of its coordinates."""
    depth = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}[geometry["type"]]
    out = [geometry["coordinates"]]
    for _ in range(depth):
        out = [p for item in out for p in item]
    return out


def ring_area(ring):
    x = np.array([p[0] for p in ring])
    y = np.array([p[1] for p in ring])
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def test_geojson_structure(features):
    doc = to_geojson(features)
    text = json.dumps(doc, allow_nan=False)  # NaN / inf properties became null
    assert json.loads(text) == doc
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == len(features)
    types = [f["geometry"]["type"] for f in doc["features"]]
    assert types == ["Point", "Point", "MultiLineString", "MultiLineString", "Polygon", "MultiPolygon"]
    for f in doc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        for p in positions(f["geometry"]):
            assert len(p) in (2, 3)
            assert all(isinstance(v, (int, float)) for v in p)
            lon, lat = p[0], p[1]
            assert -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0
    warsaw = doc["features"][0]
    assert warsaw["geometry"]["coordinates"] == [21.01, 52.23]  # lon, lat order
    props = warsaw["properties"]
    assert props["population"] == 1_860_000 and type(props["population"]) is int
    assert props["score"] == 0.5 and type(props["score"]) is float
    radar = doc["features"][1]
    assert radar["geometry"]["coordinates"] == [-160, 65, 120]
    assert radar["properties"]["range_km"] is None and radar["properties"]["tags"] == ["a", 2]
    assert doc["features"][3]["properties"]["max"] is None


def test_geojson_lines_split_at_the_antimeridian(features):
    geom = to_geojson(features)["features"][2]["geometry"]
    first, second = geom["coordinates"]
    assert first[0] == [170, 50, 0]
    assert first[-1][0] == 180 and second[0][0] == -180
    assert first[-1][1:] == second[0][1:]  # same crossing point, altitude interpolated
    for piece in geom["coordinates"]:
        lons = np.array([p[0] for p in piece])
        assert np.all(np.abs(np.diff(lons)) <= 180.0)
    # the line with a gap of missing points has two pieces too
    gap = to_geojson(features)["features"][3]["geometry"]
    assert [len(p) for p in gap["coordinates"]] == [2, 2]


def test_geojson_polygons_closed_and_right_handed(features):
    doc = to_geojson(features)
    rings = doc["features"][4]["geometry"]["coordinates"]
    assert len(rings) == 2
    for ring in rings:
        assert ring[0] == ring[-1] and len(ring) >= 4
    assert ring_area(rings[0]) > 0 > ring_area(rings[1])  # exterior counter-clockwise, hole clockwise
    across = doc["features"][5]["geometry"]["coordinates"]
    assert len(across) == 2  # cut at the antimeridian into two polygons
    for poly in across:
        ring = poly[0]
        assert ring[0] == ring[-1]
        assert ring_area(ring) > 0
        lons = [p[0] for p in ring]
        assert min(lons) >= -180 and max(lons) <= 180
        assert 180 in lons or -180 in lons


def test_write_geojson_round_trip(tmp_path, features):
    path = write_geojson(tmp_path / "out.geojson", features)
    assert path == tmp_path / "out.geojson"
    assert json.loads(path.read_text(encoding="utf-8")) == to_geojson(features)
    assert [p.name for p in tmp_path.iterdir()] == ["out.geojson"]


def test_kml(tmp_path, features):
    text = to_kml(features, "demo")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{KML}kml"
    doc = root.find(f"{KML}Document")
    assert doc.find(f"{KML}name").text == "demo"
    placemarks = doc.findall(f"{KML}Placemark")
    assert len(placemarks) == len(features)
    assert [p.find(f"{KML}name").text for p in placemarks] == ["Warsaw", "radar", "track", "gap", "coverage", "across"]
    # styles from the colour property: #rrggbb -> aabbggrr
    assert kml_color("#1f77b4") == "ffb4771f"
    assert kml_color("#d62728", 0x66) == "662827d6"
    style_ids = {s.get("id") for s in doc.findall(f"{KML}Style")}
    assert placemarks[0].find(f"{KML}styleUrl").text[1:] in style_ids
    style = next(s for s in doc.findall(f"{KML}Style") if s.get("id") == placemarks[0].find(f"{KML}styleUrl").text[1:])
    assert style.find(f"{KML}LineStyle/{KML}color").text == "ffb4771f"
    # properties as ExtendedData
    data = {d.get("name"): d.find(f"{KML}value").text for d in placemarks[0].iter(f"{KML}Data")}
    assert data["population"] == "1860000" and data["name"] == "Warsaw"
    # altitudes: absolute when given
    track = placemarks[2].find(f"{KML}LineString")
    assert track.find(f"{KML}altitudeMode").text == "absolute"
    coords = [tuple(map(float, c.split(","))) for c in track.find(f"{KML}coordinates").text.split()]
    assert len(coords) == 7 and all(len(c) == 3 and -180 <= c[0] <= 180 for c in coords)
    assert placemarks[2].find(f"{KML}TimeSpan/{KML}end").text == "2000-01-01T00:03:00Z"
    assert placemarks[0].find(f"{KML}Point/{KML}altitudeMode") is None
    assert placemarks[1].find(f"{KML}Point/{KML}altitudeMode").text == "absolute"
    assert len(placemarks[3].findall(f".//{KML}LineString")) == 2  # the gap
    poly = placemarks[4].find(f"{KML}Polygon")
    assert poly.find(f"{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates") is not None
    assert len(poly.findall(f"{KML}innerBoundaryIs")) == 1
    path = write_kml(tmp_path / "out.kml", features, name="demo")
    assert ET.parse(path).getroot().tag == f"{KML}kml"


def test_czml(tmp_path, features):
    packets = to_czml(features, "demo", epoch="2024-05-01T12:00:00Z")
    json.dumps(packets, allow_nan=False)
    assert isinstance(packets, list)
    doc = packets[0]
    assert doc["id"] == "document" and doc["version"] == "1.0" and doc["name"] == "demo"
    assert doc["clock"]["interval"] == "2024-05-01T12:00:00Z/2024-05-01T12:03:00Z"
    by_name = {}
    for p in packets[1:]:
        by_name.setdefault(p["name"], []).append(p)
    assert by_name["Warsaw"][0]["id"] == "waw"
    assert by_name["Warsaw"][0]["position"]["cartographicDegrees"] == [21.01, 52.23, 0]
    track = by_name["track"][0]
    samples = track["position"]["cartographicDegrees"]
    assert track["position"]["epoch"] == "2024-05-01T12:00:00Z"
    assert len(samples) == 7 * 4  # [t, lon, lat, alt] per sample
    t = samples[0::4]
    assert t == sorted(t) and t[-1] == 180
    assert all(-180 <= lon <= 180 for lon in samples[1::4])
    assert "path" in track and track["availability"].startswith("2024-05-01T12:00:00Z/")
    assert len(by_name["gap"]) == 2  # one polyline per unbroken piece
    assert len(by_name["gap"][0]["polyline"]["positions"]["cartographicDegrees"]) == 2 * 3
    cov = by_name["coverage"][0]["polygon"]
    assert len(cov["positions"]["cartographicDegrees"]) % 3 == 0
    assert len(cov["holes"]["cartographicDegrees"]) == 1
    assert cov["material"]["solidColor"]["color"]["rgba"][:3] == [214, 39, 40]
    path = write_czml(tmp_path / "out.czml", features, name="demo")
    assert json.loads(path.read_text(encoding="utf-8"))[0]["id"] == "document"


@pytest.mark.parametrize("writer", [write_geojson, write_kml, write_czml])
def test_failed_writes_leave_no_file(tmp_path, writer, features):
    bad = features + [Feature("point", (0.0, 0.0), {"obj": object()})]
    target = tmp_path / "out.dat"
    with pytest.raises(TypeError, match="obj"):
        writer(target, bad)
    assert list(tmp_path.iterdir()) == []
    # an existing file survives a failed rewrite untouched
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(TypeError):
        writer(target, bad)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.dat"]


def test_feature_validation():
    with pytest.raises(ValueError, match="kind"):
        Feature("circle", (0.0, 0.0))
    with pytest.raises(ValueError, match="latitude"):
        Feature("point", (0.0, 95.0))
    with pytest.raises(ValueError):
        Feature("line", np.array([[0.0, 0.0]]))
    with pytest.raises(ValueError, match="times"):
        Feature("line", np.zeros((3, 2)), time=[0.0, 1.0])
    with pytest.raises(ValueError, match="only for lines"):
        Feature("point", (0.0, 0.0), time=[0.0])
    with pytest.raises(ValueError, match="rrggbb"):
        to_kml([Feature("point", (0.0, 0.0), {"color": "red"})])


def test_geojson_rounded_for_small_files(tmp_path, features):
    """``decimals``: lon/lat to that many decimals, altitudes to whole metres,
    no spaces in the file: the report's compact layers."""
    doc = to_geojson(features, decimals=4)
    full = to_geojson(features)
    assert [f["geometry"]["type"] for f in doc["features"]] == [f["geometry"]["type"] for f in full["features"]]
    for f, g in zip(doc["features"], full["features"]):
        for p, q in zip(positions(f["geometry"]), positions(g["geometry"])):
            assert p[:2] == [round(v, 4) for v in q[:2]]
            if len(q) > 2:
                assert isinstance(p[2], int) and p[2] == round(q[2])
    wide = Feature("line", np.column_stack((np.linspace(0.123456789, 9.87654321, 500), np.linspace(40.0, 50.0, 500),
                                            np.linspace(0.0, 1e6, 500))), {"name": "dense"})
    small = write_geojson(tmp_path / "small.geojson", [wide], decimals=4).stat().st_size
    big = write_geojson(tmp_path / "big.geojson", [wide]).stat().st_size
    assert small < 0.6 * big
    assert ", " not in (tmp_path / "small.geojson").read_text()
