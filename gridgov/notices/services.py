"""The message centre's reads and writes: whose notices a user sees, which are unread,
marking them read. The page, the API and the header count all go through here."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import Role
from gridgov.cases.choices import Action
from gridgov.cases.deadlines import DUE_SOON
from gridgov.cases.models import Notification
from gridgov.notices.models import NotificationRead, ReadMark

# The roles that act for an office unit, as Assignment.is_member has it: a notice to an
# office is for them, as the case dispatched to that office is.
OFFICE_ROLES = {Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.DISPATCHER}


@dataclass(frozen=True)
class Kind:
    key: str
    label: str | Promise
    actions: tuple[str, ...]


KINDS = (
    Kind("new", _("New work"), (Action.DISPATCH,)),
    Kind("summons", _("Summons"), (Action.SUMMON,)),
    Kind("returned", _("Returned cases"), (Action.RETURN,)),
    Kind("supervision", _("Supervision"), (Action.SUPERVISE,)),
    Kind("due_soon", _("Due soon"), (DUE_SOON,)),
    Kind("overdue", _("Overdue"), (Action.OVERDUE,)),
)
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}
KIND_OF_ACTION = {action: kind for kind in KINDS for action in kind.actions}


def audience_q(user) -> Q:
    """The notices addressed to the user: personally, to their department, or to the
    office they act for. Each part is one of Notification's foreign-key indexes."""
    q = Q(user_id=user.pk)
    if user.role == Role.DEPARTMENT_HANDLER and user.department_id:
        q |= Q(department_id=user.department_id)
    if user.role in OFFICE_ROLES and user.region_id:
        q |= Q(office_id=user.region_id)
    return q


def notices_for(user) -> QuerySet:
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(audience_q(user))


def unread_q(user) -> Q:
    """Above the user's marker and not read one by one: a subquery on the marker's primary
    key and an anti-join on NotificationRead's unique index, inside the same statement."""
    mark = Coalesce(
        Subquery(ReadMark.objects.filter(user=user.pk).values("read_through")[:1]), Value(0)
    )
    read = NotificationRead.objects.filter(user=user.pk, notification=OuterRef("pk"))
    return Q(pk__gt=mark) & ~Q(Exists(read))


def listing(user, kind: Kind | None = None, unread_only: bool = False) -> QuerySet:
    """The user's notices newest first, each with `unread` and its case's number and title."""
    notices = (
        notices_for(user)
        .annotate(unread=ExpressionWrapper(unread_q(user), output_field=BooleanField()))
        .select_related("case")
        .only("id", "action", "message", "created_at", "case__number", "case__title")
        .order_by("-created_at", "-id")
    )
    if kind is not None:
        notices = notices.filter(action__in=kind.actions)
    if unread_only:
        notices = notices.filter(unread=True)
    return notices


def unread_count(user) -> int:
    """The header's badge: one statement."""
    return notices_for(user).filter(unread_q(user)).count()


def unread_counts(user) -> dict[str, int]:
    """Unread notices in all (`total`) and by kind, in one statement."""
    counts = (
        notices_for(user)
        .filter(unread_q(user))
        .aggregate(
            total=Count("pk"),
            **{kind.key: Count("pk", filter=Q(action__in=kind.actions)) for kind in KINDS},
        )
    )
    return {key: value or 0 for key, value in counts.items()}


def access_notice(user, pk: int) -> Notification:
    """The notice if it is addressed to the user; another unit's notice is a 404."""
    notice = notices_for(user).select_related("case").filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def mark_read(user, notice: Notification) -> None:
    # A second click, or two tabs at once, must not fail on the unique constraint.
    NotificationRead.objects.bulk_create(
        [NotificationRead(user=user, notification=notice)], ignore_conflicts=True
    )


def mark_all_read(user) -> None:
    """Everything the user can see now is read; notices arriving later are not."""
    top = notices_for(user).aggregate(top=Max("pk"))["top"]
    if top is None:
        return
    with transaction.atomic():
        mark, _created = ReadMark.objects.select_for_update().get_or_create(user=user)
        # Never backwards: a click from an older page must not unread what was read.
        mark.read_through = max(mark.read_through, top)
        mark.updated_at = timezone.now()
        mark.save()
        # Rows at or below the marker say nothing the marker does not; keeping the table
        # to the notices above it keeps the anti-join small.
        NotificationRead.objects.filter(user=user, notification_id__lte=mark.read_through).delete()
