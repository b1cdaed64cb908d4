"""The engagement engine: for N threat trajectories x M interceptor batteries,
when can an interceptor launch, where and when can it intercept, with what
margin.

Model (every item a named parameter, reported with the results):

1. Timeline. The earliest permitted interceptor launch follows from the
   sensors: first detection by the cueing radar + the time to a firm track +
   a decision delay (launch on own or on remote radar), or is given directly as
   a delay after the threat's launch (:class:`Timeline`).
2. Fly-out. The interceptor's own staged trajectory (or an impulsive burnout)
   is flown in a fan of pitch-over angles and azimuths from the battery's site,
   over the same Earth model as the threats (rotation, J2, drag), and tabulated
   once as the least time to reach each (ground range, altitude) point per
   azimuth, with the interceptor's speed and flight-path angle on arrival
   (:class:`FlyoutTable`). A point reached in time T may be reached at any
   later time (by a lofted path or a later launch).
3. Intercept. A threat sample at time t (after threat launch) can be
   intercepted if it is inside the interceptor's altitude band and range, the
   closing speed is at least the minimum, the geometry is not a tail chase
   (unless allowed), and an interceptor launched at t - T(point) is not earlier
   than the permitted launch. The latest launch time that still allows an
   intercept, the window of feasible intercept times, the intercept point,
   closing speed and crossing angle, the margin (latest possible launch minus
   earliest permitted launch) and the number of shoot-look-shoot opportunities
   follow (:func:`engage`, compiled, parallel over threats).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numba
import numpy as np
from numba import prange

from . import earth as E
from .flight import FlightOptions, Impulsive, run
from .flight.trajectories import Trajectories
from .sensors import EarlyWarningSatellites, Radar, observe
from .vehicles import Interceptor, ReentryVehicle

RE_MEAN = E.SPHERE_RADIUS  # ground ranges of the engagement geometry: central angle x 6371 km
BLOCK = 16  # threat samples per block of the coarse reach test


class EngagementError(ValueError):
    """Bad engagement input (message says which)."""


# ------------------------------------------------------------- timeline ----
@dataclass(frozen=True)
class Timeline:
    """How the earliest interceptor launch time follows from sensing.

    Either ``launch_delay`` (s after the threat's launch) or a cueing ``radar``
    (the battery's own or a remote one): launch no earlier than first detection
    + track time (the radar's, unless ``track_time`` is given) + ``decision_time``.
    ``satellites`` (early-warning cue) are reported but do not make a
    fire-control track."""

    launch_delay: float | None = None
    radar: Radar | None = None
    track_time: float | None = None
    decision_time: float = 30.0
    rcs: float = 0.1  # m^2, the threat's radar cross-section seen by the cueing radar
    satellites: EarlyWarningSatellites | None = None
    mode: str = "launch-on-remote"  # or "own radar"; a label for the report

    def __post_init__(self):
        if self.launch_delay is None and self.radar is None:
            raise EngagementError("a timeline needs a launch delay or a cueing radar")
        for name in ("launch_delay", "track_time", "decision_time"):
            v = getattr(self, name)
            if v is not None and not (v >= 0 and math.isfinite(v)):
                raise EngagementError(f"timeline {name} must be a number >= 0 s, got {v!r}")
        if not self.rcs > 0:
            raise EngagementError(f"radar cross-section must be positive, got {self.rcs!r}")

    def earliest_launch(self, threats: Trajectories) -> np.ndarray:
        """Earliest permitted interceptor launch per threat (s after threat
        launch; NaN if the radar never establishes a track)."""
        if self.radar is None:
            return np.full(len(threats), float(self.launch_delay))
        rep = observe(threats, self.radar if self.track_time is None else self.radar.replace(track_time=self.track_time),
                      self.rcs)
        t = rep.track_time + self.decision_time
        if self.launch_delay is not None:
            t = np.maximum(t, self.launch_delay)
        return t

    def describe(self) -> list[str]:
        if self.radar is None:
            return [f"interceptor launch no earlier than {self.launch_delay:g} s after threat launch (given)"]
        tt = self.radar.track_time if self.track_time is None else self.track_time
        out = [
            f"cueing radar {self.radar.name} ({self.mode}); threat RCS {self.rcs:g} m^2, detection range "
            f"{float(self.radar.detection_range(self.rcs)) / 1e3:,.0f} km",
            f"launch no earlier than first detection + {tt:g} s to a firm track + {self.decision_time:g} s decision",
        ]
        if self.launch_delay is not None:
            out.append(f"and no earlier than {self.launch_delay:g} s after threat launch")
        if self.satellites is not None:
            out.append(f"early-warning satellites: launch cue {self.satellites.delay:g} s after threat launch (not a track)")
        return out


# --------------------------------------------------------------- fly-out ----
def _ground_range(r, site_unit):
    """Central angle x mean radius from the site to the sub-point of ECEF points r."""
    rn = np.linalg.norm(r, axis=-1)
    c = np.clip((r @ site_unit) / rn, -1.0, 1.0)
    return np.arccos(c) * RE_MEAN


@dataclass
class FlyoutTable:
    """Least time for an interceptor launched at a site to reach (ground range,
    altitude) points, per launch azimuth; with speed and flight-path angle on
    arrival. Arrays are (n_az, n_alt, n_range); unreachable points are inf."""

    interceptor: Interceptor
    lat: float
    lon: float
    alt: float
    range_grid: np.ndarray
    alt_grid: np.ndarray
    az_grid: np.ndarray
    time: np.ndarray
    speed: np.ndarray
    fpa: np.ndarray
    options: FlightOptions

    @classmethod
    def build(
        cls,
        interceptor: Interceptor,
        lat: float,
        lon: float,
        alt: float = 0.0,
        options: FlightOptions = FlightOptions(),
        n_fan: int = 121,
        n_az: int | None = None,
        n_range: int = 241,
        n_alt: int = 121,
        t_max: float = 1500.0,
        step: float = 1.0,
    ) -> "FlyoutTable":
        if n_az is None:
            n_az = 8 if options.earth.rotation else 1
        az_grid = np.arange(n_az) * 2 * np.pi / n_az
        opts = options.replace(output_step=step, t_max=t_max)
        if interceptor.impulsive:
            shapes = np.radians(np.linspace(90.0, 3.0, n_fan))
            veh = Impulsive(ReentryVehicle(interceptor.kill_vehicle_mass, 1e4), name=interceptor.name)
            kw = lambda s: dict(speed=interceptor.burnout_speed, elevation=s)  # noqa: E731
        else:
            shapes = np.radians(np.linspace(0.0, 80.0, n_fan))
            veh = interceptor.as_missile()
            kw = lambda s: dict(kick=s)  # noqa: E731
        ss = np.tile(shapes, n_az)
        aa = np.repeat(az_grid, n_fan)
        tr = run(veh, lat, lon, aa, alt=alt, options=opts, **kw(ss))
        x0, y0, z0 = E.geodetic_to_ecef(lat, lon, alt, options.earth)
        su = np.array([x0, y0, z0]) / np.linalg.norm([x0, y0, z0])
        r, v = tr.samples_r, tr.samples_v
        rng = _ground_range(r, su)
        _, _, h = tr.samples_geodetic
        spd = np.linalg.norm(v, axis=-1)
        up = r / np.linalg.norm(r, axis=-1, keepdims=True)
        fpa = np.arcsin(np.clip((v * up).sum(-1) / np.where(spd > 0, spd, 1), -1, 1))
        t = tr.sample_times
        valid = np.arange(r.shape[1])[None, :] < tr.n_samples[:, None]
        h = np.where(valid, h, np.nan)
        # the tables reach as far and high as the fan does (capped by the interceptor's limits)
        rmax = min(float(np.nanmax(np.where(valid, rng, np.nan))), interceptor.max_range) * 1.0001
        hmax = min(float(np.nanmax(h)), interceptor.max_intercept_altitude) * 1.0001
        range_grid = np.linspace(0.0, rmax, n_range)
        alt_grid = np.linspace(0.0, hmax, n_alt)
        T = np.full((n_az, n_alt, n_range), np.inf)
        SP = np.zeros_like(T)
        FP = np.zeros_like(T)
        for a in range(n_az):
            sl = slice(a * n_fan, (a + 1) * n_fan)
            T[a], SP[a], FP[a] = _tabulate(rng[sl], h[sl], spd[sl], fpa[sl], t, range_grid, alt_grid)
        return cls(interceptor, lat, lon, alt, range_grid, alt_grid, az_grid, T, SP, FP, options)

    def lookup(self, ground_range, altitude, azimuth):
        """Time to reach (s; inf if unreachable), speed (m/s) and flight-path angle
        (rad) on arrival, for arrays of points."""
        g = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (ground_range, altitude, azimuth)))
        shape = g[0].shape
        out = np.empty((3, g[0].size))
        _lookup_many(
            np.ascontiguousarray(g[0]).ravel(), np.ascontiguousarray(g[1]).ravel(), np.ascontiguousarray(g[2]).ravel(),
            self.range_grid[1], self.alt_grid[1], self.time[None], self.speed[None], self.fpa[None], out[0], out[1],
            out[2],
        )
        return out[0].reshape(shape), out[1].reshape(shape), out[2].reshape(shape)

    def reach(self, t: float, altitude: float = 0.0, n: int = 72):
        """The fly-out fan for maps: (lat, lon) in radians of the boundary of the
        region whose points at ``altitude`` the interceptor can reach within ``t`` s."""
        az = np.linspace(0, 2 * np.pi, n, endpoint=False)
        rr = self.range_grid
        T, _, _ = self.lookup(rr[None, :], altitude, az[:, None])
        ok = T <= t
        far = np.where(ok.any(axis=1), np.where(ok, rr[None, :], 0.0).max(axis=1), 0.0)
        lat, lon = E.geodesic_direct(self.lat, self.lon, az, far, E.EarthModel("sphere", False, "point"))
        return lat, lon


def _crossings(rng, h, spd, fpa, t, alt_grid):
    """Where each fan member crosses each altitude level, going up and coming
    down: arrays (2, n_members, n_levels) of range, time, speed and flight-path
    angle (NaN where it does not). Altitude rises monotonically to the apogee
    and falls after it, so each branch is a sorted search."""
    nk = h.shape[0]
    na = len(alt_grid)
    out = np.full((4, 2, nk, na), np.nan)
    for k in range(nk):
        valid = np.isfinite(h[k])
        n = int(valid.sum())
        if n < 2:
            continue
        hk = h[k, :n]
        apo = int(np.argmax(hk))
        for branch, idx in ((0, np.arange(0, apo + 1)), (1, np.arange(n - 1, apo - 1, -1))):
            if len(idx) < 2:
                continue
            hb = np.maximum.accumulate(hk[idx])  # guards against tiny non-monotone wiggles
            j1 = np.searchsorted(hb, alt_grid, side="left")
            ok = (j1 > 0) & (j1 < len(idx))
            j1 = np.clip(j1, 1, len(idx) - 1)
            i0, i1 = idx[j1 - 1], idx[j1]
            h0, h1 = hk[i0], hk[i1]
            w = np.where(h1 != h0, (alt_grid - h0) / np.where(h1 != h0, h1 - h0, 1.0), 0.0)
            for q, arr in enumerate((rng[k], t, spd[k], fpa[k])):
                out[q, branch, k] = np.where(ok, arr[i0] + w * (arr[i1] - arr[i0]), np.nan)
    out[0] = np.where(out[0] < 1.0, 0.0, out[0])  # a vertical shot's sub-point: range 0 up to rounding
    return out


def _tabulate(rng, h, spd, fpa, t, range_grid, alt_grid):
    """Lower envelope of arrival times over the fan, per altitude level.

    Along each altitude level, adjacent fan members bound segments of ground
    range (on the way up and on the way down), and each member's own cap over
    the level (up-crossing to down-crossing) closes the gap near the highest
    members' apogees; the crossing time is interpolated linearly along each
    segment and the least time kept."""
    nr = len(range_grid)
    cr = _crossings(rng, h, spd, fpa, np.broadcast_to(t, h.shape[1:]) if np.ndim(t) == 1 else t, alt_grid)
    T = np.full((len(alt_grid), nr), np.inf)
    SP = np.zeros_like(T)
    FP = np.zeros_like(T)
    x = range_grid[None, :]
    cols = np.arange(nr)
    for j in range(len(alt_grid)):
        (ra_, rd_), (ta_, td_), (va_, vd_), (ga_, gd_) = (cr[q, :, :, j] for q in range(4))
        segs = [
            (ra_[:-1], ra_[1:], ta_[:-1], ta_[1:], va_[:-1], va_[1:], ga_[:-1], ga_[1:]),
            (rd_[:-1], rd_[1:], td_[:-1], td_[1:], vd_[:-1], vd_[1:], gd_[:-1], gd_[1:]),
            (ra_, rd_, ta_, td_, va_, vd_, ga_, gd_),
        ]
        ra, rb, ta, tb, va, vb, ga, gb = (np.concatenate(c) for c in zip(*segs))
        good = np.isfinite(ra) & np.isfinite(rb)
        if not good.any():
            continue
        ra, rb, ta, tb, va, vb, ga, gb = (a[good] for a in (ra, rb, ta, tb, va, vb, ga, gb))
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        inside = (x >= lo[:, None]) & (x <= hi[:, None])
        span = np.where(hi > lo, rb - ra, 1.0)[:, None]
        u = np.where((hi > lo)[:, None], (x - ra[:, None]) / span, 0.0)
        tt = np.where(inside, ta[:, None] + u * (tb - ta)[:, None], np.inf)
        best = np.argmin(tt, axis=0)
        T[j] = tt[best, cols]
        uu = u[best, cols]
        fin = np.isfinite(T[j])
        SP[j] = np.where(fin, va[best] + uu * (vb[best] - va[best]), 0.0)
        FP[j] = np.where(fin, ga[best] + uu * (gb[best] - ga[best]), 0.0)
    return T, SP, FP


@numba.njit(cache=True)
def _bilinear(T, SP, FP, b, a, ih, ir, wh, wr):
    """Bilinear in one azimuth plane; at the edge of the reachable region (some
    corner unreachable) the nearest corner decides, so the edge is neither
    pulled in nor pushed out."""
    t00 = T[b, a, ih, ir]
    t01 = T[b, a, ih, ir + 1]
    t10 = T[b, a, ih + 1, ir]
    t11 = T[b, a, ih + 1, ir + 1]
    if t00 == np.inf or t01 == np.inf or t10 == np.inf or t11 == np.inf:
        jh = ih + (1 if wh >= 0.5 else 0)
        jr = ir + (1 if wr >= 0.5 else 0)
        return T[b, a, jh, jr], SP[b, a, jh, jr], FP[b, a, jh, jr]
    w00 = (1 - wr) * (1 - wh)
    w01 = wr * (1 - wh)
    w10 = (1 - wr) * wh
    w11 = wr * wh
    return (
        w00 * t00 + w01 * t01 + w10 * t10 + w11 * t11,
        w00 * SP[b, a, ih, ir] + w01 * SP[b, a, ih, ir + 1] + w10 * SP[b, a, ih + 1, ir] + w11 * SP[b, a, ih + 1, ir + 1],
        w00 * FP[b, a, ih, ir] + w01 * FP[b, a, ih, ir + 1] + w10 * FP[b, a, ih + 1, ir] + w11 * FP[b, a, ih + 1, ir + 1],
    )


@numba.njit(cache=True)
def _lookup(rr, hh, az, dr, dh, T, SP, FP, b):
    """Time to reach, speed and flight-path angle at (range, altitude, azimuth):
    bilinear in (range, altitude), linear in azimuth between the tabulated
    planes (nearest plane where only one reaches the point)."""
    na, nh, nr = T.shape[1], T.shape[2], T.shape[3]
    fr = rr / dr
    fh = hh / dh
    if not (0.0 <= fr <= nr - 1) or not (0.0 <= fh <= nh - 1):
        return np.inf, 0.0, 0.0
    ir = min(int(fr), nr - 2)
    ih = min(int(fh), nh - 2)
    wr = fr - ir
    wh = fh - ih
    if na == 1:
        return _bilinear(T, SP, FP, b, 0, ih, ir, wh, wr)
    fa = (az % (2.0 * math.pi)) / (2.0 * math.pi) * na
    a0 = int(fa) % na
    a1 = (a0 + 1) % na
    wa = fa - int(fa)
    t0, s0, f0 = _bilinear(T, SP, FP, b, a0, ih, ir, wh, wr)
    t1, s1, f1 = _bilinear(T, SP, FP, b, a1, ih, ir, wh, wr)
    if t0 == np.inf or t1 == np.inf:
        return (t0, s0, f0) if wa < 0.5 else (t1, s1, f1)
    return (1 - wa) * t0 + wa * t1, (1 - wa) * s0 + wa * s1, (1 - wa) * f0 + wa * f1


@numba.njit(cache=True)
def _lookup_many(rr, hh, az, dr, dh, T4, S4, F4, ot, osp, ofp):
    for i in range(rr.size):
        ot[i], osp[i], ofp[i] = _lookup(rr[i], hh[i], az[i], dr, dh, T4, S4, F4, 0)


# ------------------------------------------------------------ batteries ----
@dataclass(frozen=True)
class Battery:
    """Interceptors of one type at one site (angles in radians, metres)."""

    name: str
    lat: float
    lon: float
    interceptor: Interceptor
    timeline: Timeline
    alt: float = 0.0
    count: int | None = None

    def __post_init__(self):
        if not -math.pi / 2 <= self.lat <= math.pi / 2:
            raise EngagementError(f"battery {self.name!r}: latitude out of range")
        if self.count is not None and self.count < 0:
            raise EngagementError(f"battery {self.name!r}: interceptor count must be >= 0, got {self.count}")

    def replace(self, **kw) -> "Battery":
        return replace(self, **kw)


# ----------------------------------------------------------- the kernel ----
# per-pair outputs
(O_REACH, O_LATEST_LAUNCH, O_EARLIEST, O_LATEST, O_KEARLY, O_CLOSE, O_CROSS, O_SHOTS, O_TL) = range(9)
NOUT = 9


@numba.njit(cache=True)
def _pair(i, b, thr_r, thr_v, thr_h, thr_ns, dt, blk_c, blk_rad, blk_hmin, blk_hmax, site, site_u, site_e, site_n,
          cons, dr, dh, T, SP, FP, tlaunch, assess, out):
    hmin, hmax, rmax, vmin, tail = cons[b, 0], cons[b, 1], cons[b, 2], cons[b, 3], cons[b, 4]
    tl_min = tlaunch[i, b]
    out[i, b, O_REACH] = 0.0
    out[i, b, O_LATEST_LAUNCH] = np.nan
    out[i, b, O_EARLIEST] = np.nan
    out[i, b, O_LATEST] = np.nan
    out[i, b, O_KEARLY] = -1.0
    out[i, b, O_CLOSE] = np.nan
    out[i, b, O_CROSS] = np.nan
    out[i, b, O_SHOTS] = 0.0
    out[i, b, O_TL] = tl_min
    ns = thr_ns[i]
    nblk = (ns + BLOCK - 1) // BLOCK
    psi_max = rmax / RE_MEAN
    sx, sy, sz = site_u[b, 0], site_u[b, 1], site_u[b, 2]
    latest_launch = -np.inf
    next_launch = tl_min
    shots = 0
    for q in range(nblk):
        # coarse test: the block's cap of sub-points against the reach circle and altitude band
        if blk_hmax[i, q] < hmin or blk_hmin[i, q] > hmax:
            continue
        c = blk_c[i, q, 0] * sx + blk_c[i, q, 1] * sy + blk_c[i, q, 2] * sz
        if math.acos(min(1.0, max(-1.0, c))) - blk_rad[i, q] > psi_max:
            continue
        for k in range(q * BLOCK, min(ns, (q + 1) * BLOCK)):
            h = thr_h[i, k]
            if h < hmin or h > hmax:
                continue
            px, py, pz = thr_r[i, k, 0], thr_r[i, k, 1], thr_r[i, k, 2]
            pn = math.sqrt(px * px + py * py + pz * pz)
            ux, uy, uz = px / pn, py / pn, pz / pn
            cx = uy * sz - uz * sy
            cy = uz * sx - ux * sz
            cz = ux * sy - uy * sx
            psi = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), ux * sx + uy * sy + uz * sz)
            rg = psi * RE_MEAN
            if rg > rmax:
                continue
            dx, dy, dz = px - site[b, 0], py - site[b, 1], pz - site[b, 2]
            az = math.atan2(dx * site_e[b, 0] + dy * site_e[b, 1] + dz * site_e[b, 2],
                            dx * site_n[b, 0] + dy * site_n[b, 1] + dz * site_n[b, 2])
            tf, spd, fpa = _lookup(rg, h, az, dr, dh, T, SP, FP, b)
            if tf == np.inf:
                continue
            # interceptor velocity on arrival: along the vertical plane from the site
            du = dx * ux + dy * uy + dz * uz
            hx, hy, hz = dx - du * ux, dy - du * uy, dz - du * uz
            hn = math.sqrt(hx * hx + hy * hy + hz * hz)
            if hn > 0:
                hx, hy, hz = hx / hn, hy / hn, hz / hn
            cg, sg = math.cos(fpa), math.sin(fpa)
            vix, viy, viz = spd * (cg * hx + sg * ux), spd * (cg * hy + sg * uy), spd * (cg * hz + sg * uz)
            vtx, vty, vtz = thr_v[i, k, 0], thr_v[i, k, 1], thr_v[i, k, 2]
            rx, ry, rz = vix - vtx, viy - vty, viz - vtz
            close = math.sqrt(rx * rx + ry * ry + rz * rz)
            vt = math.sqrt(vtx * vtx + vty * vty + vtz * vtz)
            cosang = (vix * vtx + viy * vty + viz * vtz) / max(spd * vt, 1e-9)
            cross = math.acos(min(1.0, max(-1.0, cosang)))
            if close < vmin:
                continue
            # tail chase: the threat is receding from the site (opening range),
            # a property of the threat's path alone, not of the interceptor
            if tail == 0.0 and dx * vtx + dy * vty + dz * vtz > 0.0:
                continue
            t = k * dt
            tl = t - tf
            out[i, b, O_REACH] = 1.0
            if tl > latest_launch:
                latest_launch = tl
            if tl >= tl_min:  # NaN tl_min (never tracked) fails this
                if out[i, b, O_KEARLY] < 0:
                    out[i, b, O_KEARLY] = k
                    out[i, b, O_EARLIEST] = t
                    out[i, b, O_CLOSE] = close
                    out[i, b, O_CROSS] = cross
                out[i, b, O_LATEST] = t
                if tl >= next_launch:
                    shots += 1
                    next_launch = t + assess
    if out[i, b, O_REACH] > 0:
        out[i, b, O_LATEST_LAUNCH] = latest_launch
    out[i, b, O_SHOTS] = shots


@numba.njit(parallel=True, cache=True)
def _engage_kernel(thr_r, thr_v, thr_h, thr_ns, dt, blk_c, blk_rad, blk_hmin, blk_hmax, site, site_u, site_e, site_n,
                   cons, dr, dh, T, SP, FP, tlaunch, assess, out):
    n = thr_r.shape[0]
    m = site.shape[0]
    for i in prange(n):
        for b in range(m):
            _pair(i, b, thr_r, thr_v, thr_h, thr_ns, dt, blk_c, blk_rad, blk_hmin, blk_hmax, site, site_u, site_e,
                  site_n, cons, dr, dh, T, SP, FP, tlaunch, assess, out)


# ------------------------------------------------------------- threats ----
@dataclass
class ThreatSet:
    """Threat trajectories prepared for engagement: samples, altitudes and the
    per-block caps of the coarse reach test."""

    trajectories: Trajectories
    r: np.ndarray
    v: np.ndarray
    h: np.ndarray
    ns: np.ndarray
    dt: float
    blk_c: np.ndarray
    blk_rad: np.ndarray
    blk_hmin: np.ndarray
    blk_hmax: np.ndarray

    @classmethod
    def prepare(cls, tr: Trajectories) -> "ThreatSet":
        if tr.samples_r is None:
            raise EngagementError("engagement needs threat trajectories with a time series (FlightOptions(output_step=...))")
        r = np.ascontiguousarray(np.nan_to_num(tr.samples_r))
        v = np.ascontiguousarray(np.nan_to_num(tr.samples_v))
        ns = tr.n_samples.astype(np.int64)
        n, k = r.shape[:2]
        _, _, h = tr.samples_geodetic
        valid = np.arange(k)[None, :] < ns[:, None]
        h = np.where(valid, h, np.nan)
        nb = (k + BLOCK - 1) // BLOCK
        pad = nb * BLOCK - k
        rp = np.concatenate([r, np.full((n, pad, 3), np.nan)], axis=1) if pad else r.copy()
        rp[~np.concatenate([valid, np.zeros((n, pad), bool)], axis=1)] = np.nan
        hp = np.concatenate([h, np.full((n, pad), np.nan)], axis=1)
        import warnings

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # blocks past the end are all NaN
            u = rp / np.linalg.norm(rp, axis=-1, keepdims=True)
            ub = u.reshape(n, nb, BLOCK, 3)
            c = np.nanmean(ub, axis=2)
            c /= np.linalg.norm(c, axis=-1, keepdims=True)
            ang = np.arccos(np.clip(np.einsum("nbkj,nbj->nbk", ub, c), -1, 1))
            rad = np.max(np.where(np.isfinite(ang), ang, -1.0), axis=2)
            hb = hp.reshape(n, nb, BLOCK)
            hmin = np.min(np.where(np.isfinite(hb), hb, np.inf), axis=2)
            hmax = np.max(np.where(np.isfinite(hb), hb, -np.inf), axis=2)
        c = np.nan_to_num(c)
        return cls(tr, r, v, np.nan_to_num(h, nan=-1e9), ns, float(tr.options.output_step), c,
                   np.nan_to_num(rad, nan=0.0), hmin, hmax)


# ---------------------------------------------------------- the result ----
@dataclass
class Engagements:
    """N threats x M batteries. Times in s after each threat's launch."""

    threats: ThreatSet
    batteries: list
    out: np.ndarray  # (N, M, NOUT)
    assessment_time: float
    tables: list

    @property
    def reachable(self):
        """Some point of the trajectory satisfies every geometric constraint."""
        return self.out[..., O_REACH] > 0

    @property
    def earliest_launch(self):
        return self.out[..., O_TL]

    @property
    def latest_launch(self):
        return self.out[..., O_LATEST_LAUNCH]

    @property
    def engageable(self):
        return np.isfinite(self.out[..., O_EARLIEST])

    @property
    def earliest_intercept(self):
        return self.out[..., O_EARLIEST]

    @property
    def latest_intercept(self):
        return self.out[..., O_LATEST]

    @property
    def margin(self):
        return self.latest_launch - self.earliest_launch

    @property
    def shots(self):
        return self.out[..., O_SHOTS].astype(int)

    @property
    def closing_speed(self):
        return self.out[..., O_CLOSE]

    @property
    def crossing_angle(self):
        return self.out[..., O_CROSS]

    def intercept_point(self):
        """Latitude, longitude (rad) and altitude (m) of the earliest intercept."""
        k = self.out[..., O_KEARLY].astype(int)
        n, m = k.shape
        r = self.threats.r[np.arange(n)[:, None], np.clip(k, 0, None)]
        lat, lon, h = E.ecef_to_geodetic(r[..., 0], r[..., 1], r[..., 2], self.threats.trajectories.options.earth)
        bad = k < 0
        return np.where(bad, np.nan, lat), np.where(bad, np.nan, lon), np.where(bad, np.nan, h)

    def assumptions(self) -> list[str]:
        out = list(self.threats.trajectories.options.assumptions())
        out.append(f"threat sampled every {self.threats.dt:g} s; fly-out tabulated on {RE_MEAN / 1e3:g} km ground ranges")
        out.append(f"shoot-look-shoot: {self.assessment_time:g} s kill assessment after each intercept")
        for b in self.batteries:
            ic = b.interceptor
            out.append(
                f"{b.name}: {ic.name}, intercept altitude {ic.min_intercept_altitude / 1e3:g}-{ic.max_intercept_altitude / 1e3:g} km, "
                f"range <= {ic.max_range / 1e3:,.0f} km, closing speed >= {ic.min_closing_speed / 1e3:g} km/s, "
                f"tail chase {'allowed' if ic.tail_chase else 'not allowed'}; " + "; ".join(b.timeline.describe())
            )
        return out

    def to_dataframe(self, threat_labels=None):
        import pandas as pd

        n, m = self.out.shape[:2]
        lat, lon, h = self.intercept_point()
        names = threat_labels or [f"{v}" for v in self.threats.trajectories.vehicle_names]
        rows = {
            "threat": np.repeat(np.arange(n), m),
            "threat_name": np.repeat(np.asarray(names, dtype=object), m),
            "site": np.tile(np.asarray([b.name for b in self.batteries], dtype=object), n),
            "interceptor": np.tile(np.asarray([b.interceptor.name for b in self.batteries], dtype=object), n),
            "engageable": self.engageable.ravel(),
            "earliest_launch_s": self.earliest_launch.ravel(),
            "latest_launch_s": self.latest_launch.ravel(),
            "margin_s": self.margin.ravel(),
            "earliest_intercept_s": self.earliest_intercept.ravel(),
            "latest_intercept_s": self.latest_intercept.ravel(),
            "intercept_lat_deg": np.degrees(lat).ravel(),
            "intercept_lon_deg": np.degrees(lon).ravel(),
            "intercept_alt_km": (h / 1e3).ravel(),
            "closing_speed_km_s": (self.closing_speed / 1e3).ravel(),
            "crossing_angle_deg": np.degrees(self.crossing_angle).ravel(),
            "shots": self.shots.ravel(),
        }
        return pd.DataFrame(rows)


def engage(threats, batteries, *, assessment_time: float = 60.0, tables=None, **table_kw) -> Engagements:
    """Evaluate every threat against every battery.

    ``threats``: :class:`Trajectories` with a time series (or a prepared
    :class:`ThreatSet`); ``batteries``: a list of :class:`Battery`.
    ``tables``: fly-out tables to reuse (one per battery), else built here."""
    if not assessment_time >= 0:
        raise EngagementError(f"assessment time must be >= 0 s, got {assessment_time!r}")
    ts = threats if isinstance(threats, ThreatSet) else ThreatSet.prepare(threats)
    batteries = list(batteries)
    if not batteries:
        raise EngagementError("no batteries to engage with")
    options = ts.trajectories.options.replace(output_step=None)
    if tables is None:
        tables = [FlyoutTable.build(b.interceptor, b.lat, b.lon, b.alt, options, **table_kw) for b in batteries]
    m = len(batteries)
    # common grids: every table of the batch is brought onto the finest spacing's shape
    nr = max(t.time.shape[2] for t in tables)
    nh = max(t.time.shape[1] for t in tables)
    na = max(t.time.shape[0] for t in tables)
    dr = [t.range_grid[1] for t in tables]
    dh = [t.alt_grid[1] for t in tables]
    T = np.full((m, na, nh, nr), np.inf)
    SP = np.zeros_like(T)
    FP = np.zeros_like(T)
    # per-battery grid spacing: pass the spacing per battery by scaling ranges
    scale_r = np.array(dr)
    scale_h = np.array(dh)
    for b, t in enumerate(tables):
        if t.time.shape[0] != na:
            raise EngagementError("all fly-out tables of one engagement need the same number of azimuths")
        T[b, :, : t.time.shape[1], : t.time.shape[2]] = t.time
        SP[b, :, : t.time.shape[1], : t.time.shape[2]] = t.speed
        FP[b, :, : t.time.shape[1], : t.time.shape[2]] = t.fpa
    site = np.zeros((m, 3))
    site_u = np.zeros((m, 3))
    site_e = np.zeros((m, 3))
    site_n = np.zeros((m, 3))
    cons = np.zeros((m, 5))
    for b, bat in enumerate(batteries):
        x = np.array(E.geodetic_to_ecef(bat.lat, bat.lon, bat.alt, options.earth), dtype=float)
        site[b] = x
        site_u[b] = x / np.linalg.norm(x)
        e_, n_, _ = E.enu_basis(bat.lat, bat.lon)
        site_e[b], site_n[b] = e_, n_
        ic = bat.interceptor
        cons[b] = (ic.min_intercept_altitude, ic.max_intercept_altitude, ic.max_range, ic.min_closing_speed,
                   1.0 if ic.tail_chase else 0.0)
    tl = np.column_stack([bat.timeline.earliest_launch(ts.trajectories) for bat in batteries])
    out = np.empty((len(ts.ns), m, NOUT))
    if np.allclose(scale_r, scale_r[0]) and np.allclose(scale_h, scale_h[0]):
        _engage_kernel(ts.r, ts.v, ts.h, ts.ns, ts.dt, ts.blk_c, ts.blk_rad, ts.blk_hmin, ts.blk_hmax, site, site_u,
                       site_e, site_n, cons, float(scale_r[0]), float(scale_h[0]), T, SP, FP, tl, float(assessment_time), out)
    else:
        for b in range(m):
            sub = out[:, b : b + 1]
            tmp = np.empty((len(ts.ns), 1, NOUT))
            _engage_kernel(ts.r, ts.v, ts.h, ts.ns, ts.dt, ts.blk_c, ts.blk_rad, ts.blk_hmin, ts.blk_hmax,
                           site[b : b + 1], site_u[b : b + 1], site_e[b : b + 1], site_n[b : b + 1], cons[b : b + 1],
                           float(scale_r[b]), float(scale_h[b]), T[b : b + 1], SP[b : b + 1], FP[b : b + 1],
                           np.ascontiguousarray(tl[:, b : b + 1]), float(assessment_time), tmp)
            sub[...] = tmp
    return Engagements(ts, batteries, out, float(assessment_time), tables)
