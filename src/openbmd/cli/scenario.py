"""Command line for scenarios: ``validate``, ``scenarios``, ``assess``,
``footprint``, ``phases``, ``robustness``, ``south-vs-north`` and ``report``.

Each command is a thin face on the analysis functions of the Python API;
bad input gives one line on stderr and exit status 2; long runs show a
progress bar on stderr (``--quiet`` turns it off).
"""

from __future__ import annotations

import json
import math
import sys

from .common import (
    InputError,
    add_no_assumptions,
    add_table_options,
    existing_file,
    guarded,
    json_record,
    load_scenario,
    number,
    output_file,
    output_folder,
    print_assumptions,
    print_records,
    progress,
)


def _steps(sc, footprint=True):
    """Progress steps of one scenario: its assessment, and its footprint."""
    return 1 + (1 if footprint and sc.footprint is not None else 0)


def cmd_validate(args) -> int:
    from ..scenario import ScenarioError, load

    bad = 0
    for ref in args.file:
        try:
            sc = load(ref)
        except ScenarioError as exc:
            print(f"openbmd: error: {exc}", file=sys.stderr)
            bad += 1
            continue
        if sc.is_comparison:
            print(f"{ref}: ok: comparison {sc.name!r} of {len(sc.phases)} scenarios: "
                  + ", ".join(p.name for p in sc.phases))
        else:
            n = sum(len(t.launches) * len(t.targets) * len(t.profiles) for t in sc.threats)
            print(f"{ref}: ok: {sc.name!r} ({' <- '.join(reversed(sc.files))}): {len(sc.batteries)} batteries, "
                  f"{len(sc.radars)} radars, {len(sc.threats)} threat groups (up to {n} trajectories), "
                  f"analyses {', '.join(sc.analyses)}")
    return 2 if bad else 0


def cmd_scenarios(args) -> int:
    from ..scenario import bundled_names, load

    rows = []
    for n in bundled_names():
        sc = load(n)
        rows.append((n, sc.name, "comparison" if sc.is_comparison else f"{len(sc.batteries)} batteries"))
    w = max(len(r[0]) for r in rows)
    for n, name, what in rows:
        print(f"{n:{w}s}  {what:14s}  {name}")
    print("\n'default' is epaa-phases; 'openbmd validate NAME' checks one, 'openbmd report NAME -o DIR' runs it")
    return 0


def cmd_assess(args) -> int:
    from ..analysis import assess

    sc = load_scenario(args.scenario)
    members = sc.phases if sc.is_comparison else [sc]
    for m in members:
        with progress(f"assess {m.name}", 1, args.quiet) as bar:
            a = guarded(assess, m, progress=bar)
        df = a.per_threat() if args.per == "threat" else a.per_field() if args.per == "field" else a.pairs
        if args.csv:
            df.to_csv(args.csv if len(members) == 1 else f"{args.csv.rsplit('.', 1)[0]}-{members.index(m) + 1}.csv",
                      index=False)
        if args.json:
            for rec in df.to_dict(orient="records"):
                rec = {"scenario": m.name, **rec}
                print(json.dumps(json_record(rec)))
            continue
        print(f"\n== {m.name}")
        cols = {"threat": ["label", "role", "engageable", "batteries_able", "best_margin_s", "best_battery", "shots"],
                "field": None, "pair": ["label", "battery", "engageable", "margin_s", "earliest_intercept_s",
                                        "latest_intercept_s", "intercept_lat_deg", "intercept_lon_deg",
                                        "intercept_alt_km", "shots"]}[args.per]
        print_records(df if cols is None else df[cols], False)
        if len(a.flights.skipped):
            print(f"\n{len(a.flights.skipped)} pair(s) not flown (no listed missile reaches, or the profile cannot be flown):")
            print_records(a.flights.skipped, False)
        print_assumptions(a.assumptions(), args)
    return 0


def cmd_footprint(args) -> int:
    from ..analysis import footprint

    sc = load_scenario(args.scenario)
    if sc.is_comparison:
        raise InputError(f"{args.scenario}: a comparison; give one of its members ({', '.join(p.name for p in sc.phases)})")
    if sc.footprint is None:
        raise InputError(f"{args.scenario}: the scenario has no [analyses.footprint] (launch_area, missile, region_deg)")
    if args.step_deg is not None and not (args.step_deg >= 0.05 and math.isfinite(args.step_deg)):
        raise InputError(f"--step-deg must be a number >= 0.05, got {args.step_deg:g}")
    with progress("footprint", 1, args.quiet) as bar:
        fp = guarded(footprint, sc, progress=bar, step_deg=args.step_deg)
    if args.csv:
        fp.to_dataframe().to_csv(args.csv, index=False)
    if args.plot:
        from ..report.build import fig_footprint

        fig_footprint([(sc.name, fp)], args.plot)
    if args.json:
        print(json.dumps(json_record(fp.summary())))
        return 0
    for k, v in fp.summary().items():
        print(f"{k:30s} {v:,.6g}" if isinstance(v, float) else f"{k:30s} {v}")
    if len(fp.countries):
        print()
        print_records(fp.countries, False)
    print()
    print_records(fp.cities, False)
    print_assumptions(fp.assumptions, args)
    return 0


def cmd_phases(args) -> int:
    from ..analysis import phases

    sc = load_scenario(args.scenario)
    total = sum(_steps(m, not args.no_footprint) for m in (sc.phases or [sc]))
    with progress("phases", total, args.quiet) as bar:
        comp = guarded(phases, sc, progress=bar, footprints=not args.no_footprint)
    table = comp.table()
    table.insert(1, "assumptions", "as declared")
    if args.csv:
        table.to_csv(args.csv, index=False)
    if args.json:
        print_records(table, True)
        return 0
    # the text table: the headline columns (the closest trajectory and the reachable area: --json, --csv)
    show = table.drop(columns=["assumptions", "strategic_closest", "footprint_reachable_km2"])
    if args.no_footprint:
        show = show.drop(columns=["defended_area_km2"])
    print_records(show, False)
    print("\nMargins are engagement margins: positive, the best battery could launch that many seconds\n"
          "later and still intercept; negative, it is that many seconds too late (not engageable).")
    print("These figures use each scenario's cues as declared; `openbmd robustness` gives them under\n"
          "own-radar, remote and early-warning-launch cues, the tail-chase rules and the signature models.")
    pf = comp.per_field()
    names = list(pf.columns)
    print("\nStrategic trajectories engageable, share per launch field and phase:")
    for k, n in enumerate(names):
        print(f"  [{k + 1}] {n}")
    pf.columns = [f"phase{k + 1}_share" for k in range(len(names))]
    pf = pf.reset_index().rename(columns={"index": "launch"})
    print()
    print_records(pf, False, heads={f"phase{k + 1}_share": f"[{k + 1}]" for k in range(len(names))})
    return 0


def cmd_robustness(args) -> int:
    from ..analysis.robustness import SETS, robustness

    sc = load_scenario(args.scenario)
    sets = SETS if not args.sets else tuple(x.strip() for x in args.sets.split(","))
    bad = [x for x in sets if x not in SETS]
    if bad:
        raise InputError(f"--sets: unknown assumption set {bad[0]!r} (known: {', '.join(SETS)})")
    total = len(sc.phases or [sc]) * len(sets)
    with progress("robustness", total, args.quiet) as bar:
        res = guarded(robustness, sc, sets, balance=not args.no_balance, progress=bar)
    if args.json:
        for rec in res.records():
            print(json.dumps(json_record(rec)))
        return 0
    m = res.matrix()
    flips = res.flips()
    phases = list(m.columns)
    print("Share of strategic trajectories engageable, per assumption set (rows) and phase (columns);")
    print("'*' marks a cell whose answer (any engageable or none) differs from 'as declared'.\n")
    for k, ph in enumerate(phases):
        print(f"  [{k + 1}] {ph}")
    w = max(len(x) for x in m.index)
    print("\n" + " " * w + "".join(f"{'[' + str(k + 1) + ']':>10s}" for k in range(len(phases))))
    for row in m.index:
        cells = "".join(f"{(100 * m.loc[row, ph] if m.loc[row, ph] == m.loc[row, ph] else float('nan')):8.1f}%"
                        f"{'*' if flips.loc[row, ph] else ' '}" for ph in phases)
        print(f"{row:<{w}s}{cells}")
    if not args.no_balance:
        wm = res.matrix("warheads_engageable")
        print("\nWarheads on engageable trajectories (the scenario's [balance] force and first attack):\n")
        for row in wm.index:
            print(f"{row:<{w}s}" + "".join(f"{wm.loc[row, ph]:>10,.0f}" if wm.loc[row, ph] == wm.loc[row, ph]
                                           else f"{'-':>10s}" for ph in phases))
    sm = res.matrix("southern_covered_share")
    print("\nShare of southern threats covered:\n")
    for row in sm.index:
        print(f"{row:<{w}s}" + "".join(f"{100 * sm.loc[row, ph]:9.1f}%" if sm.loc[row, ph] == sm.loc[row, ph]
                                       else f"{'-':>10s}" for ph in phases))
    if not args.no_assumptions:
        print()
        for line in res.assumptions():
            print(f"  {line}")
    return 0


def cmd_south_vs_north(args) -> int:
    from ..analysis import assess, south_vs_north

    sc = load_scenario(args.scenario)
    for m in (sc.phases or [sc]):
        with progress(f"assess {m.name}", 1, args.quiet) as bar:
            a = guarded(assess, m, progress=bar)
        df = south_vs_north(a)
        if args.json:
            for rec in df.to_dict(orient="records"):
                print(json.dumps({"scenario": m.name, **json_record(rec)}))
            continue
        print(f"\n== {m.name}")
        print_records(df, False)
    return 0


def cmd_report(args) -> int:
    from ..report.build import write_report

    sc = load_scenario(args.scenario)
    members = sc.phases or [sc]
    from ..analysis.robustness import SETS

    total = sum(_steps(m, sc.is_comparison or "footprint" in m.analyses) + 1 + len(SETS) for m in members) + (
        1 if sc.is_comparison else 0)
    with progress("report", total, args.quiet) as bar:
        res = guarded(write_report, sc, args.output, fmt=args.format, progress=bar, full_geo=args.full_geo)
    print(f"wrote {res.out_dir / 'report.html'} ({len(res.files)} files)")
    if "phases" in res.data and not args.quiet:
        for p in res.data["phases"]:
            s = p["strategic_engageable_share"]
            c = p["southern_covered_share"]
            print(f"  {p['name']:52s} strategic engageable {100 * s if s is not None else float('nan'):5.1f} %  "
                  f"southern covered {100 * c if c is not None else float('nan'):5.1f} %  "
                  f"defended {p['defended_area_km2'] or 0:,.0f} km2")
    if res.data.get("balance") and not args.quiet:
        print("strategic balance (expected, warheads):")
        for b in res.data["balance"]:
            print(f"  {b['name'][:40]:40s} {b['attack'][:32]:32s} launched {b['warheads_total']:6,.0f}  "
                  f"engageable {b['warheads_engageable']:6,.1f}  attrited {b['warheads_attrited_expected']:6,.1f}")
    return 0



def add_parsers(sub):
    sfile = existing_file("scenario")
    v = sub.add_parser("validate", help="check scenario files (errors name the file, line and field)")
    v.add_argument("file", nargs="+", type=sfile, help="scenario file or bundled name")
    v.set_defaults(func=cmd_validate)
    s = sub.add_parser("scenarios", help="list the bundled scenarios")
    s.set_defaults(func=cmd_scenarios)

    def common(p, json_help="one JSON object per row"):
        p.add_argument("scenario", nargs="?" if p.prog.endswith("phases") else None, default="default", type=sfile,
                       help="scenario file or bundled name (see 'openbmd scenarios')")
        p.add_argument("--json", action="store_true", help=json_help)
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        add_table_options(p)

    a = sub.add_parser("assess", help="the engagement matrix of every threat against every battery")
    common(a)
    a.add_argument("--per", choices=("threat", "field", "pair"), default="threat", help="rows: per threat (default), field or pair")
    a.add_argument("--csv", metavar="FILE", type=output_file())
    add_no_assumptions(a)
    a.set_defaults(func=cmd_assess)
    f = sub.add_parser("footprint", help="the defended area over a grid of aim points")
    common(f, "one JSON object with the figures")
    f.add_argument("--step-deg", type=number(0.05, 30, "deg"), help="grid step (default: the scenario's)")
    f.add_argument("--csv", metavar="FILE", type=output_file(), help="every aim point")
    f.add_argument("--plot", metavar="FILE", type=output_file("map"), help="footprint map (PNG, SVG, PDF)")
    add_no_assumptions(f)
    f.set_defaults(func=cmd_footprint)
    p = sub.add_parser("phases", help="architectures side by side (default: the bundled EPAA comparison)",
                       description="Architectures side by side. Margins are engagement margins: positive, the best "
                       "battery could launch that many seconds later and still intercept; negative, it is that many "
                       "seconds too late. The text table shows the headline columns; --json and --csv carry all.")
    common(p, "one JSON object per phase")
    p.add_argument("--csv", metavar="FILE", type=output_file())
    p.add_argument("--no-footprint", action="store_true", help="skip the defended-area footprints (faster)")
    p.set_defaults(func=cmd_phases)
    rb = sub.add_parser("robustness", help="every headline under each assumption set (cues, tail chase, signatures)")
    rb.add_argument("scenario", nargs="?", default="default", type=sfile, help="scenario file or bundled name (default: the EPAA comparison)")
    rb.add_argument("--json", action="store_true", help="one JSON object per phase and assumption set")
    rb.add_argument("--quiet", action="store_true", help="no progress bar")
    rb.add_argument("--sets", metavar="A,B", help="comma-separated assumption sets (default: all)")
    rb.add_argument("--no-balance", action="store_true", help="skip the warhead counts (faster)")
    add_table_options(rb)
    add_no_assumptions(rb)
    rb.set_defaults(func=cmd_robustness)
    n = sub.add_parser("south-vs-north", help="the stated mission and the feared one side by side")
    common(n)
    n.set_defaults(func=cmd_south_vs_north)
    r = sub.add_parser("report", help="HTML report with maps, plots and tables, plus CSV/Parquet/JSON/GeoJSON/KML/CZML")
    r.add_argument("scenario", type=sfile, help="scenario file or bundled name ('default': the EPAA phase comparison)")
    r.add_argument("-o", "--output", required=True, metavar="DIR", type=output_folder(), help="report folder (created; an earlier report there is replaced)")
    r.add_argument("--format", choices=("png", "svg", "pdf"), default="png", help="figure format (vector: svg, pdf)")
    r.add_argument("--full-geo", action="store_true", help="map layers at full resolution, with KML and CZML (tens of MB); default: one compact, gzip-compressed GeoJSON per architecture")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=cmd_report)

