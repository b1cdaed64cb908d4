"""Monte Carlo over the catalog's ranges: the probability that a guarantee's
physical claim holds, and which parameter matters most.

Each sample draws, uniformly within the catalog's ``_range`` of each entry
(seeded per sample: identical results for identical input, whatever the
number of workers): every battery's interceptor burnout speed (its staged
booster rescaled as in scenario overrides), its site within the catalog
place's position uncertainty (uniform in a disk; the fly-out table stays the
nominal site's), every cueing radar's reference
detection range and track time, and the launch delay (the guarantee's
``launch_delay_s_range``) or the decision time (10-60 s, an assumption)
when the scenario's cues are used. The threat trajectories are held fixed
(their spread is not sampled in this release). Speeds are drawn on a
0.1 km/s grid and radar ranges on a 5 % grid so that fly-out tables and
radar tracks are shared between samples, and the fly-out tables are computed
at the reduced resolution of the synthesis sweeps (``synthesis.TABLE_RES``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

DECISION_RANGE = (10.0, 60.0)  # s: when the scenario's cues are used and no range is given (assumption)
SPEED_STEP = 0.1  # km/s: burnout speeds are drawn on this grid (fly-out tables shared between samples)


@dataclass
class MonteCarlo:
    guarantee: str
    scenario: str
    seed: int
    samples: pd.DataFrame  # one row per sample: the drawn parameters, max_margin_s, holds
    parameters: list
    info: object = None

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
                "sensitivity": self.sensitivity().to_dict(orient="records")}

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


def _draws(g, sc, n, seed):
    """The parameter table: one row per sample, with its own seed."""
    ss = np.random.SeedSequence(seed)
    seeds = [int(s.generate_state(1)[0]) for s in ss.spawn(n)]
    rows = []
    for i, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        row = {"sample": i, "seed": s}
        for b in sc.batteries:
            lo, hi = b.interceptor.uncertainty.get("burnout_speed_km_s", (b.interceptor.burnout_speed / 1e3,) * 2)
            row[f"speed_km_s[{b.name}]"] = round(round(float(rng.uniform(lo, hi)) / SPEED_STEP) * SPEED_STEP, 6)
            if b.position_uncertainty > 0:
                # uniform in a disk of the place's position uncertainty
                rad = b.position_uncertainty * math.sqrt(float(rng.uniform())) / 1e3
                ang = float(rng.uniform(0, 2 * math.pi))
                row[f"north_km[{b.name}]"] = round(rad * math.cos(ang), 3)
                row[f"east_km[{b.name}]"] = round(rad * math.sin(ang), 3)
        for name in sorted({b.cue for b in sc.batteries if b.cue}):
            r = sc.radars[name]
            lo, hi = r.uncertainty.get("reference_range_km", (r.reference_range / 1e3,) * 2)
            x = float(rng.uniform(lo, hi))
            row[f"radar_range_km[{name}]"] = float(np.round(np.exp(np.round(np.log(x) / 0.05) * 0.05), 3))
            tlo, thi = r.uncertainty.get("track_time_s", (r.track_time,) * 2)
            row[f"track_time_s[{name}]"] = round(float(rng.uniform(tlo, thi)))
        if g.cue == "launch_delay":
            lo, hi = g.launch_delay_range or (g.launch_delay, g.launch_delay)
            row["launch_delay_s"] = round(float(rng.uniform(lo, hi)))
        else:
            row["decision_time_s"] = round(float(rng.uniform(*DECISION_RANGE)))
        rows.append(row)
    return pd.DataFrame(rows)


def _mc_chunk(chunk: pd.DataFrame, *, g, sc, threats, role_mask):
    """Evaluate samples: the closest protected margin and whether the claim holds."""
    from .analysis.assess import engine_batteries, tables_for
    from .engage import engage
    from .guarantee import claim_scenario
    from .scenario import scale_stages

    base = claim_scenario(g, sc)
    out = []
    for _, row in chunk.iterrows():
        bats = []
        for b in base.batteries:
            v = float(row[f"speed_km_s[{b.name}]"]) * 1e3
            ic = b.interceptor
            if abs(v - ic.burnout_speed) > 1e-6:
                ic = ic.replace(burnout_speed=v, stages=scale_stages(ic, v) if ic.stages else ())
            kn = f"north_km[{b.name}]"
            if kn in row and isinstance(row[kn], float) and math.isfinite(row[kn]):
                la, lo = b.stations[0]
                la2 = la + row[kn] * 1e3 / 6371008.8
                lo2 = lo + row[f"east_km[{b.name}]"] * 1e3 / (6371008.8 * math.cos(la))
                bats.append(replace(b, interceptor=ic, stations=[(la2, lo2)]))
            else:
                bats.append(replace(b, interceptor=ic))
        radars = dict(base.radars)
        for name in list(radars):
            key = f"radar_range_km[{name}]"
            if key in row and isinstance(row[key], float) and math.isfinite(row[key]):
                radars[name] = radars[name].replace(reference_range=float(row[key]) * 1e3,
                                                    track_time=float(row[f"track_time_s[{name}]"]))
        s = replace(base, batteries=bats, radars=radars)
        if "launch_delay_s" in row and math.isfinite(row["launch_delay_s"]):
            s = replace(s, launch_delay=float(row["launch_delay_s"]))
        if "decision_time_s" in row and math.isfinite(row["decision_time_s"]):
            s = replace(s, decision_time=float(row["decision_time_s"]))
        eb, parent, tlats = engine_batteries(s)
        tlats = engine_batteries(base)[2]  # fly-out tables at the nominal sites (a few km change them little)
        from .synthesis import TABLE_RES

        res = engage(threats, eb, assessment_time=s.assessment_time,
                     tables=tables_for(eb, s.options, tlats, table_res=TABLE_RES), coarse_step=s.coarse_step)
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
    return MonteCarlo(g.name, sc.name, seed, df, params, info)
