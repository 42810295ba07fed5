"""Regions, the category catalogue, departments, metrics, who-am-I and locate.

Thin: every read starts from the model's `visible_to(user)` (out of scope is 404, exactly as
on the pages); cases live in case_views.py.
"""

import math
from datetime import datetime, time, timedelta

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.models import Department
from gridgov.api import schema
from gridgov.api.filters import (
    CategoryFilterSerializer,
    MetricsQuerySerializer,
    RegionFilterSerializer,
)
from gridgov.api.pagination import CodeCursorPagination, PathCursorPagination
from gridgov.api.serializers import (
    CategorySerializer,
    DepartmentSerializer,
    GeoJSONFeatureSerializer,
    LocateSerializer,
    MeSerializer,
    MetricsSerializer,
    RegionDetailSerializer,
    RegionSerializer,
    region_feature,
)
from gridgov.cases import queries
from gridgov.cases.models import Category
from gridgov.metrics.figures import (
    rank,
    ranking_weights,
    region_and_child_figures,
    region_figures,
    unit_figures,
)
from gridgov.regions.choices import Datum
from gridgov.regions.locate import OutsideServiceArea, locate
from gridgov.regions.models import Region


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


def region_queryset(user):
    return Region.objects.visible_to(user).annotate(
        parent_code=F("parent__code"),
        has_boundary=ExpressionWrapper(Q(boundary__isnull=False), output_field=BooleanField()),
    )


def visible_region_or_404(user, code) -> Region:
    region = region_queryset(user).filter(code=code).first()
    if region is None:
        raise exceptions.NotFound()
    return region


# --- regions -------------------------------------------------------------------------


@extend_schema(
    tags=["regions"],
    summary="List regions",
    description="The regions you may see (your region's subtree), in path order. "
    "Boundaries are left out here: fetch one region for its boundary.",
    parameters=[RegionFilterSerializer],
    responses={200: RegionSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
)
class RegionListView(generics.ListAPIView):
    serializer_class = RegionSerializer
    pagination_class = PathCursorPagination

    def get_queryset(self):
        query = RegionFilterSerializer(
            data=self.request.query_params, context={"request": self.request}
        )
        query.is_valid(raise_exception=True)
        return query.apply(region_queryset(self.request.user).defer("boundary"))


@extend_schema(
    tags=["regions"],
    summary="One region with its boundary",
    description="`?format=geojson` (or `Accept: application/geo+json`) answers a GeoJSON "
    "Feature instead; the boundary is in the region's datum (`datum`: gcj02 or wgs84).",
    parameters=[
        OpenApiParameter(
            "format", str, enum=["json", "geojson"], description="geojson: a GeoJSON Feature."
        )
    ],
    responses={
        (200, "application/json"): RegionDetailSerializer,
        (200, "application/geo+json"): GeoJSONFeatureSerializer,
        **schema.ERRORS,
    },
)
class RegionDetailView(APIView):
    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    def get(self, request, code):
        region = visible_region_or_404(request.user, code)
        if request.accepted_renderer.format == "geojson":
            return Response(region_feature(region))
        return Response(RegionDetailSerializer(region).data)


@extend_schema(
    tags=["regions"],
    summary="A region's boundary as GeoJSON",
    responses={(200, "application/geo+json"): GeoJSONFeatureSerializer, **schema.ERRORS},
)
class RegionBoundaryView(APIView):
    renderer_classes = [GeoJSONRenderer]

    def get(self, request, code):
        return Response(region_feature(visible_region_or_404(request.user, code)))


# --- categories and departments ------------------------------------------------------


@extend_schema(
    tags=["catalogue"],
    summary="The category catalogue",
    description="Active categories (部件/事件 classes and hotline subjects), in code order. "
    "Public: a reporter needs the codes to file a case. Cases are filed under leaves.",
    parameters=[CategoryFilterSerializer],
    responses={200: CategorySerializer(many=True), 400: schema.BAD_INPUT},
)
class CategoryListView(generics.ListAPIView):
    serializer_class = CategorySerializer
    pagination_class = CodeCursorPagination
    permission_classes = [AllowAny]

    def get_queryset(self):
        query = CategoryFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        children = Category.objects.filter(parent=OuterRef("pk"))
        categories = Category.objects.filter(is_active=True).annotate(
            parent_code=F("parent__code"), is_leaf=~Exists(children)
        )
        return query.apply(categories)


@extend_schema(
    tags=["catalogue"],
    summary="Departments",
    description="The departments serving regions you may see.",
    responses={200: DepartmentSerializer(many=True), **schema.ERRORS},
)
class DepartmentListView(generics.ListAPIView):
    serializer_class = DepartmentSerializer
    pagination_class = CodeCursorPagination

    def get_queryset(self):
        return Department.objects.visible_to(self.request.user).select_related("region")


# --- metrics -------------------------------------------------------------------------


def _midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@extend_schema(
    tags=["metrics"],
    summary="A region's figures for a period",
    description="The figures of `gridgov.metrics.figures.region_figures` for the cases "
    "received in [from, to] (whole days, local time) anywhere under the region: counts, "
    "the response, resolution and satisfaction rates, on-time closure, rework, extension "
    "and average handling time. `by=units` or `by=children` adds ranked rows. The region "
    "must be one you may see (else 404).",
    parameters=[MetricsQuerySerializer],
    responses={200: MetricsSerializer, 400: schema.BAD_INPUT, **schema.ERRORS},
    examples=[
        OpenApiExample(
            "A street in March",
            response_only=True,
            value={
                "region": {"code": "990101001000", "name": "望江街道"},
                "from": "2026-03-01",
                "to": "2026-03-31",
                "figures": {
                    "kind": "street",
                    "code": "990101001000",
                    "name": "望江街道",
                    "received": 120,
                    "open": 14,
                    "overdue": 2,
                    "closed": 101,
                    "rates": {
                        "response": 0.97,
                        "resolution": 0.9,
                        "satisfaction": 0.93,
                        "on_time": 0.95,
                        "rework": 0.04,
                        "extension": 0.02,
                    },
                    "avg_handling_hours": 30.5,
                },
            },
        )
    ],
)
class MetricsView(APIView):
    def get(self, request):
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        region = (
            Region.objects.visible_to(request.user)
            .filter(code=query.validated_data["region"])
            .first()
        )
        if region is None:
            raise exceptions.NotFound()
        first, last = query.period()
        period = (_midnight(first), _midnight(last + timedelta(days=1)))
        now = timezone.now()
        by = query.validated_data.get("by")
        if by == "children":
            # The region's figures are the sum of its children's groups: one query for both.
            figures, rows = region_and_child_figures(region, *period, now=now)
        else:
            figures = region_figures(region, *period, now=now)
            rows = unit_figures(*period, region=region, now=now) if by == "units" else []
        payload = {
            "region": {"code": region.code, "name": region.name},
            "from": first,
            "to": last,
            "figures": figures.as_dict(),
        }
        if by:
            payload["by"] = by
            payload["weights"] = ranking_weights()
            payload["rows"] = [
                {"position": item.position, "score": item.score, **item.figures.as_dict()}
                for item in rank(rows)
            ]
        return Response(MetricsSerializer(payload).data)


# --- me, locate ----------------------------------------------------------------------


@extend_schema(
    tags=["me"],
    summary="Who the token (or session) acts as",
    responses={200: MeSerializer, 401: schema.UNAUTHENTICATED},
)
class MeView(APIView):
    def get(self, request):
        user = request.user
        department = user.department if user.department_id else None
        payload = {
            "username": user.username,
            "name": str(user),
            "role": "administrator" if user.is_superuser else user.role,
            "region": user.region.code if user.region_id else None,
            "department": department.code if department else None,
            "grids": list(user.grids.order_by("code").values_list("code", flat=True)),
            "worklists": [
                {"key": w.key, "label": str(w.label)} for w in queries.worklists_for(user)
            ],
        }
        return Response(MeSerializer(payload).data)


class LocateQuerySerializer(serializers.Serializer):
    lng = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    datum = serializers.ChoiceField(
        choices=Datum.choices,
        default=Datum.WGS84,
        help_text=gettext_lazy("The datum of the point: wgs84 (GPS) or gcj02 (web maps)."),
    )

    def validate(self, attrs):
        for name in ("lng", "lat"):
            if not math.isfinite(attrs[name]):
                raise serializers.ValidationError({name: [_("Give a finite number.")]})
        return attrs


@extend_schema(
    tags=["regions"],
    summary="Which grid a point lies in",
    description="The deepest region holding the point: its grid, or where the area is not "
    "yet gridded, the community, street or district answerable for it (属地兜底).",
    parameters=[LocateQuerySerializer],
    responses={200: LocateSerializer, 400: schema.BAD_INPUT, 401: schema.UNAUTHENTICATED},
)
class LocateView(APIView):
    def get(self, request):
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            result = locate(data["lng"], data["lat"], datum=data["datum"])
        except OutsideServiceArea as exc:
            return Response({"inside": False, "message": str(exc)})
        except ValueError as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from None
        region = result.region
        return Response(
            LocateSerializer(
                {
                    "inside": True,
                    "fallback": result.fallback,
                    "region": {"code": region.code, "name": region.name, "level": region.level},
                }
            ).data
        )
