"""``footprint``: the defended area over a grid of aim points.

For threats of one missile from one launch area, every land point of a
latitude/longitude grid is an aim point: a minimum-energy trajectory is flown
to it (:func:`aim_fan`: exact aims on a small polar table, interpolated and
corrected per point, with the miss distance checked) and engaged by every
battery of the architecture. An aim point is *defended* when at least one
battery can engage the trajectory to it; its shot opportunities are summed
over batteries. Areas are cell areas on the WGS84 authalic sphere; country
shares are of the country's land cells inside the grid; population centres
are the catalog's cities inside the region, flown to directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import geo
from ..catalog import default_catalog
from ..engage import engage
from .assess import engine_batteries, prepared, tables_for
from .threats import aim_fan

OUT_OF_REACH, UNDEFENDED, DEFENDED = -1, 0, 1
_FANS: dict = {}


@dataclass
class Footprint:
    scenario_name: str
    launch_area: str
    missile: str
    lat_deg: np.ndarray  # grid cell centres (1-D)
    lon_deg: np.ndarray
    step_deg: float
    status: np.ndarray  # (nlat, nlon): NaN at sea, -1 out of reach, 0 undefended, 1 defended
    shots: np.ndarray  # shot opportunities summed over batteries (NaN where not flown)
    margin: np.ndarray  # best margin over batteries (s)
    cell_area_km2: np.ndarray
    countries: pd.DataFrame  # country, land_area_km2, reachable_km2, defended_km2, defended_share
    cities: pd.DataFrame  # city, lat_deg, lon_deg, reachable, defended, shots, margin_s
    max_miss_km: float
    assumptions: list

    @property
    def defended_area_km2(self) -> float:
        return float(self.cell_area_km2[self.status == DEFENDED].sum())

    @property
    def reachable_area_km2(self) -> float:
        return float(self.cell_area_km2[(self.status == DEFENDED) | (self.status == UNDEFENDED)].sum())

    @property
    def defended_share(self) -> float:
        r = self.reachable_area_km2
        return self.defended_area_km2 / r if r > 0 else float("nan")

    def summary(self) -> dict:
        return {
            "scenario": self.scenario_name, "launch_area": self.launch_area, "missile": self.missile,
            "step_deg": self.step_deg, "defended_area_km2": self.defended_area_km2,
            "reachable_land_area_km2": self.reachable_area_km2, "defended_share_of_reachable": self.defended_share,
            "aim_points": int(np.isfinite(self.status).sum()),
            "defended_aim_points": int((self.status == DEFENDED).sum()),
            "max_miss_km": self.max_miss_km,
        }

    def to_dataframe(self) -> pd.DataFrame:
        la, lo = np.meshgrid(self.lat_deg, self.lon_deg, indexing="ij")
        ok = np.isfinite(self.status)
        return pd.DataFrame({
            "lat_deg": la[ok], "lon_deg": lo[ok], "status": self.status[ok].astype(int),
            "defended": self.status[ok] == DEFENDED, "shots": self.shots[ok], "best_margin_s": self.margin[ok],
            "cell_area_km2": self.cell_area_km2[ok],
        })


def footprint(scenario, spec=None, progress=None, step_deg: float | None = None) -> Footprint:
    """The defended footprint of ``scenario``'s architecture for its
    ``[analyses.footprint]`` (or the given :class:`FootprintSpec`)."""
    spec = spec or scenario.footprint
    if spec is None:
        raise ValueError(f"scenario {scenario.name!r} has no [analyses.footprint] (launch_area, missile, region_deg)")
    step = step_deg or spec.step
    la0, la1, lo0, lo1 = spec.region
    lat = np.arange(la0 + step / 2, la1, step)
    lon = np.arange(lo0 + step / 2, lo1, step)
    LA, LO = np.meshgrid(lat, lon, indexing="ij")
    land = geo.land_mask(LA.ravel(), LO.ravel()).reshape(LA.shape)
    area = geo.grid_cell_area_km2(LA, step, step)
    # population centres: the catalog's cities inside the region
    cities = [p for p in default_catalog().places_of_kind("city")
              if la0 <= p.lat_deg <= la1 and lo0 <= p.lon_deg <= lo1]
    tlat = np.concatenate([np.radians(LA[land]), np.array([c.lat for c in cities])])
    tlon = np.concatenate([np.radians(LO[land]), np.array([c.lon for c in cities])])
    opts = scenario.options
    key = (spec.missile.name, spec.missile.stages, spec.launch_area.lat, spec.launch_area.lon, spec.region, step,
           opts, scenario.threat_step)
    if key not in _FANS:
        # the same threat fan serves every architecture (the phases of a comparison fly it once)
        _FANS.clear()
        _FANS[key] = aim_fan(spec.missile, spec.launch_area.lat, spec.launch_area.lon, tlat, tlon, options=opts,
                             output_step=scenario.threat_step)
    tr, idx, _ = _FANS[key]
    n_grid = int(land.sum())
    eng_any = np.zeros(tlat.size, bool)
    shots = np.full(tlat.size, np.nan)
    margin = np.full(tlat.size, np.nan)
    reach = np.zeros(tlat.size, bool)
    reach[idx] = True
    max_miss = 0.0
    if tr is not None and len(idx) and scenario.batteries:
        max_miss = float(np.max(tr.miss_distance)) / 1e3
        bats, parent, tlats = engine_batteries(scenario)
        res = engage(prepared(tr), bats, assessment_time=scenario.assessment_time,
                     tables=tables_for(bats, opts, tlats), coarse_step=scenario.coarse_step)
        e = res.engageable
        sh = np.zeros(len(idx))
        for j in range(len(scenario.batteries)):
            cols = parent == j
            sh += res.shots[:, cols].max(axis=1)
        m = np.where(np.isfinite(res.margin), res.margin, -np.inf).max(axis=1)
        eng_any[idx] = e.any(axis=1)
        shots[idx] = sh
        margin[idx] = np.where(np.isfinite(m), m, np.nan)
    elif tr is not None and len(idx):
        max_miss = float(np.max(tr.miss_distance)) / 1e3
        shots[idx] = 0.0
    if progress:
        progress(1)  # one step per footprint
    status = np.full(LA.shape, np.nan)
    st = np.where(reach[:n_grid], np.where(eng_any[:n_grid], DEFENDED, UNDEFENDED), OUT_OF_REACH).astype(float)
    status[land] = st
    shots_g = np.full(LA.shape, np.nan)
    shots_g[land] = shots[:n_grid]
    margin_g = np.full(LA.shape, np.nan)
    margin_g[land] = margin[:n_grid]
    rows = []
    for c in spec.countries:
        cm = geo.country_mask(c, LA.ravel(), LO.ravel()).reshape(LA.shape) & land
        rows.append({
            "country": geo.country(c).name,
            "land_area_in_grid_km2": float(area[cm].sum()),
            "reachable_km2": float(area[cm & (status >= 0)].sum()),
            "defended_km2": float(area[cm & (status == DEFENDED)].sum()),
        })
    countries = pd.DataFrame(rows, columns=["country", "land_area_in_grid_km2", "reachable_km2", "defended_km2"])
    countries["defended_share"] = countries["defended_km2"] / countries["land_area_in_grid_km2"].where(
        countries["land_area_in_grid_km2"] > 0)
    ci = np.arange(n_grid, tlat.size)
    cities_df = pd.DataFrame({
        "city": [c.name for c in cities], "lat_deg": [c.lat_deg for c in cities], "lon_deg": [c.lon_deg for c in cities],
        "reachable": reach[ci], "defended": eng_any[ci], "shots": shots[ci], "best_margin_s": margin[ci],
    })
    assumptions = [
        f"footprint: {spec.missile.name} from {spec.launch_area.name}, minimum-energy shots to every land point of a "
        f"{step:g} deg grid over lat {la0:g}..{la1:g}, lon {lo0:g}..{lo1:g} (Natural Earth 1:50m land)",
        f"aim points within 0.5 % of the missile's maximum range along their azimuth are counted as out of reach; "
        f"largest miss distance of the flown shots {max_miss:.2f} km",
        "defended: at least one battery can engage the trajectory to the aim point; cell areas on the WGS84 authalic sphere",
    ]
    return Footprint(scenario.name, spec.launch_area.name, spec.missile.name, lat, lon, step, status, shots_g, margin_g,
                     np.where(land, area, 0.0), countries, cities_df, max_miss, assumptions)
