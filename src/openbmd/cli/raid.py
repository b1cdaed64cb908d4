"""Command line for raids and the strategic balance: ``raid``, ``balance``
and ``track``.

Thin faces on :mod:`openbmd.analysis.raid`, :mod:`openbmd.analysis.balance`
and :mod:`openbmd.analysis.track`; bad input gives one line on stderr and
exit status 2.
"""

from __future__ import annotations

import json

from .common import (
    MAX_COUNT,
    MAX_PER_MISSILE,
    MAX_SAMPLES,
    InputError,
    add_table_options,
    add_no_assumptions,
    delay,
    existing_file,
    guarded,
    input_errors,
    json_record,
    json_safe,
    load_scenario,
    number,
    output_file,
    print_assumptions,
    print_records,
    progress,
    seed,
)


def _doctrine(args, sc):
    """The scenario's doctrine with the command line's overrides."""
    from ..wta import Doctrine

    d = sc.doctrine or Doctrine()
    kw = {}
    if args.doctrine and args.doctrine != d.shot:
        kw.update(shot=args.doctrine, salvo=2 if args.doctrine == "shoot-shoot" else 1,
                  max_engagements=1 if args.doctrine == "shoot-shoot" else 2)
    if args.salvo is not None:
        kw["salvo"] = args.salvo
    if args.max_engagements is not None:
        kw["max_engagements"] = args.max_engagements
    if args.pk is not None:
        if not 0.0 <= args.pk <= 1.0:
            raise InputError(f"--pk: expected a kill probability in [0, 1], got {args.pk:g}")
        lo, hi = d.pk_range
        kw.update(pk=args.pk, pk_range=(min(lo, args.pk), max(hi, args.pk)), pk_source="given on the command line")
    with input_errors():
        return d.replace(**kw) if kw else d


def _tracking(args):
    """``--tracking`` (and ``--pip-accuracy-m``): keywords for track_effect, or None."""
    if not getattr(args, "tracking", False):
        if getattr(args, "pip_accuracy_m", None) is not None:
            raise InputError("--pip-accuracy-m goes with --tracking")
        return None
    return {} if args.pip_accuracy_m is None else {"pip_accuracy": args.pip_accuracy_m}


def _inventory(args, sc):
    from ..analysis.raid import inventories

    if args.unlimited:
        return inventories(sc, unlimited=True)
    if args.inventory_factor is not None:
    
        if not args.inventory_factor >= 0:
            raise InputError(f"--inventory-factor: expected a number >= 0, got {args.inventory_factor:g}")
        return inventories(sc, args.inventory_factor)
    return None


def _raids(args, sc):
    """The raid asked on the command line (``--threat``), or the scenario's."""
    if not args.threat:
        return None
    from ..scenario import RaidSpec

    groups = {t.name: t for t in sc.threats}
    if args.threat not in groups:
        raise InputError(f"--threat: no threat group {args.threat!r} in scenario {sc.name!r} "
                         f"(groups: {', '.join(groups)})")
    names = [p.name for p in groups[args.threat].launches]
    for f in args.launch or []:
        if f not in names:
            raise InputError(f"--from: {f!r} is not a launch point of {args.threat!r} (its launch points: {', '.join(names)})")
    for flag, v, lo in (("--missiles", args.missiles, 1), ("--warheads-per-missile", args.warheads_per_missile, 1),
                        ("--decoys-per-missile", args.decoys_per_missile, 0)):
        if v < lo:
            raise InputError(f"{flag}: expected an integer >= {lo}, got {v}")
    if not args.spacing_s >= 0:
        raise InputError(f"--spacing-s: expected a number >= 0, got {args.spacing_s:g}")
    return [RaidSpec("command line", args.threat, tuple(args.launch or ()), args.missiles, args.warheads_per_missile,
                     args.decoys_per_missile, 0.0, args.spacing_s)]


def cmd_raid(args) -> int:
    from ..analysis.raid import raid

    sc = load_scenario(args.scenario)
    for k, m in enumerate(sc.phases or [sc]):
        raids = _raids(args, m)
        d = _doctrine(args, m)
        with progress(f"raid {m.name}", 1, args.quiet) as bar:
            res = guarded(raid, m, doctrine=d, inventory=guarded(_inventory, args, m), method=args.method or "auto", raids=raids,
                          tracking=_tracking(args), progress=bar)
        tot = res.totals()
        table = {"battery": res.per_battery, "field": res.per_field, "object": res.per_object}[args.per]()
        if args.csv:
            table.to_csv(args.csv if not sc.is_comparison else f"{args.csv.rsplit('.', 1)[0]}-{k + 1}.csv", index=False)
        if args.json:
            print(json.dumps(json_record(tot)))
            continue
        print(f"\n== {m.name}")
        print(f"{tot['missiles']} missiles, {tot['warheads']:g} warheads, {tot['decoys']:g} decoys; "
              f"{tot['warheads_engageable']:g} warheads on engageable trajectories")
        avail = "unlimited" if tot["interceptors_available"] is None else f"{tot['interceptors_available']}"
        print(f"interceptors: {avail} available, {tot['interceptors_reserved']} reserved, "
              f"{tot['interceptors_expected_fired']:.1f} expected fired")
        print(f"expected warheads intercepted {tot['warheads_intercepted_expected']:.2f}, leaking "
              f"{tot['warheads_leaking_expected']:.2f} ({tot['method']}"
              + (f"; greedy {tot['greedy_intercepted_expected']:.2f}, gap {100 * tot['greedy_gap']:.2f} %"
                 if tot["greedy_gap"] is not None else "") + ")")
        print_records(table, False)
        print_assumptions(res.assumptions(), args)
    return 0


def cmd_balance(args) -> int:
    from ..analysis.balance import balance

    sc = load_scenario(args.scenario)
    members = sc.phases or [sc]
    with progress("balance", len(members), args.quiet) as bar:
        doctrine = _doctrine(args, members[0]) if any(x is not None for x in (args.pk, args.salvo, args.max_engagements,
                                                                             args.doctrine)) else None
        res = guarded(balance, sc, forces=args.force, attacks=args.attack, doctrine=doctrine, method=args.method,
                      decoys_per_missile=args.decoys_per_missile, sensitivity=not args.no_sensitivity,
                      tracking=_tracking(args), progress=bar)
    table = res.table()
    unc = None
    if args.samples:
        from ..analysis.balance import balance_uncertainty

        with progress("balance uncertainty", len(members), args.quiet) as bar:
            unc = guarded(balance_uncertainty, sc, samples=args.samples, seed=args.seed, forces=args.force,
                          attacks=args.attack, doctrine=doctrine, tracking=_tracking(args), progress=bar)
        if args.csv:
            unc.to_csv(args.csv.rsplit(".", 1)[0] + "-uncertainty.csv", index=False)
    if args.csv:
        table.to_csv(args.csv, index=False)
    if args.json:
        _print_balance_json(res, unc)
        return 0
    _print_balance(res, table, unc, args)
    return 0


def _print_balance_json(res, unc):
    """One object per phase: the first attack's figures, the others under "other_attacks"."""
    by_phase: dict = {}
    for rec in res.records():
        rec = {k: (json_safe(v) if not isinstance(v, dict) else {kk: json_safe(vv) for kk, vv in v.items()})
               for k, v in rec.items()}
        if unc is not None:
            u = unc[(unc["name"] == rec["name"]) & (unc["attack"] == rec["attack"])]
            rec["uncertainty"] = {k: json_safe(v) for k, v in u.iloc[0].items() if k not in ("name", "attack")}
        if rec["name"] not in by_phase:
            rec["other_attacks"] = {}
            by_phase[rec["name"]] = rec
        else:
            by_phase[rec["name"]]["other_attacks"][rec["attack"]] = {
                k: rec[k] for k in ("warheads_total", "warheads_engageable", "warheads_attrited_expected",
                                    "warheads_attrited_share", "sensitivity", "uncertainty") if k in rec}
    for rec in by_phase.values():
        print(json.dumps(rec))


def _print_balance(res, table, unc, args):
    """The phases numbered once, then one table per attack (--json / --csv carry every column)."""
    names = list(dict.fromkeys(table["name"]))
    key = {n: f"[{k + 1}]" for k, n in enumerate(names)}
    print("Phases:")
    for n in names:
        print(f"  {key[n]} {n}")

    def per_attack(frame, cols, title, name_col="name", heads=None):
        for attack in dict.fromkeys(frame["attack"]):
            f = frame[frame["attack"] == attack]
            f = f.assign(**{name_col: [key.get(x, x) for x in f[name_col]]})[[name_col] + cols]
            print(f"\n{title}, {attack}:")
            print_records(f.rename(columns={name_col: "phase"}), False, heads=heads,
                          keys=2 if "unit" in cols[:1] else 1)

    cols = ["warheads_total", "warheads_engageable", "warheads_attrited_expected", "warheads_attrited_share",
            "interceptors", "interceptors_expected_fired", "method", "greedy_gap"]
    per_attack(table, cols, "Warheads (expected values) and interceptors")
    sens = [c for c in table.columns if c.startswith("attrited if ")]
    if sens:
        per_attack(table, sens, "Sensitivity: expected warheads attrited", heads={c: c[len("attrited "):] for c in sens})
    if unc is not None:
        print(f"\nUncertainty ({args.samples} samples, seed {args.seed}): launchers, warheads per launcher, launched "
              "shares and kill\nprobability drawn within their ranges, triangular about the nominal.")
        u = unc.drop(columns=["samples", "seed"])
        per_attack(u, [c for c in u.columns if c not in ("name", "attack")], "Uncertainty")
    if args.per_unit:
        pu = res.per_unit()
        per_attack(pu, [c for c in pu.columns if c not in ("phase", "attack")], "Per unit", name_col="phase")
    print_assumptions(res.assumptions(), args)


def cmd_track(args) -> int:
    from ..analysis.track import track_effect

    sc = load_scenario(args.scenario)
    kw = {} if args.pip_accuracy_m is None else {"pip_accuracy": args.pip_accuracy_m}
    for m in (sc.phases or [sc]):
        with progress(f"track {m.name}", 1, args.quiet) as bar:
            res = guarded(track_effect, m, seed=args.seed, **kw)
            bar(1)
        table = res.table()
        if args.json:
            for rec in table.to_dict(orient="records"):
                print(json.dumps({"scenario": m.name, **json_record(rec)}))
            continue
        print(f"\n== {m.name}")
        print_records(table, False)
        print_assumptions(res.assumptions(), args)
    return 0


def _output_args(p, json_help):
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_no_assumptions(p)


def _doctrine_args(p):
    g = p.add_argument_group("doctrine (default: the scenario's [doctrine])")
    g.add_argument("--doctrine", choices=("shoot-look-shoot", "shoot-shoot"))
    g.add_argument("--salvo", type=number(1, 100, integer=True), help="interceptors per engagement")
    g.add_argument("--max-engagements", type=number(1, 100, integer=True), help="engagements per object")
    g.add_argument("--pk", type=number(0, 1, why="a kill probability in [0, 1]"), help="single-shot kill probability")
    g.add_argument("--method", choices=("auto", "optimal", "greedy"), default=None,
                   help="assignment: integer program, greedy, or auto (both where the program fits; the default)")
    g.add_argument("--tracking", action="store_true",
                   help="launch times from simulated radar tracks (openbmd track) instead of the fixed track time")
    g.add_argument("--pip-accuracy-m", type=number(0, 1e6, "m", lo_open=True), help="with --tracking: predicted-intercept-point accuracy to fire")


def add_parsers(sub):
    r = sub.add_parser("raid", help="a raid of many missiles against the architecture: battle management, leakers")
    r.add_argument("scenario", type=existing_file("scenario"), help="scenario file or bundled name")
    r.add_argument("--threat", help="raid from this [[threat]] group (default: the scenario's [[raid]] tables)")
    r.add_argument("--from", dest="launch", action="append", metavar="PLACE", help="only these launch points (repeat)")
    r.add_argument("--missiles", type=number(1, MAX_COUNT, integer=True), default=100)
    r.add_argument("--warheads-per-missile", type=number(1, MAX_PER_MISSILE, integer=True), default=1)
    r.add_argument("--decoys-per-missile", type=number(0, MAX_PER_MISSILE, integer=True), default=0)
    r.add_argument("--spacing-s", type=delay(), default=10.0, help="launch interval between missiles")
    r.add_argument("--inventory-factor", type=number(0, 1000), help="scale every battery's interceptor count")
    r.add_argument("--unlimited", action="store_true", help="no inventory limit")
    r.add_argument("--per", choices=("battery", "field", "object"), default="battery")
    r.add_argument("--csv", metavar="FILE", type=output_file())
    _output_args(r, "one JSON object per scenario (phase) with the totals")
    _doctrine_args(r)
    r.set_defaults(func=cmd_raid)

    b = sub.add_parser("balance", help="how many strategic warheads could the defence engage or attrit, per phase")
    add_table_options(b)
    b.add_argument("scenario", nargs="?", default="default", type=existing_file("scenario"), help="scenario or comparison (default: the EPAA phases)")
    b.add_argument("--force", action="append", metavar="NAME", help="force of the catalog (repeat; default: the scenario's)")
    b.add_argument("--attack", action="append", metavar="NAME",
                   help="'full launch' or 'retaliation after a first strike' (repeat; default: the scenario's)")
    b.add_argument("--decoys-per-missile", type=number(0, MAX_PER_MISSILE, integer=True))
    b.add_argument("--no-sensitivity", action="store_true", help="skip the inventory / kill probability / reaction time runs")
    b.add_argument("--per-unit", action="store_true", help="also a table per force unit")
    b.add_argument("--samples", type=number(0, MAX_SAMPLES, integer=True), default=0, metavar="N",
                   help="also N Monte Carlo samples of the force data, launched shares and kill probability")
    b.add_argument("--seed", type=seed(), default=0)
    b.add_argument("--csv", metavar="FILE", type=output_file())
    _output_args(b, "one JSON object per phase")
    _doctrine_args(b)
    b.set_defaults(func=cmd_balance)

    t = sub.add_parser("track", help="simulated radar tracks (Kalman filter) instead of the fixed track time")
    t.add_argument("scenario", type=existing_file("scenario"), help="scenario file or bundled name")
    t.add_argument("--pip-accuracy-m", type=number(0, 1e6, "m", lo_open=True), help="predicted-intercept-point accuracy needed to fire")
    t.add_argument("--seed", type=seed(), default=0)
    _output_args(t, "one JSON object per battery and role")
    t.set_defaults(func=cmd_track)
