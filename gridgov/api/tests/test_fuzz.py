"""Schema-driven fuzzing (schemathesis): whatever a client sends, valid for the schema or
not, no operation answers a server error.

Each operation is called with the dispatcher's token and real path parameters (a case, a
region, a photo in the dispatcher's scope) so that generated bodies and queries reach the
services, in positive and negative modes. GRIDGOV_FUZZ_EXAMPLES sets the examples per run
(default 10; raise it to search harder).
"""

import os
from contextlib import contextmanager

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from gridgov.api.tests.base import ApiTestCase, api_url, png
from gridgov.wsgi import application

EXAMPLES = int(os.environ.get("GRIDGOV_FUZZ_EXAMPLES", "10"))


@contextmanager
def connection_kept_open():
    """Django's WSGI handler closes "old" connections when a request starts and ends, which
    would close the test's transaction (on PostgreSQL); its test client unhooks them around
    each request too, and hooks them back after, so this must wrap the WSGI calls alone."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


class SchemaFuzzTests(ApiTestCase):
    def real_path_parameters(self) -> dict:
        response = self.post_multipart(
            api_url("case-list"),
            {"title": "t", "description": "d", "region": self.grid.code, "photos": [png()]},
            self.dispatcher,
        )
        body = response.json()
        return {
            "number": body["number"],
            "code": self.grid.code,
            "id": body["attachments"][0]["id"],
        }

    def test_no_request_gets_a_server_error(self):
        real = self.real_path_parameters()
        with connection_kept_open():
            failures, operations = self.fuzz(real)
        self.assertGreaterEqual(operations, 30)
        self.assertEqual(failures, [], "\n\n".join(failures))

    def fuzz(self, real: dict) -> tuple[list[str], int]:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
        headers = {"Authorization": f"Bearer {self.raw_tokens[self.dispatcher.pk]}"}
        failures, operations = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            fixed = {name: value for name, value in real.items() if f"{{{name}}}" in operation.path}
            # Random path parameters would find nothing but 404s: the paths' converters
            # refuse anything unlike a number or a code before a view runs.
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                path_parameters = fixed or None
                strategy = operation.as_strategy(
                    generation_mode=mode, path_parameters=path_parameters, headers=headers
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
                    pass  # negative mode with nothing left to break (all of it fixed)
                except Exception as exc:  # collect them all: one report for every operation
                    failures.append(f"{operation.label} [{mode}]: {exc}")
        return failures, operations
