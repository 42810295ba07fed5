"""GET requests and GET a request: the mapping of a case, its filters, the 90-day window,
the row cap and paging — and never the reporter's personal data."""

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from gridgov.cases.models import Case
from gridgov.lib.datum import convert
from gridgov.open311.serialise import w3c
from gridgov.open311.tests.base import Open311TestCase, xml_records, xml_tree

FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


class MappingTests(Open311TestCase):
    def test_a_dispatched_case_in_json(self):
        case = self.dispatched()
        (item,) = self.json(self.get("requests.json"))
        self.assertEqual(set(item), FIELDS)
        wgs_lng, wgs_lat = convert(120.105, 30.205, "gcj02", "wgs84")
        case.refresh_from_db()
        self.assertEqual(item["service_request_id"], case.number)
        self.assertEqual(item["status"], "open")
        self.assertEqual(item["status_notes"], "已派遣")
        self.assertEqual(item["service_code"], "E0103")
        self.assertEqual(item["service_name"], "积存垃圾渣土")
        self.assertEqual(item["description"], "小区门口垃圾两天没人清运。")
        self.assertEqual(item["agency_responsible"], "江北区城市管理和综合执法局")
        self.assertEqual(item["service_notice"], "结案标准：清运完毕")
        self.assertEqual(item["requested_datetime"], w3c(case.received_at))
        self.assertEqual(item["updated_datetime"], w3c(case.updated_at))
        self.assertEqual(item["expected_datetime"], w3c(case.due_at))
        self.assertTrue(item["requested_datetime"].endswith("+08:00"))
        self.assertEqual(item["address"], self.grid.name)  # no typed address: the grid's name
        self.assertEqual(item["address_id"], self.grid.code)
        self.assertIsNone(item["zipcode"])
        self.assertIsNone(item["media_url"])
        # Stored in GCJ-02 (the map's datum), published in WGS-84 as the spec requires.
        self.assertAlmostEqual(item["long"], wgs_lng, places=6)
        self.assertAlmostEqual(item["lat"], wgs_lat, places=6)
        self.assertGreater(abs(item["long"] - 120.105), 0.003)

    def test_a_wgs84_case_is_published_as_it_is(self):
        case = self.intake(datum="wgs84", lng=120.1, lat=30.207)
        (item,) = self.json(self.get(f"requests/{case.number}.json"))
        self.assertEqual((item["long"], item["lat"]), (120.1, 30.207))

    def test_a_case_without_a_point_has_no_coordinates(self):
        case = self.intake(lng=None, lat=None, datum=None, region=self.community.code)
        (item,) = self.json(self.get(f"requests/{case.number}.json"))
        self.assertIsNone(item["lat"])
        self.assertIsNone(item["long"])
        root = xml_tree(self.get(f"requests/{case.number}.xml"))
        self.assertEqual(root.find("request/lat").text, None)

    def test_the_same_case_in_xml(self):
        case = self.dispatched()
        response = self.get("requests.xml")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(xml_tree(response).tag, "service_requests")
        (item,) = xml_records(response, "request")
        self.assertEqual(set(item), FIELDS)
        self.assertEqual(item["service_request_id"], case.number)
        self.assertEqual(item["status"], "open")
        self.assertEqual(item["agency_responsible"], "江北区城市管理和综合执法局")
        self.assertIsNone(item["zipcode"])  # <zipcode/>
        wgs_lng, _lat = convert(120.105, 30.205, "gcj02", "wgs84")
        self.assertAlmostEqual(float(item["long"]), wgs_lng, places=6)

    def test_a_received_case_has_no_category_or_agency_yet(self):
        self.intake()
        (item,) = self.json(self.get("requests.json"))
        self.assertEqual(item["status_notes"], "已受理")
        self.assertIsNone(item["service_code"])
        self.assertIsNone(item["agency_responsible"])

    def test_a_closed_case_is_closed_with_its_result(self):
        case = self.closed()
        (item,) = self.json(self.get(f"requests/{case.number}.json"))
        self.assertEqual(item["status"], "closed")
        self.assertEqual(item["status_notes"], "已结案：已清运完毕")

    def test_a_rejected_case_is_closed_with_the_reason(self):
        case = self.intake()
        self.act(self.dispatcher, case, "reject", reason="属于物业管理范围，请联系物业")
        (item,) = self.json(self.get(f"requests/{case.number}.json"))
        self.assertEqual(item["status"], "closed")
        self.assertEqual(item["status_notes"], "不予立案：属于物业管理范围，请联系物业")

    def test_a_merged_case_is_closed_and_names_its_master(self):
        master = self.intake()
        duplicate = self.intake()
        self.act(self.dispatcher, duplicate, "merge", master=master.number)
        (item,) = self.json(self.get(f"requests/{duplicate.number}.json"))
        self.assertEqual(item["status"], "closed")
        self.assertIn(master.number, item["status_notes"])
        self.assertTrue(item["status_notes"].startswith("已合并"))

    def test_no_personal_data_is_published(self):
        case = self.intake(
            description="张三反映：楼下垃圾堆积，联系电话 138 1234 1234，身份证 330106199001011234",
            address="滨江社区3号楼",
        )
        self.act(self.dispatcher, case, "reject", reason="已电话联系张三（13812341234）")
        for resource in ("requests.json", "requests.xml", f"requests/{case.number}.json"):
            with self.subTest(resource=resource):
                text = self.get(resource).content.decode()
                for secret in ("张三", "13812341234", "138 1234 1234", "330106199001011234"):
                    self.assertNotIn(secret, text)
        (item,) = self.json(self.get(f"requests/{case.number}.json"))
        self.assertIn("张*反映", item["description"])
        self.assertIn("138****1234", item["description"])
        self.assertIn("330***********1234", item["description"])
        self.assertEqual(item["address"], "滨江社区3号楼")

    def test_reads_need_no_api_key(self):
        self.intake()
        self.client.logout()
        self.assertEqual(self.get("requests.json").status_code, 200)


class SingleRequestTests(Open311TestCase):
    def test_json_is_an_array_of_one(self):
        case = self.intake()
        body = self.json(self.get(f"requests/{case.number}.json"))
        self.assertIsInstance(body, list)
        self.assertEqual([item["service_request_id"] for item in body], [case.number])

    def test_xml_is_service_requests_with_one_request(self):
        case = self.intake()
        response = self.get(f"requests/{case.number}.xml")
        self.assertEqual(
            [r["service_request_id"] for r in xml_records(response, "request")], [case.number]
        )

    def test_an_old_case_is_found_by_its_id_whatever_its_age(self):
        case = self.intake(at=timezone.now() - timedelta(days=400))
        self.assertEqual(self.get(f"requests/{case.number}.json").status_code, 200)

    def test_an_unknown_request_is_404_in_either_format(self):
        self.assert_error(self.get("requests/20260101-999999.json"), 404, mentions=["999999"])
        self.assert_error(self.get("requests/20260101-999999.xml"), 404, fmt="xml")


class FilterTests(Open311TestCase):
    def setUp(self):
        super().setUp()
        now = timezone.now()
        self.now = now
        self.recent = self.intake(at=now - timedelta(days=10), category="E0103")
        self.older = self.intake(at=now - timedelta(days=40), category="E0502")
        self.ancient = self.intake(at=now - timedelta(days=100), category="E0103")

    def ids(self, params=None, fmt="json") -> list[str]:
        response = self.get(f"requests.{fmt}", params)
        self.assertEqual(response.status_code, 200, response.content)
        if fmt == "xml":
            return [r["service_request_id"] for r in xml_records(response, "request")]
        return [item["service_request_id"] for item in self.json(response)]

    def date(self, days_ago: float) -> str:
        return (self.now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def test_by_default_the_latest_90_days_newest_first(self):
        self.assertEqual(self.ids(), [self.recent.number, self.older.number])
        self.assertEqual(self.ids(fmt="xml"), [self.recent.number, self.older.number])

    def test_empty_parameters_behave_like_absent_ones(self):
        empty = {
            name: ""
            for name in (
                "service_request_id",
                "service_code",
                "start_date",
                "end_date",
                "status",
                "page",
                "page_size",
                "jurisdiction_id",
            )
        }
        self.assertEqual(self.ids(empty), self.ids())

    def test_service_request_id_takes_several_and_overrides_the_rest(self):
        params = {
            "service_request_id": f"{self.ancient.number}, {self.recent.number},nope",
            "status": "closed",
            "service_code": "E0502",
        }
        self.assertEqual(self.ids(params), [self.recent.number, self.ancient.number])

    def test_service_code_takes_several(self):
        self.assertEqual(self.ids({"service_code": "E0502"}), [self.older.number])
        self.assertEqual(
            self.ids({"service_code": "E0502,E0103"}), [self.recent.number, self.older.number]
        )
        self.assertEqual(self.ids({"service_code": "ZZZ"}), [])

    def test_status_open_closed_or_both(self):
        self.act(self.dispatcher, self.older, "reject", reason="重复")
        self.assertEqual(self.ids({"status": "open"}), [self.recent.number])
        self.assertEqual(self.ids({"status": "closed"}), [self.older.number])
        self.assertEqual(self.ids({"status": "open,closed"}), self.ids())

    def test_an_unknown_status_is_400(self):
        self.assert_error(
            self.get("requests.json", {"status": "pending"}), 400, mentions=["pending"]
        )

    def test_start_and_end_date_select_by_requested_datetime(self):
        params = {"start_date": self.date(50), "end_date": self.date(20)}
        self.assertEqual(self.ids(params), [self.older.number])
        offset = {
            "start_date": "2000-01-01T00:00:00+08:00",
            "end_date": "2000-02-01T00:00:00+08:00",
        }
        self.assertEqual(self.ids(offset), [])

    def test_a_start_date_alone_reaches_90_days_forward(self):
        self.assertEqual(
            self.ids({"start_date": self.date(120)}), [self.older.number, self.ancient.number]
        )

    def test_an_end_date_alone_reaches_90_days_back(self):
        self.assertEqual(
            self.ids({"end_date": self.date(30)}), [self.older.number, self.ancient.number]
        )

    def test_a_bare_end_date_includes_that_whole_day(self):
        day = timezone.localtime(self.recent.received_at).date().isoformat()
        self.assertEqual(self.ids({"start_date": day, "end_date": day}), [self.recent.number])

    def test_a_span_over_90_days_is_400(self):
        params = {"start_date": self.date(120), "end_date": self.date(5)}
        self.assert_error(self.get("requests.json", params), 400, mentions=["90"])

    def test_an_end_before_the_start_is_400(self):
        params = {"start_date": self.date(5), "end_date": self.date(20)}
        self.assert_error(self.get("requests.json", params), 400, mentions=["end_date"])

    def test_a_date_that_is_not_w3c_is_400_in_either_format(self):
        self.assert_error(
            self.get("requests.json", {"start_date": "last week"}), 400, mentions=["start_date"]
        )
        self.assert_error(
            self.get("requests.xml", {"end_date": "2026-13-45"}),
            400,
            fmt="xml",
            mentions=["end_date"],
        )

    @override_settings(GRIDGOV_OPEN311_WINDOW_DAYS=20)
    def test_the_window_is_configurable(self):
        self.assertEqual(self.ids(), [self.recent.number])


@override_settings(GRIDGOV_OPEN311_MAX_REQUESTS=2)
class VolumeTests(Open311TestCase):
    def setUp(self):
        super().setUp()
        now = timezone.now()
        self.cases = [self.intake(at=now - timedelta(hours=hours)) for hours in (1, 2, 3, 4, 5)]
        self.numbers = [case.number for case in self.cases]

    def ids(self, params=None):
        return [item["service_request_id"] for item in self.json(self.get("requests.json", params))]

    def test_at_most_the_cap_is_returned_newest_first_with_a_link_to_more(self):
        response = self.get("requests.json")
        self.assertEqual([i["service_request_id"] for i in self.json(response)], self.numbers[:2])
        self.assertIn("page=2", response["Link"])
        self.assertIn('rel="next"', response["Link"])

    def test_pages_walk_through_the_rest(self):
        self.assertEqual(self.ids({"page": 2}), self.numbers[2:4])
        self.assertEqual(self.ids({"page": 3}), self.numbers[4:])
        self.assertFalse(self.get("requests.json", {"page": 3}).has_header("Link"))
        self.assertEqual(self.ids({"page": 4}), [])

    def test_page_size_is_honoured_up_to_the_cap(self):
        self.assertEqual(self.ids({"page_size": 1, "page": 3}), [self.numbers[2]])
        self.assertEqual(self.ids({"page_size": 500}), self.numbers[:2])

    def test_paging_applies_to_service_request_id_too(self):
        params = {"service_request_id": ",".join(self.numbers[:2]), "page_size": 1}
        self.assertEqual(self.ids(params), self.numbers[:1])

    def test_too_many_ids_are_400(self):
        params = {"service_request_id": ",".join(self.numbers[:3])}
        self.assert_error(self.get("requests.json", params), 400, mentions=["service_request_id"])

    def test_bad_paging_is_400(self):
        for params in (
            {"page": "0"},
            {"page": "x"},
            {"page": "9" * 30},
            {"page_size": "-1"},
            {"page_size": "1.5"},
        ):
            with self.subTest(params=params):
                self.assert_error(self.get("requests.json", params), 400)


class QueryCountTests(Open311TestCase):
    def test_the_list_costs_the_same_queries_for_one_case_or_many(self):
        self.dispatched()
        with self.assertNumQueries(3) as one:
            self.get("requests.json")
        for _ in range(4):
            self.dispatched()
        with self.assertNumQueries(len(one.captured_queries)):
            self.get("requests.json")
        self.assertEqual(Case.objects.count(), 5)


class NulCharacterTests(Open311TestCase):
    """PostgreSQL cannot compare text holding NUL: every parameter refuses it by name."""

    def test_a_nul_in_a_query_parameter_is_400_naming_it(self):
        for params, name in [
            ({"service_code": "E01\x00"}, "service_code"),
            ({"service_request_id": "2026\x00"}, "service_request_id"),
            ({"start_date": "2026\x00"}, "start_date"),
        ]:
            with self.subTest(name=name):
                response = self.get("requests.json", params)
                self.assert_error(response, 400, mentions=[name])

    def test_a_nul_in_the_path_is_400(self):
        for resource, name in [
            ("requests/2026%00.xml", "number"),
            ("services/E01%00.json", "code"),
        ]:
            with self.subTest(resource=resource):
                fmt = resource.rsplit(".", 1)[1]
                self.assert_error(self.get(resource), 400, fmt=fmt, mentions=[name])

    def test_a_nul_in_a_posted_field_is_400_and_creates_nothing(self):
        before = self.snapshot()
        response = self.post(data=self.valid(description="垃圾\x00"))
        self.assert_error(response, 400, mentions=["description"])
        self.assertEqual(self.snapshot(), before)
