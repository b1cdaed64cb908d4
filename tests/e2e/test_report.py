"""The report: files exist and are well formed, maps show land, the numbers
equal the API's, and failures leave nothing behind."""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from openbmd import analysis, scenario
from openbmd.cli import main
from openbmd.report.build import GZIP_CSV_ROWS, MARKER, REPORT_BYTES_MAX, ReportError, write_report
from openbmd.report.maps import LAND_COLOR

pytestmark = pytest.mark.slow

VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr", "area", "base"}


class _Checker(HTMLParser):
    """Balanced tags; collects local references."""

    def __init__(self):
        super().__init__()
        self.stack, self.refs, self.errors, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if k in a and not a[k].startswith("#"):
                self.refs.append(a[k])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "default-report"
    assert main(["report", "default", "-o", str(out), "--quiet"]) == 0
    return out


def check_geojson(doc):
    assert doc["type"] == "FeatureCollection" and doc["features"]
    kinds = set()
    for f in doc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        g = f["geometry"]
        kinds.add(g["type"])

        def pts(c, depth):
            return [c] if depth == 0 else [p for x in c for p in pts(x, depth - 1)]

        depth = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}[g["type"]]
        for p in pts(g["coordinates"], depth):
            assert -180 <= p[0] <= 180 and -90 <= p[1] <= 90, p
        if g["type"] == "Polygon":
            for ring in g["coordinates"]:
                assert ring[0] == ring[-1] and len(ring) >= 4
    return kinds


def test_report_files(report):
    names = {str(p.relative_to(report)) for p in report.rglob("*") if p.is_file()}
    assert {"report.html", "summary.json", MARKER, "tables/phases.csv", "tables/phases.parquet"} <= names
    # map layers: one compact, gzipped GeoJSON per phase; KML and CZML only with --full-geo
    assert sum(n.endswith(".geojson.gz") for n in names) == 7
    assert not any(n.endswith((".kml", ".czml", ".geojson")) for n in names)
    # long tables as .csv.gz (read as they are by pandas), linked from the page
    import pandas as pd

    eng = pd.read_csv(report / "tables" / "epaa-phase-3-2018" / "engagements.csv.gz")
    assert len(eng) > 1000 and "engageable" in eng.columns
    threats = pd.read_csv(report / "tables" / "epaa-phase-3-2018" / "threats.csv.gz")
    assert len(threats) > GZIP_CSV_ROWS and "best_margin_s" in threats.columns
    assert "tables/epaa-phase-3-2018/threats.csv.gz" in (report / "report.html").read_text()
    assert sum(n.endswith("-footprint.png") for n in names) == 7
    assert not list(report.parent.glob(".*tmp*")), "temporary folder left behind"


def test_report_folder_stays_small(report):
    """The default report's whole folder (what `openbmd report default` writes, as
    `du -sb` counts it) stays under REPORT_BYTES_MAX (issue 15: under ~10 MB, with
    --full-geo for everything)."""
    import os

    size = os.stat(report).st_size + sum(p.lstat().st_size for p in report.rglob("*"))
    assert size < REPORT_BYTES_MAX, f"report folder is {size:,} bytes (bound {REPORT_BYTES_MAX:,})"
    # the biggest kinds of file, each kept small: maps as palette PNGs, layers gzipped
    for p in (report / "figures").glob("*-map-*.png"):
        assert p.stat().st_size < 300_000, (p.name, p.stat().st_size)
    for p in (report / "geo").glob("*.geojson.gz"):
        assert p.stat().st_size < 200_000, (p.name, p.stat().st_size)


def test_html_is_well_formed_and_offline(report):
    text = (report / "report.html").read_text()
    c = _Checker()
    c.feed(text)
    c.close()
    assert not c.errors and not c.stack, (c.errors, c.stack)
    assert c.refs
    for ref in c.refs:
        assert "://" not in ref, f"network reference {ref}"
        assert (report / ref).is_file(), ref
    assert "Assumptions and sources" in text and "US Standard Atmosphere 1976" in text


def test_geo_exports_are_valid(report):
    import gzip

    paths = list((report / "geo").glob("*.geojson.gz"))
    assert paths
    for p in paths:
        doc = json.loads(gzip.decompress(p.read_bytes()).decode("utf-8"),
                         parse_constant=lambda c: pytest.fail(f"{p}: {c} in JSON"))
        kinds = check_geojson(doc)
        assert {"LineString", "Point", "Polygon"} <= kinds | {"MultiLineString"} | kinds
        layers = {f["properties"]["layer"] for f in doc["features"]}
        assert {"trajectory", "battery", "radar", "radar_coverage", "flyout_fan", "footprint"} <= layers
        for f in doc["features"]:  # rounded to 1e-4 deg, altitudes in whole metres
            g = f["geometry"]
            if g["type"] == "LineString":
                assert all(round(v, 4) == v for p in g["coordinates"] for v in p[:2])
                assert all(isinstance(p[2], int) for p in g["coordinates"])


def _land_share(png):
    img = imread(png)[..., :3]
    land = np.array([int(LAND_COLOR[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return float((np.abs(img - land).max(axis=-1) < 0.02).mean())


def test_images_are_non_empty_and_show_land(report):
    figs = sorted((report / "figures").glob("*.png"))
    assert len(figs) >= 6 * 5
    for f in figs:
        assert f.stat().st_size > 10_000, f
    for f in figs:
        if "-map-" in f.name:
            share = _land_share(f)
            assert 0.05 < share < 0.9, (f.name, share)


def test_numbers_in_the_report_equal_the_api(report):
    data = json.loads((report / "summary.json").read_text())
    comp = analysis.phases(scenario.load("default"))
    api = comp.records()
    assert [p["name"] for p in data["phases"]] == [r["name"] for r in api]
    for got, ref in zip(data["phases"], api):
        for k in ("strategic_engageable_share", "southern_covered_share", "defended_area_km2", "strategic_best_margin_s"):
            if ref[k] is None:
                assert got[k] is None
            else:
                assert got[k] == pytest.approx(ref[k], rel=1e-12)
    # the tables on disk and the HTML show the same figures
    import pandas as pd

    t = pd.read_parquet(report / "tables" / "phases.parquet")
    np.testing.assert_allclose(t["southern_covered_share"], [r["southern_covered_share"] for r in api])
    html = (report / "report.html").read_text()
    for r in api:
        assert f"{100 * r['southern_covered_share']:.1f} %" in html
        assert f"{r['defended_area_km2']:,.0f}" in html
    # per scenario: the engagement table equals the assessment
    p3 = comp.phases[2]
    pairs = pd.read_parquet(report / "tables" / "epaa-phase-3-2018" / "engagements.parquet")
    np.testing.assert_array_equal(pairs["engageable"].to_numpy(), p3.assessment.pairs["engageable"].to_numpy())


def test_vector_figures_full_geo_and_a_single_scenario(tmp_path):
    out = tmp_path / "moscow"
    res = write_report(scenario.load("moscow-a135"), out, fmt="svg", full_geo=True)
    svgs = list((out / "figures").glob("*.svg"))
    assert len(svgs) >= 4
    for s in svgs:
        assert ET.parse(s).getroot().tag.endswith("svg")
    assert (out / "report.html").is_file() and res.data["scenarios"][0]["name"].startswith("Moscow")
    # full_geo (--full-geo): full-precision GeoJSON, and KML and CZML beside it
    kinds = check_geojson(json.loads(next((out / "geo").glob("*.geojson")).read_text()))
    assert "Point" in kinds
    kmls, czmls = list((out / "geo").glob("*.kml")), list((out / "geo").glob("*.czml"))
    assert len(kmls) == len(czmls) == 1
    root = ET.parse(kmls[0]).getroot()
    assert root.tag == "{http://www.opengis.net/kml/2.2}kml"
    assert len(root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")) > 10
    doc = json.loads(czmls[0].read_text())
    assert doc[0]["id"] == "document" and doc[0]["version"] == "1.0"


def test_bad_scenario_leaves_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nextends = "epaa-phase3"\n[[battery]]\nname = "X"\ninterceptor = "SM-9"\nat = "Redzikowo"\n')
    out = tmp_path / "out"
    assert main(["report", str(bad), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:5" in err and "Traceback" not in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_never_overwrites_a_folder_that_is_not_a_report(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    assert main(["report", "moscow-a135", "-o", str(out), "--quiet"]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "my notes"
    with pytest.raises(ReportError):
        write_report(scenario.load("moscow-a135"), out / "notes.txt")
    # an earlier report is replaced as a whole
    rep = tmp_path / "rep"
    write_report(scenario.load("moscow-a135"), rep)
    (rep / "stale.csv").write_text("old")
    write_report(scenario.load("moscow-a135"), rep)
    assert not (rep / "stale.csv").exists() and (rep / "report.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "rep"]


def test_raid_balance_and_tracking_sections_equal_the_api(report):
    from openbmd.analysis.balance import balance

    data = json.loads((report / "summary.json").read_text())
    html = (report / "report.html").read_text()
    for h in ("Strategic balance", "Raids and battle management", "Tracking quality"):
        assert f"<h2>{h}</h2>" in html
    api = balance(scenario.load("default")).records()
    assert [(r["name"], r["attack"]) for r in data["balance"]] == [(r["name"], r["attack"]) for r in api]
    for got, ref in zip(data["balance"], api):
        for k in ("warheads_total", "warheads_engageable", "warheads_attrited_expected"):
            assert got[k] == pytest.approx(ref[k], rel=1e-12, abs=1e-12)
    names = {str(p.relative_to(report)) for p in report.rglob("*") if p.is_file()}
    assert {"tables/balance.csv", "tables/raids.csv", "tables/tracking.csv", "figures/balance.png"} <= names
    assert len(data["raids"]) == 7 and all(r["warheads"] == 40 for r in data["raids"])
    assert {r["scenario"] for r in data["tracking"]} == {p["name"] for p in data["phases"]}


def test_page_reads_as_a_document(report):
    """Headers in words, integer counts, long tables folded, assumptions once,
    no folder of the machine that ran it."""
    import re

    import openbmd

    text = (report / "report.html").read_text()
    heads = re.findall(r"<th(?: class='t')?>(.*?)</th>", text)
    assert heads and not [h for h in heads if "_" in h], "snake_case headers"
    assert "Warheads total" in heads and "Defended area (km²)" in heads
    data = json.loads((report / "summary.json").read_text())
    total = data["balance"][0]["warheads_total"]
    balance = text[text.index("<section id='balance'>"):]
    balance = balance[:balance.index("</section>")]
    assert f"<td>{total:,.0f}</td>" in balance and f"{total:,.1f}" not in balance
    # every threat trajectory: folded, with its CSV linked (one per phase)
    folded = re.findall(r"<details><summary>Every threat trajectory: ([\d,]+) rows.*?href='(tables/[^']+/threats\.csv(?:\.gz)?)'",
                        text)
    assert len(folded) == 7 and all((report / ref).is_file() for _, ref in folded)
    for block in re.findall(r"<table>.*?</table>", re.sub(r"<details>.*?</details>", "", text, flags=re.S), flags=re.S):
        assert block.count("<tr>") <= 26, "a long table left open"
    # the assumptions: shared ones once, then per-architecture differences
    assert text.count("US Standard Atmosphere 1976") == 1
    assert "Differences per architecture" in text
    # no absolute paths: files named by their place in the package
    pkg = str(Path(openbmd.__file__).resolve().parent)
    for name in ("report.html", "summary.json"):
        body = (report / name).read_text()
        assert pkg not in body and str(Path.cwd()) not in body, name
    assert "openbmd/scenarios/epaa-phase1.toml" in text


@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="needs Debian's chromium (.ci/run installs it)")
def test_page_fits_the_width_in_a_browser(report):
    """At 1,400 px the page does not scroll sideways (wide tables scroll in
    their own box) and stays a readable length."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=__import__("shutil").which("chromium"),
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            page.goto((report / "report.html").as_uri())
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            height = page.evaluate("document.documentElement.scrollHeight")
        finally:
            b.close()
    assert width <= 1400, width
    assert height < 150_000, height


@pytest.fixture(scope="module")
def ships():
    """EPAA Phase 4 with IIB ships in the northern seas: the densest labels."""
    from openbmd.analysis.assess import assess

    return assess(scenario.load("default").phases[6])


def _text_boxes(fig, texts):
    """Pixel boxes of the texts themselves (an annotation's leader line left out)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return [Text.get_window_extent(t, r) for t in texts]


def _overlap(a, b, tol=1.0):
    """Whether two boxes overlap by more than ``tol`` pixels both ways."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


@pytest.mark.parametrize("role,places", [("strategic", {"Kozelsk", "Yasny", "Washington", "Seattle"}),
                                         ("southern", {"Semnan", "Shahroud", "Warsaw", "Madrid"})])
def test_maps_label_launch_fields_and_targets_without_overlaps(ships, role, places):
    from openbmd.report.build import _map_figure

    fig = _map_figure(ships, role, "test")
    ax = fig.axes[0]
    names = [t for t in ax.texts if "°" not in t.get_text()]
    assert places <= {t.get_text() for t in names}
    assert any("Redzikowo" in t.get_text() for t in names) and any("North Sea" in t.get_text() for t in names)
    assert sum("°" in t.get_text() for t in ax.texts) >= 4  # graticule labels
    boxes = _text_boxes(fig, ax.texts)
    texts = list(ax.texts)
    for i in range(len(texts)):
        for j in range(i):
            if "°" in texts[i].get_text() and "°" in texts[j].get_text():
                continue
            assert not _overlap(boxes[i], boxes[j]), (texts[i].get_text(), texts[j].get_text())
    # a scale bar, clear of the labels
    km, _, bar = ax._openbmd_scale_bar
    frame = bar.get_window_extent(fig.canvas.get_renderer())
    assert km > 0 and not any(_overlap(b, frame) for b in boxes)


def test_timeline_legend_leaves_the_bars_clear(ships):
    from openbmd.report.build import _timeline_figure

    fig = _timeline_figure(ships)
    ax = fig.axes[0]
    legend = (fig.legends or [ax.get_legend()])[0]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    box = legend.get_window_extent(r)
    assert ax.patches
    assert not box.overlaps(ax.get_window_extent(r))
    assert not any(box.overlaps(p.get_window_extent(r)) for p in ax.patches)


def test_the_report_opens_with_a_summary_of_the_answer(report):
    """The first section states, as declared, which architectures engage
    strategic trajectories and how much, the southern coverage of each, and
    the assumption sets that change the answer: the same numbers as the
    phase comparison and the robustness table."""
    import re

    page = (report / "report.html").read_text()
    sections = re.findall(r"<section id='([^']+)'>", page)
    assert sections[0] == "summary" and sections[1] == "phases"
    summary = page[page.index("<section id='summary'>"):page.index("<section id='phases'>")]
    data = json.loads((report / "summary.json").read_text())
    for p in data["phases"]:
        assert f"{100 * p['southern_covered_share']:.1f} %" in summary
        name = p["name"].replace("&", "&amp;")
        assert name in summary
        if p["strategic_engageable_share"]:
            assert f"{name} {100 * p['strategic_engageable_share']:.1f} %" in summary
    flips = [r for r in data["robustness"] if r["assumptions"] != "as declared"]
    declared = {r["name"]: r["strategic_engageable_share"] > 0 for r in data["robustness"] if r["assumptions"] == "as declared"}
    for r in flips:
        if (r["strategic_engageable_share"] > 0) != declared[r["name"]]:
            assert f"<i>{r['assumptions']}</i>" in summary


def test_the_summary_of_a_scenario_without_strategic_threats():
    """Shares are None where a scenario has no trajectory of that role: the
    summary says so instead of failing."""
    from openbmd.analysis.robustness import Robustness
    from openbmd.report.build import _summary_html

    class Rob:
        def matrix(self, col):
            import pandas as pd

            v = {"strategic_engageable_share": [None, None], "southern_covered_share": [0.25, 0.5]}[col]
            return pd.DataFrame({"Small": v}, index=["as declared", "remote"], dtype=object)

        def flips(self, col):
            import pandas as pd

            return pd.DataFrame({"Small": [False, False]}, index=["as declared", "remote"])

    assert Robustness  # the real class has the same matrix/flips interface
    h = _summary_html(Rob())
    assert "the scenario has none" in h and "Small 25.0 %" in h
