"""Benchmark: engagement evaluations per second.

One evaluation = one threat trajectory against one battery, with the full
window search (every threat sample: reach, altitude band, tail chase by closing speed, fly-out
time, launch time; latest launch, window, intercept point, shoot-look-shoot).
Threat trajectories and fly-out tables are computed first and not timed.

The workload is the European question: minimum-energy ICBMs from every Russian
ICBM field to nine US cities, and the southern threats to European capitals,
against a grid of candidate interceptor sites over Europe and the northern seas
(a 5 km/s interceptor). The same rule is run, in the same process, by a
straightforward per-point pure-Python implementation on a subset of pairs, and
the two are checked to agree.

Targets (issue 3, 2-core reference machine): >= 1,000,000 evaluations/s and
>= 100x the straightforward version. The kernel's window search is coarse to
fine (``engage(coarse_step=24 s)`` by default); ``--coarse-step`` trades
resolution of short feasibility islands for speed.

    python benchmarks/bench_engage.py [--sites 20x25] [--baseline-pairs 40]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np


def threats(step=1.0):
    from openbmd.catalog import default_catalog
    from openbmd.flight.aim import aim

    cat = default_catalog()
    ms, la, lo, tla, tlo = [], [], [], [], []
    cities = ["Washington", "New York", "Boston", "Chicago", "Omaha", "Denver", "Los Angeles", "San Francisco", "Seattle"]
    for f in cat.places_of_kind("icbm_field"):
        if f.country != "Russia":
            continue
        m = cat.missile(f.missiles[0]) if f.missiles else cat.missile("RS-24 Yars")
        for c in cities:
            ms.append(m), la.append(f.lat), lo.append(f.lon)
            tla.append(cat.place(c).lat), tlo.append(cat.place(c).lon)
    south = [("Shahab-3", "Tabriz launch area", "Ankara"), ("Sejjil-2", "Tabriz launch area", "Bucharest"),
             ("Khorramshahr", "Kermanshah launch area", "Ankara"), ("Ghadr-1", "Tabriz launch area", "Tel Aviv")]
    for m, a, b in south:
        ms.append(cat.missile(m)), la.append(cat.place(a).lat), lo.append(cat.place(a).lon)
        tla.append(cat.place(b).lat), tlo.append(cat.place(b).lon)
    from openbmd.flight.aim import AimError

    keep = list(range(len(ms)))
    while True:  # drop the shots a missile cannot reach, fly the rest
        pick = lambda xs: [xs[i] for i in keep]  # noqa: E731
        try:
            tr = aim(pick(ms), pick(la), pick(lo), pick(tla), pick(tlo), output_step=step)
            break
        except AimError as exc:
            bad = {keep[i] for i in exc.index.tolist()}
            keep = [i for i in keep if i not in bad]
    return tr


def sites(n_lat, n_lon):
    lats = np.radians(np.linspace(36.0, 74.0, n_lat))
    lons = np.radians(np.linspace(-25.0, 45.0, n_lon))
    return [(f"{math.degrees(a):.1f},{math.degrees(b):.1f}", a, b) for a in lats for b in lons]


# ------------------------------------------------- the straightforward rule ----
def straightforward(ts, bat, table, tl_min, assess):
    """The same rule, point by point, in plain Python (numpy only for the table)."""
    from openbmd import earth as E
    from openbmd.engage import RE_MEAN

    ic = bat.interceptor
    s = np.array(E.geodetic_to_ecef(bat.lat, bat.lon, bat.alt), dtype=float)
    su = s / np.linalg.norm(s)
    e_, n_, _ = (np.asarray(v, float) for v in E.enu_basis(bat.lat, bat.lon))
    latest_launch = None
    earliest = latest = None
    shots, next_launch = 0, tl_min
    for k in range(int(ts.ns)):
        h = float(ts.h[k])
        if not ic.min_intercept_altitude <= h <= ic.max_intercept_altitude:
            continue
        p = ts.r[k]
        u = p / np.linalg.norm(p)
        rg = math.atan2(np.linalg.norm(np.cross(u, su)), float(u @ su)) * RE_MEAN
        if rg > ic.max_range:
            continue
        d = p - s
        az = math.atan2(float(d @ e_), float(d @ n_))
        tf, spd, fpa = (float(x) for x in table.lookup(rg, h, az))
        if not math.isfinite(tf):
            continue
        if not ic.tail_chase and float(d @ ts.v[k]) > 0:
            # receding: a tail chase unless it closes at least at the threshold
            # (the interceptor arrives in the vertical plane through the site)
            hd = d - float(d @ u) * u
            hd = hd / max(np.linalg.norm(hd), 1e-12)
            vi = spd * (math.cos(fpa) * hd + math.sin(fpa) * u)
            if not np.linalg.norm(vi - ts.v[k]) >= ic.tail_chase_closing_speed:
                continue
        t = k * ts.dt
        tl = t - tf
        latest_launch = tl if latest_launch is None else max(latest_launch, tl)
        if tl >= tl_min:
            earliest = t if earliest is None else earliest
            latest = t
            if tl >= next_launch:
                shots += 1
                next_launch = t + assess
    return latest_launch, earliest, latest, shots


class _One:
    """One threat's arrays, for the straightforward version."""

    def __init__(self, ts, i):
        self.r, self.v, self.h, self.ns, self.dt = ts.r[i], ts.v[i], ts.h[i], ts.ns[i], ts.dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", default="20x25", help="site grid, latitudes x longitudes")
    ap.add_argument("--baseline-pairs", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--receding-is-tail-chase", action="store_true",
                    help="the older tail-chase rule (every receding geometry refused) instead of the closing-speed rule")
    ap.add_argument("--coarse-step", type=float, default=None,
                    help="s (default: the library's, 24 s); 0: exhaustive scan")
    args = ap.parse_args()
    from openbmd.engage import Battery, ThreatSet, Timeline, engage
    from openbmd.vehicles import impulsive_interceptor

    t0 = time.perf_counter()
    tr = threats()
    ts = ThreatSet.prepare(tr)
    nlat, nlon = (int(x) for x in args.sites.split("x"))
    ic = impulsive_interceptor(5000.0, min_intercept_altitude=70e3)
    if args.receding_is_tail_chase:  # the older tail-chase rule, for a like-for-like comparison
        ic = ic.replace(tail_chase_closing_speed=float("inf"))
    bats = [Battery(n, a, b, ic, Timeline(launch_delay=150.0)) for n, a, b in sites(nlat, nlon)]
    res = engage(ts, bats[:: nlon])  # builds one table per latitude (and compiles)
    by_lat = {round(b.lat, 9): t for b, t in zip(bats[:: nlon], res.tables)}
    tables = [by_lat[round(b.lat, 9)] for b in bats]
    prep = time.perf_counter() - t0
    n, m = len(ts.ns), len(bats)
    best = math.inf
    for _ in range(args.repeat):
        t1 = time.perf_counter()
        kw = {} if args.coarse_step is None else {"coarse_step": args.coarse_step}
        res = engage(ts, bats, tables=tables, **kw)
        best = min(best, time.perf_counter() - t1)
    rate = n * m / best
    # straightforward version on a spread of pairs (some in reach, most not)
    rng = np.random.default_rng(0)
    reach = np.argwhere(res.reachable)
    far = np.argwhere(~res.reachable)
    k_in = min(len(reach), args.baseline_pairs // 2)
    pairs = np.concatenate([reach[rng.choice(len(reach), k_in, replace=False)],
                            far[rng.choice(len(far), args.baseline_pairs - k_in, replace=False)]])
    # in the same proportion as the workload, so the two rates compare
    frac_in = res.reachable.mean()
    t_in = t_far = 0.0
    mism = 0
    worst = 0.0
    for i, b in pairs:
        ta = time.perf_counter()
        ll, e, l_, shots = straightforward(_One(ts, i), bats[b], tables[b], res.earliest_launch[i, b], res.assessment_time)
        dt_ = time.perf_counter() - ta
        if res.reachable[i, b]:
            t_in += dt_
        else:
            t_far += dt_
        if ll is not None and res.reachable[i, b]:
            worst = max(worst, abs(ll - res.latest_launch[i, b]))
        # the coarse-to-fine search refines the latest launch by a parabola: agree within 1 s
        ok = (ll is None and not res.reachable[i, b]) or (ll is not None and abs(ll - res.latest_launch[i, b]) < 1.0)
        ok &= (e is None) == (not res.engageable[i, b]) and shots == res.shots[i, b]
        if not ok:
            print(f"  mismatch: threat {i} battery {bats[b].name}: straightforward latest launch {ll}, earliest {e}, "
                  f"shots {shots}; kernel {res.latest_launch[i, b]}, {res.earliest_intercept[i, b]}, {res.shots[i, b]}")
        mism += not ok
    per_pair = frac_in * t_in / max(k_in, 1) + (1 - frac_in) * t_far / max(len(pairs) - k_in, 1)
    brate = 1.0 / per_pair
    print(f"engagement evaluations: {n} threats x {m} batteries = {n * m:,} pairs "
          f"({frac_in:.1%} within reach), {os.cpu_count()} cores")
    print(f"  setup (threats, tables, compile)  {prep:8.2f} s (not timed below)")
    print(f"  openbmd kernel                    {best:8.3f} s = {rate:14,.0f} evaluations/s   (target >= 1,000,000 /s)")
    print(f"  straightforward pure Python       {per_pair * 1e3:8.3f} ms/pair = {brate:10,.0f} evaluations/s "
          f"(same mix, {len(pairs)} pairs)")
    print(f"  ratio                             {rate / brate:8,.0f} x   (target >= 100 x)")
    print(f"  agreement                         {len(pairs) - mism}/{len(pairs)} pairs agree "
          f"(engageable, window, shots; latest launch within {worst:.2f} s)")


if __name__ == "__main__":
    main()
