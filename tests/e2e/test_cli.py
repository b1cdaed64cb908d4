"""The command line as a user runs it: a real process, real files."""

import json
import subprocess
import sys

import pytest

KEYS = ["range_km", "burnout_time_s", "burnout_speed_km_s", "burnout_altitude_km", "apogee_km", "flight_time_s",
        "reentry_speed_km_s", "impact_lat_deg", "impact_lon_deg"]


def openbmd(*args, check=True):
    p = subprocess.run([sys.executable, "-m", "openbmd", *args], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {p.stderr}")
    return p


def _bad(*args):
    p = openbmd(*args, check=False)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.strip().splitlines() if ln]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("openbmd: error:")
    return lines[0]


def test_fly_aimed_json_has_the_documented_keys():
    p = openbmd("fly", "--missile", "Shahab-3", "--from", "38.0,46.0", "--to", "38.5,36.0", "--json")
    recs = [json.loads(ln) for ln in p.stdout.splitlines()]
    assert len(recs) == 1
    for k in KEYS:
        assert isinstance(recs[0][k], float), k
    from pyproj import Geod

    dist = Geod(ellps="WGS84").inv(46.0, 38.0, 36.0, 38.5)[2] / 1e3
    assert recs[0]["range_km"] == pytest.approx(dist, abs=1.0)
    assert recs[0]["miss_km"] < 1.0
    # a Scud-B never climbs to 100 km: no reentry point, stated as null
    p = openbmd("fly", "--missile", "Scud-B", "--from", "38.0,46.0", "--to", "38.5,43.0", "--json")
    rec = json.loads(p.stdout)
    assert rec["reentry_speed_km_s"] is None and rec["apogee_km"] < 100


def test_fly_cross_product_table_and_files(tmp_path):
    p = openbmd("fly", "--missile", "Shahab-3", "--missile", "Ghadr-1", "--from", "Tabriz launch area",
                "--to", "Ankara", "--to", "Tel Aviv", "--csv", str(tmp_path / "a.csv"),
                "--parquet", str(tmp_path / "a.parquet"), "--plot", str(tmp_path / "a.png"),
                "--samples", str(tmp_path / "s.csv"))
    assert "Assumptions:" in p.stdout
    assert p.stdout.count("Tabriz launch area") == 4
    import pandas as pd

    assert len(pd.read_csv(tmp_path / "a.csv")) == 4
    assert len(pd.read_parquet(tmp_path / "a.parquet")) == 4
    assert (tmp_path / "a.png").stat().st_size > 10_000
    assert set(pd.read_csv(tmp_path / "s.csv")["trajectory"]) == {0, 1, 2, 3}


def test_fly_impulsive_modes():
    p = openbmd("fly", "--impulsive", "--from", "0,0", "--azimuth-deg", "90", "--burnout-speed-km-s", "7",
                "--elevation-deg", "22", "--json", "--earth", "sphere", "--no-rotation", "--gravity", "point")
    rec = json.loads(p.stdout)
    assert rec["range_km"] == pytest.approx(8846.8, abs=1.0)  # two-body value for 7 km/s at 22 deg
    p = openbmd("fly", "--impulsive", "--from=-10,20", "--azimuth-deg", "0", "--burnout-speed-km-s", "5",
                "--max-range", "--json")
    assert json.loads(p.stdout)["range_km"] > 2500
    p = openbmd("fly", "--impulsive", "--from", "-10,20", "--to", "0,30", "--json")
    rec = json.loads(p.stdout)
    assert rec["miss_km"] < 1.0 and rec["initial_speed_km_s"] > 3


def test_fly_lofted_by_apogee():
    p = openbmd("fly", "--missile", "Shahab-3", "--from", "Tabriz launch area", "--to", "Ankara",
                "--apogee-km", "400", "--json")
    rec = json.loads(p.stdout)
    assert rec["apogee_km"] == pytest.approx(400, abs=1.0)


def test_bad_latitude():
    msg = _bad("fly", "--missile", "Scud-B", "--from", "95,10", "--to", "40,10")
    assert "latitude" in msg and "95" in msg


def test_unknown_missile_gets_suggestions():
    msg = _bad("fly", "--missile", "Scud-C", "--from", "40,40", "--to", "41,41")
    assert "unknown missile 'Scud-C'" in msg and "Scud" in msg


def test_unknown_place():
    msg = _bad("fly", "--missile", "Scud-B", "--from", "Tabriz", "--to", "40,40")
    assert "did you mean" in msg and "Tabriz launch area" in msg
    msg = _bad("fly", "--missile", "Scud-B", "--from", "Tabriz launch area", "--to", "Atlantis")
    assert "unknown place 'Atlantis'" in msg


def test_unreachable_target_names_the_maximum_range():
    msg = _bad("fly", "--missile", "Scud-B", "--from", "Tabriz launch area", "--to", "London")
    assert "reaches at most" in msg and "km" in msg


def test_bad_flags():
    _bad("fly", "--missile", "Scud-B", "--from", "40,40")  # neither --to nor --azimuth
    _bad("fly", "--impulsive", "--from", "40,40", "--azimuth-deg", "10")  # no speed
    _bad("fly", "--missile", "Scud-B", "--from", "40,40", "--to", "41,41", "--apogee-km", "-5")
    _bad("fly", "--missile", "Scud-B", "--from", "40,40", "--earth", "flat")


def test_bad_batch_file(tmp_path):
    f = tmp_path / "b.toml"
    f.write_text('[[shot]]\nmissile = "Scud-B"\nfrom = "40,40"\n')
    msg = _bad("fly", "--batch", str(f))
    assert "b.toml" in msg and "shot #1" in msg and "'to'" in msg
    f.write_text("not toml [")
    assert "not valid TOML" in _bad("fly", "--batch", str(f))
    assert f.read_text() == "not toml ["  # nothing the user wrote is touched


def test_catalog_lists_and_shows_with_sources():
    p = openbmd("catalog")
    assert "Scud-B" in p.stdout and "Deveselu" in p.stdout
    for alias in ("SS-27", "Topol-M", "RS-12M2"):
        s = openbmd("catalog", alias, "--json")
        rec = json.loads(s.stdout)
        assert rec["name"] == "RS-12M2 Topol-M"
        assert rec["source"]
    msg = _bad("catalog", "Topol-N")
    assert "did you mean" in msg


def test_version():
    from openbmd import __version__

    p = openbmd("--version")
    assert p.stdout.strip() == f"openbmd {__version__}"


def test_serve_opens_the_given_scenario(tmp_path):
    import httpx

    from openbmd.web.local import LocalServer

    with LocalServer(tmp_path / "db.sqlite3", scenario="moscow-a135") as srv:
        assert httpx.get(srv.base + "/api/scenarios", timeout=60).json()["initial"] == "moscow-a135"
    with LocalServer(tmp_path / "db.sqlite3") as srv:  # the default comparison: EPAA Phase 3, as before
        assert httpx.get(srv.base + "/api/scenarios", timeout=60).json()["initial"] == "epaa-phase3"
    from openbmd.web.app import initial_scenario

    assert initial_scenario("epaa-phases") == "epaa-phase1"  # a comparison: its first member
    (tmp_path / "s.toml").write_text('[scenario]\nextends = "epaa-phase3"\n')
    assert "bundled scenario by name" in _bad("serve", str(tmp_path / "s.toml"))


def _readme_commands():
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).parents[2]
    text = (root / "README.md").read_text() + (root / "docs" / "cli.md").read_text()
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split(";"):
                words = shlex.split(part, comments=True)
                if words[:1] == ["openbmd"]:
                    out.append(words[1:])
    return out


def test_readme_commands_parse(tmp_path, monkeypatch):
    """Every `openbmd ...` line of the shell blocks of the README and of the
    CLI reference (docs/cli.md) is a valid command line (options, choices,
    bounds; engage has its timeline)."""
    from openbmd.cli import build_parser, fix_negative_coords

    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    cmds = _readme_commands()
    assert len(cmds) > 20
    parser = build_parser()
    for argv in cmds:
        try:
            args = parser.parse_args(fix_negative_coords(argv))
        except SystemExit as exc:
            raise AssertionError(f"README: openbmd {' '.join(argv)}: exit {exc.code}") from None
        if args.command == "engage":
            assert (args.launch_delay_s is None) != (args.radar is None), argv


def test_tables_read_like_the_demo():
    import numpy as np
    import pandas as pd

    from openbmd.cli.common import format_table

    row = {"name": "EPAA Phase 3 (2018)", "year": 2018, "batteries": 7, "interceptors": 112,
           "strategic_trajectories": 330, "strategic_engageable_share": 0.0848, "strategic_best_margin_s": -214.4,
           "southern_trajectories": 120, "southern_covered_share": 0.97, "southern_median_margin_s": np.nan,
           "defended_area_km2": 573297.2, "warheads_total": 1509.0, "warheads_attrited_expected": 10.73,
           "interceptors_expected_fired": None, "method": "optimal"}
    text = format_table(pd.DataFrame([row, row]))
    assert "8.5 %" in text and "97.0 %" in text and "573,297" in text and "1,509" in text and "-214" in text
    assert "2018" in text and "2,018" not in text and "—" in text
    assert "e+" not in text and "NaN" not in text and "None" not in text and "0.0848" not in text
    assert max(len(ln) for ln in text.splitlines()) <= 100
    assert "strategic" in text and "engageable %" in text.replace("\n", " ") or "%" in text
    wide = pd.DataFrame([{f"column_{k}_km": 1000.0 * k for k in range(30)}])
    assert max(len(ln) for ln in format_table(wide).splitlines()) <= 100  # split into several tables


def test_wide_and_columns_pick_what_the_text_tables_show(capsys):
    """--wide prints a table in one piece, --columns keeps the first column and
    the named ones (a later table without them stays whole), a name the first
    table lacks is an input error naming the columns it has."""
    import argparse

    import pandas as pd
    import pytest

    from openbmd.cli.common import InputError, print_records, set_table_options

    df = pd.DataFrame([{"name": "A", **{f"column_{k}_km": 1000.0 * k for k in range(30)}}])
    other = pd.DataFrame([{"launch": "X", "phase1_share": 0.5}])
    try:
        set_table_options(argparse.Namespace(wide=True, columns=None))
        print_records(df, False)
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 4 and max(map(len, lines)) > 200  # headers, rule, one row: one piece
        set_table_options(argparse.Namespace(wide=False, columns="column_3_km, column_7_km"))
        print_records(df, False)
        print_records(other, False)
        out = capsys.readouterr().out
        assert "3 km" in out and "7 km" in out and "4 km" not in out and "3,000" in out and "A  " in out
        assert "launch" in out and "50.0 %" in out
        set_table_options(argparse.Namespace(wide=False, columns="column_3_km,nope"))
        with pytest.raises(InputError, match="nope: not a column of this table; its columns: name, column_0_km"):
            print_records(df, False)
    finally:
        set_table_options(argparse.Namespace())


def test_fly_and_engage_answer_first_and_no_assumptions():
    base = ["fly", "--missile", "Shahab-3", "--from", "38.0,46.0", "--to", "38.5,36.0"]
    p = openbmd(*base)
    assert p.stdout.index("range km") < p.stdout.index("Assumptions:")
    assert "Assumptions:" not in openbmd(*base, "--no-assumptions").stdout
    from test_cli_engage import THREAT

    p = openbmd("engage", *THREAT, "--site", "68,5", "--interceptor-burnout-speed-km-s", "5.5",
                "--launch-delay-s", "180", "--no-assumptions")
    assert "margin" in p.stdout and "Assumptions:" not in p.stdout


def test_every_command_that_lists_assumptions_takes_no_assumptions():
    from openbmd.cli import build_parser

    parser = build_parser()
    for argv in (["fly"], ["engage"], ["assess", "x"], ["footprint", "x"], ["robustness"], ["raid", "x"],
                 ["balance"], ["track", "x"], ["guarantee", "verify", "g", "s"]):
        assert parser.parse_args(argv + ["--no-assumptions"]).no_assumptions is True, argv


def test_guarantee_margins_print_as_engagement_margins():
    from types import SimpleNamespace

    from openbmd.cli.guarantee import set_lines

    v = SimpleNamespace(sets=[{"name": "as declared", "claim_holds": True, "min_margin_s": 214.4,
                               "protected_engageable": 0, "mission_coverage": 0.5},
                              {"name": "early-warning-launch", "claim_holds": False, "min_margin_s": -54.0,
                               "protected_engageable": 3, "mission_coverage": None}],
                        binding="early-warning-launch", protected_trajectories=330)
    lines = set_lines(v)
    assert "engagement margin -214 s" in lines[0] and "holds" in lines[0]
    assert "engagement margin +54 s" in lines[1] and "FAILS" in lines[1] and "binding" in lines[1]
