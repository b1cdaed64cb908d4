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

    def visible(self, r, rcs=0.1, earth: E.EarthModel = E.WGS84) -> np.ndarray:
        """Boolean mask: which ECEF points (..., 3) the radar detects (NaN points: no)."""
        az, el, rng = self.look(r, earth)
        daz = np.abs((az - self.boresight_azimuth + np.pi) % (2 * np.pi) - np.pi)
        ok = (el >= self.min_elevation) & (el <= self.max_elevation) & (rng <= self.detection_range(rcs))
        if self.azimuth_half_width < math.pi:
            ok &= daz <= self.azimuth_half_width
        return ok & np.isfinite(rng)

    def __str__(self):
        return self.name


def horizon_range(radar_alt, target_alt, min_elevation=0.0, radius=E.SPHERE_RADIUS):
    """Slant range (m) at which a target at ``target_alt`` rises to elevation
    ``min_elevation`` over a spherical Earth, seen from ``radar_alt``:
    R = sqrt((r_t)^2 - (r_r cos e)^2) - r_r sin e, with r = radius + altitude."""
    rr = radius + np.asarray(radar_alt, dtype=float)
    rt = radius + np.asarray(target_alt, dtype=float)
    return np.sqrt(rt**2 - (rr * np.cos(min_elevation)) ** 2) - rr * np.sin(min_elevation)


@dataclass(frozen=True)
class EarlyWarningSatellites:
    """Infrared early-warning satellites: the launch is detected ``delay`` s after
    it (during the boost). A cue, not a fire-control track."""

    delay: float = 60.0
    name: str = "early-warning satellites"
    source: str = "assumed cue delay; SBIRS/DSP detect boost-phase plumes within tens of seconds (e.g. NRC 2012, ch. 2)"

    def __post_init__(self):
        if not self.delay >= 0:
            raise ValueError(f"satellite detection delay must be >= 0, got {self.delay}")

    def detection_time(self, trajectories) -> np.ndarray:
        bo = trajectories.burnout_time
        return np.where(self.delay <= bo, self.delay, np.nan)


@dataclass
class RadarReport:
    """Per trajectory: first detection, track established, visibility intervals."""

    radar: Radar
    detection_time: np.ndarray
    track_time: np.ndarray
    intervals: list  # per trajectory, a list of (start, end) in s after threat launch
    visible: np.ndarray  # (N, K) boolean

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


_VIS: dict = {}


def observe(trajectories, radar: Radar, rcs: float = 0.1) -> RadarReport:
    """When ``radar`` detects and tracks each threat of ``trajectories`` (which
    need a time series). The track is firm ``radar.track_time`` s after the first
    detection if the threat is still visible then (otherwise at the start of the
    next visibility interval long enough to hold it)."""
    r = trajectories.samples_r
    if r is None:
        raise ValueError("radar coverage needs trajectories with a time series (FlightOptions(output_step=...))")
    t = trajectories.sample_times
    # visibility does not depend on the track time: kept for repeated looks
    # with other track times (Monte Carlo samples, sweeps)
    key = (id(trajectories), radar.lat, radar.lon, radar.alt, radar.boresight_azimuth, radar.azimuth_half_width,
           radar.min_elevation, radar.max_elevation, radar.max_range, radar.reference_range, radar.reference_rcs,
           float(rcs))
    hit = _VIS.get(key)
    if hit is not None and hit[0] is trajectories:
        vis = hit[1]
    else:
        vis = radar.visible(r, rcs, trajectories.options.earth)
        vis &= np.arange(r.shape[1])[None, :] < trajectories.n_samples[:, None]
        if len(_VIS) >= 128:
            _VIS.pop(next(iter(_VIS)))
        _VIS[key] = (trajectories, vis)
    n = r.shape[0]
    det = np.full(n, np.nan)
    trk = np.full(n, np.nan)
    intervals = []
    dt = trajectories.options.output_step
    for i in range(n):
        v = vis[i].astype(np.int8)
        edges = np.diff(np.concatenate([[0], v, [0]]))
        starts = np.nonzero(edges == 1)[0]
        ends = np.nonzero(edges == -1)[0] - 1
        iv = [(float(t[a]), float(t[b])) for a, b in zip(starts, ends)]
        intervals.append(iv)
        if iv:
            det[i] = iv[0][0]
            for a, b in iv:
                if b - a + dt >= radar.track_time:
                    trk[i] = a + radar.track_time
                    break
    return RadarReport(radar, det, trk, intervals, vis)
