"""The dashboard in emergency mode: while an open emergency area holds the viewer's area or
lies under it, the dashboard leads with the emergency view's key figures and a link to
it; in normal times nothing of it shows."""

from django.urls import reverse

from gridgov.emergency import figures, services
from gridgov.emergency.tests.base import WUHAN_JIANGHAN, EmergencyTestCase

DASHBOARD = reverse("dashboard")
OVERVIEW = reverse("emergency:overview")


class DashboardEmergencyTests(EmergencyTestCase):
    def test_in_normal_times_the_dashboard_has_no_emergency_panel(self):
        self.login(self.leader)
        response = self.client.get(DASHBOARD)
        self.assertIsNone(response.context["emergency"])
        self.assertNotContains(response, 'id="emergency"')

    def test_an_area_in_emergency_mode_leads_with_the_emergency_view(self):
        services.switch_on(self.city_leader, self.city, "本土疫情")
        services.set_risk_area(
            self.leader,
            services.RiskAreaInput("high", self.days_ago(1), "聚集性疫情", region=self.grid),
        )
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("high", self.days_ago(1), "x", division_code=WUHAN_JIANGHAN),
        )
        figures.enter(
            self.community_staff, [figures.Row(self.building, self.today, {"confirmed": 4})]
        )
        self.login(self.street_staff)
        response = self.client.get(DASHBOARD)
        panel = response.context["emergency"]
        self.assertEqual([area.region for area in panel.areas], [self.city])
        self.assertEqual([count.here for count in panel.risk], [1, 0, 0])
        self.assertEqual(panel.new_today["confirmed"], 4)
        self.assertEqual(panel.people.arrived_today, 0)
        html = response.content.decode()
        self.assertIn(f'href="{OVERVIEW}?region={self.street.code}"', html)
        # It leads: above the dashboard's own figures.
        self.assertLess(html.index('id="emergency"'), html.index('class="cards"'))

    def test_an_emergency_area_under_the_viewers_area_also_leads(self):
        services.switch_on(self.leader, self.community, "本土疫情")
        self.login(self.leader)
        panel = self.client.get(DASHBOARD).context["emergency"]
        self.assertEqual([area.region for area in panel.areas], [self.community])
        # Another district's emergency is not this leader's.
        self.login(self.outsider)
        self.assertIsNone(self.client.get(DASHBOARD).context["emergency"])

    def test_the_menu_links_to_the_emergency_pages_for_staff_only(self):
        for user in (self.leader, self.grid_worker, self.handler, self.admin):
            self.login(user)
            with self.subTest(user=user.username):
                response = self.client.get(DASHBOARD)
                self.assertContains(response, f'href="{OVERVIEW}"')
                self.assertEqual(self.client.get(OVERVIEW).status_code, 200)
        self.login(self.resident)
        self.assertNotContains(self.client.get(reverse("home")), f'href="{OVERVIEW}"')
