"""Benchmark: how long the answers take, in one process, cold and warm
(issue "Answers at the speed of thought").

Every figure is one call of the library function a CLI command or the web
view makes, with the scenario loaded inside the timing, after the in-memory
caches of the process are emptied (so it is what a new ``openbmd`` command
pays once its modules are imported and its kernels compiled):

* **no cache**: the persistent cache off (``OPENBMD_NO_CACHE``): every threat
  set aimed and every fly-out table built again, as before the cache existed
  ("today" in the issue, measured the same way, in the same run);
* **cold**: the cache on but empty (the first run after ``openbmd cache clear``);
* **warm**: the cache filled by the cold run.

The persistent cache lives in a temporary folder (``OPENBMD_CACHE_DIR``), not
the user's. It also counts the sequential flight-kernel calls that aiming a
scenario's threat set takes (the measure of "aim in bulk"), and with
``--first-run`` the first-run kernel compilation: ``openbmd assess`` in a
fresh clone with an empty numba cache, minus the same command once compiled.

    python benchmarks/bench_latency.py [--repeat 1] [--only assess,phases] [--first-run]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# the figures, measured before the cache (2-core machine, kernels compiled)
BEFORE = {"assess": "8.5-17.5", "phases": "36-38", "balance": "34.5", "verify": "20", "robustness": "-",
          "web switch": "5.1"}
TARGET_WARM = {"assess": 1.0, "phases": 4.0, "balance": 4.0, "verify": 2.0, "web switch": 0.5}
TARGET_COLD = {"assess": 4.0}


def reset_memory():
    """Empty every in-memory cache of the process (a new CLI command starts so)."""
    import importlib

    importlib.import_module("openbmd.analysis.threats")._CACHE.clear()
    importlib.import_module("openbmd.analysis.assess")._TABLES.clear()
    importlib.import_module("openbmd.sensors")._VIS.clear()
    importlib.import_module("openbmd.sensors")._SIGMA.clear()
    importlib.import_module("openbmd.analysis.footprint")._FANS.clear()
    importlib.import_module("openbmd.analysis.assess")._PREPARED.clear()


def tasks():
    from openbmd.analysis import assess, phases
    from openbmd.analysis.balance import balance
    from openbmd.analysis.robustness import SETS, robustness
    from openbmd.guarantee import load_guarantee
    from openbmd.guarantee import verify
    from openbmd.scenario import load

    def web_switch():
        from fastapi.testclient import TestClient

        from openbmd.web.app import create_app

        with tempfile.TemporaryDirectory() as d:
            client = TestClient(create_app(f"{d}/db.sqlite3", allowed_hosts=["testserver"]))
            for name in ("epaa-phase3", "epaa-phase2"):
                reset_memory()  # each switch as the first of a new server
                t = time.perf_counter()
                r = client.post("/api/assess", json={"scenario": name})
                r.raise_for_status()
                dt = time.perf_counter() - t
            return dt

    return {
        "assess": lambda: assess(load("epaa-phase3")),
        "phases": lambda: phases(load("default")),
        "balance": lambda: balance(load("default")),
        "verify": lambda: verify(load_guarantee("north-speed-limit"), load("epaa-phase3")),
        "robustness": lambda: robustness(load("default"), SETS),
        "web switch": web_switch,
    }


def timed(fn):
    reset_memory()
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    return out if isinstance(out, float) else dt


def kernel_calls():
    """Sequential flight-kernel calls to aim the threat set of each bundled
    EPAA phase, with the persistent cache off."""
    from openbmd import cache
    from openbmd.analysis.threats import fly_threats
    from openbmd.flight import kernel as K
    from openbmd.scenario import load

    calls = [0]
    orig = K.fly_batch

    def counting(*a, **kw):
        calls[0] += 1
        return orig(*a, **kw)

    K.fly_batch = counting
    try:
        import openbmd.flight.batch as B

        B.K.fly_batch = counting
        cache.disable(True)
        out = {}
        for name in ("epaa-phase3",):
            reset_memory()
            calls[0] = 0
            n = len(fly_threats(load(name)))
            out[name] = (calls[0], n)
        return out
    finally:
        K.fly_batch = orig
        cache.disable(False)


def first_run():
    """Compile time of a first run: a fresh clone, an empty numba cache."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["git", "clone", "-q", str(ROOT), f"{d}/fresh"], check=True)
        env = dict(os.environ, NUMBA_CACHE_DIR=f"{d}/numba", OPENBMD_CACHE_DIR=f"{d}/cache",
                   PYTHONPATH=f"{d}/fresh/src")
        cmd = [sys.executable, "-m", "openbmd", "assess", "epaa-phase3", "--json"]
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
        first = time.perf_counter() - t
        subprocess.run([sys.executable, "-m", "openbmd", "cache", "clear"], env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
        env["OPENBMD_NO_CACHE"] = "1"
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
        again = time.perf_counter() - t
        return first, again


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="warm runs per task (best is shown)")
    ap.add_argument("--only", default="", help="comma-separated task names")
    ap.add_argument("--skip-nocache", action="store_true", help="skip the no-cache runs (the slowest)")
    ap.add_argument("--first-run", action="store_true", help="also measure the first-run compilation (minutes)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="openbmd-bench-cache-")
    os.environ["OPENBMD_CACHE_DIR"] = tmp
    from openbmd import cache

    ts = tasks()
    names = [n for n in ts if not args.only or n in args.only.split(",")]
    print("compiling kernels and importing (not timed) ...", flush=True)
    cache.disable(True)
    timed(ts["assess"])  # compiles the kernels
    cache.disable(False)
    rows = []
    for n in names:
        nocache = None
        if not args.skip_nocache:
            cache.disable(True)
            nocache = timed(ts[n])
            cache.disable(False)
        cache.clear()
        cold = timed(ts[n])
        warm = min(timed(ts[n]) for _ in range(max(1, args.repeat)))
        rows.append((n, nocache, cold, warm))
        print(f"  {n}: no cache {'-' if nocache is None else f'{nocache:.2f}'} s, cold {cold:.2f} s, warm {warm:.2f} s",
              flush=True)
    print()
    print(f"{'figure':<14}{'before (issue)':>16}{'no cache':>10}{'cold':>8}{'warm':>8}{'target warm':>13}{'target cold':>13}")
    for n, nc, c, w in rows:
        tw = TARGET_WARM.get(n)
        tc = TARGET_COLD.get(n)
        print(f"{n:<14}{BEFORE[n] + ' s':>16}{'-' if nc is None else f'{nc:.2f} s':>10}{c:>6.2f} s{w:>6.2f} s"
              f"{'-' if tw is None else f'<= {tw:g} s' + (' ok' if w <= tw else ' NO'):>13}"
              f"{'-' if tc is None else f'<= {tc:g} s' + (' ok' if c <= tc else ' NO'):>13}")
    kc = kernel_calls()
    for name, (calls, n) in kc.items():
        print(f"aiming {name}'s threat set ({n} trajectories): {calls} sequential flight-kernel calls")
    info = cache.info()
    print(f"cache after the runs: {info['entries']} entries, {info['bytes'] / 1e6:.1f} MB ({tmp})")
    cache.clear()
    if args.first_run:
        first, again = first_run()
        print(f"first run (fresh clone, empty numba cache): {first:.1f} s; compiled: {again:.1f} s; "
              f"compilation {first - again:.1f} s (target <= 90 s)")


if __name__ == "__main__":
    main()
