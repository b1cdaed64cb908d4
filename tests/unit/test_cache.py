"""The persistent cache: keys cover every input, writes are atomic, the folder
is bounded, a damaged entry is rebuilt and never trusted, and a cached answer
is the computed answer, number for number."""

import dataclasses
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openbmd import cache
from openbmd.catalog import load_catalog
from openbmd.earth import EarthModel
from openbmd.engage import FlyoutTable
from openbmd.flight import FlightOptions
from openbmd.vehicles import impulsive_interceptor


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENBMD_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("OPENBMD_NO_CACHE", raising=False)
    monkeypatch.delenv("OPENBMD_CACHE_MAX_MB", raising=False)
    cache.disable(False)
    return tmp_path / "c"


def _perturb(v):
    """A different value of the same kind (the smallest change that matters)."""
    if v is None:
        return 1.0
    if isinstance(v, dict):
        return {**v, "extra": 1.0}
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return math.nextafter(v, math.inf) if math.isfinite(v) else 0.0
    if isinstance(v, str):
        return v + "x"
    if isinstance(v, tuple):
        return v + (v[-1],) if v else (1.0,)
    if isinstance(v, np.ndarray):
        w = v.astype(float).copy()
        w.flat[0] = math.nextafter(float(w.flat[0]), math.inf)
        return w
    return None


def _leaves(obj, path=()):
    """(path, value) of every scalar field inside nested frozen dataclasses."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _leaves(getattr(obj, f.name), path + (f.name,))
    elif isinstance(obj, tuple) and obj and all(dataclasses.is_dataclass(x) for x in obj):
        for i, x in enumerate(obj):
            yield from _leaves(x, path + (i,))
    else:
        yield path, obj


def _replaced(obj, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(obj)
        items[head] = _replaced(items[head], rest, value)
        return tuple(items)
    return dataclasses.replace(obj, **{head: _replaced(getattr(obj, head), rest, value)})


CAT = load_catalog()
MISSILES = [CAT.missile(n) for n in sorted(CAT.missiles)[:8]]
INTERCEPTORS = [CAT.interceptor(n) for n in sorted(CAT.interceptors)]
OPTIONS = FlightOptions()


def test_every_field_of_every_catalog_entry_and_model_option_is_in_the_key():
    """Change any one number, string, switch or optional value anywhere inside
    a catalog missile, interceptor or the flight options (the Earth model
    included), one at a time, each: the key changes. The same content built
    again gives the same key."""
    checked = 0
    for obj in MISSILES + INTERCEPTORS + [OPTIONS]:
        base = cache.key("flyout", obj, 45.0, OPTIONS)
        assert cache.key("flyout", dataclasses.replace(obj), 45.0, OPTIONS) == base
        for path, value in _leaves(obj):
            new = _perturb(value)
            try:
                changed = _replaced(obj, path, new)
            except (ValueError, TypeError):  # a value the dataclass refuses (validated fields)
                continue
            assert cache.key("flyout", changed, 45.0, OPTIONS) != base, f"{obj.name if hasattr(obj, 'name') else obj}: " \
                f"field {'.'.join(map(str, path))} not in the key"
            checked += 1
    assert checked > 200


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_new_value_of_a_numeric_field_changes_the_key(data):
    obj = data.draw(st.sampled_from(MISSILES + INTERCEPTORS + [OPTIONS]))
    leaves = [(p, v) for p, v in _leaves(obj) if isinstance(v, float) and not isinstance(v, bool)]
    path, value = data.draw(st.sampled_from(leaves))
    new = data.draw(st.floats(allow_nan=False).filter(lambda x: x != value))
    try:
        changed = _replaced(obj, path, new)
    except (ValueError, TypeError):
        return
    assert cache.key("threats", changed, OPTIONS) != cache.key("threats", obj, OPTIONS)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-90, max_value=90))
def test_a_coordinate_is_in_the_key_to_the_last_bit(lat):
    assert cache.key("flyout", lat) != cache.key("flyout", math.nextafter(lat, math.inf))
    assert cache.key("flyout", lat) == cache.key("flyout", float(np.float64(lat)))


def test_keys_tell_types_and_kinds_apart_and_refuse_opaque_objects():
    assert cache.key("threats", 1) != cache.key("flyout", 1)
    assert cache.fingerprint(1) != cache.fingerprint(1.0) != cache.fingerprint("1")
    assert cache.fingerprint((1, 2)) != cache.fingerprint(((1, 2),))
    assert cache.fingerprint(np.zeros(3)) != cache.fingerprint(np.zeros(3, np.float32))
    assert cache.fingerprint(np.zeros((2, 3))) != cache.fingerprint(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="cannot fingerprint"):
        cache.fingerprint(object())


def test_the_code_version_covers_the_kernels_and_what_they_import():
    names = {p.relative_to(p.parents[1]).as_posix() if p.parent.name != "openbmd" else p.name
             for p in cache.code_modules()}
    for must in ("cache.py", "engage.py", "earth.py", "atmosphere.py", "vehicles.py", "sensors.py",
                 "flight/kernel.py", "flight/aim.py", "flight/batch.py", "analysis/threats.py"):
        assert must in names, must
    assert "web/app.py" not in names and "report/build.py" not in names  # not what computes an entry


def test_put_get_roundtrip_and_off_switch(cache_dir, monkeypatch):
    name = cache.key("flyout", "roundtrip")
    a = {"x": np.arange(5.0), "s": np.array(["a", "bé"])}
    assert cache.get(name) is None
    cache.put(name, a)
    got = cache.get(name)
    assert np.array_equal(got["x"], a["x"]) and list(got["s"]) == ["a", "bé"]
    monkeypatch.setenv("OPENBMD_NO_CACHE", "1")
    assert cache.get(name) is None and cache.put(cache.key("flyout", "other"), a) is None
    assert len(cache.entries()) == 1
    with pytest.raises(TypeError, match="dtype object"):
        monkeypatch.delenv("OPENBMD_NO_CACHE")
        cache.put(name, {"o": np.array([object()])})


def test_writes_are_atomic_and_leave_no_temporary_file(cache_dir, monkeypatch):
    name = cache.key("flyout", "atomic")
    cache.put(name, {"x": np.ones(10)})
    before = (cache_dir / (name + ".npz")).read_bytes()

    import openbmd.cache as C
    from openbmd.files import write_atomic

    def failing(path, write, **kw):
        def half(f):
            f.write(b"PK\x03\x04 partial")
            raise OSError("disk full")
        return write_atomic(path, half, **kw)

    monkeypatch.setattr(C, "write_atomic", failing)
    assert cache.put(name, {"x": np.zeros(10)}) is None  # skipped, not an error
    assert (cache_dir / (name + ".npz")).read_bytes() == before  # the old entry stands whole
    assert not list(cache_dir.glob(".*.tmp"))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "foreign"])
def test_a_damaged_entry_is_rebuilt_not_trusted(cache_dir, damage):
    calls = []

    def compute():
        calls.append(1)
        return np.arange(4.0)

    args = ("damage", damage)
    kw = dict(pack=lambda v: {"v": v}, unpack=lambda z: z["v"])
    first = cache.cached("flyout", args, compute, **kw)
    p = cache_dir / (cache.key("flyout", *args) + ".npz")
    raw = p.read_bytes()
    if damage == "truncate":
        p.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        p.write_bytes(b"\x00" * len(raw))
    elif damage == "empty":
        p.write_bytes(b"")
    else:  # a valid npz without the completion mark (not written by the cache)
        np.savez(p, v=np.full(4, 99.0))
        p.rename(p.with_suffix(".npz.tmp"))
        p.with_suffix(".npz.tmp").rename(p)
    again = cache.cached("flyout", args, compute, **kw)
    assert len(calls) == 2 and np.array_equal(again, first)
    assert np.array_equal(cache.cached("flyout", args, compute, **kw), first) and len(calls) == 2  # rebuilt entry used


def test_least_recently_used_entries_go_first(cache_dir, monkeypatch):
    names = [cache.key("flyout", "lru", i) for i in range(4)]
    for i, n in enumerate(names):
        cache.put(n, {"x": np.zeros(20_000)})  # ~160 kB each
        os.utime(cache_dir / (n + ".npz"), (1e9 + i, 1e9 + i))
    size = cache.entries()[0][1]
    assert cache.get(names[0]) is not None  # a hit makes it the most recently used
    monkeypatch.setenv("OPENBMD_CACHE_MAX_MB", str(2.5 * size / 1e6))
    cache.put(cache.key("flyout", "lru", "new"), {"x": np.zeros(20_000)})
    left = {p.stem for p, _, _ in cache.entries()}
    assert left == {names[0], cache.key("flyout", "lru", "new")}
    assert cache.info()["entries"] == 2 and cache.clear() == 2 and cache.entries() == []


def test_bad_cache_settings_say_which_variable(cache_dir, monkeypatch):
    monkeypatch.setenv("OPENBMD_CACHE_MAX_MB", "lots")
    with pytest.raises(cache.CacheError, match="OPENBMD_CACHE_MAX_MB.*'lots'"):
        cache.max_bytes()
    monkeypatch.setenv("OPENBMD_CACHE_MAX_MB", "-1")
    with pytest.raises(cache.CacheError, match=">= 0"):
        cache.max_bytes()


def test_a_cached_flyout_table_is_the_computed_one(cache_dir):
    ic = impulsive_interceptor(4500.0, min_intercept_altitude=70e3)
    opts = FlightOptions(earth=EarthModel("sphere", rotation=True, gravity="point"), drag=False)
    kw = dict(n_fan=41, n_range=61, n_alt=31, t_max=600.0, step=2.0)
    cache.disable(True)
    ref = FlyoutTable.build(ic, 0.8, 0.0, 0.0, opts, **kw)
    cache.disable(False)
    first = FlyoutTable.build(ic, 0.8, 0.0, 0.0, opts, **kw)
    assert [p.stem.split("-")[0] for p, _, _ in cache.entries()] == ["flyout"]
    hit = FlyoutTable.build(ic, 0.8, 0.0, 0.0, opts, **kw)
    for t in (first, hit):
        for f in ("range_grid", "alt_grid", "az_grid", "time", "speed", "fpa"):
            assert np.array_equal(getattr(t, f), getattr(ref, f)), f
    other = FlyoutTable.build(ic, math.nextafter(0.8, 1.0), 0.0, 0.0, opts, **kw)  # another latitude: computed
    assert len(cache.entries()) == 2 and other.time.shape == ref.time.shape


def test_a_cached_threat_set_flies_the_same_trajectories(cache_dir):
    from openbmd.analysis import threats as T
    from openbmd.scenario import load

    full = load("epaa-phase1")
    t0 = full.threats[0]  # one launch field, two targets, every profile: small enough to aim three times
    sc = dataclasses.replace(full, threats=[dataclasses.replace(t0, launches=list(t0.launches[:1]),
                                                                targets=list(t0.targets[:2]))])
    T._CACHE.clear()
    cache.disable(True)
    ref = T.fly_threats(sc)
    cache.disable(False)
    T._CACHE.clear()
    cold = T.fly_threats(sc)
    T._CACHE.clear()
    warm = T.fly_threats(sc)
    assert [p.stem.split("-")[0] for p, _, _ in cache.entries()] == ["threats"]
    for got in (cold, warm):
        assert got.meta.equals(ref.meta) and got.skipped.equals(ref.skipped)
        for f in ("azimuth", "kick", "cutoff", "result", "samples_r", "samples_v", "n_samples"):
            assert np.array_equal(getattr(got.trajectories, f), getattr(ref.trajectories, f), equal_nan=True), f
    # a changed launch point is another key: aimed again, not served stale
    moved = dataclasses.replace(sc.threats[0], launches=[dataclasses.replace(sc.threats[0].launches[0],
                                                                             lat=sc.threats[0].launches[0].lat + 1e-3)]
                                + list(sc.threats[0].launches[1:]))
    sc2 = dataclasses.replace(sc, threats=[moved] + list(sc.threats[1:]))
    T._CACHE.clear()
    T.fly_threats(sc2)
    assert len(cache.entries()) == 2


def test_cli_cache_info_clear_and_no_cache(cache_dir, capsys, monkeypatch):
    import json

    from openbmd.analysis import threats as T
    from openbmd.cli import main

    cache.put(cache.key("flyout", "cli"), {"x": np.ones(3)})
    assert main(["cache", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["directory"] == str(cache_dir) and info["entries"] == 1 and info["kinds"]["flyout"]["entries"] == 1
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "fly-out tables: 1" in out and str(cache_dir) in out
    assert main(["cache", "clear"]) == 0
    assert "removed 1 cache entry" in capsys.readouterr().out and cache.entries() == []
    # --no-cache, after the command too: the scenario is assessed and nothing is written
    T._CACHE.clear()
    try:
        assert main(["assess", "epaa-phase1", "--quiet", "--json", "--no-cache"]) == 0
    finally:
        cache.disable(False)
    assert json.loads(capsys.readouterr().out.splitlines()[0])["scenario"] and cache.entries() == []
    monkeypatch.setenv("OPENBMD_CACHE_MAX_MB", "many")
    assert main(["cache", "info"]) == 2
    assert "OPENBMD_CACHE_MAX_MB" in capsys.readouterr().err


def test_a_cached_footprint_fan_flies_the_same_trajectories(cache_dir):
    from openbmd.analysis.threats import aim_fan, aim_fan_computed
    from openbmd.scenario import load

    sc = load("epaa-phase3")
    m = CAT.missile("RS-24 Yars")
    lat0, lon0 = np.radians(54.0), np.radians(35.0)
    tla, tlo = np.meshgrid(np.radians(np.arange(38.0, 52.0, 3.0)), np.radians(np.arange(-80.0, -66.0, 3.0)))
    kw = dict(options=sc.options, output_step=sc.threat_step)
    ref, ridx, rmax = aim_fan_computed(m, lat0, lon0, tla.ravel(), tlo.ravel(), **kw)
    cold = aim_fan(m, lat0, lon0, tla.ravel(), tlo.ravel(), **kw)
    warm = aim_fan(m, lat0, lon0, tla.ravel(), tlo.ravel(), **kw)
    assert [p.stem.split("-")[0] for p, _, _ in cache.entries()] == ["fan"]
    for t, idx, rm in (cold, warm):
        assert np.array_equal(idx, ridx) and np.array_equal(rm, rmax)
        for f in ("azimuth", "kick", "cutoff", "samples_r", "samples_v", "n_samples", "target_lat"):
            assert np.array_equal(getattr(t, f), getattr(ref, f), equal_nan=True), f


def test_the_first_run_compile_notice_reads_numbas_index(tmp_path, monkeypatch):
    """The CLI says it is compiling when numba's index beside a kernel's
    source has no entry for the source as it is now (numba 0.68 stamps a
    source by the SHA-256 of its bytes)."""
    import hashlib
    import pickle
    import sys

    import numba

    from openbmd import cli

    src = tmp_path / "kern.py"
    src.write_text("def f():\n    return 1\n")
    monkeypatch.setattr(cli, "_KERNELS", ((str(src), "f"),))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert cli.kernels_need_compiling()  # no index at all
    (tmp_path / "__pycache__").mkdir()
    idx = tmp_path / "__pycache__" / f"kern.f-1.py{sys.version_info.major}{sys.version_info.minor}.nbi"

    def write(stamp):
        with open(idx, "wb") as f:
            pickle.dump(numba.__version__, f)
            f.write(pickle.dumps((stamp, {})))

    write(hashlib.sha256(src.read_bytes()).digest())
    assert not cli.kernels_need_compiling()
    src.write_text("def f():\n    return 2\n")  # an edited kernel: compiled again
    assert cli.kernels_need_compiling()
