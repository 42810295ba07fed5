"""Builders for cases on top of the shared cast (gridgov/accounts/tests/base.py)."""

from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.management import call_command

from gridgov.accounts.models import Department
from gridgov.accounts.tests.base import CastTestCase, make_user
from gridgov.cases import services
from gridgov.cases.models import Case, Category

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    """A moment in Shanghai time: at(2026, 2, 13, 10)."""
    return datetime(*args, tzinfo=SHANGHAI)


def run_queued_tasks() -> None:
    """What `gridgov worker` does with the task queue, until it is empty."""
    # The worker drops connections it finds inside a transaction, as each test is.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def build_case_cast(cls):
    """The cast plus a second department (水务) with its handler, and three categories."""
    cls.water = Department.objects.create(
        code="990101-sw", name="江北区水务局", short_name="水务", region=cls.district
    )
    cls.water_handler = make_user("water", "department_handler", department=cls.water)
    cls.litter = Category.objects.get(code="E0103")  # 积存垃圾渣土 → 城管
    cls.flyposting = Category.objects.get(code="E0201")  # 非法小广告 → community
    cls.burst_main = Category.objects.get(code="E0502")  # 自来水管破裂 → 水务, 24 h


class CaseTestCase(CastTestCase):
    """The cast plus a second department and a street-office user in the other district."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_case_cast(cls)

    def intake(self, actor=None, at=None, **fields) -> Case:
        data = {
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
        data.update(fields)
        return services.intake_case(actor or self.dispatcher, data, at=at).case

    def act(self, actor, case, action, at=None, **data):
        return services.perform(actor, case.number, action, data, at=at)

    def registered(self, category=None, at=None) -> Case:
        case = self.intake(at=at)
        return self.act(
            self.dispatcher, case, "register", at=at, category=(category or self.litter).code
        )

    def dispatched(self, category=None, at=None) -> Case:
        case = self.registered(category, at=at)
        return self.act(self.dispatcher, case, "dispatch", at=at)

    def handling(self, at=None) -> Case:
        case = self.dispatched(at=at)
        self.act(self.handler, case, "accept", at=at)
        return self.act(self.handler, case, "handle", at=at)

    def replied(self, at=None) -> Case:
        case = self.handling(at=at)
        return self.act(self.handler, case, "reply", at=at, result="已清运完毕")

    def closed(self, at=None) -> Case:
        case = self.replied(at=at)
        self.act(self.grid_worker, case, "verify", at=at)
        return self.act(self.dispatcher, case, "close", at=at)
