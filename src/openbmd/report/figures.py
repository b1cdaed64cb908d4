"""The report's figures of one assessment (the maps of each role's
trajectories, footprints, altitude profiles, the engagement timeline) and its
map layers for GeoJSON, KML and CZML."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..analysis.assess import Assessment
from ..analysis.footprint import DEFENDED, UNDEFENDED, Footprint
from ..analysis.track import cue_text
from . import geoexport as G
from . import maps as M

C_ENGAGE = "#c0392b"  # engageable
C_SAFE = "#4a6f8a"  # not engageable
C_SITE = "#1b7837"
C_RADAR = "#7b3294"
C_LAUNCH = "#8c2d04"  # launch fields
C_TARGET = "#252525"  # target cities


# ------------------------------------------------------------ geometry ----
def _ground_tracks(assessment: Assessment):
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
    for i, (lon, lat, h, t) in enumerate(_ground_tracks(assessment)):
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
    M.save(map_figure(assessment, role, title), path)


def map_figure(assessment: Assessment, role: str, title: str):
    """The map of one role's trajectories: ground tracks, batteries with fly-out
    fans, radar coverage, and the role's launch fields and target cities, labelled
    without overlaps (batteries first)."""
    sc = assessment.scenario
    per = assessment.per_threat()
    sel = np.nonzero((per["role"] == role).to_numpy())[0]
    tracks = _ground_tracks(assessment)
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


def fig_profiles(assessment: Assessment, path: Path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    per = assessment.per_threat()
    tracks = _ground_tracks(assessment)
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


def fig_timeline(assessment: Assessment, path: Path):
    M.save(timeline_figure(assessment), path)


def timeline_figure(assessment: Assessment):
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
