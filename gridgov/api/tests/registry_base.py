"""The API's cast (tokens, a JSON client) with the registry's (buildings, rooms, tags)."""

import json

from gridgov.api.tests.base import ApiTestCase
from gridgov.registry.tests.base import RegistryTestCase


class RegistryApiTestCase(ApiTestCase, RegistryTestCase):
    """MRO: ApiTestCase → CaseTestCase → RegistryTestCase → CastTestCase, so that the one
    setUpTestData chain builds the cast, the cases' extras, the registry and the tokens."""

    def patch(self, url, body=None, user=None):
        return self.client.patch(
            url, json.dumps(body or {}), content_type="application/json", **self.auth(user)
        )

    def put(self, url, body=None, user=None):
        return self.client.put(
            url, json.dumps(body or {}), content_type="application/json", **self.auth(user)
        )
