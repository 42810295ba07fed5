"""The burden pages (减负): demands sent down, a street's or community's inbox, the burden
office's queue and the admission list.

Every command goes through gridgov.burden.services (PermissionDenied: the 403 page; a
refusal: the form again with status 400, nothing changed). Reads go through
gridgov.burden.queries; out of scope is 404, and so is every page for the users who have no
part in the burden module (residents, grid workers).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts.models import Department
from gridgov.accounts.scoping import get_visible_or_404
from gridgov.burden import queries, secondments, services
from gridgov.burden.choices import Admission, RecipientState
from gridgov.burden.forms import DecisionForm, DemandForm, RespondForm
from gridgov.burden.models import AdmittedMatter, Demand, DemandRecipient
from gridgov.burden.observatory_views import may_observe

PER_PAGE = 50
# Overdue secondment alerts listed on the overview; the rest are counted.
ALERTS_SHOWN = 10
RESPONSE_ACTIONS = [
    RecipientState.ACCEPTED,
    RecipientState.ANSWERED,
    RecipientState.EXTENSION_ASKED,
    RecipientState.OBJECTED,
]


def _with_part(request):
    if not queries.has_part(request.user):
        raise Http404


def _mark_overdue(recipients, now=None):
    now = now or timezone.now()
    for recipient in recipients:
        recipient.overdue = recipient.state in queries.OPEN_STATES and recipient.due_at < now
    return recipients


def _state_counts(recipients) -> dict:
    return dict(recipients.order_by().values_list("state").annotate(Count("pk")))


# --- the overview ------------------------------------------------------------------------


@login_required
def overview(request):
    _with_part(request)
    user = request.user
    context = {
        "may_send": services.may_send(user),
        "may_answer": services.may_answer(user),
        "may_observe": may_observe(user),
    }
    if context["may_send"]:
        sent = queries.sent_by_side(user)
        counts = dict(sent.order_by().values_list("admission").annotate(Count("pk")))
        context["sent_counts"] = counts
        context["sent_total"] = sum(counts.values())
        context["sent_reached"] = sum(counts.get(value, 0) for value in queries.REACHED)
        context["extensions_waiting"] = DemandRecipient.objects.filter(
            demand__in=sent, state=RecipientState.EXTENSION_ASKED
        ).count()
        context["page"] = Paginator(
            sent.select_related("sender_department", "sender_region"), PER_PAGE
        ).get_page(request.GET.get("page"))
    if context["may_answer"]:
        received = queries.inbox(user)
        counts = _state_counts(received)
        context["inbox_figures"] = [(state, counts.get(state, 0)) for state in RecipientState]
        context["inbox_overdue"] = _overdue(received).count()
    if services.may_decide(user):
        context["office_held"] = queries.held_for(user).count()
        context["office_objections"] = queries.objections_for(user).count()
    context.update(_secondment_alerts(user))
    return render(request, "burden/overview.html", context)


def _secondment_alerts(user) -> dict:
    """The overdue secondment alerts addressed to the user (the banner atop the overview)."""
    alerts = secondments.alerts_for(user)
    count = alerts.count()
    if not count:
        return {"alert_count": 0}
    shown = alerts.select_related("secondment__from_region", "secondment__to_department").order_by(
        "planned_end_on", "pk"
    )[:ALERTS_SHOWN]
    return {
        "alert_count": count,
        "alerts": shown,
        "alerts_more": max(0, count - ALERTS_SHOWN),
        "may_keep": secondments.may_keep(user),
    }


def _overdue(recipients):
    """The open ones past the demand's deadline. A granted extension moves a community's
    deadline (DemandRecipient.due_at): those are checked one by one, being few."""
    now = timezone.now()
    late = recipients.filter(state__in=queries.OPEN_STATES, demand__due_at__lt=now)
    extended = [
        recipient.pk
        for recipient in late.filter(extension_granted=True).select_related("demand")
        if recipient.due_at >= now
    ]
    return late.exclude(pk__in=extended)


# --- sending -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def demand_new(request):
    _with_part(request)
    user = request.user
    if not services.may_send(user):
        raise Http404
    office = services.sender_region(user)
    form = DemandForm(request.POST or None, office=office)
    if request.method == "POST" and form.is_valid():
        demand = form.send(user)
        if demand is not None:
            _tell_sender(request, demand)
            return redirect("burden:demand", pk=demand.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "office": office}
    return render(request, "burden/demand_form.html", context, status=status)


def _tell_sender(request, demand):
    if demand.admission == Admission.ADMITTED:
        messages.success(
            request,
            _("Sent: the demand reached %(count)d streets or communities.")
            % {"count": demand.recipients.count()},
        )
    elif demand.admission == Admission.HELD:
        messages.warning(
            request,
            _(
                "Held: it names no matter on the admission list, so the burden office "
                "decides whether it goes down."
            ),
        )
    else:
        messages.error(request, _("Refused: %(reason)s") % {"reason": demand.decision_reason})


# --- one demand --------------------------------------------------------------------------


def _demand(request, pk) -> Demand:
    _with_part(request)
    demand = get_visible_or_404(
        Demand.objects.select_related(
            "matter", "sender_department", "sender_region", "sent_by", "decided_by"
        ),
        request.user,
        pk=pk,
    )
    # A held or refused demand never went down: the places it names do not see it.
    if not demand.reaches_communities and not (
        queries.on_sender_side(request.user, demand) or services.may_decide(request.user)
    ):
        raise Http404
    return demand


def _demand_context(request, demand, *, decision_form=None, row_form=None, row_pk=None):
    user = request.user
    sender_side = queries.on_sender_side(user, demand)
    recipients = demand.recipients.select_related("region", "acted_by", "ruled_by")
    if not sender_side:
        recipients = recipients.filter(pk__in=DemandRecipient.objects.visible_to(user))
    recipients = _mark_overdue(list(recipients))
    may_reply = services.may_reply_for_sender(user, demand)
    may_decide = services.may_decide(user)
    for recipient in recipients:
        recipient.may_answer = services.may_answer(user) and services.covers(
            user, recipient.region_path
        )
        recipient.extension_form = None
        recipient.objection_form = None
        form = row_form if recipient.pk == row_pk else DecisionForm()
        if recipient.state == RecipientState.EXTENSION_ASKED and may_reply:
            recipient.extension_form = form
        if (
            recipient.state == RecipientState.OBJECTED
            and may_decide
            and services.covers(user, recipient.region_path)
        ):
            recipient.objection_form = form
    may_decide_held = (
        demand.admission == Admission.HELD
        and may_decide
        and all(services.covers(user, r.region_path) for r in demand.recipients.all())
    )
    placed = (decision_form is None or may_decide_held) and (
        row_form is None
        or any(row_form in (r.extension_form, r.objection_form) for r in recipients)
    )
    repeat_of = None
    if demand.repeat_of_id:
        repeat_of = Demand.objects.visible_to(user).filter(pk=demand.repeat_of_id).first()
    return {
        "demand": demand,
        "recipients": recipients,
        "sender_side": sender_side,
        "repeat_of": repeat_of,
        "decision_form": (decision_form or DecisionForm()) if may_decide_held else None,
        # A refusal no form on the page shows (decided meanwhile): above them all.
        "stray": None if placed else (decision_form or row_form),
    }


@login_required
def demand(request, pk):
    demand = _demand(request, pk)
    return render(request, "burden/demand.html", _demand_context(request, demand))


@login_required
@require_POST
def demand_decision(request, pk):
    demand = _demand(request, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        decided = form.run(
            services.decide_held,
            request.user,
            demand,
            admit=form.yes,
            reason=form.cleaned_data["reason"],
        )
        if decided is not None:
            if decided.admission == Admission.EXCEPTION:
                messages.success(request, _("Admitted as an exception: it goes down now."))
            else:
                messages.success(request, _("Refused: the sender is told why."))
            return redirect("burden:demand", pk=demand.pk)
    context = _demand_context(request, demand, decision_form=form)
    return render(request, "burden/demand.html", context, status=400)


def _row_decision(request, recipient, command, keyword, with_reason):
    """The sender's or the burden office's decision on one community's copy."""
    form = DecisionForm(request.POST)
    if form.is_valid():
        extra = {"reason": form.cleaned_data["reason"]} if with_reason else {}
        done = form.run(command, request.user, recipient, **{keyword: form.yes}, **extra)
        if done is not None:
            messages.success(
                request,
                _("%(place)s: %(state)s.")
                % {"place": recipient.region.name, "state": done.get_state_display()},
            )
            return redirect("burden:demand", pk=recipient.demand_id)
    demand = _demand(request, recipient.demand_id)
    context = _demand_context(request, demand, row_form=form, row_pk=recipient.pk)
    return render(request, "burden/demand.html", context, status=400)


@login_required
@require_POST
def extension_decision(request, pk):
    _with_part(request)
    # The sender's side answers for every place its demand went to, in its scope or not.
    recipient = get_object_or_404(
        DemandRecipient.objects.select_related("demand", "region").filter(
            demand__in=Demand.objects.visible_to(request.user)
        ),
        pk=pk,
    )
    return _row_decision(request, recipient, services.decide_extension, "grant", False)


@login_required
@require_POST
def objection_decision(request, pk):
    _with_part(request)
    recipient = get_visible_or_404(
        DemandRecipient.objects.select_related("demand", "region"), request.user, pk=pk
    )
    return _row_decision(request, recipient, services.resolve_objection, "uphold", True)


# --- the inbox ---------------------------------------------------------------------------


def _answering(request):
    _with_part(request)
    if not services.may_answer(request.user):
        raise Http404


@login_required
def inbox(request):
    _answering(request)
    received = queries.inbox(request.user)
    counts = _state_counts(received)
    state = request.GET.get("state", "")
    if state and state not in RecipientState.values:
        raise Http404
    shown = received.filter(state=state) if state else received
    shown = shown.select_related(
        "region", "demand__matter", "demand__sender_department", "demand__sender_region"
    ).order_by("-demand__sent_at", "-pk")
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    _mark_overdue(page.object_list)
    tabs = [(choice, counts.get(choice, 0)) for choice in RecipientState]
    context = {
        "page": page,
        "tabs": tabs,
        "state": state,
        "total": sum(counts.values()),
    }
    return render(request, "burden/inbox.html", context)


def _received(request, pk) -> DemandRecipient:
    _answering(request)
    return get_object_or_404(
        queries.inbox(request.user).select_related(
            "region",
            "acted_by",
            "ruled_by",
            "demand__matter__department",
            "demand__sender_department",
            "demand__sender_region",
        ),
        pk=pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def received(request, pk):
    recipient = _received(request, pk)
    form = None
    if request.method == "POST":
        form = RespondForm(request.POST)
        if form.is_valid() and form.respond(request.user, recipient) is not None:
            messages.success(request, _("Saved."))
            return redirect("burden:received", pk=recipient.pk)
    moves = services.community_moves(recipient)
    actions = []
    if services.may_answer(request.user) and services.covers(request.user, recipient.region_path):
        actions = [
            {"state": state, "form": form if form and form["action"].value() == state else None}
            for state in RESPONSE_ACTIONS
            if state in moves
        ]
    context = {
        "recipient": _mark_overdue([recipient])[0],
        "demand": recipient.demand,
        "actions": actions,
        "blank": RespondForm(),
        # A refusal no action's form shows (the state moved on meanwhile): above them all.
        "stray": form if form is not None and not any(a["form"] for a in actions) else None,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "burden/received.html", context, status=status)


# --- the burden office -------------------------------------------------------------------


@login_required
def office(request):
    if not services.may_decide(request.user):
        raise Http404
    held = (
        queries.held_for(request.user)
        .select_related("sender_department", "sender_region")
        .annotate(recipient_count=Count("recipients"))
        .order_by("sent_at", "pk")
    )
    objections = (
        queries.objections_for(request.user)
        .select_related("region", "demand__sender_department", "demand__sender_region")
        .order_by("acted_at", "pk")
    )
    rulings = (
        queries.rulings_for(request.user)
        .select_related("region", "demand", "ruled_by")
        .order_by(F("ruled_at").desc(nulls_last=True), "-pk")
    )
    context = {
        "held": held[: PER_PAGE * 4],
        "objections": objections[: PER_PAGE * 4],
        "rulings": rulings[:PER_PAGE],
    }
    return render(request, "burden/office.html", context)


# --- the admission list ------------------------------------------------------------------


@login_required
def matters(request):
    _with_part(request)
    today = timezone.localdate()
    listed = list(AdmittedMatter.objects.select_related("department").order_by("code"))
    for matter in listed:
        matter.valid_today = matter.is_valid_on(today)
    return render(request, "burden/matters.html", {"matters": listed, "today": today})


@login_required
def matter(request, code):
    _with_part(request)
    matter = get_object_or_404(AdmittedMatter.objects.select_related("department"), code=code)
    versions = list(matter.versions.select_related("approved_by"))
    department_ids = {v.fields.get("department_id") for v in versions} - {None}
    departments = Department.objects.in_bulk(department_ids)
    for version in versions:
        shown = dict(version.fields)
        department = departments.get(shown.get("department_id"))
        shown["department"] = department.name if department else ""
        version.shown = shown
    context = {"matter": matter, "versions": versions, "today": timezone.localdate()}
    return render(request, "burden/matter.html", context)
