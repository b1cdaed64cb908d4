"""The EPAA's dated public record as scenario metadata (catalog/data/history.toml):
every event dated and sourced by documents listed in docs/sources.md with a
status, Phase 4 cancelled in March 2013, bad files refused with the file, line
and field, and the report's History section showing it."""

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

from openbmd import history, scenario
from openbmd.report.build import write_report

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("audit_sources", ROOT / "tools" / "audit_sources.py")
audit_sources = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("audit_sources", audit_sources)
_spec.loader.exec_module(audit_sources)

EVENTS = history.load_history()
DOCS = audit_sources.read_documents([ROOT / "docs" / "sources.md"])


def test_every_event_has_a_date_and_sources_listed_with_a_status():
    assert len(EVENTS) >= 12
    for e in EVENTS:
        assert history._check_date(e.date), e
        assert e.sources, e
        for key in e.sources:
            assert key in DOCS.keys(), f"{e.describe()}: {key!r} is not a key of docs/sources.md"
            statuses = [st for st, _, _ in DOCS.status.get(key, [])]
            assert statuses and all(st in audit_sources.STATUSES for st in statuses), (key, statuses)


def test_the_audit_checks_the_history_and_passes(tmp_path):
    found = audit_sources.check_history(audit_sources.read_documents())
    assert found and all(f.ok for f in found), "\n".join(map(str, found))
    # and it would fail a history whose source is not listed, or that forgets the cancellation
    bad = tmp_path / "history.toml"
    bad.write_text('[[event]]\nphase = "Phase 4"\nscenario = "epaa-phase4"\ndate = "2013"\nkind = "announced"\n'
                   'what = "x"\nsource = "Nobody 2099"\n')
    msgs = [f.message for f in audit_sources.check_history(audit_sources.read_documents(), bad) if not f.ok]
    assert any("'Nobody 2099' is not a key" in m for m in msgs)
    assert any("cancelled in March 2013" in m for m in msgs)
    assert any("announced" in m for m in msgs)


def test_each_phase_as_announced_and_as_deployed():
    by = {}
    for e in EVENTS:
        by.setdefault(e.phase, []).append(e)
    for ph in ("Phase 1", "Phase 2", "Phase 3", "Phase 4"):
        ann = [e for e in by[ph] if e.kind == "announced"]
        assert ann and ann[0].date == "2009-09-17", ph
    assert "2011 timeframe" in by["Phase 1"][0].what and "2020 timeframe" in [e for e in by["Phase 4"] if e.kind == "announced"][0].what
    tpy = [e for e in by["Phase 1"] if e.kind == "deployed" and "TPY-2" in e.what]
    assert tpy and tpy[0].date == "2011-12" and "GAO-14-314" in tpy[0].sources
    dev = [e for e in by["Phase 2"] if e.kind == "operational" and "Deveselu" in e.what]
    assert dev and dev[0].date == "2016-05-12"
    red = [e for e in by["Phase 3"] if e.kind == "operational" and "Redzikowo" in e.what]
    assert red and min(e.date for e in red).startswith("2024-07")


def test_phase_4_says_cancelled_march_2013():
    cancelled = [e for e in EVENTS if e.phase == "Phase 4" and e.kind == "cancelled"]
    assert len(cancelled) == 1
    e = cancelled[0]
    assert e.date == "2013-03-15" and "cancels Phase 4" in e.what
    assert "ACA 2013 (Phase 4 cancelled)" in e.sources
    # nothing of Phase 4 is dated operational or deployed: it was never built
    assert not [x for x in EVENTS if x.phase == "Phase 4" and x.kind in ("deployed", "operational", "construction")]


def test_a_scenario_shows_the_events_of_the_files_it_is_built_from():
    p2 = {e.phase for e in history.history_for(scenario.load("epaa-phase2"))}
    assert p2 == {"EPAA", "Phase 1", "Phase 2"}
    variant = history.history_for(scenario.load("epaa-phase4-northern-seas"))
    assert {e.phase for e in variant} == {"EPAA", "Phase 1", "Phase 2", "Phase 3", "Phase 4"}
    assert history.history_for(scenario.load("moscow-a135")) == []
    table = history.history_table(variant)
    assert list(table.columns) == ["phase", "date", "kind", "what", "source"] and len(table) == len(variant)


@pytest.mark.parametrize("change, words", [
    (('date = "2013-03-15"', 'date = "2013-13-15"'), [":5:", "event[1].date", "ISO date"]),
    (('date = "2013-03-15"', 'date = "15 March 2013"'), [":5:", "event[1].date"]),
    (('kind = "cancelled"', 'kind = "scrapped"'), [":6:", "event[1].kind", "cancelled"]),
    (('scenario = "epaa-phase4"', 'scenario = "epaa-phase5"'), [":4:", "event[1].scenario", "epaa-phase4"]),
    (('source = "ACA 2013 (Phase 4 cancelled)"\n', ''), ["event[1].source", "missing"]),
    (('what = "x"', 'what = "x"\nwhen = "then"'), ["event[1].when", "unknown field"]),
])
def test_a_bad_history_file_names_the_line_and_field(change, words):
    text = textwrap.dedent("""\
        # a history file
        [[event]]
        phase = "Phase 4"
        scenario = "epaa-phase4"
        date = "2013-03-15"
        kind = "cancelled"
        what = "x"
        source = "ACA 2013 (Phase 4 cancelled)"
        """)
    assert history.loads(text, "h.toml")[0].kind == "cancelled"
    with pytest.raises(history.HistoryError) as exc:
        history.loads(text.replace(*change), "h.toml")
    msg = str(exc.value)
    assert msg.startswith("h.toml:") and "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


SMALL = """
[scenario]
name = "Phase 4, one site and one threat group"
extends = "epaa-phase4"

[analyses]
run = ["assess"]
{removed}
[[raid]]
name = "Southern salvo"
remove = true
"""


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    full = scenario.load("epaa-phase4")
    removed = "".join(f'\n[[threat]]\nname = "{t.name}"\nremove = true\n' for t in full.threats
                      if t.name != "Iran to the US (hypothetical ICBM)")
    removed += "".join(f'\n[[battery]]\nname = "{b.name}"\nremove = true\n' for b in full.batteries
                       if b.name != "Aegis Ashore Redzikowo")
    d = tmp_path_factory.mktemp("hist")
    (d / "small.toml").write_text(SMALL.format(removed=removed))
    out = d / "report"
    res = write_report(scenario.load(d / "small.toml"), out)
    return out, res


def test_the_report_shows_the_history(small_report):
    out, res = small_report
    html = (out / "report.html").read_text()
    i = html.index("<section id='history'>")
    section = html[i:html.index("</section>", i)]
    for phase in ("Phase 1", "Phase 2", "Phase 3", "Phase 4"):
        assert f"<h3>{phase}</h3>" in section
    assert "2013-03-15" in section and "cancelled" in section and "ACA 2013 (Phase 4 cancelled)" in section
    assert "2011-12" in section and "GAO-14-314" in section
    data = json.loads((out / "summary.json").read_text())
    assert data["history"] == res.data["history"] and len(data["history"]) == len(
        history.history_for(scenario.load("epaa-phase4")))
    assert (out / "tables" / "history.csv").is_file()


def test_the_report_lists_the_ranges_the_monte_carlo_draws(small_report):
    out, _ = small_report
    html = (out / "report.html").read_text()
    i = html.index("<section id='assumptions'>")
    section = html[i:html.index("</section>", i)]
    assert "Ranges the uncertainty Monte Carlo draws" in section
    for p in ("tail_chase_closing_speed_km_s[SM-3 Block IIB]", "min_intercept_altitude_km[SM-3 Block IIB]",
              "max_intercept_altitude_km[SM-3 Block IIB]", "handover_time_s[SM-3 Block IIB]",
              "track_time_s[Redzikowo SPY-1]", "track_time_s[Kurecik TPY-2]"):
        assert p in section, p
    rows = json.loads((out / "summary.json").read_text())["uncertainty_ranges"]
    assert all(r["low"] <= r["nominal"] <= r["high"] and r["source"] for r in rows)


def test_phase4_against_the_eastern_us_as_the_readme_states(small_report):
    """README (literature): Phase 4 engages none of the hypothetical Iranian ICBM
    trajectories to Washington and New York under its declared sensors, while
    the Redzikowo IIB reaches each head-on when no guiding radar must see the
    intercept point (latest launch 527-643 s after the threat's)."""
    from dataclasses import replace

    from openbmd.analysis.assess import assess

    out, _ = small_report
    sc = scenario.load(out.parent / "small.toml")
    (b,) = sc.batteries
    assert b.name == "Aegis Ashore Redzikowo" and b.interceptor.name == "SM-3 Block IIB"
    declared = assess(sc).pairs
    assert len(declared) == 4 and not declared["engageable"].any()
    free = assess(replace(sc, launch_delay=0.0, batteries=[replace(b, cues=(), own_radar=None, cue=None)])).pairs
    assert free["engageable"].all()
    assert free["latest_launch_s"].between(520.0, 650.0).all()
    assert free["closing_speed_km_s"].between(10.0, 11.0).all()
