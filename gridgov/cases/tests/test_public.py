from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.tests.base import CaseTestCase


class PublicReportTests(CaseTestCase):
    def setUp(self):
        cache.clear()

    def report(self, **fields):
        data = {
            "case_type": "complaint",
            "title": "楼道堆物",
            "description": "楼道里堆满杂物",
            "address": "滨江社区门口",
            "reporter_name": "李四",
            "reporter_phone": "13911112222",
        }
        data.update(fields)
        return self.client.post(reverse("public_report"), data)

    def test_a_resident_reports_by_address_and_gets_the_case_number(self):
        response = self.report()
        case = Case.objects.get()
        self.assertContains(response, case.number)
        self.assertEqual((case.channel, case.region), ("web", self.community))

    def test_a_point_on_the_map_places_it_on_the_grid(self):
        self.report(address="", lng="120.105", lat="30.205", datum="gcj02")
        self.assertEqual(Case.objects.get().region, self.grid)

    def test_an_address_that_cannot_be_placed_is_refused_and_the_text_kept(self):
        response = self.report(address="火星基地")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "楼道里堆满杂物", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_a_phone_is_required_to_follow_the_case(self):
        response = self.report(reporter_phone="")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Case.objects.exists())

    @override_settings(GRIDGOV_PUBLIC_REPORTS_PER_HOUR=2)
    def test_anonymous_reports_are_rate_limited(self):
        self.report()
        self.report(title="第二件")
        response = self.report(title="第三件")
        self.assertEqual(response.status_code, 429)
        self.assertEqual(Case.objects.count(), 2)

    def test_a_retried_submission_makes_one_case(self):
        self.client.get(reverse("public_report"))  # as a browser: the form page comes first
        self.report(idempotency_key="k-1")
        self.report(idempotency_key="k-1")
        self.assertEqual(Case.objects.count(), 1)


class TrackAndRateTests(CaseTestCase):
    def setUp(self):
        cache.clear()

    def test_the_reporter_follows_the_case_with_number_and_phone_digits(self):
        case = self.dispatched()
        response = self.client.get(reverse("public_track"), {"number": case.number, "tail": "1234"})
        self.assertContains(response, case.title)
        self.assertNotContains(response, "13812341234")
        self.assertNotContains(response, self.dispatcher.username)

    def test_wrong_digits_reveal_nothing(self):
        case = self.dispatched()
        response = self.client.get(reverse("public_track"), {"number": case.number, "tail": "9999"})
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(response, case.title, status_code=404)

    def test_the_reporter_rates_a_closed_case(self):
        case = self.closed()
        response = self.client.post(
            reverse("public_rate"),
            {"number": case.number, "tail": "1234", "solved": "true", "satisfaction": "satisfied"},
        )
        self.assertEqual(response.status_code, 200)
        case.refresh_from_db()
        self.assertEqual((case.status, case.satisfaction), ("rated", "satisfied"))
        event = CaseEvent.objects.get(case=case, action="rate")
        self.assertEqual((event.actor, event.actor_role), (None, "reporter"))

    def test_the_reporter_sees_their_rating_back_with_thanks(self):
        case = self.closed()
        form = self.client.get(reverse("public_track"), {"number": case.number, "tail": "1234"})
        self.assertNotContains(form, "checked")  # nothing is chosen for them
        response = self.client.post(
            reverse("public_rate"),
            {
                "number": case.number,
                "tail": "1234",
                "solved": "false",
                "satisfaction": "unsatisfied",
            },
        )
        self.assertContains(response, "感谢您的评价")
        self.assertContains(response, "您的评价：未解决 · 不满意")
        later = self.client.get(reverse("public_track"), {"number": case.number, "tail": "1234"})
        self.assertContains(later, "您的评价：未解决 · 不满意")
        self.assertNotContains(later, "感谢您的评价")

    def test_a_rating_with_missing_fields_changes_nothing(self):
        case = self.closed()
        response = self.client.post(
            reverse("public_rate"), {"number": case.number, "tail": "1234", "solved": "true"}
        )
        self.assertEqual(response.status_code, 400)
        case.refresh_from_db()
        self.assertEqual(case.status, "closed")

    def test_an_open_case_cannot_be_rated_yet(self):
        case = self.dispatched()
        response = self.client.post(
            reverse("public_rate"),
            {"number": case.number, "tail": "1234", "solved": "true", "satisfaction": "satisfied"},
        )
        self.assertEqual(response.status_code, 409)

    def test_rate_as_reporter_refuses_the_wrong_phone(self):
        case = self.closed()
        from django.http import Http404

        with self.assertRaises(Http404):
            services.rate_as_reporter(
                case.number, "0000", {"solved": "true", "satisfaction": "satisfied"}
            )
