"""What a scenario file becomes: :class:`Scenario` with its batteries,
threat groups, raids, balance question and footprint (dataclasses; built by
:mod:`openbmd.scenario.build`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..flight import FlightOptions


@dataclass
class BatterySpec:
    name: str
    interceptor: object  # Interceptor
    count: int | None
    kind: str
    stations: list  # [(lat, lon)] radians: one point, or a patrol box's sample points
    patrol_box: tuple | None  # (lat_min, lat_max, lon_min, lon_max) degrees
    cue: str | None  # the first cueing radar's name in the scenario, or None for the doctrine's launch delay
    source: str = ""
    position_uncertainty: float = 0.0  # m: of the catalog place it stands at (0 for given coordinates)
    cues: tuple = ()  # every cue source: [[radar]] and [[satellite]] names
    own_radar: object = None  # sensors.Radar: the battery's own radar (mobile: placed at each station), or None
    mode: str = "own"  # own | launch-on-remote | engage-on-remote
    network: str | None = None  # a [[network]] name
    cue_source: str = ""  # where the cueing arrangement comes from


@dataclass
class ThreatSpec:
    name: str
    role: str
    launches: list  # catalog Places
    targets: list  # catalog Places
    missiles: list  # catalog Missiles, the first that reaches is flown
    profiles: tuple
    source: str = ""


@dataclass
class RaidSpec:
    """A salvo: ``missiles`` missiles of one [[threat]] group (optionally only
    from some of its launch points), launched ``spacing`` s apart from
    ``start`` s, each flying the group's trajectories in turn."""

    name: str
    threat: str
    launches: tuple  # launch place names (empty: all of the group's)
    missiles: int
    warheads_per_missile: int
    decoys_per_missile: int
    start: float
    spacing: float
    source: str = ""


@dataclass
class BalanceSpec:
    """The strategic-balance question: which force (catalog ``forces.toml``),
    which attacks, and the sensitivities asked."""

    forces: tuple  # force names
    attacks: tuple  # attack names
    decoys_per_missile: int = 0
    inventory_factors: tuple = (0.5, 2.0)
    decision_times: tuple = (10.0, 60.0)  # s
    method: str = "auto"


@dataclass
class FootprintSpec:
    launch_area: object  # Place
    missile: object
    region: tuple  # lat_min, lat_max, lon_min, lon_max (deg)
    step: float  # deg
    countries: tuple  # minimum-energy shots (the footprint's aim points are flown at minimum energy)


@dataclass
class Scenario:
    name: str
    description: str
    path: str
    files: list
    options: FlightOptions
    threat_step: float
    coarse_step: float
    decision_time: float
    track_time: float | None
    rcs: float
    assessment_time: float
    launch_delay: float | None
    default_cue: str | None
    lofted_factor: float
    depressed_factor: float
    interceptors: dict
    radars: dict
    batteries: list
    target_sets: dict
    threats: list
    analyses: list
    footprint: FootprintSpec | None
    phases: list = field(default_factory=list)  # member Scenarios of a comparison
    year: int | None = None
    sources: list = field(default_factory=list)
    doctrine: object = None  # wta.Doctrine
    raids: list = field(default_factory=list)  # RaidSpec
    balance: BalanceSpec | None = None
    notes: list = field(default_factory=list)  # what loading decided (e.g. inherited raids dropped)
    satellites: dict = field(default_factory=dict)  # name -> sensors.EarlyWarningSatellites
    networks: dict = field(default_factory=dict)  # name -> sensors.Network
    signature_model: str = "by-phase"
    signatures: object = None  # sensors.Signatures (by missile); None: the constant rcs
    tail_chase: str = "low-closing-speed"
    tail_chase_closing_speed: float = 3000.0  # m/s
    handover_time: float = 10.0  # s
    assumption_set: str = "as declared"

    def replace(self, **kw) -> "Scenario":
        from dataclasses import replace

        return replace(self, **kw)

    @property
    def is_comparison(self) -> bool:
        return bool(self.phases)

    def assumptions(self) -> list[str]:
        """Every parameter the scenario sets, in words, with sources."""
        out = [f"scenario {self.name!r} from {' <- '.join(reversed(self.files))}"]
        out += self.options.assumptions()
        out.append(f"threat time series every {self.threat_step:g} s; window search coarse step {self.coarse_step:g} s")
        out.append(f"doctrine: decision {self.decision_time:g} s after a firm track"
                   + (f" (track time {self.track_time:g} s)" if self.track_time is not None else " (track time: each radar's)")
                   + f"; threat RCS {self.rcs:g} m^2; kill assessment {self.assessment_time:g} s")
        if self.doctrine is not None:
            out += self.doctrine.describe()
        out += self.notes
        if self.launch_delay is not None:
            out.append(f"batteries without a cueing radar launch no earlier than {self.launch_delay:g} s after threat launch")
        out.append(f"assumption set: {self.assumption_set}")
        if self.signatures is not None:
            out.append("radar signatures by flight phase (booster, post-boost vehicle, RV) per missile class, catalog "
                       f"sensors.toml; missiles outside its classes: {self.rcs:g} m^2")
            seen_sig = set()
            for t in self.threats:
                for m in t.missiles:
                    sig = self.signatures.of(m.name)
                    if sig.name not in seen_sig:
                        seen_sig.add(sig.name)
                        out.append(f"signature {sig.describe()}; source: {sig.source or 'doctrine'}")
        else:
            out.append(f"radar signature: the warhead's {self.rcs:g} m^2 over the whole flight (booster and bus not modelled)")
        from ..vehicles import TAIL_CHASE_CLOSING_SPEED_SOURCE

        out.append({"allowed": "tail chase allowed: every intercept geometry",
                    "receding": "tail chase: every receding geometry (range from the site opening) refused",
                    "low-closing-speed": f"tail chase: a receding geometry closing slower than "
                                         f"{self.tail_chase_closing_speed / 1e3:g} km/s refused; "
                                         + TAIL_CHASE_CLOSING_SPEED_SOURCE}[self.tail_chase])
        from ..engage import HANDOVER_SOURCE

        out.append(f"guidance: the guiding radar holds a firm track {self.handover_time:g} s before the intercept; "
                   + HANDOVER_SOURCE)
        for s_ in self.satellites.values():
            out.append(f"early-warning satellites {s_.name}: plume seen above {s_.cloud_top / 1e3:g} km, boost track "
                       f"{s_.track_time:g} s after first sight (while burning), reported {s_.report_latency:g} s later; "
                       f"source: {s_.source}")
        for n_ in self.networks.values():
            out.append(f"network {n_.name}: {n_.link_latency:g} s per link; source: {n_.source}")
        out.append(f"lofted = {self.lofted_factor:g} x and depressed = {self.depressed_factor:g} x the minimum-energy apogee")
        for r in self.radars.values():
            out.append(f"radar {r.name}: at {math.degrees(r.lat):.2f}, {math.degrees(r.lon):.2f}; boresight "
                       f"{math.degrees(r.boresight_azimuth):.0f} +- {math.degrees(r.azimuth_half_width):.0f} deg; "
                       f"{r.reference_range / 1e3:,.0f} km on {r.reference_rcs:g} m^2; source: {r.source}")
        for ic in self.interceptors.values():
            out.append(f"interceptor {ic.name}: burnout {ic.burnout_speed / 1e3:g} km/s"
                       f"{' (impulsive)' if ic.impulsive else ''}; intercept altitude "
                       f"{ic.min_intercept_altitude / 1e3:g}-{ic.max_intercept_altitude / 1e3:g} km; range <= "
                       f"{ic.max_range / 1e3:,.0f} km; source: {ic.source}")
        seen_m, seen_p = {}, {}
        for t in self.threats:
            for m in t.missiles:
                seen_m.setdefault(m.name, getattr(m, "source", ""))
            for p in (*t.launches, *t.targets):
                seen_p.setdefault(p.name, p.source)
            out.append(f"threat group {t.name!r} ({t.role}): {', '.join(p.name for p in t.launches)} -> "
                       f"{len(t.targets)} targets; missiles {', '.join(m.name for m in t.missiles)} (the first that "
                       f"reaches is flown); profiles {', '.join(t.profiles)}" + (f"; source: {t.source}" if t.source else ""))
        for name, src in seen_m.items():
            out.append(f"missile {name}: source: {src or 'catalog'}")
        for name, src in seen_p.items():
            out.append(f"place {name}: source: {src or 'catalog'}")
        for b in self.batteries:
            where = (f"patrol box {b.patrol_box} deg sampled at {len(b.stations)} stations" if b.patrol_box else
                     f"{math.degrees(b.stations[0][0]):.2f}, {math.degrees(b.stations[0][1]):.2f}")
            cue = ", ".join(b.cues) or "launch delay"
            own = f"; own radar {b.own_radar.name}" if b.own_radar is not None else ""
            out.append(f"battery {b.name} ({b.kind}): {b.interceptor.name} x {b.count if b.count is not None else '?'} at "
                       f"{where}; cued by {cue}{own}; mode {b.mode}" + (f" via {b.network}" if b.network else "")
                       + (f"; source: {b.source}" if b.source else "")
                       + (f"; cueing: {b.cue_source}" if b.cue_source else ""))
        return out
