from collections import Counter, defaultdict
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import transaction
from django.test import TestCase

from gridgov.accounts.models import User
from gridgov.cases.choices import AssignmentState, Status
from gridgov.cases.models import Assignment, Case, CaseEvent, Category
from gridgov.demo.case_texts import TEXTS
from gridgov.demo.cases import build_demo_cases
from gridgov.demo.city import build_demo_city
from gridgov.demo.names import PEOPLE
from gridgov.demo.tests.test_demo import FAST_HASHER
from gridgov.metrics import rollups
from gridgov.regions.choices import Level

# A fixed "now" in a year the holiday calendar covers: the same cases on any day the
# tests run.
NOW = datetime(2026, 6, 15, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
SMALL_CITY = {"streets_per_district": 2, "communities_per_street": 2}


def accounts_snapshot() -> list[tuple]:
    return list(
        User.objects.filter(username__in=PEOPLE)
        .order_by("username")
        .values_list("username", "role", "region_id", "department_id", "password", "is_superuser")
    )


def cases_snapshot() -> list[tuple]:
    return list(
        Case.objects.order_by("number").values_list(
            "number", "title", "status", "category__code", "region__code", "received_at"
        )
    )


@FAST_HASHER
class DemoCasesTestCase(TestCase):
    """300 cases over 90 days on a small demo city, built once."""

    @classmethod
    def setUpTestData(cls):
        build_demo_city(**SMALL_CITY)
        cls.accounts_before = accounts_snapshot()
        cls.output = StringIO()
        cls.result = build_demo_cases(count=300, days=90, seed=7, now=NOW, stdout=cls.output)

    def test_every_case_went_through_the_services_without_a_refusal(self):
        self.assertTrue(self.result.created)
        self.assertEqual(self.result.failures, [])
        self.assertEqual(Case.objects.count(), 300)
        self.assertIn("300 / 300 cases taken in", self.output.getvalue())

    def test_every_status_has_cases(self):
        statuses = Counter(Case.objects.values_list("status", flat=True))
        self.assertEqual(set(statuses), set(Status), statuses)
        self.assertEqual(dict(statuses), self.result.statuses)
        # Most of a 90-day history is finished business.
        finished = statuses[Status.RATED] + statuses[Status.CLOSED]
        self.assertGreater(finished, 0.6 * 300, statuses)

    def test_each_case_history_is_an_unbroken_chain_ending_at_its_status(self):
        events = defaultdict(list)
        for case_id, action, from_status, to_status, created_at in CaseEvent.objects.order_by(
            "created_at", "pk"
        ).values_list("case_id", "action", "from_status", "to_status", "created_at"):
            events[case_id].append((action, from_status, to_status, created_at))
        for case in Case.objects.all():
            history = events[case.pk]
            self.assertEqual(history[0][:3], ("receive", "", "received"), case)
            self.assertEqual(history[0][3], case.received_at)
            for before, after in zip(history, history[1:], strict=False):
                self.assertEqual(after[1], before[2], (case, history))
            self.assertEqual(history[-1][2], case.status, (case, history))
            self.assertLessEqual(history[-1][3], NOW)

    def test_numbers_are_unique_and_follow_the_day_of_receipt(self):
        numbers = list(Case.objects.values_list("number", "received_at"))
        self.assertEqual(len({number for number, _at in numbers}), len(numbers))
        for number, received_at in numbers:
            local = received_at.astimezone(NOW.tzinfo)
            self.assertTrue(number.startswith(f"{local:%Y%m%d}-"), number)
            self.assertTrue(NOW - timedelta(days=90) <= received_at < NOW)

    def test_cases_lie_in_grids_of_the_demo_city_with_their_templates(self):
        every_title = {title for _w, texts, _r in TEXTS.values() for title, _text in texts}
        for case in Case.objects.select_related("region", "category"):
            self.assertEqual(case.region.level, Level.GRID)
            self.assertEqual(case.datum, "gcj02")
            self.assertIsNotNone(case.lng)
            if case.category is None:  # rejected or merged before anyone classified it
                self.assertIn(case.title, every_title)
                continue
            titles = [title for title, _text in TEXTS[case.category.code][1]]
            self.assertIn(case.title, titles)
            self.assertNotIn("{", case.description)

    def test_every_category_of_the_catalogue_has_its_own_words(self):
        leaves = Category.objects.filter(children__isnull=True, emergency_only=False).values_list(
            "code", flat=True
        )
        self.assertEqual(set(leaves) - set(TEXTS), set())

    def test_receipts_lean_to_daytime_and_channels_to_the_hotline(self):
        hours = Counter(
            received_at.astimezone(NOW.tzinfo).hour
            for received_at in Case.objects.values_list("received_at", flat=True)
        )
        daytime = sum(n for hour, n in hours.items() if 8 <= hour < 20)
        self.assertGreater(daytime, 0.7 * 300)
        channels = Counter(Case.objects.values_list("channel", flat=True))
        self.assertEqual(channels.most_common(1)[0][0], "hotline")

    def test_the_side_paths_all_happen(self):
        actions = set(CaseEvent.objects.values_list("action", flat=True))
        for action in [
            "reject",
            "merge",
            "self-handle",
            "return",
            "dispute",
            "rework",
            "extend",
            "supervise",
            "summon",
            "report-in",
            "rate-response",
            "reopen",
        ]:
            self.assertIn(action, actions)
        self.assertTrue(actions & {"approve-extension", "refuse-extension"})
        disputed = Case.objects.filter(in_dispute=True)
        self.assertTrue(disputed.exists())
        # The supervisor decided every dispute that has come up for dispatch since.
        for case in disputed:
            after = case.events.filter(action="dispatch").order_by("created_at").last()
            if case.status != Status.REGISTERED:
                self.assertEqual(after.actor.username, "leader")

    def test_merged_duplicates_point_at_an_earlier_case_in_the_same_grid(self):
        merged = Case.objects.filter(status=Status.MERGED).select_related("master")
        self.assertTrue(merged)
        for duplicate in merged:
            self.assertLess(duplicate.master.received_at, duplicate.received_at)
            self.assertEqual(duplicate.master.region_id, duplicate.region_id)

    def test_ratings_are_mostly_solved_and_satisfied(self):
        rated = Case.objects.filter(status=Status.RATED)
        solved = rated.filter(solved=True).count() / rated.count()
        self.assertTrue(0.75 < solved <= 0.97, solved)
        satisfaction = Counter(rated.values_list("satisfaction", flat=True))
        self.assertEqual(satisfaction.most_common(1)[0][0], "satisfied")

    def test_some_open_cases_are_overdue(self):
        overdue = [case for case in Case.objects.open() if case.deadline_state(NOW) == "overdue"]
        self.assertTrue(overdue)

    def test_the_demo_accounts_have_work_and_are_unchanged(self):
        self.assertEqual(accounts_snapshot(), self.accounts_before)
        dept = User.objects.get(username="dept")
        in_hand = Assignment.objects.filter(
            department=dept.department,
            state=AssignmentState.ACTIVE,
            case__status__in=[Status.DISPATCHED, Status.ACCEPTED, Status.HANDLING],
        )
        self.assertGreaterEqual(in_hand.count(), 3)
        gridworker = User.objects.get(username="gridworker")
        to_verify = Case.objects.visible_to(gridworker).filter(status=Status.REPLIED)
        self.assertGreaterEqual(to_verify.count(), 3)
        resident = User.objects.get(username="resident")
        self.assertTrue(Case.objects.visible_to(resident).exists())
        for username in ("community", "street"):
            office = User.objects.get(username=username).region
            open_work = Assignment.objects.filter(
                office=office,
                state=AssignmentState.ACTIVE,
                case__status__in=[Status.DISPATCHED, Status.ACCEPTED, Status.HANDLING],
            )
            self.assertTrue(open_work.exists(), username)
        waiting = Case.objects.filter(status=Status.REGISTERED)
        self.assertTrue(waiting.filter(return_count__gt=0, in_dispute=False).exists())
        self.assertTrue(waiting.filter(in_dispute=True).exists())

    def test_the_extra_accounts_are_valid_and_named_after_their_units(self):
        self.assertTrue(self.result.accounts_created)
        for user in User.objects.filter(username__in=self.result.accounts_created):
            user.full_clean()
            self.assertTrue(user.check_password("demo12345"))
        self.assertTrue(User.objects.filter(username="dispatcher-990102").exists())
        self.assertFalse(User.objects.filter(username="dept-990101-cg").exists())  # `dept`

    def test_a_second_build_does_nothing(self):
        events = CaseEvent.objects.count()
        users = User.objects.count()

        again = build_demo_cases(count=300, seed=7, now=NOW)

        self.assertFalse(again.created)
        self.assertEqual(again.cases, 300)
        self.assertEqual(CaseEvent.objects.count(), events)
        self.assertEqual(User.objects.count(), users)


@FAST_HASHER
class DeterminismTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_demo_city(**SMALL_CITY)

    def build_and_forget(self, seed) -> list[tuple]:
        with transaction.atomic():
            result = build_demo_cases(count=40, seed=seed, now=NOW)
            self.assertEqual(result.failures, [])
            snapshot = cases_snapshot()
            transaction.set_rollback(True)
        return snapshot

    def test_the_same_seed_builds_the_same_cases(self):
        first = self.build_and_forget(seed=11)
        self.assertEqual(len(first), 40)
        self.assertEqual(self.build_and_forget(seed=11), first)
        self.assertNotEqual(self.build_and_forget(seed=12), first)


@FAST_HASHER
class DemoCommandTestCase(TestCase):
    def test_gridgov_demo_generates_the_cases_the_first_time_only(self):
        build_demo_city(**SMALL_CITY)  # the command reuses it rather than build the full city

        first, second = StringIO(), StringIO()
        call_command("demo", "--no-serve", "--cases", "30", "--persons", "0", stdout=first)
        call_command("demo", "--no-serve", "--cases", "30", "--persons", "0", stdout=second)

        self.assertEqual(Case.objects.count(), 30)
        self.assertIn("30 / 30 cases taken in", first.getvalue())
        self.assertIn("more accounts act on them", first.getvalue())
        self.assertIn("dispatcher-990102", first.getvalue())
        self.assertIn("already there (30)", second.getvalue())

    def test_a_var_from_before_the_rollups_gets_them_on_the_next_run(self):
        from gridgov.metrics.models import AreaDailyRollup, DailyRollup, UnitDailyRollup

        build_demo_city(**SMALL_CITY)
        call_command("demo", "--no-serve", "--cases", "30", "--persons", "0", stdout=StringIO())
        kept = sorted(
            AreaDailyRollup.objects.values_list("day", "region_path", "status", "received")
        )
        self.assertTrue(kept)
        # Generated with the hook deferred, then rebuilt: the rollups match the cases.
        first, last = rollups.case_days()
        self.assertEqual(rollups.check_days(first, last + timedelta(days=1)), [])
        for model in (DailyRollup, AreaDailyRollup, UnitDailyRollup):
            model.objects.all().delete()

        output = StringIO()
        call_command("demo", "--no-serve", "--cases", "30", "--persons", "0", stdout=output)

        self.assertIn("daily rollups", output.getvalue())
        again = sorted(
            AreaDailyRollup.objects.values_list("day", "region_path", "status", "received")
        )
        self.assertEqual(again, kept)
