"""The catalog: public parameter estimates of missiles and places, read from the
TOML data files in ``catalog/data`` (each entry with its source and, where
sources disagree, a ``*_range``).

Names are looked up case-insensitively and ignoring spaces and punctuation, by
canonical name or any alias (``SS-27``, ``Topol-M`` and ``RS-12M2`` find the
same entry); a near miss gets suggestions.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..vehicles import DEFAULT_DRAG_CURVE, DragCurve, Interceptor, Missile, ReentryVehicle, Stage
from ..errors import OpenBMDError

DATA = resources.files(__package__) / "data"
MISSILE_CATEGORIES = ("ICBM", "SLBM", "IRBM", "MRBM", "SRBM")
PLACE_KINDS = (
    "defence_site",
    "radar_site",
    "icbm_field",
    "slbm_base",
    "slbm_patrol_area",
    "launch_area",
    "city",
)


class CatalogError(OpenBMDError, LookupError):
    """An unknown name or a malformed catalog entry (the message says which)."""


def normalize(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.lower())


@dataclass(frozen=True)
class Place:
    """A named point (with an optional polygon) on the Earth; angles in radians."""

    name: str
    kind: str
    lat: float
    lon: float
    country: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    notes: str = ""
    position_uncertainty: float = 0.0  # m
    polygon: tuple[tuple[float, float], ...] = ()  # (lat, lon) in radians
    missiles: tuple[str, ...] = ()

    @property
    def lat_deg(self):
        return math.degrees(self.lat)

    @property
    def lon_deg(self):
        return math.degrees(self.lon)

    def __str__(self):
        return self.name


def entry_number(entry, key, where, *, required=True, default=None, positive=False, allow_zero=False):
    if key not in entry:
        if required:
            raise CatalogError(f"{where}: missing field '{key}'")
        return default
    v = entry[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise CatalogError(f"{where}: field '{key}' must be a number, got {v!r}")
    if positive and not (v > 0 or (allow_zero and v == 0)):
        raise CatalogError(f"{where}: field '{key}' must be {'>= 0' if allow_zero else 'positive'}, got {v!r}")
    return float(v)


def entry_ranges(entry, prefix=""):
    out = {}
    for k, v in entry.items():
        if k.endswith("_range") and isinstance(v, list) and len(v) == 2:
            out[prefix + k[: -len("_range")]] = (float(v[0]), float(v[1]))
    return out


class Catalog:
    """Missiles, places and drag curves with name lookup."""

    def __init__(self, missile_entries, place_entries, curve_entries, files=("", "", "", "", ""),
                 radar_entries=(), interceptor_entries=()):
        defaults = ("missiles.toml", "places.toml", "drag_curves.toml", "radars.toml", "interceptors.toml")
        files = tuple(files) + defaults[len(files) :]
        self.files = files
        self.curves: dict[str, DragCurve] = {}
        for j, c in enumerate(curve_entries):
            where = f"{files[2]}: drag_curve #{j + 1} ({c.get('name', '?')})"
            try:
                curve = DragCurve(str(c["name"]), tuple(c["mach"]), tuple(c["cd"]), str(c.get("source", "")))
            except (KeyError, ValueError, TypeError) as exc:
                raise CatalogError(f"{where}: {exc}") from None
            self.curves[normalize(curve.name)] = curve
        self.missile_entries = {}
        self.missiles: dict[str, Missile] = {}
        self._missile_keys: dict[str, str] = {}
        for j, m in enumerate(missile_entries):
            missile = self._build_missile(m, f"{files[0]}: missile #{j + 1} ({m.get('name', '?')})")
            self._register(self._missile_keys, missile.name, missile.aliases, files[0])
            self.missiles[missile.name] = missile
            self.missile_entries[missile.name] = m
        self.places: dict[str, Place] = {}
        self.place_entries = {}
        self._place_keys: dict[str, str] = {}
        for j, p in enumerate(place_entries):
            place = self._build_place(p, f"{files[1]}: place #{j + 1} ({p.get('name', '?')})")
            self._register(self._place_keys, place.name, place.aliases, files[1])
            self.places[place.name] = place
            self.place_entries[place.name] = p
        self.interceptors: dict[str, Interceptor] = {}
        self.interceptor_entries = {}
        self._interceptor_keys: dict[str, str] = {}
        for j, e in enumerate(interceptor_entries):
            ic = self._build_interceptor(e, f"{files[4]}: interceptor #{j + 1} ({e.get('name', '?')})")
            self._register(self._interceptor_keys, ic.name, ic.aliases, files[4])
            self.interceptors[ic.name] = ic
            self.interceptor_entries[ic.name] = e
        self.radars = {}
        self.radar_entries = {}
        self._radar_keys: dict[str, str] = {}
        for j, e in enumerate(radar_entries):
            rd = self._build_radar(e, f"{files[3]}: radar #{j + 1} ({e.get('name', '?')})")
            self._register(self._radar_keys, rd.name, rd.aliases, files[3])
            self.radars[rd.name] = rd
            self.radar_entries[rd.name] = e

    @staticmethod
    def _register(keys, name, aliases, file):
        for n in (name, *aliases):
            k = normalize(n)
            if k in keys and keys[k] != name:
                raise CatalogError(f"{file}: name {n!r} of {name!r} is already used by {keys[k]!r}")
            keys[k] = name

    def _build_missile(self, m, where) -> Missile:
        if not m.get("name"):
            raise CatalogError(f"{where}: missing field 'name'")
        if not str(m.get("source", "")).strip():
            raise CatalogError(f"{where}: missing field 'source' (every entry needs a citation)")
        stages, unc = self._stages(m, where)
        unc.update(entry_ranges(m))
        if not stages:
            raise CatalogError(f"{where}: needs at least one [[missile.stage]]")
        curve_name = m.get("drag_curve")
        if curve_name is None:
            curve = DEFAULT_DRAG_CURVE
        else:
            curve = self.curves.get(normalize(curve_name))
            if curve is None:
                raise CatalogError(f"{where}: unknown drag_curve {curve_name!r}; known: {sorted(c.name for c in self.curves.values())}")
        cat = m.get("category", "")
        if cat not in MISSILE_CATEGORIES:
            raise CatalogError(f"{where}: field 'category' must be one of {MISSILE_CATEGORIES}, got {cat!r}")
        rng = m.get("published_range_km_range")
        try:
            return Missile(
                name=str(m["name"]),
                stages=tuple(stages),
                payload_mass=entry_number(m, "payload_mass_kg", where, positive=True),
                rv=ReentryVehicle(
                    entry_number(m, "rv_mass_kg", where, positive=True),
                    entry_number(m, "rv_ballistic_coefficient_kg_m2", where, positive=True),
                ),
                diameter=entry_number(m, "diameter_m", where, positive=True),
                drag_curve=curve,
                vertical_rise=entry_number(m, "vertical_rise_s", where, required=False, default=10.0 if cat in ("ICBM", "SLBM") else 5.0),
                pitch_over=entry_number(m, "pitch_over_s", where, required=False, default=10.0, positive=True),
                category=cat,
                propellant=str(m.get("propellant", "")),
                country=str(m.get("country", "")),
                aliases=tuple(str(a) for a in m.get("aliases", ())),
                source=str(m["source"]),
                notes=str(m.get("notes", "")),
                published_range=None if "published_range_km" not in m else 1e3 * entry_number(m, "published_range_km", where),
                published_range_bounds=None if rng is None else (1e3 * float(rng[0]), 1e3 * float(rng[1])),
                published_range_source=str(m.get("published_range_source", "")),
                uncertainty=unc,
            )
        except ValueError as exc:
            raise CatalogError(f"{where}: {exc}") from None

    def _stages(self, m, where):
        stages = []
        unc = {}
        for s_, st in enumerate(m.get("stage", [])):
            w = f"{where}, stage {s_ + 1}"
            try:
                stages.append(
                    Stage(
                        total_mass=entry_number(st, "total_mass_kg", w, positive=True),
                        propellant_mass=entry_number(st, "propellant_mass_kg", w, positive=True),
                        isp=entry_number(st, "isp_s", w, required="thrust_kn" not in st, default=0.0),
                        burn_time=entry_number(st, "burn_time_s", w, positive=True),
                        coast_after=entry_number(st, "coast_after_s", w, required=False, default=0.0, positive=True, allow_zero=True),
                        thrust_override=None if "thrust_kn" not in st else 1e3 * entry_number(st, "thrust_kn", w, positive=True),
                    )
                )
            except ValueError as exc:
                raise CatalogError(f"{w}: {exc}") from None
            unc.update(entry_ranges(st, prefix=f"stage{s_ + 1}."))
        return tuple(stages), unc

    def _build_interceptor(self, e, where) -> Interceptor:
        if not e.get("name"):
            raise CatalogError(f"{where}: missing field 'name'")
        if not str(e.get("source", "")).strip():
            raise CatalogError(f"{where}: missing field 'source' (every entry needs a citation)")
        stages, unc = self._stages(e, where)
        unc.update(entry_ranges(e))
        tail = e.get("tail_chase", False)
        if not isinstance(tail, bool):
            raise CatalogError(f"{where}: field 'tail_chase' must be true or false, got {tail!r}")
        try:
            return Interceptor(
                name=str(e["name"]),
                stages=stages,
                kill_vehicle_mass=entry_number(e, "kill_vehicle_mass_kg", where, positive=True),
                diameter=entry_number(e, "diameter_m", where, positive=True),
                burnout_speed=1e3 * entry_number(e, "burnout_speed_km_s", where, positive=True),
                min_intercept_altitude=1e3 * entry_number(e, "min_intercept_altitude_km", where, required=False, default=0.0),
                max_intercept_altitude=1e3 * entry_number(e, "max_intercept_altitude_km", where, required=False, default=2000.0),
                max_range=1e3 * entry_number(e, "max_range_km", where, required=False, default=5000.0, positive=True),
                min_closing_speed=1e3 * entry_number(e, "min_closing_speed_km_s", where, required=False, default=0.0),
                tail_chase=tail,
                vertical_rise=entry_number(e, "vertical_rise_s", where, required=False, default=2.0, positive=True, allow_zero=True),
                pitch_over=entry_number(e, "pitch_over_s", where, required=False, default=5.0, positive=True),
                country=str(e.get("country", "")),
                aliases=tuple(str(a) for a in e.get("aliases", ())),
                source=str(e["source"]),
                notes=str(e.get("notes", "")),
                uncertainty=unc,
            )
        except ValueError as exc:
            raise CatalogError(f"{where}: {exc}") from None

    def _build_radar(self, e, where):
        from ..sensors import Radar

        if not e.get("name"):
            raise CatalogError(f"{where}: missing field 'name'")
        if not str(e.get("source", "")).strip():
            raise CatalogError(f"{where}: missing field 'source' (every entry needs a citation)")
        if "site" in e:
            try:
                pl = self.place(e["site"])
            except CatalogError as exc:
                raise CatalogError(f"{where}: field 'site': {exc}") from None
            lat, lon = pl.lat, pl.lon
        elif "lat_deg" in e and "lon_deg" in e:
            lat, lon = math.radians(entry_number(e, "lat_deg", where)), math.radians(entry_number(e, "lon_deg", where))
        else:
            lat, lon = 0.0, 0.0  # a mobile radar (ship): placed where it is deployed
        mobile = "site" not in e and not ("lat_deg" in e and "lon_deg" in e)
        rad = math.radians
        try:
            return Radar(
                name=str(e["name"]),
                lat=lat,
                lon=lon,
                alt=entry_number(e, "alt_m", where, required=False, default=0.0),
                boresight_azimuth=rad(entry_number(e, "boresight_azimuth_deg", where, required=False, default=0.0)),
                azimuth_half_width=rad(entry_number(e, "azimuth_half_width_deg", where, required=False, default=180.0)),
                min_elevation=rad(entry_number(e, "min_elevation_deg", where, required=False, default=0.0)),
                max_elevation=rad(entry_number(e, "max_elevation_deg", where, required=False, default=90.0)),
                max_range=1e3 * entry_number(e, "max_range_km", where, positive=True),
                reference_range=1e3 * entry_number(e, "reference_range_km", where, positive=True),
                reference_rcs=entry_number(e, "reference_rcs_m2", where, positive=True),
                track_time=entry_number(e, "track_time_s", where, required=False, default=30.0, positive=True, allow_zero=True),
                kind=str(e.get("kind", "fire_control")),
                mobile=mobile,
                country=str(e.get("country", "")),
                aliases=tuple(str(a) for a in e.get("aliases", ())),
                source=str(e["source"]),
                notes=str(e.get("notes", "")),
                uncertainty=entry_ranges(e),
                # optional tracking fields (openbmd.tracking): measurement noise and update rate
                wavelength=entry_number(e, "wavelength_m", where, required=False, positive=True),
                aperture=entry_number(e, "aperture_m", where, required=False, positive=True),
                bandwidth=None if "bandwidth_mhz" not in e else 1e6 * entry_number(e, "bandwidth_mhz", where, positive=True),
                revisit_interval=entry_number(e, "revisit_s", where, required=False, positive=True),
            )
        except ValueError as exc:
            raise CatalogError(f"{where}: {exc}") from None

    def _build_place(self, p, where) -> Place:
        if not p.get("name"):
            raise CatalogError(f"{where}: missing field 'name'")
        if not str(p.get("source", "")).strip():
            raise CatalogError(f"{where}: missing field 'source' (every entry needs a citation)")
        kind = p.get("kind")
        if kind not in PLACE_KINDS:
            raise CatalogError(f"{where}: field 'kind' must be one of {PLACE_KINDS}, got {kind!r}")
        lat = entry_number(p, "lat_deg", where)
        lon = entry_number(p, "lon_deg", where)
        if not -90 <= lat <= 90:
            raise CatalogError(f"{where}: lat_deg must be within [-90, 90], got {lat}")
        if not -180 <= lon <= 360:
            raise CatalogError(f"{where}: lon_deg must be within [-180, 360], got {lon}")
        poly = tuple((math.radians(a), math.radians(b)) for a, b in p.get("polygon", ()))
        return Place(
            name=str(p["name"]),
            kind=kind,
            lat=math.radians(lat),
            lon=math.radians(lon),
            country=str(p.get("country", "")),
            aliases=tuple(str(a) for a in p.get("aliases", ())),
            source=str(p["source"]),
            notes=str(p.get("notes", "")),
            position_uncertainty=1e3 * entry_number(p, "position_uncertainty_km", where, required=False, default=0.0),
            polygon=poly,
            missiles=tuple(str(m) for m in p.get("missiles", ())),
        )

    # ------------------------------------------------------------ lookup ----
    @staticmethod
    def _suggest(name, *tables) -> list[str]:
        """Near-miss names (canonical or alias) for an unknown name."""
        k = normalize(str(name))
        names = sorted({n for table in tables for v in table.values() for n in (v.name, *v.aliases)})
        by_norm = {normalize(n): n for n in names}
        close = [by_norm[c] for c in difflib.get_close_matches(k, list(by_norm), n=4, cutoff=0.6)]
        close += [n for c, n in by_norm.items() if k and k in c and n not in close][:3]
        return close

    def _find(self, keys, table, name, what):
        k = normalize(str(name))
        if k in keys:
            return table[keys[k]]
        close = self._suggest(name, table)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise CatalogError(f"unknown {what} {name!r}{hint} (openbmd catalog lists them)")

    def entry(self, name: str):
        """A missile or a place, whichever the name finds."""
        if self.has_missile(name):
            return self.missile(name)
        if self.has_place(name):
            return self.place(name)
        if normalize(str(name)) in self._interceptor_keys:
            return self.interceptor(name)
        if normalize(str(name)) in self._radar_keys:
            return self.radar(name)
        close = self._suggest(name, self.missiles, self.places, self.interceptors, self.radars)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise CatalogError(f"no catalog entry {name!r}{hint} (openbmd catalog lists them)")

    def missile(self, name: str) -> Missile:
        return self._find(self._missile_keys, self.missiles, name, "missile")

    def place(self, name: str) -> Place:
        return self._find(self._place_keys, self.places, name, "place")

    def interceptor(self, name: str) -> Interceptor:
        return self._find(self._interceptor_keys, self.interceptors, name, "interceptor")

    def radar(self, name: str):
        return self._find(self._radar_keys, self.radars, name, "radar")

    def has_place(self, name: str) -> bool:
        return normalize(str(name)) in self._place_keys

    def has_missile(self, name: str) -> bool:
        return normalize(str(name)) in self._missile_keys

    def places_of_kind(self, kind: str) -> list[Place]:
        return [p for p in self.places.values() if p.kind == kind]


def read_data_file(path) -> dict:
    try:
        with open(path, "rb") if isinstance(path, (str, Path)) else path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from None


def load_catalog(missiles=None, places=None, curves=None, radars=None, interceptors=None) -> Catalog:
    """Read a catalog; by default the bundled data files. A custom catalog
    (any file given) reads the bundled radars and interceptors only when asked,
    since their sites refer to the bundled places."""
    custom = any(f is not None for f in (missiles, places, curves))
    files = [
        missiles or DATA / "missiles.toml",
        places or DATA / "places.toml",
        curves or DATA / "drag_curves.toml",
        radars or (None if custom else DATA / "radars.toml"),
        interceptors or (None if custom else DATA / "interceptors.toml"),
    ]

    def read(f, key):
        if f is None:
            return []
        exists = f.is_file() if hasattr(f, "is_file") else Path(f).is_file()
        return read_data_file(f).get(key, []) if exists else []

    names = [Path(str(f)).name if f is not None else "-" for f in files]
    return Catalog(
        read(files[0], "missile"),
        read(files[1], "place"),
        read(files[2], "drag_curve"),
        files=tuple(names),
        radar_entries=read(files[3], "radar"),
        interceptor_entries=read(files[4], "interceptor"),
    )


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog()


def missile(name: str) -> Missile:
    """Look up a missile of the bundled catalog."""
    return default_catalog().missile(name)


def place(name: str) -> Place:
    """Look up a place of the bundled catalog."""
    return default_catalog().place(name)


def interceptor(name: str) -> Interceptor:
    """Look up an interceptor of the bundled catalog."""
    return default_catalog().interceptor(name)


def radar(name: str):
    """Look up a radar of the bundled catalog."""
    return default_catalog().radar(name)
