#!/usr/bin/env python
"""A small mutation check: do the tests catch the bugs that matter?

Plants one-line bugs ("mutants": a string replacement in one source file), one
at a time, and runs the test files that should catch each. A mutant the tests
catch is KILLED; one they miss SURVIVED (a gap in the tests, or an equivalent
change). Prints the verdict per mutant and the survival rate.

Safety: the mutants are planted in a temporary copy of the working tree
(``src/``, ``tests/``, ``pyproject.toml``), never in the checkout; each
mutated file is restored (content and modification time) in a ``finally``
block, and the copy is deleted at the end. The tests run in a subprocess with
the copy's ``src`` first on ``PYTHONPATH`` and their own ``NUMBA_CACHE_DIR``
(a temporary folder per mutant), so no kernel compiled from other code is
ever loaded: numba checks a cached kernel only against its own source file,
not against the files whose compiled functions it calls, so each mutant's
cache starts as a copy of the unmutated baseline run's cache from which every
kernel of the mutated module, and of every module that imports it (directly
or not), is deleted: those are compiled afresh from the mutated source, the
others (which cannot contain the mutated code) are reused. A mutant marked
``kernels=False`` (its file holds no compiled code and no kernel reads its
names; checked: the file must not mention numba) deletes nothing. With
``--no-baseline`` every mutant starts from an empty cache (everything
compiled afresh: 3-5 min per mutant on 2 cores).

First a baseline run: the mapped test files must pass on the unmutated copy
(otherwise every mutant would look killed).

Usage::

    python tools/mutate.py --list            # the mutants and the tests run against each
    python tools/mutate.py                   # all of them (tens of minutes: use nice)
    python tools/mutate.py --only engage.closing-speed-sign --only earth.omega
    python tools/mutate.py --no-baseline --only guarantee.east-of-sign

Exit status: 0 when at most ``--max-survivors`` (default 1) mutants survive
and none is inapplicable, 1 otherwise, 2 on bad arguments or a failing
baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = "src/openbmd/"


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to src/openbmd/
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple  # test files (or node ids), relative to the repository root
    why: str  # the bug it stands for
    kernels: bool = True  # False: the file holds no compiled code and no kernel reads it


T = "tests/"
CONST = T + "validation/test_against_published_constants.py"
DRAG = T + "validation/test_against_scipy_drag.py"
RULES = T + "validation/test_against_hand_calculations.py"
LIMITS = T + "unit/test_guarantee_limits.py"

MUTANTS = [
    # --- the Earth model
    Mutant("earth.omega", "earth.py", "OMEGA_EARTH = 7.292115e-5", "OMEGA_EARTH = 7.292115e-5 * 1.013",
           (CONST, T + "validation/test_against_earth_rotation.py"), "Earth's rotation rate 1.3 % off"),
    Mutant("earth.j2", "earth.py", "J2_EARTH = 1.082629821313e-3", "J2_EARTH = 1.082629821313e-3 * 1.03",
           (CONST, T + "validation/test_against_kepler_propagation.py"), "J2 3 % off"),
    Mutant("earth.j2-term", "earth.py", "c1 = 1.0 + fac * (1.0 - 5.0 * zr2)", "c1 = 1.0 + fac * (1.0 - 3.0 * zr2)",
           (T + "validation/test_against_pyproj_and_pymap3d.py", CONST), "wrong coefficient in the J2 acceleration"),
    # --- the atmosphere
    Mutant("atmosphere.geopotential", "atmosphere.py", "h = R0 * z / (R0 + z)  # geopotential altitude (m)",
           "h = z  # geopotential altitude (m)", (T + "validation/test_against_us_standard_atmosphere.py", DRAG),
           "geometric altitude used as geopotential below 86 km"),
    # --- the flight kernel
    Mutant("kernel.rv-drag", "flight/kernel.py", "k = 0.5 * rho * v / seg[G_BETA]", "k = 0.55 * rho * v / seg[G_BETA]",
           (DRAG, T + "unit/test_flight.py"), "reentry-vehicle drag 10 % too high"),
    Mutant("kernel.booster-drag", "flight/kernel.py", "k = 0.5 * rho * v * cd * seg[G_AREA] / mass",
           "k = 0.45 * rho * v * cd * seg[G_AREA] / mass", (DRAG, T + "unit/test_flight.py"), "booster drag 10 % too low"),
    Mutant("kernel.coriolis-sign", "flight/kernel.py", "ay = gy - 2.0 * om * vx + om * om * yy",
           "ay = gy + 2.0 * om * vx + om * om * yy", (T + "validation/test_against_earth_rotation.py", CONST), "Coriolis term's sign (y)"),
    Mutant("kernel.centrifugal", "flight/kernel.py", "ax = gx + 2.0 * om * vy + om * om * x",
           "ax = gx + 2.0 * om * vy", (T + "validation/test_against_earth_rotation.py", CONST), "centrifugal term dropped (x)"),
    # --- aiming
    Mutant("aim.tolerance", "flight/aim.py", "tolerance: float = 100.0,", "tolerance: float = 10000.0,",
           (T + "unit/test_aim.py",), "aim converges to 10 km instead of 100 m", kernels=False),
    # --- the engagement engine (not its tail-chase rule)
    Mutant("engage.closing-speed-sign", "engage.py", "rx, ry, rz = vix - thr_v[i, k, 0], viy - thr_v[i, k, 1], viz - thr_v[i, k, 2]",
           "rx, ry, rz = vix + thr_v[i, k, 0], viy + thr_v[i, k, 1], viz + thr_v[i, k, 2]", (RULES,),
           "relative velocity's sign in the closing speed"),
    Mutant("engage.min-closing-speed", "engage.py", "min(ic.max_range, tab.range_grid[-1]), ic.min_closing_speed,",
           "min(ic.max_range, tab.range_grid[-1]), 0.0,", (RULES,), "the interceptor's minimum closing speed ignored"),
    Mutant("engage.latest-launch-refinement", "engage.py", "latest_launch, kbest = kk * dt - tf, kk",
           "latest_launch, kbest = (kk + 1) * dt - tf, kk", (RULES,),
           "the latest-launch refinement off by one step"),
    Mutant("engage.earliest-intercept", "engage.py", "out[i, b, O_EARLIEST] = kearly * dt",
           "out[i, b, O_EARLIEST] = (kearly + 1) * dt", (RULES,), "the earliest intercept time off by one step"),
    Mutant("sensors.max-elevation", "sensors.py",
           "ok = sel >= s_min and sel <= s_max",
           "ok = sel >= s_min",
           (RULES + "::test_radar_maximum_elevation", T + "unit/test_sensors.py"), "a radar's maximum elevation ignored"),
    Mutant("sensors.track-time", "sensors.py", "trk = np.where(ft >= 0, t[np.maximum(ft, 0)] + radar.track_time, np.nan)",
           "trk = np.where(ft >= 0, t[np.maximum(ft, 0)], np.nan)",
           (T + "unit/test_sensors.py",), "firm track at first detection (track time ignored)"),
    # --- battle management
    Mutant("wta.look-fires-all", "wta.py", "out[i, j] += salvo * surv", "out[i, j] += salvo",
           (T + "unit/test_wta.py",), "shoot-look-shoot fires the second shot even after a kill"),
    # --- guarantee compliance (no compiled code)
    Mutant("guarantee.east-of-sign", "guarantee.py", 'm = p["lon_deg"] - float(lo.max())',
           'm = float(lo.max()) - p["lon_deg"]', (LIMITS,), "no_sites_east_of margin's sign flipped", kernels=False),
    Mutant("guarantee.north-of-sign", "guarantee.py", 'm = p["lat_deg"] - north', 'm = north - p["lat_deg"]',
           (LIMITS,), "no_naval_north_of margin's sign flipped", kernels=False),
    Mutant("guarantee.border-inside", "guarantee.py", "out.append(-dist if inside else dist)", "out.append(dist)",
           (LIMITS,), "a site inside the country counted as outside it", kernels=False),
    Mutant("guarantee.sector-width", "guarantee.py", "width = (a1 - a0) % 360 or 360.0",
           "width = (a0 - a1) % 360 or 360.0", (LIMITS,), "radar sector measured the wrong way round", kernels=False),
]


# ------------------------------------------------------------------ tree ----
def copy_tree(dest: str) -> None:
    """The parts of the working tree the tests need (uncommitted changes included)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc", "node_modules", ".pytest_cache", ".hypothesis")
    shutil.copytree(os.path.join(ROOT, "src"), os.path.join(dest, "src"), ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "tests"), os.path.join(dest, "tests"), ignore=ignore)
    shutil.copy2(os.path.join(ROOT, "pyproject.toml"), dest)


def run_tests(tree: str, tests, cache_dir: str, timeout: float) -> tuple[str, str, float]:
    """Run pytest on ``tests`` inside ``tree``: ("passed" | "failed" | "timeout", last lines, seconds)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(tree, "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["NUMBA_CACHE_DIR"] = cache_dir
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", "-rf", *tests]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", "", time.monotonic() - t0
    out = (p.stdout + p.stderr).strip().splitlines()
    tail = "\n".join(out[-6:])
    return ("passed" if p.returncode == 0 else "failed"), tail, time.monotonic() - t0


def check_imports_openbmd_from(tree: str) -> None:
    """The copy's source is the one imported (not the editable install's)."""
    env = dict(os.environ, PYTHONPATH=os.path.join(tree, "src"))
    out = subprocess.run([sys.executable, "-c", "import openbmd, sys; sys.stdout.write(openbmd.__file__)"],
                         cwd=tree, env=env, capture_output=True, text=True, check=True).stdout
    if not os.path.realpath(out).startswith(os.path.realpath(tree)):
        raise SystemExit(f"mutate: openbmd is imported from {out}, not from the copy {tree}")


def _imports(tree: str) -> dict:
    """openbmd module files (relative to src/openbmd) -> the openbmd module files each imports."""
    import ast

    base = os.path.join(tree, PKG)
    files = {os.path.relpath(os.path.join(d, f), base).replace(os.sep, "/")
             for d, _, fs in os.walk(base) for f in fs if f.endswith(".py")}

    def resolve(parts):
        for cand in ("/".join(parts) + ".py", "/".join(parts + ["__init__"]) + ".py"):
            if cand in files:
                return cand
        return None

    graph = {}
    for f in files:
        pkg = f.split("/")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(open(os.path.join(base, f), encoding="utf-8").read())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parent = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                elif (node.module or "").split(".")[0] == "openbmd":
                    parent = []
                    node = ast.ImportFrom(module=node.module.partition(".")[2] or None, names=node.names, level=0)
                else:
                    continue
                mod = parent + (node.module.split(".") if node.module else [])
                for target in [resolve(mod)] + [resolve(mod + [a.name]) for a in node.names]:
                    if target:
                        deps.add(target)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "openbmd":
                        target = resolve(a.name.split(".")[1:])
                        if target:
                            deps.add(target)
        graph[f] = deps
    return graph


def stale_modules(tree: str, file: str) -> set:
    """The mutated module and every module importing it, directly or through others."""
    graph = _imports(tree)
    out, todo = {file}, [file]
    while todo:
        f = todo.pop()
        for g, deps in graph.items():
            if f in deps and g not in out:
                out.add(g)
                todo.append(g)
    return out


def seed_cache(tree: str, base_cache: str, cache: str, stale: set) -> int:
    """Copy the baseline cache, then delete the kernels of the stale modules; returns how many files."""
    from hashlib import sha1

    shutil.copytree(base_cache, cache)
    removed = 0
    for f in stale:
        src = os.path.join(tree, PKG, f)
        if "numba" not in open(src, encoding="utf-8").read():
            continue
        d = os.path.dirname(os.path.abspath(src))
        sub = os.path.join(cache, "_".join([os.path.split(d)[-1], sha1(d.encode()).hexdigest()]))
        stem = os.path.splitext(os.path.basename(src))[0] + "."
        if os.path.isdir(sub):
            for name in os.listdir(sub):
                if name.startswith(stem):
                    os.remove(os.path.join(sub, name))
                    removed += 1
    return removed


def plant(path: str, m: Mutant) -> str:
    text = open(path, encoding="utf-8").read()
    n = text.count(m.old)
    if n != 1:
        return f"pattern found {n} times (expected once): the source changed; update the mutant"
    if "numba" in text and not m.kernels:
        return "kernels=False but the file mentions numba: not safe to reuse the baseline cache"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text.replace(m.old, m.new))
    return ""


# ------------------------------------------------------------------ main ----
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--only", action="append", metavar="NAME", help="run this mutant (repeatable)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline run (no cache reuse then)")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds per test run (default 1200)")
    ap.add_argument("--max-survivors", type=int, default=1)
    args = ap.parse_args(argv)

    if args.list:
        for m in MUTANTS:
            print(f"{m.name:34s} {m.file:18s} {m.why}")
            print(f"{'':34s} tests: {' '.join(m.tests)}")
        return 0
    chosen = MUTANTS
    if args.only:
        names = {m.name for m in MUTANTS}
        bad = [n for n in args.only if n not in names]
        if bad:
            print(f"mutate: unknown mutant(s) {', '.join(bad)}; see --list", file=sys.stderr)
            return 2
        chosen = [m for m in MUTANTS if m.name in args.only]

    work = tempfile.mkdtemp(prefix="openbmd-mutate-")
    results = []
    try:
        tree = os.path.join(work, "tree")
        copy_tree(tree)
        check_imports_openbmd_from(tree)
        base_cache = None
        if not args.no_baseline:
            files = sorted({t.split("::")[0] for m in chosen for t in m.tests})
            base_cache = os.path.join(work, "cache-baseline")
            print(f"baseline: {len(files)} test files on the unmutated copy ...", flush=True)
            status, tail, sec = run_tests(tree, files, base_cache, args.timeout)
            print(f"baseline: {status} ({sec:.0f} s)", flush=True)
            if status != "passed":
                print(tail, file=sys.stderr)
                print("mutate: the tests fail without any mutant; fix that first", file=sys.stderr)
                return 2
        for k, m in enumerate(chosen, 1):
            path = os.path.join(tree, PKG, m.file)
            st = os.stat(path)
            original = open(path, encoding="utf-8").read()
            cache = os.path.join(work, f"cache-{k}")
            try:
                err = plant(path, m)
                if err:
                    results.append((m, "INAPPLICABLE", err, 0.0))
                    print(f"[{k}/{len(chosen)}] {m.name}: INAPPLICABLE ({err})", flush=True)
                    continue
                if base_cache and os.path.isdir(base_cache):
                    stale = stale_modules(tree, m.file) if m.kernels else set()
                    seed_cache(tree, base_cache, cache, stale)
                status, tail, sec = run_tests(tree, list(m.tests), cache, args.timeout)
            finally:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(original)
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
                shutil.rmtree(cache, ignore_errors=True)
            verdict = {"failed": "KILLED", "timeout": "KILLED (timeout)", "passed": "SURVIVED"}[status]
            first_fail = next((ln for ln in tail.splitlines() if ln.startswith("FAILED")), "")
            results.append((m, verdict, first_fail, sec))
            print(f"[{k}/{len(chosen)}] {m.name}: {verdict} ({sec:.0f} s) {first_fail}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    killed = sum(r[1].startswith("KILLED") for r in results)
    survived = [r[0].name for r in results if r[1] == "SURVIVED"]
    inapplicable = [r[0].name for r in results if r[1] == "INAPPLICABLE"]
    total = killed + len(survived)
    print()
    print(f"{'mutant':34s} {'verdict':18s} {'s':>5s}  bug")
    for m, verdict, _, sec in results:
        print(f"{m.name:34s} {verdict:18s} {sec:5.0f}  {m.why}")
    print(f"\nkilled {killed} of {total}; survived {len(survived)} ({100.0 * len(survived) / max(total, 1):.0f} %)"
          + (f": {', '.join(survived)}" if survived else ""))
    if inapplicable:
        print(f"inapplicable (source changed): {', '.join(inapplicable)}")
    return 0 if len(survived) <= args.max_survivors and not inapplicable else 1


if __name__ == "__main__":
    sys.exit(main())
