"""``openbmd guarantee verify | list | table | synthesize | uncertainty | observe``.

Exit status of ``verify``: 0 when every check passes, 1 when any fails, 2 on
bad input."""

from __future__ import annotations

import json
import math

from .common import (
    MAX_BURNOUT_SPEED_KM_S,
    MAX_SAMPLES,
    MAX_WORKERS,
    InputError,
    add_no_assumptions,
    burnout_speed,
    delay,
    existing_file,
    guarded,
    input_errors,
    load_scenario,
    number,
    output_file,
    output_folder,
    parse_point,
    print_assumptions,
    print_records,
    progress,
    seed,
)


def _inputs(args):
    """The guarantee and the one architecture (not a comparison) of the command line."""
    from ..guarantee import load_guarantee

    with input_errors():
        g = load_guarantee(args.guarantee)
    sc = load_scenario(args.scenario)
    if sc.is_comparison:
        raise InputError(f"{args.scenario}: a comparison of scenarios; give one architecture "
                         f"({', '.join(p.name for p in sc.phases)})")
    return g, sc


def cmd_verify(args) -> int:
    from ..guarantee import verify, what_would_break

    g, sc = _inputs(args)
    with progress("verify", 1, args.quiet) as bar:
        v = guarded(verify, g, sc, progress=bar)
    if args.what_breaks or args.report:  # the certificate always says what would break it
        v.breaking = guarded(what_would_break, g, sc, v)
    if args.report:
        from ..report.certificate import write_certificate

        guarded(write_certificate, v, args.report, observations=_observations(args, g))
    if args.json:
        print(json.dumps(v.to_dict()))
        return 0 if v.passed else 1
    failed = [x for x, ok in (("(a) compliance", v.compliant), ("(b) physical claim", v.claim_holds),
                              ("(c) mission", v.mission_covered or v.mission_trajectories == 0)) if not ok]
    print(f"{'PASS' if v.passed else 'FAIL'}: " + ("the deployment complies, the claim holds under every assumption set "
                                                   "and the mission is covered" if v.passed else
                                                   ", ".join(failed) + " failed"))
    print(f"guarantee: {g.name}\nscenario:  {sc.name}\n")
    print(f"(a) compliance: {'PASS' if v.compliant else 'FAIL'}")
    for c in v.compliance:
        m = "" if not math.isfinite(c.margin) else f"{c.margin:+.3g} {c.unit}"
        print(f"    [{'ok' if c.passed else 'FAIL'}] {c.what}: {m}  ({c.detail})")
    print(f"(b) physical claim: {'PASS' if v.claim_holds else 'FAIL'}: {v.protected_engageable} of "
          f"{v.protected_trajectories} protected trajectories can be engaged under the binding assumption set "
          f"({v.binding})")
    for line in set_lines(v):
        print(f"    {line}")
    if v.smallest_margin_s is not None:
        print(f"    closest protected trajectory: engagement margin {-v.smallest_margin_s:+.0f} s ({ENGAGEMENT_MARGIN}): "
              f"{v.closest} (battery {v.closest_battery})")
    for e in v.engageable_examples:
        print(f"    engageable: {e}")
    cov = "-" if v.mission_coverage is None else f"{100 * v.mission_coverage:.1f} %"
    print(f"(c) mission: {'PASS' if v.mission_covered or v.mission_trajectories == 0 else 'FAIL'}: {cov} of "
          f"{v.mission_trajectories} '{g.mission_role}' threats covered (required {100 * g.min_mission_coverage:g} %)")
    for b in v.breaking:
        print(f"    would break: {b['parameter']}: {b['change']}" + (f" ({b['trajectory']})" if b.get("trajectory") else ""))

    print_assumptions(v.assumptions, args)
    return 0 if v.passed else 1


# The command line prints one margin everywhere, the engagement margin of
# `engage`, `assess` and `phases`: positive, the best battery could launch that
# many seconds later and still intercept; negative, it is that many seconds too
# late. A guarantee's claim holds while every protected trajectory's engagement
# margin is negative. (The JSON keys smallest_margin_s / min_margin_s of
# guarantee.Verification keep their own sign: the distance from engageable,
# minus the engagement margin.)
ENGAGEMENT_MARGIN = "negative: too late to engage, the claim holds"


def set_lines(v) -> list[str]:
    """One line per assumption set, margins as engagement margins."""
    out = []
    for r in v.sets:
        m = ("no protected trajectory in reach" if r["min_margin_s"] is None
             else f"engagement margin {-r['min_margin_s']:+.0f} s")
        cov = "" if r["mission_coverage"] is None else f"; mission {100 * r['mission_coverage']:.1f} %"
        mark = "  <- binding" if r["name"] == v.binding else ""
        out.append(f"{r['name']}: {'holds' if r['claim_holds'] else 'FAILS'} ({r['protected_engageable']} of "
                   f"{v.protected_trajectories} engageable; {m}{cov}){mark}")
    return out


def _observations(args, g) -> list:
    """The flight tests of ``--observe``, flown and observed by ``--sensor``
    (for the certificate's Verification section)."""
    if not getattr(args, "observe", None):
        return []
    from ..flighttests import fly, load_test
    from ..observe import ObserveError, observe, parse_sensor

    with input_errors():
        if not args.sensor:
            raise ObserveError("--observe needs at least one --sensor NAME|LAT,LON")
        sensors = [parse_sensor(x) for x in args.sensor]
        return [observe(g, fly(load_test(t)), sensors, runs=args.runs, seed=args.seed) for t in args.observe]


def cmd_list(args) -> int:
    from ..guarantee import bundled_guarantees, load_guarantee

    rows = []
    for name in bundled_guarantees():
        g = load_guarantee(name)
        rows.append({"name": name, "title": g.name, "protected_party": g.protected_party,
                     "limits": len(g.limits), "assumption_sets": list(g.set_names), "description": g.description})
    if args.json:
        print(json.dumps(rows))
        return 0
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{w}}  {r['title']} ({r['limits']} limits; protects {r['protected_party'] or '-'})")
    return 0


def guarantee_table(guarantees=None, scenarios=None, progress=None):
    """Every guarantee against every scenario, by name (default: all bundled);
    see :func:`openbmd.guarantee.table`."""
    from ..guarantee import table, table_inputs

    return table(*table_inputs(guarantees, scenarios), progress=progress)


def cmd_table(args) -> int:
    from ..guarantee import table, table_inputs

    gs, scs = guarded(table_inputs)
    with progress("guarantee table", len(gs) * len(scs), args.quiet) as bar:
        rows = guarded(table, gs, scs, progress=bar)
    if args.json:
        print(json.dumps(rows))
        return 0
    wg = max(len(r["guarantee"]) for r in rows)
    ws = max(len(r["scenario"]) for r in rows)
    print(f"{'guarantee':<{wg}}  {'scenario':<{ws}}  complies  claim   binding assumption    margin*   mission")
    for r in rows:
        m = "-" if r["min_margin_s"] is None else f"{-r['min_margin_s']:+.0f} s"
        c = "-" if r["mission_coverage"] is None else f"{100 * r['mission_coverage']:.1f} %"
        print(f"{r['guarantee']:<{wg}}  {r['scenario']:<{ws}}  {'yes' if r['complies'] else 'NO':<8}  "
              f"{'holds' if r['claim_holds'] else 'FAILS':<6}  {r['binding_assumption']:<21}  {m:>7}  {c:>7}")
    print(f"\n* the closest protected trajectory's engagement margin ({ENGAGEMENT_MARGIN})")
    return 0


def cmd_speed_map(args) -> int:
    from ..synthesis import speed_map, write_speed_guarantee

    g, sc = _inputs(args)
    if not (args.step_deg >= 0.1 and math.isfinite(args.step_deg)):
        raise InputError(f"--step-deg must be >= 0.1, got {args.step_deg:g}")
    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers must be >= 0, got {args.workers}")
    with progress("speed map", None, args.quiet) as bar:
        sm = guarded(speed_map, g, sc, step_deg=args.step_deg, launch_delay=args.launch_delay_s,
                     template_name=args.template, workers=args.workers, scheduler=args.scheduler,
                     checkpoint=args.checkpoint, progress=lambda n: bar(1))
    if args.csv:
        sm.table.to_csv(args.csv, index=False)
    if args.plot:
        from ..report.certificate import plot_speed_map

        plot_speed_map(sm, args.plot)
    if args.write_guarantee:
        sites = [parse_point(s, "--site") for s in (args.site or [])]
        if not sites:
            sites = [(b.name, *b.stations[0]) for b in sc.batteries]
        path = guarded(write_speed_guarantee, g, sm, sites, args.write_guarantee)
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


def cmd_keep_out(args) -> int:
    from ..catalog import default_catalog
    from ..synthesis import keep_out, speed_map, write_keepout_guarantee

    g, sc = _inputs(args)
    if (args.interceptor is None) == (args.speed_km_s is None):
        raise InputError("give one of --interceptor NAME or --speed-km-s V")
    if args.interceptor:
        with input_errors():
            v = default_catalog().interceptor(args.interceptor).burnout_speed / 1e3
    else:
        v = args.speed_km_s
        if not (v > 0 and math.isfinite(v)):
            raise InputError(f"--speed-km-s must be positive, got {v:g}")
    with progress("speed map", None, args.quiet) as bar:
        sm = guarded(speed_map, g, sc, step_deg=args.step_deg, launch_delay=args.launch_delay_s,
                     template_name=args.template, workers=args.workers, scheduler=args.scheduler,
                     checkpoint=args.checkpoint, progress=lambda n: bar(1))
    ko = keep_out(sm, v)
    area = float(sum(geo_cell_area(r.lat_deg, args.step_deg) for r in ko.itertuples()))
    print(f"keep-out region for {v:g} km/s: {len(ko)} of {len(sm.table)} candidate cells, ~{area:,.0f} km2")
    if args.csv:
        ko.to_csv(args.csv, index=False)
    if args.write_guarantee:
        print(f"wrote {guarded(write_keepout_guarantee, g, sm, v, args.write_guarantee, args.interceptor or '')}")
    return 0


def geo_cell_area(lat_deg, step_deg):
    from ..geo import grid_cell_area_km2

    return float(grid_cell_area_km2(lat_deg, step_deg, step_deg))


def cmd_radar_sector(args) -> int:
    from ..synthesis import radar_sector, write_sector_guarantee

    g, sc = _inputs(args)
    s = guarded(radar_sector, g, sc, args.radar, guard_deg=args.guard_deg)
    print(f"radar {s.radar}: permissible field of view {s.azimuth_min_deg:g} -> {s.azimuth_max_deg:g} deg "
          f"(clockwise, {s.width_deg or 360:g} deg wide); the mission's trajectories it still sees there: "
          f"{100 * s.mission_share_in_sector:.1f} %")
    if args.write_guarantee:
        print(f"wrote {guarded(write_sector_guarantee, g, s, args.write_guarantee)}")
    return 0


def cmd_tradeoff(args) -> int:
    from ..synthesis import tradeoff

    g, sc = _inputs(args)
    speeds = None
    if args.speeds:
        try:
            speeds = [float(x) for x in args.speeds.split(",")]
        except ValueError:
            raise InputError(f"--speeds: expected comma-separated km/s values, got {args.speeds!r}") from None

        bad = [x for x in speeds if not (0 < x < MAX_BURNOUT_SPEED_KM_S)]
        if bad:
            raise InputError(f"--speeds: expected every speed > 0 and < {MAX_BURNOUT_SPEED_KM_S:g} km/s, got {bad[0]:g}")
    with progress("trade-off", None, args.quiet) as bar:
        df = guarded(tradeoff, g, sc, speeds, workers=args.workers, scheduler=args.scheduler,
                     checkpoint=args.checkpoint, progress=lambda n: bar(1))
    if args.csv:
        df.to_csv(args.csv, index=False)
    if args.plot:
        _plot_tradeoff(df, args.plot, g)
    if args.write_guarantee:
        from ..synthesis import write_tradeoff_guarantee

        if args.at_km_s is None:
            raise InputError("--write-guarantee needs --at-km-s V (the point of the curve to state as a limit)")
        print(f"wrote {guarded(write_tradeoff_guarantee, g, df, args.at_km_s, args.write_guarantee)}")
    print_records(df, args.json)
    return 0


def _plot_tradeoff(df, path, g):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..report.maps import save

    fig = Figure(figsize=(6.5, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(df["max_km_s"], 100 * df["protected_engageable_share"], "o-", color="#c0392b",
            label=f"{g.protected_role} trajectories engageable")
    ax.plot(df["max_km_s"], 100 * df["mission_coverage"], "s-", color="#2c7bb6", label=f"{g.mission_role} threats covered")
    ax.set_xlabel("burnout speed limit (km/s)")
    ax.set_ylabel("%")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Exposure versus coverage as the speed limit tightens", fontsize=9)
    save(fig, path)


def cmd_uncertainty(args) -> int:
    from ..uncertainty import monte_carlo

    g, sc = _inputs(args)
    if args.samples < 1:
        raise InputError(f"--samples must be >= 1, got {args.samples}")
    with progress("monte carlo", None, args.quiet) as bar:
        mc = guarded(monte_carlo, g, sc, samples=args.samples, seed=args.seed, workers=args.workers,
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


def cmd_observe(args) -> int:
    """Fly a flight test, observe it with the protected party's sensors,
    estimate the parameters the guarantee limits in tests."""
    from ..flighttests import fly, load_test
    from ..guarantee import load_guarantee
    from ..observe import ObserveError, observe, parse_sensor

    with input_errors():
        g = load_guarantee(args.guarantee)
        ft = load_test(args.test)
        sensors = [parse_sensor(s) for s in (args.sensor or [])]
        if args.runs < 1:
            raise ObserveError(f"--runs must be an integer >= 1, got {args.runs}")
        flown = fly(ft)
        ob = observe(g, flown, sensors, runs=args.runs, seed=args.seed)
    if args.json:
        print(json.dumps(ob.to_dict()))
        return 0
    print(f"guarantee: {g.name}\ntest:      {ft.name} ({ft.date}): {ft.description}")
    print(f"flown: interceptor launched {flown.interceptor_launch_time:.0f} s after the target, intercept at "
          f"{flown.intercept_time:.0f} s (fly-out passes {flown.miss_km:.1f} km from the target's position then)")
    print(f"sensors: {', '.join(s.name for s in sensors)}; {ob.runs} seeded runs (seed {ob.seed}); "
          "violation declared at 95 % (5 % false alarms at the limit)\n")
    if not ob.estimates:
        print("the guarantee sets no limit on flight tests: nothing to observe")
    for e in ob.estimates.values():
        lim = "-" if e.limit is None else f"{e.limit:g}"
        if not e.measured:
            print(f"  {e.what:26s} limit {lim} {e.unit}: true {e.true_value:.4g}; not measured by these sensors")
            continue
        verdict = "VIOLATION DETECTED" if e.detected_violation else "no violation detected"
        print(f"  {e.what:26s} limit {lim} {e.unit}: true {e.true_value:.4g}, estimated {e.estimated:.4g} "
              f"+- {e.sigma:.2g} ({verdict}); smallest violation seen at 95 %: {e.min_detectable_violation:.2g} {e.unit}")
    print("\nNotes:")
    for n in ob.notes:
        print(f"  - {n}")
    return 0


def add_parsers(sub) -> None:
    gfile, sfile = existing_file("guarantee"), existing_file("scenario")
    gp = sub.add_parser("guarantee", help="verify, synthesise and stress technical guarantees")
    gsub = gp.add_subparsers(dest="gcommand", metavar="ACTION", parser_class=type(gp))
    gsub.required = True
    v = gsub.add_parser("verify", help="does a deployment satisfy a guarantee, and does its claim hold? (exit 0/1)")
    v.add_argument("guarantee", type=gfile, help="guarantee file or bundled name")
    v.add_argument("scenario", type=sfile, help="scenario file or bundled name")
    v.add_argument("--json", action="store_true")
    v.add_argument("--report", metavar="DIR", type=output_folder(), help="write the certificate (HTML, JSON, maps) here")
    v.add_argument("--what-breaks", action="store_true",
                   help="also find the smallest single changes that break it (always done with --report)")
    v.add_argument("--observe", action="append", metavar="TEST", type=existing_file("flight-test"),
                   help="with --report: fly this flight test (file or bundled name; repeatable) and observe it with "
                        "--sensor, for the certificate's Verification section")
    v.add_argument("--sensor", action="append", metavar="NAME|LAT,LON", help="the protected party's sensor (repeatable)")
    v.add_argument("--runs", type=number(1, MAX_SAMPLES, integer=True), default=200, help="seeded Monte Carlo runs of each observation (default 200)")
    v.add_argument("--seed", type=seed(), default=0)
    v.add_argument("--quiet", action="store_true")
    add_no_assumptions(v)
    v.set_defaults(func=cmd_verify)
    ls = gsub.add_parser("list", help="the bundled guarantees, a line each")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    tb = gsub.add_parser("table", help="every bundled guarantee against every bundled scenario: complies, claim, "
                                      "binding assumption")
    tb.add_argument("--json", action="store_true")
    tb.add_argument("--quiet", action="store_true")
    tb.set_defaults(func=cmd_table)
    _add_synthesize(gsub, type(gp), gfile, sfile)
    o = gsub.add_parser("observe", help="fly a flight test, simulate the protected party's observation, estimate "
                                        "the limited parameters and whether a violation would be seen")
    o.add_argument("guarantee", type=gfile, help="guarantee file or bundled name (its limits on tests)")
    o.add_argument("test", type=existing_file("flight-test"), help="flight-test file or bundled name (src/openbmd/data/flight_tests)")
    o.add_argument("--sensor", action="append", metavar="NAME|LAT,LON",
                   help="a catalog radar, early-warning satellites, or LAT,LON for an observation ship (repeatable)")
    o.add_argument("--runs", type=number(1, MAX_SAMPLES, integer=True), default=200, help="seeded Monte Carlo runs of the measurement noise")
    o.add_argument("--seed", type=seed(), default=1)
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=cmd_observe)
    u = gsub.add_parser("uncertainty", help="Monte Carlo over the catalog's ranges: P(claim holds), sensitivity")
    u.add_argument("guarantee", type=gfile)
    u.add_argument("scenario", type=sfile)
    u.add_argument("--samples", type=number(1, MAX_SAMPLES, integer=True), default=1000)
    u.add_argument("--seed", type=seed(), default=1)
    u.add_argument("--csv", metavar="FILE", type=output_file())
    u.add_argument("--json", action="store_true")
    _dask_args(u)
    u.set_defaults(func=cmd_uncertainty)


def _add_synthesize(gsub, parser_class, gfile, sfile):
    """``guarantee synthesize speed-map | keep-out | radar-sector | tradeoff``."""
    s = gsub.add_parser("synthesize", help="synthesise guarantees (the permissible-speed map)")
    ssub = s.add_subparsers(dest="scommand", metavar="WHAT", parser_class=parser_class)
    ssub.required = True
    m = ssub.add_parser("speed-map", help="largest permissible interceptor burnout speed at each candidate site")
    m.add_argument("guarantee", type=gfile)
    m.add_argument("scenario", type=sfile, help="the scenario whose protected threats count")
    m.add_argument("--step-deg", type=number(0.1, 30, "deg"), default=0.5)
    m.add_argument("--launch-delay-s", type=delay(), help="interceptor launch after threat launch (default: the guarantee's)")
    m.add_argument("--template", default="SM-3 Block IIB", help="interceptor whose altitude band and range limits apply")
    m.add_argument("--csv", metavar="FILE", type=output_file())
    m.add_argument("--plot", metavar="FILE", type=output_file("map"))
    m.add_argument("--write-guarantee", metavar="FILE", type=output_file(), help="write a guarantee file with the limits at --site points")
    m.add_argument("--site", action="append", metavar="PLACE|LAT,LON", help="sites for --write-guarantee (default: the scenario's)")
    _dask_args(m)
    m.set_defaults(func=cmd_speed_map)
    k = ssub.add_parser("keep-out", help="where an interceptor of a given speed must not be based")
    k.add_argument("guarantee", type=gfile)
    k.add_argument("scenario", type=sfile)
    k.add_argument("--interceptor", metavar="NAME", help="catalog interceptor (its burnout speed)")
    k.add_argument("--speed-km-s", type=burnout_speed(), help="or a burnout speed")
    k.add_argument("--step-deg", type=number(0.1, 30, "deg"), default=0.5)
    k.add_argument("--launch-delay-s", type=delay())
    k.add_argument("--template", default="SM-3 Block IIB")
    k.add_argument("--csv", metavar="FILE", type=output_file())
    k.add_argument("--write-guarantee", metavar="FILE", type=output_file())
    _dask_args(k)
    k.set_defaults(func=cmd_keep_out)
    r = ssub.add_parser("radar-sector", help="the field of view a radar may keep without seeing protected trajectories")
    r.add_argument("guarantee", type=gfile)
    r.add_argument("scenario", type=sfile)
    r.add_argument("--radar", required=True, help="a radar of the scenario")
    r.add_argument("--guard-deg", type=number(0, 180, "deg"), default=2.0)
    r.add_argument("--write-guarantee", metavar="FILE", type=output_file())
    r.set_defaults(func=cmd_radar_sector)
    t = ssub.add_parser("tradeoff", help="protected exposure versus mission coverage as a speed limit tightens")
    t.add_argument("guarantee", type=gfile)
    t.add_argument("scenario", type=sfile)
    t.add_argument("--speeds", help="comma-separated speed limits in km/s (default: 2 km/s up to the fastest deployed)")
    t.add_argument("--csv", metavar="FILE", type=output_file())
    t.add_argument("--plot", metavar="FILE", type=output_file("map"))
    t.add_argument("--json", action="store_true")
    t.add_argument("--write-guarantee", metavar="FILE", type=output_file(), help="the limit at --at-km-s as a guarantee file")
    t.add_argument("--at-km-s", type=burnout_speed(), help="the speed limit of the curve to write")
    _dask_args(t)
    t.set_defaults(func=cmd_tradeoff)


def _dask_args(p):
    p.add_argument("--workers", type=number(0, MAX_WORKERS, integer=True), help="local Dask cluster with N workers (default: in process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask cluster")
    p.add_argument("--checkpoint", metavar="DIR", type=output_folder(), help="save each finished chunk here; a rerun resumes")
    p.add_argument("--quiet", action="store_true")
