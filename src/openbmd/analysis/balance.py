"""``balance``: how many of a strategic force's warheads could a defence
engage or attrit, per phase, for a stated attack.

The force comes from the catalog (``catalog/data/forces.toml``: public
estimates of launchers and warheads per launcher per ICBM division and SLBM
fleet, with sources such as the FAS Nuclear Notebook); the attack says which
share of each basing is launched (a full launch, or the retaliation of what
survives a first strike). Each unit's missiles fly the scenario's
trajectories from its launch point in turn (targets and profiles as the
scenario lists them), carrying the unit's warheads (and optional decoys);
then:

- *engageable*: warheads on trajectories that at least one battery can
  engage (kinematics, sensors and timing; no inventory limit);
- *attrited*: the expected warheads intercepted by the best assignment of the
  batteries' interceptors (inventories, shot doctrine, kill probability:
  :mod:`openbmd.wta`).

Sensitivities: inventory (scaled and unlimited), the kill probability's
range, and the reaction (decision) time. Warheads of units whose launch point
has no trajectory in the scenario are counted in the total and reported as not
modelled (never engageable).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import wta
from ..catalog import forces as F
from .assess import Assessment, assess
from .track import assessed
from .raid import Objects, RaidError, inventories, pair_caps, plan, problem_for


def force_objects(assessment: Assessment, forces, attack, decoys_per_missile: int = 0):
    """The objects of a force's attack on the assessment's trajectories, and a
    per-unit table (launchers, missiles and warheads launched, trajectories)."""
    launch = assessment.meta["launch"].to_numpy(dtype=object)
    bus_ok = assessment.before_release.any(axis=1) if len(assessment.scenario.batteries) else None
    objs, rows = _force_arrays(launch, forces, attack, decoys_per_missile, bus_ok)
    return objs, pd.DataFrame(rows)


def _force_arrays(launch, forces, attack, decoys_per_missile, bus_ok=None):
    """The objects of an attack. ``bus_ok`` (per trajectory): some battery
    meets the MIRV bus before it releases its warheads; each such missile
    with more than one warhead is then one object carrying all its warheads
    (and its decoys, still aboard)."""
    tr, val, t0, mis, rid, wpm, dpm, names, rows, bus = [], [], [], [], [], [], [], [], [], []
    base = 0
    for force in forces:
        for u in force.units:
            s = float(attack.fraction(u.basing, force.party))
            n_m = int(round(u.launchers * s))
            n_w = int(round(u.launchers * s * u.warheads_per_launcher))
            idx = np.nonzero(launch == u.launch)[0]
            rows.append({"force": force.name, "unit": u.name, "launch": u.launch, "missile": u.missile,
                         "basing": u.basing, "launchers": u.launchers, "launched_share": s, "missiles": n_m,
                         "warheads": n_w, "trajectories": int(idx.size), "modelled": bool(idx.size and n_m)})
            if idx.size == 0 or n_m == 0:
                continue
            k = np.arange(n_m)
            w = np.full(n_m, n_w // n_m) + (k < n_w % n_m)  # warheads as even as whole numbers allow
            per = w + decoys_per_missile
            traj_m = idx[k % idx.size]
            on_bus = np.zeros(n_m, dtype=bool) if bus_ok is None else (bus_ok[traj_m] & (w > 1))
            per = np.where(on_bus, 1, per)
            tr.append(np.repeat(traj_m, per))
            val.append(np.repeat(np.where(on_bus, w, np.where(per > 0, w / np.maximum(per, 1), 0.0)), per))
            bus.append(np.repeat(on_bus, per))
            t0.append(np.zeros(int(per.sum())))
            mis.append(np.repeat(base + k, per))
            rid.append(np.full(int(per.sum()), len(names)))
            wpm.append(w)
            dpm.append(np.full(n_m, decoys_per_missile))
            names.append(u.name)
            base += n_m
    cat = lambda a, t: np.concatenate(a).astype(t) if a else np.zeros(0, dtype=t)  # noqa: E731
    objs = Objects(cat(tr, np.int64), cat(val, float), cat(t0, float), cat(mis, np.int64), cat(rid, np.int64),
                   cat(wpm, float), cat(dpm, float), names, cat(bus, bool))
    return objs, rows


@dataclass
class PhaseBalance:
    name: str
    attack: str
    units: pd.DataFrame
    result: object  # RaidResult
    sensitivity: dict
    treaty: object

    def row(self) -> dict:
        t = self.result.totals()
        total = float(self.units["warheads"].sum())
        modelled = float(self.units.loc[self.units["modelled"], "warheads"].sum())
        eng, att = t["warheads_engageable"], t["warheads_intercepted_expected"]
        lim = self.treaty.deployed_warheads if self.treaty is not None else None
        return {
            "name": self.name, "attack": self.attack,
            "forces": ", ".join(dict.fromkeys(self.units["force"])),
            "warheads_total": total, "warheads_modelled": modelled,
            "warheads_engageable": eng, "warheads_engageable_share": eng / total if total else 0.0,
            "warheads_attrited_expected": att, "warheads_attrited_share": att / total if total else 0.0,
            "interceptors": t["interceptors_available"], "interceptors_reserved": t["interceptors_reserved"],
            "interceptors_expected_fired": t["interceptors_expected_fired"],
            "kill_probability": self.result.problem.doctrine.pk, "shot_doctrine": self.result.problem.doctrine.shot,
            "method": t["method"], "greedy_gap": t["greedy_gap"],
            "treaty": None if self.treaty is None else self.treaty.name,
            "treaty_deployed_warheads_limit": lim,
            "attrited_share_of_treaty_limit": att / lim if lim else None,
            "sensitivity": self.sensitivity,
        }


@dataclass
class Balance:
    name: str
    phases: list  # PhaseBalance
    notes: list = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        rows = [p.row() for p in self.phases]
        df = pd.DataFrame(rows)
        if len(df):
            sens = pd.DataFrame([r["sensitivity"] for r in rows]).add_prefix("attrited if ")
            df = pd.concat([df.drop(columns=["sensitivity"]), sens], axis=1)
        return df

    def records(self) -> list[dict]:
        return [p.row() for p in self.phases]

    def per_unit(self) -> pd.DataFrame:
        """Per phase and unit: warheads launched, engageable, expected attrited."""
        out = []
        for p in self.phases:
            f = p.result.per_field()
            f = f.rename(columns={"raid": "unit"})
            f.insert(0, "phase", p.name)
            f.insert(1, "attack", p.attack)
            out.append(f)
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame()

    def assumptions(self) -> list[str]:
        out = list(self.notes)
        if self.phases:
            out += self.phases[0].result.problem.doctrine.describe()
        return out


def _sensitivity(a: Assessment, objs, doctrine, spec, method, base_inv, alt, tracking=None):
    """Expected attrition with one input changed at a time."""
    sc = a.scenario

    def attrited(assessment=a, d=doctrine, inventory=base_inv):
        return plan(assessment, objs, d, inventory=inventory, method=method).assignment.expected_intercepted

    out = {f"inventory x{f:g}": attrited(inventory=inventories(sc, f)) for f in spec.inventory_factors}
    out["inventory unlimited"] = attrited(inventory=inventories(sc, unlimited=True))
    lo, hi = doctrine.pk_range
    for pk in sorted({lo, hi}):
        out[f"kill probability {pk:g}"] = attrited(d=doctrine.replace(pk=pk))
    for dt in spec.decision_times:
        if dt not in alt:  # one engine run per phase and decision time, shared by the attacks
            alt[dt] = assessed(sc.replace(decision_time=float(dt)), tracking)
        out[f"decision time {dt:g} s"] = attrited(assessment=alt[dt])
    return out


def _inputs(scenario, forces, attacks):
    """The members, the [balance] spec (or one for the forces given), and the
    force and attack objects asked for."""
    from ..scenario import BalanceSpec

    members = scenario.phases if scenario.is_comparison else [scenario]
    spec = scenario.balance or next((m.balance for m in members if m.balance is not None), None)
    if spec is None and forces is None:
        raise RaidError(f"scenario {scenario.name!r} has no [balance] table: give a force (e.g. --force russia-2024)")
    spec = spec or BalanceSpec(forces=tuple(forces), attacks=("full launch",))
    force_objs = [F.load_force(f) for f in (forces or spec.forces)]
    attack_objs = [F.load_attack(x) for x in (attacks or spec.attacks)]
    return members, spec, force_objs, attack_objs


def balance(scenario, *, forces=None, attacks=None, doctrine: wta.Doctrine | None = None, method: str | None = None,
            decoys_per_missile: int | None = None, sensitivity: bool = True, tracking: dict | None = None,
            assessments=None, progress=None) -> Balance:
    """The strategic balance of a scenario (or each phase of a comparison).

    ``forces``/``attacks``: names (default: the scenario's [balance] table).
    ``tracking``: use simulated radar tracks instead of the fixed track time
    (keywords of ``track_effect``, ``{}`` for its defaults). ``assessments``:
    the members' :func:`assess` results, in member order, if already computed.
    Returns a :class:`Balance` with one row per phase and attack."""
    members, spec, force_objs, attack_objs = _inputs(scenario, forces, attacks)
    method = method or spec.method
    dec = spec.decoys_per_missile if decoys_per_missile is None else int(decoys_per_missile)
    if dec < 0:
        raise RaidError(f"decoys per missile: expected an integer >= 0, got {dec}")
    treaty = F.load_treaty()
    out = []
    for k, sc in enumerate(members):
        a = assessed(sc, tracking, assessments[k] if assessments is not None else assess(sc, progress=progress))
        d = doctrine or sc.doctrine or wta.Doctrine()
        inv = inventories(sc)
        alt: dict = {}
        for att in attack_objs:
            objs, units = force_objects(a, force_objs, att, dec)
            res = plan(a, objs, d, inventory=inv, method=method)
            sens = _sensitivity(a, objs, d, spec, method, inv, alt, tracking) if sensitivity else {}
            out.append(PhaseBalance(sc.name, att.name, units, res, sens, treaty))
    notes = [f"force {f.name}: {f.source}" for f in force_objs]
    for x in attack_objs:
        shares = ", ".join(f"{k} {v:g}" for k, v in x.survival.items())
        for f in force_objs:
            own = {b: x.fraction(b, f.party) for b in sorted({u.basing for u in f.units})}
            if any(own[b] != x.survival.get(b) for b in own):
                shares += f"; {f.party}: " + ", ".join(f"{b} {v:g}" for b, v in own.items())
        notes.append(f"attack {x.name}: launched share per basing {shares}; source: {x.source}")
    notes.append("each unit's missiles fly the scenario's trajectories from its launch point in turn (its targets and "
                 "profiles); warheads of units with no trajectory in the scenario are counted but not modelled")
    notes.append("engageable: on a trajectory that at least one battery can engage (no inventory limit); attrited: "
                 "expected warheads intercepted by the best assignment of the inventories (battle management)")
    notes.append("all interceptors are assumed available against this force (none held back for other threats)")
    notes.append("MIRV buses: a missile whose bus a battery meets before the last warhead is released is one object "
                 "carrying all its warheads, engaged only by the batteries that meet it before release (post-boost "
                 "times: catalog sensors.toml, ASSUMPTIONS with ranges)")
    if dec:
        notes.append(f"{dec} decoy(s) per missile that the defence cannot tell from warheads")
    if tracking is not None:
        notes.append("interceptor launch times from simulated radar tracks (extended Kalman filter, fire control when "
                     "the predicted intercept point is known to the stated accuracy: openbmd track) instead of the "
                     f"fixed track time; options {tracking or 'default'}")
    if treaty is not None:
        notes.append(f"treaty context: {treaty.name}: {treaty.deployed_warheads:,} deployed warheads; source: {treaty.source}")
    return Balance(scenario.name, out, notes)


# ------------------------------------------------------------ uncertainty ----
def _tri(rng, lo, mode, hi):
    """A triangular draw on [lo, hi] peaking at the nominal (the source's best estimate)."""
    lo, hi = min(lo, mode), max(hi, mode)
    return float(mode) if hi <= lo else float(rng.triangular(lo, mode, hi))


def _sample_force(force, rng):
    """The force with each unit's launchers and warheads per launcher drawn
    from their catalog ranges (triangular, peaking at the nominal)."""
    from dataclasses import replace

    units = []
    for u in force.units:
        lo_l, hi_l = u.uncertainty.get("launchers", (u.launchers, u.launchers))
        lo_w, hi_w = u.uncertainty.get("warheads_per_launcher", (u.warheads_per_launcher,) * 2)
        units.append(replace(u, launchers=int(round(_tri(rng, lo_l, u.launchers, hi_l))),
                             warheads_per_launcher=_tri(rng, lo_w, u.warheads_per_launcher, hi_w)))
    return replace(force, units=tuple(units))


def _sample_attack(attack, rng):
    """The attack with each launched share drawn from its range (triangular, peaking at the nominal)."""
    from dataclasses import replace

    r, pr = attack.survival_range, attack.party_survival_range
    surv = {b: _tri(rng, r[b][0], attack.survival[b], r[b][1]) for b in sorted(attack.survival)}
    party = {k: _tri(rng, pr[k][0], attack.party_survival[k], pr[k][1]) for k in sorted(attack.party_survival)}
    return replace(attack, survival=surv, party_survival=party)


def balance_uncertainty(scenario, *, samples: int = 1000, seed: int = 0, forces=None, attacks=None,
                        doctrine: wta.Doctrine | None = None, method: str = "greedy", tracking: dict | None = None,
                        progress=None) -> pd.DataFrame:
    """The balance under the uncertainty of its inputs: per phase and attack,
    ``samples`` draws (triangular within the stated ranges, peaking at the
    nominal value, the source's best estimate) of every unit's launchers and
    warheads per launcher, every launched share of the attack, and the kill
    probability; the engagement geometry (which trajectories can
    be engaged) is held at the nominal. Seeded per (phase, attack, sample):
    the same seed gives the same table. ``method``: the assignment of every
    sample (``greedy`` by default, compiled; its gap to the integer program is
    reported by :func:`balance`)."""
    if not (isinstance(samples, (int, np.integer)) and samples >= 1):
        raise RaidError(f"samples: expected an integer >= 1, got {samples!r}")
    members, spec, force_objs, attack_objs = _inputs(scenario, forces, attacks)
    dec = spec.decoys_per_missile
    rows = []
    for pi, sc in enumerate(members):
        a = assessed(sc, tracking)
        d0 = doctrine or sc.doctrine or wta.Doctrine()
        inv = inventories(sc)
        caps = pair_caps(a, d0)  # per trajectory: the draws change the objects, not the engagements
        launch = a.meta["launch"].to_numpy(dtype=object)
        bus_ok = a.before_release.any(axis=1) if sc.batteries else None
        able = caps[0].sum(axis=1) > 0
        mine = np.isin(launch, [u.launch for f in force_objs for u in f.units])
        live = bool((able & mine).any())
        for ai, att in enumerate(attack_objs):
            tot, eng, attr = np.zeros(samples), np.zeros(samples), np.zeros(samples)
            for s in range(samples):
                rng = np.random.default_rng([int(seed), pi, ai, s])
                fs = [_sample_force(f, rng) for f in force_objs]
                at = _sample_attack(att, rng)
                pk = _tri(rng, d0.pk_range[0], d0.pk, d0.pk_range[1])
                objs, units = _force_arrays(launch, fs, at, dec, bus_ok)
                tot[s] = sum(u["warheads"] for u in units)
                if not live:  # nothing of this force can be engaged here, whatever the numbers
                    continue
                prob = problem_for(a, objs, d0.replace(pk=pk), inv, caps=caps)
                eng[s] = float(prob.value[prob.cap.sum(axis=1) > 0].sum())
                attr[s] = wta.assign(prob, method)["assignment"].expected_intercepted
            q = lambda x, p: float(np.percentile(x, p))  # noqa: E731
            rows.append({"name": sc.name, "attack": att.name, "samples": samples, "seed": seed,
                         "warheads_total_p5": q(tot, 5), "warheads_total_p50": q(tot, 50), "warheads_total_p95": q(tot, 95),
                         "warheads_engageable_p50": q(eng, 50),
                         "attrited_mean": float(attr.mean()), "attrited_p5": q(attr, 5), "attrited_p50": q(attr, 50),
                         "attrited_p95": q(attr, 95), "p_any_attrition": float((attr >= 0.5).mean())})
        if progress:
            progress(1)
    return pd.DataFrame(rows)
