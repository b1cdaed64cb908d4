"""Raids, inventories and the strategic balance on the bundled scenarios:
consistency of the tables, the balance's limiting cases, the CLI, bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from openbmd import scenario, wta
from openbmd.analysis.assess import assess
from openbmd.analysis.balance import balance, force_objects
from openbmd.analysis.raid import RaidError, build_objects, inventories, plan, raid
from openbmd.catalog import forces as F
from openbmd.scenario import RaidSpec, ScenarioError

SOUTH = "Iran to European capitals"


@pytest.fixture(scope="module")
def phase4():
    return assess(scenario.load("epaa-phase4"))


@pytest.fixture(scope="module")
def northern():
    return assess(scenario.load("epaa-phase4-northern-seas"))


def test_raid_tables_are_consistent(phase4):
    spec = RaidSpec("r", SOUTH, (), 120, 1, 0, 0.0, 5.0)
    r = plan(phase4, build_objects(phase4, [spec]))
    tot = r.totals()
    assert tot["missiles"] == 120 and tot["warheads"] == 120 and tot["objects"] == 120
    inv = inventories(phase4.scenario)
    pb = r.per_battery()
    assert np.all(pb["interceptors_reserved"].to_numpy() <= inv)
    assert tot["interceptors_reserved"] == pb["interceptors_reserved"].sum()
    assert 0 < tot["warheads_intercepted_expected"] <= tot["warheads_engageable"] <= tot["warheads"]
    assert pb["warheads_intercepted_expected"].sum() == pytest.approx(tot["warheads_intercepted_expected"])
    pf = r.per_field()
    assert pf["warheads"].sum() == pytest.approx(120)
    assert pf["warheads_intercepted_expected"].sum() == pytest.approx(tot["warheads_intercepted_expected"])
    assert (pf["warheads_leaking_expected"] >= -1e-9).all()
    # batteries that cannot engage any object are given nothing
    idle = pb["objects_engageable"] == 0
    assert (pb.loc[idle, "engagements"] == 0).all()
    # windows respected: no battery engages an object it cannot reach
    assert np.all(r.assignment.x <= r.problem.cap)
    assert tot["greedy_gap"] is not None and 0 <= tot["greedy_gap"] < 0.05


def test_decoys_dilute_the_defence(phase4):
    plain = plan(phase4, build_objects(phase4, [RaidSpec("r", SOUTH, (), 60, 1, 0, 0.0, 5.0)]))
    decoyed = plan(phase4, build_objects(phase4, [RaidSpec("r", SOUTH, (), 60, 1, 2, 0.0, 5.0)]))
    assert decoyed.totals()["objects"] == 180 and decoyed.totals()["warheads"] == 60
    # the inventory binds: the same interceptors now spread over three times the objects
    assert decoyed.totals()["warheads_intercepted_expected"] < plain.totals()["warheads_intercepted_expected"]


def test_zero_and_unlimited_inventory(phase4):
    objs = build_objects(phase4, [RaidSpec("r", SOUTH, (), 80, 1, 0, 0.0, 5.0)])
    none = plan(phase4, objs, inventory=inventories(phase4.scenario, 0.0))
    assert none.totals()["warheads_intercepted_expected"] == 0
    d = wta.Doctrine(pk=1.0, pk_range=(0.5, 1.0))
    full = plan(phase4, objs, d, inventory=inventories(phase4.scenario, unlimited=True))
    t = full.totals()
    assert t["warheads_intercepted_expected"] == pytest.approx(t["warheads_engageable"])
    assert t["interceptors_reserved"] == t["objects_engageable"]  # one certain shot per engageable object


def test_balance_limits(northern):
    sc = northern.scenario
    force = [F.load_force("russia-2024")]
    full = F.load_attack("full launch")
    objs, units = force_objects(northern, force, full)
    assert units["warheads"].sum() == pytest.approx(sum(u.launchers * u.warheads_per_launcher for u in force[0].units), abs=len(units))
    # zero interceptors: nothing attrited
    r0 = plan(northern, objs, inventory=inventories(sc, 0.0))
    assert r0.totals()["warheads_intercepted_expected"] == 0.0
    # kill probability 1 and unlimited inventory: attrited = warheads on engageable trajectories
    d = wta.Doctrine(pk=1.0, pk_range=(0.4, 1.0))
    r1 = plan(northern, objs, d, inventory=inventories(sc, unlimited=True))
    t = r1.totals()
    assert t["warheads_engageable"] > 0  # this variant can engage strategic trajectories
    assert t["warheads_intercepted_expected"] == pytest.approx(t["warheads_engageable"])


def test_balance_table_per_phase(northern):
    b = balance(northern.scenario, forces=["russia-2024"], attacks=["full launch", "retaliation after a first strike"])
    tab = b.table()
    assert list(tab["attack"]) == ["full launch", "retaliation after a first strike"]
    full, retal = b.records()
    assert retal["warheads_total"] < full["warheads_total"]
    for r in (full, retal):
        assert 0 <= r["warheads_attrited_expected"] <= r["warheads_engageable"] <= r["warheads_total"]
        s = r["sensitivity"]
        assert s["inventory unlimited"] >= r["warheads_attrited_expected"] - 1e-9
        assert s["inventory x2"] >= r["warheads_attrited_expected"] - 1e-9 >= s["inventory x0.5"] - 2e-9
        lo, hi = (k for k in s if k.startswith("kill probability"))
        assert s[lo] <= r["warheads_attrited_expected"] + 1e-9 <= s[hi] + 2e-9
        # a slower reaction never helps the defence
        assert s["decision time 10 s"] >= s["decision time 60 s"] - 1e-9


ROOT = Path(__file__).resolve().parents[2]


def openbmd(*args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "openbmd", *args], capture_output=True, text=True, env=env,
                          timeout=600, **kw)


def test_cli_balance_json_one_object_per_phase(tmp_path):
    p = openbmd("balance", "default", "--json", "--quiet", "--no-sensitivity")
    assert p.returncode == 0, p.stderr
    recs = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(recs) == len(scenario.load("default").phases)
    for r in recs:
        for k in ("name", "warheads_total", "warheads_engageable", "warheads_attrited_expected"):
            assert k in r
        assert 0 <= r["warheads_attrited_expected"] <= r["warheads_engageable"] <= r["warheads_total"]
    # the bundled comparison: nothing engageable until ships go to the northern seas
    assert recs[0]["warheads_engageable"] == 0
    assert recs[-1]["warheads_engageable"] > 0


def test_cli_raid_and_bad_input(tmp_path):
    p = openbmd("raid", "epaa-phase4", "--threat", SOUTH, "--missiles", "40", "--json", "--quiet")
    assert p.returncode == 0, p.stderr
    tot = json.loads(p.stdout)
    # Phase 4: 8 (Eastern Mediterranean ship) + 4 x 8 (four Rota destroyers) + 24 + 24 (Aegis Ashore)
    assert tot["warheads"] == 40 and tot["interceptors_available"] == 88
    bad = openbmd("raid", "epaa-phase4", "--threat", SOUTH, "--pk", "1.5")
    assert bad.returncode == 2 and "kill probability in [0, 1]" in bad.stderr and "Traceback" not in bad.stderr
    bad = openbmd("raid", "epaa-phase4", "--threat", "Iran to Europe")
    assert bad.returncode == 2 and "no threat group" in bad.stderr
    bad = openbmd("raid", "epaa-phase4", "--threat", SOUTH, "--missiles", "-3")
    assert bad.returncode == 2 and "--missiles" in bad.stderr


def _write(tmp_path, body):
    f = tmp_path / "s.toml"
    f.write_text('[scenario]\nextends = "epaa-phase4"\n' + body)
    return f


@pytest.mark.parametrize("body, field, expect", [
    ('[doctrine]\nkill_probability = 1.5\n', "doctrine.kill_probability", "probability in [0, 1]"),
    ('[doctrine]\nkill_probability = 0.5\nkill_probability_range = [0.6, 0.9]\n', "doctrine.kill_probability_range", "low <="),
    ('[doctrine]\nshot_doctrine = "shoot-look"\n', "doctrine.shot_doctrine", "did you mean"),
    ('[doctrine]\nsalvo = 0\n', "doctrine.salvo", ">= 1"),
    ('[[raid]]\nname = "r"\nthreat = "Iran to European capitals"\nmissiles = -2\n', "raid[1].missiles", ">= 1"),
    ('[[raid]]\nname = "r"\nthreat = "Iran to Europe"\nmissiles = 2\n', "raid[1].threat", "no [[threat]]"),
    ('[[raid]]\nname = "r"\nthreat = "Iran to European capitals"\nmissiles = 2\nfrom = ["Moscow"]\n', "raid[1].from", "not a launch point"),
    ('[[battery]]\nname = "Aegis Ashore Deveselu"\ncount = -24\n', "battery[1].count", ">= 0"),
    ('[balance]\nforce = "russia-2042"\n', "balance.force", "did you mean"),
    ('[balance]\nforce = "russia-2024"\nattack = "surprise"\n', "balance.attack", ""),
])
def test_bad_scenario_input_names_file_line_and_field(tmp_path, body, field, expect):
    f = _write(tmp_path, body)
    with pytest.raises(ScenarioError) as exc:
        scenario.load(str(f))
    msg = str(exc.value)
    assert str(f) in msg and f"'{field}" in msg and expect in msg


def test_scenario_doctrine_and_raid_fields(tmp_path):
    f = _write(tmp_path, '[doctrine]\nshot_doctrine = "shoot-shoot"\nkill_probability = 0.6\n'
                         'kill_probability_range = [0.5, 0.8]\n'
                         '[[raid]]\nname = "Southern salvo"\nmissiles = 10\n'  # replaces the inherited raid's fields
                         'warheads_per_missile = 1\ndecoys_per_missile = 1\nspacing_s = 3.0\n')
    sc = scenario.load(str(f))
    d = sc.doctrine
    assert (d.shot, d.salvo, d.max_engagements, d.pk, d.pk_range) == ("shoot-shoot", 2, 1, 0.6, (0.5, 0.8))
    assert any("shoot-shoot" in a for a in sc.assumptions())
    r = raid(sc)
    assert r.totals()["objects"] == 20 and r.totals()["warheads"] == 10
    assert r.totals()["interceptors_expected_fired"] == r.totals()["interceptors_reserved"]  # no looks


def test_raid_without_counts_is_a_clear_error(tmp_path):
    f = tmp_path / "nocount.toml"
    f.write_text('[scenario]\nextends = "epaa-base"\n[[radar]]\nname = "Kurecik TPY-2"\ntype = "AN/TPY-2"\n'
                 '[[battery]]\nname = "B"\ninterceptor = "SM-3 Block IA"\nat = "Deveselu"\ncued_by = "Kurecik TPY-2"\n')
    sc = scenario.load(str(f))
    with pytest.raises(RaidError, match="no interceptor count"):
        raid(sc, raids=[RaidSpec("r", SOUTH, (), 5, 1, 0, 0.0, 1.0)])


def test_inherited_raid_goes_with_its_removed_threat(tmp_path):
    f = tmp_path / "noiran.toml"
    f.write_text('[scenario]\nextends = "epaa-phase3"\n[[threat]]\nname = "Iran to European capitals"\nremove = true\n')
    sc = scenario.load(str(f))
    assert sc.raids == [] and "raid" not in sc.analyses
    assert any("Southern salvo" in a and "dropped" in a for a in sc.assumptions())


def test_cli_track(tmp_path):
    p = openbmd("track", "epaa-phase3", "--json", "--quiet")
    assert p.returncode == 0, p.stderr
    recs = [json.loads(x) for x in p.stdout.splitlines()]
    south = [r for r in recs if r["role"] == "southern" and "Kurecik TPY-2" in r["cue"]]  # the cue network lists every source
    assert south and all(r["engageable_filter"] <= r["engageable_fixed"] for r in south)
    assert all(r["filter_track_time_median_s"] > r["fixed_track_time_s"] for r in south)
    bad = openbmd("track", "epaa-phase3", "--pip-accuracy-m", "-5")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "accuracy" in bad.stderr


def test_balance_uncertainty_is_seeded_and_bounded(northern):
    from openbmd.analysis.balance import balance_uncertainty

    sc = northern.scenario
    kw = dict(samples=60, forces=["russia-2024"], attacks=["full launch"])
    a = balance_uncertainty(sc, seed=3, **kw)
    b = balance_uncertainty(sc, seed=3, **kw)
    c = balance_uncertainty(sc, seed=4, **kw)
    assert a.equals(b) and not a.equals(c)  # identical input, identical result
    r = a.iloc[0]
    assert r["attrited_p5"] <= r["attrited_p50"] <= r["attrited_p95"] <= r["warheads_engageable_p50"] + 60
    assert r["p_any_attrition"] == 1.0 and r["attrited_p5"] > 0
    lo, hi = F.load_force("russia-2024").missile_warheads_range
    assert lo - 20 <= r["warheads_total_p5"] <= r["warheads_total_p95"] <= hi + 20  # within the catalog's ranges
    nominal = balance(sc, forces=["russia-2024"], attacks=["full launch"], sensitivity=False).records()[0]
    assert r["attrited_p5"] <= nominal["warheads_attrited_expected"] <= r["attrited_p95"]
    with pytest.raises(RaidError, match="samples"):
        balance_uncertainty(sc, samples=0)


def test_balance_uncertainty_nothing_engageable_stays_zero():
    from openbmd.analysis.balance import balance_uncertainty

    u = balance_uncertainty(scenario.load("epaa-phase3"), samples=20, attacks=["retaliation after a first strike"])
    assert (u[["attrited_mean", "attrited_p95", "p_any_attrition"]].to_numpy() == 0).all()
    assert u["warheads_total_p95"].iloc[0] > u["warheads_total_p5"].iloc[0] > 0


def test_raid_and_balance_with_simulated_tracks(phase4):
    from openbmd.analysis.track import track_effect

    sc = phase4.scenario
    spec = RaidSpec("r", SOUTH, (), 58, 1, 0, 0.0, 5.0)
    fixed = raid(sc, raids=[spec])
    tracked = raid(sc, raids=[spec], tracking={})
    te = track_effect(sc, assessment=phase4)
    able = te.pairs.groupby("threat")["filter_engageable"].any().to_numpy()
    objs = tracked.objects
    assert tracked.totals()["warheads_engageable"] == pytest.approx(objs.value[able[objs.traj]].sum())
    # a simulated track is slower than the catalog's fixed track time here: no more can be engaged
    assert tracked.totals()["warheads_engageable"] <= fixed.totals()["warheads_engageable"]
    assert tracked.totals()["warheads_intercepted_expected"] <= fixed.totals()["warheads_intercepted_expected"] + 1e-9
    assert any("simulated radar tracks" in n for n in balance(sc, forces=["russia-2024"], sensitivity=False,
                                                               tracking={}).assumptions())
