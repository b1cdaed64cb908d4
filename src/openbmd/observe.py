"""Verification by observation: what the protected party's sensors would
measure of a flight test, the limited parameters estimated from it with their
uncertainty, and whether a violation of each limit would be seen.

``observe(guarantee, flown_test, sensors, runs=..., seed=...)`` ->
:class:`Observation`.

Sensors (:func:`parse_sensor`): a catalog radar by name (its position, field of
view and tracking fields), an observation ship at ``LAT,LON`` (a radar of the
catalog type :data:`SHIP_RADAR` placed there and turned all-round: an
ASSUMPTION, no observation ship's radar being in the catalog), or catalog
early-warning satellites (they see the boost plume; in this model they give
no estimate of speeds or ranges, so alone they verify nothing: ``null``).

For each radar and vehicle (the target until the intercept, the interceptor
from its burnout to the intercept), :func:`tracking.simulate_measurements`
draws noisy range/azimuth/elevation measurements (``runs`` seeded Monte Carlo
draws); the tracking module's extended Kalman filter (its two-point start, its
ballistic dynamics and its update, run here to the last measurement) gives
the state at the last measurement with its covariance. The parameters are
functions of that state, propagated with the filter's own drag-free dynamics:

* interceptor burnout speed: the speed propagated back to the interceptor's
  burnout time (which the observer knows from the plume's end);
* target speed: likewise at the target's burnout (its largest speed above
  the atmosphere);
* target range: the ground range from the launch point (known from the
  plume) to the point where the propagated state reaches the ellipsoid;
* intercept altitude: the target's altitude at the intercept time.

Their standard deviations come from the covariance through the function's
Jacobian (central differences), with a model error in quadrature where the
filter's dynamics are not the flight's (:data:`MODEL_SIGMA`: the range's
drag-free fall below 100 km), and estimates of several sensors are
combined by inverse-variance weighting (independent noise). The true values
reported are what the flown test demonstrated; ``model_truth`` is the same
function of the true state (the difference is the drag-free extrapolation's
error, reported as ``extrapolation_error``).

A violation is declared when estimate - limit > z sigma, z = 1.645: a 5 %
false-alarm rate for a test exactly at the limit. The minimum detectable
violation is the excess over the limit detected with 95 % probability at that
false-alarm rate: (1.645 + 1.645) sigma. Both are ``null`` where no sensor
measures the parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import earth as E
from .guarantee import TEST_LIMIT_KINDS
from .errors import OpenBMDError

SHIP_RADAR = "AN/TPY-2 (forward-based mode)"  # ASSUMPTION: the observation ship's radar (X band, all-round)
Z_FALSE_ALARM = 1.6448536269514722  # one-sided 95 %: 5 % false alarms at the limit
Z_DETECTION = 1.6448536269514722  # 95 % probability of detection
PARAMETERS = tuple(TEST_LIMIT_KINDS)
#: runs needed before the Monte Carlo's scatter may raise the reported sigma
MIN_SCATTER_RUNS = 20
#: model error added in quadrature to the filter's sigma (same units as the parameter): the range is
#: extrapolated drag-free to the ground, and drag below ~100 km moves the impact by a fraction of a km in
#: this model; 0.5 km is an ASSUMPTION (range 0.1-2 km). The speeds and the altitude are taken above 100 km.
MODEL_SIGMA = {"max_test_target_range": 0.5}  # interceptor speed, target speed, target range, intercept altitude


class ObserveError(OpenBMDError, ValueError):
    """Bad observation input (an unknown sensor, ...): one line."""


@dataclass(frozen=True)
class Sensor:
    name: str
    kind: str  # radar | ship | satellite
    radar: object = None
    satellites: object = None


def parse_sensor(spec: str) -> Sensor:
    """A catalog radar name, catalog early-warning satellites, or LAT,LON (an observation ship)."""
    from .catalog import CatalogError, default_catalog
    from .catalog.sensors import default_sensors

    s = str(spec).strip()
    parts = s.split(",")
    if len(parts) == 2:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            lat = lon = None
        if lat is not None:
            if not (-90 <= lat <= 90 and -180 <= lon <= 360):
                raise ObserveError(f"--sensor {s!r}: latitude must be within -90..90 and longitude -180..360 degrees")
            base = default_catalog().radar(SHIP_RADAR)
            r = base.replace(name=f"observation ship at {lat:g},{lon:g}", lat=math.radians(lat), lon=math.radians(lon),
                             alt=20.0, azimuth_half_width=math.pi, mobile=False)
            return Sensor(r.name, "ship", radar=r)
    sens = default_sensors()
    if sens.has_satellite(s):
        return Sensor(s, "satellite", satellites=sens.satellite(s))
    try:
        r = default_catalog().radar(s)
    except CatalogError as exc:
        raise ObserveError(f"--sensor {s!r}: {str(exc).splitlines()[0]}; or early-warning satellites "
                           f"({', '.join(sens.satellites)}); or LAT,LON for an observation ship") from None
    if r.mobile:
        raise ObserveError(f"--sensor {s!r}: a ship's radar has no fixed site; give LAT,LON for an observation ship")
    return Sensor(r.name, "radar", radar=r)


# ------------------------------------------------------------------ filter ----
def _filter(meas, process_noise):
    """The tracking module's EKF (two-point start, ballistic dynamics, Joseph
    update) run over every measurement: the state and covariance at each row's
    last measurement, with its time and the true state there."""
    from .tracking import Site, deriv, process_noise_matrix, propagate

    N, K = meas.valid.shape
    earth, dt, valid = meas.earth, meas.dt, meas.valid
    site = Site(meas.radar, earth)
    cnt = np.cumsum(valid, axis=1)
    has2 = cnt[:, -1] >= 2
    ia = np.argmax(valid, axis=1)
    ib = np.where(has2, np.argmax(cnt >= 2, axis=1), K + 1)
    rows = np.arange(N)
    za, sa = meas.z[rows, np.minimum(ia, K - 1)], meas.sigma[rows, np.minimum(ia, K - 1)]
    zb, sb = meas.z[rows, np.minimum(ib, K - 1)], meas.sigma[rows, np.minimum(ib, K - 1)]
    pa, Ca = site.to_ecef(np.where(has2[:, None], za, 1e6), np.where(has2[:, None], sa, 1.0))
    pb, Cb = site.to_ecef(np.where(has2[:, None], zb, 1e6), np.where(has2[:, None], sb, 1.0))
    span = np.where(has2, (ib - ia) * dt, 1.0)
    acc = deriv(np.concatenate([pb, (pb - pa) / span[:, None]], axis=1), earth)[:, 3:]
    x0 = np.concatenate([pb, (pb - pa) / span[:, None] + acc * span[:, None] / 2], axis=1)
    P0 = np.zeros((N, 6, 6))
    P0[:, :3, :3] = Cb
    P0[:, :3, 3:] = P0[:, 3:, :3] = Cb / span[:, None, None]
    P0[:, 3:, 3:] = (Ca + Cb) / span[:, None, None] ** 2
    x, P = x0.copy(), P0.copy()
    started = np.zeros(N, bool)
    Q = process_noise_matrix(process_noise, dt)
    I6 = np.eye(6)
    last = np.where(valid.any(axis=1), K - 1 - np.argmax(valid[:, ::-1], axis=1), -1)
    for k in range(K):
        live = started & (k <= last)
        if k > 0 and live.any():
            idx = np.nonzero(live)[0]
            xn, phi = propagate(x[idx], np.full(idx.size, dt), 1, earth)
            x[idx] = xn
            P[idx] = phi @ P[idx] @ phi.transpose(0, 2, 1) + Q
        new = ib == k
        if new.any():
            x[new], P[new] = x0[new], P0[new]
            started |= new
        upd = live & valid[:, k]
        if upd.any():
            idx = np.nonzero(upd)[0]
            xi, Pi = x[idx], P[idx]
            H = np.zeros((idx.size, 3, 6))
            H[:, :, :3] = site.jacobian(xi[:, :3])
            y = meas.z[idx, k] - site.h(xi[:, :3])
            y[:, 1] = (y[:, 1] + np.pi) % (2 * np.pi) - np.pi
            Rm = np.zeros((idx.size, 3, 3))
            Rm[:, [0, 1, 2], [0, 1, 2]] = meas.sigma[idx, k] ** 2
            PHt = Pi @ H.transpose(0, 2, 1)
            Kg = np.linalg.solve(H @ PHt + Rm, PHt.transpose(0, 2, 1)).transpose(0, 2, 1)
            x[idx] = xi + (Kg @ y[:, :, None])[:, :, 0]
            IKH = I6 - Kg @ H
            Pn = IKH @ Pi @ IKH.transpose(0, 2, 1) + Kg @ Rm @ Kg.transpose(0, 2, 1)
            P[idx] = 0.5 * (Pn + Pn.transpose(0, 2, 1))
    ok = has2
    kk = np.maximum(last, 0)
    t_f = np.where(ok, meas.start + dt * kk, np.nan)
    truth = np.concatenate([meas.truth_r[rows, kk], meas.truth_v[rows, kk]], axis=1)
    return ok, x, P, t_f, truth, cnt[:, -1]


# -------------------------------------------------------------- parameters ----
def _to_time(x, t0, t1, earth, max_step=10.0):
    """Propagate states (M, 6) from times t0 to t1 (M,) with the filter's dynamics."""
    from .tracking import propagate

    span = np.asarray(t1, float) - np.asarray(t0, float)
    n = max(1, int(math.ceil(np.max(np.abs(span)) / max_step))) if span.size else 1
    out, _ = propagate(x, span / n, n, earth, stm=False)
    return out


def _speed_at(x, t0, t_b, earth):
    return np.linalg.norm(_to_time(x, t0, t_b, earth)[:, 3:], axis=1) / 1e3


def _altitude_at(x, t0, t1, earth):
    y = _to_time(x, t0, t1, earth)
    _, _, h = E.ecef_to_geodetic(y[:, 0], y[:, 1], y[:, 2], earth)
    return h / 1e3


def _range_from(x, launch_lat, launch_lon, earth, step=5.0, t_max=4000.0):
    """Ground range (km) from the launch point to where the propagated states reach the ellipsoid."""
    from .tracking import propagate

    M = x.shape[0]
    cur = x.copy()
    _, _, h = E.ecef_to_geodetic(cur[:, 0], cur[:, 1], cur[:, 2], earth)
    hit = np.full((M, 3), np.nan)
    done = h <= 0
    hit[done] = cur[done, :3]
    t = 0.0
    while not done.all() and t < t_max:
        idx = np.nonzero(~done)[0]
        nxt, _ = propagate(cur[idx], np.full(idx.size, step), 1, earth, stm=False)
        _, _, h1 = E.ecef_to_geodetic(nxt[:, 0], nxt[:, 1], nxt[:, 2], earth)
        _, _, h0 = E.ecef_to_geodetic(cur[idx, 0], cur[idx, 1], cur[idx, 2], earth)
        down = h1 <= 0
        if down.any():
            f = (h0[down] / (h0[down] - h1[down]))[:, None]
            hit[idx[down]] = cur[idx[down], :3] + f * (nxt[down, :3] - cur[idx[down], :3])
            done[idx[down]] = True
        cur[idx] = nxt
        t += step
    la, lo, _ = E.ecef_to_geodetic(hit[:, 0], hit[:, 1], hit[:, 2], earth)
    ok = np.isfinite(la)
    rng = np.full(M, np.nan)
    if ok.any():
        d, _ = E.geodesic_inverse(np.full(ok.sum(), launch_lat), np.full(ok.sum(), launch_lon), la[ok], lo[ok], earth)
        rng[ok] = d / 1e3
    return rng


def _with_sigma(fn, x, P):
    """fn(states) (M,) at x, and its standard deviation from P through a
    central-difference Jacobian (steps 1 m, 1 mm/s)."""
    M = x.shape[0]
    h = np.array([1.0, 1.0, 1.0, 1e-3, 1e-3, 1e-3])
    pert = [x]
    for i in range(6):
        for s in (1.0, -1.0):
            y = x.copy()
            y[:, i] += s * h[i]
            pert.append(y)
    vals = fn(np.concatenate(pert, axis=0)).reshape(13, M)
    J = ((vals[1::2] - vals[2::2]) / (2 * h[:, None])).T  # (M, 6)
    var = np.einsum("mi,mij,mj->m", J, P, J)
    return vals[0], np.sqrt(np.maximum(var, 0.0))


# ------------------------------------------------------------------ result ----
@dataclass
class Estimate:
    parameter: str  # limit kind
    what: str
    unit: str
    limit: float | None
    true_value: float
    model_truth: np.ndarray | None  # (runs,) the estimated function of the true state
    runs_estimate: np.ndarray | None  # (runs,) fused estimates
    runs_sigma: np.ndarray | None  # (runs,)
    sensors: list = field(default_factory=list)  # the sensors that measured it
    model_sigma: float = 0.0  # added in quadrature to the filter's sigma (MODEL_SIGMA)

    @property
    def scatter_sigma(self):
        """The Monte Carlo's own rms error of the estimate (about the modelled
        truth), over at least MIN_SCATTER_RUNS finite runs; else None."""
        if self.runs_estimate is None or self.model_truth is None:
            return None
        d = self.runs_estimate - self.model_truth
        d = d[np.isfinite(d)]
        return float(np.sqrt(np.mean(d * d))) if d.size >= MIN_SCATTER_RUNS else None

    @property
    def total_sigma(self):
        """(runs,) the filter's sigma with the model error in quadrature, never
        below the Monte Carlo's own scatter (where the filter's covariance is
        over-confident, the scatter is what the observer would see; used for
        detection)."""
        if self.runs_sigma is None:
            return None
        t = np.hypot(self.runs_sigma, self.model_sigma)
        sc = self.scatter_sigma
        return t if sc is None else np.maximum(t, sc)

    @property
    def measured(self) -> bool:
        return self.runs_estimate is not None and bool(np.isfinite(self.runs_estimate[0]))

    @property
    def estimated(self):
        return float(self.runs_estimate[0]) if self.measured else None

    @property
    def sigma(self):
        return float(self.total_sigma[0]) if self.measured else None

    @property
    def detected_violation(self):
        if not self.measured or self.limit is None:
            return None
        return bool(self.estimated - self.limit > Z_FALSE_ALARM * self.sigma)

    @property
    def detection_rate(self):
        if not self.measured or self.limit is None:
            return None
        ok = np.isfinite(self.runs_estimate)
        return float(np.mean(self.runs_estimate[ok] - self.limit > Z_FALSE_ALARM * self.total_sigma[ok]))

    @property
    def min_detectable_violation(self):
        return (Z_FALSE_ALARM + Z_DETECTION) * float(np.nanmean(self.total_sigma)) if self.measured else None

    def to_dict(self) -> dict:
        d = {"parameter": self.what, "unit": self.unit, "limit": self.limit, "true_value": self.true_value,
             "estimated": self.estimated, "sigma": self.sigma, "detected_violation": self.detected_violation,
             "min_detectable_violation": self.min_detectable_violation, "sensors": list(self.sensors)}
        if self.measured:
            ok = np.isfinite(self.runs_estimate)
            d.update(runs=int(ok.sum()), mc_mean=float(np.mean(self.runs_estimate[ok])),
                     mc_std=float(np.std(self.runs_estimate[ok], ddof=1)) if ok.sum() > 1 else None,
                     detection_rate=self.detection_rate, filter_sigma=float(self.runs_sigma[0]),
                     scatter_sigma=self.scatter_sigma,
                     model_sigma=self.model_sigma,
                     extrapolation_error=float(np.nanmean(self.model_truth) - self.true_value))
        return d


@dataclass
class Observation:
    guarantee: str
    test: str
    sensors: list
    runs: int
    seed: int
    estimates: dict  # limit kind -> Estimate
    flown: object = None
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"guarantee": self.guarantee, "test": self.test, "sensors": [s.name for s in self.sensors],
                "runs": self.runs, "seed": self.seed, "confidence": 0.95, "false_alarm_rate": 0.05,
                "parameters": {k: e.to_dict() for k, e in self.estimates.items()}, "notes": list(self.notes)}


# ----------------------------------------------------------------- observe ----
def observe(g, flown, sensors, *, runs: int = 200, seed: int = 1, revisit: float | None = None, model=None,
            process_noise: float | None = None) -> Observation:
    """Observe the flown test ``flown`` (:func:`flighttests.fly`) with
    ``sensors`` (:class:`Sensor` or specs for :func:`parse_sensor`); estimate
    each parameter the guarantee ``g`` limits in tests (all four when ``g`` is
    None). ``revisit`` overrides the radars' revisit interval (s); ``model``
    the :class:`tracking.MeasurementModel`."""
    from .flighttests import demonstrated
    from .tracking import DEFAULT_PROCESS_NOISE, MeasurementModel, NeverSeenError, simulate_measurements

    if not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ObserveError(f"--runs must be an integer >= 1, got {runs!r}")
    sensors = [s if isinstance(s, Sensor) else parse_sensor(s) for s in sensors]
    if not sensors:
        raise ObserveError("give at least one --sensor (a catalog radar, early-warning satellites or LAT,LON)")
    model = model or MeasurementModel()
    q = DEFAULT_PROCESS_NOISE if process_noise is None else float(process_noise)
    truth = demonstrated(flown)
    limits = {}
    if g is not None:
        for lim in g.limits:
            if lim.kind in TEST_LIMIT_KINDS:
                v = float(lim.params.get("max_km_s", lim.params.get("max_km")))
                limits[lim.kind] = min(v, limits.get(lim.kind, math.inf))
    kinds = [k for k in PARAMETERS if g is None or k in limits]
    tgt, icp = flown.target, flown.interceptor
    earth = tgt.options.earth
    t_int, tau = flown.intercept_time, flown.interceptor_time_to_intercept
    la0, lo0 = float(tgt.launch_lat[0]), float(tgt.launch_lon[0])
    fns = {
        "max_test_interceptor_speed": ("interceptor", lambda x, t: _speed_at(x, t, np.full(len(x), float(icp.burnout_time[0])), earth)),
        "max_test_target_speed": ("target", lambda x, t: _speed_at(x, t, np.full(len(x), float(tgt.burnout_time[0])), earth)),
        "max_test_target_range": ("target", lambda x, t: _range_from(x, la0, lo0, earth)),
        "max_test_intercept_altitude": ("target", lambda x, t: _altitude_at(x, t, np.full(len(x), t_int), earth)),
    }
    per = {k: [] for k in kinds}  # (estimates, sigmas, model truth, sensor name)
    notes = []
    ss = np.random.SeedSequence(seed)
    children = ss.spawn(2 * len(sensors))
    for si, s in enumerate(sensors):
        if s.radar is None:
            notes.append(f"{s.name}: early-warning satellites see the boost plume (launch point and time); in this "
                         "model they give no estimate of speeds, ranges or altitudes")
            continue
        for vi, (who, traj, t_end, rcs) in enumerate((("target", tgt, t_int, flown.test.target_rcs),
                                                       ("interceptor", icp, tau, flown.test.interceptor_rcs))):
            want = [k for k in kinds if fns[k][0] == who]
            if not want:
                continue
            try:
                meas = simulate_measurements(traj, s.radar, rcs, model=model, seed=children[2 * si + vi], runs=int(runs),
                                             t_end=t_end, revisit=revisit)
            except NeverSeenError:
                notes.append(f"{s.name}: never sees the {who} after its burnout above {model.min_altitude / 1e3:g} km "
                             "before the intercept")
                continue
            ok, x, P, t_f, xt, n = _filter(meas, q)
            if not ok.any():
                notes.append(f"{s.name}: fewer than two measurements of the {who}")
                continue
            notes.append(f"{s.name}: {int(n[0])} measurements of the {who}, every {meas.dt:g} s, the last "
                         f"{float(t_f[0]):.0f} s after its launch")
            for k in want:
                f = fns[k][1]
                tt = np.concatenate([t_f] * 13)
                est, sig = _with_sigma(lambda y: f(y, tt), x, P)
                mt = f(xt, t_f)
                est = np.where(ok, est, np.nan)
                per[k].append((est, sig, mt, s.name))
    estimates = {}
    for k in kinds:
        what, unit = TEST_LIMIT_KINDS[k]
        if not per[k]:
            estimates[k] = Estimate(k, what, unit, limits.get(k), truth[k], None, None, None, [])
            continue
        e = np.stack([p[0] for p in per[k]])
        s_ = np.stack([p[1] for p in per[k]])
        w = np.where(np.isfinite(e) & (s_ > 0), 1.0 / np.maximum(s_, 1e-300) ** 2, 0.0)
        W = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            fused = np.where(W > 0, (w * np.nan_to_num(e)).sum(axis=0) / W, np.nan)
            fsig = np.where(W > 0, 1.0 / np.sqrt(W), np.nan)
            mt = np.stack([p[2] for p in per[k]])
            mtruth = np.where(W > 0, (w * np.nan_to_num(mt)).sum(axis=0) / W, np.nan)
        estimates[k] = Estimate(k, what, unit, limits.get(k), truth[k], mtruth, fused, fsig, [p[3] for p in per[k]],
                                MODEL_SIGMA.get(k, 0.0))
    return Observation(getattr(g, "name", ""), flown.test.name, sensors, int(runs), int(seed), estimates, flown, notes)
