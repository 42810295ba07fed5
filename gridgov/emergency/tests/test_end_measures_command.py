"""`gridgov emergency end-measures`, run daily from cron: measures past their last day end
with a record of their tasks, the others are left alone, and a second run ends none."""

from io import StringIO

from django.core.management import call_command
from django.test import override_settings

from gridgov.emergency import arrivals, services
from gridgov.emergency.models import Channel, MeasureState, MeasureTask
from gridgov.emergency.tests.base import SHANGHAI_PUDONG, EmergencyTestCase, at


@override_settings(LANGUAGE_CODE="en")
class EndMeasuresCommandTests(EmergencyTestCase):
    def report(self, days_ago):
        return arrivals.report(
            self.grid_worker,
            arrivals.ArrivalInput(
                name="张伟",
                origin_code=SHANGHAI_PUDONG,
                left_on=self.days_ago(days_ago + 1),
                arrived_at=at(self.days_ago(days_ago), 9),
                region=self.building,
                channel=Channel.GRID_WORKER,
                reported_at=at(self.days_ago(days_ago), 12),
            ),
        )

    def run_command(self):
        out = StringIO()
        call_command("emergency", "end-measures", stdout=out)
        return out.getvalue()

    def test_it_ends_the_measures_past_their_last_day_and_says_how_many(self):
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("medium", self.days_ago(30), "x", division_code=SHANGHAI_PUDONG),
        )
        past = self.report(days_ago=11).measures.get()
        current = self.report(days_ago=1).measures.get()
        visit = past.tasks.filter(kind="home_visit").first()
        arrivals.finish_task(self.grid_worker, visit, "已上门")
        self.assertIn("1 measure ended.", self.run_command())
        past.refresh_from_db()
        current.refresh_from_db()
        self.assertEqual(past.state, MeasureState.ENDED)
        self.assertIn("1 of", past.outcome)
        self.assertEqual(current.state, MeasureState.ACTIVE)
        self.assertFalse(MeasureTask.objects.open().filter(measure=past).exists())
        self.assertTrue(MeasureTask.objects.open().filter(measure=current).exists())
        self.assertIn("0 measures ended.", self.run_command())
