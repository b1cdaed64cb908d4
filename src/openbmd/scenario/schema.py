"""The scenario file's schema: its tables, each table's fields and their
types, the choices of the enumerated fields, and the physical range of every
number (checked when the file is read, :func:`openbmd.scenario.fields.check_fields`)."""

from __future__ import annotations

DEFAULT = "epaa-phases"  # the bundled default: the whole phase comparison
ENTRY_TABLES = ("interceptor", "radar", "satellite", "network", "battery", "target_set", "threat", "raid")
TOP_TABLES = ("scenario", "model", "doctrine", "analyses", "phases", "balance")
PROFILES = ("min-energy", "lofted", "depressed")
ROLES = ("strategic", "southern")
ANALYSES = ("assess", "footprint", "south-vs-north", "raid", "balance", "track")
MODES = ("own", "launch-on-remote", "engage-on-remote")
TAIL_CHASE_RULES = ("low-closing-speed", "receding", "allowed")
SIGNATURE_MODELS = ("by-phase", "warhead-only")

SCHEMA = {
    "scenario": {"name": str, "description": str, "extends": str, "year": int, "sources": list},
    "model": {"earth": str, "rotation": bool, "gravity": str, "drag": bool, "threat_step_s": float,
              "coarse_step_s": float},
    "doctrine": {"decision_time_s": float, "track_time_s": float, "rcs_m2": float, "assessment_time_s": float,
                 "cue": str, "launch_delay_s": float, "lofted_apogee_factor": float,
                 "depressed_apogee_factor": float, "shot_doctrine": str, "salvo": int, "max_engagements": int,
                 "kill_probability": float, "kill_probability_range": list, "kill_probability_source": str,
                 "tail_chase": str, "tail_chase_closing_speed_km_s": float, "handover_time_s": float,
                 "signatures": str},
    "interceptor": {"name": str, "base": str, "burnout_speed_km_s": float, "min_intercept_altitude_km": float,
                    "max_intercept_altitude_km": float, "max_range_km": float, "min_closing_speed_km_s": float,
                    "tail_chase": bool, "impulsive": bool, "remove": bool, "source": str},
    "radar": {"name": str, "type": str, "at": str, "lat_deg": float, "lon_deg": float,
              "boresight_azimuth_deg": float, "azimuth_half_width_deg": float, "min_elevation_deg": float,
              "max_range_km": float, "reference_range_km": float, "track_time_s": float, "remove": bool,
              "source": str},
    "satellite": {"name": str, "type": str, "cloud_top_km": float, "report_latency_s": float, "track_time_s": float,
                  "remove": bool, "source": str},
    "network": {"name": str, "type": str, "link_latency_s": float, "remove": bool, "source": str},
    "battery": {"name": str, "interceptor": str, "count": int, "at": str, "lat_deg": float, "lon_deg": float,
                "patrol_box_deg": list, "stations": int, "cued_by": list, "own_radar": str, "mode": str,
                "network": str, "kind": str, "remove": bool, "source": str, "cue_source": str},
    "target_set": {"name": str, "targets": list, "remove": bool},
    "threat": {"name": str, "role": str, "from": list, "to": list, "missile": list, "profiles": list,
               "remove": bool, "source": str},
    "analyses": {"run": list, "footprint": dict},
    "footprint": {"launch_area": str, "missile": str, "region_deg": list, "step_deg": float,
                  "countries": list},
    "phases": {"members": list},
    "raid": {"name": str, "threat": str, "from": list, "missiles": int, "warheads_per_missile": int,
             "decoys_per_missile": int, "start_s": float, "spacing_s": float, "remove": bool, "source": str},
    "balance": {"force": list, "attack": list, "decoys_per_missile": int, "inventory_factors": list,
                "decision_times_s": list, "method": str},
}
KINDS = ("land", "ship")

# The physical range of every number a scenario file holds: (low, high, unit or
# reason). Generous sanity bounds, checked when the file is read, so that a
# typo (count = 1000000000000, a delay of 1e308 s) is refused, not computed.
# The same limits as the command line's (openbmd.cli.common).
MAX_BURNOUT_SPEED_KM_S = 11.0  # below escape speed at the surface (11.2 km/s)
_DAY = (0, 86_400, "s, at most a day")
_ALT = (0, 10_000, "km")
_RANGE_KM = (0, 50_000, "km")
RANGES = {  # latitudes and longitudes: in fields.latlon
    "scenario": {"year": (1900, 2200, "")},
    "model": {"threat_step_s": (0, 600, "s"), "coarse_step_s": (0, 600, "s")},
    "doctrine": {"decision_time_s": _DAY, "track_time_s": _DAY, "rcs_m2": (0, 10_000, "m^2"),
                 "assessment_time_s": _DAY, "launch_delay_s": _DAY, "lofted_apogee_factor": (0, 10, ""),
                 "depressed_apogee_factor": (0, 10, ""), "salvo": (1, 100, "interceptors"),
                 "max_engagements": (1, 100, ""),
                 "tail_chase_closing_speed_km_s": (0, 30, "km/s"), "handover_time_s": _DAY},
    "interceptor": {"min_intercept_altitude_km": _ALT, "max_intercept_altitude_km": _ALT,
                    "max_range_km": (0, 20_040, "km, half the Earth's circumference"),
                    "min_closing_speed_km_s": (0, 30, "km/s")},
    "radar": {"boresight_azimuth_deg": (-360, 360, "deg"),
              "azimuth_half_width_deg": (0, 180, "deg"), "min_elevation_deg": (-90, 90, "deg"),
              "max_range_km": _RANGE_KM, "reference_range_km": _RANGE_KM, "track_time_s": _DAY},
    "satellite": {"cloud_top_km": (0, 100, "km"), "report_latency_s": _DAY, "track_time_s": _DAY},
    "network": {"link_latency_s": _DAY},
    "battery": {"count": (0, 100_000, "interceptors"), "stations": (1, 1_000, "")},
    "footprint": {"step_deg": (0, 30, "deg")},
    "raid": {"missiles": (1, 100_000, ""), "warheads_per_missile": (1, 1_000, ""), "decoys_per_missile": (0, 1_000, ""),
             "start_s": _DAY, "spacing_s": _DAY},
    "balance": {"decoys_per_missile": (0, 1_000, "")},
}
