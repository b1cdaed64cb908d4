"""Map projections of the report's maps (see maps): MapProjection, the
polygon paths it draws land and overlays with, and the drawing order of a
map's layers. All on a sphere of radius SPHERE_RADIUS_M (the map scale, not a
geodetic model)."""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.path import Path

from openbmd import geo

PROJECTIONS = ("lambert", "plate-carree", "orthographic")
SPHERE_RADIUS_M = 6371008.8  # IUGG mean radius

# z-order of the layers; overlays from the plot_* helpers sit above the base map
Z_LAND, Z_GRID, Z_GRATICULE, Z_BORDER, Z_COAST, Z_POLY, Z_LINE, Z_POINT, Z_OUTLINE = (
    1.0, 1.5, 1.8, 2.0, 2.1, 3.0, 4.0, 5.0, 6.0)


def _unit(lon_deg, lat_deg) -> np.ndarray:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    return np.stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)), axis=-1)


class MapProjection:
    """Projection of a map: a callable ``(lon_deg, lat_deg) -> (x, y)``.

    Hidden points (the far side of an orthographic globe, or beyond ``max_angle_deg``
    from the centre of a Lambert map) come out as NaN, so lines drawn through them break.
    ``x, y`` are metres on the map plane for the azimuthal projections and degrees for
    plate carree.
    """

    def __init__(self, kind: str, lon0_deg: float, lat0_deg: float, max_angle_deg: float | None = None):
        if kind not in PROJECTIONS:
            raise ValueError(f"projection must be one of {PROJECTIONS}, got {kind!r}")
        self.kind = kind
        self.lon0_deg = float(lon0_deg)
        self.lat0_deg = float(lat0_deg)
        self.radius_m = SPHERE_RADIUS_M
        self._proj = None
        if kind == "orthographic":
            self.max_angle_deg = 90.0
        elif kind == "lambert":
            self.max_angle_deg = 179.0 if max_angle_deg is None else float(max_angle_deg)
        else:
            self.max_angle_deg = None
        if self.azimuthal:
            import pyproj

            name = "ortho" if kind == "orthographic" else "laea"
            self._proj = pyproj.Proj(
                f"+proj={name} +lat_0={self.lat0_deg} +lon_0={self.lon0_deg} +R={self.radius_m} +units=m +no_defs"
            )

    @property
    def azimuthal(self) -> bool:
        return self.kind != "plate-carree"

    @property
    def horizon_radius(self) -> float | None:
        """Radius (map units) of the circle of points ``max_angle_deg`` from the centre."""
        if not self.azimuthal:
            return None
        c = np.radians(self.max_angle_deg)
        return self.radius_m * (np.sin(c) if self.kind == "orthographic" else 2.0 * np.sin(c / 2.0))

    def __repr__(self) -> str:
        return f"MapProjection({self.kind!r}, lon0_deg={self.lon0_deg:g}, lat0_deg={self.lat0_deg:g})"

    def angle_deg(self, lon_deg, lat_deg) -> np.ndarray:
        """Angular distance (deg) of points from the centre of the map."""
        c = _unit(self.lon0_deg, self.lat0_deg)
        return np.degrees(np.arccos(np.clip(_unit(lon_deg, lat_deg) @ c, -1.0, 1.0)))

    def visible(self, lon_deg, lat_deg) -> np.ndarray:
        """True where points are drawn (always, for plate carree)."""
        lon, lat = np.broadcast_arrays(np.asarray(lon_deg, float), np.asarray(lat_deg, float))
        ok = np.isfinite(lon) & np.isfinite(lat)
        if self.azimuthal:
            with np.errstate(invalid="ignore"):
                ok &= self.angle_deg(lon, lat) <= self.max_angle_deg
        return ok

    def __call__(self, lon_deg, lat_deg):
        x, y, vis = self._project(lon_deg, lat_deg)
        x[~vis] = np.nan
        y[~vis] = np.nan
        return x, y

    def clamped(self, lon_deg, lat_deg):
        """Like calling the projection, but hidden points are moved onto the horizon circle
        at the same azimuth (the right thing for polygon outlines)."""
        x, y, _ = self._project(lon_deg, lat_deg)
        return x, y

    def _project(self, lon_deg, lat_deg):
        """Clamped map coordinates and visibility of points."""
        lon, lat = np.broadcast_arrays(np.asarray(lon_deg, float), np.asarray(lat_deg, float))
        finite = np.isfinite(lon) & np.isfinite(lat)
        if not self.azimuthal:
            return np.array(geo.wrap_lon_deg(lon, self.lon0_deg)), np.where(finite, lat, np.nan), finite
        vis = self.visible(lon, lat)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            x, y = self._proj(lon, lat)
            x, y = np.array(x, float), np.array(y, float)
            bad = finite & (~vis | ~np.isfinite(x) | ~np.isfinite(y))
            if bad.any():
                lam = np.radians(lon[bad] - self.lon0_deg)
                phi, phi0 = np.radians(lat[bad]), np.radians(self.lat0_deg)
                north = np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam)
                az = np.arctan2(np.cos(phi) * np.sin(lam), north)
                r = self.horizon_radius
                x[bad], y[bad] = r * np.sin(az), r * np.cos(az)
        x[~finite] = np.nan
        y[~finite] = np.nan
        return x, y, vis

    def line_xy(self, lon_deg, lat_deg):
        """Map coordinates of a line, NaN where it must break (hidden points; for plate
        carree the crossings of the seam opposite the centre, see geo.split_at_antimeridian)."""
        lon = np.asarray(lon_deg, float).ravel()
        lat = np.asarray(lat_deg, float).ravel()
        if self.azimuthal:
            return self(lon, lat)
        pieces = geo.split_at_antimeridian(lon, lat, self.lon0_deg)
        if not pieces:
            return np.array([]), np.array([])
        sep = np.array([[np.nan, np.nan]])
        xy = np.vstack([q for p in pieces for q in (p[:, :2], sep)][:-1])
        return xy[:, 0], xy[:, 1]

    def polygon_path(self, polygon) -> Path | None:
        """Compound path of one lon/lat polygon (a ring or a list of rings, exterior first),
        oriented for matplotlib's non-zero fill; None when nothing of it is visible."""
        paths = self.polygon_paths([geo.as_polygon(polygon)])
        return paths[0] if paths else None

    def polygon_paths(self, polygons, view=None, _items=None) -> list[Path]:
        """Compound paths of lon/lat polygons, one per polygon that shows (within ``view``
        = ``(x0, x1, y0, y1)`` when given), oriented for matplotlib's non-zero fill.

        Plate carree: the planar rings (see geo.planar_rings), clipped by the axes. Azimuthal:
        hidden vertices are moved onto the horizon at their azimuth; a polygon that covers
        the point opposite the centre shows as the disc minus its projected outline.
        """
        items = _items if _items is not None else _planar_items(polygons, None if self.azimuthal else self.lon0_deg)
        if not items:
            return []
        rings = [r for _, _, r in items]
        allv = np.vstack(rings)
        if self.azimuthal:
            x, y, vis = self._project(allv[:, 0], allv[:, 1])
        else:  # planar rings are already in the window around the centre: no wrapping
            x, y, vis = allv[:, 0], allv[:, 1], np.ones(len(allv), dtype=bool)
        cuts = np.cumsum([len(r) for r in rings])[:-1]
        xs, ys, viss = np.split(x, cuts), np.split(y, cuts), np.split(vis, cuts)
        anti_lon, anti_lat = float(geo.wrap_lon_deg(self.lon0_deg + 180.0)), -self.lat0_deg
        out = []
        i = 0
        while i < len(items):
            j = i
            while j < len(items) and items[j][0] == items[i][0]:
                j += 1
            group = range(i, j)
            i = j
            flip = False
            if self.azimuthal:
                shown = [bool(viss[g].any()) for g in group]
                if not all(bool(viss[g].all()) for g in group):
                    lonlat = [rings[g] for g in group]
                    flip = _covers(lonlat, anti_lat, anti_lon)
                    if not any(shown) and not (flip and _covers(lonlat, self.lat0_deg, self.lon0_deg)):
                        continue  # entirely on the far side
            xy = [geo.orient(np.column_stack((xs[g], ys[g])), ccw=(items[g][1] == 0) != flip) for g in group]
            if flip:
                xy.append(_circle(self.horizon_radius))
            if view is not None:
                allxy = np.vstack(xy)
                if (allxy[:, 0].max() < view[0] or allxy[:, 0].min() > view[1]
                        or allxy[:, 1].max() < view[2] or allxy[:, 1].min() > view[3]):
                    continue
            out.append(_compound(xy))
        return out


def _planar_items(polygons, lon_center_deg) -> list[tuple[int, int, np.ndarray]]:
    """(polygon index, ring index, planar (n, 2) lon/lat ring) for every ring.

    ``lon_center_deg`` None (azimuthal maps): one unwrapped copy per ring; else all the
    copies covering the window ``lon_center_deg +- 180`` (plate carree).
    """
    out = []
    for pi, poly in enumerate(polygons):
        rings = (geo.planar_rings(ring, 0.0 if lon_center_deg is None else lon_center_deg) for ring in geo.as_polygon(poly))
        # k counts the rings left: the first is the exterior (Antarctica's first ring is the pole)
        for k, prs in enumerate(p for p in rings if p):
            for r in prs[:1] if lon_center_deg is None else prs:
                out.append((pi, k, np.ascontiguousarray(r[:, :2])))
    return out


@functools.lru_cache(maxsize=4)
def _land_items(lon_center_deg) -> tuple:
    return tuple(_planar_items(geo.land_polygons(), lon_center_deg))


def _covers(rings, lat_deg: float, lon_deg: float) -> bool:
    """Whether the planar lon/lat rings of one polygon contain a point (bbox check first)."""
    for lon in (lon_deg, lon_deg - 360.0, lon_deg + 360.0):
        if any(r[:, 0].min() <= lon <= r[:, 0].max() and r[:, 1].min() <= lat_deg <= r[:, 1].max() for r in rings):
            return bool(geo.polygon_mask(rings, lat_deg, lon_deg))
    return False


def _circle(radius: float, n: int = 361) -> np.ndarray:
    t = np.linspace(0.0, 2.0 * np.pi, n)
    return np.column_stack((radius * np.cos(t), radius * np.sin(t)))


def _compound(rings: list[np.ndarray]) -> Path:
    """One Path of closed rings (MOVETO, LINETO..., CLOSEPOLY each)."""
    verts, codes = [], []
    for r in rings:
        r = np.asarray(r, float)[:, :2]
        c = np.full(len(r) + 1, Path.LINETO, dtype=Path.code_type)
        c[0], c[-1] = Path.MOVETO, Path.CLOSEPOLY
        verts.append(np.vstack((r, r[:1])))
        codes.append(c)
    return Path(np.vstack(verts), np.concatenate(codes))


def land_paths(proj: MapProjection, view) -> list[Path]:
    """Compound paths of the land polygons that show within ``view`` =
    ``(x0, x1, y0, y1)`` (the planar rings cached per map centre)."""
    items = _land_items(None if proj.azimuthal else proj.lon0_deg)
    return proj.polygon_paths(None, view=view, _items=items)

