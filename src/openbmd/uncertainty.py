"""Monte Carlo over the catalog's ranges: the probability that a guarantee's
physical claim holds, and which parameter matters most.

Each sample draws, uniformly within the stated range of each parameter
(seeded per sample: identical results for identical input, whatever the
number of workers; :func:`drawn_parameters` lists them with their ranges and
sources, and the report's assumptions section shows that list):

* per battery: its interceptor's burnout speed (the catalog's
  ``burnout_speed_km_s_range``; its staged booster rescaled as in scenario
  overrides) and its site within the catalog place's position uncertainty
  (uniform in a disk; the fly-out table stays the nominal site's);
* per interceptor type (one value per sample for every battery of the type):
  the intercept altitude band (``min_intercept_altitude_km_range``,
  ``max_intercept_altitude_km_range``), the tail-chase closing-speed
  threshold (``tail_chase_closing_speed_km_s_range``; only under the
  doctrine's ``low-closing-speed`` rule and for interceptors that do not allow
  tail chase) and the handover time (``handover_time_s_range``; only for
  batteries guided by a radar);
* per radar the batteries use (cueing, remote or own): its reference
  detection range and its track time (the doctrine's fixed ``track_time_s``,
  when given, replaces every radar's and is then not drawn); per
  early-warning satellite cueing a battery: its track time;
* the launch delay (the guarantee's ``launch_delay_s_range``) or the decision
  time (10-60 s, an assumption) when the scenario's cues are used.

A parameter whose value in the scenario lies outside the catalog's range (the
scenario overrode it) is held at the scenario's value. The threat
trajectories are held fixed (their spread is not sampled in this release).
Speeds are drawn on a 0.1 km/s grid and radar ranges on a 5 % grid so that
fly-out tables and radar tracks are shared between samples; the fly-out
tables are computed at the reduced resolution of the synthesis sweeps
(``synthesis.TABLE_RES``), up to the top of each interceptor's altitude range
so that every drawn band lies inside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

DECISION_RANGE = (10.0, 60.0)  # s: when the scenario's cues are used and no range is given (assumption)
DECISION_SOURCE = "ASSUMPTION: launch decision 10-60 s after a firm track (uncertainty.DECISION_RANGE)"
SPEED_STEP = 0.1  # km/s: burnout speeds are drawn on this grid (fly-out tables shared between samples)
ALT_STEP = 1.0  # km: intercept altitude limits are drawn on this grid
TAIL_STEP = 0.05  # km/s: tail-chase thresholds are drawn on this grid
RANGE_LOG_STEP = 0.05  # radar reference ranges: on a 5 % (logarithmic) grid
# the interceptor-type parameters: (catalog key without _range, Interceptor attribute, scale to SI, grid)
TYPE_PARAMETERS = (
    ("min_intercept_altitude_km", "min_intercept_altitude", 1e3, ALT_STEP),
    ("max_intercept_altitude_km", "max_intercept_altitude", 1e3, ALT_STEP),
    ("tail_chase_closing_speed_km_s", "tail_chase_closing_speed", 1e3, TAIL_STEP),
    ("handover_time_s", "handover_time", 1.0, 1.0),
)


@dataclass
class MonteCarlo:
    guarantee: str
    scenario: str
    seed: int
    samples: pd.DataFrame  # one row per sample: the drawn parameters, max_margin_s, holds
    parameters: list
    info: object = None
    drawn: list = None  # drawn_parameters(): what was drawn, from which range, on what source

    def summary(self) -> dict:
        n = len(self.samples)
        k = int(self.samples["holds"].sum())
        p = k / n
        # Wilson score interval, 95 %
        z = 1.959963984540054
        den = 1 + z * z / n
        c = (p + z * z / (2 * n)) / den
        h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
        return {"guarantee": self.guarantee, "scenario": self.scenario, "samples": n, "seed": self.seed,
                "p_claim_holds": p, "p_interval": [max(0.0, c - h), min(1.0, c + h)],
                "sensitivity": self.sensitivity().to_dict(orient="records"),
                "drawn": list(self.drawn or [])}

    def sensitivity(self) -> pd.DataFrame:
        """Spearman rank correlation of each sampled parameter with the margin
        of the closest protected trajectory (positive: larger value, closer to
        engagement), ranked by magnitude."""
        y = self.samples["max_margin_s"].to_numpy(float)
        y = np.where(np.isfinite(y), y, np.nanmin(np.where(np.isfinite(y), y, np.nan)) - 1.0 if np.isfinite(y).any() else 0.0)
        rows = []
        ry = pd.Series(y).rank().to_numpy()
        for p in self.parameters:
            x = self.samples[p].to_numpy(float)
            rx = pd.Series(x).rank().to_numpy()
            if np.std(rx) == 0 or np.std(ry) == 0:
                rho = 0.0
            else:
                rho = float(np.corrcoef(rx, ry)[0, 1])
            rows.append({"parameter": p, "spearman": rho})
        df = pd.DataFrame(rows, columns=["parameter", "spearman"])
        return df.reindex(df["spearman"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# ------------------------------------------------------- what is drawn ----
@dataclass(frozen=True)
class _Spec:
    """One drawn parameter: its column(s), nominal value, range and source."""

    column: str
    what: str
    unit: str
    nominal: float
    low: float
    high: float
    source: str
    grid: str = "linear"  # linear | log | disk
    step: float = 0.0

    def draw(self, rng) -> dict:
        if self.grid == "disk":  # uniform in a disk of radius `high` (km): two columns
            rad = self.high * math.sqrt(float(rng.uniform()))
            ang = float(rng.uniform(0, 2 * math.pi))
            name = self.column[len("position_km"):]
            return {f"north_km{name}": round(rad * math.cos(ang), 3), f"east_km{name}": round(rad * math.sin(ang), 3)}
        x = float(rng.uniform(self.low, self.high))
        if self.grid == "log":
            x = float(np.round(np.exp(np.round(np.log(x) / RANGE_LOG_STEP) * RANGE_LOG_STEP), 3))
        elif self.step > 0:
            x = round(round(x / self.step) * self.step, 6)
        return {self.column: x}

    def row(self) -> dict:
        return {"parameter": self.column, "what": self.what, "unit": self.unit, "nominal": self.nominal,
                "low": self.low, "high": self.high, "source": self.source}


def _catalog_sources():
    """Raw catalog entries by name (interceptors, radars, satellites) for the per-field sources."""
    import tomllib

    from .catalog import default_catalog
    from .catalog.sensors import FILE

    cat = default_catalog()
    with open(FILE, "rb") as fh:
        sats = {e["name"]: e for e in tomllib.load(fh).get("satellite", [])}
    return {"interceptor": cat.interceptor_entries, "radar": cat.radar_entries, "satellite": sats}


def _field_source(entries: dict, obj, key: str) -> str:
    """``key``_source of the catalog entry of ``obj`` (an interceptor, radar or
    satellites): by name, by a shared alias (a scenario's radar is named after
    its site), or the entry whose name ends the object's (a ship's radar is
    named after its battery)."""
    name = obj.name
    e = entries.get(name)
    if e is None:
        mine = {name, *getattr(obj, "aliases", ())}
        hits = [n for n, x in entries.items() if mine & {n, *x.get("aliases", ())}]
        hits = hits or [n for n in entries if name.endswith(n)]
        e = entries[max(hits, key=len)] if hits else None
    if e is None:
        return "catalog range (see `openbmd catalog`)"
    return str(e.get(f"{key}_source") or e.get("source") or "catalog range")


def _inside(nominal, lo, hi) -> bool:
    return lo - 1e-9 <= nominal <= hi + 1e-9


def _base(g, sc):
    if g is None:
        return sc
    from .guarantee import claim_scenario

    return claim_scenario(g, sc)


def _radars_used(base):
    """{name: Radar} of every radar a battery uses (cueing, remote or its own), and
    {name: satellites} of the satellites cueing a battery."""
    radars, sats = {}, {}
    for b in base.batteries:
        if b.own_radar is not None:
            radars.setdefault(b.own_radar.name, b.own_radar)
        for c in b.cues:
            if c in base.radars:
                radars.setdefault(c, base.radars[c])
            elif c in base.satellites:
                sats.setdefault(c, base.satellites[c])
    return radars, sats


def _specs(g, sc) -> list:
    """Every drawn parameter of a guarantee's Monte Carlo on a scenario (in draw order)."""
    base = _base(g, sc)
    src = _catalog_sources()
    out = []
    for b in base.batteries:
        ic = b.interceptor
        lo, hi = ic.uncertainty.get("burnout_speed_km_s", (ic.burnout_speed / 1e3,) * 2)
        out.append(_Spec(f"speed_km_s[{b.name}]", f"burnout speed of {ic.name} at {b.name}", "km/s",
                         ic.burnout_speed / 1e3, lo, hi, _field_source(src["interceptor"], ic, "burnout_speed_km_s"),
                         step=SPEED_STEP))
        if b.position_uncertainty > 0:
            r = b.position_uncertainty / 1e3
            out.append(_Spec(f"position_km[{b.name}]", f"site of {b.name} within its place's position uncertainty "
                             "(uniform in a disk; north_km/east_km)", "km", 0.0, 0.0, r,
                             "catalog place position_uncertainty_km", grid="disk"))
    types = {}
    for b in base.batteries:
        types.setdefault(b.interceptor.name, []).append(b)
    for name in sorted(types):
        ic = types[name][0].interceptor
        guided = any(b.own_radar is not None for b in types[name])
        for key, attr, scale, step in TYPE_PARAMETERS:
            if key not in ic.uncertainty:
                continue
            if attr == "tail_chase_closing_speed":
                if ic.tail_chase or getattr(base, "tail_chase", "low-closing-speed") != "low-closing-speed":
                    continue  # no threshold applies: every geometry allowed, or every receding one refused
                nominal = base.tail_chase_closing_speed
            elif attr == "handover_time":
                if not guided:
                    continue  # no guiding radar: no handover constraint
                nominal = base.handover_time
            else:
                nominal = getattr(ic, attr)
            lo, hi = ic.uncertainty[key]
            if not _inside(nominal / scale, lo, hi):
                continue  # the scenario set it outside the catalog's range: held at the scenario's value
            out.append(_Spec(f"{key}[{name}]", f"{attr.replace('_', ' ')} of {name}", _unit(key), nominal / scale, lo, hi,
                _field_source(src["interceptor"], ic, key), step=step))
    radars, sats = _radars_used(base)
    for name in sorted(radars):
        r = radars[name]
        if "reference_range_km" in r.uncertainty:
            lo, hi = r.uncertainty["reference_range_km"]
            out.append(_Spec(f"radar_range_km[{name}]", f"reference detection range of {name}", "km",
                             r.reference_range / 1e3, lo, hi, _field_source(src["radar"], r, "reference_range_km"),
                             grid="log"))
        if base.track_time is None and "track_time_s" in r.uncertainty:
            lo, hi = r.uncertainty["track_time_s"]
            out.append(_Spec(f"track_time_s[{name}]", f"track time of {name} (first detection to firm track)", "s",
                             r.track_time, lo, hi, _field_source(src["radar"], r, "track_time_s"), step=1.0))
    for name in sorted(sats):
        s = sats[name]
        if "track_time_s" in s.uncertainty:
            lo, hi = s.uncertainty["track_time_s"]
            out.append(_Spec(f"track_time_s[{name}]", f"boost-track time of {name} (first sight to track)", "s",
                             s.track_time, lo, hi, _field_source(src["satellite"], s, "track_time_s"), step=1.0))
    if g is not None and g.cue == "launch_delay":
        lo, hi = g.launch_delay_range or (g.launch_delay, g.launch_delay)
        out.append(_Spec("launch_delay_s", "interceptor launch after threat launch", "s", float(g.launch_delay), lo, hi,
                         "the guarantee's launch_delay_s_range", step=1.0))
    else:
        out.append(_Spec("decision_time_s", "launch decision after a firm track", "s", float(base.decision_time),
                         *DECISION_RANGE, DECISION_SOURCE, step=1.0))
    return out


def _unit(key: str) -> str:
    """The unit a catalog field name ends with (``_km_s``, ``_km``, ``_s``)."""
    for end, unit in (("_km_s", "km/s"), ("_km", "km"), ("_s", "s")):
        if key.endswith(end):
            return unit
    return ""


def drawn_parameters(sc, g=None) -> list[dict]:
    """What the uncertainty Monte Carlo draws for scenario ``sc`` (under
    guarantee ``g``'s assumptions, when given): one dict per parameter with
    ``parameter`` (its column), ``what``, ``unit``, ``nominal``, ``low``,
    ``high`` and ``source`` (the catalog's ``X_source``, or the assumption)."""
    return [s.row() for s in _specs(g, sc)]


def _draws(g, sc, n, seed):
    """The parameter table: one row per sample, with its own seed."""
    specs = _specs(g, sc)
    ss = np.random.SeedSequence(seed)
    seeds = [int(s.generate_state(1)[0]) for s in ss.spawn(n)]
    rows = []
    for i, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        row = {"sample": i, "seed": s}
        for sp in specs:
            row.update(sp.draw(rng))
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------- applying a draw ----
def _val(row, key):
    """The drawn value of column ``key`` in ``row`` (None when not drawn)."""
    if key not in row:
        return None
    v = row[key]
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def sample_scenario(row, base):
    """The scenario of one sample: every battery's interceptor speed and site,
    the radars' ranges and track times, the satellites' track times, and the
    launch delay or decision time as drawn in ``row``."""

    radars, sats = _radars_used(base)
    new_radars = {}
    for name, r in radars.items():
        ch = {}
        if (v := _val(row, f"radar_range_km[{name}]")) is not None:
            ch["reference_range"] = v * 1e3
        if (v := _val(row, f"track_time_s[{name}]")) is not None:
            ch["track_time"] = v
        new_radars[name] = r.replace(**ch) if ch else r
    bats = []
    for b in base.batteries:
        ic = b.interceptor
        if (v := _val(row, f"speed_km_s[{b.name}]")) is not None and abs(v * 1e3 - ic.burnout_speed) > 1e-6:
            ic = ic.with_burnout_speed(v * 1e3)
        ch = {"interceptor": ic}
        if b.own_radar is not None and b.own_radar.name in new_radars:
            ch["own_radar"] = new_radars[b.own_radar.name]
        north, east = _val(row, f"north_km[{b.name}]"), _val(row, f"east_km[{b.name}]")
        if north is not None and east is not None:
            la, lo = b.stations[0]
            ch["stations"] = [(la + north * 1e3 / 6371008.8, lo + east * 1e3 / (6371008.8 * math.cos(la)))]
        bats.append(replace(b, **ch))
    s = replace(base, batteries=bats,
                radars={k: new_radars.get(k, r) for k, r in base.radars.items()},
                satellites={k: (sat.replace(track_time=v) if (v := _val(row, f"track_time_s[{k}]")) is not None
                                and k in sats else sat) for k, sat in base.satellites.items()})
    if (v := _val(row, "launch_delay_s")) is not None:
        s = replace(s, launch_delay=v)
    if (v := _val(row, "decision_time_s")) is not None:
        s = replace(s, decision_time=v)
    return s


def sample_engine(row, s):
    """Engine batteries of sample scenario ``s`` with the interceptor-type draws
    of ``row`` applied (altitude band, tail-chase threshold, handover time),
    and the batteries whose fly-out tables to use (the same, each interceptor's
    maximum altitude at the top of its range so that every drawn band lies
    inside the table). Returns (batteries, table batteries, table latitudes)."""
    from .analysis.assess import engine_batteries

    eb, _, tlats = engine_batteries(s)
    out, tab = [], []
    for bat in eb:
        ic, tl = bat.interceptor, bat.timeline
        ch = {}
        for key, attr, scale, _ in TYPE_PARAMETERS:
            v = _val(row, f"{key}[{ic.name}]")
            if v is None:
                continue
            if attr == "handover_time":
                if tl.guides():
                    tl = replace(tl, handover_time=v * scale)
            elif attr == "tail_chase_closing_speed":
                if not ic.tail_chase and math.isfinite(ic.tail_chase_closing_speed):
                    ch[attr] = v * scale
            else:
                ch[attr] = v * scale
        lo_alt = ch.get("min_intercept_altitude", ic.min_intercept_altitude)
        hi_alt = ch.get("max_intercept_altitude", ic.max_intercept_altitude)
        if not lo_alt < hi_alt:  # never drawn so (the catalog's bands do not overlap); held at the nominal band
            ch.pop("min_intercept_altitude", None)
            ch.pop("max_intercept_altitude", None)
        new = bat.replace(interceptor=ic.replace(**ch) if ch else ic, timeline=tl)
        out.append(new)
        top = ic.uncertainty.get("max_intercept_altitude_km")
        if f"max_intercept_altitude_km[{ic.name}]" in row and top is not None:
            tab.append(bat.replace(interceptor=ic.replace(max_intercept_altitude=max(top[1] * 1e3, ic.max_intercept_altitude))))
        else:
            tab.append(bat)
    return out, tab, tlats


def _mc_chunk(chunk: pd.DataFrame, *, g, sc, threats, role_mask):
    """Evaluate samples: the closest protected margin and whether the claim holds."""
    from .analysis.assess import engine_batteries, tables_for
    from .engage import engage
    from .synthesis import TABLE_RES

    base = _base(g, sc)
    tlats = engine_batteries(base)[2]  # fly-out tables at the nominal sites (a few km change them little)
    out = []
    for _, row in chunk.iterrows():
        s = sample_scenario(row, base)
        eb, tab, _ = sample_engine(row, s)
        res = engage(threats, eb, assessment_time=s.assessment_time,
                     tables=tables_for(tab, s.options, tlats, table_res=TABLE_RES), coarse_step=s.coarse_step)
        m = np.where(np.isfinite(res.margin), res.margin, -np.inf).max(axis=1)[role_mask]
        mm = float(m.max()) if m.size else -math.inf
        out.append({"sample": int(row["sample"]), "max_margin_s": mm if math.isfinite(mm) else np.nan,
                    "holds": not bool(res.engageable[role_mask].any())})
    return pd.DataFrame(out)


def monte_carlo(g, sc, *, samples=1000, seed=1, workers=None, scheduler=None, checkpoint=None, progress=None,
                chunk_size=50) -> MonteCarlo:
    """P(the guarantee's claim holds) over the catalog's parameter ranges."""
    from .analysis.threats import fly_threats
    from .engage import ThreatSet
    from .sweep import run_sweep

    fl = fly_threats(sc)
    mask = (fl.meta["role"] == g.protected_role).to_numpy()
    threats = ThreatSet.prepare(fl.trajectories)
    table = _draws(g, sc, samples, seed)
    res, info = run_sweep(_mc_chunk, table, chunk_size=chunk_size,
                          kwargs=dict(g=g, sc=sc, threats=threats, role_mask=mask),
                          workers=workers, scheduler=scheduler, checkpoint=checkpoint, progress=progress,
                          return_info=True, fingerprint_extra=("monte_carlo", g.name, sc.name, seed, samples))
    df = table.merge(res, on="sample")
    params = [c for c in table.columns if c not in ("sample", "seed")]
    return MonteCarlo(g.name, sc.name, seed, df, params, info, drawn_parameters(sc, g))
