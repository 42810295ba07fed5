"""/burden/secondments/: staff borrowed from the streets and communities (借调/抽调) —
the list of the user's area with the overdue returns counted at the top, the counts per
borrowing unit and per street or community, recording one, and the page of one with its
return and its details. Only the roles that keep secondments see them; for anyone else
the pages do not exist (404)."""

import copy

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.burden import secondments
from gridgov.burden.secondment_forms import (
    ReturnForm,
    SecondmentEditForm,
    SecondmentFilterForm,
    SecondmentForm,
)

PAGE_SIZE = 50


def _kept(request):
    if not secondments.may_keep(request.user):
        raise Http404
    return secondments.visible(request.user)


def _refused(form, exc: ValidationError) -> None:
    """The service's refusal shown on the form's fields (the rest above the form)."""
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


@login_required
@require_GET
def secondment_list(request):
    kept = _kept(request)
    today = timezone.localdate()
    filters = SecondmentFilterForm(request.GET)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    tallies = secondments.summary(kept, today)
    tabs = [
        (value, label, tallies[value]) for value, label in filters.fields["status"].choices if value
    ]
    shown = secondments.shown(secondments.with_status(kept, status, today))
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "tabs": tabs,
        "tallies": tallies,
        "today": today,
    }
    return render(request, "burden/secondments.html", context)


@login_required
@require_GET
def secondment_counts(request):
    kept = _kept(request)
    today = timezone.localdate()
    context = {
        "by_unit": secondments.counts_by_unit(kept, today),
        "by_region": secondments.counts_by_region(kept, today),
    }
    return render(request, "burden/secondment_counts.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def secondment_new(request):
    _kept(request)
    form = SecondmentForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            secondment = secondments.record(request.user, form.cleaned_data)
        except ValidationError as exc:
            _refused(form, exc)
        else:
            return redirect("secondments:detail", secondment.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "max_days": settings.BURDEN_SECONDMENT_MAX_DAYS}
    return render(request, "burden/secondment_form.html", context, status=status)


def _detail(request, secondment, return_form=None, edit_form=None, status=200):
    overdue = secondment.is_overdue()
    context = {
        "secondment": secondment,
        "overdue": overdue,
        # The alert of this overdue episode, if `secondments-overdue --notify` has sent it.
        "alert": secondment.alerts.filter(planned_end_on=secondment.planned_end_on).first()
        if overdue
        else None,
        "return_form": return_form or ReturnForm(initial={"returned_on": timezone.localdate()}),
        # A copy: a bound ModelForm writes what was typed onto its instance.
        "edit_form": edit_form or SecondmentEditForm(instance=copy.copy(secondment)),
    }
    return render(request, "burden/secondment.html", context, status=status)


@login_required
@require_GET
def secondment_detail(request, pk):
    _kept(request)
    return _detail(request, secondments.access(request.user, pk))


@login_required
@require_POST
def secondment_return(request, pk):
    _kept(request)
    secondment = secondments.access(request.user, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            secondments.mark_returned(request.user, secondment, form.cleaned_data["returned_on"])
        except ValidationError as exc:
            _refused(form, exc)
        else:
            return redirect("secondments:detail", secondment.pk)
    return _detail(request, secondment, return_form=form, status=400)


@login_required
@require_POST
def secondment_edit(request, pk):
    _kept(request)
    secondment = secondments.access(request.user, pk)
    form = SecondmentEditForm(request.POST, instance=copy.copy(secondment))
    if form.is_valid():
        try:
            secondments.update(request.user, secondment, form.cleaned_data)
        except ValidationError as exc:
            _refused(form, exc)
        else:
            return redirect("secondments:detail", secondment.pk)
    return _detail(request, secondment, edit_form=form, status=400)
