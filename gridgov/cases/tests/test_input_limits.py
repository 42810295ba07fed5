"""The web forms refuse what the API and Open311 refuse, the same way (issue 12): an
over-long description, fields that are not UTF-8, a tampered version on an action."""

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from gridgov.cases.models import Case, CaseEvent
from gridgov.cases.tests.base import CaseTestCase

BOUNDARY = "weblimits"

REPORT = (
    "case_type=complaint&title=%E6%A5%BC%E9%81%93%E5%A0%86%E7%89%A9"
    "&address=%E6%BB%A8%E6%B1%9F%E7%A4%BE%E5%8C%BA&reporter_phone=13911112222"
)


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    )
    return body + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"


class PublicReportLimitTests(CaseTestCase):
    def setUp(self):
        cache.clear()  # the anonymous rate limit counts in the cache

    def test_a_field_that_is_not_utf8_is_refused_not_stored_as_replacement_characters(self):
        response = self.client.post(
            reverse("public_report"),
            REPORT + "&description=%E6%A5%BC%FF%FE",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertContains(response, "UTF-8", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_a_multipart_field_that_is_not_utf8_is_refused(self):
        body, content_type = multipart(
            {
                "case_type": b"complaint",
                "title": "楼道堆物".encode(),
                "description": b"\xe6\xa5\xbc\xff",
                "address": "滨江社区".encode(),
                "reporter_phone": b"13911112222",
            }
        )
        response = self.client.post(reverse("public_report"), body, content_type=content_type)
        self.assertContains(response, "UTF-8", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_a_description_over_the_limit_is_refused_naming_it(self):
        limit = settings.GRIDGOV_MAX_DESCRIPTION_CHARS
        response = self.client.post(
            reverse("public_report"),
            {
                "case_type": "complaint",
                "title": "楼道堆物",
                "description": "楼" * (limit + 1),
                "address": "滨江社区门口",
                "reporter_phone": "13911112222",
            },
        )
        self.assertContains(response, str(limit), status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_the_report_page_tells_the_browser_the_limit(self):
        response = self.client.get(reverse("public_report"))
        self.assertContains(
            response, f'maxlength="{settings.GRIDGOV_MAX_DESCRIPTION_CHARS}"', count=1
        )


class StaffIntakeLimitTests(CaseTestCase):
    def test_a_field_that_is_not_utf8_is_refused(self):
        self.client.force_login(self.dispatcher)
        response = self.client.post(
            reverse("cases:intake"),
            "channel=hotline&case_type=complaint&title=%E5%9E%83%FF&description=x"
            "&lng=120.105&lat=30.205&datum=gcj02",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertContains(response, "UTF-8", status_code=400)
        self.assertFalse(Case.objects.exists())

    def test_a_description_over_the_limit_is_refused(self):
        self.client.force_login(self.dispatcher)
        limit = settings.GRIDGOV_MAX_DESCRIPTION_CHARS
        response = self.client.post(
            reverse("cases:intake"),
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "垃圾",
                "description": "x" * (limit + 1),
                "lng": "120.105",
                "lat": "30.205",
                "datum": "gcj02",
            },
        )
        self.assertContains(response, str(limit), status_code=400)
        self.assertFalse(Case.objects.exists())


class ActionVersionTests(CaseTestCase):
    def test_a_version_that_is_not_a_number_is_400_and_changes_nothing(self):
        case = self.intake()
        self.client.force_login(self.dispatcher)
        events = CaseEvent.objects.count()
        response = self.client.post(
            reverse("cases:act", args=[case.number, "register"]),
            {"category": self.litter.code, "version": "abc"},
        )
        self.assertContains(response, "version", status_code=400)
        self.assertEqual(Case.objects.get(pk=case.pk).status, "received")
        self.assertEqual(CaseEvent.objects.count(), events)

    def test_a_stale_number_still_says_reload(self):
        case = self.intake()
        self.client.force_login(self.dispatcher)
        response = self.client.post(
            reverse("cases:act", args=[case.number, "register"]),
            {"category": self.litter.code, "version": "99"},
        )
        self.assertRedirects(response, reverse("cases:detail", args=[case.number]))
        self.assertEqual(Case.objects.get(pk=case.pk).status, "received")

    def test_the_current_version_goes_ahead(self):
        case = self.intake()
        self.client.force_login(self.dispatcher)
        self.client.post(
            reverse("cases:act", args=[case.number, "register"]),
            {"category": self.litter.code, "version": str(case.version)},
        )
        self.assertEqual(Case.objects.get(pk=case.pk).status, "registered")
