"""`gridgov demo --emergency`: a few weeks of an outbreak over the demo district, built
once through the emergency commands."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from gridgov.demo.city import build_demo_city
from gridgov.emergency import figures, phases
from gridgov.emergency.models import (
    Arrival,
    Certification,
    CertificationState,
    EmergencyArea,
    MeasureTask,
    RiskArea,
)
from gridgov.emergency.services import proposed_downgrades
from gridgov.regions.models import Region


class DemoEmergencyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_demo_city(streets_per_district=2, communities_per_street=2)
        cls.output = StringIO()
        call_command(
            "demo",
            "--no-serve",
            "--cases",
            "0",
            "--persons",
            "0",
            "--emergency",
            stdout=cls.output,
        )

    def test_the_outbreak_is_there_with_every_part(self):
        district = Region.objects.get(code="990101000000")
        self.assertTrue(EmergencyArea.objects.filter(region=district, closed_at=None).exists())
        self.assertEqual(RiskArea.objects.current().count(), 4)
        self.assertTrue(any(p.is_due for p in proposed_downgrades(RiskArea.objects.current())))
        self.assertEqual(Arrival.objects.count(), 12)
        self.assertTrue(Arrival.objects.filter(late=True).exists())
        self.assertTrue(Arrival.objects.filter(risk_level="high").exists())
        self.assertTrue(MeasureTask.objects.filter(done_at__isnull=False).exists())
        states = set(Certification.objects.values_list("state", flat=True))
        self.assertEqual(states, {CertificationState.CERTIFIED, CertificationState.SUSPENDED})

    def test_the_districts_curve_rises_to_the_high_phase_and_falls_to_a_tail(self):
        district = Region.objects.get(code="990101000000")
        today = timezone.localdate()
        days = figures.series(district, today - timedelta(days=60), today)
        found = phases.find_phases([(d["day"], d["confirmed"]) for d in days])
        bands = [phase.band for phase in found]
        self.assertIn(phases.Band.HIGH, bands)
        self.assertEqual(bands[-1], phases.Band.TAIL)
        self.assertIn(phases.Band.MEDIUM, bands[bands.index(phases.Band.HIGH) :])

    def test_a_second_run_changes_nothing(self):
        count = Arrival.objects.count()
        output = StringIO()
        call_command(
            "demo", "--no-serve", "--cases", "0", "--persons", "0", "--emergency", stdout=output
        )
        self.assertIn("already", output.getvalue())
        self.assertEqual(Arrival.objects.count(), count)
