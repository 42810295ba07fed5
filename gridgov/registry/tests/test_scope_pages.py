"""The registry's pages join the role × scope matrix: each staff role sees a room, a person
and an organisation inside its scope and gets 404 outside it; a grid worker only in the
grids they patrol, even inside their community."""

from datetime import date
from itertools import count

from django.urls import reverse

from gridgov.accounts.tests.base import ScopeMatrixMixin, make_region
from gridgov.regions.choices import Level
from gridgov.registry.choices import OrganisationKind
from gridgov.registry.models import Organisation, Room
from gridgov.registry.tests.base import RegistryTestCase

_numbers = count(500)


class RegistryScopeMixin(ScopeMatrixMixin):
    def building_in(self, grid):
        return grid.children.filter(level=Level.BUILDING).first() or make_region(
            f"{grid.code}{next(_numbers):03d}", "新建楼", Level.BUILDING, grid
        )

    def room_in(self, grid):
        return Room.objects.create(building=self.building_in(grid), number=str(next(_numbers)))

    def scope_cases(self):
        # A department handler acts on the cases assigned to it, not for an area: it sees
        # no registry, inside the district or out (see test_department_handler_sees_none).
        return [case for case in super().scope_cases() if case[0] != self.handler]

    def test_department_handler_sees_none(self):
        self.login(self.handler)
        for grid in (self.grid, self.other_grid):
            with self.subTest(grid=grid.name):
                response = self.client.get(self.url_for(self.make_object(grid)))
                self.assertEqual(response.status_code, 404)

    def test_grid_worker_sees_only_the_grids_they_patrol(self):
        """Inside their community but in a grid that is not theirs: 404, as outside it."""
        self.grid_worker.grids.set([self.grid])
        self.login(self.grid_worker)
        self.assertEqual(
            self.client.get(self.url_for(self.make_object(self.grid))).status_code, 200
        )
        other = self.url_for(self.make_object(self.second_grid))
        self.assertEqual(self.client.get(other).status_code, 404)
        self.login(self.community_staff)
        self.assertEqual(self.client.get(other).status_code, 200)


class RoomPageScopeTests(RegistryScopeMixin, RegistryTestCase):
    def make_object(self, grid):
        return self.room_in(grid)

    def url_for(self, obj):
        return reverse("registry:room", args=[obj.pk])


class PersonPageScopeTests(RegistryScopeMixin, RegistryTestCase):
    def make_object(self, grid):
        serial = next(_numbers)
        return self.add_person(self.room_in(grid), name=f"李{serial}", serial=serial)

    def url_for(self, obj):
        return reverse("registry:person", args=[obj.pk])


class PersonEditPageScopeTests(PersonPageScopeTests):
    """The edit form is for the editors; within scope the others are refused (403), outside
    it nobody learns the person exists (404)."""

    def url_for(self, obj):
        return reverse("registry:person_edit", args=[obj.pk])

    def scope_cases(self):
        return [case for case in super().scope_cases() if case[0] not in self.readers]

    @property
    def readers(self):
        return {self.leader, self.dispatcher}

    def test_readers_are_refused_inside_and_find_nothing_outside(self):
        for user in self.readers:
            self.login(user)
            with self.subTest(role=user.role):
                inside = self.url_for(self.make_object(self.grid))
                outside = self.url_for(self.make_object(self.other_grid))
                self.assertEqual(self.client.get(inside).status_code, 403)
                self.assertEqual(self.client.get(outside).status_code, 404)


class OrganisationPageScopeTests(RegistryScopeMixin, RegistryTestCase):
    def make_object(self, grid):
        return Organisation.objects.create(
            name=f"便民超市{next(_numbers)}",
            kind=OrganisationKind.SHOP,
            building=self.building_in(grid),
        )

    def url_for(self, obj):
        return reverse("registry:organisation", args=[obj.pk])


class BuildingPageScopeTests(RegistryScopeMixin, RegistryTestCase):
    def make_object(self, grid):
        return self.building_in(grid)

    def url_for(self, obj):
        return reverse("registry:building", args=[obj.code])


class HouseholdActionScopeTests(RegistryTestCase):
    def test_moving_out_a_household_outside_the_scope_is_404_and_changes_nothing(self):
        person = self.add_person(self.neighbour_room)
        self.login(self.grid_worker)
        response = self.client.post(
            reverse("registry:move_out", args=[person.household_id]),
            {"moved_out_on": date.today().isoformat()},
        )
        self.assertEqual(response.status_code, 404)
        person.household.refresh_from_db()
        self.assertIsNone(person.household.moved_out_on)

    def test_revealing_a_person_outside_the_scope_is_404_and_not_audited(self):
        person = self.add_person(self.other_room)
        self.login(self.community_staff)
        response = self.client.post(
            reverse("registry:person_reveal", args=[person.pk]), {"purpose": "核实身份"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(person.views.exists())
