"""`openbmd engage` and `openbmd radar` as a user runs them."""

import json


from test_cli import _bad, openbmd

KEYS = ["site", "engageable", "latest_launch_s", "earliest_intercept_s", "latest_intercept_s", "margin_s",
        "intercept_lat_deg", "intercept_lon_deg", "intercept_alt_km", "closing_speed_km_s"]
THREAT = ["--missile", "RS-24 Yars", "--from", "Teykovo", "--to", "Washington", "--threat-step-s", "2"]


def test_engage_json_per_site():
    p = openbmd("engage", *THREAT, "--site", "Deveselu", "--site", "68,5", "--interceptor-burnout-speed-km-s", "5.5",
                "--launch-delay-s", "180", "--min-intercept-altitude-km", "70", "--json", "--coarse-step-s", "0")
    recs = [json.loads(ln) for ln in p.stdout.splitlines()]
    assert [r["site"] for r in recs] == ["Deveselu", "68,5"]
    for r in recs:
        for k in KEYS:
            assert k in r
    dev, ship = recs
    assert dev["engageable"] is False and dev["earliest_intercept_s"] is None
    assert ship["engageable"] is True and ship["margin_s"] > 0 and ship["intercept_alt_km"] >= 70
    assert ship["latest_launch_s"] > 180


def test_engage_table_with_catalog_interceptor_and_radar():
    args = ("engage", *THREAT, "--site", "Redzikowo", "--interceptor", "SM-3 IIA", "--radar", "TPY-2",
            "--decision-time-s", "20")
    p = openbmd(*args, "--assumptions")
    assert "Assumptions:" in p.stdout and "AN/TPY-2" in p.stdout and "SM-3 Block IIA" in p.stdout
    full = p.stdout[p.stdout.index("Assumptions:"):].splitlines()[1:]
    # by default a summary: the count, at most 5 of them, and how to see all
    short = openbmd(*args).stdout
    summary = short[short.index("Assumptions:"):].splitlines()
    assert f"Assumptions: {len(full)}," in summary[0] and len(summary) == 1 + 5 + 1 < len(full) + 1
    assert f"--assumptions lists all {len(full)}" in summary[-1]
    assert short[:short.index("Assumptions:")] == p.stdout[:p.stdout.index("Assumptions:")]  # the same answer


def test_radar_command():
    p = openbmd("radar", *THREAT, "--radar", "Fylingdales radar", "--radar", "Don-2N", "--json")
    recs = [json.loads(ln) for ln in p.stdout.splitlines()]
    assert len(recs) == 2
    don = recs[1]
    assert don["detection_s"] is not None and don["track_s"] > don["detection_s"]
    msg = _bad("radar", *THREAT, "--radar", "SPY-1")
    assert "--radar-at" in msg


def test_engage_bad_input():
    base = ["engage", *THREAT]
    assert "unknown radar" in _bad(*base, "--site", "68,5", "--interceptor", "SM-3 IIA", "--radar", "Krasnoyarsk")
    assert "unknown place" in _bad(*base, "--site", "Atlantis", "--interceptor", "SM-3 IIA", "--launch-delay-s", "100")
    assert "unknown interceptor" in _bad(*base, "--site", "68,5", "--interceptor", "SM-4", "--launch-delay-s", "100")
    assert "> 0" in _bad(*base, "--site", "68,5", "--interceptor-burnout-speed-km-s", "-3", "--launch-delay-s", "1")
    assert ">= 0" in _bad(*base, "--site", "68,5", "--interceptor", "SM-3 IIA", "--launch-delay-s", "-10")
    assert "launch area" in _bad(*base, "--site", "Teykovo", "--interceptor", "SM-3 IIA", "--launch-delay-s", "100")
    assert "one of --launch-delay-s or --radar" in _bad(*base, "--site", "68,5", "--interceptor", "SM-3 IIA")
