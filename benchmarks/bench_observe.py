"""Benchmark: a 1,000-run Monte Carlo observation of one flight test.

    .venv/bin/python benchmarks/bench_observe.py [TEST] [--sensor LAT,LON] [--runs N]

Prints the time to fly the test and the time of the observation (measurements
of both vehicles, the filter, the four parameters with their sigma) for N
seeded runs. Target (issue 13): <= 30 s for 1,000 runs on the 2-core
machine. A figure, never asserted in a test.
"""

import argparse
import os
import time

from openbmd import flighttests as F
from openbmd import observe as O


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", nargs="?", default="ftm-44-2020")
    ap.add_argument("--sensor", default="22.0,-165.0")
    ap.add_argument("--runs", type=int, default=1000)
    a = ap.parse_args()
    t0 = time.perf_counter()
    flown = F.fly(F.load_test(a.test))
    t1 = time.perf_counter()
    ob = O.observe(None, flown, [a.sensor], runs=a.runs, seed=1)
    t2 = time.perf_counter()
    print(f"{a.test}, sensor {a.sensor}, {a.runs} runs, {os.cpu_count()} CPUs")
    print(f"  fly the test:  {t1 - t0:6.2f} s")
    print(f"  observe:       {t2 - t1:6.2f} s  (target <= 30 s for 1,000 runs)")
    for e in ob.estimates.values():
        if e.measured:
            print(f"  {e.what:26s} sigma {e.sigma:.3g} {e.unit}")


if __name__ == "__main__":
    main()
