"""The certification pages through the browser's door: an area's certifications by state,
the share certified at each level, whether a street qualifies as a whole, and the map; a
community applies with the measures attested (photos checked as case photos are); the
street decides, refuses with a reason, revokes; refusals are 400 with nothing changed."""

import io
import shutil
import tempfile

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from gridgov.accounts.tests.base import ScopeMatrixMixin
from gridgov.emergency import figures
from gridgov.emergency.choices import CertificationMeasure
from gridgov.emergency.models import Attestation, Certification, CertificationState
from gridgov.emergency.tests.base import EmergencyTestCase

LIST = reverse("emergency:certification_list")


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 160, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class CertificationPageTestCase(EmergencyTestCase):
    def setUp(self):
        super().setUp()
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        media = tempfile.mkdtemp(prefix="gridgov-test-media-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        self.enterContext(override_settings(MEDIA_ROOT=media))

    def certify(self, region, state=CertificationState.CERTIFIED):
        return Certification.objects.create(
            region=region,
            state=state,
            policy_version=self.policy_version,
            applied_by=self.community_staff,
            explanation="14 days",
        )

    def evidence(self, **changes):
        data = {f"evidence_{measure}": "已落实" for measure in CertificationMeasure.values}
        data.update(changes)
        return data


class ListPageTests(CertificationPageTestCase):
    def test_it_counts_the_shares_says_whether_the_street_qualifies_and_draws_the_map(self):
        self.certify(self.community)
        self.certify(self.neighbour_community, CertificationState.SUSPENDED)
        self.certify(self.grid)
        self.login(self.street_staff)
        response = self.client.get(LIST)
        self.assertEqual(response.status_code, 200)
        shares = {str(line["label"]): line for line in response.context["shares"]}
        self.assertEqual(
            (
                shares["Epidemic-free communities"]["certified"],
                shares["Epidemic-free communities"]["total"],
            ),
            (1, 2),
        )
        self.assertContains(response, "1 of 2, 50.0%")
        self.assertContains(response, "1 of 3, 33.3%")
        self.assertFalse(response.context["higher"]["qualifies"])
        self.assertContains(response, "Only 1 of its 2 areas are certified")
        self.assertContains(
            response,
            f'fill="#10b981" fill-rule="evenodd" stroke="#fff" stroke-width="1.5" '
            f'data-state="certified" data-region="{self.community.code}"',
        )
        self.assertContains(
            response, f'data-state="suspended" data-region="{self.neighbour_community.code}"'
        )
        states = {group["state"]: group["count"] for group in response.context["states"]}
        self.assertEqual(states[CertificationState.CERTIFIED], 2)
        self.assertEqual(states[CertificationState.SUSPENDED], 1)

    def test_a_street_with_every_community_certified_qualifies(self):
        self.certify(self.community)
        self.certify(self.neighbour_community)
        self.login(self.leader)
        response = self.client.get(LIST, {"region": self.street.code})
        self.assertTrue(response.context["higher"]["qualifies"])
        self.assertContains(response, "2 of its 2 areas are certified")
        self.assertContains(response, "Policy version v")

    def test_the_queries_do_not_grow_with_the_certifications(self):
        self.login(self.street_staff)
        self.certify(self.community)
        with CaptureQueriesContext(connection) as few:
            self.client.get(LIST)
        self.certify(self.grid)
        self.certify(self.second_grid, CertificationState.REFUSED)
        self.certify(self.neighbour_grid, CertificationState.SUSPENDED)
        with CaptureQueriesContext(connection) as more:
            self.client.get(LIST)
        self.assertEqual(len(more), len(few))

    def test_outside_the_scope_it_is_not_there(self):
        self.login(self.community_staff)
        self.assertEqual(self.client.get(LIST, {"region": self.street.code}).status_code, 404)
        self.login(self.resident)
        self.assertEqual(self.client.get(LIST).status_code, 404)


class ApplyPageTests(CertificationPageTestCase):
    def url(self, region=None):
        return reverse("emergency:certification_apply", args=[(region or self.community).code])

    def test_it_shows_how_the_area_stands_and_applies_with_the_six_measures(self):
        figures.enter(
            self.community_staff, [figures.Row(self.grid, self.days_ago(20), {"confirmed": 1})]
        )
        self.login(self.community_staff)
        response = self.client.get(self.url())
        self.assertContains(response, "The run of days without a new case is met")
        self.assertContains(response, "20 consecutive days without a new confirmed case")
        self.assertEqual(len(response.context["form"].lines()), 6)
        response = self.client.post(
            self.url(), {**self.evidence(), "photo_disinfection": png("消杀.png")}
        )
        made = Certification.objects.get(region=self.community)
        self.assertRedirects(response, reverse("emergency:certification_detail", args=[made.pk]))
        self.assertEqual(made.state, CertificationState.APPLIED)
        self.assertEqual(made.clear_since, self.days_ago(19))
        self.assertEqual(made.attestations.count(), 6)
        attestation = made.attestations.get(measure=CertificationMeasure.DISINFECTION)
        self.assertTrue(attestation.photo.name.endswith(".png"))

        response = self.client.get(reverse("emergency:certification_detail", args=[made.pk]))
        self.assertContains(response, "已落实", count=6)
        self.assertContains(response, made.policy_version.label)
        photo_url = reverse("emergency:attestation_photo", args=[made.pk, attestation.pk])
        self.assertContains(response, photo_url)
        photo = self.client.get(photo_url)
        self.assertEqual(photo["Content-Type"], "image/png")
        self.login(self.outsider)
        self.assertEqual(self.client.get(photo_url).status_code, 404)

    def test_a_measure_unattested_or_a_non_photo_is_refused_and_nothing_is_made(self):
        self.login(self.community_staff)
        response = self.client.post(
            self.url(), self.evidence(evidence_order="", evidence_supplies="每日配送")
        )
        self.assertContains(response, "Attest “Order” with what was done.", status_code=400)
        self.assertContains(response, "每日配送", status_code=400)
        fake = SimpleUploadedFile("photo.png", b"not an image", content_type="image/png")
        response = self.client.post(self.url(), {**self.evidence(), "photo_order": fake})
        self.assertContains(response, "is not a photo", status_code=400)
        self.assertFalse(Certification.objects.exists())
        self.assertFalse(Attestation.objects.exists())

    def test_too_few_days_without_a_case_is_refused(self):
        figures.enter(
            self.community_staff, [figures.Row(self.grid, self.days_ago(3), {"suspected": 1})]
        )
        self.login(self.community_staff)
        response = self.client.get(self.url())
        self.assertContains(response, "is not met yet")
        response = self.client.post(self.url(), self.evidence())
        self.assertContains(response, "14", status_code=400)
        self.assertFalse(Certification.objects.exists())

    def test_who_may_apply(self):
        self.login(self.grid_worker)
        self.assertEqual(self.client.get(self.url()).status_code, 403)
        self.login(self.community_staff)
        self.assertEqual(self.client.get(self.url(self.neighbour_community)).status_code, 404)
        self.assertEqual(self.client.get(self.url(self.grid)).status_code, 200)
        self.assertEqual(self.client.delete(self.url()).status_code, 405)


class DecisionTests(CertificationPageTestCase):
    def setUp(self):
        super().setUp()
        self.certification = self.certify(self.community, CertificationState.APPLIED)
        self.decide = reverse("emergency:certification_decide", args=[self.certification.pk])
        self.revoke = reverse("emergency:certification_revoke", args=[self.certification.pk])

    def state(self):
        self.certification.refresh_from_db()
        return self.certification.state

    def test_the_street_approves_and_later_revokes_with_a_reason(self):
        self.login(self.street_staff)
        detail = reverse("emergency:certification_detail", args=[self.certification.pk])
        self.assertContains(self.client.get(detail), 'value="approve"')
        response = self.client.post(self.decide, {"decision": "approve", "note": "同意"})
        self.assertRedirects(response, detail)
        self.assertEqual(self.state(), CertificationState.CERTIFIED)
        self.assertEqual(self.certification.decided_by, self.street_staff)
        response = self.client.get(detail)
        self.assertNotContains(response, 'value="approve"')
        response = self.client.post(self.revoke, {"reason": ""})
        self.assertContains(response, "Say why the certificate is revoked.", status_code=400)
        self.assertEqual(self.state(), CertificationState.CERTIFIED)
        self.client.post(self.revoke, {"reason": "核查发现封闭管理未落实"})
        self.assertEqual(self.state(), CertificationState.REVOKED)
        self.assertEqual(self.certification.ended_reason, "核查发现封闭管理未落实")

    def test_a_refusal_needs_a_reason(self):
        self.login(self.street_staff)
        response = self.client.post(self.decide, {"decision": "refuse", "note": ""})
        self.assertContains(response, "Say why the application is refused.", status_code=400)
        self.assertEqual(self.state(), CertificationState.APPLIED)
        response = self.client.post(self.decide, {"decision": "maybe"})
        self.assertEqual(response.status_code, 400)
        self.client.post(self.decide, {"decision": "refuse", "note": "消杀记录不全"})
        self.assertEqual(self.state(), CertificationState.REFUSED)

    def test_the_area_itself_does_not_decide_and_a_decision_is_posted(self):
        self.login(self.community_staff)
        detail = reverse("emergency:certification_detail", args=[self.certification.pk])
        self.assertNotContains(self.client.get(detail), 'value="approve"')
        response = self.client.post(self.decide, {"decision": "approve"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.state(), CertificationState.APPLIED)
        self.login(self.street_staff)
        self.assertEqual(self.client.get(self.decide).status_code, 405)
        self.login(self.outsider)
        self.assertEqual(self.client.post(self.decide, {"decision": "approve"}).status_code, 404)


class CertificationScopeTests(ScopeMatrixMixin, EmergencyTestCase):
    def make_object(self, grid):
        # Created directly: applying needs the run of days and the attestations, and the
        # matrix makes several for one grid (a suspended one is not live).
        return Certification.objects.create(
            region=grid,
            state=CertificationState.SUSPENDED,
            policy_version=self.policy_version,
            applied_by=self.admin,
        )

    def url_for(self, certification):
        return reverse("emergency:certification_detail", args=[certification.pk])
