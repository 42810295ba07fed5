"""The message centre: the signed-in user's notices, read state per user."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.notices import services

NOTICES_PER_PAGE = 25


@login_required
@require_GET
def notice_list(request):
    user = request.user
    kind = services.KINDS_BY_KEY.get(request.GET.get("kind", ""))
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(services.listing(user, kind, unread_only), NOTICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    counts = services.unread_counts(user)
    query = {"kind": kind.key if kind else "", "unread": "1" if unread_only else ""}
    return render(
        request,
        "notices/list.html",
        {
            "page": page,
            "rows": [(notice, services.KIND_OF_ACTION.get(notice.action)) for notice in page],
            "kinds": [(k, counts[k.key]) for k in services.KINDS],
            "current": kind.key if kind else "",
            "unread_only": unread_only,
            "query": "&".join(f"{key}={value}" for key, value in query.items() if value),
            # The header's badge reads this instead of counting again.
            "unread_notices": counts["total"],
        },
    )


@login_required
@require_GET
def notice_open(request, pk: int):
    """Follow a notice to its case; following it is reading it."""
    notice = services.access_notice(request.user, pk)
    services.mark_read(request.user, notice)
    return redirect("cases:detail", notice.case.number)


@login_required
@require_POST
def notice_read(request, pk: int):
    services.mark_read(request.user, services.access_notice(request.user, pk))
    return _back(request)


@login_required
@require_POST
def notice_read_all(request):
    services.mark_all_read(request.user)
    messages.success(request, _("All notices are marked read."))
    return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "notices:list"
    return redirect(target)
