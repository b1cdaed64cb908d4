"""The web page in a real browser (Playwright driving Debian's chromium):
no request leaves localhost, the globe shows land, choosing an architecture
changes the table, moving a site changes the result, a saved scenario
survives a server restart."""

import shutil
import time

import httpx
import numpy as np
import pytest

from openbmd.web.local import LocalServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


Server = LocalServer


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, server):
    requests = []
    page = browser.new_page(viewport={"width": 1300, "height": 800})
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.base + "/")
    page.wait_for_selector("#status[data-ready='1']", timeout=120_000, state="attached")
    return page, requests


def wait_until(page, selector, ok, timeout=60.0):
    """Poll an element's text from Python (the page's CSP forbids the
    string evaluation that page.wait_for_function uses)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        text = page.inner_text(selector)
        if ok(text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{selector}: still {page.inner_text(selector)!r} after {timeout} s")


def land_share(png_bytes):
    from io import BytesIO

    from matplotlib.image import imread

    img = imread(BytesIO(png_bytes))[..., :3]
    land = np.array([0xED, 0xE7, 0xD9]) / 255
    return float((np.abs(img - land).max(axis=-1) < 0.03).mean())


def test_page_globe_and_changes(browser, tmp_path):
    server = Server(tmp_path / "db.sqlite3")
    try:
        page, requests = open_page(browser, server)
        assert requests and all(u.startswith(server.base) for u in requests), [u for u in requests if not u.startswith(server.base)]
        shot = page.locator("#globe").screenshot()
        assert 0.05 < land_share(shot) < 0.9  # the globe shows land
        before = page.inner_text("#roles")
        page.select_option("#scenario", "epaa-phase1")
        wait_until(page, "#status", lambda t: t.startswith("EPAA Phase 1"))
        assert page.inner_text("#roles") != before  # another architecture, another table
        # move a site under the tracks with a faster interceptor and an early cue: strategic trajectories become engageable
        page.select_option("#scenario", "epaa-phase3")
        wait_until(page, "#status", lambda t: t.startswith("EPAA Phase 3"))
        page.select_option("#battery", "Aegis Ashore Redzikowo")
        strat_before = page.inner_text("#roles")
        page.fill("#lat", "68")
        page.fill("#lon", "4")
        page.fill("#speed", "5.5")
        page.fill("#delay", "120")
        page.click("#apply")
        wait_until(page, "#roles", lambda t: t != strat_before)
        assert page.locator("path.eng").count() > 0  # engageable trajectories drawn in red
        assert page.locator("circle.ipt").count() > 0  # and their intercept points
        assert page.locator("path.fan").count() >= 1  # fly-out fans
        page.locator("path.eng").first.click(force=True)  # its profile, with the intercept window
        wait_until(page, "#profilename", lambda t: "->" in t)
        assert page.locator("#profile #window").count() == 1
        # drag a battery on the globe: its position changes and the result is recomputed
        lat_before = page.input_value("#lat")
        tri = page.locator("path.site").first
        box = tri.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 40, y + 30, steps=5)
        page.mouse.up()
        wait_until(page, "#status", lambda t: "trajectories" in t and "computing" not in t)
        dragged = page.input_value("#battery")
        assert dragged == "Aegis ship, Eastern Mediterranean"  # the first battery drawn
        assert page.input_value("#lat") != lat_before
        # back to the northern Redzikowo for the saved scenario
        page.select_option("#battery", "Aegis Ashore Redzikowo")
        page.fill("#lat", "68")
        page.fill("#lon", "4")
        page.fill("#speed", "5.5")
        page.fill("#savename", "north test")
        page.click("#save")
        wait_until(page, "#status", lambda t: t.startswith("saved as"))
        page.close()
    finally:
        server.stop()
    # a restart keeps the saved scenario, and the page offers it
    server = Server(tmp_path / "db.sqlite3")
    try:
        saved = httpx.get(server.base + "/api/saved").json()
        assert [s["name"] for s in saved] == ["north test"]
        page, _ = open_page(browser, server)
        opts = page.eval_on_selector_all("#scenario option", "els => els.map(e => e.textContent)")
        assert "saved: north test" in opts
        page.select_option("#scenario", f"saved:{saved[0]['id']}")
        wait_until(page, "#status", lambda t: t.startswith("north test"))
        assert page.locator("path.eng").count() > 0
        page.close()
    finally:
        server.stop()


def test_balance_button_shows_the_table(browser, tmp_path):
    server = Server(tmp_path / "db.sqlite3")
    try:
        page, _ = open_page(browser, server)
        page.select_option("#scenario", "epaa-phase4-northern-seas")
        wait_until(page, "#status", lambda t: t.startswith("Phase 4 + IIB ships"))
        page.click("#balance")
        text = wait_until(page, "#jobresult", lambda t: "retaliation after a first strike" in t, timeout=180)
        assert "warheads_attrited_expected" in text and "full launch" in text
        assert page.inner_text("#jobstatus").startswith("done")
        page.close()
    finally:
        server.stop()
