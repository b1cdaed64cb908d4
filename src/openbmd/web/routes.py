"""The web app's endpoints: ``pages`` (the page, its scripts, styles and map
data; not in the API schema) and ``api`` (the JSON API under ``/api``).

An endpoint finds the app's store, jobs and scenario names on
``request.app.state`` (set by :func:`openbmd.web.app.create_app`). No
endpoint reads or writes a path chosen by the client."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from .. import __version__
from ..compute import COMPUTE_LOCK  # one analysis at a time (shared with openbmd serve)
from ..tomlsource import suggest
from . import views
from .changes import ChangeError, only_battery, with_changes
from .loading import found, load_scenario, scenario_from_text
from .models import AssessRequest, JobRequest, SaveRequest, ValidateRequest, save_name

pages = APIRouter()
api = APIRouter()

WEB = Path(__file__).parent
STATIC = WEB / "static"
VENDOR = {"d3.min.js": WEB / "node_modules" / "d3" / "dist" / "d3.min.js",
          "topojson-client.min.js": WEB / "node_modules" / "topojson-client" / "dist" / "topojson-client.min.js"}


def changed(sc, changes, only: str | None = None):
    """``sc`` with the page's changes (and only battery ``only`` when given);
    a change naming what does not exist: 404, any other it cannot take: 422."""
    try:
        sc = with_changes(sc, changes)
        return sc if only is None else only_battery(sc, only)
    except ChangeError as exc:
        raise HTTPException(404 if isinstance(exc, LookupError) else 422, str(exc)) from None


# ---------------------------------------------------------------- pages ----
@pages.get("/", response_class=HTMLResponse, include_in_schema=False)
def index():
    return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))


@pages.get("/static/vendor/{name}", include_in_schema=False)
def vendor_file(name: str):
    if name not in VENDOR:
        raise HTTPException(404, "no such file")
    if not VENDOR[name].is_file():
        raise HTTPException(404, f"{name} is not installed: run ./run (or npm ci in src/openbmd/web)")
    return Response(VENDOR[name].read_bytes(), media_type="text/javascript")


@pages.get("/static/countries-110m.json", include_in_schema=False)
def countries_file():
    p = Path(__file__).parents[1] / "data" / "geo" / "countries-110m.json"
    return Response(p.read_bytes(), media_type="application/json")


@pages.get("/static/{name}", include_in_schema=False)
def static_file(name: str):
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()}  # a fixed set: no client-chosen paths
    if name not in files:
        raise HTTPException(404, "no such file")
    kind = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}.get(files[name].suffix,
                                                                                          "application/octet-stream")
    return Response(files[name].read_bytes(), media_type=kind)


# ------------------------------------------------------------ scenarios ----
@api.get("/api/health")
def health(request: Request):
    return {"ok": True, "version": __version__, "default_scenario": request.app.state.default_scenario}


@api.get("/api/scenarios")
def scenarios(request: Request):
    from .. import scenario as S

    out = [views.scenario_summary(n, S.load(n)) for n in S.bundled_names()]
    return {"bundled": out, "saved": request.app.state.store.scenarios(), "initial": request.app.state.initial_scenario}


@api.get("/api/scenarios/{ref}")
def scenario_detail(ref: str, request: Request):
    return views.describe(load_scenario(request.app.state.store, ref))


@api.post("/api/assess")
def assess_endpoint(req: AssessRequest, request: Request):
    from ..analysis import assess

    sc = changed(load_scenario(request.app.state.store, req.scenario, req.toml), req.changes, req.battery)
    with COMPUTE_LOCK:
        a = assess(sc)
    return views.assessment(sc, a, req.tracks)


@api.post("/api/validate")
def validate(req: ValidateRequest):
    sc = scenario_from_text(req.toml)
    return {"ok": True, "name": sc.name, "batteries": len(sc.batteries), "comparison": sc.is_comparison}


# ---------------------------------------------------------------- saved ----
@api.post("/api/saved", status_code=201)
def save(req: SaveRequest, request: Request):
    name = save_name(req.name)
    sc = scenario_from_text(req.toml)  # only valid scenarios are kept
    sid = request.app.state.store.save_scenario(name, req.toml)
    return {"id": sid, "name": name, "scenario": sc.name}


@api.get("/api/saved")
def saved(request: Request):
    return request.app.state.store.scenarios()


@api.get("/api/saved/{sid}")
def saved_one(sid: int, request: Request):
    return found(request.app.state.store.scenario(sid), f"saved scenario {sid}")


@api.get("/api/saved/{sid}/download", response_class=PlainTextResponse)
def download(sid: int, request: Request):
    row = found(request.app.state.store.scenario(sid), f"saved scenario {sid}")
    return PlainTextResponse(row["toml"], media_type="application/toml", headers=views.attachment(row["name"], "toml"))


@api.delete("/api/saved/{sid}")
def delete(sid: int, request: Request):
    if not request.app.state.store.delete_scenario(sid):
        raise HTTPException(404, f"no saved scenario {sid}")
    return {"deleted": sid}


# ------------------------------------------------------------ downloads ----
@api.get("/api/export/{ref}.{fmt}")
def export(ref: str, fmt: str, request: Request):
    """Map layers of one architecture: GeoJSON, KML or CZML."""
    from ..analysis import assess
    from ..report import geoexport as G
    from ..report.build import features

    if fmt not in ("geojson", "kml", "czml"):
        raise HTTPException(404, f"export format must be geojson, kml or czml, got {fmt!r}")
    sc = load_scenario(request.app.state.store, ref)
    if sc.is_comparison:
        raise HTTPException(422, "export one architecture, not a comparison")
    with COMPUTE_LOCK:
        a = assess(sc)
    feats = features(a, None)
    head = views.attachment(f"openbmd-{ref.replace(':', '-')}", fmt)  # a download, not a tab of raw JSON
    if fmt == "geojson":
        return JSONResponse(G.to_geojson(feats), media_type="application/geo+json", headers=head)
    if fmt == "kml":
        return Response(G.to_kml(feats, sc.name), media_type="application/vnd.google-earth.kml+xml", headers=head)
    return JSONResponse(G.to_czml(feats, sc.name), headers=head)


@api.get("/api/report/{ref}.zip")
def report_zip(ref: str, request: Request):
    """The scenario's report (HTML, figures, tables, map layers) as a zip file."""
    import io
    import zipfile

    from ..report.build import write_report

    sc = load_scenario(request.app.state.store, ref)
    with tempfile.TemporaryDirectory(prefix="openbmd-web-") as d, COMPUTE_LOCK:
        res = write_report(sc, Path(d) / "report")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(res.out_dir.rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(res.out_dir))
    return Response(buf.getvalue(), media_type="application/zip",
                    headers=views.attachment(f"openbmd-report-{ref.replace(':', '-')}", "zip"))


# ----------------------------------------------------------------- jobs ----
@api.post("/api/jobs", status_code=202)
def start_job(req: JobRequest, request: Request):
    load_scenario(request.app.state.store, req.scenario)  # unknown names fail now, with 404
    if req.kind == "speed_map":
        from ..guarantee import bundled_guarantees

        if req.guarantee not in bundled_guarantees():
            raise HTTPException(404, f"no bundled guarantee {req.guarantee!r}{suggest(req.guarantee, bundled_guarantees())} "
                                     f"(bundled: {', '.join(bundled_guarantees())})")
    job = request.app.state.jobs.submit(req.kind, req.scenario, {"step_deg": req.step_deg, "guarantee": req.guarantee,
                                                                 "launch_delay_s": req.launch_delay_s})
    return {"id": job.id, "state": job.state}


@api.get("/api/jobs/{jid}")
def job_status(jid: str, request: Request):
    return views.job_status(request.app.state.jobs.get(jid))


@api.delete("/api/jobs/{jid}")
def cancel_job(jid: str, request: Request):
    job = request.app.state.jobs.get(jid)
    job.cancelled.set()
    return {"id": jid, "state": "cancelling" if job.state in ("queued", "running") else job.state}


@api.get("/api/results")
def results(request: Request):
    return request.app.state.store.results()


@api.get("/api/results/{rid}")
def result(rid: int, request: Request):
    return found(request.app.state.store.result(rid), f"result {rid}")
