"""Emergency mode in the OpenAPI document: every endpoint listed with its answers, the
document valid and generated without a warning, no answer with a personal number in
clear, and schema-driven fuzzing (as gridgov/api/tests/test_fuzz.py): whatever a client
sends, no server error."""

import io

from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, openapi
from schemathesis.checks import not_a_server_error

from gridgov.api.tests.base import api_url
from gridgov.api.tests.test_fuzz import EXAMPLES, connection_kept_open
from gridgov.emergency import services
from gridgov.emergency.models import Certification, EmergencyArea, MeasureTask
from gridgov.emergency.tests.base import WUHAN_JIANGHAN
from gridgov.emergency.tests.test_api import SIX, EmergencyApiTestCase
from gridgov.wsgi import application

PATHS = {
    "risk-areas": {"get", "post"},
    "risk-areas/{id}": {"get"},
    "risk-areas/{id}/level": {"post"},
    "areas": {"get", "post"},
    "areas/{id}/close": {"post"},
    "policies": {"get"},
    "policies/{number}": {"get"},
    "arrivals": {"get", "post"},
    "arrivals/{id}": {"get"},
    "arrivals/{id}/reveal": {"post"},
    "tasks": {"get"},
    "tasks/{id}/done": {"post"},
    "figures": {"get", "post"},
    "figures/children": {"get"},
    "certifications": {"get", "post"},
    "certifications/{id}": {"get"},
    "certifications/{id}/decision": {"post"},
    "certifications/{id}/revoke": {"post"},
}


class EmergencySchemaTests(EmergencyApiTestCase):
    def test_every_endpoint_is_documented_with_its_answers(self):
        paths = self.client.get(api_url("schema")).json()["paths"]
        documented = {
            path.removeprefix("/api/v1/emergency/"): set(operations) & {"get", "post"}
            for path, operations in paths.items()
            if path.startswith("/api/v1/emergency/")
        }
        self.assertEqual(documented, PATHS)
        for path, methods in PATHS.items():
            for method in methods:
                operation = paths[f"/api/v1/emergency/{path}"][method]
                with self.subTest(path=path, method=method):
                    self.assertTrue(operation["summary"])
                    self.assertEqual(operation["tags"], ["emergency"])
                    codes = set(operation["responses"])
                    self.assertTrue(codes & {"200", "201"})
                    self.assertIn("401", codes)
                    if method == "post":
                        self.assertIn("400", codes)

    def test_the_public_reads_say_so_and_the_batch_bodies_are_lists(self):
        paths = self.client.get(api_url("schema")).json()["paths"]
        for path in ("risk-areas", "risk-areas/{id}"):
            self.assertIn({}, paths[f"/api/v1/emergency/{path}"]["get"]["security"])
        self.assertNotIn({}, paths["/api/v1/emergency/risk-areas"]["post"]["security"])
        figures = paths["/api/v1/emergency/figures"]["post"]["requestBody"]["content"]
        self.assertEqual(figures["application/json"]["schema"]["type"], "array")

    def test_no_answer_carries_a_personal_number_in_clear(self):
        components = self.client.get(api_url("schema")).json()["components"]["schemas"]
        for name in ("Arrival", "ArrivalDetail", "Task", "ArrivalBatch"):
            with self.subTest(name=name):
                fields = set(components[name].get("properties", {}))
                self.assertEqual(fields & {"name", "document_number", "phone"}, set())
        self.assertIn("document_number", components["ArrivalInputRequest"]["properties"])

    def test_the_document_validates_without_a_warning(self):
        # --fail-on-warn: a warning (a clash of component or enum names) is a failure.
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())


class EmergencyFuzzTests(EmergencyApiTestCase):
    def real_ids(self) -> dict:
        area = services.set_risk_area(
            self.admin,
            services.RiskAreaInput("high", self.days_ago(5), "x", division_code=WUHAN_JIANGHAN),
        )
        switch = EmergencyArea.objects.create(
            region=self.community, reason="x", opened_by=self.leader
        )
        arrival = self.arrival()
        certification = services.apply_for_certification(
            self.community_staff, self.community, {k: (v, None) for k, v in SIX.items()}
        )
        return {
            "risk-areas": area.pk,
            "areas": switch.pk,
            "arrivals": arrival.pk,
            "tasks": MeasureTask.objects.filter(measure__arrival=arrival).first().pk,
            "certifications": certification.pk,
            "policies": self.policy_version.number,
        }

    def test_no_emergency_request_gets_a_server_error(self):
        ids = self.real_ids()
        with connection_kept_open():
            failures, operations = self.fuzz(ids)
        self.assertEqual(operations, sum(len(methods) for methods in PATHS.values()))
        self.assertEqual(failures, [], "\n\n".join(failures))
        self.assertTrue(Certification.objects.exists())

    def fuzz(self, ids: dict) -> tuple[list[str], int]:
        schema = openapi.from_wsgi("/api/v1/openapi.json", application)
        # The leader of the district: every write reaches its command.
        headers = {"Authorization": f"Bearer {self.raw_tokens[self.leader.pk]}"}
        failures, operations = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith("/api/v1/emergency/"):
                continue
            operations += 1
            resource = operation.path.split("/")[4]
            fixed = None
            if "{id}" in operation.path:
                fixed = {"id": ids[resource]}
            elif "{number}" in operation.path:
                fixed = {"number": ids[resource]}
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(
                    generation_mode=mode, path_parameters=fixed, headers=headers
                )

                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def run(case):
                    case.call_and_validate(headers=headers, checks=[not_a_server_error])

                try:
                    run()
                except Unsatisfiable:
                    pass
                except Exception as exc:  # one report for every operation
                    failures.append(f"{operation.label} [{mode}]: {exc}")
        return failures, operations
