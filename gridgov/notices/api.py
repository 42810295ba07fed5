"""/api/v1/notices: the message centre for API clients (a desk app, a phone app).

The same reads and writes as the page, through gridgov.notices.services; another unit's
notice is a 404, as everywhere in the API."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.api import schema
from gridgov.api.pagination import CaseCursorPagination
from gridgov.lib.masking import mask_contacts
from gridgov.notices import services


class NoticeCursorPagination(CaseCursorPagination):
    # Newest first, as cases are; the id breaks ties between notices of the same instant.
    ordering = ("-created_at", "-id")


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.SerializerMethodField()
    action = serializers.CharField()
    # Staff typed some of it (a return's reason, a case title): contact details are masked,
    # as in every free text the API answers.
    message = serializers.SerializerMethodField()
    case = serializers.CharField(source="case.number")
    case_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    unread = serializers.BooleanField()

    @extend_schema_field(
        serializers.ChoiceField(choices=[kind.key for kind in services.KINDS], allow_null=True)
    )
    def get_kind(self, notice):
        kind = services.KIND_OF_ACTION.get(notice.action)
        return kind.key if kind else None

    def get_message(self, notice) -> str:
        return mask_contacts(notice.message)

    @extend_schema_field(OpenApiTypes.URI)
    def get_case_url(self, notice):
        return self.context["request"].build_absolute_uri(
            reverse("api:case-detail", args=[notice.case.number])
        )


class NoticeFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[kind.key for kind in services.KINDS], required=False, allow_blank=True
    )
    unread = serializers.BooleanField(required=False, default=False)


class UnreadSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())


def _unread(user) -> dict:
    counts = services.unread_counts(user)
    return {
        "total": counts["total"],
        "by_kind": {kind.key: counts[kind.key] for kind in services.KINDS},
    }


@extend_schema(
    tags=["notices"],
    summary="List your notices",
    description="Notices addressed to you, your department or the office you act for, newest "
    "first. `kind`: new, summons, returned, supervision, due_soon, overdue; `unread=true` "
    "for the unread ones only.",
    parameters=[
        OpenApiParameter("kind", str, enum=[kind.key for kind in services.KINDS]),
        OpenApiParameter("unread", bool),
    ],
    responses={200: NoticeSerializer(many=True), 400: schema.BAD_INPUT, **schema.ERRORS},
)
class NoticeListView(generics.ListAPIView):
    serializer_class = NoticeSerializer
    pagination_class = NoticeCursorPagination

    def get_queryset(self):
        filters = NoticeFilterSerializer(data=self.request.query_params)
        # A bad filter is a 400 naming it, never an empty list.
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        kind = services.KINDS_BY_KEY.get(data.get("kind") or "")
        return services.listing(self.request.user, kind, data["unread"])


@extend_schema(
    tags=["notices"],
    summary="Count your unread notices",
    responses={200: UnreadSerializer, **schema.ERRORS},
)
class NoticeUnreadView(APIView):
    def get(self, request):
        return Response(UnreadSerializer(_unread(request.user)).data)


@extend_schema(
    tags=["notices"],
    summary="Mark a notice read",
    description="For you only: your colleagues in the unit still see it unread.",
    request=None,
    responses={200: UnreadSerializer, **schema.ERRORS},
)
class NoticeReadView(APIView):
    def post(self, request, pk: int):
        services.mark_read(request.user, services.access_notice(request.user, pk))
        return Response(UnreadSerializer(_unread(request.user)).data)


@extend_schema(
    tags=["notices"],
    summary="Mark all your notices read",
    description="Every notice you can see now; those written later arrive unread.",
    request=None,
    responses={200: UnreadSerializer, 401: schema.UNAUTHENTICATED},
)
class NoticeReadAllView(APIView):
    def post(self, request):
        services.mark_all_read(request.user)
        return Response(UnreadSerializer(_unread(request.user)).data)
