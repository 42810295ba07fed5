"""The commands of the burden module: send a demand down, decide a held one, and a
community's answer to a demand (accept, answer, ask for more time, object), with the
sender's and the burden office's replies. Each checks who may do it, refuses bad input with
a message naming the field (ValidationError) or the right (PermissionDenied), and changes
nothing unless it all succeeds.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scoping import covers
from gridgov.burden.choices import Admission, DemandKind, RecipientState, Ruling
from gridgov.burden.models import (
    AdmittedMatter,
    AdmittedMatterVersion,
    Demand,
    DemandRecipient,
)
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.workdays.calendar import WorkingCalendar, add_working_days

# Who sends demands down: a department (its handlers), a street or district office (its
# staff and leaders), and administrators on anyone's behalf.
SENDER_ROLES = {"department_handler", "street_staff", "leader", "administrator"}
RECIPIENT_LEVELS = {Level.STREET, Level.COMMUNITY}
# Who answers for a street or community.
ANSWERING_ROLES = {"community_staff", "street_staff", "administrator"}
# A holiday-eve dump is due within this many working days after the holiday.
AFTER_HOLIDAY_WORKING_DAYS = 2


def may_send(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in SENDER_ROLES)


def may_decide(user) -> bool:
    return user.is_authenticated and user.has_perm("burden.decide_demand")


def may_answer(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in ANSWERING_ROLES)


def sender_region(user) -> Region | None:
    """The office a user sends for: their department's region, or their own; an
    administrator without a region sends for the city."""
    if user.role == "department_handler":
        return user.department.region if user.department_id else None
    if user.region_id is None and (user.is_superuser or user.role == "administrator"):
        return Region.objects.filter(parent=None).order_by("code").first()
    return user.region


@dataclass
class DemandInput:
    """What a sender says about a demand, from a form or the API."""

    kind: str
    title: str
    description: str
    working_days: int
    recipients: list = field(default_factory=list)  # Region objects
    matter: AdmittedMatter | None = None
    asks_for_engagement: bool = False


def send_demand(user, data: DemandInput, *, now=None) -> Demand:
    """Send a demand down. Under a matter valid today it reaches the recipients at once;
    naming none (or one out of date) it is held for the burden office; a campaign asking
    residents to vote, like or forward is refused outright."""
    if not may_send(user):
        raise PermissionDenied(_("Your role does not send demands to communities."))
    now = now or timezone.now()
    today = timezone.localdate(now)
    office = sender_region(user)
    errors = {}
    if office is None:
        errors["recipients"] = [_("Your account has no office or department to send for.")]
    if data.kind not in DemandKind.values:
        errors["kind"] = [_("Choose what kind of demand this is.")]
    if not data.title.strip():
        errors["title"] = [_("Give the demand a title.")]
    if not data.description.strip():
        errors["description"] = [_("Say what is asked.")]
    if not 1 <= data.working_days <= 250:
        errors["working_days"] = [_("Give between 1 and 250 working days.")]
    recipients = list(dict.fromkeys(data.recipients))
    if not recipients:
        errors["recipients"] = [_("Choose at least one street or community.")]
    for region in recipients:
        if region.level not in RECIPIENT_LEVELS:
            errors["recipients"] = [
                _("%(name)s is not a street or a community.") % {"name": region.name}
            ]
        elif office is not None and not (
            region.path.startswith(office.path) or office.level == Level.CITY
        ):
            errors["recipients"] = [
                _("%(name)s is outside the area you send to.") % {"name": region.name}
            ]
    if errors:
        raise ValidationError(errors)

    due = add_working_days(now, data.working_days).due_at
    calendar = WorkingCalendar(today - timedelta(days=1), timezone.localdate(due))
    # As the list stands now, whatever version the caller holds.
    matter = AdmittedMatter.objects.get(pk=data.matter.pk) if data.matter else None
    if data.asks_for_engagement:
        admission, reason = (
            Admission.REFUSED,
            _("Campaigns whose point is residents' votes, likes or forwards are not admitted."),
        )
    elif matter is not None and matter.is_valid_on(today):
        admission, reason = Admission.ADMITTED, ""
    else:
        admission, reason = Admission.HELD, ""
    with transaction.atomic():
        demand = Demand.objects.create(
            kind=data.kind,
            title=data.title.strip(),
            description=data.description.strip(),
            matter=matter,
            matter_version=matter.version if matter else None,
            sender_department=user.department if user.role == "department_handler" else None,
            sender_region=office,
            sender_path=office.path,
            sent_by=user,
            sent_at=now,
            working_days=data.working_days,
            due_at=due,
            asks_for_engagement=data.asks_for_engagement,
            admission=admission,
            decision_reason=reason,
            decided_at=now if admission == Admission.REFUSED else None,
            holiday_eve=is_holiday_eve(today, timezone.localdate(due), calendar),
            short_deadline=data.working_days < settings.BURDEN_SHORT_DEADLINE_WORKING_DAYS,
        )
        DemandRecipient.objects.bulk_create(
            DemandRecipient(demand=demand, region=region, region_path=region.path)
            for region in recipients
        )
        demand.repeat_of = earlier_same_demand(demand, recipients)
        if demand.repeat_of is not None:
            demand.save(update_fields=["repeat_of"])
    return demand


def is_holiday_eve(sent: date, due: date, calendar: WorkingCalendar) -> bool:
    """Sent on a public holiday or on the last working day before one, or spanning one and
    due within AFTER_HOLIDAY_WORKING_DAYS working days after it (调休 counted as the
    calendar says)."""
    if calendar.is_public_holiday(sent):
        return True
    day = sent + timedelta(days=1)
    while not calendar.is_workday(day):
        if calendar.is_public_holiday(day):
            return calendar.is_workday(sent)
        day += timedelta(days=1)
    last_holiday = None
    day = sent
    while day <= due:
        if calendar.is_public_holiday(day):
            last_holiday = day
        day += timedelta(days=1)
    if last_holiday is None:
        return False
    after = sum(
        calendar.is_workday(last_holiday + timedelta(days=n))
        for n in range(1, (due - last_holiday).days + 1)
    )
    return after <= AFTER_HOLIDAY_WORKING_DAYS


def earlier_same_demand(demand: Demand, recipients) -> Demand | None:
    """The latest earlier demand of the same sender and kind, with the same title, sent to
    any of the same places within BURDEN_REPEAT_DAYS: asking again what was asked."""
    since = demand.sent_at - timedelta(days=settings.BURDEN_REPEAT_DAYS)
    return (
        Demand.objects.filter(
            sender_region=demand.sender_region,
            sender_department=demand.sender_department,
            kind=demand.kind,
            title=demand.title,
            sent_at__gte=since,
            sent_at__lte=demand.sent_at,
            recipients__region__in=recipients,
        )
        .exclude(pk=demand.pk)
        .order_by("-sent_at", "-pk")
        .first()
    )


def _decidable(user, demand: Demand) -> None:
    if not may_decide(user):
        raise PermissionDenied(_("Only the burden office decides this."))
    paths = demand.recipients.values_list("region_path", flat=True)
    if not all(covers(user, path) for path in paths):
        raise PermissionDenied(
            _("The demand goes beyond your area: the burden office above yours decides it.")
        )


def decide_held(user, demand: Demand, *, admit: bool, reason: str, now=None) -> Demand:
    """The burden office admits a held demand as an exception, or refuses it; either way
    with a reason, which the sender sees."""
    _decidable(user, demand)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the decision.")]})
    with transaction.atomic():
        demand = Demand.objects.select_for_update().get(pk=demand.pk)
        if demand.admission != Admission.HELD:
            raise ValidationError({"admission": [_("This demand has been decided already.")]})
        demand.admission = Admission.EXCEPTION if admit else Admission.REFUSED
        demand.decided_by, demand.decided_at = user, now or timezone.now()
        demand.decision_reason = reason.strip()
        demand.save(update_fields=["admission", "decided_by", "decided_at", "decision_reason"])
    return demand


MATTER_FIELDS = (
    "code",
    "title",
    "department_id",
    "basis",
    "community_part",
    "valid_from",
    "valid_to",
)


def save_matter(user, matter: AdmittedMatter, approval: str) -> AdmittedMatter:
    """Save a change to the admission list as its next version, approved by `user` under
    `approval` (the decision or document)."""
    if not approval.strip():
        raise ValidationError({"approval": [_("Name the approval of this change.")]})
    with transaction.atomic():
        if matter.pk:
            matter.version = (
                AdmittedMatter.objects.select_for_update()
                .values_list("version", flat=True)
                .get(pk=matter.pk)
            ) + 1
        else:
            matter.version = 1
        matter.save()
        AdmittedMatterVersion.objects.create(
            matter=matter,
            version=matter.version,
            fields={
                name: (value.isoformat() if hasattr(value, "isoformat") else value)
                for name in MATTER_FIELDS
                for value in [getattr(matter, name)]
            },
            approved_by=user,
            approval=approval.strip(),
        )
    return matter


# --- what a community does with a demand ------------------------------------------------

# state → the states a community may move its copy to.
COMMUNITY_MOVES = {
    RecipientState.RECEIVED: {
        RecipientState.ACCEPTED,
        RecipientState.ANSWERED,
        RecipientState.EXTENSION_ASKED,
        RecipientState.OBJECTED,
    },
    RecipientState.ACCEPTED: {
        RecipientState.ANSWERED,
        RecipientState.EXTENSION_ASKED,
        RecipientState.OBJECTED,
    },
    RecipientState.EXTENSION_ASKED: {RecipientState.ANSWERED},
    RecipientState.ANSWERED: set(),
    RecipientState.OBJECTED: set(),
    RecipientState.WITHDRAWN: set(),
}


def community_moves(recipient: DemandRecipient) -> set:
    """The states the community may move its copy to now: COMMUNITY_MOVES, but no second
    objection once the burden office has ruled on the first."""
    moves = COMMUNITY_MOVES.get(recipient.state, set())
    return moves - {RecipientState.OBJECTED} if recipient.ruling else moves


@dataclass
class Response:
    action: str  # a RecipientState the community moves to
    answer: str = ""
    extension_until: date | None = None
    objection: str = ""


def respond(user, recipient: DemandRecipient, response: Response, *, now=None) -> DemandRecipient:
    """A street or community accepts, answers, asks for more time or objects."""
    if not may_answer(user) or not covers(user, recipient.region_path):
        raise PermissionDenied(_("Only the street or community it went to answers it."))
    errors = {}
    if response.action == RecipientState.ANSWERED and not response.answer.strip():
        errors["answer"] = [_("Write the answer.")]
    if response.action == RecipientState.EXTENSION_ASKED:
        due = timezone.localdate(recipient.demand.due_at)
        if response.extension_until is None or response.extension_until <= due:
            errors["extension_until"] = [
                _("Ask for a date after the deadline (%(due)s).") % {"due": due.isoformat()}
            ]
    if response.action == RecipientState.OBJECTED and not response.objection.strip():
        errors["objection"] = [_("Say why the community should not be asked this.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        recipient = DemandRecipient.objects.select_for_update().get(pk=recipient.pk)
        if response.action == RecipientState.OBJECTED and recipient.ruling:
            raise ValidationError(
                {
                    "objection": [
                        _(
                            "The burden office has already ruled on this place's objection "
                            "(%(ruling)s): it cannot be raised again."
                        )
                        % {"ruling": recipient.get_ruling_display()}
                    ]
                }
            )
        if response.action not in community_moves(recipient):
            raise ValidationError(
                {
                    "action": [
                        _("A demand that is “%(state)s” cannot be moved to “%(action)s”.")
                        % {
                            "state": recipient.get_state_display(),
                            "action": RecipientState(response.action).label
                            if response.action in RecipientState.values
                            else response.action,
                        }
                    ]
                }
            )
        recipient.state = response.action
        if response.action == RecipientState.ANSWERED:
            recipient.answer = response.answer.strip()
        if response.action == RecipientState.EXTENSION_ASKED:
            recipient.extension_until = response.extension_until
        if response.action == RecipientState.OBJECTED:
            recipient.objection = response.objection.strip()
        recipient.acted_by, recipient.acted_at = user, now or timezone.now()
        recipient.save()
    return recipient


def may_reply_for_sender(user, demand: Demand) -> bool:
    """The sender's side: who sent it, their department's handlers, their office's staff."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.role == "administrator" or user.pk == demand.sent_by_id:
        return True
    if demand.sender_department_id:
        return user.department_id == demand.sender_department_id
    return user.role in SENDER_ROLES and user.region_id == demand.sender_region_id


def decide_extension(user, recipient: DemandRecipient, *, grant: bool, now=None):
    """The sender grants or refuses the more time a community asked for."""
    if not may_reply_for_sender(user, recipient.demand):
        raise PermissionDenied(_("Only the sender answers a request for more time."))
    with transaction.atomic():
        recipient = DemandRecipient.objects.select_for_update().get(pk=recipient.pk)
        if recipient.state != RecipientState.EXTENSION_ASKED:
            raise ValidationError({"state": [_("No request for more time is waiting.")]})
        recipient.state = RecipientState.ACCEPTED
        recipient.extension_granted = grant
        recipient.acted_by, recipient.acted_at = user, now or timezone.now()
        recipient.save()
    return recipient


def resolve_objection(user, recipient: DemandRecipient, *, uphold: bool, reason: str, now=None):
    """The burden office upholds an objection (the demand is withdrawn for that community)
    or overrules it (the community has it to do again), with a reason. The ruling is kept
    in its own fields beside the community's objection, and is final: a second ruling is
    refused."""
    if not may_decide(user) or not covers(user, recipient.region_path):
        raise PermissionDenied(_("Only the burden office decides this."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the decision.")]})
    with transaction.atomic():
        recipient = (
            # Only the row is locked: who ruled comes by an outer join, which PostgreSQL
            # does not lock.
            DemandRecipient.objects.select_for_update(of=("self",))
            .select_related("ruled_by")
            .get(pk=recipient.pk)
        )
        if recipient.ruling:
            raise ValidationError({"ruling": [already_ruled(recipient)]})
        if recipient.state != RecipientState.OBJECTED:
            raise ValidationError({"state": [_("There is no objection to decide.")]})
        now = now or timezone.now()
        recipient.state = RecipientState.WITHDRAWN if uphold else RecipientState.RECEIVED
        recipient.ruling = Ruling.UPHELD if uphold else Ruling.OVERRULED
        recipient.ruled_by, recipient.ruled_at = user, now
        recipient.ruling_reason = reason.strip()
        recipient.acted_by, recipient.acted_at = user, now
        recipient.save()
    return recipient


def already_ruled(recipient: DemandRecipient) -> str:
    if recipient.ruled_by is None or recipient.ruled_at is None:
        return _("The burden office has already ruled on this objection: %(ruling)s.") % {
            "ruling": recipient.get_ruling_display()
        }
    return _(
        "The burden office has already ruled on this objection: %(ruling)s, by %(who)s on %(when)s."
    ) % {
        "ruling": recipient.get_ruling_display(),
        "who": recipient.ruled_by,
        "when": timezone.localtime(recipient.ruled_at).strftime("%Y-%m-%d %H:%M"),
    }
