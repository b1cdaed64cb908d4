"""``openbmd cache info|clear``: the persistent cache of aimed threat sets and
fly-out tables (:mod:`openbmd.cache`)."""

from __future__ import annotations

import json

from .common import input_errors


def cmd_cache(args) -> int:
    from .. import cache

    with input_errors():
        if args.action == "clear":
            n = cache.clear()
            print(f"removed {n} cache entr{'y' if n == 1 else 'ies'} from {cache.directory()}")
            return 0
        info = cache.info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    state = "on" if info["enabled"] else "off: OPENBMD_NO_CACHE or --no-cache"
    print(f"cache folder: {info['directory']} ({state})")
    print(f"entries: {info['entries']:,}, {info['bytes'] / 1e6:,.1f} MB of at most {info['max_bytes'] / 1e6:,.0f} MB "
          "(OPENBMD_CACHE_MAX_MB; the least recently used go first)")
    for kind, k in sorted(info["kinds"].items()):
        what = {"threats": "aimed threat sets", "flyout": "fly-out tables", "maxrange": "maximum-range scans"}.get(kind, kind)
        print(f"  {what}: {k['entries']:,} ({k['bytes'] / 1e6:,.1f} MB)")
    if info["oldest_use"]:
        print(f"least recently used entry: {info['oldest_use']}")
    print(f"code version: {info['code_version']} (an edit to the kernels starts new entries)")
    return 0


def add_parsers(sub) -> None:
    c = sub.add_parser("cache", help="show or empty the persistent cache of aimed threats and fly-out tables",
                       description="The persistent cache keeps aimed threat sets and fly-out tables between runs, "
                       "keyed by the content of every input and the code version. OPENBMD_CACHE_DIR moves it, "
                       "OPENBMD_CACHE_MAX_MB bounds it (default 2048), --no-cache or OPENBMD_NO_CACHE=1 turns it off.")
    c.add_argument("action", choices=("info", "clear"), help="info: what is in it; clear: delete every entry")
    c.add_argument("--json", action="store_true", help="info as one JSON object")
    c.set_defaults(func=cmd_cache)
