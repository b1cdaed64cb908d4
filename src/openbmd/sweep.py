"""Deterministic, resumable chunked sweeps, in-process or on Dask.

openbmd's large computations (guarantee synthesis over a grid of candidate
sites, Monte Carlo over uncertain parameters) are *sweeps*: a pure function
``func(chunk, **kwargs) -> DataFrame`` applied to consecutive chunks of a
parameter table. :func:`run_sweep` runs one, in this process, on a local Dask
cluster or on an existing one, with checkpoints to resume from; the result is
the chunk results concatenated in chunk order, so it is identical whatever the
number of workers, the finishing order, a resumption or a recomputed chunk.
Determinism, execution, checkpoints and failures are described in
``docs/sweep.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import hashlib
import json
import logging
import math
import os
import pathlib
import re
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .files import write_atomic
from .errors import OpenBMDError

__all__ = ["Sweep", "SweepError", "fingerprint", "run_sweep"]

MANIFEST = "manifest.json"
_FORMAT = "openbmd-sweep-checkpoint"
_FORMAT_VERSION = 1
_CHUNK_RE = re.compile(r"^chunk-(\d+)\.parquet$")
_TMP_RE = re.compile(r"^\.(?:chunk-\d+\.parquet|manifest\.json)\.(\d+)\.[0-9a-f]+\.tmp$")
_ADDRESS_RE = re.compile(r" at 0x[0-9a-fA-F]+")


class SweepError(OpenBMDError, RuntimeError):
    """A sweep could not run or finish: bad arguments, an unreachable
    scheduler, an exception in ``func`` (chained as ``__cause__``), a chunk
    whose workers kept dying, or a checkpoint folder of another sweep."""


@dataclass(frozen=True)
class Sweep:
    """What :func:`run_sweep` ran (``return_info=True``)."""

    func: str  #: ``module:qualname`` of the function
    rows: int  #: rows of the table
    chunk_size: int
    chunks_total: int
    chunks_resumed: int  #: loaded from the checkpoint, not recomputed
    chunks_computed: int  #: computed in this run
    resubmitted: int  #: chunks resubmitted by the client after Dask gave up on them (existing cluster)
    workers: int  #: 0 in-process; else the number of Dask workers
    scheduler: str | None  #: the scheduler address, None in-process
    checkpoint: str | None  #: the checkpoint folder
    fingerprint: str | None  #: the checkpoint fingerprint (None without checkpoint)
    startup_seconds: float  #: starting or connecting to the cluster
    seconds: float  #: the whole call


# --------------------------------------------------------------- fingerprint --
class _Unstable(Exception):
    def __init__(self, where: str, text: str):
        super().__init__(where)
        self.where = where
        self.text = text


def _callable_name(func) -> str:
    if isinstance(func, functools.partial):
        return f"partial({_callable_name(func.func)})"
    mod = getattr(func, "__module__", None)
    qual = getattr(func, "__qualname__", None)
    if mod is None or qual is None:
        cls = type(func)
        return f"{cls.__module__}:{cls.__qualname__}()"
    return f"{mod}:{qual}"


def _frame_token(h, obj) -> None:
    h.update(repr(type(obj).__name__).encode())
    if isinstance(obj, pd.DataFrame):
        h.update(repr([(str(c), str(t)) for c, t in obj.dtypes.items()]).encode())
        h.update(repr([type(c).__name__ for c in obj.columns]).encode())
    elif isinstance(obj, pd.Series):
        h.update(repr((str(obj.name), str(obj.dtype))).encode())
    else:  # Index
        h.update(repr((obj.names, str(obj.dtype))).encode())
    if not isinstance(obj, pd.Index):
        h.update(repr((list(obj.index.names), str(obj.index.dtype), type(obj.index).__name__)).encode())
    h.update(repr(obj.shape).encode())
    kw = {} if isinstance(obj, pd.Index) else {"index": True}
    h.update(np.ascontiguousarray(pd.util.hash_pandas_object(obj, **kw).to_numpy()).tobytes())


def _token(h, obj, where: str, tolerate: bool) -> None:
    """Feed a stable representation of ``obj`` to the hash ``h``."""
    if isinstance(obj, np.generic):  # before float: np.float64 is a float, but not the same argument
        h.update(f"np:{obj.dtype.str}:".encode() + np.asarray(obj).tobytes() + b";")
    elif obj is None or isinstance(obj, (bool, int, str, bytes, complex)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, float):
        h.update(f"float:{obj.hex()};".encode())
    elif isinstance(obj, enum.Enum):
        h.update(f"enum:{type(obj).__module__}.{type(obj).__qualname__}.{obj.name};".encode())
    elif isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            h.update(f"ndarray-object:{obj.shape}:".encode())
            for i, v in enumerate(obj.ravel(order="C").tolist()):
                _token(h, v, f"{where}[{i}]", tolerate)
        else:
            h.update(f"ndarray:{obj.dtype.str}:{obj.shape}:".encode() + np.ascontiguousarray(obj).tobytes() + b";")
    elif isinstance(obj, (pd.DataFrame, pd.Series, pd.Index)):
        try:
            _frame_token(h, obj)
        except TypeError as exc:  # unhashable objects inside
            if not tolerate:
                raise _Unstable(where, f"cannot be hashed ({exc})") from None
            h.update(f"unhashable:{type(obj).__name__};".encode())
    elif isinstance(obj, Mapping):
        h.update(f"map:{type(obj).__name__}:{len(obj)}{{".encode())
        items = []
        for k, v in obj.items():
            kh = hashlib.sha256()
            _token(kh, k, f"{where} key", tolerate)
            items.append((kh.digest(), k, v))
        for kd, k, v in sorted(items, key=lambda t: t[0]):
            h.update(kd)
            _token(h, v, f"{where}[{k!r}]", tolerate)
        h.update(b"};")
    elif isinstance(obj, (list, tuple)):
        h.update(f"seq:{type(obj).__name__}:{len(obj)}[".encode())
        for i, v in enumerate(obj):
            _token(h, v, f"{where}[{i}]", tolerate)
        h.update(b"];")
    elif isinstance(obj, (set, frozenset)):
        digests = []
        for v in obj:
            vh = hashlib.sha256()
            _token(vh, v, f"{where} item", tolerate)
            digests.append(vh.digest())
        h.update(f"set:{len(obj)}{{".encode() + b"".join(sorted(digests)) + b"};")
    elif isinstance(obj, pathlib.PurePath):
        h.update(f"path:{obj.as_posix()};".encode())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dataclass:{type(obj).__module__}.{type(obj).__qualname__}(".encode())
        for f in dataclasses.fields(obj):
            h.update(f.name.encode() + b"=")
            _token(h, getattr(obj, f.name), f"{where}.{f.name}", tolerate)
        h.update(b");")
    elif isinstance(obj, functools.partial):
        h.update(b"partial(")
        _token(h, obj.func, f"{where}.func", tolerate)
        _token(h, obj.args, f"{where}.args", tolerate)
        _token(h, obj.keywords, f"{where}.keywords", tolerate)
        h.update(b");")
    elif callable(obj) and hasattr(obj, "__qualname__") and hasattr(obj, "__module__"):
        h.update(f"callable:{obj.__module__}:{obj.__qualname__};".encode())
    else:
        text = repr(obj)
        if _ADDRESS_RE.search(text):
            if not tolerate:
                raise _Unstable(where, f"has no stable repr ({text[:80]})")
            h.update(f"unstable:{type(obj).__module__}.{type(obj).__qualname__};".encode())
        else:
            h.update(f"repr:{type(obj).__module__}.{type(obj).__qualname__}:{text};".encode())


def fingerprint(func, table: pd.DataFrame, chunk_size: int, kwargs: Mapping | None = None, fingerprint_extra: Any = None) -> str:
    """The checkpoint fingerprint of a sweep (hex SHA-256); see the module
    documentation. Raises :class:`SweepError` if a ``kwargs`` value has no
    stable representation and ``fingerprint_extra`` is None."""
    h = hashlib.sha256()
    h.update(f"{_FORMAT}/{_FORMAT_VERSION};func={_callable_name(func)};chunk_size={int(chunk_size)};".encode())
    if isinstance(func, functools.partial):
        try:
            _token(h, func, "func", tolerate=fingerprint_extra is not None)
        except _Unstable as u:
            raise SweepError(f"cannot fingerprint the sweep: {u.where} {u.text}; pass fingerprint_extra=") from None
    try:
        _frame_token(h, table)
    except TypeError as exc:
        raise SweepError(f"cannot fingerprint the table for the checkpoint: {exc}") from None
    try:
        _token(h, dict(kwargs or {}), "kwargs", tolerate=fingerprint_extra is not None)
    except _Unstable as u:
        raise SweepError(
            f"cannot fingerprint the sweep for the checkpoint: {u.where} {u.text}; pass fingerprint_extra= "
            "(a string or other stable value identifying it, e.g. the hash of the file it was loaded from)"
        ) from None
    h.update(b"extra:")
    try:
        _token(h, fingerprint_extra, "fingerprint_extra", tolerate=False)
    except _Unstable as u:
        raise SweepError(f"fingerprint_extra {u.text}: pass a string or another value with a stable repr") from None
    return h.hexdigest()


# ---------------------------------------------------------------- checkpoint --
def _chunk_name(i: int) -> str:
    return f"chunk-{i:05d}.parquet"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers (from an earlier interrupted call)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _atomic_write(folder: str, name: str, write: Callable[[Any], None], check: Callable[[str], None] | None = None) -> None:
    # the temporary name carries the writer's pid: leftovers of dead workers are recognised and removed
    write_atomic(os.path.join(folder, name), write, check=check,
                 tmp=os.path.join(folder, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"))


class _Checkpoint:
    def __init__(self, folder, manifest: dict, overwrite: bool):
        self.folder = os.fspath(folder)
        self.manifest = manifest
        n = manifest["chunks"]
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as exc:
            raise SweepError(f"cannot create the checkpoint folder {self.folder}: {exc}") from None
        if not os.path.isdir(self.folder):
            raise SweepError(f"checkpoint {self.folder} is not a folder")
        self._clean_temps()
        path = os.path.join(self.folder, MANIFEST)
        chunks = self._chunk_files()
        old = None
        if os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as f:
                    old = json.load(f)
                if not isinstance(old, dict) or old.get("format") != _FORMAT:
                    raise ValueError("not an openbmd sweep manifest")
            except (OSError, ValueError) as exc:
                if not overwrite:
                    raise SweepError(f"checkpoint folder {self.folder}: unreadable {MANIFEST} ({exc}); pass overwrite=True to discard it") from None
                old = None
        elif chunks and not overwrite:
            raise SweepError(f"checkpoint folder {self.folder} holds chunk files but no {MANIFEST}; pass overwrite=True to discard them")
        if old is not None and old.get("fingerprint") != manifest["fingerprint"]:
            if not overwrite:
                raise SweepError(
                    f"checkpoint folder {self.folder} holds a different sweep ({_describe_difference(old, manifest)}); "
                    "its chunks are not reused: pass overwrite=True to discard them, or use another folder"
                )
            old = None
        if old is None:
            for i in sorted(chunks):
                os.unlink(os.path.join(self.folder, chunks[i]))
            _atomic_write(self.folder, MANIFEST, lambda f: f.write(json.dumps(manifest, indent=1).encode() + b"\n"))
            chunks = {}
        self.done = sorted(i for i in chunks if i < n)

    def _chunk_files(self) -> dict[int, str]:
        out = {}
        for name in os.listdir(self.folder):
            m = _CHUNK_RE.match(name)
            if m:
                out[int(m.group(1))] = name
        return out

    def _clean_temps(self) -> None:
        for name in os.listdir(self.folder):
            m = _TMP_RE.match(name)
            if m and not _pid_alive(int(m.group(1))):
                try:
                    os.unlink(os.path.join(self.folder, name))
                except FileNotFoundError:
                    pass

    def load(self, i: int) -> pd.DataFrame:
        path = os.path.join(self.folder, _chunk_name(i))
        try:
            return pd.read_parquet(path, engine="pyarrow")
        except Exception as exc:
            raise SweepError(f"checkpoint chunk {path} cannot be read ({exc}); delete it to recompute that chunk") from exc

    def save(self, i: int, df: pd.DataFrame) -> None:
        def write(f):
            try:
                df.to_parquet(f, engine="pyarrow")
            except Exception as exc:
                raise SweepError(
                    f"chunk {i}: the result of the function cannot be saved as Parquet ({type(exc).__name__}: {exc}); "
                    "return plain columns (numbers, strings, booleans, datetimes) with string names"
                ) from exc

        def check(tmp):
            back = pd.read_parquet(tmp, engine="pyarrow")
            try:
                pd.testing.assert_frame_equal(back, df, check_exact=True, check_index_type=True, check_column_type=True, check_flags=False)
            except AssertionError as exc:
                raise SweepError(
                    f"chunk {i}: the result of the function does not survive a Parquet round trip exactly, so a resumed "
                    f"sweep could differ from an uninterrupted one; return plain columns (numbers, strings, booleans, "
                    f"datetimes) with string names. Difference: {exc}"
                ) from None

        _atomic_write(self.folder, _chunk_name(i), write, check)


def _describe_difference(old: dict, new: dict) -> str:
    diffs = [f"{k} {old.get(k)!r} vs {new.get(k)!r}" for k in ("func", "rows", "chunk_size") if old.get(k) != new.get(k)]
    return "; ".join(diffs) if diffs else "the table, kwargs or fingerprint_extra differ"


# ------------------------------------------------------------------- workers --
def _load_kwargs(blob: bytes) -> dict:
    import pickle

    return pickle.loads(blob)


def _run_chunk(func, chunk: pd.DataFrame, kwargs: Mapping) -> pd.DataFrame:
    out = func(chunk, **kwargs)
    if not isinstance(out, pd.DataFrame):
        raise TypeError(f"the sweep function must return a pandas DataFrame, got {type(out).__name__}")
    return out


def _chunk_error(i: int, bounds, exc: BaseException) -> SweepError:
    a, b = bounds
    return SweepError(f"chunk {i} (table rows {a}-{b - 1}) failed: {type(exc).__name__}: {exc}")


_SPAWN_ENV = {"MALLOC_TRIM_THRESHOLD_": None, "NUMBA_NUM_THREADS": 1}


class _RestoreEnviron:
    """Dask's nanny writes ``distributed.nanny.pre-spawn-environ`` into this
    process's ``os.environ`` before spawning a worker (also on a restart):
    put the variables back as they were when the cluster closes."""

    def __init__(self, keys):
        self.saved = {k: os.environ.get(k) for k in keys}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        return False


def _local_cluster(n: int, retries: int):
    import dask
    from distributed import LocalCluster

    cfg = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in _SPAWN_ENV.items()}
    cfg["distributed.scheduler.allowed-failures"] = retries
    # one task at a time per worker, so a worker's death implicates only the chunk it was running
    cfg["distributed.scheduler.worker-saturation"] = 1.0
    # the statistical profiler feeds the dashboard, which this cluster does not have; it costs CPU
    cfg["distributed.worker.profile.enabled"] = False
    with dask.config.set(cfg):
        return LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        )


# ---------------------------------------------------------------- the sweep --
def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SweepError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise SweepError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def run_sweep(
    func: Callable[..., pd.DataFrame],
    table: pd.DataFrame,
    chunk_size: int = 200,
    kwargs: Mapping[str, Any] | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    checkpoint: str | os.PathLike | None = None,
    overwrite: bool = False,
    progress: Callable[[int], Any] | None = None,
    retries: int = 2,
    fingerprint_extra: Any = None,
    connect_timeout: float = 5.0,
    return_info: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, Sweep]:
    """Apply ``func(chunk, **kwargs)`` to consecutive chunks of ``table`` and
    concatenate the resulting DataFrames in chunk order.

    ``chunk_size`` rows per chunk (the chunks keep the table's index).
    ``workers``: None or 0 in-process, N >= 1 a LocalCluster of N single-thread
    worker processes; ``scheduler``: the address of an existing cluster
    (``workers`` is then ignored), ``connect_timeout`` seconds to reach it.
    ``checkpoint``: a folder to save each chunk in and resume from;
    ``overwrite=True`` discards a folder of a different sweep.
    ``progress(n_done_chunks)`` is called after each chunk completes (and is
    saved), the count including resumed chunks; an exception it raises (e.g.
    ``KeyboardInterrupt``) stops the sweep. ``retries``: how many times a
    chunk whose worker died is recomputed. ``fingerprint_extra``: a stable
    value identifying kwargs that have no stable repr. With
    ``return_info=True`` returns ``(df, Sweep)``. See the module documentation.
    """
    t_start = time.perf_counter()
    chunk_size, retries, kwargs, n_workers = _check_arguments(func, table, chunk_size, retries, kwargs, workers,
                                                               scheduler, connect_timeout, progress)
    n_rows = len(table)
    n_chunks = math.ceil(n_rows / chunk_size)
    bounds = [(i * chunk_size, min((i + 1) * chunk_size, n_rows)) for i in range(n_chunks)]
    name = _callable_name(func)
    ckpt, fp = None, None
    if checkpoint is not None:
        fp = fingerprint(func, table, chunk_size, kwargs, fingerprint_extra)
        ckpt = _Checkpoint(checkpoint, _manifest(fp, name, table, chunk_size, n_chunks), overwrite)

    results: dict[int, pd.DataFrame] = {} if ckpt is None else {i: ckpt.load(i) for i in ckpt.done}
    n_resumed = len(results)
    todo = [i for i in range(n_chunks) if i not in results]

    def finished(i: int, df: pd.DataFrame) -> None:
        if ckpt is not None:
            ckpt.save(i, df)
        results[i] = df
        if progress is not None:
            progress(len(results))

    resubmitted, startup, address = 0, 0.0, None
    if scheduler is None and n_workers == 0:
        _in_process(func, table, bounds, todo, kwargs, finished)
    elif todo and scheduler is None:
        resubmitted, startup, address = _on_local_cluster(n_workers, retries, func, table, bounds, todo, kwargs,
                                                          finished)
    elif todo:
        resubmitted, startup, address, n_workers = _on_scheduler(scheduler, connect_timeout, retries, func, table,
                                                                 bounds, todo, kwargs, finished)

    out = pd.concat([results[i] for i in range(n_chunks)], axis=0)
    if not return_info:
        return out
    info = Sweep(
        func=name, rows=n_rows, chunk_size=chunk_size, chunks_total=n_chunks, chunks_resumed=n_resumed,
        chunks_computed=n_chunks - n_resumed, resubmitted=resubmitted, workers=n_workers, scheduler=address,
        checkpoint=None if ckpt is None else ckpt.folder, fingerprint=fp, startup_seconds=startup,
        seconds=time.perf_counter() - t_start,
    )
    return out, info


def _check_arguments(func, table, chunk_size, retries, kwargs, workers, scheduler, connect_timeout, progress):
    """Every argument of :func:`run_sweep` checked before any work: (chunk
    size, retries, kwargs, the number of local workers to start)."""
    if not callable(func):
        raise SweepError(f"func must be callable, got {type(func).__name__}")
    if not isinstance(table, pd.DataFrame):
        raise SweepError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    chunk_size = _check_int("chunk_size", chunk_size, 1)
    retries = _check_int("retries", retries, 0)
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, Mapping) or not all(isinstance(k, str) for k in kwargs):
        raise SweepError("kwargs must be a mapping with string keys (passed as func(chunk, **kwargs))")
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler:
            raise SweepError(f"scheduler must be an address string such as 'tcp://127.0.0.1:8786', got {scheduler!r}")
        n_workers = 0
    else:
        n_workers = 0 if workers is None else _check_int("workers", workers, 0)
    if not (isinstance(connect_timeout, (int, float)) and not isinstance(connect_timeout, bool) and connect_timeout > 0):
        raise SweepError(f"connect_timeout must be a positive number of seconds, got {connect_timeout!r}")
    if progress is not None and not callable(progress):
        raise SweepError("progress must be a callable(n_done_chunks) or None")
    if len(table) == 0:
        raise SweepError("the table has no rows: nothing to sweep")
    return chunk_size, retries, kwargs, n_workers


def _manifest(fp: str, name: str, table: pd.DataFrame, chunk_size: int, n_chunks: int) -> dict:
    """What a checkpoint folder records about its sweep (to refuse a different one)."""
    return {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "fingerprint": fp,
        "func": name,
        "rows": len(table),
        "chunk_size": chunk_size,
        "chunks": n_chunks,
        "columns": [str(c) for c in table.columns],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _in_process(func, table, bounds, todo, kwargs, finished) -> None:
    """The chunks ``todo`` one after another in this process."""
    for i in todo:
        a, b = bounds[i]
        try:
            df = _run_chunk(func, table.iloc[a:b], kwargs)
        except Exception as exc:
            raise _chunk_error(i, bounds[i], exc) from exc
        finished(i, df)


def _spawn_keys() -> set:
    import dask

    return set(dask.config.get("distributed.nanny.pre-spawn-environ", {})) | set(_SPAWN_ENV) | {"PYTHONHASHSEED"}


def _on_local_cluster(n_workers, retries, func, table, bounds, todo, kwargs, finished):
    """The chunks on a LocalCluster of ``n_workers`` started (and closed) here:
    (resubmissions, start-up seconds, scheduler address)."""
    from distributed import Client

    t0 = time.perf_counter()
    with _RestoreEnviron(_spawn_keys()):
        try:
            cluster = _local_cluster(n_workers, retries)
        except Exception as exc:
            raise SweepError(f"cannot start a Dask LocalCluster of {n_workers} workers: {type(exc).__name__}: {exc}") from exc
        with cluster, Client(cluster, set_as_default=False) as client:
            startup = time.perf_counter() - t0
            resubmitted = _distributed(client, func, table, bounds, todo, kwargs, 0, finished)
            return resubmitted, startup, cluster.scheduler_address


def _on_scheduler(scheduler, connect_timeout, retries, func, table, bounds, todo, kwargs, finished):
    """The chunks on an existing cluster: (resubmissions, start-up seconds,
    scheduler address, its number of workers)."""
    from distributed import Client

    t0 = time.perf_counter()
    try:
        client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:  # refused, timed out (OSError), a malformed address
        raise SweepError(f"cannot connect to the Dask scheduler at {scheduler} within {connect_timeout:g} s: {type(exc).__name__}: {exc}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=connect_timeout)
        except TimeoutError:
            raise SweepError(f"the Dask scheduler at {scheduler} has no workers (waited {connect_timeout:g} s)") from None
        startup = time.perf_counter() - t0
        n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
        resubmitted = _distributed(client, func, table, bounds, todo, kwargs, retries, finished)
        return resubmitted, startup, scheduler, n_workers


def _distributed(client, func, table, bounds, todo, kwargs, resubmit_budget, finished) -> int:
    """Run the chunks ``todo`` on ``client``; ``finished(i, df)`` in the
    calling thread as each completes. Returns the number of resubmissions."""
    import cloudpickle
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    token = uuid.uuid4().hex[:16]
    blob = cloudpickle.dumps(dict(kwargs), protocol=5)
    serial = 0

    def submit_kwargs():
        nonlocal serial
        serial += 1
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sending large graph")
            return client.submit(_load_kwargs, blob, key=f"openbmd-sweep-kwargs-{token}-{serial}", pure=False)

    kw = submit_kwargs()

    def submit(i: int, attempt: int):
        a, b = bounds[i]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sending large graph")
            return client.submit(_run_chunk, func, table.iloc[a:b], kw, key=f"openbmd-sweep-chunk-{token}-{i}-{attempt}", pure=False, retries=0)

    attempts = {i: 0 for i in todo}
    live = {}  # key -> (chunk, future), until the future is consumed
    for i in todo:
        fut = submit(i, 0)
        live[fut.key] = (i, fut)
    ac = as_completed([f for _, f in live.values()], loop=client.loop, with_results=False)
    resubmitted = 0
    try:
        for fut in ac:
            i, _ = live.pop(fut.key)
            try:
                # blocks if the result was lost with its worker meanwhile: Dask recomputes it
                df = fut.result()
            except KilledWorker as exc:
                if attempts[i] < resubmit_budget:
                    attempts[i] += 1
                    resubmitted += 1
                    if kw.status == "error":
                        kw = submit_kwargs()
                    new = submit(i, attempts[i])
                    live[new.key] = (i, new)
                    ac.add(new)
                    continue
                raise SweepError(
                    f"chunk {i} (table rows {bounds[i][0]}-{bounds[i][1] - 1}) failed: the worker running it died "
                    f"too often ({exc}); a chunk is tried at most 1 + retries times"
                ) from exc
            except Exception as exc:
                raise _chunk_error(i, bounds[i], exc) from exc
            fut.release()
            finished(i, df)
    finally:
        pending = [f for _, f in live.values()] + [kw]
        live.clear()
        with contextlib.suppress(Exception):  # the client or cluster is going away anyway
            client.cancel(pending, force=True)
    return resubmitted
