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

The projections are in mapproj and the base map (map_axes, its graticule labels
and scale bar) in basemap; this module holds the overlays (the plot_* helpers),
the placement of labels and save; every name is importable from here.
"""

from __future__ import annotations

import sys
from pathlib import Path as _FsPath

import numpy as np
from matplotlib.colors import is_color_like
from matplotlib.patches import PathPatch
from matplotlib.text import Text

from . import basemap, mapproj
from .basemap import SAVE_FORMATS, add_scale_bar, label_obstacles, map_axes, scale_length, text_renderer
from .mapproj import PROJECTIONS, Z_GRID, Z_LINE, Z_POINT, Z_POLY, MapProjection

# the maps' constants, importable from here as before the projections and the base map had modules of their own
SPHERE_RADIUS_M = mapproj.SPHERE_RADIUS_M
LAND_COLOR, OCEAN_COLOR, BORDER_COLOR, COAST_COLOR, GRATICULE_COLOR, SPACE_COLOR = (
    basemap.LAND_COLOR, basemap.OCEAN_COLOR, basemap.BORDER_COLOR, basemap.COAST_COLOR, basemap.GRATICULE_COLOR,
    basemap.SPACE_COLOR)


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
    kw.setdefault("zorder", Z_LINE)
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
    kw.setdefault("zorder", Z_POINT)
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
    renderer = text_renderer(fig)
    ax.apply_aspect()
    placed, marks = label_obstacles(ax)  # boxes of the labels and of the labelled points, in pixels
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
                                  ha=ha, va=va, fontsize=fontsize, color=color, zorder=Z_POINT,
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
    kw.setdefault("zorder", Z_POLY)
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
    kw.setdefault("zorder", Z_GRID)
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
