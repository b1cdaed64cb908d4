#!/usr/bin/env python3
"""Gallery: "some attrition on Russian warheads": how much, with how many interceptors?

    python docs/gallery/attrition.py [--out DIR] [--fast]

The question behind the 2013 dispute: kinematics alone says whether one
intercept is possible; a planner counting warheads asks how many of a
strategic force's warheads a deployment could be expected to destroy, for a
given number of interceptors, kill probability and attack.

What the sources say, and what could be checked here
----------------------------------------------------
* Butt & Postol 2011, "Upsetting the Reset", FAS Special Report 1: only the
  FAS announcement could be read; it says the Phased Adaptive Approach "may be
  seen by cautious Russian planners to impose some attrition on Russian
  warheads" while providing "little, if any, protection". No figure of theirs
  for the attrition could be retrieved, so none is printed.
* The force: H. Kristensen and M. Korda et al., FAS Nuclear Notebook
  "Russian nuclear weapons, 2024" (totals read; the split over divisions and
  boats is this catalog's estimate: catalog/data/forces.toml); New START's
  1,550 deployed warheads for scale.
* The kill probability: no combat figure is published; the Aegis BMD test
  record (22 intercepts in 27 at-sea attempts 2002-2011, MDA) bounds it
  from above for cooperative targets (docs/sources.md).

Assumptions of this reproduction (all of them openbmd's, stated)
-----------------------------------------------------------------
* Architecture: the bundled "epaa-phase4-northern-seas" (EPAA Phase 4 plus
  an Aegis ship in the North Sea and one in the Norwegian Sea, cued by
  Fylingdales), with the ships' interceptor an SM-3 IIB-class booster whose
  burnout speed is swept (4.5, 5.5, 6.5 km/s; --fast: 5.5) by scaling the
  catalog entry's specific impulses (openbmd.scenario.scale_stages), and the
  interceptors per northern ship swept (8 to 96).
* Force and attacks: the catalog's russia-2024 (~1,509 missile warheads),
  full launch and the retaliation of what survives a first strike (survival
  shares per basing: catalog assumptions); each division's missiles fly the
  scenario's trajectories from its field toward the US target sets
  (minimum energy, lofted, depressed; --fast: minimum energy only).
* Battle management: shoot-look-shoot, one interceptor per engagement, at
  most two per warhead, single-shot kill probability 0.4 / 0.7 / 0.9,
  assigned by the integer program (openbmd.wta); every interceptor is used
  against this force.

Everything is built as scenario files that extend the bundled scenario;
with --out they are kept with the CSV results and a figure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from openbmd import scenario, wta
from openbmd.analysis.assess import assess
from openbmd.analysis.balance import force_objects
from openbmd.analysis.raid import inventories, plan
from openbmd.catalog import forces as F

BASE = "epaa-phase4-northern-seas"
SHIPS = ("Aegis ship, North Sea", "Aegis ship, Norwegian Sea")
SPEEDS = [4.5, 5.5, 6.5]
FAST_SPEEDS = [5.5]
PER_SHIP = [8, 16, 32, 64, 96]
FAST_PER_SHIP = [8, 32, 96]
PKS = [0.4, 0.7, 0.9]
ATTACKS = ["full launch", "retaliation after a first strike"]


def q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_scenario(folder: Path, v: float, fast: bool) -> Path:
    base = scenario.load(BASE)
    lines = [f"# Attrition sweep (docs/gallery/attrition.py): {BASE} with {v:g} km/s interceptors on the northern ships.",
             "[scenario]", f"name = {q(f'Northern ships at {v:g} km/s')}", f"extends = {q(BASE)}", "",
             "[analyses]", 'run = ["assess"]', "",
             "[[interceptor]]", f"name = {q(f'IIB-class {v:g} km/s')}", 'base = "SM-3 Block IIB"',
             f"burnout_speed_km_s = {v}", 'source = "swept burnout speed (gallery example)"', ""]
    for t in base.threats:
        if t.role != "strategic":
            lines += ["[[threat]]", f"name = {q(t.name)}", "remove = true", ""]
        elif fast:
            lines += ["[[threat]]", f"name = {q(t.name)}", 'profiles = ["min-energy"]', ""]
    for s in SHIPS:
        lines += ["[[battery]]", f"name = {q(s)}", f"interceptor = {q(f'IIB-class {v:g} km/s')}", ""]
    p = folder / f"attrition-{v:g}kms.toml"
    p.write_text("\n".join(lines), encoding="utf-8")
    return p


def sweep(files: dict, per_ship, quiet: bool) -> pd.DataFrame:
    force = [F.load_force("russia-2024")]
    rows = []
    for v, path in files.items():
        t0 = time.time()
        sc = scenario.load(path)
        a = assess(sc)
        names = [b.name for b in sc.batteries]
        ships = [names.index(s) for s in SHIPS]
        for att in ATTACKS:
            objs, units = force_objects(a, force, F.load_attack(att))
            for n in per_ship:
                inv = inventories(sc)
                inv[ships] = n
                for pk in PKS:
                    d = wta.Doctrine(pk=pk, pk_range=(min(PKS), max(PKS)))
                    r = plan(a, objs, d, inventory=inv, method="optimal")
                    t = r.totals()
                    rows.append({"speed_km_s": v, "attack": att, "per_ship": n, "pk": pk,
                                 "warheads": float(units["warheads"].sum()),
                                 "engageable": t["warheads_engageable"],
                                 "attrited": t["warheads_intercepted_expected"],
                                 "interceptors_fired": t["interceptors_expected_fired"]})
        if not quiet:
            print(f"  {path.name}: {len(a.flights)} trajectories, {len(ATTACKS) * len(per_ship) * len(PKS)} "
                  f"assignments in {time.time() - t0:.1f} s", file=sys.stderr)
    return pd.DataFrame(rows)


def plot(df: pd.DataFrame, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(ATTACKS), figsize=(11, 4.2), sharey=False)
    for ax, att in zip(axes, ATTACKS):
        s = df[df.attack == att]
        for v, g in s.groupby("speed_km_s"):
            mid = g[g.pk == 0.7].sort_values("per_ship")
            lo = g[g.pk == min(PKS)].sort_values("per_ship")
            hi = g[g.pk == max(PKS)].sort_values("per_ship")
            ax.plot(mid.per_ship, mid.attrited, marker="o", label=f"{v:g} km/s (pk 0.7)")
            ax.fill_between(mid.per_ship, lo.attrited.to_numpy(), hi.attrited.to_numpy(), alpha=0.2)
            ax.axhline(mid.engageable.iloc[0], ls=":", lw=1, color=ax.lines[-1].get_color())
        ax.set_title(f"{att}: {s.warheads.iloc[0]:,.0f} warheads launched", fontsize=10)
        ax.set_xlabel("interceptors per northern ship")
        ax.set_ylabel("expected Russian warheads attrited")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, title="band: pk 0.4-0.9; dotted: engageable", title_fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="folder for the scenario files, CSV results and figure")
    ap.add_argument("--fast", action="store_true", help="one speed, minimum-energy shots, fewer inventories (for tests)")
    ap.add_argument("--quiet", action="store_true", help="no timing lines on stderr")
    args = ap.parse_args(argv)
    speeds = FAST_SPEEDS if args.fast else SPEEDS
    per_ship = FAST_PER_SHIP if args.fast else PER_SHIP
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = {v: write_scenario(folder, v, args.fast) for v in speeds}
        df = sweep(files, per_ship, args.quiet)
        if args.out:
            df.to_csv(folder / "attrition.csv", index=False)
            plot(df, folder / "attrition.png")
    print("Expected Russian warheads attrited (pk 0.7; in brackets pk 0.4-0.9), by interceptors per northern ship")
    for att in ATTACKS:
        s = df[df.attack == att]
        print(f"\n{att}: {s.warheads.iloc[0]:,.0f} warheads launched")
        for v, g in s.groupby("speed_km_s"):
            cells = []
            for n in per_ship:
                c = g[g.per_ship == n].set_index("pk")["attrited"]
                cells.append(f"{n:3d}: {c[0.7]:6.1f} [{c[min(PKS)]:.1f}-{c[max(PKS)]:.1f}]")
            print(f"  {v:g} km/s, {g.engageable.iloc[0]:,.0f} on engageable trajectories | " + "  ".join(cells))
    full = df[(df.attack == ATTACKS[0]) & (df.pk == 0.7)]
    best = full.attrited.max()
    print(f"\nAt most {best:.0f} of {full.warheads.iloc[0]:,.0f} warheads ({100 * best / full.warheads.iloc[0]:.1f} %; "
          f"{100 * best / 1550:.1f} % of New START's 1,550) in this sweep: 'some attrition', bounded by the "
          "warheads on engageable trajectories and, below that, by the interceptors.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
