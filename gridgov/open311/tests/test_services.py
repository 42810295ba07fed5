"""Discovery, the service list and service definitions; the frame every resource shares
(jurisdiction, methods, unknown resources, the error body)."""

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from gridgov.cases.models import Category
from gridgov.open311 import conf
from gridgov.open311.models import ServiceAttribute
from gridgov.open311.serialise import to_xml
from gridgov.open311.tests.base import ROOT, Open311TestCase, xml_records, xml_tree


class DiscoveryTests(Open311TestCase):
    def test_discovery_json_names_this_endpoint_and_both_formats(self):
        body = self.json(self.get("discovery.json"))
        self.assertEqual(set(body), {"changeset", "contact", "key_service", "endpoints"})
        (endpoint,) = body["endpoints"]
        self.assertEqual(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2")
        self.assertEqual(endpoint["url"], "http://testserver/open311/v2")
        self.assertEqual(endpoint["type"], "production")
        self.assertEqual(endpoint["formats"], ["text/xml", "application/json"])
        self.assertRegex(body["changeset"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")

    def test_discovery_xml_has_the_same_content(self):
        response = self.get("discovery.xml")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/xml; charset=utf-8")
        root = xml_tree(response)
        self.assertEqual(root.tag, "discovery")
        endpoint = root.find("endpoints/endpoint")
        self.assertEqual(endpoint.findtext("url"), "http://testserver/open311/v2")
        formats = [f.text for f in endpoint.findall("formats/format")]
        self.assertEqual(formats, ["text/xml", "application/json"])
        self.assertIn("api_key", root.findtext("key_service"))

    def test_the_changeset_moves_when_a_service_definition_changes(self):
        before = self.json(self.get("discovery.json"))["changeset"]
        ServiceAttribute.objects.filter(category__code="E0502").update(
            updated_at=timezone.now() + timedelta(days=3650)
        )
        after = self.json(self.get("discovery.json"))["changeset"]
        self.assertGreater(after, before)

    def test_the_root_leads_to_discovery(self):
        response = self.client.get(ROOT)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].endswith("/open311/v2/discovery.xml"))


class ServiceListTests(Open311TestCase):
    def test_json_lists_each_active_leaf_category_as_a_service(self):
        services = self.json(self.get("services.json"))
        by_code = {s["service_code"]: s for s in services}
        leaves = Category.objects.filter(is_active=True, children__isnull=True)
        self.assertEqual(set(by_code), set(leaves.values_list("code", flat=True)))
        burst = by_code["E0502"]
        self.assertEqual(burst["service_name"], "自来水管破裂")
        self.assertEqual(burst["description"], "供水管道破裂")
        self.assertIs(burst["metadata"], True)
        self.assertEqual(burst["type"], "realtime")
        self.assertEqual(burst["group"], Category.objects.get(code="E0502").parent.name)
        self.assertIn("水务", burst["keywords"])
        self.assertIs(by_code["E0103"]["metadata"], False)
        self.assertNotIn("E05", by_code)  # an inner node groups; it is not a service

    def test_xml_lists_the_same_services_with_true_and_false_metadata(self):
        response = self.get("services.xml")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(xml_tree(response).tag, "services")
        services = {s["service_code"]: s for s in xml_records(response, "service")}
        self.assertEqual(len(services), len(self.json(self.get("services.json"))))
        self.assertEqual(services["E0502"]["metadata"], "true")
        self.assertEqual(services["E0103"]["metadata"], "false")
        self.assertEqual(
            set(services["E0502"]),
            {
                "service_code",
                "service_name",
                "description",
                "metadata",
                "type",
                "keywords",
                "group",
            },
        )

    def test_an_inactive_category_is_not_offered(self):
        Category.objects.filter(code="E0103").update(is_active=False)
        codes = {s["service_code"] for s in self.json(self.get("services.json"))}
        self.assertNotIn("E0103", codes)
        self.assert_error(self.get("services/E0103.json"), 404, mentions=["E0103"])


class ServiceDefinitionTests(Open311TestCase):
    def test_json_definition_lists_attributes_in_order_with_their_values(self):
        body = self.json(self.get("services/E0502.json"))
        self.assertEqual(body["service_code"], "E0502")
        first, second = body["attributes"]
        self.assertEqual(
            first,
            {
                "variable": True,
                "code": "supply_affected",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "选择一项",
                "order": 1,
                "description": "是否影响供水",
                "values": [
                    {"key": "yes", "name": "是，已停水或水压明显下降"},
                    {"key": "no", "name": "否，供水正常"},
                    {"key": "unknown", "name": "不清楚"},
                ],
            },
        )
        self.assertEqual((second["code"], second["datatype"]), ("households", "number"))
        self.assertEqual(second["values"], [])

    def test_xml_definition_nests_attributes_and_values(self):
        response = self.get("services/C0104.xml")
        self.assertEqual(response.status_code, 200)
        root = xml_tree(response)
        self.assertEqual(root.tag, "service_definition")
        self.assertEqual(root.findtext("service_code"), "C0104")
        attributes = root.findall("attributes/attribute")
        self.assertEqual([a.findtext("code") for a in attributes], ["faults", "pole_number"])
        self.assertEqual(attributes[0].findtext("datatype"), "multivaluelist")
        self.assertEqual(attributes[0].findtext("required"), "false")
        self.assertEqual(attributes[0].findtext("variable"), "true")
        keys = [v.findtext("key") for v in attributes[0].findall("values/value")]
        self.assertEqual(keys, ["dark", "flicker", "leaning", "broken"])

    def test_a_service_without_attributes_has_an_empty_definition(self):
        body = self.json(self.get("services/E0103.json"))
        self.assertEqual(body, {"service_code": "E0103", "attributes": []})
        root = xml_tree(self.get("services/E0103.xml"))
        self.assertEqual(root.findall("attributes/attribute"), [])

    def test_an_unknown_or_inner_service_code_is_404_in_either_format(self):
        self.assert_error(self.get("services/NOPE.json"), 404, mentions=["NOPE"])
        self.assert_error(self.get("services/NOPE.xml"), 404, fmt="xml", mentions=["NOPE"])
        self.assert_error(self.get("services/E05.json"), 404, mentions=["E05"])


class ServiceAttributeModelTests(Open311TestCase):
    def attribute(self, **fields):
        defaults = {
            "category": self.litter,
            "code": "size",
            "datatype": "singlevaluelist",
            "description": "多大一堆",
            "values": [{"key": "s", "name": "小"}, {"key": "l", "name": "大"}],
        }
        return ServiceAttribute(**{**defaults, **fields})

    def test_a_well_formed_list_attribute_is_valid(self):
        self.attribute().full_clean()

    def test_badly_formed_attributes_are_refused(self):
        bad = [
            {"values": []},
            {"values": [{"key": "s"}]},
            {"values": [{"key": "s", "name": "小"}, {"key": "s", "name": "大"}]},
            {"values": "s,l"},
            {"datatype": "string"},  # a string takes no values
            {"code": "size[0]"},
            {"variable": False, "required": True},
        ]
        for fields in bad:
            with self.subTest(fields=fields), self.assertRaises(ValidationError):
                self.attribute(**fields).full_clean()

    def test_the_admin_registers_service_attributes(self):
        self.assertIn(ServiceAttribute, admin.site._registry)
        self.login(self.admin)
        response = self.client.get("/admin/open311/serviceattribute/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "supply_affected")


class FrameTests(Open311TestCase):
    """What every resource shares."""

    def test_jurisdiction_absent_empty_or_ours_is_accepted(self):
        for params in ({}, {"jurisdiction_id": ""}, {"jurisdiction_id": "gridgov"}):
            with self.subTest(params=params):
                self.assertEqual(self.get("services.json", params).status_code, 200)

    def test_an_unknown_jurisdiction_is_404_on_every_resource(self):
        params = {"jurisdiction_id": "elsewhere.gov"}
        for resource in (
            "discovery.json",
            "services.json",
            "services/E0502.json",
            "requests.json",
            "requests/20260101-000001.json",
            "tokens/abc.json",
        ):
            with self.subTest(resource=resource):
                self.assert_error(self.get(resource, params), 404, mentions=["elsewhere.gov"])
        self.assert_error(
            self.get("services.xml", params), 404, fmt="xml", mentions=["elsewhere.gov"]
        )

    @override_settings(GRIDGOV_OPEN311_JURISDICTION="jiangzhou.gov.cn")
    def test_the_jurisdiction_is_configurable(self):
        self.assertEqual(
            self.get("services.json", {"jurisdiction_id": "jiangzhou.gov.cn"}).status_code, 200
        )
        self.assert_error(self.get("services.json", {"jurisdiction_id": "gridgov"}), 404)

    def test_a_wrong_method_is_405_with_the_spec_error_body(self):
        for method, resource, fmt in (
            ("post", "services.json", "json"),
            ("put", "requests.json", "json"),
            ("delete", "requests/20260101-000001.xml", "xml"),
            ("patch", "discovery.xml", "xml"),
            ("post", "tokens/abc.json", "json"),
        ):
            with self.subTest(method=method, resource=resource):
                response = getattr(self.client, method)(ROOT + resource)
                self.assert_error(response, 405, fmt=fmt, mentions=[method.upper()])
                self.assertIn("GET", response["Allow"])
        self.assertEqual(self.client.put(ROOT + "requests.json")["Allow"], "GET, HEAD, POST")

    def test_the_defaults_follow_the_spec(self):
        self.assertEqual((conf.max_requests(), conf.window_days()), (1000, 90))

    def test_head_is_answered_like_get(self):
        self.assertEqual(self.client.head(ROOT + "services.json").status_code, 200)

    def test_an_unknown_resource_or_format_is_404_in_the_spec_format(self):
        self.assert_error(self.client.get(ROOT + "servics.json"), 404, mentions=["servics"])
        self.assert_error(self.client.get(ROOT + "services.csv"), 404, fmt="xml")

    def test_tokens_are_never_issued_so_none_is_found(self):
        self.assert_error(self.get("tokens/12345.json"), 404, mentions=["12345", "实时"])
        self.assert_error(self.get("tokens/12345.xml"), 404, fmt="xml", mentions=["12345"])

    def test_answers_may_be_read_by_browser_apps_on_other_sites(self):
        self.assertEqual(self.get("services.json")["Access-Control-Allow-Origin"], "*")

    def test_xml_drops_characters_xml_cannot_hold(self):
        text = to_xml("errors", [{"code": 400, "description": "bell\x07 and tab\t ok"}])
        self.assertIn("<description>bell and tab\t ok</description>", text)
