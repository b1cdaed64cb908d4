"""Closed-form two-body results for validation and quick estimates.

Spherical, non-rotating Earth, point-mass gravity, no drag: the textbook
ballistic-missile formulas (Bate, Mueller and White, *Fundamentals of
Astrodynamics*, 1971, ch. 6; Wheelon 1959) and universal-variable Kepler
propagation (Curtis, *Orbital Mechanics for Engineering Students*, 3rd ed.,
Algorithms 3.3 and 3.4). Inputs and outputs in SI units and radians; the
functions accept numpy arrays.
"""

from __future__ import annotations

import numpy as np

from .earth import GM_EARTH, SPHERE_RADIUS


def min_energy(range_angle, r=SPHERE_RADIUS, mu=GM_EARTH):
    """Minimum-energy shot between two points at radius ``r`` separated by the
    central angle ``range_angle``: (burnout speed, flight-path angle)."""
    psi = np.asarray(range_angle, dtype=float)
    s = np.sin(psi / 2)
    q = 2 * s / (1 + s)
    return np.sqrt(q * mu / r), (np.pi - psi) / 4


def _elements(v, gamma, r0, mu):
    h = r0 * v * np.cos(gamma)
    p = h * h / mu
    ecos = p / r0 - 1
    esin = h * v * np.sin(gamma) / mu
    e = np.hypot(ecos, esin)
    nu0 = np.arctan2(esin, ecos) % (2 * np.pi)
    return p, e, nu0


def _ecc_anomaly(nu, e):
    return 2 * np.arctan2(np.sqrt(1 - e) * np.sin(nu / 2), np.sqrt(1 + e) * np.cos(nu / 2))


def ballistic(v, gamma, r0=SPHERE_RADIUS, r_impact=SPHERE_RADIUS, mu=GM_EARTH):
    """Free flight from burnout (speed ``v``, flight-path angle ``gamma`` above the
    horizontal, radius ``r0``) to the descending crossing of ``r_impact``.

    Returns a dict of arrays: ``range_angle`` (rad), ``apogee_radius`` (m),
    ``apogee_time`` and ``flight_time`` (s from burnout)."""
    v, gamma, r0, ri = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (v, gamma, r0, r_impact)))
    p, e, nu0 = _elements(v, gamma, r0, mu)
    nui = 2 * np.pi - np.arccos(np.clip((p / ri - 1) / e, -1, 1))
    a = p / (1 - e * e)
    n = np.sqrt(mu / a**3)
    e0 = _ecc_anomaly(nu0, e) % (2 * np.pi)
    ei = _ecc_anomaly(nui, e) % (2 * np.pi)
    m0 = e0 - e * np.sin(e0)
    mi = ei - e * np.sin(ei)
    # apogee at E = pi
    ta = (np.pi - m0) / n
    return {
        "range_angle": nui - nu0,
        "apogee_radius": a * (1 + e),
        "apogee_time": np.where(m0 <= np.pi, ta, 0.0),
        "flight_time": (mi - m0) / n,
    }


def _stumpff_c(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos, neg, zero = z > 1e-8, z < -1e-8, np.abs(z) <= 1e-8
    out[pos] = (1 - np.cos(np.sqrt(z[pos]))) / z[pos]
    out[neg] = (np.cosh(np.sqrt(-z[neg])) - 1) / (-z[neg])
    out[zero] = 0.5 - z[zero] / 24
    return out


def _stumpff_s(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos, neg, zero = z > 1e-8, z < -1e-8, np.abs(z) <= 1e-8
    sp = np.sqrt(z[pos])
    out[pos] = (sp - np.sin(sp)) / sp**3
    sn = np.sqrt(-z[neg])
    out[neg] = (np.sinh(sn) - sn) / sn**3
    out[zero] = 1 / 6 - z[zero] / 120
    return out


def propagate(r0, v0, t, mu=GM_EARTH):
    """Two-body state at times ``t`` (s, array) from the inertial state (r0, v0)
    (3-vectors, m and m/s): returns (r, v) with shape (len(t), 3)."""
    r0 = np.asarray(r0, dtype=float)
    v0 = np.asarray(v0, dtype=float)
    t = np.atleast_1d(np.asarray(t, dtype=float))
    rn = np.linalg.norm(r0)
    vr = r0 @ v0 / rn
    alpha = 2 / rn - v0 @ v0 / mu
    sm = np.sqrt(mu)
    chi = sm * np.abs(alpha) * t
    for _ in range(100):
        z = alpha * chi**2
        c, s = _stumpff_c(z), _stumpff_s(z)
        f = rn * vr / sm * chi**2 * c + (1 - alpha * rn) * chi**3 * s + rn * chi - sm * t
        fp = rn * vr / sm * chi * (1 - alpha * chi**2 * s) + (1 - alpha * rn) * chi**2 * c + rn
        d = f / fp
        chi = chi - d
        if np.all(np.abs(d) < 1e-12 * np.maximum(1.0, np.abs(chi))):
            break
    z = alpha * chi**2
    c, s = _stumpff_c(z), _stumpff_s(z)
    f = 1 - chi**2 / rn * c
    g = t - chi**3 / sm * s
    r = f[:, None] * r0 + g[:, None] * v0
    rr = np.linalg.norm(r, axis=1)
    fd = sm / (rr * rn) * (alpha * chi**3 * s - chi)
    gd = 1 - chi**2 / rr * c
    v = fd[:, None] * r0 + gd[:, None] * v0
    return r, v
