"""Flying a scenario's threat sets, and fans of aimed shots for footprints.

Every shot is aimed (Earth rotation, J2 and drag in the aim). A threat group
lists launch points, targets and missiles: each (launch, target) pair is flown
with the first listed missile that reaches it; pairs no listed missile reaches
are reported as skipped, not silently dropped. Lofted and depressed variants
fly to the same target with the stated multiple of the minimum-energy apogee.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import earth as E
from ..flight import run
from ..flight.aim import AimError, aim
from ..flight.trajectories import Trajectories
from ..vehicles import Missile


@dataclass
class ThreatFlights:
    """The flown threat trajectories with one metadata row each."""

    trajectories: Trajectories
    meta: pd.DataFrame  # group, role, launch, target, missile, profile, label
    skipped: pd.DataFrame  # group, launch, target, profile, reason

    def __len__(self):
        return len(self.trajectories)


def sampled(options, output_step, flight_times):
    """Options for re-flying known shots with a time series: the sample
    buffers are sized by the longest known flight, not by ``t_max``."""
    if output_step is None:
        return options.replace(output_step=None)
    ft = np.asarray(flight_times, float)
    t_max = float(np.nanmax(ft)) * 1.02 + 60.0 if ft.size and np.isfinite(ft).any() else options.t_max
    return options.replace(output_step=output_step, t_max=min(options.t_max, t_max))


def guidance(tr: Trajectories):
    """(kick, cutoff, azimuth) of each flown shot: enough to fly it again."""
    return tr.kick.copy(), tr.cutoff.copy(), tr.azimuth.copy()


def _aim_dropping(vehicles, lat, lon, tlat, tlon, options, mode="min-energy", apogee=None, start=None, scan=None):
    """Aim what can be aimed, in one solve (the shots that cannot be aimed
    drop out as they are found); returns (trajectories of the aimed shots or
    None, their index, {index: reason})."""
    n = len(vehicles)
    if n == 0:
        return None, np.zeros(0, int), {}
    tr, failed = aim(list(vehicles), lat, lon, tlat, tlon, mode=mode, apogee=apogee, options=options, start=start,
                     scan=scan, drop=True)
    ok = np.array([i for i in range(n) if i not in failed], dtype=int)
    failed = {i: why.replace("target beyond reach: ", "")[:300] for i, why in failed.items()}
    if not ok.size:
        return None, ok, failed
    return (tr if ok.size == n else tr.take(ok)), ok, failed


_CACHE: dict = {}


PROFILES = ("min-energy", "lofted", "depressed")
SKIP_COLUMNS = ["group", "launch", "target", "profile", "reason"]


def _rows(scenario) -> list[dict]:
    rows = []
    for t in scenario.threats:
        for lp in t.launches:
            for tp in t.targets:
                rows.append(dict(group=t.name, role=t.role, launch=lp.name, target=tp.name, lat=lp.lat, lon=lp.lon,
                                 tlat=tp.lat, tlon=tp.lon, missiles=t.missiles, profiles=t.profiles))
    return rows


def _aim_rows(rows, scenario):
    """Aim every (launch, target) row: (shots, skipped). A shot is (row,
    missile, profile, kick, cutoff, azimuth, flight time)."""
    opts = scenario.options
    n = len(rows)
    lat = np.array([r["lat"] for r in rows])
    lon = np.array([r["lon"] for r in rows])
    tlat = np.array([r["tlat"] for r in rows])
    tlon = np.array([r["tlon"] for r in rows])
    dist, _ = E.geodesic_inverse(lat, lon, tlat, tlon, opts.earth)
    choice = np.full(n, -1)
    skipped = []
    pending = np.nonzero(dist >= 50e3)[0]
    for i in np.nonzero(dist < 50e3)[0]:
        skipped.append(dict(group=rows[i]["group"], launch=rows[i]["launch"], target=rows[i]["target"],
                            profile="all", reason="target within 50 km of the launch point"))
    shots = []  # (row, missile, profile, kick, cutoff, az)
    level = 0
    last_reason: dict = {}
    me_apogee = np.full(n, np.nan)
    me_guid = np.full((3, n), np.nan)
    while pending.size:
        cand = [i for i in pending if level < len(rows[i]["missiles"])]
        for i in pending:
            if level >= len(rows[i]["missiles"]):
                skipped.append(dict(group=rows[i]["group"], launch=rows[i]["launch"], target=rows[i]["target"],
                                    profile="all", reason=last_reason.get(i, "no listed missile reaches")))
        if not cand:
            break
        cand = np.array(cand)
        vs = [rows[i]["missiles"][level] for i in cand]
        tr, ok, failed = _aim_dropping(vs, lat[cand], lon[cand], tlat[cand], tlon[cand], opts)
        last_reason = {int(cand[j]): why for j, why in failed.items()}
        if tr is not None:
            k, c, a = guidance(tr)
            for j, i in enumerate(cand[ok]):
                choice[i] = level
                me_apogee[i] = tr.apogee[j]
                me_guid[:, i] = k[j], c[j], a[j]
                shots.append((i, vs[ok[j]], "min-energy", k[j], c[j], a[j], tr.flight_time[j]))
        pending = np.array([int(cand[j]) for j in failed], dtype=int)
        level += 1
    # lofted and depressed variants of what was flown at minimum energy, in one solve
    want, prof_of, factor = [], [], []
    for prof, f in (("lofted", scenario.lofted_factor), ("depressed", scenario.depressed_factor)):
        w = [i for i in range(n) if choice[i] >= 0 and prof in rows[i]["profiles"]]
        want += w
        prof_of += [prof] * len(w)
        factor += [f] * len(w)
    if want:
        want = np.array(want, dtype=int)
        vs = [rows[i]["missiles"][choice[i]] for i in want]
        tr, ok, failed = _aim_dropping(vs, lat[want], lon[want], tlat[want], tlon[want], opts, mode="apogee",
                                       apogee=me_apogee[want] * np.array(factor), start=tuple(me_guid[:, want]))
        for j, why in sorted(failed.items()):
            i = want[j]
            skipped.append(dict(group=rows[i]["group"], launch=rows[i]["launch"], target=rows[i]["target"],
                                profile=prof_of[j], reason=why))
        if tr is not None:
            k, c, a = guidance(tr)
            for jj, j in enumerate(ok):
                shots.append((want[j], vs[j], prof_of[j], k[jj], c[jj], a[jj], tr.flight_time[jj]))
    shots = [s for s in shots if s[2] != "min-energy" or "min-energy" in rows[s[0]]["profiles"]]
    shots.sort(key=lambda s: (s[0], PROFILES.index(s[2])))
    return shots, skipped


def fly_threats(scenario, progress=None) -> ThreatFlights:
    """Aim and fly every threat of the scenario. The aim (the guidance of
    every shot and the skipped pairs) is kept in memory and in the persistent
    cache (:mod:`openbmd.cache`) under the content of the threat groups (their
    places, missiles and profiles) and the model settings, so the phases of a
    comparison, and later runs, aim them once; the shots are then flown again
    with their time series in one batch (identical numbers either way)."""
    from .. import cache

    parts = ([(t.name, t.role, t.launches, t.targets, t.missiles, tuple(t.profiles)) for t in scenario.threats],
             scenario.options, float(scenario.lofted_factor), float(scenario.depressed_factor))
    key = (cache.fingerprint(*parts), scenario.threat_step)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    rows = _rows(scenario)
    opts = scenario.options

    def pack(res):
        shots, skipped = res
        cols = list(zip(*shots)) if shots else [()] * 7
        return dict(row=np.array(cols[0], dtype=np.int64), level=np.array([rows[i]["missiles"].index(m) for i, m in zip(cols[0], cols[1])], dtype=np.int64),
                    profile=np.array([PROFILES.index(p) for p in cols[2]], dtype=np.int64),
                    kick=np.array(cols[3], float), cutoff=np.array(cols[4], float), az=np.array(cols[5], float),
                    flight_time=np.array(cols[6], float),
                    **{f"skip_{c}": np.array([str(r[c]) for r in skipped], dtype=str) for c in SKIP_COLUMNS})

    def unpack(z):
        shots = [(int(i), rows[int(i)]["missiles"][int(lv)], PROFILES[int(p)], float(k), float(c), float(a), float(ft))
                 for i, lv, p, k, c, a, ft in zip(z["row"], z["level"], z["profile"], z["kick"], z["cutoff"], z["az"],
                                                  z["flight_time"])]
        cols = [z[f"skip_{c}"] for c in SKIP_COLUMNS]
        skipped = [dict(zip(SKIP_COLUMNS, map(str, vals))) for vals in zip(*cols)]
        return shots, skipped

    shots, skipped = cache.cached("threats", parts, lambda: _aim_rows(rows, scenario), pack, unpack)
    lat = np.array([r["lat"] for r in rows])
    lon = np.array([r["lon"] for r in rows])
    tlat = np.array([r["tlat"] for r in rows])
    tlon = np.array([r["tlon"] for r in rows])
    if not shots:
        raise AimError("no threat trajectory of the scenario can be flown: " +
                       "; ".join(f"{s['launch']} -> {s['target']}: {s['reason']}" for s in skipped[:3]))
    ri = np.array([s[0] for s in shots])
    tr = run([s[1] for s in shots], lat[ri], lon[ri], np.array([s[5] for s in shots]),
             kick=np.array([s[3] for s in shots]), cutoff=np.array([s[4] for s in shots]),
             options=sampled(opts, scenario.threat_step, [s[6] for s in shots]))
    tr.options = opts.replace(output_step=scenario.threat_step)
    tr.target_lat, tr.target_lon = tlat[ri], tlon[ri]
    tr.aim_mode = [s[2] for s in shots]
    meta = pd.DataFrame({
        "group": [rows[i]["group"] for i in ri], "role": [rows[i]["role"] for i in ri],
        "launch": [rows[i]["launch"] for i in ri], "target": [rows[i]["target"] for i in ri],
        "missile": [s[1].name for s in shots], "profile": [s[2] for s in shots],
    })
    meta["label"] = [f"{m}: {a} -> {b}" + ("" if p == "min-energy" else f" [{p}]")
                     for m, a, b, p in zip(meta.missile, meta.launch, meta.target, meta.profile)]
    meta["miss_km"] = tr.miss_distance / 1e3
    out = ThreatFlights(tr, meta, pd.DataFrame(skipped, columns=SKIP_COLUMNS))
    _CACHE[key] = out
    return out


def aim_fan(missile: Missile, launch_lat: float, launch_lon: float, target_lat, target_lon, *, options,
            output_step=None, nodes_range: int = 10, corrections: int = 3, tolerance: float = 2000.0):
    """:func:`aim_fan_computed`, kept in the persistent cache (:mod:`openbmd.cache`)
    as the guidance of every shot, flown again in one batch on a hit."""
    from .. import cache

    tlat = np.asarray(target_lat, float).ravel()
    tlon = np.asarray(target_lon, float).ravel()
    parts = (missile, float(launch_lat), float(launch_lon), tlat, tlon, options, output_step, int(nodes_range),
             int(corrections), float(tolerance))
    opts = options.replace(output_step=None)

    def pack(res):
        t, idx, rmax = res
        if t is None:
            return dict(idx=np.asarray(idx, np.int64), rmax=rmax, none=np.array(True))
        return dict(idx=np.asarray(idx, np.int64), rmax=rmax, none=np.array(False), kick=t.kick, cutoff=t.cutoff,
                    az=t.azimuth, flight_time=t.flight_time)

    def unpack(z):
        idx, rmax = z["idx"], z["rmax"]
        if bool(z["none"]):
            return None, idx, rmax
        t = run(missile, launch_lat, launch_lon, z["az"], kick=z["kick"], cutoff=z["cutoff"],
                options=sampled(opts, output_step, z["flight_time"]))
        t.options = opts.replace(output_step=output_step)
        t.target_lat, t.target_lon = tlat[idx], tlon[idx]
        t.aim_mode = ["min-energy"] * len(idx)
        return t, idx, rmax

    return cache.cached("fan", parts, lambda: aim_fan_computed(
        missile, launch_lat, launch_lon, tlat, tlon, options=options, output_step=output_step,
        nodes_range=nodes_range, corrections=corrections, tolerance=tolerance), pack=pack, unpack=unpack)


def aim_fan_computed(missile: Missile, launch_lat: float, launch_lon: float, target_lat, target_lon, *, options,
                     output_step=None, nodes_range: int = 10, corrections: int = 3, tolerance: float = 2000.0):
    """Aim one missile from one launch point at many targets, cheaply.

    Exact minimum-energy aims are solved on a small polar table of nodes
    (azimuth x range spanning the targets); each target's guidance is
    interpolated from the table and corrected by re-flying (energy from the
    range error using the table's d(range)/d(energy), azimuth from the azimuth
    error). Returns (trajectories of the reachable targets, their index into
    the targets, maximum range along each target's azimuth). Shots whose miss
    stays above ``tolerance`` (m) are flown by the full solver instead."""
    tlat = np.asarray(target_lat, float).ravel()
    tlon = np.asarray(target_lon, float).ravel()
    n = tlat.size
    earth = options.earth
    opts = options.replace(output_step=None)
    rt, azt = E.geodesic_inverse(np.full(n, launch_lat), np.full(n, launch_lon), tlat, tlon, earth)
    # azimuths unwrapped around their circular mean
    mean = math.atan2(np.sin(azt).mean(), np.cos(azt).mean())
    rel = (azt - mean + np.pi) % (2 * np.pi) - np.pi
    a0, a1 = rel.min(), rel.max()
    na = max(3, int(math.ceil((a1 - a0) / math.radians(12.0))) + 1)
    node_az = mean + np.linspace(a0 - 1e-3, a1 + 1e-3, na)
    # maximum range along the node azimuths (full energy)
    from ..flight.aim import max_range

    mr = max_range(missile, np.full(na, launch_lat), np.full(na, launch_lon), node_az, options=opts)
    rmax_nodes = np.where(mr.impacted, mr.ground_range, 0.0)
    rmax = np.interp(rel, node_az - mean, rmax_nodes)
    reach = (rt < 0.995 * rmax) & (rt > 100e3)
    if not reach.any():
        return None, np.zeros(0, int), rmax
    r_lo = max(100e3, rt[reach].min() * 0.98)
    r_hi = min(0.99 * rmax_nodes.min(), rt[reach].max() * 1.02) if rmax_nodes.min() > 0 else rt[reach].max()
    r_hi = max(r_hi, r_lo * 1.05)
    node_r = np.linspace(r_lo, r_hi, nodes_range)
    A, R = np.meshgrid(node_az, node_r, indexing="ij")
    # node targets along each node azimuth at each node range
    nlat, nlon = E.geodesic_direct(np.full(A.size, launch_lat), np.full(A.size, launch_lon), A.ravel(), R.ravel(), earth)
    ok_nodes = R.ravel() < 0.995 * np.repeat(rmax_nodes, nodes_range)
    kick = np.full(A.size, np.nan)
    energy = np.full(A.size, np.nan)
    daz = np.full(A.size, np.nan)
    tr, ok, _ = _aim_dropping([missile] * int(ok_nodes.sum()), np.full(ok_nodes.sum(), launch_lat),
                              np.full(ok_nodes.sum(), launch_lon), nlat[ok_nodes], nlon[ok_nodes], opts)
    sel = np.nonzero(ok_nodes)[0][ok]
    k, c, a = guidance(tr)
    kick[sel] = k
    energy[sel] = np.where(np.isfinite(c), c / missile.burn_time, 1.0)
    daz[sel] = (a - A.ravel()[sel] + np.pi) % (2 * np.pi) - np.pi
    kick, energy, daz = (x.reshape(A.shape) for x in (kick, energy, daz))
    # fill unreachable nodes along range by the nearest reachable (only to interpolate)
    for grid in (kick, energy, daz):
        for i in range(na):
            row = grid[i]
            good = np.isfinite(row)
            if good.any() and not good.all():
                row[~good] = np.interp(np.nonzero(~good)[0], np.nonzero(good)[0], row[good])
    dedr = np.gradient(energy, node_r, axis=1)

    from scipy.interpolate import RegularGridInterpolator as RGI

    pts = np.column_stack([np.clip(rel[reach] + mean, node_az[0], node_az[-1]), np.clip(rt[reach], node_r[0], node_r[-1])])
    fk, fe, fa, fd = (RGI((node_az, node_r), g, bounds_error=False, fill_value=None)(pts) for g in (kick, energy, daz, dedr))
    idx = np.nonzero(reach)[0]
    s, e, az = fk, np.clip(fe, 1e-3, 1.0), azt[idx] + fa
    burn = missile.burn_time
    for k in range(corrections):
        t = run(missile, launch_lat, launch_lon, az, kick=s, cutoff=np.where(e >= 1 - 1e-12, np.inf, e * burn), options=opts)
        r = np.where(t.impacted, t.ground_range, 0.0)
        miss_az = (azt[idx] - t.impact_azimuth + np.pi) % (2 * np.pi) - np.pi
        if k and np.all(np.hypot(rt[idx] - r, rt[idx] * np.sin(miss_az)) < tolerance / 20):
            break  # already within tolerance / 20 everywhere: the last flight stands
        e = np.clip(e + (rt[idx] - r) * fd, 1e-3, 1.0)
        az = az + miss_az
    t = run(missile, launch_lat, launch_lon, az, kick=s, cutoff=np.where(e >= 1 - 1e-12, np.inf, e * burn),
            options=sampled(opts, output_step, t.flight_time))
    t.options = opts.replace(output_step=output_step)
    t.target_lat, t.target_lon = tlat[idx], tlon[idx]
    t.aim_mode = ["min-energy"] * len(idx)
    miss = t.miss_distance
    bad = ~(miss < tolerance)
    if bad.any():
        # the table guess did not converge there (e.g. near maximum range): keep only good shots,
        # and solve the rest exactly
        j = np.nonzero(bad)[0]
        tr2, ok2, _ = _aim_dropping([missile] * j.size, np.full(j.size, launch_lat), np.full(j.size, launch_lon),
                                    tlat[idx[j]], tlon[idx[j]], opts)
        keep = np.nonzero(~bad)[0]
        kk, cc, aa = t.kick[keep], t.cutoff[keep], t.azimuth[keep]
        ii = idx[keep]
        if tr2 is not None:
            k2, c2, a2 = guidance(tr2)
            kk, cc, aa = np.concatenate([kk, k2]), np.concatenate([cc, c2]), np.concatenate([aa, a2])
            ii = np.concatenate([ii, idx[j[ok2]]])
        order = np.argsort(ii)
        ii, kk, cc, aa = ii[order], kk[order], cc[order], aa[order]
        t = run(missile, launch_lat, launch_lon, aa, kick=kk, cutoff=cc,
                options=sampled(opts, output_step, np.concatenate([t.flight_time, tr2.flight_time if tr2 is not None else []])))
        t.options = opts.replace(output_step=output_step)
        t.target_lat, t.target_lon = tlat[ii], tlon[ii]
        t.aim_mode = ["min-energy"] * len(ii)
        idx = ii
    return t, idx, rmax
