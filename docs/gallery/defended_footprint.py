#!/usr/bin/env python3
"""Gallery: the defended area of Europe against Iranian missiles, for a few interceptor speeds and sites.

    python docs/gallery/defended_footprint.py [--out DIR] [--fast] [--step-deg D]

A defended footprint in the manner of the National Research Council's 2012
study: every land point of a grid over Europe is an aim point of an Iranian
missile; the point is defended when at least one battery can engage the
trajectory to it. The area of the defended points is computed for an
interceptor whose burnout speed is swept, at Deveselu (Romania), Redzikowo
(Poland) and both.

What the sources say, and what could be checked here
----------------------------------------------------
* NRC 2012, "Making Sense of Ballistic Missile Defense" (National Academies
  Press). The report could NOT be read here (only its study-scope pages and
  press summaries); none of its footprint figures or areas is printed or
  compared. What press summaries (read) say of it concerns the defence of the
  United States (SpaceNews editorial, Feb 2013: EPAA phase 4 "would do little
  to protect the eastern United States from Iranian missiles"; Reuters,
  12 Sep 2012: a GBI site in the US north-east was recommended), not Europe.
* Arms Control Association blog, 18 May 2016 (read): the EPAA systems "are
  oriented to defend against the longest-range missiles in Iran's arsenal (up
  to 2,000 kilometers), which can reach NATO members Turkey, Greece, Bulgaria,
  and Romania". This is compared below with the land our 2,000 km class
  missile (Sejjil-2) can reach from Tabriz.

Assumptions of this reproduction (openbmd's, stated)
----------------------------------------------------
* Threat: Sejjil-2 (catalog: 2,000 km class, calibrated stage estimates) from
  the Tabriz launch area, minimum-energy shots to every land cell (Natural
  Earth 1:50m) of a grid over 34-72 N, 12 W-45 E (the bundled epaa-base
  footprint); without --fast also the Hwasong-15 entry as a STAND-IN for a
  hypothetical longer-range Iranian missile that reaches all of Europe (an
  assumption of the bundled scenarios). Aim points within 0.5 % of the
  missile's maximum range are counted as out of reach.
* Interceptor: the catalog's SM-3 Block IIA entry (intercepts 70-1,000 km
  altitude, <= 2,500 km range, no tail chase) with every specific impulse
  scaled to the swept burnout speed (losses held at the catalog's), so only
  the speed changes.
* Launch: on remote, on the track of the bundled AN/TPY-2 at Kurecik, Turkey
  (first detection of a 0.1 m^2 target + 10 s track + 30 s decision; the
  radar's sensitivity is this catalog's estimate, docs/sources.md). The
  bundled EPAA phases cue the Aegis Ashore sites by their own SPY-1 instead;
  `openbmd footprint epaa-phase3` shows that case.
* Areas: grid cells on the WGS84 authalic sphere; grid step 1 deg (2 deg with
  --fast), coarser than the bundled 0.5 deg, so areas carry a cell-size
  granularity of a few per cent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from openbmd import analysis, scenario

BASE = "epaa-phase3"  # the Aegis Ashore sites' radars and the epaa-base footprint settings
MISSILES = ["Sejjil-2", "Hwasong-15"]
FAST_MISSILES = ["Sejjil-2"]
SPEEDS = [3.0, 4.5, 5.5, 7.0]
FAST_SPEEDS = [3.0, 5.5]
ARCHS = {"Deveselu": ["Deveselu"], "Redzikowo": ["Redzikowo"], "Deveselu + Redzikowo": ["Deveselu", "Redzikowo"]}
FAST_ARCHS = ["Deveselu", "Deveselu + Redzikowo"]
COUNTRIES = ["Turkey", "Greece", "Bulgaria", "Romania", "Poland", "Italy", "Germany", "France", "United Kingdom",
             "Spain"]
CUE = "Kurecik TPY-2"
ACA_2016 = ["Turkey", "Greece", "Bulgaria", "Romania"]


def q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def slug(s: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in s).strip("-").replace("--", "-")


def write_scenarios(folder: Path, missiles, speeds, archs, step: float) -> dict:
    """One common file per missile (what to drop, the swept interceptors, the
    footprint), one file per architecture and speed extending it."""
    base = scenario.load(BASE)
    files = {}
    for mis in missiles:
        lines = [
            "# Defended footprint (docs/gallery/defended_footprint.py): the bundled",
            f"# {BASE} scenario without its batteries; swept interceptors; the footprint.",
            "[scenario]",
            f"name = {q(f'Footprint sweep, {mis} (common part)')}",
            f"extends = {q(BASE)}",
            "",
            "[analyses]",
            'run = ["footprint"]',
            "",
            "[analyses.footprint]",
            'launch_area = "Tabriz launch area"',
            f"missile = {q(mis)}",
            "region_deg = [34.0, 72.0, -12.0, 45.0]",
            f"step_deg = {step}",
            "countries = [" + ", ".join(q(c) for c in COUNTRIES) + "]",
            "",
        ]
        for b in base.batteries:
            lines += ["[[battery]]", f"name = {q(b.name)}", "remove = true", ""]
        for v in speeds:
            lines += ["[[interceptor]]", f"name = {q(f'IIA-class {v:.1f} km/s')}", 'base = "SM-3 Block IIA"',
                      f"burnout_speed_km_s = {v}", 'source = "swept burnout speed (gallery example)"', ""]
        common = folder / f"footprint-{slug(mis)}-common.toml"
        common.write_text("\n".join(lines), encoding="utf-8")
        for arch in archs:
            for v in speeds:
                text = ["[scenario]", f"name = {q(f'{arch}, {v:.1f} km/s, vs {mis}')}", f"extends = {q(common.name)}", ""]
                for site in ARCHS[arch]:
                    text += ["[[battery]]", f"name = {q(f'{site} {v:.1f} km/s')}",
                             f"interceptor = {q(f'IIA-class {v:.1f} km/s')}", f"at = {q(site)}", "count = 24",
                             f"cued_by = {q(CUE)}", ""]
                p = folder / f"footprint-{slug(mis)}-{slug(arch)}-{v:.1f}.toml"
                p.write_text("\n".join(text), encoding="utf-8")
                files[(mis, arch, v)] = p
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="folder for the scenario files, CSV results and the map")
    ap.add_argument("--fast", action="store_true", help="one missile, two speeds, 2 deg grid (for tests)")
    ap.add_argument("--step-deg", type=float, help="grid step in degrees (default 1, or 2 with --fast)")
    ap.add_argument("--quiet", action="store_true", help="no timing lines on stderr")
    args = ap.parse_args(argv)
    missiles = FAST_MISSILES if args.fast else MISSILES
    speeds = FAST_SPEEDS if args.fast else SPEEDS
    archs = FAST_ARCHS if args.fast else list(ARCHS)
    step = args.step_deg or (2.0 if args.fast else 1.0)
    t0 = time.time()
    rows, crow, fps = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = write_scenarios(folder, missiles, speeds, archs, step)
        for (mis, arch, v), path in files.items():
            t1 = time.time()
            fp = analysis.footprint(scenario.load(path))
            fps[(mis, arch, v)] = fp
            s = fp.summary()
            rows.append({"missile": mis, "architecture": arch, "speed_km_s": v,
                         "defended_area_km2": s["defended_area_km2"],
                         "reachable_land_area_km2": s["reachable_land_area_km2"],
                         "defended_share": s["defended_share_of_reachable"],
                         "cities_reachable": int(fp.cities["reachable"].sum()),
                         "cities_defended": int(fp.cities["defended"].sum()),
                         "aim_points": s["aim_points"], "max_miss_km": s["max_miss_km"]})
            for _, c in fp.countries.iterrows():
                crow.append({"missile": mis, "architecture": arch, "speed_km_s": v, **c.to_dict()})
            if not args.quiet:
                print(f"  footprint {path.name}: {s['aim_points']} aim points in {time.time() - t1:.1f} s",
                      file=sys.stderr)
        df = pd.DataFrame(rows)
        countries = pd.DataFrame(crow)
        if args.out:
            df.to_csv(folder / "defended_footprint.csv", index=False)
            countries.to_csv(folder / "defended_footprint_countries.csv", index=False)
            from openbmd.report.build import fig_footprint

            last = archs[-1]
            fig_footprint([(f"{last}, {v:.1f} km/s vs {missiles[0]}", fps[(missiles[0], last, v)]) for v in speeds],
                           folder / "defended_footprint.png")

    print(f"Defended footprint over Europe, launches from the Tabriz launch area, {step:g} deg grid,")
    print(f"interceptors launched on the {CUE} track (see the header of this file for every assumption)\n")
    for mis in missiles:
        d = df[df.missile == mis]
        reach = d["reachable_land_area_km2"].iloc[0]
        print(f"{mis}: reachable land in the grid {reach / 1e6:.2f} million km2; "
              f"catalog cities reachable {int(d['cities_reachable'].iloc[0])}")
        print("  defended area, million km2 (share of the reachable land) [cities defended]")
        print(f"  {'architecture':22s}" + "".join(f"{f'{v:.1f} km/s':>24s}" for v in speeds))
        for arch in archs:
            cells = []
            for v in speeds:
                r = d[(d.architecture == arch) & np.isclose(d.speed_km_s, v)].iloc[0]
                cells.append(f"{r.defended_area_km2 / 1e6:5.2f} ({100 * r.defended_share:3.0f} %) [{r.cities_defended:2d}]")
            print(f"  {arch:22s}" + "".join(f"{c:>24s}" for c in cells))
        print()
    mis = missiles[0]
    c = countries[(countries.missile == mis) & (countries.architecture == archs[-1])]
    print(f"{mis}, {archs[-1]}: defended share of each country's land in the grid, by burnout speed")
    tab = c.pivot_table(index="country", columns="speed_km_s", values="defended_share").reindex(
        [n for n in c["country"].unique()])
    reach = c.groupby("country", sort=False)["reachable_km2"].first()
    tab.columns = [f"{v:.1f} km/s" for v in tab.columns]
    tab.insert(0, "reachable", (reach / c.groupby("country", sort=False)["land_area_in_grid_km2"].first()).map(
        lambda x: f"{100 * x:.0f} %"))
    print(tab.map(lambda x: x if isinstance(x, str) else f"{100 * x:.0f} %").to_string())

    print("\nBeside the sources:")
    reached = [n for n, r in reach.items() if r > 0]
    print("  ACA 2016: Iran's longest-range missiles (up to 2,000 km) 'can reach NATO members Turkey, Greece,")
    print("  Bulgaria, and Romania'.")
    print(f"    ours, {mis} from Tabriz: land reached in " + ", ".join(
        f"{n} ({100 * reach[n] / c.groupby('country')['land_area_in_grid_km2'].first()[n]:.0f} %)" for n in reached))
    print("  NRC 2012: its European footprint figures could not be retrieved; nothing to compare.")
    print("  Where and why results may differ from published footprints: our launch area is a single point")
    print("  (Tabriz), the interceptors launch on one radar's estimated track, the grid is coarse, and")
    print("  the intercept envelope is the IIA entry's at every speed.")
    print(f"\nRan in {time.time() - t0:.0f} s" + (f"; scenario files, CSV and map in {args.out}" if args.out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
