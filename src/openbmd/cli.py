"""Command line: ``openbmd fly``, ``engage``, ``radar``, ``catalog`` (here) and
the scenario commands ``validate``, ``scenarios``, ``assess``, ``footprint``,
``phases``, ``south-vs-north``, ``report`` (in :mod:`openbmd.cli_scenario`).

Units are named at this edge (``--apogee-km``, ``--burnout-speed-km-s``); inside
everything is SI. Bad input gives one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tomllib
from pathlib import Path

from .errors import OpenBMDError

EXIT_BAD_INPUT = 2
_LATLON = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*,\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*$")
DEFAULT_BATCH = "default"


class InputError(OpenBMDError, ValueError):
    """Bad user input: printed as one line, exit status 2."""


# ------------------------------------------------------------------ input bounds ----
# Every number the command line takes has a physical range, checked by argparse
# before anything is computed (one line, exit 2). The limits are generous
# sanity bounds, not modelling claims:
MAX_BURNOUT_SPEED_KM_S = 11.0  # below escape speed at the surface (11.2 km/s): a ballistic vehicle comes back
MAX_DELAY_S = 86_400.0  # delays, track and decision times: at most a day
MAX_STEP_S = 600.0  # time-series and search steps
MAX_ALTITUDE_KM = 10_000.0  # apogees and intercept altitudes (ICBM apogees are ~1,000-4,000 km)
MAX_FLIGHT_TIME_S = 20_000.0  # aimed flight time (a fractional orbit takes ~5,000 s)
MAX_RCS_M2 = 10_000.0
MAX_SAMPLES = 1_000_000  # Monte Carlo samples and runs
MAX_COUNT = 1_000_000  # missiles in a raid, interceptors, ...
MAX_PER_MISSILE = 1_000  # warheads or decoys per missile
MAX_WORKERS = 1_024
MAX_SEED = 2**32 - 1


def _fmt_bound(x) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,g}"


def number(lo=None, hi=None, unit="", *, lo_open=False, hi_open=False, integer=False, why=""):
    """An argparse ``type``: a finite number (an integer with ``integer``)
    within lo..hi (either end open with lo_open / hi_open); anything else is
    refused at parse time naming the option, the range and the value."""
    kind = "an integer" if integer else "a number"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {_fmt_bound(lo)}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {_fmt_bound(hi)}{' ' + unit if unit else ''}")
    want = f"expected {kind} {' and '.join(parts)}".rstrip() + (f" ({why})" if why else "")

    def parse(text):
        try:
            v = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{want}, got {text!r}") from None
        ok = math.isfinite(v)
        if ok and lo is not None:
            ok = v > lo if lo_open else v >= lo
        if ok and hi is not None:
            ok = v < hi if hi_open else v <= hi
        if not ok:
            raise argparse.ArgumentTypeError(f"{want}, got {text}")
        return v

    parse.__name__ = kind.split()[-1]
    return parse


def burnout_speed(why="escape speed is 11.2 km/s; a ballistic vehicle stays below it"):
    return number(0, MAX_BURNOUT_SPEED_KM_S, "km/s", lo_open=True, hi_open=True, why=why)


def delay(why="at most a day"):
    return number(0, MAX_DELAY_S, "s", why=why)


def seed():
    return number(0, MAX_SEED, integer=True)


def _plot_formats(restricted):
    if restricted:  # report.maps.save: the formats the report's figures are written in
        return ("pdf", "png", "svg")
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple(sorted(FigureCanvasBase.get_supported_filetypes()))


def output_file(plot=None):
    """An argparse ``type`` for a file to write: not a directory, in a folder
    that exists; for ``plot`` ("any": matplotlib's formats; "map": PNG, SVG,
    PDF) an extension the plot can be written in. Checked before computing."""

    def parse(text):
        p = Path(text)
        if not text or p.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a directory; expected a file name to write")
        parent = p.parent
        if not parent.is_dir():
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: folder {str(parent)!r} does not exist")
        if plot:
            fmts = _plot_formats(plot == "map")
            ext = p.suffix.lower().lstrip(".")
            if ext not in fmts:
                raise argparse.ArgumentTypeError(f"cannot write a plot as {text!r}: expected a file name ending in "
                                                 f"one of {', '.join('.' + f for f in fmts)}")
        return text

    parse.__name__ = "file"
    return parse


def output_folder():
    """A folder to write into: created if missing, but never a file."""

    def parse(text):
        if not text or (Path(text).exists() and not Path(text).is_dir()):
            raise argparse.ArgumentTypeError(f"{text!r} is a file; expected a folder to write into")
        return text

    parse.__name__ = "folder"
    return parse


def existing_file(what="file"):
    """A file to read: a directory is refused as such (not 'no such file')."""

    def parse(text):
        if Path(text).is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a directory; expected a {what} file or a bundled name")
        return text

    parse.__name__ = "file"
    return parse


def parse_point(text: str, what: str):
    """``LAT,LON`` in degrees or a catalog place name -> (label, lat_rad, lon_rad)."""
    m = _LATLON.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not -90.0 <= lat <= 90.0:
            raise InputError(f"{what}: latitude must be within -90..90 degrees, got {lat:g} (in {text!r})")
        if not -180.0 <= lon <= 360.0:
            raise InputError(f"{what}: longitude must be within -180..360 degrees, got {lon:g} (in {text!r})")
        return f"{lat:g},{lon:g}", math.radians(lat), math.radians(lon)
    from .catalog import CatalogError, default_catalog

    try:
        p = default_catalog().place(text)
    except CatalogError as exc:
        raise InputError(f"{what}: {exc} (or give LAT,LON in degrees)") from None
    return p.name, p.lat, p.lon


def _model_options(args):
    from .earth import EarthModel
    from .flight import FlightOptions

    earth = EarthModel(shape=args.earth, rotation=not args.no_rotation, gravity=args.gravity)
    return FlightOptions(earth=earth, drag=not args.no_drag)


def _vehicle(args):
    from .catalog import CatalogError, default_catalog
    from .flight import Impulsive

    if args.impulsive:
        if args.missile:
            raise InputError("give either --missile or --impulsive, not both")
        return [Impulsive()]
    if not args.missile:
        raise InputError("fly needs a vehicle: --missile NAME (see 'openbmd catalog') or --impulsive")
    out = []
    for name in args.missile:
        try:
            out.append(default_catalog().missile(name))
        except CatalogError as exc:
            raise InputError(str(exc)) from None
    return out


def _positive(value, flag):
    if value is None:
        return None
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"{flag} must be a positive number, got {value:g}")
    return value


def _output_step(args):
    """The time-series step: as asked, else 5 s when a plot or samples need one."""
    return _positive(args.output_step_s, "--output-step-s") or (5.0 if args.plot or args.samples else None)


def _fly_shots(args):
    """Build and fly the shots of the command line (the cross product of
    missiles, launch points and targets). Returns (trajectories, labels)."""

    from .flight.aim import AimError, aim, max_range

    options = _model_options(args)
    vehicles = _vehicle(args)
    if not args.frm:
        raise InputError("fly needs a launch point: --from NAME or --from LAT,LON")
    origins = [parse_point(t, "--from") for t in args.frm]
    targets = [parse_point(t, "--to") for t in (args.to or [])]
    apogee = _positive(args.apogee_km, "--apogee-km")
    ftime = _positive(args.flight_time_s, "--flight-time-s")
    speed = _positive(args.burnout_speed_km_s, "--burnout-speed-km-s")
    step = _output_step(args)
    if apogee is not None and ftime is not None:
        raise InputError("give at most one of --apogee-km and --flight-time-s")
    labels = []
    if targets:
        if args.azimuth_deg is not None or args.max_range or speed is not None or args.elevation_deg is not None:
            raise InputError("with --to the shot is aimed: --azimuth-deg, --max-range, --burnout-speed-km-s and --elevation-deg do not apply")
        combos = [(v, o, t) for v in vehicles for o in origins for t in targets]
        mode = "apogee" if apogee else "flight-time" if ftime else "min-energy"
        try:
            tr = aim(
                [c[0] for c in combos],
                [c[1][1] for c in combos],
                [c[1][2] for c in combos],
                [c[2][1] for c in combos],
                [c[2][2] for c in combos],
                mode=mode,
                apogee=None if apogee is None else apogee * 1e3,
                flight_time=ftime,
                options=options,
                output_step=step,
            )
        except AimError as exc:
            raise InputError(str(exc)) from None
        labels = [(c[1][0], c[2][0]) for c in combos]
        return tr, labels
    if apogee is not None or ftime is not None:
        raise InputError("--apogee-km and --flight-time-s shape an aimed shot: give --to as well")
    if args.azimuth_deg is None:
        raise InputError("without --to give --azimuth-deg (with --max-range, or for --impulsive --burnout-speed-km-s and --elevation-deg)")
    az = math.radians(args.azimuth_deg % 360.0)
    combos = [(v, o) for v in vehicles for o in origins]
    vs = [c[0] for c in combos]
    lat = [c[1][1] for c in combos]
    lon = [c[1][2] for c in combos]
    labels = [(c[1][0], f"azimuth {args.azimuth_deg:g}") for c in combos]
    if args.impulsive:
        if speed is None:
            raise InputError("--impulsive without --to needs --burnout-speed-km-s")
        if args.max_range:
            if args.elevation_deg is not None:
                raise InputError("give either --elevation-deg or --max-range")
            return max_range(vs, lat, lon, az, speed=speed * 1e3, options=options, output_step=step), labels
        if args.elevation_deg is None:
            raise InputError("--impulsive needs --elevation-deg E or --max-range")
        if not -90 < args.elevation_deg <= 90:
            raise InputError(f"--elevation-deg must be within -90..90, got {args.elevation_deg:g}")
        from .flight import run

        opts = options.replace(output_step=step)
        return run(vs, lat, lon, az, speed=speed * 1e3, elevation=math.radians(args.elevation_deg), options=opts), labels
    if speed is not None or args.elevation_deg is not None:
        raise InputError("--burnout-speed-km-s and --elevation-deg apply to --impulsive only")
    if not args.max_range:
        raise InputError("a missile without --to flies with --azimuth-deg and --max-range")
    return max_range(vs, lat, lon, az, options=options, output_step=step), labels


def _batch_shots(path_or_name, args):
    """Fly a batch file: [[shot]] tables with missile, from, to and optional
    apogee_km / flight_time_s. ``default`` is the bundled batch."""
    from importlib import resources

    from .catalog import CatalogError, default_catalog
    from .flight.aim import AimError, aim

    if path_or_name == DEFAULT_BATCH:
        src = resources.files("openbmd") / "data" / "default_flights.toml"
        label = "bundled default_flights.toml"
    else:
        src = Path(path_or_name)
        label = str(src)
        if src.is_dir():
            raise InputError(f"--batch: {label!r} is a directory; expected a TOML file of [[shot]] tables")
        if not src.is_file():
            raise InputError(f"--batch: no such file {label!r}")
    try:
        with src.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{label}: not valid TOML: {exc}") from None
    shots = doc.get("shot")
    if not isinstance(shots, list) or not shots:
        raise InputError(f"{label}: expected one or more [[shot]] tables")
    options = _model_options(args)
    groups: dict[tuple, list] = {}
    cat = default_catalog()
    for j, s in enumerate(shots):
        where = f"{label}: shot #{j + 1}"
        for key in ("missile", "from", "to"):
            if key not in s:
                raise InputError(f"{where}: missing field '{key}'")
        unknown = set(s) - {"missile", "from", "to", "apogee_km", "flight_time_s", "label"}
        if unknown:
            raise InputError(f"{where}: unknown field(s) {sorted(unknown)}; expected missile, from, to, apogee_km, flight_time_s, label")
        try:
            m = cat.missile(s["missile"])
        except CatalogError as exc:
            raise InputError(f"{where}: field 'missile': {exc}") from None
        o = parse_point(str(s["from"]), f"{where}: field 'from'")
        t = parse_point(str(s["to"]), f"{where}: field 'to'")
        mode, val, tag = "min-energy", None, ""
        for key, check in (("apogee_km", number(0, MAX_ALTITUDE_KM, "km", lo_open=True)),
                           ("flight_time_s", number(0, MAX_FLIGHT_TIME_S, "s", lo_open=True))):
            if key in s:
                if isinstance(s[key], bool) or not isinstance(s[key], (int, float)):
                    raise InputError(f"{where}: field '{key}': expected a number, got {s[key]!r}")
                try:
                    check(str(s[key]))
                except argparse.ArgumentTypeError as exc:
                    raise InputError(f"{where}: field '{key}': {exc}") from None
        if "apogee_km" in s:
            mode, val = "apogee", float(s["apogee_km"]) * 1e3
            tag = f" [apogee {s['apogee_km']:,} km]"
        elif "flight_time_s" in s:
            mode, val = "flight-time", float(s["flight_time_s"])
            tag = f" [flight time {s['flight_time_s']:,} s]"
        if "label" in s:
            tag = f" [{s['label']}]"
        groups.setdefault(mode, []).append((j, m, o, (t[0] + tag, t[1], t[2]), val))

    results = []
    step = _output_step(args)
    for mode, items in groups.items():
        try:
            tr = aim(
                [it[1] for it in items],
                [it[2][1] for it in items],
                [it[2][2] for it in items],
                [it[3][1] for it in items],
                [it[3][2] for it in items],
                mode=mode,
                apogee=[it[4] for it in items] if mode == "apogee" else None,
                flight_time=[it[4] for it in items] if mode == "flight-time" else None,
                options=options,
                output_step=step,
            )
        except AimError as exc:
            bad = "" if exc.index is None else " (shot " + ", ".join(f"#{items[i][0] + 1}" for i in exc.index[:5]) + ")"
            raise InputError(f"{label}{bad}: {exc}") from None
        results.append((tr, [(it[2][0], it[3][0]) for it in items], [it[0] for it in items]))
    return results


def _summary_frame(tr, labels):
    df = tr.to_dataframe()
    df.insert(1, "from", [a for a, _ in labels])
    df.insert(2, "to", [b for _, b in labels])
    return df


def print_assumptions(lines, args, out=None):
    """The list of assumptions, after the answer; ``--no-assumptions`` leaves it out."""
    if getattr(args, "no_assumptions", False):
        return
    out = out or sys.stdout
    print("\nAssumptions:", file=out)
    for a in lines:
        print(f"  - {a}", file=out)


def add_no_assumptions(p):
    p.add_argument("--no-assumptions", action="store_true", help="leave out the list of assumptions printed after the answer")


def _print_table(df, out=sys.stdout):
    cols = [
        ("missile", "missile", None),
        ("from", "from", None),
        ("to", "to", None),
        ("range_km", "range km", "{:,.0f}"),
        ("burnout_time_s", "burnout s", "{:.0f}"),
        ("burnout_speed_km_s", "v_bo km/s", "{:.2f}"),
        ("burnout_altitude_km", "h_bo km", "{:.0f}"),
        ("burnout_flight_path_angle_deg", "gamma_bo deg", "{:.1f}"),
        ("apogee_km", "apogee km", "{:,.0f}"),
        ("flight_time_s", "flight s", "{:,.0f}"),
        ("reentry_speed_km_s", "v_re km/s", "{:.2f}"),
        ("reentry_angle_deg", "re angle deg", "{:.1f}"),
        ("impact_lat_deg", "impact lat", "{:.2f}"),
        ("impact_lon_deg", "impact lon", "{:.2f}"),
    ]
    if "miss_km" in df:
        cols.append(("miss_km", "miss km", "{:.3f}"))
    rows = []
    for _, r in df.iterrows():
        row = []
        for key, _, fmt in cols:
            v = r[key]
            if fmt is None:
                row.append(str(v))
            elif v is None or (isinstance(v, float) and not math.isfinite(v)):
                row.append("-")
            else:
                row.append(fmt.format(v))
        rows.append(row)
    heads = [h for _, h, _ in cols]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    left = {0, 1, 2}
    line = lambda cells: "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(heads), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print(line(r), file=out)


def cmd_fly(args) -> int:
    import pandas as pd

    if args.batch:
        if args.missile or args.impulsive or args.frm or args.to:
            raise InputError("--batch replaces --missile/--impulsive/--from/--to")
        parts = _batch_shots(args.batch, args)
        frames, trs = [], []
        order = []
        for tr, labels, idx in parts:
            frames.append(_summary_frame(tr, labels))
            trs.append((tr, labels))
            order += idx
        df = pd.concat(frames, ignore_index=True)
        df.index = order
        df = df.sort_index().reset_index(drop=True)
        tr0 = parts[0][0]
    else:
        tr0, labels = _fly_shots(args)
        trs = [(tr0, labels)]
        df = _summary_frame(tr0, labels)
    bad = df["status"] != "impact"
    if args.json:
        for rec in df.to_dict(orient="records"):
            print(json.dumps({k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in rec.items()}))
    else:
        _print_table(df)
    if args.csv:
        df.to_csv(args.csv, index=False)
    if args.parquet:
        df.to_parquet(args.parquet, index=False)
    if args.samples:
        frames = []
        base = 0
        for tr, _ in trs:
            s = tr.samples_dataframe()
            s["trajectory"] += base
            base += len(tr)
            frames.append(s)
        s = pd.concat(frames, ignore_index=True)
        (s.to_parquet if str(args.samples).endswith(".parquet") else lambda p: s.to_csv(p, index=False))(args.samples)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(12, 5.5))
        for tr, labels in trs:
            tr.plot(ax=ax, labels=[f"{n}: {a} -> {b}" for n, (a, b) in zip(tr.vehicle_names, labels)])
        fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        if not args.json:
            print(f"\nplot written to {args.plot}")
    if bad.any() and not args.json:
        print(f"\nnote: {int(bad.sum())} trajectory(ies) did not impact (status column)", file=sys.stderr)
    if not args.json:
        print_assumptions(tr0.options.assumptions(), args)
    return 0


def _threats_for(args):
    step = _positive(args.threat_step_s, "--threat-step-s")
    args.output_step_s = step
    tr, labels = _fly_shots(args)
    return tr, labels


def _radar_by_name(name):
    from .catalog import CatalogError, default_catalog

    try:
        return default_catalog().radar(name)
    except CatalogError as exc:
        raise InputError(str(exc)) from None


def cmd_engage(args) -> int:
    import numpy as np

    from .catalog import CatalogError, default_catalog
    from .engage import Battery, EngagementError, Timeline, engage
    from .vehicles import impulsive_interceptor

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
    _positive(args.rcs_m2, "--rcs-m2")
    if args.interceptor:
        try:
            ic = default_catalog().interceptor(args.interceptor)
        except CatalogError as exc:
            raise InputError(str(exc)) from None
    else:
        v = _positive(args.interceptor_burnout_speed_km_s, "--interceptor-burnout-speed-km-s")
        ic = impulsive_interceptor(v * 1e3)
    over = {}
    if args.min_intercept_altitude_km is not None:
        if args.min_intercept_altitude_km < 0:
            raise InputError(f"--min-intercept-altitude-km must be >= 0, got {args.min_intercept_altitude_km:g}")
        over["min_intercept_altitude"] = args.min_intercept_altitude_km * 1e3
    if args.max_intercept_altitude_km is not None:
        over["max_intercept_altitude"] = _positive(args.max_intercept_altitude_km, "--max-intercept-altitude-km") * 1e3
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
    sites = [parse_point(t, "--site") for t in args.site]
    radar = _radar_by_name(args.radar) if args.radar else None
    tr, labels = _threats_for(args)
    from .earth import geodesic_inverse

    for name, la, lo in sites:
        d, _ = geodesic_inverse(tr.launch_lat, tr.launch_lon, la, lo, tr.options.earth)
        if np.any(d < 50e3):
            j = int(np.argmin(d))
            raise InputError(
                f"--site {name}: the site is {d[j] / 1e3:.0f} km from the threat's launch point {labels[j][0]} "
                "(inside the launch area: no engagement geometry)"
            )
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
    kw = {}
    if args.coarse_step_s is not None:
        if not (args.coarse_step_s >= 0 and math.isfinite(args.coarse_step_s)):
            raise InputError(f"--coarse-step-s must be a number >= 0, got {args.coarse_step_s:g}")
        kw["coarse_step"] = args.coarse_step_s
    try:
        res = engage(tr, batteries, assessment_time=args.assessment_time_s, **kw)
    except EngagementError as exc:
        raise InputError(str(exc)) from None
    tl_labels = [f"{n}: {a} -> {b}" for n, (a, b) in zip(tr.vehicle_names, labels)]
    df = res.to_dataframe(tl_labels)
    if args.csv:
        df.to_csv(args.csv, index=False)
    if args.json:
        for rec in df.to_dict(orient="records"):
            rec["engageable"] = bool(rec["engageable"])
            print(json.dumps({k: (None if isinstance(v, float) and not math.isfinite(v) else
                                  (int(v) if isinstance(v, (np.integer,)) else v)) for k, v in rec.items()}))
        return 0
    fmt = {
        "earliest_launch_s": "{:.0f}", "latest_launch_s": "{:.0f}", "margin_s": "{:+.0f}",
        "earliest_intercept_s": "{:.0f}", "latest_intercept_s": "{:.0f}", "intercept_lat_deg": "{:.2f}",
        "intercept_lon_deg": "{:.2f}", "intercept_alt_km": "{:.0f}", "closing_speed_km_s": "{:.2f}",
        "crossing_angle_deg": "{:.0f}",
    }
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
    short = {"threat_name": "threat", "engageable": "engage?", "earliest_launch_s": "launch>= s",
             "latest_launch_s": "latest launch s", "margin_s": "margin s", "earliest_intercept_s": "first int s",
             "latest_intercept_s": "last int s", "intercept_lat_deg": "int lat", "intercept_lon_deg": "int lon",
             "intercept_alt_km": "int alt km", "closing_speed_km_s": "closing km/s", "crossing_angle_deg": "cross deg"}
    names = [short.get(h, h) for h in heads]
    w = [max(len(n), *(len(r[i]) for r in rows)) for i, n in enumerate(names)]
    print("  ".join(n.ljust(w[i]) if i < 2 else n.rjust(w[i]) for i, n in enumerate(names)))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print("  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(r)))
    print_assumptions(res.assumptions(), args)
    return 0


def cmd_radar(args) -> int:
    from .sensors import observe

    radars = [_radar_by_name(n) for n in args.radar]
    at = parse_point(args.radar_at, "--radar-at") if args.radar_at else None
    _positive(args.rcs_m2, "--rcs-m2")
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


def cmd_catalog(args) -> int:
    from .catalog import CatalogError, default_catalog

    cat = default_catalog()
    if args.name:
        try:
            found = cat.entry(args.name)
        except CatalogError as exc:
            raise InputError(str(exc)) from None
        entries = {**cat.place_entries, **cat.interceptor_entries, **cat.radar_entries}
        if cat.has_missile(args.name):
            entry = cat.missile_entries[found.name]
            extra = {
                "ideal_delta_v_km_s": round(found.ideal_delta_v / 1e3, 3),
                "launch_mass_kg": round(found.launch_mass, 1),
                "burn_time_s": found.burn_time,
            }
        else:
            entry = entries[found.name]
            extra = {"ideal_delta_v_km_s": round(found.ideal_delta_v / 1e3, 3)} if hasattr(found, "kill_vehicle_mass") else {}
        if args.json:
            print(json.dumps({**entry, "derived": extra}))
        else:
            for k, v in entry.items():
                if k == "stage":
                    for s, st in enumerate(v):
                        print(f"stage {s + 1}:")
                        for kk, vv in st.items():
                            print(f"    {kk:32s} {vv}")
                else:
                    print(f"{k:36s} {v}")
            for k, v in extra.items():
                print(f"{k:36s} {v}   (derived)")
        return 0
    rows = []
    if args.kind in (None, "missiles"):
        for m in cat.missiles.values():
            rows.append(
                {
                    "kind": "missile",
                    "name": m.name,
                    "aliases": ", ".join(m.aliases),
                    "what": f"{m.country} {m.category} {m.propellant}".strip(),
                    "published_range_km": None if m.published_range is None else m.published_range / 1e3,
                    "source": m.source,
                }
            )
    if args.kind in (None, "interceptors"):
        for ic in cat.interceptors.values():
            rows.append({"kind": "interceptor", "name": ic.name, "aliases": ", ".join(ic.aliases),
                         "what": f"{ic.country} {ic.burnout_speed / 1e3:.1f} km/s".strip(),
                         "published_range_km": None, "source": ic.source})
    if args.kind in (None, "radars"):
        for rd in cat.radars.values():
            rows.append({"kind": "radar", "name": rd.name, "aliases": ", ".join(rd.aliases),
                         "what": f"{rd.country} {rd.kind} {rd.max_range / 1e3:,.0f} km".strip(),
                         "published_range_km": None, "source": rd.source})
    if args.kind in (None, "places"):
        for p in cat.places.values():
            rows.append(
                {
                    "kind": p.kind,
                    "name": p.name,
                    "aliases": ", ".join(p.aliases),
                    "what": f"{p.country} {p.lat_deg:.2f},{p.lon_deg:.2f}",
                    "published_range_km": None,
                    "source": p.source,
                }
            )
    if args.json:
        for r in rows:
            print(json.dumps(r))
        return 0
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        rng = "" if r["published_range_km"] is None else f"{r['published_range_km']:,.0f} km"
        src = r["source"] if len(r["source"]) < 70 else r["source"][:67] + "..."
        print(f"{r['kind']:16s} {r['name']:{w}s}  {r['what']:34s} {rng:>10s}  {src}")
    print(f"\n{len(rows)} entries; 'openbmd catalog NAME' shows one with all its sources and ranges")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"openbmd: error: {message} (see --help)\n")


def _threat_args(f, batch=False):
    v = f.add_argument_group("vehicle")
    v.add_argument("--missile", action="append", metavar="NAME", help="catalog missile (repeatable)")
    v.add_argument("--impulsive", action="store_true", help="impulsive burnout at the launch point, at ground level")
    g = f.add_argument_group("geometry")
    g.add_argument("--from", dest="frm", action="append", metavar="PLACE|LAT,LON", help="launch point (repeatable)")
    g.add_argument("--to", action="append", metavar="PLACE|LAT,LON", help="target: the shot is aimed (repeatable)")
    g.add_argument("--apogee-km", type=number(0, MAX_ALTITUDE_KM, "km", lo_open=True), help="aimed lofted/depressed shot with this apogee")
    g.add_argument("--flight-time-s", type=number(0, MAX_FLIGHT_TIME_S, "s", lo_open=True), help="aimed lofted/depressed shot with this flight time")
    g.add_argument("--azimuth-deg", type=number(-360, 360, "deg"), help="launch azimuth when not aimed")
    g.add_argument("--max-range", action="store_true", help="the elevation/kick that maximises range")
    g.add_argument("--burnout-speed-km-s", type=burnout_speed(),
                   help=f"impulsive burnout speed, relative to the rotating Earth (below {MAX_BURNOUT_SPEED_KM_S:g} km/s)")
    g.add_argument("--elevation-deg", type=number(-90, 90, "deg", lo_open=True), help="impulsive burnout elevation above the horizon")
    if batch:
        g.add_argument("--batch", metavar="FILE|default", help="fly the [[shot]] tables of a TOML file ('default': the bundled set)")
    m = f.add_argument_group("model switches")
    m.add_argument("--earth", choices=("wgs84", "sphere"), default="wgs84")
    m.add_argument("--no-rotation", action="store_true")
    m.add_argument("--no-drag", action="store_true")
    m.add_argument("--gravity", choices=("j2", "point"), default="j2")


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


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = _Parser(prog="openbmd", description="Open ballistic-missile-defence physics from public sources.")
    p.add_argument("--version", action="version", version=f"openbmd {__version__}")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the persistent cache of aimed threats and fly-out tables "
                   "(also accepted after the command; OPENBMD_NO_CACHE=1 does the same)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    f = sub.add_parser(
        "fly",
        help="fly missiles: aimed at a target, or at maximum range along an azimuth",
        description="Fly trajectories and print a summary. Repeated --missile, --from and --to fly every combination. "
        "A negative coordinate needs '=': --from=-33.9,18.4.",
    )
    _threat_args(f, batch=True)
    o = f.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="one JSON object per trajectory")
    o.add_argument("--plot", metavar="FILE", type=output_file("any"), help="altitude versus ground range plot (PNG, PDF, SVG)")
    o.add_argument("--csv", metavar="FILE", type=output_file(), help="write the summary table as CSV")
    o.add_argument("--parquet", metavar="FILE", type=output_file(), help="write the summary table as Parquet")
    o.add_argument("--samples", metavar="FILE", type=output_file(), help="write the time series (CSV, or Parquet by extension)")
    add_no_assumptions(o)
    o.add_argument("--output-step-s", type=number(0, MAX_STEP_S, "s", lo_open=True), help="time step of the time series (default 5 s)")
    f.set_defaults(func=cmd_fly)
    e = sub.add_parser(
        "engage",
        help="can interceptors at these sites engage these threats? windows, margins, intercept points",
        description="Threats as for 'openbmd fly'; one or more --site; an interceptor; a timeline.",
    )
    _threat_args(e)
    _engage_args(e)
    e.add_argument("--json", action="store_true", help="one JSON object per threat and site")
    e.add_argument("--csv", metavar="FILE", type=output_file(), help="write the engagement table as CSV")
    add_no_assumptions(e)
    e.set_defaults(func=cmd_engage, output_step_s=None, plot=None, samples=None)
    r = sub.add_parser("radar", help="when do these radars detect and track these threats?")
    _threat_args(r)
    r.add_argument("--radar", action="append", metavar="NAME", required=True, help="catalog radar (repeatable)")
    r.add_argument("--radar-at", metavar="PLACE|LAT,LON", help="place a radar without a fixed site (a ship's) here")
    r.add_argument("--rcs-m2", type=number(0, MAX_RCS_M2, "m^2", lo_open=True), default=0.1, help="threat radar cross-section (default 0.1 m^2)")
    r.add_argument("--threat-step-s", type=number(0, MAX_STEP_S, "s", lo_open=True), default=1.0)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_radar, output_step_s=None, plot=None, samples=None)
    c = sub.add_parser("catalog", help="list catalog entries or show one with its sources")
    c.add_argument("name", nargs="?", help="entry to show (missile or place; aliases work)")
    c.add_argument("--kind", choices=("missiles", "places", "interceptors", "radars"))
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_catalog)
    from .cli_cache import add_parsers as add_cache
    from .cli_guarantee import add_parsers as add_guarantee
    from .cli_raid import add_parsers as add_raid
    from .cli_scenario import add_parsers

    add_parsers(sub)
    add_raid(sub)
    add_guarantee(sub)
    add_cache(sub)
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

    root = Path(__file__).resolve().parent
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


def _fix_negative_coords(argv):
    out = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--from", "--to") and i + 1 < len(argv) and argv[i + 1].startswith("-") and _LATLON.match(argv[i + 1]):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def main(argv=None) -> int:
    argv = _fix_negative_coords(list(sys.argv[1:] if argv is None else argv))
    end = argv.index("--") if "--" in argv else len(argv)
    no_cache = "--no-cache" in argv[:end]  # anywhere before '--', after the command too
    argv = [a for i, a in enumerate(argv) if not (a == "--no-cache" and i < end)]
    parser = build_parser()
    args = parser.parse_args(argv)
    if no_cache:
        from . import cache

        cache.disable(True)
    if args.command not in _NO_KERNELS and kernels_need_compiling():
        print("openbmd: first run: compiling the numerical kernels (about 3-5 minutes on 2 cores, once; "
              "later runs reuse them)", file=sys.stderr, flush=True)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
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


if __name__ == "__main__":
    sys.exit(main())
