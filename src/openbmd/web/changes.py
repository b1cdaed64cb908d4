"""Scenario-level changes: what the page's "what if" controls do to one
architecture (move a battery, change its interceptor's burnout speed, add a
ship, change the decision time, cue everything by a launch delay, widen a
radar), as a new :class:`~openbmd.scenario.Scenario`; the original is left
as it was.

Nothing here knows about HTTP. A change the scenario cannot take raises
:class:`ChangeError` (an :class:`~openbmd.errors.OpenBMDError`); one that
names a battery, radar or interceptor that does not exist raises
:class:`UnknownName` (also a ``LookupError``). The web API answers the first
with 422 and the second with 404."""

from __future__ import annotations

import math
from dataclasses import replace

from ..errors import OpenBMDError
from ..tomlsource import suggest


class ChangeError(OpenBMDError, ValueError):
    """A change the scenario cannot take (the message says which and why)."""


class UnknownName(ChangeError, LookupError):
    """A change names a battery, radar or interceptor that does not exist."""


def with_changes(sc, changes):
    """``sc`` with ``changes`` made. ``changes`` has the fields of
    :class:`openbmd.web.models.Changes` (any object with these attributes):

    * ``batteries``: items with ``name`` and optional ``lat_deg``, ``lon_deg``
      (moves the battery to one station; a site's own radar moves with it) and
      ``burnout_speed_km_s``;
    * ``add_ships``: items with ``name``, ``lat_deg``, ``lon_deg``,
      ``interceptor`` (a catalog name) and ``count``;
    * ``decision_time_s``, ``launch_delay_s`` (every battery cued by this
      launch delay) or None;
    * ``radar_half_width_deg``: radar name -> azimuth half width (0..180 deg).

    A battery without a cue source (an added ship) makes the scenario launch
    on a 120 s launch delay unless it has one."""
    if sc.is_comparison:
        raise ChangeError("changes apply to one architecture, not a comparison")
    out = replace(sc, batteries=_changed_batteries(sc, changes.batteries) + _new_ships(changes.add_ships))
    if changes.decision_time_s is not None:
        out = replace(out, decision_time=changes.decision_time_s)
    if changes.launch_delay_s is not None:
        out = replace(out, launch_delay=changes.launch_delay_s,
                      batteries=[replace(b, cue=None, cues=(), own_radar=None, mode="own") for b in out.batteries])
    elif any(b.own_radar is None and not b.cues for b in out.batteries) and out.launch_delay is None:
        out = replace(out, launch_delay=120.0)  # added ships: launch on an early cue unless told otherwise
    if changes.radar_half_width_deg:
        out = replace(out, radars=_widened_radars(out.radars, changes.radar_half_width_deg))
    return out


def only_battery(sc, name: str):
    """``sc`` with only its battery ``name`` (an :class:`UnknownName` when it has none of that name)."""
    names = [b.name for b in sc.batteries]
    if name not in names:
        raise UnknownName(f"no battery {name!r}{suggest(name, names)}")
    return replace(sc, batteries=[b for b in sc.batteries if b.name == name])


def _changed_batteries(sc, battery_changes) -> list:
    bats = list(sc.batteries)
    names = [b.name for b in bats]
    for c in battery_changes:
        if c.name not in names:
            raise UnknownName(f"no battery {c.name!r} in {sc.name!r}{suggest(c.name, names)}")
        i = names.index(c.name)
        b = bats[i]
        if c.lat_deg is not None or c.lon_deg is not None:
            la = math.radians(c.lat_deg) if c.lat_deg is not None else b.stations[0][0]
            lo = math.radians(c.lon_deg) if c.lon_deg is not None else b.stations[0][1]
            own = b.own_radar
            if own is not None and not own.mobile:
                own = own.at(lat=la, lon=lo)  # a site's own radar moves with it
            b = replace(b, stations=[(la, lo)], patrol_box=None, own_radar=own)
        if c.burnout_speed_km_s is not None:
            b = replace(b, interceptor=b.interceptor.with_burnout_speed(c.burnout_speed_km_s * 1e3))
        bats[i] = b
    return bats


def _new_ships(ships) -> list:
    from ..catalog import CatalogError, default_catalog
    from ..scenario import BatterySpec

    out = []
    for s in ships:
        try:
            ic = default_catalog().interceptor(s.interceptor)
        except CatalogError as exc:
            raise UnknownName(str(exc)) from None
        out.append(BatterySpec(s.name, ic, s.count, "ship", [(math.radians(s.lat_deg), math.radians(s.lon_deg))],
                               None, None))
    return out


def _widened_radars(radars, half_widths_deg: dict) -> dict:
    radars = dict(radars)
    for name, hw in half_widths_deg.items():
        if name not in radars:
            raise UnknownName(f"no radar {name!r}{suggest(name, radars)}")
        if not (isinstance(hw, (int, float)) and 0 < hw <= 180):
            raise ChangeError(f"radar {name!r}: half width must be within 0..180 deg")
        radars[name] = radars[name].replace(azimuth_half_width=math.radians(hw))
    return radars
