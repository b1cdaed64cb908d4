"""Simple geographic features and their export to GeoJSON, KML and CZML (no extra dependencies).

A Feature is a point, a line or a polygon in ``(lon_deg, lat_deg[, alt_m])`` coordinates
(altitude in metres above the WGS84 ellipsoid), with a dict of properties and, for lines,
optional sample times in seconds after an epoch (CZML animates those).

* GeoJSON follows RFC 7946: lon, lat[, alt] order; polygon rings closed, exteriors
  counter-clockwise and holes clockwise; lines crossing the antimeridian are split into
  MultiLineStrings (polygons are written as given); NaN/inf properties become null.
  ``decimals`` rounds longitudes and latitudes (4: about 11 m, RFC 7946 section 11.2
  suggests 6 at most) and altitudes to whole metres, for small files; write_geojson
  gzip-compresses a ``.geojson.gz``.
* KML 2.2 (Google Earth): Placemarks, ExtendedData for the properties, a style per
  ``color`` property (``'#rrggbb'``, written as KML ``aabbggrr``).
* CZML 1.0 (Cesium): a document packet, then one packet per feature (per piece of a line
  cut by missing points).

Writers are atomic: they write a temporary file in the target directory and rename it
over the target, so a failure never leaves a partial file.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from openbmd import geo
from openbmd.files import write_atomic, write_text_atomic

KINDS = ("point", "line", "polygon")
KML_NS = "http://www.opengis.net/kml/2.2"
DEFAULT_EPOCH = "2000-01-01T00:00:00Z"
DEFAULT_COLOR = "#d62728"


@dataclass
class Feature:
    """A point, line or polygon with properties.

    ``coords``: point ``(lon_deg, lat_deg[, alt_m])``; line ``(n, 2|3)`` array; polygon one
    ``(n, 2|3)`` ring or a list of rings (exterior first, then holes; closing vertex
    optional). ``time``: for lines, ``n`` sample times (s after the writer's epoch).
    Properties named ``name``, ``id`` and ``color`` (``'#rrggbb'``) are used for labels,
    identifiers and styles.
    """

    kind: str
    coords: object
    properties: dict = field(default_factory=dict)
    time: object = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"feature kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "polygon":
            rings = geo.as_polygon(self.coords)
            if not rings:
                raise ValueError("a polygon needs at least one ring")
            self.coords = [_check_coords(r, "polygon ring", min_points=3) for r in rings]
        elif self.kind == "line":
            self.coords = _check_coords(self.coords, "line", min_points=2)
        else:
            c = np.asarray(self.coords, dtype=float)
            if c.shape not in ((2,), (3,)) or not np.all(np.isfinite(c)):
                raise ValueError(f"a point is (lon_deg, lat_deg[, alt_m]) with finite values, got {self.coords!r}")
            _check_lat(c[1:2])
            self.coords = c
        if self.time is not None:
            if self.kind != "line":
                raise ValueError("sample times are only for lines")
            t = np.asarray(self.time, dtype=float).ravel()
            if t.shape != (len(self.coords),):
                raise ValueError(f"a line of {len(self.coords)} points needs {len(self.coords)} times, got {t.size}")
            self.time = t
        self.properties = dict(self.properties or {})

    @property
    def has_alt(self) -> bool:
        c = self.coords[0] if self.kind == "polygon" else self.coords
        return c.shape[-1] == 3


def _check_lat(lat):
    lat = np.asarray(lat, dtype=float)
    if np.any(np.abs(lat[np.isfinite(lat)]) > 90.0):
        raise ValueError("latitudes must lie within [-90, 90] deg")


def _check_coords(c, what: str, min_points: int) -> np.ndarray:
    c = np.asarray(c, dtype=float)
    if c.ndim != 2 or c.shape[1] not in (2, 3) or len(c) < min_points:
        raise ValueError(f"a {what} is an (n >= {min_points}, 2|3) array of lon_deg, lat_deg[, alt_m]; got shape {c.shape}")
    _check_lat(c[:, 1])
    return c


# ------------------------------------------------------------------ helpers


def _clean(value, where: str = "property"):
    """JSON-ready copy of a property value: numpy to Python, NaN/inf to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_clean(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(f"{where}: cannot export a value of type {type(value).__name__}")


def _props(f: Feature) -> dict:
    return {str(k): _clean(v, f"property {k!r}") for k, v in f.properties.items()}


def _num(x: float) -> float | int:
    """A coordinate or time as a compact JSON number (9 decimals; integers without ".0")."""
    r = round(float(x), 9)
    return int(r) if r.is_integer() and abs(r) < 1e15 else r


def _nums(a) -> list:
    """Many coordinates at once, as :func:`_num` does one (vectorised: the
    exports of a scenario hold millions of numbers)."""
    return np.round(np.asarray(a, dtype=float), 9).tolist()


def _rows(c: np.ndarray, decimals: int | None = None) -> list:
    """Rows of (lon, lat[, alt]) as JSON lists: 9 decimals, or ``decimals`` for
    lon/lat and whole metres for the altitude (integers then print without ".0")."""
    c = np.asarray(c, dtype=float)
    if decimals is None:
        return _nums(c)
    r = c.copy()
    r[..., :2] = np.round(r[..., :2], int(decimals))
    if r.shape[-1] > 2:
        alt = np.round(r[..., 2:])
        return [[*xy, int(z)] for xy, z in zip(r[..., :2].tolist(), alt[..., 0].tolist())]
    return r.tolist()


def _finite_runs(c: np.ndarray, time=None):
    """Runs of consecutive finite rows (a line breaks at missing points)."""
    ok = np.all(np.isfinite(c), axis=1)
    if time is not None:
        ok &= np.isfinite(time)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.astype(np.int8), [0]))))
    return [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= 2]


def _closed(ring: np.ndarray) -> np.ndarray:
    ring = ring[np.all(np.isfinite(ring), axis=1)]
    if len(ring) < 3:
        raise ValueError("a polygon ring needs at least 3 finite points")
    if not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack((ring, ring[:1]))
    if len(ring) < 4:
        raise ValueError("a polygon ring needs at least 3 distinct points")
    return ring


def _oriented(ring: np.ndarray, ccw: bool) -> np.ndarray:
    """Ring with RFC 7946 winding, judged in the plane of unwrapped longitudes."""
    planar = ring.copy()
    planar[:, 0] = geo.unwrap(ring[:, 0])
    return ring if (geo.signed_area(planar) >= 0.0) == ccw else ring[::-1]


def _wrapped(c: np.ndarray) -> np.ndarray:
    """Coordinates with longitudes in [-180, 180) (180 itself kept)."""
    c = np.array(c, dtype=float)
    c[..., 0] = np.where(c[..., 0] == 180.0, 180.0, geo.wrap_lon_deg(c[..., 0]))
    return c


def _lonlat_rows(c: np.ndarray, decimals: int | None = None) -> list:
    return _rows(c, decimals)


# ------------------------------------------------------------------ GeoJSON


def _geojson_geometry(f: Feature, decimals: int | None = None) -> dict:
    if f.kind == "point":
        if decimals is not None:
            return {"type": "Point", "coordinates": _rows(_wrapped(f.coords)[None, :], decimals)[0]}
        return {"type": "Point", "coordinates": [_num(v) for v in _wrapped(f.coords)]}
    if f.kind == "line":
        c = f.coords
        pieces = geo.split_at_antimeridian(c[:, 0], c[:, 1], extra=c[:, 2:] if c.shape[1] > 2 else None)
        if not pieces:
            raise ValueError("a line needs at least two consecutive finite points")
        if len(pieces) == 1:
            return {"type": "LineString", "coordinates": _lonlat_rows(pieces[0], decimals)}
        return {"type": "MultiLineString", "coordinates": [_lonlat_rows(p, decimals) for p in pieces]}
    return _geojson_polygon([_closed(r) for r in f.coords], decimals)


def _geojson_polygon(rings: list[np.ndarray], decimals: int | None = None) -> dict:
    """Polygon, or MultiPolygon when it must be cut at the antimeridian (RFC 7946 3.1.9).

    Rings crossing the antimeridian (or circling a pole) are planarised (see
    geo.planar_rings) and clipped to the lon/lat rectangle; each cut vertex takes the
    altitude of the nearest input vertex.
    """
    planar = [geo.planar_rings(r, 0.0) for r in rings]
    plain = all(len(p) == 1 and len(p[0]) == len(r) and -180.0 <= p[0][:, 0].min() and p[0][:, 0].max() <= 180.0
                for p, r in zip(planar, rings))
    if plain:
        out = [_oriented(p[0], ccw=(k == 0)) for k, p in enumerate(planar)]
        return {"type": "Polygon", "coordinates": [_lonlat_rows(r, decimals) for r in out]}
    planar = [p for p in planar if p]  # drop rings that only circle a pole point
    if not planar:
        raise ValueError("a polygon has no area")
    from matplotlib.path import Path as MplPath
    from matplotlib.transforms import Bbox

    box = Bbox([[-180.0, -90.0], [180.0, 90.0]])

    def clipped(copies):
        out = []
        for c in copies:
            for poly in MplPath(c[:, :2]).clip_to_bbox(box).to_polygons():
                if len(poly) < 4 or geo.signed_area(poly) == 0.0:
                    continue
                if c.shape[1] > 2:
                    near = np.argmin(((poly[:, None, :] - c[None, :, :2]) ** 2).sum(axis=2), axis=1)
                    poly = np.column_stack((poly, c[near, 2]))
                out.append(poly)
        return out

    exteriors = [[geo.orient(p, ccw=True)] for p in clipped(planar[0])]
    for hole in (h for copies in planar[1:] for h in clipped(copies)):
        probe = hole[np.argmax(180.0 - np.abs(hole[:, 0])), :2]  # a vertex off the cut
        for ext in exteriors:
            if MplPath(ext[0][:, :2]).contains_point(probe):
                ext.append(geo.orient(hole, ccw=False))
                break
    if not exteriors:
        raise ValueError("a polygon has no area")
    coords = [[_lonlat_rows(r, decimals) for r in poly] for poly in exteriors]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def to_geojson(features, decimals: int | None = None) -> dict:
    """A GeoJSON FeatureCollection (RFC 7946) of the features; ``decimals``:
    round lon/lat to that many decimals and altitudes to whole metres (None:
    9 decimals everywhere)."""
    out = []
    for f in features:
        out.append({"type": "Feature", "geometry": _geojson_geometry(f, decimals), "properties": _props(f)})
    return {"type": "FeatureCollection", "features": out}


def write_geojson(path, features, decimals: int | None = None) -> Path:
    """Write the features as a GeoJSON file (atomically), compact: no spaces
    between items; a path ending in ``.gz`` is gzip-compressed (about 4x
    smaller; GDAL and QGIS read it through ``/vsigzip/``, Python through
    ``gzip.open``), byte for byte the same for the same features."""
    text = json.dumps(to_geojson(features, decimals), allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
    if str(path).endswith(".gz"):
        import gzip

        data = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
        return write_atomic(path, lambda f: f.write(data))
    return write_text_atomic(path, text)


# ------------------------------------------------------------------ KML


def _hex_color(color, where: str = "color") -> str:
    """``'#rrggbb'`` checked and lower-cased."""
    c = str(color)
    if len(c) != 7 or c[0] != "#" or any(ch not in "0123456789abcdefABCDEF" for ch in c[1:]):
        raise ValueError(f"{where} must be '#rrggbb', got {color!r}")
    return c.lower()


def kml_color(color: str, alpha: int = 255) -> str:
    """KML colour ``aabbggrr`` from ``'#rrggbb'`` and an alpha of 0..255."""
    c = _hex_color(color)
    return f"{int(alpha):02x}{c[5:7]}{c[3:5]}{c[1:3]}"


def _kml_coords(c: np.ndarray) -> str:
    return " ".join(",".join(map(repr, row)) for row in _nums(_wrapped(c)))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _epoch(epoch: str) -> _dt.datetime:
    """Epoch as an aware datetime; a string without a zone is taken as UTC."""
    t = _dt.datetime.fromisoformat(str(epoch))
    return t if t.tzinfo else t.replace(tzinfo=_dt.UTC)


def _iso(epoch: _dt.datetime, seconds: float) -> str:
    t = (epoch + _dt.timedelta(seconds=float(seconds))).astimezone(_dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond:06d}".rstrip("0") if t.microsecond else "") + "Z"


def to_kml(features, name: str = "openbmd", epoch: str = DEFAULT_EPOCH) -> str:
    """A KML 2.2 document (string) with one Placemark per feature.

    Lines and points with an altitude use ``altitudeMode`` absolute; lines with sample
    times get a TimeSpan (from ``epoch``).
    """
    ET.register_namespace("", KML_NS)

    def q(tag: str) -> str:
        return f"{{{KML_NS}}}{tag}"

    sub = ET.SubElement
    t0 = _epoch(epoch)
    features = list(features)
    kml = ET.Element(q("kml"))
    doc = sub(kml, q("Document"))
    sub(doc, q("name")).text = str(name)
    colors = {}
    for f in features:
        c = _hex_color(f.properties.get("color", DEFAULT_COLOR), "property 'color'")
        colors.setdefault(c, f"c{c[1:]}")
    for c, sid in colors.items():
        st = sub(doc, q("Style"), id=sid)
        sub(sub(st, q("IconStyle")), q("color")).text = kml_color(c)
        ls = sub(st, q("LineStyle"))
        sub(ls, q("color")).text = kml_color(c)
        sub(ls, q("width")).text = "2"
        sub(sub(st, q("PolyStyle")), q("color")).text = kml_color(c, 0x66)
    for i, f in enumerate(features):
        props = _props(f)
        pm = sub(doc, q("Placemark"))
        sub(pm, q("name")).text = _text(props.get("name", props.get("id", f"{f.kind} {i}")))
        if f.time is not None and np.isfinite(f.time).any():
            span = sub(pm, q("TimeSpan"))
            sub(span, q("begin")).text = _iso(t0, np.nanmin(f.time))
            sub(span, q("end")).text = _iso(t0, np.nanmax(f.time))
        sub(pm, q("styleUrl")).text = "#" + colors[_hex_color(f.properties.get("color", DEFAULT_COLOR))]
        if props:
            ext = sub(pm, q("ExtendedData"))
            for k, v in props.items():
                sub(sub(ext, q("Data"), name=k), q("value")).text = _text(v)
        absolute = f.has_alt
        if f.kind == "point":
            g = sub(pm, q("Point"))
            if absolute:
                sub(g, q("altitudeMode")).text = "absolute"
            sub(g, q("coordinates")).text = _kml_coords(f.coords[None, :])
        elif f.kind == "line":
            runs = _finite_runs(f.coords)
            if not runs:
                raise ValueError("a line needs at least two consecutive finite points")
            parent = sub(pm, q("MultiGeometry")) if len(runs) > 1 else pm
            for a, b in runs:
                g = sub(parent, q("LineString"))
                if absolute:
                    sub(g, q("altitudeMode")).text = "absolute"
                else:
                    sub(g, q("tessellate")).text = "1"
                sub(g, q("coordinates")).text = _kml_coords(f.coords[a:b])
        else:
            g = sub(pm, q("Polygon"))
            if absolute:
                sub(g, q("altitudeMode")).text = "absolute"
            else:
                sub(g, q("tessellate")).text = "1"
            for k, ring in enumerate(f.coords):
                ring = _oriented(_closed(ring), ccw=(k == 0))
                bound = sub(g, q("outerBoundaryIs" if k == 0 else "innerBoundaryIs"))
                sub(sub(bound, q("LinearRing")), q("coordinates")).text = _kml_coords(ring)
    ET.indent(kml, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="unicode") + "\n"


def write_kml(path, features, name: str = "openbmd", epoch: str = DEFAULT_EPOCH) -> Path:
    """Write the features as a KML file (atomically)."""
    return write_text_atomic(path, to_kml(features, name=name, epoch=epoch))


# ------------------------------------------------------------------ CZML


def _rgba(color, alpha: int = 255) -> dict:
    c = _hex_color(color, "property 'color'")
    return {"rgba": [int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16), int(alpha)]}


def _degrees(c: np.ndarray) -> list:
    """Flat [lon, lat, alt, ...] (alt 0 when not given)."""
    c3 = _wrapped(c if c.shape[1] == 3 else np.column_stack((c, np.zeros(len(c)))))
    return _nums(c3.ravel())


def to_czml(features, name: str = "openbmd", epoch: str = DEFAULT_EPOCH) -> list:
    """A CZML document (list of packets): the document packet, then the features.

    Points: ``position.cartographicDegrees``. Lines: ``polyline.positions``; lines with
    sample times: a time-tagged ``position`` (``epoch`` plus ``[t, lon, lat, alt, ...]``)
    with a ``path`` and a moving point. Polygons: ``polygon.positions`` (and ``holes``).
    """
    t0 = _epoch(epoch)
    epoch_iso = _iso(t0, 0.0)
    features = list(features)
    packets = []
    t_min, t_max = math.inf, -math.inf
    for i, f in enumerate(features):
        props = _props(f)
        base_id = str(props.get("id", f"{f.kind}-{i}"))
        label = props.get("name", base_id)
        color = f.properties.get("color", DEFAULT_COLOR)
        common = {"name": _text(label)}
        if props:
            common["properties"] = props
        if f.kind == "point":
            packets.append({"id": base_id, **common, "position": {"cartographicDegrees": _degrees(f.coords[None, :])},
                            "point": {"color": _rgba(color), "pixelSize": 8, "outlineColor": {"rgba": [255, 255, 255, 255]},
                                      "outlineWidth": 1}})
        elif f.kind == "line":
            runs = _finite_runs(f.coords, f.time)
            if not runs:
                raise ValueError("a line needs at least two consecutive finite points (and times)")
            for r, (a, b) in enumerate(runs):
                pid = base_id if len(runs) == 1 else f"{base_id}-{r}"
                c = f.coords[a:b]
                material = {"solidColor": {"color": _rgba(color)}}
                if f.time is None:
                    packets.append({"id": pid, **common, "polyline": {
                        "positions": {"cartographicDegrees": _degrees(c)}, "width": 2, "material": material,
                        "arcType": "NONE" if f.has_alt else "GEODESIC", "clampToGround": not f.has_alt}})
                    continue
                t = f.time[a:b]
                order = np.argsort(t, kind="stable")
                t, c = t[order], c[order]
                samples = np.column_stack((t, _wrapped(c if c.shape[1] == 3 else np.column_stack((c, np.zeros(len(c)))))))
                t_min, t_max = min(t_min, float(t[0])), max(t_max, float(t[-1]))
                packets.append({
                    "id": pid, **common,
                    "availability": f"{_iso(t0, t[0])}/{_iso(t0, t[-1])}",
                    "position": {"epoch": epoch_iso, "cartographicDegrees": _nums(samples.ravel()),
                                 "interpolationAlgorithm": "LAGRANGE", "interpolationDegree": 1},
                    "point": {"color": _rgba(color), "pixelSize": 6},
                    "path": {"material": material, "width": 2, "leadTime": 0, "trailTime": _num(t[-1] - t[0]),
                             "resolution": max(1, _num((t[-1] - t[0]) / max(len(t) - 1, 1)))},
                })
        else:
            rings = [_oriented(_closed(r), ccw=(k == 0)) for k, r in enumerate(f.coords)]
            poly = {"positions": {"cartographicDegrees": _degrees(rings[0])},
                    "material": {"solidColor": {"color": _rgba(color, 0x66)}},
                    "outline": True, "outlineColor": _rgba(color)}
            if len(rings) > 1:
                poly["holes"] = {"cartographicDegrees": [_degrees(r) for r in rings[1:]]}
            if f.has_alt:
                poly["perPositionHeight"] = True
            packets.append({"id": base_id, **common, "polygon": poly})
    document = {"id": "document", "name": str(name), "version": "1.0"}
    if math.isfinite(t_min):
        document["clock"] = {"interval": f"{_iso(t0, t_min)}/{_iso(t0, t_max)}", "currentTime": _iso(t0, t_min),
                             "multiplier": 10, "range": "LOOP_STOP", "step": "SYSTEM_CLOCK_MULTIPLIER"}
    return [document, *packets]


def write_czml(path, features, name: str = "openbmd", epoch: str = DEFAULT_EPOCH) -> Path:
    """Write the features as a CZML file (atomically)."""
    return write_text_atomic(path, json.dumps(to_czml(features, name=name, epoch=epoch), allow_nan=False,
                                          ensure_ascii=False) + "\n")
