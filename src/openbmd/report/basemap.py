"""The base map of the report's maps (see maps): ocean, land, borders,
coastlines and graticule in one of three projections, with the graticule's
degree labels and a scale bar; and the boxes that labels keep off."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, PathPatch
from matplotlib.path import Path
from matplotlib.text import Text

from openbmd import geo

from .mapproj import PROJECTIONS, SPHERE_RADIUS_M, Z_BORDER, Z_COAST, Z_GRATICULE, Z_LAND, Z_OUTLINE, MapProjection, land_paths

LAND_COLOR = "#ede7d9"
OCEAN_COLOR = "#d6e6f2"
BORDER_COLOR = "#8f8f8f"
COAST_COLOR = "#5f7382"
GRATICULE_COLOR = "#a9bccb"
SPACE_COLOR = "white"

SAVE_FORMATS = {".png": {"dpi": 150}, ".svg": {}, ".pdf": {}}


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
    proj, view, span = _projection_and_view(extent, projection, center_deg)
    fig, ax = _frame(ax, figsize, proj, view)
    step = graticule_step_deg or _graticule_step(span)
    _base_layers(ax, proj, view, step, land, borders)
    if graticule_labels:
        _label_graticule(ax, proj, view, step, whole)
    if scale_bar:
        add_scale_bar(ax, proj)
    return fig, ax, proj


def _projection_and_view(extent, projection: str, center_deg):
    """The projection of a map of ``extent`` (None: the whole world), its view
    limits (x0, x1, y0, y1) and the extent's larger span (deg)."""
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
    return proj, view, max(lon_max - lon_min, lat_max - lat_min)


def _frame(ax, figsize, proj: MapProjection, view):
    """The axes of a map (a new figure's unless ``ax`` is given), set to the view:
    ocean (on a globe: the disc, in space), no ticks. Returns ``(fig, ax)``."""
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
    if proj.kind == "orthographic":
        ax.set_facecolor(SPACE_COLOR)
        for s in ax.spines.values():
            s.set_visible(False)
        r = proj.horizon_radius
        ax.add_patch(Circle((0.0, 0.0), r, facecolor=OCEAN_COLOR, edgecolor="none", zorder=0.5))
        ax.add_patch(Circle((0.0, 0.0), r, facecolor="none", edgecolor=COAST_COLOR, lw=0.8, zorder=Z_OUTLINE))
    else:
        for s in ax.spines.values():
            s.set_linewidth(0.6)
            s.set_edgecolor("#555555")
    return fig, ax


def _base_layers(ax, proj: MapProjection, view, step: float, land: bool, borders: bool):
    """Land, then the graticule every ``step`` degrees, borders and coastlines."""
    if land:
        paths = land_paths(proj, view)
        if paths:
            # add_artist: no data-limit update (slow for big paths; the view is fixed)
            land_patch = PathPatch(Path.make_compound_path(*paths), facecolor=LAND_COLOR, edgecolor="none", zorder=Z_LAND)
            ax.add_artist(land_patch)

    dense = min(0.5, step / 10.0)
    n_lat, n_lon = int(180 / dense) + 1, int(360 / dense) + 1
    grat = [np.column_stack((np.full(n_lat, lo), np.linspace(-90.0, 90.0, n_lat))) for lo in np.arange(-180.0, 180.0, step)]
    grat += [np.column_stack((np.linspace(-180.0, 180.0, n_lon), np.full(n_lon, la)))
             for la in np.arange(-90.0 + step, 90.0 - 1e-9, step)]
    layers = [(grat, GRATICULE_COLOR, 0.4, Z_GRATICULE)]
    if borders:
        layers.append((geo.borders(), BORDER_COLOR, 0.4, Z_BORDER))
    if land:
        layers.append((geo.coastlines(), COAST_COLOR, 0.5, Z_COAST))
    for lines, color, width, z in layers:
        ax.add_collection(LineCollection(_segments(proj, lines, view), colors=color, linewidths=width, zorder=z))
    # add_collection would autoscale on some versions: restore the view
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])


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
    anchored.set_zorder(Z_OUTLINE)
    ax.add_artist(anchored)
    renderer = text_renderer(ax.figure)
    label_obstacles(ax)[0].append(np.array(anchored.get_window_extent(renderer).extents))
    ax._openbmd_scale_bar = (km, length, anchored)
    return anchored


def _deg_text(v: float, kind: str) -> str:
    """'20°E', '10°W', '50°N', '0°'."""
    v = float(geo.wrap_lon_deg(v)) if kind == "lon" else float(v)
    if abs(v) < 1e-9 or (kind == "lon" and abs(abs(v) - 180.0) < 1e-9):
        return f"{abs(v):g}°"
    hemi = ("E" if v > 0 else "W") if kind == "lon" else ("N" if v > 0 else "S")
    return f"{abs(v):g}°{hemi}"


_GRAT_LABEL = dict(fontsize=6, color="#4a5f70", zorder=Z_OUTLINE, clip_on=True,
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
        renderer = text_renderer(ax.figure)
        ax.apply_aspect()
        label_obstacles(ax)[0].extend(np.array(t.get_window_extent(renderer).extents) for t in new)


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


def text_renderer(fig):
    """A renderer to measure text with (any canvas; a bare Figure gets its default one)."""
    get = getattr(fig.canvas, "get_renderer", None)
    return get() if get is not None else fig._get_renderer()


def label_obstacles(ax) -> tuple[list, list]:
    """The boxes (x0, y0, x1, y1, in pixels) that place_labels keeps labels off,
    kept on the axes: those of placed labels, graticule labels and the scale bar,
    and those of labelled points."""
    if not hasattr(ax, "_openbmd_labels"):
        ax._openbmd_labels = ([], [])  # boxes of the labels and of the labelled points, in pixels
    return ax._openbmd_labels

