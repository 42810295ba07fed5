"""Every write to a case: intake, and one function for every transition.

`perform(actor, number, action, data)` is the only way a case changes state. Pages, the
API, the demo generator and the deadline watch all call it (or `intake_case`). It:

1. locks the case row (select_for_update) among the cases the actor may see (else 404),
2. refuses a stale form (expected_version) with "this case has changed, reload",
3. checks the actor's role for the action (403) and the state machine (409),
4. validates the action's fields with its form (400, every field named),
5. applies the action, bumps the version and writes the event — all in one transaction.

Nothing changes when any step refuses.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.choices import Role
from gridgov.cases import routing
from gridgov.cases.choices import (
    TRANSITIONS,
    Action,
    AssignmentRole,
    AssignmentState,
    Channel,
    ExtensionState,
    Owner,
    Status,
    Urgency,
)
from gridgov.cases.forms import ACTION_FORMS, IntakeForm, intake_categories
from gridgov.cases.models import (
    Assignment,
    Attachment,
    Case,
    CaseEvent,
    CaseNumberSequence,
    DeadlinePolicy,
    ExtensionRequest,
    Notification,
    PersonalDataAccess,
    Reporter,
)
from gridgov.cases.signals import cases_received
from gridgov.metrics import rollups
from gridgov.regions.choices import Datum, Level
from gridgov.regions.gazetteer import match_address
from gridgov.regions.locate import OutsideServiceArea, locate
from gridgov.registry.models import Person
from gridgov.workdays.calendar import add_hours, deadline_from


class CaseError(Exception):
    """Base of the refusals; `status` is the HTTP status an edge should answer with."""

    status = 400

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.message = str(message)
        self.errors = errors or {}


class InvalidInput(CaseError):
    status = 400


class ActionRefused(CaseError):
    """The state machine does not allow this action now."""

    status = 409


class StaleCase(CaseError):
    status = 409


class NotAllowed(CaseError, PermissionDenied):
    status = 403


DISPATCHERS = {Role.DISPATCHER, Role.ADMINISTRATOR}
# Who may take a case in for someone else and say by which channel it came.
INTAKE_ROLES = {Role.DISPATCHER, Role.ADMINISTRATOR, Role.GRID_WORKER}
SUPERVISORS = {Role.LEADER, Role.DISPATCHER, Role.STREET_STAFF, Role.ADMINISTRATOR}
OFFICES = {Role.STREET_STAFF, Role.COMMUNITY_STAFF}


# --- reads -------------------------------------------------------------------


def access_case(user, number: str) -> Case:
    """The case if the user may see it; 404 otherwise (out of scope reveals nothing)."""
    case = (
        Case.objects.visible_to(user)
        .select_related("category", "region", "reporter", "master")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404
    return case


def may_reveal_reporter(user, case: Case) -> bool:
    """Dispatchers and leaders may call a reporter back; a unit handling the case may too."""
    if user.is_superuser or user.role in {Role.DISPATCHER, Role.ADMINISTRATOR, Role.LEADER}:
        return True
    return user.role in OFFICES | {Role.DEPARTMENT_HANDLER} and bool(_unit_assignment(case, user))


def reveal_reporter(user, case: Case, purpose: str = "") -> Reporter:
    """The reporter unmasked, for a role that may see it; the view is written to the audit log."""
    if case.reporter_id is None:
        raise Http404
    if not may_reveal_reporter(user, case):
        raise NotAllowed(_("Your role may not see reporters' contact details."))
    PersonalDataAccess.objects.create(
        user=user, case=case, reporter=case.reporter, purpose=purpose[:200]
    )
    return case.reporter


# --- intake ------------------------------------------------------------------


@dataclass
class IntakeResult:
    case: Case
    created: bool
    warnings: list[str] = field(default_factory=list)
    # What a new case's intake wrote, so that its answer need not read it back.
    event: CaseEvent | None = None
    attachments: list[Attachment] = field(default_factory=list)


def intake_case(actor, data, files=None, *, idempotency_key=None, at=None) -> IntakeResult:
    """Take a case in (受理). A retried submission with the same idempotency key returns the
    case the first one made and creates nothing."""
    check_idempotency_key(idempotency_key)
    if idempotency_key:
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return IntakeResult(existing, created=False)
    at = at or timezone.now()
    case, cleaned = prepare_case(actor, data, files, idempotency_key=idempotency_key, at=at)
    try:
        with transaction.atomic():
            case.reporter = _reporter_for(cleaned, actor)
            # The shared rows last: the day's rollup rows and sequence row stay locked until
            # commit, and the other intakes of the day wait for them.
            rollups.add_new([case])
            case.number = next_case_numbers(at, 1)[0]
            case.save(force_insert=True)
            event = receive_event(case, actor, at)
            event.save(force_insert=True)
            attachments = _attach(case, event, cleaned.get("photos") or [], actor, at)
            cases_received.send(sender=Case, cases=[case])
    except IntegrityError:
        # Two retries with one key raced; the loser returns the winner's case.
        if idempotency_key:
            existing = Case.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return IntakeResult(existing, created=False)
        raise
    return IntakeResult(case, True, case_warnings(case), event, attachments)


# What a client may send as its raw key, whatever the door: a UUID fits with room to spare.
IDEMPOTENCY_KEY_MAX = 128


def client_idempotency_key(door: str, client: str, raw: str) -> str:
    """The key a case is stored under for a client's raw idempotency key. The door and the
    client are hashed in with it, so that no key sent through one door or by one client can
    match a case another client made: a visitor replaying a dispatcher's key would otherwise
    get the dispatcher's case back, and the real work order would never be created."""
    digest = hashlib.sha256(f"{door}\n{client}\n{raw}".encode()).hexdigest()
    return f"{door}:{digest}"


def intake_and_dispatch(actor, data, files=None, *, idempotency_key=None) -> IntakeResult:
    """Take a case in, register it under the category the operator chose and dispatch it
    to the unit the dispatch rules suggest — one command for a hotline operator who accepts
    the suggestion. All three steps or none: a refused dispatch leaves no half-made case."""
    if not may_dispatch_on_intake(actor):
        raise NotAllowed(_("Only dispatchers register and dispatch a case on intake."))
    if not data.get("category"):
        message = _("Choose the category to register and dispatch the case at once.")
        raise InvalidInput(message, {"category": [{"message": message}]})
    with transaction.atomic():
        result = intake_case(actor, data, files, idempotency_key=idempotency_key)
        if not result.created:
            return result
        number = result.case.number
        perform(actor, number, Action.REGISTER, {"category": data["category"]})
        result.case = perform(actor, number, Action.DISPATCH, {})
    return result


def fill_from_registry(actor, data):
    """The intake data with the reporter and the room taken from the registered person the
    form names (`registered_person`), one the actor may see: nobody is typed in twice, and
    the phone goes from the registry to the case without ever being shown."""
    chosen = (data.get("registered_person") or "").strip()
    if not chosen:
        return data
    person = (
        Person.objects.visible_to(actor)
        .select_related("household__room")
        .filter(pk=int(chosen) if chosen.isdigit() else 0)
        .first()
    )
    if person is None:
        message = _("No registered person of that number in the area you act for.")
        raise InvalidInput(message, {"registered_person": [{"message": message}]})
    data = data.copy()
    if not data.get("reporter_name"):
        data["reporter_name"] = person.name
    if not data.get("reporter_phone") and person.phone_sealed:
        data["reporter_phone"] = person.phone
    household = person.household
    if not data.get("room") and household is not None and household.moved_out_on is None:
        data["room"] = household.room.code
    return data


def may_dispatch_on_intake(user) -> bool:
    return user.is_authenticated and _is_dispatcher(user)


def intake_suggestion(data) -> routing.Suggestion | None:
    """The unit a case with this category and place would be dispatched to, before it is
    taken in (the intake page shows it next to "register and dispatch now"); None while the
    category or the place is missing or cannot be read."""
    category = intake_categories().filter(code=data.get("category") or "").first()
    if category is None:
        return None
    place_fields = ("lng", "lat", "datum", "region", "address")
    form = IntakeForm({name: data.get(name, "") for name in place_fields})
    form.is_valid()
    if any(form.has_error(name) for name in place_fields):
        return None
    cleaned = {"address": "", **form.cleaned_data}
    cleaned["datum"] = cleaned.get("datum") or Datum.WGS84
    try:
        region = _place(cleaned)
    except InvalidInput:
        return None
    return routing.suggest_unit(Case(category=category, region=region, region_path=region.path))


def check_idempotency_key(idempotency_key: str | None) -> None:
    key_limit = Case._meta.get_field("idempotency_key").max_length
    if idempotency_key and len(idempotency_key) > key_limit:
        # Too long would be a database error, not a refusal.
        raise bad_idempotency_key()


def bad_idempotency_key() -> InvalidInput:
    message = _("This form's submission key is not valid; reload the page and try again.")
    return InvalidInput(message, {"idempotency_key": [{"message": message}]})


class IntakeLookups:
    """What the cases of one batch look up alike, looked up once: the catalogue, the
    deadline policies, and the deadlines of each time limit (a batch's cases share one
    moment of receipt)."""

    def __init__(self):
        self.categories = {category.code: category for category in intake_categories()}
        self._policies: dict[str, dict] = {}
        self.deadlines: dict[tuple, dict] = {}

    def policies(self, urgency: str) -> dict:
        if urgency not in self._policies:
            self._policies[urgency] = _policies(urgency)
        return self._policies[urgency]


def validate_intake(data, files=None, *, lookups: IntakeLookups | None = None) -> dict:
    """The intake form's cleaned data; raises InvalidInput naming every field."""
    form = IntakeForm(data, files, categories=lookups.categories if lookups else None)
    if not form.is_valid():
        raise InvalidInput(_("The case could not be taken in."), form.errors.get_json_data())
    return form.cleaned_data


def build_case(actor, cleaned, *, idempotency_key=None, at, region=None, lookups=None) -> Case:
    """The unsaved Case (no number, no reporter yet), placed and with its deadlines; writes
    nothing. `region`: where the point falls, when the caller has located it already."""
    region = region or _place(cleaned)
    category = cleaned.get("category")
    if category is not None and category.emergency_only:
        _check_in_emergency(category, region)
    case = Case(
        channel=cleaned["channel"],
        case_type=cleaned["case_type"],
        category=category,
        urgency=_default_urgency(category),
        title=cleaned["title"],
        description=cleaned["description"],
        address=cleaned.get("address", ""),
        lng=cleaned.get("lng"),
        lat=cleaned.get("lat"),
        datum=cleaned["datum"],
        region=region,
        region_path=region.path,
        room=cleaned.get("room"),
        received_at=at,
        created_by=actor if actor and actor.is_authenticated else None,
        idempotency_key=idempotency_key or None,
    )
    # The overall deadline runs from receipt, before anyone has classified the case.
    _set_deadlines(case, at, lookups)
    return case


def prepare_case(actor, data, files=None, *, idempotency_key=None, at) -> tuple[Case, dict]:
    """Validate, place and time a case without writing anything: the unsaved Case and the
    intake form's cleaned data. Raises InvalidInput."""
    cleaned = validate_intake(data, files)
    return build_case(actor, cleaned, idempotency_key=idempotency_key, at=at), cleaned


def case_warnings(case: Case) -> list[str]:
    return [case.deadline_warning] if case.deadline_warning else []


def receive_event(case: Case, actor, at) -> CaseEvent:
    """The unsaved receive event of a new case (batch intake writes them in bulk)."""
    return _new_event(
        case, actor, Action.RECEIVE, "", Status.RECEIVED, at=at, data={"channel": case.channel}
    )


def _check_in_emergency(category, region) -> None:
    from gridgov.emergency.services import in_emergency

    if not in_emergency(region.path):
        message = _(
            "“%(category)s” is for regions in emergency mode, and %(region)s is not: "
            "choose another category."
        ) % {"category": category.name, "region": region.name}
        raise InvalidInput(message, {"category": [{"message": message}]})


def _default_urgency(category) -> str:
    return category.default_urgency if category is not None else Urgency.NORMAL


def _place(cleaned) -> "object":
    if cleaned.get("lng") is not None and cleaned.get("lat") is not None:
        try:
            return locate(cleaned["lng"], cleaned["lat"], datum=cleaned["datum"]).region
        except OutsideServiceArea as exc:
            raise InvalidInput(str(exc), {"lng": [{"message": str(exc)}]}) from None
    if cleaned.get("region") is not None:
        return cleaned["region"]
    if cleaned.get("room") is not None:
        return cleaned["room"].building
    region = match_address(cleaned["address"])
    if region is None:
        message = _("This address could not be placed in any community: pick the point on the map.")
        raise InvalidInput(message, {"address": [{"message": message}]})
    return region


def reporter_phone(cleaned) -> str:
    """The phone as stored: digits and a leading plus, whatever the caller typed around them."""
    return "".join(ch for ch in (cleaned.get("reporter_phone") or "") if ch.isdigit() or ch == "+")


def reporter_name(cleaned) -> str:
    return " ".join((cleaned.get("reporter_name") or "").split())[:50]


def _reporter_for(cleaned, actor) -> Reporter | None:
    phone = reporter_phone(cleaned)
    if actor is not None and getattr(actor, "role", None) == Role.RESIDENT:
        return _resident_reporter(actor, cleaned, phone)
    if not phone:
        return None
    reporter, _created = Reporter.objects.get_or_create(phone=phone, name=reporter_name(cleaned))
    return reporter


def _resident_reporter(actor, cleaned, phone) -> Reporter:
    """A signed-in resident reports as themselves. A typed phone that already belongs to
    another reporter is not taken over: that would show them someone else's cases."""
    reporter = Reporter.objects.filter(user=actor).first()
    if reporter is not None:
        return reporter
    if not phone or Reporter.objects.filter(phone=phone).exists():
        phone = f"user-{actor.pk}"
    name = cleaned.get("reporter_name") or actor.display_name or actor.username
    return Reporter.objects.create(name=name[:50], phone=phone, user=actor)


def next_case_numbers(at: datetime, count: int) -> list[str]:
    """`count` consecutive numbers of the local day of `at`: 20261123-000123, the day and
    that day's sequence.

    The UPDATE takes the day's row lock, so concurrent intakes queue for numbers rather
    than colliding, and the numbers of committed cases have no gaps. Call it inside the
    intake transaction, as late as possible: the lock is held until commit.
    """
    day = timezone.localtime(at).date()
    table = connection.ops.quote_name(CaseNumberSequence._meta.db_table)
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last = last + %s WHERE day = %s RETURNING last",
                [count, connection.ops.adapt_datefield_value(day)],
            )
            row = cursor.fetchone()
        if row is not None:
            last = row[0]
            break
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.create(day=day, last=count)
            last = count
            break
        except IntegrityError:
            continue  # another intake created the day's row first: take the next numbers
    else:
        raise RuntimeError("Could not allocate a case number.")
    return [f"{day:%Y%m%d}-{n:06d}" for n in range(last - count + 1, last + 1)]


# --- deadlines ---------------------------------------------------------------


def deadline_policy(category, urgency: str, policies=None) -> tuple[int, int, str, int]:
    """(accept hours, handle amount, handle unit, verify hours) for a category and urgency:
    the category's own policy, else its nearest ancestor's, else the default for the
    urgency, else the settings' hotline tiers. `policies`: the urgency's, if loaded."""
    chain = category.lineage() if category is not None else []
    policies = _policies(urgency) if policies is None else policies
    for key in [(c.pk, urgency) for c in chain] + [(None, urgency)]:
        if key in policies:
            p = policies[key]
            return p.accept_hours, p.handle_amount, p.handle_unit, p.verify_hours
    tier = settings.GRIDGOV_DEADLINE_TIERS[urgency]
    return tier["accept_hours"], tier["handle_amount"], tier["handle_unit"], tier["verify_hours"]


def _policies(urgency: str) -> dict:
    return {
        (policy.category_id, policy.urgency): policy
        for policy in DeadlinePolicy.objects.filter(urgency=urgency)
    }


_DEADLINE_FIELDS = ("accept_due_at", "reply_due_at", "due_at", "deadline_warning")


def _set_deadlines(case: Case, start: datetime, lookups: IntakeLookups | None = None) -> None:
    policies = lookups.policies(case.urgency) if lookups else None
    limits = deadline_policy(case.category, case.urgency, policies)
    known = lookups.deadlines.get((limits, start, case.received_at)) if lookups else None
    if known is not None:
        for name, value in known.items():
            setattr(case, name, value)
        return
    accept_hours, amount, unit, verify_hours = limits
    handle = deadline_from(case.received_at, amount, unit)
    overall = add_hours(handle.due_at, verify_hours)
    case.accept_due_at = add_hours(start, accept_hours).due_at
    case.reply_due_at = handle.due_at
    case.due_at = overall.due_at
    case.deadline_warning = " ".join(handle.warnings)[:300]
    if lookups is not None:
        deadlines = {name: getattr(case, name) for name in _DEADLINE_FIELDS}
        lookups.deadlines[(limits, start, case.received_at)] = deadlines


# --- transitions -------------------------------------------------------------


def perform(
    actor, number: str, action: str, data=None, files=None, *, expected_version=None, at=None
) -> Case:
    """Perform one action on a case as `actor`. See the module docstring for the checks."""
    if action not in HANDLERS:
        raise InvalidInput(_("Unknown action %(action)s.") % {"action": action})
    at = at or timezone.now()
    with transaction.atomic():
        case = _lock_visible(actor, number)
        # Compared as text: a tampered, non-numeric version is stale too, not a crash.
        if expected_version is not None and str(expected_version).strip() != str(case.version):
            raise StaleCase(
                _("This case has changed since you opened it; reload it and try again.")
            )
        _check_rights(actor, case, action)
        return _apply(case, actor, action, data, files, at)


def find_for_reporter(number: str, phone_tail: str) -> Case:
    """A reporter without an account finds their case by its number and the last four
    digits of the phone they gave; anything else is a 404, revealing nothing."""
    tail = (phone_tail or "").strip()
    if len(tail) != 4 or not tail.isdigit():
        raise Http404
    case = (
        Case.objects.select_related("category", "region", "reporter")
        .filter(number=(number or "").strip(), reporter__phone__endswith=tail)
        .first()
    )
    if case is None:
        raise Http404
    return case


def rate_as_reporter(number: str, phone_tail: str, data, *, at=None) -> Case:
    """The follow-up (回访) answered by the reporter themselves, proven by the phone digits."""
    at = at or timezone.now()
    with transaction.atomic():
        pk = find_for_reporter(number, phone_tail).pk
        case = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=pk)
        return _apply(case, None, Action.RATE, data, None, at)


def _apply(case, actor, action, data, files, at) -> Case:
    """The state machine, the action's form, its effect and its event; inside the row lock."""
    transition = TRANSITIONS[action]
    if case.status not in transition.sources:
        raise ActionRefused(
            _("A case that is %(status)s cannot be sent to “%(action)s”.")
            % {"status": case.get_status_display(), "action": Action(action).label}
        )
    form = ACTION_FORMS[action](data or {}, files, case=case, actor=actor)
    if not form.is_valid():
        raise InvalidInput(_("Some fields need correcting."), form.errors.get_json_data())
    from_status = case.status
    rollup_change = rollups.begin(case)
    outcome = HANDLERS[action](case, actor, form.cleaned_data, at) or Outcome()
    case.status = outcome.status or transition.target or case.status
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db(fields=["version"])
    event = _write_event(
        case,
        actor,
        action,
        from_status,
        case.status,
        at=at,
        note=outcome.note,
        data=outcome.data,
        unit=outcome.unit,
        # With no account, only the reporter can act (rate_as_reporter proves who it is).
        actor_role="reporter" if actor is None else None,
    )
    _attach(case, event, form.cleaned_data.get("photos") or [], actor, at)
    rollup_change.commit()
    for follow_up in outcome.follow_ups:
        follow_up(case, event)
    return case


@dataclass
class Outcome:
    note: str = ""
    data: dict = field(default_factory=dict)
    unit: str = ""
    status: str | None = None  # overrides the transition table's target
    follow_ups: list = field(default_factory=list)


def _lock_visible(actor, number: str) -> Case:
    visible = Case.objects.visible_to(actor).filter(number=number).values_list("pk", flat=True)
    pk = visible.first()
    if pk is None:
        raise Http404
    # Lock by primary key alone: FOR UPDATE over the scoping joins would lock more rows.
    return (
        Case.objects.select_for_update(of=("self",)).select_related("category", "region").get(pk=pk)
    )


def _write_event(case, actor, action, from_status, to_status, **fields) -> CaseEvent:
    event = _new_event(case, actor, action, from_status, to_status, **fields)
    event.save(force_insert=True)
    return event


def _new_event(
    case, actor, action, from_status, to_status, *, at, note="", data=None, unit="", actor_role=None
) -> CaseEvent:
    if actor_role is None:
        actor_role = getattr(actor, "role", "") if actor is not None else ""
    return CaseEvent(
        case=case,
        action=action,
        from_status=from_status or "",
        to_status=to_status or "",
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_role=actor_role,
        unit=unit[:100],
        note=note,
        data=data or {},
        created_at=at,
    )


def _attach(case, event, photos, actor, at) -> list[Attachment]:
    return [
        Attachment.objects.create(
            case=case,
            event=event,
            file=photo,
            content_type=photo.content_type,
            size=photo.size,
            uploaded_by=actor if actor and actor.is_authenticated else None,
            created_at=at,
        )
        for photo in photos
    ]


def _active_assignments(case):
    return case.assignments.filter(state=AssignmentState.ACTIVE).select_related(
        "department", "office"
    )


def _unit_assignment(case, user) -> Assignment | None:
    for assignment in _active_assignments(case):
        if assignment.is_member(user):
            return assignment
    return None


def _is_dispatcher(user) -> bool:
    return user.is_superuser or user.role in DISPATCHERS


def _check_rights(actor, case: Case, action: str) -> None:
    """Raise NotAllowed unless the actor's role may take this action on this case."""
    role = actor.role
    allowed: bool
    if action == Action.DISPATCH and case.in_dispute:
        # A case returned twice is a dispatch dispute: the dispatcher's supervisor decides.
        allowed = role in {Role.LEADER, Role.ADMINISTRATOR} or actor.is_superuser
    elif action == Action.REGISTER and case.channel == Channel.PROACTIVE:
        # A leader who turns a monthly topic into a task (未诉先办) files it ready to dispatch.
        allowed = _is_dispatcher(actor) or role == Role.LEADER
    elif action in {
        Action.REGISTER,
        Action.REJECT,
        Action.DISPATCH,
        Action.CLOSE,
        Action.MERGE,
        Action.REOPEN,
        Action.APPROVE_EXTENSION,
        Action.REFUSE_EXTENSION,
    }:
        allowed = _is_dispatcher(actor)
    elif action in {Action.ACCEPT, Action.RETURN, Action.HANDLE, Action.EXTEND}:
        allowed = _unit_assignment(case, actor) is not None
    elif action == Action.REPORT_IN:
        assignment = _unit_assignment(case, actor)
        allowed = assignment is not None and assignment.summoned
    elif action == Action.REPLY:
        assignment = _unit_assignment(case, actor)
        allowed = assignment is not None and assignment.role == AssignmentRole.LEAD
    elif action in {Action.VERIFY, Action.REWORK}:
        allowed = _is_dispatcher(actor) or role == Role.GRID_WORKER
    elif action == Action.RATE:
        allowed = _is_dispatcher(actor) or (
            role == Role.RESIDENT and case.reporter_id and case.reporter.user_id == actor.pk
        )
    elif action == Action.SUPERVISE:
        allowed = role in SUPERVISORS or actor.is_superuser
    elif action == Action.SUMMON:
        allowed = role in OFFICES
    elif action == Action.RATE_RESPONSE:
        allowed = role in OFFICES and _awaits_response_rating(case, actor)
    elif action == Action.SELF_HANDLE:
        allowed = role == Role.GRID_WORKER
    else:
        allowed = False
    if not allowed:
        raise NotAllowed(
            _("Your role may not “%(action)s” this case.") % {"action": Action(action).label}
        )


# --- what each action does (called inside perform's lock and transaction) -----


def _register(case, actor, cleaned, at):
    case.category = cleaned["category"]
    case.urgency = cleaned.get("urgency") or case.category.default_urgency
    if cleaned.get("case_type"):
        case.case_type = cleaned["case_type"]
    case.registered_at = at
    _set_deadlines(case, case.received_at)
    return Outcome(
        note=cleaned.get("note", ""), data={"category": case.category.code, "urgency": case.urgency}
    )


def _reject(case, actor, cleaned, at):
    return Outcome(note=cleaned["reason"])


def _dispatch(case, actor, cleaned, at):
    suggestion = routing.suggest_unit(case)
    departments = list(cleaned.get("departments") or [])
    office = cleaned.get("office")
    if not departments and office is None:
        departments = [suggestion.department] if suggestion.department else []
        office = suggestion.office
    overridden = (
        bool(cleaned.get("departments") or cleaned.get("office"))
        and not (departments == [suggestion.department] and office == suggestion.office)
        and not (not departments and office == suggestion.office)
    )
    _check_push_down(case, departments, office)
    _check_serving(case, {"departments": departments})
    case.assignments.filter(state=AssignmentState.ACTIVE).update(state=AssignmentState.ENDED)
    explanation = (
        _("Chosen by %(user)s over the suggestion (%(suggestion)s)")
        % {"user": actor, "suggestion": suggestion.explanation}
        if overridden
        else suggestion.explanation
    )
    role = AssignmentRole.LEAD if len(departments) <= 1 else AssignmentRole.PENDING
    units = [dict(department=d) for d in departments] or [dict(office=office)]
    created = [
        Assignment.objects.create(
            case=case,
            role=role,
            rule=None if overridden else suggestion.rule,
            explanation=explanation[:300],
            dispatched_by=actor,
            dispatched_at=at,
            **unit,
        )
        for unit in units
    ]
    accept_hours, *_rest = deadline_policy(case.category, case.urgency)
    case.dispatched_at = at
    case.accept_due_at = add_hours(at, accept_hours).due_at
    names = "、".join(a.unit_name for a in created)
    for assignment in created:
        _notify(
            case,
            assignment,
            Action.DISPATCH,
            _("New case dispatched to you: %(title)s") % {"title": case.title},
            at,
        )
    return Outcome(
        note=cleaned.get("note", ""),
        unit=names,
        data={
            "units": [_unit_ref(a) for a in created],
            "explanation": explanation,
            "suggested": _unit_ref_of(suggestion.department, suggestion.office),
            "override": overridden,
            "rule": suggestion.rule.pk if suggestion.rule and not overridden else None,
        },
    )


def _check_serving(case, departments_by_field: dict) -> None:
    """Only departments serving the case's area may get it: another district's department
    would receive a case it has no authority over. The forms offer only those; this holds
    for every caller, a dispatch rule's suggestion included."""
    errors = {}
    for name, departments in departments_by_field.items():
        for department in departments:
            if not routing.serves(department, case):
                errors.setdefault(name, []).append(
                    {
                        "message": _("%(unit)s does not serve %(area)s.")
                        % {"unit": department.name, "area": case.region.name},
                        "code": "not_serving",
                    }
                )
    if errors:
        first = next(iter(errors.values()))[0]["message"]
        raise InvalidInput(first, errors)


def _check_push_down(case, departments, office) -> None:
    """Matters the catalogue gives to a department may not be pushed down to a community."""
    category = case.category
    if (
        office is not None
        and office.level == Level.COMMUNITY
        and category is not None
        and any(c.owner == Owner.DEPARTMENT for c in category.lineage()[:1])
    ):
        raise ActionRefused(
            _(
                "“%(category)s” is a department's matter and may not be pushed down to a "
                "community; dispatch it to the responsible department."
            )
            % {"category": category.name}
        )


def _unit_ref(assignment) -> dict:
    return _unit_ref_of(assignment.department, assignment.office)


def _unit_ref_of(department, office) -> dict:
    if department is not None:
        return {"department": department.code, "name": department.name}
    if office is not None:
        return {"office": office.code, "name": office.name}
    return {}


def _accept(case, actor, cleaned, at):
    mine = _unit_assignment(case, actor)
    mine.accepted_at = at
    if mine.role == AssignmentRole.PENDING:
        # First to accept leads (首接负责); the others assist.
        mine.role = AssignmentRole.LEAD
        _active_assignments(case).filter(role=AssignmentRole.PENDING).exclude(pk=mine.pk).update(
            role=AssignmentRole.ASSIST
        )
    mine.save(update_fields=["accepted_at", "role"])
    case.accepted_at = at
    return Outcome(note=cleaned.get("note", ""), unit=mine.unit_name)


def _return(case, actor, cleaned, at):
    mine = _unit_assignment(case, actor)
    mine.state = AssignmentState.RETURNED
    mine.save(update_fields=["state"])
    _active_assignments(case).update(state=AssignmentState.ENDED)
    # The next dispatch starts a new acceptance; an old one must not count for it.
    case.accepted_at = None
    case.return_count += 1
    _notify_desk(
        case,
        mine.dispatched_by,
        Action.RETURN,
        _("Case %(number)s was returned by %(unit)s: %(reason)s")
        % {"number": case.number, "unit": mine.unit_name, "reason": cleaned["reason"]},
        at,
    )
    outcome = Outcome(
        note=cleaned["reason"], unit=mine.unit_name, data={"returns": case.return_count}
    )
    if case.return_count >= settings.GRIDGOV_RETURNS_BEFORE_DISPUTE and not case.in_dispute:
        case.in_dispute = True

        def raise_dispute(case, event):
            _write_event(
                case,
                None,
                Action.DISPUTE,
                case.status,
                case.status,
                at=at,
                note=_("Returned %(count)d times: the dispatcher's supervisor decides.")
                % {"count": case.return_count},
            )

        outcome.follow_ups.append(raise_dispute)
    return outcome


def _handle(case, actor, cleaned, at):
    return Outcome(note=cleaned.get("note", ""), unit=_unit_assignment(case, actor).unit_name)


def _reply(case, actor, cleaned, at):
    case.result = cleaned["result"]
    case.replied_at = at
    _accept_hours, _amount, _unit, verify_hours = deadline_policy(case.category, case.urgency)
    case.verify_due_at = add_hours(at, verify_hours).due_at
    return Outcome(note=cleaned["result"], unit=_unit_assignment(case, actor).unit_name)


def _verify(case, actor, cleaned, at):
    case.verified_at = at
    return Outcome(note=cleaned.get("note", ""))


def _rework(case, actor, cleaned, at):
    case.rework_count += 1
    case.verify_due_at = None
    return Outcome(note=cleaned["reason"], data={"reworks": case.rework_count})


def _close(case, actor, cleaned, at):
    case.closed_at = at
    case.assignments.filter(state=AssignmentState.ACTIVE).update(state=AssignmentState.DONE)
    # Each duplicate's reporter gets the master's result.
    for duplicate in case.duplicates.select_for_update():
        duplicate.result = case.result
        duplicate.closed_at = at
        duplicate.version = F("version") + 1
        duplicate.save(update_fields=["result", "closed_at", "version"])
        _write_event(
            duplicate,
            actor,
            Action.CLOSE,
            Status.MERGED,
            Status.MERGED,
            at=at,
            note=_("Closed with its master case %(number)s.") % {"number": case.number},
        )
    return Outcome(note=cleaned.get("note", ""))


def _rate(case, actor, cleaned, at):
    case.solved = cleaned["solved"]
    case.satisfaction = cleaned["satisfaction"]
    case.rated_at = at
    return Outcome(
        note=cleaned.get("comment", ""),
        data={"solved": case.solved, "satisfaction": case.satisfaction},
    )


def _reopen(case, actor, cleaned, at):
    case.reopen_count += 1
    case.closed_at = case.rated_at = case.verified_at = case.replied_at = None
    case.solved, case.satisfaction = None, ""
    _accept_hours, amount, unit, verify_hours = deadline_policy(case.category, case.urgency)
    handle = deadline_from(at, amount, unit)
    case.reply_due_at = handle.due_at
    case.due_at = add_hours(handle.due_at, verify_hours).due_at
    case.verify_due_at = None
    case.overdue_at = None
    # The units that finished the case take it up again.
    case.assignments.filter(state=AssignmentState.DONE).update(state=AssignmentState.ACTIVE)
    return Outcome(note=cleaned["reason"], data={"reopens": case.reopen_count})


def _extend(case, actor, cleaned, at):
    if case.extension_requests.filter(state=ExtensionState.PENDING).exists():
        raise ActionRefused(_("An extension request is already waiting for a decision."))
    mine = _unit_assignment(case, actor)
    ExtensionRequest.objects.create(
        case=case,
        requested_by=actor,
        amount=cleaned["amount"],
        unit=cleaned["unit"],
        reason=cleaned["reason"],
        created_at=at,
    )
    return Outcome(
        note=cleaned["reason"],
        unit=mine.unit_name,
        data={"amount": cleaned["amount"], "unit": cleaned["unit"]},
    )


def _pending_extension(case) -> ExtensionRequest:
    request = case.extension_requests.filter(state=ExtensionState.PENDING).first()
    if request is None:
        raise ActionRefused(_("No extension request is waiting for a decision."))
    return request


def _approve_extension(case, actor, cleaned, at):
    request = _pending_extension(case)
    request.state, request.decided_by, request.decided_at = ExtensionState.APPROVED, actor, at
    request.save(update_fields=["state", "decided_by", "decided_at"])
    old_due = case.reply_due_at
    extended = deadline_from(case.reply_due_at, request.amount, request.unit)
    shift = extended.due_at - case.reply_due_at
    case.reply_due_at = extended.due_at
    case.due_at = (case.due_at or old_due) + shift
    case.extension_count += 1
    if case.overdue_at and case.reply_due_at > at:
        case.overdue_at = None
    return Outcome(
        note=cleaned.get("note", ""),
        data={"from": old_due.isoformat(), "to": case.reply_due_at.isoformat()},
    )


def _refuse_extension(case, actor, cleaned, at):
    request = _pending_extension(case)
    request.state, request.decided_by, request.decided_at = ExtensionState.REFUSED, actor, at
    request.save(update_fields=["state", "decided_by", "decided_at"])
    return Outcome(note=cleaned["reason"])


def _merge(case, actor, cleaned, at):
    master = cleaned["master"]
    case.master = master
    if master.closed_at:
        case.result, case.closed_at = master.result, master.closed_at
    return Outcome(note=cleaned.get("note", ""), data={"master": master.number})


def _self_handle(case, actor, cleaned, at):
    community = case.region.responsible_community() or actor.region
    case.category = cleaned["category"]
    case.urgency = case.category.default_urgency
    case.registered_at = case.dispatched_at = case.accepted_at = case.replied_at = at
    _set_deadlines(case, case.received_at)
    case.result = cleaned["result"]
    _accept_hours, _amount, _unit, verify_hours = deadline_policy(case.category, case.urgency)
    case.verify_due_at = add_hours(at, verify_hours).due_at
    Assignment.objects.create(
        case=case,
        office=community,
        role=AssignmentRole.LEAD,
        dispatched_by=actor,
        dispatched_at=at,
        accepted_at=at,
        explanation=_("Handled on the spot by grid worker %(user)s") % {"user": actor},
    )
    return Outcome(note=cleaned["result"], unit=community.name)


def _supervise(case, actor, cleaned, at):
    case.supervision_count += 1
    message = _("Case %(number)s is being pressed: %(note)s") % {
        "number": case.number,
        "note": cleaned["reason"],
    }
    assignments = list(_active_assignments(case))
    for assignment in assignments:
        _notify(case, assignment, Action.SUPERVISE, message, at)
    if not assignments:
        # No unit holds the case (registered, or returned): the desk that must dispatch
        # it is the one pressed.
        _notify_desk(case, None, Action.SUPERVISE, message, at)
    return Outcome(note=cleaned["reason"])


def _summon(case, actor, cleaned, at):
    _check_serving(case, {"lead": [cleaned["lead"]], "assisting": cleaned.get("assisting") or []})
    due = at + timedelta(minutes=cleaned["report_minutes"])
    case.assignments.filter(state=AssignmentState.ACTIVE).update(state=AssignmentState.ENDED)
    lead = Assignment.objects.create(
        case=case,
        department=cleaned["lead"],
        role=AssignmentRole.LEAD,
        summoned=True,
        report_in_due_at=due,
        dispatched_by=actor,
        dispatched_at=at,
        explanation=_("Summoned by %(office)s") % {"office": actor.region.name},
    )
    assisting = [
        Assignment.objects.create(
            case=case,
            department=department,
            role=AssignmentRole.ASSIST,
            summoned=True,
            report_in_due_at=due,
            dispatched_by=actor,
            dispatched_at=at,
            explanation=_("Summoned by %(office)s") % {"office": actor.region.name},
        )
        for department in cleaned.get("assisting") or []
    ]
    case.dispatched_at = at
    case.accept_due_at = due
    for assignment in [lead, *assisting]:
        _notify(
            case,
            assignment,
            Action.SUMMON,
            _("Summoned (吹哨) to case %(number)s: report in by %(due)s")
            % {"number": case.number, "due": timezone.localtime(due).strftime("%H:%M")},
            at,
        )
    return Outcome(
        note=cleaned.get("note", ""),
        unit=actor.region.name,
        data={
            "office": actor.region.code,
            "lead": _unit_ref(lead),
            "assisting": [_unit_ref(a) for a in assisting],
            "report_in_due_at": due.isoformat(),
        },
    )


def _report_in(case, actor, cleaned, at):
    mine = _unit_assignment(case, actor)
    if mine.reported_in_at is not None:
        raise ActionRefused(_("%(unit)s has already reported in.") % {"unit": mine.unit_name})
    mine.reported_in_at = at
    if mine.accepted_at is None:
        mine.accepted_at = at
    mine.save(update_fields=["reported_in_at", "accepted_at"])
    late = mine.report_in_due_at is not None and at > mine.report_in_due_at
    outcome = Outcome(note=cleaned.get("note", ""), unit=mine.unit_name, data={"late": late})
    if mine.role == AssignmentRole.LEAD and case.status == Status.DISPATCHED:
        case.accepted_at = at
        outcome.status = Status.ACCEPTED
    return outcome


def _awaits_response_rating(case, actor) -> bool:
    """Only the office that summoned the departments rates their response, and only while
    a unit of the summons is still unrated: a case never summoned has nothing to rate."""
    summon = case.events.filter(action=Action.SUMMON).order_by("-created_at").first()
    if summon is None or actor.region_id is None or summon.data.get("office") != actor.region.code:
        return False
    return (
        case.assignments.filter(summoned=True, response_rating="")
        # Units of an earlier summons or dispatch that others replaced are no longer rated.
        .exclude(state=AssignmentState.ENDED)
        .exists()
    )


def _rate_response(case, actor, cleaned, at):
    assignment = (
        case.assignments.filter(summoned=True, department=cleaned["department"])
        .order_by("-dispatched_at")
        .first()
    )
    assignment.response_rating = cleaned["rating"]
    assignment.save(update_fields=["response_rating"])
    return Outcome(
        note=cleaned.get("note", ""),
        unit=assignment.unit_name,
        data={"department": assignment.department.code, "rating": cleaned["rating"]},
    )


def _notify(case, assignment, action, message, at) -> None:
    # Stamped with the action's time, which a back-dated import or the demo sets.
    Notification.objects.create(
        case=case,
        department=assignment.department,
        office=assignment.office,
        action=action,
        message=message[:300],
        created_at=at,
    )


def _notify_desk(case, dispatcher, action, message, at) -> None:
    """Tell a dispatcher and the desk (office) they act for. Without a person, or for the
    triage account, which acts for no region, the nearest desk above the case is told."""
    desk = dispatcher.region_id if dispatcher is not None else None
    if desk is None:
        desk = (
            case.region.ancestors()
            .filter(staff__role=Role.DISPATCHER, staff__is_active=True)
            .order_by("-path")
            .values_list("pk", flat=True)
            .first()
        )
    if desk is None and dispatcher is None:
        return
    Notification.objects.create(
        case=case,
        office_id=desk,
        user=dispatcher,
        action=action,
        message=message[:300],
        created_at=at,
    )


HANDLERS = {
    Action.REGISTER: _register,
    Action.REJECT: _reject,
    Action.DISPATCH: _dispatch,
    Action.ACCEPT: _accept,
    Action.RETURN: _return,
    Action.HANDLE: _handle,
    Action.REPLY: _reply,
    Action.VERIFY: _verify,
    Action.REWORK: _rework,
    Action.CLOSE: _close,
    Action.RATE: _rate,
    Action.REOPEN: _reopen,
    Action.EXTEND: _extend,
    Action.APPROVE_EXTENSION: _approve_extension,
    Action.REFUSE_EXTENSION: _refuse_extension,
    Action.MERGE: _merge,
    Action.SELF_HANDLE: _self_handle,
    Action.SUPERVISE: _supervise,
    Action.SUMMON: _summon,
    Action.REPORT_IN: _report_in,
    Action.RATE_RESPONSE: _rate_response,
}


def available_actions(actor, case: Case) -> list[str]:
    """The actions this actor may take on this case now: what the case page offers."""
    actions = []
    for action in HANDLERS:
        if case.status not in TRANSITIONS[action].sources:
            continue
        try:
            _check_rights(actor, case, action)
        except NotAllowed:
            continue
        actions.append(action)
    return actions
