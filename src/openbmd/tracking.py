"""Simulated radar tracks: when is a track good enough for a fire-control solution?

The engagement engine's default timeline assumes a fixed time from first
detection to a firm track (``Radar.track_time``). This module replaces that
assumption, where asked, by a simulated track: a radar measures the threat
(:func:`simulate_measurements`), a batched extended Kalman filter estimates
its state (:func:`ekf_track`, in named steps: two-point initialisation,
prediction, innovation, Kalman gain, Joseph-form posterior, PIP accuracy), and
the track is good enough for fire control when the filter's predicted
intercept point (PIP) is known to a stated accuracy
(:func:`fire_control_times` does both). The measurement model, the filter,
their constants and sources, and the validation are described in
``docs/tracking.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import earth as E
from .sensors import Radar, observe
from .errors import OpenBMDError

C_LIGHT = 299_792_458.0  # m/s
DEFAULT_PIP_ACCURACY = 1000.0  # m, 1-sigma radius of the predicted intercept point (ASSUMPTION)
PIP_ACCURACY_RANGE = (300.0, 5000.0)  # m
DEFAULT_PROCESS_NOISE = 1e-4  # m^2/s^3, white-acceleration spectral density per axis
PROCESS_NOISE_RANGE = (1e-6, 1e-2)
RELINEARIZE_S = 30.0  # s of track between re-integrations of the transition to the intercept time
MAX_PREDICT_STEP = 30.0  # s: RK4 step of the prediction to the intercept time
GRAD_STEP = 10.0  # m: central-difference step of the gravity gradient
TRACKING_FIELDS = (("wavelength", "wavelength_m"), ("aperture", "aperture_m"), ("bandwidth", "bandwidth_mhz"),
                   ("revisit_interval", "revisit_s"))


class TrackingError(OpenBMDError, ValueError):
    """Bad tracking input (the message says which field and what was expected)."""


class NeverSeenError(TrackingError):
    """The radar sees none of the trajectories given (nothing to track)."""


# ------------------------------------------------------------ measurements ----
@dataclass(frozen=True)
class MeasurementModel:
    """Constants of the measurement-noise model (see the module docstring)."""

    snr_detection_db: float = 13.0  # SNR at the detection range (the catalog's threshold)
    monopulse_slope: float = 1.6  # k_m (Principles of Modern Radar ch. 18; Barton 2005 ch. 8)
    beamwidth_factor: float = 1.2  # k_a: theta_3dB = k_a lambda / D (0.886 uniform, ~1.2-1.3 tapered)
    range_floor: float = 2.0  # m, added in quadrature (bias, calibration)
    angle_floor: float = 1e-4  # rad, added in quadrature (bias, calibration)
    min_altitude: float = 100e3  # m: no measurement below (the filter has no drag)

    def __post_init__(self):
        for name in ("monopulse_slope", "beamwidth_factor"):
            v = getattr(self, name)
            if not (v > 0 and math.isfinite(v)):
                raise TrackingError(f"measurement model {name} must be positive, got {v!r}")
        for name in ("range_floor", "angle_floor", "min_altitude"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise TrackingError(f"measurement model {name} must be >= 0, got {v!r}")
        if not math.isfinite(self.snr_detection_db):
            raise TrackingError(f"measurement model snr_detection_db must be finite, got {self.snr_detection_db!r}")

    def describe(self) -> list[str]:
        return [
            f"measurement noise: SNR(R) = {self.snr_detection_db:g} dB x (R_det / R)^4, R_det the radar-equation "
            "detection range of the RCS (not capped at the instrumented range)",
            "range sigma = (c / 2B) / sqrt(2 SNR); angle sigma = theta_3dB / (k_m sqrt(2 SNR)), theta_3dB = "
            f"k_a lambda / D, k_m = {self.monopulse_slope:g}, k_a = {self.beamwidth_factor:g} (Principles of Modern "
            "Radar ch. 18; Barton 2005 ch. 8)",
            f"noise floors added in quadrature: {self.range_floor:g} m in range, {self.angle_floor * 1e3:g} mrad in angle "
            "(bias/calibration treated as white noise: optimistic)",
            "azimuth sigma = angle sigma / cos(elevation); no beam broadening off the face normal (optimistic)",
            f"measurements only after the threat's burnout and above {self.min_altitude / 1e3:g} km (drag-free "
            "ballistic filter), while the radar sees the threat",
        ]


def require_tracking(radar: Radar):
    if not isinstance(radar, Radar):
        raise TrackingError(f"radar must be a sensors.Radar, got {type(radar).__name__}")
    missing = [cat for attr, cat in TRACKING_FIELDS if getattr(radar, attr) is None]
    if missing:
        raise TrackingError(
            f"radar {radar.name!r} lacks the tracking fields {', '.join(missing)} (catalog fields of radars.toml; "
            "or give them with Radar.replace(wavelength=..., aperture=..., bandwidth=..., revisit_interval=...))")


def _check_rcs(rcs) -> float:
    try:
        v = float(rcs)
    except (TypeError, ValueError):
        raise TrackingError(f"rcs must be a number of m^2, got {rcs!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise TrackingError(f"rcs (radar cross-section) must be a positive number of m^2, got {rcs!r}")
    return v


def measurement_sigmas(radar: Radar, rcs: float, slant_range, model: MeasurementModel = MeasurementModel()):
    """Range sigma (m), angle sigma (rad, in the beam's angle coordinates) and
    SNR (linear) at slant ranges ``slant_range`` (m) for a target of ``rcs`` m^2."""
    require_tracking(radar)
    rcs = _check_rcs(rcs)
    rng = np.asarray(slant_range, dtype=float)
    if np.any(~(rng > 0)):
        raise TrackingError("slant_range must be positive (m)")
    r_det = radar.reference_range * (rcs / radar.reference_rcs) ** 0.25
    snr = 10.0 ** (model.snr_detection_db / 10.0) * (r_det / rng) ** 4
    res = C_LIGHT / (2.0 * radar.bandwidth)
    beam = model.beamwidth_factor * radar.wavelength / radar.aperture
    root = np.sqrt(2.0 * snr)
    s_r = np.hypot(res / root, model.range_floor)
    s_a = np.hypot(beam / (model.monopulse_slope * root), model.angle_floor)
    return s_r, s_a, snr


@dataclass
class Measurements:
    """Simulated radar measurements, one row per trajectory (and run), aligned
    on the update index k: measurement k of row i is at ``start[i] + k * dt``.

    ``z[..., 0]`` range (m), ``z[..., 1]`` azimuth (rad, from north through
    east), ``z[..., 2]`` elevation (rad), in the radar's local frame; ``sigma``
    the same three standard deviations; ``valid`` which measurements exist;
    ``truth_r``/``truth_v`` the true ECEF state at the update times (NaN past
    the trajectory's end)."""

    radar: Radar
    rcs: float
    model: MeasurementModel
    earth: E.EarthModel
    dt: float
    runs: int
    detection_time: np.ndarray  # (N,) first detection (s after launch; may be in the boost)
    start: np.ndarray  # (N,) time of update 0: first ballistic sample seen
    valid: np.ndarray  # (N, K) bool
    z: np.ndarray  # (N, K, 3)
    sigma: np.ndarray  # (N, K, 3)
    truth_r: np.ndarray  # (N, K, 3)
    truth_v: np.ndarray  # (N, K, 3)
    seed: object = None

    def __len__(self):
        return self.valid.shape[0]

    @property
    def times(self) -> np.ndarray:
        """(N, K) update times (s after threat launch; NaN rows never seen)."""
        return self.start[:, None] + self.dt * np.arange(self.valid.shape[1])[None, :]

    @property
    def count(self) -> np.ndarray:
        return self.valid.sum(axis=1)


def hermite(r, v, t_samples, dt_s, ns, times):
    """Cubic Hermite interpolation of sampled positions and velocities (N, S, 3)
    at times (N, K); NaN outside [0, last sample]."""
    n = times.shape[0]
    tt = np.where(np.isfinite(times), times, -1.0)
    j = np.floor(tt / dt_s).astype(np.int64)
    last = (ns - 1)[:, None]
    ok = (tt >= 0) & (j <= last) & (ns[:, None] > 1)
    j = np.clip(np.minimum(j, last - 1), 0, max(r.shape[1] - 2, 0))
    s = np.clip((tt - j * dt_s) / dt_s, 0.0, 1.0)[..., None]
    rows = np.arange(n)[:, None]
    r0, r1 = r[rows, j], r[rows, j + 1]
    v0, v1 = v[rows, j], v[rows, j + 1]
    h = dt_s
    s2, s3 = s * s, s * s * s
    pos = (2 * s3 - 3 * s2 + 1) * r0 + (s3 - 2 * s2 + s) * h * v0 + (-2 * s3 + 3 * s2) * r1 + (s3 - s2) * h * v1
    vel = ((6 * s2 - 6 * s) * r0 + (3 * s2 - 4 * s + 1) * h * v0 + (-6 * s2 + 6 * s) * r1 + (3 * s2 - 2 * s) * h * v1) / h
    pos = np.where(ok[..., None], pos, np.nan)
    vel = np.where(ok[..., None], vel, np.nan)
    return pos, vel


class Site:
    """The radar's position and local frame (ECEF)."""

    def __init__(self, radar: Radar, earth):
        self.p = np.array(E.geodetic_to_ecef(radar.lat, radar.lon, radar.alt, earth), dtype=float)
        e, n, u = E.enu_basis(radar.lat, radar.lon)
        self.M = np.stack([e, n, u], axis=0)  # rows: east, north, up (ECEF components)

    def h(self, r):
        """Range, azimuth, elevation of ECEF points (..., 3)."""
        d = r - self.p
        enu = d @ self.M.T
        rng = np.linalg.norm(d, axis=-1)
        az = np.mod(np.arctan2(enu[..., 0], enu[..., 1]), 2 * np.pi)
        el = np.arcsin(np.clip(enu[..., 2] / np.where(rng > 0, rng, 1.0), -1.0, 1.0))
        return np.stack([rng, az, el], axis=-1)

    def jacobian(self, r):
        """d(range, az, el)/d(ECEF position): (..., 3, 3)."""
        d = r - self.p
        enu = d @ self.M.T
        e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
        rho2 = np.maximum(e * e + n * n, 1e-6)
        rho = np.sqrt(rho2)
        rng2 = rho2 + u * u
        rng = np.sqrt(rng2)
        E_, N_, U_ = self.M[0], self.M[1], self.M[2]
        j_r = d / rng[..., None]
        j_az = (n[..., None] * E_ - e[..., None] * N_) / rho2[..., None]
        j_el = (rng2[..., None] * U_ - u[..., None] * d) / (rng2 * rho)[..., None]
        return np.stack([j_r, j_az, j_el], axis=-2)

    def to_ecef(self, z, sig):
        """Position (..., 3) and its covariance (..., 3, 3) from measurements."""
        R, az, el = z[..., 0], z[..., 1], z[..., 2]
        ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
        enu = np.stack([R * ce * sa, R * ce * ca, R * se], axis=-1)
        J = np.empty(z.shape[:-1] + (3, 3))
        J[..., 0, 0], J[..., 0, 1], J[..., 0, 2] = ce * sa, R * ce * ca, -R * se * sa
        J[..., 1, 0], J[..., 1, 1], J[..., 1, 2] = ce * ca, -R * ce * sa, -R * se * ca
        J[..., 2, 0], J[..., 2, 1], J[..., 2, 2] = se, 0.0, R * ce
        Jx = np.einsum("ji,...jk->...ik", self.M, J)  # ECEF = M^T enu
        C = np.einsum("...ik,...k,...jk->...ij", Jx, sig * sig, Jx)
        return self.p + enu @ self.M, C


def simulate_measurements(trajectories, radar: Radar, rcs: float = 0.1, *, model: MeasurementModel = MeasurementModel(),
                          seed=0, runs: int = 1, t_end=None, revisit: float | None = None) -> Measurements:
    """Noisy range/azimuth/elevation measurements of each trajectory by ``radar``.

    ``trajectories``: flight :class:`Trajectories` with a time series.
    ``runs``: independent noise draws per trajectory (Monte Carlo); rows are
    trajectory-major (row = trajectory * runs + run). ``t_end``: per trajectory
    (or one number), no measurement after it (s after launch). ``revisit``:
    the update interval (s), default ``radar.revisit_interval``. ``seed``:
    anything :func:`numpy.random.default_rng` takes."""
    require_tracking(radar)
    rcs = _check_rcs(rcs)
    if not isinstance(runs, (int, np.integer)) or runs < 1:
        raise TrackingError(f"runs must be an integer >= 1, got {runs!r}")
    dt = float(radar.revisit_interval if revisit is None else revisit)
    if not (dt > 0 and math.isfinite(dt)):
        raise TrackingError(f"revisit interval must be a positive number of s, got {revisit!r}")
    if getattr(trajectories, "samples_r", None) is None:
        raise TrackingError("tracking needs trajectories with a time series (FlightOptions(output_step=...))")
    earth = trajectories.options.earth
    n0 = len(trajectories)
    rep = observe(trajectories, radar, rcs)
    vis = rep.visible
    r_s, v_s = trajectories.samples_r, trajectories.samples_v
    ns = trajectories.n_samples.astype(np.int64)
    step = float(trajectories.options.output_step)
    t_s = trajectories.sample_times
    _, _, h_s = trajectories.samples_geodetic
    ballistic = (t_s[None, :] >= trajectories.burnout_time[:, None]) & (np.nan_to_num(h_s, nan=-1.0) >= model.min_altitude)
    if t_end is None:
        tend = np.full(n0, np.inf)
    else:
        tend = np.broadcast_to(np.asarray(t_end, dtype=float), (n0,)).copy()
        tend[np.isnan(tend)] = np.inf
    ok = vis & ballistic & (t_s[None, :] <= tend[:, None])
    seen = ok.any(axis=1)
    if not seen.any():
        raise NeverSeenError(
            f"radar {radar.name!r} never sees any of the {n0} trajectories after burnout above "
            f"{model.min_altitude / 1e3:g} km (RCS {rcs:g} m^2, detection range "
            f"{float(radar.detection_range(rcs)) / 1e3:,.0f} km): nothing to track")
    first = np.argmax(ok, axis=1)
    lastk = ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
    start = np.where(seen, t_s[first], np.nan)
    t_last = np.where(seen, t_s[lastk], np.nan)
    nk = np.where(seen, np.floor(np.nan_to_num((t_last - start) / dt) + 1e-9).astype(np.int64) + 1, 0)
    K = int(nk.max())
    times = start[:, None] + dt * np.arange(K)[None, :]
    times = np.where(np.arange(K)[None, :] < nk[:, None], times, np.nan)
    pos, vel = hermite(r_s, v_s, t_s, step, ns, times)
    site = Site(radar, earth)
    with np.errstate(invalid="ignore"):
        _, _, hh = E.ecef_to_geodetic(pos[..., 0], pos[..., 1], pos[..., 2], earth)
        valid = radar.visible(np.nan_to_num(pos, nan=0.0), rcs, earth) & np.isfinite(pos[..., 0])
        valid &= (hh >= model.min_altitude) & (times >= trajectories.burnout_time[:, None]) & (times <= tend[:, None])
    zt = site.h(np.nan_to_num(pos, nan=0.0) + np.where(np.isfinite(pos), 0.0, site.p))
    s_r, s_a, _ = measurement_sigmas(radar, rcs, np.where(zt[..., 0] > 0, zt[..., 0], 1.0), model)
    s_az = s_a / np.maximum(np.cos(zt[..., 2]), 0.05)
    sig = np.stack([s_r, s_az, s_a], axis=-1)
    # Monte Carlo runs: rows trajectory-major
    rep_ = lambda a: np.repeat(a, runs, axis=0)
    valid, zt, sig, pos, vel = rep_(valid), rep_(zt), rep_(sig), rep_(pos), rep_(vel)
    rng = np.random.default_rng(seed)
    z = zt + sig * rng.standard_normal(zt.shape)
    z[..., 1] = np.mod(z[..., 1], 2 * np.pi)
    z = np.where(valid[..., None], z, np.nan)
    sig = np.where(valid[..., None], sig, np.nan)
    return Measurements(radar, rcs, model, earth, dt, int(runs), rep_(rep.detection_time), rep_(start), valid, z, sig,
                        pos, vel, seed)


# ------------------------------------------------------------- dynamics ----
def _gravity(r, earth):
    """J2 gravity (m/s^2) at ECEF points (..., 3) (as earth.gravity_k)."""
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = -earth.mu / (r2 * rn)
    fac = 1.5 * earth.j2 * earth.j2_radius**2 / r2
    zr2 = z * z / r2
    c1 = 1.0 + fac * (1.0 - 5.0 * zr2)
    c3 = 1.0 + fac * (3.0 - 5.0 * zr2)
    return np.stack([k * x * c1, k * y * c1, k * z * c3], axis=-1)


def _gravity_gradient(r, earth, h=GRAD_STEP):
    """d g_i / d r_j at ECEF points (M, 3): (M, 3, 3), central differences."""
    m = r.shape[0]
    d = np.eye(3) * h
    pts = np.concatenate([r[None] + d[:, None, :], r[None] - d[:, None, :]], axis=0)  # (6, M, 3)
    g = _gravity(pts.reshape(-1, 3), earth).reshape(2, 3, m, 3)
    return ((g[0] - g[1]) / (2 * h)).transpose(1, 2, 0)  # [M, i (component), j (direction)]


def deriv(x, earth):
    om = earth.omega
    r, v = x[:, :3], x[:, 3:]
    a = _gravity(r, earth)
    a[:, 0] += 2 * om * v[:, 1] + om * om * r[:, 0]
    a[:, 1] += -2 * om * v[:, 0] + om * om * r[:, 1]
    return np.concatenate([v, a], axis=1)


def _jac(x, earth):
    """A = df/dx: (M, 6, 6)."""
    m = x.shape[0]
    om = earth.omega
    A = np.zeros((m, 6, 6))
    A[:, 0:3, 3:6] = np.eye(3)
    A[:, 3:6, 0:3] = _gravity_gradient(x[:, :3], earth)
    A[:, 3, 0] += om * om
    A[:, 4, 1] += om * om
    A[:, 3, 4] = 2 * om
    A[:, 4, 3] = -2 * om
    return A


def propagate(x, h, n_sub, earth, stm=True):
    """RK4 of the state (M, 6) (and of the transition matrix) over ``n_sub``
    steps of ``h`` (M,) s each."""
    hh = np.asarray(h, dtype=float)[:, None]
    phi = np.broadcast_to(np.eye(6), (x.shape[0], 6, 6)).copy() if stm else None
    hp = hh[..., None]
    for _ in range(int(n_sub)):
        k1 = deriv(x, earth)
        x2 = x + 0.5 * hh * k1
        k2 = deriv(x2, earth)
        x3 = x + 0.5 * hh * k2
        k3 = deriv(x3, earth)
        x4 = x + hh * k3
        k4 = deriv(x4, earth)
        if stm:
            p1 = _jac(x, earth) @ phi
            p2 = _jac(x2, earth) @ (phi + 0.5 * hp * p1)
            p3 = _jac(x3, earth) @ (phi + 0.5 * hp * p2)
            p4 = _jac(x4, earth) @ (phi + hp * p3)
            phi = phi + hp / 6.0 * (p1 + 2 * p2 + 2 * p3 + p4)
        x = x + hh / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x, phi


def process_noise_matrix(q, dt):
    Q = np.zeros((6, 6))
    i3 = np.eye(3)
    Q[:3, :3] = q * dt**3 / 3 * i3
    Q[:3, 3:] = Q[3:, :3] = q * dt**2 / 2 * i3
    Q[3:, 3:] = q * dt * i3
    return Q


# --------------------------------------------------------------- result ----
@dataclass
class TrackQuality:
    """The filter's result per row (trajectory x run) and intercept time.

    ``fire_control_time``, ``track_time`` (fire control - first detection)
    and ``measurements_used`` have shape (N,) for one intercept time per row,
    (N, m) for several. Histories (per update k, shape (N, K); ``pip_sigma``
    (N, K, m)) are NaN before the track starts and where not kept."""

    radar: Radar
    rcs: float
    model: MeasurementModel
    pip_accuracy: float
    process_noise: float
    runs: int
    dt: float
    detection_time: np.ndarray  # (N,)
    track_start: np.ndarray  # (N,) time of the first measurement used
    intercept_time: np.ndarray  # (N, m)
    fire_control: np.ndarray  # (N, m)
    used: np.ndarray  # (N, m) measurements used at fire control (0: never)
    pip_at_fire_control: np.ndarray  # (N, m) sigma_PIP (m) at fire control
    state_at_fire_control: np.ndarray  # (N, m, 6) the estimate (ECEF, m and m/s) at fire control
    covariance_at_fire_control: np.ndarray  # (N, m, 6, 6)
    times: np.ndarray  # (N, K)
    n_measurements: np.ndarray  # (N, K) measurements used so far
    position_error: np.ndarray  # (N, K) |estimate - truth| (m)
    position_sigma: np.ndarray  # (N, K) sqrt(trace P_rr) (m)
    nees: np.ndarray  # (N, K) normalised estimation error squared (6 dof)
    pip_sigma: np.ndarray | None  # (N, K, m)
    squeeze: bool = True
    seed: object = None

    def _out(self, a):
        return a[:, 0] if self.squeeze else a

    @property
    def fire_control_time(self) -> np.ndarray:
        """First update time (s after threat launch) with sigma_PIP <= pip_accuracy (NaN: never)."""
        return self._out(self.fire_control)

    @property
    def track_time(self) -> np.ndarray:
        """The equivalent fixed track time: fire control - first detection (s)."""
        return self._out(self.fire_control - self.detection_time[:, None])

    @property
    def measurements_used(self) -> np.ndarray:
        return self._out(self.used)

    def __len__(self):
        return self.fire_control.shape[0]

    def to_dataframe(self, names=None):
        """One row per trajectory row (and intercept time)."""
        import pandas as pd

        n, m = self.fire_control.shape
        traj = np.arange(n) // self.runs
        run = np.arange(n) % self.runs
        lab = np.asarray(names, dtype=object)[traj] if names is not None else traj
        rep = lambda a: np.repeat(a, m)
        return pd.DataFrame({
            "radar": self.radar.name,
            "threat": rep(lab),
            "run": rep(run),
            "intercept_index": np.tile(np.arange(m), n),
            "detection_s": rep(self.detection_time),
            "track_start_s": rep(self.track_start),
            "intercept_s": self.intercept_time.ravel(),
            "fire_control_s": self.fire_control.ravel(),
            "track_time_s": (self.fire_control - self.detection_time[:, None]).ravel(),
            "fixed_track_time_s": self.radar.track_time,
            "measurements": self.used.ravel(),
            "pip_sigma_m": self.pip_at_fire_control.ravel(),
        })

    def history_dataframe(self, row: int = 0, column: int = 0):
        """The error history of one row: per update, time, measurements so far,
        true and reported position error, NEES and sigma_PIP."""
        import pandas as pd

        ok = np.isfinite(self.times[row]) & np.isfinite(self.position_sigma[row])
        d = {
            "t_s": self.times[row, ok],
            "measurements": self.n_measurements[row, ok],
            "position_error_m": self.position_error[row, ok],
            "position_sigma_m": self.position_sigma[row, ok],
            "nees": self.nees[row, ok],
        }
        if self.pip_sigma is not None:
            d["pip_sigma_m"] = self.pip_sigma[row, ok, column]
        return pd.DataFrame(d)

    def assumptions(self) -> list[str]:
        r = self.radar
        beam = self.model.beamwidth_factor * r.wavelength / r.aperture
        out = [
            f"radar {r.name}: wavelength {r.wavelength * 100:g} cm, face {r.aperture:g} m (3 dB beamwidth "
            f"{beam * 1e3:.1f} mrad), track waveform bandwidth {r.bandwidth / 1e6:g} MHz (range resolution "
            f"{C_LIGHT / (2 * r.bandwidth):.2f} m), a measurement every {self.dt:g} s; threat RCS {self.rcs:g} m^2",
            *self.model.describe(),
            "extended Kalman filter, ECEF position and velocity; J2 gravity, Coriolis and centrifugal terms; no drag "
            "and no thrust (measurements after burnout, above the stated altitude); RK4 prediction with the "
            "variational equations; two-point initialisation from the first two measurements; Joseph-form update",
            f"process noise: white acceleration {self.process_noise:g} m^2/s^3 per axis (range "
            f"{PROCESS_NOISE_RANGE[0]:g}-{PROCESS_NOISE_RANGE[1]:g})",
            f"fire control: first update at which the predicted intercept point's RMS 3-D position error "
            f"sqrt(trace P_rr(t_I)) <= {self.pip_accuracy:g} m (ASSUMPTION, range {PIP_ACCURACY_RANGE[0]:g}-"
            f"{PIP_ACCURACY_RANGE[1]:g} m: set by the kill vehicle's divert capability; no public figure found)",
            "track time = fire control - first detection (which may be during the boost; tracking starts after burnout)",
            f"noise seed {self.seed!r}; {self.runs} run(s) per trajectory",
        ]
        return out


# --------------------------------------------------------------- filter ----
def _as_columns(intercept_time, n_traj, runs):
    it = np.asarray(intercept_time, dtype=float)
    squeeze = it.ndim <= 1
    if it.ndim == 0:
        it = np.full((n_traj, 1), float(it))
    elif it.ndim == 1:
        if it.shape[0] != n_traj:
            raise TrackingError(f"intercept_time must have one value per trajectory ({n_traj}), got {it.shape[0]}")
        it = it[:, None]
    elif it.ndim == 2:
        if it.shape[0] != n_traj:
            raise TrackingError(f"intercept_time must have shape (trajectories, m) with {n_traj} rows, got {it.shape}")
    else:
        raise TrackingError(f"intercept_time must be a number or have shape (trajectories,) or (trajectories, m), got {it.shape}")
    if np.any(it < 0):
        raise TrackingError("intercept_time must be >= 0 s after threat launch (NaN: none)")
    return np.repeat(it, runs, axis=0), squeeze


def check_pip(pip_accuracy):
    try:
        v = float(pip_accuracy)
    except (TypeError, ValueError):
        raise TrackingError(f"pip_accuracy must be a number of m, got {pip_accuracy!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise TrackingError(f"pip_accuracy (the predicted-intercept-point accuracy needed for fire control) must be a "
                            f"positive number of m, got {pip_accuracy!r}")
    return v


@dataclass
class _FilterRun:
    """The batched filter's working arrays (rows: trajectories x runs; m
    intercept times per row)."""

    x: np.ndarray  # (N, 6) state estimates
    P: np.ndarray  # (N, 6, 6) covariances
    started: np.ndarray  # (N,) the row's track has begun
    nused: np.ndarray  # (N,) measurements used so far
    psi: np.ndarray  # (N, m, 3, 6) position rows of Phi(t_I, t_k)
    fc: np.ndarray  # (N, m) fire-control time
    used: np.ndarray  # (N, m) measurements used by then
    pip_fc: np.ndarray  # (N, m) PIP sigma at fire control
    x_fc: np.ndarray  # (N, m, 6) state at fire control
    P_fc: np.ndarray  # (N, m, 6, 6) covariance at fire control
    h_err: np.ndarray  # histories, (N, K) or (N, 0)
    h_sig: np.ndarray
    h_nees: np.ndarray
    h_n: np.ndarray
    h_pip: np.ndarray | None


def _two_point_init(meas: Measurements, site, earth):
    """Each row's initial state at its second measurement, from the first two:
    position of the second, velocity from the difference (with half the
    gravity over the span), and their covariances. Returns (x0, P0, ib): ib
    the sample index of the second measurement (K + 1 where there is none)."""
    valid = meas.valid
    N, K = valid.shape
    dt = meas.dt
    cnt = np.cumsum(valid, axis=1)
    has2 = cnt[:, -1] >= 2 if K else np.zeros(N, bool)
    ia = np.argmax(valid, axis=1)
    ib = np.where(has2, np.argmax(cnt >= 2, axis=1), K + 1)
    rows = np.arange(N)
    za, sa = meas.z[rows, np.minimum(ia, K - 1)], meas.sigma[rows, np.minimum(ia, K - 1)]
    zb, sb = meas.z[rows, np.minimum(ib, K - 1)], meas.sigma[rows, np.minimum(ib, K - 1)]
    fin = has2
    pa, Ca = site.to_ecef(np.where(fin[:, None], za, 1e6), np.where(fin[:, None], sa, 1.0))
    pb, Cb = site.to_ecef(np.where(fin[:, None], zb, 1e6), np.where(fin[:, None], sb, 1.0))
    span = np.where(fin, (ib - ia) * dt, 1.0)
    acc = deriv(np.concatenate([pb, (pb - pa) / span[:, None]], axis=1), earth)[:, 3:]
    v0 = (pb - pa) / span[:, None] + acc * span[:, None] / 2
    x0 = np.concatenate([pb, v0], axis=1)
    P0 = np.zeros((N, 6, 6))
    P0[:, :3, :3] = Cb
    P0[:, :3, 3:] = Cb / span[:, None, None]
    P0[:, 3:, :3] = Cb / span[:, None, None]
    P0[:, 3:, 3:] = (Ca + Cb) / span[:, None, None] ** 2
    return x0, P0, ib


def _new_run(x0, P0, m: int, K: int, keep_history: bool, do_pip: bool) -> _FilterRun:
    N = x0.shape[0]
    shape_h = (N, K) if keep_history else (N, 0)
    return _FilterRun(
        x=x0.copy(), P=P0.copy(), started=np.zeros(N, bool), nused=np.zeros(N, np.int64),
        psi=np.zeros((N, m, 3, 6)), fc=np.full((N, m), np.nan), used=np.zeros((N, m), np.int64),
        pip_fc=np.full((N, m), np.nan), x_fc=np.full((N, m, 6), np.nan), P_fc=np.full((N, m, 6, 6), np.nan),
        h_err=np.full(shape_h, np.nan), h_sig=np.full(shape_h, np.nan), h_nees=np.full(shape_h, np.nan),
        h_n=np.zeros(shape_h, np.int64), h_pip=np.full(shape_h + (m,), np.nan) if (keep_history and do_pip) else None)


def _predict(f: _FilterRun, idx, dt, earth, Q, do_pip: bool):
    """One revisit interval ahead for rows ``idx``: the state by the
    dynamics, the covariance Phi P Phi^T + Q, and the PIP transition rows
    (Phi(t_I, t_k+1) = Phi(t_I, t_k) Phi^-1)."""
    xn, phi = propagate(f.x[idx], np.full(idx.size, dt), 1, earth)
    f.x[idx] = xn
    f.P[idx] = phi @ f.P[idx] @ phi.transpose(0, 2, 1) + Q
    if do_pip:
        inv = np.linalg.inv(phi)
        f.psi[idx] = f.psi[idx] @ inv[:, None]


def _innovation(site, x, z):
    """Measurement residual z - h(x) (range, azimuth, elevation), the azimuth
    wrapped to [-pi, pi), and the measurement Jacobian H (n, 3, 6)."""
    H = np.zeros((x.shape[0], 3, 6))
    H[:, :, :3] = site.jacobian(x[:, :3])
    y = z - site.h(x[:, :3])
    y[:, 1] = (y[:, 1] + np.pi) % (2 * np.pi) - np.pi
    return y, H


def _measurement_covariance(sigma):
    """Diagonal R from the per-measurement standard deviations (n, 3)."""
    Rm = np.zeros((sigma.shape[0], 3, 3))
    Rm[:, [0, 1, 2], [0, 1, 2]] = sigma * sigma
    return Rm


def _kalman_gain(P, H, Rm):
    """K = P H^T S^-1 with the innovation covariance S = H P H^T + R."""
    PHt = P @ H.transpose(0, 2, 1)
    S = H @ PHt + Rm
    return np.linalg.solve(S, PHt.transpose(0, 2, 1)).transpose(0, 2, 1)


def _posterior(x, P, Kg, H, Rm, y):
    """Updated state x + K y and covariance in Joseph form
    (I - KH) P (I - KH)^T + K R K^T, symmetrised."""
    xn = x + (Kg @ y[:, :, None])[:, :, 0]
    IKH = np.eye(6) - Kg @ H
    Pn = IKH @ P @ IKH.transpose(0, 2, 1) + Kg @ Rm @ Kg.transpose(0, 2, 1)
    return xn, 0.5 * (Pn + Pn.transpose(0, 2, 1))


def _update(f: _FilterRun, idx, site, z, sigma):
    """The measurement update of rows ``idx``."""
    y, H = _innovation(site, f.x[idx], z)
    Rm = _measurement_covariance(sigma)
    Kg = _kalman_gain(f.P[idx], H, Rm)
    f.x[idx], f.P[idx] = _posterior(f.x[idx], f.P[idx], Kg, H, Rm, y)
    f.nused[idx] += 1


def _relinearize_pip(f: _FilterRun, idx, tI, tk, earth):
    """The PIP transition rows of rows ``idx`` integrated afresh from their
    current states to the intercept times (RK4 steps of at most MAX_PREDICT_STEP)."""
    m = tI.shape[1]
    span_i = tI[idx] - tk[idx, None]  # (len, m)
    span_i = np.where(np.isfinite(span_i) & (span_i > 0), span_i, 0.0)
    nsub = max(1, math.ceil(span_i.max() / MAX_PREDICT_STEP)) if span_i.size else 1
    xs = np.repeat(f.x[idx], m, axis=0)
    _, phi = propagate(xs, span_i.ravel() / nsub, nsub, earth)
    f.psi[idx] = phi[:, :3, :].reshape(idx.size, m, 3, 6)


def _pip_sigma(f: _FilterRun, idx, span_i, q):
    """1-sigma radius of the predicted intercept point:
    sqrt(tr(Psi P Psi^T) + q span^3) (NaN past the intercept time)."""
    PsP = np.einsum("nmij,njk->nmik", f.psi[idx], f.P[idx])
    var = np.einsum("nmik,nmik->nm", PsP, f.psi[idx]) + q * np.where(span_i > 0, span_i, 0.0) ** 3
    sig = np.sqrt(np.maximum(var, 0.0))
    return np.where(span_i >= 0, sig, np.nan)


def _fire_control(f: _FilterRun, idx, ok, sig, tk):
    """Record the first fire-control solution of rows ``idx[r]`` for intercept ``c`` where ``ok[r, c]``."""
    r_, c_ = np.nonzero(ok)
    f.fc[idx[r_], c_] = tk[idx[r_]]
    f.used[idx[r_], c_] = f.nused[idx[r_]]
    f.pip_fc[idx[r_], c_] = sig[r_, c_]
    f.x_fc[idx[r_], c_] = f.x[idx[r_]]
    f.P_fc[idx[r_], c_] = f.P[idx[r_]]


def _record_history(f: _FilterRun, idx, k, meas: Measurements):
    """Position error against the truth, its sigma, NEES and measurements used, at update k."""
    e = f.x[idx] - np.concatenate([meas.truth_r[idx, k], meas.truth_v[idx, k]], axis=1)
    f.h_err[idx, k] = np.linalg.norm(e[:, :3], axis=1)
    f.h_sig[idx, k] = np.sqrt(np.trace(f.P[idx, :3, :3], axis1=1, axis2=2))
    with np.errstate(invalid="ignore"):
        f.h_nees[idx, k] = np.einsum("ni,ni->n", e, np.linalg.solve(f.P[idx], e[:, :, None])[:, :, 0])
    f.h_n[idx, k] = f.nused[idx]


def ekf_track(meas: Measurements, intercept_time=None, *, pip_accuracy: float = DEFAULT_PIP_ACCURACY,
              process_noise: float = DEFAULT_PROCESS_NOISE, keep_history: bool = True,
              relinearize_s: float = RELINEARIZE_S) -> TrackQuality:
    """Run the extended Kalman filter over ``meas`` (all rows at once).

    ``intercept_time``: per trajectory (N / runs,) or (trajectories, m) times
    (s after threat launch) at which to predict the intercept point; None: no
    fire-control criterion (histories only). ``keep_history``: keep the
    per-update histories and run to the end of the data (False: stop when
    every row has its fire-control time or is past its intercept times).

    Each update k: predict the running rows (:func:`_predict`), start the rows
    whose second measurement this is (:func:`_two_point_init`), update the
    rows measured now (:func:`_update`), then the PIP accuracy and the
    fire-control test (:func:`_pip_sigma`), and the histories."""
    pip = check_pip(pip_accuracy)
    q = float(process_noise)
    if not (q >= 0 and math.isfinite(q)):
        raise TrackingError(f"process_noise must be >= 0 m^2/s^3, got {process_noise!r}")
    if not (relinearize_s > 0):
        raise TrackingError(f"relinearize_s must be positive, got {relinearize_s!r}")
    N, K = meas.valid.shape
    n_traj = N // meas.runs
    if intercept_time is None:
        tI, squeeze = np.full((N, 1), np.nan), True
    else:
        tI, squeeze = _as_columns(intercept_time, n_traj, meas.runs)
    earth, dt, valid, times = meas.earth, meas.dt, meas.valid, meas.times
    site = Site(meas.radar, earth)
    x0, P0, ib = _two_point_init(meas, site, earth)
    do_pip = intercept_time is not None
    f = _new_run(x0, P0, tI.shape[1], K, keep_history, do_pip)  # dummy states until a row starts
    Q = process_noise_matrix(q, dt)
    relin = max(1, round(relinearize_s / dt))
    last_valid = np.where(valid.any(axis=1), K - 1 - np.argmax(valid[:, ::-1], axis=1), -1)
    for k in range(K):
        tk = times[:, k]
        run_ = f.started.copy()  # rows that predict into this update
        if k > 0 and run_.any():
            _predict(f, np.nonzero(run_)[0], dt, earth, Q, do_pip)
        new = ib == k
        if new.any():
            f.x[new], f.P[new] = x0[new], P0[new]
            f.started |= new
            f.nused[new] = 2
        upd = run_ & valid[:, k]
        if upd.any():
            idx = np.nonzero(upd)[0]
            _update(f, idx, site, meas.z[idx, k], meas.sigma[idx, k])
        if do_pip and f.started.any():
            # re-integrate the transition to the intercept times at the start and every relin updates
            redo = f.started & (((k - ib) % relin) == 0)
            if redo.any():
                _relinearize_pip(f, np.nonzero(redo)[0], tI, tk, earth)
            idx = np.nonzero(f.started)[0]
            span_i = tI[idx] - tk[idx, None]
            sig = _pip_sigma(f, idx, span_i, q)
            if f.h_pip is not None:
                f.h_pip[idx, k] = sig
            ok = (upd | new)[idx, None] & (span_i >= 0) & (sig <= pip) & np.isnan(f.fc[idx])
            if ok.any():
                _fire_control(f, idx, ok, sig, tk)
        if keep_history and f.started.any():
            _record_history(f, np.nonzero(f.started)[0], k, meas)
        if not keep_history:
            # stop when every row is done: fire control for every intercept time, or past them, or out of data
            pending = np.isnan(f.fc) & np.isfinite(tI) & (tI >= tk[:, None] + dt)
            live = pending.any(axis=1) & (last_valid > k) & (ib <= K)
            if not live.any():
                break
    fc_ok = np.isfinite(f.fc)
    return TrackQuality(
        radar=meas.radar, rcs=meas.rcs, model=meas.model, pip_accuracy=pip, process_noise=q, runs=meas.runs, dt=dt,
        detection_time=meas.detection_time, track_start=meas.start, intercept_time=tI, fire_control=f.fc,
        used=np.where(fc_ok, f.used, 0), pip_at_fire_control=f.pip_fc, state_at_fire_control=f.x_fc,
        covariance_at_fire_control=f.P_fc, times=times if keep_history else times[:, :0],
        n_measurements=f.h_n, position_error=f.h_err, position_sigma=f.h_sig, nees=f.h_nees, pip_sigma=f.h_pip,
        squeeze=squeeze, seed=meas.seed,
    )


def fire_control_times(trajectories, radar: Radar, rcs: float, intercept_time, *,
                       pip_accuracy: float = DEFAULT_PIP_ACCURACY, seed=0, process_noise: float = DEFAULT_PROCESS_NOISE,
                       model: MeasurementModel = MeasurementModel(), runs: int = 1, revisit: float | None = None,
                       keep_history: bool = True) -> TrackQuality:
    """When the simulated track of each trajectory is good enough for a
    fire-control solution at ``intercept_time`` (per trajectory, or
    (trajectories, m) for several): measurements and the filter in one call.
    The noise drawn depends on the seed, not on the intercept times. See the
    module docstring."""
    pip = check_pip(pip_accuracy)
    require_tracking(radar)
    rcs = _check_rcs(rcs)
    n = len(trajectories)
    it = np.asarray(intercept_time, dtype=float)
    if it.ndim == 0:
        it = np.full(n, float(it))
    if it.shape[0] != n:
        raise TrackingError(f"intercept_time must have one row per trajectory ({n}), got shape {it.shape}")
    meas = simulate_measurements(trajectories, radar, rcs, model=model, seed=seed, runs=runs, revisit=revisit)
    return ekf_track(meas, it, pip_accuracy=pip, process_noise=process_noise, keep_history=keep_history)
