"""Benchmark: a chunked sweep in-process, on 1 and on 2 Dask workers.

The workload is a Monte Carlo of ICBM impact dispersion: each table row is an
aim (launch point, azimuth, pitch-over angle) with a seed; the sweep function
flies ``draws`` Minuteman III trajectories per row (full boost, coast and
reentry on a rotating WGS84 Earth with J2 and US76 drag, openbmd's compiled
batch kernel) with guidance errors drawn from ``numpy.random.default_rng(seed)``
and returns the nominal range, the mean impact point and the CEP. The
missile travels once per worker in ``kwargs``.

The same sweep runs three times: in this process (numba restricted to one
thread, so that it is the serial reference), with ``workers=1`` and with
``workers=2`` (a fresh ``LocalCluster`` each, whose start-up is included in
the times). The three results must be identical; the script prints the times,
the speed-up from 1 to 2 workers (target >= 1.7x on the 2-core reference
machine) and exits non-zero if the results differ.

    python benchmarks/bench_sweep.py [--rows 1200] [--draws 100] [--chunk-size 25]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

EARTH_RADIUS = 6_371_008.8  # m, mean radius: for the dispersion statistics only


def impact_dispersion(chunk: pd.DataFrame, missile, draws: int, sigma_kick: float, sigma_az: float) -> pd.DataFrame:
    """Fly ``draws`` perturbed trajectories per row; randomness only from the
    row's seed, so the result does not depend on chunks or workers."""
    from openbmd.flight import run

    n = len(chunk)
    kick = np.empty((n, draws))
    az = np.empty((n, draws))
    for j, (seed, k0, a0) in enumerate(zip(chunk["seed"].to_numpy(), chunk["kick"].to_numpy(), chunk["azimuth"].to_numpy())):
        rng = np.random.default_rng(int(seed))
        kick[j] = k0 + rng.normal(0.0, sigma_kick, draws)
        az[j] = a0 + rng.normal(0.0, sigma_az, draws)
    lat = np.repeat(chunk["lat"].to_numpy(), draws)
    lon = np.repeat(chunk["lon"].to_numpy(), draws)
    tr = run(missile, lat, lon, az.ravel(), kick=kick.ravel())
    ok = tr.impacted.reshape(n, draws)
    rng_m = np.where(ok, tr.ground_range.reshape(n, draws), np.nan)
    ilat = np.where(ok, tr.impact_lat.reshape(n, draws), np.nan)
    ilon = np.where(ok, tr.impact_lon.reshape(n, draws), np.nan)
    # mean impact point (unit-vector mean) and each impact's distance from it
    x, y, z = np.cos(ilat) * np.cos(ilon), np.cos(ilat) * np.sin(ilon), np.sin(ilat)
    mx, my, mz = (np.nanmean(c, axis=1, keepdims=True) for c in (x, y, z))
    mlat = np.arctan2(mz, np.hypot(mx, my))
    mlon = np.arctan2(my, mx)
    cosd = np.clip((x * np.cos(mlat) * np.cos(mlon) + y * np.cos(mlat) * np.sin(mlon) + z * np.sin(mlat)), -1.0, 1.0)
    miss = EARTH_RADIUS * np.arccos(cosd)
    return pd.DataFrame(
        {
            "impacted": ok.sum(axis=1),
            "range_mean_m": np.nanmean(rng_m, axis=1),
            "range_std_m": np.nanstd(rng_m, axis=1),
            "impact_lat_deg": np.degrees(mlat[:, 0]),
            "impact_lon_deg": np.degrees(mlon[:, 0]),
            "cep_m": np.nanmedian(miss, axis=1),
        },
        index=chunk.index,
    )


def aims(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "lat": np.radians(rng.uniform(30.0, 60.0, rows)),
            "lon": np.radians(rng.uniform(-120.0, 100.0, rows)),
            "azimuth": rng.uniform(0.0, 2 * np.pi, rows),
            "kick": np.radians(rng.uniform(35.0, 50.0, rows)),
            "seed": rng.integers(0, 2**63 - 1, rows),
        }
    )


class CpuWatch:
    """CPU seconds used on the whole machine during a run, and by this process
    and its (reaped) children: the difference is what other processes took."""

    def __enter__(self):
        self.t = time.perf_counter()
        self.machine, self.own = self._machine(), self._own()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t
        self.used = self._own() - self.own
        m = self._machine()
        self.others = None if m is None or self.machine is None else max(0.0, m - self.machine - self.used)
        return False

    @staticmethod
    def _own():
        import resource

        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    @staticmethod
    def _machine():
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
        except OSError:
            return None
        return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait

    def note(self):
        if self.others is None:
            return ""
        busy = self.others > 0.05 * self.wall
        return f"  [other processes: {self.others:.1f} CPU-s{' - machine busy, times not representative' if busy else ''}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1200, help="aims (table rows)")
    ap.add_argument("--draws", type=int, default=100, help="trajectories per aim")
    ap.add_argument("--chunk-size", type=int, default=25, help="rows per chunk")
    args = ap.parse_args(argv)

    # this file imported as a module, so that the workers import the function by name
    import bench_sweep
    import numba

    from openbmd.catalog import default_catalog
    from openbmd.flight import run
    from openbmd.sweep import run_sweep

    func = bench_sweep.impact_dispersion
    missile = default_catalog().missile("Minuteman III")
    kwargs = {"missile": missile, "draws": args.draws, "sigma_kick": np.radians(0.05), "sigma_az": np.radians(0.02)}
    table = aims(args.rows)
    n_traj = args.rows * args.draws
    run(missile, table["lat"][:2], table["lon"][:2], table["azimuth"][:2], kick=table["kick"][:2])  # load the compiled kernel
    print(f"sweep: {args.rows} aims x {args.draws} trajectories = {n_traj} Minuteman III flights, "
          f"{-(-args.rows // args.chunk_size)} chunks of {args.chunk_size} rows; {os.cpu_count()} CPUs")

    numba.set_num_threads(1)  # the in-process run is the serial reference
    with CpuWatch() as cw:
        serial = run_sweep(func, table, args.chunk_size, kwargs)
    t_serial = cw.wall
    print(f"  in-process (1 thread) {t_serial:7.2f} s  {n_traj / t_serial:8.0f} flights/s{cw.note()}")

    out, times = {}, {}
    for w in (1, 2):
        with CpuWatch() as cw:
            out[w], info = run_sweep(func, table, args.chunk_size, kwargs, workers=w, return_info=True)
        times[w] = cw.wall
        print(f"  {w} worker{'s' if w > 1 else ' '}             {times[w]:7.2f} s  {n_traj / times[w]:8.0f} flights/s"
              f"  (cluster start {info.startup_seconds:.2f} s, then {info.seconds - info.startup_seconds:.2f} s; "
              f"{cw.used:.1f} CPU-s){cw.note()}")

    speedup = times[1] / times[2]
    print(f"speed-up 1 -> 2 workers: {speedup:.2f}x (target >= 1.7x); 2 workers vs in-process: {t_serial / times[2]:.2f}x")
    same = True
    for w in (1, 2):
        try:
            pd.testing.assert_frame_equal(out[w], serial)
        except AssertionError as exc:
            same = False
            print(f"RESULTS DIFFER with {w} worker(s): {exc}")
    if same:
        assert (serial["impacted"] == args.draws).all(), "every benchmark trajectory must impact"
        print(f"results identical (assert_frame_equal) in-process, 1 and 2 workers; "
              f"median CEP {serial['cep_m'].median():.0f} m, median range {serial['range_mean_m'].median() / 1e3:.0f} km")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
