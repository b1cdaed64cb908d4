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
from dataclasses import dataclass, replace

import numba
import numpy as np
from numba import prange

from . import earth as E
from .flight import FlightOptions, Impulsive, run
from .flight.trajectories import Trajectories
from .sensors import EarlyWarningSatellites, Network, Radar, observe
from .vehicles import Interceptor, ReentryVehicle
from .errors import OpenBMDError

RE_MEAN = E.SPHERE_RADIUS  # ground ranges of the engagement geometry: central angle x 6371 km
FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}  # fastmath without the no-NaN/no-inf assumptions


class EngagementError(OpenBMDError, ValueError):
    """Bad engagement input (message says which)."""


# ------------------------------------------------------------- timeline ----
MODES = ("own", "launch-on-remote", "engage-on-remote")
HANDOVER_TIME = 10.0  # s: ASSUMPTION (range 0-30 s), see Timeline
HANDOVER_SOURCE = ("ASSUMPTION: the guiding radar must hold a firm track 10 s (range 0-30 s) before the intercept "
                   "(time to hand the track to the interceptor in flight); no public figure")


def _mode(m: str) -> str:
    m = {"own radar": "own", "own-radar": "own"}.get(m, m)
    if m not in MODES:
        raise EngagementError(f"engagement mode must be one of {', '.join(MODES)}, got {m!r}")
    return m


@dataclass(frozen=True)
class Timeline:
    """How sensing sets the earliest interceptor launch and who guides it.

    Cue sources: the battery's ``own`` radar, ``remote`` radars and
    early-warning satellites (through the ``network``, one link latency each),
    and ``radar`` (the older single-radar form: the battery's own or a remote
    one). The earliest launch is the earliest usable track among the sources
    the ``mode`` admits + ``decision_time`` (and no earlier than
    ``launch_delay`` when that is given; with no source, it is the launch):

    * ``own``: the own radar (or ``radar``) only;
    * ``launch-on-remote``: any source; the own radar must hold a firm track
      ``handover_time`` s before the intercept and see the intercept point;
    * ``engage-on-remote``: any source; any radar of the set (own or remote)
      holding a firm track ``handover_time`` s before the intercept and seeing
      the intercept point can guide it.

    Satellites never guide. Without an ``own`` radar (the older form) no
    guidance constraint is applied. Adding a source never delays a cue, and
    the guidance of engage-on-remote contains launch-on-remote's."""

    launch_delay: float | None = None
    radar: Radar | None = None
    track_time: float | None = None
    decision_time: float = 30.0
    rcs: object = 0.1  # m^2 (whole flight), or a sensors.Signature / Signatures (by flight phase)
    mode: str = "launch-on-remote"
    own: Radar | None = None
    remote: tuple = ()  # Radar and EarlyWarningSatellites, through the network
    network: Network | None = None
    handover_time: float = HANDOVER_TIME

    def __post_init__(self):
        object.__setattr__(self, "mode", _mode(self.mode))
        object.__setattr__(self, "remote", tuple(self.remote))
        if self.launch_delay is None and self.radar is None and self.own is None and not self.remote:
            raise EngagementError("a timeline needs a launch delay or a cue source (own radar, remote radar, satellites)")
        for name in ("launch_delay", "track_time", "decision_time", "handover_time"):
            v = getattr(self, name)
            if v is not None and not (v >= 0 and math.isfinite(v)):
                raise EngagementError(f"timeline {name} must be a number >= 0 s, got {v!r}")
        if isinstance(self.rcs, (int, float)) and not self.rcs > 0:
            raise EngagementError(f"radar cross-section must be positive, got {self.rcs!r}")
        for src in self.remote:
            if not isinstance(src, (Radar, EarlyWarningSatellites)):
                raise EngagementError(f"a remote cue source must be a radar or satellites, got {src!r}")

    @property
    def latency(self) -> float:
        return self.network.link_latency if self.network is not None else 0.0

    def _radar(self, r: Radar) -> Radar:
        return r if self.track_time is None else r.replace(track_time=self.track_time)

    def sources(self):
        """(source, is_remote) pairs the mode admits for the launch cue."""
        own = self.own
        out = []
        if own is not None:
            out.append((own, False))
        if self.radar is not None and (own is None or self.radar != own):
            out.append((self.radar, own is not None or self.mode != "own"))
        if self.mode != "own":
            out += [(r, True) for r in self.remote]
        elif own is None and self.radar is None:
            out += [(r, True) for r in self.remote]
        return out

    def _ready(self, src, is_remote, threats) -> np.ndarray:
        if isinstance(src, EarlyWarningSatellites):
            t = src.cue_time(threats)
        else:
            t = observe(threats, self._radar(src), self.rcs).track_time
        return t + (self.latency if is_remote else 0.0)

    def cue_times(self, threats: Trajectories) -> dict:
        """Per source name: when its track reaches the battery (s after threat launch)."""
        return {getattr(s, "name", str(s)): self._ready(s, rem, threats) for s, rem in self.sources()}

    def earliest_launch(self, threats: Trajectories) -> np.ndarray:
        """Earliest permitted interceptor launch per threat (s after threat
        launch; NaN if no source ever establishes a track)."""
        srcs = self.sources()
        if not srcs:
            return np.full(len(threats), float(self.launch_delay))
        t = np.full(len(threats), np.nan)
        for s, rem in srcs:
            t = np.fmin(t, self._ready(s, rem, threats))
        t = t + self.decision_time
        if self.launch_delay is not None:
            t = np.maximum(t, self.launch_delay)
        return t

    def guides(self) -> list:
        """(radar, is_remote) that may guide the interceptor (empty: no constraint)."""
        if self.own is None:
            return []
        out = [(self.own, False)]
        if self.mode == "engage-on-remote":
            if self.radar is not None and self.radar != self.own:
                out.append((self.radar, True))
            out += [(r, True) for r in self.remote if isinstance(r, Radar)]
        return out

    def guidance(self, threats: Trajectories) -> np.ndarray | None:
        """(N, K) boolean: which samples a guiding radar sees while holding a
        firm track for ``handover_time`` s (None: no constraint)."""
        g = self.guides()
        if not g:
            return None
        t = threats.sample_times
        out = None
        for r, rem in g:
            rep = observe(threats, self._radar(r), self.rcs)
            ready = rep.track_time + (self.latency if rem else 0.0) + self.handover_time
            m = rep.visible & (t[None, :] >= np.nan_to_num(ready, nan=np.inf)[:, None])
            out = m if out is None else (out | m)
        return out

    def describe(self) -> list[str]:
        srcs = self.sources()
        if not srcs:
            return [f"interceptor launch no earlier than {self.launch_delay:g} s after threat launch (given)"]
        rcs = self.rcs.describe() if hasattr(self.rcs, "describe") else (
            "threat RCS by flight phase and missile" if not isinstance(self.rcs, (int, float)) else f"threat RCS {self.rcs:g} m^2")
        names = ", ".join(f"{getattr(s, 'name', s)}{' (remote)' if rem else ''}" for s, rem in srcs)
        out = [f"mode {self.mode}; cue sources: {names}; {rcs}"]
        if self.network is not None:
            out.append(f"remote tracks through {self.network.name}, {self.network.link_latency:g} s per link")
        tt = "each radar's track time" if self.track_time is None else f"{self.track_time:g} s to a firm track"
        out.append(f"launch no earlier than the earliest usable track ({tt}; satellites: their boost track) "
                   f"+ {self.decision_time:g} s decision")
        if self.launch_delay is not None:
            out.append(f"and no earlier than {self.launch_delay:g} s after threat launch")
        g = self.guides()
        if g:
            out.append(f"guided by {', '.join(r.name for r, _ in g)}: the intercept point in its coverage, "
                       f"its firm track held {self.handover_time:g} s before")
        else:
            out.append("no guidance constraint (the cueing track is assumed to guide the interceptor)")
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
        n_fan: int = 241,
        n_az: int | None = None,
        n_range: int = 241,
        n_alt: int = 121,
        t_max: float = 1500.0,
        step: float = 1.0,
    ) -> "FlyoutTable":
        """Fly the fan and tabulate it; kept in the persistent cache
        (:mod:`openbmd.cache`) under the content of every argument."""
        from . import cache

        if n_az is None:
            n_az = 8 if options.earth.rotation else 1
        args = (interceptor, float(lat), float(lon), float(alt), options, int(n_fan), int(n_az), int(n_range),
                int(n_alt), float(t_max), float(step))

        def unpack(z):
            t = cls(interceptor, lat, lon, alt, z["range_grid"], z["alt_grid"], z["az_grid"], z["time"], z["speed"],
                    z["fpa"], options)
            if t.time.shape != (n_az, n_alt, n_range) or t.speed.shape != t.time.shape or t.fpa.shape != t.time.shape:
                raise ValueError("cached fly-out table has the wrong shape")
            return t

        return cache.cached(
            "flyout", args, lambda: cls._compute(*args), unpack=unpack,
            pack=lambda t: dict(range_grid=t.range_grid, alt_grid=t.alt_grid, az_grid=t.az_grid, time=t.time,
                           speed=t.speed, fpa=t.fpa))

    @classmethod
    def _compute(cls, interceptor, lat, lon, alt, options, n_fan, n_az, n_range, n_alt, t_max, step) -> "FlyoutTable":
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
        rng, h, spd, fpa = _fan_state(r, v, tr.n_samples, su, options.earth.a, options.earth.f)
        t = tr.sample_times
        valid = np.arange(r.shape[1])[None, :] < tr.n_samples[:, None]
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

    def reach(self, t: float, altitude: float = 0.0, n: int = 72, lon: float | None = None):
        """The fly-out fan for maps: (lat, lon) in radians of the boundary of the
        region whose points at ``altitude`` the interceptor can reach within ``t``
        s (the table holds for any site longitude: pass the site's as ``lon``)."""
        az = np.linspace(0, 2 * np.pi, n, endpoint=False)
        rr = self.range_grid
        T, _, _ = self.lookup(rr[None, :], altitude, az[:, None])
        ok = T <= t
        far = np.where(ok.any(axis=1), np.where(ok, rr[None, :], 0.0).max(axis=1), 0.0)
        return E.geodesic_direct(self.lat, self.lon if lon is None else lon, az, far,
                                 E.EarthModel("sphere", False, "point"))


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _fan_state(r, v, ns, su, a, f):
    """Per fan sample: ground range from the site (central angle x mean
    radius), height above the ellipsoid (NaN past the member's last sample),
    speed and flight-path angle above the local horizontal (geocentric up)."""
    n, k = r.shape[0], r.shape[1]
    rng = np.full((n, k), np.nan)
    h = np.full((n, k), np.nan)
    spd = np.full((n, k), np.nan)
    fpa = np.full((n, k), np.nan)
    for i in prange(n):
        for j in range(ns[i]):
            x, y, z = r[i, j, 0], r[i, j, 1], r[i, j, 2]
            rn = math.sqrt(x * x + y * y + z * z)
            c = (x * su[0] + y * su[1] + z * su[2]) / rn
            rng[i, j] = math.acos(min(1.0, max(-1.0, c))) * RE_MEAN
            h[i, j] = E.ecef_to_geodetic_k(x, y, z, a, f)[2]
            vx, vy, vz = v[i, j, 0], v[i, j, 1], v[i, j, 2]
            sp = math.sqrt(vx * vx + vy * vy + vz * vz)
            spd[i, j] = sp
            fpa[i, j] = math.asin(min(1.0, max(-1.0, (vx * x + vy * y + vz * z) / rn / (sp if sp > 0 else 1.0))))
    return rng, h, spd, fpa


def _crossings(rng, h, spd, fpa, t, alt_grid):
    """Where each fan member crosses each altitude level, going up and coming
    down: arrays (2, n_members, n_levels) of range, time, speed and flight-path
    angle (NaN where it does not). Altitude rises monotonically to the apogee
    and falls after it, so each branch is a sorted search."""
    t1 = np.ascontiguousarray(np.broadcast_to(t, h.shape[1:]) if np.ndim(t) == 1 else t[0], dtype=np.float64)
    out = np.full((4, 2, h.shape[0], len(alt_grid)), np.nan)
    _crossings_k(np.ascontiguousarray(rng), np.ascontiguousarray(h), np.ascontiguousarray(spd),
                 np.ascontiguousarray(fpa), t1, np.ascontiguousarray(alt_grid, dtype=np.float64), out)
    return out


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _crossings_k(rng, h, spd, fpa, t, alt_grid, out):
    nk = h.shape[0]
    na = alt_grid.size
    for k in prange(nk):
        n = 0
        while n < h.shape[1] and np.isfinite(h[k, n]):
            n += 1
        if n < 2:
            continue
        apo = 0
        for j in range(1, n):
            if h[k, j] > h[k, apo]:
                apo = j
        for branch in range(2):
            m = apo + 1 if branch == 0 else n - apo
            if m < 2:
                continue
            idx = np.empty(m, np.int64)
            for j in range(m):
                idx[j] = j if branch == 0 else n - 1 - j
            hb = np.empty(m)
            run = -np.inf
            for j in range(m):
                run = max(run, h[k, idx[j]])  # guards against tiny non-monotone wiggles
                hb[j] = run
            j1 = 0
            for q in range(na):
                a = alt_grid[q]
                while j1 < m and hb[j1] < a:
                    j1 += 1
                if j1 <= 0 or j1 >= m:
                    continue
                i0, i1 = idx[j1 - 1], idx[j1]
                h0, h1 = h[k, i0], h[k, i1]
                w = (a - h0) / (h1 - h0) if h1 != h0 else 0.0
                r = rng[k, i0] + w * (rng[k, i1] - rng[k, i0])
                out[0, branch, k, q] = 0.0 if r < 1.0 else r  # a vertical shot's sub-point: range 0 up to rounding
                out[1, branch, k, q] = t[i0] + w * (t[i1] - t[i0])
                out[2, branch, k, q] = spd[k, i0] + w * (spd[k, i1] - spd[k, i0])
                out[3, branch, k, q] = fpa[k, i0] + w * (fpa[k, i1] - fpa[k, i0])


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
        _envelope(range_grid, *(np.ascontiguousarray(a[good]) for a in (ra, rb, ta, tb, va, vb, ga, gb)),
                  T[j], SP[j], FP[j])
    return T, SP, FP


@numba.njit(cache=True, error_model="numpy")
def _envelope(x, ra, rb, ta, tb, va, vb, ga, gb, T, SP, FP):
    """Least crossing time along one altitude level: each segment [ra, rb] of
    ground range is interpolated linearly at the grid points it covers; the
    first segment with the least time wins (T, SP, FP updated in place)."""
    nr = x.size
    x0 = x[0]
    dx = (x[nr - 1] - x0) / (nr - 1)
    for k in range(ra.size):
        lo = min(ra[k], rb[k])
        hi = max(ra[k], rb[k])
        i0 = max(0, int(math.floor((lo - x0) / dx)) - 1)
        i1 = min(nr - 1, int(math.ceil((hi - x0) / dx)) + 1)
        span = rb[k] - ra[k] if hi > lo else 1.0
        for i in range(i0, i1 + 1):
            xi = x[i]
            if xi < lo or xi > hi:
                continue
            u = (xi - ra[k]) / span if hi > lo else 0.0
            t = ta[k] + u * (tb[k] - ta[k])
            if t < T[i]:
                T[i] = t
                SP[i] = va[k] + u * (vb[k] - va[k])
                FP[i] = ga[k] + u * (gb[k] - ga[k])


@numba.njit(cache=True, inline="always", error_model="numpy")
def _edge_weights(t00, t01, t10, t11, wh, wr):
    """Bilinear weights of a cell's corners; at the edge of the reachable
    region (some corner unreachable) the nearest corner decides whether the
    point is reachable (so the edge is neither pulled in nor pushed out), and
    the reachable corners share the weight (so the time has no steps inside
    the cell). A negative first weight means unreachable."""
    near = (t11 if wr >= 0.5 else t10) if wh >= 0.5 else (t01 if wr >= 0.5 else t00)
    if near == np.inf:
        return -1.0, 0.0, 0.0, 0.0
    w00 = (1 - wr) * (1 - wh) if t00 != np.inf else 0.0
    w01 = wr * (1 - wh) if t01 != np.inf else 0.0
    w10 = (1 - wr) * wh if t10 != np.inf else 0.0
    w11 = wr * wh if t11 != np.inf else 0.0
    tot = w00 + w01 + w10 + w11
    return w00 / tot, w01 / tot, w10 / tot, w11 / tot


@numba.njit(cache=True, inline="always")
def _finite(t):
    return t if t != np.inf else 0.0


@numba.njit(cache=True)
def _bilinear(T, SP, FP, b, a, ih, ir, wh, wr):
    """Bilinear in one azimuth plane (edge rule: :func:`_edge_weights`)."""
    t00 = T[b, a, ih, ir]
    t01 = T[b, a, ih, ir + 1]
    t10 = T[b, a, ih + 1, ir]
    t11 = T[b, a, ih + 1, ir + 1]
    w00, w01, w10, w11 = _edge_weights(t00, t01, t10, t11, wh, wr)
    if w00 < 0.0:
        return np.inf, 0.0, 0.0
    t00, t01, t10, t11 = _finite(t00), _finite(t01), _finite(t10), _finite(t11)
    return (
        w00 * t00 + w01 * t01 + w10 * t10 + w11 * t11,
        w00 * SP[b, a, ih, ir] + w01 * SP[b, a, ih, ir + 1] + w10 * SP[b, a, ih + 1, ir] + w11 * SP[b, a, ih + 1, ir + 1],
        w00 * FP[b, a, ih, ir] + w01 * FP[b, a, ih, ir + 1] + w10 * FP[b, a, ih + 1, ir] + w11 * FP[b, a, ih + 1, ir + 1],
    )


@numba.njit(cache=True, inline="always")
def _cell(rr, hh, az, dr, dh, na, nh, nr):
    """Grid cell and weights of (range, altitude) and the two azimuth planes
    around ``az``: (inside, ir, ih, wr, wh, a0, a1, wa)."""
    fr = rr / dr
    fh = hh / dh
    if not (0.0 <= fr <= nr - 1) or not (0.0 <= fh <= nh - 1):
        return False, 0, 0, 0.0, 0.0, 0, 0, 0.0
    ir = min(int(fr), nr - 2)
    ih = min(int(fh), nh - 2)
    if na == 1:
        return True, ir, ih, fr - ir, fh - ih, 0, 0, 0.0
    fa = (az % (2.0 * math.pi)) / (2.0 * math.pi) * na
    a0 = int(fa) % na
    return True, ir, ih, fr - ir, fh - ih, a0, (a0 + 1) % na, fa - int(fa)


@numba.njit(cache=True)
def _lookup(rr, hh, az, dr, dh, T, SP, FP, b):
    """Time to reach, speed and flight-path angle at (range, altitude, azimuth):
    bilinear in (range, altitude), linear in azimuth between the tabulated
    planes (nearest plane where only one reaches the point)."""
    inside, ir, ih, wr, wh, a0, a1, wa = _cell(rr, hh, az, dr, dh, T.shape[1], T.shape[2], T.shape[3])
    if not inside:
        return np.inf, 0.0, 0.0
    t0, s0, f0 = _bilinear(T, SP, FP, b, a0, ih, ir, wh, wr)
    if T.shape[1] == 1:
        return t0, s0, f0
    t1, s1, f1 = _bilinear(T, SP, FP, b, a1, ih, ir, wh, wr)
    if t0 == np.inf or t1 == np.inf:
        return (t0, s0, f0) if wa < 0.5 else (t1, s1, f1)
    return (1 - wa) * t0 + wa * t1, (1 - wa) * s0 + wa * s1, (1 - wa) * f0 + wa * f1


@numba.njit(cache=True, inline="always", fastmath=FAST, error_model="numpy")
def _plane_t(T, b, a, ih, ir, wh, wr):
    """Time to reach in one azimuth plane (edge rule: :func:`_edge_weights`)."""
    t00 = T[b, a, ih, ir]
    t01 = T[b, a, ih, ir + 1]
    t10 = T[b, a, ih + 1, ir]
    t11 = T[b, a, ih + 1, ir + 1]
    if t00 == np.inf or t01 == np.inf or t10 == np.inf or t11 == np.inf:
        w00, w01, w10, w11 = _edge_weights(t00, t01, t10, t11, wh, wr)
        if w00 < 0.0:
            return np.inf
        return w00 * _finite(t00) + w01 * _finite(t01) + w10 * _finite(t10) + w11 * _finite(t11)
    return (1 - wr) * (1 - wh) * t00 + wr * (1 - wh) * t01 + (1 - wr) * wh * t10 + wr * wh * t11


@numba.njit(cache=True, inline="always", fastmath=FAST, error_model="numpy")
def _lookup_t(rr, hh, az, dr, dh, T, b):
    """Time to reach only (the hot path of the window search): as :func:`_lookup`."""
    inside, ir, ih, wr, wh, a0, a1, wa = _cell(rr, hh, az, dr, dh, T.shape[1], T.shape[2], T.shape[3])
    if not inside:
        return np.inf
    t0 = _plane_t(T, b, a0, ih, ir, wh, wr)
    if T.shape[1] == 1:
        return t0
    t1 = _plane_t(T, b, a1, ih, ir, wh, wr)
    if t0 == np.inf or t1 == np.inf:
        return t0 if wa < 0.5 else t1
    return (1 - wa) * t0 + wa * t1


@numba.njit(cache=True)
def _lookup_many(rr, hh, az, dr, dh, T4, S4, F4, ot, osp, ofp):
    for i in range(rr.size):
        ot[i], osp[i], ofp[i] = _lookup(rr[i], hh[i], az[i], dr, dh, T4, S4, F4, 0)


NQ = 512  # bins of the fly-out ceiling, uniform in 1 - cos(ground range angle)


@numba.njit(cache=True, inline="always")
def _in_envelope(c, pn, h, HRb):
    """Whether a point (``c``: its position dotted with the site's unit
    vector, ``pn``: its norm) at altitude ``h`` lies under the fly-out table's
    reachable ceiling at its ground range (``HRb``: see :func:`_ceiling`; its
    last element is the bin width in 1 - cos). A conservative bound: a point
    above it has no finite table corner. No arc cosine: the bins are uniform
    in 1 - cos of the ground range angle."""
    q = (1.0 - c / pn) / HRb[NQ]
    if q >= NQ:
        return False
    return h <= HRb[max(int(q), 0)]


def _ceiling(tables):
    """Per table, an altitude above which nothing is reachable, in NQ bins of
    ground range uniform in 1 - cos(angle) (plus the bin width as the last
    element): (the highest row with a finite time in the columns the bin
    touches and their neighbours, over all azimuths, + 1) x the altitude step,
    + 1 m; -inf where nothing is. The window search's cheap filter uses it, so
    that runs of samples above the fly-out envelope are never looked up one by
    one."""
    out = np.empty((len(tables), NQ + 1))
    for t, tab in enumerate(tables):
        fin = np.isfinite(tab.time).any(axis=0)  # (alt, range)
        nh, nr = fin.shape
        dr, dh = tab.range_grid[1], tab.alt_grid[1]
        top = np.where(fin.any(axis=0), nh - 1 - np.argmax(fin[::-1, :], axis=0), -1)
        pad = np.pad(top, (2, 3), constant_values=-1)
        topn = np.maximum.reduce([pad[k:k + nr] for k in range(6)])  # columns ir-2..ir+3
        hr = np.where(topn >= 0, (topn + 1) * dh + 1.0, -np.inf)
        psi_end = min(nr * dr / RE_MEAN, math.pi)
        dq = (1.0 - math.cos(psi_end)) / NQ
        k = np.arange(NQ)
        lo = np.floor(np.arccos(np.clip(1.0 - k * dq, -1, 1)) * RE_MEAN / dr).astype(int)
        hi = np.ceil(np.arccos(np.clip(1.0 - (k + 1) * dq, -1, 1)) * RE_MEAN / dr).astype(int)
        for q in range(NQ):
            a, z = max(lo[q], 0), min(hi[q], nr - 1)
            out[t, q] = hr[a:z + 1].max() if z >= a else -np.inf
        out[t, NQ] = dq
    return out


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
TAIL = -1.0  # the time _point returns for a sample refused as a tail chase


@numba.njit(cache=True, inline="always", fastmath=FAST, error_model="numpy")
def _point(i, b, k, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax, tidx, dr, dh, T, SP, FP, full,
           G, gidx):
    """One threat sample against one battery: (feasible, time to reach,
    interceptor speed and flight-path angle on arrival; the last two only when
    ``full`` or a closing-speed rule needs them). Feasible: inside the
    altitude band and reach, guided (``G[gidx[b], i, k]`` where the battery
    has a guidance constraint), reachable, closing fast enough, and not a tail
    chase (a receding geometry closing slower than ``cons[b, 5]``)."""
    h = thr_h[i, k]
    if h < cons[b, 0] or h > cons[b, 1]:
        return False, np.inf, 0.0, 0.0
    px, py, pz = thr_r[i, k, 0], thr_r[i, k, 1], thr_r[i, k, 2]
    pn = math.sqrt(px * px + py * py + pz * pz)
    c = (px * site_u[b, 0] + py * site_u[b, 1] + pz * site_u[b, 2]) / pn
    if c < cos_rmax:
        return False, np.inf, 0.0, 0.0
    g = gidx[b]
    if g >= 0 and not G[g, i, k]:
        return False, np.inf, 0.0, 0.0
    dx, dy, dz = px - site[b, 0], py - site[b, 1], pz - site[b, 2]
    # receding: the range from the site is opening. A tail chase only when the
    # closing speed is also low (cons[b, 5]; inf: every receding geometry)
    receding = cons[b, 4] == 0.0 and dx * thr_v[i, k, 0] + dy * thr_v[i, k, 1] + dz * thr_v[i, k, 2] > 0.0
    if receding and cons[b, 5] == np.inf:
        return False, np.inf, 0.0, 0.0
    if receding and _min_closing(i, k, thr_r, thr_v, px, py, pz, pn, dx, dy, dz, cons[b, 6]) >= cons[b, 5]:
        receding = False  # it closes at least this fast whatever the interceptor does: no tail chase
    rg = math.acos(min(1.0, c)) * RE_MEAN
    az = math.atan2(dx * site_e[b, 0] + dy * site_e[b, 1] + dz * site_e[b, 2],
                    dx * site_n[b, 0] + dy * site_n[b, 1] + dz * site_n[b, 2])
    tb = tidx[b]
    if not full and cons[b, 3] == 0.0 and not receding:
        tf = _lookup_t(rg, h, az, dr[tb], dh[tb], T, tb)
        return tf != np.inf, tf, 0.0, 0.0
    tf, spd, fpa = _lookup(rg, h, az, dr[tb], dh[tb], T, SP, FP, tb)
    if tf == np.inf:
        return False, np.inf, 0.0, 0.0
    if cons[b, 3] > 0.0 or receding:
        close = _closing_speed(i, k, thr_r, thr_v, px, py, pz, pn, dx, dy, dz, spd, fpa)
        if close < cons[b, 3]:
            return False, np.inf, 0.0, 0.0
        if receding and close < cons[b, 5]:
            return False, TAIL, 0.0, 0.0  # refused as a tail chase (the search treats these runs as smooth)
    return True, tf, spd, fpa


@numba.njit(cache=True, inline="always", fastmath=FAST, error_model="numpy")
def _pre(i, b, k, thr_r, thr_v, thr_h, site, site_u, cons, cos_rmax, G, gidx, HRb):
    """The cheap part of :func:`_point`: altitude band, reach circle, under the
    fly-out ceiling, guided, approaching (where every receding geometry is a
    tail chase)."""
    h = thr_h[i, k]
    px, py, pz = thr_r[i, k, 0], thr_r[i, k, 1], thr_r[i, k, 2]
    c = px * site_u[b, 0] + py * site_u[b, 1] + pz * site_u[b, 2]
    rr = (px - site[b, 0]) * thr_v[i, k, 0] + (py - site[b, 1]) * thr_v[i, k, 1] + (pz - site[b, 2]) * thr_v[i, k, 2]
    g = gidx[b]
    pn = math.sqrt(px * px + py * py + pz * pz)
    ok = (h >= cons[b, 0]) & (h <= cons[b, 1]) & (c >= cos_rmax * pn) & (
        (cons[b, 4] != 0.0) | (cons[b, 5] != np.inf) | (rr <= 0.0)) & ((g < 0) or G[g, i, k])
    return ok and _in_envelope(c, pn, h, HRb)


@numba.njit(cache=True, inline="always", fastmath=FAST, error_model="numpy")
def _arrival_velocity(px, py, pz, pn, dx, dy, dz, spd, fpa):
    """The interceptor's velocity on arrival at the sample ``p`` (norm ``pn``;
    ``d`` from the site): in the vertical plane through the site, with the
    tabulated speed and flight-path angle."""
    ux, uy, uz = px / pn, py / pn, pz / pn
    du = dx * ux + dy * uy + dz * uz
    hx, hy, hz = dx - du * ux, dy - du * uy, dz - du * uz
    hn = math.sqrt(hx * hx + hy * hy + hz * hz)
    if hn > 0:
        hx, hy, hz = hx / hn, hy / hn, hz / hn
    cg, sg = math.cos(fpa), math.sin(fpa)
    return spd * (cg * hx + sg * ux), spd * (cg * hy + sg * uy), spd * (cg * hz + sg * uz)


@numba.njit(cache=True, inline="always", fastmath=FAST, error_model="numpy")
def _closing_speed(i, k, thr_r, thr_v, px, py, pz, pn, dx, dy, dz, spd, fpa):
    """The closing speed alone (:func:`_closing` without the angle)."""
    vix, viy, viz = _arrival_velocity(px, py, pz, pn, dx, dy, dz, spd, fpa)
    rx, ry, rz = vix - thr_v[i, k, 0], viy - thr_v[i, k, 1], viz - thr_v[i, k, 2]
    return math.sqrt(rx * rx + ry * ry + rz * rz)


@numba.njit(cache=True)
def _closing(i, b, k, thr_r, thr_v, site, spd, fpa):
    """Closing speed and crossing angle of the interceptor arriving at sample k."""
    px, py, pz = thr_r[i, k, 0], thr_r[i, k, 1], thr_r[i, k, 2]
    pn = math.sqrt(px * px + py * py + pz * pz)
    dx, dy, dz = px - site[b, 0], py - site[b, 1], pz - site[b, 2]
    vix, viy, viz = _arrival_velocity(px, py, pz, pn, dx, dy, dz, spd, fpa)
    vtx, vty, vtz = thr_v[i, k, 0], thr_v[i, k, 1], thr_v[i, k, 2]
    rx, ry, rz = vix - vtx, viy - vty, viz - vtz
    vt = math.sqrt(vtx * vtx + vty * vty + vtz * vtz)
    cosang = (vix * vtx + viy * vty + viz * vtz) / max(spd * vt, 1e-9)
    return math.sqrt(rx * rx + ry * ry + rz * rz), math.acos(min(1.0, max(-1.0, cosang)))


@numba.njit(cache=True, inline="always")
def _min_closing(i, k, thr_r, thr_v, px, py, pz, pn, dx, dy, dz, vmax):
    """A lower bound on the closing speed whatever the interceptor's arrival
    state (at most ``vmax``, in the vertical plane through the site and the
    sample): the threat's speed across that plane, and in it, its speed beyond
    ``vmax``."""
    vn = _normal_speed(i, k, thr_r, thr_v, px, py, pz, pn, dx, dy, dz)
    v2 = thr_v[i, k, 0] * thr_v[i, k, 0] + thr_v[i, k, 1] * thr_v[i, k, 1] + thr_v[i, k, 2] * thr_v[i, k, 2]
    gap = max(0.0, math.sqrt(max(0.0, v2 - vn * vn)) - vmax)
    return math.sqrt(vn * vn + gap * gap)


@numba.njit(cache=True, inline="always")
def _normal_speed(i, k, thr_r, thr_v, px, py, pz, pn, dx, dy, dz):
    """The threat's speed across the vertical plane through the site and the
    sample: the interceptor arrives in that plane, so the closing speed is at
    least this (|v . (u x d)| / |u x d|, u the local vertical, d site to sample)."""
    ux, uy, uz = px / pn, py / pn, pz / pn
    cx, cy, cz = uy * dz - uz * dy, uz * dx - ux * dz, ux * dy - uy * dx
    cn = math.sqrt(cx * cx + cy * cy + cz * cz)
    if cn == 0.0:
        return 0.0
    return abs(thr_v[i, k, 0] * cx + thr_v[i, k, 1] * cy + thr_v[i, k, 2] * cz) / cn


@numba.njit(cache=True, fastmath=FAST, error_model="numpy")
def _pair(i, b, thr_r, thr_v, thr_h, thr_ns, dt, co, sb, site, site_u, site_e,
          site_n, cons, tidx, dr, dh, T, SP, FP, tlaunch, assess, stride, cok, ctl, ck, cint, cpre, sa, sz, sta, stz, out,
          G, gidx, ctc, stk, HR):
    """Window search for one pair, coarse to fine.

    Coarse samples every ``stride`` samples: a cheap filter (altitude band,
    reach circle, approaching; whole groups of SUPER samples skipped by their
    cap) and fly-out lookups at the ends of the filtered runs and every
    LOOKUP_EVERY samples inside them, launch times interpolated between
    reachable, equally timely lookups. Where feasibility or timeliness (launch
    time >= the earliest permitted) changes between two coarse samples, the
    switch is found by bisection (on the cheap filter when it is the filter's);
    the maximum launch time is placed by a parabola over the coarse samples and
    refined by one over the samples. Between coarse samples that agree, the
    interval is taken as they say. Islands shorter than the stride can be
    missed; ``stride = 1`` is the exhaustive scan (every sample looked up)."""
    tl_min = tlaunch[i, b]
    for q in range(NOUT):
        out[i, b, q] = np.nan
    out[i, b, O_REACH] = 0.0
    out[i, b, O_KEARLY] = -1.0
    out[i, b, O_SHOTS] = 0.0
    out[i, b, O_TL] = tl_min
    ns = thr_ns[i]
    if ns == 0:
        return
    rmax = cons[b, 2]
    psi_max = min(rmax / RE_MEAN, math.pi)
    cos_rmax = math.cos(psi_max)
    s_x, s_y, s_z = site_u[b, 0], site_u[b, 1], site_u[b, 2]
    hmin, hmax = cons[b, 0], cons[b, 1]
    # coarse pass: a branch-free filter (altitude band, reach circle, not
    # receding) over the coarse samples, then the fly-out lookup where it passes
    nc = (ns - 1 + stride - 1) // stride + 1
    tail_ok = (cons[b, 4] != 0.0) | (cons[b, 5] != np.inf)  # receding samples pass the cheap filter
    gb = gidx[b]
    HRb = HR[tidx[b]]
    x0, y0, z0 = site[b, 0], site[b, 1], site[b, 2]
    # contiguous coarse copies (struct of arrays) make this loop vectorise
    # groups of coarse samples whose cap of sub-points lies beyond the reach
    # circle, or whose altitudes miss the band, are skipped whole
    cpm, spm = math.cos(psi_max), math.sin(psi_max)
    ng = (nc - 1 + SUPER - 1) // SUPER
    live = 0
    for g in range(ng):
        c = sb[i, g, 0] * s_x + sb[i, g, 1] * s_y + sb[i, g, 2] * s_z
        far = (sb[i, g, 3] > -cpm) & (c < cpm * sb[i, g, 3] - spm * sb[i, g, 4])  # angle > psi_max + radius
        skip = far | (sb[i, g, 6] < hmin) | (sb[i, g, 5] > hmax)
        j0 = g * SUPER
        j1 = min(j0 + SUPER, nc - 1)
        if skip:
            for j in range(j0, j1):
                cok[j] = False
                cpre[j] = False
                cint[j] = False
                ctc[j] = False
                ck[j] = j * stride
        else:
            live += 1
            for j in range(j0, j1):
                px, py, pz = co[i, 0, j], co[i, 1, j], co[i, 2, j]
                c = px * s_x + py * s_y + pz * s_z
                rr = (px - x0) * co[i, 3, j] + (py - y0) * co[i, 4, j] + (pz - z0) * co[i, 5, j]
                hj = co[i, 6, j]
                okj = (hj >= hmin) & (hj <= hmax) & (c >= cos_rmax * co[i, 7, j]) & (tail_ok | (rr <= 0.0))
                if gb >= 0:
                    okj = okj & G[gb, i, j * stride]
                if okj:
                    okj = _in_envelope(c, co[i, 7, j], hj, HRb)
                cok[j] = okj
                cpre[j] = okj
                cint[j] = False
                ctc[j] = False
                ck[j] = j * stride
    k = ns - 1
    px, py, pz = thr_r[i, k, 0], thr_r[i, k, 1], thr_r[i, k, 2]
    rr = (px - x0) * thr_v[i, k, 0] + (py - y0) * thr_v[i, k, 1] + (pz - z0) * thr_v[i, k, 2]
    last_ok = (thr_h[i, k] >= hmin) & (thr_h[i, k] <= hmax) & (tail_ok | (rr <= 0.0))
    if gb >= 0:
        last_ok = last_ok & G[gb, i, k]
    if last_ok:
        last_ok = _in_envelope(px * s_x + py * s_y + pz * s_z, math.sqrt(px * px + py * py + pz * pz), thr_h[i, k],
                               HRb)
    if live == 0 and not last_ok:
        return  # every group out of reach or out of the altitude band
    ck[nc - 1] = k
    cok[nc - 1] = last_ok
    cpre[nc - 1] = last_ok
    cint[nc - 1] = False
    ctc[nc - 1] = False
    every = LOOKUP_EVERY if stride > 1 else 1  # the exhaustive scan looks up every sample
    # the fly-out lookups (the costly, cache-missing part): at both ends of
    # each run of coarse samples that pass the filter and every LOOKUP_EVERY
    # samples inside it; between two reachable ones the launch time is
    # interpolated, elsewhere every sample is looked up
    j = 0
    while j < nc:
        if not cok[j]:
            ctl[j] = -np.inf
            j += 1
            continue
        r0 = j
        while j + 1 < nc and cok[j + 1]:
            j += 1
        r1 = j
        last = -1
        for jj in range(r0, r1 + 1):
            if jj != r0 and jj != r1 and (jj - r0) % every != 0:
                continue
            ok, tf, _, _ = _point(i, b, ck[jj], thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax,
                                  tidx, dr, dh, T, SP, FP, False, G, gidx)
            cint[jj] = False
            cok[jj] = ok
            ctc[jj] = tf == TAIL
            ctl[jj] = ck[jj] * dt - tf if ok else -np.inf
            if last >= 0 and jj - last > 1:
                # the coarse samples between two lookups, by subdivision:
                # interpolated where both ends are reachable and equally timely;
                # split at the middle where the ends differ in timeliness or
                # one is reachable and the other a tail chase; elsewhere every
                # coarse sample is looked up (a tail chase on both ends can
                # hide a feasible stretch: the closing speed rises again where
                # the interceptor arrives slower)
                stk[0], stk[1] = last, jj
                top = 1
                while top > 0:
                    top -= 1
                    l0, l1 = stk[2 * top], stk[2 * top + 1]
                    if l1 - l0 < 2:
                        continue
                    if cok[l0] and cok[l1] and (ctl[l0] >= tl_min) == (ctl[l1] >= tl_min):
                        for q in range(l0 + 1, l1):
                            w = (q - l0) / (l1 - l0)
                            ctl[q] = ctl[l0] + w * (ctl[l1] - ctl[l0])
                            cint[q] = True
                            ctc[q] = False
                        continue
                    if l1 - l0 > 2 and ((cok[l0] and cok[l1]) or ((cok[l0] or cok[l1]) and (ctc[l0] or ctc[l1]))):
                        q = (l0 + l1) // 2
                        ok2, tf2, _, _ = _point(i, b, ck[q], thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons,
                                                cos_rmax, tidx, dr, dh, T, SP, FP, False, G, gidx)
                        cint[q] = False
                        cok[q] = ok2
                        ctc[q] = tf2 == TAIL
                        ctl[q] = ck[q] * dt - tf2 if ok2 else -np.inf
                        stk[2 * top], stk[2 * top + 1] = l0, q
                        stk[2 * top + 2], stk[2 * top + 3] = q, l1
                        top += 2
                        continue
                    for q in range(l0 + 1, l1):
                        ok2, tf2, _, _ = _point(i, b, ck[q], thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons,
                                                cos_rmax, tidx, dr, dh, T, SP, FP, False, G, gidx)
                        cint[q] = False
                        cok[q] = ok2
                        ctc[q] = tf2 == TAIL
                        ctl[q] = ck[q] * dt - tf2 if ok2 else -np.inf
            last = jj
        j = r1 + 1
    # around the largest launch time: the best coarse value is made exact, a
    # parabola through it and its exact neighbours places the maximum, and the
    # coarse samples around that are looked up exactly (the sample-level
    # parabola below starts from them)
    jb = -1
    # until the best coarse value is an exact one whose neighbours are exact
    # too (a hill climb over the coarse samples: a maximum between two
    # lookups is invisible to the linear interpolation between them)
    for _ in range(2 * nc + 2):
        jb = -1
        best = -np.inf
        for j in range(nc):
            if cok[j] and ctl[j] > best:
                best = ctl[j]
                jb = j
        if jb < 0:
            break
        if cint[jb]:
            ok, tf, _, _ = _point(i, b, ck[jb], thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax,
                                  tidx, dr, dh, T, SP, FP, False, G, gidx)
            cint[jb] = False
            cok[jb] = ok
            ctl[jb] = ck[jb] * dt - tf if ok else -np.inf
            continue
        moved = False
        for jn in (jb - 1, jb + 1):
            if 0 <= jn < nc and cok[jn] and cint[jn]:
                ok, tf, _, _ = _point(i, b, ck[jn], thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons,
                                      cos_rmax, tidx, dr, dh, T, SP, FP, False, G, gidx)
                cint[jn] = False
                cok[jn] = ok
                ctl[jn] = ck[jn] * dt - tf if ok else -np.inf
                moved = True
        if not moved:
            break
    if jb >= 0:
        jl = jb - 1
        while jl >= 0 and cok[jl] and cint[jl]:
            jl -= 1
        jr = jb + 1
        while jr < nc and cok[jr] and cint[jr]:
            jr += 1
        if cok[jb] and jl >= 0 and jr < nc and cok[jl] and cok[jr] and jr - jl > 2:
            x0_, x1_, x2_ = float(jl), float(jb), float(jr)
            y0_, y1_, y2_ = ctl[jl], ctl[jb], ctl[jr]
            den = (x0_ - x1_) * (x0_ - x2_) * (x1_ - x2_)
            A = (x2_ * (y1_ - y0_) + x1_ * (y0_ - y2_) + x0_ * (y2_ - y1_)) / den
            B = (x2_ * x2_ * (y0_ - y1_) + x1_ * x1_ * (y2_ - y0_) + x0_ * x0_ * (y1_ - y2_)) / den
            jv = -B / (2 * A) if A < 0 else x1_
            for j in (int(math.floor(jv)) - 1, int(math.floor(jv)), int(math.floor(jv)) + 1, int(math.floor(jv)) + 2):
                if jl < j < jr and cint[j]:
                    ok, tf, _, _ = _point(i, b, ck[j], thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons,
                                          cos_rmax, tidx, dr, dh, T, SP, FP, False, G, gidx)
                    cint[j] = False
                    cok[j] = ok
                    ctl[j] = ck[j] * dt - tf if ok else -np.inf
    # 1. runs of geometrically feasible samples: coarse intervals feasible at
    #    both ends are taken as feasible throughout; where feasibility changes,
    #    the boundary is found by bisection
    ns_ = 0
    for j in range(nc):
        if j == 0:
            if nc == 1 and cok[0]:
                sa[0], sz[0], sta[0], stz[0] = ck[0], ck[0], ctl[0], ctl[0]
                ns_ = 1
            continue
        a, z = ck[j - 1], ck[j]
        okA, okB = cok[j - 1], cok[j]
        if okA and okB:
            sa[ns_], sz[ns_], sta[ns_], stz[ns_] = a, z, ctl[j - 1], ctl[j]
            ns_ += 1
        elif okA != okB:
            lo, hi = a, z
            tlo, thi = ctl[j - 1], ctl[j]
            if cpre[j - 1] == okA and cpre[j] == okB:
                # the switch is the cheap filter's (band, reach, approach):
                # bisect on it, then one lookup at the boundary sample
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if _pre(i, b, mid, thr_r, thr_v, thr_h, site, site_u, cons, cos_rmax, G, gidx, HR[tidx[b]]) == okA:
                        lo = mid
                    else:
                        hi = mid
                kb = lo if okA else hi
                ok, tf, _, _ = _point(i, b, kb, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax,
                                      tidx, dr, dh, T, SP, FP, False, G, gidx)
                if ok:
                    if okA:
                        sa[ns_], sz[ns_], sta[ns_], stz[ns_] = a, kb, ctl[j - 1], kb * dt - tf
                    else:
                        sa[ns_], sz[ns_], sta[ns_], stz[ns_] = kb, z, kb * dt - tf, ctl[j]
                    ns_ += 1
                    continue
                lo, hi = a, z  # the table's edge is there too: bisect on everything
            while hi - lo > 1:
                mid = (lo + hi) // 2
                ok, tf, _, _ = _point(i, b, mid, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax,
                                      tidx, dr, dh, T, SP, FP, False, G, gidx)
                if ok == okA:
                    lo = mid
                    if ok:
                        tlo = mid * dt - tf
                else:
                    hi = mid
                    if ok:
                        thi = mid * dt - tf
            if okA:
                sa[ns_], sz[ns_], sta[ns_], stz[ns_] = a, lo, ctl[j - 1], tlo
            else:
                sa[ns_], sz[ns_], sta[ns_], stz[ns_] = hi, z, thi, ctl[j]
            ns_ += 1
    if ns_ == 0:
        return
    out[i, b, O_REACH] = 1.0
    # 2. latest launch: the best end, refined by a parabola inside the runs
    #    next to it (the launch time t - T(t) is smooth)
    latest_launch = -np.inf
    kbest = -1
    for q in range(ns_):
        if sta[q] > latest_launch:
            latest_launch, kbest = sta[q], sa[q]
        if stz[q] > latest_launch:
            latest_launch, kbest = stz[q], sz[q]
    for q in range(ns_):
        if (sta[q] == latest_launch or stz[q] == latest_launch) and sz[q] - sa[q] >= 2:
            a, z = sa[q], sz[q]
            m = (a + z) // 2
            ok, tf, _, _ = _point(i, b, m, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax, tidx,
                                  dr, dh, T, SP, FP, False, G, gidx)
            if not ok:
                continue
            tm = m * dt - tf
            if tm > latest_launch:
                latest_launch, kbest = tm, m
            # vertex of the parabola through (a, ta), (m, tm), (z, tz)
            x0, x1, x2 = float(a), float(m), float(z)
            y0, y1, y2 = sta[q], tm, stz[q]
            den = (x0 - x1) * (x0 - x2) * (x1 - x2)
            A = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
            B = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
            if A < 0:
                kv = -B / (2 * A)
                for kk in (int(math.floor(kv)), int(math.floor(kv)) + 1):
                    if a < kk < z and kk != m:
                        ok, tf, _, _ = _point(i, b, kk, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons,
                                              cos_rmax, tidx, dr, dh, T, SP, FP, False, G, gidx)
                        if ok and kk * dt - tf > latest_launch:
                            latest_launch, kbest = kk * dt - tf, kk
    out[i, b, O_LATEST_LAUNCH] = latest_launch
    # a maximum inside a run: the run is split there, so that a timely stretch
    # around it (both ends of the run untimely) is found by step 3
    if kbest >= 0 and ns_ + 1 < sa.size:
        for q in range(ns_):
            if sa[q] < kbest < sz[q]:
                for r in range(ns_, q, -1):
                    sa[r], sz[r], sta[r], stz[r] = sa[r - 1], sz[r - 1], sta[r - 1], stz[r - 1]
                sz[q], stz[q] = kbest, latest_launch
                sa[q + 1], sta[q + 1] = kbest, latest_launch
                ns_ += 1
                break
    # 3. timely samples (launch time >= the earliest permitted) in time order:
    #    first and last, and shoot-look-shoot opportunities
    kearly = -1
    tlate = np.nan
    shots = 0
    next_launch = tl_min
    for q in range(ns_):
        a, z, ta, tz = sa[q], sz[q], sta[q], stz[q]
        fa, fz = ta >= tl_min, tz >= tl_min
        if not fa and not fz:
            continue
        if fa != fz:  # the switch: guessed on the launch-time line, confirmed, else bisected
            lo, hi = a, z
            tlo, thi = ta, tz
            if z - a > 2 and tz != ta:
                g = a + int(math.ceil((tl_min - ta) / (tz - ta) * (z - a)))
                g = min(max(g, a + 1), z - 1)
                ok1, tf1, _, _ = _point(i, b, g - 1, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons,
                                        cos_rmax, tidx, dr, dh, T, SP, FP, False, G, gidx)
                ok2, tf2, _, _ = _point(i, b, g, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons,
                                        cos_rmax, tidx, dr, dh, T, SP, FP, False, G, gidx)
                t1 = (g - 1) * dt - tf1 if ok1 else -np.inf
                t2 = g * dt - tf2 if ok2 else -np.inf
                f1, f2 = t1 >= tl_min, t2 >= tl_min
                if f1 == fa and f2 != fa:
                    lo, tlo, hi, thi = g - 1, t1, g, t2
                elif f1 != fa:
                    hi, thi = g - 1, t1
                else:
                    lo, tlo = g, t2
            while hi - lo > 1:
                mid = (lo + hi) // 2
                ok, tf, _, _ = _point(i, b, mid, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax,
                                      tidx, dr, dh, T, SP, FP, False, G, gidx)
                tm = mid * dt - tf if ok else -np.inf
                if (tm >= tl_min) == fa:
                    lo, tlo = mid, tm
                else:
                    hi, thi = mid, tm
            if fa:
                z, tz = lo, tlo
            else:
                a, ta = hi, thi
        if kearly < 0:
            kearly = a
        tlate = z * dt
        while True:  # next opportunities on the launch-time line of this run
            if ta >= next_launch:
                kk = a
            elif tz > ta:
                kk = a + int(math.ceil((next_launch - ta) / (tz - ta) * (z - a)))
            else:
                break
            if kk > z:
                break
            shots += 1
            next_launch = kk * dt + assess
    if kearly >= 0:
        _, _, spd, fpa = _point(i, b, kearly, thr_r, thr_v, thr_h, site, site_u, site_e, site_n, cons, cos_rmax,
                                tidx, dr, dh, T, SP, FP, True, G, gidx)
        close, cross = _closing(i, b, kearly, thr_r, thr_v, site, spd, fpa)
        out[i, b, O_KEARLY] = kearly
        out[i, b, O_EARLIEST] = kearly * dt
        out[i, b, O_LATEST] = tlate
        out[i, b, O_CLOSE] = close
        out[i, b, O_CROSS] = cross
    out[i, b, O_SHOTS] = shots


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _engage_kernel(thr_r, thr_v, thr_h, thr_ns, dt, co, sb, site, site_u, site_e,
                   site_n, cons, tidx, dr, dh, T, SP, FP, tlaunch, assess, stride, out, G, gidx, HR):
    n = thr_r.shape[0]
    m = site.shape[0]
    kmax = thr_r.shape[1]
    for p in prange(n):
        # interleave the threats over the threads: neighbours in the list tend
        # to cost alike (same field, same target region), a static split does not
        i = p // 2 + (p % 2) * ((n + 1) // 2)
        nmax = kmax // max(stride, 1) + 2
        cok = np.zeros(nmax, dtype=np.bool_)
        ctl = np.zeros(nmax)
        ck = np.zeros(nmax, dtype=np.int64)
        cint = np.zeros(nmax, dtype=np.bool_)
        cpre = np.zeros(nmax, dtype=np.bool_)
        ctc = np.zeros(nmax, dtype=np.bool_)
        stk = np.zeros(128, dtype=np.int64)
        sa = np.zeros(nmax, dtype=np.int64)
        sz = np.zeros(nmax, dtype=np.int64)
        sta = np.zeros(nmax)
        stz = np.zeros(nmax)
        for b in range(m):
            _pair(i, b, thr_r, thr_v, thr_h, thr_ns, dt, co, sb, site, site_u,
                  site_e, site_n, cons, tidx, dr, dh, T, SP, FP, tlaunch, assess, stride, cok, ctl, ck, cint, cpre, sa,
                  sz, sta, stz, out, G, gidx, ctc, stk, HR)


# ------------------------------------------------------------- threats ----
@dataclass
class ThreatSet:
    """Threat trajectories prepared for engagement: samples (NaN-free, with
    their count per trajectory) and altitudes."""

    trajectories: Trajectories
    r: np.ndarray
    v: np.ndarray
    h: np.ndarray
    ns: np.ndarray
    dt: float

    def coarse(self, stride: int):
        """Every ``stride``-th sample as contiguous rows (x, y, z, vx, vy, vz,
        altitude, |r|): shape (N, 8, K / stride); and per group of SUPER
        coarse samples (spanning all the samples between them) the cap of
        sub-points (centre unit vector, cosine and sine of its angular radius)
        and the altitude range: shape (N, G, 7). Cached per stride."""
        cache = self.__dict__.setdefault("_coarse", {})
        if stride not in cache:
            import warnings

            r = self.r[:, ::stride]
            v = self.v[:, ::stride]
            h = self.h[:, ::stride]
            co = np.ascontiguousarray(np.concatenate(
                [r.transpose(0, 2, 1), v.transpose(0, 2, 1), h[:, None, :], np.linalg.norm(r, axis=-1)[:, None, :]],
                axis=1))
            n, k = self.h.shape
            span = SUPER * stride
            g = (k + span - 1) // span
            pad = g * span - k
            valid = np.arange(k)[None, :] < self.ns[:, None]
            rr = np.where(valid[..., None], self.r, np.nan)
            hh = np.where(valid, self.h, np.nan)
            rr = np.concatenate([rr, np.full((n, pad, 3), np.nan)], axis=1).reshape(n, g, span, 3)
            hh = np.concatenate([hh, np.full((n, pad), np.nan)], axis=1).reshape(n, g, span)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # groups past the end are all NaN
                u = rr / np.linalg.norm(rr, axis=-1, keepdims=True)
                c = np.nanmean(u, axis=2)
                c /= np.linalg.norm(c, axis=-1, keepdims=True)
                ang = np.arccos(np.clip(np.einsum("ngkj,ngj->ngk", u, c), -1, 1))
                rad = np.max(np.where(np.isfinite(ang), ang, -1.0), axis=2)
                hmin = np.min(np.where(np.isfinite(hh), hh, np.inf), axis=2)
                hmax = np.max(np.where(np.isfinite(hh), hh, -np.inf), axis=2)
            sb = np.zeros((n, g, 7))
            sb[..., 0:3] = np.nan_to_num(c)
            empty = rad < 0
            sb[..., 3] = np.where(empty, 1.0, np.cos(np.maximum(rad, 0.0)))
            sb[..., 4] = np.where(empty, 0.0, np.sin(np.maximum(rad, 0.0)))
            sb[..., 5] = np.where(empty, np.inf, hmin)
            sb[..., 6] = np.where(empty, -np.inf, hmax)
            cache[stride] = (co, sb)
        return cache[stride]

    @classmethod
    def prepare(cls, tr: Trajectories) -> "ThreatSet":
        if tr.samples_r is None:
            raise EngagementError("engagement needs threat trajectories with a time series (FlightOptions(output_step=...))")
        r = np.ascontiguousarray(np.nan_to_num(tr.samples_r))
        v = np.ascontiguousarray(np.nan_to_num(tr.samples_v))
        ns = tr.n_samples.astype(np.int64)
        _, _, h = tr.samples_geodetic
        valid = np.arange(r.shape[1])[None, :] < ns[:, None]
        h = np.ascontiguousarray(np.where(valid, np.nan_to_num(h, nan=-1e9), -1e9))  # padding: below any band
        return cls(tr, r, v, h, ns, float(tr.options.output_step))


# ---------------------------------------------------------- the result ----
def _tail_rule(ic) -> str:
    if ic.tail_chase:
        return "allowed (every geometry)"
    if ic.tail_chase_closing_speed == np.inf:
        return "every receding geometry refused (range from the site opening)"
    return f"a receding geometry closing slower than {ic.tail_chase_closing_speed / 1e3:g} km/s refused"


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

    def fan(self, b: int, t: float, altitude: float = 0.0, n: int = 72):
        """Fly-out fan of battery ``b`` for maps: boundary (lat, lon in rad) of
        the region reachable at ``altitude`` within ``t`` s of launch."""
        bat = self.batteries[b]
        return self.tables[b].reach(t, altitude, n, lon=bat.lon)

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
                f"tail chase: {_tail_rule(ic)}; " + "; ".join(b.timeline.describe())
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


COARSE_STEP = 24.0  # s: the coarse pass of the window search (0: exhaustive)
SUPER = 8  # coarse samples per group of the reach and altitude pre-test
LOOKUP_EVERY = 8  # coarse samples between fly-out lookups inside a run that passes the filter
_STACK: dict = {}


def _max_speed(tab) -> float:
    """The fastest arrival in a fly-out table (m/s; 0 if nothing is reachable)."""
    fin = np.isfinite(tab.time)
    return float(tab.speed[fin].max()) if fin.any() else 0.0


def _stacked(tables):
    """The tables' arrays stacked for the kernel; the last stack is kept, so
    repeated engagements with the same tables (sweeps) do not copy them again."""
    key = tuple(id(t) for t in tables)
    hit = _STACK.get("key")
    if hit is None or hit[0] != key or any(a is not b for a, b in zip(hit[1], tables)):
        # the times in single precision (0.1 ms at 1,000 s): half the memory
        # traffic of the hot lookups, which are bound by cache misses
        arrays = (np.stack([t.time for t in tables]).astype(np.float32), np.stack([t.speed for t in tables]),
                  np.stack([t.fpa for t in tables]), _ceiling(tables), np.array([_max_speed(t) for t in tables]))
        _STACK["key"] = (key, list(tables), arrays)
    return _STACK["key"][2]


def engage(threats, batteries, *, assessment_time: float = 60.0, tables=None, coarse_step: float = COARSE_STEP,
           launch_times=None, **table_kw) -> Engagements:
    """Evaluate every threat against every battery.

    ``threats``: :class:`Trajectories` with a time series (or a prepared
    :class:`ThreatSet`); ``batteries``: a list of :class:`Battery`.
    ``tables``: fly-out tables to reuse (one per battery), else built here.
    ``coarse_step``: spacing (s) of the coarse pass of the window search;
    feasibility islands shorter than it can be missed; 0 scans every sample.
    ``launch_times``: (threats, batteries) earliest permitted interceptor
    launch times (s after threat launch, NaN: never) that replace those of the
    batteries' timelines (for example from a simulated track filter)."""
    if not assessment_time >= 0:
        raise EngagementError(f"assessment time must be >= 0 s, got {assessment_time!r}")
    ts = threats if isinstance(threats, ThreatSet) else ThreatSet.prepare(threats)
    batteries = list(batteries)
    if not batteries:
        raise EngagementError("no batteries to engage with")
    options = ts.trajectories.options.replace(output_step=None)
    if tables is None:
        # a fly-out table depends on the site's latitude and height, not its
        # longitude (the Earth model is axisymmetric): sites share tables
        cache: dict = {}
        tables = []
        for b in batteries:
            key = (id(b.interceptor), round(b.lat, 9), round(b.alt, 3))
            if key not in cache:
                cache[key] = FlyoutTable.build(b.interceptor, b.lat, 0.0, b.alt, options, **table_kw)
            tables.append(cache[key])
    m = len(batteries)
    # the distinct tables, stacked; each battery points at its own
    uniq: dict[int, int] = {}
    for t in tables:
        uniq.setdefault(id(t), len(uniq))
    ulist = list({id(t): t for t in tables}.values())
    tidx = np.array([uniq[id(t)] for t in tables], dtype=np.int64)
    shapes = {t.time.shape for t in ulist}
    if len(shapes) != 1:
        raise EngagementError("the fly-out tables of one engagement need the same grid shape")
    T, SP, FP, HR, VM = _stacked(ulist)
    dr = np.array([t.range_grid[1] for t in ulist])
    dh = np.array([t.alt_grid[1] for t in ulist])
    blat = np.array([bat.lat for bat in batteries])
    blon = np.array([bat.lon for bat in batteries])
    balt = np.array([bat.alt for bat in batteries])
    site = np.ascontiguousarray(np.stack(E.geodetic_to_ecef(blat, blon, balt, options.earth), axis=-1))
    site_u = site / np.linalg.norm(site, axis=-1, keepdims=True)
    e_, n_, _ = E.enu_basis(blat, blon)
    site_e, site_n = np.ascontiguousarray(e_), np.ascontiguousarray(n_)
    cons = np.zeros((m, 7))
    for b, bat in enumerate(batteries):
        ic = bat.interceptor
        tab = tables[b]
        # the table ends where the fly-out fan does: nothing beyond it is reachable
        cons[b] = (ic.min_intercept_altitude, min(ic.max_intercept_altitude, tab.alt_grid[-1]),
                   min(ic.max_range, tab.range_grid[-1]), ic.min_closing_speed, 1.0 if ic.tail_chase else 0.0,
                   ic.tail_chase_closing_speed, VM[tidx[b]])
    if launch_times is not None:
        tl = np.asarray(launch_times, dtype=float)
        if tl.shape != (len(ts.ns), m):
            raise EngagementError(f"launch_times must have shape (threats, batteries) = {(len(ts.ns), m)}, got {tl.shape}")
        if np.any(tl < 0):
            raise EngagementError("launch_times must be >= 0 s after threat launch (NaN for never)")
    else:
        # timelines: each distinct one evaluated once
        seen: dict = {}
        cols = []
        for bat in batteries:
            key = bat.timeline
            if key not in seen:
                seen[key] = bat.timeline.earliest_launch(ts.trajectories)
            cols.append(seen[key])
        tl = np.column_stack(cols)
    G, gidx = _guidance(ts, batteries)
    if not coarse_step >= 0:
        raise EngagementError(f"coarse step must be >= 0 s, got {coarse_step!r}")
    stride = max(1, int(round(coarse_step / ts.dt)))
    out = np.empty((len(ts.ns), m, NOUT))
    co, sb = ts.coarse(stride)
    _engage_kernel(ts.r, ts.v, ts.h, ts.ns, ts.dt, co, sb, site, site_u, site_e, site_n, cons, tidx, dr, dh, T, SP, FP,
                   np.ascontiguousarray(tl), float(assessment_time), stride, out, G, gidx, HR)
    return Engagements(ts, batteries, out, float(assessment_time), tables)


def _guidance(ts: ThreatSet, batteries):
    """The batteries' guidance masks, stacked (distinct timelines once) with
    each battery's index into the stack (-1: no constraint)."""
    seen: dict = {}
    masks = []
    gidx = np.full(len(batteries), -1, dtype=np.int64)
    for b, bat in enumerate(batteries):
        key = bat.timeline
        if key not in seen:
            g = bat.timeline.guidance(ts.trajectories)
            if g is None:
                seen[key] = -1
            else:
                k = ts.r.shape[1]
                gm = np.zeros((len(ts.ns), k), dtype=np.bool_)
                gm[:, :min(k, g.shape[1])] = g[:, :k]
                seen[key] = len(masks)
                masks.append(gm)
        gidx[b] = seen[key]
    G = np.stack(masks) if masks else np.zeros((1, 1, 1), dtype=np.bool_)
    return np.ascontiguousarray(G), gidx
