"""Simultaneous writes to one case, on PostgreSQL: the row lock lets exactly one through.

Threads need committed data (each has its own connection), hence TransactionTestCase:
every test builds a small tree, and the database is emptied after it. serialized_rollback
brings back what the migrations loaded (the category catalogue) for each test.
"""

import threading
import time
import unittest
from unittest import mock

import pytest
from django.db import close_old_connections, connection
from django.test import TransactionTestCase, override_settings
from django.utils import translation

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department
from gridgov.accounts.tests.base import make_region, make_user, square
from gridgov.cases import batch, services
from gridgov.cases.choices import Action, AssignmentState
from gridgov.cases.models import Assignment, Case, CaseEvent, CaseNumberSequence, Category
from gridgov.cases.tests.base import at
from gridgov.regions.choices import Level

DATA = {
    "channel": "hotline",
    "case_type": "complaint",
    "title": "垃圾堆积",
    "description": "小区门口垃圾两天没人清运。",
    "lng": 120.105,
    "lat": 30.205,
    "datum": "gcj02",
}


def run_together(count, work) -> list[tuple[str, object]]:
    """Run work(i) in `count` threads released at once by a barrier; each result is
    ("ok", value) or ("error", exception)."""
    barrier = threading.Barrier(count)
    results: list[tuple[str, object]] = [("missing", None)] * count

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", work(i))
        except Exception as exc:  # reported to the test, which asserts on it
            results[i] = ("error", exc)
        finally:
            # Each thread opened its own connection; leave none behind for the flush.
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return results


def slowly(function, seconds=0.3):
    """function, holding whatever locks its caller holds for `seconds` first."""

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return function(*args, **kwargs)

    return slow


@pytest.mark.postgres
@unittest.skipUnless(
    connection.vendor == "postgresql",
    "Needs PostgreSQL: SQLite has no row locks (select_for_update does nothing) and lets one "
    "writer in at a time, so threads cannot race the way production requests do.",
)
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class ConcurrencyTests(TransactionTestCase):
    serialized_rollback = True

    def setUp(self):
        city = make_region("990100000000", "江州市", Level.CITY)
        district = make_region("990101000000", "江北区", Level.DISTRICT, city)
        street = make_region("990101001000", "望江街道", Level.STREET, district)
        community = make_region(
            "990101001001", "滨江社区", Level.COMMUNITY, street, square(120.10, 30.20, 0.02)
        )
        make_region(
            "990101001001001", "滨江社区第01网格", Level.GRID, community, square(120.10, 30.20)
        )
        self.department = Department.objects.create(
            code="990101-cg", name="江北区城市管理和综合执法局", short_name="城管", region=district
        )
        self.dispatcher = make_user("dispatcher", Role.DISPATCHER, district)
        self.litter = Category.objects.get(code="E0103")

    def tearDown(self):
        close_old_connections()

    def registered_case(self) -> Case:
        case = services.intake_case(self.dispatcher, DATA).case
        return services.perform(self.dispatcher, case.number, "register", {"category": "E0103"})

    def test_two_simultaneous_dispatches_of_one_case_make_exactly_one_dispatch(self):
        case = self.registered_case()
        # The winner dawdles inside the row lock, so the loser is sure to arrive while it
        # is held: without the lock both would read "registered" and both would dispatch.
        slow_dispatch = slowly(services.HANDLERS[Action.DISPATCH])
        with (
            mock.patch.dict(services.HANDLERS, {Action.DISPATCH: slow_dispatch}),
            translation.override("en"),
        ):
            results = run_together(
                2, lambda i: services.perform(self.dispatcher, case.number, "dispatch", {})
            )
        outcomes = sorted(kind for kind, _value in results)
        self.assertEqual(outcomes, ["error", "ok"], results)
        refusal = next(value for kind, value in results if kind == "error")
        self.assertIsInstance(refusal, services.ActionRefused)
        # The loser waited for the winner's commit and then saw the case already dispatched.
        self.assertIn("已派遣", refusal.message)
        case.refresh_from_db()
        self.assertEqual((case.status, case.version), ("dispatched", 3))
        self.assertEqual(CaseEvent.objects.filter(case=case, action="dispatch").count(), 1)
        active = Assignment.objects.filter(case=case, state=AssignmentState.ACTIVE)
        self.assertEqual(list(active.values_list("department", flat=True)), [self.department.pk])

    def test_two_simultaneous_intakes_with_one_idempotency_key_make_one_case(self):
        received = at(2026, 3, 2, 10)
        # Both pass the "already taken in?" check before either commits, and meet at the
        # unique key: the loser must hand back the winner's case, not an error.
        slow_deadlines = slowly(services._set_deadlines)
        with mock.patch.object(services, "_set_deadlines", slow_deadlines):
            results = run_together(
                2,
                lambda i: services.intake_case(
                    self.dispatcher, DATA, idempotency_key="form-7f3a", at=received
                ),
            )
        self.assertEqual([kind for kind, _value in results], ["ok", "ok"], results)
        cases = {result.case.pk for _kind, result in results}
        self.assertEqual(len(cases), 1)
        self.assertEqual(sorted(result.created for _kind, result in results), [False, True])
        self.assertEqual(Case.objects.count(), 1)
        self.assertEqual(CaseEvent.objects.count(), 1)
        # The loser's number was rolled back with the rest of its transaction: no gap.
        self.assertEqual(CaseNumberSequence.objects.get().last, 1)
        self.assertEqual(Case.objects.get().number, "20260302-000001")

    def test_two_simultaneous_batches_sharing_a_key_make_that_case_once(self):
        received = at(2026, 3, 2, 10)
        items = [
            [({**DATA, "title": "A"}, "feed-a"), ({**DATA, "title": "shared"}, "feed-shared")],
            [({**DATA, "title": "shared"}, "feed-shared"), ({**DATA, "title": "B"}, "feed-b")],
        ]
        # Both find no earlier case under the shared key before either commits.
        slow_deadlines = slowly(services._set_deadlines)
        with mock.patch.object(services, "_set_deadlines", slow_deadlines):
            results = run_together(
                2, lambda i: batch.intake_batch(self.dispatcher, items[i], at=received)
            )
        self.assertEqual([kind for kind, _value in results], ["ok", "ok"], results)
        statuses = sorted(item.status for _kind, value in results for item in value)
        self.assertEqual(statuses, [200, 201, 201, 201])
        shared = {value[1 - i].case.pk for i, (_kind, value) in enumerate(results)}
        self.assertEqual(len(shared), 1)
        self.assertEqual(sorted(Case.objects.values_list("title", flat=True)), ["A", "B", "shared"])
        # The loser's numbers were rolled back with the rest of its transaction: no gap.
        numbers = sorted(Case.objects.values_list("number", flat=True))
        self.assertEqual(numbers, [f"20260302-{n:06d}" for n in (1, 2, 3)])

    def test_twenty_simultaneous_intakes_get_twenty_consecutive_numbers(self):
        received = at(2026, 3, 2, 10)
        results = run_together(
            20, lambda i: services.intake_case(self.dispatcher, DATA, at=received).case.number
        )
        errors = [value for kind, value in results if kind != "ok"]
        self.assertEqual(errors, [])
        numbers = sorted(value for _kind, value in results)
        self.assertEqual(numbers, [f"20260302-{n:06d}" for n in range(1, 21)])
        self.assertEqual(Case.objects.count(), 20)
        self.assertEqual(CaseNumberSequence.objects.get().last, 20)
