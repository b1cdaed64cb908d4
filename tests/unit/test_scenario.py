"""Scenario files: loading, extends, overrides, and clear errors for bad files."""

import math
import subprocess
import sys
import textwrap

import pytest

from openbmd.cli import main
from openbmd.scenario import MAX_FILE_BYTES, ScenarioError, bundled_names, load


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


MINIMAL = """
[scenario]
name = "minimal"

[doctrine]
launch_delay_s = 200.0

[[battery]]
name = "Site"
interceptor = "SM-3 Block IIA"
lat_deg = 54.5
lon_deg = 17.1

[[threat]]
name = "T"
from = ["Kozelsk"]
to = ["Washington"]
missile = ["RS-24 Yars"]
"""


def error_of(path):
    with pytest.raises(ScenarioError) as exc:
        load(path)
    return str(exc.value)


def test_every_bundled_scenario_validates():
    names = bundled_names()
    assert {"epaa-phase1", "epaa-phase2", "epaa-phase3", "epaa-phase4", "epaa-phase4-northern-seas",
            "epaa-phase3-sites-east", "epaa-phases", "moscow-a135"} <= set(names)
    for n in names:
        sc = load(n)
        assert sc.name
        assert sc.is_comparison or sc.threats


def test_phases_extend_their_predecessor():
    p1, p2, p3, p4 = (load(f"epaa-phase{i}") for i in (1, 2, 3, 4))
    names = lambda s: {b.name for b in s.batteries}  # noqa: E731
    assert names(p1) < names(p2) < names(p3) and names(p3) == names(p4)
    by = {b.name: b for b in p4.batteries}
    assert by["Aegis Ashore Redzikowo"].interceptor.name == "SM-3 Block IIB"
    assert {b.name: b for b in p3.batteries}["Aegis Ashore Redzikowo"].interceptor.name == "SM-3 Block IIA"
    # the threats come from the common base, unchanged
    assert [t.name for t in p1.threats] == [t.name for t in p4.threats]
    assert load("default").is_comparison and len(load("default").phases) == 7


def test_minimal_file_and_field_override(tmp_path):
    sc = load(write(tmp_path, "m.toml", MINIMAL))
    assert sc.batteries[0].stations == [(math.radians(54.5), math.radians(17.1))]
    assert sc.launch_delay == 200.0
    fast = write(tmp_path, "fast.toml", """
        [scenario]
        extends = "m.toml"
        [[interceptor]]
        name = "IIA at 5 km/s"
        base = "SM-3 Block IIA"
        burnout_speed_km_s = 5.0
        source = "what-if"
        [[battery]]
        name = "Site"
        interceptor = "IIA at 5 km/s"
        """)
    sc2 = load(fast)
    ic = sc2.batteries[0].interceptor
    assert ic.burnout_speed == 5000.0 and ic.name == "IIA at 5 km/s"
    base = load("epaa-phase3").interceptors["SM-3 Block IIA"]
    # the staged booster is rescaled: ideal delta-v minus the catalog's losses equals the asked speed
    assert ic.ideal_delta_v - (base.ideal_delta_v - base.burnout_speed) == pytest.approx(5000.0, rel=1e-9)
    assert "what-if" in ic.source and base.source in ic.source
    # the parent's file is untouched by loading
    assert (tmp_path / "m.toml").read_text() == textwrap.dedent(MINIMAL)


def test_remove_an_inherited_battery(tmp_path):
    p = write(tmp_path, "r.toml", """
        [scenario]
        extends = "epaa-phase3"
        [[battery]]
        name = "Aegis Ashore Deveselu"
        remove = true
        """)
    assert "Aegis Ashore Deveselu" not in {b.name for b in load(p).batteries}


@pytest.mark.parametrize("text, expect", [
    # wrong types
    ('[doctrine]\ndecision_time_s = "thirty"\n', ["t.toml:2", "doctrine.decision_time_s", "expected a number"]),
    ('[model]\ndrag = "yes"\n', ["t.toml:2", "model.drag", "true or false"]),
    # unknown names, with suggestions
    ('[[battery]]\nname = "B"\ninterceptor = "SM-3 Blok IIA"\nat = "Redzikowo"\ncued_by = "Redzikowo SPY-1"\n',
     ["t.toml:3", "battery[1].interceptor", "SM-3 Block IIA"]),
    ('[[battery]]\nname = "B"\ninterceptor = "THAAD"\nat = "Redzikovo"\ncued_by = "Redzikowo SPY-1"\n',
     ["t.toml:4", "battery[1].at", "Redzikowo"]),
    ('[[battery]]\nname = "B"\ninterceptor = "THAAD"\nat = "Redzikowo"\ncued_by = "Redzikowo SPY"\n'
     '[[radar]]\nname = "Redzikowo SPY-1"\ntype = "Aegis Ashore SPY-1 (Redzikowo)"\n',
     ["t.toml:5", "battery[1].cued_by", "Redzikowo SPY-1"]),
    ('[[battery]]\nname = "B"\ninterceptr = "THAAD"\n', ["t.toml:3", "unknown field 'battery[1].interceptr'", "interceptor"]),
    ('[analyses]\nrun = ["asess"]\n', ["t.toml:2", "analyses.run", "assess"]),
    ('[bogus]\nx = 1\n', ["t.toml:1", "unknown table 'bogus'"]),
    # missing fields
    ('[[battery]]\nname = "B"\nat = "Redzikowo"\n', ["battery[1].interceptor", "missing"]),
    ('[[battery]]\ninterceptor = "THAAD"\n', ["battery[1].name", "missing"]),
    ('[[threat]]\nname = "T"\nfrom = ["Kozelsk"]\nmissile = "RS-24 Yars"\n', ["threat[1].to", "missing"]),
    # contradictory settings
    ('[[battery]]\nname = "B"\ninterceptor = "THAAD"\nat = "Redzikowo"\npatrol_box_deg = [50, 52, 10, 12]\nkind = "ship"\n',
     ["battery[1]", "not both"]),
    ('[[battery]]\nname = "B"\ninterceptor = "THAAD"\npatrol_box_deg = [50, 52, 10, 12]\nkind = "land"\n',
     ["battery[1].kind", "patrol box is for ships"]),
    ('[[battery]]\nname = "B"\ninterceptor = "THAAD"\nat = "Redzikowo"\ncued_by = "launch_delay"\n',
     ["battery[1].cued_by", "contradictory"]),
    ('[doctrine]\nlofted_apogee_factor = 0.8\n', ["doctrine.lofted_apogee_factor", "expected > 1"]),
    ('[[interceptor]]\nname = "X"\nbase = "SM-3 Block IIA"\nburnout_speed_km_s = -1\n', ["interceptor[1].burnout_speed_km_s", "> 0"]),
    ('[[battery]]\nname = "B"\ninterceptor = "THAAD"\npatrol_box_deg = [52, 50, 10, 12]\n', ["patrol_box_deg", "lat_min < lat_max"]),
    ('[[battery]]\nname = "B"\ninterceptor = "THAAD"\nlat_deg = 95\nlon_deg = 10\n', ["battery[1].lat_deg", "-90..90"]),
    ('[analyses]\nrun = ["footprint"]\n', ["analyses.run", "[analyses.footprint] is missing"]),
])
def test_bad_fields_are_named_with_file_line_and_expectation(tmp_path, text, expect):
    p = tmp_path / "t.toml"
    p.write_text(text)
    msg = error_of(p)
    for e in expect:
        assert e in msg, msg


def test_not_toml_and_empty(tmp_path):
    p = write(tmp_path, "x.toml", "[[battery]\nname = 1\n")
    assert "not valid TOML" in error_of(p) and "x.toml" in error_of(p)
    p = write(tmp_path, "e.toml", "")
    assert "no [[threat]]" in error_of(p)


def test_huge_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.toml"
    with p.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # a 50 MB (sparse) file
    msg = error_of(p)
    assert "52.4 MB" in msg and f"{MAX_FILE_BYTES / 1e6:g} MB" in msg


def test_a_file_that_extends_itself(tmp_path):
    p = write(tmp_path, "self.toml", '[scenario]\nname = "s"\nextends = "self.toml"\n')
    assert "extends itself" in error_of(p)
    write(tmp_path, "a.toml", '[scenario]\nextends = "b.toml"\n')
    write(tmp_path, "b.toml", '[scenario]\nextends = "a.toml"\n')
    msg = error_of(tmp_path / "a.toml")
    assert "extends itself" in msg and "a.toml -> " in msg and "b.toml" in msg
    msg = error_of(write(tmp_path, "c.toml", '[scenario]\nextends = "epaa-phase9"\n'))
    assert "c.toml:2" in msg and "epaa-phase" in msg


def test_comparison_that_contains_itself(tmp_path):
    p = write(tmp_path, "cmp.toml", '[phases]\nmembers = ["cmp.toml"]\n')
    assert "this comparison itself" in error_of(p)


def test_validate_cli(tmp_path, capsys):
    good = write(tmp_path, "good.toml", MINIMAL)
    assert main(["validate", str(good), "epaa-phase3"]) == 0
    out = capsys.readouterr().out
    assert "good.toml: ok" in out and "epaa-phase3: ok" in out
    bad = write(tmp_path, "bad.toml", MINIMAL.replace('"SM-3 Block IIA"', '"SM-3 Blok IIA"'))
    before = bad.read_text()
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.toml:10" in err and "SM-3 Block IIA" in err
    assert bad.read_text() == before  # nothing the user wrote is touched


def test_validate_runs_as_a_program(tmp_path):
    bad = write(tmp_path, "bad.toml", '[model]\nearth = "flat"\n')
    r = subprocess.run([sys.executable, "-m", "openbmd", "validate", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "bad.toml:2" in r.stderr and "model.earth" in r.stderr


def test_nested_tables_merge_key_by_key(tmp_path):
    p = write(tmp_path, "fine.toml", """
        [scenario]
        extends = "epaa-phase3"
        [analyses.footprint]
        step_deg = 0.25
        """)
    fp = load(p).footprint
    parent = load("epaa-phase3").footprint
    assert fp.step == 0.25 and fp.launch_area.name == parent.launch_area.name and fp.region == parent.region


def test_a_child_position_replaces_the_parents(tmp_path):
    p = write(tmp_path, "moved.toml", """
        [scenario]
        extends = "epaa-phase3"
        [[battery]]
        name = "Aegis Ashore Redzikowo"
        lat_deg = 68.0
        lon_deg = 4.0
        [[battery]]
        name = "Aegis ship, Eastern Mediterranean"
        at = "Rota"
        """)
    by = {b.name: b for b in load(p).batteries}
    assert by["Aegis Ashore Redzikowo"].stations == [(math.radians(68.0), math.radians(4.0))]
    ship = by["Aegis ship, Eastern Mediterranean"]
    assert ship.patrol_box is None and len(ship.stations) == 1


def test_loads_reads_text_without_a_file_and_names_it_in_errors(tmp_path, monkeypatch):
    """scenario.loads: the same scenario as load() from the same text, no file
    written (run in an empty folder that stays empty), and errors name the
    text's name with the line."""
    from openbmd.scenario import bundled_dir, loads

    monkeypatch.chdir(tmp_path)
    text = (bundled_dir() / "epaa-phase2.toml").read_text(encoding="utf-8")
    a, b = loads(text, "phase 2 text"), load("epaa-phase2")
    assert [x.name for x in a.batteries] == [x.name for x in b.batteries]
    assert [x.interceptor for x in a.batteries] == [x.interceptor for x in b.batteries]
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ScenarioError) as err:
        loads('[scenario]\nextends = "epaa-phase3"\n\n[[battery]]\nname = "X"\nlat_deg = 500\nlon_deg = 1\n'
              'interceptor = "SM-3 Block IIA"\n', "my edit")
    assert str(err.value).startswith("my edit:6:") and "lat_deg" in str(err.value)
    with pytest.raises(ScenarioError, match="^my edit: not valid TOML"):
        loads("[scenario\n", "my edit")
