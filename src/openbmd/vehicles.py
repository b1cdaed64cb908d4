"""Vehicles: stages, reentry vehicles, drag curves and missiles.

Small frozen dataclasses in SI units (kg, s, m). The catalog (``openbmd.catalog``)
builds them from data files; the flight kernels read them through
``openbmd.flight.batch`` which packs them into arrays.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from .earth import G0


TAIL_CHASE_CLOSING_SPEED_SOURCE = (
    "ASSUMPTION: a receding intercept geometry is a tail chase (refused) when the closing speed is below "
    "3 km/s (range 2-5 km/s): hit-to-kill vehicles are built for head-on and crossing closures of several "
    "km/s; a crossing intercept after closest approach that still closes at 7-9 km/s is not a tail chase. "
    "No public figure for the SM-3's limit was found; the older rule (every receding geometry refused) is "
    "shown beside it by `openbmd robustness`")

@dataclass(frozen=True)
class Stage:
    """One booster stage. ``isp`` is the vacuum specific impulse (s); thrust is
    ``isp * g0 * propellant_mass / burn_time`` unless ``thrust`` (N) is given."""

    total_mass: float
    propellant_mass: float
    isp: float
    burn_time: float
    coast_after: float = 0.0
    thrust_override: float | None = None

    def __post_init__(self):
        for name in ("total_mass", "propellant_mass", "burn_time"):
            if not (getattr(self, name) > 0 and math.isfinite(getattr(self, name))):
                raise ValueError(f"stage {name} must be a positive number, got {getattr(self, name)!r}")
        if self.propellant_mass >= self.total_mass:
            raise ValueError(
                f"stage propellant mass ({self.propellant_mass} kg) must be below its total mass ({self.total_mass} kg)"
            )
        if self.coast_after < 0:
            raise ValueError(f"stage coast_after must be >= 0, got {self.coast_after}")
        if self.thrust_override is None and not self.isp > 0:
            raise ValueError(f"stage needs a positive isp or a thrust, got isp={self.isp!r}")

    @property
    def mass_flow(self) -> float:
        return self.propellant_mass / self.burn_time

    @property
    def thrust(self) -> float:
        if self.thrust_override is not None:
            return self.thrust_override
        return self.isp * G0 * self.mass_flow

    @property
    def effective_isp(self) -> float:
        return self.thrust / (G0 * self.mass_flow)


@dataclass(frozen=True)
class ReentryVehicle:
    """A reentry vehicle: mass (kg) and ballistic coefficient beta = m / (Cd A) (kg/m^2)."""

    mass: float
    ballistic_coefficient: float

    def __post_init__(self):
        if not self.mass > 0:
            raise ValueError(f"reentry vehicle mass must be positive, got {self.mass}")
        if not self.ballistic_coefficient > 0:
            raise ValueError(f"ballistic coefficient must be positive, got {self.ballistic_coefficient}")


@dataclass(frozen=True)
class DragCurve:
    """Zero-lift axial drag coefficient versus Mach number: a monotone cubic
    (PCHIP, Fritsch and Carlson 1980) through the points, held constant beyond
    the ends. The smooth curve keeps the integrator's error control from
    tripping over the corners of a piecewise-linear table."""

    name: str
    mach: tuple[float, ...]
    cd: tuple[float, ...]
    source: str = ""

    def __post_init__(self):
        m = np.asarray(self.mach, dtype=float)
        c = np.asarray(self.cd, dtype=float)
        if m.ndim != 1 or m.size < 2 or m.size != c.size:
            raise ValueError(f"drag curve {self.name!r}: mach and cd must be equal-length lists of >= 2 numbers")
        if np.any(np.diff(m) <= 0):
            raise ValueError(f"drag curve {self.name!r}: mach values must increase")
        if np.any(c < 0):
            raise ValueError(f"drag curve {self.name!r}: cd values must be >= 0")

    def slopes(self) -> np.ndarray:
        """PCHIP derivatives dCd/dMach at the points (zero at the ends)."""
        return pchip_slopes(np.asarray(self.mach, float), np.asarray(self.cd, float))

    def __call__(self, mach):
        x = np.asarray(self.mach, float)
        c = np.asarray(self.cd, float)
        d = self.slopes()
        m = np.clip(np.asarray(mach, dtype=float), x[0], x[-1])
        j = np.clip(np.searchsorted(x, m, side="right") - 1, 0, len(x) - 2)
        h = x[j + 1] - x[j]
        t = (m - x[j]) / h
        h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
        return h00 * c[j] + h10 * h * d[j] + h01 * c[j + 1] + h11 * h * d[j + 1]


def pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson monotone slopes; zero slope at both ends, so the curve
    joins the constant extrapolation smoothly."""
    h = np.diff(x)
    delta = np.diff(y) / h
    d = np.zeros_like(y)
    for k in range(1, len(x) - 1):
        if delta[k - 1] * delta[k] > 0:
            w1 = 2 * h[k] + h[k - 1]
            w2 = h[k] + 2 * h[k - 1]
            d[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k])
    return d


# A plain fallback used when a vehicle names no curve (documented in reports).
DEFAULT_DRAG_CURVE = DragCurve(
    "generic-slender",
    (0.0, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0),
    (0.20, 0.20, 0.40, 0.42, 0.38, 0.32, 0.26, 0.22, 0.20),
    "generic slender-body zero-lift drag curve (assumed; shape as in standard missile-aerodynamics texts)",
)


@dataclass(frozen=True)
class Missile:
    """A multi-stage ballistic missile. Masses in kg, times in s, lengths in m.

    ``payload_mass`` is everything above the last stage (RVs, bus, shroud);
    after the last stage burns out (or thrust is terminated) the reentry vehicle
    ``rv`` flies on alone. Guidance of the boost: vertical rise for
    ``vertical_rise`` s, pitch-over with the thrust held at a kick angle from the
    vertical for ``pitch_over`` s, then a gravity turn (thrust along the
    Earth-relative velocity)."""

    name: str
    stages: tuple[Stage, ...]
    payload_mass: float
    rv: ReentryVehicle
    diameter: float
    drag_curve: DragCurve = DEFAULT_DRAG_CURVE
    vertical_rise: float = 10.0
    pitch_over: float = 10.0
    category: str = ""
    propellant: str = ""
    country: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    notes: str = ""
    published_range: float | None = None  # m
    published_range_bounds: tuple[float, float] | None = None  # m
    published_range_source: str = ""
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if not self.stages:
            raise ValueError(f"missile {self.name!r} needs at least one stage")
        if not self.payload_mass > 0:
            raise ValueError(f"missile {self.name!r}: payload mass must be positive")
        if not self.diameter > 0:
            raise ValueError(f"missile {self.name!r}: diameter must be positive")
        if self.vertical_rise < 0 or self.pitch_over <= 0:
            raise ValueError(f"missile {self.name!r}: vertical_rise must be >= 0 and pitch_over > 0")

    @property
    def reference_area(self) -> float:
        return math.pi * self.diameter**2 / 4.0

    @property
    def launch_mass(self) -> float:
        return self.payload_mass + sum(s.total_mass for s in self.stages)

    def ignition_masses(self) -> list[float]:
        """Stack mass at each stage's ignition."""
        out, m = [], self.launch_mass
        for s in self.stages:
            out.append(m)
            m -= s.total_mass
        return out

    @property
    def burn_time(self) -> float:
        """Time from launch to the last stage's burnout (burns and inter-stage coasts)."""
        return sum(s.burn_time for s in self.stages) + sum(s.coast_after for s in self.stages[:-1])

    @property
    def ideal_delta_v(self) -> float:
        """Rocket-equation speed gain without gravity and drag losses (m/s)."""
        dv = 0.0
        for m0, s in zip(self.ignition_masses(), self.stages):
            dv += s.effective_isp * G0 * math.log(m0 / (m0 - s.propellant_mass))
        return dv

    def replace(self, **changes) -> "Missile":
        return dataclasses.replace(self, **changes)

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class Interceptor:
    """An interceptor: its staged booster (flown to build its fly-out table) or,
    when ``stages`` is empty, an impulsive burnout at ``burnout_speed`` at the
    site; and the engagement constraints (SI units: m, m/s, s)."""

    name: str
    stages: tuple[Stage, ...]
    kill_vehicle_mass: float
    diameter: float
    burnout_speed: float | None = None  # published (m/s); the impulsive speed when there are no stages
    min_intercept_altitude: float = 0.0
    max_intercept_altitude: float = 2.0e6
    max_range: float = 5.0e6  # ground range from the site (m)
    min_closing_speed: float = 0.0
    tail_chase: bool = False  # True: every geometry allowed, receding ones too
    # a receding geometry (range from the site opening) closing slower than this
    # is a tail chase and refused (unless tail_chase); inf: every receding one is
    tail_chase_closing_speed: float = 3000.0  # m/s, TAIL_CHASE_CLOSING_SPEED_SOURCE
    vertical_rise: float = 2.0
    pitch_over: float = 5.0
    drag_curve: DragCurve = DEFAULT_DRAG_CURVE
    country: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    notes: str = ""
    uncertainty: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if not self.stages and not (self.burnout_speed and self.burnout_speed > 0):
            raise ValueError(f"interceptor {self.name!r}: needs stages or a positive burnout speed")
        if not 0 <= self.min_intercept_altitude < self.max_intercept_altitude:
            raise ValueError(
                f"interceptor {self.name!r}: need 0 <= min intercept altitude < max intercept altitude, got "
                f"{self.min_intercept_altitude:g} and {self.max_intercept_altitude:g} m"
            )
        if not self.max_range > 0:
            raise ValueError(f"interceptor {self.name!r}: max range must be positive")
        if self.min_closing_speed < 0:
            raise ValueError(f"interceptor {self.name!r}: min closing speed must be >= 0")
        if not self.tail_chase_closing_speed >= 0:
            raise ValueError(f"interceptor {self.name!r}: tail-chase closing speed must be >= 0 (inf: every receding geometry)")

    @property
    def impulsive(self) -> bool:
        return not self.stages

    def as_missile(self) -> Missile:
        """The booster as a :class:`Missile` whose payload is the kill vehicle."""
        return Missile(
            name=self.name,
            stages=self.stages,
            payload_mass=self.kill_vehicle_mass,
            rv=ReentryVehicle(self.kill_vehicle_mass, 1.0e4),
            diameter=self.diameter,
            drag_curve=self.drag_curve,
            vertical_rise=self.vertical_rise,
            pitch_over=self.pitch_over,
        )

    @property
    def ideal_delta_v(self) -> float:
        return self.as_missile().ideal_delta_v if self.stages else float(self.burnout_speed)

    def replace(self, **changes) -> "Interceptor":
        return dataclasses.replace(self, **changes)

    def with_burnout_speed(self, speed: float) -> "Interceptor":
        """This interceptor with burnout speed ``speed`` (m/s). A staged one
        keeps its stages with every specific impulse (and thrust override)
        scaled by one factor, so that its gravity and drag losses (ideal
        delta-v minus the catalog's burnout speed) stay at the catalog's value;
        an impulsive one just takes the new speed."""
        if not self.stages:
            return self.replace(burnout_speed=speed)
        loss = self.ideal_delta_v - self.burnout_speed
        k = (speed + loss) / self.ideal_delta_v
        stages = tuple(dataclasses.replace(s, isp=s.isp * k,
                                           thrust_override=None if s.thrust_override is None else s.thrust_override * k)
                       for s in self.stages)
        return self.replace(burnout_speed=speed, stages=stages)

    def __str__(self):
        return self.name


def impulsive_interceptor(speed: float, **constraints) -> Interceptor:
    """An impulsive interceptor: burnout at the site, at ground level, at launch."""
    return Interceptor(
        name=f"impulsive {speed / 1e3:g} km/s", stages=(), kill_vehicle_mass=50.0, diameter=0.5, burnout_speed=speed,
        source="impulsive burnout (validation option)", **constraints,
    )
