"""Read models: what the API shows of each resource. Nothing is ever written through them;
every write goes through gridgov.cases.services.

A reporter is shown masked (张*), never with a phone, not even masked: the last four
digits are what the public tracking page asks for. Free text (title, description, address,
result, the notes of the history) is shown with phone and ID card numbers and the
reporter's own name and phone masked, as Open311 publishes it: unmasked contact details
are reachable only through the audited reveal on the case page.
"""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridgov.accounts.choices import Role
from gridgov.accounts.models import Department
from gridgov.cases.choices import Action
from gridgov.cases.models import Assignment, Attachment, Case, CaseEvent, Category
from gridgov.lib.masking import mask_contacts, mask_name
from gridgov.regions.models import Region

DEADLINE_STATES = ["ok", "approaching", "overdue", "none"]
FREE_TEXT = ("title", "description", "address", "result")


def without_contacts(text, reporter):
    """Free text with the contact details in it masked (see the module docstring)."""
    if not text:
        return text
    if reporter is None:
        return mask_contacts(text)
    return mask_contacts(text, reporter.name, reporter.phone)


def mask_free_text(data: dict, reporter) -> dict:
    for name in FREE_TEXT:
        if name in data:
            data[name] = without_contacts(data[name], reporter)
    return data


# --- regions, categories, departments ----------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    """Expects the queryset annotated by views.region_queryset (parent_code, has_boundary)."""

    parent = serializers.CharField(source="parent_code", allow_null=True, read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    has_boundary = serializers.BooleanField(read_only=True)

    class Meta:
        model = Region
        fields = [
            "code",
            "name",
            "level",
            "level_label",
            "parent",
            "datum",
            "area_m2",
            "centroid_lng",
            "centroid_lat",
            "has_boundary",
        ]
        read_only_fields = fields


class RegionDetailSerializer(RegionSerializer):
    boundary = serializers.JSONField(
        read_only=True, help_text="GeoJSON geometry (Polygon or MultiPolygon) in the datum given."
    )

    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "boundary"]
        read_only_fields = fields


class GeoJSONFeatureSerializer(serializers.Serializer):
    """A region as a GeoJSON Feature (application/geo+json)."""

    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.CharField()
    geometry = serializers.JSONField(allow_null=True)
    properties = serializers.DictField()


def region_feature(region: Region) -> dict:
    return {
        "type": "Feature",
        "id": region.code,
        "geometry": region.boundary,
        "properties": {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "parent": getattr(region, "parent_code", None),
            # GeoJSON means WGS-84; a boundary in GCJ-02 says so here, as the pages' map does.
            "datum": region.datum,
            "area_m2": region.area_m2,
        },
    }


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_code", allow_null=True, read_only=True)
    default_department = serializers.CharField(source="department_short_name", read_only=True)
    is_leaf = serializers.BooleanField(
        read_only=True, help_text="Cases are filed under leaf categories."
    )

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "kind",
            "parent",
            "owner",
            "default_urgency",
            "default_department",
            "standard",
            "is_leaf",
        ]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "short_name", "region", "region_name", "is_active"]
        read_only_fields = fields


# --- cases -------------------------------------------------------------------------


class CaseSummarySerializer(serializers.ModelSerializer):
    """One row of a case list."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category = serializers.SerializerMethodField()
    category_name = serializers.SerializerMethodField()
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    current_due_at = serializers.SerializerMethodField()
    deadline_state = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number",
            "url",
            "title",
            "status",
            "status_label",
            "channel",
            "case_type",
            "category",
            "category_name",
            "urgency",
            "region",
            "region_name",
            "address",
            "lng",
            "lat",
            "datum",
            "received_at",
            "updated_at",
            "current_due_at",
            "deadline_state",
            "in_dispute",
            "version",
        ]
        read_only_fields = fields

    def to_representation(self, case):
        reporter = case.reporter if case.reporter_id else None
        return mask_free_text(super().to_representation(case), reporter)

    def _now(self):
        return self.context.setdefault("now", timezone.now())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_category(self, case):
        return case.category.code if case.category_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_category_name(self, case):
        return case.category.name if case.category_id else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_current_due_at(self, case):
        due = case.current_due_at()
        return None if due is None else serializers.DateTimeField().to_representation(due)

    @extend_schema_field(serializers.ChoiceField(choices=DEADLINE_STATES))
    def get_deadline_state(self, case):
        return case.deadline_state(self._now())

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, case):
        path = reverse("api:case-detail", args=[case.number])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReporterSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked: the first character and asterisks.")


class EventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "action",
            "action_label",
            "from_status",
            "to_status",
            "actor",
            "actor_role",
            "unit",
            "note",
            "data",
            "created_at",
            "attachments",
        ]
        read_only_fields = fields

    def to_representation(self, event):
        data = super().to_representation(event)
        data["note"] = without_contacts(data["note"], self.context.get("reporter"))
        return data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event):
        if event.actor_id is None:
            return None
        name = str(event.actor)
        # Residents act as reporters: shown masked like the reporter.
        return mask_name(name) if event.actor.role == Role.RESIDENT else name

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_attachments(self, event):
        if written := self.context.get("intake"):
            return [attachment.pk for attachment in written.attachments]
        return [attachment.pk for attachment in event.attachments.all()]


class AssignmentSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    code = serializers.SerializerMethodField()
    name = serializers.CharField(source="unit_name", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "kind",
            "code",
            "name",
            "role",
            "state",
            "explanation",
            "dispatched_at",
            "accepted_at",
            "summoned",
            "report_in_due_at",
            "reported_in_at",
            "response_rating",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["department", "office"]))
    def get_kind(self, assignment):
        return "department" if assignment.department_id else "office"

    @extend_schema_field(serializers.CharField())
    def get_code(self, assignment):
        return assignment.department.code if assignment.department_id else assignment.office.code


class AttachmentSerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="event_id", allow_null=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "event", "content_type", "size", "created_at", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment):
        path = reverse("api:case-photo", args=[attachment.case.number, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class CaseDetailSerializer(CaseSummarySerializer):
    """One case with its history: what the case page shows, less the reporter's phone."""

    reporter = serializers.SerializerMethodField()
    master = serializers.SerializerMethodField()
    duplicates = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    assignments = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="The actions you may take on this case now (POST …/actions/{action})."
    )

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "description",
            "reporter",
            "result",
            "solved",
            "satisfaction",
            "master",
            "duplicates",
            "registered_at",
            "dispatched_at",
            "accepted_at",
            "replied_at",
            "verified_at",
            "closed_at",
            "rated_at",
            "accept_due_at",
            "reply_due_at",
            "verify_due_at",
            "due_at",
            "overdue_at",
            "deadline_warning",
            "return_count",
            "rework_count",
            "reopen_count",
            "supervision_count",
            "extension_count",
            "actions",
            "assignments",
            "events",
            "attachments",
        ]
        read_only_fields = fields

    @extend_schema_field(ReporterSerializer(allow_null=True))
    def get_reporter(self, case):
        if case.reporter_id is None:
            return None
        return {"name": case.reporter.masked_name}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_master(self, case):
        return case.master.number if case.master_id else None

    def _written(self):
        """For a case intake has just written (context "intake", a services.IntakeResult):
        its whole history is the one event and its photos, already in memory."""
        return self.context.get("intake")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_duplicates(self, case):
        if self._written():
            return []  # nothing can have been merged into a case not yet committed
        user = self.context["request"].user
        visible = Case.objects.visible_to(user).filter(master=case).order_by("received_at")
        return list(visible.values_list("number", flat=True))

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, case):
        if written := self._written():
            events = [written.event]
        else:
            events = case.events.select_related("actor").prefetch_related("attachments")
        reporter = case.reporter if case.reporter_id else None
        context = {**self.context, "reporter": reporter}
        return EventSerializer(events, many=True, context=context).data

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, case):
        if self._written():
            return []
        assignments = case.assignments.select_related("department", "office")
        return AssignmentSerializer(assignments, many=True, context=self.context).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, case):
        if written := self._written():
            attachments = written.attachments
        else:
            attachments = case.attachments.select_related("case").order_by("created_at", "pk")
        return AttachmentSerializer(attachments, many=True, context=self.context).data

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=Action.choices))
    )
    def get_actions(self, case):
        from gridgov.cases.services import available_actions

        return available_actions(self.context["request"].user, case)


class CaseReceiptSerializer(serializers.ModelSerializer):
    """What an intake answers a client who cannot see the case (an anonymous reporter):
    the number to follow it by, and no more."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Case
        fields = ["number", "title", "status", "status_label", "received_at"]
        read_only_fields = fields

    def to_representation(self, case):
        reporter = case.reporter if case.reporter_id else None
        return mask_free_text(super().to_representation(case), reporter)


# --- metrics -----------------------------------------------------------------------


class RatesSerializer(serializers.Serializer):
    response = serializers.FloatField(allow_null=True, help_text="响应率")
    resolution = serializers.FloatField(allow_null=True, help_text="解决率")
    satisfaction = serializers.FloatField(allow_null=True, help_text="满意率")
    on_time = serializers.FloatField(allow_null=True, help_text="按期结案率")
    rework = serializers.FloatField(allow_null=True, help_text="返工率 (lower is better)")
    extension = serializers.FloatField(allow_null=True, help_text="延期率 (lower is better)")


class FiguresSerializer(serializers.Serializer):
    """gridgov.metrics.figures.Figures: counts, the numerators and denominators of the rates,
    and the rates (None where the denominator is zero)."""

    kind = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    received = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed = serializers.IntegerField()
    response_base = serializers.IntegerField()
    responded_on_time = serializers.IntegerField()
    dispatched = serializers.IntegerField()
    extended = serializers.IntegerField()
    rated = serializers.IntegerField()
    solved = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    basically_satisfied = serializers.IntegerField()
    due = serializers.IntegerField()
    closed_on_time = serializers.IntegerField()
    replied = serializers.IntegerField()
    reworked = serializers.IntegerField()
    avg_handling_hours = serializers.FloatField(allow_null=True)
    rates = RatesSerializer()


class RankedFiguresSerializer(FiguresSerializer):
    position = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    assigned = serializers.IntegerField(required=False)
    returned = serializers.IntegerField(required=False)


class MetricsRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MetricsSerializer(serializers.Serializer):
    region = MetricsRegionSerializer()
    period_from = serializers.DateField(help_text="First day of the period.")
    period_to = serializers.DateField(help_text="Last day of the period, included.")
    figures = FiguresSerializer()
    by = serializers.ChoiceField(choices=["units", "children"], required=False)
    weights = serializers.DictField(child=serializers.FloatField(), required=False)
    rows = RankedFiguresSerializer(many=True, required=False)

    def get_fields(self):
        fields = super().get_fields()
        # The period is named as in the query: from and to (Python keywords).
        fields["from"] = fields.pop("period_from")
        fields["to"] = fields.pop("period_to")
        return fields


# --- who am I ----------------------------------------------------------------------


class WorklistSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    department = serializers.CharField(allow_null=True)
    grids = serializers.ListField(child=serializers.CharField())
    worklists = WorklistSerializer(many=True)


# --- locate ------------------------------------------------------------------------


class LocatedRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class LocateSerializer(serializers.Serializer):
    inside = serializers.BooleanField()
    fallback = serializers.BooleanField(required=False)
    message = serializers.CharField(required=False)
    region = LocatedRegionSerializer(required=False)
