"""Pages for residents: report a problem, follow it with its number, and rate it."""

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.cases import services
from gridgov.cases.choices import Action, Status
from gridgov.cases.forms import IntakeForm, RateForm
from gridgov.cases.idempotency import form_idempotency_key
from gridgov.lib.ratelimit import allow, client_ip

PUBLIC_EVENTS = {
    Action.RECEIVE,
    Action.REGISTER,
    Action.DISPATCH,
    Action.ACCEPT,
    Action.REPLY,
    Action.VERIFY,
    Action.CLOSE,
    Action.RATE,
    Action.REOPEN,
    Action.REJECT,
    Action.MERGE,
}


class PublicReportForm(IntakeForm):
    """What a resident fills in: no channel or area pickers, and a phone to follow it by."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("channel", "region", "room"):
            del self.fields[name]
        self.fields["datum"].widget = forms.HiddenInput()
        self.fields["lng"].widget = forms.HiddenInput()
        self.fields["lat"].widget = forms.HiddenInput()
        self.fields["reporter_phone"].required = True
        self.fields["address"].help_text = gettext_lazy("E.g. 枫苑社区3号楼 — or click the map.")


class TrackForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Case number"), max_length=20)
    tail = forms.RegexField(
        label=gettext_lazy("Last 4 digits of your phone"),
        regex=r"^\d{4}$",
        error_messages={"invalid": gettext_lazy("Enter the last 4 digits.")},
    )


@require_http_methods(["GET", "POST"])
def report(request):
    form = PublicReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not allow("report", client_ip(request), settings.GRIDGOV_PUBLIC_REPORTS_PER_HOUR, 3600):
            form.is_valid()
            form.add_error(None, _("Too many reports from this connection; try again later."))
            return render(request, "cases/public_report.html", {"form": form}, status=429)
        if not form.is_valid():
            return render(request, "cases/public_report.html", {"form": form}, status=400)
        data = request.POST.copy()
        data["channel"] = "web"
        try:
            result = services.intake_case(
                request.user if request.user.is_authenticated else None,
                data,
                request.FILES,
                idempotency_key=form_idempotency_key(request),
            )
        except services.InvalidInput as exc:
            form.is_valid()
            for field_name, errors in exc.errors.items():
                for error in errors:
                    form.add_error(
                        field_name if field_name in form.fields else None, error["message"]
                    )
            return render(request, "cases/public_report.html", {"form": form}, status=400)
        return render(request, "cases/public_thanks.html", {"case": result.case})
    return render(request, "cases/public_report.html", {"form": form})


def _tracked(request, number, tail, rate_form=None, status=200, error=None, thanks=False):
    case = services.find_for_reporter(number, tail)
    events = case.events.filter(action__in=PUBLIC_EVENTS).only("action", "created_at", "note")
    master = case.master if case.status == Status.MERGED else None
    return render(
        request,
        "cases/public_track.html",
        {
            "form": TrackForm(initial={"number": number, "tail": tail}),
            "case": case,
            "events": events,
            "master": master,
            "tail": tail,
            "rate_form": rate_form or (RateForm() if case.status == Status.CLOSED else None),
            "error": error,
            "thanks": thanks,
        },
        status=status,
    )


@require_GET
def track(request):
    form = TrackForm(request.GET or None)
    if not request.GET:
        return render(request, "cases/public_track.html", {"form": form})
    if not allow("track", client_ip(request), settings.GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR, 3600):
        return render(
            request,
            "cases/public_track.html",
            {"form": form, "error": _("Too many look-ups from this connection; try again later.")},
            status=429,
        )
    if not form.is_valid():
        return render(request, "cases/public_track.html", {"form": form}, status=400)
    try:
        return _tracked(request, form.cleaned_data["number"], form.cleaned_data["tail"])
    except Http404:
        return render(
            request,
            "cases/public_track.html",
            {
                "form": form,
                "error": _("No case matches that number and phone. Check both and try again."),
            },
            status=404,
        )


@require_POST
def rate(request):
    number, tail = request.POST.get("number", ""), request.POST.get("tail", "")
    if not allow("track", client_ip(request), settings.GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR, 3600):
        return render(
            request,
            "cases/public_track.html",
            {
                "form": TrackForm(),
                "error": _("Too many look-ups from this connection; try again later."),
            },
            status=429,
        )
    try:
        services.rate_as_reporter(number, tail, request.POST)
    except services.InvalidInput:
        form = RateForm(request.POST)
        form.is_valid()
        return _tracked(request, number, tail, rate_form=form, status=400)
    except services.ActionRefused as exc:
        return _tracked(request, number, tail, status=409, error=exc.message)
    except Http404:
        return render(
            request,
            "cases/public_track.html",
            {
                "form": TrackForm(),
                "error": _("No case matches that number and phone. Check both and try again."),
            },
            status=404,
        )
    return _tracked(request, number, tail, thanks=True)
