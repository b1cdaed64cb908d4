"""The web server's JSON API: each endpoint, bad input as 4xx (never 500),
security headers, a real server under concurrent clients."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from openbmd import scenario
from openbmd.web.app import CSP, MAX_BODY_BYTES, create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # TestClient sends Host: testserver
    app = create_app(tmp_path_factory.mktemp("web") / "db.sqlite3", allowed_hosts=["testserver", "localhost"])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_the_server_answers_only_its_own_host_and_origin(tmp_path):
    """DNS rebinding and cross-site requests (Jupyter's model): a foreign Host
    gets 400, a cross-origin POST 403; the loopback names are the default."""
    app = create_app(tmp_path / "db.sqlite3")
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        assert c.get("/api/health").status_code == 200
        r = c.get("/api/health", headers={"Host": "evil.example"})
        assert r.status_code == 400 and "not allowed" in r.json()["detail"]
        assert c.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
        assert c.get("/api/health", headers={"Host": "[::1]:8000"}).status_code == 200
        body = {"toml": MINI}
        r = c.post("/api/validate", json=body, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403 and "cross-origin" in r.json()["detail"]
        assert c.post("/api/validate", json=body, headers={"Origin": "http://127.0.0.1:8000"}).status_code == 200
        assert c.post("/api/validate", json=body).status_code == 200  # no Origin: not a browser's cross-site request


def test_a_server_bound_beyond_loopback_needs_its_token(tmp_path):
    app = create_app(tmp_path / "db.sqlite3", allowed_hosts=["*"], token="s3cret")
    with TestClient(app, base_url="http://192.0.2.7:8000", raise_server_exceptions=False) as c:
        r = c.get("/api/health")
        assert r.status_code == 401 and "token" in r.json()["detail"]
        assert c.get("/api/health", headers={"Authorization": "token wrong"}).status_code == 401
        assert c.get("/api/health", headers={"Authorization": "token s3cret"}).status_code == 200
        r = c.get("/api/health?token=s3cret")  # the printed address: sets a cookie for the page's own requests
        assert r.status_code == 200 and "openbmd_token" in r.headers.get("set-cookie", "")
        assert c.get("/api/health").status_code == 200  # the cookie
    with pytest.raises(ValueError, match="token"):
        create_app(tmp_path / "db2.sqlite3", allowed_hosts=["*"])


def test_the_job_queue_is_bounded(tmp_path):
    from openbmd.web import app as W

    app = create_app(tmp_path / "db.sqlite3", allowed_hosts=["testserver"])
    with TestClient(app, raise_server_exceptions=False) as c:
        ids = []
        codes = []
        for _ in range(W.MAX_QUEUED_PER_KIND + 2):
            r = c.post("/api/jobs", json={"kind": "footprint", "scenario": "epaa-phase3", "step_deg": 5.0})
            codes.append(r.status_code)
            if r.status_code == 202:
                ids.append(r.json()["id"])
        assert codes[: W.MAX_QUEUED_PER_KIND] == [202] * W.MAX_QUEUED_PER_KIND
        assert 429 in codes[W.MAX_QUEUED_PER_KIND:]
        r = c.post("/api/jobs", json={"kind": "footprint", "scenario": "epaa-phase3", "step_deg": 5.0})
        if r.status_code == 429:
            assert "at most" in r.json()["detail"]
        for j in ids:
            c.delete(f"/api/jobs/{j}")


MINI = """
[scenario]
name = "mini"
extends = "epaa-phase3"
[[battery]]
name = "Aegis Ashore Deveselu"
remove = true
"""


def test_health_scenarios_and_detail(client):
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["ok"]
    assert r.headers["content-security-policy"] == CSP
    d = client.get("/api/scenarios").json()
    ids = {s["id"] for s in d["bundled"]}
    assert {"epaa-phase3", "epaa-phases", "moscow-a135"} <= ids
    s = client.get("/api/scenarios/epaa-phase3").json()
    assert {b["name"] for b in s["batteries"]} >= {"Aegis Ashore Redzikowo", "Aegis Ashore Deveselu"}
    # each battery shows its whole cue network, not only the first cue radar
    rz = next(b for b in s["batteries"] if b["name"] == "Aegis Ashore Redzikowo")
    assert rz["cued_by"] == ["Redzikowo SPY-1", "Kurecik TPY-2"]
    assert rz["own_radar"] == "Redzikowo SPY-1" and rz["mode"] == "engage-on-remote"
    assert rz["cue_network"] == "Redzikowo SPY-1, Kurecik TPY-2; engage-on-remote"
    assert s["assumptions"]
    assert client.get("/api/scenarios/default").json()["comparison"] is True
    r = client.get("/api/scenarios/epaa-phase9")
    assert r.status_code == 404 and "epaa-phase" in r.json()["detail"]


def test_assess_and_changes(client):
    r = client.post("/api/assess", json={"scenario": "epaa-phase3"})
    assert r.status_code == 200
    d = r.json()
    roles = {x["role"]: x for x in d["per_role"]}
    # as the Python API: no strategic trajectory; the southern ones where a radar guides the intercept
    from openbmd import analysis, scenario

    want = analysis.assess(scenario.load("epaa-phase3")).share("southern")
    assert roles["strategic"]["engageable"] == 0 and roles["southern"]["engageable_share"] == pytest.approx(want)
    assert want > 0.3
    # moving Redzikowo under the tracks with a faster interceptor and an early cue changes the answer
    r2 = client.post("/api/assess", json={"scenario": "epaa-phase3", "battery": "Aegis Ashore Redzikowo", "changes": {
        "batteries": [{"name": "Aegis Ashore Redzikowo", "lat_deg": 68.0, "lon_deg": 4.0, "burnout_speed_km_s": 5.5}],
        "launch_delay_s": 120}})
    assert r2.status_code == 200
    strat = {x["role"]: x for x in r2.json()["per_role"]}["strategic"]
    assert strat["engageable"] > 0
    # adding a ship
    r3 = client.post("/api/assess", json={"scenario": "epaa-phase3", "changes": {
        "add_ships": [{"name": "new ship", "lat_deg": 68.0, "lon_deg": 4.0, "interceptor": "SM-3 Block IIB"}],
        "launch_delay_s": 120}})
    assert r3.status_code == 200 and any(p["battery"] == "new ship" for p in r3.json()["pairs"])


@pytest.mark.parametrize("body, status, text", [
    ({"scenario": "nope"}, 404, "no bundled scenario"),
    ({"scenario": "epaa-phase3", "changes": {"batteries": [{"name": "Deveselu"}]}}, 404, "Aegis Ashore Deveselu"),
    ({"scenario": "epaa-phase3", "changes": {"batteries": [{"name": "x", "lat_deg": 95}]}}, 422, "lat_deg"),
    ({"scenario": "epaa-phase3", "changes": {"decision_time_s": "soon"}}, 422, "decision_time_s"),
    ({"scenario": 5}, 422, "scenario"),
    ({"scenario": "saved:abc"}, 422, "saved:ID"),
    ({"scenario": "saved:999"}, 404, "no saved scenario"),
    ({"scenario": "x", "toml": "[scenario]\nextends = \"/etc/passwd\"\n"}, 422, "bundled scenarios only"),
    ({"scenario": "x", "toml": "[[battery\n"}, 422, "not valid TOML"),
    ({"scenario": "x", "toml": "[[battery]]\nname = \"B\"\ninterceptor = \"SM-9\"\n"}, 422, "scenario text:3"),
    ({"scenario": "default"}, 422, "comparison"),
])
def test_bad_requests_are_4xx_with_a_message(client, body, status, text):
    r = client.post("/api/assess", json=body)
    assert r.status_code == status, r.text
    assert text in r.json()["detail"]


def test_malformed_and_huge_bodies(client):
    r = client.post("/api/assess", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    big = b'{"scenario": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'
    r = client.post("/api/assess", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "over" in r.json()["detail"]


def test_saved_scenarios_download_and_results(client):
    r = client.post("/api/saved", json={"name": "my mini", "toml": MINI})
    assert r.status_code == 201
    sid = r.json()["id"]
    assert any(s["id"] == sid for s in client.get("/api/saved").json())
    assert client.get(f"/api/saved/{sid}").json()["toml"] == MINI
    dl = client.get(f"/api/saved/{sid}/download")
    assert dl.text == MINI and "my-mini.toml" in dl.headers["content-disposition"]
    a = client.post("/api/assess", json={"scenario": f"saved:{sid}"}).json()
    assert all(p["battery"] != "Aegis Ashore Deveselu" for p in a["pairs"])
    bad = client.post("/api/saved", json={"name": "../../etc/x", "toml": MINI})
    assert bad.status_code == 422
    bad = client.post("/api/saved", json={"name": "ok", "toml": "[[battery]]\nname = 3\n"})
    assert bad.status_code == 422
    assert client.delete(f"/api/saved/{sid}").status_code == 200
    assert client.get(f"/api/saved/{sid}").status_code == 404


@pytest.mark.parametrize("name", ["Défense été", "Оборона 2025", "ミサイル防衛", "O'Brien (v2)"])
def test_unicode_save_names_are_kept_and_listed(client, name):
    r = client.post("/api/saved", json={"name": name, "toml": MINI})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["name"] == name
    assert {"id": sid, "name": name} in [{"id": s["id"], "name": s["name"]} for s in client.get("/api/saved").json()]
    assert client.get(f"/api/saved/{sid}").json()["name"] == name
    cd = client.get(f"/api/saved/{sid}/download").headers["content-disposition"]
    from urllib.parse import quote

    assert cd.startswith("attachment; filename=\"") and f"filename*=UTF-8''{quote(name + '.toml')}" in cd
    cd.encode("latin-1")  # a header the browser can read: the Unicode name is percent-encoded
    assert client.delete(f"/api/saved/{sid}").status_code == 200


@pytest.mark.parametrize("name", ["../../etc/x", "a/b", "a\\b", "tab\there", "nul\x00", "bell\x07", "é" * 81, "", "   ",
                                  "-leading dash", "line\nbreak", "x\u202ey"])
def test_bad_save_names_are_refused(client, name):
    r = client.post("/api/saved", json={"name": name, "toml": MINI})
    assert r.status_code == 422 and "name" in r.json()["detail"]


def test_per_battery_reason_when_a_moved_ship_engages_nothing(client):
    toml = MINI.replace("[[battery]]\nname = \"Aegis Ashore Deveselu\"\nremove = true\n", "") + """
[[battery]]
name = "Remote-cued ship"
interceptor = "SM-3 Block IIA"
kind = "ship"
lat_deg = 36.0
lon_deg = 25.0
cued_by = ["Kurecik TPY-2"]
"""
    before = client.post("/api/assess", json={"scenario": "x", "toml": toml}).json()
    ship = next(b for b in before["batteries"] if b["battery"] == "Remote-cued ship")
    assert ship["engageable"] > 0 and ship["reason"] is None
    moved = client.post("/api/assess", json={"scenario": "x", "toml": toml, "changes": {
        "batteries": [{"name": "Remote-cued ship", "lat_deg": 72.0, "lon_deg": -20.0}]}}).json()
    ship = next(b for b in moved["batteries"] if b["battery"] == "Remote-cued ship")
    # within reach of many trajectories, but its only cue radar, in Turkey, never tracks them
    assert ship["engageable"] == 0 and ship["within_reach"] > 0
    assert ship["reason"].startswith("no cue: Kurecik TPY-2 never tracks")
    assert {b["battery"] for b in moved["batteries"]} == {b["name"] for b in moved["architecture"]["batteries"]}


def test_jobs_progress_and_cancel(client):
    r = client.post("/api/jobs", json={"kind": "assess", "scenario": "epaa-phase1"})
    assert r.status_code == 202
    jid = r.json()["id"]
    s = _wait(client, jid)
    assert s["state"] == "done" and s["result"]["per_role"]
    assert any(x["kind"] == "assess" for x in client.get("/api/results").json())
    r = client.post("/api/jobs", json={"kind": "phases", "scenario": "default"})
    jid = r.json()["id"]
    assert client.delete(f"/api/jobs/{jid}").status_code == 200
    s = _wait(client, jid)
    assert s["state"] == "cancelled"
    assert client.post("/api/jobs", json={"kind": "nuke", "scenario": "default"}).status_code == 422
    assert client.get("/api/jobs/0123456789ab").status_code == 404


@pytest.mark.parametrize("jid", ["null", "undefined", "doesnotexist", "0123456789AB"])
def test_a_malformed_job_id_is_a_clear_4xx(client, jid):
    # the page once polled /api/jobs/null; the answer names what a job id is
    for r in (client.get(f"/api/jobs/{jid}"), client.delete(f"/api/jobs/{jid}")):
        assert r.status_code == 422 and "12 hex characters" in r.json()["detail"]


def test_speed_map_progress_starts_at_zero_of_a_known_total(client):
    from openbmd.web.app import speed_map_bands

    r = client.post("/api/jobs", json={"kind": "speed_map", "scenario": "epaa-phase3", "step_deg": 5.0})
    assert r.status_code == 202
    jid = r.json()["id"]
    first = client.get(f"/api/jobs/{jid}").json()
    assert first["total"] == speed_map_bands(5.0) == 2 and first["done"] == 0
    seen = [(first["done"], first["total"])]
    for _ in range(6000):
        s = client.get(f"/api/jobs/{jid}").json()
        seen.append((s["done"], s["total"]))
        if s["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert s["state"] == "done", s
    assert all(t == 2 and 0 <= d <= t for d, t in seen) and seen[-1] == (2, 2)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # never runs backwards


def test_page_openapi_and_no_client_paths(client):
    r = client.get("/")
    assert r.status_code == 200 and "<script src=\"/static/app.js\">" in r.text
    assert r.headers["content-security-policy"] == CSP
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/..%2F..%2Fapp.py").status_code == 404
    spec = client.get("/openapi.json").json()
    assert {"/api/assess", "/api/saved", "/api/jobs", "/api/scenarios"} <= set(spec["paths"])


def test_real_server_concurrent_clients(tmp_path):
    from openbmd.web.local import LocalServer

    server = LocalServer(tmp_path / "db.sqlite3")
    base = server.base

    def one_client(k):
        errors = 0
        with httpx.Client(base_url=base, timeout=30.0) as c:
            for i in range(50):
                r = c.get("/api/health") if i % 2 else c.get("/api/scenarios/epaa-phase2")
                if r.status_code != 200:
                    errors += 1
                elif i % 2 == 0 and r.json()["name"] != "EPAA Phase 2 (2015)":
                    errors += 1
        return errors

    try:
        with ThreadPoolExecutor(20) as ex:
            errs = list(ex.map(one_client, range(20)))
    finally:
        server.stop()
    assert sum(errs) == 0


def test_serve_binds_to_localhost_by_default():
    from openbmd.cli import build_parser, main

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.scenario == "default"
    def exit_status(argv):  # returned, or raised by argparse's error(): the same exit status 2
        try:
            return main(argv)
        except SystemExit as exc:
            return exc.code

    assert exit_status(["serve", "epaa-phase99"]) == 2  # a bad scenario fails before anything starts
    assert exit_status(["serve", "--port", "70000"]) == 2


def test_exports_and_report_download(client):
    import io
    import json
    import xml.etree.ElementTree as ET
    import zipfile

    g = client.get("/api/export/moscow-a135.geojson")
    assert g.status_code == 200 and g.json()["type"] == "FeatureCollection"
    k = client.get("/api/export/moscow-a135.kml")
    assert k.status_code == 200 and ET.fromstring(k.content).tag.endswith("kml")
    c = client.get("/api/export/moscow-a135.czml")
    assert c.status_code == 200 and json.loads(c.content)[0]["id"] == "document"
    for r, ext in ((g, "geojson"), (k, "kml"), (c, "czml")):  # a download, not a tab of raw JSON
        cd = r.headers["content-disposition"]
        assert cd.startswith("attachment;") and f'filename="openbmd-moscow-a135.{ext}"' in cd
    assert client.get("/api/export/moscow-a135.shp").status_code == 404
    z = client.get("/api/report/moscow-a135.zip")
    assert z.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert "report.html" in names and "summary.json" in names
    a = client.post("/api/assess", json={"scenario": "moscow-a135", "tracks": True}).json()
    assert a["tracks"] and a["fans"] and {"alt_km", "t_s", "lonlat"} <= set(a["tracks"][0])


def _wait(client, jid, timeout=600):
    for _ in range(timeout * 10):
        s = client.get(f"/api/jobs/{jid}").json()
        if s["state"] in ("done", "failed", "cancelled"):
            return s
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_footprint_and_speed_map_jobs(client):
    jid = client.post("/api/jobs", json={"kind": "footprint", "scenario": "epaa-phase3", "step_deg": 2.0}).json()["id"]
    s = _wait(client, jid)
    assert s["state"] == "done", s
    cells = s["result"]["cells"]
    assert cells and {c[2] for c in cells} <= {-1, 0, 1} and any(c[2] == 1 for c in cells)
    r = client.post("/api/jobs", json={"kind": "speed_map", "scenario": "epaa-phase3", "guarantee": "no-such"})
    assert r.status_code == 404 and "north-speed-limit" in r.json()["detail"]
    r = client.post("/api/jobs", json={"kind": "speed_map", "scenario": "epaa-phase3", "step_deg": 0.01})
    assert r.status_code == 422


def test_validate_and_results(client):
    ok = client.post("/api/validate", json={"toml": MINI})  # no name: validate never used one
    assert ok.status_code == 200 and ok.json()["name"] == "mini"
    ok = client.post("/api/validate", json={"name": "v", "toml": MINI})  # still accepted
    # Phase 3 (Eastern Mediterranean ship, four Rota destroyers, two Aegis Ashore sites) without Deveselu
    assert ok.status_code == 200 and ok.json()["ok"] and ok.json()["batteries"] == 6
    bad = client.post("/api/validate", json={"name": "v", "toml": '[model]\nearth = "flat"\n'})
    assert bad.status_code == 422 and "scenario text:2" in bad.json()["detail"]
    jid = client.post("/api/jobs", json={"kind": "assess", "scenario": "moscow-a135"}).json()["id"]
    assert _wait(client, jid)["state"] == "done"
    rid = max(r["id"] for r in client.get("/api/results").json())
    r = client.get(f"/api/results/{rid}").json()
    assert r["kind"] == "assess" and r["body"]["per_role"]
    assert client.get("/api/results/99999").status_code == 404


def test_raid_balance_and_track_jobs(client):
    jid = client.post("/api/jobs", json={"kind": "balance", "scenario": "epaa-phase4-northern-seas"}).json()["id"]
    s = _wait(client, jid)
    assert s["state"] == "done", s
    recs = s["result"]["balance"]
    assert [r["attack"] for r in recs] == ["full launch", "retaliation after a first strike"]
    for r in recs:
        assert 0 <= r["warheads_attrited_expected"] <= r["warheads_engageable"] <= r["warheads_total"]
    # the same numbers as the Python API
    from openbmd import scenario
    from openbmd.analysis.balance import balance

    api = balance(scenario.load("epaa-phase4-northern-seas")).records()
    assert [r["warheads_attrited_expected"] for r in recs] == pytest.approx([r["warheads_attrited_expected"] for r in api])
    jid = client.post("/api/jobs", json={"kind": "raid", "scenario": "epaa-phase3"}).json()["id"]
    s = _wait(client, jid)
    assert s["state"] == "done", s
    (one,) = s["result"]["raid"]
    assert one["totals"]["warheads"] == 40 and len(one["per_battery"]) == len(scenario.load("epaa-phase3").batteries) == 7
    jid = client.post("/api/jobs", json={"kind": "raid", "scenario": "moscow-a135"}).json()["id"]
    s = _wait(client, jid)
    assert s["state"] == "failed" and "no [[raid]]" in s["error"]
    jid = client.post("/api/jobs", json={"kind": "track", "scenario": "epaa-phase3"}).json()["id"]
    s = _wait(client, jid)
    assert s["state"] == "done", s
    rows = s["result"]["track"][0]["table"]
    assert any(r["role"] == "southern" and r["engageable_filter"] <= r["engageable_fixed"] for r in rows)
