"""Scenario files (see :mod:`openbmd.scenario.build`)."""

from .build import (ANALYSES, DEFAULT, ENTRY_TABLES, KINDS, MAX_BURNOUT_SPEED_KM_S, MAX_FILE_BYTES, MODES, PROFILES,
                    RANGES, ROLES, SCHEMA, SIGNATURE_MODELS, TAIL_CHASE_RULES, TOP_TABLES, BalanceSpec, BatterySpec,
                    FootprintSpec, RaidSpec, Scenario, ScenarioError, ThreatSpec, bundled_dir, bundled_names, load,
                    loads, patrol_stations, read_toml, resolve)

__all__ = ["ANALYSES", "DEFAULT", "ENTRY_TABLES", "KINDS", "MAX_BURNOUT_SPEED_KM_S", "MAX_FILE_BYTES", "MODES",
           "PROFILES", "RANGES", "ROLES", "SCHEMA", "SIGNATURE_MODELS", "TAIL_CHASE_RULES", "TOP_TABLES", "BalanceSpec",
           "BatterySpec", "FootprintSpec", "RaidSpec", "Scenario", "ScenarioError", "ThreatSpec", "bundled_dir",
           "bundled_names", "load", "loads", "patrol_stations", "read_toml", "resolve"]
