"""``openbmd serve``: the local web view and its JSON API."""

from __future__ import annotations

import sys

from .common import InputError, existing_file, load_scenario, number, output_file


def cmd_serve(args) -> int:
    import ipaddress

    if not 0 < args.port < 65536:
        raise InputError(f"--port must be within 1..65535, got {args.port}")
    if args.scenario != "default":
        from ..scenario import bundled_names

        load_scenario(args.scenario)  # a bad name fails here, with the usual message
        if args.scenario not in bundled_names():
            raise InputError(f"serve opens a bundled scenario by name ({', '.join(bundled_names())}), not a file: "
                             f"{args.scenario!r}")
    try:
        import uvicorn

        from ..web.app import create_app
    except ImportError as exc:
        raise InputError(f"openbmd serve needs fastapi and uvicorn ({exc})") from None
    loopback = args.host == "localhost"
    try:
        loopback = loopback or ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        pass
    token = None
    if not loopback:
        import secrets

        token = secrets.token_urlsafe(24)
        print(f"openbmd: warning: serving on {args.host}, reachable from other machines; every request needs "
              "the token in the address below", file=sys.stderr)
    # loopback: only the loopback Host names (a DNS-rebinding page gets 400); elsewhere any Host, with a token
    app = create_app(args.db, args.scenario, allowed_hosts=None if loopback else ["*"], token=token)

    def warm():  # the first page load then finds the threat set flown and the tables built
        from ..analysis import assess
        from ..compute import COMPUTE_LOCK

        try:
            with COMPUTE_LOCK:
                assess(load_scenario(app.state.initial_scenario))
        except Exception:  # noqa: BLE001 - warming is best effort
            pass

    import threading

    threading.Thread(target=warm, daemon=True).start()
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"openbmd web view: http://{shown}:{args.port}/{'?token=' + token if token else ''}  opens {app.state.initial_scenario} "
          f"(API docs at /docs; data in {app.state.store.path})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def add_parsers(sub) -> None:
    sfile = existing_file("scenario")
    w = sub.add_parser("serve", help="the local web view and its JSON API (127.0.0.1 unless told otherwise)")
    w.add_argument("scenario", nargs="?", default="default", type=sfile, help="scenario shown first")
    w.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    w.add_argument("--port", type=number(1, 65535, integer=True), default=8000)
    w.add_argument("--db", metavar="FILE", type=output_file(), help="SQLite file for saved scenarios and results "
                                                "(default: $OPENBMD_DATA_DIR or ~/.local/share/openbmd/openbmd.sqlite3)")
    w.set_defaults(func=cmd_serve)
