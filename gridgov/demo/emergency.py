"""A few weeks of an outbreak over the demo city (`gridgov demo --emergency`): a policy
version, the demo district switched into emergency mode, risk areas inside and outside the
city with their changes, the district's daily figures rising to four-digit days and
falling to a tail (so the phases show), arrivals reported by the grid worker with the
measures and tasks decided for them, some of them done, two communities certified
epidemic-free and one of them suspended by a new close contact today.

Everything goes through the emergency commands, as a user's actions would. Deterministic,
and done once: a database that already holds a policy version is left as it is.
"""

import math
import random
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.demo.city import CITY_CODE
from gridgov.emergency import arrivals, figures, services
from gridgov.emergency.choices import CertificationMeasure
from gridgov.emergency.models import PolicyVersion
from gridgov.emergency.policy import default_rules
from gridgov.regions.choices import Level
from gridgov.regions.models import Region

SEED = 2022
OUTBREAK_DAYS = 35  # from the first case to the last, ending 16 days before today
PEAK = 1600  # new cases a day in the district at the peak

# (division code, level, days ago it started, [(days ago, new level or "" to lift)])
OUTSIDE_AREAS = [
    ("420103", "high", 50, [(30, "medium"), (18, "low"), (9, "")]),
    ("310115", "high", 12, [(4, "medium")]),
    ("440106", "medium", 10, []),
    ("330106", "low", 5, []),
]
# (name, origin division code, days ago they left, days ago they arrived, hours more before
# the report: the policy allows 12)
ARRIVALS = [
    ("周建华", "310115", 2, 1, 0),
    ("吴丽娟", "310115", 1, 1, 0),
    ("郑海涛", "440106", 3, 2, 0),
    ("王思远", "440106", 2, 1, 20),
    ("冯雪梅", "330106", 1, 0, 0),
    ("陈志强", "330106", 4, 3, 0),
    ("褚晓燕", "110101", 2, 1, 0),
    ("卫国平", "420103", 20, 19, 0),
    ("蒋文博", "310115", 6, 5, 0),
    ("沈佳怡", "440106", 8, 7, 30),
    ("韩立新", "330106", 2, 2, 0),
    ("杨晓东", "500103", 3, 1, 0),
]
PHONES = "13{:09d}"


@dataclass
class DemoEmergency:
    created: bool
    arrivals: int = 0
    figure_rows: int = 0
    seconds: float = 0.0


def build_demo_emergency(today: date | None = None, stdout=None) -> DemoEmergency:
    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    started = clock.monotonic()
    if not Region.objects.filter(code=CITY_CODE).exists():
        raise LookupError("The demo city is not there: build it first (build_demo_city).")
    if PolicyVersion.objects.exists():
        return DemoEmergency(created=False)
    with transaction.atomic():
        builder = _Builder(today or timezone.localdate(), say)
        builder.run()
    builder.result.seconds = clock.monotonic() - started
    return builder.result


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class _Builder:
    def __init__(self, today: date, say):
        self.today = today
        self.say = say
        self.rng = random.Random(SEED)
        self.result = DemoEmergency(created=True)
        self.admin = User.objects.get(username="admin")
        self.leader = User.objects.get(username="leader")
        self.street_user = User.objects.get(username="street")
        self.community_user = User.objects.get(username="community")
        self.grid_worker = User.objects.get(username="gridworker")
        self.community = self.community_user.region
        self.street = self.street_user.region
        self.district = self.street.parent

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def run(self) -> None:
        PolicyVersion.objects.create(
            title="2022年疫情防控规则",
            rules=default_rules(),
            active_from=self.ago(60),
            note="按2022年常态化防控措施：高风险地区来返人员7天集中隔离，中风险7天居家隔离，低风险3天2检。",
            created_by=self.admin,
            activated_by=self.admin,
        )
        services.switch_on(self.leader, self.district, "江北区发现本土聚集性疫情，启动应急响应。")
        self.risk_areas()
        self.figures()
        self.arrivals()
        self.certifications()

    def risk_areas(self) -> None:
        for code, level, started, changes in OUTSIDE_AREAS:
            area = services.set_risk_area(
                self.leader,
                services.RiskAreaInput(
                    level, self.ago(started), "国家卫健委发布", division_code=code
                ),
            )
            for days_ago, to_level in changes:
                services.change_risk_level(
                    self.leader, area, to_level, "按规则连续无新增病例", on=self.ago(days_ago)
                )
        grid = self.grid_worker.grids.order_by("code").first()
        inside = services.set_risk_area(
            self.leader,
            services.RiskAreaInput(
                "high", self.ago(40), "楼栋内发现聚集性病例", region=grid, detail="全网格封控"
            ),
        )
        services.change_risk_level(self.leader, inside, "medium", "14天无新增", on=self.ago(17))
        self.say("  risk areas: 5, with their changes\n")

    def figures(self) -> None:
        """The district's communities share each day's new cases; the outbreak ends 16 days
        before today, so that communities can be certified, and one community reports a
        close contact today."""
        communities = list(
            Region.objects.filter(
                level=Level.COMMUNITY, path__startswith=self.district.path
            ).order_by("code")
        )
        first = self.ago(16 + OUTBREAK_DAYS)
        rows = []
        for offset in range(OUTBREAK_DAYS):
            day = first + timedelta(days=offset)
            # A rise and a longer fall, as the 2022 waves had.
            centre, width = OUTBREAK_DAYS * 0.35, OUTBREAK_DAYS * (0.16 if offset < 12 else 0.22)
            total = round(PEAK * math.exp(-(((offset - centre) / width) ** 2)))
            weights = [self.rng.random() ** 3 for _ in communities]
            scale = sum(weights) or 1
            for community, weight in zip(communities, weights, strict=True):
                confirmed = round(total * weight / scale)
                if not confirmed:
                    continue
                rows.append(
                    figures.Row(
                        community,
                        day,
                        {
                            "confirmed": confirmed,
                            "asymptomatic": round(confirmed * 0.6),
                            "suspected": round(confirmed * 0.05),
                            "close_contacts": confirmed * 4,
                        },
                    )
                )
        figures.enter(self.leader, rows)
        self.result.figure_rows = len(rows)
        self.communities = communities
        self.say(f"  daily figures: {len(rows):,} rows over {OUTBREAK_DAYS} days\n")

    def arrivals(self) -> None:
        buildings = list(
            Region.objects.filter(
                level=Level.BUILDING, parent__in=self.grid_worker.grids.all()
            ).order_by("code")
        )
        rows = []
        for number, (name, origin, left, arrived, late) in enumerate(ARRIVALS, start=1):
            arrived_at = _at(self.ago(arrived), 8 + number % 10)
            if arrived_at > timezone.now():
                arrived_at = timezone.now() - timedelta(hours=1)
            reported_at = min(arrived_at + timedelta(hours=2 + late), timezone.now())
            rows.append(
                (
                    number,
                    arrivals.ArrivalInput(
                        name=name,
                        origin_code=origin,
                        left_on=self.ago(left),
                        arrived_at=arrived_at,
                        region=buildings[number % len(buildings)],
                        channel="grid_worker",
                        phone=PHONES.format(900000000 + number * 7919),
                        reported_at=reported_at,
                    ),
                )
            )
        reported = arrivals.report_many(self.grid_worker, rows)
        self.result.arrivals = len(reported)
        done = 0
        for arrival in reported:
            for measure in arrival.measures.all():
                for task in measure.tasks.filter(due_at__lt=timezone.now()).order_by("due_at")[:2]:
                    arrivals.finish_task(self.grid_worker, task, "已按要求完成")
                    done += 1
        self.say(f"  arrivals: {len(reported)}, {done} of their tasks done\n")

    def certifications(self) -> None:
        attested = {
            measure: (f"{label}：已落实，有台账", None)
            for measure, label in CertificationMeasure.choices
        }
        neighbour = (
            Region.objects.filter(parent=self.street, level=Level.COMMUNITY)
            .exclude(pk=self.community.pk)
            .order_by("code")
            .first()
        )
        for community, applicant in (
            (self.community, self.community_user),
            (neighbour, self.admin),
        ):
            certification = services.apply_for_certification(applicant, community, attested)
            services.decide_certification(self.street_user, certification, True, "经核查符合标准")
        # A close contact found today in the neighbour community suspends its certificate.
        figures.enter(self.leader, [figures.Row(neighbour, self.today, {"close_contacts": 1})])
        self.say("  certifications: 2 communities, one suspended by a close contact today\n")
