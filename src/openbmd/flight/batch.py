"""Pack vehicles and launch conditions into arrays, run the compiled kernel, and
wrap the output in a :class:`~openbmd.flight.trajectories.Trajectories`."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..earth import WGS84, EarthModel
from ..vehicles import DEFAULT_DRAG_CURVE, DragCurve, Missile, ReentryVehicle
from . import kernel as K

DEFAULT_RV = ReentryVehicle(mass=500.0, ballistic_coefficient=1.0e5)


@dataclass(frozen=True)
class Impulsive:
    """An impulsive burnout: the reentry vehicle starts at the launch point with a
    given Earth-relative speed, elevation and azimuth (no boost phase).

    It is a vacuum model by default, as in the published analyses that use it
    (a burnout at ground level with drag would lose most of its speed on the way
    up); with ``drag=True`` the reentry vehicle's ballistic coefficient acts
    along the whole path (and only if the flight options have drag on)."""

    rv: ReentryVehicle = DEFAULT_RV
    name: str = "impulsive"
    drag: bool = False

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class FlightOptions:
    """Model switches and numerical settings; every one is reported with results."""

    earth: EarthModel = WGS84
    drag: bool = True
    drag_ceiling: float = 120e3  # m: no drag above this altitude
    reentry_altitude: float = 100e3  # m
    impact_altitude: float = 0.0  # m above the ellipsoid
    rtol: float = 1e-8  # ~0.1 km in ICBM range against rtol 1e-12 (benchmarks/bench_flight.py)
    atol_position: float = 1e-3  # m
    atol_velocity: float = 1e-6  # m/s
    max_step: float = 120.0  # s
    t_max: float = 12000.0  # s: a trajectory still flying then is reported as not impacting
    output_step: float | None = None  # s: sample the time series at this step

    def __post_init__(self):
        for name in ("drag_ceiling", "rtol", "max_step", "t_max"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.output_step is not None and not self.output_step > 0:
            raise ValueError(f"output_step must be positive, got {self.output_step!r}")

    def kernel_options(self) -> np.ndarray:
        o = np.zeros(K.NO)
        o[K.O_RTOL] = self.rtol
        o[K.O_ATOL_POS] = self.atol_position
        o[K.O_ATOL_VEL] = self.atol_velocity
        o[K.O_TMAX] = self.t_max
        o[K.O_HDRAG] = self.drag_ceiling
        o[K.O_DTOUT] = self.output_step or 0.0
        o[K.O_DRAG] = 1.0 if self.drag else 0.0
        o[K.O_HREENTRY] = self.reentry_altitude
        o[K.O_HMAXSTEP] = self.max_step
        return o

    def replace(self, **kw) -> "FlightOptions":
        return replace(self, **kw)

    def assumptions(self) -> list[str]:
        out = [
            f"Earth: {self.earth.describe()}",
            "drag: off"
            if not self.drag
            else f"drag: US Standard Atmosphere 1976, none above {self.drag_ceiling / 1e3:g} km",
            f"reentry reported at {self.reentry_altitude / 1e3:g} km altitude; impact at {self.impact_altitude:g} m",
            "boost guidance: vertical rise, pitch-over at a fixed kick angle, gravity turn (thrust along Earth-relative velocity)",
            "range control: thrust termination (burnout energy), as in published minimum-energy analyses",
            "speeds are relative to the rotating Earth",
            f"integrator: Dormand-Prince 5(4), rtol {self.rtol:g}",
        ]
        return out


def vehicle_list(vehicle, n: int) -> list:
    if isinstance(vehicle, (Missile, Impulsive)):
        return [vehicle] * n
    vs = list(vehicle)
    if len(vs) == 1:
        return vs * n
    if len(vs) != n:
        raise ValueError(f"got {len(vs)} vehicles for {n} trajectories")
    return vs


def pack(vehicles: Sequence, n: int):
    """Per-trajectory stage table, drag curves and vehicle columns."""
    unique: dict[int, int] = {}
    ulist = []
    idx = np.empty(n, dtype=np.int64)
    for j, v in enumerate(vehicles):
        key = id(v)
        if key not in unique:
            unique[key] = len(ulist)
            ulist.append(v)
        idx[j] = unique[key]
    curves: list[DragCurve] = []
    cidx = {}
    for v in ulist:
        c = v.drag_curve if isinstance(v, Missile) else DEFAULT_DRAG_CURVE
        if id(c) not in cidx:
            cidx[id(c)] = len(curves)
            curves.append(c)
    npts = max(len(c.mach) for c in curves)
    cdm = np.zeros((len(curves), npts))
    cdc = np.zeros((len(curves), 2, npts))  # values and PCHIP slopes
    cdn = np.zeros(len(curves), dtype=np.int64)
    for j, c in enumerate(curves):
        cdm[j, : len(c.mach)] = c.mach
        cdc[j, 0, : len(c.cd)] = c.cd
        cdc[j, 1, : len(c.cd)] = c.slopes()
        cdn[j] = len(c.mach)
    ust = np.zeros((len(ulist), K.MAX_STAGES, K.NS))
    ucol = np.zeros((len(ulist), 6))  # n stages, beta, area, cd index, t vertical, t pitch
    for j, v in enumerate(ulist):
        if isinstance(v, Missile):
            if len(v.stages) > K.MAX_STAGES:
                raise ValueError(f"{v.name}: at most {K.MAX_STAGES} stages are supported")
            for s, (m0, st) in enumerate(zip(v.ignition_masses(), v.stages)):
                ust[j, s] = (m0, st.mass_flow, st.thrust, st.burn_time, st.coast_after)
            ucol[j] = (
                len(v.stages),
                v.rv.ballistic_coefficient,
                v.reference_area,
                cidx[id(v.drag_curve)],
                v.vertical_rise,
                v.pitch_over,
            )
        else:
            beta = v.rv.ballistic_coefficient if v.drag else 0.0  # beta 0: no drag
            ucol[j] = (0, beta, 1.0, cidx[id(DEFAULT_DRAG_CURVE)], 0.0, 1.0)
    return ulist, idx, ust[idx], ucol[idx], (cdm, cdc, cdn)


def run(
    vehicle,
    lat,
    lon,
    azimuth,
    *,
    kick=0.0,
    cutoff=np.inf,
    speed=0.0,
    elevation=0.0,
    alt=0.0,
    options: FlightOptions = FlightOptions(),
):
    """Fly a batch. Angles in radians, SI units. For missiles ``kick`` (pitch-over
    angle from the vertical) and ``cutoff`` (thrust termination time, s) are the
    guidance; for :class:`Impulsive` vehicles ``speed`` (m/s, Earth-relative)
    and ``elevation`` (flight-path angle above the local horizontal) are."""
    from .trajectories import Trajectories

    arrays = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in (lat, lon, azimuth, kick, cutoff, speed, elevation, alt)))
    n = max(arrays[0].size, 1 if isinstance(vehicle, (Missile, Impulsive)) else len(vehicle))
    lat, lon, azimuth, kick, cutoff, speed, elevation, alt = (np.broadcast_to(a, (n,)).astype(float) for a in arrays)
    vehicles = vehicle_list(vehicle, n)
    ulist, vidx, stg, col, (cdm, cdc, cdn) = pack(vehicles, n)
    impulsive = col[:, 0] == 0
    prm = np.zeros((n, K.NP))
    prm[:, K.P_LAT] = lat
    prm[:, K.P_LON] = lon
    prm[:, K.P_H] = alt
    ch = np.where(impulsive, speed * np.cos(elevation), 0.0)
    prm[:, K.P_VE] = ch * np.sin(azimuth)
    prm[:, K.P_VN] = ch * np.cos(azimuth)
    prm[:, K.P_VU] = np.where(impulsive, speed * np.sin(elevation), 0.0)
    prm[:, K.P_AZ] = azimuth
    prm[:, K.P_KICK] = kick
    prm[:, K.P_TVERT] = col[:, 4]
    prm[:, K.P_TPITCH] = col[:, 5]
    prm[:, K.P_TCUT] = cutoff
    prm[:, K.P_BETA] = col[:, 1]
    prm[:, K.P_AREA] = col[:, 2]
    prm[:, K.P_CD] = col[:, 3]
    prm[:, K.P_NST] = col[:, 0]
    prm[:, K.P_HIMP] = options.impact_altitude
    res = np.empty((n, K.NR))
    stage_t = np.full((n, K.MAX_STAGES), np.nan)
    if options.output_step:
        ksamp = int(math.ceil(options.t_max / options.output_step)) + 2
    else:
        ksamp = 0
    samp_r = np.full((n, ksamp, 3), np.nan)
    samp_v = np.full((n, ksamp, 3), np.nan)
    nsamp = np.zeros(n, dtype=np.int64)
    K.fly_batch(prm, stg, options.earth.kernel_params(), options.kernel_options(), cdm, cdc, cdn, res, stage_t, samp_r, samp_v, nsamp)
    if ksamp:
        kmax = int(nsamp.max()) if n else 0
        samp_r = samp_r[:, :kmax].copy()
        samp_v = samp_v[:, :kmax].copy()
    return Trajectories(
        vehicles=ulist,
        vehicle_index=vidx,
        launch_lat=lat,
        launch_lon=lon,
        launch_alt=alt,
        azimuth=azimuth,
        kick=np.where(impulsive, np.nan, kick),
        cutoff=np.where(impulsive, np.nan, cutoff),
        initial_speed=np.where(impulsive, speed, 0.0),
        initial_elevation=np.where(impulsive, elevation, np.nan),
        result=res,
        stage_times=stage_t,
        samples_r=samp_r if ksamp else None,
        samples_v=samp_v if ksamp else None,
        n_samples=nsamp if ksamp else None,
        options=options,
    )
