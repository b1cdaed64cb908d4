"""Compiled batch propagation of ballistic missile trajectories.

One numba kernel flies N trajectories in parallel (``prange`` over
trajectories). Each trajectory is integrated in the Earth-fixed (ECEF) frame
with gravity (point mass or J2), the Coriolis and centrifugal terms, thrust
(staged, constant mass flow) and drag (US Standard Atmosphere 1976), using an
adaptive Dormand-Prince 5(4) integrator. The integration is restarted at every
discontinuity (guidance phase change, staging, thrust termination), so the
error control never steps across one. Events (staging, burnout, apogee,
reentry at a stated altitude, impact) are located on a quintic Hermite
interpolant of the step, which is also used to write samples at a fixed output
step.

Inputs are struct-of-arrays: one row per trajectory in ``prm`` (columns named
by the ``P_*`` constants below), per-stage data in ``stg[N, MAX_STAGES, S_*]``.
Outputs are written into preallocated arrays.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from ..atmosphere import density, speed_of_sound
from ..earth import altitude_k, ecef_to_geodetic_k, geodetic_to_ecef_k, gravity_k, up_vector_k

MAX_STAGES = 6

# per-trajectory parameters
P_LAT, P_LON, P_H = 0, 1, 2
P_VE, P_VN, P_VU = 3, 4, 5  # initial Earth-relative velocity in local east, north, up (m/s)
P_AZ, P_KICK, P_TVERT, P_TPITCH, P_TCUT = 6, 7, 8, 9, 10
P_BETA, P_AREA, P_CD, P_NST, P_HIMP = 11, 12, 13, 14, 15
NP = 16

# per-stage parameters
S_M0, S_MDOT, S_THRUST, S_TBURN, S_COAST = 0, 1, 2, 3, 4
NS = 5

# options
O_RTOL, O_ATOL_POS, O_ATOL_VEL, O_TMAX, O_HDRAG, O_DTOUT, O_DRAG, O_HREENTRY, O_HMAXSTEP = range(9)
NO = 9

# earth parameters (EarthModel.kernel_params)
E_A, E_F, E_MU, E_OMEGA, E_J2, E_RE = range(6)

# summary outputs
(
    R_STATUS,
    R_TBO,
    R_BOX,
    R_BOY,
    R_BOZ,
    R_BOVX,
    R_BOVY,
    R_BOVZ,
    R_TAPO,
    R_HAPO,
    R_TRE,
    R_REX,
    R_REY,
    R_REZ,
    R_REVX,
    R_REVY,
    R_REVZ,
    R_TIMP,
    R_IMX,
    R_IMY,
    R_IMZ,
    R_IMVX,
    R_IMVY,
    R_IMVZ,
    R_NSTEP,
    R_NFEV,
) = range(26)
NR = 26

STATUS_IMPACT = 0
STATUS_NO_IMPACT = 1  # still flying at t_max (e.g. orbital)
STATUS_FAILED = 2  # step size underflow

# segment parameters
G_MODE, G_TIGN, G_MIGN, G_MDOT, G_THRUST, G_DX, G_DY, G_DZ, G_DRAG, G_AREA, G_CD, G_BETA = range(12)
NG = 12
MODE_FIXED, MODE_TURN, MODE_UNPOWERED, MODE_RV = 0, 1, 2, 3
DRAG_NONE, DRAG_BOOSTER, DRAG_RV = 0, 1, 2

# Dormand-Prince 5(4) tableau
A21 = 1 / 5
A31, A32 = 3 / 40, 9 / 40
A41, A42, A43 = 44 / 45, -56 / 15, 32 / 9
A51, A52, A53, A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
A61, A62, A63, A64, A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
B1, B3, B4, B5, B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
E1 = 71 / 57600
E3 = -71 / 16695
E4 = 71 / 1920
E5 = -17253 / 339200
E6 = 22 / 525
E7 = -1 / 40
C2, C3, C4, C5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9


@numba.njit(cache=True)
def _cd_lookup(mach, cdm, cdc, cdd, npts):
    """Monotone cubic Hermite (PCHIP) through the drag table, constant beyond it."""
    if mach <= cdm[0]:
        return cdc[0]
    for j in range(1, npts):
        if mach <= cdm[j]:
            h = cdm[j] - cdm[j - 1]
            t = (mach - cdm[j - 1]) / h
            t2 = t * t
            t3 = t2 * t
            return (
                (2 * t3 - 3 * t2 + 1) * cdc[j - 1]
                + (t3 - 2 * t2 + t) * h * cdd[j - 1]
                + (-2 * t3 + 3 * t2) * cdc[j]
                + (t3 - t2) * h * cdd[j]
            )
    return cdc[npts - 1]


@numba.njit(cache=True)
def _altitude(x, y, z, ea):
    return altitude_k(x, y, z, ea[E_A], ea[E_F])


@numba.njit(cache=True)
def _rhs(t, y, out, seg, ea, opt, cdm, cdc, cdn):
    x, yy, z, vx, vy, vz = y[0], y[1], y[2], y[3], y[4], y[5]
    gx, gy, gz = gravity_k(x, yy, z, ea[E_MU], ea[E_J2], ea[E_RE])
    om = ea[E_OMEGA]
    ax = gx + 2.0 * om * vy + om * om * x
    ay = gy - 2.0 * om * vx + om * om * yy
    az = gz
    mode = seg[G_MODE]
    mass = 0.0
    if mode != MODE_RV:
        mass = seg[G_MIGN] - seg[G_MDOT] * (t - seg[G_TIGN])
    thrust = seg[G_THRUST]
    if thrust > 0.0:
        if mode == MODE_FIXED:
            dx, dy, dz = seg[G_DX], seg[G_DY], seg[G_DZ]
        else:
            v = math.sqrt(vx * vx + vy * vy + vz * vz)
            if v > 1e-6:
                dx, dy, dz = vx / v, vy / v, vz / v
            else:
                dx, dy, dz = seg[G_DX], seg[G_DY], seg[G_DZ]
        f = thrust / mass
        ax += f * dx
        ay += f * dy
        az += f * dz
    dk = seg[G_DRAG]
    if dk != DRAG_NONE and opt[O_DRAG] > 0.0:
        r = math.sqrt(x * x + yy * yy + z * z)
        # geodetic height >= r - a everywhere, so this skips the exact conversion in the coast
        if r - ea[E_A] < opt[O_HDRAG]:
            h = _altitude(x, yy, z, ea)
            if h < opt[O_HDRAG]:
                rho = density(h)
                v = math.sqrt(vx * vx + vy * vy + vz * vz)
                if dk == DRAG_RV:
                    k = 0.5 * rho * v / seg[G_BETA]
                else:
                    mach = v / speed_of_sound(h)
                    ic = int(seg[G_CD])
                    cd = _cd_lookup(mach, cdm[ic], cdc[ic, 0], cdc[ic, 1], cdn[ic])
                    k = 0.5 * rho * v * cd * seg[G_AREA] / mass
                ax -= k * vx
                ay -= k * vy
                az -= k * vz
    out[0] = vx
    out[1] = vy
    out[2] = vz
    out[3] = ax
    out[4] = ay
    out[5] = az


@numba.njit(cache=True)
def _hermite(y0, f0, y1, f1, h, s, out):
    """Quintic Hermite position and its derivative at fraction s of a step."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    s5 = s4 * s
    h0 = 1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5
    h1 = s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5
    h2 = 0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5
    h3 = 0.5 * s3 - s4 + 0.5 * s5
    h4 = -4.0 * s3 + 7.0 * s4 - 3.0 * s5
    h5 = 10.0 * s3 - 15.0 * s4 + 6.0 * s5
    d0 = -30.0 * s2 + 60.0 * s3 - 30.0 * s4
    d1 = 1.0 - 18.0 * s2 + 32.0 * s3 - 15.0 * s4
    d2 = s - 4.5 * s2 + 6.0 * s3 - 2.5 * s4
    d3 = 1.5 * s2 - 4.0 * s3 + 2.5 * s4
    d4 = -12.0 * s2 + 28.0 * s3 - 15.0 * s4
    d5 = 30.0 * s2 - 60.0 * s3 + 30.0 * s4
    hh = h * h
    for c in range(3):
        p0 = y0[c]
        v0 = y0[c + 3]
        a0 = f0[c + 3]
        p1 = y1[c]
        v1 = y1[c + 3]
        a1 = f1[c + 3]
        out[c] = h0 * p0 + h1 * h * v0 + h2 * hh * a0 + h3 * hh * a1 + h4 * h * v1 + h5 * p1
        out[c + 3] = (d0 * p0 + d1 * h * v0 + d2 * hh * a0 + d3 * hh * a1 + d4 * h * v1 + d5 * p1) / h


@numba.njit(cache=True)
def _event_value(kind, y, ea, level):
    """0: altitude - level; 1: vertical speed (d altitude / dt)."""
    lat, lon, h = ecef_to_geodetic_k(y[0], y[1], y[2], ea[E_A], ea[E_F])
    if kind == 0:
        return h - level
    ux, uy, uz = up_vector_k(lat, lon)
    return y[3] * ux + y[4] * uy + y[5] * uz


@numba.njit(cache=True)
def _locate(kind, level, y0, f0, y1, f1, h, g0, g1, ea, tmp):
    """Fraction s in (0, 1] of the step where the event function crosses zero
    (Illinois regula falsi on the interpolant); tmp receives the state there."""
    sa, sb = 0.0, 1.0
    ga, gb = g0, g1
    side = 0
    s = 1.0
    for _ in range(60):
        s = sb - gb * (sb - sa) / (gb - ga) if gb != ga else 0.5 * (sa + sb)
        if not (sa < s < sb):
            s = 0.5 * (sa + sb)
        _hermite(y0, f0, y1, f1, h, s, tmp)
        g = _event_value(kind, tmp, ea, level)
        if g * gb > 0.0:
            sb, gb = s, g
            if side == -1:
                ga *= 0.5
            side = -1
        else:
            sa, ga = s, g
            if side == 1:
                gb *= 0.5
            side = 1
        if abs(sb - sa) * h < 1e-7 or g == 0.0:
            break
    _hermite(y0, f0, y1, f1, h, s, tmp)
    return s


@numba.njit(cache=True)
def _emit_samples(t0, t1, y0, f0, y1, f1, dtout, samp_r, samp_v, i, ns, tmp, tlimit):
    """Write samples at k * dtout in (t0, min(t1, tlimit)]; returns the new count."""
    if dtout <= 0.0:
        return ns
    kmax = samp_r.shape[1]
    h = t1 - t0
    while ns < kmax:
        ts = ns * dtout
        if ts > t1 + 1e-9 or ts > tlimit + 1e-9:
            break
        s = (ts - t0) / h if h > 0 else 1.0
        if s < 0.0:
            s = 0.0
        if s > 1.0:
            s = 1.0
        _hermite(y0, f0, y1, f1, h, s, tmp)
        for c in range(3):
            samp_r[i, ns, c] = tmp[c]
            samp_v[i, ns, c] = tmp[c + 3]
        ns += 1
    return ns


@numba.njit(cache=True)
def _record(res, i, col, t, y):
    res[i, col] = t
    for c in range(6):
        res[i, col + 1 + c] = y[c]


@numba.njit(cache=True)
def _integrate(
    i, t, tend, y, seg, ea, opt, cdm, cdc, cdn, res, samp_r, samp_v, ns, hstep, events, k, ynew, yerr, tmp, state
):
    """Integrate one segment from t to tend (or an impact). Returns (t, ns, hstep, ended).

    ``events``: 0 powered (impact check only), 1 coast (apogee, reentry, impact).
    ``state`` carries [impact altitude, apogee found, reentry found, max altitude, t of max].
    """
    rtol = opt[O_RTOL]
    atolp = opt[O_ATOL_POS]
    atolv = opt[O_ATOL_VEL]
    himp = state[0]
    hre = opt[O_HREENTRY]
    hmax = opt[O_HMAXSTEP]
    dtout = opt[O_DTOUT]
    rejected = False
    _rhs(t, y, k[0], seg, ea, opt, cdm, cdc, cdn)
    res[i, R_NFEV] += 1
    while t < tend:
        h = min(hstep, tend - t, hmax)
        if h < 1e-9:
            t = tend
            break
        # Dormand-Prince stages
        for c in range(6):
            tmp[c] = y[c] + h * A21 * k[0, c]
        _rhs(t + C2 * h, tmp, k[1], seg, ea, opt, cdm, cdc, cdn)
        for c in range(6):
            tmp[c] = y[c] + h * (A31 * k[0, c] + A32 * k[1, c])
        _rhs(t + C3 * h, tmp, k[2], seg, ea, opt, cdm, cdc, cdn)
        for c in range(6):
            tmp[c] = y[c] + h * (A41 * k[0, c] + A42 * k[1, c] + A43 * k[2, c])
        _rhs(t + C4 * h, tmp, k[3], seg, ea, opt, cdm, cdc, cdn)
        for c in range(6):
            tmp[c] = y[c] + h * (A51 * k[0, c] + A52 * k[1, c] + A53 * k[2, c] + A54 * k[3, c])
        _rhs(t + C5 * h, tmp, k[4], seg, ea, opt, cdm, cdc, cdn)
        for c in range(6):
            tmp[c] = y[c] + h * (A61 * k[0, c] + A62 * k[1, c] + A63 * k[2, c] + A64 * k[3, c] + A65 * k[4, c])
        _rhs(t + h, tmp, k[5], seg, ea, opt, cdm, cdc, cdn)
        for c in range(6):
            ynew[c] = y[c] + h * (B1 * k[0, c] + B3 * k[2, c] + B4 * k[3, c] + B5 * k[4, c] + B6 * k[5, c])
        _rhs(t + h, ynew, k[6], seg, ea, opt, cdm, cdc, cdn)
        res[i, R_NFEV] += 6
        for c in range(6):
            yerr[c] = h * (E1 * k[0, c] + E3 * k[2, c] + E4 * k[3, c] + E5 * k[4, c] + E6 * k[5, c] + E7 * k[6, c])
        rn = math.sqrt(y[0] ** 2 + y[1] ** 2 + y[2] ** 2)
        vn = max(math.sqrt(y[3] ** 2 + y[4] ** 2 + y[5] ** 2), math.sqrt(ynew[3] ** 2 + ynew[4] ** 2 + ynew[5] ** 2))
        sp = atolp + rtol * rn
        sv = atolv + rtol * vn
        err = 0.0
        for c in range(3):
            err += (yerr[c] / sp) ** 2 + (yerr[c + 3] / sv) ** 2
        err = math.sqrt(err / 6.0)
        if not (err <= 1.0):
            if err != err:  # NaN: shrink hard
                hstep = 0.1 * h
            else:
                hstep = h * max(0.2, 0.9 * err ** (-0.2))
            rejected = True
            if hstep < 1e-6:
                res[i, R_STATUS] = STATUS_FAILED
                return t, ns, hstep, True
            continue
        res[i, R_NSTEP] += 1
        t1 = t + h
        # events on the accepted step [t, t1]
        ended = False
        tcut = t1
        h1 = _altitude(ynew[0], ynew[1], ynew[2], ea)
        if events == 1:
            if state[1] == 0.0:
                g0 = _event_value(1, y, ea, 0.0)
                g1 = _event_value(1, ynew, ea, 0.0)
                if g0 > 0.0 and g1 <= 0.0:
                    s = _locate(1, 0.0, y, k[0], ynew, k[6], h, g0, g1, ea, tmp)
                    res[i, R_TAPO] = t + s * h
                    res[i, R_HAPO] = _altitude(tmp[0], tmp[1], tmp[2], ea)
                    state[1] = 1.0
                elif g0 <= 0.0 and state[3] > -1e300 and res[i, R_TAPO] != res[i, R_TAPO]:
                    # descending from the start of the coast: apogee was in the boost
                    res[i, R_TAPO] = state[4]
                    res[i, R_HAPO] = state[3]
                    state[1] = 1.0
            if state[2] == 0.0:
                h0 = _altitude(y[0], y[1], y[2], ea)
                if h0 > hre and h1 <= hre:
                    s = _locate(0, hre, y, k[0], ynew, k[6], h, h0 - hre, h1 - hre, ea, tmp)
                    _record(res, i, R_TRE, t + s * h, tmp)
                    state[2] = 1.0
        if h1 <= himp:
            h0 = _altitude(y[0], y[1], y[2], ea)
            if h0 > himp:
                s = _locate(0, himp, y, k[0], ynew, k[6], h, h0 - himp, h1 - himp, ea, tmp)
            else:
                s = 0.0
                for c in range(6):
                    tmp[c] = y[c]
            tcut = t + s * h
            _record(res, i, R_TIMP, tcut, tmp)
            ended = True
        if h1 > state[3]:
            state[3] = h1
            state[4] = t1
        ns = _emit_samples(t, t1, y, k[0], ynew, k[6], dtout, samp_r, samp_v, i, ns, tmp, tcut)
        if ended:
            for c in range(6):
                y[c] = tmp[c]
            return tcut, ns, hstep, True
        for c in range(6):
            y[c] = ynew[c]
            k[0, c] = k[6, c]
        t = t1
        # no growth right after a rejection (Hairer, Norsett & Wanner, II.4)
        grow = 1.0 if rejected else 5.0
        hstep = h * min(grow, max(0.2, 0.9 * err ** (-0.2))) if err > 0 else grow * h
        rejected = False
        if t >= opt[O_TMAX]:
            res[i, R_STATUS] = STATUS_NO_IMPACT
            return t, ns, hstep, True
    return t, ns, hstep, False


@numba.njit(cache=True)
def _fly_one(i, prm, stg, ea, opt, cdm, cdc, cdn, res, stage_t, samp_r, samp_v, nsamp):
    a, f = ea[E_A], ea[E_F]
    lat, lon, h0 = prm[i, P_LAT], prm[i, P_LON], prm[i, P_H]
    x, yy, z = geodetic_to_ecef_k(lat, lon, h0, a, f)
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    ex, ey, ez = -so, co, 0.0
    nx, ny, nz = -sl * co, -sl * so, cl
    ux, uy, uz = cl * co, cl * so, sl
    ve, vn, vu = prm[i, P_VE], prm[i, P_VN], prm[i, P_VU]
    y = np.empty(6)
    y[0], y[1], y[2] = x, yy, z
    y[3] = ve * ex + vn * nx + vu * ux
    y[4] = ve * ey + vn * ny + vu * uy
    y[5] = ve * ez + vn * nz + vu * uz
    k = np.empty((7, 6))
    ynew = np.empty(6)
    yerr = np.empty(6)
    tmp = np.empty(6)
    seg = np.zeros(NG)
    state = np.zeros(5)
    state[3] = -1e301
    himp = prm[i, P_HIMP]
    for c in range(NR):
        res[i, c] = np.nan
    res[i, R_NSTEP] = 0.0
    res[i, R_NFEV] = 0.0
    res[i, R_STATUS] = STATUS_IMPACT
    state[0] = himp
    ns = 0
    if opt[O_DTOUT] > 0.0 and samp_r.shape[1] > 0:
        for c in range(3):
            samp_r[i, 0, c] = y[c]
            samp_v[i, 0, c] = y[c + 3]
        ns = 1
    t = 0.0
    hstep = 0.5
    ended = False
    # ---- boost
    nst = int(prm[i, P_NST])
    azm = prm[i, P_AZ]
    kick = prm[i, P_KICK]
    hx = math.sin(azm) * ex + math.cos(azm) * nx
    hy = math.sin(azm) * ey + math.cos(azm) * ny
    hz = math.sin(azm) * ez + math.cos(azm) * nz
    px = math.cos(kick) * ux + math.sin(kick) * hx
    py = math.cos(kick) * uy + math.sin(kick) * hy
    pz = math.cos(kick) * uz + math.sin(kick) * hz
    tv = prm[i, P_TVERT]
    tp = tv + prm[i, P_TPITCH]
    tcut = prm[i, P_TCUT]
    seg[G_AREA] = prm[i, P_AREA]
    seg[G_CD] = prm[i, P_CD]
    seg[G_DRAG] = DRAG_BOOSTER
    tign = 0.0
    for s in range(nst):
        if ended or t >= tcut:
            break
        tbo = tign + stg[i, s, S_TBURN]
        # burn of stage s, split at the guidance phase changes and the cutoff
        while t < tbo and t < tcut and not ended:
            tnext = min(tbo, tcut)
            if t < tv:
                tnext = min(tnext, tv)
                seg[G_MODE] = MODE_FIXED
                seg[G_DX], seg[G_DY], seg[G_DZ] = ux, uy, uz
            elif t < tp:
                tnext = min(tnext, tp)
                seg[G_MODE] = MODE_FIXED
                seg[G_DX], seg[G_DY], seg[G_DZ] = px, py, pz
            else:
                seg[G_MODE] = MODE_TURN
                seg[G_DX], seg[G_DY], seg[G_DZ] = px, py, pz
            seg[G_TIGN] = tign
            seg[G_MIGN] = stg[i, s, S_M0]
            seg[G_MDOT] = stg[i, s, S_MDOT]
            seg[G_THRUST] = stg[i, s, S_THRUST]
            t, ns, hstep, ended = _integrate(
                i, t, tnext, y, seg, ea, opt, cdm, cdc, cdn, res, samp_r, samp_v, ns, hstep, 0, k, ynew, yerr, tmp,
                state,
            )
        stage_t[i, s] = t
        if ended or t >= tcut:
            break
        tign = tbo + stg[i, s, S_COAST]
        if s < nst - 1 and stg[i, s, S_COAST] > 0.0:
            # unpowered coast of the remaining stack before the next ignition
            seg[G_MODE] = MODE_UNPOWERED
            seg[G_THRUST] = 0.0
            seg[G_MDOT] = 0.0
            seg[G_MIGN] = stg[i, s + 1, S_M0]
            seg[G_TIGN] = t
            tend = min(tign, tcut)
            t, ns, hstep, ended = _integrate(
                i, t, tend, y, seg, ea, opt, cdm, cdc, cdn, res, samp_r, samp_v, ns, hstep, 0, k, ynew, yerr, tmp,
                state,
            )
    if not ended:
        _record(res, i, R_TBO, t, y)
    # ---- reentry vehicle coast to impact
    if not ended:
        seg[G_MODE] = MODE_RV
        seg[G_THRUST] = 0.0
        seg[G_MDOT] = 0.0
        seg[G_DRAG] = DRAG_RV if prm[i, P_BETA] > 0.0 else DRAG_NONE
        seg[G_BETA] = prm[i, P_BETA]
        hstep = max(hstep, 1.0)
        t, ns, hstep, ended = _integrate(
            i, t, opt[O_TMAX] + 1.0, y, seg, ea, opt, cdm, cdc, cdn, res, samp_r, samp_v, ns, hstep, 1, k, ynew,
            yerr, tmp, state,
        )
    if res[i, R_TAPO] != res[i, R_TAPO]:
        res[i, R_TAPO] = state[4]
        res[i, R_HAPO] = state[3]
    if res[i, R_STATUS] == STATUS_IMPACT and res[i, R_TIMP] != res[i, R_TIMP]:
        res[i, R_STATUS] = STATUS_NO_IMPACT
    if res[i, R_TBO] != res[i, R_TBO]:
        # impact during the boost: burnout is the end of the flight
        _record(res, i, R_TBO, t, y)
    nsamp[i] = ns


@numba.njit(parallel=True, cache=True)
def fly_batch(prm, stg, ea, opt, cdm, cdc, cdn, res, stage_t, samp_r, samp_v, nsamp):
    """Fly every trajectory of the batch; outputs are written in place."""
    n = prm.shape[0]
    for i in prange(n):
        _fly_one(i, prm, stg, ea, opt, cdm, cdc, cdn, res, stage_t, samp_r, samp_v, nsamp)
