"""``openbmd fly``: fly missiles, aimed at a target or at maximum range along
an azimuth, one by one from the command line or from a batch file."""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from pathlib import Path

from .common import (
    MAX_ALTITUDE_KM,
    MAX_FLIGHT_TIME_S,
    MAX_STEP_S,
    InputError,
    add_no_assumptions,
    fly_shots,
    input_errors,
    json_record,
    model_options,
    number,
    output_file,
    output_step,
    parse_point,
    print_assumptions,
    threat_args,
)

DEFAULT_BATCH = "default"


def _read_batch(path_or_name):
    """The [[shot]] tables of a batch file (``default``: the bundled one) and a label for messages."""
    from importlib import resources

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
    return label, shots


def _batch_shot(s, where, cat):
    """One [[shot]] table checked: (mode, (missile, origin, target, apogee or flight time))."""
    for key in ("missile", "from", "to"):
        if key not in s:
            raise InputError(f"{where}: missing field '{key}'")
    unknown = set(s) - {"missile", "from", "to", "apogee_km", "flight_time_s", "label"}
    if unknown:
        raise InputError(f"{where}: unknown field(s) {sorted(unknown)}; expected missile, from, to, apogee_km, flight_time_s, label")
    with input_errors(f"{where}: field 'missile': "):
        m = cat.missile(s["missile"])
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
    return mode, (m, o, (t[0] + tag, t[1], t[2]), val)


def _batch_shots(path_or_name, args):
    """Fly a batch file: [[shot]] tables with missile, from, to and optional
    apogee_km / flight_time_s. ``default`` is the bundled batch. Returns
    (trajectories, labels, shot indices) per aiming mode."""
    from ..catalog import default_catalog
    from ..flight.aim import AimError, aim

    label, shots = _read_batch(path_or_name)
    options = model_options(args)
    groups: dict[str, list] = {}
    cat = default_catalog()
    for j, s in enumerate(shots):
        mode, shot = _batch_shot(s, f"{label}: shot #{j + 1}", cat)
        groups.setdefault(mode, []).append((j, *shot))

    results = []
    step = output_step(args)
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


def _flights(args):
    """The shots of the command line or of ``--batch``: (summary frame, [(trajectories, labels)])."""
    import pandas as pd

    if not args.batch:
        tr, labels = fly_shots(args)
        return _summary_frame(tr, labels), [(tr, labels)]
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
    return df.sort_index().reset_index(drop=True), trs


def _write_samples(trs, path):
    """The time series of every trajectory (CSV, or Parquet by extension), numbered across the groups."""
    import pandas as pd

    frames = []
    base = 0
    for tr, _ in trs:
        s = tr.samples_dataframe()
        s["trajectory"] += base
        base += len(tr)
        frames.append(s)
    s = pd.concat(frames, ignore_index=True)
    (s.to_parquet if str(path).endswith(".parquet") else lambda p: s.to_csv(p, index=False))(path)


def _write_plot(trs, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 5.5))
    for tr, labels in trs:
        tr.plot(ax=ax, labels=[f"{n}: {a} -> {b}" for n, (a, b) in zip(tr.vehicle_names, labels)])
    fig.savefig(path, dpi=150, bbox_inches="tight")


def cmd_fly(args) -> int:
    df, trs = _flights(args)
    tr0 = trs[0][0]
    bad = df["status"] != "impact"
    if args.json:
        for rec in df.to_dict(orient="records"):
            print(json.dumps(json_record(rec)))
    else:
        _print_table(df)
    if args.csv:
        df.to_csv(args.csv, index=False)
    if args.parquet:
        df.to_parquet(args.parquet, index=False)
    if args.samples:
        _write_samples(trs, args.samples)
    if args.plot:
        _write_plot(trs, args.plot)
        if not args.json:
            print(f"\nplot written to {args.plot}")
    if bad.any() and not args.json:
        print(f"\nnote: {int(bad.sum())} trajectory(ies) did not impact (status column)", file=sys.stderr)
    if not args.json:
        print_assumptions(tr0.options.assumptions(), args)
    return 0


def add_parsers(sub) -> None:
    f = sub.add_parser(
        "fly",
        help="fly missiles: aimed at a target, or at maximum range along an azimuth",
        description="Fly trajectories and print a summary. Repeated --missile, --from and --to fly every combination. "
        "A negative coordinate needs '=': --from=-33.9,18.4.",
    )
    threat_args(f, batch=True)
    o = f.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="one JSON object per trajectory")
    o.add_argument("--plot", metavar="FILE", type=output_file("any"), help="altitude versus ground range plot (PNG, PDF, SVG)")
    o.add_argument("--csv", metavar="FILE", type=output_file(), help="write the summary table as CSV")
    o.add_argument("--parquet", metavar="FILE", type=output_file(), help="write the summary table as Parquet")
    o.add_argument("--samples", metavar="FILE", type=output_file(), help="write the time series (CSV, or Parquet by extension)")
    add_no_assumptions(o)
    o.add_argument("--output-step-s", type=number(0, MAX_STEP_S, "s", lo_open=True), help="time step of the time series (default 5 s)")
    f.set_defaults(func=cmd_fly)
