"""What every command of the command line shares: input parsing (the range
checked argparse types, points, the threat options and the shots they fly),
progress bars, scenario loading, the one mapping of library errors to input
errors, the JSON-safe conversion and the printing of records and tables.

The command modules (:mod:`.fly`, :mod:`.engage`, ...) import this module and
the library only. Units are named at this edge (``--apogee-km``,
``--burnout-speed-km-s``); inside everything is SI. Bad input gives one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from contextlib import contextmanager
from pathlib import Path

from ..errors import OpenBMDError

EXIT_BAD_INPUT = 2
LATLON = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*,\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*$")


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
    m = LATLON.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not -90.0 <= lat <= 90.0:
            raise InputError(f"{what}: latitude must be within -90..90 degrees, got {lat:g} (in {text!r})")
        if not -180.0 <= lon <= 360.0:
            raise InputError(f"{what}: longitude must be within -180..360 degrees, got {lon:g} (in {text!r})")
        return f"{lat:g},{lon:g}", math.radians(lat), math.radians(lon)
    from ..catalog import CatalogError, default_catalog

    try:
        p = default_catalog().place(text)
    except CatalogError as exc:
        raise InputError(f"{what}: {exc} (or give LAT,LON in degrees)") from None
    return p.name, p.lat, p.lon


# ------------------------------------------------------------------ threats ----
# The threat options of fly, engage and radar, and the shots they fly.
def threat_args(f, batch=False):
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


def model_options(args):
    from ..earth import EarthModel
    from ..flight import FlightOptions

    earth = EarthModel(shape=args.earth, rotation=not args.no_rotation, gravity=args.gravity)
    return FlightOptions(earth=earth, drag=not args.no_drag)


def _vehicles(args):
    from ..catalog import default_catalog
    from ..flight import Impulsive

    if args.impulsive:
        if args.missile:
            raise InputError("give either --missile or --impulsive, not both")
        return [Impulsive()]
    if not args.missile:
        raise InputError("fly needs a vehicle: --missile NAME (see 'openbmd catalog') or --impulsive")
    out = []
    for name in args.missile:
        with input_errors():
            out.append(default_catalog().missile(name))
    return out


def output_step(args):
    """The time-series step: as asked, else 5 s when a plot or samples need one."""
    return positive(args.output_step_s, "--output-step-s") or (5.0 if args.plot or args.samples else None)


def fly_shots(args):
    """Build and fly the shots of the command line (the cross product of
    missiles, launch points and targets). Returns (trajectories, labels)."""
    options = model_options(args)
    vehicles = _vehicles(args)
    if not args.frm:
        raise InputError("fly needs a launch point: --from NAME or --from LAT,LON")
    origins = [parse_point(t, "--from") for t in args.frm]
    targets = [parse_point(t, "--to") for t in (args.to or [])]
    apogee = positive(args.apogee_km, "--apogee-km")
    ftime = positive(args.flight_time_s, "--flight-time-s")
    speed = positive(args.burnout_speed_km_s, "--burnout-speed-km-s")
    step = output_step(args)
    if apogee is not None and ftime is not None:
        raise InputError("give at most one of --apogee-km and --flight-time-s")
    if targets:
        if args.azimuth_deg is not None or args.max_range or speed is not None or args.elevation_deg is not None:
            raise InputError("with --to the shot is aimed: --azimuth-deg, --max-range, --burnout-speed-km-s and --elevation-deg do not apply")
        return _aimed_shots(vehicles, origins, targets, apogee, ftime, options, step)
    if apogee is not None or ftime is not None:
        raise InputError("--apogee-km and --flight-time-s shape an aimed shot: give --to as well")
    if args.azimuth_deg is None:
        raise InputError("without --to give --azimuth-deg (with --max-range, or for --impulsive --burnout-speed-km-s and --elevation-deg)")
    return _azimuth_shots(args, vehicles, origins, speed, options, step)


def _aimed_shots(vehicles, origins, targets, apogee, ftime, options, step):
    """Every vehicle from every origin aimed at every target."""
    from ..flight.aim import aim

    combos = [(v, o, t) for v in vehicles for o in origins for t in targets]
    mode = "apogee" if apogee else "flight-time" if ftime else "min-energy"
    with input_errors():
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
    labels = [(c[1][0], c[2][0]) for c in combos]
    return tr, labels


def _azimuth_shots(args, vehicles, origins, speed, options, step):
    """Every vehicle from every origin along ``--azimuth-deg``: at maximum
    range, or (impulsive) at a given burnout speed and elevation."""
    from ..flight.aim import max_range

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
        from ..flight import run

        opts = options.replace(output_step=step)
        return run(vs, lat, lon, az, speed=speed * 1e3, elevation=math.radians(args.elevation_deg), options=opts), labels
    if speed is not None or args.elevation_deg is not None:
        raise InputError("--burnout-speed-km-s and --elevation-deg apply to --impulsive only")
    if not args.max_range:
        raise InputError("a missile without --to flies with --azimuth-deg and --max-range")
    return max_range(vs, lat, lon, az, options=options, output_step=step), labels


# ------------------------------------------------------------------ errors ----
@contextmanager
def input_errors(prefix=""):
    """The one mapping of the library's errors to input errors: any
    :class:`~openbmd.errors.OpenBMDError` raised inside (a scenario, aim,
    engagement, raid, report, cache ... error) becomes an :class:`InputError`
    with the same message (after ``prefix`` where given): one line, exit 2."""
    try:
        yield
    except InputError:
        raise
    except OpenBMDError as exc:
        raise InputError(f"{prefix}{exc}") from None


def guarded(fn, *a, **kw):
    """Run an analysis; modelling errors (an unreachable footprint, ...) become input errors."""
    with input_errors():
        return fn(*a, **kw)


def load_scenario(ref):
    """A scenario or comparison by file or bundled name; a bad one is an input error."""
    from ..scenario import load

    return guarded(load, ref)


def positive(value, flag):
    """``value`` (None passes) when it is a positive finite number; else an input error naming ``flag``."""
    if value is None:
        return None
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"{flag} must be a positive number, got {value:g}")
    return value


def json_safe(v):
    """One value as JSON takes it, by openbmd's one rule (:func:`openbmd.jsonsafe.jsonable`):
    numpy scalars to Python, non-finite floats to None."""
    from ..jsonsafe import jsonable  # numpy: imported when a command writes JSON, not at start-up

    return jsonable(v)


def json_record(rec: dict) -> dict:
    """A record (a row of a frame) with JSON-safe values."""
    from ..jsonsafe import jsonable

    return jsonable(rec)


# ------------------------------------------------------------------ progress ----
class _Bar:
    def __init__(self, desc, total, quiet):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="step", disable=quiet, file=sys.stderr, leave=False,
                        dynamic_ncols=True)

    def __call__(self, n=1):
        self.bar.update(n)


@contextmanager
def progress(desc, total, quiet):
    b = _Bar(desc, total, quiet)
    try:
        yield b
    finally:
        b.bar.close()


# ------------------------------------------------------------------ output ----
SUMMARY_ASSUMPTIONS = 5  # lines of the default summary


def print_assumptions(lines, args, out=None):
    """The assumptions, after the answer: by default a summary (how many, how
    many are stated ASSUMPTIONs without a published source, and the first
    few, those first); ``--assumptions`` lists them all, ``--no-assumptions``
    none. ``--json`` output always carries them all."""
    if getattr(args, "no_assumptions", False):
        return
    out = out or sys.stdout
    lines = [str(a) for a in lines]
    if getattr(args, "assumptions", False) or len(lines) <= SUMMARY_ASSUMPTIONS:
        print("\nAssumptions:", file=out)
        for a in lines:
            print(f"  - {a}", file=out)
        return
    stated = [a for a in lines if "ASSUMPTION" in a]
    first = (stated + [a for a in lines if "ASSUMPTION" not in a])[:SUMMARY_ASSUMPTIONS]
    print(f"\nAssumptions: {len(lines)}, of which {len(stated)} stated ASSUMPTIONs without a published source; "
          f"the first {len(first)}:", file=out)
    for a in first:
        room = TABLE_WIDTH - 4  # the summary fits the table width; --assumptions has every line whole
        print(f"  - {a if len(a) <= room else a[:room - 1] + '…'}", file=out)
    print(f"  (--assumptions lists all {len(lines)}; --no-assumptions leaves them out)", file=out)


def add_no_assumptions(p):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--no-assumptions", action="store_true", help="leave out the assumptions printed after the answer")
    g.add_argument("--assumptions", action="store_true",
                   help="list every assumption after the answer (default: a summary of a few lines)")


# ------------------------------------------------------------------ tables ----
# One renderer for every table the command line prints: headers in words with
# their unit, shares as percentages, thousands separators, counts as integers,
# a dash for a missing value, and a width that fits the terminal (wider tables
# are split, repeating the first column). --json and --csv stay complete.
MISSING = "—"
TABLE_WIDTH = 100  # the widest table printed (a 100-column terminal); --wide: no limit
TABLE = {"width": TABLE_WIDTH, "columns": None}  # this command's --wide and --columns (set_table_options)
MAX_TEXT = 48  # longer names are shortened with "…" (--json / --csv have them whole)
_UNITS = (("_km_s", "km/s"), ("_km2", "km2"), ("_share", "%"), ("_coverage", "%"), ("_gap", "%"), ("_km", "km"),
          ("_deg", "deg"), ("_m2", "m2"), ("_s", "s"), ("_m", "m"))
HEADS = {  # shorter headers where the words alone would be long
    "strategic_trajectories": "strategic trajectories", "strategic_engageable_share": "strategic engageable %",
    "strategic_best_margin_s": "strategic engagement margin s",
    "southern_trajectories": "southern trajectories", "southern_covered_share": "southern covered %",
    "southern_median_margin_s": "southern median margin s", "defended_area_km2": "defended area km2",
    "footprint_reachable_km2": "reachable area km2", "warheads_total": "warheads launched",
    "warheads_engageable": "warheads engageable", "warheads_attrited_expected": "warheads attrited (expected)",
    "warheads_attrited_share": "attrited %", "interceptors_expected_fired": "interceptors fired (expected)",
    "greedy_gap": "greedy gap %", "name": "scenario", "best_margin_s": "best engagement margin s",
    "margin_s": "engagement margin s",
}


def _is_share(name):
    return name.endswith(("_share", "_coverage", "_gap")) or name.startswith("p_")


def _cell(name, v) -> str:
    """One value as the tables print it."""
    if v is None:
        return MISSING
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        if len(v) <= MAX_TEXT:
            return v
        if name not in ("label", "threat", "threat_name", "closest"):
            return v[:MAX_TEXT - 1] + "…"
        head = (MAX_TEXT - 1) * 2 // 3  # a trajectory label: shortened in the middle, so that its end ([lofted]) stays
        return v[:head] + "…" + v[len(v) - (MAX_TEXT - 1 - head):]
    if isinstance(v, (list, tuple, dict)):
        return str(v)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return MISSING
    if name in ("year", "seed") or name.endswith("_id"):
        return str(int(f)) if f.is_integer() else str(f)
    if _is_share(name):
        return f"{100 * f:.1f} %"
    if "margin" in name:
        return f"{f:+,.0f}"
    if name.endswith("_km_s"):
        return f"{f:.2f}"
    if name.endswith("_deg"):
        return f"{f:.2f}"
    if name.endswith(("_km2", "_km", "_s", "_m")) or f.is_integer():
        return f"{f:,.0f}"
    return f"{f:,.0f}" if abs(f) >= 100 else f"{f:,.1f}" if abs(f) >= 1 else f"{f:,.2f}"


def _head(name) -> str:
    if name in HEADS:
        return HEADS[name]
    n = str(name)
    for suffix, unit in _UNITS:
        if n.endswith(suffix) and len(n) > len(suffix):
            return n[: -len(suffix)].replace("_", " ") + " " + unit
    return n.replace("_", " ")


def _wrap(text, width) -> list[str]:
    lines, cur = [], ""
    for w in text.split():
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    return lines + [cur]


def format_table(df, heads=None, keys=1, width=TABLE_WIDTH) -> str:
    """The frame as text: headers wrapped over up to three lines, numbers
    right-aligned, and split into several tables (each repeating the first
    ``keys`` columns) where one would be wider than ``width``."""
    heads = heads or {}
    cols = list(df.columns)
    if not cols:
        return ""
    recs = df.to_dict(orient="records")
    cells = {c: [_cell(str(c), r[c]) for r in recs] for c in cols}
    text = {c: all(isinstance(r[c], str) or r[c] is None for r in recs) and any(isinstance(r[c], str) for r in recs)
            for c in cols}
    hw = {}
    for c in cols:
        h = heads.get(c) or _head(c)
        body = max((len(x) for x in cells[c]), default=0)
        w = max(body, max(len(x) for x in h.split()), -(-len(h) // 3))
        lines = _wrap(h, w)
        while len(lines) > 3:
            w += 1
            lines = _wrap(h, w)
        hw[c] = (lines, max(w, *(len(x) for x in lines)))
    key, rest = cols[:keys], cols[keys:]
    chunks, cur = [], []
    base = sum(hw[c][1] + 2 for c in key)
    used = base
    for c in rest:
        if cur and used + hw[c][1] + 2 > width:
            chunks.append(cur)
            cur, used = [], base
        cur.append(c)
        used += hw[c][1] + 2
    chunks.append(cur)
    out = []
    for chunk in chunks:
        cs = key + chunk
        nh = max(len(hw[c][0]) for c in cs)

        def row(vals):
            return "  ".join(v.ljust(hw[c][1]) if text[c] else v.rjust(hw[c][1]) for c, v in zip(cs, vals)).rstrip()

        for i in range(nh):
            out.append(row([(([""] * (nh - len(hw[c][0])) + hw[c][0])[i]) for c in cs]))
        out.append("  ".join("-" * hw[c][1] for c in cs))
        out += [row([cells[c][j] for c in cs]) for j in range(len(recs))]
        out.append("")
    return "\n".join(out[:-1])


def add_table_options(p):
    """--wide and --columns for a command that prints tables."""
    p.add_argument("--wide", action="store_true", help="print each table in one piece, however wide "
                   f"(default: split at {TABLE_WIDTH} columns, repeating the first column)")
    p.add_argument("--columns", metavar="A,B", help="only these columns of the text tables (their JSON/CSV names; "
                   "the first column always stays); --json and --csv stay complete")


def set_table_options(args):
    """This command's --wide and --columns, for every table it prints."""
    TABLE["width"] = math.inf if getattr(args, "wide", False) else TABLE_WIDTH
    cols = getattr(args, "columns", None)
    TABLE["columns"] = [c.strip() for c in cols.split(",") if c.strip()] if cols else None
    TABLE["checked"] = False


def _pick_columns(df, keys):
    """The --columns of this table. The command's first table must know every
    name asked (a typo is an input error); a later table (a command can print
    several) keeps only those it has, or stays whole if it has none."""
    want = TABLE["columns"]
    if not want:
        return df
    known = [c for c in want if c in df.columns]
    if not TABLE.get("checked"):
        TABLE["checked"] = True
        unknown = [c for c in want if c not in df.columns]
        if unknown:
            raise InputError(f"--columns: {', '.join(unknown)}: not a column of this table; "
                             f"its columns: {', '.join(map(str, df.columns))}")
    if not known:
        return df
    key = list(df.columns[:keys])
    return df[key + [c for c in known if c not in key]]


def print_records(df, as_json, out=None, heads=None, keys=1):
    out = out or sys.stdout
    if as_json:
        for rec in df.to_dict(orient="records"):
            print(json.dumps(json_record(rec)), file=out)
        return
    print(format_table(_pick_columns(df, keys), heads=heads, keys=keys, width=TABLE["width"]), file=out)
