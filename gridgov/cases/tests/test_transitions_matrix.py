"""Every action of the transition table, tried from every status, through services.perform.

The table in choices.TRANSITIONS is the specification: the tests below are generated from it,
so a new action or status is covered (or fails loudly) without anyone adding a test.

- Every action from each of its source statuses succeeds: the target status (or the same
  status for actions with target None), the version bumped once, one event written.
- Every action from each status outside its sources is refused and nothing changes.
- Every action asked by a role that may not take it is refused with NotAllowed.
"""

from django.test import override_settings
from django.utils import translation

from gridgov.cases import services
from gridgov.cases.choices import TRANSITIONS, Action, Status
from gridgov.cases.models import (
    Assignment,
    Case,
    CaseEvent,
    ExtensionRequest,
    Notification,
)
from gridgov.cases.tests.base import CaseTestCase

FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

# The main road round the loop; a case in any of these statuses is built by walking it.
LOOP = [
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.ACCEPTED,
    Status.HANDLING,
    Status.REPLIED,
    Status.VERIFIED,
    Status.CLOSED,
    Status.RATED,
]
BEFORE_DISPATCH = {Status.RECEIVED, Status.REGISTERED, Status.REJECTED, Status.MERGED}
FINISHED = {Status.CLOSED, Status.RATED}

# Actions whose right is "a member of an active unit assigned to this case".
UNIT_ACTIONS = {
    Action.ACCEPT,
    Action.RETURN,
    Action.HANDLE,
    Action.REPLY,
    Action.EXTEND,
    Action.REPORT_IN,
}


def expected_refusal(action: str, status: str) -> type[services.CaseError]:
    """What perform raises for `action` on a case in `status` (not one of its sources),
    asked by an actor whose role would otherwise allow it.

    perform checks rights before the state machine. For most actions the right depends on
    the role alone, so the state check refuses: ActionRefused (409). A unit action's right
    is membership of an active assigned unit, and before dispatch (received, registered)
    or after a reject or merge no unit is assigned at all, and once the case is closed
    (or rated) its units' assignments are done, so the rights check refuses first:
    NotAllowed (403). From dispatched to verified the unit's assignment is active, so the
    state check refuses there. Rating the summoned units' response is offered only where
    there is a summons, which there never is before dispatch.
    """
    if action in UNIT_ACTIONS and status in BEFORE_DISPATCH | FINISHED:
        return services.NotAllowed
    if action == Action.RATE_RESPONSE and status in BEFORE_DISPATCH:
        return services.NotAllowed
    return services.ActionRefused


class CaseBuilderTestCase(CaseTestCase):
    """Builds a case in any status along one of three routes:

    - "department": 积存垃圾渣土, dispatched by the rules to the district's 城管 (self.handler);
    - "community": 非法小广告, dispatched to 滨江社区's office (self.community_staff);
    - "summon": 积存垃圾渣土, summoned (吹哨) by the street with 城管 leading and 水务 assisting.
    """

    def unit_actor(self, route):
        return self.community_staff if route == "community" else self.handler

    def step(self, route, status):
        """(actor, action, data) that moves a case on `route` into `status`."""
        unit = self.unit_actor(route)
        category = self.flyposting if route == "community" else self.litter
        if status == Status.DISPATCHED and route == "summon":
            return (
                self.street_staff,
                "summon",
                {"lead": self.department.code, "assisting": [self.water.code]},
            )
        if status == Status.ACCEPTED and route == "summon":
            return unit, "report-in", {}
        return {
            Status.REGISTERED: (self.dispatcher, "register", {"category": category.code}),
            Status.DISPATCHED: (self.dispatcher, "dispatch", {}),
            Status.ACCEPTED: (unit, "accept", {}),
            Status.HANDLING: (unit, "handle", {}),
            Status.REPLIED: (unit, "reply", {"result": "已处理完毕"}),
            Status.VERIFIED: (self.grid_worker, "verify", {}),
            Status.CLOSED: (self.dispatcher, "close", {}),
            Status.RATED: (
                self.dispatcher,
                "rate",
                {"solved": "true", "satisfaction": "satisfied"},
            ),
        }[status]

    def case_in(self, status, route="department") -> Case:
        case = self.intake()
        if status == Status.REJECTED:
            return self.act(self.dispatcher, case, "reject", reason="不属于受理范围")
        if status == Status.MERGED:
            master = self.intake(reporter_phone="13900001111")
            return self.act(self.dispatcher, case, "merge", master=master.number)
        if status != Status.RECEIVED:
            for step_status in LOOP[: LOOP.index(status) + 1]:
                actor, action, data = self.step(route, step_status)
                case = self.act(actor, case, action, **data)
        self.assertEqual(case.status, status)
        return case

    def with_pending_extension(self, status) -> Case:
        case = self.case_in(status)
        self.act(self.handler, case, "extend", amount=2, unit="working_days", reason="需协调")
        return case

    def snapshot(self, case) -> tuple:
        """Everything a refused action must leave as it was."""
        row = Case.objects.values_list("status", "version", "updated_at").get(pk=case.pk)
        return (
            row,
            CaseEvent.objects.filter(case=case).count(),
            sorted(Assignment.objects.filter(case=case).values_list("pk", "state", "role")),
            Notification.objects.filter(case=case).count(),
            sorted(ExtensionRequest.objects.filter(case=case).values_list("pk", "state")),
        )

    def assert_refused_and_unchanged(self, case, actor, action, data, error):
        before = self.snapshot(case)
        with self.assertRaises(error) as raised:
            services.perform(actor, case.number, action, data)
        self.assertTrue(raised.exception.message)
        self.assertEqual(self.snapshot(case), before)
        return raised.exception


@FAST_HASHER
class AllowedTransitionTests(CaseBuilderTestCase):
    def allowed_call(self, action, status):
        """(case, actor, data, expected status) for `action` from `status`."""
        if action in {Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION}:
            case = self.with_pending_extension(status)
        elif action == Action.REPORT_IN or action == Action.RATE_RESPONSE:
            case = self.case_in(status, route="summon")
        else:
            case = self.case_in(status)
        unit = self.handler
        if action == Action.REPORT_IN:
            # The assisting unit: its report-in never moves the status. (The lead's first
            # report-in accepts a dispatched case; test_loop's summon test covers that.)
            unit = self.water_handler
        actor, data = {
            Action.REGISTER: (self.dispatcher, {"category": self.litter.code}),
            Action.REJECT: (self.dispatcher, {"reason": "重复诉求"}),
            Action.DISPATCH: (self.dispatcher, {}),
            Action.ACCEPT: (unit, {}),
            Action.RETURN: (unit, {"reason": "不属于本部门职责"}),
            Action.HANDLE: (unit, {}),
            Action.REPLY: (unit, {"result": "已处理"}),
            Action.VERIFY: (self.grid_worker, {}),
            Action.REWORK: (self.grid_worker, {"reason": "现场仍未清理"}),
            Action.CLOSE: (self.dispatcher, {}),
            Action.RATE: (self.dispatcher, {"solved": "true", "satisfaction": "satisfied"}),
            Action.REOPEN: (self.dispatcher, {"reason": "居民反映未解决"}),
            Action.EXTEND: (unit, {"amount": 3, "unit": "working_days", "reason": "需协调"}),
            Action.APPROVE_EXTENSION: (self.dispatcher, {}),
            Action.REFUSE_EXTENSION: (self.dispatcher, {"reason": "时限足够"}),
            Action.MERGE: (self.dispatcher, {"master": self.intake().number}),
            Action.SELF_HANDLE: (
                self.grid_worker,
                {"category": self.flyposting.code, "result": "已现场清除"},
            ),
            Action.SUPERVISE: (self.leader, {"reason": "请尽快办理"}),
            Action.SUMMON: (self.street_staff, {"lead": self.department.code}),
            Action.REPORT_IN: (unit, {}),
            Action.RATE_RESPONSE: (
                self.street_staff,
                {"department": self.water.code, "rating": "good"},
            ),
        }[action]
        return case, actor, data, TRANSITIONS[action].target or status

    def test_every_action_succeeds_from_each_of_its_source_statuses(self):
        for action, transition in TRANSITIONS.items():
            for status in sorted(transition.sources):
                with self.subTest(action=action, status=status):
                    case, actor, data, target = self.allowed_call(action, status)
                    case.refresh_from_db()
                    version, events = case.version, case.events.count()
                    case = services.perform(actor, case.number, action, data)
                    case.refresh_from_db()
                    self.assertEqual(case.status, target)
                    self.assertEqual(case.version, version + 1)
                    self.assertEqual(case.events.count(), events + 1)
                    event = case.events.last()
                    self.assertEqual(
                        (event.action, event.from_status, event.to_status, event.actor),
                        (action, status, target, actor),
                    )

    def test_every_action_names_each_missing_required_field_and_changes_nothing(self):
        from gridgov.cases.forms import ACTION_FORMS

        for action, transition in TRANSITIONS.items():
            required = {
                name for name, field in ACTION_FORMS[action].base_fields.items() if field.required
            }
            if not required:
                continue
            with self.subTest(action=action, required=sorted(required)):
                status = sorted(transition.sources)[0]
                case, actor, _data, _target = self.allowed_call(action, status)
                error = self.assert_refused_and_unchanged(
                    case, actor, action, {}, services.InvalidInput
                )
                self.assertEqual(set(error.errors), required)
                self.assertEqual(error.status, 400)

    def test_the_table_names_a_handler_and_a_form_for_every_action(self):
        from gridgov.cases.forms import ACTION_FORMS

        self.assertEqual(set(TRANSITIONS), set(services.HANDLERS))
        self.assertEqual(set(TRANSITIONS), set(ACTION_FORMS))


@FAST_HASHER
class RefusedTransitionTests(CaseBuilderTestCase):
    def refusal_call(self, action, status):
        """(route, actor) for `action` on a case in `status`: an actor whose role may take
        the action, so that the status (or, for unit actions, the missing unit) refuses."""
        if action in UNIT_ACTIONS:
            if action == Action.REPORT_IN and status not in BEFORE_DISPATCH:
                return "summon", self.handler
            # Before dispatch: the community office, which would be the unit had the case
            # been dispatched to it (a department could not even see the case: 404).
            return "community", self.community_staff
        if action == Action.RATE_RESPONSE:
            return "summon", self.street_staff
        actor = {
            Action.VERIFY: self.grid_worker,
            Action.REWORK: self.grid_worker,
            Action.SELF_HANDLE: self.grid_worker,
            Action.SUPERVISE: self.leader,
            Action.SUMMON: self.street_staff,
        }.get(action, self.dispatcher)
        return "department", actor

    def test_every_action_is_refused_from_every_status_outside_its_sources(self):
        built: dict[tuple[str, str], Case] = {}

        def case_for(route, status):
            # Before dispatch the routes do not differ; a refusal changes nothing, so one
            # case per (route, status) serves every action.
            key = ("any" if status in BEFORE_DISPATCH else route, status)
            if key not in built:
                built[key] = self.case_in(status, route)
            return built[key]

        cells = 0
        for action, transition in TRANSITIONS.items():
            for status in sorted(set(Status) - transition.sources):
                with self.subTest(action=action, status=status):
                    route, actor = self.refusal_call(action, status)
                    case = case_for(route, status)
                    self.assert_refused_and_unchanged(
                        case, actor, action, {}, expected_refusal(action, status)
                    )
                    cells += 1
        self.assertEqual(cells, sum(len(Status) - len(t.sources) for t in TRANSITIONS.values()))

    def test_a_state_refusal_names_the_status_and_the_action(self):
        case = self.case_in(Status.RECEIVED)
        with translation.override("en"):
            error = self.assert_refused_and_unchanged(
                case, self.dispatcher, "close", {}, services.ActionRefused
            )
        self.assertIn("Received", error.message)
        self.assertIn("Close", error.message)
        self.assertEqual(error.status, 409)

    def test_a_tampered_form_version_is_refused_as_stale_not_a_crash(self):
        case = self.case_in(Status.RECEIVED)
        for version in ("abc", "", "2.5", "1; DROP TABLE"):
            with self.subTest(version=version):
                before = self.snapshot(case)
                with self.assertRaises(services.StaleCase):
                    services.perform(
                        self.dispatcher,
                        case.number,
                        "reject",
                        {"reason": "重复"},
                        expected_version=version,
                    )
                self.assertEqual(self.snapshot(case), before)
        case = services.perform(
            self.dispatcher, case.number, "reject", {"reason": "重复"}, expected_version="1"
        )
        self.assertEqual(case.status, Status.REJECTED)

    def test_an_unknown_action_is_refused_as_bad_input(self):
        case = self.case_in(Status.RECEIVED)
        for action in ("fly", "receive", "overdue", "dispute"):
            with self.subTest(action=action):
                self.assert_refused_and_unchanged(
                    case, self.admin, action, {}, services.InvalidInput
                )


@FAST_HASHER
class WrongRoleTests(CaseBuilderTestCase):
    def wrong_role_call(self, action):
        """(case, actor): a case the action could leave, and someone who sees the case but
        whose role may not take the action."""
        cases = {
            Action.REGISTER: (Status.RECEIVED, self.grid_worker),
            Action.REJECT: (Status.RECEIVED, self.grid_worker),
            Action.MERGE: (Status.RECEIVED, self.grid_worker),
            Action.SELF_HANDLE: (Status.RECEIVED, self.community_staff),
            Action.DISPATCH: (Status.REGISTERED, self.community_staff),
            Action.SUMMON: (Status.REGISTERED, self.dispatcher),
            # Another unit than the one the case was dispatched to.
            Action.ACCEPT: (Status.DISPATCHED, self.community_staff),
            Action.RETURN: (Status.DISPATCHED, self.community_staff),
            Action.SUPERVISE: (Status.DISPATCHED, self.grid_worker),
            # The department was dispatched the case, not summoned to it.
            Action.REPORT_IN: (Status.DISPATCHED, self.handler),
            Action.HANDLE: (Status.ACCEPTED, self.community_staff),
            Action.REPLY: (Status.HANDLING, self.dispatcher),
            Action.EXTEND: (Status.HANDLING, self.dispatcher),
            # A unit may not verify its own work, nor grant itself more time.
            Action.VERIFY: (Status.REPLIED, self.handler),
            Action.REWORK: (Status.REPLIED, self.handler),
            Action.APPROVE_EXTENSION: (Status.HANDLING, self.handler),
            Action.REFUSE_EXTENSION: (Status.HANDLING, self.handler),
            Action.CLOSE: (Status.VERIFIED, self.grid_worker),
            Action.RATE: (Status.CLOSED, self.handler),
            Action.REOPEN: (Status.CLOSED, self.grid_worker),
        }
        if action == Action.RATE_RESPONSE:
            return self.case_in(Status.REPLIED, route="summon"), self.dispatcher
        status, actor = cases[action]
        if action in {Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION}:
            return self.with_pending_extension(status), actor
        return self.case_in(status), actor

    def test_every_action_refuses_a_role_that_may_not_take_it(self):
        for action, transition in TRANSITIONS.items():
            with self.subTest(action=action):
                case, actor = self.wrong_role_call(action)
                self.assertIn(case.status, transition.sources)
                error = self.assert_refused_and_unchanged(
                    case, actor, action, {}, services.NotAllowed
                )
                self.assertEqual(error.status, 403)

    def test_a_resident_rates_the_case_they_reported_and_cannot_see_anyone_elses(self):
        from django.http import Http404

        from gridgov.accounts.tests.base import make_user

        mine = self.intake(actor=self.resident, channel="web")
        for step_status in LOOP[: LOOP.index(Status.CLOSED) + 1]:
            actor, action, data = self.step("department", step_status)
            mine = self.act(actor, mine, action, **data)
        neighbour = make_user("neighbour", "resident")
        with self.assertRaises(Http404):
            self.act(neighbour, mine, "rate", solved="true", satisfaction="satisfied")
        mine = self.act(self.resident, mine, "rate", solved="false", satisfaction="unsatisfied")
        self.assertEqual((mine.status, mine.satisfaction), (Status.RATED, "unsatisfied"))
