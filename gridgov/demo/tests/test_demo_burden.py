"""The demo's burden data: every kind of demand, the flags the observatory counts, the
burden office's decisions, data requests answered by the platform and by hand, a repeat
answered from the earlier request, secondments — built once, through the services."""

from datetime import date

from django.test import TestCase

from gridgov.burden import observatory
from gridgov.burden.choices import Admission, DemandKind
from gridgov.burden.models import DataRequest, Demand, Secondment
from gridgov.demo.burden import build_demo_burden
from gridgov.demo.city import build_demo_city
from gridgov.regions.models import Region

TODAY = date(2026, 12, 4)


class DemoBurdenTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_demo_city(streets_per_district=2, communities_per_street=2)
        cls.result = build_demo_burden(today=TODAY)

    def test_every_kind_and_every_flag_is_there(self):
        self.assertTrue(self.result.created)
        kinds = set(Demand.objects.values_list("kind", flat=True))
        self.assertEqual(kinds, set(DemandKind.values) - {DemandKind.DOCUMENT})
        self.assertTrue(Demand.objects.filter(holiday_eve=True, sent_at__month=9).exists())
        self.assertTrue(Demand.objects.filter(short_deadline=True).exists())
        self.assertTrue(Demand.objects.filter(repeat_of__isnull=False).exists())
        refused = Demand.objects.get(asks_for_engagement=True)
        self.assertEqual(refused.admission, Admission.REFUSED)
        self.assertTrue(Demand.objects.filter(admission=Admission.EXCEPTION).exists())
        self.assertEqual(
            Demand.objects.filter(admission=Admission.REFUSED, decided_by__isnull=False).count(), 1
        )

    def test_tables_answered_by_the_platform_by_hand_and_from_earlier_requests(self):
        self.assertTrue(DataRequest.objects.filter(answered_from__isnull=False).exists())
        district = Region.objects.get(code="990101000000")
        seen = observatory.observe(district, date(2026, 11, 1), date(2026, 11, 30))
        self.assertGreater(seen.total.received, 0)
        self.assertGreater(seen.total.cells_platform, 0)
        self.assertGreater(seen.total.cells_typed + seen.total.cells_reused, 0)
        self.assertGreater(seen.avoided, 0)
        self.assertTrue(seen.senders)

    def test_secondments_one_overdue(self):
        self.assertEqual(Secondment.objects.count(), 3)
        overdue = [s for s in Secondment.objects.all() if s.is_overdue(TODAY)]
        self.assertEqual(len(overdue), 1)

    def test_a_second_build_changes_nothing(self):
        count = Demand.objects.count()
        self.assertFalse(build_demo_burden(today=TODAY).created)
        self.assertEqual(Demand.objects.count(), count)
