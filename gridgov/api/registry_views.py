"""The registry (一标三实) under /api/v1/registry/: rooms, households, persons, tags,
dwellings, organisations, patrol logs, change history, the audited reveal and the counts.

Every read starts from `Model.objects.visible_to(user)` (outside is 404, as on the pages);
every write needs a role of registry.services.EDITORS, within scope, and a person is added
or changed only through services.save_person, like the grid worker's form and the import.
A refusal is a 400 naming the field, and nothing is changed.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, generics
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.api import schema
from gridgov.api.errors import refused
from gridgov.api.filters import region_for_filter
from gridgov.api.pagination import (
    ApiCursorPagination,
    CodeCursorPagination,
    IdCursorPagination,
    _datetime_or_none,
)
from gridgov.api.registry_serializers import (
    ChangeSerializer,
    CountsQuerySerializer,
    DwellingInputSerializer,
    DwellingSerializer,
    HouseholdSerializer,
    MoveOutInputSerializer,
    OrganisationFilterSerializer,
    OrganisationInputSerializer,
    OrganisationSerializer,
    PatrolLogFilterSerializer,
    PatrolLogInputSerializer,
    PatrolLogSerializer,
    PersonAnswerSerializer,
    PersonFilterSerializer,
    PersonInputSerializer,
    PersonSerializer,
    RegistryCountsSerializer,
    RevealInputSerializer,
    RevealSerializer,
    RoomDetailSerializer,
    RoomFilterSerializer,
    RoomSerializer,
    TagSerializer,
)
from gridgov.cases.models import Case
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry import services
from gridgov.registry.choices import Sensitivity
from gridgov.registry.figures import age_q, registry_figures
from gridgov.registry.models import (
    Dwelling,
    Household,
    Organisation,
    PatrolLog,
    Person,
    RecordChange,
    Room,
    Tag,
    find_person,
    registry_scope,
    within_scope,
)

VIA = "api"
FORBIDDEN = schema.error("Your role may not do this.")


# --- scope ---------------------------------------------------------------------------


def require_editor(user) -> None:
    if not services.may_edit(user):
        raise exceptions.PermissionDenied(_("Your role may not change the registry."))


def building_in_scope(user, code: str) -> Region:
    building = Region.objects.filter(code=code, level=Level.BUILDING).first()
    if building is None or not within_scope(user, building.path):
        raise exceptions.ValidationError(
            {"building": [_("No building in your area has this code.")]}
        )
    return building


def see_sensitive(request) -> bool:
    return services.may_see_sensitive_tags(request.user)


def person_context(request) -> dict:
    return {"request": request, "see_sensitive": see_sensitive(request)}


def persons_shown(queryset):
    return queryset.select_related("household__room").prefetch_related("tags")


def shown_date(value):
    return value.isoformat() if value is not None else None


class VisitCursorPagination(ApiCursorPagination):
    ordering = ("-visited_at", "-id")
    position_parser = staticmethod(_datetime_or_none)


class ChangeCursorPagination(ApiCursorPagination):
    ordering = ("-changed_at", "-id")
    position_parser = staticmethod(_datetime_or_none)


# --- rooms ---------------------------------------------------------------------------


@extend_schema(
    tags=["registry"],
    summary="List rooms (户室)",
    description="The rooms in your scope (a grid worker: their grids), in address-code order.",
    parameters=[RoomFilterSerializer],
    responses={200: RoomSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
)
class RoomListView(generics.ListAPIView):
    serializer_class = RoomSerializer
    pagination_class = CodeCursorPagination

    def get_queryset(self):
        user = self.request.user
        query = RoomFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        rooms = Room.objects.visible_to(user).select_related("building")
        if data.get("building"):
            rooms = rooms.filter(building=building_in_scope(user, data["building"]))
        if data.get("region"):
            region = _filter_region(user, data["region"])
            rooms = rooms.filter(region_path__startswith=region.path)
        if data.get("q"):
            rooms = rooms.filter(Q(address__icontains=data["q"]) | Q(code__icontains=data["q"]))
        return rooms


def _filter_region(user, code) -> Region:
    try:
        return region_for_filter(user, code)
    except exceptions.ValidationError as exc:
        raise exceptions.ValidationError({"region": exc.detail}) from None


def household_context(request, household) -> dict:
    members = persons_shown(household.members.order_by("pk"))
    return {**person_context(request), "members": members}


@extend_schema(
    tags=["registry"],
    summary="One room, its current household and its use",
    description="The household living there now with its members (numbers masked), and the "
    "dwelling: what the room is used for.",
    responses={200: RoomDetailSerializer, **schema.ERRORS},
)
class RoomDetailView(APIView):
    def get(self, request, pk):
        room = get_visible_or_404(Room.objects.select_related("building"), request.user, pk=pk)
        household = room.households.filter(moved_out_on__isnull=True).select_related("room")
        household = household.first()
        context = household_context(request, household) if household else person_context(request)
        context["household"] = household
        context["dwelling"] = Dwelling.objects.filter(room=room).first()
        return Response(RoomDetailSerializer(room, context=context).data)


@extend_schema(tags=["registry"])
class DwellingView(APIView):
    @extend_schema(
        summary="What a room is used for (实有房屋)",
        responses={200: DwellingSerializer, **schema.ERRORS},
    )
    def get(self, request, pk):
        room = get_visible_or_404(Room.objects, request.user, pk=pk)
        dwelling = Dwelling.objects.filter(room=room).first()
        if dwelling is None:
            raise exceptions.NotFound(_("Nobody has said yet what this room is used for."))
        return Response(DwellingSerializer(dwelling).data)

    @extend_schema(
        summary="Say what a room is used for",
        description="Owner-occupied, rented (with the tenant household and the rental period), "
        "vacant, commercial or other. Replaces what was said before; the change is kept in "
        "the room's dwelling history. 201 the first time.",
        request=DwellingInputSerializer,
        responses={
            200: DwellingSerializer,
            201: DwellingSerializer,
            400: schema.BAD_INPUT,
            403: FORBIDDEN,
            **schema.ERRORS,
        },
        examples=[
            OpenApiExample(
                "Rented to a household",
                request_only=True,
                value={
                    "use": "rented",
                    "tenant_household": 42,
                    "rented_from": "2026-03-01",
                    "rented_to": "2027-02-28",
                },
            )
        ],
    )
    def put(self, request, pk):
        user = request.user
        room = get_visible_or_404(Room.objects, user, pk=pk)
        require_editor(user)
        query = DwellingInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        tenant = None
        if data.get("tenant_household"):
            # As on the room's page: a household that lives or lived in this room.
            tenant = room.households.filter(pk=data["tenant_household"]).first()
            if tenant is None:
                raise exceptions.ValidationError(
                    {"tenant_household": [_("No household of this room has this id.")]}
                )
        with transaction.atomic():
            dwelling = Dwelling.objects.select_for_update().filter(room=room).first()
            created = dwelling is None
            dwelling = dwelling or Dwelling(room=room)
            before = _dwelling_shown(dwelling) if not created else {}
            dwelling.use = data["use"]
            dwelling.tenant_household = tenant
            dwelling.rented_from = data.get("rented_from")
            dwelling.rented_to = data.get("rented_to")
            try:
                dwelling.full_clean(exclude=["room", "region_path"])
            except DjangoValidationError as exc:
                raise refused(exc) from None
            dwelling.save()
            after = _dwelling_shown(dwelling)
            changes = {
                name: [before.get(name), value]
                for name, value in after.items()
                if before.get(name) != value
            }
            services.record_change(user, dwelling, changes, VIA)
        return Response(DwellingSerializer(dwelling).data, status=201 if created else 200)


def _dwelling_shown(dwelling) -> dict:
    """As the room's page records a dwelling's history (registry.forms.DwellingForm)."""
    return {
        "use": dwelling.use,
        "tenant_household": dwelling.tenant_household_id,
        "rented_from": shown_date(dwelling.rented_from),
        "rented_to": shown_date(dwelling.rented_to),
    }


# --- households ----------------------------------------------------------------------


@extend_schema(
    tags=["registry"],
    summary="One household (户) with its members",
    responses={200: HouseholdSerializer, **schema.ERRORS},
)
class HouseholdDetailView(APIView):
    def get(self, request, pk):
        household = get_visible_or_404(
            Household.objects.select_related("room"), request.user, pk=pk
        )
        context = household_context(request, household)
        return Response(HouseholdSerializer(household, context=context).data)


@extend_schema(
    tags=["registry"],
    summary="The members of a household",
    description="Everyone registered in the household, those moved out included (`moved_out_on`).",
    responses={200: PersonSerializer(many=True), **schema.ERRORS},
)
class HouseholdMembersView(APIView):
    def get(self, request, pk):
        household = get_visible_or_404(Household.objects, request.user, pk=pk)
        context = household_context(request, household)
        return Response(PersonSerializer(context["members"], many=True, context=context).data)


@extend_schema(
    tags=["registry"],
    summary="A household moves out",
    description="The household leaves its room; its members move out with it, their "
    "records kept (each change in their history). 400 naming `moved_out_on` for a day in the "
    "future, before they moved in, or a household already gone.",
    request=MoveOutInputSerializer,
    responses={200: HouseholdSerializer, 400: schema.BAD_INPUT, 403: FORBIDDEN, **schema.ERRORS},
    examples=[OpenApiExample("Left on", request_only=True, value={"moved_out_on": "2026-11-30"})],
)
class HouseholdMoveOutView(APIView):
    def post(self, request, pk):
        user = request.user
        household = get_visible_or_404(Household.objects.select_related("room"), user, pk=pk)
        require_editor(user)
        query = MoveOutInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("moved_out_on") or timezone.localdate()
        if household.moved_out_on is not None:
            raise exceptions.ValidationError(
                {"moved_out_on": [_("This household has already moved out.")]}
            )
        if household.moved_in_on and on < household.moved_in_on:
            raise exceptions.ValidationError({"moved_out_on": [_("Moved out before moving in.")]})
        try:
            services.move_out(user, household, on, via=VIA)
        except DjangoValidationError as exc:
            raise refused(exc) from None
        context = household_context(request, household)
        return Response(HouseholdSerializer(household, context=context).data)


# --- persons -------------------------------------------------------------------------

PERSON_EXAMPLE = OpenApiExample(
    "A resident of a room",
    request_only=True,
    value={
        "room": 17,
        "name": "王秀英",
        "residence_type": "registered",
        "document_type": "resident_id",
        "document_number": "990101195003080027",
        "phone": "13900001111",
        "relation": "head",
        "tags": ["elderly-alone"],
    },
)
PERSON_SHOWN = {
    "id": 5,
    "url": "https://gridgov.example.gov.cn/api/v1/registry/persons/5",
    "name": "王秀英",
    "sex": "female",
    "birth_date": "1950-03-08",
    "age": 76,
    "document_type": "resident_id",
    "masked_document": "990101********0027",
    "masked_phone": "139****1111",
    "relation": "head",
    "residence_type": "registered",
    "household": 12,
    "room": 17,
    "address": "江北区望江街道滨江社区滨江苑1幢1单元302室",
    "moved_in_on": None,
    "moved_out_on": None,
    "tags": [{"code": "elderly-alone", "name": "独居老人"}],
    "created_at": "2026-03-02T09:00:00+08:00",
    "updated_at": "2026-12-04T10:00:00+08:00",
}
PERSON_ANSWER_EXAMPLE = OpenApiExample(
    "Already registered elsewhere: moved, not doubled",
    response_only=True,
    status_codes=["200"],
    value={**PERSON_SHOWN, "created": False, "moved": True, "moved_from": None},
)


class PersonWriter:
    """Turns a validated PersonInputSerializer into a services.save_person call: what the
    client left out stays as it was (the service would otherwise clear it), and tags the
    client may not see stay on the person."""

    def __init__(self, request, data: dict, person: Person | None):
        self.request, self.user, self.data, self.person = request, request.user, data, person

    def household(self) -> Household | None:
        data = self.data
        if data.get("household"):
            household = Household.objects.visible_to(self.user).filter(pk=data["household"])
            household = household.select_related("room").first()
            if household is None or not household.is_current:
                raise exceptions.ValidationError(
                    {"household": [_("No current household in your area has this id.")]}
                )
            return household
        if data.get("room"):
            room = Room.objects.visible_to(self.user).filter(pk=data["room"]).first()
            if room is None:
                raise exceptions.ValidationError({"room": [_("No room in your area has this id.")]})
            return services.household_at(room)
        if self.person is None:
            raise exceptions.ValidationError(
                {"room": [_("Say where the person lives: a room or a household.")]}
            )
        return None

    def tags(self, base: Person | None) -> list[Tag]:
        kept = list(base.tags.all()) if base is not None else []
        if "tags" not in self.data:
            return kept
        codes = list(dict.fromkeys(self.data["tags"]))
        tags = {tag.code: tag for tag in Tag.objects.filter(code__in=codes, is_active=True)}
        unknown = [code for code in codes if code not in tags]
        if unknown:
            message = _("No such tag: %(codes)s.") % {"codes": ", ".join(unknown)}
            raise exceptions.ValidationError({"tags": [message]})
        if services.may_see_sensitive_tags(self.user):
            return list(tags.values())
        if any(tag.sensitivity == Sensitivity.SENSITIVE for tag in tags.values()):
            raise exceptions.ValidationError({"tags": [_("Your role may not give this tag.")]})
        hidden = [tag for tag in kept if tag.sensitivity == Sensitivity.SENSITIVE]
        return [*tags.values(), *hidden]

    def save(self, retried: bool = False) -> services.PersonResult:
        data, person = self.data, self.person
        # The document the person will have: what is given, else what they have.
        number = data.get("document_number") or (person.document_number if person else "")
        document_type = data.get("document_type") or (person.document_type if person else "")
        registered = find_person(document_type, number) if number and document_type else None
        if person is not None and registered is not None and registered != person:
            raise exceptions.ValidationError(
                {"document_number": [_("Another person is registered with this document.")]}
            )
        base = person or registered

        def given(name, default=""):
            if name in data and data[name] is not None:
                return data[name]
            return getattr(base, name) if base is not None else default

        person_input = services.PersonInput(
            name=given("name"),
            residence_type=given("residence_type"),
            document_type=document_type,
            document_number=number,
            phone=data.get("phone") or (base.phone if base is not None else ""),
            sex=given("sex"),
            birth_date=given("birth_date", None),
            relation=given("relation"),
            moved_in_on=given("moved_in_on", None),
            # A person registered again where they live now has not moved out.
            moved_out_on=(
                data.get("moved_out_on")
                if "moved_out_on" in data or self.person is None
                else base.moved_out_on
            ),
            tags=self.tags(base),
        )
        try:
            # One transaction: a room's household made for a person refused is not kept.
            with transaction.atomic():
                household = self.household()
                return services.save_person(
                    self.user, person_input, household, via=VIA, person=self.person
                )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        except IntegrityError:
            # The same document registered by another request meanwhile (a phone retrying):
            # once more, and that person is found rather than doubled.
            if retried:
                raise
            return self.save(retried=True)


def person_answer(request, result: services.PersonResult, status: int) -> Response:
    person = persons_shown(Person.objects.filter(pk=result.person.pk)).get()
    context = {**person_context(request), "result": result}
    moved_from = result.moved_from
    if (
        moved_from is not None
        and Household.objects.visible_to(request.user).filter(pk=moved_from.pk).exists()
    ):
        context["moved_from_address"] = str(moved_from)
    location = request.build_absolute_uri(reverse("api:registry-person-detail", args=[person.pk]))
    return Response(
        PersonAnswerSerializer(person, context=context).data,
        status=status,
        headers={"Location": location},
    )


class PersonListView(generics.GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = PersonSerializer

    @extend_schema(
        tags=["registry"],
        operation_id="registry_persons_list",
        summary="List persons (实有人口)",
        description="The persons in your scope, in id order, cursor-paginated; numbers masked. "
        "A tag of sensitive level is shown only to the roles of "
        "REGISTRY_SENSITIVE_TAG_ROLES; for anyone else filtering by it answers 403. Age "
        "bounds are whole years on today's date, both included.",
        parameters=[PersonFilterSerializer],
        responses={
            200: PersonSerializer(many=True),
            400: schema.BAD_INPUT,
            403: schema.error("Your role may not list the persons with a sensitive tag."),
            **schema.ERRORS,
        },
    )
    def get(self, request):
        user = request.user
        query = PersonFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        persons = Person.objects.visible_to(user)
        if data.get("region"):
            persons = persons.filter(
                region_path__startswith=_filter_region(user, data["region"]).path
            )
        if data.get("residence_type"):
            persons = persons.filter(residence_type=data["residence_type"])
        if data.get("tag"):
            tag = Tag.objects.filter(code=data["tag"]).first()
            if tag is None:
                raise exceptions.ValidationError({"tag": [_("No such tag.")]})
            if tag.sensitivity == Sensitivity.SENSITIVE and not see_sensitive(request):
                raise exceptions.PermissionDenied(_("Your role may not see who has this tag."))
            persons = persons.filter(person_tags__tag=tag)
        if data.get("age_min") is not None or data.get("age_max") is not None:
            persons = persons.filter(
                age_q(timezone.localdate(), data.get("age_min"), data.get("age_max"))
            )
        if data.get("moved_out") is not None:
            persons = persons.filter(moved_out_on__isnull=not data["moved_out"])
        page = self.paginate_queryset(persons_shown(persons))
        data = PersonSerializer(page, many=True, context=person_context(request)).data
        return self.get_paginated_response(data)

    @extend_schema(
        tags=["registry"],
        operation_id="registry_persons_create",
        summary="Add a person",
        description="Through the same service as the grid worker's form and the import: the "
        "resident ID's check digit, the birth date it holds, the phone are checked, the "
        "numbers sealed. A person whose document is already registered is not doubled: the "
        "answer is that person (200), moved into this household if they lived elsewhere "
        "(`moved`: true). 201 for a new person. Needs a role that edits the registry.",
        request=PersonInputSerializer,
        responses={
            201: PersonAnswerSerializer,
            200: PersonAnswerSerializer,
            400: schema.BAD_INPUT,
            403: FORBIDDEN,
            401: schema.UNAUTHENTICATED,
        },
        examples=[PERSON_EXAMPLE, PERSON_ANSWER_EXAMPLE],
    )
    def post(self, request):
        require_editor(request.user)
        query = PersonInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        result = PersonWriter(request, query.validated_data, None).save()
        return person_answer(request, result, 201 if result.created else 200)


@extend_schema(tags=["registry"])
class PersonDetailView(APIView):
    @extend_schema(
        summary="One person",
        description="Numbers masked; a sensitive tag only for the roles allowed.",
        responses={200: PersonSerializer, **schema.ERRORS},
        examples=[OpenApiExample("A resident", response_only=True, value=PERSON_SHOWN)],
    )
    def get(self, request, pk):
        person = persons_shown(Person.objects.visible_to(request.user)).filter(pk=pk).first()
        if person is None:
            raise exceptions.NotFound()
        return Response(PersonSerializer(person, context=person_context(request)).data)

    @extend_schema(
        summary="Change a person",
        description="Only the fields given change; `room` or `household` moves them. `tags` "
        "replaces the tags you may see.",
        request=PersonInputSerializer(partial=True),
        responses={
            200: PersonAnswerSerializer,
            400: schema.BAD_INPUT,
            403: FORBIDDEN,
            **schema.ERRORS,
        },
        examples=[
            OpenApiExample(
                "A new phone",
                request_only=True,
                value={"phone": "13900002222", "relation": "spouse"},
            )
        ],
    )
    def patch(self, request, pk):
        user = request.user
        person = get_visible_or_404(Person.objects, user, pk=pk)
        require_editor(user)
        query = PersonInputSerializer(instance=person, data=request.data, partial=True)
        query.is_valid(raise_exception=True)
        result = PersonWriter(request, query.validated_data, person).save()
        return person_answer(request, result, 200)


@extend_schema(
    tags=["registry"],
    summary="A person's numbers in clear, for a stated purpose",
    description="The only answer of the API with an ID number or phone in clear. Allowed "
    "to community, street and leader roles and the administrator, within their scope (403 "
    "for other roles); written to the access audit (who, whose, when, why) before "
    "anything is answered. Not cached.",
    request=RevealInputSerializer,
    responses={200: RevealSerializer, 400: schema.BAD_INPUT, 403: FORBIDDEN, **schema.ERRORS},
    examples=[
        OpenApiExample("Why", request_only=True, value={"purpose": "上门核实低保申请"}),
        OpenApiExample(
            "The numbers",
            response_only=True,
            value={
                "person": 5,
                "document_type": "resident_id",
                "document_number": "990101195003080027",
                "phone": "13900001111",
                "purpose": "上门核实低保申请",
            },
        ),
    ],
)
class PersonRevealView(APIView):
    def post(self, request, pk):
        user = request.user
        person = get_visible_or_404(Person.objects, user, pk=pk)
        if not services.may_reveal(user):
            raise exceptions.PermissionDenied(_("Your role may not see personal numbers unmasked."))
        query = RevealInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        purpose = query.validated_data["purpose"]
        try:
            shown = services.reveal_person(user, person, purpose)
        except DjangoValidationError as exc:
            raise refused(exc) from None
        payload = {"person": person.pk, "document_type": person.document_type, **shown}
        payload["purpose"] = purpose.strip()
        return Response(RevealSerializer(payload).data, headers={"Cache-Control": "no-store"})


# --- tags ----------------------------------------------------------------------------


@extend_schema(
    tags=["registry"],
    summary="Tags (独居老人, 残疾人, 低保户 …)",
    description="The active tags with their sensitivity. Who carries a sensitive tag is "
    "shown only to the roles allowed; its counts are for everyone (registry/counts).",
    responses={200: TagSerializer(many=True), **schema.ERRORS},
)
class TagListView(generics.ListAPIView):
    serializer_class = TagSerializer
    pagination_class = CodeCursorPagination

    def get_queryset(self):
        if registry_scope(self.request.user) == []:
            return Tag.objects.none()  # a resident, a department: no registry
        return Tag.objects.filter(is_active=True)


# --- organisations -------------------------------------------------------------------

ORGANISATION_EXAMPLE = OpenApiExample(
    "A shop",
    request_only=True,
    value={
        "name": "滨江便利店",
        "kind": "shop",
        "credit_code": "91330100MA2XXXXX0X",
        "building": "990101001001001001",
        "contact_name": "李四",
        "contact_phone": "13812340000",
    },
)


def save_organisation(request, organisation: Organisation, data: dict) -> Organisation:
    """Fields given are set (all of them for a new one); the change is recorded, the
    contact phone masked."""
    user = request.user
    created = organisation.pk is None
    before = {} if created else _organisation_shown(organisation)
    before_phone = organisation.contact_phone_index
    if "building" in data:
        organisation.building = building_in_scope(user, data["building"])
    if "room" in data:
        organisation.room = Room.objects.filter(pk=data["room"]).first() if data["room"] else None
        if data["room"] and organisation.room is None:
            raise exceptions.ValidationError(
                {"room": [_("The building has no room with this id.")]}
            )
    # A room of another building, named now or left from before the building changed.
    if organisation.room_id and organisation.room.building_id != organisation.building_id:
        raise exceptions.ValidationError({"room": [_("The building has no room with this id.")]})
    for name in ("name", "kind", "credit_code", "contact_name", "is_active"):
        if name in data:
            setattr(organisation, name, data[name])
    if "contact_phone" in data:
        try:
            organisation.set_contact_phone(data["contact_phone"])
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"contact_phone": exc.messages}) from None
    try:
        organisation.full_clean(
            exclude=["region_path", "contact_phone_sealed", "contact_phone_index"]
        )
    except DjangoValidationError as exc:
        raise refused(exc) from None
    with transaction.atomic():
        organisation.save()
        after = _organisation_shown(organisation)
        changes = {
            name: [before.get(name), value]
            for name, value in after.items()
            if before.get(name) != value
        }
        if organisation.contact_phone_index != before_phone:
            old = "" if created or not before_phone else "***"
            changes["contact_phone"] = [old, organisation.masked_contact_phone]
        services.record_change(user, organisation, changes, VIA)
    return organisation


def _organisation_shown(organisation) -> dict:
    """As the organisation's page records its history (registry.forms.OrganisationForm)."""
    return {
        name: getattr(organisation, name)
        for name in (
            "name",
            "kind",
            "credit_code",
            "building_id",
            "room_id",
            "contact_name",
            "is_active",
        )
    }


def organisation_answer(request, organisation, status=200) -> Response:
    organisation = Organisation.objects.select_related("building__parent").get(pk=organisation.pk)
    context = {"request": request}
    return Response(OrganisationSerializer(organisation, context=context).data, status=status)


class OrganisationListView(generics.GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = OrganisationSerializer

    @extend_schema(
        tags=["registry"],
        operation_id="registry_organisations_list",
        summary="List organisations (实有单位)",
        parameters=[OrganisationFilterSerializer],
        responses={200: OrganisationSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        user = request.user
        query = OrganisationFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        organisations = Organisation.objects.visible_to(user).select_related("building__parent")
        if data.get("region"):
            region = _filter_region(user, data["region"])
            organisations = organisations.filter(region_path__startswith=region.path)
        if data.get("kind"):
            organisations = organisations.filter(kind=data["kind"])
        if data.get("q"):
            organisations = organisations.filter(name__icontains=data["q"])
        page = self.paginate_queryset(organisations)
        context = {"request": request}
        return self.get_paginated_response(
            OrganisationSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        tags=["registry"],
        operation_id="registry_organisations_create",
        summary="Add an organisation",
        description="At a building in your scope (and a room of it, if given). The contact "
        "phone is sealed and shown masked.",
        request=OrganisationInputSerializer,
        responses={
            201: OrganisationSerializer,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: FORBIDDEN,
        },
        examples=[ORGANISATION_EXAMPLE],
    )
    def post(self, request):
        require_editor(request.user)
        query = OrganisationInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        organisation = save_organisation(request, Organisation(), query.validated_data)
        return organisation_answer(request, organisation, 201)


@extend_schema(tags=["registry"])
class OrganisationDetailView(APIView):
    @extend_schema(
        summary="One organisation", responses={200: OrganisationSerializer, **schema.ERRORS}
    )
    def get(self, request, pk):
        organisation = get_visible_or_404(
            Organisation.objects.select_related("building__parent"), request.user, pk=pk
        )
        return organisation_answer(request, organisation)

    @extend_schema(
        summary="Change an organisation",
        description="Only the fields given change.",
        request=OrganisationInputSerializer(partial=True),
        responses={
            200: OrganisationSerializer,
            400: schema.BAD_INPUT,
            403: FORBIDDEN,
            **schema.ERRORS,
        },
        examples=[
            OpenApiExample("Closed down", request_only=True, value={"is_active": False}),
        ],
    )
    def patch(self, request, pk):
        user = request.user
        organisation = get_visible_or_404(
            Organisation.objects.select_related("building"), user, pk=pk
        )
        require_editor(user)
        query = OrganisationInputSerializer(data=request.data, partial=True)
        query.is_valid(raise_exception=True)
        save_organisation(request, organisation, query.validated_data)
        return organisation_answer(request, organisation)


# --- patrol logs ---------------------------------------------------------------------


class PatrolLogListView(generics.GenericAPIView):
    pagination_class = VisitCursorPagination
    serializer_class = PatrolLogSerializer

    @extend_schema(
        tags=["registry"],
        operation_id="registry_patrol_logs_list",
        summary="Patrol logs (民情日志)",
        description="Grid workers' visits in your scope, newest first.",
        parameters=[PatrolLogFilterSerializer],
        responses={200: PatrolLogSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        user = request.user
        query = PatrolLogFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        logs = PatrolLog.objects.visible_to(user).select_related("worker", "grid", "case")
        if data.get("region"):
            logs = logs.filter(region_path__startswith=_filter_region(user, data["region"]).path)
        if data.get("visited_after"):
            logs = logs.filter(visited_at__gte=data["visited_after"])
        if data.get("visited_before"):
            logs = logs.filter(visited_at__lt=data["visited_before"])
        page = self.paginate_queryset(logs)
        return self.get_paginated_response(PatrolLogSerializer(page, many=True).data)

    @extend_schema(
        tags=["registry"],
        operation_id="registry_patrol_logs_create",
        summary="Log a visit",
        description="A visit on your round: the grid (one of yours for a grid worker), when, "
        "the household or organisation visited (in that grid), what was found, and the case "
        "it produced. You are the worker who made it.",
        request=PatrolLogInputSerializer,
        responses={
            201: PatrolLogSerializer,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "A visit to an elderly resident",
                request_only=True,
                value={
                    "grid": "990101001001001",
                    "visited_at": "2026-12-04T10:30:00+08:00",
                    "household": 12,
                    "found": "独居老人身体状况良好，楼道堆物已提醒清理。",
                },
            )
        ],
    )
    def post(self, request):
        user = request.user
        require_editor(user)
        query = PatrolLogInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        grid = Region.objects.filter(code=data["grid"], level=Level.GRID).first()
        if grid is None or not within_scope(user, grid.path):
            raise exceptions.ValidationError({"grid": [_("No grid in your area has this code.")]})
        visited_at = data.get("visited_at") or timezone.now()
        if visited_at > timezone.now() + timedelta(minutes=5):
            raise exceptions.ValidationError(
                {"visited_at": [_("A visit cannot be in the future.")]}
            )
        log = PatrolLog(worker=user, grid=grid, visited_at=visited_at, found=data["found"])
        for name, model in (("household", Household), ("organisation", Organisation)):
            if data.get(name):
                found = model.objects.filter(
                    pk=data[name], region_path__startswith=grid.path
                ).first()
                if found is None:
                    raise exceptions.ValidationError(
                        {name: [_("Nothing in this grid has this id.")]}
                    )
                setattr(log, name, found)
        if data.get("case"):
            log.case = Case.objects.visible_to(user).filter(number=data["case"]).first()
            if log.case is None:
                raise exceptions.ValidationError(
                    {"case": [_("No case in your area has this number.")]}
                )
        log.save()
        return Response(PatrolLogSerializer(log).data, status=201)


# --- history -------------------------------------------------------------------------


class HistoryView(generics.GenericAPIView):
    """The change history of one record (RecordChange), newest first: who changed which
    field from what to what, personal numbers masked."""

    model = None
    record_type = ""
    pagination_class = ChangeCursorPagination
    serializer_class = ChangeSerializer

    def record(self, request, pk):
        return get_visible_or_404(self.model.objects, request.user, pk=pk)

    def get(self, request, pk):
        record = self.record(request, pk)
        # As on the pages: the changes made within the reader's scope (a person who moved
        # in from elsewhere keeps the rest of their history where it was written).
        changes = (
            RecordChange.objects.visible_to(request.user)
            .filter(record_type=self.record_type, record_id=record.pk)
            .select_related("actor")
        )
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(ChangeSerializer(page, many=True).data)


def _history_view(model, record_type: str, what: str) -> type[HistoryView]:
    documented = extend_schema(
        tags=["registry"],
        summary=f"The change history of {what}",
        responses={200: ChangeSerializer(many=True), **schema.ERRORS},
    )
    name = "".join(part.capitalize() for part in record_type.split("_"))
    return documented(
        type(f"{name}HistoryView", (HistoryView,), {"model": model, "record_type": record_type})
    )


@extend_schema(
    tags=["registry"],
    summary="The change history of a room's use",
    responses={200: ChangeSerializer(many=True), **schema.ERRORS},
)
class DwellingHistoryView(HistoryView):
    model = Room
    record_type = "dwelling"

    def record(self, request, pk):
        room = super().record(request, pk)
        dwelling = Dwelling.objects.filter(room=room).first()
        if dwelling is None:
            raise exceptions.NotFound()
        return dwelling


PersonHistoryView = _history_view(Person, "person", "a person")
HouseholdHistoryView = _history_view(Household, "household", "a household")
OrganisationHistoryView = _history_view(Organisation, "organisation", "an organisation")


# --- counts --------------------------------------------------------------------------


@extend_schema(
    tags=["registry"],
    summary="Counts for a region",
    description="Resident population, households, residence types, age bands (on today's "
    "date), tags, dwellings by use and organisations by kind, for everything registered "
    "under the region that you may see (a grid worker: their grids in it). Sensitive tags "
    "are counted for everyone; who carries them is never in this answer. A fixed number "
    "of aggregate queries, whatever the size of the region.",
    parameters=[CountsQuerySerializer],
    responses={200: RegistryCountsSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    examples=[
        OpenApiExample(
            "A community",
            response_only=True,
            value={
                "region": {"code": "990101001001", "name": "滨江社区"},
                "population": 3120,
                "households": 1184,
                "by_residence_type": {
                    "registered": 2210,
                    "resident": 530,
                    "floating": 372,
                    "foreign": 8,
                },
                "by_age_band": {"0-17": 520, "18-59": 1790, "60-79": 640, "80+": 150},
                "unknown_age": 20,
                "by_tag": [
                    {"code": "elderly-alone", "name": "独居老人", "sensitive": False, "count": 64},
                    {
                        "code": "special-attention",
                        "name": "重点人员",
                        "sensitive": True,
                        "count": 3,
                    },
                ],
                "dwellings_by_use": {
                    "owner_occupied": 900,
                    "rented": 260,
                    "vacant": 70,
                    "commercial": 12,
                    "other": 3,
                },
                "organisations": 41,
                "organisations_by_kind": {
                    "shop": 25,
                    "enterprise": 8,
                    "school": 2,
                    "clinic": 2,
                    "social": 3,
                    "government": 1,
                    "other": 0,
                },
            },
        )
    ],
)
class RegistryCountsView(APIView):
    def get(self, request):
        query = CountsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        code = query.validated_data["region"]
        region = Region.objects.visible_to(request.user).filter(code=code)
        region = region.only("code", "name", "path").first()
        paths = within_scope(request.user, region.path) if region is not None else []
        if not paths:
            raise exceptions.NotFound()
        figures = registry_figures(paths)
        payload = {"region": {"code": region.code, "name": region.name}, **figures.as_dict()}
        return Response(RegistryCountsSerializer(payload).data)
