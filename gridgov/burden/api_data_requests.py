"""/api/v1/burden: the catalogue of figures the platform holds, data requests built from
it and their tables, and a community's answer to the columns the platform does not hold."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.scoping import get_visible_or_404
from gridgov.api import schema
from gridgov.api.errors import refused
from gridgov.burden import catalogue, data_requests, services
from gridgov.burden.api_demands import (
    DemandInputSerializer,
    DemandSerializer,
    demands_shown,
    matter_named,
    received,
    recipients_named,
    with_part,
)
from gridgov.burden.choices import DemandKind
from gridgov.burden.models import DataRequest, Demand


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    group = serializers.CharField()
    unit = serializers.CharField()


class ColumnInputSerializer(serializers.Serializer):
    figure = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class DataRequestInputSerializer(DemandInputSerializer):
    kind = serializers.HiddenField(default=DemandKind.DATA_REQUEST)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    columns = ColumnInputSerializer(many=True, min_length=1, max_length=100)


class ColumnSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    figure = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()


class RowSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    values = serializers.ListField(child=serializers.JSONField(allow_null=True))
    sources = serializers.ListField(child=serializers.CharField())


class TableSerializer(serializers.Serializer):
    demand = DemandSerializer()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    answered_from = serializers.IntegerField(allow_null=True)
    columns = ColumnSerializer(many=True)
    rows = RowSerializer(many=True)


class AnswerInputSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        help_text="column position → value, for every column still missing",
    )


def table_body(user, request: DataRequest) -> dict:
    shown = data_requests.table(user, request)
    return {
        "demand": demands_shown(Demand.objects).get(pk=request.pk),
        "period_start": request.period_start,
        "period_end": request.period_end,
        "answered_from": request.answered_from_id,
        "columns": [
            {"position": c.position, "figure": c.figure, "label": c.label, "unit": c.unit}
            for c in shown.columns
        ],
        "rows": [
            {
                "region": row.region,
                "values": [value for value, _s in shown.cells(row)],
                "sources": [source for _v, source in shown.cells(row)],
            }
            for row in shown.rows
        ],
    }


class CatalogueView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_catalogue",
        summary="The figures the platform holds for every street and community",
        description="Registry figures are as registered when a table is filled; case and "
        "patrol figures are for the request's period.",
        responses={200: FigureSerializer(many=True), **schema.ERRORS},
    )
    def get(self, request):
        if not services.may_send(request.user):
            raise exceptions.NotFound()
        figures = [
            {"key": f.key, "label": f.label, "group": f.group, "unit": f.unit}
            for f in catalogue.catalogue()
        ]
        return Response(FigureSerializer(figures, many=True).data)


class DataRequestCreateView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_data_requests_create",
        summary="Send a data request (报表); the platform fills what it holds at once",
        description='`columns`: each either `{"figure": key}` from the catalogue or '
        '`{"label", "unit"}` for a figure the platform does not hold, which goes down to '
        "the communities unless one of them already answered it for this period.",
        request=DataRequestInputSerializer,
        responses={201: TableSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request):
        user = request.user
        if not services.may_send(user):
            raise exceptions.PermissionDenied(_("Your role does not send demands to communities."))
        query = DataRequestInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            made = data_requests.send_data_request(
                user,
                services.DemandInput(
                    kind=DemandKind.DATA_REQUEST,
                    title=data["title"],
                    description=data["description"],
                    working_days=data["working_days"],
                    recipients=recipients_named(data["recipients"]),
                    matter=matter_named(data.get("matter")),
                    asks_for_engagement=data["asks_for_engagement"],
                ),
                data["period_start"],
                data["period_end"],
                [data_requests.ColumnInput(**column) for column in data["columns"]],
            )
        except DjangoValidationError as exc:
            raise refused(exc) from None
        body = TableSerializer(table_body(user, made)).data
        return Response(body, status=status.HTTP_201_CREATED)


class DataRequestTableView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_data_requests_table",
        summary="A data request's table: each value with where it came from",
        description="`sources`: platform, reused (an answer given before), typed, missing. "
        "The sender sees every row; a street or community the rows of its area.",
        responses={200: TableSerializer, **schema.ERRORS},
    )
    def get(self, request, pk):
        with_part(request)
        demand = get_visible_or_404(Demand.objects, request.user, pk=pk)
        made = DataRequest.objects.filter(demand=demand).first()
        if made is None:
            raise exceptions.NotFound()
        return Response(TableSerializer(table_body(request.user, made)).data)


class AnswerTableView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_received_table",
        summary="Answer the columns the platform does not hold",
        request=AnswerInputSerializer,
        responses={200: TableSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    )
    def post(self, request, pk):
        recipient = received(request, pk)
        made = DataRequest.objects.filter(demand_id=recipient.demand_id).first()
        if made is None:
            raise exceptions.NotFound()
        query = AnswerInputSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            data_requests.answer_columns(request.user, recipient, query.validated_data["values"])
        except DjangoValidationError as exc:
            raise refused(exc) from None
        return Response(TableSerializer(table_body(request.user, made)).data)
