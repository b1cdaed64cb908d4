"""MIRV footprints: the warheads of one bus, each on its own trajectory after release.

Until its release time (burnout + the signature class's ``bus_release``,
catalog ``sensors.toml``) the post-boost vehicle carries every warhead on
the missile's trajectory. At release each warhead leaves the bus with a small
velocity change that puts it on its own aim point; the aim points are laid
out deterministically over the class's footprint (``footprint`` m along the
ground track, ``footprint_width`` m across it, centred on the missile's target):

- along track: evenly spaced from -L/2 to +L/2 (one warhead: the centre);
- across track: alternately -W/2 and +W/2 (a zig-zag), 0 for one warhead.

Each warhead is flown from the bus's sampled state at release (position and
Earth-relative velocity) as an impulsive re-entry vehicle (its ballistic
coefficient acting under drag), with the release velocity solved by Newton
iterations on the whole batch (speed along the flight-path angle of the bus,
and azimuth) through the compiled kernel (:func:`openbmd.flight.run`):
Earth rotation, J2 and drag are in the aim. The warheads' time series are the
bus's samples up to release followed by their own, so sensors see the same
bus before release. Simplification, stated: every warhead leaves at the
release of the last (the bus is one object until then, as the engagement
rule counts it).
"""

from __future__ import annotations

import numpy as np

from .. import earth as E
from ..flight import run
from ..flight import kernel as K
from ..flight.batch import Impulsive
from ..flight.trajectories import Trajectories

AIM_TOLERANCE = 100.0  # m: the warheads' miss from their aim points after the Newton iterations
MAX_ITER = 12


def layout(warheads: int, length: float, width: float):
    """Along- and cross-track offsets (m) of ``warheads`` aim points over a
    footprint ``length`` x ``width`` centred on the target."""
    w = int(warheads)
    if w < 1:
        raise ValueError(f"warheads must be >= 1, got {warheads!r}")
    if w == 1:
        return np.zeros(1), np.zeros(1)
    k = np.arange(w)
    along = length * (k / (w - 1) - 0.5)
    cross = 0.5 * width * np.where(k % 2 == 0, -1.0, 1.0)
    return along, cross


def track_axes(tr: Trajectories, idx):
    """Azimuth (rad) of the ground track at the target of trajectories
    ``idx``: the direction of flight there (away from the launch point)."""
    earth = tr.options.earth
    _, back = E.geodesic_inverse(tr.target_lat[idx], tr.target_lon[idx], tr.launch_lat[idx], tr.launch_lon[idx], earth)
    return np.mod(back + np.pi, 2 * np.pi)


def aim_points(tr: Trajectories, idx, along, cross):
    """Latitude and longitude (rad) of aim points offset ``along`` and
    ``cross`` (m, arrays like ``idx``) from the targets of trajectories ``idx``
    (cross-track positive to the right of the direction of flight)."""
    earth = tr.options.earth
    idx = np.asarray(idx)
    az = track_axes(tr, idx)
    along, cross = np.asarray(along, float), np.asarray(cross, float)
    la, lo = E.geodesic_direct(tr.target_lat[idx], tr.target_lon[idx], np.where(along < 0, az + np.pi, az),
                               np.abs(along), earth)
    # the track azimuth at the shifted point (a few hundred km on: close to az)
    la2, lo2 = E.geodesic_direct(la, lo, np.where(cross < 0, az - np.pi / 2, az + np.pi / 2), np.abs(cross), earth)
    return la2, lo2


def offsets(tr: Trajectories, idx, lat, lon):
    """Along- and cross-track offsets (m) of points (lat, lon) from the
    targets of trajectories ``idx`` (the inverse of :func:`aim_points`, to
    first order: a local tangent plane at the target)."""
    earth = tr.options.earth
    idx = np.asarray(idx)
    d, az_p = E.geodesic_inverse(tr.target_lat[idx], tr.target_lon[idx], lat, lon, earth)
    rel = az_p - track_axes(tr, idx)
    return d * np.cos(rel), d * np.sin(rel)


def _state_at(tr: Trajectories, rows, k):
    """Geodetic position, Earth-relative speed, flight-path angle and azimuth
    of sample ``k`` (per row) of trajectories ``rows``."""
    r = tr.samples_r[rows, k]
    v = tr.samples_v[rows, k]
    earth = tr.options.earth
    lat, lon, h = E.ecef_to_geodetic(r[:, 0], r[:, 1], r[:, 2], earth)
    e, n, u = E.enu_basis(lat, lon)
    ve, vn, vu = (np.einsum("ij,ij->i", v, b) for b in (e, n, u))
    speed = np.sqrt(ve * ve + vn * vn + vu * vu)
    return lat, lon, h, speed, np.arcsin(np.clip(vu / speed, -1, 1)), np.arctan2(ve, vn)


def _miss_en(ilat, ilon, tlat, tlon, radius):
    """East and north miss (m) of impact points from aim points (local plane)."""
    dlon = (ilon - tlon + np.pi) % (2 * np.pi) - np.pi
    return dlon * radius * np.cos(tlat), (ilat - tlat) * radius


def fly_warheads(tr: Trajectories, parent, aim_lat, aim_lon, release_time) -> Trajectories:
    """The trajectories of warheads released from the buses of trajectories
    ``parent`` (indices into ``tr``, which needs a time series) at
    ``release_time`` (s after launch, per warhead) onto aim points
    (``aim_lat``, ``aim_lon``, rad). Returns a :class:`Trajectories` whose rows
    are the bus's up to release and the warhead's after, with
    ``target_lat``/``target_lon`` the aim points (``miss_distance`` is the
    warhead's). Raises ``ValueError`` if a warhead cannot be aimed."""
    parent = np.asarray(parent, dtype=np.int64)
    n = parent.size
    opts = tr.options
    dt = float(opts.output_step)
    earth = opts.earth
    # branch at the first sample at or after release (sample times are k * dt)
    k_rel = np.ceil(np.asarray(release_time, float) / dt - 1e-9).astype(np.int64)
    if np.any(k_rel >= tr.n_samples[parent] - 1):
        raise ValueError("a bus releases its warheads after it lands (release time beyond the flight)")
    lat0, lon0, h0, s0, g0, a0 = _state_at(tr, parent, k_rel)
    rvs = {}
    vehicles = []
    for p in parent:
        v = tr.vehicles[tr.vehicle_index[p]]
        key = id(v)
        if key not in rvs:
            rvs[key] = Impulsive(rv=v.rv, name=f"{v} RV", drag=True) if hasattr(v, "rv") else v
        vehicles.append(rvs[key])
    radius = earth.a
    t_left = float(np.max((tr.n_samples[parent] - k_rel) * dt)) * 1.5 + 120.0
    fopts = opts.replace(output_step=None, t_max=min(opts.t_max, t_left))

    def fly(speed, az, rows, **kw):
        return run([vehicles[i] for i in rows], lat0[rows], lon0[rows], az, speed=speed, elevation=g0[rows],
                   alt=h0[rows], options=kw.get("options", fopts))

    speed, az = s0.copy(), a0.copy()
    ds, da = 1.0, 1e-4  # m/s, rad: finite-difference steps
    act = np.arange(n)
    for _ in range(MAX_ITER):
        rows = np.concatenate([act, act, act])
        t3 = fly(np.concatenate([speed[act], speed[act] + ds, speed[act]]),
                 np.concatenate([az[act], az[act], az[act] + da]), rows)
        me, mn = _miss_en(t3.impact_lat, t3.impact_lon, np.tile(aim_lat[act], 3), np.tile(aim_lon[act], 3), radius)
        e0, e1, e2 = np.split(me, 3)
        n0, n1, n2 = np.split(mn, 3)
        done = np.hypot(e0, n0) < AIM_TOLERANCE
        # Jacobian d(east, north) / d(speed, azimuth), solved 2 x 2 per warhead
        j11, j21 = (e1 - e0) / ds, (n1 - n0) / ds
        j12, j22 = (e2 - e0) / da, (n2 - n0) / da
        det = j11 * j22 - j12 * j21
        ok = np.isfinite(det) & (np.abs(det) > 0)
        det = np.where(ok, det, 1.0)
        dsp = np.where(ok, -(j22 * e0 - j12 * n0) / det, 0.0)
        daz = np.where(ok, -(-j21 * e0 + j11 * n0) / det, 0.0)
        upd = ~done
        speed[act[upd]] += np.clip(dsp[upd], -500.0, 500.0)
        az[act[upd]] += np.clip(daz[upd], -0.1, 0.1)
        act = act[upd]
        if act.size == 0:
            break
    own = fly(speed, az, np.arange(n), options=opts.replace(output_step=dt, t_max=min(opts.t_max, t_left)))
    miss_e, miss_n = _miss_en(own.impact_lat, own.impact_lon, aim_lat, aim_lon, radius)
    bad = ~(np.hypot(miss_e, miss_n) < 10 * AIM_TOLERANCE)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} MIRV warhead(s) could not be aimed at their footprint points "
                         f"(worst miss {np.nanmax(np.hypot(miss_e, miss_n)[bad]) / 1e3:.1f} km)")
    return _spliced(tr, parent, k_rel, own, aim_lat, aim_lon)


def _spliced(tr, parent, k_rel, own, aim_lat, aim_lon) -> Trajectories:
    """Bus samples before release, the warhead's after; summaries to match."""
    n = parent.size
    dt = float(tr.options.output_step)
    t_rel = k_rel * dt
    width = int(max(tr.samples_r.shape[1], int(np.max(k_rel + own.n_samples))))
    sr = np.full((n, width, 3), np.nan)
    sv = np.full((n, width, 3), np.nan)
    kb = tr.samples_r.shape[1]
    pre = np.arange(width)[None, :] < k_rel[:, None]
    sr[:, :kb] = np.where(pre[:, :kb, None], tr.samples_r[parent], np.nan)
    sv[:, :kb] = np.where(pre[:, :kb, None], tr.samples_v[parent], np.nan)
    j = np.arange(own.samples_r.shape[1])[None, :]
    valid = j < own.n_samples[:, None]
    rows = np.broadcast_to(np.arange(n)[:, None], valid.shape)[valid]
    cols = (k_rel[:, None] + j)[valid]
    sr[rows, cols] = own.samples_r[valid]
    sv[rows, cols] = own.samples_v[valid]
    res = tr.result[parent].copy()
    o = own.result
    for col in (K.R_TRE, K.R_TIMP):
        res[:, col] = o[:, col] + t_rel
        res[:, col + 1:col + 7] = o[:, col + 1:col + 7]
    res[:, K.R_STATUS] = o[:, K.R_STATUS]
    later = res[:, K.R_TAPO] > t_rel  # the bus's apogee comes after release: the warhead's own
    res[:, K.R_TAPO] = np.where(later, o[:, K.R_TAPO] + t_rel, res[:, K.R_TAPO])
    res[:, K.R_HAPO] = np.where(later, o[:, K.R_HAPO], res[:, K.R_HAPO])
    return Trajectories(
        vehicles=tr.vehicles, vehicle_index=tr.vehicle_index[parent], launch_lat=tr.launch_lat[parent],
        launch_lon=tr.launch_lon[parent], launch_alt=tr.launch_alt[parent], azimuth=tr.azimuth[parent],
        kick=tr.kick[parent], cutoff=tr.cutoff[parent], initial_speed=tr.initial_speed[parent],
        initial_elevation=tr.initial_elevation[parent], result=res, stage_times=tr.stage_times[parent],
        samples_r=sr, samples_v=sv, n_samples=k_rel + own.n_samples, options=tr.options,
        target_lat=np.asarray(aim_lat, float), target_lon=np.asarray(aim_lon, float),
        aim_mode=["mirv-footprint"] * n)


def release_sample_time(tr: Trajectories, release_time):
    """The time (s) of the first sample at or after ``release_time``: where
    the warheads' trajectories leave the bus's."""
    dt = float(tr.options.output_step)
    return np.ceil(np.asarray(release_time, float) / dt - 1e-9) * dt


def footprint_span(lat, lon, earth=E.WGS84) -> float:
    """Largest distance (m) between two of the points (lat, lon in rad)."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    if lat.size < 2:
        return 0.0
    i, j = np.triu_indices(lat.size, 1)
    d, _ = E.geodesic_inverse(lat[i], lon[i], lat[j], lon[j], earth)
    return float(np.max(d))


class Released:
    """The warheads of MIRV buses on their own trajectories after release,
    engaged by the scenario's batteries: ``assessment`` (one row per warhead
    trajectory; intercepts only after release), ``parent`` (the missile
    trajectory each leaves), ``slot`` (its place in the footprint layout) and
    ``index`` ((parent, warheads) -> the first row of that bus's warheads)."""

    def __init__(self, assessment, parent, slot, index, release):
        self.assessment = assessment
        self.parent = parent
        self.slot = slot
        self.index = index
        self.release = release

    def __len__(self):
        return self.parent.size


def released(assessment, buses) -> Released | None:
    """The warhead trajectories of ``buses`` (pairs (trajectory index,
    warheads per missile)) of an :class:`~openbmd.analysis.assess.Assessment`,
    flown over their signature class's footprint and engaged after release.
    Buses whose class has no footprint (or no signatures by flight phase), or
    that land before release, are left out (their warheads fly the missile's
    trajectory). Cached on the assessment."""
    import pandas as pd

    from ..engage import ThreatSet, engage
    from .assess import engine_batteries, from_engagements, release_times, tables_for
    from .threats import ThreatFlights

    sc = assessment.scenario
    sig = getattr(sc, "signatures", None)
    if sig is None or not buses:
        return None
    cache = assessment.__dict__.setdefault("_released", {})
    key = tuple(sorted(set((int(p), int(w)) for p, w in buses)))
    if key in cache:
        return cache[key]
    tr = assessment.flights.trajectories
    length, width = sig.footprints(tr)
    rel = release_times(sc, tr)
    t_last = (tr.n_samples - 2) * float(tr.options.output_step)
    parent, slot, al, cr, index = [], [], [], [], {}
    for p, w in key:
        if w < 2 or not (length[p] > 0 or width[p] > 0) or not rel[p] < t_last[p]:
            continue
        a, c = layout(w, length[p], width[p])
        index[(p, w)] = len(parent)
        parent += [p] * w
        slot += list(range(w))
        al += list(a)
        cr += list(c)
    if not parent or not sc.batteries:
        cache[key] = None
        return None
    parent, slot = np.array(parent, dtype=np.int64), np.array(slot, dtype=np.int64)
    la, lo = aim_points(tr, parent, np.array(al), np.array(cr))
    wtr = fly_warheads(tr, parent, la, lo, rel[parent])
    meta = assessment.meta.iloc[parent].reset_index(drop=True).copy()
    meta["label"] = [f"{lb} [RV {s + 1}]" for lb, s in zip(meta["label"], slot)]
    meta["miss_km"] = wtr.miss_distance / 1e3
    flights = ThreatFlights(wtr, meta, pd.DataFrame(columns=["group", "launch", "target", "profile", "reason"]))
    ts = ThreatSet.prepare(wtr)
    # before release the bus (one object, every warhead) is what an interceptor meets: no warhead
    # intercept there (the engine's padding convention: below every altitude band)
    k_rel = np.ceil(rel[parent] / float(tr.options.output_step) - 1e-9).astype(np.int64)
    ts.h[np.arange(ts.h.shape[1])[None, :] < k_rel[:, None]] = -1e9
    bats, bparent, tlats = engine_batteries(sc)
    res = engage(ts, bats, assessment_time=sc.assessment_time, tables=tables_for(bats, sc.options, tlats),
                 coarse_step=sc.coarse_step)
    out = Released(from_engagements(sc, flights, res, bats, bparent), parent, slot, index, rel[parent])
    cache[key] = out
    return out
