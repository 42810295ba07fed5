"""Schema-driven fuzzing of the registry's operations (as test_fuzz.py for the whole API),
with a token that may write and real ids in its scope, so that generated bodies and queries
reach the services: whatever a client sends, no server error."""

from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, openapi
from schemathesis.checks import not_a_server_error

from gridgov.api.tests.registry_base import RegistryApiTestCase
from gridgov.api.tests.test_fuzz import EXAMPLES, connection_kept_open
from gridgov.registry.models import Dwelling, Organisation
from gridgov.wsgi import application


class RegistryFuzzTests(RegistryApiTestCase):
    def test_no_registry_request_gets_a_server_error(self):
        person = self.add_person()
        Dwelling.objects.create(room=self.room, use="owner_occupied")
        organisation = Organisation.objects.create(name="店", kind="shop", building=self.building)
        ids = {
            "rooms": self.room.pk,
            "households": person.household_id,
            "persons": person.pk,
            "organisations": organisation.pk,
        }
        with connection_kept_open():
            failures, operations = self.fuzz(ids)
        self.assertGreaterEqual(operations, 20)
        self.assertGreaterEqual(self.with_real_ids, 15)
        self.assertEqual(failures, [], "\n\n".join(failures))

    def fuzz(self, ids: dict) -> tuple[list[str], int]:
        schema = openapi.from_wsgi("/api/v1/openapi.json", application)
        headers = {"Authorization": f"Bearer {self.raw_tokens[self.community_staff.pk]}"}
        failures, operations = [], 0
        self.with_real_ids = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith("/api/v1/registry/"):
                continue
            operations += 1
            resource = operation.path.split("/")[4]
            fixed = {"id": ids[resource]} if "{id}" in operation.path else None
            self.with_real_ids += fixed is not None
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
