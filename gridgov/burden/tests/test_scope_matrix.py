"""The burden module joins the role × scope matrix (ScopeMatrixMixin): a demand's page, a
community's copy of it, a data request's table and its Excel, the observatory of an area
and a secondment's page, and the API's reads of each. Every role of the cast gets 200
inside its scope and 404 outside it; a role the page is not for gets 404 on both sides.

Each object is placed in the community of the grid the matrix names. Demands are sent by
the department of that grid's district, so that a department's handler finds its own
department's demands inside and the other district's department's outside; the street's
and the district's burden offices (减负办) join the cast's roles.
"""

from datetime import timedelta
from itertools import count

from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.choices import Role
from gridgov.accounts.tests.base import ScopeMatrixMixin, make_user
from gridgov.burden import data_requests, secondments, services
from gridgov.burden.choices import DemandKind, SecondmentKind
from gridgov.burden.tests.base import BurdenTestCase

_serial = count(1)


class BurdenScopeMixin(ScopeMatrixMixin):
    # The cast's roles the page is not for, by attribute name: 404 inside and outside.
    without_page: tuple[str, ...] = ()
    # The burden offices that read it, as (attribute, inside grid, outside grid).
    offices = (("burden_office", "grid", "other_grid"), ("district_office", "grid", "other_grid"))

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_handler = make_user(
            "other-dept", Role.DEPARTMENT_HANDLER, department=cls.other_department
        )

    def shut_out(self) -> list:
        return [getattr(self, name) for name in self.without_page]

    def scope_cases(self):
        shut = self.shut_out()
        cases = [case for case in super().scope_cases() if case[0] not in shut]
        for name, inside, outside in self.offices:
            user = getattr(self, name)
            if user not in shut:
                cases.append((user, getattr(self, inside), getattr(self, outside)))
        return cases

    def test_the_roles_it_is_not_for_get_404_inside_and_outside(self):
        for user in self.shut_out():
            self.login(user)
            for grid in (self.grid, self.other_grid):
                with self.subTest(role=user.role, user=user.username, grid=grid.name):
                    response = self.client.get(self.url_for(self.make_object(grid)))
                    self.assertEqual(response.status_code, 404)

    def sender_for(self, grid):
        return self.handler if grid.path.startswith(self.district.path) else self.other_handler

    def demand_in(self, grid):
        return self.send(
            self.sender_for(grid),
            recipients=[grid.parent],
            kind=DemandKind.TASK,
            title=f"门前三包检查{next(_serial)}",
        )

    def data_request_in(self, grid):
        today = timezone.localdate()
        return data_requests.send_data_request(
            self.sender_for(grid),
            services.DemandInput(
                kind=DemandKind.DATA_REQUEST,
                title=f"受理量统计{next(_serial)}",
                description="请报送上月受理量",
                working_days=5,
                recipients=[grid.parent],
                matter=self.matter,
            ),
            today - timedelta(days=30),
            today - timedelta(days=1),
            [data_requests.ColumnInput(figure="cases.received")],
        )

    def secondment_in(self, grid):
        today = timezone.localdate()
        return secondments.record(
            self.admin,
            {
                "kind": SecondmentKind.SECONDED,
                "person_name": f"王小红{next(_serial)}",
                "from_region": grid.parent,
                "to_department": self.department,
                "to_unit": "",
                "approved_by": "街道党工委",
                "approval": "",
                "reason": "创建文明城市迎检",
                "started_on": today - timedelta(days=30),
                "planned_end_on": today + timedelta(days=30),
            },
        )


class ApiScopeMixin(BurdenScopeMixin):
    def test_anonymous_visitor_is_sent_to_log_in(self):
        """The API sends nobody to a login page: without credentials it answers 401."""
        response = self.client.get(self.url_for(self.make_object(self.grid)))
        self.assertEqual(response.status_code, 401)


# --- the pages ---------------------------------------------------------------------------

# Senders, the places a demand reached and the burden office read it; dispatchers and grid
# workers have no part in the burden module.
DEMAND_READERS_EXCLUDED = ("dispatcher", "grid_worker")
# A community's copy is for the streets and communities that answer.
COPY_EXCLUDED = ("leader", "dispatcher", "grid_worker", "handler", "district_office")
# The observatory is for leaders and the burden office.
OBSERVATORY_EXCLUDED = (
    "street_staff",
    "community_staff",
    "dispatcher",
    "grid_worker",
    "handler",
    "outsider",
)
# Secondments are kept by street and community staff and leaders.
SECONDMENT_EXCLUDED = ("dispatcher", "grid_worker", "handler")


class DemandPageScopeTests(BurdenScopeMixin, BurdenTestCase):
    without_page = DEMAND_READERS_EXCLUDED

    def make_object(self, grid):
        return self.demand_in(grid)

    def url_for(self, obj):
        return reverse("burden:demand", args=[obj.pk])


class ReceivedPageScopeTests(BurdenScopeMixin, BurdenTestCase):
    without_page = COPY_EXCLUDED

    def make_object(self, grid):
        return self.demand_in(grid).recipients.get()

    def url_for(self, obj):
        return reverse("burden:received", args=[obj.pk])


class DataRequestTableScopeTests(BurdenScopeMixin, BurdenTestCase):
    without_page = DEMAND_READERS_EXCLUDED

    def make_object(self, grid):
        return self.data_request_in(grid)

    def url_for(self, obj):
        return reverse("data_requests:table", args=[obj.pk])


class DataRequestExcelScopeTests(DataRequestTableScopeTests):
    def url_for(self, obj):
        return reverse("data_requests:xlsx", args=[obj.pk])

    def test_the_download_is_a_workbook(self):
        self.login(self.community_staff)
        response = self.client.get(self.url_for(self.make_object(self.grid)))
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response["Content-Type"])


class ObservatoryScopeTests(BurdenScopeMixin, BurdenTestCase):
    without_page = OBSERVATORY_EXCLUDED

    def make_object(self, grid):
        return grid.parent

    def url_for(self, obj):
        return f"{reverse('observatory:page')}?region={obj.code}"


class SecondmentPageScopeTests(BurdenScopeMixin, BurdenTestCase):
    without_page = SECONDMENT_EXCLUDED

    def make_object(self, grid):
        return self.secondment_in(grid)

    def url_for(self, obj):
        return reverse("secondments:detail", args=[obj.pk])


# --- the API -----------------------------------------------------------------------------


class DemandApiScopeTests(ApiScopeMixin, BurdenTestCase):
    without_page = DEMAND_READERS_EXCLUDED

    def make_object(self, grid):
        return self.demand_in(grid)

    def url_for(self, obj):
        return reverse("burden-api:demand", args=[obj.pk])


class ReceivedApiScopeTests(ApiScopeMixin, BurdenTestCase):
    """The copy is for the places that answer it and for the burden office, which rules on
    their objections through the API."""

    without_page = ("leader", "dispatcher", "grid_worker", "handler")

    def make_object(self, grid):
        return self.demand_in(grid).recipients.get()

    def url_for(self, obj):
        return reverse("burden-api:received", args=[obj.pk])


class DataRequestApiScopeTests(ApiScopeMixin, BurdenTestCase):
    without_page = DEMAND_READERS_EXCLUDED

    def make_object(self, grid):
        return self.data_request_in(grid)

    def url_for(self, obj):
        return reverse("burden-api:table", args=[obj.pk])


class ObservatoryApiScopeTests(ApiScopeMixin, BurdenTestCase):
    without_page = OBSERVATORY_EXCLUDED

    def make_object(self, grid):
        return grid.parent

    def url_for(self, obj):
        return f"{reverse('burden-api:observatory')}?region={obj.code}"


class SecondmentApiScopeTests(ApiScopeMixin, BurdenTestCase):
    without_page = SECONDMENT_EXCLUDED

    def make_object(self, grid):
        return self.secondment_in(grid)

    def url_for(self, obj):
        return reverse("burden-secondments-api:detail", args=[obj.pk])
