import threading
import time
from datetime import timedelta

import numpy as np
import pytest
import shapely
from django.utils import timezone
from shapely.geometry import box, mapping, shape

from gridgov.lib.datum import wgs84_to_gcj02
from gridgov.regions import codes, locate
from gridgov.regions.locate import LocateIndex, OutsideServiceArea
from gridgov.regions.models import Region

CITY = (121.0, 31.0, 121.5, 31.5)
COMMUNITY_A = (121.0, 31.0, 121.05, 31.1)  # grids only in its southern half
COMMUNITY_B = (121.05, 31.0, 121.1, 31.1)  # no grids at all
GRID_1 = (121.0, 31.0, 121.025, 31.05)
GRID_2 = (121.025, 31.0, 121.05, 31.05)  # shares the edge lng = 121.025 with GRID_1


def make(code, level, parent, bounds, datum="wgs84"):
    codes.validate_code(code, level)
    region = Region(code=code, name=f"{level} {code}", level=level, parent=parent)
    region.set_boundary(mapping(box(*bounds)), datum=datum)
    region.full_clean()
    region.save()
    return region


@pytest.fixture(autouse=True)
def fresh_index():
    # Test transactions roll back without signals: no index may outlive its test.
    locate.invalidate()
    yield
    locate.invalidate()


@pytest.fixture
def tree(db):
    city = make("990100000000", "city", None, CITY)
    district = make("990101000000", "district", city, CITY)
    street = make("990101001000", "street", district, CITY)
    community_a = make("990101001001", "community", street, COMMUNITY_A)
    community_b = make("990101001002", "community", street, COMMUNITY_B)
    # The higher code first, so "smallest code" cannot pass by being "created first".
    grid_2 = make("990101001001002", "grid", community_a, GRID_2)
    grid_1 = make("990101001001001", "grid", community_a, GRID_1)
    return {
        "city": city,
        "street": street,
        "community_a": community_a,
        "community_b": community_b,
        "grid_1": grid_1,
        "grid_2": grid_2,
    }


def test_it_finds_the_grid_holding_the_point(tree):
    result = locate.locate(121.01, 31.02)
    assert result.region == tree["grid_1"]
    assert result.fallback is False
    assert result.conversion is None
    assert result.point == (121.01, 31.02)


def test_a_point_on_a_shared_edge_goes_to_the_smallest_code_every_time(tree):
    on_edge = shapely.Point(121.025, 31.02)
    assert box(*GRID_1).covers(on_edge) and box(*GRID_2).covers(on_edge)
    answers = {locate.locate(121.025, 31.02).region.code for _ in range(5)}
    assert answers == {"990101001001001"}
    assert locate.locate_many([121.025] * 3, [31.02] * 3).tolist() == [tree["grid_1"].id] * 3


def test_a_point_in_no_grid_falls_back_to_its_community(tree):
    result = locate.locate(121.07, 31.05)
    assert result.region == tree["community_b"]
    assert result.fallback is True
    assert locate.locate(121.03, 31.08).region == tree["community_a"]
    assert locate.locate(121.3, 31.3).region == tree["street"]


def test_a_point_outside_the_city_is_outside_the_service_area(tree):
    with pytest.raises(OutsideServiceArea, match="不在服务范围内"):
        locate.locate(122.0, 32.0)
    assert issubclass(OutsideServiceArea, ValueError)
    assert locate.locate_many([122.0, 121.01], [32.0, 31.02]).tolist() == [-1, tree["grid_1"].id]


def test_buildings_never_answer(tree):
    make("990101001001001001", "building", tree["grid_1"], (121.005, 31.005, 121.01, 31.01))
    assert locate.locate(121.007, 31.007).region == tree["grid_1"]


@pytest.mark.parametrize(
    ("lng", "lat", "message"),
    [
        (float("nan"), 31.0, "Longitude"),
        (181.0, 31.0, "Longitude"),
        ("east", 31.0, "Longitude"),
        (None, 31.0, "Longitude"),
        (121.0, -90.5, "Latitude"),
        (121.0, float("inf"), "Latitude"),
    ],
)
def test_it_refuses_a_malformed_point(tree, lng, lat, message):
    with pytest.raises(ValueError, match=message):
        locate.locate(lng, lat)


def test_it_refuses_malformed_bulk_input_and_unknown_datums(tree):
    with pytest.raises(ValueError, match="Point 1"):
        locate.locate_many([121.0, 121.0], [31.0, float("nan")])
    with pytest.raises(ValueError, match="equal length"):
        locate.locate_many([121.0, 121.0], [31.0])
    with pytest.raises(ValueError, match="Unknown datum"):
        locate.locate(121.01, 31.02, datum="bd09")
    assert locate.locate_many([], []).dtype == np.int64


def test_a_gps_point_is_converted_before_testing_a_gcj02_boundary(tree):
    gps = (121.3, 31.3)
    gcj = wgs84_to_gcj02(*gps)
    community = make(
        "990101001003",
        "community",
        tree["street"],
        (gcj[0] - 0.02, gcj[1] - 0.02, gcj[0] + 0.02, gcj[1] + 0.02),
        datum="gcj02",
    )
    grid = make(
        "990101001003001",
        "grid",
        community,
        (gcj[0] - 0.001, gcj[1] - 0.001, gcj[0] + 0.001, gcj[1] + 0.001),
        datum="gcj02",
    )
    assert not shape(grid.boundary).covers(shapely.Point(gps)), "else the test proves nothing"

    result = locate.locate(*gps, datum="wgs84")
    assert result.region == grid
    assert result.conversion == ("wgs84", "gcj02")
    assert result.point == pytest.approx(gcj)
    # The same numbers read as GCJ-02 are a point a few hundred metres away.
    assert locate.locate(*gps, datum="gcj02").region == community
    assert locate.locate_many([gps[0]], [gps[1]]).tolist() == [grid.id]


def test_the_index_follows_a_saved_boundary(tree):
    assert locate.locate(121.02, 31.02).region == tree["grid_1"]
    grid_1 = tree["grid_1"]
    grid_1.set_boundary(mapping(box(121.0, 31.0, 121.01, 31.05)))
    grid_1.save()
    assert locate.locate(121.02, 31.02).region == tree["community_a"]
    tree["grid_2"].delete()
    assert locate.locate(121.03, 31.02).region == tree["community_a"]


def test_the_index_notices_boundaries_changed_by_another_process(tree, settings):
    settings.GRIDGOV_LOCATE_RECHECK_SECONDS = 3600
    assert locate.locate(121.07, 31.05).region == tree["community_b"]
    # A raw UPDATE sends no signal, as with an edit made in another process.
    Region.objects.filter(pk=tree["grid_2"].pk).update(
        boundary=mapping(box(*COMMUNITY_B)),
        boundary_updated_at=timezone.now() + timedelta(seconds=1),
    )
    assert locate.locate(121.07, 31.05).region == tree["community_b"], "trusted for an hour"
    settings.GRIDGOV_LOCATE_RECHECK_SECONDS = 0
    assert locate.locate(121.07, 31.05).region == tree["grid_2"]


def test_a_broken_boundary_is_skipped_not_fatal(tree, caplog):
    # set_boundary() refuses these; a raw UPDATE does not.
    Region.objects.filter(pk=tree["grid_1"].pk).update(
        boundary={"type": "Point", "coordinates": [121.01, 31.02]}
    )
    assert locate.locate(121.01, 31.02).region == tree["community_a"]
    assert "990101001001001" in caplog.text


def test_locate_many_agrees_with_locate(tree):
    rng = np.random.default_rng(7)
    lngs = np.concatenate([rng.uniform(120.95, 121.15, 300), [121.025, 121.05, 121.0]])
    lats = np.concatenate([rng.uniform(30.95, 31.15, 300), [31.05, 31.05, 31.0]])
    found = locate.locate_many(lngs, lats)
    for lng, lat, region_id in zip(lngs, lats, found, strict=True):
        try:
            expected = locate.locate(lng, lat).region.id
        except OutsideServiceArea:
            expected = -1
        assert region_id == expected, (lng, lat)
    assert {-1, tree["grid_1"].id, tree["community_b"].id} <= set(found.tolist())


def test_an_index_from_geometries_needs_no_database():
    # Overlapping squares, ids in the opposite order of codes.
    index = LocateIndex.from_geometries(
        ids=[3, 2, 1],
        codes=["990101001001002", "990101001001001", "990100000000"],
        levels=["grid", "grid", "city"],
        geometries=[box(0.5, 0, 1.5, 1), box(0, 0, 1, 1), box(-1, -1, 3, 3)],
        datum="wgs84",
    )
    found = index.locate_many([0.7, 1.2, 2.5, 5.0], [0.5, 0.5, 0.5, 5.0], datum="wgs84")
    assert found.tolist() == [2, 3, 1, -1]
    assert index.estimated_bytes() > 0


def test_concurrent_callers_share_one_build(monkeypatch):
    builds = []

    def slow_build(marker=None):
        builds.append(marker)
        time.sleep(0.05)
        return LocateIndex.from_geometries([], [], [], [], datum="wgs84")

    monkeypatch.setattr(locate, "_database_marker", lambda: (0, None))
    monkeypatch.setattr(LocateIndex, "from_queryset", staticmethod(slow_build))
    threads = [threading.Thread(target=locate.get_index) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [(0, None)]
