"""Flight-test description files: what a missile-defence flight test flew, as
the public record describes the MDA's FTM/FTG tests, and what a test
demonstrates (the parameters that limits on tests constrain).

A flight-test file (TOML; bundled ones in ``src/openbmd/data/flight_tests/``)::

    [test]           name, date, description, sources = [...]
    [target]         missile (catalog name), launch_lat_deg, launch_lon_deg,
                     aim_lat_deg, aim_lon_deg (the point it would reach if not
                     intercepted), optional apogee_km (a lofted or depressed
                     shot; default minimum energy), rcs_m2 (default 0.1)
    [interceptor]    vehicle (catalog interceptor), launch_lat_deg,
                     launch_lon_deg, intercept_time_s (s after the target's
                     launch), optional rcs_m2 (default 0.05)

Every number may carry ``X_source`` (the documents of docs/sources.md, or
ASSUMPTION) and ``X_range`` ([low, high]; an ASSUMPTION needs one).

Flying a test: the target is aimed at its aim point (:func:`flight.aim.aim`);
the intercept point is where it is at ``intercept_time_s``. The interceptor's
staged booster is flown from its launch point toward that point at a set of
pitch-over angles, and the one passing closest is kept; its launch time is the
intercept time less its time to that point (reported). The demonstrated
parameters (:func:`demonstrated`): the interceptor's burnout speed, the
target's speed at burnout (its largest speed above the atmosphere), its range
(launch to the impact it would have reached) and the intercept altitude.

Errors are :class:`FlightTestError`: ``FILE:LINE: field 'target.missile':
...``, one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .scenario import ScenarioError, read_toml
from .tomlsource import fmt_path, suggest

SCHEMA = {
    "test": {"name": str, "date": str, "description": str, "sources": list},
    "target": {"missile": str, "launch_lat_deg": float, "launch_lon_deg": float, "aim_lat_deg": float,
               "aim_lon_deg": float, "apogee_km": float, "rcs_m2": float},
    "interceptor": {"vehicle": str, "launch_lat_deg": float, "launch_lon_deg": float, "intercept_time_s": float,
                    "rcs_m2": float, "salvo": int},
}
REQUIRED = {
    "test": ("name",),
    "target": ("missile", "launch_lat_deg", "launch_lon_deg", "aim_lat_deg", "aim_lon_deg"),
    "interceptor": ("vehicle", "launch_lat_deg", "launch_lon_deg", "intercept_time_s"),
}
OUTPUT_STEP = 2.0  # s: the flown trajectories' time series (the sensors' input)


class FlightTestError(ScenarioError):
    """A bad flight-test file: names the file, line and field."""


@dataclass
class FlightTest:
    name: str
    date: str
    description: str
    path: str
    sources: list
    target_missile: str
    target_launch: tuple  # (lat, lon) degrees
    target_aim: tuple
    target_apogee_km: float | None
    target_rcs: float
    interceptor: str
    interceptor_launch: tuple
    intercept_time: float
    interceptor_rcs: float
    salvo: int = 1
    notes: dict = field(default_factory=dict)  # field -> its source string


def _dir() -> Path:
    return Path(str(resources.files("openbmd") / "data" / "flight_tests"))


def bundled_tests() -> list[str]:
    return sorted(p.stem for p in _dir().glob("*.toml"))


def _resolve(ref) -> Path:
    p = Path(str(ref))
    if p.is_file():
        return p
    b = _dir() / f"{ref}.toml"
    if b.is_file():
        return b
    raise FlightTestError(f"no flight-test file or bundled test {str(ref)!r}{suggest(str(ref), bundled_tests())} "
                          f"(bundled: {', '.join(bundled_tests())})")


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load_test(ref) -> FlightTest:
    """Load and validate a flight-test file (a path or a bundled name)."""
    from .catalog import CatalogError, default_catalog

    path = _resolve(ref)
    doc, src = read_toml(path, FlightTestError, "flight-test")

    def err(pth, msg):
        return FlightTestError(f"{src.where(pth)}: field '{fmt_path(pth)}': {msg}")

    for k in doc:
        if k not in SCHEMA:
            raise FlightTestError(f"{src.where((k,))}: unknown table '{k}'{suggest(k, SCHEMA)}")
    notes = {}
    for t, schema in SCHEMA.items():
        tab = doc.get(t)
        if tab is None:
            raise FlightTestError(f"{path}: missing table [{t}] (a flight test needs [test], [target], [interceptor])")
        for key, v in tab.items():
            if key.endswith("_source"):
                base = key[: -len("_source")]
                if base not in schema and base not in ("launch", "aim"):
                    raise err((t, key), f"a source for an unknown field '{base}'")
                if not isinstance(v, str):
                    raise err((t, key), f"expected a string, got {v!r}")
                notes[f"{t}.{base}"] = v
                continue
            if key.endswith("_range"):
                base = key[: -len("_range")]
                if schema.get(base) is not float:
                    raise err((t, key), f"a range for an unknown or non-numeric field '{base}'")
                if not (isinstance(v, list) and len(v) == 2 and all(_num(x) for x in v) and v[0] <= v[1]
                        and (base not in tab or v[0] <= tab[base] <= v[1])):
                    raise err((t, key), f"expected [low, high] around {base} = {tab.get(base)!r}, got {v!r}")
                continue
            if key not in schema:
                raise err((t, key), f"unknown field{suggest(key, schema)} (expected one of: {', '.join(schema)})")
            want = schema[key]
            ok = _num(v) if want is float else (isinstance(v, int) and not isinstance(v, bool)) if want is int \
                else isinstance(v, want)
            if not ok:
                raise err((t, key), f"expected {'a finite number' if want is float else want.__name__}, got {v!r}")
        for key in REQUIRED[t]:
            if key not in tab:
                raise err((t, key), f"missing (a flight test's [{t}] needs {', '.join(REQUIRED[t])})")
    tg, ic = doc["target"], doc["interceptor"]
    for t, tab in (("target", tg), ("interceptor", ic)):
        for k in ("launch_lat_deg", "aim_lat_deg"):
            if k in tab and not -90 <= tab[k] <= 90:
                raise err((t, k), f"expected -90..90, got {tab[k]:g}")
        if "rcs_m2" in tab and not tab["rcs_m2"] > 0:
            raise err((t, "rcs_m2"), f"expected > 0, got {tab['rcs_m2']:g}")
    if not ic["intercept_time_s"] > 0:
        raise err(("interceptor", "intercept_time_s"), f"expected > 0 s after the target's launch, got {ic['intercept_time_s']:g}")
    if "apogee_km" in tg and not tg["apogee_km"] > 0:
        raise err(("target", "apogee_km"), f"expected > 0, got {tg['apogee_km']:g}")
    if ic.get("salvo", 1) < 1:
        raise err(("interceptor", "salvo"), f"expected >= 1, got {ic['salvo']}")
    cat = default_catalog()
    try:
        cat.missile(tg["missile"])
    except (CatalogError, KeyError, ValueError) as exc:
        raise err(("target", "missile"), str(exc).splitlines()[0]) from None
    try:
        cat.interceptor(ic["vehicle"])
    except (CatalogError, KeyError, ValueError) as exc:
        raise err(("interceptor", "vehicle"), str(exc).splitlines()[0]) from None
    t = doc["test"]
    return FlightTest(
        name=t["name"], date=t.get("date", ""), description=t.get("description", ""), path=str(path),
        sources=list(t.get("sources", [])), target_missile=tg["missile"],
        target_launch=(float(tg["launch_lat_deg"]), float(tg["launch_lon_deg"])),
        target_aim=(float(tg["aim_lat_deg"]), float(tg["aim_lon_deg"])),
        target_apogee_km=float(tg["apogee_km"]) if "apogee_km" in tg else None,
        target_rcs=float(tg.get("rcs_m2", 0.1)), interceptor=ic["vehicle"],
        interceptor_launch=(float(ic["launch_lat_deg"]), float(ic["launch_lon_deg"])),
        intercept_time=float(ic["intercept_time_s"]), interceptor_rcs=float(ic.get("rcs_m2", 0.05)),
        salvo=int(ic.get("salvo", 1)), notes=notes,
    )


# ------------------------------------------------------------------ flying ----
@dataclass
class FlownTest:
    """The flown test: both trajectories (time since each vehicle's own
    launch), the intercept point, the interceptor's derived launch time."""

    test: FlightTest
    target: object  # flight Trajectories (1 row)
    interceptor: object  # flight Trajectories (1 row)
    intercept_time: float  # s after the target's launch
    interceptor_launch_time: float  # s after the target's launch
    interceptor_time_to_intercept: float  # s after the interceptor's launch
    miss_km: float  # how close the chosen fly-out passes the intercept point
    intercept_point: np.ndarray  # ECEF (m)


def _at(traj, t):
    """ECEF position and velocity of a 1-row trajectory at time t (s since its launch)."""
    from .tracking import hermite

    pos, vel = hermite(traj.samples_r, traj.samples_v, traj.sample_times, float(traj.options.output_step),
                        traj.n_samples.astype(np.int64), np.array([[float(t)]]))
    return pos[0, 0], vel[0, 0]


def fly(ft: FlightTest, kicks_deg=None) -> FlownTest:
    """Fly the target and the interceptor (see the module docstring)."""
    from . import earth as E
    from .catalog import default_catalog
    from .flight import FlightOptions, run
    from .flight.aim import AimError, aim

    cat = default_catalog()
    opt = FlightOptions(output_step=OUTPUT_STEP)
    m = cat.missile(ft.target_missile)
    la, lo = map(math.radians, ft.target_launch)
    ta, to = map(math.radians, ft.target_aim)
    try:
        if ft.target_apogee_km is None:
            tgt = aim(m, la, lo, ta, to, options=opt)
        else:
            tgt = aim(m, la, lo, ta, to, mode="apogee", apogee=ft.target_apogee_km * 1e3, options=opt)
    except AimError as exc:
        raise FlightTestError(f"{ft.path}: field 'target.aim_lat_deg': {ft.target_missile} cannot fly there: {exc}") from None
    if not ft.intercept_time < float(tgt.flight_time[0]):
        raise FlightTestError(f"{ft.path}: field 'interceptor.intercept_time_s': {ft.intercept_time:g} s is after the "
                              f"target's impact ({float(tgt.flight_time[0]):.0f} s)")
    p_int, _ = _at(tgt, ft.intercept_time)
    ilat, ilon, _ = E.ecef_to_geodetic(*p_int, opt.earth)
    icp = cat.interceptor(ft.interceptor)
    ila, ilo = map(math.radians, ft.interceptor_launch)
    _, az = E.geodesic_inverse(ila, ilo, float(ilat), float(ilon), opt.earth)
    kicks = np.radians(np.arange(0.5, 70.0, 0.5) if kicks_deg is None else np.asarray(kicks_deg, float))
    veh = icp.as_missile()
    trs = run(veh, ila, ilo, float(az), kick=kicks, options=opt)
    d = np.linalg.norm(trs.samples_r - p_int[None, None, :], axis=2)
    valid = np.arange(d.shape[1])[None, :] < trs.n_samples[:, None]
    d = np.where(valid & np.isfinite(d), d, np.inf)
    j = np.argmin(d, axis=1)
    best = int(np.argmin(d[np.arange(len(j)), j]))
    miss = float(d[best, j[best]])
    tau = float(trs.sample_times[j[best]])
    if not tau > 0 or tau > ft.intercept_time:
        raise FlightTestError(f"{ft.path}: field 'interceptor.intercept_time_s': the interceptor would have to launch "
                              f"before the target ({tau:.0f} s of fly-out to the intercept point)")
    one = run(veh, ila, ilo, float(az), kick=float(kicks[best]), options=opt)
    return FlownTest(ft, tgt, one, ft.intercept_time, ft.intercept_time - tau, tau, miss / 1e3, p_int)


def demonstrated(flown: FlownTest) -> dict:
    """What the test demonstrated (the true values): interceptor burnout speed
    (km/s), target speed at burnout (km/s), target range (km), intercept
    altitude (km)."""
    from . import earth as E

    t = flown.target
    _, _, h = E.ecef_to_geodetic(*flown.intercept_point, t.options.earth)
    return {
        "max_test_interceptor_speed": float(flown.interceptor.burnout_speed[0]) / 1e3,
        "max_test_target_speed": float(t.burnout_speed[0]) / 1e3,
        "max_test_target_range": float(t.ground_range[0]) / 1e3,
        "max_test_intercept_altitude": float(h) / 1e3,
    }


def test_compliance(g, flown: FlownTest) -> list:
    """Each limit on tests of guarantee ``g`` against the flown test (true
    values): :class:`guarantee.Check` per test limit (margin: limit - value)."""
    from .guarantee import TEST_LIMIT_KINDS, Check

    vals = demonstrated(flown)
    out = []
    for lim in g.limits:
        if lim.kind not in TEST_LIMIT_KINDS:
            continue
        limit = lim.params.get("max_km_s", lim.params.get("max_km"))
        m = float(limit - vals[lim.kind])
        what, unit = TEST_LIMIT_KINDS[lim.kind]
        out.append(Check(lim.describe(), m >= 0, m, unit, f"{flown.test.name}: {what} {vals[lim.kind]:.3g} {unit}"))
    return out


test_compliance.__test__ = False  # not a pytest test
