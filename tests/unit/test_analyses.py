"""Analyses on the bundled scenarios: they run, and the phase comparison shows
what the physics implies (faster interceptors and more batteries never engage
fewer trajectories)."""

import json
import math
import textwrap

import numpy as np

from openbmd.analysis.assess import intercept_rules, timeline_for
import pytest

from openbmd import analysis, scenario
from openbmd.analysis.footprint import DEFENDED, OUT_OF_REACH, UNDEFENDED
from openbmd.cli import main
from openbmd.engage import Battery, ThreatSet, Timeline, engage


@pytest.fixture(scope="session")
def comparison():
    return analysis.phases(scenario.load("default"))


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


@pytest.mark.slow
def test_every_bundled_scenario_runs(comparison):
    for name in scenario.bundled_names():
        sc = scenario.load(name)
        for m in sc.phases or [sc]:
            a = analysis.assess(m)
            n, k = len(a.flights), len(m.batteries)
            assert n > 0 and a.pairs.shape[0] == n * k
            for role in ("strategic", "southern"):
                s = a.share(role)
                assert math.isnan(s) or 0.0 <= s <= 1.0


def test_phase_table(comparison):
    t = comparison.table()
    assert list(t["name"])[:4] == ["EPAA Phase 1 (2011)", "EPAA Phase 2 (2015)", "EPAA Phase 3 (2018)",
                                   "EPAA Phase 4 (planned, SM-3 IIB)"]
    # the threat set is the same in every phase
    assert t["strategic_trajectories"].nunique() == 1 and t["strategic_trajectories"].iloc[0] > 300
    # each phase adds to or upgrades its predecessor: coverage of the stated mission never falls
    south = t["southern_covered_share"].to_numpy()[:4]
    assert np.all(np.diff(south) >= 0) and south[-1] > south[0]
    area = t["defended_area_km2"].to_numpy()[:4]
    assert np.all(np.diff(area) >= -1e-6) and area[0] > 0
    # the Phase 1-4 land sites and Mediterranean ships cannot engage the strategic trajectories;
    # fast interceptors on ships in the northern seas, cued early, can engage some
    assert np.all(t["strategic_engageable_share"].to_numpy()[:4] == 0.0)
    north = t[t["name"].str.contains("Norwegian")].iloc[0]
    assert north["strategic_engageable_share"] > 0 and north["strategic_best_margin_s"] > 0


def test_adding_batteries_never_engages_fewer(comparison):
    by = {p.name: p.assessment.per_threat() for p in comparison.phases}
    pairs = [("EPAA Phase 3 (2018)", "Phase 3 + sites further east (hypothetical)"),
             ("EPAA Phase 4 (planned, SM-3 IIB)", "Phase 4 + IIB ships in the North and Norwegian Seas")]
    for a, b in pairs:
        ea, eb = by[a]["engageable"].to_numpy(), by[b]["engageable"].to_numpy()
        assert np.all(eb[ea]), f"{b} loses a trajectory that {a} engages"
        ma, mb = by[a]["best_margin_s"].to_numpy(), by[b]["best_margin_s"].to_numpy()
        ok = np.isfinite(ma)
        assert np.all(mb[ok] >= ma[ok] - 1e-6)


def test_faster_interceptor_never_engages_fewer(tmp_path, comparison):
    engaged = []
    margins = []
    for v in (4.0, 5.0, 6.0, 7.0):
        p = write(tmp_path, f"v{v}.toml", f"""
            [scenario]
            name = "north {v}"
            extends = "epaa-phase4-northern-seas"
            [[interceptor]]
            name = "IIB at {v} km/s"
            base = "SM-3 Block IIB"
            burnout_speed_km_s = {v}
            [[battery]]
            name = "Aegis ship, Norwegian Sea"
            interceptor = "IIB at {v} km/s"
            """)
        a = analysis.assess(scenario.load(p))
        j = [b.name for b in a.scenario.batteries].index("Aegis ship, Norwegian Sea")
        engaged.append(a.engageable[:, j])
        margins.append(a.margin[:, j])
    for lo, hi in zip(engaged, engaged[1:]):
        assert np.all(hi[lo]), "a faster interceptor lost a trajectory"
    assert engaged[-1].sum() > engaged[0].sum()
    for lo, hi in zip(margins, margins[1:]):
        ok = np.isfinite(lo) & np.isfinite(hi)
        assert np.all(hi[ok] >= lo[ok] - 2.0)  # s: the window search's resolution


def test_site_under_the_tracks_engages_more_than_one_far_from_them(tmp_path, comparison):
    """Same interceptor and timeline at Deveselu (Romania), Redzikowo (Poland)
    and in the Norwegian Sea, under the tracks of Russian ICBMs toward the US."""
    counts = {}
    for name, pos in (("Romania", 'at = "Deveselu"'), ("Poland", 'at = "Redzikowo"'),
                      ("Norwegian Sea", "lat_deg = 68.0\nlon_deg = 4.0")):
        p = write(tmp_path, f"{name}.toml", f"""
            [scenario]
            name = "{name}"
            extends = "epaa-base"
            [doctrine]
            launch_delay_s = 240.0
            [[battery]]
            name = "site"
            interceptor = "SM-3 Block IIB"
            {pos}
            cued_by = "launch_delay"
            """)
        a = analysis.assess(scenario.load(p))
        counts[name] = int(a.per_threat().query("role == 'strategic'")["engageable"].sum())
    assert counts["Norwegian Sea"] > counts["Poland"] >= counts["Romania"]


def test_assessment_equals_the_engine(comparison):
    """The per-pair table is the engine's result at the best station."""
    ph = comparison.phases[2]
    a = ph.assessment
    sc = a.scenario
    j = [b.name for b in sc.batteries].index("Aegis Ashore Redzikowo")
    b = sc.batteries[j]
    # the engine battery built from the scenario's cueing (own radar, remote cues, mode, network, signatures)
    bat = Battery(b.name, *b.stations[0], intercept_rules(b.interceptor, sc), timeline_for(sc, b, b.stations[0]))
    assert bat.timeline.own is not None and bat.timeline.mode == "engage-on-remote"
    res = engage(ThreatSet.prepare(a.flights.trajectories), [bat], assessment_time=sc.assessment_time,
                 coarse_step=sc.coarse_step)
    got = a.pairs[a.pairs["battery"] == b.name]
    np.testing.assert_array_equal(got["engageable"].to_numpy(), res.engageable[:, 0])
    m = res.margin[:, 0]
    ok = np.isfinite(m)
    np.testing.assert_allclose(got["margin_s"].to_numpy()[ok], m[ok], atol=1e-6)


def test_per_threat_and_field_summaries(comparison):
    a = comparison.phases[-1].assessment
    t = a.per_threat()
    np.testing.assert_array_equal(t["engageable"].to_numpy(), a.engageable.any(axis=1))
    np.testing.assert_array_equal(t["batteries_able"].to_numpy(), a.engageable.sum(axis=1))
    f = a.per_field()
    assert f["trajectories"].sum() == len(t)
    assert f["engageable"].sum() == t["engageable"].sum()
    s = analysis.south_vs_north(a)
    assert set(s["role"]) == {"southern", "strategic"}
    row = s.set_index("role").loc["strategic"]
    assert row["engageable_share"] == pytest.approx(a.share("strategic"))
    # lofted and depressed variants were flown with the asked apogees
    meta = a.meta
    for prof, factor in (("lofted", a.scenario.lofted_factor), ("depressed", a.scenario.depressed_factor)):
        sel = meta.index[meta["profile"] == prof]
        assert len(sel) > 10
        me = meta[meta["profile"] == "min-energy"].set_index(["launch", "target"])
        apo = a.flights.trajectories.apogee
        idx_me = {k: i for i, k in zip(me.index.map(lambda k: k), meta.index[meta["profile"] == "min-energy"])}
        for i in sel[:10]:
            k = (meta.loc[i, "launch"], meta.loc[i, "target"])
            if k in idx_me:
                assert apo[i] / apo[idx_me[k]] == pytest.approx(factor, rel=0.01)
    assert (a.meta["miss_km"] < 1.0).all()


def test_footprint(comparison):
    fp = comparison.phases[2].footprint
    st = fp.status[np.isfinite(fp.status)]
    assert set(np.unique(st)) <= {OUT_OF_REACH, UNDEFENDED, DEFENDED}
    assert 0 < fp.defended_area_km2 < fp.reachable_area_km2
    # cell areas: the region's land area is close to the land area of its countries inside it
    c = fp.countries.set_index("country")
    assert c.loc["Poland", "land_area_in_grid_km2"] == pytest.approx(312_700, rel=0.03)
    assert c.loc["Romania", "defended_share"] > 0
    # a capital the trajectory to which is engaged in the assessment is defended in the footprint
    cities = fp.cities.set_index("city")
    assert bool(cities.loc["Bucharest", "defended"])
    assert fp.max_miss_km < 2.0


def _footprints(tmp_path, guided: bool):
    """Deveselu alone at three burnout speeds: guided by its own SPY-1 and the
    Kurecik TPY-2 (the bundled cueing), or without a guidance constraint (the
    older model: interceptor reach alone limits it)."""
    areas, defended = [], []
    for v in (2.5, 3.5, 4.5):
        bat = ('name = "Aegis Ashore Deveselu"' if guided else
               'name = "Aegis Ashore Deveselu"\nremove = true\n[[battery]]\nname = "Deveselu, unguided"\n'
               'at = "Deveselu"\ncued_by = ["Kurecik TPY-2"]')
        p = write(tmp_path, f"f{v}{guided}.toml", f"""
            [scenario]
            name = "fp {v}"
            extends = "epaa-phase2"
            [[interceptor]]
            name = "IB at {v} km/s"
            base = "SM-3 Block IB"
            burnout_speed_km_s = {v}
            max_range_km = 3000.0  # not the catalog's 700 km estimate: let the speed limit the reach
            [[battery]]
            {bat}
            interceptor = "IB at {v} km/s"
            [[battery]]
            name = "Aegis ship, Eastern Mediterranean"
            remove = true
            [[battery]]
            name = "Aegis ship, Western Mediterranean (Rota 1)"
            remove = true
            [[battery]]
            name = "Aegis ship, Western Mediterranean (Rota 2)"
            remove = true
            [[battery]]
            name = "Aegis ship, Western Mediterranean (Rota 3)"
            remove = true
            [[battery]]
            name = "Aegis ship, Western Mediterranean (Rota 4)"
            remove = true
            """)  # TOML ignores the indentation
        fp = analysis.footprint(scenario.load(p), step_deg=1.0)
        areas.append(fp.defended_area_km2)
        defended.append(fp.status == DEFENDED)
    return areas, defended


def test_footprint_grows_with_interceptor_speed(tmp_path, comparison):
    # without a guidance constraint the interceptor's reach limits the
    # footprint: it grows strictly with speed
    areas, defended = _footprints(tmp_path, guided=False)
    assert areas[0] <= areas[1] <= areas[2] and areas[2] > areas[0]
    for lo, hi in zip(defended, defended[1:]):
        assert np.all(hi[lo])
    # guided by the radars that must see the intercept point: never smaller
    # with a faster interceptor (here the radars' coverage, not the speed, limits it)
    g_areas, g_def = _footprints(tmp_path, guided=True)
    assert g_areas[0] <= g_areas[1] <= g_areas[2] and g_areas[2] <= areas[2]
    for lo, hi in zip(g_def, g_def[1:]):
        assert np.all(hi[lo])


def test_phases_json_cli(capsys, comparison):
    assert main(["phases", "--json", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    recs = [json.loads(x) for x in lines]
    assert len(recs) == len(comparison.phases)
    api = comparison.records()
    for r, ref in zip(recs, api):
        for k in ("name", "strategic_engageable_share", "southern_covered_share", "defended_area_km2"):
            assert k in r
        assert 0 <= r["strategic_engageable_share"] <= 1 and 0 <= r["southern_covered_share"] <= 1
        assert r["name"] == ref["name"]
        assert r["strategic_engageable_share"] == pytest.approx(ref["strategic_engageable_share"])
        assert r["defended_area_km2"] == pytest.approx(ref["defended_area_km2"])


def test_assess_and_south_vs_north_cli(capsys, comparison):
    assert main(["assess", "epaa-phase1", "--quiet", "--per", "field"]) == 0
    out = capsys.readouterr().out
    assert "Kozelsk" in out and "Assumptions:" in out
    assert main(["south-vs-north", "epaa-phase4-northern-seas", "--json", "--quiet"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert {r["role"] for r in recs} == {"southern", "strategic"}
    assert main(["footprint", "epaa-phases", "--quiet"]) == 2
    assert "a comparison" in capsys.readouterr().err
