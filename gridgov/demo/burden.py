"""The demo city's burden data (减负): a starter admission list, a burden office, ten
months of demands of every kind from the demo district's departments and street office —
holiday-eve dumps found on the working-day calendar, repeats, an unadmitted voting
campaign, held demands the office decided — data requests answered partly by the platform
and partly by hand, and a few secondments; so that the observatory shows something real on
the first run. Deterministic, and everything goes through the burden services, as a user's
would.
"""

import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department, User
from gridgov.burden import data_requests, services
from gridgov.burden.choices import DemandKind, RecipientState, SecondmentKind
from gridgov.burden.models import AdmittedMatter, Demand, Secondment
from gridgov.demo.city import CITY_CODE, DEMO_PASSWORD
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.workdays.calendar import WorkingCalendar

BURDEN_OFFICE = "jianfuban"
MONTHS = 10

# (code, title, department abbreviation, what the community does)
MATTERS = [
    (
        "elderly-allowance",
        "高龄津贴申领初审",
        "mz",
        "受理辖区80周岁以上老人高龄津贴申请，核对材料后报街道",
    ),
    (
        "subsistence-survey",
        "最低生活保障入户调查",
        "mz",
        "配合街道开展低保对象入户调查，如实记录家庭情况",
    ),
    ("employment-figures", "就业失业人员基础数据", "rs", "每月核实辖区新增就业、失业登记人员情况"),
    (
        "gas-safety",
        "燃气安全入户宣传排查",
        "zj",
        "配合开展居民燃气安全宣传和隐患排查，发现隐患及时上报",
    ),
    ("patriotic-health", "爱国卫生运动", "wj", "组织居民开展环境卫生整治，配合病媒生物防制"),
    ("flood-readiness", "防汛防台应急准备", "sw", "汛期前排查低洼易涝点，落实转移安置人员名单"),
    ("grid-meetings", "网格工作例会", "", "参加街道组织的月度网格工作例会"),
    ("community-assessment", "社区工作年度考评", "", "按街道考评细则报送年度工作情况"),
]
APPROVAL = "江州市委社会工作部〔2024〕3号"
BASIS = "《江州市社区工作事项准入清单（2024年版）》第{n}项"
TYPED_COLUMN = ("本月新增就业人数", "人")
FIGURES = [
    "registry.population",
    "registry.households",
    "registry.age.80+",
    "registry.tag.elderly-alone",
    "cases.received",
    "patrol.coverage",
]


@dataclass
class DemoBurden:
    created: bool
    demands: int = 0
    data_requests: int = 0
    secondments: int = 0
    seconds: float = 0.0


def demo_burden_exists() -> bool:
    return Demand.objects.exists()


def build_demo_burden(today: date | None = None, stdout=None) -> DemoBurden:
    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    started = clock.monotonic()
    today = today or timezone.localdate()
    city = Region.objects.filter(code=CITY_CODE).first()
    if city is None:
        raise LookupError("The demo city is not there: build it first (build_demo_city).")
    if demo_burden_exists():
        return DemoBurden(created=False, demands=Demand.objects.count())
    with transaction.atomic():
        builder = _Builder(city, today, say)
        builder.run()
    result = builder.result
    result.seconds = clock.monotonic() - started
    return result


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class _Builder:
    def __init__(self, city: Region, today: date, say):
        self.today = today
        self.say = say
        self.result = DemoBurden(created=True)
        self.admin = User.objects.get(username="admin")
        street_user = User.objects.get(username="street")
        self.street_user = street_user
        self.street = street_user.region
        self.district = self.street.parent
        self.departments = {
            d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(region=self.district)
        }
        self.handlers = {}
        streets = Region.objects.filter(parent=self.district, level=Level.STREET).order_by("code")
        self.communities = list(
            Region.objects.filter(parent__in=list(streets[:2]), level=Level.COMMUNITY).order_by(
                "code"
            )
        )
        self.own_communities = [c for c in self.communities if c.parent_id == self.street.pk]
        self.staff = self.community_staff()
        self.calendar = WorkingCalendar(today - timedelta(days=400), today + timedelta(days=40))

    # --- the people ----------------------------------------------------------------

    def handler(self, abbreviation: str) -> User:
        """A handler of the department, made for the demo when it has none."""
        department = self.departments[abbreviation]
        if abbreviation not in self.handlers:
            user = (
                User.objects.filter(role=Role.DEPARTMENT_HANDLER, department=department)
                .order_by("pk")
                .first()
            )
            if user is None:
                user = User.objects.create(
                    username=f"dept-{abbreviation}-burden",
                    password=make_password(DEMO_PASSWORD),
                    role=Role.DEPARTMENT_HANDLER,
                    department=department,
                    display_name=department.short_name or department.name,
                )
            self.handlers[abbreviation] = user
        return self.handlers[abbreviation]

    def community_staff(self) -> dict[int, User]:
        """Someone to answer for each community the demands go to: its staff, or a demo
        account named as the demo cases name theirs (community-<code>)."""
        staff = {}
        for user in User.objects.filter(
            role=Role.COMMUNITY_STAFF, region__in=self.communities
        ).order_by("pk"):
            staff.setdefault(user.region_id, user)
        password = make_password(DEMO_PASSWORD)
        for community in self.communities:
            if community.pk not in staff:
                staff[community.pk] = User.objects.create(
                    username=f"community-{community.code}",
                    password=password,
                    role=Role.COMMUNITY_STAFF,
                    region=community,
                    display_name=f"{community.name}工作人员",
                )
        return staff

    def burden_office(self) -> User:
        group, _created = Group.objects.get_or_create(name="减负办")
        group.permissions.add(Permission.objects.get(codename="decide_demand"))
        user, _created = User.objects.get_or_create(
            username=BURDEN_OFFICE,
            defaults={
                "password": make_password(DEMO_PASSWORD),
                "role": Role.STREET_STAFF,
                "region": self.street,
                "display_name": "吴静",
            },
        )
        user.groups.add(group)
        return user

    # --- the list and the demands ---------------------------------------------------

    def run(self) -> None:
        self.office = self.burden_office()
        self.matters = self.admission_list()
        first_month = (self.today.replace(day=1) - timedelta(days=31 * (MONTHS - 1))).replace(day=1)
        month = first_month
        while month <= self.today:
            self.month(month)
            month = (month + timedelta(days=32)).replace(day=1)
        for eve in self.holiday_eves(first_month):
            self.holiday_dump(eve)
        self.unadmitted(first_month)
        self.secondments()
        self.result.demands = Demand.objects.count()
        self.say(
            f"  {self.result.demands:,} demands ({self.result.data_requests:,} data requests), "
            f"{self.result.secondments} secondments; burden office: {BURDEN_OFFICE}"
        )

    def admission_list(self) -> dict[str, AdmittedMatter]:
        matters = {}
        for n, (code, title, department, part) in enumerate(MATTERS, start=1):
            matters[code] = services.save_matter(
                self.admin,
                AdmittedMatter(
                    code=code,
                    title=title,
                    department=self.departments.get(department),
                    basis=BASIS.format(n=n),
                    community_part=part,
                    valid_from=date(2024, 1, 1),
                ),
                APPROVAL,
            )
        return matters

    def workday_on_or_after(self, day: date) -> date:
        while not self.calendar.is_workday(day):
            day += timedelta(days=1)
        return day

    def send(self, user, day, kind, title, matter, *, days=5, recipients=None, **extra):
        return services.send_demand(
            user,
            services.DemandInput(
                kind=kind,
                title=title,
                description=extra.pop("description", title),
                working_days=days,
                recipients=recipients or self.communities,
                matter=self.matters.get(matter) if matter else None,
                **extra,
            ),
            now=_at(day, 9),
        )

    def data_request(
        self, user, day, title, period, *, days=5, typed=True, matter="employment-figures"
    ):
        columns = [data_requests.ColumnInput(figure=key) for key in FIGURES]
        if typed:
            columns.append(data_requests.ColumnInput(label=TYPED_COLUMN[0], unit=TYPED_COLUMN[1]))
        made = data_requests.send_data_request(
            user,
            services.DemandInput(
                kind=DemandKind.DATA_REQUEST,
                title=title,
                description=f"请于{days}个工作日内报送{period[0]:%Y年%m月}数据",
                working_days=days,
                recipients=self.communities,
                matter=self.matters[matter],
            ),
            period[0],
            period[1],
            columns,
            now=_at(day, 10),
        )
        self.result.data_requests += 1
        return made

    def answer_table(self, made, day: date) -> None:
        """The communities with staff answer the column the platform does not hold."""
        for recipient in made.demand.recipients.select_related("region", "demand"):
            staff = self.staff.get(recipient.region_id)
            missing = data_requests.missing_columns(recipient)
            if staff is None or not missing:
                continue
            figure = 3 + (recipient.region_id + day.month) % 9
            data_requests.answer_columns(
                staff,
                recipient,
                {str(column.position): str(figure) for column in missing},
                now=_at(day, 15),
            )

    def answer_all(self, demand: Demand, day: date, text: str) -> None:
        for recipient in demand.recipients.all():
            staff = self.staff.get(recipient.region_id)
            if staff is not None and recipient.state == RecipientState.RECEIVED:
                services.respond(
                    staff,
                    recipient,
                    services.Response(RecipientState.ANSWERED, answer=text),
                    now=_at(day, 16),
                )

    def month(self, first: date) -> None:
        """What a month brings: the monthly figures (asked twice, once as a repeat), a task,
        the street's meeting, and every other month an inspection and an indicator."""
        previous_end = first - timedelta(days=1)
        period = (previous_end.replace(day=1), previous_end)
        ask = self.workday_on_or_after(first + timedelta(days=2))
        labour = self.handler("rs")
        if ask <= self.today:
            made = self.data_request(labour, ask, f"{period[0]:%Y年%m月}就业基础数据", period)
            answered = self.workday_on_or_after(ask + timedelta(days=2))
            if answered <= self.today:
                self.answer_table(made, answered)
            again = self.workday_on_or_after(ask + timedelta(days=9))
            if again <= self.today:
                self.data_request(
                    labour, again, f"{period[0]:%Y年%m月}就业基础数据（补报）", period
                )
            # The same figures without the column of its own: the platform answers in full.
            civil = self.handler("mz")
            self.data_request(
                civil,
                ask,
                f"{period[0]:%Y年%m月}老年人口情况",
                period,
                typed=False,
                matter="elderly-allowance",
            )
        task_day = self.workday_on_or_after(first + timedelta(days=9))
        if task_day <= self.today:
            task = self.send(
                self.handler("zj"),
                task_day,
                DemandKind.TASK,
                "燃气安全入户排查",
                "gas-safety",
                days=10,
            )
            done = task_day + timedelta(days=14)
            if done <= self.today:
                self.answer_all(task, done, "已完成入户排查，隐患清单已上报")
        meeting_day = self.workday_on_or_after(first + timedelta(days=14))
        if meeting_day <= self.today:
            self.send(
                self.street_user,
                meeting_day,
                DemandKind.MEETING,
                "月度网格工作例会",
                "grid-meetings",
                days=3,
                recipients=self.own_communities,
            )
        if first.month % 2 == 0:
            check = self.workday_on_or_after(first + timedelta(days=19))
            if check <= self.today:
                self.send(
                    self.handler("wj"),
                    check,
                    DemandKind.INSPECTION,
                    "爱国卫生迎检准备",
                    "patriotic-health",
                    days=2,
                )
                self.send(
                    self.street_user,
                    check,
                    DemandKind.INDICATOR,
                    "社区工作考评指标报送",
                    "community-assessment",
                    days=5,
                    recipients=self.own_communities,
                )

    def holiday_eves(self, since: date) -> list[date]:
        """The last working day before each public holiday since `since`."""
        eves, day = [], since
        while day <= self.today:
            if self.calendar.is_workday(day):
                following = day + timedelta(days=1)
                while not self.calendar.is_workday(following):
                    if self.calendar.is_public_holiday(following):
                        eves.append(day)
                        break
                    following += timedelta(days=1)
            day += timedelta(days=1)
        return eves

    def holiday_dump(self, eve: date) -> None:
        """What lands on the eve of a holiday, due right after it."""
        self.send(
            self.handler("sw"),
            eve,
            DemandKind.TASK,
            "节日期间安全隐患排查",
            "flood-readiness",
            days=2,
            description="请于节后两个工作日内报送排查台账",
        )
        period_end = eve - timedelta(days=1)
        self.data_request(
            self.handler("mz"),
            eve,
            "节前困难群众走访慰问名单",
            (period_end.replace(day=1), period_end),
            days=1,
            matter="subsistence-survey",
        )

    def unadmitted(self, since: date) -> None:
        """A voting campaign (refused as sent), and two matters off the list that the
        burden office decided: one admitted as an exception, one refused."""
        day = self.workday_on_or_after(since + timedelta(days=40))
        self.send(
            self.handler("wj"),
            day,
            DemandKind.CAMPAIGN,
            "“最美社区”网络投票",
            None,
            asks_for_engagement=True,
            description="请发动居民每日投票并转发朋友圈，按票数排名",
        )
        held = self.send(
            self.handler("zj"),
            day,
            DemandKind.TASK,
            "城市文明创建台账整理",
            None,
            recipients=self.own_communities,
        )
        services.decide_held(
            self.office,
            held,
            admit=False,
            reason="台账整理属痕迹管理，不在社区工作事项准入清单内",
            now=_at(day, 15),
        )
        later = self.workday_on_or_after(day + timedelta(days=60))
        exception = self.send(
            self.handler("sw"),
            later,
            DemandKind.TASK,
            "汛后积水点复核",
            None,
            recipients=self.own_communities,
        )
        services.decide_held(
            self.office,
            exception,
            admit=True,
            reason="汛后安全复核时间紧，作为例外准入，下年纳入清单",
            now=_at(later, 15),
        )
        objected = self.send(
            self.handler("scjg"),
            later,
            DemandKind.TASK,
            "辖区商户证照核查",
            None,
            recipients=self.own_communities[:1],
        )
        services.decide_held(
            self.office, objected, admit=True, reason="试行一次", now=_at(later, 16)
        )
        recipient = objected.recipients.get()
        staff = self.staff.get(recipient.region_id)
        if staff is not None:
            services.respond(
                staff,
                recipient,
                services.Response(
                    RecipientState.OBJECTED, objection="证照核查属市场监管执法职责，社区无权核查"
                ),
                now=_at(later + timedelta(days=1), 10),
            )
            services.resolve_objection(
                self.office,
                recipient,
                uphold=True,
                reason="同意，退回市场监管部门",
                now=_at(later + timedelta(days=2), 10),
            )

    def secondments(self) -> None:
        community = self.own_communities[0]
        rows = [
            ("刘洋", SecondmentKind.SECONDED, "zj", "", 200, 120),
            ("陈晓", SecondmentKind.DRAWN, "", "区创建文明城市指挥部", 90, None),
            ("黄磊", SecondmentKind.DRAWN, "wj", "", 40, None),
        ]
        for name, kind, department, unit, ago, lasted in rows:
            start = self.today - timedelta(days=ago)
            Secondment.objects.create(
                kind=kind,
                person_name=name,
                from_region=community if name != "黄磊" else self.own_communities[-1],
                to_department=self.departments.get(department) if department else None,
                to_unit=unit,
                approved_by="江北区委组织部" if department else "望江街道党工委",
                approval="区组干〔2026〕12号" if department else "",
                reason="创文迎检" if not department else "专项工作",
                started_on=start,
                planned_end_on=start + timedelta(days=60 if name != "刘洋" else 150),
                returned_on=start + timedelta(days=lasted) if lasted else None,
                recorded_by=self.office,
            )
            self.result.secondments += 1
