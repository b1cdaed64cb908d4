"""``openbmd catalog``: list the catalog's missiles, interceptors, radars and
places, or show one entry with all its sources and ranges."""

from __future__ import annotations

import json

from .common import input_errors


def _show_entry(cat, args) -> int:
    """One entry with all its fields (stages indented) and its derived figures."""
    with input_errors():
        found = cat.entry(args.name)
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


def _rows(cat, kind) -> list[dict]:
    """A row per entry of the kind asked (every kind when None)."""
    rows = []
    if kind in (None, "missiles"):
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
    if kind in (None, "interceptors"):
        for ic in cat.interceptors.values():
            rows.append({"kind": "interceptor", "name": ic.name, "aliases": ", ".join(ic.aliases),
                         "what": f"{ic.country} {ic.burnout_speed / 1e3:.1f} km/s".strip(),
                         "published_range_km": None, "source": ic.source})
    if kind in (None, "radars"):
        for rd in cat.radars.values():
            rows.append({"kind": "radar", "name": rd.name, "aliases": ", ".join(rd.aliases),
                         "what": f"{rd.country} {rd.kind} {rd.max_range / 1e3:,.0f} km".strip(),
                         "published_range_km": None, "source": rd.source})
    if kind in (None, "places"):
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
    return rows


def cmd_catalog(args) -> int:
    from ..catalog import default_catalog

    cat = default_catalog()
    if args.name:
        return _show_entry(cat, args)
    rows = _rows(cat, args.kind)
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


def add_parsers(sub) -> None:
    c = sub.add_parser("catalog", help="list catalog entries or show one with its sources")
    c.add_argument("name", nargs="?", help="entry to show (missile or place; aliases work)")
    c.add_argument("--kind", choices=("missiles", "places", "interceptors", "radars"))
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_catalog)
