"""GET /api/v1/registry/counts?region=CODE: the figures of gridgov.registry.figures for a
region subtree in scope, right, and in a fixed number of queries."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.api.tests.base import api_url
from gridgov.api.tests.registry_base import RegistryApiTestCase
from gridgov.registry import services
from gridgov.registry.figures import registry_figures, years_before
from gridgov.registry.models import Dwelling, Organisation, Room


class RegistryCountsTests(RegistryApiTestCase):
    def setUp(self):
        super().setUp()
        self.today = timezone.localdate()
        self.serial = 0
        self.aged(85, tags=[self.elderly_alone])  # 80+
        self.aged(80)  # 80 today: 80+
        self.aged(70, residence_type="resident")  # 60-79
        self.aged(18, tags=[self.special_attention], residence_type="floating")  # 18 today
        self.aged(17, room=self.second_room, late=True)  # 18 tomorrow: 0-17
        self.add_person(
            room=self.second_room,
            serial=90,
            document_type="passport",
            document_number="E0000090",
            residence_type="foreign",
        )  # unknown age
        gone = self.aged(40, room=Room.objects.create(building=self.building, number="502"))
        services.move_out(self.admin, gone.household, self.today, via="test")
        self.aged(40, room=self.neighbour_room)  # the neighbouring community
        Dwelling.objects.create(room=self.room, use="owner_occupied")
        Dwelling.objects.create(
            room=self.second_room, use="rented", tenant_household=self.second_room.households.get()
        )
        Dwelling.objects.create(room=self.neighbour_room, use="vacant")
        Organisation.objects.create(name="便利店", kind="shop", building=self.building)
        Organisation.objects.create(name="诊所", kind="clinic", building=self.building)
        Organisation.objects.create(
            name="旧校", kind="school", building=self.building, is_active=False
        )
        Organisation.objects.create(name="邻店", kind="shop", building=self.neighbour_building)

    def aged(self, years, room=None, late=False, tags=(), **fields):
        """A person `years` old today (turning `years + 1` tomorrow when late)."""
        self.serial += 1
        born = years_before(self.today, years + (1 if late else 0)) + timedelta(days=int(late))
        person = self.add_person(
            room=room,
            serial=self.serial,
            document_type="passport",
            document_number=f"E{self.serial:07d}",
            birth_date=born,
            **fields,
        )
        person.tags.add(*tags)
        return person

    def counts(self, user, code):
        response = self.get(api_url("registry-counts", region=code), user)
        self.assertEqual(response.status_code, 200, response.content[:300])
        return response.json()

    def test_a_community_is_counted_right(self):
        body = self.counts(self.community_staff, self.community.code)
        self.assertEqual(body["region"], {"code": self.community.code, "name": "滨江社区"})
        self.assertEqual((body["population"], body["households"]), (6, 2))
        self.assertEqual(
            body["by_residence_type"],
            {"registered": 3, "resident": 1, "floating": 1, "foreign": 1},
        )
        self.assertEqual(body["by_age_band"], {"0-17": 1, "18-59": 1, "60-79": 1, "80+": 2})
        self.assertEqual(body["unknown_age"], 1)
        self.assertEqual(
            body["by_tag"],
            [
                {"code": "elderly-alone", "name": "独居老人", "sensitive": False, "count": 1},
                {"code": "special-attention", "name": "重点人员", "sensitive": True, "count": 1},
            ],
        )
        self.assertEqual(body["dwellings_by_use"]["owner_occupied"], 1)
        self.assertEqual(body["dwellings_by_use"]["rented"], 1)
        self.assertEqual(body["dwellings_by_use"]["vacant"], 0)
        self.assertEqual(body["organisations"], 2)
        self.assertEqual(
            {k: v for k, v in body["organisations_by_kind"].items() if v}, {"shop": 1, "clinic": 1}
        )

    def test_a_street_counts_both_communities_and_a_grid_worker_their_grids(self):
        body = self.counts(self.street_staff, self.street.code)
        self.assertEqual((body["population"], body["households"], body["organisations"]), (7, 3, 3))
        self.assertEqual(body["dwellings_by_use"]["vacant"], 1)
        # The grid worker may name their community; they are counted only their grids.
        body = self.counts(self.grid_worker, self.community.code)
        self.assertEqual(body["population"], 6)
        body = self.counts(self.grid_worker, self.grid.code)
        self.assertEqual(body["population"], 6)

    def test_outside_scope_or_unknown_is_404_and_bad_input_400(self):
        for user, code in (
            (self.community_staff, self.street.code),
            (self.community_staff, self.neighbour_grid.code),
            (self.grid_worker, self.neighbour_grid.code),
            (self.outsider, self.community.code),
            (self.resident, self.community.code),
            (self.handler, self.community.code),
            (self.admin, "990199999999"),
        ):
            with self.subTest(user=user.username, code=code):
                self.assertJsonError(self.get(api_url("registry-counts", region=code), user), 404)
        self.assertJsonError(self.get(api_url("registry-counts", region=self.grid.code)), 401)
        for query in ({}, {"region": "x" * 40}, {"region": "99\x00"}):
            with self.subTest(query=query):
                response = self.get(api_url("registry-counts", **query), self.admin)
                self.assertIn("region", self.assertJsonError(response, 400)["errors"])
        response = self.post(api_url("registry-counts"), {}, self.admin)
        self.assertJsonError(response, 405)

    def test_the_figures_take_a_fixed_number_of_queries_whatever_the_size(self):
        # A community: its kept counts, the age bands' boundary stretches, the tags' names.
        with self.assertNumQueries(3):
            registry_figures([self.community.path])
        # A grid: a recount of its six kinds of figure instead of the kept counts.
        with self.assertNumQueries(8):
            registry_figures([self.grid.path])
        self.request_queries()  # the token's first use is written down once
        before = self.request_queries()
        for number in range(10):
            room = Room.objects.create(building=self.building, unit="3", number=f"{number + 1}01")
            self.aged(30 + number, room=room, tags=[self.elderly_alone])
            Dwelling.objects.create(room=room, use="rented")
            Organisation.objects.create(name=f"店{number}", kind="shop", building=self.building)
        after = self.request_queries()
        self.assertEqual(before, after)
        # Authentication (token, user), the region, and the figures' three.
        self.assertLessEqual(after, 6)
        self.assertEqual(self.counts(self.admin, self.community.code)["population"], 16)

    def request_queries(self) -> int:
        with CaptureQueriesContext(connection) as queries:
            self.counts(self.community_staff, self.community.code)
        return len(queries)
