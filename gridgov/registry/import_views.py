"""The import page: community and street staff (and administrators) upload a community's
list of people, check it, and import it — only when every row is valid (the rules are in
gridgov/registry/importing.py, the same as `gridgov registry import`)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from gridgov.accounts.choices import Role
from gridgov.accounts.scoping import get_visible_or_404
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry.importing import HEADERS, ImportFileError, import_people, limits

IMPORTERS = {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMINISTRATOR}
# Room for the multipart envelope and the other fields around the file.
ENVELOPE_BYTES = 64 * 1024


class ImportForm(forms.Form):
    community = forms.ChoiceField(label=gettext_lazy("Community"))
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx or .csv)"), allow_empty_file=True)
    create_rooms = forms.BooleanField(
        label=gettext_lazy("Create the rooms the file names under the community's buildings"),
        required=False,
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.code, c.name) for c in communities]


def may_import(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in IMPORTERS)


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def import_people_page(request):
    """The size is checked from the request's length before anything reads the body (the
    CSRF check included, which is why it runs after), so a 200 MB upload is refused
    without being received into a temporary file."""
    if not may_import(request.user):
        raise PermissionDenied
    communities = list(
        Region.objects.visible_to(request.user).filter(level=Level.COMMUNITY).order_by("path")
    )
    if not communities:
        raise Http404
    limit = limits()["MAX_BYTES"]
    context = {
        "limit_mb": f"{limit / 2**20:g}",
        "columns": [words[0] for words in HEADERS.values()],
    }
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + ENVELOPE_BYTES:
            context["form"] = ImportForm(communities=communities)
            context["file_error"] = _(
                "The file is too large: at most %(limit)s MB can be imported."
            ) % {"limit": context["limit_mb"]}
            return render(request, "registry/import.html", context, status=413)
    return _import_checked(request, communities, context)


@csrf_protect
def _import_checked(request, communities, context):
    if request.method != "POST":
        context["form"] = ImportForm(communities=communities)
        return render(request, "registry/import.html", context)
    form = context["form"] = ImportForm(request.POST, request.FILES, communities=communities)
    code = request.POST.get("community", "")
    # Another community than one's own is not there at all, as everywhere else.
    if code and code not in {c.code for c in communities}:
        get_visible_or_404(Region.objects.filter(level=Level.COMMUNITY), request.user, code=code)
    if not form.is_valid():
        return render(request, "registry/import.html", context, status=400)
    community = get_visible_or_404(
        Region.objects.filter(level=Level.COMMUNITY),
        request.user,
        code=form.cleaned_data["community"],
    )
    upload = form.cleaned_data["file"]
    dry_run = request.POST.get("action") != "import"
    try:
        report = import_people(
            request.user,
            upload,
            community,
            size=upload.size,
            dry_run=dry_run,
            create_rooms=form.cleaned_data["create_rooms"],
            via="import page",
        )
    except ImportFileError as exc:
        context["file_error"] = str(exc)
        status = 413 if upload.size > limits()["MAX_BYTES"] else 400
        return render(request, "registry/import.html", context, status=status)
    context.update(report=report, dry_run=dry_run, file_name=upload.name)
    return render(request, "registry/import.html", context, status=200 if report.ok else 400)
