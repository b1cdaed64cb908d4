"""The sensor-network catalog (``data/sensors.toml``): early-warning
satellites, command-and-control networks and radar signatures by flight phase
per missile class, each number with a source (or marked ASSUMPTION, with a
range).

Units in the file: km, s, m^2; inside: metres, seconds, m^2.
"""

from __future__ import annotations

import difflib
import tomllib
from functools import lru_cache
from pathlib import Path

from ..sensors import EarlyWarningSatellites, Network, Signature, Signatures
from . import CatalogError, entry_number, entry_ranges, normalize

DATA = Path(__file__).parent / "data"
FILE = DATA / "sensors.toml"


def _head(e, i, table, path):
    where = f"{path.name}: [[{table}]] #{i + 1}"
    if not isinstance(e, dict):
        raise CatalogError(f"{where}: expected a table")
    name = e.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"{where}: missing field 'name'")
    where = f"{path.name}: {table} {name!r}"
    if not isinstance(e.get("source"), str) or not e["source"].strip():
        raise CatalogError(f"{where}: missing field 'source' (every entry names its sources)")
    return name, where


class SensorCatalog:
    """Satellites, networks and signatures with name lookup."""

    def __init__(self, doc: dict, path: Path = FILE):
        self.path = path
        self.satellites: dict[str, EarlyWarningSatellites] = {}
        self.networks: dict[str, Network] = {}
        self.signatures: dict[str, Signature] = {}
        self._keys: dict[str, dict[str, str]] = {"satellite": {}, "network": {}}
        for i, e in enumerate(doc.get("satellite", [])):
            name, where = _head(e, i, "satellite", path)
            s = EarlyWarningSatellites(
                name=name, country=e.get("country", ""), source=e["source"], notes=e.get("notes", ""),
                cloud_top=1e3 * entry_number(e, "cloud_top_km", where, positive=True, allow_zero=True),
                report_latency=entry_number(e, "report_latency_s", where, positive=True, allow_zero=True),
                track_time=entry_number(e, "track_time_s", where, positive=True, allow_zero=True),
                track_accuracy=1e3 * entry_number(e, "track_accuracy_km", where, positive=True),
                uncertainty=entry_ranges(e))
            self._add("satellite", self.satellites, s, e.get("aliases", []))
        for i, e in enumerate(doc.get("network", [])):
            name, where = _head(e, i, "network", path)
            n = Network(name=name, country=e.get("country", ""), source=e["source"], notes=e.get("notes", ""),
                        link_latency=entry_number(e, "link_latency_s", where, positive=True, allow_zero=True),
                        uncertainty=entry_ranges(e))
            self._add("network", self.networks, n, e.get("aliases", []))
        owner: dict[str, str] = {}
        for i, e in enumerate(doc.get("signature", [])):
            name, where = _head(e, i, "signature", path)
            missiles = e.get("missiles", [])
            if not isinstance(missiles, list) or not all(isinstance(m, str) for m in missiles):
                raise CatalogError(f"{where}: field 'missiles' must be a list of catalog missile names")
            for m in missiles:
                if m in owner:
                    raise CatalogError(f"{where}: missile {m!r} is already in signature {owner[m]!r}")
                owner[m] = name
            try:
                sig = Signature(
                    name=name, missiles=tuple(missiles), source=e["source"], notes=e.get("notes", ""),
                    booster_rcs=entry_number(e, "booster_rcs_m2", where, positive=True),
                    post_boost_rcs=entry_number(e, "post_boost_rcs_m2", where, positive=True),
                    rv_rcs=entry_number(e, "rv_rcs_m2", where, positive=True),
                    decoy_rcs=entry_number(e, "decoy_rcs_m2", where, positive=True),
                    bus_release=entry_number(e, "bus_release_s", where, positive=True, allow_zero=True),
                    footprint=1e3 * entry_number(e, "footprint_km", where, positive=True, allow_zero=True),
                    footprint_width=1e3 * entry_number(e, "footprint_width_km", where, required=False, default=0.0,
                                               positive=True, allow_zero=True),
                    uncertainty=entry_ranges(e))
            except ValueError as exc:
                raise CatalogError(f"{where}: {exc}") from None
            for k in ("bus_release_s", "footprint_km", "footprint_width_km"):
                # the MIRV numbers decide what the raid counts: each needs its source (or ASSUMPTION) and range
                if k in e and not (isinstance(e.get(f"{k}_source"), str) and e[f"{k}_source"].strip()):
                    raise CatalogError(f"{where}: field '{k}_source' missing (name the document, or start with "
                                       "ASSUMPTION and give the reason)")
                if k in e and f"{k}_range" not in e:
                    raise CatalogError(f"{where}: field '{k}_range' missing ([low, high] around {k} = {e[k]!r})")
            self.signatures[name] = sig
        for table, entries in (("satellite", doc.get("satellite", [])), ("network", doc.get("network", [])),
                               ("signature", doc.get("signature", []))):
            for e in entries:
                where = f"{path.name}: {table} {e['name']!r}"
                for k, v in e.items():
                    if k.endswith("_range"):
                        base = k[: -len("_range")]
                        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v)
                                and v[0] <= v[1]):
                            raise CatalogError(f"{where}: field '{k}' must be [low, high] with low <= high, got {v!r}")
                        if base in e and not v[0] <= e[base] <= v[1]:
                            raise CatalogError(f"{where}: field '{base}' = {e[base]!r} lies outside its range {v!r}")

    def _add(self, table, store, obj, aliases):
        store[obj.name] = obj
        for a in (obj.name, *aliases):
            self._keys[table][normalize(a)] = obj.name

    def _find(self, table, store, name):
        k = normalize(str(name))
        if k in self._keys[table]:
            return store[self._keys[table][k]]
        close = difflib.get_close_matches(str(name), list(store), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise CatalogError(f"unknown {table} {name!r}{hint} (known: {', '.join(store) or 'none'})")

    def satellite(self, name: str) -> EarlyWarningSatellites:
        return self._find("satellite", self.satellites, name)

    def network(self, name: str) -> Network:
        return self._find("network", self.networks, name)

    def has_satellite(self, name: str) -> bool:
        return normalize(str(name)) in self._keys["satellite"]

    def has_network(self, name: str) -> bool:
        return normalize(str(name)) in self._keys["network"]

    def by_missile(self) -> Signatures:
        """Signatures per catalog missile name (missiles not listed: the
        constant 0.1 m^2 warhead of the older model)."""
        return Signatures({m: s for s in self.signatures.values() for m in s.missiles})


def load_sensors(path=None) -> SensorCatalog:
    p = Path(path) if path is not None else FILE
    try:
        with open(p, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise CatalogError(f"{p}: no such sensor catalog") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{p}: not valid TOML: {exc}") from None
    return SensorCatalog(doc, p)


@lru_cache(maxsize=1)
def default_sensors() -> SensorCatalog:
    return load_sensors()
