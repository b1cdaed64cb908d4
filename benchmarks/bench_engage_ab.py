"""Benchmark: the engagement kernel of this checkout against a baseline
commit's, in ONE process, alternating runs (so that load from other processes
hits both alike), one numba thread each, best of N.

The baseline's ``engage.py`` is extracted from git into a temporary module
``openbmd._engage_baseline`` (removed afterwards); it shares the rest of the
package with this checkout. The workload is ``bench_engage.py``'s (Russian
ICBMs to US cities and southern threats against a 20 x 25 site grid, a 5 km/s
interceptor), run under both tail-chase rules: the closing-speed rule (the
default since the sensor network; the baseline, which predates it, refuses
every receding geometry) and the older rule (like for like).
Target (issue "The sensor network"): <= 1.15 x the baseline.

    NUMBA_NUM_THREADS=1 python benchmarks/bench_engage_ab.py [--baseline 83f96ed] [--repeat 6]
"""

from __future__ import annotations

import argparse
import importlib
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="83f96ed")
    ap.add_argument("--repeat", type=int, default=6)
    args = ap.parse_args()
    import openbmd

    dst = Path(openbmd.__file__).parent / "_engage_baseline.py"
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.baseline}:src/openbmd/engage.py"],
                         capture_output=True, text=True, check=True).stdout
    dst.write_text(src)
    try:
        import bench_engage as B
        from openbmd.vehicles import impulsive_interceptor

        mods = {"baseline " + args.baseline: importlib.import_module("openbmd._engage_baseline"),
                "this checkout": importlib.import_module("openbmd.engage")}
        tr = B.threats()
        ic0 = impulsive_interceptor(5000.0, min_intercept_altitude=70e3)
        for rule, ic in [("closing-speed rule", ic0), ("older rule", ic0.replace(tail_chase_closing_speed=math.inf))]:
            runs = {}
            for n, E in mods.items():
                ts = E.ThreatSet.prepare(tr)
                bats = [E.Battery(nm, a, b, ic, E.Timeline(launch_delay=150.0)) for nm, a, b in B.sites(20, 25)]
                r = E.engage(ts, bats[::25])  # one table per latitude (and compiles)
                by_lat = {round(b.lat, 9): t for b, t in zip(bats[::25], r.tables)}
                runs[n] = (E, ts, bats, [by_lat[round(b.lat, 9)] for b in bats])
            best = {n: math.inf for n in runs}
            eng = {}
            for _ in range(args.repeat):
                for n, (E, ts, bats, tables) in runs.items():
                    t = time.perf_counter()
                    eng[n] = E.engage(ts, bats, tables=tables)
                    best[n] = min(best[n], time.perf_counter() - t)
            (nb, b0), (nn, b1) = best.items()
            print(f"{rule:20s} {nb}: {b0:.3f} s   {nn}: {b1:.3f} s   ratio {b1 / b0:.2f} (target <= 1.15)   "
                  f"engageable pairs {int(eng[nb].engageable.sum()):,} vs {int(eng[nn].engageable.sum()):,}")
    finally:
        dst.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
