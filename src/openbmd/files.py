"""Writing files so that a failure never leaves a partial one behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path, write, *, check=None, tmp=None) -> Path:
    """Write ``path`` through a temporary file in the same directory, then
    rename it into place (and make the rename durable). ``write(f)`` writes
    to the binary file ``f``; ``check(tmp)`` may inspect the finished
    temporary file before the rename (raise to abandon it); ``tmp``: the
    temporary file's path (default: a fresh name beside ``path``). The file
    keeps the mode of the one it replaces (0644 for a new one)."""
    path = Path(path)
    if tmp is None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        fh = os.fdopen(fd, "wb")
    else:
        fh = open(tmp, "xb")
    try:
        with fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(tmp)
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return path


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically (:func:`write_atomic`)."""
    return write_atomic(path, lambda f: f.write(text.encode("utf-8")))


def write_new_text(path, text: str, error=FileExistsError) -> Path:
    """Like :func:`write_text_atomic`, for a file that must not exist yet
    (nothing the user saved is overwritten): raises ``error`` if it does."""
    p = Path(path)
    if p.exists():
        raise error(f"{p} exists: not overwriting it (choose another file name)")
    return write_text_atomic(p, text)
