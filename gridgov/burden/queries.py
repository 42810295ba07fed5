"""The burden pages' scoped reads: what a user's side sent, what reached their streets and
communities, and what waits for their burden office. Every one starts from
Demand.objects.visible_to or DemandRecipient.objects.visible_to."""

from django.db.models import Exists, OuterRef, Q

from gridgov.accounts.scoping import ALL, scope_path
from gridgov.burden import services
from gridgov.burden.choices import Admission, RecipientState
from gridgov.burden.models import Demand, DemandRecipient

REACHED = [Admission.ADMITTED, Admission.EXCEPTION]
# The states in which a community still owes the sender something by the deadline.
OPEN_STATES = {RecipientState.RECEIVED, RecipientState.ACCEPTED, RecipientState.EXTENSION_ASKED}


def has_part(user) -> bool:
    """Whether the burden pages are for the user at all: senders, the streets and
    communities that answer, and the burden office. Everyone else gets 404."""
    return services.may_send(user) or services.may_answer(user) or services.may_decide(user)


def sent_by_side(user):
    """The demands the user's side sent: their department's, or their office's and their own
    (services.may_reply_for_sender, as a query); an administrator's side is everyone."""
    demands = Demand.objects.visible_to(user)
    if user.is_superuser or user.role == "administrator":
        return demands
    if user.role == "department_handler":
        return demands.filter(sender_department_id=user.department_id)
    return demands.filter(
        Q(sent_by=user) | Q(sender_department=None, sender_region_id=user.region_id)
    )


def on_sender_side(user, demand: Demand) -> bool:
    """Whether the user reads the demand as its sender or above it (every recipient shown),
    rather than as one of the places it went to (only their own)."""
    return services.may_reply_for_sender(user, demand) or services.covers(user, demand.sender_path)


def inbox(user):
    """What reached the user's streets and communities: admitted demands only (a held or
    refused one never went down)."""
    return DemandRecipient.objects.visible_to(user).filter(demand__admission__in=REACHED)


def held_for(user):
    """Held demands the user's burden office may decide: every recipient in its scope
    (services.decide_held refuses the others: the office above decides them)."""
    held = Demand.objects.filter(admission=Admission.HELD)
    path = scope_path(user)
    if path is ALL:
        return held
    if path is None:
        return held.none()
    recipients = DemandRecipient.objects.filter(demand=OuterRef("pk"))
    return held.filter(Exists(recipients.filter(region_path__startswith=path))).exclude(
        Exists(recipients.exclude(region_path__startswith=path))
    )


def objections_for(user):
    return DemandRecipient.objects.visible_to(user).filter(state=RecipientState.OBJECTED)


def rulings_for(user):
    """The objections the burden office has ruled on, in the user's area."""
    return DemandRecipient.objects.visible_to(user).exclude(ruling="")
