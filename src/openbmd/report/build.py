"""The scenario report: an HTML page with maps, plots, tables and every
assumption, plus machine-readable tables (CSV, Parquet, JSON) and map layers
(a compact, gzip-compressed GeoJSON per architecture; with ``full_geo``,
full-resolution GeoJSON, KML and CZML, uncompressed). The default folder stays
under REPORT_BYTES_MAX (the test suite checks it).

Everything is written into a fresh temporary folder beside the destination
and moved into place only when complete: a failure leaves nothing behind, and
a destination that is not an earlier openbmd report is never overwritten.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..analysis.assess import Assessment, assess
from ..analysis.footprint import DEFENDED, UNDEFENDED, Footprint, footprint
from ..analysis.phases import phases, south_vs_north
from ..analysis.track import cue_text
from . import geoexport as G
from . import maps as M
from ..errors import OpenBMDError
from ..jsonsafe import jsonable

MARKER = ".openbmd-report"
FIG_FORMATS = ("png", "svg", "pdf")
C_ENGAGE = "#c0392b"  # engageable
C_SAFE = "#4a6f8a"  # not engageable
C_SITE = "#1b7837"
C_RADAR = "#7b3294"
C_LAUNCH = "#8c2d04"  # launch fields
C_TARGET = "#252525"  # target cities
GEO_STEP_S = 60.0  # s between trajectory points in the default GeoJSON (smooth in midcourse)
GEO_DECIMALS = 4  # lon/lat decimals in the default GeoJSON (1e-4 deg: ~11 m)
FULL_GEO_STEP_S = 10.0  # --full-geo
REPORT_BYTES_MAX = 9_000_000  # the default report folder of the default scenario stays under this


class ReportError(OpenBMDError, ValueError):
    """The report cannot be written as asked (message says why)."""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "scenario"


@dataclass
class ReportResult:
    out_dir: Path
    files: list
    data: dict  # what summary.json holds


# ------------------------------------------------------------ geometry ----
def _tracks(assessment: Assessment):
    """Ground tracks (lon, lat deg) and altitude (m) of each threat trajectory."""
    tr = assessment.flights.trajectories
    lat, lon, h = tr.samples_geodetic
    out = []
    for i in range(len(tr)):
        n = int(tr.n_samples[i])
        out.append((np.degrees(lon[i, :n]), np.degrees(lat[i, :n]), h[i, :n], tr.sample_times[:n]))
    return out


def _radar_sector(r, rcs, n=61):
    """Ground footprint of a radar's search sector out to its detection range
    for ``rcs`` (capped by its instrumented range): (lon, lat) ring in degrees."""
    from .. import earth as E

    rng = min(float(r.detection_range(rcs)), r.max_range)
    if r.azimuth_half_width >= math.pi - 1e-9:
        az = np.linspace(0, 2 * np.pi, n)
        la, lo = E.geodesic_direct(np.full(n, r.lat), np.full(n, r.lon), az, np.full(n, rng))
        return np.column_stack([np.degrees(lo), np.degrees(la)])
    az = r.boresight_azimuth + np.linspace(-r.azimuth_half_width, r.azimuth_half_width, n)
    la, lo = E.geodesic_direct(np.full(n, r.lat), np.full(n, r.lon), az, np.full(n, rng))
    ring = np.column_stack([np.degrees(lo), np.degrees(la)])
    site = np.array([[math.degrees(r.lon), math.degrees(r.lat)]])
    return np.vstack([site, ring, site])


def fly_out_fans(assessment: Assessment, t=300.0, altitude=150e3):
    """Fly-out fans (lon, lat deg rings) of each scenario battery at its first station."""
    res = assessment.engagements
    out = []
    seen = set()
    for k, j in enumerate(assessment.parent):
        if j in seen:
            continue
        seen.add(j)
        la, lo = res.fan(k, t, altitude)
        out.append((assessment.scenario.batteries[j], np.column_stack([np.degrees(lo), np.degrees(la)])))
    return out


def features(assessment: Assessment, fp: Footprint | None, track_step_s: float = 10.0) -> list:
    """Map layers for GeoJSON / KML / CZML (trajectories sampled every
    ``track_step_s``, and at their last point)."""
    sc = assessment.scenario
    feats = []
    per = assessment.per_threat()
    for i, (lon, lat, h, t) in enumerate(_tracks(assessment)):
        row = per.iloc[i]
        ok = np.isfinite(lon) & np.isfinite(lat)
        stride = max(1, int(round(track_step_s / assessment.flights.trajectories.options.output_step)))
        keep = np.zeros_like(ok)
        keep[::stride] = True
        if ok.any():
            keep[np.nonzero(ok)[0][-1]] = True
        ok &= keep
        if ok.sum() < 2:
            continue
        feats.append(G.Feature("line", np.column_stack([lon[ok], lat[ok], h[ok]]), {
            "layer": "trajectory", "name": row["label"], "role": row["role"], "group": row["group"],
            "engageable": bool(row["engageable"]), "best_margin_s": row["best_margin_s"],
            "best_battery": row["best_battery"], "color": C_ENGAGE if row["engageable"] else C_SAFE,
        }, time=t[ok]))
    for b in sc.batteries:
        la, lo = b.stations[0]
        feats.append(G.Feature("point", (math.degrees(lo), math.degrees(la)), {
            "layer": "battery", "name": b.name, "interceptor": b.interceptor.name, "count": b.count, "kind": b.kind,
            "cued_by": cue_text(b), "color": C_SITE}))
        if b.patrol_box:
            a0, a1, o0, o1 = b.patrol_box
            feats.append(G.Feature("polygon", np.array([[o0, a0], [o1, a0], [o1, a1], [o0, a1]]), {
                "layer": "patrol_box", "name": f"{b.name} patrol box", "color": C_SITE}))
    for r in sc.radars.values():
        feats.append(G.Feature("point", (math.degrees(r.lon), math.degrees(r.lat)), {
            "layer": "radar", "name": r.name, "color": C_RADAR}))
        feats.append(G.Feature("polygon", _radar_sector(r, sc.rcs), {
            "layer": "radar_coverage", "name": f"{r.name} coverage ({sc.rcs:g} m^2)", "color": C_RADAR}))
    for b, ring in fly_out_fans(assessment):
        if len(ring) >= 3 and np.isfinite(ring).all():
            feats.append(G.Feature("polygon", ring, {"layer": "flyout_fan", "name": f"{b.name}: 150 km altitude within 300 s",
                                                     "color": C_SITE}))
    if fp is not None:
        # runs of equal status along each latitude row, as rectangles (a cell each would be ~10x more features)
        h = fp.step_deg / 2
        for st, name, col in ((DEFENDED, "defended", "#2c7bb6"), (UNDEFENDED, "not defended", "#fdae61")):
            for i, a in enumerate(fp.lat_deg):
                row = np.concatenate([[False], fp.status[i] == st, [False]])
                edges = np.flatnonzero(np.diff(row.astype(np.int8)))
                for j0, j1 in zip(edges[::2], edges[1::2]):
                    o0, o1 = fp.lon_deg[j0] - h, fp.lon_deg[j1 - 1] + h
                    feats.append(G.Feature("polygon", np.array([[o0, a - h], [o1, a - h], [o1, a + h], [o0, a + h]]), {
                        "layer": "footprint", "name": name, "cells": int(j1 - j0),
                        "area_km2": float(fp.cell_area_km2[i, j0:j1].sum()), "color": col}))
    return feats


# -------------------------------------------------------------- figures ----
def fig_map(assessment: Assessment, role: str, path: Path, title: str):
    M.save(_map_figure(assessment, role, title), path)


def _map_figure(assessment: Assessment, role: str, title: str):
    """The map of one role's trajectories: ground tracks, batteries with fly-out
    fans, radar coverage, and the role's launch fields and target cities, labelled
    without overlaps (batteries first)."""
    sc = assessment.scenario
    per = assessment.per_threat()
    sel = np.nonzero((per["role"] == role).to_numpy())[0]
    tracks = _tracks(assessment)
    if role == "strategic":
        fig, ax, proj = M.map_axes(None, "orthographic", figsize=(8, 8), center_deg=(-5.0, 62.0))
    else:
        fig, ax, proj = M.map_axes((-12.0, 62.0, 24.0, 66.0), "lambert", figsize=(9, 6.5))
    for b, ring in fly_out_fans(assessment):
        if len(ring) >= 3 and np.isfinite(ring).all():
            M.plot_polygons(ax, proj, [ring], facecolor=C_SITE, edgecolor=C_SITE, alpha=0.12)
    for r in sc.radars.values():
        M.plot_polygons(ax, proj, [_radar_sector(r, sc.rcs)], facecolor=C_RADAR, edgecolor=C_RADAR, alpha=0.08)
    for want in (False, True):
        lines = [(tracks[i][0], tracks[i][1]) for i in sel if bool(per["engageable"].iloc[i]) == want]
        if lines:
            M.plot_lines(ax, proj, lines, colors=C_ENGAGE if want else C_SAFE, linewidth=1.4 if want else 0.7,
                         alpha=0.95 if want else 0.6)
    lon = [math.degrees(b.stations[0][1]) for b in sc.batteries]
    lat = [math.degrees(b.stations[0][0]) for b in sc.batteries]
    if lon:
        M.plot_points(ax, proj, lon, lat, labels=[b.name for b in sc.batteries], c=C_SITE, marker="^", s=40)
    for b in sc.batteries:
        if b.patrol_box:
            a0, a1, o0, o1 = b.patrol_box
            M.plot_polygons(ax, proj, [np.array([[o0, a0], [o1, a0], [o1, a1], [o0, a1]])], facecolor="none",
                            edgecolor=C_SITE, alpha=0.9, linewidth=1.0)
    launches, targets = {}, {}
    for t in sc.threats:
        if t.role == role:
            launches.update((p.name, p) for p in t.launches)
            targets.update((p.name, p) for p in t.targets if p.name not in launches)
    for places, color, marker, size in ((launches, C_LAUNCH, "s", 22), (targets, C_TARGET, "o", 14)):
        if places:
            ps = list(places.values())
            M.plot_points(ax, proj, [math.degrees(p.lon) for p in ps], [math.degrees(p.lat) for p in ps],
                          labels=list(places), c=color, marker=marker, s=size, label_size=6, label_color=color)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=C_ENGAGE, lw=1.6, label="can be engaged"),
               Line2D([], [], color=C_SAFE, lw=1.0, label="cannot be engaged"),
               Line2D([], [], color=C_SITE, marker="^", lw=0, label="battery (fan: 150 km alt. within 300 s)"),
               Line2D([], [], color=C_RADAR, lw=4, alpha=0.3, label=f"radar coverage ({sc.rcs:g} m²)")]
    if launches:
        handles.append(Line2D([], [], color=C_LAUNCH, marker="s", lw=0, markersize=4, label="launch field"))
    if targets:
        handles.append(Line2D([], [], color=C_TARGET, marker="o", lw=0, markersize=3.5, label="target"))
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    ax.set_title(title, fontsize=10)
    return fig


def fig_footprint(fps: list, path: Path):
    """Footprint maps, one panel per (title, Footprint) of ``fps``, written to ``path``."""
    from matplotlib.colors import ListedColormap

    n = len(fps)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(4.2 * cols, 3.8 * rows))
    FigureCanvasAgg(fig)
    cmap = ListedColormap(["#d9d9d9", "#fdae61", "#2c7bb6"])
    for k, (title, fp) in enumerate(fps):
        ax = fig.add_subplot(rows, cols, k + 1)
        la0, la1 = fp.lat_deg[0] - fp.step_deg / 2, fp.lat_deg[-1] + fp.step_deg / 2
        lo0, lo1 = fp.lon_deg[0] - fp.step_deg / 2, fp.lon_deg[-1] + fp.step_deg / 2
        _, ax, proj = M.map_axes((lo0, lo1, la0, la1), "lambert", ax=ax)
        M.plot_grid(ax, proj, fp.lat_deg, fp.lon_deg, fp.status, cmap=cmap, vmin=-1.5, vmax=1.5, alpha=0.85)
        ax.set_title(f"{title}\ndefended {fp.defended_area_km2 / 1e3:,.0f} thousand km²", fontsize=8)
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color="#2c7bb6", label="defended aim point"), Patch(color="#fdae61", label="not defended"),
                        Patch(color="#d9d9d9", label="beyond the missile's reach")],
               loc="lower center", ncol=3, fontsize=8)
    fig.subplots_adjust(bottom=0.08)
    M.save(fig, path)




def _pick_threats(assessment: Assessment, k=6):
    per = assessment.per_threat()
    picks = []
    for role in ("strategic", "southern"):
        t = per[(per["role"] == role) & per["best_margin_s"].notna()].sort_values("best_margin_s", ascending=False)
        picks += list(t.index[: k // 2])
    return picks


def _fig_profiles(assessment: Assessment, path: Path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    per = assessment.per_threat()
    tracks = _tracks(assessment)
    tr = assessment.flights.trajectories
    from .. import earth as E

    fig = Figure(figsize=(9, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    pairs = assessment.pairs
    m = len(assessment.scenario.batteries)
    for i in _pick_threats(assessment):
        n = int(tr.n_samples[i])
        h = tracks[i][2] / 1e3
        lat, lon, _ = tr.samples_geodetic
        x = E.geodesic_inverse(tr.launch_lat[i], tr.launch_lon[i], lat[i, :n], lon[i, :n], tr.options.earth)[0] / 1e3
        line, = ax.plot(x, h, lw=1.0, label=per["label"].iloc[i])
        if m and per["engageable"].iloc[i]:
            pr = pairs.iloc[i * m:(i + 1) * m]
            best = pr[pr["engageable"]].sort_values("margin_s").iloc[-1]
            t = tracks[i][3]
            w = (t >= best["earliest_intercept_s"]) & (t <= best["latest_intercept_s"])
            ax.plot(x[w], h[w], lw=4, color=line.get_color(), alpha=0.5)
    ax.set_xlabel("ground range from launch (km)")
    ax.set_ylabel("altitude (km)")
    ax.set_title("Altitude versus range; thick: the intercept window of the best battery", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6, loc="upper right")
    ax.grid(alpha=0.3)
    M.save(fig, path)


def _fig_timeline(assessment: Assessment, path: Path):
    M.save(_timeline_figure(assessment), path)


def _timeline_figure(assessment: Assessment):
    """Launch and intercept windows of the trajectories closest to engagement;
    the legend sits below the axes, clear of every bar."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    per = assessment.per_threat()
    pairs = assessment.pairs
    m = len(assessment.scenario.batteries)
    picks = _pick_threats(assessment, k=10)
    height = 0.5 * max(len(picks), 2) + 1.4
    legend_in = 0.55  # below the axes: two rows of legend
    fig = Figure(figsize=(9, height + legend_in))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    labels = []
    for row, i in enumerate(picks):
        pr = pairs.iloc[i * m:(i + 1) * m]
        pr = pr[np.isfinite(pr["margin_s"].to_numpy(dtype=float))]
        if pr.empty:
            labels.append(per["label"].iloc[i])
            continue
        b = pr.sort_values("margin_s").iloc[-1]
        t0, t1 = b["earliest_launch_s"], b["latest_launch_s"]
        col = "#1a9850" if t1 >= t0 else "#d73027"
        ax.barh(row, abs(t1 - t0), left=min(t0, t1), height=0.35, color=col, alpha=0.8)
        if np.isfinite(b["earliest_intercept_s"]):
            ax.barh(row + 0.35, b["latest_intercept_s"] - b["earliest_intercept_s"], left=b["earliest_intercept_s"],
                    height=0.3, color="#2c7bb6", alpha=0.8)
        ax.plot([per["flight_time_s"].iloc[i]] * 2, [row - 0.3, row + 0.6], color="k", lw=0.8)
        labels.append(f"{per['label'].iloc[i]}  ({b['battery']})")
    ax.set_yticks(range(len(picks)), labels, fontsize=6)
    ax.set_xlabel("time after threat launch (s)")
    ax.set_title("Engagement timeline of the trajectories closest to engagement (best battery of each)", fontsize=9)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color="#1a9850", label="launch window: earliest permitted to latest useful launch"),
                        Patch(color="#d73027", label="shortfall: the launch would be needed before it is permitted"),
                        Patch(color="#2c7bb6", label="intercept window"), Line2D([], [], color="k", lw=0.8, label="impact")],
               fontsize=6, loc="lower center", ncol=2, frameon=False)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout(rect=(0, legend_in / (height + legend_in), 1, 1))
    return fig


# --------------------------------------------------------------- tables ----
COLLAPSE_ROWS = 25  # longer tables are folded (<details>), the CSV beside the report has them all
_UNITS = (("_km_s", "km/s"), ("_m_s", "m/s"), ("_km2", "km²"), ("_m2", "m²"), ("_km", "km"), ("_deg", "deg"),
          ("_seconds", "s"), ("_s", "s"), ("_m", "m"))
_NOT_COUNTS = ("year",)  # integer columns printed without a thousands separator


def _header(col) -> str:
    """A column name in words with its unit: 'best_margin_s' -> 'Best margin (s)',
    'defended_area_km2' -> 'Defended area (km²)'; names without underscores
    (phase names, 'attrited if ...') are kept, with a capital first letter."""
    c = str(col)
    unit = ""
    if "_" in c:
        for suffix, u in _UNITS:
            if c.endswith(suffix) and len(c) > len(suffix):
                c, unit = c[: -len(suffix)], f" ({u})"
                break
        c = c.replace("_", " ")
    return c[:1].upper() + c[1:] + unit


def _count_columns(df: pd.DataFrame) -> set:
    """Numeric columns whose every finite value is a whole number (counts such
    as warheads): printed as integers, '1,509' not '1,509.0'."""
    out = set()
    for c in df.columns:
        col = df[c]
        if str(c) in _NOT_COUNTS or col.dtype == bool or not pd.api.types.is_numeric_dtype(col):
            continue
        v = col.to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if v.size and np.all(v == np.round(v)) and "share" not in str(c):
            out.add(c)
    return out


def _fmt(v, col="", count: bool = False):
    if v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(v)):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)) and col not in _NOT_COUNTS:
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        if "share" in col:
            return f"{100 * v:.1f} %"
        if "km2" in col or count:
            return f"{v:,.0f}"
        return f"{v:,.1f}" if abs(v) >= 10 or v == 0 else f"{v:.3g}"
    return html.escape(str(v))


def html_table(df: pd.DataFrame, max_rows: int = 400, csv: str | None = None, what: str = "") -> str:
    """The table with headers in words; past COLLAPSE_ROWS rows (or with
    ``csv``, the table's file relative to the report) it is folded in a
    <details> element, closed, whose summary says how many rows and links
    the CSV."""
    counts = _count_columns(df)
    # text columns read left-aligned, numbers right-aligned
    text = ["" if pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]) else " class='t'"
            for c in df.columns]
    head = "".join(f"<th{k}>{html.escape(_header(c))}</th>" for c, k in zip(df.columns, text))
    shown = df.head(max_rows)
    # column by column: each keeps its own type (a row of mixed numbers would be all floats)
    cells = [[f"<td{text[k]}>{_fmt(v, str(c), c in counts)}</td>" for v in shown.iloc[:, k].tolist()]
             for k, c in enumerate(df.columns)]
    body = ["<tr>" + "".join(row) + "</tr>" for row in zip(*cells)] if cells else []
    more = f"<p class='note'>{len(df) - max_rows} more rows in the CSV.</p>" if len(df) > max_rows else ""
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"
    if len(df) <= COLLAPSE_ROWS and csv is None:
        return table
    link = f", all in <a href='{html.escape(csv)}'>{html.escape(Path(csv).name)}</a>" if csv else ""
    return (f"<details><summary>{html.escape(what or 'Table')}: {len(df):,} rows (click to show){link}</summary>"
            f"{table}</details>")


GZIP_CSV_ROWS = 300  # longer tables are written as .csv.gz (pandas, R and most tools read it directly)


def _write_table(df: pd.DataFrame, base: Path, files: list) -> Path:
    """CSV (gzip-compressed past GZIP_CSV_ROWS rows) and Parquet; returns the CSV's path."""
    base.parent.mkdir(parents=True, exist_ok=True)
    csv = base.with_name(base.name + (".csv.gz" if len(df) > GZIP_CSV_ROWS else ".csv"))
    df.to_csv(csv, index=False)
    df.to_parquet(base.with_suffix(".parquet"), index=False)
    files += [csv, base.with_suffix(".parquet")]
    return csv


CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0;display:block;max-width:100%;overflow-x:auto}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right;vertical-align:top}
th{background:#f3f3f3;font-weight:600;min-width:3.5em;max-width:12em;overflow-wrap:break-word}
td{max-width:30em;overflow-wrap:break-word}
td:first-child,th:first-child,td.t,th.t{text-align:left}img{max-width:100%;height:auto;border:1px solid #eee}figure{margin:1em 0}
details{margin:.5em 0}summary{cursor:pointer;color:#245;font-size:.9em}
.note{color:#555;font-size:.85em}td.flip{background:#fde2c8;font-weight:bold}ul.assume{font-size:.85em}code{background:#f5f5f5;padding:0 .2em}
@media print{body{max-width:none;margin:0;font-size:10pt}nav{display:none}table{display:table;font-size:7.5pt}
h2,h3{break-after:avoid}figure,img,tr{break-inside:avoid}section{break-before:page}a{color:inherit}}"""


def _robustness_html(rob, tmp: Path, files: list) -> str:
    """Rows of assumption sets, columns of phases; the cells whose answer
    (some strategic trajectory engageable, or none) differs from the scenario
    as declared are marked."""
    _write_table(rob.table(), tmp / "tables" / "robustness", files)
    out = ["<p>The same architectures under each assumption set. The cue sets are nested: each cues no later and "
           "guides no less than the one above it, so the strategic share never falls down the first four rows. "
           "A cell marked <b>&#9873;</b> gives the other answer than <i>as declared</i> (some strategic trajectory "
           "engageable, or none): the headline depends on that assumption.</p>"]
    for col, title in (("strategic_engageable_share", "Share of strategic trajectories engageable"),
                       ("southern_covered_share", "Share of southern threats covered")):
        m = rob.matrix(col)
        flips = rob.flips(col)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["assumption set", *m.columns])
        rows = []
        for k in m.index:
            cells = []
            for ph in m.columns:
                v = m.loc[k, ph]
                mark = " &#9873;" if flips.loc[k, ph] else ""
                style = " class='flip'" if flips.loc[k, ph] else ""
                cells.append(f"<td{style}>{_fmt(v, 'share')}{mark}</td>")
            rows.append(f"<tr><td>{html.escape(k)}</td>{''.join(cells)}</tr>")
        out.append(f"<h3>{html.escape(title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
                   "</tbody></table>")
    out.append(assumptions_html(rob.assumptions()))
    return "".join(out)


def _share(v) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{100 * v:.1f} %"


def _summary_html(rob) -> str:
    """The answer first: per architecture, as declared, the share of strategic
    trajectories some battery can engage and of southern threats covered;
    then which assumption sets change the answer in kind, and where. Read off
    the robustness table (the same numbers as the sections below)."""
    # a share is None where the scenario has no trajectory of that role: NaN here, "n/a" on the page
    st = rob.matrix("strategic_engageable_share").apply(pd.to_numeric, errors="coerce")
    so = rob.matrix("southern_covered_share").apply(pd.to_numeric, errors="coerce")
    row = "as declared" if "as declared" in st.index else st.index[0]
    names = list(st.columns)
    eng = [n for n in names if np.nan_to_num(st.loc[row, n]) > 0]
    out = ["<ul class='summary'>"]
    if st.loc[row].isna().all():
        out.append("<li><b>Strategic trajectories:</b> the scenario has none.</li>")
    elif eng:
        out.append(f"<li><b>Strategic trajectories:</b> as declared, {len(eng)} of {len(names)} "
                   f"architecture{'s' if len(names) != 1 else ''} can engage some: "
                   + "; ".join(f"{html.escape(n)} {_share(st.loc[row, n])}" for n in eng)
                   + (f". The others ({', '.join(html.escape(n) for n in names if n not in eng)}) engage none."
                      if len(eng) < len(names) else ".") + "</li>")
    else:
        out.append("<li><b>Strategic trajectories:</b> as declared, "
                   + ("no architecture here can engage any "f"({len(names)} compared).</li>" if len(names) > 1
                      else f"{html.escape(names[0])} can engage none.</li>"))
    sv = [(n, so.loc[row, n]) for n in names]
    best = max(sv, key=lambda x: np.nan_to_num(x[1]))
    out.append("<li><b>Southern threats covered</b> (the stated mission): "
               + "; ".join(f"{html.escape(n)} {_share(v)}" for n, v in sv)
               + (f". Most: {html.escape(best[0])}." if len(names) > 1 else ".") + "</li>")
    fl = rob.flips("strategic_engageable_share")
    cells = [(k, n, st.loc[k, n]) for k in fl.index for n in fl.columns if k != row and bool(fl.loc[k, n])]
    if cells:
        by_set: dict = {}
        for k, n, v in cells:
            by_set.setdefault(k, []).append(f"{html.escape(n)} {_share(v)}")
        out.append("<li><b>What the answer depends on:</b> these assumption sets change it in kind (some strategic "
                   "trajectory engageable, or none): "
                   + "; ".join(f"<i>{html.escape(k)}</i>: {', '.join(v)}" for k, v in by_set.items())
                   + " (section <a href='#depends'>What the answer depends on</a>).</li>")
    else:
        out.append("<li><b>What the answer depends on:</b> no assumption set of the robustness table changes it in "
                   "kind (section <a href='#depends'>What the answer depends on</a>).</li>")
    out.append("</ul><p class='note'>Shares count trajectories (every launch field, target and profile of the "
               "scenario's threat sets), not warheads; the strategic balance counts warheads. Every figure is "
               "recomputed by <code>openbmd report</code> from the catalog's public sources; the assumptions section "
               "lists each parameter and its source.</p>")
    return "".join(out)


def page_html(title: str, sections: list) -> str:
    nav = "".join(f"<li><a href='#{sid}'>{html.escape(h)}</a></li>" for sid, h, _ in sections)
    body = "".join(f"<section id='{sid}'><h2>{html.escape(h)}</h2>{content}</section>" for sid, h, content in sections)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='generator' content='openbmd {__version__}'><style>{CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class='note'>openbmd {__version__}, {stamp}. Every figure on this page "
            f"is recomputed from public sources by <code>openbmd report</code>; the assumptions section lists each "
            f"parameter and its source.</p><nav><ul>{nav}</ul></nav>{body}</body></html>")


def img_html(rel: str, caption: str) -> str:
    return f"<figure><img src='{html.escape(rel)}' alt='{html.escape(caption)}'><figcaption class='note'>{html.escape(caption)}</figcaption></figure>"


def assumptions_html(lines) -> str:
    return "<ul class='assume'>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"


def _assumptions_once(named: list) -> str:
    """The assumptions of several architectures ``[(name, lines)]``: those they
    all share once, then what differs, per architecture."""
    if len(named) == 1:
        return assumptions_html(named[0][1])
    rest = [set(lines) for _, lines in named[1:]]
    common = [x for x in dict.fromkeys(named[0][1]) if all(x in r for r in rest)]
    shared = set(common)
    out = [f"<p>Shared by all {len(named)} architectures:</p>", assumptions_html(common),
           "<h3>Differences per architecture</h3>"]
    for name, lines in named:
        own = [x for x in dict.fromkeys(lines) if x not in shared]
        out.append(f"<h4>{html.escape(name)}</h4>" + (assumptions_html(own) if own else "<p class='note'>none</p>"))
    return "".join(out)


def _path_names(scenario) -> list:
    """(absolute path, shown name) pairs, longest first: the scenario files by
    their path in the package ('openbmd/scenarios/epaa-phase1.toml') or, outside
    it, by their file name; then the package folder and the home folder. The
    report names no folder of the machine that ran it."""
    import openbmd

    pkg = Path(openbmd.__file__).resolve().parent
    names = {}
    for m in [scenario, *(scenario.phases or [])]:
        for f in [getattr(m, "path", None), *(getattr(m, "files", None) or [])]:
            if not f:
                continue
            p = Path(str(f))
            try:
                shown = "openbmd/" + p.resolve().relative_to(pkg).as_posix()
            except (ValueError, OSError):
                shown = p.name
            names[str(f)] = shown
            names[str(p.resolve())] = shown
    pairs = sorted(((k, v) for k, v in names.items() if Path(k).is_absolute()), key=lambda kv: -len(kv[0]))
    return pairs + [(str(pkg), "openbmd"), (str(Path.home()) + "/", "~/")]


def _public(text: str, pairs: list) -> str:
    for path, shown in pairs:
        text = text.replace(path, shown)
    return text


# ------------------------------------------------------------ sections ----
def _history_html(scenario, tmp: Path, files: list, data: dict) -> str:
    """The dated public record of the phases this scenario is built from
    (openbmd.history): one compact table per phase; '' when there is none."""
    from ..history import history_for, history_table

    events = history_for(scenario)
    if not events:
        return ""
    table = history_table(events)
    _write_table(table, tmp / "tables" / "history", files)
    data["history"] = table.to_dict(orient="records")
    out = ["<p class='note'>What each phase was announced as (17 September 2009), what was deployed when, and "
           "what was cancelled, each with the key of its source in docs/sources.md (statuses there). "
           "Dates are as precise as the source.</p>"]
    for phase, df in table.groupby("phase", sort=False):
        out.append(f"<h3>{html.escape(str(phase))}</h3>" + html_table(df.drop(columns=["phase"])))
    return "".join(out)


def _drawn_html(scenarios, tmp: Path, files: list, data: dict) -> str:
    """The parameters the uncertainty Monte Carlo (``openbmd guarantee
    uncertainty``) draws for these scenarios, with their ranges and sources."""
    from ..uncertainty import drawn_parameters

    rows = {}
    for sc in scenarios:
        for r in drawn_parameters(sc):
            rows.setdefault(r["parameter"], r)
    if not rows:
        return ""
    df = pd.DataFrame(list(rows.values()), columns=["parameter", "unit", "nominal", "low", "high", "source", "what"])
    _write_table(df, tmp / "tables" / "uncertainty_ranges", files)
    data["uncertainty_ranges"] = df.to_dict(orient="records")
    return ("<h3>Ranges the uncertainty Monte Carlo draws</h3><p class='note'><code>openbmd guarantee uncertainty</code> "
            "draws each parameter below uniformly within its range, seeded per sample (with a guarantee's launch "
            "delay in place of the decision time when it sets one); the headline figures above use the nominal "
            "values.</p>" + html_table(df.drop(columns=["what"])))


def _scenario_sections(a: Assessment, fp: Footprint | None, tmp: Path, prefix: str, fmt: str, files: list, data: dict,
                       heading: str = "", full_geo: bool = False):
    sc = a.scenario
    secs = []
    sid = slug(prefix or sc.name)
    svn = south_vs_north(a)
    fields = a.per_field()
    per = a.per_threat()
    tdir = tmp / "tables" / (prefix or "")
    _write_table(a.pairs, tdir / "engagements", files)
    per_csv = _write_table(per, tdir / "threats", files).relative_to(tmp).as_posix()
    _write_table(fields, tdir / "fields", files)
    _write_table(svn, tdir / "south_vs_north", files)
    _write_table(a.flights.skipped, tdir / "skipped", files)
    figs = tmp / "figures"
    figs.mkdir(exist_ok=True)
    f1 = figs / f"{sid}-map-strategic.{fmt}"
    fig_map(a, "strategic", f1, f"{sc.name}: strategic trajectories")
    f2 = figs / f"{sid}-map-southern.{fmt}"
    fig_map(a, "southern", f2, f"{sc.name}: threats from the south")
    f3 = figs / f"{sid}-profiles.{fmt}"
    _fig_profiles(a, f3)
    f4 = figs / f"{sid}-timeline.{fmt}"
    _fig_timeline(a, f4)
    files += [f1, f2, f3, f4]
    rel = lambda p: str(p.relative_to(tmp))  # noqa: E731
    body = (f"<p>{html.escape(sc.description)}</p>" + html_table(svn) +
            img_html(rel(f1), "Strategic trajectories (ground tracks), batteries with fly-out fans, radar coverage") +
            img_html(rel(f2), "Threats from the south") +
            "<h3>Per launch field</h3>" + html_table(fields) +
            img_html(rel(f3), "Altitude versus ground range of the trajectories closest to engagement") +
            img_html(rel(f4), "Engagement timeline of the trajectories closest to engagement") +
            "<h3>Every threat trajectory</h3>" +
            html_table(per.drop(columns=["label"]), csv=per_csv, what="Every threat trajectory") +
            (("<h3>Pairs not flown</h3>" + html_table(a.flights.skipped, what="Pairs not flown"))
             if len(a.flights.skipped) else ""))
    secs.append((sid, heading or sc.name, body))
    entry = {
        "name": sc.name, "south_vs_north": svn.to_dict(orient="records"), "per_field": fields.to_dict(orient="records"),
        "strategic_engageable_share": a.share("strategic"), "southern_covered_share": a.share("southern"),
        "assumptions": a.assumptions(),
    }
    if fp is not None:
        _write_table(fp.to_dataframe(), tdir / "footprint", files)
        f5 = figs / f"{sid}-footprint.{fmt}"
        fig_footprint([(sc.name, fp)], f5)
        files.append(f5)
        secs.append((f"{sid}-footprint", f"{heading or sc.name}: defended footprint",
                     html_table(pd.DataFrame([fp.summary()])) + html_table(fp.countries) + html_table(fp.cities) +
                     img_html(rel(f5), f"Defended footprint: {fp.missile} from {fp.launch_area}") +
                     "<p class='note'>Its assumptions are listed under <a href='#assumptions'>Assumptions and "
                     "sources</a>.</p>"))
        entry["footprint"] = fp.summary()
        entry["footprint_countries"] = fp.countries.to_dict(orient="records")
        entry["footprint_cities"] = fp.cities.to_dict(orient="records")
    gdir = tmp / "geo"
    gdir.mkdir(exist_ok=True)
    base = gdir / sid
    if full_geo:
        feats = features(a, fp, track_step_s=FULL_GEO_STEP_S)
        files += [G.write_geojson(base.with_suffix(".geojson"), feats),
                  G.write_kml(base.with_suffix(".kml"), feats, sc.name),
                  G.write_czml(base.with_suffix(".czml"), feats, sc.name)]
    else:
        files.append(G.write_geojson(base.with_name(base.name + ".geojson.gz"),
                                     features(a, fp, track_step_s=GEO_STEP_S), decimals=GEO_DECIMALS))
    data.setdefault("scenarios", []).append(entry)
    return secs


def check_destination(out_dir: Path):
    """A destination folder may be new, empty, or an earlier openbmd output
    (marked by MARKER); anything else the user keeps there is never replaced."""
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).exists())):
        raise ReportError(f"{out_dir} exists and is not an earlier openbmd output: not overwriting it "
                          "(choose another folder)")


@contextmanager
def staged_folder(out_dir):
    """A fresh temporary folder beside ``out_dir`` to write into; when the
    block completes it replaces ``out_dir`` as a whole (marked as openbmd
    output), and when it fails it is removed: no partial output is left."""
    out_dir = Path(out_dir)
    check_destination(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
        (tmp / MARKER).write_text("openbmd output folder: openbmd may replace it\n", encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_report(scenario, out_dir, *, fmt: str = "png", progress=None, full_geo: bool = False) -> ReportResult:
    """Run the scenario's analyses and write the report into ``out_dir``.

    Map layers: one compact GeoJSON per architecture, gzip-compressed
    (``geo/NAME.geojson.gz``; trajectories every GEO_STEP_S, coordinates to
    GEO_DECIMALS decimals); ``full_geo`` writes
    them at FULL_GEO_STEP_S and full precision, with KML and CZML beside them."""
    if fmt not in FIG_FORMATS:
        raise ReportError(f"figure format must be one of {FIG_FORMATS}, got {fmt!r}")
    out_dir = Path(out_dir)
    check_destination(out_dir)
    # the analyses first: a bad scenario fails before anything is written
    if scenario.is_comparison:
        comp = phases(scenario, progress=progress)
        runs = [(p.assessment, p.footprint, slug(p.name), p.name) for p in comp.phases]
    else:
        comp = None
        a = assess(scenario, progress=progress)
        fp = footprint(scenario, progress=progress) if "footprint" in scenario.analyses and scenario.footprint else None
        runs = [(a, fp, "", scenario.name)]
    from . import raids as R
    from ..analysis.robustness import robustness

    extra = R.compute(scenario, assessments=[r[0] for r in runs])
    rob = robustness(scenario, balance=False, progress=progress)
    with staged_folder(out_dir) as tmp:
        files: list = []
        data: dict = {"openbmd": __version__, "scenario": scenario.name, "files": scenario.files}
        sections = [("summary", "Summary", _summary_html(rob))]
        if comp is not None:
            table = comp.table()
            _write_table(table, tmp / "tables" / "phases", files)
            pf = comp.per_field()
            _write_table(pf.reset_index(), tmp / "tables" / "phases_per_field", files)
            (tmp / "figures").mkdir(exist_ok=True)
            fps = [(p.name, p.footprint) for p in comp.phases if p.footprint is not None]
            body = ("<p>Each row is one architecture against the same threat sets. <b>Strategic engageable share</b>: "
                    "share of the strategic trajectories (every field, target and profile) that at least one battery "
                    "can engage; <b>Strategic best margin (s)</b>: the largest margin of any strategic trajectory "
                    "(negative: none can be engaged, by that many seconds); <b>Southern covered share</b>: share of "
                    "the southern threats that can be engaged; <b>Defended area (km²)</b>: defended land area of the "
                    "footprint.</p>" + html_table(table) + "<h3>Strategic trajectories engageable, per launch field</h3>"
                    + html_table(pf.reset_index().rename(columns={"index": "launch"})))
            if fps:
                f = tmp / "figures" / f"phases-footprints.{fmt}"
                fig_footprint(fps, f)
                files.append(f)
                body += img_html(str(f.relative_to(tmp)), "Defended footprint of each phase")
            sections.append(("phases", "Phase comparison", body))
            data["phases"] = comp.records()
            if progress:
                progress(1)
        hist = _history_html(scenario, tmp, files, data)
        if hist:
            sections.append(("history", "History: announced, deployed, cancelled", hist))
        sections.append(("depends", "What the answer depends on", _robustness_html(rob, tmp, files)))
        data["robustness"] = rob.records()
        sections += R.sections(extra, tmp, fmt, files, data, _write_table, html_table, img_html, assumptions_html)
        for a, fp, prefix, name in runs:
            sections += _scenario_sections(a, fp, tmp, prefix, fmt, files, data, heading=name, full_geo=full_geo)
            if progress:
                progress(1)
        named = [(name, list(a.assumptions()) + (list(fp.assumptions) if fp is not None else []))
                 for a, fp, _, name in runs]
        drawn = _drawn_html([r[0].scenario for r in runs], tmp, files, data)
        sections.append(("assumptions", "Assumptions and sources", _assumptions_once(named) + drawn +
                         "<p class='note'>Catalog entries (missiles, interceptors, radars, places) carry their own "
                         "citations and uncertainty ranges: <code>openbmd catalog NAME</code>; bibliography in "
                         "docs/sources.md.</p>"))
        sections.append(("files", "Files", "<ul>" + "".join(
            f"<li><a href='{html.escape(str(p.relative_to(tmp)))}'>{html.escape(str(p.relative_to(tmp)))}</a></li>"
            for p in files) + "</ul>"))
        names = _path_names(scenario)
        (tmp / "report.html").write_text(_public(page_html(scenario.name, sections), names), encoding="utf-8")
        (tmp / "summary.json").write_text(_public(json.dumps(jsonable(data), indent=1, allow_nan=False), names),
                                          encoding="utf-8")
        files = [tmp / "report.html", tmp / "summary.json"] + files
        rel = [p.relative_to(tmp) for p in files]
    return ReportResult(out_dir, [out_dir / r for r in rel], data)
