#!/usr/bin/env python3
"""Gallery: where interceptors are based matters more than how many: Romania, Poland or the northern seas.

    python docs/gallery/basing.py [--out DIR] [--fast]

The same SM-3 interceptors at four sites (Deveselu, Romania; Redzikowo,
Poland; a ship in the North Sea; a ship in the Norwegian Sea), against three
threat sets: Russian ICBMs from European Russia toward the US (the feared
mission), a hypothetical Iranian ICBM toward the US (the stated mission of
EPAA phase 4) and Iranian missiles toward European capitals (the stated
mission of phases 1-3).

What the sources say, and what could be checked here
----------------------------------------------------
* GAO-13-382R, "Standard Missile-3 Block IIB Analysis of Alternatives"
  (11 Feb 2013), read through its public summary (legistorm.com) and
  SpaceNews (Feb 2013): MDA's own later analyses showed that (1) the Romania
  site "was not a good location from a flight path standpoint for defending
  the United States with the SM-3 Block IIB"; (2) the Poland site may require
  launching the interceptor earlier, while the threat missile is still in its
  boost phase; (3) the North Sea offers the best vantage point. GAO gives no
  numbers in what could be read.
* NRC 2012, "Making Sense of Ballistic Missile Defense" (National Academies
  Press), as summarised by a SpaceNews editorial (Feb 2013; read): the final
  phase (SM-3 IIB in Romania and Poland) "would do little to protect the
  eastern United States from Iranian missiles". The report itself could not
  be read here; none of its figures is printed.
* Butt & Postol 2011 and Wilkening 2012 (texts not retrieved; conclusion as
  this project states it in README and tests/unit/test_engage.py, unverified):
  interceptors in Romania cannot engage ICBMs from western Russia toward the
  US; fast interceptors on ships in the Norwegian Sea can, launched early.
* G. Lewis (Cornell), quoted by TASS, 20 May 2016 (read): the SM-3 Block IIA
  based in or near Europe "is not a threat to Russian missiles ... because
  the Russian missiles, if flown on slightly lofted trajectories, will be too
  high for the Block IIA missiles reach".

Assumptions of this reproduction (openbmd's, stated)
----------------------------------------------------
* Interceptors: the catalog's SM-3 Block IIA (4.5 km/s; intercepts 70-1,000
  km, <= 2,500 km) and Block IIB (5.5 km/s; 70-1,500 km, <= 3,000 km), the
  figures of the public debate (docs/sources.md: not verified against those
  texts). No tail chase.
* Sites: the catalog's Deveselu and Redzikowo; the bundled North Sea
  (55.5-58.5 N, 1-7 E) and Norwegian Sea (66-70 N, 0-8 E) patrol boxes, each
  sampled at 5 stations sharing the box-centre fly-out table.
* Threats: the bundled epaa-base sets: RS-24 Yars from the five European
  Russian fields to nine US cities (min-energy, lofted 1.4 x and depressed
  0.6 x apogee; min-energy only with --fast); the Hwasong-15 as a STAND-IN
  for a hypothetical Iranian ICBM (no Iranian missile in the catalog reaches
  the US), from Tabriz and Semnan to the US East Coast and Midwest (widened
  here from the bundled Washington and New York); Shahab-3 / Sejjil-2 (the
  first that reaches; Hwasong-15 beyond) from six Iranian launch areas to
  nine European capitals (two launch areas with --fast).
* Launch: the same rule at every site so that only geometry differs: (1) the
  interceptor may leave 180 s after the threat's launch (an early-warning
  cue); (2) launch on remote on the bundled Kurecik AN/TPY-2 track, or (3) on
  the Fylingdales UEWR track (first detection of a 0.1 m^2 target + the
  radar's track time + 30 s decision; radar sensitivities are this catalog's
  estimates); and, independent of any cue, the latest launch that still
  allows an intercept.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from openbmd import analysis, scenario

BASE = "epaa-phase4-northern-seas"
RUSSIA = "European Russia ICBM fields to the US"
IRAN_US = "Iran to the US (hypothetical ICBM)"
IRAN_EU = "Iran to European capitals"
GROUPS = {RUSSIA: "Russia->US", IRAN_US: "Iran->US", IRAN_EU: "Iran->Europe"}
SITES = ["Deveselu", "Redzikowo", "North Sea", "Norwegian Sea"]
INTERCEPTORS = ["SM-3 Block IIA", "SM-3 Block IIB"]
FAST_INTERCEPTORS = ["SM-3 Block IIB"]
DELAY = 180.0


def q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def short(ic: str) -> str:
    return ic.replace("SM-3 Block ", "")


RULES = {  # launch rule -> what every battery is cued by
    f"launch {DELAY:g} s": "launch_delay",
    "Kurecik TPY-2 cue": "Kurecik TPY-2",  # the EPAA's forward-based X-band radar in Turkey
    "Fylingdales cue": "Fylingdales",  # the UK early-warning radar, launch on remote
}


def write_scenarios(folder: Path, interceptors, fast: bool) -> dict:
    """One common file (threats, what to drop from the bundled scenario) and
    one per launch rule with the same batteries, all cued alike."""
    base = scenario.load(BASE)
    boxes = {b.name: b.patrol_box for b in base.batteries if b.patrol_box}
    where = {
        "Deveselu": ['at = "Deveselu"', "count = 24"],
        "Redzikowo": ['at = "Redzikowo"', "count = 24"],
        "North Sea": [f"patrol_box_deg = {list(boxes['Aegis ship, North Sea'])}", "stations = 5", "count = 8"],
        "Norwegian Sea": [f"patrol_box_deg = {list(boxes['Aegis ship, Norwegian Sea'])}", "stations = 5", "count = 8"],
    }
    lines = [
        "# Basing comparison (docs/gallery/basing.py): the bundled threats, model and",
        "# radars; the per-rule files add the same interceptors at four sites.",
        "[scenario]",
        f"name = {q('Basing comparison (common part)')}",
        f"extends = {q(BASE)}",
        "",
        "[analyses]",
        'run = ["assess"]',
        "",
    ]
    for t in base.threats:
        if t.name not in GROUPS:
            lines += ["[[threat]]", f"name = {q(t.name)}", "remove = true", ""]
    if fast:
        lines += ["[[threat]]", f"name = {q(RUSSIA)}", 'profiles = ["min-energy"]', ""]
        lines += ["[[threat]]", f"name = {q(IRAN_EU)}", 'from = ["Tabriz launch area", "Semnan"]', ""]
    lines += ["[[threat]]", f"name = {q(IRAN_US)}", 'to = ["US East Coast", "US Midwest"]', ""]
    for b in base.batteries:
        lines += ["[[battery]]", f"name = {q(b.name)}", "remove = true", ""]
    (folder / "basing-common.toml").write_text("\n".join(lines), encoding="utf-8")
    files = {}
    for k, (rule, cue) in enumerate(RULES.items()):
        text = ["[scenario]", f"name = {q(f'Basing, {rule}')}", 'extends = "basing-common.toml"', ""]
        if cue == "launch_delay":
            text += ["[doctrine]", f"launch_delay_s = {DELAY}   # s after the threat's launch, at every site", ""]
        for site in SITES:
            for ic in interceptors:
                text += ["[[battery]]", f"name = {q(f'{site} {short(ic)}')}", f"interceptor = {q(ic)}", *where[site],
                         f"cued_by = {q(cue)}", ""]
        p = folder / f"basing-{k + 1}-{rule.split()[0].lower()}.toml"
        p.write_text("\n".join(text), encoding="utf-8")
        files[rule] = p
    return files


def summarise(a, rule) -> tuple[pd.DataFrame, pd.DataFrame]:
    pairs = a.pairs.merge(a.meta[["group", "profile"]], left_on="threat", right_index=True)
    pairs["rule"] = rule
    pairs["threats"] = pairs["group"].map(GROUPS)
    pairs["site"] = pairs["battery"].str.rsplit(" ", n=1).str[0]
    pairs["ic"] = pairs["battery"].str.rsplit(" ", n=1).str[1]
    g = pairs.groupby(["rule", "threats", "site", "ic"], sort=False)
    res = g.agg(trajectories=("engageable", "size"), engageable=("engageable", "sum"),
                median_earliest_launch_s=("earliest_launch_s", "median"),
                latest_launch_max_s=("latest_launch_s", "max"),
                latest_launch_median_s=("latest_launch_s", "median")).reset_index()
    res["share"] = res["engageable"] / res["trajectories"]
    return res, pairs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="folder for the scenario files and CSV results")
    ap.add_argument("--fast", action="store_true", help="IIB only, fewer threats (for tests)")
    ap.add_argument("--quiet", action="store_true", help="no timing lines on stderr")
    args = ap.parse_args(argv)
    ics = FAST_INTERCEPTORS if args.fast else INTERCEPTORS
    t0 = time.time()
    results, allpairs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = write_scenarios(folder, ics, args.fast)
        for rule, path in files.items():
            t1 = time.time()
            a = analysis.assess(scenario.load(path))
            r, p = summarise(a, rule)
            results.append(r)
            allpairs.append(p)
            if not args.quiet:
                print(f"  assessed {path.name}: {len(a.flights)} trajectories x {len(a.scenario.batteries)} "
                      f"batteries in {time.time() - t1:.1f} s", file=sys.stderr)
        res = pd.concat(results, ignore_index=True)
        pairs = pd.concat(allpairs, ignore_index=True)
        if args.out:
            res.to_csv(folder / "basing.csv", index=False)
            pairs.to_csv(folder / "basing_pairs.csv", index=False)
    tr = a.flights.trajectories
    burn = pd.Series(tr.burnout_time, index=a.meta.index).groupby(a.meta["group"].map(GROUPS)).median()
    order = list(GROUPS.values())
    rules = list(RULES)

    def cell(rule, t, site, ic):
        return res[(res.rule == rule) & (res.threats == t) & (res.site == site) & (res.ic == ic)].iloc[0]

    print("Basing comparison: the same interceptors at four sites, every site under the same launch rule\n")
    print("Share of trajectories engageable (engageable / trajectories):")
    for rule in rules:
        for ic in [short(i) for i in ics]:
            print(f"\n  SM-3 Block {ic}, {rule}")
            print(f"  {'site':14s}" + "".join(f"{t:>17s}" for t in order))
            for site in SITES:
                cells = []
                for t in order:
                    r = cell(rule, t, site, ic)
                    cells.append(f"{100 * r.share:4.0f} % ({int(r.engageable):3d}/{int(r.trajectories):3d})")
                print(f"  {site:14s}" + "".join(f"{c:>17s}" for c in cells))

    print("\nLatest interceptor launch that still allows an intercept, s after the threat's launch")
    print("(best trajectory of the set / median; 'none': no point reachable; ships: the best of the 5 stations).")
    print("It depends on geometry and interceptor only: a cue whose earliest launch comes no later allows")
    print("an engagement.")
    print("Threat burnout (median): " + ", ".join(f"{t} {burn[t]:.0f} s" for t in order))
    print("Earliest launch on each cue (median over the set; 'never': the radar makes no firm track):")
    for rule in rules[1:]:
        cells = []
        for t in order:
            m = cell(rule, t, SITES[0], short(ics[-1])).median_earliest_launch_s
            cells.append(f"{t} {m:.0f} s" if np.isfinite(m) else f"{t} never")
        print(f"  {rule:18s} " + ", ".join(cells))
    for ic in [short(i) for i in ics]:
        print(f"\n  SM-3 Block {ic}")
        print(f"  {'site':14s}" + "".join(f"{t:>18s}" for t in order))
        for site in SITES:
            cells = []
            for t in order:
                r = cell(rules[0], t, site, ic)
                cells.append("none" if not np.isfinite(r.latest_launch_max_s) else
                             f"{r.latest_launch_max_s:6.0f} / {r.latest_launch_median_s:6.0f}")
            print(f"  {site:14s}" + "".join(f"{c:>18s}" for c in cells))

    print("\nBeside the sources:")
    iu = {s: cell(rules[0], "Iran->US", s, "IIB") for s in SITES}
    print("  GAO-13-382R (via its summary and SpaceNews): for defending the US with the IIB, Romania is a poor")
    print("  location, Poland may need an earlier launch (during the threat's boost), the North Sea is best.")
    print("    ours, IIB vs the Iran->US stand-in, latest launch (median over trajectories): "
          + "; ".join(f"{s} {iu[s].latest_launch_median_s:.0f} s" if np.isfinite(iu[s].latest_launch_median_s)
                      else f"{s} none" for s in SITES)
          + f"; threat burnout ~{burn['Iran->US']:.0f} s")
    early = [s for s in SITES if not iu[s].latest_launch_median_s > burn["Iran->US"]]
    ordered = all(iu[a].latest_launch_median_s <= iu[b].latest_launch_median_s for a, b in pairwise(SITES[:3]))
    print(f"    ordering Deveselu < Redzikowo < North Sea: {'same as GAO' if ordered else 'NOT as GAO'}; sites whose "
          f"median trajectory needs a launch before the threat's burnout: {', '.join(early) or 'none'}"
          + ("" if "Redzikowo" in early else " (GAO puts Poland there too; our stand-in threat, interceptor and "
             "envelope are estimates, MDA's were not published)"))
    k = rules[1]
    print(f"    engageable on the {k}: "
          + "; ".join(f"{s} {int(cell(k, 'Iran->US', s, 'IIB').engageable)}/{int(iu[s].trajectories)}" for s in SITES))
    ru = {s: cell(rules[0], "Russia->US", s, "IIB") for s in SITES}
    print("  Butt & Postol 2011 / Wilkening 2012 (as stated in this project): Romania cannot engage Russian ICBMs")
    print("  toward the US; ships in the Norwegian Sea can with an early launch.")
    print(f"    ours, IIB, {rules[0]}: " + "; ".join(f"{s} {int(ru[s].engageable)}/{int(ru[s].trajectories)}"
                                                   for s in SITES))
    k = rules[2]
    print(f"    ours, IIB, {k}: " + "; ".join(
        f"{s} {int(cell(k, 'Russia->US', s, 'IIB').engageable)}/{int(ru[s].trajectories)}" for s in SITES))
    if "IIA" in res.ic.values:
        lofted = pairs[(pairs.rule == rules[0]) & (pairs.threats == "Russia->US") & (pairs.ic == "IIA")
                       & (pairs.profile == "lofted")]
        lo = lofted.groupby("site")["engageable"].sum()
        print("  Lewis (TASS 2016): a IIA in or near Europe cannot reach slightly lofted Russian ICBMs.")
        print(f"    ours, IIA vs lofted (1.4 x apogee) Russia->US, {rules[0]}: "
              + "; ".join(f"{s} {int(lo.get(s, 0))}/{len(lofted[lofted.site == s])}" for s in SITES))
    print("  Where and why we may differ: the sources' threat models, cue timelines and intercept envelopes")
    print("  could not be read; ours are the catalog's estimates (radar sensitivities especially), common")
    print("  launch rules at every site, and a Hwasong-15 standing in for an Iranian ICBM that does not exist.")
    print(f"\nRan in {time.time() - t0:.0f} s" + (f"; scenario files and CSV in {args.out}" if args.out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
