"""Static maps: files in every format, land actually drawn, far side hidden, no antimeridian streaks."""

import xml.etree.ElementTree as ET

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.text import Text

from openbmd.report import maps

EUROPE = (-25.0, 45.0, 34.0, 72.0)


def land_share(png_path) -> float:
    """Share of the image's pixels painted in the land colour."""
    img = mpimg.imread(png_path)[..., :3]
    return float(np.mean(np.all(np.abs(img - np.array(to_rgb(maps.LAND_COLOR))) < 0.02, axis=-1)))


def decorate(ax, proj):
    """One of each overlay, including a line and a polygon across the antimeridian."""
    maps.plot_lines(ax, proj, [np.column_stack((np.linspace(150.0, 210.0, 40), np.linspace(40.0, 70.0, 40))),
                               (np.array([21.0, 30.0, 37.6]), np.array([52.2, 54.0, 55.8]))],
                    colors=["k", "tab:blue"], labels=["across", "Warsaw-Moscow"])
    maps.plot_points(ax, proj, [21.0, 37.6, 175.0], [52.2, 55.8, 65.0], labels=["Warsaw", "Moscow", "Anadyr"], c="k")
    az = np.linspace(0.0, 2.0 * np.pi, 73)
    maps.plot_polygons(ax, proj, [np.column_stack((178.0 + 20.0 * np.cos(az), 64.0 + 8.0 * np.sin(az))),
                                  np.column_stack((21.0 + 4.0 * np.cos(az), 52.0 + 2.5 * np.sin(az)))],
                       facecolor="tab:red", label="coverage")
    lat = np.arange(45.5, 56.0, 1.0)
    lon = np.arange(10.5, 30.0, 1.0)
    values = np.add.outer(lat, lon)
    values[::3] = np.nan
    mesh = maps.plot_grid(ax, proj, lat, lon, values, cmap="viridis", alpha=0.5)
    # the mesh carries the values cell for cell; NaN cells (and hidden ones) stay transparent
    arr = mesh.get_array()
    shown = ~np.ma.getmaskarray(arr).reshape(values.shape)
    assert not (shown & np.isnan(values)).any()
    np.testing.assert_array_equal(np.ma.getdata(arr).reshape(values.shape)[shown], values[shown])
    if not proj.azimuthal:  # flat maps hide nothing: every finite cell is drawn
        np.testing.assert_array_equal(shown, np.isfinite(values))
    ax.legend(loc="lower left", fontsize=6)


@pytest.mark.parametrize("projection", ["lambert", "plate-carree"])
def test_europe_map_in_every_format(tmp_path, projection):
    written = []
    for suffix in (".png", ".svg", ".pdf"):
        fig, ax, proj = maps.map_axes(EUROPE, projection)
        decorate(ax, proj)
        written.append(maps.save(fig, tmp_path / f"europe{suffix}"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["europe.pdf", "europe.png", "europe.svg"]
    for p in written:
        assert p.stat().st_size > 1000
    share = land_share(tmp_path / "europe.png")
    assert 0.10 < share < 0.90, share
    assert ET.parse(tmp_path / "europe.svg").getroot().tag.endswith("svg")
    assert (tmp_path / "europe.pdf").read_bytes().startswith(b"%PDF")


def test_orthographic_map(tmp_path):
    for suffix in (".png", ".svg", ".pdf"):
        fig, ax, proj = maps.map_axes(None, "orthographic", center_deg=(20.0, 50.0))
        decorate(ax, proj)
        maps.save(fig, tmp_path / f"globe{suffix}")
    share = land_share(tmp_path / "globe.png")
    assert 0.10 < share < 0.70, share
    ET.parse(tmp_path / "globe.svg")
    # the far side is hidden: the antipode of the centre does not project
    x, y = proj(np.array([20.0, -160.0]), np.array([50.0, -50.0]))
    assert np.isfinite(x[0]) and np.isnan(x[1]) and np.isnan(y[1])
    assert abs(x[0]) < 1.0 and abs(y[0]) < 1.0  # the centre projects to the origin


def test_globe_views_of_the_south_and_the_pacific_are_filled_sensibly(tmp_path):
    # Antarctica circles the pole: seen from above the pole it must fill, not invert
    fig, _, _ = maps.map_axes(None, "orthographic", center_deg=(0.0, -90.0))
    maps.save(fig, tmp_path / "south.png")
    assert 0.05 < land_share(tmp_path / "south.png") < 0.3  # inverted, it would be ~0.6
    # a map across the antimeridian, both flat and azimuthal
    for projection in ("plate-carree", "lambert"):
        fig, ax, proj = maps.map_axes((150.0, -150.0, 40.0, 75.0), projection)
        decorate(ax, proj)
        maps.save(fig, tmp_path / f"bering-{projection}.png")
        # ~30 % land, partly under the translucent overlays; inverted fills would give > 60 %
        assert 0.08 < land_share(tmp_path / f"bering-{projection}.png") < 0.6


def test_whole_world_maps(tmp_path):
    for projection in maps.PROJECTIONS:
        fig, _, _ = maps.map_axes(None, projection)
        maps.save(fig, tmp_path / f"world-{projection}.png")
        assert 0.05 < land_share(tmp_path / f"world-{projection}.png") < 0.6
    # a world map centred on the Pacific: x runs from -30 to 330 deg
    fig, ax, _ = maps.map_axes(None, "plate-carree", center_deg=(150.0, 0.0))
    assert ax.get_xlim() == (-30.0, 330.0)
    maps.save(fig, tmp_path / "world-pacific.png")
    assert abs(land_share(tmp_path / "world-pacific.png") - land_share(tmp_path / "world-plate-carree.png")) < 0.02


def test_lines_break_at_the_antimeridian_on_flat_maps():
    _, ax, proj = maps.map_axes(None, "plate-carree")
    lon = np.linspace(150.0, 210.0, 61)
    lat = np.linspace(40.0, 70.0, 61)
    x, _ = proj.line_xy(lon, lat)
    step = np.abs(np.diff(x))
    assert np.nanmax(step) < 5.0  # no segment spans the map
    assert np.isnan(x).sum() == 1  # broken once, at the seam
    assert 180.0 in x and -180.0 in x  # both ends meet the map edge
    lines = maps.plot_lines(ax, proj, [np.column_stack((lon, lat))], colors="k")
    (line,) = lines
    xd = np.asarray(line.get_xdata(), float)
    assert np.nanmax(np.abs(np.diff(xd))) < 5.0
    # the same line on a map centred on the Pacific is not broken at all
    _, _, proj_pacific = maps.map_axes((120.0, -120.0, 20.0, 80.0), "plate-carree")
    x, _ = proj_pacific.line_xy(lon, lat)
    assert not np.isnan(x).any() and np.all(np.diff(x) > 0)


def test_save_rejects_unknown_formats(tmp_path):
    fig, _, _ = maps.map_axes(EUROPE, "lambert", land=False, borders=False)
    with pytest.raises(ValueError, match="format"):
        maps.save(fig, tmp_path / "map.jpg")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="projection"):
        maps.map_axes(EUROPE, "mercator")


def test_map_axes_draws_into_given_axes(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4))
    ax1, ax2 = fig.subplots(1, 2)
    _, a1, _ = maps.map_axes(EUROPE, "lambert", ax=ax1)
    _, a2, _ = maps.map_axes(None, "orthographic", ax=ax2, center_deg=(100.0, 40.0))
    assert a1 is ax1 and a2 is ax2
    maps.save(fig, tmp_path / "two.png")
    assert (tmp_path / "two.png").stat().st_size > 1000


def test_png_is_stored_with_a_palette_and_keeps_the_land_colour(tmp_path):
    """Report PNGs are 256-colour palettes (about 3x smaller); the land colour survives."""
    from PIL import Image

    fig, ax, proj = maps.map_axes(EUROPE, "lambert")
    decorate(ax, proj)
    small = maps.save(fig, tmp_path / "p.png")
    fig, ax, proj = maps.map_axes(EUROPE, "lambert")
    decorate(ax, proj)
    full = maps.save(fig, tmp_path / "f.png", palette=False)
    assert Image.open(small).mode == "P" and Image.open(full).mode in ("RGB", "RGBA")
    assert small.stat().st_size < 0.7 * full.stat().st_size
    assert abs(land_share(small) - land_share(full)) < 0.01


def _boxes(fig, texts):
    r = fig.canvas.get_renderer()
    return [t.get_window_extent(r) for t in texts]


def test_labels_of_nearby_points_do_not_overlap():
    """Two sites a few km apart (a ship in the North Sea drawn beside Redzikowo,
    two ships at one station) get labels that can both be read."""
    fig, ax, proj = maps.map_axes(EUROPE, "lambert")
    lon, lat = [16.9, 17.0, -5.3, -5.3, 24.4], [54.5, 54.6, 36.1, 36.1, 44.1]
    names = ["Aegis Ashore Redzikowo", "Aegis ship, North Sea", "Aegis ship, Western Mediterranean (Rota 1)",
             "Aegis ship, Western Mediterranean (Rota 2)", "Aegis Ashore Deveselu"]
    maps.plot_points(ax, proj, lon, lat, labels=names, c="g", marker="^", s=40)
    # a second call (another layer) avoids the labels already there
    maps.plot_points(ax, proj, [17.2], [54.4], labels=["Slupsk (target)"], c="k")
    # the two ships at one station share one label
    shown = names[:2] + ["Aegis ship, Western Mediterranean (Rota 1, Rota 2)", names[4], "Slupsk (target)"]
    texts = [t for t in ax.texts if t.get_text() in shown]
    assert sorted(t.get_text() for t in texts) == sorted(shown)
    boxes = _boxes(fig, texts)
    for i in range(len(boxes)):
        for j in range(i):
            assert not boxes[i].overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())


@pytest.mark.parametrize("projection,extent", [("lambert", EUROPE), ("plate-carree", EUROPE), ("orthographic", None)])
def test_graticule_is_labelled(projection, extent):
    fig, ax, proj = maps.map_axes(extent, projection)
    labels = [t.get_text() for t in ax.texts if "°" in t.get_text()]
    assert any(x.endswith("N") for x in labels) and any(x.endswith(("E", "W")) for x in labels), labels
    boxes = _boxes(fig, [t for t in ax.texts if "°" in t.get_text()])
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(len(boxes)) for j in range(i))
    # a place label keeps off the graticule's labels
    grat = list(ax.texts)
    x, y = proj(np.array([-20.0, 0.0]), np.array([50.0, 35.0]))
    maps.plot_points(ax, proj, [-20.0, 0.0], [50.0, 35.0], labels=["Atlantic station A", "Atlantic station B"])
    placed = [t for t in ax.texts if t.get_text().startswith("Atlantic")]
    assert all(not a.overlaps(b) for a in _boxes(fig, placed) for b in _boxes(fig, grat))
    fig, ax, proj = maps.map_axes(extent, projection, graticule_labels=False)
    assert not ax.texts


def _pair_overlaps(fig, texts):
    boxes = _boxes(fig, texts)
    return [(texts[i].get_text(), texts[j].get_text()) for i in range(len(boxes)) for j in range(i)
            if boxes[i].overlaps(boxes[j])]


def _two_sites(monkeypatch=None):
    """Redzikowo and a ship ~100 km west of it, labelled on a map of Europe."""
    fig, ax, proj = maps.map_axes(EUROPE, "lambert")
    names = ["Aegis Ashore Redzikowo", "Aegis ship, North Sea"]
    maps.plot_points(ax, proj, [16.9, 15.35], [54.5, 54.6], labels=names, c="g", marker="^", s=40)
    fig.canvas.draw()
    return fig, [t for t in ax.texts if t.get_text() in names]


def test_labels_of_sites_100_km_apart_do_not_overlap(monkeypatch):
    """Two sites ~100 km apart (a few pixels on the map) get labels whose rendered boxes
    do not overlap; with the placement switched off (every label in its first spot) they do,
    so this test can fail."""
    la1, lo1, la2, lo2 = np.radians([54.5, 16.9, 54.6, 15.35])
    d_km = 2 * 6371.0 * np.arcsin(np.sqrt(np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2))
    assert 90.0 < d_km < 110.0, d_km
    fig, texts = _two_sites()
    assert len(texts) == 2
    assert not _pair_overlaps(fig, texts)
    monkeypatch.setattr(maps, "_overlap", lambda a, b: 0.0)  # no obstacle seen: no placement
    fig, texts = _two_sites()
    assert _pair_overlaps(fig, texts), "the unplaced labels should collide (else this test proves nothing)"


@pytest.mark.parametrize("projection,extent,center", [("lambert", EUROPE, None), ("plate-carree", EUROPE, None),
                                                      ("orthographic", None, (-5.0, 62.0)),
                                                      ("lambert", (-12.0, 62.0, 24.0, 66.0), None)])
def test_scale_bar_shows_ground_distance_at_the_centre(projection, extent, center):
    """The bar, as drawn, is as long as that ground distance at the map's centre, and its
    caption names the latitude where it holds; labels keep off it."""
    fig, ax, proj = maps.map_axes(extent, projection, center_deg=center)
    km, length, box = ax._openbmd_scale_bar
    assert km in {m * 10.0 ** e for m in (1, 2, 5) for e in range(5)}
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    from matplotlib.patches import Rectangle

    def artists(a):
        return [a] + [c for ch in a.get_children() for c in artists(ch)]

    bars = [a for a in artists(box) if isinstance(a, Rectangle) and a is not box.patch]
    assert len(bars) == 2
    x0 = min(b.get_window_extent(r).x0 for b in bars)
    x1 = max(b.get_window_extent(r).x1 for b in bars)
    bar_px = x1 - x0 - 0.5 * fig.dpi / 72.0  # less the edge line's width
    # the same distance on the ground at the centre, east-west: along the parallel for
    # plate carree, else along the great circle through the centre
    lat0, lon0 = np.radians(proj.lat0_deg), np.radians(proj.lon0_deg)
    half = km / 2.0 / (maps.SPHERE_RADIUS_M / 1e3)
    if projection == "plate-carree":
        dlon = np.degrees(half / np.cos(lat0))
        lons, lats = proj.lon0_deg + np.array([-dlon, dlon]), np.full(2, proj.lat0_deg)
    else:  # destination at azimuth +-90 deg
        lats = np.degrees(np.arcsin(np.sin(lat0) * np.cos(half)) * np.ones(2))
        dl = np.arctan2(np.sin(half) * np.cos(lat0), np.cos(half) - np.sin(lat0) * np.sin(np.radians(lats[0])))
        lons = np.degrees(lon0 + np.array([-dl, dl]))
    x, y = proj(lons, lats)
    pts = ax.transData.transform(np.column_stack((x, y)))
    ground_px = float(np.hypot(*(pts[1] - pts[0])))
    assert bar_px == pytest.approx(ground_px, rel=0.01), (km, bar_px, ground_px)
    caption = [t.get_text() for t in artists(box) if isinstance(t, Text) and "true" in t.get_text()]
    lat_txt = f"{abs(round(proj.lat0_deg)):g}°{'N' if proj.lat0_deg > 0 else 'S'}"
    assert caption and lat_txt in caption[0], caption
    # a place label put where the bar is moves off it
    frame = box.get_window_extent(r)
    cx, cy = ax.transData.inverted().transform([(frame.x0 + frame.x1) / 2, (frame.y0 + frame.y1) / 2])
    ann = maps.place_labels(ax, [cx], [cy], ["A label under the scale bar"])[0]
    fig.canvas.draw()
    assert not Text.get_window_extent(ann, r).overlaps(box.get_window_extent(r))
    fig, ax, proj = maps.map_axes(extent, projection, center_deg=center, scale_bar=False)
    assert not hasattr(ax, "_openbmd_scale_bar")
