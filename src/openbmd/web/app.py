"""The local web server's JSON API (FastAPI; OpenAPI at ``/openapi.json``,
docs at ``/docs``). Every action of the page is an endpoint usable from
scripts.

Security: the server binds to 127.0.0.1 unless told otherwise (``openbmd
serve --host``); no endpoint reads or writes a path chosen by the client
(scenarios are bundled names, saved ids, or TOML text that may only extend
bundled scenarios); client data is parsed as JSON / TOML, never evaluated or
unpickled; request bodies above ``MAX_BODY_BYTES`` are refused (413); every
response carries a content security policy.
"""

from __future__ import annotations

import math
import re
import tempfile
import threading
import tomllib
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from .. import __version__
from ..compute import COMPUTE_LOCK as _COMPUTE  # one analysis at a time (shared with openbmd serve)
from ..errors import OpenBMDError
from ..tomlsource import suggest
from ..jsonsafe import jsonable as _clean  # JSON-safe values: openbmd's one rule
from .store import Store

MAX_BODY_BYTES = 256 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# a save name: letters of any script, digits, spaces and ._()+-' (no path separators, no control characters)
_NAME = re.compile(r"^[^\W_][\w .()+'-]{0,79}$")
_NAME_RULE = "name: letters (any script), digits, spaces and ._()+-' only, starting with a letter or digit, up to 80 characters"
_JOB_ID = re.compile(r"^[0-9a-f]{12}$")


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


class Job:
    def __init__(self, kind, scenario, params=None):
        self.id = uuid.uuid4().hex[:12]
        self.kind, self.scenario, self.params = kind, scenario, params or {}
        self.state, self.done, self.total, self.result, self.error = "queued", 0, None, None, None
        self.cancelled = threading.Event()


class Cancelled(Exception):
    pass


def _found(value, what: str):
    """``value``, or a 404 naming what was not found."""
    if value is None:
        raise HTTPException(404, f"no {what}")
    return value


def _records(df):
    return _clean(df.to_dict(orient="records"))


def save_name(name: str) -> str:
    """A save name in NFC form, or a 422 naming the rule."""
    import unicodedata

    n = unicodedata.normalize("NFC", name).strip()
    if not _NAME.match(n):
        raise HTTPException(422, _NAME_RULE)
    return n


def attachment(stem: str, ext: str) -> dict:
    """A Content-Disposition header that makes the browser download the file
    (an ASCII name, and the UTF-8 one per RFC 6266 / 5987)."""
    from urllib.parse import quote

    import unicodedata

    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()  # "Défense été" -> "Defense ete"
    ascii_ = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-") or "download"
    utf8 = re.sub(r'[\x00-\x1f\x7f/\\"]+', "-", stem).strip() or ascii_
    return {"Content-Disposition": f"attachment; filename=\"{ascii_}.{ext}\"; filename*=UTF-8''{quote(utf8 + '.' + ext)}"}


def battery_reasons(a) -> list[dict]:
    """Per scenario battery: how many threat trajectories it is cued for, can
    reach (every geometric and guidance constraint somewhere on the
    trajectory), can engage, and in words why it engages none when it does not."""
    from ..analysis.track import cue_text

    e = a.engagements
    if e is None:
        return []
    tl = np.isfinite(e.earliest_launch)
    reach = e.reachable
    margin = a.margin
    out = []
    for j, b in enumerate(a.scenario.batteries):
        cols = np.nonzero(np.asarray(a.parent) == j)[0]
        cued = tl[:, cols].any(axis=1)
        able = reach[:, cols].any(axis=1)
        eng = e.engageable[:, cols].any(axis=1)
        m = margin[:, j]
        best = float(np.nanmax(m)) if np.isfinite(m).any() else None
        net = cue_text(b)
        sources = ", ".join(list(b.cues) + ([] if b.own_radar is None or b.own_radar.name in b.cues else [b.own_radar.name]))
        src = sources or "its cue network"
        if eng.any():
            reason = None
        elif not cued.any():
            reason = f"no cue: {src} never tracks these threats"
        elif (able & ~cued).any() and not (able & cued).any():
            reason = f"no cue: {src} never tracks the {int((able & ~cued).sum())} threats within its reach"
        elif (able & cued).any():
            reason = (f"too late: {int((able & cued).sum())} threats are cued and within reach, but the interceptors "
                      f"cannot get there in time" + (f" (best margin {best:+.0f} s)" if best is not None else ""))
        else:
            guided = " with a guiding radar holding a track" if b.own_radar is not None else ""
            reason = f"out of reach: none of the {int(cued.sum())} cued threats passes within its interceptors' reach{guided}"
        out.append({"battery": b.name, "cue_network": net, "cued": int(cued.sum()), "within_reach": int(able.sum()),
                    "engageable": int(eng.sum()), "best_margin_s": best, "reason": reason})
    return _clean(out)


def speed_map_bands(step_deg: float) -> int:
    """The number of latitude bands (sweep tasks) of a speed map over its default region."""
    import inspect

    from ..synthesis import BAND_ROWS, speed_map

    la0, la1 = inspect.signature(speed_map).parameters["region"].default[:2]
    return max(1, math.ceil(len(np.arange(la0 + step_deg / 2, la1, step_deg)) / BAND_ROWS))


def initial_scenario(ref: str) -> str:
    """The architecture the page opens with (``openbmd serve SCENARIO``): a
    bundled single architecture as given; for a comparison its first member."""
    from .. import scenario as S

    if ref in S.bundled_names():
        sc = S.load(ref)
        if not sc.is_comparison and sc.batteries:
            return ref
        members = [Path(p.path).stem for p in sc.phases or []]
        for m in members:
            if m in S.bundled_names() and S.load(m).batteries:
                return m
    return "epaa-phase3"


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
MAX_QUEUED_PER_KIND = 3  # queued or running jobs of one kind; beyond: 429
TOKEN_COOKIE = "openbmd_token"


def _host_only(value: str) -> str:
    """The host part of a Host header or an origin's netloc ('[::1]:8000' -> '::1')."""
    v = value.strip().lower()
    if v.startswith("["):
        return v[1:v.find("]")] if "]" in v else v
    return v.rsplit(":", 1)[0] if v.count(":") == 1 else v


def create_app(db_path=None, default_scenario: str = "default", *, allowed_hosts=None, token: str | None = None) -> FastAPI:
    """The web app. Like Jupyter's server it answers only requests whose Host
    is one of ``allowed_hosts`` (default: the loopback names; a DNS-rebinding
    page on another site gets 400), refuses state-changing requests from
    another origin (403) and, with ``token`` (``openbmd serve`` makes one when
    bound to anything but loopback), every request without it (401; the token
    comes as ``?token=``, then a cookie, or ``Authorization: token ...``).
    ``allowed_hosts=["*"]``: any Host (only with a token: the token is then
    what keeps a rebinding page out)."""
    from .. import scenario as S

    hosts = {h.lower() for h in (LOOPBACK_HOSTS if allowed_hosts is None else tuple(allowed_hosts))}
    if "*" in hosts and token is None:
        raise ValueError("a server that answers any Host needs a token")

    app = FastAPI(title="openbmd", version=__version__,
                  description="Open ballistic-missile-defence physics: the JSON API behind the local web view.")
    store = Store(db_path)
    jobs: dict[str, Job] = {}
    app.state.store = store
    app.state.initial_scenario = initial_scenario(default_scenario)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = request.headers.get("host", "")
        if "*" not in hosts and _host_only(host) not in hosts:
            return _secure(JSONResponse({"detail": f"Host {host[:80]!r} not allowed (this server answers "
                                                   f"{', '.join(sorted(hosts))})"}, status_code=400))
        origin = request.headers.get("origin")
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and origin and origin != "null":
            from urllib.parse import urlsplit

            if urlsplit(origin).netloc.lower() != host.lower():
                return _secure(JSONResponse({"detail": f"cross-origin {request.method} from {origin[:80]!r} refused"},
                                            status_code=403))
        set_cookie = False
        if token is not None:
            import hmac

            auth = request.headers.get("authorization", "")
            given = (request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
                     or (auth[6:].strip() if auth.lower().startswith("token ") else ""))
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _secure(JSONResponse({"detail": "this server needs its token: open the address "
                                                       "'openbmd serve' printed (it ends in ?token=...)"},
                                            status_code=401))
            set_cookie = request.query_params.get("token") is not None
        cl = request.headers.get("content-length")
        if cl is not None and (not cl.isdigit() or int(cl) > MAX_BODY_BYTES):
            return _secure(JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413))
        if request.method in ("POST", "PUT", "PATCH") and cl is None:
            body = await request.body()  # chunked: read and measure
            if len(body) > MAX_BODY_BYTES:
                return _secure(JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413))
        try:
            resp = await call_next(request)
        except Exception as exc:  # noqa: BLE001 - never a bare 500 page; the server log has the traceback
            import logging

            logging.getLogger("openbmd.web").exception("internal error on %s %s", request.method, request.url.path)
            resp = JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)
        if set_cookie:
            resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return _secure(resp)

    def _secure(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        return resp

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        msgs = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            msgs.append(f"{where or 'body'}: {e.get('msg')}")
        return JSONResponse({"detail": "; ".join(msgs)}, status_code=422)

    @app.exception_handler(OpenBMDError)
    async def input_error(request: Request, exc: OpenBMDError):
        """Every input or modelling error of the package (openbmd.errors) is the client's: 422, its one line."""
        return JSONResponse({"detail": str(exc)}, status_code=422)

    # ---------------------------------------------------------- loading ----
    def load(ref: str, toml: str | None = None):
        if toml is not None:
            return _from_text(toml)
        if ref.startswith("saved:"):
            try:
                sid = int(ref.split(":", 1)[1])
            except ValueError:
                raise HTTPException(422, f"scenario {ref!r}: expected saved:ID with an integer ID") from None
            return _from_text(_found(store.scenario(sid), f"saved scenario {sid}")["toml"])
        if ref not in S.bundled_names() and ref != "default":
            raise HTTPException(404, f"no bundled scenario {ref!r}{suggest(ref, S.bundled_names())}")
        try:
            return S.load(ref)
        except S.ScenarioError as exc:
            raise HTTPException(422, str(exc)) from None

    def _from_text(text: str):
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise HTTPException(422, f"scenario text: not valid TOML: {exc}") from None
        ext = doc.get("scenario", {}).get("extends") if isinstance(doc.get("scenario"), dict) else None
        refs = ([ext] if ext else []) + list((doc.get("phases") or {}).get("members", []) if isinstance(doc.get("phases"), dict) else [])
        for r in refs:
            if not isinstance(r, str) or r not in S.bundled_names():
                raise HTTPException(422, f"scenario text: may extend bundled scenarios only ({', '.join(S.bundled_names())}), "
                                         f"got {r!r}")
        try:
            return S.loads(text, "scenario text")
        except S.ScenarioError as exc:
            raise HTTPException(422, str(exc)) from None

    def apply(sc, ch: Changes):
        from ..catalog import CatalogError, default_catalog
        from ..scenario import BatterySpec

        if sc.is_comparison:
            raise HTTPException(422, "changes apply to one architecture, not a comparison")
        bats = list(sc.batteries)
        names = [b.name for b in bats]
        for c in ch.batteries:
            if c.name not in names:
                raise HTTPException(404, f"no battery {c.name!r} in {sc.name!r}{suggest(c.name, names)}")
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
                ic = b.interceptor
                v = c.burnout_speed_km_s * 1e3
                b = replace(b, interceptor=ic.with_burnout_speed(v))
            bats[i] = b
        for s in ch.add_ships:
            try:
                ic = default_catalog().interceptor(s.interceptor)
            except CatalogError as exc:
                raise HTTPException(404, str(exc)) from None
            bats.append(BatterySpec(s.name, ic, s.count, "ship", [(math.radians(s.lat_deg), math.radians(s.lon_deg))],
                                    None, None))
        out = replace(sc, batteries=bats)
        if ch.decision_time_s is not None:
            out = replace(out, decision_time=ch.decision_time_s)
        if ch.launch_delay_s is not None:
            out = replace(out, launch_delay=ch.launch_delay_s,
                          batteries=[replace(b, cue=None, cues=(), own_radar=None, mode="own") for b in out.batteries])
        elif any(b.own_radar is None and not b.cues for b in out.batteries) and out.launch_delay is None:
            out = replace(out, launch_delay=120.0)  # added ships: launch on an early cue unless told otherwise
        if ch.radar_half_width_deg:
            radars = dict(out.radars)
            for name, hw in ch.radar_half_width_deg.items():
                if name not in radars:
                    raise HTTPException(404, f"no radar {name!r}{suggest(name, radars)}")
                if not (isinstance(hw, (int, float)) and 0 < hw <= 180):
                    raise HTTPException(422, f"radar {name!r}: half width must be within 0..180 deg")
                radars[name] = radars[name].replace(azimuth_half_width=math.radians(hw))
            out = replace(out, radars=radars)
        return out

    def describe(sc) -> dict:
        from ..analysis.track import cue_text

        if sc.is_comparison:
            return {"name": sc.name, "comparison": True, "members": [describe(m) for m in sc.phases]}
        return _clean({
            "name": sc.name, "comparison": False, "description": sc.description, "year": sc.year,
            "batteries": [{"name": b.name, "kind": b.kind, "interceptor": b.interceptor.name,
                           "burnout_speed_km_s": b.interceptor.burnout_speed / 1e3, "count": b.count,
                           "lat_deg": math.degrees(b.stations[0][0]), "lon_deg": math.degrees(b.stations[0][1]),
                           "patrol_box_deg": list(b.patrol_box) if b.patrol_box else None,
                           # the whole cue network: every cue source, the own radar, the mode and the link
                           "cued_by": list(b.cues) or (None if b.own_radar is not None else ["launch_delay"]),
                           "own_radar": getattr(b.own_radar, "name", None),
                           "mode": b.mode if (b.cues or b.own_radar is not None) else "launch delay",
                           "network": b.network if (b.cues or b.own_radar is not None) else None,
                           "cue_network": cue_text(b)}
                          for b in sc.batteries],
            "radars": [{"name": r.name, "lat_deg": math.degrees(r.lat), "lon_deg": math.degrees(r.lon),
                        "boresight_deg": math.degrees(r.boresight_azimuth),
                        "half_width_deg": math.degrees(r.azimuth_half_width),
                        "detection_range_km": float(r.detection_range(sc.rcs)) / 1e3} for r in sc.radars.values()],
            "threats": [{"name": t.name, "role": t.role, "from": [p.name for p in t.launches],
                         "to": [p.name for p in t.targets], "missiles": [m.name for m in t.missiles],
                         "profiles": list(t.profiles)} for t in sc.threats],
            "assumptions": sc.assumptions(),
        })

    def assess_json(sc, only=None, tracks=False) -> dict:
        from ..analysis import assess, south_vs_north

        if only is not None:
            names = [b.name for b in sc.batteries]
            if only not in names:
                raise HTTPException(404, f"no battery {only!r}{suggest(only, names)}")
            sc = replace(sc, batteries=[b for b in sc.batteries if b.name == only])
        with _COMPUTE:
            a = assess(sc)
        t = a.per_threat()
        out_tracks = []
        if tracks:
            tr = a.flights.trajectories
            lat, lon, _ = tr.samples_geodetic
            stride = max(1, int(round(20.0 / tr.options.output_step)))
            _, _, alt = tr.samples_geodetic
            times = tr.sample_times
            for i in range(len(tr)):
                n = int(tr.n_samples[i])
                idx = list(range(0, n, stride)) + ([n - 1] if (n - 1) % stride else [])
                bm = t["best_margin_s"].iloc[i]
                out_tracks.append({"label": t["label"].iloc[i], "role": t["role"].iloc[i],
                                   "engageable": bool(t["engageable"].iloc[i]),
                                   "best_margin_s": None if not np.isfinite(bm) else float(bm),
                                   "best_battery": t["best_battery"].iloc[i],
                                   "lonlat": [[round(float(np.degrees(lon[i, j])), 3), round(float(np.degrees(lat[i, j])), 3)]
                                              for j in idx],
                                   "alt_km": [round(float(alt[i, j]) / 1e3, 1) for j in idx],
                                   "t_s": [round(float(times[j]), 1) for j in idx]})
        fans = []
        if tracks and a.engagements is not None:
            from ..report.build import fly_out_fans

            for b, ring in fly_out_fans(a):
                if np.isfinite(ring).all():
                    fans.append({"battery": b.name, "altitude_km": 150, "within_s": 300,
                                 "lonlat": [[round(float(x), 3), round(float(y), 3)] for x, y in ring]})
        return {"scenario": sc.name, "per_role": _records(south_vs_north(a)), "tracks": _clean(out_tracks),
                "batteries": battery_reasons(a),
                "fans": _clean(fans),
                "architecture": describe(sc),
                "threats": _records(t[["label", "role", "group", "launch", "target", "profile", "engageable",
                                       "batteries_able", "best_margin_s", "best_battery", "shots"]]),
                "pairs": _records(a.pairs[["threat", "battery", "engageable", "margin_s", "earliest_intercept_s",
                                           "latest_intercept_s", "intercept_lat_deg", "intercept_lon_deg",
                                           "intercept_alt_km"]]),
                "assumptions": a.assumptions()}

    # ------------------------------------------------------------ pages ----
    static = Path(__file__).parent / "static"

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index():
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"))

    web = Path(__file__).parent
    vendor = {"d3.min.js": web / "node_modules" / "d3" / "dist" / "d3.min.js",
              "topojson-client.min.js": web / "node_modules" / "topojson-client" / "dist" / "topojson-client.min.js"}

    @app.get("/static/vendor/{name}", include_in_schema=False)
    def vendor_file(name: str):
        if name not in vendor:
            raise HTTPException(404, "no such file")
        if not vendor[name].is_file():
            raise HTTPException(404, f"{name} is not installed: run ./run (or npm ci in src/openbmd/web)")
        return Response(vendor[name].read_bytes(), media_type="text/javascript")

    @app.get("/static/countries-110m.json", include_in_schema=False)
    def countries_file():
        p = Path(__file__).parents[1] / "data" / "geo" / "countries-110m.json"
        return Response(p.read_bytes(), media_type="application/json")

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str):
        files = {p.name: p for p in static.iterdir() if p.is_file()}  # a fixed set: no client-chosen paths
        if name not in files:
            raise HTTPException(404, "no such file")
        kind = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}.get(files[name].suffix,
                                                                                              "application/octet-stream")
        return Response(files[name].read_bytes(), media_type=kind)

    # -------------------------------------------------------------- API ----
    @app.get("/api/health")
    def health():
        return {"ok": True, "version": __version__, "default_scenario": default_scenario}

    @app.get("/api/scenarios")
    def scenarios():
        out = []
        for n in S.bundled_names():
            sc = S.load(n)
            out.append({"id": n, "name": sc.name, "comparison": sc.is_comparison,
                        "batteries": len(sc.batteries), "year": sc.year})
        return {"bundled": out, "saved": store.scenarios(), "initial": app.state.initial_scenario}

    @app.get("/api/scenarios/{ref}")
    def scenario_detail(ref: str):
        return describe(load(ref))

    @app.post("/api/assess")
    def assess_endpoint(req: AssessRequest):
        sc = apply(load(req.scenario, req.toml), req.changes)
        return assess_json(sc, req.battery, req.tracks)

    @app.post("/api/validate")
    def validate(req: ValidateRequest):
        sc = _from_text(req.toml)
        return {"ok": True, "name": sc.name, "batteries": len(sc.batteries), "comparison": sc.is_comparison}

    @app.post("/api/saved", status_code=201)
    def save(req: SaveRequest):
        name = save_name(req.name)
        sc = _from_text(req.toml)  # only valid scenarios are kept
        sid = store.save_scenario(name, req.toml)
        return {"id": sid, "name": name, "scenario": sc.name}

    @app.get("/api/saved")
    def saved():
        return store.scenarios()

    @app.get("/api/saved/{sid}")
    def saved_one(sid: int):
        return _found(store.scenario(sid), f"saved scenario {sid}")

    @app.get("/api/saved/{sid}/download", response_class=PlainTextResponse)
    def download(sid: int):
        row = _found(store.scenario(sid), f"saved scenario {sid}")
        return PlainTextResponse(row["toml"], media_type="application/toml", headers=attachment(row["name"], "toml"))

    @app.delete("/api/saved/{sid}")
    def delete(sid: int):
        if not store.delete_scenario(sid):
            raise HTTPException(404, f"no saved scenario {sid}")
        return {"deleted": sid}

    @app.get("/api/export/{ref}.{fmt}")
    def export(ref: str, fmt: str):
        """Map layers of one architecture: GeoJSON, KML or CZML."""
        from ..analysis import assess
        from ..report import geoexport as G
        from ..report.build import features

        if fmt not in ("geojson", "kml", "czml"):
            raise HTTPException(404, f"export format must be geojson, kml or czml, got {fmt!r}")
        sc = load(ref)
        if sc.is_comparison:
            raise HTTPException(422, "export one architecture, not a comparison")
        with _COMPUTE:
            a = assess(sc)
        feats = features(a, None)
        head = attachment(f"openbmd-{ref.replace(':', '-')}", fmt)  # a download, not a tab of raw JSON
        if fmt == "geojson":
            return JSONResponse(G.to_geojson(feats), media_type="application/geo+json", headers=head)
        if fmt == "kml":
            return Response(G.to_kml(feats, sc.name), media_type="application/vnd.google-earth.kml+xml", headers=head)
        return JSONResponse(G.to_czml(feats, sc.name), headers=head)

    @app.get("/api/report/{ref}.zip")
    def report_zip(ref: str):
        """The scenario's report (HTML, figures, tables, map layers) as a zip file."""
        import io
        import zipfile

        from ..report.build import write_report

        sc = load(ref)
        with tempfile.TemporaryDirectory(prefix="openbmd-web-") as d, _COMPUTE:
            res = write_report(sc, Path(d) / "report")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for f in sorted(res.out_dir.rglob("*")):
                    if f.is_file():
                        z.write(f, f.relative_to(res.out_dir))
        return Response(buf.getvalue(), media_type="application/zip",
                        headers=attachment(f"openbmd-report-{ref.replace(':', '-')}", "zip"))

    # ------------------------------------------------------------- jobs ----
    def run_job(job: Job):
        from ..analysis import assess, footprint, phases

        def tick(n=1):
            if job.cancelled.is_set():
                raise Cancelled()
            job.done += n

        try:
            sc = load(job.scenario)
            job.state = "running"
            with _COMPUTE:
                if job.kind == "phases":
                    job.total = len(sc.phases or [sc]) * 2
                    comp = phases(sc, progress=tick)
                    job.result = {"phases": _clean(comp.records())}
                elif job.kind == "footprint":
                    if sc.is_comparison or sc.footprint is None:
                        raise HTTPException(422, "footprint needs one architecture with [analyses.footprint]")
                    job.total = 1
                    fp = footprint(sc, progress=tick, step_deg=job.params.get("step_deg", 1.0))
                    la, lo = np.meshgrid(fp.lat_deg, fp.lon_deg, indexing="ij")
                    ok = np.isfinite(fp.status) & (fp.status >= 0)
                    job.result = _clean({**fp.summary(), "cells": [[round(float(a), 3), round(float(o), 3), int(v)]
                                                                  for a, o, v in zip(la[ok], lo[ok], fp.status[ok])]})
                elif job.kind == "speed_map":
                    from ..guarantee import load_guarantee
                    from ..synthesis import speed_map

                    if sc.is_comparison:
                        raise HTTPException(422, "a speed map needs one architecture (its protected threats)")
                    g = load_guarantee(job.params.get("guarantee", "north-speed-limit"))
                    job.total = speed_map_bands(job.params.get("step_deg", 1.0))

                    def bands_done(n):  # run_sweep reports the number of finished bands
                        tick(0)
                        job.done = min(int(n), job.total)

                    sm = speed_map(g, sc, step_deg=job.params.get("step_deg", 1.0),
                                   launch_delay=job.params.get("launch_delay_s", 120.0), progress=bands_done)
                    job.done = job.total
                    t = sm.table
                    job.result = _clean({"guarantee": g.name, "launch_delay_s": sm.launch_delay_s,
                                         "step_deg": job.params.get("step_deg", 1.0),
                                         "cells": [[float(a), float(o), None if not np.isfinite(v) else float(v)]
                                                   for a, o, v in zip(t["lat_deg"], t["lon_deg"], t["v_max_km_s"])],
                                         "assumptions": sm.assumptions})
                elif job.kind == "balance":
                    from ..analysis.balance import balance

                    job.total = len(sc.phases or [sc])
                    b = balance(sc, progress=tick)
                    job.result = _clean({"balance": b.records(), "assumptions": b.assumptions()})
                elif job.kind in ("raid", "track"):
                    from ..analysis.raid import raid
                    from ..analysis.track import track_effect

                    members = sc.phases or [sc]
                    job.total = len(members)
                    out = []
                    for m in members:
                        if job.kind == "raid":
                            r = raid(m)
                            out.append({"scenario": m.name, "totals": r.totals(), "per_battery": _records(r.per_battery()),
                                        "per_field": _records(r.per_field())})
                        else:
                            out.append({"scenario": m.name, "table": _records(track_effect(m).table())})
                        tick(1)
                    job.result = _clean({job.kind: out})
                else:
                    job.total = 1
                    job.result = {"per_role": _records(assess(sc, progress=tick).per_role())}
            job.state = "done"
            store.save_result(job.scenario, job.kind, job.result)
        except Cancelled:
            job.state = "cancelled"
        except HTTPException as exc:
            job.state, job.error = "failed", exc.detail
        except Exception as exc:  # noqa: BLE001 - reported to the client
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"

    @app.post("/api/jobs", status_code=202)
    def start_job(req: JobRequest):
        load(req.scenario)  # unknown names fail now, with 404
        if req.kind == "speed_map":
            from ..guarantee import bundled_guarantees

            if req.guarantee not in bundled_guarantees():
                raise HTTPException(404, f"no bundled guarantee {req.guarantee!r}{suggest(req.guarantee, bundled_guarantees())} "
                                         f"(bundled: {', '.join(bundled_guarantees())})")
        waiting = sum(1 for j in jobs.values() if j.kind == req.kind and j.state in ("queued", "running"))
        if waiting >= MAX_QUEUED_PER_KIND:
            raise HTTPException(429, f"{waiting} {req.kind} jobs already queued or running (at most "
                                     f"{MAX_QUEUED_PER_KIND} per kind): wait for one to finish or cancel one")
        job = Job(req.kind, req.scenario, {"step_deg": req.step_deg, "guarantee": req.guarantee,
                                           "launch_delay_s": req.launch_delay_s})
        if req.kind == "speed_map":
            job.total = speed_map_bands(req.step_deg)  # known before it starts: the bar begins at 0 of N
        jobs[job.id] = job
        threading.Thread(target=run_job, args=(job,), daemon=True).start()
        return {"id": job.id, "state": job.state}

    def _job(jid: str) -> Job:
        if not _JOB_ID.match(jid):
            raise HTTPException(422, f"job id: expected the 12 hex characters that POST /api/jobs returned, got {jid[:40]!r}")
        return _found(jobs.get(jid), f"job {jid!r}")

    @app.get("/api/jobs/{jid}")
    def job_status(jid: str):
        job = _job(jid)
        return {"id": job.id, "kind": job.kind, "scenario": job.scenario, "state": job.state, "done": job.done,
                "total": job.total, "result": job.result, "error": job.error}

    @app.delete("/api/jobs/{jid}")
    def cancel_job(jid: str):
        job = _job(jid)
        job.cancelled.set()
        return {"id": jid, "state": "cancelling" if job.state in ("queued", "running") else job.state}

    @app.get("/api/results")
    def results():
        return store.results()

    @app.get("/api/results/{rid}")
    def result(rid: int):
        return _found(store.result(rid), f"result {rid}")

    return app
