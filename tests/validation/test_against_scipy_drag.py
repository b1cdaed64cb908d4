"""Drag against an independent reference integration.

The reference is written here from the equations, not from openbmd's code:
planar motion over a spherical, non-rotating Earth (R = 6371 km) with
point-mass gravity (GM = 3.986004418e14 m^3/s^2, the published WGS 84 value),
thrust and drag, integrated with ``scipy.integrate.solve_ivp`` (DOP853,
rtol 1e-11), and air density from the ``ussa1976`` package (the U.S.
Standard Atmosphere 1976; above 86 km with the one-line correction of its
atomic-oxygen term explained in tests/validation/test_against_us_standard_atmosphere.py), interpolated in
log-density on a 50 m grid (0-86 km) and a 250 m grid (86-120 km). No drag
above 120 km (openbmd's default drag ceiling).

On a spherical, non-rotating Earth every trajectory stays in the vertical plane
of its launch azimuth, so the reference needs only two dimensions; the
comparison then isolates the drag model (the gravity and the Earth model are
checked elsewhere against two-body formulas).

Cases and tolerance (relative, each quantity): 0.5 %.

* (a) a point-mass reentry vehicle with a fixed ballistic coefficient
  beta = m / (Cd A), drag deceleration rho v^2 / (2 beta), entering at
  120 km: impact speed and ground range;
* (b) a one-stage booster with a constant drag coefficient (drag
  rho v^2 Cd A / (2 m(t)), m(t) = m0 - mdot t, thrust Isp g0 mdot) flown with
  openbmd's guidance (vertical rise, pitch-over at a fixed kick angle, gravity
  turn), then its reentry vehicle: burnout speed, impact speed and range.

In both cases drag changes the compared quantities by far more than the
tolerance (checked against the same reference without drag), so a drag force
10 % off would fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from openbmd.earth import EarthModel
from openbmd.flight import FlightOptions, Impulsive, run
from openbmd.vehicles import DragCurve, Missile, ReentryVehicle, Stage

ussa1976 = pytest.importorskip("ussa1976")

GM = 3.986004418e14  # m^3/s^2, WGS 84 (published literal)
R = 6371000.0  # m, the spherical Earth of the comparison (IUGG mean radius)
G0 = 9.80665  # m/s^2, standard gravity (defines Isp)
CEILING = 120e3  # m: no drag above (openbmd's default)
TOL = 5e-3

OPTS = FlightOptions(earth=EarthModel("sphere", rotation=False, gravity="point"), drag=True, rtol=1e-10)


# ------------------------------------------------------------ reference ----
def _corrected_atomic_oxygen_term(z_grid, g, t, dt_dz, d, k):
    """ussa1976's atomic-oxygen diffusion term with the mean molar mass M (see tests/validation/test_against_us_standard_atmosphere.py)."""
    import ussa1976.core as uc

    m = uc.compute_mean_molar_mass_high_altitude(z_grid)
    return uc.thermal_diffusion_term("O", z_grid, g, t, dt_dz, m, d, k)


@pytest.fixture(scope="module")
def density():
    """rho(z) (kg/m^3, geometric altitude z in m) from ussa1976, 0 above the ceiling."""
    import ussa1976.core as uc

    z_low = np.arange(0.0, 86000.0, 50.0)
    rho_low = ussa1976.compute(z=z_low, variables=["rho"]).rho.values
    z_high = np.arange(86000.0, CEILING + 1.0, 250.0)
    if not all(hasattr(uc, n) for n in ("thermal_diffusion_term_atomic_oxygen", "thermal_diffusion_term",
                                        "compute_mean_molar_mass_high_altitude")):
        pytest.skip("ussa1976 internals changed; the atomic-oxygen correction cannot be applied")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(uc, "thermal_diffusion_term_atomic_oxygen", _corrected_atomic_oxygen_term)
        rho_high = ussa1976.compute(z=z_high, variables=["rho"]).rho.values
    z = np.concatenate([z_low, z_high])
    lnrho = np.log(np.concatenate([rho_low, rho_high]))

    def rho(h):
        if h >= CEILING:
            return 0.0
        return math.exp(np.interp(max(h, 0.0), z, lnrho))

    return rho


def reference_flight(rho, *, h0, speed0, fpa0, phases, beta_rv, drag=True):
    """Planar flight from altitude h0 with speed0 at flight-path angle fpa0.

    ``phases``: the powered phases, each (t_end, thrust direction, m0, mdot,
    thrust, cd_area): direction "up" (the launch vertical, fixed), a fixed
    (x, y) unit vector, or "velocity" (gravity turn). Then a coast of the
    reentry vehicle (ballistic coefficient ``beta_rv``) to the ground.
    Returns (burnout speed, impact speed, ground range)."""
    y = np.array([0.0, R + h0, speed0 * math.cos(fpa0), speed0 * math.sin(fpa0)])

    def accel(t, s, direction, m0, mdot, thrust, cd_area, beta):
        x, yy, vx, vy = s
        r = math.hypot(x, yy)
        ax, ay = -GM * x / r**3, -GM * yy / r**3
        v = math.hypot(vx, vy)
        m = m0 - mdot * t if m0 else 0.0
        if thrust > 0.0:
            if direction == "velocity" and v > 1e-6:
                dx, dy = vx / v, vy / v
            elif direction in ("up", "velocity"):
                dx, dy = 0.0, 1.0
            else:
                dx, dy = direction
            ax += thrust / m * dx
            ay += thrust / m * dy
        if drag:
            d = rho(r - R)
            k = 0.5 * d * v * (cd_area / m if beta is None else 1.0 / beta)
            ax -= k * vx
            ay -= k * vy
        return [vx, vy, ax, ay]

    t0 = 0.0
    for t_end, direction, m0, mdot, thrust, cd_area in phases:
        sol = solve_ivp(accel, (t0, t_end), y, method="DOP853", rtol=1e-11, atol=1e-6,
                        args=(direction, m0, mdot, thrust, cd_area, None))
        y = sol.y[:, -1]
        t0 = t_end
    burnout = math.hypot(y[2], y[3])

    def ground(t, s, *args):
        return math.hypot(s[0], s[1]) - R

    ground.terminal, ground.direction = True, -1
    sol = solve_ivp(accel, (t0, t0 + 5000.0), y, method="DOP853", rtol=1e-11, atol=1e-6, events=ground,
                    args=("velocity", 0.0, 0.0, 0.0, 0.0, beta_rv), max_step=5.0)
    assert sol.status == 1, "the reference never reached the ground"
    ye = sol.y_events[0][0]
    angle = math.atan2(ye[0], ye[1])
    return burnout, math.hypot(ye[2], ye[3]), R * angle


# ---------------------------------------------------------------- cases ----
@pytest.mark.parametrize("beta", [2.0e3, 2.0e4])
def test_reentry_vehicle_with_a_fixed_ballistic_coefficient(density, beta):
    h0, v0, fpa = 120e3, 7000.0, math.radians(-25.0)
    tr = run(Impulsive(ReentryVehicle(500.0, beta), drag=True), 0.0, 0.0, math.radians(90.0), speed=v0,
             elevation=fpa, alt=h0, options=OPTS)
    assert tr.impacted[0]
    _, v_ref, range_ref = reference_flight(density, h0=h0, speed0=v0, fpa0=fpa, phases=[], beta_rv=beta)
    _, v_vac, range_vac = reference_flight(density, h0=h0, speed0=v0, fpa0=fpa, phases=[], beta_rv=beta, drag=False)
    # drag matters here: 10 % of its effect is well above the tolerance
    assert 0.1 * abs(v_vac - v_ref) > 3 * TOL * v_ref
    assert tr.impact_speed[0] == pytest.approx(v_ref, rel=TOL)
    assert tr.ground_range[0] == pytest.approx(range_ref, rel=TOL)


def test_one_stage_booster_with_a_constant_drag_coefficient(density):
    stage = Stage(total_mass=20000.0, propellant_mass=17000.0, isp=250.0, burn_time=90.0)
    cd, diameter, payload, beta = 0.6, 2.0, 1500.0, 5.0e3
    missile = Missile("one-stage test", (stage,), payload, ReentryVehicle(500.0, beta), diameter,
                      drag_curve=DragCurve("constant", (0.0, 30.0), (cd, cd)), vertical_rise=8.0, pitch_over=6.0)
    kick = math.radians(25.0)
    tr = run(missile, 0.0, 0.0, math.radians(90.0), kick=kick, options=OPTS)
    assert tr.impacted[0]
    m0, mdot, thrust = missile.launch_mass, stage.mass_flow, stage.thrust
    cd_area = cd * math.pi * diameter**2 / 4
    t1, t2 = missile.vertical_rise, missile.vertical_rise + missile.pitch_over
    phases = [(t1, "up", m0, mdot, thrust, cd_area),
              (t2, (math.sin(kick), math.cos(kick)), m0, mdot, thrust, cd_area),
              (stage.burn_time, "velocity", m0, mdot, thrust, cd_area)]
    bo, v_imp, rng = reference_flight(density, h0=0.0, speed0=0.0, fpa0=0.0, phases=phases, beta_rv=beta)
    bo_vac, v_vac, rng_vac = reference_flight(density, h0=0.0, speed0=0.0, fpa0=0.0, phases=phases, beta_rv=beta,
                                              drag=False)
    assert 0.1 * abs(bo_vac - bo) > 2 * TOL * bo and 0.1 * abs(rng_vac - rng) > 2 * TOL * rng
    assert tr.burnout_time[0] == pytest.approx(stage.burn_time, abs=1e-9)
    assert tr.burnout_speed[0] == pytest.approx(bo, rel=TOL)
    assert tr.impact_speed[0] == pytest.approx(v_imp, rel=TOL)
    assert tr.ground_range[0] == pytest.approx(rng, rel=TOL)
