"""The pages where the registry is collected and kept: find a room, see its household and
use, add or update a person, move a household out, note a visit, keep organisations.

Every read goes through `visible_to(user)` (a grid worker: their grids only) and answers
404 outside it; every person is written through services.save_person; personal numbers
are shown masked, unmasked only through services.reveal_person.
"""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts.choices import Role
from gridgov.accounts.scoping import get_visible_or_404
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry import services
from gridgov.registry.audit_views import may_read_audit
from gridgov.registry.choices import Sensitivity
from gridgov.registry.forms import (
    DwellingForm,
    MoveOutForm,
    OrganisationForm,
    PersonForm,
    RevealForm,
    VisitForm,
    add_service_errors,
)
from gridgov.registry.import_views import may_import
from gridgov.registry.models import (
    Dwelling,
    Household,
    Organisation,
    PatrolLog,
    Person,
    RecordChange,
    Room,
)

SEARCH_LIMIT = 50
GRID_LIST_LIMIT = 300
PER_PAGE = 50
HISTORY_LIMIT = 50
# The labels of what a change records, as the forms name them.
HISTORY_LABELS = {
    "name": gettext_lazy("Name"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Birth date"),
    "relation": gettext_lazy("Relation to the head"),
    "residence_type": gettext_lazy("Residence type"),
    "moved_in_on": gettext_lazy("Moved in"),
    "moved_out_on": gettext_lazy("Moved out"),
    "document_number": gettext_lazy("ID document number"),
    "phone": gettext_lazy("Phone"),
    "household": gettext_lazy("Household"),
    "use": gettext_lazy("Use"),
    "tenant_household": gettext_lazy("Tenant household"),
    "rented_from": gettext_lazy("Rented from"),
    "rented_to": gettext_lazy("Rented to"),
    "kind": gettext_lazy("Kind"),
    "credit_code": gettext_lazy("Unified social credit code"),
    "building_id": gettext_lazy("Building"),
    "room_id": gettext_lazy("Room"),
    "contact_name": gettext_lazy("Contact person"),
    "contact_phone": gettext_lazy("Contact phone"),
    "is_active": gettext_lazy("In operation"),
}


# Roles with no registry: residents, and department handlers, who act on the cases
# assigned to them rather than for an area (RegistryQuerySet.visible_to).
NO_REGISTRY = {Role.RESIDENT, Role.DEPARTMENT_HANDLER}


def registry_regions(user):
    """The regions whose registry the user sees: as for cases, a grid worker their grids."""
    if user.role in NO_REGISTRY and not user.is_superuser:
        return Region.objects.none()
    if user.role == Role.GRID_WORKER and not user.is_superuser:
        condition = Q(pk__in=[])
        for grid in user.grids.all():
            condition |= Q(path__startswith=grid.path)
        return Region.objects.filter(condition)
    return Region.objects.visible_to(user)


def _staff(request):
    """For the roles with no registry the pages do not exist."""
    if request.user.role in NO_REGISTRY and not request.user.is_superuser:
        raise Http404


def _editor(request):
    if not services.may_edit(request.user):
        raise PermissionDenied(_("Your role may not change the registry."))


def _room(request, pk) -> Room:
    _staff(request)
    return get_visible_or_404(Room.objects.select_related("building__parent"), request.user, pk=pk)


# --- finding a room ----------------------------------------------------------------------


@login_required
def home(request):
    _staff(request)
    user = request.user
    query = request.GET.get("q", "").strip()[:100]
    rooms = None
    if query:
        rooms = (
            Room.objects.visible_to(user)
            .filter(
                Q(address__icontains=query)
                | Q(number=query)
                | Q(building__name__icontains=query)
                | Q(code=query)
            )
            .select_related("building")
            .order_by("code")[:SEARCH_LIMIT]
        )
    grids = registry_regions(user).filter(level=Level.GRID).order_by("path")
    grid = None
    buildings = None
    if code := request.GET.get("grid", "").strip():
        grid = grids.filter(code=code).first()
        if grid is None:
            raise Http404
        buildings = (
            registry_regions(user)
            .filter(parent=grid, level=Level.BUILDING)
            .annotate(room_count=Count("rooms"))
            .order_by("code")
        )
    grid_count = grids.count()
    context = {
        "query": query,
        "rooms": rooms,
        "grids": grids.select_related("parent")[:GRID_LIST_LIMIT],
        "grid_count": grid_count,
        "grids_cut": grid_count > GRID_LIST_LIMIT,
        "grid": grid,
        "buildings": buildings,
        "may_edit": services.may_edit(user),
        "may_import": may_import(user),
        "may_read_audit": may_read_audit(user),
    }
    return render(request, "registry/home.html", context)


@login_required
def building(request, code):
    _staff(request)
    building = (
        registry_regions(request.user)
        .filter(code=code, level=Level.BUILDING)
        .select_related("parent")
        .first()
    )
    if building is None:
        raise Http404
    current = Household.objects.filter(moved_out_on__isnull=True)
    rooms = (
        Room.objects.visible_to(request.user)
        .filter(building=building)
        .select_related("dwelling")
        .prefetch_related(
            Prefetch(
                "households",
                queryset=current.annotate(
                    member_count=Count("members", filter=Q(members__moved_out_on__isnull=True))
                ),
                to_attr="current_households",
            )
        )
        .order_by("unit", "floor", "number")
    )
    page = Paginator(rooms, PER_PAGE * 4).get_page(request.GET.get("page"))
    return render(request, "registry/building.html", {"building": building, "page": page})


# --- the room ----------------------------------------------------------------------------


def _tags_shown(user, persons):
    """Each person's tags as the user may see them, and the sensitive ones only counted."""
    may_see = services.may_see_sensitive_tags(user)
    hidden = Counter()
    for person in persons:
        tags = list(person.tags.all())
        person.shown_tags = [
            tag for tag in tags if may_see or tag.sensitivity != Sensitivity.SENSITIVE
        ]
        for tag in tags:
            if not may_see and tag.sensitivity == Sensitivity.SENSITIVE:
                hidden[tag.name] += 1
    return sorted(hidden.items())


def _room_context(request, room, **extra):
    user = request.user
    households = list(
        room.households.prefetch_related(
            Prefetch("members", queryset=Person.objects.prefetch_related("tags").order_by("pk"))
        ).order_by("-moved_in_on", "-pk")
    )
    current = next((h for h in households if h.moved_out_on is None), None)
    earlier = [h for h in households if h.moved_out_on is not None]
    members = list(current.members.all()) if current else []
    hidden_tags = _tags_shown(user, members)
    for household in earlier:
        household.member_list = list(household.members.all())
        _tags_shown(user, household.member_list)
    dwelling = Dwelling.objects.filter(room=room).select_related("tenant_household").first()
    household_ids = [h.pk for h in households]
    changes = RecordChange.objects.visible_to(user).filter(
        Q(record_type="household", record_id__in=household_ids)
        | Q(record_type="dwelling", record_id=dwelling.pk if dwelling else 0)
    )
    may_edit = services.may_edit(user)
    context = {
        "room": room,
        "grid": room.building.parent,
        "current": current,
        "members": members,
        "hidden_tags": hidden_tags,
        "earlier": earlier,
        "dwelling": dwelling,
        "history": _history(changes, {"household": Household, "dwelling": Dwelling}),
        "visits": PatrolLog.objects.visible_to(user)
        .filter(Q(room=room) | Q(household_id__in=household_ids))
        .select_related("worker", "case")[:10],
        "may_edit": may_edit,
        "may_see_sensitive": services.may_see_sensitive_tags(user),
    }
    if may_edit:
        context["dwelling_form"] = DwellingForm(room=room, user=user)
        context["move_out_form"] = MoveOutForm()
        context["visit_form"] = VisitForm(user=user)
    context.update(extra)
    return context


@login_required
def room(request, pk):
    room = _room(request, pk)
    return render(request, "registry/room.html", _room_context(request, room))


@login_required
@require_POST
def room_dwelling(request, pk):
    room = _room(request, pk)
    _editor(request)
    form = DwellingForm(request.POST, room=room, user=request.user)
    if not form.is_valid():
        context = _room_context(request, room, dwelling_form=form, dwelling_open=True)
        return render(request, "registry/room.html", context, status=400)
    form.save()
    messages.success(request, _("The room's use is saved."))
    return redirect("registry:room", pk=room.pk)


@login_required
@require_POST
def move_out(request, pk):
    _staff(request)
    household = get_visible_or_404(
        Household.objects.select_related("room__building__parent"), request.user, pk=pk
    )
    _editor(request)
    if household.moved_out_on is not None:
        messages.error(request, _("This household has already moved out."))
        return redirect("registry:room", pk=household.room_id)
    form = MoveOutForm(request.POST)
    if form.is_valid():
        try:
            services.move_out(
                request.user, household, form.cleaned_data["moved_out_on"], via="page"
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.errors:
        context = _room_context(request, household.room, move_out_form=form, move_out_open=True)
        return render(request, "registry/room.html", context, status=400)
    messages.success(request, _("The household has moved out; its records are kept."))
    return redirect("registry:room", pk=household.room_id)


@login_required
@require_POST
def room_visit(request, pk):
    room = _room(request, pk)
    _editor(request)
    form = VisitForm(request.POST, user=request.user)
    if not form.is_valid():
        context = _room_context(request, room, visit_form=form, visit_open=True)
        return render(request, "registry/room.html", context, status=400)
    # A visit to an empty room is noted against the room: it makes no household.
    household = room.households.filter(moved_out_on__isnull=True).first()
    form.save(grid=room.building.parent, room=room, household=household)
    messages.success(request, _("The visit is noted."))
    return redirect("registry:room", pk=room.pk)


# --- persons -----------------------------------------------------------------------------


def _person(request, pk) -> Person:
    _staff(request)
    return get_visible_or_404(
        Person.objects.select_related("household__room__building__parent"), request.user, pk=pk
    )


def _person_context(request, person, **extra):
    user = request.user
    _tags_shown(user, [person])
    changes = RecordChange.objects.visible_to(user).filter(
        record_type="person", record_id=person.pk
    )
    context = {
        "person": person,
        "room": person.household.room if person.household_id else None,
        "history": _history(changes, {"person": Person}),
        "may_edit": services.may_edit(user),
        "may_reveal": services.may_reveal(user),
        "reveal_form": RevealForm(),
        "revealed": None,
    }
    context.update(extra)
    return context


@login_required
def person(request, pk):
    person = _person(request, pk)
    return render(request, "registry/person.html", _person_context(request, person))


@login_required
@require_http_methods(["GET", "POST"])
def person_new(request, room_pk):
    room = _room(request, room_pk)
    _editor(request)
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        household = services.household_at(room)
        result = form.save(household)
        if result is not None:
            if result.moved_from is not None:
                messages.warning(
                    request,
                    _(
                        "%(name)s was registered in another household: moved here, "
                        "not registered twice; their history is kept."
                    )
                    % {"name": result.person.name},
                )
            elif not result.created:
                messages.warning(
                    request,
                    _("%(name)s was already registered: their record is updated.")
                    % {"name": result.person.name},
                )
            else:
                messages.success(request, _("%(name)s is added.") % {"name": result.person.name})
            return redirect("registry:room", pk=room.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "room": room, "person": None}
    return render(request, "registry/person_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = _person(request, pk)
    _editor(request)
    form = PersonForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        result = form.save(household=None)
        if result is not None:
            messages.success(request, _("%(name)s is saved.") % {"name": result.person.name})
            return redirect("registry:person", pk=person.pk)
        person.refresh_from_db()
    status = 400 if request.method == "POST" else 200
    room = person.household.room if person.household_id else None
    context = {"form": form, "room": room, "person": person}
    return render(request, "registry/person_form.html", context, status=status)


@login_required
@require_POST
def person_reveal(request, pk):
    person = _person(request, pk)
    if not services.may_reveal(request.user):
        raise PermissionDenied(_("Your role may not see personal numbers unmasked."))
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = services.reveal_person(request.user, person, form.cleaned_data["purpose"])
        except ValidationError as exc:
            add_service_errors(form, exc)
    context = _person_context(request, person, reveal_form=form, revealed=revealed)
    response = render(
        request, "registry/person.html", context, status=200 if revealed is not None else 400
    )
    # The numbers are shown once: not kept by the browser or any cache on the way.
    response["Cache-Control"] = "no-store"
    return response


# --- organisations -----------------------------------------------------------------------


def _buildings(user):
    return (
        registry_regions(user)
        .filter(level=Level.BUILDING)
        .select_related("parent")
        .order_by("parent__code", "code")
    )


@login_required
def organisations(request):
    _staff(request)
    user = request.user
    areas = registry_regions(user).filter(level__in=[Level.COMMUNITY, Level.GRID]).order_by("path")
    listed = Organisation.objects.visible_to(user).select_related("building__parent", "room")
    area = None
    if code := request.GET.get("area", "").strip():
        area = areas.filter(code=code).first()
        if area is None:
            raise Http404
        listed = listed.filter(region_path__startswith=area.path)
    page = Paginator(listed.order_by("region_path", "name"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "areas": areas[:GRID_LIST_LIMIT],
        "area": area,
        "page": page,
        "may_edit": services.may_edit(user),
    }
    return render(request, "registry/organisations.html", context)


def _organisation(request, pk) -> Organisation:
    _staff(request)
    return get_visible_or_404(
        Organisation.objects.select_related("building__parent", "room"), request.user, pk=pk
    )


@login_required
def organisation(request, pk):
    organisation = _organisation(request, pk)
    return render(
        request, "registry/organisation.html", _organisation_context(request, organisation)
    )


def _organisation_context(request, organisation, **extra):
    user = request.user
    changes = RecordChange.objects.visible_to(user).filter(
        record_type="organisation", record_id=organisation.pk
    )
    may_edit = services.may_edit(user)
    context = {
        "organisation": organisation,
        "history": _history(changes, {"organisation": Organisation}),
        "visits": PatrolLog.objects.visible_to(user)
        .filter(organisation=organisation)
        .select_related("worker", "case")[:10],
        "may_edit": may_edit,
        "visit_form": VisitForm(user=user) if may_edit else None,
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk=None):
    _staff(request)
    organisation = _organisation(request, pk) if pk is not None else Organisation()
    _editor(request)
    initial = {}
    if pk is None and (code := request.GET.get("building")):
        initial["building"] = _buildings(request.user).filter(code=code).first()
    form = OrganisationForm(
        request.POST or None,
        instance=organisation,
        initial=initial,
        user=request.user,
        buildings=_buildings(request.user),
    )
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("%(name)s is saved.") % {"name": saved.name})
        return redirect("registry:organisation", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "organisation": organisation if pk is not None else None}
    return render(request, "registry/organisation_form.html", context, status=status)


@login_required
@require_POST
def organisation_visit(request, pk):
    organisation = _organisation(request, pk)
    _editor(request)
    form = VisitForm(request.POST, user=request.user)
    if not form.is_valid():
        context = _organisation_context(request, organisation, visit_form=form, visit_open=True)
        return render(request, "registry/organisation.html", context, status=400)
    form.save(grid=organisation.grid, organisation=organisation)
    messages.success(request, _("The visit is noted."))
    return redirect("registry:organisation", pk=organisation.pk)


# --- history -----------------------------------------------------------------------------


def _history(changes, models_by_type):
    """Each change as rows of (field label, old, new): values as stored, numbers masked."""
    entries = []
    for change in changes.select_related("actor").order_by("-changed_at", "-pk")[:HISTORY_LIMIT]:
        model = models_by_type.get(change.record_type)
        rows = []
        for name, values in sorted(change.changes.items()):
            old, new = (list(values) + [None, None])[:2]
            label, old, new = _labelled(model, name, old, new)
            rows.append({"label": label, "old": old, "new": new})
        entries.append({"change": change, "rows": rows})
    return entries


def _labelled(model, name, old, new):
    label = HISTORY_LABELS.get(name, name)
    if model is not None and name == "name" and model is Person:
        label = gettext_lazy("Full name")
    try:
        field = model._meta.get_field(name)
    except (AttributeError, FieldDoesNotExist):
        # Not a model field (a sealed number, a move), or a type this page does not know.
        return label, old, new
    choices = dict(field.flatchoices) if field.choices else {}
    return label, _shown_value(choices.get(old, old)), _shown_value(choices.get(new, new))


def _shown_value(value):
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value
