"""Command line: ``openbmd COMMAND ...``.

This module holds :func:`main` (the console script ``openbmd``) and the
parser; the commands live in one module per family, each importing only
:mod:`.common` and the library:

* :mod:`.fly`: ``fly``
* :mod:`.engage`: ``engage``, ``radar``
* :mod:`.catalog`: ``catalog``
* :mod:`.scenario`: ``validate``, ``scenarios``, ``assess``, ``footprint``,
  ``phases``, ``robustness``, ``south-vs-north``, ``report``
* :mod:`.serve`: ``serve``
* :mod:`.raid`: ``raid``, ``balance``, ``track``
* :mod:`.guarantee`: ``guarantee ...``
* :mod:`.cache`: ``cache``

Units are named at this edge (``--apogee-km``, ``--burnout-speed-km-s``); inside
everything is SI. Bad input gives one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import OpenBMDError
from . import cache, catalog, engage, fly, guarantee, raid, scenario, serve
from .common import EXIT_BAD_INPUT, LATLON, InputError, set_table_options

__all__ = ["main", "build_parser", "kernels_need_compiling", "fix_negative_coords", "InputError", "EXIT_BAD_INPUT"]

# the command families, in the order of --help
COMMANDS = (fly, engage, catalog, scenario, serve, raid, guarantee, cache)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"openbmd: error: {message} (see --help)\n")



def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = _Parser(prog="openbmd", description="Open ballistic-missile-defence physics from public sources.")
    p.add_argument("--version", action="version", version=f"openbmd {__version__}")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the persistent cache of aimed threats and fly-out tables "
                   "(also accepted after the command; OPENBMD_NO_CACHE=1 does the same)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for family in COMMANDS:
        family.add_parsers(sub)
    return p


# commands that only read files or the catalog: no kernels, no compile notice
_NO_KERNELS = {"catalog", "cache", "validate", "scenarios"}
_KERNELS = (("flight/kernel.py", "fly_batch"), ("engage.py", "_engage_kernel"))


def kernels_need_compiling() -> bool:
    """Whether numba has no cached machine code for this source of the main
    kernels (the flight and engagement kernels), i.e. the next run compiles
    them. Reads numba's own cache index beside the module (its first record is
    the source's modification time and size); with NUMBA_CACHE_DIR or any
    surprise it says False (no notice rather than a wrong one)."""
    if os.environ.get("NUMBA_CACHE_DIR") or os.environ.get("NUMBA_DISABLE_JIT"):
        return False
    import hashlib
    import pickle

    root = Path(__file__).resolve().parent.parent  # the openbmd package
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    try:
        for src, fn in _KERNELS:
            path = root / src
            st = path.stat()
            # numba >= 0.61 stamps a source by the SHA-256 of its bytes, older ones by (mtime, size)
            stamps = (hashlib.sha256(path.read_bytes()).digest(), (st.st_mtime, st.st_size))
            found = False
            for idx in (path.parent / "__pycache__").glob(f"{path.stem}.{fn}-*.{tag}.nbi"):
                with open(idx, "rb") as f:
                    pickle.load(f)  # numba's version record
                    if pickle.loads(f.read())[0] in stamps:  # numba's own index file, written on this machine
                        found = True
                        break
            if not found:
                return True
    except Exception:  # noqa: BLE001 - a notice, never an error
        return False
    return False


def fix_negative_coords(argv):
    out = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--from", "--to") and i + 1 < len(argv) and argv[i + 1].startswith("-") and LATLON.match(argv[i + 1]):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def main(argv=None) -> int:
    argv = fix_negative_coords(list(sys.argv[1:] if argv is None else argv))
    end = argv.index("--") if "--" in argv else len(argv)
    no_cache = "--no-cache" in argv[:end]  # anywhere before '--', after the command too
    argv = [a for i, a in enumerate(argv) if not (a == "--no-cache" and i < end)]
    parser = build_parser()
    args = parser.parse_args(argv)
    if no_cache:
        from .. import cache as persistent_cache

        persistent_cache.disable(True)
    # OPENBMD_NO_COMPILE_NOTICE: the test suite's (its one-line error checks run in any order)
    if args.command not in _NO_KERNELS and not os.environ.get("OPENBMD_NO_COMPILE_NOTICE") and kernels_need_compiling():
        print("openbmd: first run: compiling the numerical kernels (about 3-5 minutes on 2 cores, once; "
              "later runs reuse them)", file=sys.stderr, flush=True)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    set_table_options(args)
    try:
        return args.func(args)
    except OpenBMDError as exc:  # every input error of the package (openbmd.errors), one line, exit 2
        print(f"openbmd: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        sys.stderr = open(os.devnull, "w")
        return 0
    except OSError as exc:
        print(f"openbmd: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
