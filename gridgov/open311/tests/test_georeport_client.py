"""A third-party client reads our answers: `georeport` from PyPI, over real HTTP.

georeport 0.3.1 wraps the reads (services, a service definition, requests, a request) and
parses XML with xmltodict or JSON with requests; it has no call that posts, so the POST
goes through `requests`, the library it is built on, as any client would send it.
The live server needs committed data, hence a TransactionTestCase; serialized_rollback
brings back the category catalogue and the demo attributes the migrations loaded.
"""

import os
from datetime import timedelta
from unittest import mock

import requests
from django.test import LiveServerTestCase, override_settings
from django.utils import timezone
from georeport import GeoReport

from gridgov.accounts.models import ApiToken
from gridgov.accounts.tests.base import build_cast
from gridgov.cases.models import Case
from gridgov.cases.tests.base import build_case_cast
from gridgov.open311.models import RequestAttributes
from gridgov.open311.tests.base import GRID_WGS


def as_list(parsed):
    """xmltodict gives one repeated element as a dict and several as a list."""
    return parsed if isinstance(parsed, list) else [parsed]


@override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    GRIDGOV_OPEN311_JURISDICTION="gridgov",
)
class GeoReportClientTests(LiveServerTestCase):
    serialized_rollback = True

    def setUp(self):
        build_cast(self)
        build_case_cast(self)
        _token, self.key = ApiToken.issue(self.dispatcher, "georeport client")
        # The loopback server must be reached directly even where a proxy is configured.
        self.enterContext(
            mock.patch.dict(os.environ, {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "*"})
        )
        self.root = self.live_server_url + "/open311/v2"

    def client_for(self, fmt):
        return GeoReport(
            root_address=self.root, jurisdiction="gridgov", api_key=self.key, output_format=fmt
        )

    def post(self, client, fmt, **fields):
        data = {
            "api_key": client.api_key,
            "jurisdiction_id": client.jurisdiction,
            "service_code": "E0502",
            "lat": GRID_WGS[1],
            "long": GRID_WGS[0],
            "description": "路口水管爆了，水漫到马路上",
            "attribute[supply_affected]": "yes",
            **fields,
        }
        response = requests.post(f"{self.root}/requests.{fmt}", data=data, timeout=30)
        self.assertEqual(response.status_code, 201, response.text)
        return response

    def test_the_json_client_reads_services_and_follows_a_request_it_posted(self):
        client = self.client_for("json")
        services = {s["service_code"]: s for s in client.get_service_list()}
        self.assertIs(services["E0502"]["metadata"], True)
        self.assertEqual(services["E0502"]["service_name"], "自来水管破裂")

        definition = client.get_service_definition("E0502")
        codes = [a["code"] for a in definition["attributes"]]
        self.assertEqual(codes, ["supply_affected", "households"])

        posted = self.post(client, "json", **{"attribute[households]": "30"}).json()
        number = posted[0]["service_request_id"]
        self.assertEqual(
            RequestAttributes.objects.get(case__number=number).values["households"], 30
        )

        listed = client.get_service_requests(service_code="E0502", status="open")
        self.assertEqual([r["service_request_id"] for r in listed], [number])
        now = timezone.now()
        window = client.get_service_requests(
            start_date=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            end_date=(now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        self.assertEqual([r["service_request_id"] for r in window], [number])

        one = client.get_service_request(number)
        self.assertEqual(one["status"], "open")
        self.assertEqual(one["service_code"], "E0502")
        self.assertAlmostEqual(one["lat"], GRID_WGS[1], places=6)
        self.assertAlmostEqual(one["long"], GRID_WGS[0], places=6)
        self.assertEqual(Case.objects.get(number=number).channel, "api")

    def test_the_xml_client_parses_the_same_answers(self):
        client = self.client_for("xml")
        services = {s["service_code"]: s for s in client.get_service_list()}
        self.assertEqual(services["E0502"]["metadata"], "true")
        self.assertEqual(services["E0502"]["type"], "realtime")

        definition = client.get_service_definition("E0502")
        attributes = as_list(definition["attributes"]["attribute"])
        self.assertEqual(attributes[0]["code"], "supply_affected")
        keys = [v["key"] for v in as_list(attributes[0]["values"]["value"])]
        self.assertEqual(keys, ["yes", "no", "unknown"])

        first = self.post(client, "xml")
        self.assertIn("<service_request_id>", first.text)
        self.post(client, "xml", **{"attribute[supply_affected]": "no"})
        numbers = list(
            Case.objects.order_by("-received_at", "-pk").values_list("number", flat=True)
        )

        listed = as_list(client.get_service_requests(status="open,closed"))
        self.assertEqual([r["service_request_id"] for r in listed], numbers)
        one = client.get_service_request(numbers[0])
        self.assertEqual(one["service_request_id"], numbers[0])
        self.assertEqual(one["status"], "open")
        self.assertIsNone(one["zipcode"])
        self.assertTrue(one["requested_datetime"].endswith("+08:00"))

    def test_errors_reach_the_client_as_http_errors_with_the_spec_body(self):
        client = self.client_for("json")
        with self.assertRaises(requests.HTTPError) as raised:
            client.get_service_definition("NOPE")
        self.assertEqual(raised.exception.response.status_code, 404)
        self.assertEqual(raised.exception.response.json()[0]["code"], 404)
        unauthorised = requests.post(
            f"{self.root}/requests.json", data={"service_code": "E0103"}, timeout=30
        )
        self.assertEqual(unauthorised.status_code, 403)
        self.assertEqual(unauthorised.json()[0]["code"], 403)
        elsewhere = GeoReport(root_address=self.root, jurisdiction="elsewhere.gov")
        with self.assertRaises(requests.HTTPError) as raised:
            elsewhere.get_service_list()
        self.assertEqual(raised.exception.response.status_code, 404)
