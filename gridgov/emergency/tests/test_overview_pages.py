"""The emergency overview through the browser's door: switching an area on and off, the
emergency view's figures and its fixed number of queries, the policy versions' pages and
their editing in the admin; who may see and do what (404 outside, 403 for a command the
role does not have, 400 and nothing changed for bad input)."""

import json
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from gridgov.emergency import arrivals, figures, services
from gridgov.emergency.models import (
    Certification,
    CertificationState,
    EmergencyArea,
    MeasureTask,
    PolicyVersion,
)
from gridgov.emergency.policy import default_rules
from gridgov.emergency.tests.base import WUHAN_JIANGHAN, EmergencyTestCase

OVERVIEW = reverse("emergency:overview")


class EmergencyPagesTestCase(EmergencyTestCase):
    def arrival(self, region=None, **changes):
        now = timezone.now()
        data = dict(
            name="张伟",
            origin_code=WUHAN_JIANGHAN,
            left_on=self.days_ago(1),
            arrived_at=now - timedelta(hours=2),
            reported_at=now - timedelta(hours=1),
            region=region or self.building,
            channel="grid_worker",
            phone="13900001234",
        )
        data.update(changes)
        return arrivals.report(self.city_leader, arrivals.ArrivalInput(**data))

    def risk_area(self, region=None, level="high", days=3, **extra):
        return services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput(
                level, self.days_ago(days), "聚集性疫情", region=region, **extra
            ),
        )

    def certify(self, region):
        return Certification.objects.create(
            region=region,
            state=CertificationState.CERTIFIED,
            policy_version=self.policy_version,
            applied_by=self.city_leader,
            decided_by=self.city_leader,
            decided_at=timezone.now(),
        )


class SwitchPageTests(EmergencyPagesTestCase):
    def test_a_leader_switches_their_district_on_with_a_reason_and_back(self):
        self.login(self.leader)
        page = self.client.get(OVERVIEW)
        self.assertEqual(page.context["region"], self.district)
        self.assertIsNone(page.context["area"])
        self.assertContains(page, 'data-action="switch-on"')
        response = self.client.post(OVERVIEW, {"action": "on", "reason": "本土聚集性疫情"})
        self.assertRedirects(response, f"{OVERVIEW}?region={self.district.code}")
        area = EmergencyArea.objects.get()
        self.assertEqual((area.region, area.opened_by), (self.district, self.leader))
        self.assertTrue(services.in_emergency(self.grid.path))

        page = self.client.get(OVERVIEW, {"region": self.community.code})
        self.assertEqual(page.context["area"], area)
        self.assertContains(page, "本土聚集性疫情")
        self.assertContains(page, 'data-action="switch-off"')

        self.client.post(
            f"{OVERVIEW}?region={self.community.code}", {"action": "off", "reason": "疫情平稳"}
        )
        area.refresh_from_db()
        self.assertEqual((area.closed_by, area.close_reason), (self.leader, "疫情平稳"))
        history = self.client.get(OVERVIEW).context["history"]
        self.assertEqual(list(history), [area])

    def test_without_a_reason_or_twice_it_is_refused_with_400_and_nothing_changes(self):
        self.login(self.leader)
        response = self.client.post(OVERVIEW, {"action": "on", "reason": "  "})
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.context["switch_form"].errors["reason"])
        self.assertFalse(EmergencyArea.objects.exists())

        services.switch_on(self.leader, self.street, "本土疫情")
        url = f"{OVERVIEW}?region={self.community.code}"
        # The page was opened before the street went on: the community cannot go on too.
        response = self.client.post(url, {"action": "on", "reason": "社区疫情"})
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.context["switch_form"].non_field_errors())
        self.assertContains(response, "社区疫情", status_code=400)
        self.assertEqual(EmergencyArea.objects.count(), 1)
        response = self.client.post(url, {"action": "sideways", "reason": "x"})
        self.assertEqual(response.status_code, 400)

    def test_staff_who_may_not_switch_see_no_form_and_get_403(self):
        self.login(self.community_staff)
        page = self.client.get(OVERVIEW)
        self.assertEqual(page.context["region"], self.community)
        self.assertIsNone(page.context["switch_form"])
        response = self.client.post(OVERVIEW, {"action": "on", "reason": "本土疫情"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(EmergencyArea.objects.exists())

    def test_outside_scope_404_resident_404_anonymous_to_login_wrong_method_405(self):
        self.login(self.leader)
        self.assertEqual(
            self.client.get(OVERVIEW, {"region": self.other_district.code}).status_code, 404
        )
        self.assertEqual(
            self.client.post(
                f"{OVERVIEW}?region={self.other_district.code}", {"action": "on", "reason": "x"}
            ).status_code,
            404,
        )
        self.assertEqual(self.client.put(OVERVIEW).status_code, 405)
        self.login(self.resident)
        self.assertEqual(self.client.get(OVERVIEW).status_code, 404)
        self.client.logout()
        self.assertIn("/login/", self.client.get(OVERVIEW)["Location"])


class EmergencyViewTests(EmergencyPagesTestCase):
    def test_it_counts_what_is_in_the_area_and_what_is_outside_the_city(self):
        self.risk_area(self.grid)
        self.risk_area(self.neighbour_grid, "medium")
        self.risk_area(self.other_grid)
        self.risk_area(division_code=WUHAN_JIANGHAN)
        now = timezone.now()
        # Reported three hours ago: its transfer, due within two, is overdue.
        self.arrival(reported_at=now - timedelta(hours=3), arrived_at=now - timedelta(hours=4))
        self.arrival(reported_at=now, arrived_at=now - timedelta(days=1))
        figures.enter(
            self.community_staff,
            [
                figures.Row(self.building, self.days_ago(1), {"confirmed": 3}),
                figures.Row(self.community, self.days_ago(2), {"close_contacts": 5}),
            ],
        )
        self.certify(self.neighbour_community)

        self.login(self.leader)
        view = self.client.get(OVERVIEW).context["view"]
        self.assertEqual(
            [(c.level, c.here, c.outside) for c in view.risk],
            [("high", 1, 1), ("medium", 1, 0), ("low", 0, 0)],
        )
        people = view.people
        # Three hours ago is yesterday in the first three hours of a local day.
        earlier_today = timezone.localdate(now - timedelta(hours=3)) == timezone.localdate(now)
        self.assertEqual(
            (people.arrived_today, people.arrived_week, people.late_week),
            (2 if earlier_today else 1, 2, 1),
        )
        self.assertEqual(people.open_tasks, MeasureTask.objects.open().count())
        self.assertEqual(people.overdue_tasks, 1)
        self.assertEqual(len(view.series), 14)
        self.assertEqual(view.series[-2]["confirmed"], 3)
        self.assertEqual(view.series[-3]["close_contacts"], 5)
        by_level = {
            row.level: (row.certified, row.total, row.percent) for row in view.epidemic_free
        }
        self.assertEqual(by_level["community"], (1, 2, "50.0%"))
        self.assertEqual(by_level["street"], (0, 1, "0.0%"))
        self.assertEqual(view.policy_version, self.policy_version)

        page = self.client.get(OVERVIEW)
        self.assertContains(page, "<svg")
        self.assertContains(page, "50.0%")
        self.assertContains(page, 'href="/emergency/arrivals/tasks/"')
        self.assertContains(page, f'href="/emergency/certifications/?region={self.district.code}"')
        self.assertContains(page, reverse("emergency:policy_detail", args=[1]))

    def test_it_draws_each_days_share_of_certified_areas_until_suspended(self):
        now = timezone.now()
        lasting = self.certify(self.community)
        Certification.objects.filter(pk=lasting.pk).update(decided_at=now - timedelta(days=10))
        suspended = self.certify(self.neighbour_community)
        Certification.objects.filter(pk=suspended.pk).update(
            decided_at=now - timedelta(days=6),
            state=CertificationState.SUSPENDED,
            ended_at=now - timedelta(days=2),
        )
        # Applied, never decided: not in the trend.
        Certification.objects.create(
            region=self.street,
            policy_version=self.policy_version,
            applied_by=self.city_leader,
        )

        self.login(self.leader)
        page = self.client.get(OVERVIEW)
        trend = page.context["view"].epidemic_free_trend
        self.assertEqual(len(trend.days), 30)
        self.assertEqual(trend.days[-1], timezone.localdate(now))
        communities = trend.certified["community"]
        self.assertEqual(communities[-12:], [0] + [1] * 4 + [2] * 4 + [1] * 3)
        self.assertEqual(trend.certified["street"], [0] * 30)
        self.assertContains(page, 'id="epidemic-free-trend"')
        self.assertContains(page, "<polyline", count=6)

    def test_who_has_no_part_in_arrivals_sees_no_count_of_them(self):
        self.arrival()
        self.login(self.handler)
        page = self.client.get(OVERVIEW)
        self.assertIsNone(page.context["view"].people)
        self.assertNotContains(page, 'href="/emergency/arrivals/"')

    def test_its_query_count_does_not_grow_with_the_data(self):
        services.switch_on(self.city_leader, self.city, "本土疫情")
        self.risk_area(self.grid)
        self.arrival()
        self.certify(self.community)
        self.login(self.city_leader)
        # Session, user, region; the open area and who opened it; risk areas, arrivals,
        # tasks, the series, regions and certifications by level, their trend, the policy;
        # the header's notices; the history.
        with self.assertNumQueries(16) as first:
            self.client.get(OVERVIEW)
        for grid in (self.second_grid, self.neighbour_grid, self.other_grid):
            self.risk_area(grid, "medium")
        for region in (self.building, self.neighbour_building, self.other_building):
            self.arrival(region)
            figures.enter(
                self.city_leader, [figures.Row(region, self.days_ago(3), {"confirmed": 1})]
            )
        self.certify(self.other_community)
        services.switch_off(self.city_leader, EmergencyArea.objects.get(), "平稳")
        for region in (self.district, self.other_district):
            services.switch_off(
                self.city_leader, services.switch_on(self.city_leader, region, "再起"), "平稳"
            )
        services.switch_on(self.city_leader, self.city, "再起")
        with self.assertNumQueries(len(first.captured_queries)):
            self.client.get(OVERVIEW)


class PolicyPageTests(EmergencyPagesTestCase):
    def test_the_list_marks_the_version_in_force_and_the_page_reads_its_rules(self):
        draft = PolicyVersion.objects.create(title="2023 draft", rules=default_rules())
        self.login(self.grid_worker)
        page = self.client.get(reverse("emergency:policy_list"))
        flags = {v.number: (v.in_force_today, v.is_draft) for v in page.context["versions"]}
        self.assertEqual(flags, {1: (True, False), draft.number: (False, True)})
        self.assertContains(page, "2022 rules")
        detail = self.client.get(reverse("emergency:policy_detail", args=[1]))
        rules = detail.context["rules"]
        self.assertEqual(rules["report_within_hours"], 12)
        self.assertEqual(
            [(r["from_days"], r["within_days"], r["days"]) for r in rules["measures"]],
            [(0, 7, 7), (0, 7, 7), (0, 7, 3)],
        )
        self.assertEqual([days for _f, _t, days in rules["downgrade"]], [14, 7, 7])
        self.assertEqual(len(rules["certification"]["measures"]), 6)
        self.assertContains(detail, "1, 4, 7")

    def test_rules_that_cannot_be_read_are_named_and_unknown_versions_are_404(self):
        broken = PolicyVersion.objects.create(title="坏的", rules={"measures": []})
        self.login(self.leader)
        detail = self.client.get(reverse("emergency:policy_detail", args=[broken.number]))
        self.assertTrue(detail.context["problems"])
        self.assertEqual(
            self.client.get(reverse("emergency:policy_detail", args=[99])).status_code, 404
        )
        self.login(self.resident)
        self.assertEqual(self.client.get(reverse("emergency:policy_list")).status_code, 404)


class PolicyAdminTests(EmergencyPagesTestCase):
    ADD = reverse("admin:emergency_policyversion_add")

    def post_version(self, url, rules, active_from=""):
        return self.client.post(
            url,
            {"title": "2023 rules", "rules": json.dumps(rules), "active_from": active_from},
        )

    def test_a_version_is_added_and_activated_by_who_did_it_and_bad_rules_are_refused(self):
        self.login(self.admin)
        bad = default_rules()
        bad["downgrade"]["high_to_medium_days"] = -1
        response = self.post_version(self.ADD, bad)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["adminform"].form.errors["rules"])
        self.assertEqual(PolicyVersion.objects.count(), 1)

        self.post_version(self.ADD, default_rules())
        version = PolicyVersion.objects.get(title="2023 rules")
        self.assertEqual((version.created_by, version.activated_by), (self.admin, None))
        change = reverse("admin:emergency_policyversion_change", args=[version.pk])
        self.post_version(change, default_rules(), self.today.isoformat())
        version.refresh_from_db()
        self.assertEqual((version.active_from, version.activated_by), (self.today, self.admin))

    def test_a_version_in_force_is_frozen(self):
        self.login(self.admin)
        changed = default_rules()
        changed["report_within_hours"] = 24
        change = reverse("admin:emergency_policyversion_change", args=[self.policy_version.pk])
        response = self.post_version(change, changed, self.policy_version.active_from.isoformat())
        self.assertEqual(response.status_code, 200)
        self.policy_version.refresh_from_db()
        self.assertEqual(self.policy_version.rules["report_within_hours"], 12)
        delete = reverse("admin:emergency_policyversion_delete", args=[self.policy_version.pk])
        self.assertEqual(self.client.get(delete).status_code, 403)
