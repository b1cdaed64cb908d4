"""``raid``: salvos of many missiles against the whole architecture, with
inventories, shot doctrine and kill probability, assigned by battle
management (:mod:`openbmd.wta`).

Each missile of a raid flies one trajectory of its threat group (the group's
trajectories in turn, so a raid of many missiles spreads over the group's
launch points, targets and profiles) and carries warheads and decoys. Every
warhead and decoy is an *object*: the defence cannot tell them apart, so each
object of a missile with w warheads and d decoys carries w / (w + d) expected
warheads, and every object must be engaged to be sure of the warheads.

MIRV buses (signatures by flight phase, catalog ``sensors.toml``): until the
release time (burnout + ``bus_release_s``) the post-boost vehicle carries
every warhead and decoy. A missile whose bus some battery meets before release
is one object carrying all its warheads, engaged only by those batteries (as
in :mod:`.balance`). Otherwise, after release, each warhead flies its own
trajectory to an aim point spread over the class's footprint
(``footprint_km`` along track x ``footprint_width_km`` across,
:mod:`.mirv`), with its own engagement windows (intercepts after release
only); decoy j accompanies warhead j mod w. Single-RV classes, and scenarios
without signatures by flight phase, fly every object on the missile's
trajectory. The engine's windows are per trajectory and do
not depend on the launch time (the Earth-fixed geometry repeats), so a raid's
launch spacing orders the engagements in time; the inventories are the whole
raid's (no reload).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import wta
from . import mirv
from .assess import Assessment, assess
from .track import assessed
from ..errors import OpenBMDError


class RaidError(OpenBMDError, ValueError):
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
    warhead: np.ndarray | None = None  # per object: its row in ``released`` (own trajectory after release), -1: none
    released: object = None  # mirv.Released: the warheads' trajectories and engagements after release

    def __len__(self):
        return self.traj.size


def build_objects(assessment: Assessment, raids, footprints: bool = True) -> Objects:
    """The objects of the scenario's raids (``RaidSpec``) on its flown
    trajectories. ``footprints``: fly MIRV warheads to their footprint aim
    points after release (False: every object on its missile's trajectory,
    the older model)."""
    meta = assessment.meta
    m = len(assessment.scenario.batteries)
    bus_ok = assessment.before_release.any(axis=1) if m else np.zeros(len(assessment.flights), dtype=bool)
    tr, val, t0, mis, rid, wpm, dpm, bus, slot = [], [], [], [], [], [], [], [], []
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
        w, d = spec.warheads_per_missile, spec.decoys_per_missile
        k = np.arange(spec.missiles)
        traj_m = idx[k % idx.size]
        # a bus met before release: one object with every warhead (and its decoys, still aboard)
        on_bus = bus_ok[traj_m] & (w > 1)
        per = np.where(on_bus, 1, w + d)
        n_o = int(per.sum())
        tr.append(np.repeat(traj_m, per))
        val.append(np.repeat(np.where(on_bus, float(w), w / max(w + d, 1)), per))
        t0.append(np.repeat(spec.start + k * spec.spacing, per))
        mis.append(np.repeat(base + k, per))
        rid.append(np.full(n_o, r))
        bus.append(np.repeat(on_bus, per))
        # place in the missile's footprint: warheads 0..w-1, decoy j with warhead j mod w
        first = np.repeat(np.cumsum(per) - per, per)
        slot.append(np.where(np.repeat(on_bus, per), -1, (np.arange(n_o) - first) % max(w, 1)))
        wpm.append(np.full(spec.missiles, w))
        dpm.append(np.full(spec.missiles, d))
        base += spec.missiles
    cat = lambda a, t: np.concatenate(a).astype(t) if a else np.zeros(0, dtype=t)  # noqa: E731
    objs = Objects(cat(tr, np.int64), cat(val, float), cat(t0, float), cat(mis, np.int64), cat(rid, np.int64),
                   cat(wpm, float), cat(dpm, float), [s.name for s in raids], cat(bus, bool))
    if not footprints or not len(objs):
        return objs
    # MIRV warheads after release: their own trajectories over the footprint
    slot = cat(slot, np.int64)
    wobj = cat(wpm, np.int64)[objs.missile]
    want = (slot >= 0) & (wobj > 1)
    buses = sorted(set(zip(objs.traj[want].tolist(), wobj[want].tolist())))
    rel = mirv.released(assessment, buses) if buses else None
    if rel is not None:
        first = np.array([rel.index.get((int(t), int(w)), -1) for t, w in zip(objs.traj, wobj)], dtype=np.int64)
        objs.warhead = np.where(want & (first >= 0), first + np.maximum(slot, 0), -1)
        objs.released = rel
    return objs


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
    if objects.warhead is not None and (objects.warhead >= 0).any():
        # a released warhead: its own trajectory's engagements, after release
        sel = objects.warhead >= 0
        wcap, wel = pair_caps(objects.released.assessment, doctrine)
        cap[sel] = wcap[objects.warhead[sel]]
        order[sel] = objects.t0[sel, None] + wel[objects.warhead[sel]]
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
        # after release: the warhead's own trajectory (its footprint aim point); a bus: "bus (all warheads)"
        after = np.full(p.n, "", dtype=object)
        if o.warhead is not None and (o.warhead >= 0).any():
            sel = o.warhead >= 0
            after[sel] = o.released.assessment.meta["label"].to_numpy(dtype=object)[o.warhead[sel]]
        if o.bus is not None:
            after[o.bus] = "bus (all warheads)"
        return pd.DataFrame({
            "raid": np.array(o.raid_names, dtype=object)[o.raid] if len(o) else np.array([], dtype=object),
            "missile": o.missile, "trajectory": meta["label"].to_numpy(dtype=object)[o.traj],
            "after_release": after,
            "launch_time_s": o.t0, "expected_warheads": p.value,
            "batteries_able": (p.cap > 0).sum(axis=1), "engagements": assigned,
            "kill_probability": a.p_kill,
            "interceptors_expected_fired": a.fired().sum(axis=1) if p.m else np.zeros(p.n),
        })

    def assumptions(self) -> list[str]:
        out = self.assessment.assumptions()
        o = self.objects
        n_rel = int((o.warhead >= 0).sum()) if o.warhead is not None else 0
        n_bus = int(o.bus.sum()) if o.bus is not None else 0
        out.append("each missile flies one trajectory of its threat group in turn; the defence cannot tell warheads "
                   "from decoys and must engage both")
        out.append("MIRV buses: until release (burnout + the class's post-boost time, catalog sensors.toml) the bus "
                   "carries every warhead; a bus some battery meets before release is one object with all its "
                   f"warheads ({n_bus} here); otherwise each warhead flies to its own aim point over the class's "
                   "footprint (along x across track, catalog sensors.toml, ASSUMPTIONS with ranges) and is engaged "
                   f"after release on its own trajectory ({n_rel} objects here), with its decoys; warhead "
                   "trajectories use the fixed track time (not the simulated track filter)")
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
