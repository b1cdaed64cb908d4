"""``openbmd engage`` (can interceptors at these sites engage these threats?)
and ``openbmd radar`` (when do these radars detect and track them?)."""

from __future__ import annotations

import json
import math

from .common import (
    MAX_ALTITUDE_KM,
    MAX_RCS_M2,
    MAX_STEP_S,
    InputError,
    add_no_assumptions,
    burnout_speed,
    delay,
    fly_shots,
    input_errors,
    json_record,
    number,
    output_file,
    parse_point,
    positive,
    print_assumptions,
    threat_args,
)


def _threats_for(args):
    step = positive(args.threat_step_s, "--threat-step-s")
    args.output_step_s = step
    tr, labels = fly_shots(args)
    return tr, labels


def _radar_by_name(name):
    from ..catalog import default_catalog

    with input_errors():
        return default_catalog().radar(name)


def _check_engage_args(args):
    if not args.site:
        raise InputError("engage needs at least one --site PLACE|LAT,LON")
    if (args.interceptor is None) == (args.interceptor_burnout_speed_km_s is None):
        raise InputError("give one of --interceptor NAME or --interceptor-burnout-speed-km-s V")
    if (args.launch_delay_s is None) == (args.radar is None):
        raise InputError("give one of --launch-delay-s or --radar for the timeline")
    for flag in ("launch_delay_s", "track_time_s", "decision_time_s", "assessment_time_s"):
        v = getattr(args, flag)
        if v is not None and not (v >= 0 and math.isfinite(v)):
            raise InputError(f"--{flag.replace('_', '-')} must be a number >= 0, got {v:g}")
    positive(args.rcs_m2, "--rcs-m2")


def _interceptor(args):
    """The catalog or impulsive interceptor with the command line's overrides
    (intercept altitudes, tail-chase rules)."""
    from ..catalog import default_catalog
    from ..vehicles import impulsive_interceptor

    if args.interceptor:
        with input_errors():
            ic = default_catalog().interceptor(args.interceptor)
    else:
        v = positive(args.interceptor_burnout_speed_km_s, "--interceptor-burnout-speed-km-s")
        ic = impulsive_interceptor(v * 1e3)
    over = {}
    if args.min_intercept_altitude_km is not None:
        if args.min_intercept_altitude_km < 0:
            raise InputError(f"--min-intercept-altitude-km must be >= 0, got {args.min_intercept_altitude_km:g}")
        over["min_intercept_altitude"] = args.min_intercept_altitude_km * 1e3
    if args.max_intercept_altitude_km is not None:
        over["max_intercept_altitude"] = positive(args.max_intercept_altitude_km, "--max-intercept-altitude-km") * 1e3
    if args.tail_chase:
        over["tail_chase"] = True
    if args.tail_chase_closing_speed_km_s is not None:
        if not args.tail_chase_closing_speed_km_s >= 0:
            raise InputError(f"--tail-chase-closing-speed-km-s must be >= 0, got {args.tail_chase_closing_speed_km_s:g}")
        over["tail_chase_closing_speed"] = args.tail_chase_closing_speed_km_s * 1e3
    if args.receding_is_tail_chase:
        over["tail_chase_closing_speed"] = float("inf")
    if over:
        try:
            ic = ic.replace(**over)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    return ic


def _check_sites(sites, tr, labels):
    """A site inside the threat's launch area (within 50 km) has no engagement geometry."""
    import numpy as np

    from ..earth import geodesic_inverse

    for name, la, lo in sites:
        d, _ = geodesic_inverse(tr.launch_lat, tr.launch_lon, la, lo, tr.options.earth)
        if np.any(d < 50e3):
            j = int(np.argmin(d))
            raise InputError(
                f"--site {name}: the site is {d[j] / 1e3:.0f} km from the threat's launch point {labels[j][0]} "
                "(inside the launch area: no engagement geometry)"
            )


def _batteries(args, sites, ic, radar):
    """One battery per site, with a fixed launch delay or cued by ``radar``."""
    from ..engage import Battery, Timeline

    batteries = []
    for name, la, lo in sites:
        if radar is None:
            tl = Timeline(launch_delay=args.launch_delay_s, decision_time=args.decision_time_s)
        else:
            rd = radar.at(la, lo) if radar.mobile else radar
            mode = "own radar" if (rd.lat, rd.lon) == (la, lo) else "launch-on-remote"
            tl = Timeline(radar=rd, track_time=args.track_time_s, decision_time=args.decision_time_s,
                          rcs=args.rcs_m2, mode=mode)
        batteries.append(Battery(name, la, lo, ic, tl))
    return batteries


_ENGAGE_FMT = {
    "earliest_launch_s": "{:.0f}", "latest_launch_s": "{:.0f}", "margin_s": "{:+.0f}",
    "earliest_intercept_s": "{:.0f}", "latest_intercept_s": "{:.0f}", "intercept_lat_deg": "{:.2f}",
    "intercept_lon_deg": "{:.2f}", "intercept_alt_km": "{:.0f}", "closing_speed_km_s": "{:.2f}",
    "crossing_angle_deg": "{:.0f}",
}


_ENGAGE_HEADS = {"threat_name": "threat", "engageable": "engage?", "earliest_launch_s": "launch>= s",
                 "latest_launch_s": "latest launch s", "margin_s": "margin s", "earliest_intercept_s": "first int s",
                 "latest_intercept_s": "last int s", "intercept_lat_deg": "int lat", "intercept_lon_deg": "int lon",
                 "intercept_alt_km": "int alt km", "closing_speed_km_s": "closing km/s", "crossing_angle_deg": "cross deg"}


def _print_engagements(df):
    """The engagement table: threat and site left-aligned, the numbers right-aligned."""
    fmt = _ENGAGE_FMT
    heads = ["threat_name", "site", "engageable", *fmt, "shots"]
    rows = []
    for rec in df.to_dict(orient="records"):
        row = []
        for h in heads:
            v = rec[h]
            if h in fmt:
                row.append("-" if v is None or not math.isfinite(v) else fmt[h].format(v))
            else:
                row.append("yes" if v is True else "no" if v is False else str(v))
        rows.append(row)
    names = [_ENGAGE_HEADS.get(h, h) for h in heads]
    w = [max(len(n), *(len(r[i]) for r in rows)) for i, n in enumerate(names)]
    print("  ".join(n.ljust(w[i]) if i < 2 else n.rjust(w[i]) for i, n in enumerate(names)))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print("  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(r)))


def cmd_engage(args) -> int:
    from ..engage import engage

    _check_engage_args(args)
    ic = _interceptor(args)
    sites = [parse_point(t, "--site") for t in args.site]
    radar = _radar_by_name(args.radar) if args.radar else None
    tr, labels = _threats_for(args)
    _check_sites(sites, tr, labels)
    batteries = _batteries(args, sites, ic, radar)
    kw = {}
    if args.coarse_step_s is not None:
        if not (args.coarse_step_s >= 0 and math.isfinite(args.coarse_step_s)):
            raise InputError(f"--coarse-step-s must be a number >= 0, got {args.coarse_step_s:g}")
        kw["coarse_step"] = args.coarse_step_s
    with input_errors():
        res = engage(tr, batteries, assessment_time=args.assessment_time_s, **kw)
    tl_labels = [f"{n}: {a} -> {b}" for n, (a, b) in zip(tr.vehicle_names, labels)]
    df = res.to_dataframe(tl_labels)
    if args.csv:
        df.to_csv(args.csv, index=False)
    if args.json:
        for rec in df.to_dict(orient="records"):
            rec["engageable"] = bool(rec["engageable"])
            print(json.dumps(json_record(rec)))
        return 0
    _print_engagements(df)
    print_assumptions(res.assumptions(), args)
    return 0


def cmd_radar(args) -> int:
    from ..sensors import observe

    radars = [_radar_by_name(n) for n in args.radar]
    at = parse_point(args.radar_at, "--radar-at") if args.radar_at else None
    positive(args.rcs_m2, "--rcs-m2")
    tr, labels = _threats_for(args)
    out = []
    for rd in radars:
        if at is not None:
            rd = rd.at(at[1], at[2])
        elif rd.mobile:
            raise InputError(f"radar {rd.name!r} has no fixed site (a ship's or a mobile radar): give --radar-at PLACE|LAT,LON")
        rep = observe(tr, rd, args.rcs_m2)
        for i, (a, b) in enumerate(labels):
            out.append({
                "radar": rd.name,
                "threat": f"{tr.vehicle_names[i]}: {a} -> {b}",
                "detection_range_km": float(rd.detection_range(args.rcs_m2)) / 1e3,
                "detection_s": None if not math.isfinite(rep.detection_time[i]) else float(rep.detection_time[i]),
                "track_s": None if not math.isfinite(rep.track_time[i]) else float(rep.track_time[i]),
                "visible_intervals_s": [[round(x, 1), round(y, 1)] for x, y in rep.intervals[i]],
            })
    if args.json:
        for rec in out:
            print(json.dumps(rec))
        return 0
    for rec in out:
        det = "never" if rec["detection_s"] is None else f"{rec['detection_s']:.0f} s"
        trk = "never" if rec["track_s"] is None else f"{rec['track_s']:.0f} s"
        ivs = ", ".join(f"{x:.0f}-{y:.0f}" for x, y in rec["visible_intervals_s"]) or "-"
        print(f"{rec['radar']}  |  {rec['threat']}  |  detects {det}, track {trk}  |  visible {ivs} s "
              f"(detection range {rec['detection_range_km']:,.0f} km at {args.rcs_m2:g} m^2)")
    return 0


def _engage_args(e):
    d = e.add_argument_group("defence")
    d.add_argument("--site", action="append", metavar="PLACE|LAT,LON", help="interceptor site (repeatable)")
    d.add_argument("--interceptor", metavar="NAME", help="catalog interceptor (its staged fly-out is flown)")
    d.add_argument("--interceptor-burnout-speed-km-s", type=burnout_speed(), metavar="V",
                   help="an impulsive interceptor: burnout at the site, at ground level, at launch")
    d.add_argument("--min-intercept-altitude-km", type=number(0, MAX_ALTITUDE_KM, "km"), help="override the interceptor's lowest intercept altitude")
    d.add_argument("--max-intercept-altitude-km", type=number(0, MAX_ALTITUDE_KM, "km", lo_open=True), help="override the interceptor's highest intercept altitude")
    d.add_argument("--tail-chase", action="store_true", help="allow every intercept geometry, tail chases too")
    d.add_argument("--tail-chase-closing-speed-km-s", type=number(0, 30, "km/s"), metavar="V",
                   help="a receding geometry closing slower than V is a tail chase (default 3, an assumption)")
    d.add_argument("--receding-is-tail-chase", action="store_true",
                   help="the older rule: refuse every geometry whose range from the site is opening")
    t = e.add_argument_group("timeline (one of --launch-delay-s or --radar)")
    t.add_argument("--launch-delay-s", type=delay(), help="earliest interceptor launch, s after threat launch (0 to a day)")
    t.add_argument("--radar", metavar="NAME", help="cueing radar (catalog); a radar without a fixed site sits at each battery")
    t.add_argument("--track-time-s", type=delay(), help="detection to firm track (default: the radar's)")
    t.add_argument("--decision-time-s", type=delay(), default=30.0, help="track to launch decision (default 30 s, assumed)")
    t.add_argument("--rcs-m2", type=number(0, MAX_RCS_M2, "m^2", lo_open=True), default=0.1, help="threat radar cross-section (default 0.1 m^2)")
    t.add_argument("--assessment-time-s", type=delay(), default=60.0, help="kill assessment for shoot-look-shoot (default 60 s)")
    t.add_argument("--threat-step-s", type=number(0, MAX_STEP_S, "s", lo_open=True), default=1.0, help="threat time-series step (default 1 s)")
    t.add_argument("--coarse-step-s", type=number(0, MAX_STEP_S, "s"), default=None,
                   help="coarse step of the window search (default 24 s; 0: look at every sample)")


def add_parsers(sub) -> None:
    e = sub.add_parser(
        "engage",
        help="can interceptors at these sites engage these threats? windows, margins, intercept points",
        description="Threats as for 'openbmd fly'; one or more --site; an interceptor; a timeline.",
    )
    threat_args(e)
    _engage_args(e)
    e.add_argument("--json", action="store_true", help="one JSON object per threat and site")
    e.add_argument("--csv", metavar="FILE", type=output_file(), help="write the engagement table as CSV")
    add_no_assumptions(e)
    e.set_defaults(func=cmd_engage, output_step_s=None, plot=None, samples=None)
    r = sub.add_parser("radar", help="when do these radars detect and track these threats?")
    threat_args(r)
    r.add_argument("--radar", action="append", metavar="NAME", required=True, help="catalog radar (repeatable)")
    r.add_argument("--radar-at", metavar="PLACE|LAT,LON", help="place a radar without a fixed site (a ship's) here")
    r.add_argument("--rcs-m2", type=number(0, MAX_RCS_M2, "m^2", lo_open=True), default=0.1, help="threat radar cross-section (default 0.1 m^2)")
    r.add_argument("--threat-step-s", type=number(0, MAX_STEP_S, "s", lo_open=True), default=1.0)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_radar, output_step_s=None, plot=None, samples=None)
