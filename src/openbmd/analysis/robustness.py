"""``robustness``: every headline under each reasonable assumption.

The answer to "can this defence engage the protected party's strategic
missiles?" hangs on modelling choices in the sensor and fire-control chain.
Each *assumption set* rewrites a scenario's cueing (or one rule) and the
headline figures are recomputed under it:

nested cue sets, each cueing no later than the one before and guiding no less:

* ``own-radar``: each battery cued and guided by its own radar only;
* ``as declared``: the scenario as written (its cue lists and modes);
* ``remote``: every radar of the deployment cues every battery through the
  network (launch on remote; engage on remote where the scenario says so);
* ``early-warning-launch``: ``remote`` plus early-warning satellite tracks,
  which allow a launch during the threat's boost;

and further axes, each beside ``as declared``:

* ``tail chase: every receding geometry refused`` (the older rule) and
  ``tail chase allowed``;
* ``warhead-only signature``: a constant RCS instead of the booster, bus and
  RV by flight phase.

A cell where the answer flips (a strategic trajectory becomes engageable, or
not) is marked. Even-handed by construction: the protected party's worst case
is the most permissive set, the deploying party's stated case the least.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .assess import Assessment, assess
from .raid import RaidError
from ..errors import OpenBMDError

NESTED = ("own-radar", "as declared", "remote", "early-warning-launch")
AXES = ("tail chase: every receding geometry refused", "tail chase allowed", "warhead-only signature")
SETS = NESTED + AXES
DESCRIBE = {
    "own-radar": "each battery cued and guided by its own radar only",
    "as declared": "the scenario's cue lists and modes as written",
    "remote": "every radar of the deployment cues every battery through the network",
    "early-warning-launch": "remote, plus early-warning satellite tracks: launch during the threat's boost",
    "tail chase: every receding geometry refused": "as declared, with the older tail-chase rule (opening range refused)",
    "tail chase allowed": "as declared, every intercept geometry allowed",
    "warhead-only signature": "as declared, the warhead's constant RCS over the whole flight",
}


class RobustnessError(OpenBMDError, ValueError):
    """An unknown assumption set (the message lists the known ones)."""


def _satellites(sc):
    if sc.satellites:
        return list(sc.satellites.values())
    from ..catalog.sensors import default_sensors

    countries = {r.country for r in sc.radars.values()} | {b.own_radar.country for b in sc.batteries if b.own_radar}
    return [s for s in default_sensors().satellites.values() if s.country and any(
        c and (c in s.country or s.country in c) for c in countries)]


def apply_set(sc, name: str):
    """The scenario under assumption set ``name`` (a new Scenario; the input is
    not changed)."""
    if name not in SETS:
        raise RobustnessError(f"unknown assumption set {name!r} (known: {', '.join(SETS)})")
    bats = list(sc.batteries)
    extra = {}
    if name == "own-radar":
        out = []
        for b in bats:
            if b.own_radar is not None:
                cues = tuple(c for c in b.cues if c == b.own_radar.name)
                out.append(replace(b, cues=cues, mode="own", cue=cues[0] if cues else None))
            else:
                rad = tuple(c for c in b.cues if c in sc.radars)[:1]
                out.append(replace(b, cues=rad, cue=rad[0] if rad else None))
        bats = out
    elif name in ("remote", "early-warning-launch"):
        sats = _satellites(sc) if name == "early-warning-launch" else []
        satd = dict(sc.satellites)
        for s in sats:
            satd.setdefault(s.name, s)
        extra["satellites"] = satd
        out = []
        for b in bats:
            if b.own_radar is None and not b.cues:
                out.append(b)  # cued by a launch delay: nothing to add
                continue
            cues = list(b.cues) + [r for r in sc.radars if r not in b.cues]
            if b.own_radar is not None:
                cues += [s.name for s in sats if s.name not in cues]
                mode = "engage-on-remote" if b.mode == "engage-on-remote" else "launch-on-remote"
            else:
                mode = b.mode if b.mode != "own" or len(cues) == 1 else "launch-on-remote"
            net = b.network or (next(iter(sc.networks)) if sc.networks else None)
            out.append(replace(b, cues=tuple(cues), mode=mode, network=net))
        bats = out
    elif name == "tail chase: every receding geometry refused":
        extra["tail_chase"] = "receding"
    elif name == "tail chase allowed":
        extra["tail_chase"] = "allowed"
    elif name == "warhead-only signature":
        extra["signatures"] = None
        extra["signature_model"] = "warhead-only"
    return sc.replace(batteries=bats, assumption_set=name, **extra)


@dataclass
class RobustnessRow:
    phase: str
    set: str
    assessment: Assessment
    warheads_engageable: float | None
    warheads_attrited_expected: float | None

    def record(self) -> dict:
        a = self.assessment
        strat = a.closest("strategic")
        return {
            "name": self.phase,
            "assumptions": self.set,
            "description": DESCRIBE[self.set],
            "strategic_engageable_share": _f(a.share("strategic")),
            "southern_covered_share": _f(a.share("southern")),
            "warheads_engageable": self.warheads_engageable,
            "warheads_attrited_expected": self.warheads_attrited_expected,
            "strategic_best_margin_s": None if strat is None else _f(float(strat["best_margin_s"])),
        }


def _f(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


@dataclass
class Robustness:
    name: str
    rows: list  # RobustnessRow

    def records(self) -> list[dict]:
        return [r.record() for r in self.rows]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.records())

    def matrix(self, column: str = "strategic_engageable_share") -> pd.DataFrame:
        """Rows of assumption sets, columns of phases."""
        t = self.table()
        m = t.pivot(index="assumptions", columns="name", values=column)
        sets = [s for s in SETS if s in m.index]
        phases = list(dict.fromkeys(t["name"]))
        return m.loc[sets, phases]

    def flips(self, column: str = "strategic_engageable_share") -> pd.DataFrame:
        """True where the answer differs from ``as declared`` in kind: some
        strategic trajectory engageable under one and none under the other."""
        m = self.matrix(column)
        if "as declared" not in m.index:
            return m.astype(bool) & False
        base = m.loc["as declared"].fillna(0) > 0
        return (m.fillna(0) > 0).ne(base, axis=1)

    def assumptions(self) -> list[str]:
        return [f"assumption set {k}: {DESCRIBE[k]}" for k in SETS if any(r.set == k for r in self.rows)]


def robustness(scenario, sets=SETS, *, balance: bool = True, progress=None) -> Robustness:
    """Every member of a comparison (or the one scenario) under each set."""
    for s in sets:
        if s not in SETS:
            raise RobustnessError(f"unknown assumption set {s!r} (known: {', '.join(SETS)})")
    members = scenario.phases if scenario.is_comparison else [scenario]
    rows = []
    for sc in members:
        for name in sets:
            variant = sc.replace(assumption_set="as declared") if name == "as declared" else apply_set(sc, name)
            a = assess(variant)
            we = wa = None
            if balance and (variant.balance is not None or scenario.balance is not None) and variant.batteries:
                from .balance import balance as run_balance

                try:
                    b = run_balance(variant, assessments=[a], sensitivity=False)
                except RaidError:  # no inventories or no force: the warhead columns stay empty
                    b = None
                if b is not None:
                    r0 = b.phases[0].row()
                    we, wa = float(r0["warheads_engageable"]), float(r0["warheads_attrited_expected"])
            elif balance and not variant.batteries:
                we = wa = 0.0
            rows.append(RobustnessRow(sc.name, name, a, we, wa))
            if progress:
                progress(1)
    return Robustness(getattr(scenario, "name", "scenario"), rows)
