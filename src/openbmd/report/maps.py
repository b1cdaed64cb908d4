"""Static maps for reports: land, borders, graticule and overlays, drawn offline with matplotlib.

Figures are created as plain ``matplotlib.figure.Figure`` objects on an Agg canvas, so no
GUI backend is ever involved and pyplot's global state is left alone (callers may still
pass an ``ax`` of their own). Three projections, all on a sphere of radius
SPHERE_RADIUS_M (the map scale, not a geodetic model):

* ``"lambert"``: Lambert azimuthal equal-area centred on the extent (pyproj ``laea``);
  good for regional maps, areas true to scale;
* ``"orthographic"``: the globe seen from space, centred on the extent (pyproj
  ``ortho``); the far side is hidden;
* ``"plate-carree"``: x = longitude, y = latitude in degrees, centred on the extent.

Coastlines and borders: Natural Earth 1:50m via openbmd.geo.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path as _FsPath

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from matplotlib.patches import Circle, PathPatch
from matplotlib.path import Path
from matplotlib.text import Text

from openbmd import geo

PROJECTIONS = ("lambert", "plate-carree", "orthographic")
SPHERE_RADIUS_M = 6371008.8  # IUGG mean radius

LAND_COLOR = "#ede7d9"
OCEAN_COLOR = "#d6e6f2"
BORDER_COLOR = "#8f8f8f"
COAST_COLOR = "#5f7382"
GRATICULE_COLOR = "#a9bccb"
SPACE_COLOR = "white"

SAVE_FORMATS = {".png": {"dpi": 150}, ".svg": {}, ".pdf": {}}

# z-order of the layers; overlays from the plot_* helpers sit above the base map
_Z_LAND, _Z_GRID, _Z_GRATICULE, _Z_BORDER, _Z_COAST, _Z_POLY, _Z_LINE, _Z_POINT, _Z_OUTLINE = (
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


def _center(extent) -> tuple[float, float, float, float, float, float]:
    """Centre (lon, lat) of an extent and its bounds with lon_max unwrapped past lon_min."""
    lon_min, lon_max, lat_min, lat_max = (float(v) for v in extent)
    if not (-90.0 <= lat_min < lat_max <= 90.0):
        raise ValueError(f"extent latitudes must satisfy -90 <= lat_min < lat_max <= 90, got {lat_min}, {lat_max}")
    if lon_max <= lon_min:  # crosses the antimeridian, e.g. (150, -150, ...)
        lon_max += 360.0
    if lon_max - lon_min > 360.0:
        raise ValueError("extent spans more than 360 deg of longitude")
    return 0.5 * (lon_min + lon_max), 0.5 * (lat_min + lat_max), lon_min, lon_max, lat_min, lat_max


def _extent_samples(lon_min, lon_max, lat_min, lat_max, n: int = 91):
    """Points of the extent: its outline, densely, and an interior grid."""
    lon = np.linspace(lon_min, lon_max, n)
    lat = np.linspace(lat_min, lat_max, n)
    glon, glat = np.meshgrid(lon[::3], lat[::3])
    return (np.concatenate((lon, np.full(n, lon_max), lon, np.full(n, lon_min), glon.ravel())),
            np.concatenate((np.full(n, lat_min), lat, np.full(n, lat_max), lat, glat.ravel())))


def _graticule_step(span_deg: float) -> float:
    for limit, step in ((120.0, 30.0), (40.0, 10.0), (15.0, 5.0), (6.0, 2.0), (0.0, 1.0)):
        if span_deg > limit:
            return step
    return 1.0


def _segments(proj: MapProjection, lines, view) -> list[np.ndarray]:
    """Map-plane pieces of lon/lat lines that touch the view (x0, x1, y0, y1)."""
    if not lines:
        return []
    sep = np.full((1, 2), np.nan)
    allv = np.vstack([q for line in lines for q in (np.asarray(line, float)[:, :2], sep)])
    x, y = proj.line_xy(allv[:, 0], allv[:, 1])
    ok = np.isfinite(x) & np.isfinite(y)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.astype(np.int8), [0]))))
    x0, x1, y0, y1 = view
    out = []
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a < 2:
            continue
        sx, sy = x[a:b], y[a:b]
        if sx.max() < x0 or sx.min() > x1 or sy.max() < y0 or sy.min() > y1:
            continue
        out.append(np.column_stack((sx, sy)))
    return out


def map_axes(extent=None, projection: str = "lambert", figsize=(8.0, 6.0), ax=None, *,
             center_deg=None, land: bool = True, borders: bool = True,
             graticule_step_deg: float | None = None, graticule_labels: bool = True, scale_bar: bool = True):
    """A base map: ocean, land, country borders, coastlines and graticule.

    ``extent``: ``(lon_min, lon_max, lat_min, lat_max)`` in degrees (``lon_max <
    lon_min`` crosses the antimeridian); None shows the whole world (the full globe for
    orthographic). ``center_deg``: ``(lon, lat)`` of the projection centre, default the
    centre of the extent. Returns ``(fig, ax, proj)``; ``proj`` maps ``(lon_deg,
    lat_deg)`` arrays to map coordinates (see MapProjection), for use with the plot_*
    helpers and with plain matplotlib calls (``ax.plot(*proj(lon_deg, lat_deg))``).
    With ``ax`` given, the map is drawn into it and ``figsize`` is ignored.
    ``graticule_labels``: the graticule's degrees written inside the frame (meridians
    along the bottom edge, parallels along the left; on a globe, along the central
    meridian and a parallel below the centre). ``scale_bar``: a bar of ground distance
    (km), true at the projection centre, whose latitude its caption states (see
    add_scale_bar).
    """
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
    whole = extent is None
    lon_c, lat_c, lon_min, lon_max, lat_min, lat_max = _center((-180.0, 180.0, -90.0, 90.0) if whole else extent)
    if center_deg is not None:
        lon_c, lat_c = (float(v) for v in center_deg)
    elif whole and projection == "orthographic":
        lon_c, lat_c = 0.0, 20.0
    ol_lon, ol_lat = _extent_samples(lon_min, lon_max, lat_min, lat_max)

    if projection == "lambert" and not whole:
        # hide only what lies beyond every corner of the view
        tmp = MapProjection("lambert", lon_c, lat_c, max_angle_deg=179.0)
        x, y = tmp(ol_lon, ol_lat)
        corners_x = np.array([np.nanmin(x), np.nanmax(x)])[:, None]
        corners_y = np.array([np.nanmin(y), np.nanmax(y)])[None, :]
        r = np.nanmax(np.hypot(corners_x, corners_y))
        c_max = np.degrees(2.0 * np.arcsin(min(1.0, r / (2.0 * SPHERE_RADIUS_M))))
        proj = MapProjection("lambert", lon_c, lat_c, max_angle_deg=float(np.clip(c_max + 1.0, 90.0, 179.0)))
    else:
        proj = MapProjection(projection, lon_c, lat_c)

    # view limits
    if not proj.azimuthal:  # x: longitude wrapped into lon0 +- 180
        x0 = proj.lon0_deg - 180.0 if whole else float(geo.wrap_lon_deg(lon_min, proj.lon0_deg))
        view = (x0, x0 + (lon_max - lon_min), lat_min, lat_max)
    elif whole:
        rr = 1.02 * proj.horizon_radius
        view = (-rr, rr, -rr, rr)
    else:
        x, y = proj(ol_lon, ol_lat)
        if not np.isfinite(x).any():
            raise ValueError("the extent is not visible from the projection centre")
        view = (np.nanmin(x), np.nanmax(x), np.nanmin(y), np.nanmax(y))
        if projection == "orthographic":
            rr = 1.02 * proj.horizon_radius
            view = (max(view[0], -rr), min(view[1], rr), max(view[2], -rr), min(view[3], rr))

    if ax is None:
        fig = Figure(figsize=figsize, dpi=SAVE_FORMATS[".png"]["dpi"])  # labels are placed at the PNG's resolution
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98)
    else:
        fig = ax.figure
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(OCEAN_COLOR)
    if projection == "orthographic":
        ax.set_facecolor(SPACE_COLOR)
        for s in ax.spines.values():
            s.set_visible(False)
        r = proj.horizon_radius
        ax.add_patch(Circle((0.0, 0.0), r, facecolor=OCEAN_COLOR, edgecolor="none", zorder=0.5))
        ax.add_patch(Circle((0.0, 0.0), r, facecolor="none", edgecolor=COAST_COLOR, lw=0.8, zorder=_Z_OUTLINE))
    else:
        for s in ax.spines.values():
            s.set_linewidth(0.6)
            s.set_edgecolor("#555555")

    if land:
        items = _land_items(None if proj.azimuthal else proj.lon0_deg)
        paths = proj.polygon_paths(None, view=view, _items=items)
        if paths:
            # add_artist: no data-limit update (slow for big paths; the view is fixed)
            land_patch = PathPatch(Path.make_compound_path(*paths), facecolor=LAND_COLOR, edgecolor="none", zorder=_Z_LAND)
            ax.add_artist(land_patch)

    span = max(lon_max - lon_min, lat_max - lat_min)
    step = graticule_step_deg or _graticule_step(span)
    dense = min(0.5, step / 10.0)
    n_lat, n_lon = int(180 / dense) + 1, int(360 / dense) + 1
    grat = [np.column_stack((np.full(n_lat, lo), np.linspace(-90.0, 90.0, n_lat))) for lo in np.arange(-180.0, 180.0, step)]
    grat += [np.column_stack((np.linspace(-180.0, 180.0, n_lon), np.full(n_lon, la)))
             for la in np.arange(-90.0 + step, 90.0 - 1e-9, step)]
    layers = [(grat, GRATICULE_COLOR, 0.4, _Z_GRATICULE)]
    if borders:
        layers.append((geo.borders(), BORDER_COLOR, 0.4, _Z_BORDER))
    if land:
        layers.append((geo.coastlines(), COAST_COLOR, 0.5, _Z_COAST))
    for lines, color, width, z in layers:
        ax.add_collection(LineCollection(_segments(proj, lines, view), colors=color, linewidths=width, zorder=z))
    # add_collection would autoscale on some versions: restore the view
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])
    if graticule_labels:
        _label_graticule(ax, proj, view, step, whole)
    if scale_bar:
        add_scale_bar(ax, proj)
    return fig, ax, proj


def _nice_km(limit_km: float) -> float:
    """The largest 1, 2 or 5 x 10^n km not above ``limit_km`` (at least 1 km)."""
    if not limit_km >= 1.0:
        return 1.0
    e = 10.0 ** np.floor(np.log10(limit_km))
    return float(max(m * e for m in (1.0, 2.0, 5.0) if m * e <= limit_km))


def scale_length(proj: MapProjection, km: float) -> float:
    """Length in map units of ``km`` of ground distance at the projection centre,
    horizontally: metres for the azimuthal projections (true scale at their centre),
    degrees of longitude for plate carree (at the centre's latitude)."""
    if proj.azimuthal:
        return km * 1e3
    cos = np.cos(np.radians(proj.lat0_deg))
    if cos < 1e-6:
        raise ValueError("no horizontal scale at a pole on a plate carree map")
    return float(np.degrees(km * 1e3 / (proj.radius_m * cos)))


def _lat_text(lat: float) -> str:
    a = abs(round(float(lat)))
    return "0°" if a == 0 else f"{a:g}°{'N' if lat > 0 else 'S'}"


def add_scale_bar(ax, proj: MapProjection, loc: str | None = None, fontsize: float = 6):
    """A scale bar: two black-and-white halves with their distances in km and a
    caption saying where the scale holds, true at the projection centre's latitude
    (every projection here distorts away from it: Lambert and orthographic radially
    from the centre, plate carree along the parallels). About a fifth of the map's
    width, rounded to 1, 2 or 5 x 10^n km. ``loc``: matplotlib anchor, default the
    upper right (lower right on a globe, whose corners are empty); place_labels
    keeps labels off it. Returns the AnchoredOffsetbox."""
    from matplotlib.offsetbox import AnchoredOffsetbox, AuxTransformBox, TextArea, VPacker
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import Affine2D

    x0, x1 = sorted(ax.get_xlim())
    width = x1 - x0
    per_km = scale_length(proj, 1.0)
    km = _nice_km(0.22 * width / per_km)
    length = km * per_km
    # the bar: map units across, points up (both follow the output's resolution)
    from matplotlib.transforms import blended_transform_factory

    box = AuxTransformBox(blended_transform_factory(ax.transData, Affine2D().scale(1.0 / 72.0) + ax.figure.dpi_scale_trans))
    h = 3.0
    for k in range(2):
        box.add_artist(Rectangle((k * length / 2, 0.0), length / 2, h, facecolor="black" if k == 0 else "white",
                                 edgecolor="black", linewidth=0.5))
    for k, v in enumerate((0.0, km / 2, km)):
        box.add_artist(Text(k * length / 2, h + 1.0, f"{v:g}" + (" km" if k == 2 else ""), ha="center", va="bottom",
                            fontsize=fontsize, color="black"))
    where = (f"true along {_lat_text(proj.lat0_deg)} (the map's middle parallel)" if proj.kind == "plate-carree"
             else f"true at {_lat_text(proj.lat0_deg)} (the map's centre)")
    caption = TextArea(where,
                       textprops=dict(fontsize=fontsize - 0.5, color="#333333"))
    pack = VPacker(children=[box, caption], align="center", pad=0, sep=1.5)
    if loc is None:
        loc = "lower right" if proj.kind == "orthographic" else "upper right"
    anchored = AnchoredOffsetbox(loc=loc, child=pack, pad=0.3, borderpad=0.5, frameon=True)
    anchored.patch.set(facecolor="white", edgecolor="none", alpha=0.75)
    anchored.set_zorder(_Z_OUTLINE)
    ax.add_artist(anchored)
    renderer = _renderer(ax.figure)
    if not hasattr(ax, "_openbmd_labels"):
        ax._openbmd_labels = ([], [])
    ax._openbmd_labels[0].append(np.array(anchored.get_window_extent(renderer).extents))
    ax._openbmd_scale_bar = (km, length, anchored)
    return anchored


def _deg_text(v: float, kind: str) -> str:
    """'20°E', '10°W', '50°N', '0°'."""
    v = float(geo.wrap_lon_deg(v)) if kind == "lon" else float(v)
    if abs(v) < 1e-9 or (kind == "lon" and abs(abs(v) - 180.0) < 1e-9):
        return f"{abs(v):g}°"
    hemi = ("E" if v > 0 else "W") if kind == "lon" else ("N" if v > 0 else "S")
    return f"{abs(v):g}°{hemi}"


_GRAT_LABEL = dict(fontsize=6, color="#4a5f70", zorder=_Z_OUTLINE, clip_on=True,
                   bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.6))


def _first_crossing(a: np.ndarray, b: np.ndarray, level: float, lo: float, hi: float):
    """Where the polyline (a, b) first crosses a = level with b within [lo, hi]: b there, or None."""
    d = a - level
    ok = np.isfinite(d[:-1]) & np.isfinite(d[1:]) & (np.sign(d[:-1]) != np.sign(d[1:]))
    for i in np.flatnonzero(ok):
        t = d[i] / (d[i] - d[i + 1])
        v = b[i] + t * (b[i + 1] - b[i])
        if lo <= v <= hi:
            return float(v)
    return None


def _label_graticule(ax, proj: MapProjection, view, step: float, whole: bool):
    """Degree labels of the graticule lines, inside the frame; place_labels keeps
    other labels off them."""
    before = len(ax.texts)
    _graticule_texts(ax, proj, view, step, whole)
    new = ax.texts[before:]
    if new:
        renderer = _renderer(ax.figure)
        ax.apply_aspect()
        if not hasattr(ax, "_openbmd_labels"):
            ax._openbmd_labels = ([], [])
        ax._openbmd_labels[0].extend(np.array(t.get_window_extent(renderer).extents) for t in new)


def _graticule_texts(ax, proj: MapProjection, view, step: float, whole: bool):
    x0, x1, y0, y1 = view
    lons = np.arange(-180.0, 180.0, step)
    lats = np.arange(-90.0 + step, 90.0 - 1e-9, step)
    if proj.kind == "orthographic" or whole:
        # a globe (or a whole-world map): parallels along the central meridian, meridians along a parallel below the centre
        # halfway between two parallels, so that the two sets of labels do not meet
        lat_m = float(np.clip(step * np.floor((proj.lat0_deg - 30.0) / step) + step / 2.0, -75.0, 75.0))
        for la in lats:
            if abs(la) <= 80.0 and proj.angle_deg(proj.lon0_deg, la) < 80.0:
                x, y = proj(np.array([proj.lon0_deg]), np.array([la]))
                if np.isfinite(x[0]) and x0 <= x[0] <= x1 and y0 <= y[0] <= y1:
                    ax.text(x[0], y[0], _deg_text(la, "lat"), ha="left", va="bottom", **_GRAT_LABEL)
        for lo in lons:
            if proj.angle_deg(lo, lat_m) < 75.0 and abs(float(geo.wrap_lon_deg(lo - proj.lon0_deg))) > 1e-9:
                x, y = proj(np.array([lo]), np.array([lat_m]))
                if np.isfinite(x[0]) and x0 <= x[0] <= x1 and y0 <= y[0] <= y1:
                    ax.text(x[0], y[0], _deg_text(lo, "lon"), ha="center", va="top", **_GRAT_LABEL)
        return
    n = 721
    pad_x, pad_y = 0.006 * (x1 - x0), 0.006 * (y1 - y0)
    for lo in lons:
        x, y = proj.line_xy(np.full(n, lo), np.linspace(-89.9, 89.9, n))
        at = _first_crossing(y, x, y0 + pad_y, x0 + 0.03 * (x1 - x0), x1 - 0.03 * (x1 - x0))
        if at is not None:
            ax.text(at, y0 + pad_y, _deg_text(lo, "lon"), ha="center", va="bottom", **_GRAT_LABEL)
    for la in lats:
        x, y = proj.line_xy(np.linspace(-180.0, 180.0, n), np.full(n, la))
        at = _first_crossing(x, y, x0 + pad_x, y0 + 0.05 * (y1 - y0), y1 - 0.03 * (y1 - y0))
        if at is not None:
            ax.text(x0 + pad_x, at, _deg_text(la, "lat"), ha="left", va="center", **_GRAT_LABEL)


def _default(kw: dict, names: tuple, value):
    """Set ``kw[names[0]] = value`` unless the keyword or one of its aliases is given;
    return the value in effect."""
    for n in names:
        if n in kw:
            return kw[n]
    kw[names[0]] = value
    return value


def _as_lonlat(line):
    """(lon, lat) arrays from an (n, 2|3) array or a (lon_array, lat_array) pair."""
    if isinstance(line, tuple) and len(line) == 2:
        return np.asarray(line[0], float).ravel(), np.asarray(line[1], float).ravel()
    a = np.asarray(line, float)
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError("a line is an (n, 2|3) array of (lon_deg, lat_deg[, alt]) or a (lon_deg, lat_deg) pair")
    return a[:, 0], a[:, 1]


def plot_lines(ax, proj: MapProjection, lines, colors=None, labels=None, **kw) -> list:
    """Draw lon/lat lines (e.g. ground tracks): one Line2D per line, broken where hidden and,
    on plate carree maps, at the seam (the antimeridian unless centred elsewhere).

    ``lines``: list of ``(n, 2|3)`` arrays of ``(lon_deg, lat_deg[, alt])`` or of
    ``(lon_deg, lat_deg)`` array pairs. ``colors``: one colour or one per line;
    ``labels``: one per line (for a legend). Other keywords go to ``ax.plot``.
    """
    if (isinstance(lines, tuple) and len(lines) == 2 and np.ndim(lines[0]) == 1) or (
            isinstance(lines, np.ndarray) and lines.ndim == 2):
        lines = [lines]  # a single line
    kw.setdefault("zorder", _Z_LINE)
    _default(kw, ("linewidth", "lw"), 1.2)
    out = []
    for i, line in enumerate(lines):
        lon, lat = _as_lonlat(line)
        x, y = proj.line_xy(lon, lat)
        style = dict(kw)
        if colors is not None:
            style["color"] = colors if is_color_like(colors) else colors[i % len(colors)]
        if labels is not None:
            style["label"] = labels[i]
        out.extend(ax.plot(x, y, **style))
    return out


def plot_points(ax, proj: MapProjection, lon_deg, lat_deg, labels=None, label_size: float = 7,
                label_color="black", **kw):
    """Mark points (e.g. launch sites, radars), with optional text labels placed so that
    they do not overlap (see place_labels); hidden points are skipped. Keywords go to
    ``ax.scatter``. Returns the scatter collection."""
    lon = np.atleast_1d(np.asarray(lon_deg, float))
    lat = np.atleast_1d(np.asarray(lat_deg, float))
    x, y = proj(lon, lat)
    ok = np.isfinite(x) & np.isfinite(y)
    kw.setdefault("zorder", _Z_POINT)
    kw.setdefault("s", 18)
    _default(kw, ("edgecolors", "edgecolor", "ec"), "white")
    _default(kw, ("linewidths", "linewidth", "lw"), 0.5)
    if "c" in kw and np.ndim(kw["c"]) >= 1 and np.size(kw["c"]) == lon.size and not isinstance(kw["c"], str):
        kw["c"] = np.asarray(kw["c"])[ok.ravel()]
    sc = ax.scatter(x[ok], y[ok], **kw)
    if labels is not None:
        (vx0, vx1), (vy0, vy1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        with np.errstate(invalid="ignore"):
            keep = (ok & (x >= vx0) & (x <= vx1) & (y >= vy0) & (y <= vy1)).ravel()  # labels in the view only
        xs, ys, texts = _merged(x.ravel()[keep], y.ravel()[keep], [str(t) for t, g in zip(labels, keep) if g])
        place_labels(ax, xs, ys, texts, fontsize=label_size, color=label_color)
    return sc


def _renderer(fig):
    """A renderer to measure text with (any canvas; a bare Figure gets its default one)."""
    get = getattr(fig.canvas, "get_renderer", None)
    return get() if get is not None else fig._get_renderer()


def _merged(x, y, texts):
    """One label per position: the labels of coincident points joined, 'Ship (Rota 1)' and
    'Ship (Rota 2)' as 'Ship (Rota 1, Rota 2)' (else one per line)."""
    groups = {}
    for xi, yi, t in zip(x, y, texts):
        groups.setdefault((round(float(xi), 3), round(float(yi), 3)), []).append(t)
    out_x, out_y, out_t = [], [], []
    for (xi, yi), ts in groups.items():
        ts = list(dict.fromkeys(ts))
        heads = {t.rsplit(" (", 1)[0] for t in ts}
        if len(ts) > 1 and len(heads) == 1 and all(t.endswith(")") and " (" in t for t in ts):
            text = f"{heads.pop()} ({', '.join(t.rsplit(' (', 1)[1][:-1] for t in ts)})"
        else:
            text = "\n".join(ts)
        out_x.append(xi)
        out_y.append(yi)
        out_t.append(text)
    return np.array(out_x), np.array(out_y), out_t


# label offsets tried in turn (points; ha, va): the four corners, above, below, then farther out with a leader line
_SPOTS = [(dx, dy, ha, va) for dx, dy, ha, va in ((4, 3, "left", "bottom"), (4, -3, "left", "top"),
                                                  (-4, 3, "right", "bottom"), (-4, -3, "right", "top"),
                                                  (0, 6, "center", "bottom"), (0, -6, "center", "top"),
                                                  (6, 0, "left", "center"), (-6, 0, "right", "center"))]


def place_labels(ax, x, y, texts, fontsize: float = 7, color="black", **kw) -> list:
    """Label points at map coordinates ``(x, y)`` so that no label covers another,
    nor a point labelled by this or an earlier call on the same axes: each label
    takes the first free spot around its point (corners, above, below, sides),
    then spots farther out with a thin leader line; where nothing is free, the
    spot that overlaps least. Returns the annotations."""
    fig = ax.figure
    renderer = _renderer(fig)
    ax.apply_aspect()
    if not hasattr(ax, "_openbmd_labels"):
        ax._openbmd_labels = ([], [])  # boxes of the labels and of the labelled points, in pixels
    placed, marks = ax._openbmd_labels
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    pts = ax.transData.transform(np.column_stack((x, y))) if len(x) else np.zeros((0, 2))
    r = 3.0 * fig.dpi / 72.0  # a marker's half size, in pixels
    marks += [np.array([p[0] - r, p[1] - r, p[0] + r, p[1] + r]) for p in pts]
    frame = ax.get_window_extent(renderer)
    out = []
    for k, (xi, yi, text) in enumerate(zip(x, y, texts)):
        p = pts[k]
        # the points under this one's own marker are no obstacle to it
        obstacles = placed + [m for m in marks if abs(m[0] + r - p[0]) > r or abs(m[1] + r - p[1]) > r]
        best = None
        for scale in (1.0, 2.5, 4.5, 7.0):
            for dx, dy, ha, va in _SPOTS:
                ann = ax.annotate(text, (xi, yi), xytext=(dx * scale, dy * scale), textcoords="offset points",
                                  ha=ha, va=va, fontsize=fontsize, color=color, zorder=_Z_POINT,
                                  annotation_clip=True, clip_on=True,
                                  arrowprops=dict(arrowstyle="-", lw=0.4, color="#555555", shrinkA=0, shrinkB=2)
                                  if scale > 1.0 else None, **kw)
                ann.update_positions(renderer)
                bb = Text.get_window_extent(ann, renderer)  # the text only, not its leader line
                pad = 1.0 + 0.02 * bb.width  # text widths vary a little with the resolution of the output
                box = np.array([bb.x0 - pad, bb.y0 - 2, bb.x1 + pad, bb.y1 + 2])
                cost = sum(_overlap(box, o) for o in obstacles)
                inside = box[0] >= frame.x0 and box[2] <= frame.x1 and box[1] >= frame.y0 and box[3] <= frame.y1
                cost += 0.0 if inside else 1e6 + (bb.width * bb.height)
                if best is None or cost < best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (cost, ann, box)
                else:
                    ann.remove()
                if cost == 0.0:
                    break
            if best[0] == 0.0:
                break
        placed.append(best[2])
        out.append(best[1])
    return out


def _overlap(a, b) -> float:
    """Overlap area of two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return float(w * h) if w > 0 and h > 0 else 0.0


def plot_polygons(ax, proj: MapProjection, rings, **kw) -> list:
    """Fill lon/lat polygons (e.g. radar coverage, fly-out fans): one PathPatch each.

    ``rings``: list of polygons, each an ``(n, 2)`` ring of ``(lon_deg, lat_deg)`` or a
    list of rings (exterior then holes); rings may cross the antimeridian or circle a
    pole. Keywords go to PathPatch (default: translucent fill); ``label`` goes on the
    first patch only.
    """
    if isinstance(rings, np.ndarray) and rings.ndim == 2:
        rings = [rings]
    kw.setdefault("zorder", _Z_POLY)
    kw.setdefault("alpha", 0.35)
    if "color" not in kw:
        face = _default(kw, ("facecolor", "fc"), "tab:red")
        _default(kw, ("edgecolor", "ec"), face)
    _default(kw, ("linewidth", "lw"), 0.8)
    out = []
    for poly in rings:
        path = proj.polygon_path(poly)
        if path is None:
            continue
        patch = PathPatch(path, **kw)
        ax.add_artist(patch)
        out.append(patch)
        kw.pop("label", None)
    return out


def _edges(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, float).ravel()
    if c.size < 2 or not np.all(np.diff(c) > 0):
        raise ValueError("grid coordinates must be increasing, with at least two values")
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate(([c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]))


def plot_grid(ax, proj: MapProjection, lat_deg, lon_deg, values, cmap="viridis", vmin=None, vmax=None, **kw):
    """Colour a lat/lon grid (e.g. a defended footprint): ``values[i, j]`` at
    ``(lat_deg[i], lon_deg[j])`` (cell centres, increasing). NaN cells are left
    transparent; cells reaching the hidden side are not drawn. Keywords go to
    ``ax.pcolormesh``. Returns the QuadMesh (for ``fig.colorbar``)."""
    values = np.asarray(values, float)
    lat_e = np.clip(_edges(lat_deg), -90.0, 90.0)
    lon_e = _edges(lon_deg)
    if values.shape != (lat_e.size - 1, lon_e.size - 1):
        expected = (lat_e.size - 1, lon_e.size - 1)
        raise ValueError(f"values must have shape (len(lat_deg), len(lon_deg)) = {expected}, got {values.shape}")
    kw.setdefault("zorder", _Z_GRID)
    kw.setdefault("shading", "flat")
    kw.setdefault("rasterized", True)
    lon2, lat2 = np.meshgrid(lon_e, lat_e)
    data = np.ma.masked_invalid(values)
    if not proj.azimuthal:
        mid = 0.5 * (lon_e[0] + lon_e[-1])
        base = lon2 + 360.0 * np.round((proj.lon0_deg - mid) / 360.0)
        x0, x1 = sorted(ax.get_xlim())
        mesh = None
        for shift in (0.0, -360.0, 360.0):  # copies reaching into the view (the first always, for colorbars)
            xs = base + shift
            if shift and (xs.max() < x0 or xs.min() > x1):
                continue
            m = ax.pcolormesh(xs, lat2, data, cmap=cmap, vmin=vmin, vmax=vmax, **kw)
            if mesh is None:
                mesh = m
        return mesh
    x, y = proj.clamped(lon2, lat2)
    vis = proj.visible(lon2, lat2)
    cell_vis = vis[:-1, :-1] & vis[1:, :-1] & vis[:-1, 1:] & vis[1:, 1:]
    data = np.ma.masked_where(~cell_vis, data)
    return ax.pcolormesh(x, y, data, cmap=cmap, vmin=vmin, vmax=vmax, **kw)


def save(fig, path, palette: bool = True) -> _FsPath:
    """Write the figure to ``path`` (.png at 150 dpi, .svg or .pdf) and close it.

    ``palette``: an opaque PNG is stored with a 256-colour palette (octree: about
    4x smaller than full colour, and a third smaller than a median-cut palette);
    maps and plots have few colours: the base-map colours survive to within 2/255,
    antialiased edges to within about 15/255."""
    path = _FsPath(path)
    opts = SAVE_FORMATS.get(path.suffix.lower())
    if opts is None:
        raise ValueError(f"unsupported map format {path.suffix!r}: use one of {sorted(SAVE_FORMATS)}")
    try:
        if palette and path.suffix.lower() == ".png":
            import io

            from PIL import Image

            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.05, **opts)
            buf.seek(0)
            img = Image.open(buf)
            if img.mode == "RGBA" and img.getchannel("A").getextrema() == (255, 255):
                img = img.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
            img.save(path, format="PNG", optimize=True)
        else:
            fig.savefig(path, bbox_inches="tight", pad_inches=0.05, **opts)
    finally:
        if "matplotlib.pyplot" in sys.modules:  # a pyplot-managed figure: release it
            sys.modules["matplotlib.pyplot"].close(fig)
    return path


__all__ = ["PROJECTIONS", "MapProjection", "add_scale_bar", "map_axes", "place_labels", "plot_grid", "plot_lines", "plot_points",
           "plot_polygons", "save", "scale_length"]
