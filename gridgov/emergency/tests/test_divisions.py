import pytest
from django.utils import translation

from gridgov.emergency import divisions
from gridgov.emergency.divisions import UnknownDivision, covers, lookup, parents, search


def test_a_district_has_its_full_name():
    jianghan = lookup("420103")
    assert (jianghan.code, jianghan.name, jianghan.level) == ("420103", "江汉区", "county")
    assert jianghan.full_name == "湖北省武汉市江汉区"
    assert str(jianghan) == "湖北省武汉市江汉区"


def test_a_district_of_a_municipality_skips_the_placeholder_prefecture():
    dongcheng = lookup("110101")
    assert dongcheng.name == "东城区"
    assert dongcheng.full_name == "北京市东城区"
    assert parents("110101") == (lookup("110000"), None)


def test_a_county_level_city_run_by_the_province_has_no_prefecture():
    assert lookup("429004").full_name == "湖北省仙桃市"
    assert parents("429004") == (lookup("420000"), None)


@pytest.mark.parametrize("code", ["4201", "420100", "420100000", "420100000000"])
def test_a_prefecture_by_any_of_its_forms(code):
    wuhan = lookup(code)
    assert (wuhan.code, wuhan.name, wuhan.full_name, wuhan.level) == (
        "420100",
        "武汉市",
        "湖北省武汉市",
        "prefecture",
    )


@pytest.mark.parametrize("code", ["42", "420000", " 420000 "])
def test_a_province_by_any_of_its_forms(code):
    hubei = lookup(code)
    assert (hubei.code, hubei.name, hubei.full_name, hubei.level) == (
        "420000",
        "湖北省",
        "湖北省",
        "province",
    )


def test_the_list_is_recent_and_complete():
    assert divisions.data_year() >= 2024
    table = divisions._table()[1].values()
    counts = {
        level: sum(1 for d in table if d.level == level)
        for level in ("province", "prefecture", "county")
    }
    assert counts["province"] == 34
    assert counts["prefecture"] > 330
    assert counts["county"] > 2800
    # Set up in late 2024 in Hotan; an older list would lack it.
    assert lookup("653228").full_name == "新疆维吾尔自治区和田地区和康县"


def test_parents_of_a_district_and_of_higher_levels():
    assert parents("420103") == (lookup("420000"), lookup("420100"))
    assert parents("420100") == (lookup("420000"), None)
    assert parents("420000") == (None, None)


def test_a_town_or_village_code_keeps_its_digits_and_names_its_county():
    town = lookup("420103001")
    assert (town.code, town.full_name, town.level) == ("420103001", "湖北省武汉市江汉区", "town")
    village = lookup("420103001002")
    assert (village.code, village.level) == ("420103001002", "village")
    assert parents("420103001") == (lookup("420000"), lookup("420100"))


def test_a_county_in_town_form_is_the_county():
    assert lookup("420103000").code == "420103"
    assert lookup("420103000000").code == "420103"


@pytest.mark.parametrize(
    "code",
    [
        "999999",  # no such province
        "420199",  # no such district in Wuhan
        "429900",  # no such prefecture
        "990100",  # the demo city is a region, not a division
        "999999001",  # a town under an unknown county
        "420103000002",  # a village under no town
        "420003",  # a county under no prefecture digits
        "000000",
        "4",
        "42010",
        "4201030",
        "4201030010021",
        "42010A",
        "４２０１０３",  # full-width digits
        "",
    ],
)
def test_unknown_and_malformed_codes_are_refused(code):
    with translation.override("en"), pytest.raises(UnknownDivision) as raised:
        lookup(code)
    assert str(raised.value) == f"No national division has the code {code.strip()}."


def test_an_unknown_code_is_a_value_error():
    with pytest.raises(ValueError):
        parents("999999")


def test_search_by_name_fragment_puts_the_closest_names_first():
    assert search("江汉")[0].code == "420103"
    assert search("武汉")[0].code == "420100"
    wuhan = search("武汉市", limit=50)
    assert wuhan[0].code == "420100"
    assert {d.code for d in wuhan} >= {"420102", "420103"}
    assert search("湖北省")[0].code == "420000"
    # 鼓楼区 is in four cities; all of them come up.
    assert len([d for d in search("鼓楼区") if d.name == "鼓楼区"]) == 4


def test_search_by_code_prefix():
    found = search("4201")
    assert found[0].code == "420100"
    assert [d.code for d in found[1:3]] == ["420102", "420103"]
    assert all(d.code.startswith("4201") for d in found)
    assert [d.code for d in search("420103")] == ["420103"]
    assert [d.code for d in search("420103001")] == ["420103001"]


def test_search_honours_the_limit_and_ignores_nothing():
    assert len(search("42", limit=5)) == 5
    assert search("") == []
    assert search("   ") == []
    assert search("火星") == []
    assert search("99") == []
    assert search("江汉", limit=0) == []


@pytest.mark.parametrize(
    "area, place",
    [
        ("420000", "420103"),
        ("42", "420103"),
        ("420100", "420103"),
        ("420103", "420103"),
        ("420103", "420103001"),
        ("420103001", "420103001002"),
        ("420100000000", "420103001000"),
        # Codes of the demo city, which no division list knows.
        ("990000", "990101001001"),
        ("990100000000", "990101001001"),
        ("990101001001", "990101001001002003"),
    ],
)
def test_an_area_covers_the_places_under_it(area, place):
    assert covers(area, place)


@pytest.mark.parametrize(
    "area, place",
    [
        ("420103", "420102"),
        ("420100", "420200"),
        ("420103", "420100"),  # a district does not cover its city
        ("420103001", "420103002"),
        ("420000", "110101"),
        ("420103001002", "420103001"),
    ],
)
def test_an_area_does_not_cover_places_elsewhere_or_above(area, place):
    assert not covers(area, place)


@pytest.mark.parametrize(
    "area, place",
    [("42010", "420103"), ("420103", "42A103"), ("000000", "420103"), ("", "420103")],
)
def test_covers_refuses_malformed_codes(area, place):
    with pytest.raises(ValueError):
        covers(area, place)
