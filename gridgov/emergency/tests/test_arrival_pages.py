"""The arrival pages, through the test client as staff and the public use them: the list
and its export, an arrival with its decision, tasks done and measures ended, a report by
staff, the tasks worklist, and the public self-report."""

from datetime import date, timedelta
from io import BytesIO

from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.accounts.tests.base import ScopeMatrixMixin
from gridgov.emergency import arrivals, services
from gridgov.emergency.models import Arrival, Channel, Measure, MeasureState, MeasureTask
from gridgov.emergency.tests.base import SHANGHAI_PUDONG, WUHAN_JIANGHAN, EmergencyTestCase, at
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry import services as registry_services
from gridgov.registry.choices import Relation, ResidenceType
from gridgov.registry.tests.base import resident_id

PHONE = "13900001234"


@override_settings(LANGUAGE_CODE="en")
class ArrivalPageCase(EmergencyTestCase):
    def setUp(self):
        cache.clear()

    def high_risk_wuhan(self):
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("high", self.days_ago(30), "聚集性疫情", division_code="420100"),
        )

    def report(self, building=None, name="张伟", origin=WUHAN_JIANGHAN, **changes):
        data = dict(
            name=name,
            origin_code=origin,
            left_on=self.days_ago(2),
            arrived_at=at(self.days_ago(1), 9),
            region=building or self.building,
            channel=Channel.GRID_WORKER,
            phone=PHONE,
            reported_at=at(self.days_ago(1), 15),
        )
        data.update(changes)
        return arrivals.report(self.admin, arrivals.ArrivalInput(**data))


class ArrivalScopeTests(ScopeMatrixMixin, ArrivalPageCase):
    def make_object(self, grid):
        building = Region.objects.filter(parent=grid, level=Level.BUILDING).first()
        return self.report(building)

    def url_for(self, arrival):
        return reverse("emergency:arrival_detail", args=[arrival.pk])

    def scope_cases(self):
        # Personal data is seen as the registry's: a department handler sees no arrival.
        return [case for case in super().scope_cases() if case[0] != self.handler]

    def test_a_department_handler_has_no_arrival_pages(self):
        arrival = self.report()
        self.login(self.handler)
        for url in (
            self.url_for(arrival),
            reverse("emergency:arrival_list"),
            reverse("emergency:task_list"),
            reverse("emergency:arrival_new"),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)


class ArrivalListTests(ArrivalPageCase):
    def test_a_grid_worker_sees_the_arrivals_of_their_grids_masked_newest_first(self):
        self.high_risk_wuhan()
        older = self.report(name="张伟")
        newer = self.report(name="李娜", origin=SHANGHAI_PUDONG)
        self.report(self.neighbour_building, name="王芳")
        self.login(self.grid_worker)
        response = self.client.get(reverse("emergency:arrival_list"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(list(response.context["page"].object_list), [newer, older])
        text = response.content.decode()
        self.assertIn("张*", text)
        self.assertNotIn("张伟", text)
        self.assertNotIn("王", text.split("<main>")[1])
        self.assertNotIn(PHONE, text)
        self.assertIn("湖北省武汉市江汉区", text)
        self.assertIn("Central quarantine", text)

    def test_the_filters_select_and_a_bad_range_is_refused(self):
        self.high_risk_wuhan()
        high = self.report()
        low = self.report(origin=SHANGHAI_PUDONG, reported_at=at(self.days_ago(1), 10))
        self.login(self.community_staff)
        url = reverse("emergency:arrival_list")

        def shown(**query):
            return list(self.client.get(url, query).context["page"].object_list)

        self.assertEqual(shown(risk_level="high"), [high])
        self.assertEqual(shown(risk_level="none"), [low])
        self.assertEqual(shown(active="on"), [high])
        self.assertEqual(shown(late="on"), [])
        yesterday = self.days_ago(1).isoformat()
        self.assertEqual(len(shown(since=yesterday, until=yesterday)), 2)
        self.assertEqual(shown(since=self.today.isoformat()), [])
        response = self.client.get(url, {"since": yesterday, "until": self.days_ago(3).isoformat()})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "before its start", status_code=400)

    def test_the_list_costs_the_same_queries_for_more_arrivals(self):
        self.high_risk_wuhan()
        self.report()
        self.login(self.community_staff)
        url = reverse("emergency:arrival_list")
        with CaptureQueriesContext(connection) as one:
            self.client.get(url)
        for _ in range(4):
            self.report()
        with CaptureQueriesContext(connection) as five:
            self.client.get(url)
        self.assertEqual(len(one), len(five))

    def test_the_export_holds_the_filtered_list_masked(self):
        self.high_risk_wuhan()
        self.report()
        self.report(origin=SHANGHAI_PUDONG)
        self.login(self.community_staff)
        response = self.client.get(reverse("emergency:arrival_export"), {"risk_level": "high"})
        self.assertEqual(response.status_code, 200)
        sheet = load_workbook(BytesIO(response.content)).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[1][0], "张*")
        self.assertNotIn(PHONE, str(rows))
        self.assertIn("湖北省武汉市江汉区", rows[1])


class ArrivalDetailTests(ArrivalPageCase):
    def test_the_page_shows_the_decision_its_version_and_the_tasks(self):
        self.high_risk_wuhan()
        arrival = self.report()
        self.login(self.grid_worker)
        response = self.client.get(reverse("emergency:arrival_detail", args=[arrival.pk]))
        self.assertContains(response, arrival.explanation)
        self.assertContains(response, 'href="/emergency/policies/1/"')
        self.assertContains(response, "Central quarantine")
        self.assertContains(response, "Transfer to quarantine")
        open_task = MeasureTask.objects.open().filter(measure__arrival=arrival).first()
        self.assertContains(response, reverse("emergency:task_done", args=[open_task.pk]))

    def test_an_arrival_matched_to_a_registered_person_links_to_them(self):
        number = resident_id(date(1990, 3, 7), 5)
        person = registry_services.save_person(
            self.admin,
            registry_services.PersonInput(
                name="张伟",
                residence_type=ResidenceType.REGISTERED,
                document_type="resident_id",
                document_number=number,
                relation=Relation.HEAD,
            ),
            registry_services.household_at(self.room),
            via="test",
        ).person
        arrival = self.report(document_type="resident_id", document_number=number)
        self.assertEqual(arrival.person, person)
        self.login(self.grid_worker)
        response = self.client.get(reverse("emergency:arrival_detail", args=[arrival.pk]))
        self.assertContains(response, reverse("registry:person", args=[person.pk]))
        self.assertNotContains(response, number)

    def test_a_task_is_done_with_a_note_and_not_twice(self):
        self.high_risk_wuhan()
        arrival = self.report()
        task = MeasureTask.objects.filter(measure__arrival=arrival).first()
        self.login(self.grid_worker)
        url = reverse("emergency:task_done", args=[task.pk])
        response = self.client.post(url, {"note": "已转运"})
        self.assertRedirects(response, reverse("emergency:arrival_detail", args=[arrival.pk]))
        task.refresh_from_db()
        self.assertEqual((task.note, task.done_by), ("已转运", self.grid_worker))
        again = self.client.post(url, {"note": "again"})
        self.assertContains(again, "no longer open", status_code=400)
        task.refresh_from_db()
        self.assertEqual(task.note, "已转运")

    def test_a_dispatcher_reads_but_may_not_act_and_an_outsider_gets_404(self):
        self.high_risk_wuhan()
        arrival = self.report()
        task = MeasureTask.objects.filter(measure__arrival=arrival).first()
        url = reverse("emergency:task_done", args=[task.pk])
        self.login(self.dispatcher)
        self.assertEqual(self.client.post(url, {"note": "x"}).status_code, 403)
        self.login(self.outsider)
        self.assertEqual(self.client.post(url, {"note": "x"}).status_code, 404)
        self.assertEqual(self.client.get(url).status_code, 405)
        task.refresh_from_db()
        self.assertIsNone(task.done_at)

    def test_a_measure_ends_early_only_with_the_box_ticked_and_a_reason(self):
        self.high_risk_wuhan()
        measure = self.report().measures.get()
        self.login(self.grid_worker)
        url = reverse("emergency:measure_close", args=[measure.pk])
        response = self.client.post(url, {"outcome": "转运至隔离点"})
        self.assertContains(response, "end it early", status_code=400)
        self.assertContains(response, "转运至隔离点", status_code=400)
        response = self.client.post(url, {"outcome": "", "early": "on"})
        self.assertEqual(response.status_code, 400)
        measure.refresh_from_db()
        self.assertEqual(measure.state, MeasureState.ACTIVE)
        response = self.client.post(url, {"outcome": "转运至隔离点", "early": "on"})
        self.assertEqual(response.status_code, 302)
        measure.refresh_from_db()
        self.assertEqual(
            (measure.state, measure.outcome), (MeasureState.CLOSED_EARLY, "转运至隔离点")
        )
        self.assertFalse(MeasureTask.objects.open().filter(measure=measure).exists())


class ArrivalReportTests(ArrivalPageCase):
    def form(self, **changes):
        data = {
            "name": "赵敏",
            "document_type": "",
            "document_number": "",
            "phone": PHONE,
            "origin_code": WUHAN_JIANGHAN,
            "left_on": self.days_ago(1).isoformat(),
            "arrived_at": timezone.localtime().strftime("%Y-%m-%dT00:05"),
            "building": self.building.code,
            "room": "1-302",
            "channel": "hotel",
            "reporter_name": "滨江大酒店",
        }
        data.update(changes)
        return data

    def test_a_report_leads_to_the_arrival_and_its_decision(self):
        self.high_risk_wuhan()
        self.login(self.grid_worker)
        page = self.client.get(reverse("emergency:arrival_new"))
        self.assertContains(page, self.building.code)
        self.assertNotContains(page, self.neighbour_building.code)
        response = self.client.post(reverse("emergency:arrival_new"), self.form())
        arrival = Arrival.objects.get()
        self.assertRedirects(response, reverse("emergency:arrival_detail", args=[arrival.pk]))
        self.assertEqual((arrival.channel, arrival.reporter_name), ("hotel", "滨江大酒店"))
        self.assertEqual((arrival.room, arrival.reported_by), (self.room, self.grid_worker))
        self.assertEqual(arrival.risk_level, "high")
        self.assertEqual(Measure.objects.get().kind, "central_quarantine")

    def test_bad_input_is_refused_with_the_message_and_what_was_typed(self):
        self.login(self.grid_worker)
        tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        cases = [
            ({"origin_code": "999999"}, "No national division has the code 999999"),
            ({"left_on": (self.today + timedelta(days=1)).isoformat()}, "after arriving"),
            ({"arrived_at": tomorrow}, "cannot be later than now"),
            ({"building": self.neighbour_building.code}, "outside the area you work for"),
            (
                {"document_type": "resident_id", "document_number": "110101199003071234"},
                "check digit",
            ),
            ({"channel": "employer", "reporter_name": ""}, "Name the employer"),
        ]
        for changes, message in cases:
            with self.subTest(**changes):
                response = self.client.post(reverse("emergency:arrival_new"), self.form(**changes))
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, message, status_code=400)
                self.assertContains(response, 'value="赵敏"', status_code=400)
        self.assertFalse(Arrival.objects.exists())

    def test_a_dispatcher_may_not_report(self):
        self.login(self.dispatcher)
        self.assertEqual(self.client.get(reverse("emergency:arrival_new")).status_code, 403)


class TaskListTests(ArrivalPageCase):
    def test_overdue_tasks_come_first_marked_and_are_done_from_the_list(self):
        self.high_risk_wuhan()
        self.report(arrived_at=at(self.days_ago(2), 9), left_on=self.days_ago(3))
        self.report(self.neighbour_building)
        self.login(self.grid_worker)
        response = self.client.get(reverse("emergency:task_list"))
        tasks = list(response.context["page"].object_list)
        self.assertTrue(tasks)
        self.assertEqual({t.measure.arrival.region for t in tasks}, {self.building})
        self.assertEqual(tasks, sorted(tasks, key=lambda t: t.due_at))
        self.assertTrue(tasks[0].overdue)
        self.assertContains(response, "overdue")
        self.assertNotContains(response, "张伟")
        response = self.client.post(
            reverse("emergency:task_done", args=[tasks[0].pk]), {"note": "已上门", "back": "tasks"}
        )
        self.assertRedirects(response, reverse("emergency:task_list"))
        self.assertEqual(MeasureTask.objects.get(pk=tasks[0].pk).note, "已上门")


class SelfReportTests(ArrivalPageCase):
    def form(self, key="k-1", **changes):
        data = {
            "name": "钱多多",
            "phone": PHONE,
            "origin_code": WUHAN_JIANGHAN,
            "left_on": self.days_ago(1).isoformat(),
            "arrived_at": timezone.localtime().strftime("%Y-%m-%dT00:05"),
            "community": self.community.code,
            "building": self.building.code,
            "room": "",
            "consent": "on",
            "idempotency_key": key,
            "action": "report",
        }
        data.update(changes)
        return data

    def test_a_person_reports_themselves_and_sees_the_measure_and_why_only(self):
        self.high_risk_wuhan()
        page = self.client.get(reverse("emergency_public:arrive"))
        self.assertContains(page, 'name="idempotency_key"')
        self.assertContains(page, "滨江社区")
        response = self.client.post(reverse("emergency_public:arrive"), self.form())
        self.assertEqual(response.status_code, 200)
        arrival = Arrival.objects.get()
        self.assertEqual((arrival.channel, arrival.reported_by), ("self", None))
        self.assertContains(response, "Central quarantine")
        self.assertContains(response, arrival.explanation)
        self.assertNotContains(response, "钱")
        self.assertNotContains(response, "1234")

    def test_a_resent_form_makes_one_arrival(self):
        # The browser holds the CSRF cookie of the page it was served, as a real one does.
        self.client.get(reverse("emergency_public:arrive"))
        for _ in range(2):
            response = self.client.post(reverse("emergency_public:arrive"), self.form())
            self.assertEqual(response.status_code, 200)
        self.assertEqual(Arrival.objects.count(), 1)
        self.client.post(reverse("emergency_public:arrive"), self.form(key="k-2"))
        self.assertEqual(Arrival.objects.count(), 2)

    def test_bad_input_and_no_consent_are_refused_and_write_nothing(self):
        for changes, message in [
            ({"consent": ""}, "required"),
            ({"origin_code": "19"}, "No national division"),
            ({"building": self.other_building.code}, "Select a valid choice"),
            ({"left_on": (self.today + timedelta(days=1)).isoformat()}, "after arriving"),
        ]:
            with self.subTest(**changes):
                response = self.client.post(
                    reverse("emergency_public:arrive"), self.form(key=str(changes), **changes)
                )
                self.assertContains(response, message, status_code=400)
                self.assertContains(response, 'value="钱多多"', status_code=400)
        self.assertFalse(Arrival.objects.exists())

    def test_the_community_first_then_its_buildings_with_or_without_script(self):
        step = self.client.post(
            reverse("emergency_public:arrive"),
            {"community": self.community.code, "name": "钱多多", "action": "buildings"},
        )
        self.assertEqual(step.status_code, 200)
        self.assertContains(step, self.building.name)
        self.assertNotContains(step, self.neighbour_building.name)
        self.assertNotContains(step, "error")
        found = self.client.get(
            reverse("emergency_public:community_buildings"), {"community": self.community.code}
        ).json()["results"]
        self.assertEqual(found, [{"code": self.building.code, "name": self.building.name}])
        suggested = self.client.get(
            reverse("emergency_public:division_suggestions"), {"q": "江汉"}
        ).json()["results"]
        self.assertIn({"code": WUHAN_JIANGHAN, "name": "湖北省武汉市江汉区"}, suggested)

    @override_settings(GRIDGOV_PUBLIC_REPORTS_PER_HOUR=1)
    def test_reports_from_one_connection_are_limited(self):
        self.client.post(reverse("emergency_public:arrive"), self.form())
        response = self.client.post(reverse("emergency_public:arrive"), self.form(key="k-2"))
        self.assertEqual(response.status_code, 429)
        self.assertEqual(Arrival.objects.count(), 1)
