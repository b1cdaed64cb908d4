#!/usr/bin/env python
"""Model maximum ranges of every catalog missile versus its published range.

Flies each missile of the bundled catalog at full energy with the pitch-over
kick that maximises ground range (``openbmd.flight.aim.max_range``) in three
directions: northward from 45N (the calibration case of
``tests/validation/test_against_published_missile_ranges.py``), and eastward and westward from the equator
(to show the effect of the Earth's rotation). Prints a Markdown table meant to
be pasted into ``docs/sources.md`` ("Model ranges versus published ranges").

Columns: published range; model maximum range northward from 45N and its ratio
to the published range; eastward/westward from the equator; burnout speed
(Earth-relative) and time and ideal (rocket-equation) delta-v of the northward shot;
and whether the entry's estimated stage data were calibrated to the model
("cal.", notes say "Calibrated:") or are a published model left as it is
("pub.", notes say "Not calibrated:").

Unless ``--no-check`` is given, every maximum found by ``max_range`` is checked
against a plain scan over the kick angle (0.5-80 deg in 0.25 deg steps). Where
the scan finds a longer range (by more than 1 %), the scan's value is shown,
marked "†", and the value ``max_range`` returned is listed below the table.
Ranges at or above ~19,400 km are marked "^": the shot reaches the region of
the antipode, where the ground range (a geodesic distance, never more than
half the Earth's circumference) saturates; the missile could fly further.

Usage::

    python tools/catalog_ranges.py            # Markdown table
    python tools/catalog_ranges.py --csv      # comma-separated values
    python tools/catalog_ranges.py --no-check # skip the kick-angle scan (faster)
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from openbmd.catalog import load_catalog
from openbmd.flight.aim import max_range
from openbmd.flight.batch import run

# (label, launch latitude deg, launch longitude deg, azimuth deg)
DIRECTIONS = (
    ("N from 45N", 45.0, 0.0, 0.0),
    ("E from equator", 0.0, 0.0, 90.0),
    ("W from equator", 0.0, 0.0, 270.0),
)
KICK_SCAN = np.radians(np.arange(0.5, 80.0 + 1e-9, 0.25))
ANTIPODAL_KM = 19400.0  # geodesic ranges above this are near the antipode


def kick_scan(missiles, lat, lon, az):
    """Best impacting ground range (m) over a plain kick-angle scan."""
    n, k = len(missiles), len(KICK_SCAN)
    vehicles = [m for m in missiles for _ in range(k)]
    tr = run(vehicles, np.radians(lat), np.radians(lon), np.radians(az), kick=np.tile(KICK_SCAN, n))
    rng = np.where(tr.impacted, tr.ground_range, 0.0).reshape(n, k)
    return rng.max(axis=1)


def status_of(m):
    if "Not calibrated:" in m.notes:
        return "pub."
    if "Calibrated:" in m.notes:
        return "cal."
    return "?"


def compute(check=True):
    cat = load_catalog()
    ms = list(cat.missiles.values())
    out = {"missiles": ms, "dirs": {}, "failures": []}
    for label, lat, lon, az in DIRECTIONS:
        tr = max_range(ms, np.radians(lat), np.radians(lon), np.radians(az))
        rng = np.where(tr.impacted, tr.ground_range, np.nan) / 1e3
        flag = [""] * len(ms)
        if check:
            best = kick_scan(ms, lat, lon, az) / 1e3
            for i, m in enumerate(ms):
                if not (rng[i] >= 0.99 * best[i]):
                    out["failures"].append((m.name, label, rng[i], best[i]))
                    rng[i] = best[i]
                    flag[i] = "†"
        out["dirs"][label] = dict(range=rng, flag=flag, v=tr.burnout_speed / 1e3, t=tr.burnout_time)
    return out


def fmt_range(r, flag):
    if not np.isfinite(r):
        return "no impact"
    s = f"{r:,.0f}"
    if r >= ANTIPODAL_KM:
        s += "^"
    return s + flag


def table(res, csv=False):
    ms = res["missiles"]
    north = res["dirs"][DIRECTIONS[0][0]]
    east = res["dirs"][DIRECTIONS[1][0]]
    west = res["dirs"][DIRECTIONS[2][0]]
    head = [
        "Missile",
        "Published km",
        "Model N from 45N km",
        "Ratio",
        "Model E from equator km",
        "Model W from equator km",
        "Burnout speed km/s",
        "Burnout time s",
        "Ideal delta-v km/s",
        "Data",
    ]
    rows = []
    for i, m in enumerate(ms):
        pub = m.published_range / 1e3 if m.published_range else float("nan")
        rn = north["range"][i]
        rows.append(
            [
                m.name,
                f"{pub:,.0f}",
                fmt_range(rn, north["flag"][i]),
                f"{rn / pub:.3f}" if np.isfinite(pub) and np.isfinite(rn) else "",
                fmt_range(east["range"][i], east["flag"][i]),
                fmt_range(west["range"][i], west["flag"][i]),
                f"{north['v'][i]:.2f}",
                f"{north['t'][i]:.0f}",
                f"{m.ideal_delta_v / 1e3:.2f}",
                status_of(m),
            ]
        )
    if csv:
        lines = [",".join(head)] + [",".join(c.replace(",", "") for c in r) for r in rows]
        return "\n".join(lines)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 2) + [":-:"]) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", action="store_true", help="comma-separated output instead of Markdown")
    ap.add_argument("--no-check", action="store_true", help="skip the kick-angle scan check of max_range")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    res = compute(check=not args.no_check)
    print(table(res, csv=args.csv))
    if not args.csv:
        print()
        print(
            "Ratio = model range northward from 45N / published range. Burnout speed (Earth-relative), burnout time and "
            "ideal delta-v are for the northward shot. Data: cal. = estimated stage data calibrated to this model "
            "(see the entry's 'Calibrated:' note); pub. = published model, not calibrated. "
            "^ = reaches the antipodal region (geodesic ground range saturates near 20,000 km)."
        )
        if res["failures"]:
            print()
        for name, label, got, best in res["failures"]:
            print(f"- † {name}, {label}: max_range returned {got:,.0f} km; a kick-angle scan finds {best:,.0f} km.")
    print(f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
