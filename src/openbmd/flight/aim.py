"""Aiming: find the guidance that puts the reentry vehicle on a target point.

Guidance has three parameters per trajectory: the launch azimuth, a *shape*
parameter (the pitch-over kick angle of a missile, or the burnout elevation of
an impulsive shot) and an *energy* parameter (the thrust-termination time of a
missile as a fraction of its full burn, or the burnout speed of an impulsive
shot). All trajectories of a batch are solved together: each iteration flies
the whole batch (plus finite-difference neighbours) through the compiled
kernel, so Earth rotation, J2 and drag are all included in the aim.

Modes:

* ``"min-energy"``: the least burnout energy that reaches the target (the range
  is stationary in the shape parameter there; a fixed-energy missile controls
  range by thrust termination, as in published minimum-energy analyses);
* ``"apogee"``: a lofted or depressed shot with a stated apogee;
* ``"flight-time"``: a lofted or depressed shot with a stated flight time;
* :func:`max_range`: full energy, the shape that maximises range for an azimuth.
"""

from __future__ import annotations

import numpy as np

from .. import earth as E
from ..vehicles import Missile
from .batch import FlightOptions, Impulsive, vehicle_list, run
from ..errors import OpenBMDError

AIM_MODES = ("min-energy", "apogee", "flight-time")
SPEED_SCALE = 8000.0  # m/s: impulsive energy parameter e = speed / SPEED_SCALE
E_MAX_IMPULSIVE = 11000.0 / SPEED_SCALE  # escape speed: no ballistic shot needs more
KICK_GRID = np.radians(np.linspace(2.0, 80.0, 27))
ELEV_GRID = np.radians(np.linspace(1.0, 89.0, 45))
STALL = 8  # iterations without progress after which a lofted/depressed solve gives a shot up


class AimError(OpenBMDError, ValueError):
    """A target cannot be reached as asked; ``index`` lists the trajectories."""

    def __init__(self, message, index=None, max_range=None):
        super().__init__(message)
        self.index = index
        self.max_range = max_range


class _Problem:
    """Shared plumbing: map (shape, energy, azimuth) to flights of the batch."""

    def __init__(self, vehicles, lat, lon, options: FlightOptions):
        self.vehicles = vehicles
        self.lat = lat
        self.lon = lon
        self.options = options
        self.impulsive = np.array([isinstance(v, Impulsive) for v in vehicles])
        self.burn = np.array([v.burn_time if isinstance(v, Missile) else np.nan for v in vehicles])
        self.emax = np.where(self.impulsive, E_MAX_IMPULSIVE, 1.0)

    def fly(self, shape, energy, az, idx=None, output_step=None):
        if idx is None:
            idx = np.arange(len(self.vehicles))
        vs = [self.vehicles[i] for i in idx]
        imp = self.impulsive[idx]
        opts = self.options if output_step is None else self.options.replace(output_step=output_step)
        cutoff = np.where(imp, np.inf, energy * np.nan_to_num(self.burn[idx], nan=0.0))
        # a cutoff at (or beyond) the full burn is no cutoff
        cutoff = np.where(energy >= 1.0 - 1e-12, np.inf, cutoff)
        return run(
            vs,
            self.lat[idx],
            self.lon[idx],
            az,
            kick=np.where(imp, 0.0, shape),
            cutoff=cutoff,
            speed=np.where(imp, energy * SPEED_SCALE, 0.0),
            elevation=np.where(imp, shape, 0.0),
            options=opts,
        )

    def measure(self, shape, energy, az, idx):
        tr = self.fly(shape, energy, az, idx)
        rng = np.where(tr.impacted, tr.ground_range, 0.0)
        return rng, tr.impact_azimuth, tr.apogee, tr.flight_time, tr

    def scan_max_range(self, az, energy, idx):
        """Shape maximising range at the given energy: grid scan, then Newton."""
        n = len(idx)
        imp = self.impulsive[idx]
        grid_k, grid_e = KICK_GRID, ELEV_GRID
        g = max(len(grid_k), len(grid_e))
        shapes = np.empty((n, g))
        for j in range(n):
            gg = grid_e if imp[j] else grid_k
            shapes[j] = np.interp(np.linspace(0, 1, g), np.linspace(0, 1, len(gg)), gg)
        rep = np.repeat(idx, g)
        rng, *_ = self.measure(shapes.ravel(), np.repeat(energy, g), np.repeat(az, g), rep)
        rng = rng.reshape(n, g)
        best = np.argmax(rng, axis=1)
        s = shapes[np.arange(n), best]
        step = shapes[:, 1] - shapes[:, 0]
        return self.refine_max(s, energy, az, idx, step)

    def refine_max(self, s, energy, az, idx, step, iters=12):
        """Newton on d(range)/d(shape) with backtracking: a step that lowers the
        range (e.g. over the cliff where a flatter boost falls back into the
        atmosphere) is halved instead of taken."""
        d = np.radians(0.1)
        s_best = s.copy()
        r_best = np.full(len(idx), -np.inf)
        bound = np.asarray(step, dtype=float).copy()
        for _ in range(iters):
            sh = np.concatenate([s - d, s, s + d])
            r, *_ = self.measure(sh, np.tile(energy, 3), np.tile(az, 3), np.tile(idx, 3))
            rm, r0, rp = np.split(r, 3)
            worse = r0 < r_best
            better = ~worse
            s_best = np.where(better, s, s_best)
            r_best = np.where(better, r0, r_best)
            rs = (rp - rm) / (2 * d)
            rss = (rp - 2 * r0 + rm) / d**2
            conc = rss < 0
            ds = np.where(conc, -rs / np.where(conc, rss, -1.0), np.sign(rs) * bound / 2)
            ds = np.clip(ds, -bound, bound)
            # backtrack from a worse point: halfway back towards the best one
            bound = np.where(worse, bound / 2, bound)
            s_new = np.where(worse, 0.5 * (s + s_best), s_best + ds)
            moved = np.abs(s_new - s)
            s = s_new
            if np.all(moved < np.radians(1e-4)):
                break
        return s_best, r_best

def _wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def aim(
    vehicle,
    launch_lat,
    launch_lon,
    target_lat,
    target_lon,
    *,
    mode: str = "min-energy",
    apogee=None,
    flight_time=None,
    options: FlightOptions = FlightOptions(),
    tolerance: float = 100.0,
    max_iter: int = 40,
    output_step: float | None = None,
    start=None,
    scan=None,
    drop: bool = False,
):
    """Aim a batch of shots (angles in radians, apogee in m, flight time in s).

    ``start``: for the apogee and flight-time modes, the (kick, cutoff,
    azimuth) of already-aimed minimum-energy shots to the same targets (as
    flown: ``Trajectories.kick``, ``.cutoff``, ``.azimuth``); the
    minimum-energy solve is then skipped.

    ``scan``: (shape, maximum range) of each shot's full-energy
    maximum-range scan along its target azimuth (:func:`scan_max_range`),
    when already known (missiles; ignored for impulsive shots): the scan is
    then skipped.

    ``drop``: instead of raising :class:`AimError` for the shots that cannot
    be aimed, aim the others and return ``(trajectories of every shot,
    {index: reason})``; the trajectories of the failed shots mean nothing.

    Returns the flown :class:`Trajectories` with ``target_lat``/``target_lon``
    and ``miss_distance`` set. Raises :class:`AimError` naming the maximum range
    of the missile in that direction when a target is beyond reach, and when a
    stated apogee or flight time cannot be flown to the target.
    """
    if mode not in AIM_MODES:
        raise ValueError(f"aim mode must be one of {AIM_MODES}, got {mode!r}")
    if output_step is None:
        output_step = options.output_step  # a time series asked for in the options
    arr = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in (launch_lat, launch_lon, target_lat, target_lon)))
    n = max(arr[0].size, 1 if isinstance(vehicle, (Missile, Impulsive)) else len(vehicle))
    lat, lon, tlat, tlon = (np.broadcast_to(a, (n,)).astype(float) for a in arr)
    vehicles = vehicle_list(vehicle, n)
    p = _Problem(vehicles, lat, lon, options.replace(output_step=None))
    earth = options.earth
    rt, azt = E.geodesic_inverse(lat, lon, tlat, tlon, earth)
    failed: dict[int, str] = {}
    dead = np.zeros(n, bool)

    def fail(j, lines, exc):
        """Shots ``j`` cannot be aimed: raise ``exc`` or (drop) note them."""
        if not drop:
            raise exc
        for i, line in zip(j, lines):
            failed[int(i)] = line
        dead[np.asarray(j, dtype=np.int64)] = True

    if np.any(rt < 1e3):
        j = np.nonzero(rt < 1e3)[0]
        fail(j, ["target closer than 1 km to the launch point"] * len(j),
             AimError("target closer than 1 km to the launch point", index=j))
    az = azt.copy()
    if start is not None and mode != "min-energy":
        k0, c0, a0 = (np.broadcast_to(np.asarray(x, float), (n,)).copy() for x in start)
        s = np.where(p.impulsive, 0.0, k0)
        e = np.where(np.isfinite(c0), c0 / np.where(p.impulsive, 1.0, np.nan_to_num(p.burn, nan=1.0)), p.emax)
        if p.impulsive.any():
            raise ValueError("aim(start=...) is for missiles only")
        target = np.broadcast_to(np.asarray(apogee if mode == "apogee" else flight_time, dtype=float), (n,)).copy()
        s, e, az = _shape_solve(p, mode, target, s, e, a0, rt, azt, p.emax.copy(), tolerance, max_iter, dead, fail)
        tr = _finish(p, s, e, az, options, output_step, tlat, tlon, mode, n, tolerance, dead, fail)
        return (tr, failed) if drop else tr
    # --- full-energy maximum range along the target direction (missiles only)
    emax = p.emax.copy()
    missile = ~p.impulsive
    s = np.zeros(n)
    rmax = np.full(n, np.inf)
    if missile.any():
        mi = np.nonzero(missile)[0]
        if scan is not None:
            s0, r0 = (np.broadcast_to(np.asarray(x, float), (n,)) for x in scan)
            s[mi], rmax[mi] = s0[mi], r0[mi]
        else:
            s[mi], rmax[mi] = p.scan_max_range(az[mi], emax[mi], mi)
    short = missile & (rmax < rt) & ~dead
    if short.any():
        j = np.nonzero(short)[0]
        lines = [
            f"{vehicles[i]}: target is {rt[i] / 1e3:,.0f} km away but the missile reaches at most "
            f"{rmax[i] / 1e3:,.0f} km at azimuth {np.degrees(az[i]):.1f} deg ({earth.describe()})"
            for i in j
        ]
        fail(j, lines, AimError("target beyond reach: " + "; ".join(lines[:5]), index=j, max_range=rmax[j]))
    # --- first guess; impulsive shots from the spherical two-body minimum-energy solution
    psi = rt / earth.a
    v_me = np.sqrt(earth.mu / earth.a * 2 * np.sin(psi / 2) / (1 + np.sin(psi / 2)))
    e = np.where(p.impulsive, np.minimum(v_me / SPEED_SCALE, emax * 0.99), np.clip(np.sqrt(rt / np.minimum(rmax, 1e9)), 0.3, 0.999))
    s = np.where(p.impulsive, np.pi / 4 - psi / 4, s)
    # --- minimum energy: bracketed Newton on the energy, Newton on the shape
    e_lo = np.zeros(n)
    e_hi = emax.copy()
    de = 1e-4
    ds = np.radians(0.1)
    done = dead.copy()
    for it in range(max_iter):
        act = np.nonzero(~done)[0]
        if act.size == 0:
            break
        k = act.size
        sh = np.concatenate([s[act], s[act] - ds, s[act] + ds, s[act]])
        en = np.concatenate([e[act], e[act], e[act], np.minimum(e[act] + de, emax[act] + de)])
        r, a, *_ = p.measure(sh, en, np.tile(az[act], 4), np.tile(act, 4))
        r0, rm, rp, re_ = np.split(r, 4)
        a0 = a[:k]
        rs = (rp - rm) / (2 * ds)
        rss = (rp - 2 * r0 + rm) / ds**2
        conc = rss < 0
        dsh = np.where(conc, -rs / np.where(conc, rss, -1.0), np.sign(rs) * np.radians(2.0))
        dsh = np.clip(dsh, -np.radians(5.0), np.radians(5.0))
        rpred = np.where(conc, r0 - 0.5 * rs * rs / np.where(conc, rss, -1.0), r0)
        # Energy bracket. Range grows with energy at the best shape. A range
        # beyond the target proves the energy is enough (the best shape does no
        # worse); a shortfall proves too little only once the shape is
        # near-optimal (the quadratic model predicts little more to gain).
        e_hi[act] = np.where(r0 >= rt[act], np.minimum(e_hi[act], e[act]), e_hi[act])
        sure_low = conc & (rpred < rt[act]) & (rpred - r0 < 1e-3 * rt[act])
        e_lo[act] = np.where(sure_low, np.maximum(e_lo[act], e[act]), e_lo[act])
        re = (re_ - r0) / de
        den = np.where(re > 0, re, np.nan)
        enew = e[act] + (rt[act] - rpred) / den
        bad = ~np.isfinite(enew) | (enew <= e_lo[act]) | (enew >= e_hi[act])
        enew = np.where(bad, 0.5 * (e_lo[act] + e_hi[act]), enew)
        miss_az = _wrap(azt[act] - a0)
        miss = np.hypot(r0 - rt[act], rt[act] * np.sin(miss_az))
        optimal = np.abs(rs) * np.radians(0.01) < max(tolerance, 1.0)
        conv = (miss < tolerance) & optimal
        done[act[conv]] = True
        upd = ~conv
        s[act[upd]] += dsh[upd]
        e[act[upd]] = enew[upd]
        az[act[upd]] = az[act[upd]] + miss_az[upd]
        # full energy at the best shape and still short: out of reach once the
        # launch azimuth corrects for the Earth's rotation
        short = ~conv & (e_lo[act] >= emax[act] * (1 - 1e-6)) & (rpred < rt[act] - tolerance)
        if short.any():
            j = act[short]
            lines = [
                f"{vehicles[i]}: target is {rt[i] / 1e3:,.0f} km away but the missile reaches at most "
                f"{rp_ / 1e3:,.0f} km on the launch azimuth that corrects for the Earth's rotation "
                f"({np.degrees(az[i]) % 360:.1f} deg; {earth.describe()})"
                for i, rp_ in zip(j, rpred[short])
            ]
            fail(j, lines, AimError("target beyond reach: " + "; ".join(lines[:5]), index=j, max_range=rpred[short]))
            done[j] = True
    if mode != "min-energy":
        target = np.broadcast_to(np.asarray(apogee if mode == "apogee" else flight_time, dtype=float), (n,)).copy()
        s, e, az = _shape_solve(p, mode, target, s, e, az, rt, azt, emax, tolerance, max_iter, dead, fail)
    tr = _finish(p, s, e, az, options, output_step, tlat, tlon, mode, n, tolerance, dead, fail)
    return (tr, failed) if drop else tr


def _no_drop(j, lines, exc):
    raise exc


def _finish(p, s, e, az, options, output_step, tlat, tlon, mode, n, tolerance, dead=None, fail=_no_drop):
    tr = p.fly(s, e, az, output_step=output_step)
    tr.options = options if output_step is None else options.replace(output_step=output_step)
    tr.target_lat = tlat
    tr.target_lon = tlon
    tr.aim_mode = [mode] * n
    miss = tr.miss_distance
    bad = ~(miss < max(10 * tolerance, 1000.0))
    if dead is not None:
        bad &= ~dead
    if np.any(bad):
        j = np.nonzero(bad)[0]
        worst = np.where(np.isfinite(miss), miss, np.inf)[j]
        fail(j, [f"{p.vehicles[i]}: aim did not converge (miss {w / 1e3:.1f} km)" for i, w in zip(j, worst)],
             AimError(f"aim did not converge for {len(j)} shot(s) (worst miss {np.nanmax(worst) / 1e3:.1f} km)", index=j))
    return tr


def _shape_solve(p, mode, target, s, e, az, rt, azt, emax, tolerance, max_iter, dead=None, fail=_no_drop):
    """Newton in (shape, energy) for range = target range and apogee (or flight
    time) = target value, starting from the minimum-energy solution."""
    n = len(s)
    ds = np.radians(0.05)
    de = 1e-4
    col = 2 if mode == "apogee" else 3
    unit = 1000.0 if mode == "apogee" else 1.0
    vtol = 100.0 if mode == "apogee" else 0.5  # m of apogee, s of flight time
    done = np.zeros(n, bool) if dead is None else dead.copy()
    idx = np.arange(n)
    # a shot whose residual has not fallen below 0.9 of its best for STALL
    # iterations is stuck (an apogee that cannot be flown to that range): it
    # stops there and the check below judges it, instead of holding the
    # batch for the whole iteration budget
    best = np.full(n, np.inf)
    stall = np.zeros(n, int)
    for _ in range(max_iter * 2):
        act = idx[~done]
        if act.size == 0:
            break
        k = act.size
        sh = np.concatenate([s[act], s[act] + ds, s[act]])
        en = np.concatenate([e[act], e[act], e[act] - de])
        out = p.measure(sh, en, np.tile(az[act], 3), np.tile(act, 3))
        r, a, val = out[0], out[1], out[col]
        r0, r1, r2 = np.split(r, 3)
        v0, v1, v2 = np.split(val, 3)
        a0 = a[:k]
        miss_az = _wrap(azt[act] - a0)
        fr = rt[act] - r0
        fv = target[act] - v0
        conv = (np.hypot(fr, rt[act] * np.sin(miss_az)) < tolerance) & (np.abs(fv) < vtol)
        done[act[conv]] = True
        res = np.hypot(np.hypot(fr, rt[act] * np.sin(miss_az)) / tolerance, fv / vtol)
        better = res < 0.9 * best[act]
        best[act] = np.where(better, res, best[act])
        stall[act] = np.where(better, 0, stall[act] + 1)
        done[act[stall[act] >= STALL]] = True
        jrs, jre = (r1 - r0) / ds, (r0 - r2) / de
        jvs, jve = (v1 - v0) / ds, (v0 - v2) / de
        det = jrs * jve - jre * jvs
        dsv = (fr * jve - jre * fv) / det
        dev = (jrs * fv - jvs * fr) / det
        scale = np.maximum(1.0, np.maximum(np.abs(dsv) / np.radians(3.0), np.abs(dev) / 0.05))
        dsv /= scale
        dev /= scale
        upd = ~conv & np.isfinite(dsv) & np.isfinite(dev)
        ua = act[upd]
        s[ua] += dsv[upd]
        e[ua] = np.clip(e[ua] + dev[upd], 1e-3, emax[ua])
        az[ua] += miss_az[upd]
        stuck = act[~conv & (~np.isfinite(dsv) | ~np.isfinite(dev))]
        if stuck.size:
            done[stuck] = True
    # check what was asked is what was flown
    r, a, apo, ft, _ = p.measure(s, e, az, idx)
    val = apo if mode == "apogee" else ft
    off = np.abs(val - target) > np.maximum(vtol * 10, 1e-3 * np.abs(target))
    if dead is not None:
        off &= ~dead
    if off.any():
        j = np.nonzero(off)[0]
        what = "apogee" if mode == "apogee" else "flight time"
        u = "km" if mode == "apogee" else "s"
        lines = [
            f"{p.vehicles[i]}: a {what} of {target[i] / unit:,.0f} {u} to {rt[i] / 1e3:,.0f} km cannot be flown "
            f"(closest reached {val[i] / unit:,.0f} {u}{', at full energy' if e[i] >= emax[i] - 1e-9 else ''})"
            for i in j
        ]
        fail(j, lines, AimError("; ".join(lines[:5]), index=j))
    return s, e, az


def max_range(vehicle, launch_lat, launch_lon, azimuth, *, speed=None, options: FlightOptions = FlightOptions(), output_step=None):
    """Fly each shot at full energy (missiles) or at the given ``speed`` (m/s,
    impulsive) with the shape that maximises ground range along ``azimuth``."""
    if output_step is None:
        output_step = options.output_step
    arr = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in (launch_lat, launch_lon, azimuth)))
    n = max(arr[0].size, 1 if isinstance(vehicle, (Missile, Impulsive)) else len(vehicle))
    lat, lon, az = (np.broadcast_to(a, (n,)).astype(float) for a in arr)
    vehicles = vehicle_list(vehicle, n)
    p = _Problem(vehicles, lat, lon, options.replace(output_step=None))
    energy = p.emax.copy()
    if p.impulsive.any():
        if speed is None:
            raise ValueError("an impulsive maximum-range shot needs a burnout speed")
        energy = np.where(p.impulsive, np.broadcast_to(np.asarray(speed, float), (n,)) / SPEED_SCALE, energy)
    s, _ = p.scan_max_range(az, energy, np.arange(n))
    tr = p.fly(s, energy, az, output_step=output_step)
    tr.options = options if output_step is None else options.replace(output_step=output_step)
    return tr
