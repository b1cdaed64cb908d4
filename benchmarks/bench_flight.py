"""Benchmark: batched full ICBM trajectories against a naive scipy baseline.

Flies full trajectories (boost with staging, pitch-over and gravity turn;
coast; reentry to impact) on a rotating WGS84 Earth with J2 gravity and US76
drag, with openbmd's compiled batch kernel, and, in the same run, the same
equations integrated by ``scipy.integrate.solve_ivp`` one trajectory at a time
(pure Python right-hand side). Prints throughput, the ratio, the peak memory of
100,000 trajectory summaries, and the time of a single ``openbmd fly`` once the
compiled kernels are cached.

Targets (issue 2, on the 2-core reference machine): >= 10,000 trajectories/s,
>= 200x the baseline, 100,000 summaries within 2 GB peak, CLI < 2 s.

    python benchmarks/bench_flight.py [--n 20000] [--baseline 10]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np


def icbm():
    from openbmd.catalog import default_catalog

    return default_catalog().missile("Minuteman III")


def workload(n, seed=1):
    rng = np.random.default_rng(seed)
    lat = np.radians(rng.uniform(30, 60, n))
    lon = np.radians(rng.uniform(-120, 100, n))
    az = rng.uniform(0, 2 * np.pi, n)
    kick = np.radians(rng.uniform(35, 50, n))
    return lat, lon, az, kick


def bench_openbmd(n):
    from openbmd.flight import FlightOptions, run

    m = icbm()
    lat, lon, az, kick = workload(n)
    run(m, lat[:4], lon[:4], az[:4], kick=kick[:4])  # compile / load cache
    t0 = time.perf_counter()
    tr = run(m, lat, lon, az, kick=kick, options=FlightOptions())
    dt = time.perf_counter() - t0
    assert np.all(tr.impacted), "every benchmark trajectory must impact"
    return dt, tr


# ------------------------------------------------------------ the baseline ----
def baseline_one(m, lat, lon, az, kick, opts):
    """The same equations as the kernel, in plain Python, with solve_ivp."""
    from scipy.integrate import solve_ivp

    from openbmd import earth as E
    from openbmd.atmosphere import density, speed_of_sound

    a = E.WGS84_A
    mu, j2, re, om = E.GM_EARTH, E.J2_EARTH, E.WGS84_A, E.OMEGA_EARTH
    x0 = np.array(E.geodetic_to_ecef(lat, lon, 0.0)).astype(float)
    e_, n_, u_ = (v.astype(float) for v in E.enu_basis(lat, lon))
    hdir = math.sin(az) * e_ + math.cos(az) * n_
    pdir = math.cos(kick) * u_ + math.sin(kick) * hdir
    curve = m.drag_curve

    def alt(r):
        return float(E.ecef_to_geodetic(r[0], r[1], r[2])[2])

    def accel(t, y, thrust, mass, fixed, drag):
        r, v = y[:3], y[3:]
        g = np.array(E.gravity_k(r[0], r[1], r[2], mu, j2, re))
        acc = g + np.array([2 * om * v[1] + om * om * r[0], -2 * om * v[0] + om * om * r[1], 0.0])
        if thrust > 0:
            d = fixed if fixed is not None else v / np.linalg.norm(v)
            acc += thrust / mass(t) * d
        if drag is not None and np.linalg.norm(r) - a < opts.drag_ceiling:
            h = alt(r)
            if h < opts.drag_ceiling:
                sp = np.linalg.norm(v)
                rho = density(h)
                if drag == "rv":
                    k = 0.5 * rho * sp / m.rv.ballistic_coefficient
                else:
                    k = 0.5 * rho * sp * curve(sp / speed_of_sound(h)) * m.reference_area / mass(t)
                acc -= k * v
        return np.concatenate([v, acc])

    y = np.concatenate([x0, np.zeros(3)])
    t = 0.0
    tign = 0.0
    tv, tp = m.vertical_rise, m.vertical_rise + m.pitch_over
    kw = dict(rtol=opts.rtol, atol=1e-3, method="RK45")
    for m0, st in zip(m.ignition_masses(), m.stages):
        tbo = tign + st.burn_time

        def mass(tt, m0=m0, st=st, tign=tign):
            return m0 - st.mass_flow * (tt - tign)

        for t_end, fixed in ((tv, u_), (tp, pdir), (tbo, None)):
            if t >= min(t_end, tbo):
                continue
            t_end = min(t_end, tbo)
            sol = solve_ivp(accel, (t, t_end), y, args=(st.thrust, mass, fixed, "booster"), **kw)
            y, t = sol.y[:, -1], t_end
        tign = tbo + st.coast_after

    def impact(tt, yy, *args):
        return alt(yy[:3])

    impact.terminal, impact.direction = True, -1
    sol = solve_ivp(accel, (t, t + 5000.0), y, args=(0.0, None, None, "rv"), events=impact, **kw)
    ri = sol.y_events[0][0][:3]
    la, lo, _ = E.ecef_to_geodetic(ri[0], ri[1], ri[2])
    d, _ = E.geodesic_inverse(lat, lon, la, lo)
    return float(d), float(sol.t_events[0][0])


def bench_baseline(n, n_batch):
    """The first n trajectories of the batch workload, one at a time."""
    from openbmd.flight import FlightOptions

    m = icbm()
    opts = FlightOptions()
    lat, lon, az, kick = (v[:n] for v in workload(n_batch))
    t0 = time.perf_counter()
    out = [baseline_one(m, lat[i], lon[i], az[i], kick[i], opts) for i in range(n)]
    return time.perf_counter() - t0, np.array(out)


def peak_memory_summaries(n):
    """Peak resident memory (MB) of a fresh process flying n summaries."""
    code = (
        "import resource, numpy as np, sys; sys.path.insert(0, 'benchmarks');"
        "from bench_flight import icbm, workload; from openbmd.flight import run;"
        f"lat, lon, az, kick = workload({n}); tr = run(icbm(), lat, lon, az, kick=kick);"
        "df = tr.to_dataframe(); assert len(df) == %d;" % n
        + "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(p.stdout.strip().splitlines()[-1])


def cli_time():
    cmd = [sys.executable, "-m", "openbmd", "fly", "--missile", "RS-24 Yars", "--from", "Teykovo", "--to", "Washington"]
    subprocess.run(cmd, capture_output=True, check=True)  # make sure the cache is warm
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="trajectories for the throughput run")
    ap.add_argument("--baseline", type=int, default=10, help="trajectories for the scipy baseline")
    ap.add_argument("--memory-n", type=int, default=100000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    dt, tr = bench_openbmd(args.n)
    rate = args.n / dt
    bdt, bout = bench_baseline(args.baseline, args.n)
    brate = args.baseline / bdt
    # the two integrations of the same equations must agree
    agree = np.max(np.abs(bout[:, 0] - tr.ground_range[: args.baseline]))
    mem = peak_memory_summaries(args.memory_n)
    cli = cli_time()
    res = {
        "threads": int(os.environ.get("NUMBA_NUM_THREADS", os.cpu_count())),
        "trajectories": args.n,
        "openbmd_s": round(dt, 3),
        "openbmd_traj_per_s": round(rate, 1),
        "baseline_traj_per_s": round(brate, 2),
        "speedup": round(rate / brate, 1),
        "max_range_difference_vs_baseline_m": round(float(agree), 2),
        "mean_steps_per_trajectory": float(np.mean(tr.result[:, 24])),
        "peak_rss_mb_100k_summaries": round(mem, 1),
        "cli_fly_s": round(cli, 3),
    }
    if args.json:
        print(json.dumps(res))
        return
    print(f"full ICBM trajectories (rotating WGS84, J2, US76 drag), {res['threads']} threads")
    print(f"  openbmd batch      {args.n:>8d} trajectories in {dt:7.3f} s = {rate:10,.0f} /s   (target >= 10,000 /s)")
    print(f"  scipy solve_ivp    {args.baseline:>8d} trajectories in {bdt:7.3f} s = {brate:10,.2f} /s")
    print(f"  ratio              {rate / brate:10,.0f} x   (target >= 200 x)")
    print(f"  agreement          max |range difference| = {agree:.1f} m over {args.baseline} trajectories")
    print(f"  memory             peak RSS {mem:,.0f} MB for {args.memory_n:,} summaries   (target <= 2,048 MB)")
    print(f"  CLI                'openbmd fly' (cached kernels) {cli:.2f} s   (target < 2 s)")


if __name__ == "__main__":
    main()
