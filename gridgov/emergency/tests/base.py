"""The emergency cast: the accounts cast (gridgov/accounts/tests/base.py) and the
registry's buildings and rooms, a policy version in force for the last 90 days (the
default rules: high risk → 7 days of central quarantine, medium → 7 days at home, low →
health monitoring with tests), a city leader, and helpers to build arrivals' facts."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from gridgov.accounts.choices import Role
from gridgov.accounts.tests.base import CastTestCase, make_user
from gridgov.emergency.models import PolicyVersion
from gridgov.emergency.policy import default_rules
from gridgov.registry.tests.base import build_registry_cast

WUHAN_JIANGHAN = "420103"  # 湖北省武汉市江汉区
SHANGHAI_PUDONG = "310115"  # 上海市浦东新区


def at(day, hour=10, minute=0):
    """An aware datetime in the city's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def build_emergency_cast(cls):
    build_registry_cast(cls)
    cls.today = timezone.localdate()
    cls.city_leader = make_user("cityleader", Role.LEADER, cls.city)
    cls.policy_version = PolicyVersion.objects.create(
        title="2022 rules",
        rules=default_rules(),
        active_from=cls.today - timedelta(days=90),
        activated_by=cls.admin,
    )


class EmergencyTestCase(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_emergency_cast(cls)

    def days_ago(self, days):
        return self.today - timedelta(days=days)
