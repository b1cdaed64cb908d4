"""Sensors: radars (field of view, Earth curvature, detection range versus radar
cross-section) and early-warning satellites.

A radar sees a threat sample when, in the radar's local frame (so the Earth's
curvature is included), its elevation is within [min, max] elevation, its
azimuth within the face(s), and its slant range below the smaller of the
maximum instrumented range and the detection range for the target's radar
cross-section. The detection range follows the radar equation at fixed
signal-to-noise: R = R_ref (sigma / sigma_ref)^(1/4) (e.g. Skolnik, *Introduction
to Radar Systems*, 3rd ed., eq. 1.1 and ch. 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numba
import numpy as np

from . import earth as E


@dataclass(frozen=True)
class Radar:
    """A radar (SI units, angles in radians)."""

    name: str
    lat: float
    lon: float
    alt: float = 0.0
    boresight_azimuth: float = 0.0
    azimuth_half_width: float = math.pi  # pi: all round
    min_elevation: float = 0.0
    max_elevation: float = math.pi / 2
    max_range: float = 5.0e6
    reference_range: float = 1.0e6
    reference_rcs: float = 0.01
    track_time: float = 30.0
    kind: str = "fire_control"
    mobile: bool = False  # no fixed site (a ship's radar): placed where it is deployed
    country: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    notes: str = ""
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)
    # optional, for the simulated track filter (openbmd.tracking); None: not given
    wavelength: float | None = None  # m
    aperture: float | None = None  # m: linear size of one face (sets the beamwidth ~ lambda / D)
    bandwidth: float | None = None  # Hz: of the track waveform (range resolution c / 2B)
    revisit_interval: float | None = None  # s: between two measurements of one track

    def __post_init__(self):
        if not -math.pi / 2 <= self.lat <= math.pi / 2:
            raise ValueError(f"radar {self.name!r}: latitude out of range")
        for f_ in ("max_range", "reference_range", "reference_rcs"):
            if not getattr(self, f_) > 0:
                raise ValueError(f"radar {self.name!r}: {f_} must be positive, got {getattr(self, f_)!r}")
        if not 0 < self.azimuth_half_width <= math.pi:
            raise ValueError(f"radar {self.name!r}: azimuth half width must be in (0, 180] degrees")
        if not -math.pi / 2 <= self.min_elevation < self.max_elevation <= math.pi / 2:
            raise ValueError(f"radar {self.name!r}: need -90 <= min elevation < max elevation <= 90 degrees")
        if self.track_time < 0:
            raise ValueError(f"radar {self.name!r}: track time must be >= 0")
        for f_ in ("wavelength", "aperture", "bandwidth", "revisit_interval"):
            v = getattr(self, f_)
            if v is not None and not (v > 0 and math.isfinite(v)):
                raise ValueError(f"radar {self.name!r}: {f_} must be positive (or None), got {v!r}")

    def detection_range(self, rcs) -> np.ndarray:
        """Range (m) at which a target of this RCS (m^2) is detected, capped at the
        maximum instrumented range."""
        rcs = np.asarray(rcs, dtype=float)
        if np.any(rcs <= 0):
            raise ValueError(f"radar cross-section must be positive, got {rcs}")
        return np.minimum(self.reference_range * (rcs / self.reference_rcs) ** 0.25, self.max_range)

    def at(self, lat=None, lon=None, alt=None, boresight_azimuth=None) -> "Radar":
        """The same radar placed elsewhere or turned (angles in radians)."""
        kw = {k: v for k, v in dict(lat=lat, lon=lon, alt=alt, boresight_azimuth=boresight_azimuth).items() if v is not None}
        if "lat" in kw or "lon" in kw:
            kw["mobile"] = False
        return replace(self, **kw)

    def replace(self, **kw) -> "Radar":
        return replace(self, **kw)

    def look(self, r, earth: E.EarthModel = E.WGS84):
        """Azimuth, elevation and slant range of ECEF points ``r`` (..., 3)."""
        x0, y0, z0 = E.geodetic_to_ecef(self.lat, self.lon, self.alt, earth)
        e, n, u = E.ecef_to_enu(r[..., 0] - x0, r[..., 1] - y0, r[..., 2] - z0, self.lat, self.lon)
        rng = np.sqrt(e * e + n * n + u * u)
        az = np.mod(np.arctan2(e, n), 2 * np.pi)
        el = np.arcsin(np.clip(u / np.where(rng > 0, rng, 1.0), -1, 1))
        return az, el, rng

    def visible(self, r, rcs=0.1, earth: E.EarthModel = E.WGS84, detection=None) -> np.ndarray:
        """Boolean mask: which ECEF points (..., 3) the radar detects (NaN points: no).
        Compiled, in one pass over the points; the same tests as :meth:`look`
        (``tests/unit/test_sensors.py`` checks the two agree). ``detection``: the
        detection ranges of ``rcs`` when already known (:meth:`detection_range`)."""
        r = np.asarray(r, dtype=float)
        shape = r.shape[:-1]
        pts = np.ascontiguousarray(r.reshape(-1, 3))
        rng = np.broadcast_to(self.detection_range(rcs) if detection is None else detection, shape).reshape(-1)
        rng = np.ascontiguousarray(rng, dtype=float)
        x0 = np.array(E.geodetic_to_ecef(self.lat, self.lon, self.alt, earth), dtype=float)
        e, n, u = (np.asarray(v, dtype=float) for v in E.enu_basis(self.lat, self.lon))
        out = np.empty(pts.shape[0], dtype=np.bool_)
        _visible(pts, rng, x0, e, n, u, float(self.boresight_azimuth), float(self.azimuth_half_width),
                 float(self.min_elevation), float(self.max_elevation), out)
        return out.reshape(shape)

    def __str__(self):
        return self.name


@numba.njit(parallel=True, cache=True)
def _visible(pts, rng, x0, e, n, u, bore, half, el_min, el_max, out):
    s_min, s_max = math.sin(el_min), math.sin(el_max)
    for p in numba.prange(pts.shape[0]):
        dx, dy, dz = pts[p, 0] - x0[0], pts[p, 1] - x0[1], pts[p, 2] - x0[2]
        de = dx * e[0] + dy * e[1] + dz * e[2]
        dn = dx * n[0] + dy * n[1] + dz * n[2]
        du = dx * u[0] + dy * u[1] + dz * u[2]
        d = math.sqrt(de * de + dn * dn + du * du)
        if not (d <= rng[p]) or d == 0.0:  # NaN points fail here
            out[p] = False
            continue
        sel = du / d
        ok = sel >= s_min and sel <= s_max
        if ok and half < math.pi:
            az = math.atan2(de, dn)
            daz = abs((az - bore + math.pi) % (2 * math.pi) - math.pi)
            ok = daz <= half
        out[p] = ok


def horizon_range(radar_alt, target_alt, min_elevation=0.0, radius=E.SPHERE_RADIUS):
    """Slant range (m) at which a target at ``target_alt`` rises to elevation
    ``min_elevation`` over a spherical Earth, seen from ``radar_alt``:
    R = sqrt((r_t)^2 - (r_r cos e)^2) - r_r sin e, with r = radius + altitude."""
    rr = radius + np.asarray(radar_alt, dtype=float)
    rt = radius + np.asarray(target_alt, dtype=float)
    return np.sqrt(rt**2 - (rr * np.cos(min_elevation)) ** 2) - rr * np.sin(min_elevation)


@dataclass(frozen=True)
class EarlyWarningSatellites:
    """Infrared early-warning satellites (SBIRS/DSP class; the Russian EKS too).

    They see a boosting missile's plume once it climbs above the clouds
    (``cloud_top``) and while its motor burns. A report reaches the ground
    ``report_latency`` s after first sight; a boost track good enough for a
    launch decision (of accuracy ``track_accuracy``) is ready ``track_time`` s
    after first sight, provided the plume is still burning then (a stereo
    track needs the plume). ``delay``, when given, replaces the plume model by
    a fixed detection time after launch (the older, simpler model).

    A satellite track is a launch cue, never fire-control guidance: a battery
    launched on it still needs a radar to guide the interceptor."""

    delay: float | None = None
    name: str = "early-warning satellites"
    source: str = "assumed cue delay; SBIRS/DSP detect boost-phase plumes within tens of seconds"
    cloud_top: float = 10e3  # m
    report_latency: float = 10.0  # s
    track_time: float = 40.0  # s after first sight
    track_accuracy: float = 1e3  # m, 1 sigma (reported)
    country: str = ""
    notes: str = ""
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if self.delay is not None and not self.delay >= 0:
            raise ValueError(f"satellite detection delay must be >= 0, got {self.delay}")
        for f_ in ("cloud_top", "report_latency", "track_time", "track_accuracy"):
            v = getattr(self, f_)
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"satellites {self.name!r}: {f_} must be a number >= 0, got {v!r}")

    def replace(self, **kw) -> "EarlyWarningSatellites":
        return replace(self, **kw)

    def detection_time(self, trajectories) -> np.ndarray:
        """First sight of the plume (s after launch; NaN: never while boosting)."""
        bo = trajectories.burnout_time
        if self.delay is not None:
            return np.where(self.delay <= bo, self.delay, np.nan)
        t = trajectories.sample_times
        _, _, h = trajectories.samples_geodetic
        valid = np.arange(h.shape[1])[None, :] < trajectories.n_samples[:, None]
        seen = valid & (np.nan_to_num(h, nan=-1.0) >= self.cloud_top) & (t[None, :] <= bo[:, None])
        first = np.argmax(seen, axis=1)
        return np.where(seen.any(axis=1), t[first], np.nan)

    def cue_time(self, trajectories) -> np.ndarray:
        """When a boost track usable for a launch decision reaches the network
        (s after threat launch; NaN: the plume burns out first)."""
        det = self.detection_time(trajectories)
        bo = trajectories.burnout_time
        trk = det + self.track_time
        ok = np.isfinite(det) & (trk <= bo)
        return np.where(ok, trk + self.report_latency, np.nan)

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Network:
    """A command-and-control network (C2BMC; the Russian A-135/A-235 command
    post): a remote sensor's track reaches a battery ``link_latency`` s later."""

    name: str = "network"
    link_latency: float = 0.0  # s
    country: str = ""
    source: str = ""
    notes: str = ""
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if not (self.link_latency >= 0 and math.isfinite(self.link_latency)):
            raise ValueError(f"network {self.name!r}: link latency must be a number >= 0 s, got {self.link_latency!r}")

    def replace(self, **kw) -> "Network":
        return replace(self, **kw)


@dataclass(frozen=True)
class Signature:
    """Radar cross-section by flight phase: the boosting body until burnout,
    the post-boost vehicle (bus, warheads aboard) until ``bus_release`` s after
    burnout, then the re-entry vehicle. A radar sees whatever is flying at
    that moment (the largest object: the warheads' RCS after release). After
    release the warheads fly to aim points spread over ``footprint`` (along
    track) x ``footprint_width`` (across) around the target
    (:mod:`openbmd.analysis.mirv`)."""

    name: str = "warhead only"
    booster_rcs: float = 0.1  # m^2
    post_boost_rcs: float = 0.1
    rv_rcs: float = 0.1
    decoy_rcs: float = 0.1
    bus_release: float = 0.0  # s after burnout until the last warhead leaves the bus
    footprint: float = 0.0  # m: along-track length over which one bus spreads its warheads' aim points
    footprint_width: float = 0.0  # m: cross-track width of that footprint (openbmd.analysis.mirv lays them out)
    missiles: tuple[str, ...] = ()
    source: str = ""
    notes: str = ""
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        for f_ in ("booster_rcs", "post_boost_rcs", "rv_rcs", "decoy_rcs"):
            v = getattr(self, f_)
            if not (v > 0 and math.isfinite(v)):
                raise ValueError(f"signature {self.name!r}: {f_} must be a positive number of m^2, got {v!r}")
        for f_ in ("bus_release", "footprint", "footprint_width"):
            v = getattr(self, f_)
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"signature {self.name!r}: {f_} must be a number >= 0, got {v!r}")

    @classmethod
    def constant(cls, rcs: float) -> "Signature":
        """The older model: one RCS over the whole flight."""
        return cls(name=f"constant {rcs:g} m^2", booster_rcs=rcs, post_boost_rcs=rcs, rv_rcs=rcs, decoy_rcs=rcs)

    @property
    def is_constant(self) -> bool:
        return self.booster_rcs == self.post_boost_rcs == self.rv_rcs

    def release_time(self, burnout_time) -> np.ndarray:
        """When the last warhead leaves the bus (s after threat launch)."""
        return np.asarray(burnout_time, dtype=float) + self.bus_release

    def rcs(self, sample_times, burnout_time) -> np.ndarray:
        """RCS (m^2) of each sample: (N, K) for times (K,) and burnouts (N,)."""
        t = np.asarray(sample_times, dtype=float)[None, :]
        bo = np.asarray(burnout_time, dtype=float)[:, None]
        return np.where(t < bo, self.booster_rcs, np.where(t < bo + self.bus_release, self.post_boost_rcs, self.rv_rcs))

    def describe(self) -> str:
        if self.is_constant:
            return f"threat RCS {self.rv_rcs:g} m^2 over the whole flight"
        return (f"threat RCS by phase ({self.name}): booster {self.booster_rcs:g} m^2, post-boost vehicle "
                f"{self.post_boost_rcs:g} m^2 for {self.bus_release:g} s after burnout, RV {self.rv_rcs:g} m^2")


class Signatures:
    """Signatures per missile (by catalog name), with a fallback."""

    def __init__(self, by_missile: dict | None = None, default: Signature | None = None):
        self.by_missile = dict(by_missile or {})
        self.default = default or Signature.constant(0.1)

    def __eq__(self, other):
        return isinstance(other, Signatures) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def key(self):
        return (tuple(sorted(self.by_missile.items(), key=lambda kv: kv[0])), self.default)

    def of(self, name: str) -> Signature:
        return self.by_missile.get(name, self.default)

    def rcs(self, trajectories) -> np.ndarray:
        """(N, K) RCS of every sample of ``trajectories``."""
        names = trajectories.vehicle_names
        t = trajectories.sample_times
        bo = trajectories.burnout_time
        out = np.empty((len(names), len(t)))
        for sig in {self.of(n) for n in names}:
            rows = np.array([self.of(n) == sig for n in names])
            out[rows] = sig.rcs(t, bo[rows])
        return out

    def footprints(self, trajectories) -> tuple[np.ndarray, np.ndarray]:
        """Per trajectory: the along- and cross-track footprint (m) of its
        missile's signature class (0 for single-RV classes)."""
        sig = [self.of(n) for n in trajectories.vehicle_names]
        return (np.array([s.footprint for s in sig], dtype=float),
                np.array([s.footprint_width for s in sig], dtype=float))

    def release_time(self, trajectories) -> np.ndarray:
        names = trajectories.vehicle_names
        bo = trajectories.burnout_time
        return np.array([self.of(n).release_time(b) for n, b in zip(names, bo)], dtype=float)


class RadarReport:
    """Per trajectory: first detection, track established, visibility
    intervals (computed when first asked for)."""

    def __init__(self, radar, detection_time, track_time, visible, times):
        self.radar = radar
        self.detection_time = detection_time
        self.track_time = track_time
        self.visible = visible  # (N, K) boolean
        self._t = times
        self._intervals = None

    @property
    def intervals(self) -> list:
        """Per trajectory, a list of (start, end) in s after threat launch."""
        if self._intervals is None:
            t = self._t
            out = []
            for v in self.visible.astype(np.int8):
                edges = np.diff(np.concatenate([[0], v, [0]]))
                starts = np.nonzero(edges == 1)[0]
                ends = np.nonzero(edges == -1)[0] - 1
                out.append([(float(t[a]), float(t[b])) for a, b in zip(starts, ends)])
            self._intervals = out
        return self._intervals

    def to_dataframe(self, names=None):
        import pandas as pd

        return pd.DataFrame(
            {
                "radar": self.radar.name,
                "threat": names if names is not None else range(len(self.detection_time)),
                "detection_s": self.detection_time,
                "track_s": self.track_time,
                "visible_intervals_s": [[(round(a, 1), round(b, 1)) for a, b in iv] for iv in self.intervals],
            }
        )


def first_runs(vis: np.ndarray, need: int) -> np.ndarray:
    """Per row of a boolean (N, K) array, the index where the first run of at
    least ``need`` consecutive True values starts (-1: none). The first window
    of ``need`` True values starts a run: an earlier start of the same run
    would be an earlier such window."""
    n, k = vis.shape
    need = max(int(need), 1)
    if need > k:
        return np.full(n, -1)
    if need == 1:
        first = np.argmax(vis, axis=1)
        return np.where(vis[np.arange(n), first], first, -1)
    c = np.zeros((n, k + 1), dtype=np.int32)
    np.cumsum(vis, axis=1, out=c[:, 1:])
    win = (c[:, need:] - c[:, :-need]) == need  # (N, K - need + 1): window starting at j all True
    first = np.argmax(win, axis=1)
    return np.where(win.any(axis=1), first, -1)


_VIS: dict = {}
_SIGMA: dict = {}
# visibility arrays kept for repeated looks (a phase comparison's ship stations), least recently used
# dropped first: at most VIS_CACHE of them and VIS_CACHE_BYTES in all
VIS_CACHE = 1024
VIS_CACHE_BYTES = 256e6


def observe(trajectories, radar: Radar, rcs=0.1) -> RadarReport:
    """When ``radar`` detects and tracks each threat of ``trajectories`` (which
    need a time series). The track is firm ``radar.track_time`` s after the first
    detection if the threat is still visible then (otherwise at the start of the
    next visibility interval long enough to hold it). ``rcs``: a number (m^2,
    the whole flight), a :class:`Signature` or :class:`Signatures` (by flight
    phase and missile)."""
    r = trajectories.samples_r
    if r is None:
        raise ValueError("radar coverage needs trajectories with a time series (FlightOptions(output_step=...))")
    t = trajectories.sample_times
    # visibility does not depend on the track time: kept for repeated looks
    # with other track times (Monte Carlo samples, sweeps)
    if isinstance(rcs, Signature):
        rcs = Signatures(default=rcs)
    rkey = rcs.key() if isinstance(rcs, Signatures) else float(rcs)
    key = (id(trajectories), radar.lat, radar.lon, radar.alt, radar.boresight_azimuth, radar.azimuth_half_width,
           radar.min_elevation, radar.max_elevation, radar.max_range, radar.reference_range, radar.reference_rcs,
           rkey)
    hit = _VIS.get(key)
    if hit is not None and hit[0] is trajectories:
        vis, runs = hit[1], hit[2]
        _VIS[key] = _VIS.pop(key)  # most recently used last
    else:
        # the signature of every sample, and its detection range per radar
        # type, are shared by the radars (and ship stations) that look at it
        skey = (id(trajectories), rkey)
        sh = _SIGMA.get(skey)
        if sh is None or sh[0] is not trajectories:
            if len(_SIGMA) >= 16:
                _SIGMA.pop(next(iter(_SIGMA)))
            sh = _SIGMA[skey] = (trajectories, rcs.rcs(trajectories) if isinstance(rcs, Signatures) else rcs, {})
        sigma, ranges = sh[1], sh[2]
        dkey = (radar.reference_range, radar.reference_rcs, radar.max_range)
        if dkey not in ranges:
            ranges[dkey] = radar.detection_range(sigma)
        vis = radar.visible(r, sigma, trajectories.options.earth, detection=ranges[dkey])
        vis &= np.arange(r.shape[1])[None, :] < trajectories.n_samples[:, None]
        runs = {}
        held = sum(v[1].nbytes for v in _VIS.values()) + vis.nbytes
        while _VIS and (len(_VIS) >= VIS_CACHE or held > VIS_CACHE_BYTES):
            held -= _VIS.pop(next(iter(_VIS)))[1].nbytes
        _VIS[key] = (trajectories, vis, runs)
    dt = trajectories.options.output_step

    def first(need):  # first_runs, kept with the visibility (a phase comparison asks again and again)
        if need not in runs:
            runs[need] = first_runs(vis, need)
        return runs[need]

    # first detection: the first visible sample; firm track: the start of the
    # first visibility interval long enough to hold it (b - a + dt >= track
    # time, i.e. ceil(track_time / dt) samples) + the track time
    fd = first(1)
    det = np.where(fd >= 0, t[np.maximum(fd, 0)], np.nan)
    need = max(1, int(math.ceil(radar.track_time / dt - 1e-9)))
    ft = first(need)
    trk = np.where(ft >= 0, t[np.maximum(ft, 0)] + radar.track_time, np.nan)
    return RadarReport(radar, det, trk, vis, t)
