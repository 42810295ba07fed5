"""The OpenAPI schema and the interactive docs, served by gridgov itself."""

import re

from gridgov.api.tests.base import ApiTestCase, api_url
from gridgov.cases.forms import ACTION_FORMS

METHODS = {"get", "post", "put", "patch", "delete"}


class SchemaTests(ApiTestCase):
    def schema(self):
        response = self.client.get(api_url("schema"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("json", response["Content-Type"])
        return response.json()

    def test_the_schema_is_openapi_3_and_needs_no_sign_in(self):
        schema = self.schema()
        self.assertTrue(schema["openapi"].startswith("3."))
        schemes = schema["components"]["securitySchemes"]
        self.assertEqual(schemes["bearerAuth"], {**schemes["bearerAuth"], "scheme": "bearer"})
        self.assertIn("cookieAuth", schemes)

    def test_every_endpoint_is_documented_with_its_answers(self):
        paths = self.schema()["paths"]
        for name in (
            "cases",
            "cases/{number}",
            "regions",
            "regions/{code}",
            "metrics",
            "categories",
            "departments",
            "regions/{code}/boundary.geojson",
        ):
            self.assertIn(f"/api/v1/{name}", paths)
        for action in ACTION_FORMS:
            self.assertIn(f"/api/v1/cases/{{number}}/actions/{action}", paths)
        for path, operations in paths.items():
            for method, operation in operations.items():
                if method not in METHODS:
                    continue
                with self.subTest(path=path, method=method):
                    self.assertTrue(operation.get("summary"))
                    codes = set(operation["responses"])
                    self.assertTrue(codes & {"200", "201"})
                    if path not in ("/api/v1/categories",):
                        self.assertIn("401", codes)

    def test_each_action_documents_its_own_fields(self):
        paths = self.schema()["paths"]
        dispatch = paths["/api/v1/cases/{number}/actions/dispatch"]["post"]
        body = dispatch["requestBody"]["content"]
        self.assertEqual(set(body), {"application/json", "multipart/form-data"})
        self.assertIn("`departments` (list of codes, optional)", dispatch["description"])
        reply = paths["/api/v1/cases/{number}/actions/reply"]["post"]["requestBody"]["content"]
        self.assertIn("Multipart", reply["multipart/form-data"]["schema"]["$ref"])

    def test_the_docs_page_loads_swagger_ui_from_gridgov_not_a_cdn(self):
        response = self.client.get(api_url("docs"))
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        self.assertTrue(sources)
        for source in sources:
            self.assertFalse(source.startswith(("http:", "https:", "//")), source)
        bundle = next(s for s in sources if "swagger-ui-bundle" in s)
        self.assertIn("drf_spectacular_sidecar", bundle)
        self.assertEqual(self.client.get(bundle).status_code, 200)
        # The page's own script is a file of the site too (no inline script under the CSP).
        script = next(s for s in sources if s.startswith(api_url("docs")))
        self.assertIn(api_url("schema"), self.client.get(script).content.decode())

    def test_the_intake_receipt_schema_matches_its_serializer(self):
        from gridgov.api.case_views import RECEIPT_SCHEMA
        from gridgov.api.serializers import CaseReceiptSerializer

        self.assertEqual(set(RECEIPT_SCHEMA["properties"]), set(CaseReceiptSerializer().fields))
