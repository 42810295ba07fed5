"""The API refuses what the pages and Open311 refuse, the same way (issue 12): an over-long
description, form fields that are not UTF-8, a version that is not a number, a filter
naming no region of the user's; and it shows no contact details in free text."""

from django.conf import settings

from gridgov.api.tests.base import ApiTestCase, action_url, api_url
from gridgov.cases.models import Case, CaseEvent

BOUNDARY = "limitsboundary"


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body with these raw field values (bytes, sent as they are)."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}"


INTAKE_FORM = (
    "case_type=complaint&title=%E5%9E%83%E5%9C%BE&lng=120.105&lat=30.205&datum=gcj02&description="
)


class DescriptionLimitTests(ApiTestCase):
    def intake_body(self, description):
        return {
            "title": "垃圾堆积",
            "description": description,
            "lng": 120.105,
            "lat": 30.205,
            "datum": "gcj02",
        }

    def test_a_description_over_the_limit_is_400_naming_the_limit_and_creates_nothing(self):
        limit = settings.GRIDGOV_MAX_DESCRIPTION_CHARS
        response = self.post(
            api_url("case-list"), self.intake_body("垃" * (limit + 1)), self.dispatcher
        )
        body = self.assertJsonError(response, 400, "invalid")
        self.assertIn(str(limit), " ".join(body["errors"]["description"]))
        self.assertFalse(Case.objects.exists())

    def test_three_million_characters_are_refused_too(self):
        response = self.post(api_url("case-list"), self.intake_body("x" * 3_000_000))
        self.assertIn("description", self.assertJsonError(response, 400)["errors"])
        self.assertFalse(Case.objects.exists())

    def test_a_description_at_the_limit_is_taken(self):
        limit = settings.GRIDGOV_MAX_DESCRIPTION_CHARS
        response = self.post(api_url("case-list"), self.intake_body("垃" * limit), self.dispatcher)
        self.assertEqual(response.status_code, 201, response.content[:300])

    def test_a_batch_item_over_the_limit_is_refused_on_its_own(self):
        limit = settings.GRIDGOV_MAX_DESCRIPTION_CHARS
        items = [
            {**self.intake_body("x" * (limit + 1)), "idempotency_key": "long"},
            {**self.intake_body("路灯不亮"), "idempotency_key": "short"},
        ]
        response = self.post(api_url("case-batch"), {"cases": items}, self.dispatcher)
        self.assertEqual(response.status_code, 200, response.content[:300])
        first, second = response.json()["results"]
        self.assertEqual(first["status"], 400)
        self.assertIn(str(limit), " ".join(first["errors"]["description"]))
        self.assertEqual(second["status"], 201)
        self.assertEqual(Case.objects.count(), 1)


class InvalidUtf8Tests(ApiTestCase):
    """Django decodes form bodies with errors="replace": the API must refuse the damage,
    as it refuses a JSON body that is not UTF-8, instead of storing U+FFFD."""

    def test_an_urlencoded_intake_with_bytes_that_are_not_utf8_is_400_naming_the_field(self):
        response = self.client.post(
            api_url("case-list"),
            INTAKE_FORM + "%E5%9E%83%FF%FE",
            content_type="application/x-www-form-urlencoded",
            **self.auth(self.dispatcher),
        )
        body = self.assertJsonError(response, 400, "invalid")
        self.assertIn("UTF-8", " ".join(body["errors"]["description"]))
        self.assertFalse(Case.objects.exists())

    def test_a_multipart_intake_with_bytes_that_are_not_utf8_is_400(self):
        data, content_type = multipart(
            {
                "title": "垃圾".encode(),
                "description": "门口".encode() + b"\xff\xfe",
                "lng": b"120.105",
                "lat": b"30.205",
                "datum": b"gcj02",
            }
        )
        response = self.client.post(
            api_url("case-list"), data, content_type=content_type, **self.auth(self.dispatcher)
        )
        body = self.assertJsonError(response, 400, "invalid")
        self.assertIn("UTF-8", " ".join(body["errors"]["description"]))
        self.assertFalse(Case.objects.exists())

    def test_an_action_note_that_is_not_utf8_is_400_and_changes_nothing(self):
        case = self.registered()
        response = self.client.post(
            action_url(case.number, "supervise"),
            "reason=%E8%AF%B7%FF",
            content_type="application/x-www-form-urlencoded",
            **self.auth(self.leader),
        )
        body = self.assertJsonError(response, 400, "invalid")
        self.assertIn("reason", body["errors"])
        self.assertEqual(Case.objects.get(pk=case.pk).version, case.version)

    def test_json_is_refused_the_same_way_whether_broken_or_holding_the_replacement(self):
        broken = self.client.post(
            api_url("case-list"),
            b'{"title": "\xff"}',
            content_type="application/json",
            **self.auth(self.dispatcher),
        )
        self.assertJsonError(broken, 400)
        replaced = self.post(
            api_url("case-list"),
            {"title": "垃\ufffd", "description": "x", "lng": 120.105, "lat": 30.205},
            self.dispatcher,
        )
        self.assertIn("title", self.assertJsonError(replaced, 400)["errors"])
        self.assertFalse(Case.objects.exists())


class VersionTests(ApiTestCase):
    def test_a_version_that_is_not_a_whole_number_is_400_naming_it(self):
        case = self.intake()
        for version in ("abc", 1.5, True, "-1", " "):
            with self.subTest(version=version):
                response = self.post(
                    action_url(case.number, "register"),
                    {"category": self.litter.code, "version": version},
                    self.dispatcher,
                )
                if version == " ":
                    # Blank is no version at all, as in a form: the action goes ahead.
                    self.assertEqual(response.status_code, 200, response.content[:300])
                    continue
                body = self.assertJsonError(response, 400, "invalid")
                self.assertEqual(list(body["errors"]), ["version"])
                self.assertEqual(Case.objects.get(pk=case.pk).status, "received")

    def test_a_number_that_is_not_the_current_version_is_still_stale(self):
        case = self.intake()
        response = self.post(
            action_url(case.number, "register"),
            {"category": self.litter.code, "version": 7},
            self.dispatcher,
        )
        self.assertJsonError(response, 409, "stale")

    def test_the_current_version_as_a_number_or_text_goes_ahead(self):
        case = self.intake()
        response = self.post(
            action_url(case.number, "register"),
            {"category": self.litter.code, "version": str(case.version)},
            self.dispatcher,
        )
        self.assertEqual(response.status_code, 200, response.content[:300])


class FilterTests(ApiTestCase):
    def test_an_unknown_region_and_one_outside_the_scope_get_the_same_400(self):
        self.intake()
        bodies = []
        for code in ("990100999999", self.other_district.code, "abc"):
            with self.subTest(code=code):
                response = self.get(api_url("case-list", region=code), self.dispatcher)
                body = self.assertJsonError(response, 400, "invalid")
                self.assertEqual(list(body["errors"]), ["region"])
                bodies.append(body)
        self.assertEqual(bodies[0], bodies[1])

    def test_a_region_in_scope_filters(self):
        case = self.intake()
        response = self.get(api_url("case-list", region=self.community.code), self.dispatcher)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([row["number"] for row in response.json()["results"]], [case.number])
        empty = self.get(api_url("case-list", region=self.neighbour_community.code), self.leader)
        self.assertEqual(empty.json()["results"], [])

    def test_a_resident_may_name_any_region_their_reports_could_be_in(self):
        own = self.intake(actor=self.resident)
        response = self.get(api_url("case-list", region=self.community.code), self.resident)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([row["number"] for row in response.json()["results"]], [own.number])
        unknown = self.get(api_url("case-list", region="990100999999"), self.resident)
        self.assertJsonError(unknown, 400)

    def test_the_other_filters_refuse_malformed_values(self):
        for query in (
            {"status": "nonsense"},
            {"category": "Z99"},
            {"channel": "pigeon"},
            {"overdue": "maybe"},
            {"created_after": "0001-01-01"},
            {"updated_before": "9999-12-31T23:59:59-12:00"},
            {"worklist": "to_teleport"},
        ):
            with self.subTest(query=query):
                response = self.get(api_url("case-list", **query), self.dispatcher)
                body = self.assertJsonError(response, 400, "invalid")
                self.assertEqual(list(body["errors"]), list(query))

    def test_a_regions_parent_outside_the_scope_or_unknown_is_400(self):
        ok = self.get(api_url("region-list", parent=self.street.code), self.dispatcher)
        self.assertEqual(ok.status_code, 200)
        self.assertTrue(ok.json()["results"])
        for code in ("990100999999", self.other_street.code):
            with self.subTest(code=code):
                response = self.get(api_url("region-list", parent=code), self.dispatcher)
                self.assertEqual(list(self.assertJsonError(response, 400)["errors"]), ["parent"])

    def test_a_categorys_unknown_parent_is_400(self):
        self.assertEqual(self.get(api_url("category-list", parent="E01")).status_code, 200)
        response = self.get(api_url("category-list", parent="Z99"))
        self.assertEqual(list(self.assertJsonError(response, 400)["errors"]), ["parent"])


class ContactsInFreeTextTests(ApiTestCase):
    """README: the API cannot reveal contact details. Phones and ID numbers typed into free
    text are masked for staff too; the audited reveal on the case page is the way to them."""

    def test_phones_and_id_numbers_in_free_text_are_masked_in_the_case(self):
        case = self.registered()
        Case.objects.filter(pk=case.pk).update(
            title="13912345678 反映",
            description="请回电１３９１２３４５６７８或 0571-87654321，身份证 330102199001011234",
            address="望江路12号 (张三 139-1234-5678)",
        )
        self.act(self.leader, case, "supervise", reason="已联系13812341234，张三说明天处理")
        body = self.get(api_url("case-detail", case.number), self.dispatcher).json()
        self.assertEqual(body["title"], "139****5678 反映")
        self.assertEqual(
            body["description"],
            "请回电139****5678或 ********4321，身份证 330***********1234",
        )
        self.assertEqual(body["address"], "望江路12号 (张* 139****5678)")
        notes = [event["note"] for event in body["events"] if event["action"] == "supervise"]
        self.assertEqual(notes, ["已联系138****1234，张*说明天处理"])
        listed = self.get(api_url("case-list"), self.dispatcher).json()["results"][0]
        self.assertEqual((listed["title"], listed["address"]), (body["title"], body["address"]))
        for text in (body["description"], body["address"], notes[0]):
            self.assertNotIn("13912345678", text.replace("-", ""))

    def test_the_result_is_masked_and_the_stored_case_is_unchanged(self):
        case = self.replied()
        Case.objects.filter(pk=case.pk).update(result="已处理，联系人电话 13700001111")
        body = self.get(api_url("case-detail", case.number), self.dispatcher).json()
        self.assertEqual(body["result"], "已处理，联系人电话 137****1111")
        self.assertEqual(Case.objects.get(pk=case.pk).result, "已处理，联系人电话 13700001111")
        self.assertTrue(CaseEvent.objects.filter(case=case).exists())

    def test_an_intake_answer_is_masked_too(self):
        response = self.post(
            api_url("case-list"),
            {
                "title": "路灯",
                "description": "电话 13912345678",
                "lng": 120.105,
                "lat": 30.205,
                "datum": "gcj02",
            },
            self.dispatcher,
        )
        self.assertEqual(response.status_code, 201, response.content[:300])
        self.assertEqual(response.json()["description"], "电话 139****5678")
        anonymous = self.post(
            api_url("case-list"),
            {"title": "电话13912345678", "description": "x", "lng": 120.105, "lat": 30.205},
        )
        self.assertEqual(anonymous.json()["title"], "电话139****5678")
