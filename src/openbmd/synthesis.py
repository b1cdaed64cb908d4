"""Synthesising guarantees: the permissible interceptor burnout speed at each
candidate site, the keep-out region of a given interceptor, and the
exposure-versus-coverage trade-off; Monte Carlo over the catalog's ranges.

All of it runs as chunked sweeps (:mod:`openbmd.sweep`): in process, on a
local Dask cluster (``workers``) or an existing one (``scheduler``), with
per-chunk checkpoints; the results do not depend on the number of workers.

Permissible speed (a): at each candidate site (a grid over land and sea,
outside the protected party's territory), the largest burnout speed V on a
grid of levels such that an impulsive interceptor (burnout at the site, at
launch; the altitude band, range and closing-speed limits of a template
interceptor) launched no earlier than the guarantee's launch delay cannot
engage any protected trajectory. Engagement never shrinks with speed (tested),
so V is found by bisection over the levels. Fly-out tables are computed per
latitude band of the chunk (sites of a band share the table of its centre
latitude) at a reduced resolution, stated in the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import geo
from .files import write_new_text
from .engage import Battery, FlyoutTable, ThreatSet, Timeline, engage
from .vehicles import impulsive_interceptor

SPEED_LEVELS = np.round(np.arange(2.0, 8.0001, 0.25), 2)  # km/s
TABLE_RES = dict(n_fan=121, n_range=161, n_alt=81)
BAND_ROWS = 4


@dataclass
class SpeedMap:
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    v_max_km_s: np.ndarray  # (nlat, nlon): largest permissible level; NaN: not a candidate
    table: pd.DataFrame  # lat_deg, lon_deg, v_max_km_s, below_lowest, above_highest
    levels: np.ndarray
    launch_delay_s: float
    template: str
    assumptions: list = field(default_factory=list)
    info: object = None

    def at(self, lat_deg, lon_deg) -> float:
        i = int(np.argmin(np.abs(self.lat_deg - lat_deg)))
        j = int(np.argmin(np.abs(self.lon_deg - lon_deg)))
        return float(self.v_max_km_s[i, j])


def _interceptor(template, v_km_s):
    return impulsive_interceptor(
        v_km_s * 1e3, min_intercept_altitude=template.min_intercept_altitude,
        max_intercept_altitude=template.max_intercept_altitude, max_range=template.max_range,
        min_closing_speed=template.min_closing_speed, tail_chase=template.tail_chase)


def engageable_any(threats: ThreatSet, lat, lon, speeds, table_lat, *, template, launch_delay, options,
                   assessment_time=60.0, coarse_step=24.0, cache=None, table_res=None):
    """For sites (rad) each with its own speed (km/s): can it engage any of the threats?"""
    cache = {} if cache is None else cache
    tl = Timeline(launch_delay=launch_delay, decision_time=0.0)
    bats, tabs = [], []
    for k, (la, lo, v) in enumerate(zip(lat, lon, speeds)):
        ic = _interceptor(template, v)
        key = (round(float(v), 4), round(float(table_lat), 9))
        if key not in cache:
            cache[key] = FlyoutTable.build(ic, table_lat, 0.0, 0.0, options.replace(output_step=None),
                                           **(TABLE_RES if table_res is None else table_res))
        bats.append(Battery(f"site{k}", float(la), float(lo), ic, tl))
        tabs.append(cache[key])
    res = engage(threats, bats, assessment_time=assessment_time, tables=tabs, coarse_step=coarse_step)
    margin = res.margin
    best = np.where(np.isfinite(margin), margin, -np.inf).max(axis=0)
    return res.engageable.any(axis=0), best


def _speed_chunk(chunk: pd.DataFrame, *, sites, threats, template, levels, launch_delay, options, coarse_step):
    """Bisection over the speed levels for the sites of the chunk's latitude bands."""
    return pd.concat([_speed_band(sites[sites["band"] == b], threats=threats, template=template, levels=levels,
                                  launch_delay=launch_delay, options=options, coarse_step=coarse_step)
                      for b in chunk["band"]], ignore_index=True)


def _speed_band(chunk: pd.DataFrame, *, threats, template, levels, launch_delay, options, coarse_step):
    lat = np.radians(chunk["lat_deg"].to_numpy())
    lon = np.radians(chunk["lon_deg"].to_numpy())
    tlat = math.radians(float(chunk["band_lat_deg"].iloc[0]))
    n = len(chunk)
    lo = np.full(n, -1)  # highest level known safe (-1: none)
    hi = np.full(n, len(levels))  # lowest level known to engage (len: none)
    cache: dict = {}
    while True:
        act = np.nonzero(hi - lo > 1)[0]
        if act.size == 0:
            break
        mid = (lo[act] + hi[act]) // 2
        eng, _ = engageable_any(threats, lat[act], lon[act], levels[mid], tlat, template=template,
                                launch_delay=launch_delay, options=options, coarse_step=coarse_step, cache=cache)
        hi[act] = np.where(eng, mid, hi[act])
        lo[act] = np.where(eng, lo[act], mid)
    v = np.where(lo >= 0, levels[np.clip(lo, 0, None)], np.nan)
    return pd.DataFrame({"lat_deg": chunk["lat_deg"].to_numpy(), "lon_deg": chunk["lon_deg"].to_numpy(),
                         "v_max_km_s": v, "below_lowest": lo < 0, "above_highest": hi >= len(levels)})


def protected_threats(g, sc):
    from .analysis.threats import fly_threats

    fl = fly_threats(sc)
    sel = np.nonzero((fl.meta["role"] == g.protected_role).to_numpy())[0]
    if sel.size == 0:
        from .guarantee import GuaranteeError

        raise GuaranteeError(f"{sc.path}: the scenario has no '{g.protected_role}' threats to protect")
    ts = ThreatSet.prepare(fl.trajectories)
    return ThreatSet(fl.trajectories, ts.r[sel], ts.v[sel], ts.h[sel], ts.ns[sel], ts.dt), fl.meta.iloc[sel]


def speed_map(g, sc, *, region=(34.0, 72.0, -12.0, 45.0), step_deg=0.5, template_name="SM-3 Block IIB",
              launch_delay=None, levels=SPEED_LEVELS, workers=None, scheduler=None, checkpoint=None, progress=None,
              exclude_country=None) -> SpeedMap:
    """(a) The largest permissible burnout speed at each candidate site."""
    from .catalog import default_catalog
    from .sweep import run_sweep

    delay = launch_delay if launch_delay is not None else g.launch_delay
    if delay is None:
        from .guarantee import GuaranteeError

        raise GuaranteeError("the permissible-speed map needs a launch delay (the guarantee's launch_delay_s, or "
                             "--launch-delay-s): candidate sites have no radars of their own")
    template = default_catalog().interceptor(template_name)
    threats, _ = protected_threats(g, sc)
    la0, la1, lo0, lo1 = region
    lat = np.arange(la0 + step_deg / 2, la1, step_deg)
    lon = np.arange(lo0 + step_deg / 2, lo1, step_deg)
    LA, LO = np.meshgrid(lat, lon, indexing="ij")
    cand = np.ones(LA.shape, bool)
    country = exclude_country or g.protected_party
    if country:
        try:
            cand &= ~geo.country_mask(country, LA.ravel(), LO.ravel()).reshape(LA.shape)
        except ValueError:
            pass
    rows = []
    band = np.arange(len(lat)) // BAND_ROWS
    for i in range(len(lat)):
        b = band[i]
        blat = float(lat[band == b].mean())
        for j in range(len(lon)):
            if cand[i, j]:
                rows.append((lat[i], lon[j], blat, int(b)))
    table = pd.DataFrame(rows, columns=["lat_deg", "lon_deg", "band_lat_deg", "band"])
    # one latitude band per task, the largest first (the last tasks then leave little idle time to the workers)
    sizes = table.groupby("band").size().sort_values(ascending=False, kind="stable")
    bands = pd.DataFrame({"band": sizes.index.to_numpy(), "sites": sizes.to_numpy()})
    kwargs = dict(sites=table, threats=threats, template=template, levels=np.asarray(levels, float),
                  launch_delay=float(delay), options=sc.options, coarse_step=sc.coarse_step)
    df, info = run_sweep(_speed_chunk, bands, chunk_size=1, kwargs=kwargs,
                         workers=workers, scheduler=scheduler, checkpoint=checkpoint, progress=progress,
                         return_info=True,
                         fingerprint_extra=("speed_map", g.name, sc.name, tuple(np.asarray(levels).tolist()),
                                            float(delay), template_name, len(threats.ns)))
    V = np.full(LA.shape, np.nan)
    ii = np.searchsorted(lat, df["lat_deg"].to_numpy())
    jj = np.searchsorted(lon, df["lon_deg"].to_numpy())
    ii = np.clip(ii, 0, len(lat) - 1)
    jj = np.clip(jj, 0, len(lon) - 1)
    V[ii, jj] = df["v_max_km_s"].to_numpy()
    assumptions = [
        f"candidate sites every {step_deg:g} deg over lat {la0:g}..{la1:g}, lon {lo0:g}..{lo1:g}, land and sea, "
        f"outside {country or 'no country'}",
        f"impulsive interceptor (burnout at the site, at launch) with the limits of {template.name}: intercept altitude "
        f"{template.min_intercept_altitude / 1e3:g}-{template.max_intercept_altitude / 1e3:g} km, range <= "
        f"{template.max_range / 1e3:,.0f} km",
        f"interceptor launch no earlier than {delay:g} s after the threat's launch",
        f"speed levels {levels[0]:g}-{levels[-1]:g} km/s every {levels[1] - levels[0]:g} km/s; the permissible speed is "
        "the highest level at which no protected trajectory can be engaged",
        f"fly-out tables per {BAND_ROWS * step_deg:g} deg latitude band at {TABLE_RES['n_fan']} fan members, "
        f"{TABLE_RES['n_range']} x {TABLE_RES['n_alt']} range x altitude cells",
        f"{len(threats.ns)} protected trajectories ({g.protected_role}) of scenario {sc.name!r}",
    ]
    return SpeedMap(lat, lon, V, df, np.asarray(levels), float(delay), template.name, assumptions, info)


def _toml_str(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_speed_guarantee(g, sm: SpeedMap, sites, path) -> str:
    """A guarantee file with, at each site ((label, lat rad, lon rad)), the
    largest permissible burnout speed of the map as a limit on the map cell
    around it, under the map's launch-delay assumption. Never overwrites."""
    from pathlib import Path

    from .guarantee import GuaranteeError

    p = Path(path)
    step = float(sm.lat_deg[1] - sm.lat_deg[0]) if len(sm.lat_deg) > 1 else 1.0
    lines = [
        f"# Synthesised by openbmd from the guarantee {g.name!r} ({g.path}):",
        "# the largest permissible interceptor burnout speed at each site, from the",
        "# permissible-speed map. Assumptions of the map:",
        *[f"#   - {a}" for a in sm.assumptions],
        "",
        "[guarantee]",
        f"name = {_toml_str(g.name + ' (synthesised speed limits)')}",
        f"protected_party = {_toml_str(g.protected_party)}",
        f"description = {_toml_str('Site-by-site burnout speed limits synthesised by openbmd guarantee synthesize speed-map')}",
        "",
        "[assumptions]",
        'cue = "launch_delay"',
        f"launch_delay_s = {float(sm.launch_delay_s)!r}",
        f"protected_role = {_toml_str(g.protected_role)}",
        f"mission_role = {_toml_str(g.mission_role)}",
        f"min_mission_coverage = {float(g.min_mission_coverage)!r}",
    ]
    for label, la, lo in sites:
        la_d, lo_d = math.degrees(la), math.degrees(lo)
        v = sm.at(la_d, lo_d)
        if not math.isfinite(v):
            raise GuaranteeError(f"site {label}: no permissible speed at {la_d:.2f}, {lo_d:.2f} (not a candidate site, "
                                 f"or unsafe even at {sm.levels[0]:g} km/s)")
        i = int(np.argmin(np.abs(sm.lat_deg - la_d)))
        j = int(np.argmin(np.abs(sm.lon_deg - lo_d)))
        a, o, h, v = float(sm.lat_deg[i]), float(sm.lon_deg[j]), step / 2, float(v)
        lines += ["", f"# {label}", "[[limit]]", 'kind = "max_burnout_speed"', f"max_km_s = {v!r}",
                  f"polygon_deg = [[{a - h!r}, {o - h!r}], [{a - h!r}, {o + h!r}], [{a + h!r}, {o + h!r}], [{a + h!r}, {o - h!r}]]"]
    return str(write_new_text(p, "\n".join(lines) + "\n", GuaranteeError))


def refine_site_limit(g, sc, lat_deg, lon_deg, *, lo_km_s, hi_km_s, launch_delay, template_name="SM-3 Block IIB",
                      tol_km_s=0.02):
    """The permissible burnout speed at one site to ``tol_km_s``, by bisection
    between a safe ``lo`` and an engaging ``hi`` speed, with full-resolution
    fly-out tables at the site's own latitude (as verification uses)."""
    from .catalog import default_catalog

    template = default_catalog().interceptor(template_name)
    threats, meta = protected_threats(g, sc)
    la, lo_ = math.radians(lat_deg), math.radians(lon_deg)

    def eng(v):
        e, _ = engageable_any(threats, [la], [lo_], [v], la, template=template, launch_delay=launch_delay,
                              options=sc.options, coarse_step=sc.coarse_step, table_res={})
        return bool(e[0])

    if eng(lo_km_s):
        raise ValueError(f"the site engages a protected trajectory already at {lo_km_s:g} km/s")
    if not eng(hi_km_s):
        return float("inf")
    a, b = lo_km_s, hi_km_s
    while b - a > tol_km_s:
        m = 0.5 * (a + b)
        a, b = (a, m) if eng(m) else (m, b)
    return a


def keep_out(sm: SpeedMap, speed_km_s: float) -> pd.DataFrame:
    """(b) Where an interceptor of the given burnout speed must not be based:
    the candidate cells whose permissible speed is below it (cells safe even
    at the highest level are never in it)."""
    t = sm.table
    v = t["v_max_km_s"].to_numpy()
    bad = np.where(np.isnan(v), ~t["above_highest"].to_numpy(), v < speed_km_s - 1e-9)
    return t[bad].reset_index(drop=True)


# --------------------------------------------------------- radar sectors ----
@dataclass
class RadarSector:
    radar: str
    azimuth_min_deg: float  # the permissible field of view, clockwise from min to max
    azimuth_max_deg: float
    protected_azimuths_deg: np.ndarray  # azimuths at which the radar would see protected trajectories
    mission_share_in_sector: float  # share of the mission's trajectories the radar still sees within the sector
    assumptions: list = field(default_factory=list)

    @property
    def width_deg(self) -> float:
        return (self.azimuth_max_deg - self.azimuth_min_deg) % 360.0


def radar_sector(g, sc, radar_name: str, *, bin_deg: float = 1.0, guard_deg: float = 2.0) -> RadarSector:
    """(c) The widest azimuth sector a radar may keep (as its field of view)
    without ever detecting a protected trajectory: the largest gap between the
    azimuths at which it would detect one with an all-round field of view (its
    range, elevation limits and the threat's RCS applied), narrowed by
    ``guard_deg`` on each side."""
    from .analysis.threats import fly_threats
    from .guarantee import GuaranteeError

    if radar_name not in sc.radars:
        from .tomlsource import suggest

        raise GuaranteeError(f"no radar {radar_name!r} in scenario {sc.name!r}{suggest(radar_name, sc.radars)}")
    r = sc.radars[radar_name]
    full = r.replace(boresight_azimuth=0.0, azimuth_half_width=math.pi)
    fl = fly_threats(sc)
    tr = fl.trajectories
    vis = full.visible(tr.samples_r, sc.rcs, tr.options.earth)
    vis &= np.arange(tr.samples_r.shape[1])[None, :] < tr.n_samples[:, None]
    az, _, _ = full.look(tr.samples_r, tr.options.earth)
    azd = np.degrees(az) % 360.0
    prot = (fl.meta["role"] == g.protected_role).to_numpy()
    mis = (fl.meta["role"] == g.mission_role).to_numpy()
    seen = azd[prot[:, None] & vis]
    nb = int(round(360.0 / bin_deg))
    occ = np.zeros(nb, bool)
    if seen.size:
        occ[(seen / bin_deg).astype(int) % nb] = True
    if not occ.any():
        lo_, hi_ = 0.0, 360.0
    elif occ.all():
        raise GuaranteeError(f"radar {radar_name} sees protected trajectories in every direction: no sector is permissible")
    else:
        # the longest run of free bins, around the circle
        free = ~occ
        k0 = int(np.argmax(occ))  # start scanning just after an occupied bin
        best, best_start, run, start = 0, 0, 0, 0
        for s in range(1, nb + 1):
            i = (k0 + s) % nb
            if free[i]:
                if run == 0:
                    start = i
                run += 1
                if run > best:
                    best, best_start = run, start
            else:
                run = 0
        lo_ = best_start * bin_deg + guard_deg
        hi_ = (best_start + best) * bin_deg - guard_deg
        if hi_ <= lo_:
            raise GuaranteeError(f"radar {radar_name}: no sector wider than {2 * guard_deg:g} deg avoids the protected trajectories")
    lo_, hi_ = lo_ % 360.0, hi_ % 360.0 if hi_ < 360.0 else 360.0
    width = (hi_ - lo_) % 360.0 or 360.0
    inside = ((azd - lo_) % 360.0) <= width
    mshare = float((vis & inside)[mis].any(axis=1).mean()) if mis.any() else float("nan")
    assumptions = [f"radar {r.name} at {math.degrees(r.lat):.2f}, {math.degrees(r.lon):.2f}: detection range "
                   f"{float(r.detection_range(sc.rcs)) / 1e3:,.0f} km on {sc.rcs:g} m^2, elevation >= "
                   f"{math.degrees(r.min_elevation):g} deg; azimuth bins of {bin_deg:g} deg, {guard_deg:g} deg guard",
                   f"{int(prot.sum())} protected and {int(mis.sum())} mission trajectories of scenario {sc.name!r}"]
    return RadarSector(r.name, lo_, hi_, np.unique(np.round(seen)), mshare, assumptions)


def write_sector_guarantee(g, sector: RadarSector, path) -> str:
    from pathlib import Path

    from .guarantee import GuaranteeError

    p = Path(path)
    lines = [f"# Synthesised by openbmd from the guarantee {g.name!r}: the radar's permissible field of view.",
             *[f"#   - {a}" for a in sector.assumptions], "", "[guarantee]",
             f"name = {_toml_str(g.name + ' (synthesised radar sector)')}", f"protected_party = {_toml_str(g.protected_party)}",
             "", "[assumptions]", 'cue = "scenario"', f"protected_role = {_toml_str(g.protected_role)}",
             f"mission_role = {_toml_str(g.mission_role)}", f"min_mission_coverage = {float(g.min_mission_coverage)!r}",
             "", "[[limit]]", 'kind = "radar_sector"', f"radar = {_toml_str(sector.radar)}",
             f"azimuth_min_deg = {float(sector.azimuth_min_deg)!r}", f"azimuth_max_deg = {float(sector.azimuth_max_deg)!r}"]
    return str(write_new_text(p, "\n".join(lines) + "\n", GuaranteeError))


# ------------------------------------------------------------ trade-off ----
def _tradeoff_chunk(chunk: pd.DataFrame, *, g, sc):
    from dataclasses import replace as dreplace

    from .analysis import assess
    from .guarantee import claim_scenario

    base = claim_scenario(g, sc)
    rows = []
    for v in chunk["max_km_s"].to_numpy(float):
        bats = []
        for b in base.batteries:
            ic = b.interceptor
            if ic.burnout_speed > v * 1e3:
                ic = ic.with_burnout_speed(v * 1e3)
            bats.append(dreplace(b, interceptor=ic))
        a = assess(dreplace(base, batteries=bats))
        t = a.per_threat()
        prot = t[t["role"] == g.protected_role]
        mis = t[t["role"] == g.mission_role]
        bm = prot["best_margin_s"]
        rows.append({"max_km_s": v, "protected_engageable_share": float(prot["engageable"].mean()),
                     "protected_best_margin_s": float(bm.max()) if bm.notna().any() else np.nan,
                     "mission_coverage": float(mis["engageable"].mean()) if len(mis) else np.nan})
    return pd.DataFrame(rows)


def tradeoff(g, sc, speeds=None, *, workers=None, scheduler=None, checkpoint=None, progress=None) -> pd.DataFrame:
    """(d) Exposure of the protected party versus the mission's coverage as a
    speed limit (applied to every battery: faster interceptors slowed to it,
    their boosters rescaled) tightens."""
    from .sweep import run_sweep

    if speeds is None:
        top = max(b.interceptor.burnout_speed for b in sc.batteries) / 1e3
        speeds = np.round(np.arange(2.0, max(top, 2.0) + 1e-9, 0.25), 2)[::-1]
    table = pd.DataFrame({"max_km_s": np.asarray(speeds, float)})
    df = run_sweep(_tradeoff_chunk, table, chunk_size=1, kwargs=dict(g=g, sc=sc), workers=workers,
                   scheduler=scheduler, checkpoint=checkpoint, progress=progress,
                   fingerprint_extra=("tradeoff", g.name, sc.name))
    return df.reset_index(drop=True)


def write_keepout_guarantee(g, sm: SpeedMap, speed_km_s: float, path, interceptor_name: str = "") -> str:
    """A guarantee file whose keep-out limits are the cells where an
    interceptor of ``speed_km_s`` must not be based (runs of cells along each
    latitude row as rectangles), under the map's launch-delay assumption."""
    from pathlib import Path

    from .guarantee import GuaranteeError

    p = Path(path)
    ko = keep_out(sm, speed_km_s)
    step = float(sm.lat_deg[1] - sm.lat_deg[0]) if len(sm.lat_deg) > 1 else 1.0
    h = step / 2
    lines = [f"# Synthesised by openbmd from the guarantee {g.name!r}: where an interceptor of "
             f"{speed_km_s:g} km/s{(' (' + interceptor_name + ')') if interceptor_name else ''} must not be based.",
             *[f"#   - {a}" for a in sm.assumptions], "", "[guarantee]",
             f"name = {_toml_str(g.name + f' (keep-out for {speed_km_s:g} km/s)')}",
             f"protected_party = {_toml_str(g.protected_party)}", "", "[assumptions]", 'cue = "launch_delay"',
             f"launch_delay_s = {float(sm.launch_delay_s)!r}", f"protected_role = {_toml_str(g.protected_role)}",
             f"mission_role = {_toml_str(g.mission_role)}", f"min_mission_coverage = {float(g.min_mission_coverage)!r}"]
    for la, grp in ko.groupby("lat_deg", sort=True):
        lons = np.sort(grp["lon_deg"].to_numpy())
        breaks = np.nonzero(np.diff(lons) > step * 1.01)[0]
        for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks, len(lons) - 1]):
            o0, o1 = float(lons[a]) - h, float(lons[b]) + h
            la0, la1 = float(la) - h, float(la) + h
            lines += ["", "[[limit]]", 'kind = "keep_out"',
                      f"polygon_deg = [[{la0!r}, {o0!r}], [{la0!r}, {o1!r}], [{la1!r}, {o1!r}], [{la1!r}, {o0!r}]]"]
    return str(write_new_text(p, "\n".join(lines) + "\n", GuaranteeError))


def write_tradeoff_guarantee(g, curve: pd.DataFrame, v_km_s: float, path) -> str:
    """The trade-off's point at ``v_km_s`` as a guarantee: the speed limit
    everywhere (Europe and adjacent seas), the original limits and
    assumptions otherwise, and the mission coverage the curve found there."""
    from pathlib import Path

    from .guarantee import GuaranteeError

    p = Path(path)
    row = curve[np.isclose(curve["max_km_s"], v_km_s)]
    if row.empty:
        raise GuaranteeError(f"{v_km_s:g} km/s is not a point of the curve ({', '.join(f'{x:g}' for x in curve['max_km_s'])})")
    r = row.iloc[0]
    cov = float(r["mission_coverage"]) if np.isfinite(r["mission_coverage"]) else 0.0
    lines = [f"# Synthesised by openbmd from the guarantee {g.name!r}: the exposure-coverage trade-off at {v_km_s:g} km/s",
             f"# (protected trajectories engageable there: {100 * r['protected_engageable_share']:.1f} %; "
             f"mission coverage {100 * cov:.1f} %).", "", "[guarantee]",
             f"name = {_toml_str(g.name + f' (speed limit {v_km_s:g} km/s)')}", f"protected_party = {_toml_str(g.protected_party)}",
             "", "[assumptions]", f"cue = {_toml_str(g.cue)}"]
    if g.cue == "launch_delay":
        lines.append(f"launch_delay_s = {float(g.launch_delay)!r}")
    lines += [f"protected_role = {_toml_str(g.protected_role)}", f"mission_role = {_toml_str(g.mission_role)}",
              f"min_mission_coverage = {math.floor(cov * 1000) / 1000!r}", "", "[[limit]]", 'kind = "max_burnout_speed"',
              f"max_km_s = {float(v_km_s)!r}"]
    return str(write_new_text(p, "\n".join(lines) + "\n", GuaranteeError))
