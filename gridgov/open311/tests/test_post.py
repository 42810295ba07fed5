"""POST requests: an api_key is required; a submission becomes a case through intake with
its attribute answers in the same transaction; anything refused leaves nothing behind."""

from unittest import mock

from django.test import override_settings
from django.urls import reverse

from gridgov.cases.models import Attachment, Case, Reporter
from gridgov.open311.models import RequestAttributes
from gridgov.open311.tests.base import GRID_WGS, Open311TestCase, png, xml_records


class PostTests(Open311TestCase):
    def test_json_post_creates_a_case_and_answers_with_its_number(self):
        response = self.post(
            data=self.valid(account_id="acc-7", device_id="dev-1", email="a@example.cn")
        )
        self.assertEqual(response.status_code, 201, response.content)
        (answer,) = self.json(response)
        case = Case.objects.get()
        self.assertEqual(
            answer,
            {
                "service_request_id": case.number,
                "service_notice": "结案标准：清运完毕",
                "account_id": "acc-7",
            },
        )
        self.assertNotIn("token", answer)  # realtime: the id itself, never a token
        self.assertEqual(case.channel, "api")
        self.assertEqual(case.category.code, "E0103")
        self.assertEqual(case.created_by, self.dispatcher)
        self.assertEqual(case.region, self.grid)
        self.assertEqual(case.datum, "wgs84")
        self.assertEqual((case.lng, case.lat), GRID_WGS)
        self.assertEqual(case.description, "小区门口垃圾两天没人清运。")
        self.assertEqual(case.title, "小区门口垃圾两天没人清运。")
        self.assertEqual(case.events.get().actor, self.dispatcher)
        extra = RequestAttributes.objects.get(case=case)
        self.assertEqual((extra.device_id, extra.account_id, extra.values), ("dev-1", "acc-7", {}))

    def test_xml_post_answers_in_xml(self):
        response = self.post("requests.xml", self.valid())
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response["Content-Type"], "text/xml; charset=utf-8")
        (answer,) = xml_records(response, "request")
        self.assertEqual(answer["service_request_id"], Case.objects.get().number)
        self.assertIsNone(answer["account_id"])  # <account_id/>, as in the spec's example

    def test_the_api_key_may_come_in_the_query_string(self):
        response = self.post(data=self.valid(), key=False, query=f"api_key={self.key}")
        self.assertEqual(response.status_code, 201)

    def test_without_an_api_key_nothing_is_created_and_the_answer_is_403(self):
        before = self.snapshot()
        self.assert_error(self.post(data=self.valid(), key=False), 403, mentions=["api_key"])
        self.assert_error(self.post(data=self.valid(api_key="")), 403, mentions=["api_key"])
        self.assert_error(
            self.post("requests.xml", self.valid(), key=False), 403, fmt="xml", mentions=["api_key"]
        )
        self.assertEqual(self.snapshot(), before)

    def test_a_wrong_or_revoked_api_key_is_403(self):
        self.assert_error(self.post(data=self.valid(), key="ggv_wrong"), 403, mentions=["api_key"])
        self.dispatcher.api_tokens.update(revoked_at="2026-01-01T00:00:00Z")
        self.assert_error(self.post(data=self.valid()), 403)
        self.assertFalse(Case.objects.exists())

    def test_a_session_is_not_an_api_key(self):
        self.login(self.dispatcher)
        self.assert_error(self.post(data=self.valid(), key=False), 403)

    def test_a_resident_token_reports_as_that_resident(self):
        response = self.post(data=self.valid(), key=self.resident_key)
        self.assertEqual(response.status_code, 201)
        case = Case.objects.get()
        self.assertEqual(case.reporter.user, self.resident)

    def test_the_reporter_comes_from_name_and_phone_family_name_first(self):
        self.post(data=self.valid(first_name="三", last_name="张", phone="13812341234"))
        reporter = Case.objects.get().reporter
        self.assertEqual((reporter.name, reporter.phone), ("张三", "13812341234"))
        self.post(data=self.valid(first_name="Ann", last_name="Lee", phone="13900001111"))
        self.assertEqual(Reporter.objects.get(phone="13900001111").name, "Ann Lee")

    def test_an_area_code_places_a_case_without_a_point(self):
        response = self.post(data=self.valid(lat=None, long=None, address_id=self.grid.code))
        self.assertEqual(response.status_code, 201)
        self.assertEqual(Case.objects.get().region, self.grid)

    def test_an_address_places_a_case_without_a_point(self):
        response = self.post(
            data=self.valid(lat=None, long=None, address_string="望江街道滨江社区菜场门口")
        )
        self.assertEqual(response.status_code, 201)
        case = Case.objects.get()
        self.assertEqual((case.region, case.address), (self.community, "望江街道滨江社区菜场门口"))

    def test_empty_optional_parameters_are_as_if_absent(self):
        response = self.post(
            data=self.valid(
                address_string="",
                address_id="",
                email="",
                phone="",
                first_name="",
                media_url="",
                jurisdiction_id="",
                device_id="",
            )
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertIsNone(Case.objects.get().reporter)

    def test_a_multipart_post_with_media_stores_the_photo_as_an_attachment(self):
        response = self.post(data={**self.valid(), "media": png()})
        self.assertEqual(response.status_code, 201, response.content)
        attachment = Attachment.objects.get()
        self.assertEqual(attachment.case, Case.objects.get())
        self.assertEqual(attachment.content_type, "image/png")
        self.assertEqual(attachment.uploaded_by, self.dispatcher)

    def test_media_that_is_not_an_image_is_400_and_creates_nothing(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        before = self.snapshot()
        fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
        response = self.post(data={**self.valid(), "media": fake})
        self.assert_error(response, 400, mentions=["media", "x.jpg"])
        self.assertEqual(self.snapshot(), before)

    def test_a_media_url_is_kept_and_shown_with_the_request(self):
        url = "https://img.example.cn/a.jpg"
        number = self.json(self.post(data=self.valid(media_url=url)))[0]["service_request_id"]
        (shown,) = self.json(self.get(f"requests/{number}.json"))
        self.assertEqual(shown["media_url"], url)

    def test_jurisdiction_in_the_body_is_checked(self):
        self.assertEqual(self.post(data=self.valid(jurisdiction_id="gridgov")).status_code, 201)
        before = self.snapshot()
        self.assert_error(self.post(data=self.valid(jurisdiction_id="x.gov")), 404)
        self.assertEqual(self.snapshot(), before)


class BadInputTests(Open311TestCase):
    def assert_refused(self, data, status=400, mentions=(), **kwargs):
        before = self.snapshot()
        response = self.post(data=data, **kwargs)
        descriptions = self.assert_error(response, status, mentions=mentions)
        self.assertEqual(self.snapshot(), before)
        return descriptions

    def test_a_missing_service_code_is_400(self):
        self.assert_refused(self.valid(service_code=None), mentions=["service_code"])
        self.assert_refused(self.valid(service_code=""), mentions=["service_code"])

    def test_an_unknown_service_code_is_404_as_the_spec_says(self):
        self.assert_refused(self.valid(service_code="ZZZ"), 404, mentions=["ZZZ"])
        self.assert_refused(self.valid(service_code="E05"), 404, mentions=["E05"])

    def test_no_location_is_400(self):
        self.assert_refused(self.valid(lat=None, long=None), mentions=["lat", "address_string"])

    def test_lat_without_long_is_400(self):
        self.assert_refused(self.valid(long=None), mentions=["lat 和 long"])

    def test_a_client_asking_for_english_gets_english_errors(self):
        self.assert_refused(
            self.valid(long=None),
            mentions=["lat and long"],
            headers={"Accept-Language": "en-US,en;q=0.9"},
        )

    def test_a_coordinate_that_is_not_a_number_is_400(self):
        self.assert_refused(self.valid(lat="north"), mentions=["lat"])
        self.assert_refused(self.valid(long="nan"), mentions=["long"])

    def test_a_point_outside_the_service_area_is_400_naming_long(self):
        self.assert_refused(self.valid(lat=39.9, long=116.4), mentions=["long:"])

    def test_an_unknown_area_code_is_400_naming_address_id(self):
        self.assert_refused(
            self.valid(lat=None, long=None, address_id="1"), mentions=["address_id"]
        )

    def test_an_unplaceable_address_is_400_naming_address_string(self):
        self.assert_refused(
            self.valid(lat=None, long=None, address_string="火星基地"), mentions=["address_string"]
        )

    def test_an_overlong_description_is_400(self):
        self.assert_refused(self.valid(description="长" * 4001), mentions=["description"])

    def test_a_bad_phone_email_or_media_url_is_named(self):
        descriptions = self.assert_refused(
            self.valid(email="not-an-email", media_url="ftp://x/y.jpg")
        )
        self.assertEqual(len(descriptions), 2)
        self.assert_refused(self.valid(phone="call me"), mentions=["phone"])

    def test_a_json_body_is_400_naming_the_form_encodings(self):
        before = self.snapshot()
        response = self.client.post(
            "/open311/v2/requests.json",
            {"api_key": self.key, **self.valid()},
            content_type="application/json",
        )
        self.assert_error(response, 400, mentions=["application/x-www-form-urlencoded"])
        self.assertEqual(self.snapshot(), before)

    def test_an_oversize_body_is_400_in_the_spec_format(self):
        with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
            self.assert_refused(self.valid(description="长" * 300))

    def test_an_intake_failure_half_way_leaves_nothing(self):
        before = self.snapshot()
        with (
            mock.patch.object(RequestAttributes.objects, "create", side_effect=RuntimeError),
            self.assertRaises(RuntimeError),
        ):
            self.post(data=self.valid())
        self.assertEqual(self.snapshot(), before)


class AttributeTests(Open311TestCase):
    def burst(self, **changes):
        return self.valid(service_code="E0502", description="路口水管爆了，水漫到马路上", **changes)

    def test_attribute_answers_are_stored_with_the_case(self):
        data = self.burst(**{"attribute[supply_affected]": "yes", "attribute[households]": "40"})
        response = self.post(data=data)
        self.assertEqual(response.status_code, 201, response.content)
        extra = RequestAttributes.objects.get()
        self.assertEqual(extra.case, Case.objects.get())
        self.assertEqual(extra.values, {"supply_affected": "yes", "households": 40})

    def test_the_case_page_shows_the_answers_with_their_questions(self):
        data = self.burst(**{"attribute[supply_affected]": "yes", "attribute[households]": "40"})
        self.post(data=data)
        self.client.force_login(self.dispatcher)
        page = self.client.get(reverse("cases:detail", args=[Case.objects.get().number]))
        self.assertContains(
            page, "<dt>是否影响供水</dt><dd>是，已停水或水压明显下降</dd>", html=True
        )
        self.assertContains(page, "<dd>40</dd>", html=True)

    def test_a_required_attribute_missing_is_400_and_nothing_is_created(self):
        before = self.snapshot()
        response = self.post(data=self.burst())
        self.assert_error(response, 400, mentions=["attribute[supply_affected]", "是否影响供水"])
        self.assertEqual(self.snapshot(), before)

    def test_an_empty_required_attribute_counts_as_missing(self):
        response = self.post(data=self.burst(**{"attribute[supply_affected]": ""}))
        self.assert_error(response, 400, mentions=["attribute[supply_affected]"])

    def test_a_singlevaluelist_value_must_be_one_of_its_keys(self):
        before = self.snapshot()
        response = self.post(data=self.burst(**{"attribute[supply_affected]": "maybe"}))
        self.assert_error(response, 400, mentions=["maybe", "yes, no, unknown"])
        self.assertEqual(self.snapshot(), before)

    def test_a_singlevaluelist_takes_one_value(self):
        data = self.burst(**{"attribute[supply_affected][]": ["yes", "no"]})
        self.assert_error(self.post(data=data), 400, mentions=["attribute[supply_affected]"])

    def test_a_multivaluelist_takes_several_values_with_the_bracket_form(self):
        data = self.valid(
            service_code="C0104",
            **{"attribute[faults][]": ["dark", "leaning", "dark"], "attribute[pole_number]": "A7"},
        )
        response = self.post(data=data)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(
            RequestAttributes.objects.get().values,
            {"faults": ["dark", "leaning"], "pole_number": "A7"},
        )

    def test_a_multivaluelist_refuses_a_value_outside_its_keys(self):
        data = self.valid(service_code="C0104", **{"attribute[faults][]": ["dark", "smoke"]})
        self.assert_error(self.post(data=data), 400, mentions=["smoke"])
        self.assertFalse(Case.objects.exists())

    def test_a_number_attribute_must_be_a_number(self):
        data = self.burst(**{"attribute[supply_affected]": "no", "attribute[households]": "many"})
        self.assert_error(self.post(data=data), 400, mentions=["attribute[households]", "many"])

    def test_an_attribute_the_service_does_not_define_is_400(self):
        data = self.burst(**{"attribute[supply_affected]": "no", "attribute[colour]": "red"})
        self.assert_error(self.post(data=data), 400, mentions=["attribute[colour]", "E0502"])

    def test_a_malformed_attribute_key_is_400(self):
        data = self.burst(**{"attribute[supply_affected]": "no", "attribute[a][b]": "x"})
        self.assert_error(self.post(data=data), 400, mentions=["attribute[a][b]"])

    def test_every_attribute_problem_is_named_at_once(self):
        data = self.burst(**{"attribute[households]": "many", "attribute[colour]": "red"})
        descriptions = self.assert_error(self.post(data=data), 400)
        self.assertEqual(len(descriptions), 3)


class IdempotencyTests(Open311TestCase):
    def test_a_retried_post_with_the_same_key_returns_the_first_case(self):
        headers = {"Idempotency-Key": "retry-1"}
        first = self.post(data=self.valid(), headers=headers)
        second = self.post(data=self.valid(), headers=headers)
        self.assertEqual((first.status_code, second.status_code), (201, 200))
        self.assertEqual(self.json(first), self.json(second))
        self.assertEqual(Case.objects.count(), 1)
        self.assertEqual(RequestAttributes.objects.count(), 1)

    def test_the_same_key_from_another_user_is_another_case(self):
        headers = {"Idempotency-Key": "retry-1"}
        mine = self.json(self.post(data=self.valid(), headers=headers))
        theirs = self.json(self.post(data=self.valid(), headers=headers, key=self.resident_key))
        self.assertNotEqual(mine[0]["service_request_id"], theirs[0]["service_request_id"])
        self.assertEqual(Case.objects.count(), 2)

    def test_without_a_key_each_post_is_a_new_case(self):
        self.post(data=self.valid())
        self.post(data=self.valid())
        self.assertEqual(Case.objects.count(), 2)

    def test_an_overlong_key_is_400(self):
        response = self.post(data=self.valid(), headers={"Idempotency-Key": "k" * 201})
        self.assert_error(response, 400, mentions=["Idempotency-Key"])
        self.assertFalse(Case.objects.exists())
