"""The audit of unmasked views, for those who answer for an area's personal data: the
administrators, and a leader for their own area. Read-only: the audit is append-only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.accounts.choices import Role
from gridgov.registry.models import PersonalDataView

READERS = {Role.LEADER, Role.ADMINISTRATOR}
VIEWS_PER_PAGE = 50


def may_read_audit(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in READERS)


@login_required
@require_GET
def audit(request):
    if not may_read_audit(request.user):
        raise PermissionDenied(_("Only administrators and leaders read the audit."))
    views = (
        PersonalDataView.objects.visible_to(request.user)
        .select_related("user", "person")
        .order_by("-viewed_at", "-pk")
    )
    page = Paginator(views, VIEWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "registry/audit.html", {"page": page})
