from gridgov.accounts.tests.base import CastTestCase, make_region, square
from gridgov.regions.gazetteer import match_address


class AddressMatchingTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.building = make_region(
            "990101001001002003",
            "3号楼",
            "building",
            cls.second_grid,
            square(120.111, 30.201, 0.001),
        )

    def test_a_building_in_a_named_community_places_the_address_on_its_grid(self):
        self.assertEqual(match_address("滨江社区3号楼2单元"), self.second_grid)

    def test_a_community_without_a_building_is_the_answer(self):
        self.assertEqual(match_address("望江街道滨江社区门口"), self.community)

    def test_the_short_form_of_a_name_is_enough(self):
        self.assertEqual(match_address("临河小区南门"), self.neighbour_community)
        self.assertEqual(match_address("望江那边的菜场"), self.street)

    def test_nothing_matches_nonsense(self):
        self.assertIsNone(match_address("火星基地"))
        self.assertIsNone(match_address(""))

    def test_a_building_name_alone_is_not_enough(self):
        self.assertIsNone(match_address("3号楼"))
