"""`gridgov metrics`: a region's figures, or its units or children ranked."""

import json
from io import StringIO

from django.core.management import CommandError, call_command
from django.utils import translation

from gridgov.metrics.tests.base import MONDAY, NEIGHBOUR_POINT, MetricsTestCase

HOUR_LATER = MONDAY.replace(hour=10)
MARCH_ARGS = ["--from", "2026-03-01", "--to", "2026-03-31"]


class MetricsCommandTests(MetricsTestCase):
    def setUp(self):
        # The assertions read the English source strings, whatever LANGUAGE_CODE says.
        self.enterContext(translation.override("en"))
        self.accept(self.new_case(), HOUR_LATER)
        late = self.new_case(**NEIGHBOUR_POINT)
        self.accept(late, late.accept_due_at.replace(hour=23))
        self.rate(self.closed_case(), HOUR_LATER.replace(hour=14), True, "satisfied")

    def run_command(self, *args) -> str:
        out = StringIO()
        call_command("metrics", "--region", self.district.code, *args, stdout=out)
        return out.getvalue()

    def test_the_table_shows_the_regions_figures(self):
        out = self.run_command(*MARCH_ARGS)
        self.assertIn(self.district.name, out)
        self.assertIn("2026-03-01", out)
        total = next(line for line in out.splitlines() if line.startswith("Total"))
        # 3 received, 2 open, 2 overdue by now, 1 closed; 2 of 3 accepted in time.
        self.assertEqual(total.split()[1:6], ["3", "2", "2", "1", "66.7%"])

    def test_json_ranks_the_child_regions(self):
        data = json.loads(self.run_command(*MARCH_ARGS, "--by", "children", "--format", "json"))
        self.assertEqual(data["figures"]["received"], 3)
        self.assertEqual(data["rows"][0]["code"], self.street.code)
        self.assertEqual(data["rows"][0]["position"], 1)
        self.assertEqual(data["rows"][0]["rates"]["response"], 0.6667)
        self.assertEqual(data["weights"]["satisfaction"], 0.3)

    def test_units_are_listed_with_their_position(self):
        data = json.loads(self.run_command(*MARCH_ARGS, "--by", "units", "--format", "json"))
        self.assertEqual([row["code"] for row in data["rows"]], [self.department.code])
        table = self.run_command(*MARCH_ARGS, "--by", "units")
        self.assertIn(self.department.name, table)

    def test_the_to_day_is_included_and_the_from_day_counts_from_midnight(self):
        data = json.loads(
            self.run_command("--from", "2026-03-02", "--to", "2026-03-02", "--format", "json")
        )
        self.assertEqual(data["figures"]["received"], 3)
        data = json.loads(
            self.run_command("--from", "2026-03-03", "--to", "2026-03-31", "--format", "json")
        )
        self.assertEqual(data["figures"]["received"], 0)

    def test_an_unknown_region_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "No region has the code 123"):
            call_command("metrics", "--region", "123", stdout=StringIO())

    def test_a_bad_date_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "--from takes a date as YYYY-MM-DD"):
            self.run_command("--from", "2026-13-01")
        with self.assertRaisesMessage(CommandError, "--to takes a date"):
            self.run_command("--to", "31/03/2026")
        with self.assertRaisesMessage(CommandError, "--from must not be after --to"):
            self.run_command("--from", "2026-04-01", "--to", "2026-03-01")
