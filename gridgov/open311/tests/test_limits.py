"""Open311 refuses bad input with the spec's 400 as the other doors do (issue 12): dates
beyond what can be converted or stepped from, an over-long description, parameters that
are not UTF-8; and full-width phone numbers are masked like ASCII ones."""

from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from gridgov.cases.models import Case
from gridgov.open311.models import ServiceAttribute
from gridgov.open311.tests.base import Open311TestCase

BOUNDARY = "open311limits"


class DateRangeTests(Open311TestCase):
    def setUp(self):
        super().setUp()
        self.case = self.intake(at=timezone.now() - timedelta(days=3))

    def ids(self, params) -> list[str]:
        response = self.get("requests.json", params)
        self.assertEqual(response.status_code, 200, response.content)
        return [item["service_request_id"] for item in self.json(response)]

    def test_dates_out_of_range_are_400_with_the_spec_body_in_either_format(self):
        for params, name in [
            ({"start_date": "0001-01-01"}, "start_date"),
            ({"start_date": "9999-12-31"}, "start_date"),
            ({"end_date": "0001-01-02"}, "end_date"),
            ({"end_date": "9999-12-31T23:59:59-12:00"}, "end_date"),
            ({"start_date": "0001-01-01T00:00:00Z", "end_date": "0001-01-02"}, "start_date"),
            ({"start_date": "1899-12-31", "page": "2"}, "start_date"),
        ]:
            for fmt in ("json", "xml"):
                with self.subTest(params=params, fmt=fmt):
                    response = self.get(f"requests.{fmt}", params)
                    self.assert_error(response, 400, fmt=fmt, mentions=[name, "1900", "9000"])

    def test_a_date_alone_at_the_edge_of_the_range_finds_nothing_rather_than_failing(self):
        self.assertEqual(self.ids({"end_date": "1900-01-01"}), [])
        self.assertEqual(self.ids({"start_date": "9000-12-31"}), [])
        self.assertEqual(self.ids({"start_date": "1900-01-01", "page": "3"}), [])

    @override_settings(GRIDGOV_OPEN311_WINDOW_DAYS=10_000_000)
    def test_a_huge_window_setting_does_not_step_out_of_the_calendar(self):
        self.assertEqual(self.ids({"end_date": "2100-01-01"}), [self.case.number])
        self.assertEqual(self.ids({"start_date": "2000-01-01"}), [self.case.number])
        self.assertEqual(self.ids({}), [self.case.number])


class DescriptionLimitTests(Open311TestCase):
    def test_a_description_over_the_limit_is_400_naming_it_and_creates_nothing(self):
        limit = settings.GRIDGOV_MAX_DESCRIPTION_CHARS
        before = self.snapshot()
        for fmt in ("json", "xml"):
            with self.subTest(fmt=fmt):
                response = self.post(f"requests.{fmt}", self.valid(description="垃" * (limit + 1)))
                self.assert_error(response, 400, fmt=fmt, mentions=["description", str(limit)])
        self.assertEqual(self.snapshot(), before)

    def test_a_description_at_the_limit_is_taken(self):
        limit = settings.GRIDGOV_MAX_DESCRIPTION_CHARS
        response = self.post(data=self.valid(description="垃" * limit))
        self.assertEqual(response.status_code, 201, response.content[:300])


class InvalidUtf8Tests(Open311TestCase):
    """Django decodes form bodies with errors="replace": refused here, not stored as
    U+FFFD, as the API and the pages refuse it."""

    def test_an_urlencoded_post_that_is_not_utf8_is_400_naming_the_field(self):
        before = self.snapshot()
        body = (
            f"api_key={self.key}&service_code=E0103&address_string=%E6%BB%A8%E6%B1%9F"
            "&description=%E5%9E%83%FF%FE"
        )
        response = self.client.post(
            "/open311/v2/requests.json", body, content_type="application/x-www-form-urlencoded"
        )
        self.assert_error(response, 400, mentions=["description", "UTF-8"])
        self.assertEqual(self.snapshot(), before)

    def test_a_multipart_post_that_is_not_utf8_is_400_in_xml_too(self):
        before = self.snapshot()
        fields = {
            "api_key": self.key.encode(),
            "service_code": b"E0103",
            "address_string": "滨江社区".encode(),
            "first_name": b"\xc0\xaf",
        }
        body = (
            b"".join(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value
                + b"\r\n"
                for name, value in fields.items()
            )
            + f"--{BOUNDARY}--\r\n".encode()
        )
        response = self.client.post(
            "/open311/v2/requests.xml",
            body,
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
        self.assert_error(response, 400, fmt="xml", mentions=["first_name", "UTF-8"])
        self.assertEqual(self.snapshot(), before)

    def test_a_query_parameter_that_is_not_utf8_is_400(self):
        response = self.client.get("/open311/v2/requests.json?service_code=E01%FF")
        self.assert_error(response, 400, mentions=["service_code"])


class FullWidthPhoneTests(Open311TestCase):
    def test_full_width_and_mixed_phone_numbers_are_masked_when_published(self):
        case = self.intake(
            description=(
                "联系电话１３９１２３４５６７８，或 13９－1234－5678，"
                "座机０５７１－８７６５４３２１"
            ),
            reporter_name="李四",
            reporter_phone="13812341234",
        )
        (item,) = self.json(self.get(f"requests/{case.number}.json"))
        self.assertEqual(
            item["description"],
            "联系电话139****5678，或 139****5678，座机********4321",
        )
        self.assertEqual(Case.objects.get(pk=case.pk).description[4:8], "１３９１")


class DatetimeAttributeTests(Open311TestCase):
    def test_a_datetime_answer_outside_the_years_1900_to_9000_is_400(self):
        ServiceAttribute.objects.create(
            category=self.litter, code="seen_at", datatype="datetime", description="何时发现"
        )
        before = self.snapshot()
        response = self.post(data=self.valid(**{"attribute[seen_at]": "0001-01-01T00:00:00Z"}))
        self.assert_error(response, 400, mentions=["attribute[seen_at]", "1900"])
        self.assertEqual(self.snapshot(), before)
        taken = self.post(data=self.valid(**{"attribute[seen_at]": "2026-12-01T08:00:00+08:00"}))
        self.assertEqual(taken.status_code, 201, taken.content[:300])


class LastPageTests(Open311TestCase):
    def test_no_link_points_past_the_last_page_that_may_be_asked_for(self):
        for hours in (1, 2, 3):
            self.intake(at=timezone.now() - timedelta(hours=hours))
        with mock.patch("gridgov.open311.views.MAX_PAGE", 2):
            first = self.get("requests.json", {"page_size": "1"})
            self.assertIn("page=2", first["Link"])
            last = self.get("requests.json", {"page_size": "1", "page": "2"})
            self.assertEqual(last.status_code, 200)
            self.assertNotIn("Link", last)
            self.assert_error(self.get("requests.json", {"page": "3"}), 400, mentions=["page"])
