"""The case cast plus API tokens, and helpers to call /open311/v2/ and read its answers."""

import io
import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from gridgov.accounts.models import ApiToken
from gridgov.cases.models import Attachment, Case, CaseEvent, Reporter
from gridgov.cases.tests.base import CaseTestCase
from gridgov.lib.datum import convert
from gridgov.open311.models import RequestAttributes

ROOT = "/open311/v2/"

# The middle of the cast's first grid, whose boundary is drawn in GCJ-02, as a phone's GPS
# (WGS-84) would report it.
GRID_GCJ = (120.105, 30.205)
GRID_WGS = tuple(round(v, 7) for v in convert(*GRID_GCJ, "gcj02", "wgs84"))


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def xml_tree(response) -> ET.Element:
    return ET.fromstring(response.content)


def xml_records(response, item: str) -> list[dict]:
    """<root><item><a>…</a>…</item>…</root> as a list of {tag: text} (flat fields only)."""
    return [
        {child.tag: child.text for child in element if len(child) == 0}
        for element in xml_tree(response).findall(item)
    ]


@override_settings(GRIDGOV_OPEN311_JURISDICTION="gridgov")
class Open311TestCase(CaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        _token, cls.key = ApiToken.issue(cls.dispatcher, "open311 bridge")
        _token, cls.resident_key = ApiToken.issue(cls.resident, "resident app")

    def setUp(self):
        super().setUp()
        media = tempfile.mkdtemp(prefix="gridgov-test-open311-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        self.enterContext(override_settings(MEDIA_ROOT=media))

    # --- calling ---------------------------------------------------------------------

    def get(self, resource, params=None, **extra):
        return self.client.get(ROOT + resource, params or {}, **extra)

    def post(self, resource="requests.json", data=None, *, key=True, headers=None, query=""):
        """A form-encoded POST (multipart when data holds a file)."""
        data = dict(data or {})
        if key is True:
            data.setdefault("api_key", self.key)
        elif key:
            data.setdefault("api_key", key)
        has_file = any(hasattr(v, "read") for v in data.values())
        url = ROOT + resource + (f"?{query}" if query else "")
        if has_file:
            return self.client.post(url, data, headers=headers or {})
        return self.client.post(
            url,
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
            headers=headers or {},
        )

    def valid(self, **changes) -> dict:
        """A POST body that makes a case (litter, at a WGS-84 point in the first grid)."""
        data = {
            "service_code": "E0103",
            "lat": GRID_WGS[1],
            "long": GRID_WGS[0],
            "description": "小区门口垃圾两天没人清运。",
        }
        data.update(changes)
        return {name: value for name, value in data.items() if value is not None}

    # --- reading ---------------------------------------------------------------------

    def json(self, response):
        self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")
        return json.loads(response.content.decode("utf-8"))

    def assert_error(self, response, status, fmt="json", mentions=()) -> list[str]:
        """The spec's error body, in the right format, with the HTTP status as each code;
        returns the descriptions."""
        self.assertEqual(response.status_code, status, response.content.decode())
        if fmt == "json":
            body = self.json(response)
            self.assertIsInstance(body, list)
            self.assertTrue(body)
            self.assertTrue(all(set(item) == {"code", "description"} for item in body))
            self.assertTrue(all(item["code"] == status for item in body))
            descriptions = [item["description"] for item in body]
        else:
            self.assertEqual(response["Content-Type"], "text/xml; charset=utf-8")
            self.assertTrue(response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>'))
            root = xml_tree(response)
            self.assertEqual(root.tag, "errors")
            errors = root.findall("error")
            self.assertTrue(errors)
            self.assertTrue(all(e.findtext("code") == str(status) for e in errors))
            descriptions = [e.findtext("description") for e in errors]
        text = " ".join(descriptions)
        for word in mentions:
            self.assertIn(word, text)
        return descriptions

    def snapshot(self):
        return (
            Case.objects.count(),
            CaseEvent.objects.count(),
            Reporter.objects.count(),
            Attachment.objects.count(),
            RequestAttributes.objects.count(),
        )
