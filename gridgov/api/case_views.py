"""Cases: the list, intake, one case, its photos, and one endpoint per action.

Views are a call and a serializer: reads through Case.objects.visible_to / access_case,
writes only through services.intake_case and services.perform, the same functions the
pages call; their refusals become HTTP statuses in gridgov.api.errors.
"""

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, generics
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.api import schema
from gridgov.api.filters import CaseFilterSerializer
from gridgov.api.inputs import (
    IDEMPOTENCY_HEADER,
    VERSION_FIELD,
    expected_version,
    form_input,
    idempotency_key,
)
from gridgov.api.pagination import CaseCursorPagination
from gridgov.api.parsers import JsonBodyParser
from gridgov.api.serializers import (
    CaseDetailSerializer,
    CaseReceiptSerializer,
    CaseSummarySerializer,
)
from gridgov.api.throttling import AnonymousIntakeThrottle
from gridgov.cases import services
from gridgov.cases.choices import TRANSITIONS, Action
from gridgov.cases.forms import ACTION_FORMS, IntakeForm
from gridgov.cases.models import Case

PARSERS = [JsonBodyParser, MultiPartParser, FormParser]


def may_choose_channel(user) -> bool:
    """Staff who take cases in (hotline, grid patrol) say which channel a case came by;
    for everyone else an API case came by the API."""
    return bool(
        user and user.is_authenticated and (user.is_superuser or user.role in services.INTAKE_ROLES)
    )


def case_detail(request, case: Case) -> dict:
    case = services.access_case(request.user, case.number)
    return CaseDetailSerializer(case, context={"request": request}).data


def intake_answer(request, result: services.IntakeResult) -> dict:
    """The full case for a client who may see it, else only the receipt."""
    case = result.case
    if not (
        request.user.is_authenticated
        and Case.objects.visible_to(request.user).filter(pk=case.pk).exists()
    ):
        return CaseReceiptSerializer(case).data
    if not result.created:
        return case_detail(request, case)
    # A new case is answered from what intake wrote rather than read back: the answer is
    # most of an intake's work otherwise.
    context = {"request": request, "intake": result}
    return CaseDetailSerializer(case, context=context).data


# Who may see the case gets all of it; anyone else (an anonymous reporter) the receipt.
# anyOf, not oneOf: a whole case has every field of a receipt, so it matches both.
RECEIPT_SCHEMA = {
    "type": "object",
    "title": "CaseReceipt",
    "properties": {
        "number": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "string"},
        "status_label": {"type": "string"},
        "received_at": {"type": "string", "format": "date-time"},
    },
    "required": ["number", "title", "status", "status_label", "received_at"],
}
INTAKE_ANSWER = {"anyOf": [{"$ref": "#/components/schemas/CaseDetail"}, RECEIPT_SCHEMA]}
CASE_RESPONSES = {
    201: OpenApiResponse(
        INTAKE_ANSWER,
        description="Taken in: the case, or for a client that cannot see it (anonymous) the "
        "receipt: number, title, status, received_at.",
    ),
    200: OpenApiResponse(
        INTAKE_ANSWER,
        description="A retry with an Idempotency-Key already used: the first request's case.",
    ),
}

INTAKE_EXAMPLE = OpenApiExample(
    "A burst water main, with a point",
    request_only=True,
    value={
        "case_type": "complaint",
        "category": "E0502",
        "title": "自来水管破裂",
        "description": "望江路12号门口水管破裂，路面积水。",
        "lng": 120.105,
        "lat": 30.205,
        "datum": "gcj02",
        "reporter_name": "张三",
        "reporter_phone": "13812341234",
    },
)


class CaseListView(generics.GenericAPIView):
    pagination_class = CaseCursorPagination
    parser_classes = PARSERS
    throttle_classes = [AnonymousIntakeThrottle]
    serializer_class = CaseSummarySerializer

    def get_permissions(self):
        # Anyone may report a problem; only someone signed in may list cases.
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        tags=["cases"],
        operation_id="cases_list",
        summary="List cases",
        description="The cases you may see (as on the worklist pages), newest first "
        "(received_at, then id, descending), with cursor pagination: follow `next`.",
        parameters=[CaseFilterSerializer],
        responses={200: CaseSummarySerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        query = CaseFilterSerializer.from_query(request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        now = timezone.now()
        page = self.paginate_queryset(query.cases(request.user, now=now))
        context = {"request": request, "now": now}
        return self.get_paginated_response(
            CaseSummarySerializer(page, many=True, context=context).data
        )

    @extend_schema(
        tags=["cases"],
        operation_id="cases_create",
        summary="Take a case in (report a problem)",
        description="JSON, or multipart/form-data with `photos`. Say where: a point "
        "(lng, lat, datum), a region code, or an address. Anonymous reporting is allowed and "
        "rate-limited per address. `channel` is kept only from staff who take cases in "
        "(dispatcher, grid worker, administrator); everyone else's case comes by `api`. Send "
        "an `Idempotency-Key` header to make retries safe: a retry with the same key answers "
        "200 with the first request's case and creates nothing.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Any unique string of visible ASCII (a UUID), per client.",
            )
        ],
        request=schema.INTAKE_BODIES,
        responses={
            **CASE_RESPONSES,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            413: schema.error("The body is over the size limit."),
            429: schema.error("Too many anonymous reports from this address."),
        },
        examples=[INTAKE_EXAMPLE],
    )
    def post(self, request):
        key = idempotency_key(request)
        data, files = form_input(request, IntakeForm)
        user = request.user if request.user.is_authenticated else None
        if not may_choose_channel(user):
            data.pop("channel", None)
        for name, value in schema.INTAKE_DEFAULTS.items():
            if not data.get(name):
                data[name] = value
        result = services.intake_case(user, data, files, idempotency_key=key)
        location = request.build_absolute_uri(reverse("api:case-detail", args=[result.case.number]))
        return Response(
            intake_answer(request, result),
            status=201 if result.created else 200,
            headers={"Location": location},
        )


@extend_schema(
    tags=["cases"],
    summary="One case with its events and assignments",
    description="The reporter is shown masked, never with a phone. `actions` lists what "
    "you may do to the case now.",
    responses={200: CaseDetailSerializer, **schema.ERRORS},
)
class CaseDetailView(APIView):
    def get(self, request, number):
        case = services.access_case(request.user, number)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class AnyAcceptNegotiation(BaseContentNegotiation):
    """A photo is what it is, whatever the client's Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(
    tags=["cases"],
    summary="A photo of a case",
    responses={
        (200, "image/jpeg"): OpenApiTypes.BINARY,
        (200, "image/png"): OpenApiTypes.BINARY,
        (200, "image/webp"): OpenApiTypes.BINARY,
        **schema.ERRORS,
    },
)
class CasePhotoView(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    def get(self, request, number, pk):
        case = services.access_case(request.user, number)
        attachment = case.attachments.filter(pk=pk).first()
        if attachment is None:
            raise exceptions.NotFound()
        try:
            handle = attachment.file.open("rb")
        except OSError:
            raise exceptions.NotFound(_("The photo's file is missing from storage.")) from None
        return FileResponse(handle, content_type=attachment.content_type)


class CaseActionView(APIView):
    """POST …/actions/<action>: one subclass per action (see ACTION_VIEWS), so that the
    schema documents each action's own fields."""

    action_name = ""
    parser_classes = PARSERS

    def post(self, request, number):
        form_class = ACTION_FORMS[self.action_name]
        data, files = form_input(request, form_class, extra_fields=[VERSION_FIELD])
        version = expected_version(data)
        case = services.perform(
            request.user, number, self.action_name, data, files, expected_version=version
        )
        try:
            return Response(case_detail(request, case))
        except exceptions.NotFound:
            # Done, but the action took the case out of the actor's sight.
            return Response(CaseReceiptSerializer(case).data)


def _action_description(action: str) -> str:
    sources = ", ".join(sorted(str(s) for s in TRANSITIONS[action].sources))
    target = TRANSITIONS[action].target
    move = f"→ `{target}`" if target else "(the status stays)"
    # Lazy: the label is translated when the schema is rendered, in the reader's language.
    return format_lazy(
        "**{label}**. From: {sources} {move}.\n\n"
        "Fields (JSON, or multipart for photos):\n\n{fields}\n\n"
        "Answers the updated case. 409 when the state machine does not allow the action now "
        "or the `version` is stale; 403 when your role may not take it; 400 naming each bad "
        "field. Nothing changes on any error.",
        label=Action(action).label,
        sources=sources,
        move=move,
        fields=schema.action_fields_text(action),
    )


def _action_examples(action: str) -> list:
    examples = {
        Action.REGISTER: {"category": "E0103", "urgency": "normal", "version": 1},
        Action.DISPATCH: {"departments": ["990101-cg"], "note": "请尽快处置"},
        Action.REPLY: {"result": "已清运完毕"},
        Action.RATE: {"solved": True, "satisfaction": "satisfied"},
        Action.EXTEND: {"amount": 3, "unit": "working_days", "reason": "需协调产权单位"},
        Action.SUMMON: {"lead": "990101-cg", "assisting": ["990101-sw"], "report_minutes": 30},
        Action.MERGE: {"master": "20260213-000001"},
    }
    if action not in examples:
        return []
    return [OpenApiExample(f"{action} example", value=examples[action], request_only=True)]


def _action_view(action: str) -> type[CaseActionView]:
    def post(self, request, number):
        return CaseActionView.post(self, request, number)

    documented = extend_schema(
        tags=["case actions"],
        operation_id=f"case_action_{action.replace('-', '_')}",
        summary=format_lazy("{}: {}", action, Action(action).label),
        description=_action_description(action),
        request=schema.ACTION_BODIES[action],
        responses={
            200: CaseDetailSerializer,
            400: schema.BAD_INPUT,
            401: schema.UNAUTHENTICATED,
            403: schema.error("Your role may not take this action on this case."),
            404: schema.NOT_FOUND,
            409: schema.error("Not allowed by the state machine now, or a stale version."),
        },
        examples=_action_examples(action),
    )(post)
    name = "".join(part.capitalize() for part in action.split("-"))
    return type(
        f"Case{name}ActionView", (CaseActionView,), {"action_name": action, "post": documented}
    )


ACTION_VIEWS: dict[str, type[CaseActionView]] = {
    action: _action_view(action) for action in ACTION_FORMS
}
