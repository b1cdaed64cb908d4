"""``phases`` and ``south-vs-north``: architectures side by side, and the
stated mission beside the feared one.

For each phase (a member scenario of a comparison): the share of strategic
trajectories (the protected party's ICBMs and SLBMs, every field, target and
profile) that at least one battery can engage, the share of southern threats
covered, the defended area of the footprint, and the margins (the largest
margin of any strategic trajectory says how close the architecture comes to
engaging one; a positive value means it can).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .assess import Assessment, assess
from .footprint import Footprint, footprint


@dataclass
class PhaseResult:
    name: str
    assessment: Assessment
    footprint: Footprint | None

    def row(self) -> dict:
        a = self.assessment
        strat = a.closest("strategic")
        south = a.per_threat()
        south = south[south["role"] == "southern"]
        return {
            "name": self.name,
            "year": a.scenario.year,
            "batteries": len(a.scenario.batteries),
            "interceptors": sum(b.count or 0 for b in a.scenario.batteries),
            "strategic_trajectories": int((a.meta["role"] == "strategic").sum()),
            "strategic_engageable_share": _nan_none(a.share("strategic")),
            "strategic_best_margin_s": None if strat is None else _nan_none(float(strat["best_margin_s"])),
            "strategic_closest": None if strat is None else str(strat["label"]),
            "southern_trajectories": int(len(south)),
            "southern_covered_share": _nan_none(a.share("southern")),
            "southern_median_margin_s": _nan_none(float(np.nanmedian(south["best_margin_s"]))
                                                  if south["best_margin_s"].notna().any() else float("nan")),
            "defended_area_km2": None if self.footprint is None else self.footprint.defended_area_km2,
            "footprint_reachable_km2": None if self.footprint is None else self.footprint.reachable_area_km2,
        }


def _nan_none(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


@dataclass
class PhaseComparison:
    name: str
    phases: list  # PhaseResult

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([p.row() for p in self.phases])

    def per_field(self) -> pd.DataFrame:
        """Share of strategic trajectories engageable, per launch field, one column per phase."""
        cols = {}
        for p in self.phases:
            f = p.assessment.per_field()
            f = f[f["role"] == "strategic"].set_index("launch")["engageable_share"]
            cols[p.name] = f
        return pd.DataFrame(cols)

    def records(self) -> list[dict]:
        return [p.row() for p in self.phases]


def phases(comparison, progress=None, footprints: bool = True) -> PhaseComparison:
    """Assess every member of a comparison scenario (or a list of scenarios)."""
    members = comparison.phases if hasattr(comparison, "phases") and comparison.phases else (
        comparison if isinstance(comparison, list) else [comparison])
    out = []
    for sc in members:
        a = assess(sc, progress=progress)
        fp = footprint(sc, progress=progress) if footprints and sc.footprint is not None else None
        out.append(PhaseResult(sc.name, a, fp))
    return PhaseComparison(getattr(comparison, "name", "comparison"), out)


def south_vs_north(assessment: Assessment) -> pd.DataFrame:
    """The stated mission (southern threats) and the feared one (strategic
    forces) side by side: trajectories, share engageable, margins, shots, and
    the batteries that can engage each."""
    t = assessment.per_threat()
    pairs = assessment.pairs
    rows = []
    for role, label in (("southern", "stated mission: threats from the south"),
                        ("strategic", "feared mission: the protected party's strategic forces")):
        sel = t["role"] == role
        if not sel.any():
            rows.append({"role": role, "mission": label, "trajectories": 0})
            continue
        tt = t[sel]
        pp = pairs[(pairs["role"] == role) & pairs["engageable"]]
        rows.append({
            "role": role, "mission": label, "trajectories": int(sel.sum()),
            "engageable": int(tt["engageable"].sum()), "engageable_share": float(tt["engageable"].mean()),
            "best_margin_s": float(tt["best_margin_s"].max()) if tt["best_margin_s"].notna().any() else np.nan,
            "median_margin_s": float(np.nanmedian(tt["best_margin_s"])) if tt["best_margin_s"].notna().any() else np.nan,
            "shot_opportunities": int(tt["shots"].sum()),
            "batteries_that_engage": ", ".join(sorted(pp["battery"].unique())) or "none",
        })
    return pd.DataFrame(rows)
