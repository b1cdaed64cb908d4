"""The JSON shapes of the web API: scenarios, assessments, job results and
download headers, made from the package's objects. Every value passes
:func:`openbmd.jsonsafe.jsonable` (strict JSON: no NaN, no numpy scalars)."""

from __future__ import annotations

import math
import re

import numpy as np

from ..jsonsafe import jsonable


def records(df) -> list[dict]:
    """A table's rows as JSON-safe dicts."""
    return jsonable(df.to_dict(orient="records"))


def attachment(stem: str, ext: str) -> dict:
    """A Content-Disposition header that makes the browser download the file
    (an ASCII name, and the UTF-8 one per RFC 6266 / 5987)."""
    from urllib.parse import quote

    import unicodedata

    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()  # "Défense été" -> "Defense ete"
    ascii_ = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-") or "download"
    utf8 = re.sub(r'[\x00-\x1f\x7f/\\"]+', "-", stem).strip() or ascii_
    return {"Content-Disposition": f"attachment; filename=\"{ascii_}.{ext}\"; filename*=UTF-8''{quote(utf8 + '.' + ext)}"}


# ------------------------------------------------------------ scenarios ----
def describe(sc) -> dict:
    """A scenario (or a comparison, member by member): its batteries with their
    cue networks, radars, threats and assumptions."""
    from ..analysis.track import cue_text

    if sc.is_comparison:
        return {"name": sc.name, "comparison": True, "members": [describe(m) for m in sc.phases]}
    return jsonable({
        "name": sc.name, "comparison": False, "description": sc.description, "year": sc.year,
        "batteries": [{"name": b.name, "kind": b.kind, "interceptor": b.interceptor.name,
                       "burnout_speed_km_s": b.interceptor.burnout_speed / 1e3, "count": b.count,
                       "lat_deg": math.degrees(b.stations[0][0]), "lon_deg": math.degrees(b.stations[0][1]),
                       "patrol_box_deg": list(b.patrol_box) if b.patrol_box else None,
                       # the whole cue network: every cue source, the own radar, the mode and the link
                       "cued_by": list(b.cues) or (None if b.own_radar is not None else ["launch_delay"]),
                       "own_radar": getattr(b.own_radar, "name", None),
                       "mode": b.mode if (b.cues or b.own_radar is not None) else "launch delay",
                       "network": b.network if (b.cues or b.own_radar is not None) else None,
                       "cue_network": cue_text(b)}
                      for b in sc.batteries],
        "radars": [{"name": r.name, "lat_deg": math.degrees(r.lat), "lon_deg": math.degrees(r.lon),
                    "boresight_deg": math.degrees(r.boresight_azimuth),
                    "half_width_deg": math.degrees(r.azimuth_half_width),
                    "detection_range_km": float(r.detection_range(sc.rcs)) / 1e3} for r in sc.radars.values()],
        "threats": [{"name": t.name, "role": t.role, "from": [p.name for p in t.launches],
                     "to": [p.name for p in t.targets], "missiles": [m.name for m in t.missiles],
                     "profiles": list(t.profiles)} for t in sc.threats],
        "assumptions": sc.assumptions(),
    })


def scenario_summary(ref: str, sc) -> dict:
    """One line of the bundled scenarios' list."""
    return {"id": ref, "name": sc.name, "comparison": sc.is_comparison, "batteries": len(sc.batteries), "year": sc.year}


# ---------------------------------------------------------- assessments ----
def battery_reasons(a) -> list[dict]:
    """Per scenario battery: how many threat trajectories it is cued for, can
    reach (every geometric and guidance constraint somewhere on the
    trajectory), can engage, and in words why it engages none when it does not."""
    from ..analysis.track import cue_text

    e = a.engagements
    if e is None:
        return []
    tl = np.isfinite(e.earliest_launch)
    reach = e.reachable
    margin = a.margin
    out = []
    for j, b in enumerate(a.scenario.batteries):
        cols = np.nonzero(np.asarray(a.parent) == j)[0]
        cued = tl[:, cols].any(axis=1)
        able = reach[:, cols].any(axis=1)
        eng = e.engageable[:, cols].any(axis=1)
        m = margin[:, j]
        best = float(np.nanmax(m)) if np.isfinite(m).any() else None
        net = cue_text(b)
        sources = ", ".join(list(b.cues) + ([] if b.own_radar is None or b.own_radar.name in b.cues else [b.own_radar.name]))
        src = sources or "its cue network"
        if eng.any():
            reason = None
        elif not cued.any():
            reason = f"no cue: {src} never tracks these threats"
        elif (able & ~cued).any() and not (able & cued).any():
            reason = f"no cue: {src} never tracks the {int((able & ~cued).sum())} threats within its reach"
        elif (able & cued).any():
            reason = (f"too late: {int((able & cued).sum())} threats are cued and within reach, but the interceptors "
                      f"cannot get there in time" + (f" (best margin {best:+.0f} s)" if best is not None else ""))
        else:
            guided = " with a guiding radar holding a track" if b.own_radar is not None else ""
            reason = f"out of reach: none of the {int(cued.sum())} cued threats passes within its interceptors' reach{guided}"
        out.append({"battery": b.name, "cue_network": net, "cued": int(cued.sum()), "within_reach": int(able.sum()),
                    "engageable": int(eng.sum()), "best_margin_s": best, "reason": reason})
    return jsonable(out)


def ground_tracks(a, t) -> list[dict]:
    """Each threat trajectory of assessment ``a`` (``t``: its per-threat table)
    every 20 s and at its end: longitude/latitude, altitude and time."""
    tr = a.flights.trajectories
    lat, lon, alt = tr.samples_geodetic
    stride = max(1, int(round(20.0 / tr.options.output_step)))
    times = tr.sample_times
    out = []
    for i in range(len(tr)):
        n = int(tr.n_samples[i])
        idx = list(range(0, n, stride)) + ([n - 1] if (n - 1) % stride else [])
        bm = t["best_margin_s"].iloc[i]
        out.append({"label": t["label"].iloc[i], "role": t["role"].iloc[i],
                    "engageable": bool(t["engageable"].iloc[i]),
                    "best_margin_s": None if not np.isfinite(bm) else float(bm),
                    "best_battery": t["best_battery"].iloc[i],
                    "lonlat": [[round(float(np.degrees(lon[i, j])), 3), round(float(np.degrees(lat[i, j])), 3)]
                               for j in idx],
                    "alt_km": [round(float(alt[i, j]) / 1e3, 1) for j in idx],
                    "t_s": [round(float(times[j]), 1) for j in idx]})
    return out


def fans(a) -> list[dict]:
    """Each battery's fly-out fan (where its interceptors reach 150 km altitude within 300 s)."""
    from ..report.build import fly_out_fans

    out = []
    for b, ring in fly_out_fans(a):
        if np.isfinite(ring).all():
            out.append({"battery": b.name, "altitude_km": 150, "within_s": 300,
                        "lonlat": [[round(float(x), 3), round(float(y), 3)] for x, y in ring]})
    return out


def assessment(sc, a, tracks: bool = False) -> dict:
    """Assessment ``a`` of scenario ``sc``: per role, per battery (with the
    reasons), per threat and per threat-battery pair; with ``tracks`` also
    ground tracks and fly-out fans for maps."""
    from ..analysis import south_vs_north

    t = a.per_threat()
    out_tracks = ground_tracks(a, t) if tracks else []
    out_fans = fans(a) if tracks and a.engagements is not None else []
    return {"scenario": sc.name, "per_role": records(south_vs_north(a)), "tracks": jsonable(out_tracks),
            "batteries": battery_reasons(a),
            "fans": jsonable(out_fans),
            "architecture": describe(sc),
            "threats": records(t[["label", "role", "group", "launch", "target", "profile", "engageable",
                                  "batteries_able", "best_margin_s", "best_battery", "shots"]]),
            "pairs": records(a.pairs[["threat", "battery", "engageable", "margin_s", "earliest_intercept_s",
                                      "latest_intercept_s", "intercept_lat_deg", "intercept_lon_deg",
                                      "intercept_alt_km"]]),
            "assumptions": a.assumptions()}


# ---------------------------------------------------------- job results ----
def job_status(job) -> dict:
    return {"id": job.id, "kind": job.kind, "scenario": job.scenario, "state": job.state, "done": job.done,
            "total": job.total, "result": job.result, "error": job.error}


def footprint_result(fp) -> dict:
    """A footprint's summary and its cells as [lat, lon, status] (defended cells only)."""
    la, lo = np.meshgrid(fp.lat_deg, fp.lon_deg, indexing="ij")
    ok = np.isfinite(fp.status) & (fp.status >= 0)
    return jsonable({**fp.summary(), "cells": [[round(float(a), 3), round(float(o), 3), int(v)]
                                               for a, o, v in zip(la[ok], lo[ok], fp.status[ok])]})


def speed_map_result(g, sm, step_deg: float) -> dict:
    """A speed map of guarantee ``g``: cells as [lat, lon, highest defended speed km/s or None]."""
    t = sm.table
    return jsonable({"guarantee": g.name, "launch_delay_s": sm.launch_delay_s, "step_deg": step_deg,
                     "cells": [[float(a), float(o), None if not np.isfinite(v) else float(v)]
                               for a, o, v in zip(t["lat_deg"], t["lon_deg"], t["v_max_km_s"])],
                     "assumptions": sm.assumptions})


def raid_result(name: str, r) -> dict:
    return {"scenario": name, "totals": r.totals(), "per_battery": records(r.per_battery()),
            "per_field": records(r.per_field())}
