"""The web view as a tool, in a real browser (Playwright driving Debian's
chromium) at two window sizes: each input sits beside its own label, the
panel fits the window, the globe has place labels and a legend, a changed
architecture says so (and why a battery engages nothing), two jobs started
together do not break the page, the speed-map bar starts empty, and an
export downloads instead of navigating."""

import time

import httpx
import pytest
# the browser, its flags and the skip without chromium: shared with the page's first browser tests
from test_web_browser import CHROMIUM, browser  # noqa: F401 - browser is a pytest fixture

from openbmd.web.local import LocalServer

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")]
SIZES = [(1600, 1000), (1280, 800)]

REMOTE_CUED = """
[scenario]
name = "remote-cued ship"
extends = "epaa-phase3"
[[battery]]
name = "Remote-cued ship"
interceptor = "SM-3 Block IIA"
kind = "ship"
lat_deg = 36.0
lon_deg = 25.0
cued_by = ["Kurecik TPY-2"]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = LocalServer(tmp_path_factory.mktemp("view") / "db.sqlite3", start_timeout=60.0)
    yield s
    s.stop()


def open_page(browser, server, size=(1600, 1000)):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page.errors, page.requests = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append((r.method, r.url)))
    page.goto(server.base + "/")
    page.wait_for_selector("#status[data-ready='1']", timeout=300_000, state="attached")
    return page


def wait_until(page, selector, ok, timeout=300.0):
    """Poll an element's text from Python (the page's CSP forbids the string
    evaluation that page.wait_for_function uses). No wall-clock assertion:
    the limit only stops a hung test."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        text = page.inner_text(selector)
        if ok(text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{selector}: still {page.inner_text(selector)!r}")


# each form control with the box of its label's text (the text nodes when the label wraps the control)
PAIRS_JS = """() => [...document.querySelectorAll('#right input, #right select')].filter(c => c.offsetParent !== null)
  .map(c => {
    const l = c.labels && c.labels[0];
    if (!l) return {id: c.id, label: null};
    let rect;
    if (l.contains(c)) {
      const t = [...l.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
      if (!t) return {id: c.id, label: null};
      const r = document.createRange(); r.selectNodeContents(t); rect = r.getBoundingClientRect();
    } else { rect = l.getBoundingClientRect(); }
    const b = c.getBoundingClientRect();
    return {id: c.id, text: l.textContent.trim(), label: [rect.left, rect.top, rect.right, rect.bottom],
            input: [b.left, b.top, b.right, b.bottom]};
  })"""


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_layout_labels_beside_their_inputs_and_panel_in_the_window(browser, server, size):
    page = open_page(browser, server, size)
    try:
        pairs = page.evaluate(PAIRS_JS)
        assert {"lat", "lon", "speed", "delay", "halfwidth", "shiplat", "shiplon"} <= {p["id"] for p in pairs}
        wrong = []
        for p in pairs:
            if p["label"] is None:
                wrong.append(f"#{p['id']} has no label")
                continue
            lx0, ly0, lx1, ly1 = p["label"]
            ix0, iy0, ix1, iy1 = p["input"]
            # the label's text on the input's row, just left of it (not at the end of the row above)
            if not iy0 <= (ly0 + ly1) / 2 <= iy1:
                wrong.append(f"#{p['id']}: its label is not on its row")
            elif not (lx1 <= ix0 + 1 and ix0 - lx1 < 40):
                wrong.append(f"#{p['id']}: its label is not just left of it")
            for q in pairs:  # no input covers another label
                if q is not p and q["label"] is not None:
                    qx0, qy0, qx1, qy1 = q["label"]
                    if min(ix1, qx1) - max(ix0, qx0) > 0 and min(iy1, qy1) - max(iy0, qy0) > 0:
                        wrong.append(f"#{p['id']} overlaps the label of #{q['id']}")
        assert not wrong, wrong
        box = page.evaluate("""() => {
            const r = document.getElementById('right').getBoundingClientRect();
            const g = document.getElementById('globe').getBoundingClientRect();
            return {right: r.right, left: r.left, globe_right: g.right, scroll: document.documentElement.scrollWidth,
                    width: window.innerWidth};
        }""")
        assert box["right"] <= box["width"], box  # the panel is not cut off on the right
        assert box["scroll"] <= box["width"], box  # and the page does not scroll sideways
        assert 0 <= box["left"] - box["globe_right"] <= 60, box  # no empty gap in the middle
        # wide tables scroll inside the panel
        tables = page.evaluate("() => [...document.querySelectorAll('#right table')].map(t => t.getBoundingClientRect().left)")
        assert tables and all(x >= box["left"] - 1 for x in tables)
        assert not page.errors
    finally:
        page.close()


def test_globe_place_labels_and_legend(browser, server):
    page = open_page(browser, server)
    try:
        labels = page.eval_on_selector_all("#globe text.place-label", "els => els.map(e => e.textContent)")
        assert any("Redzikowo" in t for t in labels), labels
        d = httpx.post(server.base + "/api/assess", json={"scenario": "epaa-phase3"}, timeout=300).json()
        launches = {t["launch"] for t in d["threats"]}
        targets = {t["target"] for t in d["threats"]}
        assert launches & set(labels) and targets & set(labels), labels
        # labels do not overlap one another
        boxes = page.eval_on_selector_all("#globe text.place-label", "els => els.map(e => { const b = e.getBBox(); "
                                                                      "return [b.x, b.y, b.x + b.width, b.y + b.height]; })")
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not (min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1), (a, b)
        assert page.locator("#globe .launch-mark").count() > 0 and page.locator("#globe .target-mark").count() > 0
        legend = page.inner_text("#legend")
        for word in ("battery", "radar coverage", "fly-out fan", "launch area", "target", "engaged", "intercept point"):
            assert word in legend
        assert not page.errors
    finally:
        page.close()


def test_a_moved_ship_is_marked_modified_and_says_why_it_engages_nothing(browser, server):
    sid = httpx.post(server.base + "/api/saved", json={"name": "remote-cued ship", "toml": REMOTE_CUED}).json()["id"]
    page = open_page(browser, server)
    try:
        assert page.locator("#modified").is_hidden()
        page.select_option("#scenario", f"saved:{sid}")
        wait_until(page, "#status", lambda t: t.startswith("remote-cued ship"))
        assert page.locator("#modified").is_hidden()
        assert "Remote-cued ship" not in page.inner_text("#explain")  # it engages threats where it is
        page.select_option("#battery", "Remote-cued ship")
        page.fill("#lat", "72")
        page.fill("#lon", "-20")
        page.click("#apply")
        wait_until(page, "#modified", lambda t: "Remote-cued ship moved" in t)
        text = page.inner_text("#modified")
        assert "from 36.00, 25.00 to 72.00, -20.00" in text
        why = page.inner_text("#explain")
        assert "Remote-cued ship engages nothing: no cue: Kurecik TPY-2 never tracks" in why
        # a second change is listed with the first; undo takes it back, reset restores the original
        page.fill("#speed", "5.5")
        page.click("#apply")
        wait_until(page, "#modified", lambda t: "4.50 → 5.50 km/s" in t)
        assert "Remote-cued ship moved" in page.inner_text("#modified")
        page.click("#undo")
        wait_until(page, "#modified", lambda t: "km/s" not in t and "Remote-cued ship moved" in t)
        page.click("#resetmod")
        wait_until(page, "#status", lambda t: t.startswith("remote-cued ship") and "computing" not in t)
        page.wait_for_selector("#modified", state="hidden")
        assert page.input_value("#lat") == "36.00"
        assert not page.errors
    finally:
        page.close()


def test_two_jobs_started_together_and_a_speed_map_bar_that_starts_empty(browser, server):
    page = open_page(browser, server)
    try:
        page.select_option("#scenario", "moscow-a135")
        wait_until(page, "#status", lambda t: t.startswith("Moscow"))
        # two clicks in the same tick, as a user double-starting jobs
        page.eval_on_selector_all("#balance, #footprint", "els => els.forEach(e => e.click())")
        states = page.eval_on_selector_all(".jobbtn", "els => els.map(e => e.disabled)")
        assert states and all(states)  # every job button disabled while one runs
        assert not page.locator("#cancel").is_disabled()
        wait_until(page, "#jobstatus", lambda t: t.startswith(("done", "failed", "error")))
        assert page.inner_text("#jobstatus").startswith("done")
        posts = [u for m, u in page.requests if m == "POST" and u.endswith("/api/jobs")]
        assert len(posts) == 1
        bad = [u for _, u in page.requests if u.rstrip("/").endswith(("/api/jobs/null", "/api/jobs/undefined"))]
        assert not bad and not page.errors, (bad, page.errors)
        assert not any(page.eval_on_selector_all(".jobbtn", "els => els.map(e => e.disabled)"))
        # the speed map's bar: 0 of its bands at the start, never full before the end
        page.select_option("#scenario", "epaa-phase3")
        wait_until(page, "#status", lambda t: t.startswith("EPAA Phase 3"))
        page.click("#speedmap")
        wait_until(page, "#jobstatus", lambda t: "of" in t)
        value, mx = page.eval_on_selector("#jobprogress", "e => [e.value, e.max]")
        assert mx > 1 and value < mx, (value, mx)
        assert page.inner_text("#jobstatus").startswith(("queued", "running"))
        page.click("#cancel")
        wait_until(page, "#jobstatus", lambda t: t.startswith(("cancelled", "done")))
        assert not page.errors
    finally:
        page.close()


def test_exports_download_instead_of_navigating(browser, server):
    page = open_page(browser, server)
    try:
        url = page.url
        with page.expect_download(timeout=300_000) as dl:
            page.click("#downloads a:has-text('GeoJSON')")
        assert dl.value.suggested_filename.endswith(".geojson")
        assert page.url == url  # the page stayed
        assert not page.errors
    finally:
        page.close()
