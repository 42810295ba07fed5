"""The cast (gridgov/accounts/tests/base.py) with what the burden module adds: a street
burden office (减负办) holding the decide_demand permission through a group, an admitted
matter of the district's department, and a helper to send a demand through the service."""

from datetime import date

from django.contrib.auth.models import Group, Permission

from gridgov.accounts.choices import Role
from gridgov.accounts.tests.base import CastTestCase, make_user
from gridgov.burden import services
from gridgov.burden.choices import DemandKind
from gridgov.burden.models import AdmittedMatter


def build_burden_cast(cls):
    office = Group.objects.create(name="减负办")
    office.permissions.add(Permission.objects.get(codename="decide_demand"))
    cls.burden_office = make_user("jianfuban", Role.STREET_STAFF, cls.street)
    cls.burden_office.groups.add(office)
    cls.district_office = make_user("district-jianfuban", Role.LEADER, cls.district)
    cls.district_office.groups.add(office)
    cls.matter = services.save_matter(
        cls.admin,
        AdmittedMatter(
            code="elderly-survey",
            title="高龄老人基本情况统计",
            department=cls.department,
            basis="《江州市社区工作事项准入清单》第12项",
            community_part="每季度核实辖区80岁以上老人名单",
            valid_from=date(2024, 1, 1),
        ),
        "江州市减负办〔2024〕1号",
    )


class BurdenTestCase(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_burden_cast(cls)

    def send(self, user=None, *, recipients=None, now=None, **fields):
        data = services.DemandInput(
            kind=fields.pop("kind", DemandKind.DATA_REQUEST),
            title=fields.pop("title", "高龄老人名单核实"),
            description=fields.pop("description", "请核实本社区80岁以上老人名单"),
            working_days=fields.pop("working_days", 5),
            recipients=recipients if recipients is not None else [self.community],
            matter=fields.pop("matter", self.matter),
            **fields,
        )
        return services.send_demand(user or self.handler, data, now=now)
