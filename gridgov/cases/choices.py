"""Statuses, actions and the transition table of the closed loop.

received (受理) → registered (立案) → dispatched (派遣) → accepted (签收) → handling (处置)
→ replied (反馈) → verified (核查) → closed (结案) → rated (评价), with the side paths
reject, return, rework, merge, self-handle and reopen. Actions that change no status
(supervise, extend, summon's report-in, …) are listed with target None.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12345 hotline")
    WEB = "web", _("Web / app")
    GRID_PATROL = "grid_patrol", _("Grid patrol")
    MESSAGE_BOARD = "message_board", _("Message board")
    WALK_IN = "walk_in", _("Walk-in")
    API = "api", _("Open API")
    PROACTIVE = "proactive", _("Proactive (未诉先办)")


class CaseType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    HELP = "help", _("Request for help")
    COMPLAINT = "complaint", _("Complaint / report")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Urgency(models.TextChoices):
    """The hotline's tiers: what the default deadlines follow."""

    EMERGENCY = "emergency", _("Danger to life or property")
    UTILITY = "utility", _("Water, power, gas or heating")
    NORMAL = "normal", _("General")
    COMPLEX = "complex", _("Complex")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    REGISTERED = "registered", _("Registered")
    DISPATCHED = "dispatched", _("Dispatched")
    ACCEPTED = "accepted", _("Accepted")
    HANDLING = "handling", _("Handling")
    REPLIED = "replied", _("Replied")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    RATED = "rated", _("Rated")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")


# The loop is over for these; nothing but a reopen (from closed/rated) moves them.
FINAL_STATUSES = {Status.CLOSED, Status.RATED, Status.REJECTED, Status.MERGED}
OPEN_STATUSES = set(Status) - FINAL_STATUSES


class Action(models.TextChoices):
    RECEIVE = "receive", _("Receive")
    REGISTER = "register", _("Register")
    REJECT = "reject", _("Reject")
    DISPATCH = "dispatch", _("Dispatch")
    ACCEPT = "accept", _("Accept")
    RETURN = "return", _("Return")
    HANDLE = "handle", _("Start handling")
    REPLY = "reply", _("Reply")
    VERIFY = "verify", _("Verify")
    REWORK = "rework", _("Send back for rework")
    CLOSE = "close", _("Close")
    RATE = "rate", _("Rate")
    REOPEN = "reopen", _("Reopen")
    EXTEND = "extend", _("Ask for an extension")
    APPROVE_EXTENSION = "approve-extension", _("Approve the extension")
    REFUSE_EXTENSION = "refuse-extension", _("Refuse the extension")
    MERGE = "merge", _("Merge into another case")
    SELF_HANDLE = "self-handle", _("Handled on the spot")
    SUPERVISE = "supervise", _("Supervise")
    SUMMON = "summon", _("Summon departments")
    REPORT_IN = "report-in", _("Report in")
    RATE_RESPONSE = "rate-response", _("Rate the units' response")
    # Written by the system, never requested by a person.
    DISPUTE = "dispute", _("Dispatch dispute")
    OVERDUE = "overdue", _("Overdue")


# Notification.action of a "due soon" warning: a notice, never an event, so not one of
# the case's Actions; a notification is about an action or about this.
DUE_SOON_NOTICE = "due-soon"
NOTIFICATION_ACTIONS = [*Action.choices, (DUE_SOON_NOTICE, _("Due soon"))]


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str | None  # None: the status stays as it is


def _t(sources, target=None) -> Transition:
    return Transition(frozenset(sources), target)


_OPEN_WORK = {Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED, Status.HANDLING}

TRANSITIONS: dict[str, Transition] = {
    Action.REGISTER: _t({Status.RECEIVED}, Status.REGISTERED),
    Action.REJECT: _t({Status.RECEIVED}, Status.REJECTED),
    Action.DISPATCH: _t({Status.REGISTERED}, Status.DISPATCHED),
    Action.ACCEPT: _t({Status.DISPATCHED}, Status.ACCEPTED),
    Action.RETURN: _t({Status.DISPATCHED, Status.ACCEPTED}, Status.REGISTERED),
    Action.HANDLE: _t({Status.ACCEPTED}, Status.HANDLING),
    Action.REPLY: _t({Status.HANDLING}, Status.REPLIED),
    Action.VERIFY: _t({Status.REPLIED}, Status.VERIFIED),
    Action.REWORK: _t({Status.REPLIED}, Status.HANDLING),
    Action.CLOSE: _t({Status.VERIFIED}, Status.CLOSED),
    Action.RATE: _t({Status.CLOSED}, Status.RATED),
    Action.REOPEN: _t({Status.CLOSED, Status.RATED}, Status.HANDLING),
    Action.EXTEND: _t({Status.ACCEPTED, Status.HANDLING}),
    Action.APPROVE_EXTENSION: _t({Status.ACCEPTED, Status.HANDLING}),
    Action.REFUSE_EXTENSION: _t({Status.ACCEPTED, Status.HANDLING}),
    Action.MERGE: _t({Status.RECEIVED, Status.REGISTERED}, Status.MERGED),
    Action.SELF_HANDLE: _t({Status.RECEIVED}, Status.REPLIED),
    Action.SUPERVISE: _t(OPEN_STATUSES - {Status.RECEIVED}),
    Action.SUMMON: _t({Status.REGISTERED}, Status.DISPATCHED),
    Action.REPORT_IN: _t({Status.DISPATCHED, Status.ACCEPTED, Status.HANDLING}),
    Action.RATE_RESPONSE: _t({Status.REPLIED, Status.VERIFIED, Status.CLOSED, Status.RATED}),
}


class AssignmentRole(models.TextChoices):
    # Dispatched to several units at once: whoever accepts first leads (首接负责).
    PENDING = "pending", _("Awaiting acceptance")
    LEAD = "lead", _("Lead unit")
    ASSIST = "assist", _("Assisting unit")


class AssignmentState(models.TextChoices):
    ACTIVE = "active", _("Active")
    # The unit held the case until it was closed: its work is over, but the case still
    # counts for it (metrics, Open311's agency) and a reopen gives it back to it.
    DONE = "done", _("Done")
    RETURNED = "returned", _("Returned")
    ENDED = "ended", _("Ended")


# The assignments a case counts for: the unit at work on it, or the one that finished it.
HOLDING_STATES = (AssignmentState.ACTIVE, AssignmentState.DONE)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class ResponseRating(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("Component (部件)")
    EVENT = "event", _("Event (事件)")
    HOTLINE = "hotline", _("Hotline subject")


class Owner(models.TextChoices):
    """Who a category's matters belong to. Department-owned matters may not be pushed down."""

    DEPARTMENT = "department", _("A functional department")
    STREET = "street", _("The street office")
    COMMUNITY = "community", _("The community")


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
