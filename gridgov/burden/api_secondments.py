"""/api/v1/burden/secondments: staff borrowed from the streets and communities (借调/抽调),
for API clients — the same service as the pages (gridgov.burden.secondments), the same
scope (404 outside it, and for the roles that keep no secondments), the same refusals
(400 naming the field, nothing saved)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.models import Department
from gridgov.api import schema
from gridgov.api.errors import refused
from gridgov.api.pagination import IdCursorPagination
from gridgov.burden import secondments
from gridgov.burden.choices import SecondmentKind
from gridgov.burden.models import Secondment
from gridgov.lib.masking import mask_contacts
from gridgov.regions.models import Region


class SecondmentSerializer(serializers.ModelSerializer):
    from_region = serializers.CharField(source="from_region.code")
    from_region_name = serializers.CharField(source="from_region.name")
    to_department = serializers.CharField(source="to_department.code", default=None)
    borrower = serializers.CharField()
    reason = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        model = Secondment
        fields = [
            "id",
            "kind",
            "person_name",
            "from_region",
            "from_region_name",
            "to_department",
            "to_unit",
            "borrower",
            "approved_by",
            "approval",
            "reason",
            "started_on",
            "planned_end_on",
            "returned_on",
            "overdue",
            "recorded_by",
            "recorded_at",
        ]

    # Typed by staff: contact details masked, as in every free text the API answers.
    def get_reason(self, secondment) -> str:
        return mask_contacts(secondment.reason)

    def get_overdue(self, secondment) -> bool:
        return secondment.is_overdue()


class SecondmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SecondmentKind.choices)
    person_name = serializers.CharField(max_length=50)
    from_region = serializers.CharField(
        max_length=20, help_text="The code of a street or community of your area."
    )
    to_department = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The code of the borrowing department; or name another unit in to_unit.",
    )
    to_unit = serializers.CharField(max_length=100, required=False, allow_blank=True)
    approved_by = serializers.CharField(max_length=100)
    approval = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=500)
    started_on = serializers.DateField()
    planned_end_on = serializers.DateField()


class SecondmentChangeSerializer(SecondmentInputSerializer):
    """The details a PATCH may change; where the person was borrowed from is fixed."""

    from_region = None


class SecondmentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=secondments.STATUSES, required=False)


class ReturnSerializer(serializers.Serializer):
    returned_on = serializers.DateField()


class CountSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    current = serializers.IntegerField(help_text="Away now.")
    overdue = serializers.IntegerField(help_text="Away past the planned end.")


class UnitCountSerializer(CountSerializer):
    unit = serializers.CharField()
    department = serializers.CharField(allow_null=True, help_text="Its code, when a department.")


class RegionCountSerializer(CountSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CountsSerializer(serializers.Serializer):
    by_unit = UnitCountSerializer(many=True)
    by_region = RegionCountSerializer(many=True)


def kept(request):
    if not secondments.may_keep(request.user):
        raise exceptions.NotFound()
    return secondments.visible(request.user)


def _named(data: dict) -> dict:
    """The input with the regions and departments its codes name."""
    named = dict(data)
    if "from_region" in data:
        named["from_region"] = Region.objects.filter(code=data["from_region"]).first()
    if data.get("to_department"):
        department = Department.objects.filter(code=data["to_department"]).first()
        if department is None:
            raise exceptions.ValidationError({"to_department": [_("No department has this code.")]})
        named["to_department"] = department
    elif "to_department" in data:
        named["to_department"] = None
    return named


def _answer(request, secondment, status_code=status.HTTP_200_OK) -> Response:
    secondment = secondments.access(request.user, secondment.pk)
    return Response(SecondmentSerializer(secondment).data, status=status_code)


def _changed(request, pk, serializer_class, act, **options) -> Response:
    """Validate the body with serializer_class, then act(secondment, data) through the
    service: a refusal is the 400 naming the field, and nothing is saved."""
    kept(request)
    secondment = secondments.access(request.user, pk)
    query = serializer_class(data=request.data, **options)
    query.is_valid(raise_exception=True)
    try:
        secondment = act(secondment, query.validated_data)
    except DjangoValidationError as exc:
        raise refused(exc) from None
    return _answer(request, secondment)


class SecondmentListView(generics.GenericAPIView):
    pagination_class = IdCursorPagination
    serializer_class = SecondmentSerializer

    @extend_schema(
        tags=["burden"],
        operation_id="burden_secondments_list",
        summary="Staff on secondment (借调/抽调) from the streets and communities of your area",
        description="For street and community staff, leaders and administrators. "
        "`status`: current (away now), overdue (away past the planned end) or returned.",
        parameters=[SecondmentFilterSerializer],
        responses={200: SecondmentSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def get(self, request):
        query = SecondmentFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = secondments.with_status(kept(request), query.validated_data.get("status", ""))
        found = found.select_related("from_region", "to_department", "recorded_by")
        page = self.paginate_queryset(found)
        return self.get_paginated_response(SecondmentSerializer(page, many=True).data)

    @extend_schema(
        tags=["burden"],
        operation_id="burden_secondments_create",
        summary="Record a secondment",
        description="From a street or community of your area (`from_region`, its code) to a "
        "department (`to_department`, its code) or another unit (`to_unit`) — one of the "
        "two. The planned end may be at most BURDEN_SECONDMENT_MAX_DAYS after the start.",
        request=SecondmentInputSerializer,
        responses={201: SecondmentSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request):
        kept(request)
        query = SecondmentInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            secondment = secondments.record(request.user, _named(query.validated_data))
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return _answer(request, secondment, status.HTTP_201_CREATED)


class SecondmentDetailView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_secondment",
        summary="One secondment",
        responses={200: SecondmentSerializer, **schema.ERRORS},
    )
    def get(self, request, pk):
        kept(request)
        return Response(SecondmentSerializer(secondments.access(request.user, pk)).data)

    @extend_schema(
        tags=["burden"],
        operation_id="burden_secondment_update",
        summary="Change a secondment's details or its planned end",
        description="Any of the fields of the record but `from_region`, which is fixed; "
        "the return goes through `/return`.",
        request=SecondmentChangeSerializer(partial=True),
        responses={200: SecondmentSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def patch(self, request, pk):
        def change(secondment, data):
            if "from_region" in request.data:
                raise exceptions.ValidationError(
                    {"from_region": [_("Where the person was borrowed from cannot change.")]}
                )
            return secondments.update(request.user, secondment, _named(data))

        return _changed(request, pk, SecondmentChangeSerializer, change, partial=True)


class SecondmentReturnView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_secondment_return",
        summary="Mark the person back from secondment",
        description="`returned_on`: not in the future, not before the start; once only.",
        request=ReturnSerializer,
        responses={200: SecondmentSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request, pk):
        def mark(secondment, data):
            return secondments.mark_returned(request.user, secondment, data["returned_on"])

        return _changed(request, pk, ReturnSerializer, mark)


class SecondmentCountsView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_secondment_counts",
        summary="Secondments counted per borrowing unit and per street or community",
        responses={200: CountsSerializer, **schema.ERRORS},
    )
    def get(self, request):
        found, today = kept(request), timezone.localdate()
        counts = {
            "by_unit": secondments.counts_by_unit(found, today),
            "by_region": secondments.counts_by_region(found, today),
        }
        return Response(CountsSerializer(counts).data)
