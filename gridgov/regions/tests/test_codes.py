import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from gridgov.regions import codes
from gridgov.regions.codes import RegionCodeError
from gridgov.regions.models import Region


def test_paths_keep_each_levels_own_digits():
    assert codes.path_for("440303001002", "community") == "4403/03/001/002/"
    assert codes.path_for("440303001002007", "grid") == "4403/03/001/002/007/"
    assert codes.path_for("440300000000", "city") == "4403/"


def test_child_codes_follow_the_national_layout():
    assert codes.child_code("440303000000", "district", "street", 1) == "440303001000"
    assert codes.child_code("440303001002", "community", "grid", 7) == "440303001002007"
    assert codes.child_code("440303001002007", "grid", "building", 12) == "440303001002007012"


def test_a_skipped_level_keeps_zero_digits():
    # Streets imported straight under a city: the district digits stay 00.
    code = codes.child_code("440300000000", "city", "street", 3)
    assert code == "440300003000"
    assert codes.path_for(code, "street").startswith(codes.path_for("440300000000", "city"))


@pytest.mark.parametrize(
    "code, level",
    [
        ("44030300100", "community"),  # too short
        ("44030300100A", "community"),  # not digits
        ("440303001002", "street"),  # community digits on a street
        ("440303000000", "street"),  # the street part is all zeros
    ],
)
def test_bad_codes_are_refused_with_a_reason(code, level):
    with pytest.raises(RegionCodeError):
        codes.validate_code(code, level)


def test_sequence_must_fit_the_level():
    with pytest.raises(RegionCodeError):
        codes.child_code("440303001002", "community", "grid", 1000)


@override_settings(
    GRIDGOV_REGION_CODE_SEGMENTS="city:4,district:2,street:3,community:3,grid:4,building:3"
)
def test_a_locality_can_use_longer_grid_codes():
    assert codes.child_code("440303001002", "community", "grid", 7) == "4403030010020007"


@pytest.mark.django_db
def test_model_clean_refuses_a_code_not_under_its_parent():
    city = Region.objects.create(code="990100000000", name="江州市", level="city")
    district = Region(code="880101000000", name="错区", level="district", parent=city)
    with pytest.raises(ValidationError) as raised:
        district.full_clean()
    assert "code" in raised.value.message_dict


@pytest.mark.django_db
def test_model_clean_refuses_invalid_boundaries():
    city = Region(code="990100000000", name="江州市", level="city")
    city.boundary = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
    }
    with pytest.raises(ValidationError) as raised:
        city.full_clean()
    assert "boundary" in raised.value.message_dict
