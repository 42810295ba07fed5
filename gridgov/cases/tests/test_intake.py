"""Taking a case in: bad input is named field by field and creates nothing; photos are
checked by decoding them; a retried submission never makes a second case."""

import io
import os
import shutil
import tempfile
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from PIL import Image

from gridgov.cases import services
from gridgov.cases.models import Attachment, Case, CaseEvent, CaseNumberSequence, Reporter
from gridgov.cases.tests.base import CaseTestCase, at

FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

VALID = {
    "channel": "hotline",
    "case_type": "complaint",
    "title": "垃圾堆积",
    "description": "小区门口垃圾两天没人清运。",
    "lng": 120.105,
    "lat": 30.205,
    "datum": "gcj02",
    "reporter_name": "张三",
    "reporter_phone": "13812341234",
}


def png(name="photo.png", size=(8, 8), noise=False) -> SimpleUploadedFile:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def photos(*uploads) -> MultiValueDict:
    return MultiValueDict({"photos": list(uploads)})


@FAST_HASHER
class IntakeTestCase(CaseTestCase):
    def setUp(self):
        super().setUp()
        media = tempfile.mkdtemp(prefix="gridgov-test-media-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        self.enterContext(override_settings(MEDIA_ROOT=media))

    def take_in(self, files=None, key=None, **changes):
        data = {**VALID, **changes}
        data = {name: value for name, value in data.items() if value is not None}
        return services.intake_case(
            self.dispatcher, data, files, idempotency_key=key, at=at(2026, 3, 2, 10)
        )

    def snapshot(self):
        return (
            Case.objects.count(),
            Reporter.objects.count(),
            CaseEvent.objects.count(),
            Attachment.objects.count(),
            sorted(CaseNumberSequence.objects.values_list("day", "last")),
        )

    def assert_refused(self, files=None, **changes) -> services.InvalidInput:
        """Refused as bad input (400) with every problem named, and nothing created."""
        before = self.snapshot()
        with translation.override("en"), self.assertRaises(services.InvalidInput) as raised:
            self.take_in(files, **changes)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(raised.exception.status, 400)
        self.assertTrue(raised.exception.message)
        return raised.exception

    def messages(self, error, field) -> str:
        return " ".join(item["message"] for item in error.errors[field])


class IntakeValidationTests(IntakeTestCase):
    def test_each_bad_field_is_named_and_nothing_is_created(self):
        self.take_in()  # the day's number sequence exists; a refusal must not move it
        error = self.assert_refused(
            channel="fax",
            case_type="rant",
            title="",
            description=None,
            lng=200,
            category="NOPE",
            reporter_phone="call me",
        )
        self.assertEqual(
            set(error.errors),
            {"channel", "case_type", "title", "description", "lng", "category", "reporter_phone"},
        )
        self.assertIn("digits", self.messages(error, "reporter_phone"))

    def test_a_category_that_is_not_a_leaf_is_refused(self):
        error = self.assert_refused(category="E01")
        self.assertEqual(set(error.errors), {"category"})

    def test_a_case_with_no_location_is_refused_with_a_clear_message(self):
        error = self.assert_refused(lng=None, lat=None)
        self.assertIn("where the problem is", self.messages(error, "__all__"))

    def test_a_longitude_without_a_latitude_is_refused(self):
        error = self.assert_refused(lat=None)
        self.assertIn("longitude and latitude", self.messages(error, "__all__"))

    def test_a_point_outside_the_service_area_is_refused_naming_the_longitude(self):
        error = self.assert_refused(lng=100.0, lat=20.0)
        self.assertEqual(set(error.errors), {"lng"})
        self.assertIn("outside the service area", self.messages(error, "lng"))

    def test_without_a_point_the_area_named_places_the_case(self):
        case = self.take_in(lng=None, lat=None, region=self.second_grid.code).case
        self.assertEqual((case.region, case.region_path), (self.second_grid, self.second_grid.path))

    def test_a_point_places_the_case_in_its_grid(self):
        case = self.take_in().case
        self.assertEqual(case.region, self.grid)
        self.assertEqual(case.status, "received")
        self.assertEqual(list(case.events.values_list("action", flat=True)), ["receive"])


class IdempotencyTests(IntakeTestCase):
    def test_a_retried_submission_returns_the_first_case_and_creates_nothing(self):
        first = self.take_in(key="form-7f3a")
        before = self.snapshot()
        retry = self.take_in(key="form-7f3a")
        self.assertTrue(first.created)
        self.assertFalse(retry.created)
        self.assertEqual(retry.case.pk, first.case.pk)
        self.assertEqual(self.snapshot(), before)

    def test_an_overlong_key_is_refused_as_bad_input_not_a_database_error(self):
        # The key comes from a hidden field of a public page: anyone can send anything.
        error = self.assert_refused(key="k" * 81)
        self.assertEqual(set(error.errors), {"idempotency_key"})

    def test_different_keys_make_different_cases_with_consecutive_numbers(self):
        first = self.take_in(key="form-1").case
        second = self.take_in(key="form-2").case
        self.assertEqual(first.number, "20260302-000001")
        self.assertEqual(second.number, "20260302-000002")

    def test_an_intake_that_fails_half_way_leaves_nothing_and_its_retry_succeeds(self):
        before = self.snapshot()
        with mock.patch.object(services, "_attach", side_effect=OSError("disk full")):
            with self.assertRaises(OSError):
                self.take_in(key="form-9")
        self.assertEqual(self.snapshot(), before)
        result = self.take_in(key="form-9")
        self.assertTrue(result.created)
        self.assertEqual(result.case.number, "20260302-000001")


class PhotoTests(IntakeTestCase):
    def test_a_real_png_is_stored_as_an_attachment_of_the_receive_event(self):
        case = self.take_in(photos(png("门口.png"))).case
        attachment = Attachment.objects.get(case=case)
        self.assertEqual(attachment.content_type, "image/png")
        self.assertEqual(attachment.event, case.events.get(action="receive"))
        self.assertEqual(attachment.uploaded_by, self.dispatcher)
        self.assertIn(case.number, attachment.file.name)
        self.assertTrue(attachment.file.storage.exists(attachment.file.name))
        self.assertEqual(attachment.size, attachment.file.size)

    def test_a_text_file_named_jpg_is_refused_by_name_and_nothing_is_created(self):
        fake = SimpleUploadedFile("receipt.jpg", b"not a photo at all", content_type="image/jpeg")
        error = self.assert_refused(photos(fake))
        self.assertEqual(set(error.errors), {"photos"})
        self.assertIn("receipt.jpg", self.messages(error, "photos"))
        self.assertIn("not a photo", self.messages(error, "photos"))

    def test_one_bad_photo_among_good_ones_refuses_the_lot_and_names_only_it(self):
        fake = SimpleUploadedFile("notes.jpg", b"plain text", content_type="image/jpeg")
        error = self.assert_refused(photos(png("a.png"), fake, png("b.png")))
        message = self.messages(error, "photos")
        self.assertIn("notes.jpg", message)
        self.assertNotIn("a.png", message)

    @override_settings(GRIDGOV_MAX_PHOTO_BYTES=1024)
    def test_an_oversize_photo_is_refused_by_name(self):
        big = png("wall.png", size=(64, 64), noise=True)
        self.assertGreater(big.size, 1024)
        error = self.assert_refused(photos(big))
        self.assertIn("wall.png", self.messages(error, "photos"))
        self.assertIn("larger than", self.messages(error, "photos"))

    @override_settings(GRIDGOV_MAX_PHOTOS=2)
    def test_too_many_photos_are_refused(self):
        error = self.assert_refused(photos(png("1.png"), png("2.png"), png("3.png")))
        self.assertIn("2", self.messages(error, "photos"))


class ReporterTests(IntakeTestCase):
    def test_a_reporter_is_stored_once_per_phone_and_name_across_cases(self):
        first = self.take_in().case
        again = self.take_in(reporter_phone="138-1234-1234", reporter_name=" 张三 ").case
        self.assertEqual(first.reporter_id, again.reporter_id)
        self.assertEqual(Reporter.objects.count(), 1)

    def test_another_name_on_the_same_phone_is_another_reporter(self):
        # A family or a shop shares one phone: each caller's case keeps the name they gave.
        first = self.take_in().case
        second = self.take_in(reporter_phone="138-1234-1234", reporter_name="张老三").case
        self.assertNotEqual(first.reporter_id, second.reporter_id)
        second.reporter.refresh_from_db()
        self.assertEqual((second.reporter.phone, second.reporter.name), ("13812341234", "张老三"))
        first.reporter.refresh_from_db()
        self.assertEqual(first.reporter.name, "张三")

    def test_an_anonymous_report_has_no_reporter(self):
        case = self.take_in(reporter_phone=None, reporter_name=None).case
        self.assertIsNone(case.reporter)
        self.assertEqual(Reporter.objects.count(), 0)
