"""Arrivals from elsewhere: reporting them (one at a time or a whole spreadsheet), the
measures and tasks the rules engine decides for them, the grid's work on those tasks, and
the audited reveal of their numbers.

A report is checked whole before anything is written: the origin must be a national
division code, the dates in order, the place of stay a grid or building the reporter
covers. A spreadsheet is all or nothing: one bad row and no row is written, each problem
named by its row.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scoping import covers
from gridgov.emergency import divisions, rules
from gridgov.emergency.models import (
    Arrival,
    Channel,
    Measure,
    MeasureState,
    MeasureTask,
)
from gridgov.emergency.services import policy_in_force, whole_risk_index
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry import identity
from gridgov.registry import services as registry_services
from gridgov.registry.choices import DocumentType
from gridgov.registry.models import Room, find_person

REPORTING_ROLES = {"grid_worker", "community_staff", "street_staff", "leader", "administrator"}
STAY_LEVELS = (Level.GRID, Level.BUILDING)


@dataclass
class ArrivalInput:
    name: str
    origin_code: str
    left_on: date | None
    arrived_at: datetime | None
    region: Region | None
    channel: str
    document_type: str = ""
    document_number: str = ""
    phone: str = ""
    room: Room | None = None
    address: str = ""
    reporter_name: str = ""
    reported_at: datetime | None = None


@dataclass
class RowError:
    row: int
    messages: list[str] = field(default_factory=list)
    # The same messages by ArrivalInput field, for an import to name the column.
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self):
        return _("Row %(row)s: %(problems)s") % {
            "row": self.row,
            "problems": " ".join(self.messages),
        }


class ArrivalsRefused(ValidationError):
    """A batch with bad rows: nothing of it was written."""

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        super().__init__([str(error) for error in row_errors])


def may_report(user, region: Region | None = None) -> bool:
    """Staff of the area (a grid worker, community or street office, a leader, an
    administrator); the public page reports for people themselves, without an account."""
    if not user.is_authenticated or not (user.is_superuser or user.role in REPORTING_ROLES):
        return False
    if region is None:
        return True
    return covers(user, region.path)


def may_see(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in REPORTING_ROLES)


def may_reveal(user) -> bool:
    """Those who see arrivals and may see the registry's numbers unmasked."""
    return may_see(user) and registry_services.may_reveal(user)


def reveal_arrival(user, arrival: Arrival, purpose: str) -> dict:
    """An arrival's numbers in clear, as a registered person's are: for a role allowed,
    within the arrival's scope, for a stated purpose, written to the registry's audit of
    unmasked views before anything is returned."""
    if not may_reveal(user):
        raise PermissionDenied(_("Your role may not see personal numbers unmasked."))
    if not Arrival.objects.visible_to(user).filter(pk=arrival.pk).exists():
        raise PermissionDenied(_("This arrival is outside the area you act for."))
    return registry_services.audited_reveal(user, arrival, purpose)


class _Decider:
    """The policy version and risk index for one report or one batch."""

    def __init__(self, reported_at: datetime):
        self.version = policy_in_force(timezone.localdate(reported_at))
        self.engine = rules.Engine(self.version.policy, self.version.label, whole_risk_index())


def _check(data: ArrivalInput, actor, decider: _Decider) -> tuple[dict, rules.Decision | None]:
    """Every problem of one report, by field, and the decision when there is none."""
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _("Give the person's name.")
    origin = None
    code = (data.origin_code or "").strip()
    if not code:
        errors["origin_code"] = _("Give the place they came from.")
    else:
        try:
            origin = divisions.lookup(code)
        except divisions.UnknownDivision as error:
            errors["origin_code"] = str(error)
    if data.left_on is None:
        errors["left_on"] = _("Give the day they left.")
    if data.arrived_at is None:
        errors["arrived_at"] = _("Give the day and time they arrived.")
    reported_at = data.reported_at or timezone.now()
    if data.arrived_at is not None and data.arrived_at > reported_at:
        errors["arrived_at"] = _("The arrival cannot be later than now.")
    if data.channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    region = data.region
    if data.room is not None:
        region = data.room.building
    if region is None:
        errors["region"] = _("Give where they stay: a building or a grid of the city.")
    elif region.level not in STAY_LEVELS:
        errors["region"] = _("Where they stay must be a building or a grid.")
    elif actor is not None and not may_report(actor, region):
        errors["region"] = _("This place is outside the area you work for.")
    if data.document_number:
        try:
            if data.document_type == DocumentType.RESIDENT_ID:
                identity.check_resident_id(data.document_number)
            elif data.document_type in DocumentType.values:
                identity.check_other_document(data.document_number)
            else:
                errors["document_type"] = _("Choose the kind of ID document.")
        except ValidationError as error:
            errors["document_number"] = " ".join(error.messages)
    if data.phone:
        try:
            identity.check_phone(data.phone)
        except ValidationError as error:
            errors["phone"] = " ".join(error.messages)
    decision = None
    if not errors:
        try:
            decision = decider.engine.decide(
                rules.ArrivalFacts(
                    origin.code, origin.full_name, data.left_on, data.arrived_at, reported_at
                )
            )
        except rules.ArrivalError as error:
            errors["left_on"] = str(error)
    return errors, decision


def _build(data: ArrivalInput, actor, decision: rules.Decision, version) -> Arrival:
    origin = divisions.lookup(data.origin_code.strip())
    region = data.room.building if data.room is not None else data.region
    arrival = Arrival(
        name=data.name.strip(),
        origin_code=origin.code,
        origin_name=origin.full_name,
        left_on=data.left_on,
        arrived_at=data.arrived_at,
        reported_at=data.reported_at or timezone.now(),
        channel=data.channel,
        reported_by=actor if actor is not None and actor.is_authenticated else None,
        reporter_name=(data.reporter_name or "").strip(),
        region=region,
        region_path=region.path,
        room=data.room,
        address=(data.address or "").strip(),
        risk_level=decision.risk_level,
        risk_area_code=decision.area_code,
        late=decision.late,
        hours_late=round(decision.hours_late, 2),
        policy_version=version,
        explanation=decision.explanation,
    )
    arrival.set_document(data.document_type, data.document_number.strip())
    arrival.set_phone(data.phone.strip())
    if arrival.document_index:
        arrival.person = find_person(arrival.document_type, data.document_number.strip())
    return arrival


def _write(arrivals_and_decisions) -> list[Arrival]:
    arrivals = [arrival for arrival, _decision in arrivals_and_decisions]
    Arrival.objects.bulk_create(arrivals)
    measures, plans = [], []
    for arrival, decision in arrivals_and_decisions:
        for plan in decision.measures:
            measures.append(
                Measure(
                    arrival=arrival,
                    kind=plan.kind,
                    starts_on=plan.starts_on,
                    ends_on=plan.ends_on,
                    region_path=arrival.region_path,
                )
            )
            plans.append(plan)
    Measure.objects.bulk_create(measures)
    MeasureTask.objects.bulk_create(
        MeasureTask(
            measure=measure, kind=task.kind, due_at=task.due_at, region_path=measure.region_path
        )
        for measure, plan in zip(measures, plans, strict=True)
        for task in plan.tasks
    )
    return arrivals


def report(actor, data: ArrivalInput) -> Arrival:
    """One arrival: decided and written with its measures and tasks, or ValidationError
    by field and nothing written. `actor` None: the person reports themselves."""
    if actor is not None and not may_report(actor):
        raise PermissionDenied
    if actor is None and data.channel != Channel.SELF:
        raise PermissionDenied
    decider = _Decider(data.reported_at or timezone.now())
    errors, decision = _check(data, actor, decider)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        (arrival,) = _write([(_build(data, actor, decision, decider.version), decision)])
    return arrival


def report_many(
    actor, rows: list[tuple[int, ArrivalInput]], *, dry_run: bool = False
) -> list[Arrival]:
    """A spreadsheet's or an API batch's arrivals, decided against one risk index: all
    written, or ArrivalsRefused naming every bad row and nothing written. With dry_run
    every row is checked and decided but nothing is written: the arrivals come back
    unsaved, to preview."""
    if not may_report(actor):
        raise PermissionDenied
    if not rows:
        raise ValidationError(_("There is no arrival to report."))
    decider = _Decider(timezone.now())
    problems, accepted = [], []
    for number, data in rows:
        errors, decision = _check(data, actor, decider)
        if errors:
            problems.append(RowError(number, list(errors.values()), errors))
        else:
            accepted.append((data, decision))
    if problems:
        raise ArrivalsRefused(problems)
    if dry_run:
        return [_build(data, actor, decision, decider.version) for data, decision in accepted]
    with transaction.atomic():
        return _write(
            [
                (_build(data, actor, decision, decider.version), decision)
                for data, decision in accepted
            ]
        )


# --- the grid's work --------------------------------------------------------------------


def tasks_for(user):
    """The open tasks of the user's area, overdue ones first (the earliest due first)."""
    return (
        MeasureTask.objects.visible_to(user)
        .open()
        .select_related("measure__arrival__region")
        .order_by("due_at")
    )


def finish_task(actor, task: MeasureTask, note: str) -> MeasureTask:
    if (
        not may_report(actor)
        or not MeasureTask.objects.visible_to(actor).filter(pk=task.pk).exists()
    ):
        raise PermissionDenied
    with transaction.atomic():
        task = MeasureTask.objects.select_for_update().get(pk=task.pk)
        if task.done_at is not None or task.cancelled:
            raise ValidationError(_("This task is no longer open."))
        task.done_at = timezone.now()
        task.done_by = actor
        task.note = (note or "").strip()
        task.save()
    return task


def close_measure(actor, measure: Measure, outcome: str, *, early: bool = False) -> Measure:
    """End a measure with a record of how it went: on or after its last day, or early
    (the person was transferred, left the city, tested positive…) with the reason; its
    open tasks are cancelled."""
    if (
        not may_report(actor)
        or not Measure.objects.visible_to(actor).filter(pk=measure.pk).exists()
    ):
        raise PermissionDenied
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Record how the measure went.")})
    today = timezone.localdate()
    with transaction.atomic():
        measure = Measure.objects.select_for_update().get(pk=measure.pk)
        if measure.state != MeasureState.ACTIVE:
            raise ValidationError(_("This measure has already ended."))
        if not early and today < measure.ends_on:
            raise ValidationError(
                _("The measure runs until %(day)s: end it early and say why, or wait.")
                % {"day": measure.ends_on.isoformat()}
            )
        measure.state = MeasureState.CLOSED_EARLY if early else MeasureState.ENDED
        measure.outcome = outcome
        measure.closed_by = actor
        measure.closed_at = timezone.now()
        measure.save()
        measure.tasks.filter(done_at__isnull=True, cancelled=False).update(cancelled=True)
    return measure


def end_due_measures(today: date | None = None) -> int:
    """Measures past their last day that nobody closed end with a record saying so and
    how many of their tasks were done (run daily by `gridgov emergency end-measures`)."""
    today = today or timezone.localdate()
    ended = 0
    due = Measure.objects.filter(state=MeasureState.ACTIVE, ends_on__lt=today)
    for measure in due.iterator():
        with transaction.atomic():
            done = measure.tasks.filter(done_at__isnull=False).count()
            total = measure.tasks.count()
            missed = measure.tasks.filter(done_at__isnull=True, cancelled=False)
            measure.outcome = _(
                "Ended on its last day, %(day)s; %(done)s of %(total)s tasks done."
            ) % {"day": measure.ends_on.isoformat(), "done": done, "total": total}
            measure.state = MeasureState.ENDED
            measure.closed_at = timezone.make_aware(datetime.combine(today, time()))
            measure.save()
            missed.update(cancelled=True)
        ended += 1
    return ended
