"""Emergency mode under /api/v1/emergency/: risk areas (their list public, as the page
is), the switch, policy versions, arrivals with their measures and tasks, the daily
figures, and epidemic-free certification.

Thin: every write is a command of services.py, arrivals.py or figures.py, which check
the actor's right (PermissionDenied → 403) and validate everything before writing
(ValidationError → 400 naming the field, nothing written). Every read starts from the
model's `visible_to(user)`: outside it is 404. A region is named by its code; one the
user cannot see is refused as one that does not exist.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.scoping import get_visible_or_404, scope_path
from gridgov.api import schema
from gridgov.api.errors import NON_FIELD, refused
from gridgov.api.filters import region_for_filter
from gridgov.api.pagination import (
    ApiCursorPagination,
    IdCursorPagination,
    _datetime_or_none,
    _id_or_none,
)
from gridgov.api.registry_serializers import RevealInputSerializer
from gridgov.emergency import arrivals, figures, services
from gridgov.emergency.api_serializers import (
    BATCH_MAX,
    ArrivalBatchSerializer,
    ArrivalDetailSerializer,
    ArrivalFilterSerializer,
    ArrivalInputSerializer,
    ArrivalRevealSerializer,
    ArrivalSerializer,
    CertificationApplyInputSerializer,
    CertificationDecisionInputSerializer,
    CertificationDetailSerializer,
    CertificationFilterSerializer,
    CertificationSerializer,
    ChildFiguresSerializer,
    DailySeriesSerializer,
    EmergencyAreaFilterSerializer,
    EmergencyAreaSerializer,
    FigureInputSerializer,
    FiguresEnteredSerializer,
    FiguresQuerySerializer,
    PolicyVersionSerializer,
    ReasonInputSerializer,
    RiskAreaDetailSerializer,
    RiskAreaFilterSerializer,
    RiskAreaInputSerializer,
    RiskAreaSerializer,
    RiskLevelChangeInputSerializer,
    SwitchOnInputSerializer,
    TaskDoneInputSerializer,
    TaskFilterSerializer,
    TaskSerializer,
)
from gridgov.emergency.models import (
    Arrival,
    Certification,
    Channel,
    EmergencyArea,
    MeasureTask,
    PolicyVersion,
    RiskArea,
    RiskAreaChange,
)
from gridgov.regions.codes import path_and_above
from gridgov.regions.models import Region
from gridgov.registry.models import Room

FORBIDDEN = schema.error("Your role may not do this here.")
TAGS = ["emergency"]


def refusals(call, *args, **kwargs):
    """Run a command: its ValidationError is the API's 400 (PermissionDenied reaches DRF,
    which answers 403)."""
    try:
        return call(*args, **kwargs)
    except DjangoValidationError as exc:
        raise refused(exc) from None


def valid(serializer_class, data, **options) -> dict:
    query = serializer_class(data=data, **options)
    query.is_valid(raise_exception=True)
    return query.validated_data


def region_named(user, code: str) -> Region:
    """The region a body names, within the user's scope, else a 400 naming `region`."""
    region = Region.objects.visible_to(user).filter(code=code).first()
    if region is None:
        raise exceptions.ValidationError({"region": [_("No region in your area has this code.")]})
    return region


class NewestFirstPagination(ApiCursorPagination):
    ordering = ("-id",)
    position_parser = staticmethod(_id_or_none)


class ArrivalCursorPagination(ApiCursorPagination):
    ordering = ("-reported_at", "-id")
    position_parser = staticmethod(_datetime_or_none)


class TaskCursorPagination(ApiCursorPagination):
    # Overdue ones first: the earliest due first.
    ordering = ("due_at", "id")
    position_parser = staticmethod(_datetime_or_none)


# --- risk areas ------------------------------------------------------------------------

PUBLIC_READ = schema.error("A bad token: without one the list is public.")


def risk_area_detail(area_pk) -> Response:
    changes = RiskAreaChange.objects.select_related("policy_version").order_by("on", "at")
    area = (
        RiskArea.objects.prefetch_related(Prefetch("changes", queryset=changes))
        .filter(pk=area_pk)
        .first()
    )
    if area is None:
        raise exceptions.NotFound()
    return Response(RiskAreaDetailSerializer(area).data)


class RiskAreaListView(generics.GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = RiskAreaSerializer
    # Anyone reads, as anyone opens the public page; designating needs a signed-in user.
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_risk_areas_list",
        summary="The current risk areas (public)",
        description="High, medium and low risk areas of the city and elsewhere, current "
        "today or on `as_of`; `all=true` lists every area ever designated. No sign-in "
        "needed: the list is public, as its page is.",
        parameters=[RiskAreaFilterSerializer],
        responses={200: RiskAreaSerializer(many=True), 400: schema.BAD_INPUT, 401: PUBLIC_READ},
        auth=[{}, {"bearerAuth": []}, {"cookieAuth": []}],
    )
    def get(self, request):
        data = valid(RiskAreaFilterSerializer, request.query_params)
        areas = RiskArea.objects.all()
        if not data["all"]:
            areas = areas.current(data.get("as_of"))
        if data.get("level"):
            areas = areas.filter(level=data["level"])
        page = self.paginate_queryset(areas)
        return self.get_paginated_response(RiskAreaSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_risk_areas_create",
        summary="Designate a risk area",
        description="A region of the city (`region`, its code: for those who manage it) or "
        "a place elsewhere (`division_code`: for the city's leaders and administrators), "
        "with its level, reason and first day. Its history starts with this designation.",
        request=RiskAreaInputSerializer,
        responses={
            201: RiskAreaDetailSerializer,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "A district elsewhere",
                request_only=True,
                value={
                    "level": "high",
                    "division_code": "420103",
                    "reason": "聚集性疫情",
                    "started_on": "2026-12-01",
                },
            )
        ],
    )
    def post(self, request):
        user = request.user
        data = valid(RiskAreaInputSerializer, request.data)
        region = region_named(user, data["region"]) if data.get("region") else None
        area = refusals(
            services.set_risk_area,
            user,
            services.RiskAreaInput(
                level=data["level"],
                started_on=data.get("started_on") or timezone.localdate(),
                reason=data["reason"],
                region=region,
                division_code=data.get("division_code", ""),
                detail=data.get("detail", ""),
            ),
        )
        response = risk_area_detail(area.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


@extend_schema(
    tags=TAGS,
    summary="One risk area with its history (public)",
    description="Each change: designated, raised, lowered or lifted, on which day, why, "
    "under which policy version.",
    responses={200: RiskAreaDetailSerializer, 401: PUBLIC_READ, 404: schema.NOT_FOUND},
    auth=[{}, {"bearerAuth": []}, {"cookieAuth": []}],
)
class RiskAreaDetailView(APIView):
    permission_classes = [AllowAny]

    def get(self, request, pk):
        return risk_area_detail(pk)


@extend_schema(
    tags=TAGS,
    summary="Change a risk area's level, or lift it",
    description="`to_level` high, medium or low, or empty to lift the area, from `on` "
    "(default today). For those who manage the area's region (areas elsewhere: the "
    "city's leaders and administrators).",
    request=RiskLevelChangeInputSerializer,
    responses={
        200: RiskAreaDetailSerializer,
        400: schema.BAD_INPUT,
        403: FORBIDDEN,
        **schema.ERRORS,
    },
    examples=[
        OpenApiExample(
            "Down to medium",
            request_only=True,
            value={"to_level": "medium", "reason": "连续14天无新增"},
        )
    ],
)
class RiskAreaLevelView(APIView):
    def post(self, request, pk):
        user = request.user
        area = get_visible_or_404(RiskArea.objects.select_related("region"), user, pk=pk)
        data = valid(RiskLevelChangeInputSerializer, request.data)
        refusals(
            services.change_risk_level,
            user,
            area,
            data["to_level"],
            data["reason"],
            on=data.get("on"),
        )
        return risk_area_detail(area.pk)


# --- the switch ------------------------------------------------------------------------


def emergency_areas_for(user):
    """The switches under the user's region, and those over it: a grid worker sees that
    the whole district is in emergency mode."""
    areas = EmergencyArea.objects.visible_to(user)
    path = scope_path(user)
    if isinstance(path, str):
        over = EmergencyArea.objects.filter(region_path__in=path_and_above(path))
        areas = EmergencyArea.objects.filter(Q(pk__in=areas.values("pk")) | Q(pk__in=over))
    return areas.select_related("region", "opened_by", "closed_by")


class EmergencyAreaListView(generics.GenericAPIView):
    pagination_class = NewestFirstPagination
    serializer_class = EmergencyAreaSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_areas_list",
        summary="Regions in emergency mode, and the record of every switch",
        description="The switches of regions under yours and over it, newest first; "
        "`open=true`: only the regions in emergency mode now.",
        parameters=[EmergencyAreaFilterSerializer],
        responses={
            200: EmergencyAreaSerializer(many=True),
            400: schema.BAD_INPUT,
            **schema.ERRORS,
        },
    )
    def get(self, request):
        data = valid(EmergencyAreaFilterSerializer, request.query_params)
        areas = emergency_areas_for(request.user)
        if data.get("open") is not None:
            areas = areas.filter(closed_at__isnull=data["open"])
        page = self.paginate_queryset(areas)
        return self.get_paginated_response(EmergencyAreaSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_areas_create",
        summary="Put a region into emergency mode",
        description="For a leader of the region or of a level above it. Refused (400) when "
        "the region is already in emergency mode as part of a wider area.",
        request=SwitchOnInputSerializer,
        responses={
            201: EmergencyAreaSerializer,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "A street",
                request_only=True,
                value={"region": "990101001000", "reason": "本土聚集性疫情"},
            )
        ],
    )
    def post(self, request):
        user = request.user
        data = valid(SwitchOnInputSerializer, request.data)
        region = region_named(user, data["region"])
        area = refusals(services.switch_on, user, region, data["reason"])
        area = emergency_areas_for(user).get(pk=area.pk)
        return Response(EmergencyAreaSerializer(area).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    summary="Return a region to normal mode",
    request=ReasonInputSerializer,
    responses={
        200: EmergencyAreaSerializer,
        400: schema.BAD_INPUT,
        403: FORBIDDEN,
        **schema.ERRORS,
    },
)
class EmergencyAreaCloseView(APIView):
    def post(self, request, pk):
        user = request.user
        area = emergency_areas_for(user).filter(pk=pk).first()
        if area is None:
            raise exceptions.NotFound()
        data = valid(ReasonInputSerializer, request.data)
        refusals(services.switch_off, user, area, data["reason"])
        area = emergency_areas_for(user).get(pk=area.pk)
        return Response(EmergencyAreaSerializer(area).data)


# --- policy versions -------------------------------------------------------------------


def activated_versions():
    # Drafts are the administration's work in progress: no decision was made under them.
    return PolicyVersion.objects.filter(active_from__isnull=False)


def policy_context() -> dict:
    version = PolicyVersion.in_force()
    return {"in_force_pk": version.pk if version else None}


@extend_schema(
    tags=TAGS,
    summary="Policy versions: the rules in force and before",
    description="Every activated version, newest first, with its rules as data and the "
    "day it came into force; `in_force` marks the one in force today.",
    responses={200: PolicyVersionSerializer(many=True), **schema.ERRORS},
)
class PolicyVersionListView(generics.ListAPIView):
    serializer_class = PolicyVersionSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self):
        return activated_versions()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **policy_context()}


@extend_schema(
    tags=TAGS,
    summary="One policy version",
    responses={200: PolicyVersionSerializer, **schema.ERRORS},
)
class PolicyVersionDetailView(APIView):
    def get(self, request, number):
        version = activated_versions().filter(number=number).first()
        if version is None:
            raise exceptions.NotFound()
        return Response(PolicyVersionSerializer(version, context=policy_context()).data)


# --- arrivals --------------------------------------------------------------------------


def arrivals_for(user):
    """As the registry's people are seen: a grid worker their grids; the roles that do
    no arrival work nothing."""
    if not arrivals.may_see(user):
        return Arrival.objects.none()
    return Arrival.objects.visible_to(user).select_related("region", "policy_version")


def arrival_detail(user, pk):
    tasks = MeasureTask.objects.select_related("done_by").order_by("due_at", "pk")
    arrival = (
        arrivals_for(user)
        .prefetch_related("measures", Prefetch("measures__tasks", queryset=tasks))
        .filter(pk=pk)
        .first()
    )
    if arrival is None:
        raise exceptions.NotFound()
    return arrival


def arrival_input(user, data: dict) -> tuple[arrivals.ArrivalInput | None, dict]:
    """A validated report as the command reads it, or the errors of the codes and ids it
    names (a region or room outside the user's area is one that does not exist)."""
    errors = {}
    region = room = None
    if data.get("room"):
        room = Room.objects.visible_to(user).filter(pk=data["room"]).first()
        if room is None:
            errors["room"] = [_("No room in your area has this id.")]
    elif data.get("region"):
        region = Region.objects.visible_to(user).filter(code=data["region"]).first()
        if region is None:
            errors["region"] = [_("No building or grid in your area has this code.")]
    if errors:
        return None, errors
    return arrivals.ArrivalInput(
        name=data["name"],
        origin_code=data["origin_code"],
        left_on=data["left_on"],
        arrived_at=data["arrived_at"],
        region=region,
        channel=Channel.API,
        document_type=data.get("document_type", ""),
        document_number=data.get("document_number", ""),
        phone=data.get("phone", ""),
        room=room,
        address=data.get("address", ""),
        reporter_name=data.get("reporter_name", ""),
    ), {}


def read_batch(user, body: list) -> tuple[list, dict]:
    """[(index, ArrivalInput)] of the rows that can be read, and the others' errors as
    {"index.field": [messages]}."""
    if not body:
        raise exceptions.ValidationError({NON_FIELD: [_("The list is empty.")]})
    if len(body) > BATCH_MAX:
        raise exceptions.ValidationError(
            {NON_FIELD: [_("At most %(max)s arrivals at a time.") % {"max": BATCH_MAX}]}
        )
    rows, errors = [], {}
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            errors[str(index)] = [_("Give each arrival as a JSON object.")]
            continue
        query = ArrivalInputSerializer(data=item)
        if not query.is_valid():
            for name, messages in query.errors.items():
                errors[f"{index}.{name}"] = [str(message) for message in messages]
            continue
        data, problems = arrival_input(user, query.validated_data)
        if problems:
            errors.update({f"{index}.{name}": messages for name, messages in problems.items()})
            continue
        rows.append((index, data))
    return rows, errors


def report_batch(user, body: list) -> list[Arrival]:
    """All the rows or none: rows that cannot be read are named with those the command
    refuses, which it then checks without writing."""
    if not arrivals.may_report(user):
        raise exceptions.PermissionDenied(_("Your role may not report arrivals."))
    rows, errors = read_batch(user, body)
    try:
        if errors:
            if rows:
                arrivals.report_many(user, rows, dry_run=True)
        else:
            return arrivals.report_many(user, rows)
    except arrivals.ArrivalsRefused as exc:
        for problem in exc.row_errors:
            for name, message in (problem.fields or {"": " ".join(problem.messages)}).items():
                key = f"{problem.row}.{name}" if name else str(problem.row)
                errors.setdefault(key, []).append(str(message))
    except DjangoValidationError as exc:
        raise refused(exc) from None
    raise exceptions.ValidationError(dict(sorted(errors.items(), key=_by_row)))


def _by_row(item):
    row, _sep, name = item[0].partition(".")
    return (int(row) if row.isdigit() else -1, name)


ARRIVAL_EXAMPLE = {
    "name": "张伟",
    "document_type": "resident_id",
    "document_number": "420103199001011232",
    "phone": "13900001111",
    "origin_code": "420103",
    "left_on": "2026-12-02",
    "arrived_at": "2026-12-03T18:30:00+08:00",
    "region": "990101001001001001",
    "address": "滨江苑1幢1单元302室",
    "reporter_name": "滨江宾馆",
}
ARRIVAL_REPORT = PolymorphicProxySerializer(
    component_name="ArrivalReport",
    serializers=[ArrivalInputSerializer, ArrivalInputSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)
ARRIVAL_REPORTED = PolymorphicProxySerializer(
    component_name="ArrivalReported",
    serializers=[ArrivalDetailSerializer, ArrivalBatchSerializer],
    resource_type_field_name=None,
    many=False,
)


class ArrivalListView(generics.GenericAPIView):
    pagination_class = ArrivalCursorPagination
    serializer_class = ArrivalSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_arrivals_list",
        summary="Arrivals from elsewhere",
        description="Those reported in your scope (as the registry's people: a grid "
        "worker's grids), newest first; names and numbers masked.",
        parameters=[ArrivalFilterSerializer],
        responses={200: ArrivalSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        user = request.user
        data = valid(ArrivalFilterSerializer, request.query_params)
        found = arrivals_for(user)
        if data.get("region"):
            try:
                region = region_for_filter(user, data["region"])
            except exceptions.ValidationError as exc:
                raise exceptions.ValidationError({"region": exc.detail}) from None
            found = found.filter(region_path__startswith=region.path)
        if data.get("risk_level"):
            found = found.filter(risk_level=data["risk_level"])
        if data.get("late") is not None:
            found = found.filter(late=data["late"])
        if data.get("reported_since"):
            found = found.filter(reported_at__gte=data["reported_since"])
        page = self.paginate_queryset(found)
        return self.get_paginated_response(ArrivalSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_arrivals_create",
        summary="Report an arrival, or a batch of them",
        description="One arrival as a JSON object (201: the arrival with the measures and "
        "tasks decided for it, and why), or a JSON list of them (201: all written; or 400 "
        "and none written, `errors` naming each bad row by its index from 0, as "
        '"3.origin_code"). The origin is a national division code; where they stay a '
        "building or grid of your area (or a room of the registry). Reported through the "
        'channel "api".',
        request={"application/json": ARRIVAL_REPORT},
        responses={
            201: ARRIVAL_REPORTED,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample("One arrival", request_only=True, value=ARRIVAL_EXAMPLE),
            OpenApiExample(
                "A refused batch",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "Some fields need correcting.",
                    "code": "invalid",
                    "errors": {"1.origin_code": ["Unknown division code 999999."]},
                },
            ),
        ],
    )
    def post(self, request):
        user = request.user
        if isinstance(request.data, list):
            written = report_batch(user, request.data)
            shown = arrivals_for(user).filter(pk__in=[a.pk for a in written]).order_by("pk")
            payload = {
                "created": len(written),
                "arrivals": shown,
            }
            return Response(ArrivalBatchSerializer(payload).data, status=status.HTTP_201_CREATED)
        if not arrivals.may_report(user):
            raise exceptions.PermissionDenied(_("Your role may not report arrivals."))
        data = valid(ArrivalInputSerializer, request.data)
        report, errors = arrival_input(user, data)
        if errors:
            raise exceptions.ValidationError(errors)
        arrival = refusals(arrivals.report, user, report)
        detail = ArrivalDetailSerializer(arrival_detail(user, arrival.pk))
        return Response(detail.data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    summary="One arrival with its measures, tasks and why",
    responses={200: ArrivalDetailSerializer, **schema.ERRORS},
)
class ArrivalDetailView(APIView):
    def get(self, request, pk):
        return Response(ArrivalDetailSerializer(arrival_detail(request.user, pk)).data)


@extend_schema(
    tags=TAGS,
    summary="An arrival's numbers in clear, for a stated purpose",
    description="As a registered person's (registry/persons/{id}/reveal): the only answer "
    "with an arrival's ID number or phone in clear. Allowed to community, street and leader "
    "roles and the administrator, within their scope (403 for other roles that see "
    "arrivals); written to the registry's audit of unmasked views (who, whose, when, why) "
    "before anything is answered. Not cached.",
    request=RevealInputSerializer,
    responses={
        200: ArrivalRevealSerializer,
        400: schema.BAD_INPUT,
        403: FORBIDDEN,
        **schema.ERRORS,
    },
    examples=[
        OpenApiExample("Why", request_only=True, value={"purpose": "核实居家隔离人员身份"}),
        OpenApiExample(
            "The numbers",
            response_only=True,
            value={
                "arrival": 12,
                "document_type": "resident_id",
                "document_number": ARRIVAL_EXAMPLE["document_number"],
                "phone": ARRIVAL_EXAMPLE["phone"],
                "purpose": "核实居家隔离人员身份",
            },
        ),
    ],
)
class ArrivalRevealView(APIView):
    def post(self, request, pk):
        user = request.user
        arrival = arrivals_for(user).filter(pk=pk).first()
        if arrival is None:
            raise exceptions.NotFound()
        if not arrivals.may_reveal(user):
            raise exceptions.PermissionDenied(_("Your role may not see personal numbers unmasked."))
        purpose = valid(RevealInputSerializer, request.data)["purpose"]
        shown = refusals(arrivals.reveal_arrival, user, arrival, purpose)
        payload = {"arrival": arrival.pk, "document_type": arrival.document_type, **shown}
        payload["purpose"] = purpose.strip()
        return Response(
            ArrivalRevealSerializer(payload).data, headers={"Cache-Control": "no-store"}
        )


# --- tasks -----------------------------------------------------------------------------


class TaskListView(generics.GenericAPIView):
    pagination_class = TaskCursorPagination
    serializer_class = TaskSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_tasks_list",
        summary="Open tasks of the measures: visits, door seals, checks, tests",
        description="In your scope, the earliest due first; `overdue=true`: only those past due.",
        parameters=[TaskFilterSerializer],
        responses={200: TaskSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        data = valid(TaskFilterSerializer, request.query_params)
        now = timezone.now()
        tasks = arrivals.tasks_for(request.user)
        if not arrivals.may_see(request.user):
            tasks = tasks.none()
        if data["overdue"]:
            tasks = tasks.filter(due_at__lt=now)
        page = self.paginate_queryset(tasks)
        context = {"now": now}
        return self.get_paginated_response(TaskSerializer(page, many=True, context=context).data)


@extend_schema(
    tags=TAGS,
    summary="Mark a task done",
    request=TaskDoneInputSerializer,
    responses={200: TaskSerializer, 400: schema.BAD_INPUT, 403: FORBIDDEN, **schema.ERRORS},
)
class TaskDoneView(APIView):
    def post(self, request, pk):
        user = request.user
        if not arrivals.may_see(user):
            raise exceptions.NotFound()
        task = get_visible_or_404(MeasureTask.objects, user, pk=pk)
        data = valid(TaskDoneInputSerializer, request.data)
        refusals(arrivals.finish_task, user, task, data.get("note", ""))
        task = MeasureTask.objects.select_related("measure__arrival__region", "done_by").get(
            pk=task.pk
        )
        return Response(TaskSerializer(task).data)


# --- figures ---------------------------------------------------------------------------


def figures_query(request) -> tuple[Region, dict]:
    data = valid(FiguresQuerySerializer, request.query_params)
    region = Region.objects.visible_to(request.user).filter(code=data["region"]).first()
    if region is None:
        raise exceptions.NotFound()
    data.setdefault("to", timezone.localdate())
    data.setdefault("from", data["to"] - timedelta(days=29))
    return region, data


class DailyFiguresView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="emergency_figures",
        summary="A region's daily new cases, summed from where they were entered",
        description="Every day from `from` to `to` (at most three years) with the sums of "
        "everything entered under the region, and the totals. The region must be one you "
        "may see (else 404).",
        parameters=[FiguresQuerySerializer],
        responses={200: DailySeriesSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        region, data = figures_query(request)
        first, last = data["from"], data["to"]
        days = refusals(figures.series, region, first, last)
        payload = {
            "region": {"code": region.code, "name": region.name},
            "from": first,
            "to": last,
            "totals": figures.totals(region, first, last),
            "days": days,
        }
        return Response(DailySeriesSerializer(payload).data)

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_figures_enter",
        summary="Enter or correct daily figures",
        description="A list of a region's figures for a day, entered once at the level "
        "that knows them: all written, or 400 and none (`errors` keys name a row that "
        "cannot be read by its index from 0; the command's messages count rows from 1).",
        request={"application/json": FigureInputSerializer(many=True)},
        responses={
            201: FiguresEnteredSerializer,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "A community's day",
                request_only=True,
                value=[
                    {
                        "region": "990101001001",
                        "day": "2026-12-03",
                        "confirmed": 2,
                        "suspected": 0,
                        "asymptomatic": 5,
                        "close_contacts": 31,
                    }
                ],
            )
        ],
    )
    def post(self, request):
        user = request.user
        body = request.data
        if not isinstance(body, list) or not body:
            raise exceptions.ValidationError({NON_FIELD: [_("Send a JSON list of figures.")]})
        if len(body) > BATCH_MAX:
            raise exceptions.ValidationError(
                {NON_FIELD: [_("At most %(max)s rows at a time.") % {"max": BATCH_MAX}]}
            )
        rows, errors = [], {}
        for index, item in enumerate(body):
            query = FigureInputSerializer(data=item)
            if not query.is_valid():
                detail = query.errors
                if not isinstance(detail, dict):
                    detail = {NON_FIELD: detail}
                for name, messages in detail.items():
                    errors[f"{index}.{name}"] = [str(message) for message in messages]
                continue
            data = query.validated_data
            region = Region.objects.visible_to(user).filter(code=data["region"]).first()
            if region is None:
                errors[f"{index}.region"] = [_("No region in your area has this code.")]
                continue
            counts = {name: data[name] for name in figures.COUNTS}
            rows.append(figures.Row(region=region, day=data["day"], counts=counts))
        if errors:
            raise exceptions.ValidationError(errors)
        written = refusals(figures.enter, user, rows)
        payload = {"entered": len(written)}
        return Response(FiguresEnteredSerializer(payload).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    summary="A region's figures by child region",
    description="The sums over `from`..`to` for each child of the region (and the "
    "region's own line when figures were entered at it).",
    parameters=[FiguresQuerySerializer],
    responses={200: ChildFiguresSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
)
class ChildFiguresView(APIView):
    def get(self, request):
        region, data = figures_query(request)
        lines = refusals(figures.by_child, region, data["from"], data["to"])
        payload = {
            "region": {"code": region.code, "name": region.name},
            "from": data["from"],
            "to": data["to"],
            "children": lines,
        }
        return Response(ChildFiguresSerializer(payload).data)


# --- certification ---------------------------------------------------------------------


def certifications_for(user):
    return Certification.objects.visible_to(user).select_related(
        "region", "policy_version", "applied_by", "decided_by"
    )


def certification_detail(user, pk) -> Certification:
    certification = (
        certifications_for(user).prefetch_related("attestations__attested_by").filter(pk=pk).first()
    )
    if certification is None:
        raise exceptions.NotFound()
    return certification


def certification_answer(user, pk, status_code=status.HTTP_200_OK) -> Response:
    data = CertificationDetailSerializer(certification_detail(user, pk)).data
    return Response(data, status=status_code)


class CertificationListView(generics.GenericAPIView):
    pagination_class = NewestFirstPagination
    serializer_class = CertificationSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_certifications_list",
        summary="Epidemic-free certifications and applications",
        parameters=[CertificationFilterSerializer],
        responses={
            200: CertificationSerializer(many=True),
            400: schema.BAD_INPUT,
            **schema.ERRORS,
        },
    )
    def get(self, request):
        data = valid(CertificationFilterSerializer, request.query_params)
        found = certifications_for(request.user)
        if data.get("state"):
            found = found.filter(state=data["state"])
        page = self.paginate_queryset(found)
        return self.get_paginated_response(CertificationSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="emergency_certifications_create",
        summary="Apply for epidemic-free certification",
        description="For the staff of a compound, community or street that has had the "
        "days without a new case the policy asks for: each required measure attested with "
        "what was done (you attest them). Photos are added on the application page.",
        request=CertificationApplyInputSerializer,
        responses={
            201: CertificationDetailSerializer,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "Six measures in place",
                request_only=True,
                value={
                    "region": "990101001001",
                    "attestations": {
                        "closed_management": "小区只留一个出入口，24小时值守。",
                        "screening": "逐户排查完毕，共1184户。",
                        "disinfection": "公共区域每日消杀两次。",
                        "supplies": "生活物资统一配送到户。",
                        "order": "志愿者与民警联合巡查。",
                        "communication": "微信群和公告栏每日通报。",
                    },
                },
            )
        ],
    )
    def post(self, request):
        user = request.user
        data = valid(CertificationApplyInputSerializer, request.data)
        region = region_named(user, data["region"])
        attestations = {
            measure: (evidence, None) for measure, evidence in data["attestations"].items()
        }
        certification = refusals(services.apply_for_certification, user, region, attestations)
        return certification_answer(user, certification.pk, status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    summary="One certification with its attestations",
    description="Each measure with who attested it and the evidence; `has_photo` says "
    "whether a photo is attached (photos are seen on the page).",
    responses={200: CertificationDetailSerializer, **schema.ERRORS},
)
class CertificationDetailView(APIView):
    def get(self, request, pk):
        return certification_answer(request.user, pk)


@extend_schema(
    tags=TAGS,
    summary="Approve or refuse an application",
    description="For the level above the area. Approval checks the days without a new "
    "case again; a refusal needs a note.",
    request=CertificationDecisionInputSerializer,
    responses={
        200: CertificationDetailSerializer,
        400: schema.BAD_INPUT,
        403: FORBIDDEN,
        **schema.ERRORS,
    },
)
class CertificationDecisionView(APIView):
    def post(self, request, pk):
        user = request.user
        certification = certification_detail(user, pk)
        data = valid(CertificationDecisionInputSerializer, request.data)
        refusals(
            services.decide_certification,
            user,
            certification,
            data["approve"],
            data.get("note", ""),
        )
        return certification_answer(user, pk)


@extend_schema(
    tags=TAGS,
    summary="Revoke a certificate",
    request=ReasonInputSerializer,
    responses={
        200: CertificationDetailSerializer,
        400: schema.BAD_INPUT,
        403: FORBIDDEN,
        **schema.ERRORS,
    },
)
class CertificationRevokeView(APIView):
    def post(self, request, pk):
        user = request.user
        certification = certification_detail(user, pk)
        data = valid(ReasonInputSerializer, request.data)
        refusals(services.revoke_certification, user, certification, data["reason"])
        return certification_answer(user, pk)
