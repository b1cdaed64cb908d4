"""Benchmark: scenario analyses (issue 4 targets, 2-core reference machine).

1. A defended footprint over Europe (lat 34-72, lon -12-45) at 0.25 deg for one
   launch area (Sejjil-2 from the Tabriz launch area) against the Phase 3
   architecture: target <= 10 s. Timed in a fresh process (compiled kernels
   come from numba's on-disk cache, everything else is computed: land mask,
   the aimed threat fan, fly-out tables, engagement). Baseline, side by side:
   aiming every aim point with the general solver (``flight.aim.aim``), timed
   on a sample and scaled to the grid.
2. The whole bundled phase comparison report (``openbmd report default``: six
   architectures, ~390 strategic and southern trajectories, six footprints,
   maps, tables, GeoJSON/KML/CZML): target <= 60 s, wall time of the command.

    python benchmarks/bench_scenarios.py [--skip-report] [--baseline-sample 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

FOOTPRINT = r"""
import time, json
t0 = time.perf_counter()
from openbmd import scenario, analysis
sc = scenario.load("epaa-phase3")
t1 = time.perf_counter()
fp = analysis.footprint(sc, step_deg=0.25)
t2 = time.perf_counter()
s = fp.summary()
s.update(import_and_load_s=t1 - t0, footprint_s=t2 - t1)
print(json.dumps(s))
"""


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except OSError:
        pass
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs ({cpu or platform.machine()})"


def run_footprint():
    import json

    out = []
    for _ in range(2):  # the first run may compile kernels into numba's cache
        r = subprocess.run([sys.executable, "-c", FOOTPRINT], capture_output=True, text=True, check=True)
        out.append(json.loads(r.stdout.strip().splitlines()[-1]))
    return out[-1]


def baseline_aim_rate(sample: int):
    """Aim points per second with the general solver on a sample of the grid."""
    import numpy as np

    from openbmd import geo, scenario
    from openbmd.flight.aim import AimError, aim

    sc = scenario.load("epaa-phase3")
    spec = sc.footprint
    la0, la1, lo0, lo1 = spec.region
    rng = np.random.default_rng(0)
    lat = rng.uniform(36, 48, 4 * sample)
    lon = rng.uniform(26, 44, 4 * sample)
    ok = geo.land_mask(lat, lon)
    lat, lon = np.radians(lat[ok][:sample]), np.radians(lon[ok][:sample])
    t = time.perf_counter()
    n = len(lat)
    idx = np.arange(n)
    while idx.size:
        try:
            aim(spec.missile, spec.launch_area.lat, spec.launch_area.lon, lat[idx], lon[idx], options=sc.options,
                output_step=sc.threat_step)
            break
        except AimError as exc:
            idx = np.delete(idx, exc.index)
    return n / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-report", action="store_true")
    ap.add_argument("--baseline-sample", type=int, default=300)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    fp = run_footprint()
    print("\n1. footprint over Europe at 0.25 deg, Sejjil-2 from Tabriz vs EPAA Phase 3 (fresh process)")
    print(f"   aim points (land cells): {fp['aim_points']:,}; within reach and flown: "
          f"{fp['reachable_land_area_km2']:,.0f} km2; defended {fp['defended_area_km2']:,.0f} km2 "
          f"({100 * fp['defended_share_of_reachable']:.1f} % of reachable); largest miss {fp['max_miss_km']:.2f} km")
    print(f"   time: {fp['footprint_s']:.1f} s (+ {fp['import_and_load_s']:.1f} s import and scenario load)   "
          f"target <= 10 s: {'PASS' if fp['footprint_s'] <= 10 else 'FAIL'}")
    rate = baseline_aim_rate(args.baseline_sample)
    flown = fp["aim_points"]
    base = flown / rate
    print(f"   baseline: the general aim solver, {rate:,.0f} aim points/s on a {args.baseline_sample}-point sample "
          f"-> ~{base:,.0f} s for the aiming alone; ratio {base / fp['footprint_s']:.1f}x")
    if args.skip_report:
        return
    with tempfile.TemporaryDirectory() as d:
        exe = [sys.executable, "-m", "openbmd", "report", "default", "-o", os.path.join(d, "rep"), "--quiet"]
        t = time.perf_counter()
        r = subprocess.run(exe, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if r.returncode:
            print(r.stderr)
            sys.exit(1)
        nfiles = sum(len(f) for _, _, f in os.walk(os.path.join(d, "rep")))
    print("\n2. the bundled phase comparison report (openbmd report default)")
    print(f"   {nfiles} files; wall time {wall:.1f} s   target <= 60 s: {'PASS' if wall <= 60 else 'FAIL'}")
    print("   (one process: the threat trajectories, fly-out tables and footprint fan are computed once and shared "
          "by the six architectures)")


if __name__ == "__main__":
    main()
