"""The audit of unmasked views: the administrator's, and each leader's for their area."""

from django.urls import reverse

from gridgov.accounts.tests.base import make_user
from gridgov.registry import services
from gridgov.registry.models import PersonalDataView
from gridgov.registry.tests.base import RegistryTestCase


class AuditPageTests(RegistryTestCase):
    def setUp(self):
        mine = self.add_person(serial=1, name="王秀英")
        elsewhere = self.add_person(room=self.other_room, serial=2, name="赵敏")
        services.reveal_person(self.community_staff, mine, "核实低保申请")
        services.reveal_person(self.admin, elsewhere, "跨区协查")

    def test_a_leader_reads_the_views_in_their_area_only(self):
        self.login(self.leader)  # the leader of 江北区
        page = self.client.get(reverse("registry:audit"))
        self.assertContains(page, "核实低保申请")
        self.assertContains(page, "王**")
        self.assertNotContains(page, "跨区协查")
        self.assertNotContains(page, "13900001111")

    def test_the_administrator_reads_every_view(self):
        self.login(self.admin)
        page = self.client.get(reverse("registry:audit"))
        self.assertContains(page, "核实低保申请")
        self.assertContains(page, "跨区协查")

    def test_other_roles_are_refused_and_the_audit_cannot_be_changed_here(self):
        for user in (self.community_staff, self.street_staff, self.grid_worker, self.dispatcher):
            self.login(user)
            self.assertEqual(self.client.get(reverse("registry:audit")).status_code, 403)
        self.login(self.admin)
        self.assertEqual(self.client.post(reverse("registry:audit")).status_code, 405)
        self.assertEqual(PersonalDataView.objects.count(), 2)

    def test_a_city_leader_sees_both_districts(self):
        city_leader = make_user("cityleader", "leader", self.city)
        self.login(city_leader)
        page = self.client.get(reverse("registry:audit"))
        self.assertContains(page, "核实低保申请")
        self.assertContains(page, "跨区协查")
