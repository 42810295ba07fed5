"""/api/v1/burden/observatory: the burden observatory's figures, as the page shows them."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.api import schema
from gridgov.burden.observatory_views import observed


class PlaceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    received = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())
    meetings_and_inspections = serializers.IntegerField()
    cells_asked = serializers.IntegerField()
    cells_platform = serializers.IntegerField()
    cells_reused = serializers.IntegerField()
    cells_typed = serializers.IntegerField()
    cells_missing = serializers.IntegerField()
    platform_share = serializers.FloatField(allow_null=True)
    hours = serializers.FloatField()
    seconded = serializers.IntegerField()
    seconded_overdue = serializers.IntegerField()


class SenderSerializer(serializers.Serializer):
    name = serializers.CharField()
    sent = serializers.IntegerField()
    reached_places = serializers.IntegerField()
    admitted = serializers.IntegerField()
    held = serializers.IntegerField()
    exception = serializers.IntegerField()
    refused = serializers.IntegerField()
    holiday_eve = serializers.IntegerField()
    short_deadline = serializers.IntegerField()
    repeat = serializers.IntegerField()
    hours = serializers.FloatField()


class ObservationSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    first = serializers.DateField()
    last = serializers.DateField()
    total = PlaceSerializer()
    year_before = PlaceSerializer()
    avoided = serializers.IntegerField()
    places = PlaceSerializer(many=True)
    senders = SenderSerializer(many=True)


class ObservatoryView(APIView):
    @extend_schema(
        tags=["burden"],
        operation_id="burden_observatory",
        summary="The burden observatory (减负观测点) of an area for a month or a week",
        description="For the burden office, leaders and administrators. `month=YYYY-MM` or "
        "`week=YYYY-MM-DD` (any day of the week); this month by default. `places`: the "
        "communities, most hours first; `senders`: who sent what, with the flags.",
        parameters=[
            OpenApiParameter("region", str),
            OpenApiParameter("month", str),
            OpenApiParameter("week", str),
        ],
        responses={200: ObservationSerializer, **schema.ERRORS},
    )
    def get(self, request):
        seen, _kind, _value = observed(request)
        return Response(ObservationSerializer(seen).data)
