"""Data requests answered from the platform: every cell the platform holds is filled at
once and equals the figure the platform shows elsewhere; only the other columns go down;
an answer is given once and reused; a repeat is answered from the earlier request."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.burden import data_requests, services
from gridgov.burden.choices import Admission, RecipientState
from gridgov.burden.data_requests import ColumnInput
from gridgov.burden.models import ColumnAnswer, DataRequest, Demand, RequestRow, Source
from gridgov.burden.tests.base import build_burden_cast
from gridgov.cases.tests.base import CaseTestCase
from gridgov.metrics.figures import region_figures
from gridgov.registry import services as registry
from gridgov.registry.figures import registry_figures
from gridgov.registry.models import PatrolLog
from gridgov.registry.tests.base import build_registry_cast, resident_id

FIGURES = [
    "registry.population",
    "registry.households",
    "registry.age.80+",
    "registry.tag.elderly-alone",
    "cases.received",
    "cases.closed",
    "cases.resolution_rate",
    "patrol.visits",
    "patrol.coverage",
]


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class DataRequestTests(CaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_burden_cast(cls)
        build_registry_cast(cls)
        household = registry.household_at(cls.room)
        for serial, born in ((1, date(1938, 5, 2)), (2, date(1990, 7, 1))):
            registry.save_person(
                cls.admin,
                registry.PersonInput(
                    name=f"居民{serial}",
                    residence_type="registered",
                    document_type="resident_id",
                    document_number=resident_id(born, serial),
                    tags=[cls.elderly_alone] if serial == 1 else [],
                ),
                household,
                via="test",
            )
        registry.household_at(cls.neighbour_room)
        PatrolLog.objects.create(
            worker=cls.grid_worker,
            grid=cls.grid,
            visited_at=timezone.now() - timedelta(days=1),
            household=household,
            found="独居老人身体良好",
        )

    def setUp(self):
        super().setUp()
        self.closed()
        self.today = timezone.localdate()
        self.first = self.today - timedelta(days=29)

    def request(self, user=None, columns=None, recipients=None, **fields):
        data = services.DemandInput(
            kind="data_request",
            title=fields.pop("title", "月度基础数据"),
            description="请报送本月基础数据",
            working_days=5,
            recipients=recipients or [self.community, self.neighbour_community],
            matter=fields.pop("matter", self.matter),
        )
        if columns is None:
            columns = [ColumnInput(figure=key) for key in FIGURES]
            columns.append(ColumnInput(label="本月开展志愿服务次数", unit="次"))
        return data_requests.send_data_request(
            user or self.handler,
            data,
            fields.pop("period_start", self.first),
            fields.pop("period_end", self.today),
            columns,
        )

    def row(self, request, region) -> RequestRow:
        return RequestRow.objects.get(request=request, region=region)

    def test_the_platform_fills_what_it_holds_and_equals_its_own_figures(self):
        request = self.request()
        row = self.row(request, self.community)
        registered = registry_figures([self.community.path])
        cases = region_figures(
            self.community, midnight(self.first), midnight(self.today + timedelta(days=1))
        )
        values = {c.figure or c.label: row.values[str(c.position)] for c in request.columns.all()}
        self.assertEqual(values["registry.population"], registered.population)
        self.assertEqual(values["registry.population"], 2)
        self.assertEqual(values["registry.households"], 1)
        self.assertEqual(values["registry.age.80+"], 1)
        self.assertEqual(values["registry.tag.elderly-alone"], 1)
        self.assertEqual(values["cases.received"], cases.received)
        self.assertEqual(values["cases.received"], 1)
        self.assertEqual(values["cases.closed"], 1)
        self.assertEqual(values["patrol.visits"], 1)
        self.assertEqual(values["patrol.coverage"], 100.0)
        self.assertIsNone(values["本月开展志愿服务次数"])
        self.assertEqual(
            (row.cells_platform, row.cells_reused, row.cells_typed, row.cells_missing),
            (len(FIGURES), 0, 0, 1),
        )
        neighbour = self.row(request, self.neighbour_community)
        self.assertEqual(neighbour.values["1"], 0)
        self.assertEqual(neighbour.values[str(FIGURES.index("patrol.coverage") + 1)], 0.0)
        # Only the column the platform does not hold is left to the communities.
        recipient = request.demand.recipients.get(region=self.community)
        self.assertEqual(recipient.state, RecipientState.RECEIVED)
        self.assertEqual(
            [c.label for c in data_requests.missing_columns(recipient)], ["本月开展志愿服务次数"]
        )

    def test_intake_per_first_level_category_adds_up_to_the_intake(self):
        self.dispatched()  # open: counted from the case table, the closed one from rollups
        root = self.litter
        while root.parent_id:
            root = root.parent
        key = f"cases.category.{root.code}"
        request = self.request(
            columns=[ColumnInput(figure="cases.received"), ColumnInput(figure=key)],
            recipients=[self.community],
        )
        row = self.row(request, self.community)
        self.assertEqual(row.values["2"], 2)
        self.assertEqual(row.values["2"], row.values["1"])

    def test_a_street_and_its_community_in_one_table_each_count_their_own(self):
        self.dispatched()
        root = self.litter
        while root.parent_id:
            root = root.parent
        columns = [
            ColumnInput(figure=key)
            for key in ("cases.received", f"cases.category.{root.code}", "patrol.visits")
        ]
        places = [self.street, self.community, self.neighbour_community, self.other_community]
        request = self.request(self.admin, columns=columns, recipients=places)
        for place in places:
            alone = self.request(
                self.admin, columns=columns, recipients=[place], title=f"单独 {place.code}"
            )
            with self.subTest(place=place.name):
                self.assertEqual(self.row(request, place).values, self.row(alone, place).values)
        self.assertEqual(self.row(request, self.street).values, {"1": 2, "2": 2, "3": 1})
        self.assertEqual(self.row(request, self.other_community).values, {"1": 0, "2": 0, "3": 0})

    def test_a_table_the_platform_fills_whole_is_answered_at_once(self):
        request = self.request(columns=[ColumnInput(figure=key) for key in FIGURES])
        states = set(request.demand.recipients.values_list("state", flat=True))
        self.assertEqual(states, {RecipientState.ANSWERED})

    def test_an_answer_is_given_once_and_reused(self):
        first = self.request()
        recipient = first.demand.recipients.get(region=self.community)
        position = str(first.columns.get(figure="").position)
        with self.assertRaises(ValidationError) as refused:
            data_requests.answer_columns(self.community_staff, recipient, {position: " "})
        self.assertIn(f"column_{position}", refused.exception.message_dict)
        with self.assertRaises(PermissionDenied):
            data_requests.answer_columns(self.outsider, recipient, {position: "3"})
        data_requests.answer_columns(self.community_staff, recipient, {position: "3"})
        row = self.row(first, self.community)
        self.assertEqual((row.values[position], row.sources[position]), ("3", Source.TYPED))
        recipient.refresh_from_db()
        self.assertEqual(recipient.state, RecipientState.ANSWERED)

        # Another sender asks the same column (spelt with a space) for the same period.
        later = self.request(
            self.street_staff,
            columns=[
                ColumnInput(figure="registry.population"),
                ColumnInput(label="本月开展 志愿服务次数", unit="次"),
            ],
            recipients=[self.community],
        )
        row = self.row(later, self.community)
        self.assertEqual((row.values["2"], row.sources["2"]), ("3", Source.REUSED))
        self.assertEqual(later.demand.recipients.get().state, RecipientState.ANSWERED)
        self.assertEqual(ColumnAnswer.objects.count(), 1)

    def test_an_answer_fills_the_same_question_still_open_elsewhere(self):
        one = self.request(recipients=[self.community])
        two = self.request(self.street_staff, recipients=[self.community], title="另一张表")
        recipient = one.demand.recipients.get()
        position = str(one.columns.get(figure="").position)
        data_requests.answer_columns(self.community_staff, recipient, {position: "5"})
        other = self.row(two, self.community)
        self.assertEqual(other.sources[position], Source.REUSED)
        self.assertEqual(two.demand.recipients.get().state, RecipientState.ANSWERED)

    def test_a_repeat_is_answered_from_the_earlier_request(self):
        first = self.request(recipients=[self.community])
        position = str(first.columns.get(figure="").position)
        data_requests.answer_columns(
            self.community_staff, first.demand.recipients.get(), {position: "2"}
        )
        again = self.request(recipients=[self.community], title="再报一次")
        self.assertEqual(again.answered_from, first)
        self.assertEqual(again.demand.recipients.get().state, RecipientState.ANSWERED)
        different = self.request(
            recipients=[self.community], period_start=self.first - timedelta(days=1)
        )
        self.assertIsNone(different.answered_from)

    def test_a_held_request_is_filled_for_the_requester_but_goes_down_to_no_one(self):
        request = self.request(matter=None)
        self.assertEqual(request.demand.admission, Admission.HELD)
        self.assertEqual(self.row(request, self.community).values["1"], 2)
        recipient = request.demand.recipients.get(region=self.community)
        self.assertEqual(recipient.state, RecipientState.RECEIVED)
        with self.assertRaises(PermissionDenied):
            data_requests.answer_columns(self.community_staff, recipient, {"10": "1"})

    def test_bad_input_names_the_field_and_sends_nothing(self):
        for fields, name in (
            ({"columns": []}, "columns"),
            ({"columns": [ColumnInput(figure="registry.nothing")]}, "columns"),
            ({"columns": [ColumnInput(label="")]}, "columns"),
            ({"columns": [ColumnInput(figure="cases.received")] * 2}, "columns"),
            ({"columns": [ColumnInput(label="次数"), ColumnInput(label=" 次数")]}, "columns"),
            ({"period_end": self.today + timedelta(days=1)}, "period_end"),
            ({"period_start": self.today, "period_end": self.first}, "period_end"),
            ({"period_start": self.today - timedelta(days=400)}, "period_end"),
        ):
            with self.subTest(fields=fields), self.assertRaises(ValidationError) as refused:
                self.request(**fields)
            self.assertIn(name, refused.exception.message_dict)
        self.assertFalse(Demand.objects.exists())
        self.assertFalse(DataRequest.objects.exists())
