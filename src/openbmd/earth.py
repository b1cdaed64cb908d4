"""Earth models: WGS84 and spherical shapes, frames, gravity and geodesics.

Conventions (SI inside): angles in radians, lengths in metres, times in seconds.
ECEF is the Earth-centred, Earth-fixed frame (z along the rotation axis, x through
the Greenwich meridian). Velocities in ECEF are relative to the rotating Earth.

Two layers:

* compiled kernels (``*_k``) on scalars, callable from other numba code;
* numpy functions on arrays for the Python API and for pre/post-processing.

Sources: WGS84 constants from NIMA TR8350.2 (3rd ed., 2000), Table 3.1/3.2
(a, 1/f, GM, omega) and Table 3.5 (J2 = -C20 * sqrt(5)). Closed-form ECEF to
geodetic conversion: Heikkinen (1982) as given by Zhu (1994), IEEE Trans. AES
30(3). Spherical Earth radius 6371 km is the IUGG mean radius used in most
published missile analyses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
GM_EARTH = 3.986004418e14
OMEGA_EARTH = 7.292115e-5
J2_EARTH = 1.082629821313e-3
SPHERE_RADIUS = 6371000.0
G0 = 9.80665  # standard gravity, for specific impulse

EARTH_SHAPES = ("wgs84", "sphere")
GRAVITY_MODELS = ("j2", "point")


@dataclass(frozen=True)
class EarthModel:
    """Shape, rotation and gravity of the Earth used by a computation.

    ``shape`` is ``"wgs84"`` (ellipsoid) or ``"sphere"`` (R = 6371 km);
    ``rotation`` switches the Coriolis and centrifugal terms and the frame
    rotation; ``gravity`` is ``"j2"`` or ``"point"`` (point mass).
    """

    shape: str = "wgs84"
    rotation: bool = True
    gravity: str = "j2"

    def __post_init__(self):
        if self.shape not in EARTH_SHAPES:
            raise ValueError(f"earth shape must be one of {EARTH_SHAPES}, got {self.shape!r}")
        if self.gravity not in GRAVITY_MODELS:
            raise ValueError(f"gravity must be one of {GRAVITY_MODELS}, got {self.gravity!r}")

    @property
    def a(self) -> float:
        """Equatorial radius (m)."""
        return WGS84_A if self.shape == "wgs84" else SPHERE_RADIUS

    @property
    def f(self) -> float:
        """Flattening."""
        return WGS84_F if self.shape == "wgs84" else 0.0

    @property
    def mu(self) -> float:
        return GM_EARTH

    @property
    def omega(self) -> float:
        """Rotation rate used in the equations of motion (rad/s)."""
        return OMEGA_EARTH if self.rotation else 0.0

    @property
    def j2(self) -> float:
        return J2_EARTH if self.gravity == "j2" else 0.0

    @property
    def j2_radius(self) -> float:
        return WGS84_A

    def kernel_params(self) -> np.ndarray:
        """Packed parameters for the compiled kernels: a, f, mu, omega, j2, j2 radius."""
        return np.array([self.a, self.f, self.mu, self.omega, self.j2, self.j2_radius])

    def describe(self) -> str:
        shape = "WGS84 ellipsoid" if self.shape == "wgs84" else "sphere R = 6371 km"
        rot = "rotating (omega = 7.292115e-5 rad/s)" if self.rotation else "non-rotating"
        grav = "J2 gravity" if self.gravity == "j2" else "point-mass gravity"
        return f"{shape}, {rot}, {grav}"


WGS84 = EarthModel()


# ---------------------------------------------------------------- kernels ----
@numba.njit(cache=True)
def geodetic_to_ecef_k(lat, lon, h, a, f):
    e2 = f * (2.0 - f)
    sl = math.sin(lat)
    cl = math.cos(lat)
    n = a / math.sqrt(1.0 - e2 * sl * sl)
    x = (n + h) * cl * math.cos(lon)
    y = (n + h) * cl * math.sin(lon)
    z = (n * (1.0 - e2) + h) * sl
    return x, y, z


@numba.njit(cache=True)
def ecef_to_geodetic_k(x, y, z, a, f):
    """Exact closed-form conversion (Heikkinen 1982 / Zhu 1994); sphere if f == 0."""
    p = math.sqrt(x * x + y * y)
    lon = math.atan2(y, x)
    if f == 0.0:
        return math.atan2(z, p), lon, math.sqrt(p * p + z * z) - a
    e2 = f * (2.0 - f)
    b = a * (1.0 - f)
    ep2 = (a * a - b * b) / (b * b)
    ff = 54.0 * b * b * z * z
    g = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b)
    c = e2 * e2 * ff * p * p / (g * g * g)
    s = (1.0 + c + math.sqrt(c * c + 2.0 * c)) ** (1.0 / 3.0)
    k = s + 1.0 + 1.0 / s
    pp = ff / (3.0 * k * k * g * g)
    q = math.sqrt(1.0 + 2.0 * e2 * e2 * pp)
    r0 = -pp * e2 * p / (1.0 + q) + math.sqrt(
        max(0.5 * a * a * (1.0 + 1.0 / q) - pp * (1.0 - e2) * z * z / (q * (1.0 + q)) - 0.5 * pp * p * p, 0.0)
    )
    t = p - e2 * r0
    u = math.sqrt(t * t + z * z)
    v = math.sqrt(t * t + (1.0 - e2) * z * z)
    z0 = b * b * z / (a * v)
    h = u * (1.0 - b * b / (a * v))
    lat = math.atan2(z + ep2 * z0, p)
    return lat, lon, h


@numba.njit(cache=True)
def altitude_k(x, y, z, a, f):
    """Height above the ellipsoid only: Heikkinen's formula without the two
    arctangents (a hot path: drag and events need no latitude)."""
    p2 = x * x + y * y
    if f == 0.0:
        return math.sqrt(p2 + z * z) - a
    e2 = f * (2.0 - f)
    b = a * (1.0 - f)
    z2 = z * z
    ff = 54.0 * b * b * z2
    g = p2 + (1.0 - e2) * z2 - e2 * (a * a - b * b)
    c = e2 * e2 * ff * p2 / (g * g * g)
    s = (1.0 + c + math.sqrt(c * c + 2.0 * c)) ** (1.0 / 3.0)
    k = s + 1.0 + 1.0 / s
    pp = ff / (3.0 * k * k * g * g)
    q = math.sqrt(1.0 + 2.0 * e2 * e2 * pp)
    p = math.sqrt(p2)
    r0 = -pp * e2 * p / (1.0 + q) + math.sqrt(
        max(0.5 * a * a * (1.0 + 1.0 / q) - pp * (1.0 - e2) * z2 / (q * (1.0 + q)) - 0.5 * pp * p2, 0.0)
    )
    t = p - e2 * r0
    return math.sqrt(t * t + z2) * (1.0 - b * b / (a * math.sqrt(t * t + (1.0 - e2) * z2)))


@numba.njit(cache=True)
def gravity_k(x, y, z, mu, j2, re):
    """Gravitational acceleration with the J2 zonal term (j2 = 0: point mass)."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    k = -mu / (r2 * r)
    if j2 == 0.0:
        return k * x, k * y, k * z
    fac = 1.5 * j2 * re * re / r2
    zr2 = z * z / r2
    c1 = 1.0 + fac * (1.0 - 5.0 * zr2)
    return k * x * c1, k * y * c1, k * z * (1.0 + fac * (3.0 - 5.0 * zr2))


@numba.njit(cache=True)
def up_vector_k(lat, lon):
    cl = math.cos(lat)
    return cl * math.cos(lon), cl * math.sin(lon), math.sin(lat)


@numba.njit(parallel=True, cache=True)
def _ecef_to_geodetic_arr(x, y, z, a, f, lat, lon, h):
    for i in numba.prange(x.size):
        lat[i], lon[i], h[i] = ecef_to_geodetic_k(x[i], y[i], z[i], a, f)


# ------------------------------------------------------------- numpy API ----
def geodetic_to_ecef(lat, lon, h, earth: EarthModel = WGS84):
    """Geodetic latitude, longitude (rad) and height (m) to ECEF (m)."""
    lat, lon, h = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat, lon, h)))
    a, f = earth.a, earth.f
    e2 = f * (2.0 - f)
    sl = np.sin(lat)
    n = a / np.sqrt(1.0 - e2 * sl * sl)
    cl = np.cos(lat)
    return (n + h) * cl * np.cos(lon), (n + h) * cl * np.sin(lon), (n * (1.0 - e2) + h) * sl


def ecef_to_geodetic(x, y, z, earth: EarthModel = WGS84):
    """ECEF (m) to geodetic latitude, longitude (rad) and height above the ellipsoid (m)."""
    x, y, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, y, z)))
    shape = x.shape
    xf, yf, zf = (np.ascontiguousarray(v).ravel() for v in (x, y, z))
    lat, lon, h = np.empty_like(xf), np.empty_like(xf), np.empty_like(xf)
    _ecef_to_geodetic_arr(xf, yf, zf, earth.a, earth.f, lat, lon, h)
    return lat.reshape(shape), lon.reshape(shape), h.reshape(shape)


def enu_basis(lat, lon):
    """East, north and up unit vectors (each shape (..., 3)) at geodetic lat, lon (rad)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    east = np.stack([-so, co, np.zeros_like(so)], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return east, north, up


def ecef_to_enu(dx, dy, dz, lat0, lon0):
    """Rotate an ECEF vector (or difference) into east, north, up at (lat0, lon0)."""
    e, n, u = enu_basis(lat0, lon0)
    d = np.stack(np.broadcast_arrays(dx, dy, dz), axis=-1)
    return (d * e).sum(-1), (d * n).sum(-1), (d * u).sum(-1)


def enu_to_ecef(de, dn, du, lat0, lon0):
    """Rotate an east, north, up vector at (lat0, lon0) into ECEF components."""
    e, n, u = enu_basis(lat0, lon0)
    de, dn, du = (np.asarray(v, dtype=float)[..., None] for v in (de, dn, du))
    v = de * e + dn * n + du * u
    return v[..., 0], v[..., 1], v[..., 2]


def aer(lat1, lon1, h1, lat2, lon2, h2, earth: EarthModel = WGS84):
    """Azimuth (rad, from north through east), elevation (rad) and slant range (m)
    of point 2 as seen from point 1."""
    x1, y1, z1 = geodetic_to_ecef(lat1, lon1, h1, earth)
    x2, y2, z2 = geodetic_to_ecef(lat2, lon2, h2, earth)
    e, n, u = ecef_to_enu(x2 - x1, y2 - y1, z2 - z1, lat1, lon1)
    rng = np.sqrt(e * e + n * n + u * u)
    az = np.mod(np.arctan2(e, n), 2 * np.pi)
    el = np.arcsin(np.clip(u / np.where(rng > 0, rng, 1.0), -1.0, 1.0))
    return az, el, rng


_GEOD = None


def _geod():
    global _GEOD
    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    return _GEOD


def geodesic_inverse(lat1, lon1, lat2, lon2, earth: EarthModel = WGS84):
    """Geodesic distance (m) and forward azimuth at point 1 (rad) between points
    (rad). Ellipsoidal geodesic (Karney, via pyproj) on WGS84, great circle on
    the sphere."""
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2)))
    if earth.shape == "sphere":
        dlon = lon2 - lon1
        s1, c1, s2, c2 = np.sin(lat1), np.cos(lat1), np.sin(lat2), np.cos(lat2)
        y = np.hypot(c2 * np.sin(dlon), c1 * s2 - s1 * c2 * np.cos(dlon))
        x = s1 * s2 + c1 * c2 * np.cos(dlon)
        dist = earth.a * np.arctan2(y, x)
        az = np.arctan2(np.sin(dlon) * c2, c1 * s2 - s1 * c2 * np.cos(dlon))
        return dist, np.mod(az, 2 * np.pi)
    az12, _, dist = _geod().inv(np.degrees(lon1), np.degrees(lat1), np.degrees(lon2), np.degrees(lat2))
    return np.asarray(dist, dtype=float), np.mod(np.radians(az12), 2 * np.pi)


def geodesic_direct(lat, lon, az, dist, earth: EarthModel = WGS84):
    """End point (lat, lon in rad) of a geodesic of length ``dist`` (m) starting at
    (lat, lon) with azimuth ``az`` (rad)."""
    lat, lon, az, dist = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat, lon, az, dist)))
    if earth.shape == "sphere":
        d = dist / earth.a
        lat2 = np.arcsin(np.sin(lat) * np.cos(d) + np.cos(lat) * np.sin(d) * np.cos(az))
        lon2 = lon + np.arctan2(np.sin(az) * np.sin(d) * np.cos(lat), np.cos(d) - np.sin(lat) * np.sin(lat2))
        return lat2, (lon2 + np.pi) % (2 * np.pi) - np.pi
    lon2, lat2, _ = _geod().fwd(np.degrees(lon), np.degrees(lat), np.degrees(az), dist)
    return np.radians(np.asarray(lat2, dtype=float)), np.radians(np.asarray(lon2, dtype=float))


def inertial_to_rotating_longitude(lon, t, earth: EarthModel = WGS84):
    """Longitude in the Earth frame of a point fixed in inertial space at time t."""
    return (np.asarray(lon) - earth.omega * np.asarray(t) + np.pi) % (2 * np.pi) - np.pi
