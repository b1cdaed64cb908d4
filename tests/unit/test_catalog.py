"""Catalog loading and lookup: aliases, case, near misses, malformed files."""

import pytest

from openbmd.catalog import CatalogError, default_catalog, load_catalog


@pytest.mark.parametrize("alias", ["SS-27", "Topol-M", "RS-12M2", "ss27", "topol m"])
def test_aliases_find_the_same_entry(alias):
    assert default_catalog().missile(alias).name == "RS-12M2 Topol-M"


@pytest.mark.parametrize("alias", ["Scud-B", "R-17", "scud b", "8K14"])
def test_scud_aliases(alias):
    assert default_catalog().missile(alias).name == "Scud-B"


def test_near_miss_suggestions():
    with pytest.raises(CatalogError, match=r"did you mean .*Sejjil-2"):
        default_catalog().missile("Sejil-2")
    with pytest.raises(CatalogError, match=r"did you mean .*Deveselu"):
        default_catalog().place("Deveslu")


def test_every_required_missile_is_there():
    cat = default_catalog()
    for name in ["RS-24 Yars", "SS-25", "SS-18", "SS-19", "Sarmat", "Bulava", "Minuteman III", "Trident II D5",
                 "Shahab-3", "Ghadr-1", "Sejjil-2", "Khorramshahr", "Hwasong-15", "Hwasong-17", "Scud-B",
                 "APS solid ICBM", "APS liquid ICBM"]:
        m = cat.missile(name)
        assert m.source and m.published_range


def test_places_by_kind():
    cat = default_catalog()
    for name in ["Deveselu", "Redzikowo", "Kurecik", "Rota", "RAF Fylingdales", "Thule", "Fort Greely",
                 "Vandenberg", "Washington", "London", "Teykovo"]:
        assert cat.place(name).source
    assert len(cat.places_of_kind("icbm_field")) >= 11


def _write(tmp_path, missiles, places="", curves=""):
    m, p, c = tmp_path / "m.toml", tmp_path / "p.toml", tmp_path / "c.toml"
    m.write_text(missiles)
    p.write_text(places)
    c.write_text(curves)
    return dict(missiles=m, places=p, curves=c)


GOOD = """
[[missile]]
name = "Test"
category = "SRBM"
source = "made up for a test"
diameter_m = 0.9
payload_mass_kg = 1000
rv_mass_kg = 1000
rv_ballistic_coefficient_kg_m2 = 5000
  [[missile.stage]]
  total_mass_kg = 5000
  propellant_mass_kg = 3800
  isp_s = 230
  burn_time_s = 70
"""


def test_a_good_file_loads(tmp_path):
    cat = load_catalog(**_write(tmp_path, GOOD))
    assert cat.missile("test").ideal_delta_v > 1000


@pytest.mark.parametrize(
    "change, match",
    [
        (("propellant_mass_kg = 3800", "propellant_mass_kg = 6000"), "stage 1.*propellant mass"),
        (("isp_s = 230", 'isp_s = "high"'), "stage 1.*'isp_s' must be a number"),
        (('source = "made up for a test"', ""), "missing field 'source'"),
        (('category = "SRBM"', 'category = "ABM"'), "field 'category' must be one of"),
        (("diameter_m = 0.9", "diameter_m = -1"), "'diameter_m' must be positive"),
    ],
)
def test_malformed_entries_name_file_entry_and_field(tmp_path, change, match):
    text = GOOD.replace(*change)
    with pytest.raises(CatalogError, match=match) as info:
        load_catalog(**_write(tmp_path, text))
    assert "m.toml: missile #1 (Test)" in str(info.value)


def test_duplicate_alias_is_an_error(tmp_path):
    text = GOOD + GOOD.replace('name = "Test"', 'name = "Other"\naliases = ["TEST"]')
    with pytest.raises(CatalogError, match="already used"):
        load_catalog(**_write(tmp_path, text))
