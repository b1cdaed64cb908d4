"""Scenario files: a defence architecture, the threats, the assumptions and the
analyses to run, in TOML, validated into domain objects.

A scenario file (see ``src/openbmd/scenarios/`` for the bundled ones and
``docs/user-guide.md`` for every field)::

    [scenario]                 name, description, extends = "epaa-phase2" (a bundled name or a path)
    [model]                    earth, rotation, gravity, drag, threat_step_s, coarse_step_s
    [doctrine]                 decision_time_s, track_time_s, rcs_m2, assessment_time_s, cue, launch_delay_s,
                               shot_doctrine, salvo, max_engagements, kill_probability (+ _range, _source)
    [[interceptor]]            name, base (catalog name) and field overrides (burnout_speed_km_s, ...)
    [[radar]]                  name, type (catalog name), at / lat_deg+lon_deg, field overrides
    [[battery]]                name, interceptor, count, at / lat_deg+lon_deg / patrol_box_deg, cued_by, kind
    [[target_set]]             name, targets
    [[threat]]                 name, role (strategic|southern), from, to, missile, profiles
    [[raid]]                   name, threat (a [[threat]] name), from, missiles, warheads_per_missile,
                               decoys_per_missile, start_s, spacing_s
    [balance]                  force, attack, decoys_per_missile, inventory_factors, decision_times_s, method
    [analyses]                 run = ["assess", ...], [analyses.footprint] ...
    [phases]                   members = ["epaa-phase1", ...]  (a comparison of scenarios)

A scenario that ``extends`` another starts from it: top-level tables merge key
by key; ``[[battery]]``, ``[[radar]]``, ``[[interceptor]]``, ``[[threat]]`` and
``[[target_set]]`` entries merge by ``name`` (same name: the fields given
replace the parent's; ``remove = true`` drops the parent's entry).

Errors are :class:`ScenarioError`: ``FILE:LINE: field 'battery[2].interceptor':
...`` with what was expected and near-miss suggestions. Loading never writes.

The package: :mod:`~openbmd.scenario.schema` (tables, fields, ranges),
:mod:`~openbmd.scenario.fields` (the error, :func:`~openbmd.scenario.fields.fail`,
field readers), :mod:`~openbmd.scenario.chain` (finding files, ``extends``),
:mod:`~openbmd.scenario.model` (the dataclasses),
:mod:`~openbmd.scenario.cueing` (radars, satellites, networks, a battery's
cueing), :mod:`~openbmd.scenario.tables` (a builder a table) and
:mod:`~openbmd.scenario.build` (:func:`load`, :func:`loads`, the order the
tables are read in). Import from ``openbmd.scenario``.
"""

from ..tomlsource import MAX_FILE_BYTES
from .build import load, loads
from .chain import bundled_dir, bundled_names, read_toml, resolve
from .fields import ScenarioError
from .model import BalanceSpec, BatterySpec, FootprintSpec, RaidSpec, Scenario, ThreatSpec
from .schema import (ANALYSES, DEFAULT, ENTRY_TABLES, KINDS, MAX_BURNOUT_SPEED_KM_S, MODES, PROFILES, RANGES, ROLES,
                     SCHEMA, SIGNATURE_MODELS, TAIL_CHASE_RULES, TOP_TABLES)
from .tables import patrol_stations

__all__ = ["ANALYSES", "DEFAULT", "ENTRY_TABLES", "KINDS", "MAX_BURNOUT_SPEED_KM_S", "MAX_FILE_BYTES", "MODES",
           "PROFILES", "RANGES", "ROLES", "SCHEMA", "SIGNATURE_MODELS", "TAIL_CHASE_RULES", "TOP_TABLES", "BalanceSpec",
           "BatterySpec", "FootprintSpec", "RaidSpec", "Scenario", "ScenarioError", "ThreatSpec", "bundled_dir",
           "bundled_names", "load", "loads", "patrol_stations", "read_toml", "resolve"]
