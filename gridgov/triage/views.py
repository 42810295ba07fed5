"""Pages of triage: hot spots and monthly topics, and turning a topic into a proactive task.

Thin: the figures come from gridgov.triage.hotspots, the case from services.intake_case and
services.perform through hotspots.create_proactive_task.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.cases import services
from gridgov.regions.models import Region
from gridgov.regions.queries import scope_root
from gridgov.triage import hotspots as hs


def _now():
    # One seam for the clock, so tests can fix "this week" and "the last 30 days".
    return timezone.now()


def _area(request, code=None) -> Region:
    """The area the page is about: ?region=CODE inside the user's scope, else its root.
    Residents (no scope) get 404; staff outside the page's roles 403."""
    root = scope_root(request.user)
    if root is None:
        raise Http404
    if not hs.may_view(request.user):
        raise PermissionDenied
    code = code or request.GET.get("region")
    if code:
        return get_visible_or_404(Region.objects, request.user, code=code)
    return root


def _render(request, region, status=200):
    now = _now()
    cfg = hs.config()
    context = {
        "region": region,
        "spikes": hs.find_spikes(region, now, cfg),
        "topics": hs.monthly_topics(region, now, cfg),
        "week": hs.week_start(now),
        "cfg": cfg,
        "topic_level": hs.topic_level(region),
        "may_create": hs.may_create_task(request.user),
    }
    return render(request, "triage/hotspots.html", context, status=status)


@login_required
@require_GET
def hotspots(request):
    return _render(request, _area(request))


@login_required
@require_POST
def create_task(request):
    area = _area(request, request.POST.get("area"))
    try:
        result = hs.create_proactive_task(
            request.user, request.POST.get("category"), request.POST.get("region"), now=_now()
        )
    except services.InvalidInput as exc:
        messages.error(request, exc.message)
        return _render(request, area, status=400)
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message) from None
    number = result.task.case.number
    if not result.created:
        messages.info(
            request,
            _("This topic is already a proactive task this month: case %(number)s.")
            % {"number": number},
        )
    elif result.registered:
        messages.success(
            request,
            _("Proactive task %(number)s created and registered; dispatch it from its page.")
            % {"number": number},
        )
    else:
        messages.success(
            request,
            _("Proactive task %(number)s created; a dispatcher registers and dispatches it.")
            % {"number": number},
        )
    return redirect("cases:detail", number=number)
