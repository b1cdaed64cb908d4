"""``assess``: every threat of a scenario against every battery.

A ship in a patrol box is evaluated at each of its sample stations and counts
as able to engage when it can from at least one of them (the best station is
reported). Per pair: engageable, margin, window, intercept point, shots; then
summaries per threat and per launch field (and target group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engage import Battery, FlyoutTable, ThreatSet, Timeline, engage
from ..sensors import Radar
from .threats import ThreatFlights, fly_threats

_TABLES: dict = {}


def engine_batteries(scenario):
    """The scenario's batteries as engine :class:`Battery` objects, one per
    station, the index of the scenario battery each belongs to, and the
    latitude whose fly-out table each uses (a patrol box's stations share the
    table of the box's centre). The doctrine's tail-chase rule is applied to
    each interceptor (one that allows tail chase keeps it)."""
    out, parent, tlat = [], [], []
    for j, b in enumerate(scenario.batteries):
        ic = intercept_rules(b.interceptor, scenario)
        for k, (la, lo) in enumerate(b.stations):
            name = b.name if len(b.stations) == 1 else f"{b.name} #{k + 1}"
            out.append(Battery(name, la, lo, ic, timeline_for(scenario, b, (la, lo)), count=b.count))
            parent.append(j)
            tlat.append(b.stations[0][0])
    return out, np.array(parent, dtype=int), tlat


def intercept_rules(ic, scenario):
    """The interceptor under the scenario's tail-chase rule."""
    if ic.tail_chase:
        return ic
    rule = getattr(scenario, "tail_chase", "low-closing-speed")
    if rule == "allowed":
        return ic.replace(tail_chase=True)
    if rule == "receding":
        return ic.replace(tail_chase_closing_speed=np.inf)
    return ic.replace(tail_chase_closing_speed=scenario.tail_chase_closing_speed)


def timeline_for(scenario, b, station) -> Timeline:
    """The engine timeline of scenario battery ``b`` at ``station`` (lat, lon):
    its cue sources, own radar (a ship's placed at the station), mode and
    network, with the scenario's signatures, decision and handover times."""
    if not b.cues and b.own_radar is None:
        return Timeline(launch_delay=scenario.launch_delay, decision_time=scenario.decision_time)
    rcs = scenario.signatures if scenario.signatures is not None else scenario.rcs
    own = b.own_radar
    if own is not None and own.mobile:
        own = own.at(lat=station[0], lon=station[1])
    srcs = []
    for c in b.cues:
        if own is not None and c == b.own_radar.name:
            continue
        srcs.append(scenario.radars[c] if c in scenario.radars else scenario.satellites[c])
    radar = None
    if own is None and srcs and isinstance(srcs[0], Radar):
        radar, srcs = srcs[0], srcs[1:]
    net = scenario.networks.get(b.network) if b.network else None
    return Timeline(radar=radar, own=own, remote=tuple(srcs), network=net, mode=b.mode,
                    track_time=scenario.track_time, decision_time=scenario.decision_time, rcs=rcs,
                    launch_delay=scenario.launch_delay, handover_time=scenario.handover_time)


_PREPARED: dict = {}


def prepared(trajectories) -> ThreatSet:
    """:meth:`ThreatSet.prepare` once per trajectory set (the phases of a
    comparison share their threat set, and with it its coarse samples)."""
    hit = _PREPARED.get(id(trajectories))
    if hit is not None and hit[0] is trajectories:
        return hit[1]
    if len(_PREPARED) >= 8:
        _PREPARED.pop(next(iter(_PREPARED)))
    ts = ThreatSet.prepare(trajectories)
    _PREPARED[id(trajectories)] = (trajectories, ts)
    return ts


def _table_key(ic, lat, options):
    return (ic.name, ic.burnout_speed, ic.stages, ic.max_intercept_altitude, ic.max_range, round(lat, 9), options)


def tables_for(batteries, options, table_lats=None, table_res=None):
    """Fly-out tables, cached across scenarios (a phase comparison builds each
    interceptor's table at each site latitude once). ``table_res``: keywords
    of :meth:`FlyoutTable.build` (fan and grid sizes) when not the default."""
    opts = options.replace(output_step=None)
    out = []
    res = dict(table_res or {})
    for i, b in enumerate(batteries):
        lat = b.lat if table_lats is None else table_lats[i]
        key = _table_key(b.interceptor, lat, opts) + (tuple(sorted(res.items())),)
        if key not in _TABLES:
            _TABLES[key] = FlyoutTable.build(b.interceptor, lat, 0.0, b.alt, opts, **res)
        out.append(_TABLES[key])
    return out


@dataclass
class Assessment:
    """Threats x scenario batteries (best station of each)."""

    scenario: object
    flights: ThreatFlights
    pairs: pd.DataFrame  # one row per threat and battery
    engagements: object  # the engine result over stations
    parent: np.ndarray

    @property
    def meta(self):
        return self.flights.meta

    @property
    def engageable(self) -> np.ndarray:
        """(threats, batteries) boolean."""
        n, m = len(self.flights), len(self.scenario.batteries)
        return self.pairs["engageable"].to_numpy().reshape(n, m)

    @property
    def before_release(self) -> np.ndarray:
        """(threats, batteries) boolean: the earliest intercept meets the bus
        before it releases its last warhead."""
        n, m = len(self.flights), len(self.scenario.batteries)
        if "before_release" not in self.pairs:
            return np.zeros((n, m), dtype=bool)
        return self.pairs["before_release"].to_numpy(dtype=bool).reshape(n, m)

    @property
    def margin(self) -> np.ndarray:
        n, m = len(self.flights), len(self.scenario.batteries)
        return self.pairs["margin_s"].to_numpy().reshape(n, m)

    def per_threat(self) -> pd.DataFrame:
        """One row per threat trajectory: engageable by any battery, by how
        many, the best margin and which battery, the total shot opportunities."""
        eng = self.engageable
        mar = self.margin
        mm = np.where(np.isfinite(mar), mar, -np.inf)
        if mm.shape[1] == 0:  # no defence at all
            mm = np.full((mm.shape[0], 1), -np.inf)
        best = np.argmax(mm, axis=1)
        names = np.array([b.name for b in self.scenario.batteries], dtype=object)
        shots = self.pairs["shots"].to_numpy().reshape(eng.shape)
        df = self.meta[["group", "role", "launch", "target", "missile", "profile", "label"]].copy()
        df["engageable"] = eng.any(axis=1)
        df["batteries_able"] = eng.sum(axis=1)
        bm = mm[np.arange(len(best)), best]
        df["best_margin_s"] = np.where(np.isfinite(bm), bm, np.nan)
        df["best_battery"] = np.where(np.isfinite(bm), names[np.minimum(best, max(len(names) - 1, 0))] if len(names) else None, None)
        df["shots"] = shots.sum(axis=1)
        tr = self.flights.trajectories
        df["apogee_km"] = tr.apogee / 1e3
        df["flight_time_s"] = tr.flight_time
        df["ground_range_km"] = tr.ground_range / 1e3
        return df

    def per_field(self) -> pd.DataFrame:
        """Share of trajectories engageable per role, threat group and launch field."""
        t = self.per_threat()
        g = t.groupby(["role", "group", "launch"], sort=False)
        out = g.agg(trajectories=("engageable", "size"), engageable=("engageable", "sum"),
                    best_margin_s=("best_margin_s", "max")).reset_index()
        out["engageable_share"] = out["engageable"] / out["trajectories"]
        return out

    def per_role(self) -> pd.DataFrame:
        t = self.per_threat()
        g = t.groupby("role", sort=False)
        out = g.agg(trajectories=("engageable", "size"), engageable=("engageable", "sum"),
                    best_margin_s=("best_margin_s", "max"),
                    median_margin_s=("best_margin_s", lambda s: float(np.nanmedian(s)) if s.notna().any() else np.nan),
                    shots=("shots", "sum")).reset_index()
        out["engageable_share"] = out["engageable"] / out["trajectories"]
        return out

    def share(self, role: str) -> float:
        t = self.per_threat()
        sel = t["role"] == role
        return float(t.loc[sel, "engageable"].mean()) if sel.any() else float("nan")

    def closest(self, role: str):
        """The trajectory of ``role`` that comes closest to being engaged (the
        largest margin, engageable or not): a row of per_threat, or None."""
        t = self.per_threat()
        t = t[(t["role"] == role) & t["best_margin_s"].notna()]
        if t.empty:
            return None
        return t.loc[t["best_margin_s"].idxmax()]

    def assumptions(self) -> list[str]:
        return self.scenario.assumptions() + [
            f"{len(self.flights)} threat trajectories flown"
            + (f"; {len(self.flights.skipped)} pairs skipped (see the skipped table)" if len(self.flights.skipped) else ""),
            "a ship in a patrol box counts as able to engage when it can from at least one sample station; "
            "its stations share the fly-out table computed at the box's centre latitude",
        ]


def assess(scenario, progress=None) -> Assessment:
    """The engagement matrix of every threat against every battery."""
    flights = fly_threats(scenario)
    bats, parent, tlats = engine_batteries(scenario)
    m = len(scenario.batteries)
    if m == 0:  # nothing deployed (a base scenario): nothing can be engaged
        cols = ["threat", "label", "role", "battery", "interceptor", "station", "engageable", "earliest_launch_s",
                "latest_launch_s", "margin_s", "earliest_intercept_s", "latest_intercept_s", "intercept_lat_deg",
                "intercept_lon_deg", "intercept_alt_km", "closing_speed_km_s", "shots"]
        if progress:
            progress(1)
        return Assessment(scenario, flights, pd.DataFrame({c: [] for c in cols}), None, parent)
    ts = prepared(flights.trajectories)
    tables = tables_for(bats, scenario.options, tlats)
    res = engage(ts, bats, assessment_time=scenario.assessment_time, tables=tables, coarse_step=scenario.coarse_step)
    if progress:
        progress(1)
    return from_engagements(scenario, flights, res, bats, parent)


def from_engagements(scenario, flights: ThreatFlights, res, bats, parent) -> Assessment:
    """The :class:`Assessment` of an engine result over the scenario's battery
    stations (``engine_batteries``): the best station of each battery per
    threat (used by :func:`assess`, and by the tracking analysis with the
    filter's launch times)."""
    n = len(flights)
    m = len(scenario.batteries)
    # best station per scenario battery: engageable first, then the largest margin
    margin = res.margin
    score = np.where(res.engageable, 1e9, 0.0) + np.where(np.isfinite(margin), margin, -1e8)
    best = np.zeros((n, m), dtype=int)
    for j in range(m):
        cols = np.nonzero(parent == j)[0]
        best[:, j] = cols[np.argmax(score[:, cols], axis=1)]
    rows = np.arange(n)[:, None]
    lat, lon, h = res.intercept_point()
    pick = lambda a: a[rows, best].ravel()  # noqa: E731
    sb = scenario.batteries
    df = pd.DataFrame({
        "threat": np.repeat(np.arange(n), m),
        "label": np.repeat(flights.meta["label"].to_numpy(dtype=object), m),
        "role": np.repeat(flights.meta["role"].to_numpy(dtype=object), m),
        "battery": np.tile(np.array([b.name for b in sb], dtype=object), n),
        "interceptor": np.tile(np.array([b.interceptor.name for b in sb], dtype=object), n),
        "station": np.array([bats[k].name for k in best.ravel()], dtype=object),
        "engageable": pick(res.engageable),
        "earliest_launch_s": pick(res.earliest_launch),
        "latest_launch_s": pick(res.latest_launch),
        "margin_s": pick(margin),
        "earliest_intercept_s": pick(res.earliest_intercept),
        "latest_intercept_s": pick(res.latest_intercept),
        "intercept_lat_deg": np.degrees(pick(lat)),
        "intercept_lon_deg": np.degrees(pick(lon)),
        "intercept_alt_km": pick(h) / 1e3,
        "closing_speed_km_s": pick(res.closing_speed) / 1e3,
        "shots": pick(res.shots),
    })
    # MIRV buses: an intercept before the last warhead leaves the bus meets every warhead on it
    rel = release_times(scenario, flights.trajectories)
    df["before_release"] = (df["earliest_intercept_s"].to_numpy(dtype=float) < np.repeat(rel, m)) & df["engageable"].to_numpy(dtype=bool)
    return Assessment(scenario, flights, df, res, parent)


def release_times(scenario, trajectories) -> np.ndarray:
    """Per trajectory: when its bus releases the last warhead (s after launch):
    burnout + the signature class's post-boost time (burnout alone where no
    signatures by flight phase are modelled)."""
    sig = getattr(scenario, "signatures", None)
    if sig is None:
        return np.asarray(trajectories.burnout_time, dtype=float)
    return sig.release_time(trajectories)
