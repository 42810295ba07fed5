"""/api/v1/burden: demands sent down, the inbox of a street or community, the burden
office's decisions and the admission list, for API clients.

The same commands as the pages, through gridgov.burden.services; anything outside the
caller's scope is a 404, a refusal a 400 naming the field, a missing right a 403.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.api import schema
from gridgov.api.errors import refused
from gridgov.api.pagination import IdCursorPagination
from gridgov.burden import queries, services
from gridgov.burden.choices import Admission, DemandKind, RecipientState
from gridgov.burden.models import AdmittedMatter, Demand, DemandRecipient
from gridgov.lib.masking import mask_contacts
from gridgov.regions.models import Region


class MatterSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.name", default=None)

    class Meta:
        model = AdmittedMatter
        fields = [
            "code",
            "title",
            "department",
            "basis",
            "community_part",
            "valid_from",
            "valid_to",
            "version",
        ]


class RecipientSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    due_at = serializers.DateTimeField()
    answer = serializers.SerializerMethodField()
    objection = serializers.SerializerMethodField()
    ruled_by = serializers.CharField(source="ruled_by.username", default=None, allow_null=True)
    ruling_reason = serializers.SerializerMethodField()

    class Meta:
        model = DemandRecipient
        fields = [
            "id",
            "region",
            "region_name",
            "state",
            "due_at",
            "answer",
            "extension_until",
            "extension_granted",
            "objection",
            "ruling",
            "ruled_by",
            "ruled_at",
            "ruling_reason",
            "acted_at",
        ]

    # Typed by staff: contact details masked, as in every free text the API answers.
    def get_answer(self, recipient) -> str:
        return mask_contacts(recipient.answer)

    def get_objection(self, recipient) -> str:
        return mask_contacts(recipient.objection)

    def get_ruling_reason(self, recipient) -> str:
        return mask_contacts(recipient.ruling_reason)


class DemandSerializer(serializers.ModelSerializer):
    description = serializers.SerializerMethodField()
    matter = serializers.CharField(source="matter.code", default=None)
    sender = serializers.CharField(source="sender_name")
    sender_region = serializers.CharField(source="sender_region.code")
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    recipients = RecipientSerializer(many=True)

    class Meta:
        model = Demand
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "matter",
            "matter_version",
            "sender",
            "sender_region",
            "sent_at",
            "working_days",
            "due_at",
            "asks_for_engagement",
            "admission",
            "decided_by",
            "decided_at",
            "decision_reason",
            "holiday_eve",
            "short_deadline",
            "repeat_of",
            "recipients",
        ]

    def get_description(self, demand) -> str:
        return mask_contacts(demand.description)


class DemandInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DemandKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000)
    working_days = serializers.IntegerField(min_value=1, max_value=250)
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=20), min_length=1, max_length=5000
    )
    matter = serializers.CharField(max_length=40, required=False, allow_blank=True)
    asks_for_engagement = serializers.BooleanField(required=False, default=False)


class DemandFilterSerializer(serializers.Serializer):
    admission = serializers.ChoiceField(choices=Admission.choices, required=False)
    kind = serializers.ChoiceField(choices=DemandKind.choices, required=False)


class InboxFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RecipientState.choices, required=False)


class DecisionSerializer(serializers.Serializer):
    admit = serializers.BooleanField()
    reason = serializers.CharField(max_length=500)


class ResponseInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[
            RecipientState.ACCEPTED,
            RecipientState.ANSWERED,
            RecipientState.EXTENSION_ASKED,
            RecipientState.OBJECTED,
        ]
    )
    answer = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    extension_until = serializers.DateField(required=False, allow_null=True, default=None)
    objection = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ExtensionDecisionSerializer(serializers.Serializer):
    grant = serializers.BooleanField()


class ObjectionDecisionSerializer(serializers.Serializer):
    uphold = serializers.BooleanField()
    reason = serializers.CharField(max_length=500)


def with_part(request) -> None:
    """As on the pages (queries.has_part): for a user with no part in the burden module
    (a dispatcher, a grid worker, a resident) there are no demands."""
    if not queries.has_part(request.user):
        raise exceptions.NotFound()


def demands_shown(queryset):
    return queryset.select_related(
        "matter", "sender_department", "sender_region", "decided_by"
    ).prefetch_related(
        Prefetch(
            "recipients", DemandRecipient.objects.select_related("region", "demand", "ruled_by")
        )
    )


def recipients_named(codes: list[str]) -> list[Region]:
    """The regions named; whether the caller may send to them is the service's to say."""
    codes = list(dict.fromkeys(codes))
    found = {region.code: region for region in Region.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise exceptions.ValidationError(
            {"recipients": [_("No region has the code %(code)s.") % {"code": unknown[0]}]}
        )
    return [found[code] for code in codes]


def matter_named(code: str | None) -> AdmittedMatter | None:
    if not code:
        return None
    matter = AdmittedMatter.objects.filter(code=code).first()
    if matter is None:
        raise exceptions.ValidationError(
            {"matter": [_("The admission list has no matter with this code.")]}
        )
    return matter


def _answer(demand: Demand, request, status_code=status.HTTP_200_OK) -> Response:
    demand = demands_shown(Demand.objects).get(pk=demand.pk)
    return Response(DemandSerializer(demand, context={"request": request}).data, status=status_code)


class DemandListView(generics.GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = DemandSerializer

    @extend_schema(
        tags=["burden"],
        operation_id="burden_demands_list",
        summary="Demands (下派事项) you sent or that reached your area",
        parameters=[DemandFilterSerializer],
        responses={200: DemandSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        with_part(request)
        query = DemandFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        demands = Demand.objects.visible_to(request.user).filter(**query.validated_data)
        page = self.paginate_queryset(demands_shown(demands))
        return self.get_paginated_response(DemandSerializer(page, many=True).data)

    @extend_schema(
        tags=["burden"],
        operation_id="burden_demands_create",
        summary="Send a demand down",
        description="To streets or communities (region codes) in your area. Under an "
        "admitted matter valid today (`matter`, its code) it reaches them at once; without "
        "one it is held for the burden office; a campaign asking residents to vote, like or "
        "forward (`asks_for_engagement`) is refused. The deadline counts `working_days` "
        "with the working-day calendar.",
        request=DemandInputSerializer,
        responses={201: DemandSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request):
        user = request.user
        if not services.may_send(user):
            raise exceptions.PermissionDenied(_("Your role does not send demands to communities."))
        query = DemandInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        matter = matter_named(data.get("matter"))
        try:
            demand = services.send_demand(
                user,
                services.DemandInput(
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    working_days=data["working_days"],
                    recipients=recipients_named(data["recipients"]),
                    matter=matter,
                    asks_for_engagement=data["asks_for_engagement"],
                ),
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return _answer(demand, request, status.HTTP_201_CREATED)


class DemandDetailView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_demands_retrieve",
        summary="One demand with its recipients",
        responses={200: DemandSerializer, **schema.ERRORS},
    )
    def get(self, request, pk):
        with_part(request)
        demand = get_visible_or_404(demands_shown(Demand.objects), request.user, pk=pk)
        return Response(DemandSerializer(demand).data)


class DemandDecisionView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_demands_decide",
        summary="Admit a held demand as an exception, or refuse it (burden office)",
        request=DecisionSerializer,
        responses={200: DemandSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request, pk):
        with_part(request)
        demand = get_visible_or_404(Demand.objects, request.user, pk=pk)
        query = DecisionSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            services.decide_held(request.user, demand, **query.validated_data)
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return _answer(demand, request)


class InboxView(generics.GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = RecipientSerializer

    @extend_schema(
        tags=["burden"],
        operation_id="burden_inbox_list",
        summary="Demands that reached your streets or communities",
        parameters=[InboxFilterSerializer],
        responses={200: RecipientSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        answering_or_deciding(request)
        query = InboxFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        received = (
            DemandRecipient.objects.visible_to(request.user)
            .filter(demand__admission__in=[Admission.ADMITTED, Admission.EXCEPTION])
            .filter(**query.validated_data)
            .select_related("region", "demand", "ruled_by")
        )
        page = self.paginate_queryset(received)
        return self.get_paginated_response(RecipientSerializer(page, many=True).data)


def answering_or_deciding(request) -> None:
    """A copy is for the streets and communities that answer and for the burden office that
    rules on their objections; a sender reads the copies of its demands with the demand."""
    user = request.user
    if not (services.may_answer(user) or services.may_decide(user)):
        raise exceptions.NotFound()


def received(request, pk) -> DemandRecipient:
    answering_or_deciding(request)
    return get_visible_or_404(
        DemandRecipient.objects.select_related("region", "demand").filter(
            demand__admission__in=[Admission.ADMITTED, Admission.EXCEPTION]
        ),
        request.user,
        pk=pk,
    )


def _received_answer(recipient: DemandRecipient) -> Response:
    recipient = DemandRecipient.objects.select_related("region", "demand", "ruled_by").get(
        pk=recipient.pk
    )
    return Response(RecipientSerializer(recipient).data)


class ReceivedDetailView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_received_retrieve",
        summary="One street's or community's copy of a demand, with its objection and ruling",
        description="For the streets and communities it went to and their burden office.",
        responses={200: RecipientSerializer, **schema.ERRORS},
    )
    def get(self, request, pk):
        return _received_answer(received(request, pk))


class RespondView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_received_respond",
        summary="Accept, answer, ask for more time, or object",
        description="`action`: accepted, answered (with `answer`), extension_asked (with "
        "`extension_until`, after the deadline) or objected (with `objection`, which goes to "
        "the burden office).",
        request=ResponseInputSerializer,
        responses={200: RecipientSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request, pk):
        recipient = received(request, pk)
        query = ResponseInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            recipient = services.respond(
                request.user, recipient, services.Response(**query.validated_data)
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return _received_answer(recipient)


class ExtensionDecisionView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_received_extension",
        summary="Grant or refuse the more time asked (the sender)",
        request=ExtensionDecisionSerializer,
        responses={200: RecipientSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request, pk):
        with_part(request)
        # The sender's side sees its demands' recipients wherever they are.
        recipient = (
            DemandRecipient.objects.filter(demand__in=Demand.objects.visible_to(request.user))
            .select_related("demand")
            .filter(pk=pk)
            .first()
        )
        if recipient is None:
            raise exceptions.NotFound()
        query = ExtensionDecisionSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            recipient = services.decide_extension(request.user, recipient, **query.validated_data)
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return _received_answer(recipient)


class ObjectionDecisionView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_received_objection",
        summary="Uphold or overrule a community's objection (burden office)",
        description="With a `reason`. The ruling is kept beside the objection (`ruling`, "
        "`ruled_by`, `ruled_at`, `ruling_reason`) and is final: a second ruling is refused "
        "(400, `ruling`), and the community cannot object again.",
        request=ObjectionDecisionSerializer,
        responses={200: RecipientSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request, pk):
        recipient = received(request, pk)
        query = ObjectionDecisionSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            recipient = services.resolve_objection(request.user, recipient, **query.validated_data)
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return _received_answer(recipient)


class MatterListView(generics.ListAPIView):
    pagination_class = IdCursorPagination
    serializer_class = MatterSerializer

    @extend_schema(
        tags=["burden"],
        operation_id="burden_matters_list",
        summary="The admission list (准入清单): matters valid today",
        responses={200: MatterSerializer(many=True), **schema.ERRORS},
    )
    def get(self, request):
        if not (services.may_send(request.user) or services.may_answer(request.user)):
            raise exceptions.NotFound()
        today = timezone.localdate()
        matters = (
            AdmittedMatter.objects.select_related("department")
            .filter(valid_from__lte=today)
            .exclude(valid_to__lt=today)
        )
        page = self.paginate_queryset(matters)
        return self.get_paginated_response(MatterSerializer(page, many=True).data)
