"""``raid``: salvos of many missiles against the whole architecture, with
inventories, shot doctrine and kill probability, assigned by battle
management (:mod:`openbmd.wta`).

Each missile of a raid flies one trajectory of its threat group (the group's
trajectories in turn, so a raid of many missiles spreads over the group's
launch points, targets and profiles) and carries warheads and decoys. Every
warhead and decoy is an *object*: the defence cannot tell them apart, so each
object of a missile with w warheads and d decoys carries w / (w + d) expected
warheads, and every object must be engaged to be sure of the warheads. The
warheads and decoys of one missile fly its trajectory (the spread of a MIRV
footprint is not modelled). The engine's windows are per trajectory and do
not depend on the launch time (the Earth-fixed geometry repeats), so a raid's
launch spacing orders the engagements in time; the inventories are the whole
raid's (no reload).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import wta
from .assess import Assessment, assess, assessed


class RaidError(ValueError):
    """Bad raid input (the message says which field and what was expected)."""


@dataclass
class Objects:
    """The objects of a raid (struct of arrays)."""

    traj: np.ndarray  # threat trajectory index (into the assessment)
    value: np.ndarray  # expected warheads per object
    t0: np.ndarray  # launch time of the object's missile (s after the raid starts)
    missile: np.ndarray  # missile index within the raid
    raid: np.ndarray  # raid (or force unit) index
    warheads_per_missile: np.ndarray  # per missile
    decoys_per_missile: np.ndarray  # per missile
    raid_names: list
    bus: np.ndarray | None = None  # per object: a whole MIRV bus (all its missile's warheads, before release)

    def __len__(self):
        return self.traj.size


def build_objects(assessment: Assessment, raids) -> Objects:
    """The objects of the scenario's raids (``RaidSpec``) on its flown trajectories."""
    meta = assessment.meta
    tr, val, t0, mis, rid, wpm, dpm = [], [], [], [], [], [], []
    base = 0
    for r, spec in enumerate(raids):
        sel = meta["group"] == spec.threat
        if spec.launches:
            sel &= meta["launch"].isin(spec.launches)
        idx = np.nonzero(sel.to_numpy())[0]
        if idx.size == 0:
            raise RaidError(f"raid {spec.name!r}: no trajectory of threat {spec.threat!r}"
                            + (f" from {', '.join(spec.launches)}" if spec.launches else "")
                            + " was flown (see the skipped table of the assessment)")
        k = np.arange(spec.missiles)
        per = spec.warheads_per_missile + spec.decoys_per_missile
        traj_m = idx[k % idx.size]
        tr.append(np.repeat(traj_m, per))
        val.append(np.full(spec.missiles * per, spec.warheads_per_missile / per))
        t0.append(np.repeat(spec.start + k * spec.spacing, per))
        mis.append(np.repeat(base + k, per))
        rid.append(np.full(spec.missiles * per, r))
        wpm.append(np.full(spec.missiles, spec.warheads_per_missile))
        dpm.append(np.full(spec.missiles, spec.decoys_per_missile))
        base += spec.missiles
    cat = lambda a, t: np.concatenate(a).astype(t) if a else np.zeros(0, dtype=t)  # noqa: E731
    return Objects(cat(tr, np.int64), cat(val, float), cat(t0, float), cat(mis, np.int64), cat(rid, np.int64),
                   cat(wpm, float), cat(dpm, float), [s.name for s in raids])


def inventories(scenario, factor: float = 1.0, unlimited: bool = False) -> np.ndarray:
    """Interceptors per scenario battery (its ``count``), scaled by ``factor``
    (rounded down), or without limit."""
    out = []
    for b in scenario.batteries:
        if unlimited:
            out.append(wta.UNLIMITED)
            continue
        if b.count is None:
            raise RaidError(f"battery {b.name!r} has no interceptor count: give `count` in the scenario's [[battery]] "
                            "(a raid needs inventories)")
        if b.count < 0:
            raise RaidError(f"battery {b.name!r}: interceptor count must be >= 0, got {b.count}")
        out.append(int(np.floor(b.count * factor + 1e-9)))
    return np.array(out, dtype=np.int64)


def pair_caps(assessment: Assessment, doctrine: wta.Doctrine):
    """Per threat trajectory and battery: the most engagements the doctrine
    allows (0: cannot engage; shoot-look-shoot: the window's opportunities)
    and the earliest launch time (0 where none)."""
    n_t, m = len(assessment.flights), len(assessment.scenario.batteries)
    if m == 0:
        return np.zeros((n_t, 0), dtype=np.int64), np.zeros((n_t, 0))
    pairs = assessment.pairs
    eng = pairs["engageable"].to_numpy(dtype=bool).reshape(n_t, m)
    if doctrine.look:
        shots = pairs["shots"].to_numpy().reshape(n_t, m)
        cap = np.where(eng, np.maximum(np.nan_to_num(shots, nan=1.0), 1), 0).astype(np.int64)
    else:
        cap = eng.astype(np.int64)
    el = np.nan_to_num(pairs["earliest_launch_s"].to_numpy(dtype=float).reshape(n_t, m), nan=0.0)
    return cap, el


def problem_for(assessment: Assessment, objects: Objects, doctrine: wta.Doctrine, inventory, caps=None) -> wta.Problem:
    """The assignment problem of these objects against the assessment's
    batteries (``caps``: :func:`pair_caps` of the same assessment and
    doctrine, when already computed)."""
    cap_t, el = pair_caps(assessment, doctrine) if caps is None else caps
    order = objects.t0[:, None] + el[objects.traj]
    cap = cap_t[objects.traj]
    if objects.bus is not None and objects.bus.any():
        # a bus is engaged only by the batteries that meet it before release
        pre = assessment.before_release[objects.traj[objects.bus]]
        cap[objects.bus] = np.where(pre, cap[objects.bus], 0)
    return wta.Problem(objects.value, cap, np.asarray(inventory), doctrine, order=order)


@dataclass
class RaidResult:
    """A raid planned against an architecture."""

    assessment: Assessment
    objects: Objects
    problem: wta.Problem
    assignment: wta.Assignment
    greedy: wta.Assignment
    optimal: wta.Assignment | None
    gap: float | None
    notes: list = field(default_factory=list)

    @property
    def scenario(self):
        return self.assessment.scenario

    def totals(self) -> dict:
        a, p, o = self.assignment, self.problem, self.objects
        engageable = p.cap.sum(axis=1) > 0
        inv = p.inventory
        return {
            "name": self.scenario.name,
            "missiles": int(o.warheads_per_missile.size),
            "warheads": float(o.warheads_per_missile.sum()),
            "decoys": float(o.decoys_per_missile.sum()),
            "objects": int(len(o)),
            "warheads_engageable": float(p.value[engageable].sum()),
            "objects_engageable": int(engageable.sum()),
            "interceptors_available": None if np.any(inv >= wta.UNLIMITED) else int(inv.sum()),
            "interceptors_reserved": int(a.reserved.sum()),
            "interceptors_expected_fired": float(a.fired().sum()),
            "warheads_intercepted_expected": a.expected_intercepted,
            "warheads_leaking_expected": a.expected_leaking,
            "method": a.method,
            "status": a.status,
            "optimal_intercepted_expected": None if self.optimal is None else self.optimal.expected_intercepted,
            "greedy_intercepted_expected": self.greedy.expected_intercepted,
            "greedy_gap": self.gap,
            "optimal_seconds": None if self.optimal is None else self.optimal.seconds,
            "greedy_seconds": self.greedy.seconds,
            "integer_program_variables": None if self.optimal is None else self.optimal.variables,
        }

    def per_battery(self) -> pd.DataFrame:
        a, p = self.assignment, self.problem
        kills = a.kills_by_battery().sum(axis=0) if p.n else np.zeros(p.m)
        fired = a.fired().sum(axis=0) if p.n else np.zeros(p.m)
        rows = []
        for j, b in enumerate(self.scenario.batteries):
            inv = int(p.inventory[j])
            rows.append({
                "battery": b.name, "interceptor": b.interceptor.name,
                "inventory": None if inv >= wta.UNLIMITED else inv,
                "objects_engageable": int((p.cap[:, j] > 0).sum()),
                "engagements": int(a.x[:, j].sum()),
                "interceptors_reserved": int(a.reserved[j]),
                "interceptors_expected_fired": float(fired[j]),
                "warheads_intercepted_expected": float(kills[j]),
            })
        return pd.DataFrame(rows)

    def per_field(self) -> pd.DataFrame:
        """Per launch field (and raid): warheads, engageable, expected intercepted and leaking."""
        a, p, o = self.assignment, self.problem, self.objects
        meta = self.assessment.meta
        df = pd.DataFrame({
            "raid": np.array(o.raid_names, dtype=object)[o.raid] if len(o) else np.array([], dtype=object),
            "launch": meta["launch"].to_numpy(dtype=object)[o.traj],
            "warheads": p.value,
            "warheads_engageable": np.where(p.cap.sum(axis=1) > 0, p.value, 0.0),
            "warheads_intercepted_expected": p.value * a.p_kill,
            "interceptors_expected_fired": a.fired().sum(axis=1) if p.m else np.zeros(p.n),
        })
        g = df.groupby(["raid", "launch"], sort=False).sum(numeric_only=True).reset_index()
        g["warheads_leaking_expected"] = g["warheads"] - g["warheads_intercepted_expected"]
        return g

    def per_object(self) -> pd.DataFrame:
        a, p, o = self.assignment, self.problem, self.objects
        meta = self.assessment.meta
        names = [b.name for b in self.scenario.batteries]
        assigned = [", ".join(f"{names[j]} x{a.x[i, j]}" for j in np.nonzero(a.x[i])[0]) for i in range(p.n)]
        return pd.DataFrame({
            "raid": np.array(o.raid_names, dtype=object)[o.raid] if len(o) else np.array([], dtype=object),
            "missile": o.missile, "trajectory": meta["label"].to_numpy(dtype=object)[o.traj],
            "launch_time_s": o.t0, "expected_warheads": p.value,
            "batteries_able": (p.cap > 0).sum(axis=1), "engagements": assigned,
            "kill_probability": a.p_kill,
            "interceptors_expected_fired": a.fired().sum(axis=1) if p.m else np.zeros(p.n),
        })

    def assumptions(self) -> list[str]:
        out = self.assessment.assumptions()
        out.append("each missile flies one trajectory of its threat group in turn; its warheads and decoys fly that "
                   "trajectory (no MIRV footprint); the defence cannot tell warheads from decoys and must engage both")
        inv = self.problem.inventory
        per = ", ".join(f"{b.name} {'unlimited' if inv[j] >= wta.UNLIMITED else int(inv[j])}"
                        for j, b in enumerate(self.scenario.batteries))
        out.append(f"inventories are the whole raid's (no reload); interceptors per battery: {per}")
        how = f"assignment: {self.assignment.method}"
        if self.optimal is not None:
            how += f" (integer program, {self.optimal.variables:,} variables, {self.optimal.status})"
        if self.gap is not None:
            how += f"; greedy gap {self.gap:.2%}"
        out.append(how)
        out += self.notes + self.assignment.notes
        return out


def plan(assessment: Assessment, objects: Objects, doctrine: wta.Doctrine | None = None, *, inventory=None,
         method: str = "auto", time_limit: float = 60.0, max_variables: int = 400_000) -> RaidResult:
    """Assign the batteries' interceptors to the objects of a raid."""
    sc = assessment.scenario
    doctrine = doctrine or sc.doctrine or wta.Doctrine()
    inv = inventories(sc) if inventory is None else np.asarray(inventory)
    prob = problem_for(assessment, objects, doctrine, inv)
    res = wta.assign(prob, method, time_limit=time_limit, max_variables=max_variables)
    return RaidResult(assessment, objects, prob, res["assignment"], res["greedy"], res["optimal"], res["gap"])


def raid(scenario, *, doctrine: wta.Doctrine | None = None, inventory=None, method: str = "auto",
         raids=None, tracking: dict | None = None, assessment: Assessment | None = None, progress=None) -> RaidResult:
    """Plan the scenario's [[raid]] salvos (or ``raids``, a list of
    ``RaidSpec``) against its batteries. ``tracking``: launch times from
    simulated radar tracks (keywords of ``track_effect``, ``{}`` for its
    defaults) instead of the fixed track time. ``assessment``: the
    scenario's :func:`assess` result, if already computed."""
    raids = scenario.raids if raids is None else raids
    if not raids:
        raise RaidError(f"scenario {scenario.name!r} has no [[raid]]: add one (threat, missiles, warheads_per_missile, ...)")
    a = assessed(scenario, tracking, assessment if assessment is not None else assess(scenario, progress=progress))
    return plan(a, build_objects(a, raids), doctrine, inventory=inventory, method=method)
