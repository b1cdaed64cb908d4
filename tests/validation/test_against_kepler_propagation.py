"""Tier 1/2: conservation laws in the coast and agreement with analytic Kepler
propagation (Curtis, Algorithms 3.3-3.4).

Integration tolerance rtol = 1e-12 here: the laws must hold to 1e-8 relative.
"""

import numpy as np

from openbmd import kepler
from openbmd.earth import GM_EARTH, J2_EARTH, OMEGA_EARTH, WGS84_A, EarthModel
from openbmd.flight import FlightOptions, Impulsive, run

TIGHT = dict(rtol=1e-12, atol_position=1e-6, atol_velocity=1e-9)
CONS_TOL = 1e-8


def _coast(options, speed=7000.0, elevation=25.0, lat=0.4, lon=0.2, az=1.1, alt=200e3):
    # start above the atmosphere so the whole flight is a coast
    return run(Impulsive(), lat, lon, az, speed=speed, elevation=np.radians(elevation), alt=alt,
               options=options.replace(output_step=10.0, **TIGHT))


def _samples(tr):
    n = int(tr.n_samples[0])
    return tr.samples_r[0, :n], tr.samples_v[0, :n], tr.sample_times[:n]


def test_point_mass_energy_and_angular_momentum_conserved():
    opts = FlightOptions(earth=EarthModel("sphere", rotation=False, gravity="point"), drag=False)
    r, v, _ = _samples(_coast(opts))
    energy = 0.5 * (v * v).sum(1) - GM_EARTH / np.linalg.norm(r, axis=1)
    h = np.cross(r, v)
    assert len(r) > 100
    assert np.max(np.abs(energy / energy[0] - 1)) < CONS_TOL
    assert np.max(np.linalg.norm(h - h[0], axis=1)) / np.linalg.norm(h[0]) < CONS_TOL


def test_rotating_j2_jacobi_integral_and_polar_angular_momentum_conserved():
    # In the Earth-fixed frame with J2 the Jacobi integral
    #   C = v^2/2 - U(r) - omega^2 (x^2 + y^2)/2
    # and the inertial angular momentum about the axis are constants.
    opts = FlightOptions(earth=EarthModel("wgs84", rotation=True, gravity="j2"), drag=False)
    r, v, _ = _samples(_coast(opts))
    rn = np.linalg.norm(r, axis=1)
    sinphi = r[:, 2] / rn
    u = GM_EARTH / rn * (1 - J2_EARTH * (WGS84_A / rn) ** 2 * 0.5 * (3 * sinphi**2 - 1))
    rho2 = r[:, 0] ** 2 + r[:, 1] ** 2
    jac = 0.5 * (v * v).sum(1) - u - 0.5 * OMEGA_EARTH**2 * rho2
    hz = r[:, 0] * v[:, 1] - r[:, 1] * v[:, 0] + OMEGA_EARTH * rho2
    assert np.max(np.abs(jac / jac[0] - 1)) < CONS_TOL
    assert np.max(np.abs(hz / hz[0] - 1)) < CONS_TOL


def test_integrated_coast_agrees_with_kepler_propagation():
    opts = FlightOptions(earth=EarthModel("sphere", rotation=False, gravity="point"), drag=False)
    r, v, t = _samples(_coast(opts))
    rk, vk = kepler.propagate(r[0], v[0], t)
    # samples come from the quintic interpolant of the steps: agree to metres
    # over a ~3,000 s flight of ~7,000 km
    assert np.max(np.linalg.norm(r - rk, axis=1)) < 2.0
    assert np.max(np.linalg.norm(v - vk, axis=1)) < 2e-3


def test_kepler_propagation_closes_an_orbit():
    r0 = np.array([7000e3, 0, 0])
    v0 = np.array([0, 7.0e3, 1.5e3])
    a = 1 / (2 / 7000e3 - (v0 @ v0) / GM_EARTH)
    period = 2 * np.pi * np.sqrt(a**3 / GM_EARTH)
    r, v = kepler.propagate(r0, v0, [period])
    np.testing.assert_allclose(r[0], r0, atol=1e-3)
    np.testing.assert_allclose(v[0], v0, atol=1e-6)
