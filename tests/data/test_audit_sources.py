"""The citation audit (tools/audit_sources.py): every citation names a document
listed in docs/sources*.md, every document says how much of it was read, and
numbers resting only on unread documents are marked as assumptions with ranges.

Every file is checked, the EPAA scenarios and the sensor catalog included
(``python tools/audit_sources.py`` passes).
"""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("audit_sources", ROOT / "tools" / "audit_sources.py")
audit_sources = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("audit_sources", audit_sources)
_spec.loader.exec_module(audit_sources)

FINDINGS = audit_sources.audit()
CHECKS = ("documents", "citation", "unread-number", "memory", "record")


@pytest.mark.parametrize("check", CHECKS)
def test_audit_passes_on_every_file(check):
    bad = [f for f in FINDINGS if not f.ok and f.check == check]
    assert not bad, "\n".join(map(str, bad))


def test_every_document_has_one_of_the_three_statuses():
    docs = audit_sources.read_documents()
    assert len(docs.keys()) > 50
    mine = audit_sources.read_documents([ROOT / "docs" / "sources.md"])
    for k in mine.keys():
        assert k in mine.status, f"docs/sources.md: {k} has no status row"
        for st, detail, _ in mine.status[k]:
            assert st in audit_sources.STATUSES, (k, st)
            if st != "not retrieved":
                assert detail, f"{k}: {st} must say what was read"


def test_status_words_are_parsed():
    p = audit_sources.parse_status
    assert p("read (opening only): a quote") == ("read", "(opening only): a quote")
    assert p("summary read: FAS's summary on fas.org") == ("summary read", "FAS's summary on fas.org")
    assert p("not retrieved") == ("not retrieved", "")
    assert p("reading list")[0] != "read"


def test_keys_are_found_in_citations():
    keys = ["Wright 2017 (UCS)", "CSIS Missile Threat X", "NRC 2012", "Podvig 2001"]
    found = audit_sources.cited_keys("Wright 2017 (UCS, ~13,000 km); CSIS Missile Threat Hwasong-15", keys)
    assert set(found) == {"Wright 2017 (UCS)", "CSIS Missile Threat X"}
    assert audit_sources.cited_keys("NRC 20121", keys) == []


def test_unread_number_needs_assumption_and_range():
    docs = audit_sources.Documents(citations={"Unread": ("x", "f")}, status={"Unread": [("not retrieved", "", "f")]})
    keys = docs.keys()
    bad = audit_sources.check_unread_numbers({"diameter_m": 1.0}, "diameter_m_source", "Unread", "w", docs, keys)
    assert bad and not bad[0].ok
    good = audit_sources.check_unread_numbers({"diameter_m": 1.0, "diameter_m_range": [0.9, 1.1]},
                                              "diameter_m_source", "ASSUMPTION: Unread", "w", docs, keys)
    assert good and good[0].ok


def test_no_bundled_scenario_flies_a_placeholder_or_a_retired_interceptor():
    bad = [f for f in FINDINGS if f.check == "record" and not f.ok
           and ("placeholder" in f.message or "retired" in f.message)]
    assert not bad, "\n".join(map(str, bad))


def test_report_has_an_assumptions_section():
    text = audit_sources.report(FINDINGS)
    assert "## Assumptions: numbers whose only documents were not retrieved" in text
    assert "CSIS Missile Threat X" in text  # e.g. the missile diameters quoted from CSIS pages not retrieved
