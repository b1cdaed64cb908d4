"""Country and land geometry: decoding, point-in-polygon masks, areas, antimeridian handling.

Data: Natural Earth 1:50m admin-0 countries and land (public domain), as packaged in
the npm package world-atlas 2.0.2 (TopoJSON, ISC licence, Copyright Michael Bostock;
see ``data/geo/LICENSE-world-atlas``). Bundled with the package, read offline.

Conventions: angles in degrees (``lat_deg``, ``lon_deg``), areas in km^2. Rings are
``(n, 2)`` float arrays of ``(lon_deg, lat_deg)``, closed (first vertex == last). A
polygon is a list of rings (the first one the exterior); a country is a list of polygons.

The data follow d3's spherical conventions: a few rings cross the antimeridian (Russia's
Chukotka, Wrangel Island, Fiji: consecutive longitudes jump by ~360 deg) and Antarctica's
rings go once around the South Pole. For planar work (point-in-polygon, flat-map drawing)
the rings are *planarised*: longitudes are unwrapped along the ring, rings around a pole
are closed through the pole, and a copy shifted by 360 deg is added where a ring sticks out
of the longitude window. Masks then use the even-odd rule over all planar rings, so holes
(lakes, enclaves) and the antimeridian are handled alike. Areas are computed on the WGS84
ellipsoid from the original spherical rings (geodesic edges, pyproj/GeographicLib).
"""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.path import Path as _MplPath

from .errors import OpenBMDError

DATA_DIR = Path(__file__).resolve().parent / "data" / "geo"
COUNTRIES_FILE = DATA_DIR / "countries-50m.json"
LAND_FILE = DATA_DIR / "land-50m.json"

#: WGS84 semi-major axis (m) and flattening, NIMA TR8350.2
_WGS84_A_M = 6378137.0
_WGS84_F = 1.0 / 298.257223563

#: rings with more vertices than this are cut into tiles for point-in-polygon speed
_TILE_MIN_VERTICES = 600
_TILE_SIZE_DEG = 10.0
#: tile edges off the round degrees, so grid points never fall on a tile edge
_TILE_OFFSET_DEG = -0.0123456789
_TILE_PAD_DEG = 1e-7
#: rings around a pole closer to it than this are degenerate (the data put the pole at -89.999)
_POLE_EPS_DEG = 0.01

#: common names -> names used in the data (keys lower case)
ALIASES = {
    "usa": "United States of America",
    "us": "United States of America",
    "u.s.": "United States of America",
    "u.s.a.": "United States of America",
    "united states": "United States of America",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "great britain": "United Kingdom",
    "britain": "United Kingdom",
    "russian federation": "Russia",
    "czech republic": "Czechia",
    "republic of korea": "South Korea",
    "dprk": "North Korea",
    "iran, islamic republic of": "Iran",
    "syrian arab republic": "Syria",
    "viet nam": "Vietnam",
    "north macedonia": "Macedonia",
    "bosnia and herzegovina": "Bosnia and Herz.",
    "democratic republic of the congo": "Dem. Rep. Congo",
    "drc": "Dem. Rep. Congo",
    "republic of the congo": "Congo",
    "central african republic": "Central African Rep.",
    "dominican republic": "Dominican Rep.",
    "south sudan": "S. Sudan",
    "western sahara": "W. Sahara",
    "swaziland": "eSwatini",
    "ivory coast": "Côte d'Ivoire",
    "cote d'ivoire": "Côte d'Ivoire",
    "east timor": "Timor-Leste",
    "turkiye": "Turkey",
    "türkiye": "Turkey",
    "burma": "Myanmar",
    "holland": "Netherlands",
    "the netherlands": "Netherlands",
}


class GeoError(OpenBMDError, ValueError):
    """Unknown country name or invalid geographic input."""


@dataclass(frozen=True, eq=False)
class Country:
    """One country of the data set.

    ``polygons``: list of polygons, each a list of closed ``(n, 2)`` rings of
    ``(lon_deg, lat_deg)``, exterior first, as in the data (spherical conventions, see
    the module docstring). ``bbox``: ``(lon_min_deg, lat_min_deg, lon_max_deg,
    lat_max_deg)`` of the raw coordinates (spans -180..180 for countries crossing the
    antimeridian). ``id``: ISO 3166-1 numeric code as a string, or None (e.g. Kosovo).
    """

    name: str
    id: str | None
    polygons: list
    bbox: tuple

    def __repr__(self) -> str:
        n = sum(len(p) for p in self.polygons)
        return f"Country(name={self.name!r}, id={self.id!r}, polygons={len(self.polygons)}, rings={n}, bbox={self.bbox})"


# --------------------------------------------------------------------------- decoding


@functools.cache
def _topology(path: str) -> tuple[dict, tuple]:
    """Parsed TopoJSON file and its decoded arcs (absolute lon/lat ``(n, 2)`` arrays)."""
    with open(path, encoding="utf-8") as fh:
        topo = json.load(fh)
    tf = topo.get("transform")
    arcs = []
    for arc in topo["arcs"]:
        a = np.asarray(arc, dtype=float).reshape(-1, 2)
        if tf is not None:  # quantized, delta-encoded
            a = np.cumsum(a, axis=0) * tf["scale"] + tf["translate"]
        a.setflags(write=False)
        arcs.append(a)
    return topo, tuple(arcs)


def _ring(arc_indices, arcs) -> np.ndarray:
    """Stitch arcs into a ring; a negative index ``~i`` means arc ``i`` reversed."""
    parts = []
    for k, i in enumerate(arc_indices):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])  # consecutive arcs share their end point
    ring = np.concatenate(parts)
    ring.setflags(write=False)
    return ring


def _geometry_polygons(geom: dict, arcs) -> list:
    kind = geom.get("type")
    if kind == "Polygon":
        polys = [geom["arcs"]]
    elif kind == "MultiPolygon":
        polys = geom["arcs"]
    else:  # null / point geometries carry no area
        return []
    return [[_ring(r, arcs) for r in poly] for poly in polys]


def _bbox(polygons) -> tuple:
    xy = np.concatenate([r for poly in polygons for r in poly])
    return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))


@functools.lru_cache(maxsize=1)
def _countries() -> dict:
    topo, arcs = _topology(str(COUNTRIES_FILE))
    out = {}
    for geom in topo["objects"]["countries"]["geometries"]:
        polys = _geometry_polygons(geom, arcs)
        if not polys:
            continue
        name = geom.get("properties", {}).get("name") or str(geom.get("id"))
        out[name] = Country(name=name, id=geom.get("id"), polygons=polys, bbox=_bbox(polys))
    return out


@functools.lru_cache(maxsize=1)
def _land_polygons() -> list:
    topo, arcs = _topology(str(LAND_FILE))
    obj = topo["objects"]["land"]
    geoms = obj["geometries"] if obj.get("type") == "GeometryCollection" else [obj]
    return [poly for g in geoms for poly in _geometry_polygons(g, arcs)]


def countries() -> dict[str, Country]:
    """All countries of the data set, by name (a new dict; the Country objects are shared)."""
    return dict(_countries())


def country_names() -> list[str]:
    """Sorted names of all countries as spelled in the data."""
    return sorted(_countries())


@functools.lru_cache(maxsize=1)
def _lower_names() -> dict:
    return {n.lower(): n for n in _countries()}


def _resolve(name: str) -> str:
    """Data spelling of a country name: exact, case-insensitive, or alias; else GeoError."""
    table = _countries()
    if not isinstance(name, str):
        raise GeoError(f"country name must be a string, got {type(name).__name__}")
    if name in table:
        return name
    key = name.strip().lower()
    lower = _lower_names()
    if key in lower:
        return lower[key]
    if key in ALIASES:
        return ALIASES[key]
    candidates = dict(lower)
    candidates.update({alias: real for alias, real in ALIASES.items() if real in table})
    close = difflib.get_close_matches(key, list(candidates), n=6, cutoff=0.6)
    suggestions = list(dict.fromkeys(candidates[c] for c in close))[:4]
    hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise GeoError(f"unknown country {name!r}{hint} (see openbmd.geo.country_names())")


def country(name: str) -> Country:
    """Country by name: case-insensitive, with common aliases ("USA", "UK", "Russian Federation").

    Raises GeoError (a ValueError) naming near misses for unknown names.
    """
    return _countries()[_resolve(name)]


def land_polygons() -> list:
    """Land polygons (Natural Earth 1:50m land): list of polygons, each a list of rings."""
    return list(_land_polygons())


def polygons(name_or_names=None) -> list:
    """Polygons of a country, of several countries, or of all land when None."""
    if name_or_names is None:
        return land_polygons()
    return [poly for n in _names(name_or_names) for poly in _countries()[n].polygons]


def _names(name_or_names) -> list[str]:
    if isinstance(name_or_names, str):
        return [_resolve(name_or_names)]
    names = [_resolve(n) for n in name_or_names]
    if not names:
        raise GeoError("no country names given")
    return list(dict.fromkeys(names))


# ------------------------------------------------------------------ planar rings


def wrap_lon_deg(lon_deg, lon_center_deg: float = 0.0):
    """Longitudes wrapped into ``[lon_center_deg - 180, lon_center_deg + 180)``."""
    return (np.asarray(lon_deg, dtype=float) - lon_center_deg + 180.0) % 360.0 - 180.0 + lon_center_deg


def unwrap(lon_deg: np.ndarray) -> np.ndarray:
    """Longitudes made continuous along a path (steps taken the short way round)."""
    d = (np.diff(lon_deg) + 180.0) % 360.0 - 180.0
    return lon_deg[0] + np.concatenate(([0.0], np.cumsum(d)))


def signed_area(ring: np.ndarray) -> float:
    """Planar signed area (shoelace), positive for counter-clockwise rings."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]) + x[-1] * y[0] - x[0] * y[-1])


def orient(ring: np.ndarray, ccw: bool = True) -> np.ndarray:
    """The ring, reversed if needed to run counter-clockwise (or clockwise) in the plane."""
    ring = np.asarray(ring, dtype=float)
    return ring if (signed_area(ring) >= 0.0) == ccw else ring[::-1]


def planar_rings(ring, lon_center_deg: float = 0.0) -> list[np.ndarray]:
    """Planar versions of a spherical ring covering the window ``lon_center_deg +- 180``.

    The longitudes are unwrapped along the ring. A ring that goes once around a pole
    (Antarctica) is closed through that pole (the one on the side of its mean latitude).
    The result is shifted by a multiple of 360 deg to sit in the window, plus a copy
    shifted by 360 deg where it sticks out, so that the even-odd union of the returned
    rings, restricted to the window, is the ring's interior in plain lon/lat. Extra
    columns (altitude) are carried along. Returns ``[]`` for a ring that only circles
    a pole within 0.01 deg (the data's stand-in for the pole point).
    """
    ring = np.asarray(ring, dtype=float)
    if ring.ndim != 2 or ring.shape[1] < 2 or len(ring) < 3:
        raise GeoError("a ring must be an (n >= 3, 2) array of (lon_deg, lat_deg)")
    ring = ring.copy()
    ring[:, 0] = unwrap(ring[:, 0])
    lon, lat = ring[:, 0], ring[:, 1]
    closing = (lon[0] - lon[-1] + 180.0) % 360.0 - 180.0  # implicit closing step, if any
    turns = int(np.round((lon[-1] + closing - lon[0]) / 360.0))
    if turns != 0 and np.all(np.abs(lat) > 90.0 - _POLE_EPS_DEG):
        return []  # the data's stand-in for a pole point: a circle 0.001 deg around it
    if turns != 0:  # goes around a pole: close through it
        pole = -90.0 if np.mean(lat) < 0 else 90.0
        end = lon[-1] + closing
        tail = np.repeat(ring[-1:], 3, axis=0)
        tail[:, 0] = (end, end, lon[0])
        tail[:, 1] = (lat[0], pole, pole)
        ring = np.vstack((ring, tail, ring[:1]))
        lon = ring[:, 0]
    lo, hi = float(lon.min()), float(lon.max())
    ring[:, 0] += 360.0 * np.round((lon_center_deg - 0.5 * (lo + hi)) / 360.0)
    lo, hi = float(ring[:, 0].min()), float(ring[:, 0].max())
    out = [ring]
    for shift, sticks_out in ((360.0, lo < lon_center_deg - 180.0), (-360.0, hi > lon_center_deg + 180.0)):
        if sticks_out:
            copy = ring.copy()
            copy[:, 0] += shift
            out.append(copy)
    return out


def split_at_antimeridian(lon_deg, lat_deg, lon_center_deg: float = 0.0, *, extra=None) -> list[np.ndarray]:
    """Cut a line where it crosses the seam ``lon_center_deg + 180`` (the antimeridian by default).

    Longitudes are wrapped into the window ``lon_center_deg +- 180``; wherever two
    consecutive points are more than 180 deg apart in the window, the line is cut and
    the crossing point (interpolated linearly in latitude and in the ``extra`` columns,
    e.g. altitude) is added on both sides, at the two window edges. Non-finite points
    also cut the line. Returns a list of ``(n, 2 + k)`` arrays of
    ``(lon_deg, lat_deg, *extra)`` with at least two points each and no longitude step
    larger than 180 deg.
    """
    lon = np.asarray(lon_deg, dtype=float).ravel()
    lat = np.asarray(lat_deg, dtype=float).ravel()
    cols = [lon, lat]
    if extra is not None:
        ex = np.asarray(extra, dtype=float)
        if len(ex) != len(lon):
            raise GeoError("extra must have one row per point")
        cols.extend(ex.reshape(len(lon), -1).T)
    if lat.shape != lon.shape:
        raise GeoError("lon_deg and lat_deg must have the same number of points")
    xy = np.column_stack(cols)
    xy[:, 0] = wrap_lon_deg(lon, lon_center_deg)
    finite = np.all(np.isfinite(xy), axis=1)
    runs = np.flatnonzero(np.diff(np.concatenate(([0], finite.astype(np.int8), [0]))))
    pieces = []
    for start, stop in zip(runs[::2], runs[1::2]):
        run = xy[start:stop]
        first = 0
        prefix = None
        for j in np.flatnonzero(np.abs(np.diff(run[:, 0])) > 180.0):
            p0, p1 = run[j], run[j + 1].copy()
            east = p1[0] < p0[0]  # eastwards through the seam at lon_center + 180
            p1[0] += 360.0 if east else -360.0
            edge = lon_center_deg + (180.0 if east else -180.0)
            t = (edge - p0[0]) / (p1[0] - p0[0])
            cross = p0 + t * (p1 - p0)
            cross[0] = edge
            pieces.append(_join(prefix, run[first : j + 1], cross))
            prefix = cross.copy()
            prefix[0] = edge - 360.0 if east else edge + 360.0
            first = j + 1
        pieces.append(_join(prefix, run[first:], None))
    return [p for p in pieces if len(p) >= 2]


def _join(head, body, tail) -> np.ndarray:
    """``head + body + tail`` rows, without repeating a point already at the end."""
    parts = []
    if head is not None and not np.array_equal(head, body[0]):
        parts.append(head[None, :])
    parts.append(body)
    if tail is not None and not np.array_equal(tail, body[-1]):
        parts.append(tail[None, :])
    return np.vstack(parts)


def rings_for_plot(name_or_names=None, lon_center_deg: float = 0.0) -> list[np.ndarray]:
    """Outlines of countries (or of all land when None) as lines for a flat lon/lat map.

    Each ring is cut where it crosses the seam ``lon_center_deg + 180`` (see
    split_at_antimeridian), so drawing it on a plate carree map centred on
    ``lon_center_deg`` leaves no horizontal streak. Returns ``(n, 2)`` arrays of
    ``(lon_deg, lat_deg)``.
    """
    out = []
    for poly in polygons(name_or_names):
        for ring in poly:
            out.extend(split_at_antimeridian(ring[:, 0], ring[:, 1], lon_center_deg))
    return out


def fill_polygons(name_or_names=None, lon_center_deg: float = 0.0) -> list[list[np.ndarray]]:
    """Planar polygons of countries (or of all land when None), ready for filling.

    Each polygon is a list of planar rings (see planar_rings): exteriors run
    counter-clockwise and holes clockwise, so both the even-odd and the non-zero fill
    rule give the polygon within the window ``lon_center_deg +- 180``. Longitudes may
    run past the window edges: clip to the window when drawing.
    """
    out = []
    for poly in polygons(name_or_names):
        planar = [p for p in (planar_rings(ring, lon_center_deg) for ring in poly) if p]
        if planar:  # the first ring left is the exterior (Antarctica's first ring is the pole)
            out.append([orient(r, ccw=(k == 0)) for k, copies in enumerate(planar) for r in copies])
    return out


@functools.lru_cache(maxsize=1)
def _border_arc_ids() -> tuple:
    topo, _ = _topology(str(COUNTRIES_FILE))
    owners: dict[int, set] = {}
    for k, geom in enumerate(topo["objects"]["countries"]["geometries"]):
        kind = geom.get("type")
        polys = [geom["arcs"]] if kind == "Polygon" else geom["arcs"] if kind == "MultiPolygon" else []
        for poly in polys:
            for ring in poly:
                for i in ring:
                    owners.setdefault(i if i >= 0 else ~i, set()).add(k)
    return tuple(sorted(i for i, o in owners.items() if len(o) > 1))


def borders() -> list[np.ndarray]:
    """Land borders between countries (arcs shared by two countries): ``(n, 2)`` lon/lat lines."""
    _, arcs = _topology(str(COUNTRIES_FILE))
    return [arcs[i] for i in _border_arc_ids()]


def coastlines() -> list[np.ndarray]:
    """Coastlines: the rings of the land polygons, ``(n, 2)`` lon/lat lines."""
    return [ring for poly in _land_polygons() for ring in poly]


# ------------------------------------------------------------------ point in polygon


class _RingIndex:
    """Planar rings of a set of polygons, prepared for even-odd point-in-polygon tests.

    Large rings are cut into tiles (matplotlib's Sutherland-Hodgman clip, which keeps the
    even-odd interior) so each point is tested only against the part of the ring in its
    tile.
    """

    def __init__(self, polygons_by_owner: list[list], tile: bool = True):
        self.tile = tile
        self.paths = []  # (owner, lon_min, lon_max, lat_min, lat_max, tiled, Path)
        for owner, polys in enumerate(polygons_by_owner):
            for poly in polys:
                for ring in poly:
                    for pr in planar_rings(ring, 0.0):
                        self._add(owner, pr[:, :2])
        owner = np.array([p[0] for p in self.paths], dtype=int)
        self.by_owner = [np.flatnonzero(owner == o) for o in range(len(polygons_by_owner))]

    def _add(self, owner: int, ring: np.ndarray) -> None:
        lo_x, lo_y = ring.min(axis=0)
        hi_x, hi_y = ring.max(axis=0)
        # keep only the part of the ring inside the [-180, 180] window
        if hi_x < -180.0 or lo_x > 180.0:
            return
        path = _MplPath(ring)
        if not self.tile or len(ring) < _TILE_MIN_VERTICES:
            self.paths.append((owner, lo_x, hi_x, lo_y, hi_y, False, path))
            return
        from matplotlib.transforms import Bbox

        s, pad = _TILE_SIZE_DEG, _TILE_PAD_DEG
        ox, oy = -180.0 + _TILE_OFFSET_DEG, -90.0 + _TILE_OFFSET_DEG
        for i in range(int((max(lo_x, -180.0) - ox) // s), int((min(hi_x, 180.0) - ox) // s) + 1):
            for j in range(int((lo_y - oy) // s), int((hi_y - oy) // s) + 1):
                x0, y0 = ox + i * s, oy + j * s
                x1, y1 = x0 + s, y0 + s
                clipped = path.clip_to_bbox(Bbox([[x0 - pad, y0 - pad], [x1 + pad, y1 + pad]]))
                if len(clipped.vertices) < 3:
                    continue
                self.paths.append((owner, x0, x1, y0, y1, True, clipped))

    def parity(self, ring_ids, lon, lat, order, lon_sorted) -> np.ndarray:
        """Even-odd parity over the rings ``ring_ids`` for points (lon, lat).

        ``order`` indexes the valid points by increasing longitude, ``lon_sorted`` =
        ``lon[order]`` (see _points).
        """
        out = np.zeros(lon.shape, dtype=bool)
        for r in ring_ids:
            _, x0, x1, y0, y1, tiled, path = self.paths[r]
            # tiles are half-open, so each point is tested in one tile only
            a = np.searchsorted(lon_sorted, x0, side="left")
            b = np.searchsorted(lon_sorted, x1, side="left" if tiled else "right")
            if b <= a:
                continue
            idx = order[a:b]
            y = lat[idx]
            sel = (y >= y0) & (y < y1) if tiled else (y >= y0) & (y <= y1)
            idx = idx[sel]
            if idx.size == 0:
                continue
            out[idx] ^= path.contains_points(np.column_stack((lon[idx], lat[idx])))
        return out


@functools.lru_cache(maxsize=1)
def _land_index() -> _RingIndex:
    return _RingIndex([_land_polygons()])


@functools.lru_cache(maxsize=1)
def _country_index() -> tuple[_RingIndex, tuple]:
    table = _countries()
    names = tuple(table)
    return _RingIndex([table[n].polygons for n in names]), names


def _points(lat_deg, lon_deg):
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    lat, lon = np.broadcast_arrays(lat, lon)
    shape = lat.shape
    lat = lat.ravel()
    lon = wrap_lon_deg(lon.ravel())
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0)
    order = np.flatnonzero(ok)
    order = order[np.argsort(lon[order], kind="stable")]
    return shape, lat, lon, order, lon[order]


def as_polygon(polygon) -> list:
    """A polygon as a list of rings, from one ring or a list of rings."""
    if isinstance(polygon, np.ndarray) or (len(polygon) and np.ndim(polygon[0]) == 1):
        return [np.asarray(polygon, dtype=float)]
    return [np.asarray(r, dtype=float) for r in polygon]


def polygon_mask(polygon, lat_deg, lon_deg) -> np.ndarray:
    """True where the points lie inside a polygon given as lon/lat rings (even-odd rule).

    ``polygon``: one ``(n, 2)`` ring of ``(lon_deg, lat_deg)`` or a list of rings
    (exterior and holes), in the same spherical conventions as the data (rings may cross
    the antimeridian or go around a pole); e.g. a radar coverage outline.
    """
    shape, lat, lon, order, lon_sorted = _points(lat_deg, lon_deg)
    index = _RingIndex([[as_polygon(polygon)]], tile=False)
    return index.parity(range(len(index.paths)), lon, lat, order, lon_sorted).reshape(shape)


def land_mask(lat_deg, lon_deg) -> np.ndarray:
    """True where the points are on land (Natural Earth 1:50m land; NaN -> False).

    Arrays broadcast; the result has the broadcast shape.
    """
    shape, lat, lon, order, lon_sorted = _points(lat_deg, lon_deg)
    index = _land_index()
    return index.parity(range(len(index.paths)), lon, lat, order, lon_sorted).reshape(shape)


def country_mask(name_or_names, lat_deg, lon_deg) -> np.ndarray:
    """True where the points lie in the country, or in any of the countries of a list."""
    names = _names(name_or_names)
    shape, lat, lon, order, lon_sorted = _points(lat_deg, lon_deg)
    index, all_names = _country_index()
    out = np.zeros(lat.shape, dtype=bool)
    for n in names:
        out |= index.parity(index.by_owner[all_names.index(n)], lon, lat, order, lon_sorted)
    return out.reshape(shape)


def country_of(lat_deg, lon_deg) -> np.ndarray:
    """Name of the country at each point ("" at sea or outside every country)."""
    shape, lat, lon, order, lon_sorted = _points(lat_deg, lon_deg)
    index, names = _country_index()
    owner = np.full(lat.shape, -1, dtype=int)
    for k in range(len(names)):
        inside = index.parity(index.by_owner[k], lon, lat, order, lon_sorted)
        owner[inside & (owner < 0)] = k
    table = np.array(("",) + names)
    return table[owner + 1].reshape(shape)


# ------------------------------------------------------------------ areas


def country_area_km2(name: str) -> float:
    """Area of a country on the WGS84 ellipsoid (km^2), holes subtracted.

    Geodesic polygon areas from pyproj.Geod(ellps="WGS84"); the data's ring orientation
    (exteriors clockwise, holes counter-clockwise, d3 convention) makes the signed sum
    over a polygon's rings its area, rings around a pole included.
    """
    return _country_area_km2(_resolve(name))


@functools.cache
def _country_area_km2(name: str) -> float:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    total_m2 = 0.0
    for poly in _countries()[name].polygons:
        signed = 0.0
        for ring in poly:
            a, _ = geod.polygon_area_perimeter(ring[:, 0], ring[:, 1])
            signed += a
        total_m2 += abs(signed)
    return total_m2 / 1e6


def _authalic_band_m2(lat_rad):
    """Ellipsoid area from the equator to latitude, per radian of longitude (m^2)."""
    a, f = _WGS84_A_M, _WGS84_F
    e2 = f * (2.0 - f)
    e = np.sqrt(e2)
    b2 = (a * (1.0 - f)) ** 2
    s = np.sin(lat_rad)
    return 0.5 * b2 * (s / (1.0 - e2 * s * s) + np.arctanh(e * s) / e)


def grid_cell_area_km2(lat_deg, dlat_deg, dlon_deg) -> np.ndarray:
    """Area (km^2) of lat/lon grid cells centred at ``lat_deg``, ``dlat_deg`` x ``dlon_deg`` in size.

    Exact on the WGS84 ellipsoid (closed-form area of an ellipsoidal zone between two
    geodetic latitudes, times the longitude fraction); cell edges are clipped at the
    poles. Inputs broadcast. The whole globe sums to 510,065,622 km^2.
    """
    lat = np.asarray(lat_deg, dtype=float)
    half = 0.5 * np.asarray(dlat_deg, dtype=float)
    lat1 = np.radians(np.clip(lat - half, -90.0, 90.0))
    lat2 = np.radians(np.clip(lat + half, -90.0, 90.0))
    dlon = np.radians(np.abs(np.asarray(dlon_deg, dtype=float)))
    return dlon * np.abs(_authalic_band_m2(lat2) - _authalic_band_m2(lat1)) / 1e6
