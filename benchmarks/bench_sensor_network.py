"""Benchmark: the cost of the sensor network (issue: "The sensor network
decides the answer"), side by side with a baseline in the same run.

1. The engine and scenario benchmarks (``bench_engage.py``, the footprint of
   ``bench_scenarios.py``) run twice, in fresh processes on the same machine:
   with this checkout's ``src`` and with the baseline commit's (``--baseline``,
   default: the last commit before the sensor network, checked out into a
   temporary git worktree with its own numba cache). Target: no slowdown above
   15 %.
2. ``openbmd robustness`` over the bundled phase comparison (every assumption
   set, warhead counts included) against ``openbmd phases`` (with its
   footprints), both as commands in fresh processes after a warm-up run that
   fills the numba cache. Target: robustness <= 3 x phases.

    python benchmarks/bench_sensor_network.py [--baseline REF] [--skip-engine] [--skip-robustness]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "83f96ed"  # the last commit before the sensor network
FOOTPRINT = r"""
import time, json
from openbmd import scenario, analysis
sc = scenario.load("epaa-phase3")
t1 = time.perf_counter()
fp = analysis.footprint(sc, step_deg=0.25)
print(json.dumps({"footprint_s": time.perf_counter() - t1}))
"""


def _env(src: Path, cache: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env["NUMBA_CACHE_DIR"] = str(cache)
    return env


def _which(env) -> str:
    return subprocess.run([sys.executable, "-c", "import openbmd; print(openbmd.__file__)"], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()


def _rate(out: str) -> float:
    m = re.search(r"openbmd kernel\s+([\d.]+) s", out)
    if not m:
        raise RuntimeError(f"bench_engage printed no kernel time:\n{out}")
    return float(m.group(1))


def engine(baseline: str):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wt = tmp / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(wt), baseline], check=True,
                       capture_output=True)
        try:
            trees = {"baseline " + baseline: wt, "this checkout": ROOT}
            res: dict = {}
            for label, tree in trees.items():
                env = _env(tree / "src", tmp / f"cache-{label.split()[0]}")
                assert _which(env).startswith(str(tree / "src")), _which(env)  # the tree's own code
                for _ in range(2):  # the first run fills the tree's numba cache
                    # each tree's own bench_engage.py (its straightforward rule is that tree's)
                    r = subprocess.run([sys.executable, str(tree / "benchmarks" / "bench_engage.py"),
                                        "--baseline-pairs", "4", "--repeat", "5"], env=env, capture_output=True, text=True)
                    if r.returncode:
                        raise RuntimeError(f"bench_engage.py in {label} failed:\n{r.stderr[-3000:]}")
                    out = r.stdout
                    fp = subprocess.run([sys.executable, "-c", FOOTPRINT], env=env, capture_output=True, text=True,
                                        check=True).stdout
                import json

                res[label] = (_rate(out), json.loads(fp.strip().splitlines()[-1])["footprint_s"])
                if tree is ROOT:  # like for like: this checkout under the older tail-chase rule
                    r = subprocess.run([sys.executable, str(tree / "benchmarks" / "bench_engage.py"), "--baseline-pairs",
                                        "4", "--repeat", "5", "--receding-is-tail-chase"], env=env, capture_output=True,
                                       text=True, check=True)
                    res["older rule"] = _rate(r.stdout)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(wt)], capture_output=True)
    (b_k, b_f), (n_k, n_f) = res["baseline " + baseline], res["this checkout"]
    print(f"engine and scenarios, baseline {baseline} vs this checkout ({os.cpu_count()} cores, same run):")
    print(f"  bench_engage kernel (best of 5)    {b_k:8.3f} s   {n_k:8.3f} s   ratio {n_k / b_k:5.2f}  (target <= 1.15)")
    print(f"  same, this checkout with the older tail-chase rule  {res['older rule']:8.3f} s   ratio "
          f"{res['older rule'] / b_k:5.2f}  (the closing-speed rule evaluates receding geometries the older one drops)")
    print(f"  Phase 3 footprint, 0.25 deg        {b_f:8.2f} s   {n_f:8.2f} s   ratio {n_f / b_f:5.2f}  (target <= 1.15)")


def _cmd(args) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "openbmd.cli", *args, "--quiet", "--json"], cwd=ROOT, check=True,
                   capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return time.perf_counter() - t0


def robustness():
    _cmd(["phases", "--no-footprint"])  # fills the numba cache
    ph = _cmd(["phases"])
    rb = _cmd(["robustness"])
    print("robustness over the bundled comparison (all sets, warhead counts) vs phases (with footprints), "
          "fresh processes:")
    print(f"  openbmd phases                     {ph:8.1f} s")
    print(f"  openbmd robustness                 {rb:8.1f} s   ratio {rb / ph:5.2f}  (target <= 3)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE, help=f"git ref of the baseline (default {BASELINE})")
    ap.add_argument("--skip-engine", action="store_true")
    ap.add_argument("--skip-robustness", action="store_true")
    a = ap.parse_args()
    if not a.skip_engine:
        engine(a.baseline)
    if not a.skip_robustness:
        robustness()


if __name__ == "__main__":
    main()
