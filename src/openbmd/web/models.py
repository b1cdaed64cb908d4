"""The request bodies of the JSON API (pydantic models; their names are the
schema names in ``/openapi.json``) and the rule for save names."""

from __future__ import annotations

import re

from fastapi import HTTPException
from pydantic import BaseModel, Field

from .security import MAX_BODY_BYTES

# a save name: letters of any script, digits, spaces and ._()+-' (no path separators, no control characters)
_NAME = re.compile(r"^[^\W_][\w .()+'-]{0,79}$")
_NAME_RULE = "name: letters (any script), digits, spaces and ._()+-' only, starting with a letter or digit, up to 80 characters"


class BatteryChange(BaseModel):
    name: str = Field(..., max_length=120, description="battery of the scenario to change")
    lat_deg: float | None = Field(None, ge=-90, le=90)
    lon_deg: float | None = Field(None, ge=-180, le=360)
    burnout_speed_km_s: float | None = Field(None, gt=0, lt=11)


class NewShip(BaseModel):
    name: str = Field(..., max_length=120)
    lat_deg: float = Field(..., ge=-90, le=90)
    lon_deg: float = Field(..., ge=-180, le=360)
    interceptor: str = Field("SM-3 Block IIA", max_length=120)
    count: int = Field(8, ge=0, le=1000)


class Changes(BaseModel):
    batteries: list[BatteryChange] = Field(default_factory=list, max_length=50)
    add_ships: list[NewShip] = Field(default_factory=list, max_length=20)
    decision_time_s: float | None = Field(None, ge=0, le=3600)
    launch_delay_s: float | None = Field(None, ge=0, le=3600, description="cue every battery by this launch delay")
    radar_half_width_deg: dict[str, float] = Field(default_factory=dict, description="radar name -> azimuth half width")


class AssessRequest(BaseModel):
    scenario: str = Field("epaa-phase3", max_length=120, description="bundled name or 'saved:ID'")
    toml: str | None = Field(None, max_length=MAX_BODY_BYTES, description="scenario text (may extend bundled scenarios only)")
    changes: Changes = Field(default_factory=Changes)
    battery: str | None = Field(None, max_length=120, description="assess only this battery (fast)")
    tracks: bool = Field(False, description="also return ground tracks (every 20 s) for maps")


class SaveRequest(BaseModel):
    name: str = Field(..., min_length=1, max_length=80)
    toml: str = Field(..., min_length=1, max_length=MAX_BODY_BYTES)


class ValidateRequest(BaseModel):
    toml: str = Field(..., min_length=1, max_length=MAX_BODY_BYTES)
    name: str | None = Field(None, max_length=80, description="ignored (accepted for older clients)")


class JobRequest(BaseModel):
    kind: str = Field(..., pattern="^(phases|footprint|assess|speed_map|balance|raid|track)$")
    scenario: str = Field("default", max_length=120)
    guarantee: str = Field("north-speed-limit", max_length=120, description="for speed_map: a bundled guarantee")
    step_deg: float = Field(1.0, ge=0.25, le=5.0, description="grid step of footprints and speed maps")
    launch_delay_s: float = Field(120.0, ge=0, le=3600, description="for speed_map")


def save_name(name: str) -> str:
    """A save name in NFC form, or a 422 naming the rule."""
    import unicodedata

    n = unicodedata.normalize("NFC", name).strip()
    if not _NAME.match(n):
        raise HTTPException(422, _NAME_RULE)
    return n
