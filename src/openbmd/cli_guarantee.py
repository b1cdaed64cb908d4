"""``openbmd guarantee verify | synthesize | uncertainty``.

Exit status of ``verify``: 0 when every check passes, 1 when any fails, 2 on
bad input."""

from __future__ import annotations

import json
import math
import sys


def _inputs(args):
    from .cli import InputError
    from .guarantee import GuaranteeError, load_guarantee
    from .scenario import ScenarioError, load

    try:
        g = load_guarantee(args.guarantee)
    except (GuaranteeError, ScenarioError) as exc:
        raise InputError(str(exc)) from None
    try:
        sc = load(args.scenario)
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    if sc.is_comparison:
        raise InputError(f"{args.scenario}: a comparison of scenarios; give one architecture "
                         f"({', '.join(p.name for p in sc.phases)})")
    return g, sc


def _guard(fn, *a, **kw):
    from .cli import InputError
    from .guarantee import GuaranteeError
    from .report.build import ReportError
    from .sweep import SweepError

    try:
        return fn(*a, **kw)
    except (GuaranteeError, ReportError, SweepError) as exc:
        raise InputError(str(exc)) from None


def cmd_verify(args) -> int:
    from .cli_scenario import progress
    from .guarantee import verify, what_would_break

    g, sc = _inputs(args)
    with progress("verify", 1, args.quiet) as bar:
        v = _guard(verify, g, sc, progress=bar)
    if args.what_breaks:
        v.breaking = _guard(what_would_break, g, sc, v)
    if args.report:
        from .report.certificate import write_certificate

        _guard(write_certificate, v, args.report)
    if args.json:
        print(json.dumps(v.to_dict()))
        return 0 if v.passed else 1
    print(f"guarantee: {g.name}\nscenario:  {sc.name}\n")
    print(f"(a) compliance: {'PASS' if v.compliant else 'FAIL'}")
    for c in v.compliance:
        m = "" if not math.isfinite(c.margin) else f"{c.margin:+.3g} {c.unit}"
        print(f"    [{'ok' if c.passed else 'FAIL'}] {c.what}: {m}  ({c.detail})")
    print(f"(b) physical claim: {'PASS' if v.claim_holds else 'FAIL'}: {v.protected_engageable} of "
          f"{v.protected_trajectories} protected trajectories can be engaged")
    if v.smallest_margin_s is not None:
        print(f"    smallest margin {v.smallest_margin_s:+.0f} s (positive: holds); closest: {v.closest} "
              f"(battery {v.closest_battery})")
    for e in v.engageable_examples:
        print(f"    engageable: {e}")
    cov = "-" if v.mission_coverage is None else f"{100 * v.mission_coverage:.1f} %"
    print(f"(c) mission: {'PASS' if v.mission_covered or v.mission_trajectories == 0 else 'FAIL'}: {cov} of "
          f"{v.mission_trajectories} '{g.mission_role}' threats covered (required {100 * g.min_mission_coverage:g} %)")
    for b in v.breaking:
        print(f"    would break: {b['parameter']}: {b['change']}" + (f" ({b['trajectory']})" if b.get("trajectory") else ""))
    print("\nAssumptions:")
    for a in v.assumptions:
        print(f"  - {a}")
    print(f"\n{'PASS' if v.passed else 'FAIL'}")
    return 0 if v.passed else 1


def cmd_speed_map(args) -> int:
    from .cli import InputError, parse_point
    from .cli_scenario import progress
    from .synthesis import speed_map, write_speed_guarantee

    g, sc = _inputs(args)
    if not (args.step_deg >= 0.1 and math.isfinite(args.step_deg)):
        raise InputError(f"--step-deg must be >= 0.1, got {args.step_deg:g}")
    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers must be >= 0, got {args.workers}")
    with progress("speed map", None, args.quiet) as bar:
        sm = _guard(speed_map, g, sc, step_deg=args.step_deg, launch_delay=args.launch_delay_s,
                    template_name=args.template, workers=args.workers, scheduler=args.scheduler,
                    checkpoint=args.checkpoint, progress=lambda n: bar(1))
    if args.csv:
        sm.table.to_csv(args.csv, index=False)
    if args.plot:
        from .report.certificate import plot_speed_map

        plot_speed_map(sm, args.plot)
    if args.write_guarantee:
        sites = [parse_point(s, "--site") for s in (args.site or [])]
        if not sites:
            sites = [(b.name, *b.stations[0]) for b in sc.batteries]
        path = _guard(write_speed_guarantee, g, sm, sites, args.write_guarantee)
        print(f"wrote {path}")
    t = sm.table
    fin = t["v_max_km_s"].dropna()
    print(f"{len(t)} candidate sites; permissible burnout speed {fin.min():g}-{fin.max():g} km/s "
          f"({int(t['above_highest'].sum())} sites safe even at {sm.levels[-1]:g} km/s, "
          f"{int(t['below_lowest'].sum())} not safe even at {sm.levels[0]:g} km/s)")
    for b in sc.batteries:
        la, lo = b.stations[0]
        print(f"  at {b.name}: {sm.at(math.degrees(la), math.degrees(lo)):g} km/s")
    if not args.quiet:
        print(f"  ({sm.info.chunks_computed} chunks computed, {sm.info.chunks_resumed} resumed, "
              f"{sm.info.seconds:.1f} s, workers: {sm.info.workers or 'in process'})")
    return 0


def cmd_uncertainty(args) -> int:
    from .cli import InputError
    from .cli_scenario import progress
    from .uncertainty import monte_carlo

    g, sc = _inputs(args)
    if args.samples < 1:
        raise InputError(f"--samples must be >= 1, got {args.samples}")
    with progress("monte carlo", None, args.quiet) as bar:
        mc = _guard(monte_carlo, g, sc, samples=args.samples, seed=args.seed, workers=args.workers,
                    scheduler=args.scheduler, checkpoint=args.checkpoint, progress=lambda n: bar(1))
    if args.csv:
        mc.samples.to_csv(args.csv, index=False)
    if args.json:
        print(json.dumps(mc.summary()))
        return 0
    s = mc.summary()
    print(f"P(guarantee's claim holds) = {s['p_claim_holds']:.3f} (95 % interval {s['p_interval'][0]:.3f}-"
          f"{s['p_interval'][1]:.3f}) over {s['samples']} samples, seed {s['seed']}")
    print("sensitivity (Spearman correlation with the closest protected margin):")
    for r in s["sensitivity"]:
        print(f"  {r['parameter']:50s} {r['spearman']:+.2f}")
    return 0


def add_parsers(sub):
    gp = sub.add_parser("guarantee", help="verify, synthesise and stress technical guarantees")
    gsub = gp.add_subparsers(dest="gcommand", metavar="ACTION", parser_class=type(gp))
    gsub.required = True
    v = gsub.add_parser("verify", help="does a deployment satisfy a guarantee, and does its claim hold? (exit 0/1)")
    v.add_argument("guarantee", help="guarantee file or bundled name")
    v.add_argument("scenario", help="scenario file or bundled name")
    v.add_argument("--json", action="store_true")
    v.add_argument("--report", metavar="DIR", help="write the certificate (HTML, JSON, maps) here")
    v.add_argument("--what-breaks", action="store_true", help="also find the smallest single changes that break it")
    v.add_argument("--quiet", action="store_true")
    v.set_defaults(func=cmd_verify)
    s = gsub.add_parser("synthesize", help="synthesise guarantees (the permissible-speed map)")
    ssub = s.add_subparsers(dest="scommand", metavar="WHAT", parser_class=type(gp))
    ssub.required = True
    m = ssub.add_parser("speed-map", help="largest permissible interceptor burnout speed at each candidate site")
    m.add_argument("guarantee")
    m.add_argument("scenario", help="the scenario whose protected threats count")
    m.add_argument("--step-deg", type=float, default=0.5)
    m.add_argument("--launch-delay-s", type=float, help="interceptor launch after threat launch (default: the guarantee's)")
    m.add_argument("--template", default="SM-3 Block IIB", help="interceptor whose altitude band and range limits apply")
    m.add_argument("--csv", metavar="FILE")
    m.add_argument("--plot", metavar="FILE")
    m.add_argument("--write-guarantee", metavar="FILE", help="write a guarantee file with the limits at --site points")
    m.add_argument("--site", action="append", metavar="PLACE|LAT,LON", help="sites for --write-guarantee (default: the scenario's)")
    _dask_args(m)
    m.set_defaults(func=cmd_speed_map)
    u = gsub.add_parser("uncertainty", help="Monte Carlo over the catalog's ranges: P(claim holds), sensitivity")
    u.add_argument("guarantee")
    u.add_argument("scenario")
    u.add_argument("--samples", type=int, default=1000)
    u.add_argument("--seed", type=int, default=1)
    u.add_argument("--csv", metavar="FILE")
    u.add_argument("--json", action="store_true")
    _dask_args(u)
    u.set_defaults(func=cmd_uncertainty)


def _dask_args(p):
    p.add_argument("--workers", type=int, help="local Dask cluster with N workers (default: in process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask cluster")
    p.add_argument("--checkpoint", metavar="DIR", help="save each finished chunk here; a rerun resumes")
    p.add_argument("--quiet", action="store_true")
