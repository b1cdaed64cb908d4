"""openbmd.sweep: deterministic, resumable chunked sweeps, in-process and on a
real Dask LocalCluster (worker processes, real files, no mocks)."""

import multiprocessing
import os
import socket

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from openbmd.sweep import Sweep, SweepError, fingerprint, run_sweep

N_ROWS = 240
CHUNK = 24  # 10 chunks


# ---- sweep functions: top level, so that the worker processes import them ----
def monte_carlo(chunk, draws=2000, sigma=1.0):
    """A small Monte Carlo: per-row seeds, numpy generators, summary statistics."""
    rows = []
    for seed, aim in zip(chunk["seed"].to_numpy(), chunk["aim"].to_numpy()):
        rng = np.random.default_rng(int(seed))
        miss = np.hypot(rng.normal(aim, sigma, draws), rng.normal(0.0, sigma, draws))
        rows.append((miss.mean(), miss.std(), np.quantile(miss, 0.5), np.count_nonzero(miss < 1.0)))
    a = np.array(rows)
    return pd.DataFrame(
        {
            "mean": a[:, 0],
            "std": a[:, 1],
            "cep": a[:, 2],
            "hits": a[:, 3].astype(np.int64),
            "label": [f"s{s}" for s in chunk["seed"]],
        },
        index=chunk.index,
    )


def die_once(chunk, marker, victim_row, draws=2000):
    """Kill this worker process the first time the chunk holding ``victim_row``
    runs (the marker file records that it happened)."""
    if victim_row in chunk.index and not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        os._exit(1)
    return monte_carlo(chunk, draws=draws)


def always_die(chunk, victim_row, log):
    if victim_row in chunk.index:
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        os._exit(1)
    return monte_carlo(chunk)


def fail_on(chunk, bad_seed):
    if bad_seed in chunk["seed"].to_numpy():
        raise ValueError(f"no solution for seed {bad_seed}")
    return monte_carlo(chunk)


def not_a_frame(chunk):
    return chunk["seed"].to_numpy()


def list_column(chunk):
    return pd.DataFrame({"xs": [[1.0, 2.0]] * len(chunk)}, index=chunk.index)


class _Opaque:  # default repr shows a memory address: no stable fingerprint
    pass


# ------------------------------------------------------------------ fixtures --
@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(2024)
    return pd.DataFrame({"seed": rng.integers(0, 2**62, N_ROWS), "aim": rng.uniform(0.0, 2.0, N_ROWS)})


@pytest.fixture(scope="module")
def reference(table):
    return run_sweep(monte_carlo, table, CHUNK)


def _children():
    return [p for p in multiprocessing.active_children() if p.is_alive()]


def _temps(folder):
    return [n for n in os.listdir(folder) if n.startswith(".") or n.endswith(".tmp")]


# --------------------------------------------------------------- determinism --
def test_in_process_matches_local_cluster(table, reference):
    assert len(reference) == N_ROWS and reference.index.equals(table.index)
    # per-row seeds: the chunking does not matter either
    assert_frame_equal(run_sweep(monte_carlo, table, 7), reference)
    env = {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "PYTHONHASHSEED", "MALLOC_TRIM_THRESHOLD_")}
    done = []
    df, info = run_sweep(monte_carlo, table, CHUNK, workers=2, progress=done.append, return_info=True)
    assert_frame_equal(df, reference)
    assert isinstance(info, Sweep)
    assert (info.workers, info.chunks_total, info.chunks_computed, info.chunks_resumed) == (2, 10, 10, 0)
    assert info.scheduler.startswith("tcp://") and info.seconds > info.startup_seconds > 0
    assert done == list(range(1, 11))
    # the cluster is closed and Dask's pre-spawn variables are not left in our environment
    assert {k: os.environ.get(k) for k in env} == env
    assert not _children()


# -------------------------------------------------------------- worker death --
@pytest.mark.parametrize("workers", [1, 2])
def test_worker_killed_mid_sweep(table, reference, tmp_path, workers):
    """A worker dies in chunk 4 on its first attempt: Dask reruns the chunk (and,
    with one worker, recomputes the kwargs task lost with it); same result."""
    marker = tmp_path / "died"
    kw = {"marker": str(marker), "victim_row": int(table.index[4 * CHUNK + 3])}
    df, info = run_sweep(die_once, table, CHUNK, kw, workers=workers, checkpoint=tmp_path / "ck", return_info=True)
    assert marker.exists(), "the worker was meant to die"
    assert int(marker.read_text()) != os.getpid()
    assert_frame_equal(df, reference)
    assert info.chunks_computed == 10
    assert sorted(os.listdir(tmp_path / "ck")) == [f"chunk-{i:05d}.parquet" for i in range(10)] + ["manifest.json"]


def test_worker_always_dying_is_an_error(table, tmp_path):
    log = tmp_path / "deaths"
    with pytest.raises(SweepError, match=r"chunk 2 \(table rows 48-71\) failed: the worker running it died"):
        run_sweep(always_die, table, CHUNK, {"victim_row": int(table.index[2 * CHUNK]), "log": str(log)}, workers=2, retries=1)
    assert len(log.read_text().split()) == 2  # 1 + retries attempts, each in its own worker process
    assert not _children()


# -------------------------------------------------------- interrupt / resume --
def test_interrupted_and_resumed(table, reference, tmp_path):
    folder = tmp_path / "ck"
    env = {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "PYTHONHASHSEED")}

    def stop_after_3(n):
        if n == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(monte_carlo, table, CHUNK, workers=2, checkpoint=folder, progress=stop_after_3)
    assert not _children(), "the cluster must be closed on KeyboardInterrupt"
    assert {k: os.environ.get(k) for k in env} == env
    chunks = sorted(n for n in os.listdir(folder) if n.startswith("chunk-"))
    assert len(chunks) == 3 and all(n.endswith(".parquet") for n in chunks)
    assert (folder / "manifest.json").exists()
    assert _temps(folder) == []

    # a temp file left by a killed process is cleaned up on resumption
    (folder / ".chunk-00009.parquet.999999999.abc123.tmp").write_bytes(b"partial")
    done = []
    df, info = run_sweep(monte_carlo, table, CHUNK, checkpoint=folder, progress=done.append, return_info=True)
    assert_frame_equal(df, reference)
    assert (info.chunks_resumed, info.chunks_computed) == (3, 7)
    assert done == list(range(4, 11))
    assert _temps(folder) == []

    # everything saved: nothing is computed, no cluster is started
    df, info = run_sweep(monte_carlo, table, CHUNK, workers=2, checkpoint=folder, return_info=True)
    assert_frame_equal(df, reference)
    assert (info.chunks_resumed, info.chunks_computed, info.startup_seconds) == (10, 0, 0.0)


def test_fingerprint_mismatch(table, reference, tmp_path):
    folder = tmp_path / "ck"
    run_sweep(monte_carlo, table.iloc[:100], CHUNK, {"draws": 500}, checkpoint=folder)
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(monte_carlo, table.iloc[:100], CHUNK, {"draws": 501}, checkpoint=folder)
    changed = table.iloc[:100].copy()
    changed.loc[changed.index[50], "aim"] += 1e-12
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(monte_carlo, changed, CHUNK, {"draws": 500}, checkpoint=folder)
    with pytest.raises(SweepError, match="chunk_size"):
        run_sweep(monte_carlo, table.iloc[:100], CHUNK + 1, {"draws": 500}, checkpoint=folder)
    with pytest.raises(SweepError, match="func"):
        run_sweep(fail_on, table.iloc[:100], CHUNK, {"draws": 500}, checkpoint=folder)
    # overwrite=True discards the other sweep's chunks
    df, info = run_sweep(monte_carlo, table, CHUNK, checkpoint=folder, overwrite=True, return_info=True)
    assert_frame_equal(df, reference)
    assert info.chunks_resumed == 0
    # a folder of chunks without a manifest is not adopted
    (folder / "manifest.json").unlink()
    with pytest.raises(SweepError, match="no manifest"):
        run_sweep(monte_carlo, table, CHUNK, checkpoint=folder)


def test_fingerprint_of_kwargs(table):
    a = fingerprint(monte_carlo, table, CHUNK, {"draws": 10, "sigma": np.float64(1.5)})
    assert a == fingerprint(monte_carlo, table, CHUNK, {"sigma": np.float64(1.5), "draws": 10})
    assert a != fingerprint(monte_carlo, table, CHUNK, {"draws": 10, "sigma": 1.5})  # numpy scalar vs float
    assert a != fingerprint(monte_carlo, table.rename(columns={"aim": "aim2"}), CHUNK, {"draws": 10, "sigma": np.float64(1.5)})
    with pytest.raises(SweepError, match="fingerprint_extra"):
        fingerprint(monte_carlo, table, CHUNK, {"scenario": _Opaque()})
    b = fingerprint(monte_carlo, table, CHUNK, {"scenario": _Opaque()}, fingerprint_extra="epaa-v3")
    assert b == fingerprint(monte_carlo, table, CHUNK, {"scenario": _Opaque()}, fingerprint_extra="epaa-v3")
    assert b != fingerprint(monte_carlo, table, CHUNK, {"scenario": _Opaque()}, fingerprint_extra="epaa-v4")


def test_unstable_kwargs_need_fingerprint_extra(table, tmp_path):
    with pytest.raises(SweepError, match=r"kwargs\['opaque'\].*fingerprint_extra"):
        run_sweep(fail_on, table, CHUNK, {"opaque": _Opaque(), "bad_seed": -1}, checkpoint=tmp_path / "ck")
    df = run_sweep(fail_on, table, CHUNK, {"bad_seed": -1}, checkpoint=tmp_path / "ck2", fingerprint_extra="v1")
    assert len(df) == N_ROWS


# -------------------------------------------------------------------- errors --
def test_function_error_names_the_chunk(table, tmp_path):
    bad = int(table["seed"].iloc[5 * CHUNK + 1])
    with pytest.raises(SweepError, match=rf"chunk 5 \(table rows 120-143\).*ValueError: no solution for seed {bad}") as err:
        run_sweep(fail_on, table, CHUNK, {"bad_seed": bad}, checkpoint=tmp_path / "ck")
    assert isinstance(err.value.__cause__, ValueError)
    with pytest.raises(SweepError, match="must return a pandas DataFrame"):
        run_sweep(not_a_frame, table, CHUNK)
    with pytest.raises(SweepError, match="Parquet"):
        run_sweep(list_column, table, CHUNK, checkpoint=tmp_path / "ck3")
    assert _temps(tmp_path / "ck3") == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"chunk_size": 0}, "chunk_size must be >= 1"),
        ({"chunk_size": -3}, "chunk_size must be >= 1"),
        ({"chunk_size": 2.5}, "chunk_size must be an integer"),
        ({"chunk_size": True}, "chunk_size must be an integer"),
        ({"workers": -1}, "workers must be >= 0"),
        ({"workers": 1.0}, "workers must be an integer"),
        ({"retries": -1}, "retries must be >= 0"),
        ({"kwargs": [1, 2]}, "kwargs must be a mapping"),
        ({"scheduler": 8786}, "scheduler must be an address"),
        ({"progress": 3}, "progress must be a callable"),
    ],
)
def test_bad_arguments(table, kwargs, message):
    with pytest.raises(SweepError, match=message):
        run_sweep(monte_carlo, table, **kwargs)


def test_bad_table_and_func(table):
    with pytest.raises(SweepError, match="table must be a pandas DataFrame"):
        run_sweep(monte_carlo, table.to_numpy())
    with pytest.raises(SweepError, match="no rows"):
        run_sweep(monte_carlo, table.iloc[:0])
    with pytest.raises(SweepError, match="func must be callable"):
        run_sweep("monte_carlo", table)


def test_unreachable_scheduler(table):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SweepError, match=f"cannot connect to the Dask scheduler at tcp://127.0.0.1:{port}"):
        run_sweep(monte_carlo, table, CHUNK, scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=1.0)


# ----------------------------------------------------------- existing cluster --
def test_existing_cluster(table, reference, tmp_path):
    import dask
    from distributed import LocalCluster

    # a scheduler that never reschedules a chunk whose worker died: run_sweep resubmits it
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40)
    with cluster:
        df, info = run_sweep(monte_carlo, table, CHUNK, scheduler=cluster.scheduler_address, workers=5, return_info=True)
        assert_frame_equal(df, reference)
        assert (info.workers, info.scheduler) == (2, cluster.scheduler_address)
        # an exception in a worker comes back at once, naming the chunk; the cluster survives
        bad = int(table["seed"].iloc[7 * CHUNK])
        with pytest.raises(SweepError, match=rf"chunk 7 .*no solution for seed {bad}"):
            run_sweep(fail_on, table, CHUNK, {"bad_seed": bad}, scheduler=cluster.scheduler_address)
        assert_frame_equal(run_sweep(monte_carlo, table, CHUNK, scheduler=cluster.scheduler_address), reference)
        # a worker death: Dask gives up on the chunk (KilledWorker), run_sweep resubmits it once
        marker = tmp_path / "died"
        kw = {"marker": str(marker), "victim_row": int(table.index[3 * CHUNK])}
        df, info = run_sweep(die_once, table, CHUNK, kw, scheduler=cluster.scheduler_address, return_info=True)
        assert marker.exists()
        assert_frame_equal(df, reference)
        assert info.resubmitted >= 1
