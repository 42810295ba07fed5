import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from gridgov.regions.models import Region

# The real boundaries live beside the repository, never inside the package.
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
GEO = DATA / "geo"
needs_real_data = pytest.mark.skipif(
    not GEO.is_dir(), reason=f"real boundary files not found in {DATA.resolve()}"
)
pytestmark = pytest.mark.django_db

CITY = "440300000000"
UNIT = 0.01  # degrees: about a kilometre near Shenzhen
ORIGIN = (114.0, 22.5)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def city():
    return Region.objects.create(code=CITY, name="深圳市", level="city")


def import_regions(path, **options) -> str:
    options = {"level": "street", "parent": CITY, "name_field": "NAME", **options}
    out = io.StringIO()
    call_command("import_regions", str(path), stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def polygon(*corners):
    """A ring through the given (x, y) corners, in UNITs from ORIGIN."""
    ring = [[ORIGIN[0] + x * UNIT, ORIGIN[1] + y * UNIT] for x, y in (*corners, corners[0])]
    return {"type": "Polygon", "coordinates": [ring]}


def box(x0, y0, x1, y1):
    return polygon((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def feature(name, geometry, **properties):
    return {"type": "Feature", "properties": {"NAME": name, **properties}, "geometry": geometry}


def write(tmp_path, *features) -> Path:
    path = tmp_path / "regions.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def frame(hole: float) -> list[dict]:
    """Four streets around an empty square of side `hole` in the middle of a unit square."""
    lo, hi = 0.5 - hole / 2, 0.5 + hole / 2
    return [
        feature("南", box(0, 0, 1, lo)),
        feature("北", box(0, hi, 1, 1)),
        feature("西", box(0, lo, lo, hi)),
        feature("东", box(hi, lo, 1, hi)),
    ]


@needs_real_data
def test_it_imports_the_74_shenzhen_streets_with_their_published_areas(city):
    path = GEO / "shenzhen_streets_74.geojson"
    output = import_regions(path)

    streets = Region.objects.filter(level="street", parent=city)
    assert streets.count() == 74
    assert "Created 74" in output and "38 warnings" in output
    published = {
        f["properties"]["NAME"]: f["properties"]["AREA"]
        for f in json.loads(path.read_text())["features"]
    }
    worst = max(abs(s.area_m2 / 1e6 - published[s.name]) / published[s.name] for s in streets)
    assert worst < 0.01
    codes = [s.code for s in streets]
    assert len(set(codes)) == 74
    assert all(s.path.startswith(city.path) and s.datum == "gcj02" for s in streets)


@needs_real_data
def test_reimporting_the_streets_updates_them_instead_of_duplicating(city):
    import_regions(GEO / "shenzhen_streets_74.geojson")
    codes = set(Region.objects.filter(level="street").values_list("code", flat=True))

    output = import_regions(GEO / "shenzhen_streets_74.geojson")

    assert "Created 0 and updated 74" in output
    assert set(Region.objects.filter(level="street").values_list("code", flat=True)) == codes


@needs_real_data
def test_it_imports_districts_with_their_adcodes_padded_to_12_digits(city):
    import_regions(
        GEO / "shenzhen_districts_datav_gcj02.geojson",
        level="district",
        code_field="adcode",
        name_field="name",
    )

    districts = dict(Region.objects.filter(level="district").values_list("code", "name"))
    assert len(districts) == 9
    assert districts["440303000000"] == "罗湖区"
    assert all(code.startswith("4403") and code.endswith("000000") for code in districts)


def test_it_refuses_an_invalid_geometry_and_names_the_feature(city, tmp_path):
    bow_tie = polygon((0, 0), (1, 1), (1, 0), (0, 1))
    path = write(tmp_path, feature("好", box(2, 0, 3, 1)), feature("蝴蝶结", bow_tie))

    with pytest.raises(CommandError, match=r"Feature 1 \(蝴蝶结\): Invalid geometry: Self-inter"):
        import_regions(path)
    assert Region.objects.count() == 1


def test_it_refuses_overlapping_siblings_and_creates_nothing(city, tmp_path):
    path = write(tmp_path, feature("甲", box(0, 0, 1, 1)), feature("乙", box(0.5, 0, 1.5, 1)))

    with pytest.raises(CommandError, match=r"Feature 1 \(乙\): overlaps feature 0 \(甲\) by"):
        import_regions(path)
    assert Region.objects.count() == 1


def test_it_refuses_an_overlap_with_an_existing_sibling(city, tmp_path):
    import_regions(write(tmp_path, feature("甲", box(0, 0, 1, 1))))

    with pytest.raises(CommandError, match=r"overlaps 甲 \(440300001000\)"):
        import_regions(write(tmp_path, feature("乙", box(0.5, 0, 1.5, 1))))
    assert Region.objects.filter(level="street").count() == 1


def test_it_refuses_a_gap_enclosed_by_siblings(city, tmp_path):
    with pytest.raises(CommandError, match="leaves a gap of .* m²"):
        import_regions(write(tmp_path, *frame(hole=0.2)))
    assert Region.objects.count() == 1


def test_a_gap_below_the_tolerance_is_only_a_warning(city, tmp_path):
    output = import_regions(write(tmp_path, *frame(hole=0.002)))

    assert "Warning: Feature 0 (南): leaves a gap of" in output
    assert "Created 4 and updated 0 regions; 1 warnings" in output


def test_the_tolerance_can_be_raised_to_accept_a_larger_gap(city, tmp_path):
    output = import_regions(write(tmp_path, *frame(hole=0.2)), tolerance=1e6)

    assert "Created 4" in output


def test_it_refuses_a_feature_without_a_name(city, tmp_path):
    nameless = {"type": "Feature", "properties": {"NAME": " "}, "geometry": box(0, 0, 1, 1)}

    with pytest.raises(CommandError, match=r"Feature 0 \(\?\): the name property NAME is missing"):
        import_regions(write(tmp_path, nameless))
    assert Region.objects.count() == 1


def test_it_refuses_an_unknown_parent(tmp_path):
    with pytest.raises(CommandError, match="No region has the code 440300000000"):
        import_regions(write(tmp_path, feature("甲", box(0, 0, 1, 1))))


def test_it_refuses_a_level_not_below_the_parent(city, tmp_path):
    with pytest.raises(CommandError, match="cannot sit under"):
        import_regions(write(tmp_path, feature("甲", box(0, 0, 1, 1))), level="city")


def test_a_dry_run_writes_nothing(city, tmp_path):
    output = import_regions(write(tmp_path, feature("甲", box(0, 0, 1, 1))), dry_run=True)

    assert "Dry run: would create 1" in output
    assert Region.objects.count() == 1


def test_generated_codes_run_west_to_east_then_north_to_south_after_existing_ones(city, tmp_path):
    Region.objects.create(code="440300007000", name="旧", level="street", parent=city)
    quarters = [("东南", 1, 0), ("西北", 0, 1), ("西南", 0, 0), ("东北", 1, 1)]
    path = write(tmp_path, *(feature(n, box(x, y, x + 1, y + 1)) for n, x, y in quarters))

    import_regions(path)

    codes = dict(Region.objects.filter(level="street").values_list("name", "code"))
    assert [codes[n] for n in ("西北", "东北", "西南", "东南")] == [
        "440300008000",
        "440300009000",
        "440300010000",
        "440300011000",
    ]


def test_given_codes_must_lie_under_the_parent_and_be_unique(city, tmp_path):
    path = write(
        tmp_path,
        feature("甲", box(0, 0, 1, 1), code="440303001"),
        feature("乙", box(1, 0, 2, 1), code="440303001"),
        feature("丙", box(2, 0, 3, 1), code="110101001"),
    )

    with pytest.raises(CommandError) as raised:
        import_regions(path, code_field="code")
    assert "duplicate code 440303001000" in str(raised.value)
    assert "110101001000 does not lie under 深圳市" in str(raised.value)


def test_the_parent_field_finds_the_parent_by_name_without_its_suffix(city, tmp_path):
    futian = Region.objects.create(
        code="440304000000", name="福田区", level="district", parent=city
    )
    path = write(
        tmp_path,
        feature("华富", box(0, 0, 1, 1), DISTRICT="福田"),
        feature("远方", box(1, 0, 2, 1), DISTRICT="大鹏新区"),
    )

    with pytest.raises(CommandError, match=r"Feature 1 \(远方\): no region named 大鹏新区"):
        import_regions(path, parent_field="DISTRICT")

    import_regions(
        write(tmp_path, feature("华富", box(0, 0, 1, 1), DISTRICT="福田")), parent_field="DISTRICT"
    )
    assert Region.objects.get(name="华富").parent == futian


def test_it_refuses_a_street_reaching_far_outside_its_parent(city, tmp_path):
    city.set_boundary(box(0, 0, 1, 1))
    city.save()

    with pytest.raises(CommandError, match=r"Feature 0 \(甲\): lies .* m² outside its parent"):
        import_regions(write(tmp_path, feature("甲", box(0.5, 0, 1.5, 1))))
