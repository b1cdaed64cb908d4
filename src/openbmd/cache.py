"""A persistent cache of expensive, deterministic results, keyed by content.

What it holds: aimed threat sets (their guidance, enough to fly them again
exactly), fly-out tables and maximum-range scans. Each entry is one ``.npz``
file of plain numeric or string arrays (``allow_pickle=False``: a cache file
can never run code) named by the SHA-256 of everything that decides the
result:

* the content of every input object, field by field (a catalog missile's
  stages, an interceptor, the flight options, the Earth model, launch and
  target coordinates, ...): :func:`fingerprint` walks dataclasses, arrays and
  containers and refuses anything it cannot see into, so a new field is part
  of the key the day it is added;
* the *code version*: a hash of the source of every package module that
  computes an entry (the flight kernel, the aim, the fly-out tables and all
  they import) and of the numpy and numba versions, so an edit to a kernel
  never meets a stale entry.

Entries are written atomically (:func:`openbmd.files.write_atomic`); a
truncated or unreadable entry is deleted and recomputed, never trusted. The
folder is bounded: after each write the least recently used entries go until
the total is under the limit (``OPENBMD_CACHE_MAX_MB``, default 2048).

Where: ``OPENBMD_CACHE_DIR`` if set, else the platform's user cache folder
(``platformdirs.user_cache_dir("openbmd")``). ``OPENBMD_NO_CACHE=1`` or the
CLI's ``--no-cache`` turns it off (nothing is read or written);
``openbmd cache info`` and ``openbmd cache clear`` show and empty it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import io
import os
import struct
import time
import zipfile
from pathlib import Path

import numpy as np

from .files import write_atomic
from .errors import OpenBMDError

DEFAULT_MAX_MB = 2048.0
SUFFIX = ".npz"
_disabled = False


class CacheError(OpenBMDError, ValueError):
    """A cache setting (an environment variable) that cannot be used."""


def disable(off: bool = True) -> None:
    """Turn the cache off (or back on) for this process."""
    global _disabled
    _disabled = bool(off)


def enabled() -> bool:
    return not _disabled and os.environ.get("OPENBMD_NO_CACHE", "").strip().lower() not in ("1", "true", "yes", "on")


def directory() -> Path:
    """The cache folder (not created here)."""
    d = os.environ.get("OPENBMD_CACHE_DIR", "").strip()
    if d:
        return Path(d).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("openbmd", appauthor=False))


def max_bytes() -> int:
    raw = os.environ.get("OPENBMD_CACHE_MAX_MB", "").strip()
    if not raw:
        return int(DEFAULT_MAX_MB * 1e6)
    try:
        mb = float(raw)
    except ValueError:
        raise CacheError(f"environment variable OPENBMD_CACHE_MAX_MB: expected a size in MB, got {raw!r}") from None
    if not (np.isfinite(mb) and mb >= 0):
        raise CacheError(f"environment variable OPENBMD_CACHE_MAX_MB: expected a size in MB >= 0, got {raw!r}")
    return int(mb * 1e6)


# --------------------------------------------------------------------- keys
def _feed(h, obj) -> None:
    """Feed a canonical, type-tagged encoding of ``obj`` into the hash ``h``."""
    if obj is None:
        h.update(b"N")
    elif isinstance(obj, bool) or isinstance(obj, np.bool_):
        h.update(b"B1" if obj else b"B0")
    elif isinstance(obj, enum.Enum):
        h.update(b"E" + type(obj).__qualname__.encode() + b"." + obj.name.encode())
    elif isinstance(obj, (int, np.integer)):
        s = str(int(obj)).encode()
        h.update(b"I" + struct.pack("<q", len(s)) + s)
    elif isinstance(obj, (float, np.floating)):
        h.update(b"F" + struct.pack("<d", float(obj)))
    elif isinstance(obj, str):
        s = obj.encode("utf-8")
        h.update(b"S" + struct.pack("<q", len(s)) + s)
    elif isinstance(obj, bytes):
        h.update(b"Y" + struct.pack("<q", len(obj)) + obj)
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            h.update(b"L" + struct.pack("<q", obj.size) + repr(obj.shape).encode())
            for x in obj.ravel():
                _feed(h, x)
        else:
            a = np.ascontiguousarray(obj)
            h.update(b"A" + a.dtype.str.encode() + repr(a.shape).encode())
            h.update(a.tobytes())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(b"D" + type(obj).__module__.encode() + b"." + type(obj).__qualname__.encode())
        for f in dataclasses.fields(obj):
            h.update(b"f" + f.name.encode())
            _feed(h, getattr(obj, f.name))
    elif isinstance(obj, dict):
        h.update(b"M" + struct.pack("<q", len(obj)))
        for k in sorted(obj, key=repr):
            _feed(h, k)
            _feed(h, obj[k])
    elif isinstance(obj, (list, tuple)):
        h.update(b"T" + struct.pack("<q", len(obj)))
        for x in obj:
            _feed(h, x)
    elif isinstance(obj, (set, frozenset)):
        h.update(b"Z" + struct.pack("<q", len(obj)))
        for x in sorted(obj, key=repr):
            _feed(h, x)
    else:
        # never guess: an object we cannot see into would make stale hits possible
        raise TypeError(f"cache key: cannot fingerprint an object of type {type(obj).__qualname__}")


def fingerprint(*parts) -> str:
    """SHA-256 (hex) of the content of ``parts`` (dataclasses field by field,
    arrays by dtype, shape and bytes, containers element by element)."""
    h = hashlib.sha256()
    _feed(h, parts)
    return h.hexdigest()


# the modules whose code computes a cached entry; code_version() hashes them
# and every package module they import (found by reading their imports)
ROOTS = ("cache", "engage", "analysis.threats", "flight.aim", "flight.batch", "flight.kernel")


def _module_file(root: Path, dotted: str) -> Path | None:
    base = root.joinpath(*dotted.split(".")) if dotted else root
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def code_modules() -> list[Path]:
    """The package's source files that decide a cached result: the roots and
    everything they import from the package (transitively, read from the
    source with :mod:`ast`, imports inside functions included)."""
    import ast

    root = Path(__file__).resolve().parent
    todo = [_module_file(root, m) for m in ROOTS]
    seen: set[Path] = set()
    while todo:
        f = todo.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        pkg = list(f.relative_to(root).parent.parts)
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                    mod = ".".join(base + ([node.module] if node.module else []))
                elif node.module and node.module.split(".")[0] == "openbmd":
                    mod = node.module.partition(".")[2]
                else:
                    continue
                targets.append(mod)
                targets += [f"{mod}.{a.name}" if mod else a.name for a in node.names]  # submodules
            elif isinstance(node, ast.Import):
                targets += [a.name.partition(".")[2] for a in node.names if a.name.split(".")[0] == "openbmd"]
            for t in targets:
                mf = _module_file(root, t)
                if mf is not None:
                    todo.append(mf)
    return sorted(seen)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the source of :func:`code_modules` and of the numeric
    libraries' versions: a change to the code that computes an entry changes
    every key."""
    import numba

    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for p in code_modules():
        h.update(str(p.relative_to(root).as_posix()).encode())
        h.update(p.read_bytes())
    h.update(f"numpy {np.__version__} numba {numba.__version__}".encode())
    return h.hexdigest()[:16]


def key(kind: str, *parts) -> str:
    """The entry name for a result of ``kind`` computed from ``parts``."""
    if not kind.replace("-", "").isalnum():
        raise ValueError(f"cache kind must be letters, digits and '-', got {kind!r}")
    return f"{kind}-{fingerprint(code_version(), kind, *parts)[:40]}"


# ----------------------------------------------------------------- entries
def _path(name: str) -> Path:
    return directory() / (name + SUFFIX)


def get(name: str) -> dict[str, np.ndarray] | None:
    """The arrays stored under ``name``, or None (a miss, the cache off, or
    an unreadable entry: that one is deleted so that it is rebuilt)."""
    if not enabled():
        return None
    p = _path(name)
    try:
        with np.load(p, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, struct.error):
        try:
            p.unlink()
        except OSError:
            pass
        return None
    if "__complete__" not in out:  # written by something else, or cut short
        try:
            p.unlink()
        except OSError:
            pass
        return None
    out.pop("__complete__")
    try:
        os.utime(p)  # the access time for the least-recently-used eviction
    except OSError:
        pass
    return out


def put(name: str, arrays: dict) -> Path | None:
    """Store ``arrays`` (numeric or string arrays only) under ``name``,
    atomically, then evict the least recently used entries over the limit.
    A cache that cannot be written (read-only folder, full disk) is skipped,
    not an error: the result was computed and is returned either way."""
    if not enabled():
        return None
    data = {k: np.asarray(v) for k, v in arrays.items()}
    for k, v in data.items():
        if v.dtype == object:
            raise TypeError(f"cache entry {name}: array {k!r} has dtype object (not storable without pickle)")
    data["__complete__"] = np.array(True)
    p = _path(name)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, **data)
        write_atomic(p, lambda f: f.write(buf.getbuffer()))
    except OSError:
        return None
    evict()
    return p


def entries() -> list[tuple[Path, int, float]]:
    """(path, bytes, last use) of every entry, oldest use first."""
    d = directory()
    out = []
    if not d.is_dir():
        return out
    for p in d.glob("*" + SUFFIX):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((p, st.st_size, st.st_mtime))
    out.sort(key=lambda e: (e[2], e[0].name))
    return out


def evict(limit: int | None = None) -> int:
    """Delete least recently used entries until the total is at most
    ``limit`` bytes (default :func:`max_bytes`); returns how many went."""
    limit = max_bytes() if limit is None else int(limit)
    es = entries()
    total = sum(e[1] for e in es)
    gone = 0
    for p, size, _ in es:
        if total <= limit:
            break
        try:
            p.unlink()
            total -= size
            gone += 1
        except OSError:
            pass
    return gone


def clear() -> int:
    """Delete every entry (and stray temporary files); returns how many."""
    d = directory()
    n = 0
    if d.is_dir():
        for p in list(d.glob("*" + SUFFIX)) + list(d.glob(".*.tmp")):
            try:
                p.unlink()
                n += p.suffix == SUFFIX
            except OSError:
                pass
    return n


def info() -> dict:
    """What is in the cache: folder, entries per kind, bytes, limit, on/off."""
    es = entries()
    kinds: dict[str, dict] = {}
    for p, size, _ in es:
        kind = p.stem.rsplit("-", 1)[0]
        k = kinds.setdefault(kind, {"entries": 0, "bytes": 0})
        k["entries"] += 1
        k["bytes"] += size
    return {
        "directory": str(directory()),
        "enabled": enabled(),
        "entries": len(es),
        "bytes": int(sum(e[1] for e in es)),
        "max_bytes": max_bytes(),
        "kinds": kinds,
        "code_version": code_version(),
        "oldest_use": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(es[0][2])) if es else None,
    }


def cached(kind: str, parts: tuple, compute, pack, unpack):
    """``unpack(arrays)`` from the entry for ``parts`` if there is a good one,
    else ``compute()``, stored as ``pack(result)``. An entry that ``unpack``
    cannot read (KeyError, ValueError, shape mismatch) is recomputed."""
    if not enabled():
        return compute()
    name = key(kind, *parts)
    arrays = get(name)
    if arrays is not None:
        try:
            return unpack(arrays)
        except (KeyError, ValueError, IndexError, TypeError):
            try:
                _path(name).unlink()
            except OSError:
                pass
    out = compute()
    put(name, pack(out))
    return out
