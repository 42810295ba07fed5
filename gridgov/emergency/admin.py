"""Emergency mode in the admin. Policy versions are edited here (the model checks the
rules and refuses to change a version in force); everything else is made by the pages and
the commands in services.py, arrivals.py and figures.py, which check rights and keep
history, so here it is read-only. Arrivals show their people masked."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.emergency.models import (
    Arrival,
    Certification,
    DailyFigure,
    EmergencyArea,
    PolicyVersion,
    RiskArea,
    RiskAreaChange,
)
from gridgov.registry.admin import ReadOnlyAdmin


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "title", "active_from", "activated_by", "created_by"]
    search_fields = ["title"]
    fields = [
        "title",
        "active_from",
        "rules",
        "note",
        "number",
        "created_by",
        "activated_by",
        "created_at",
    ]
    readonly_fields = ["number", "created_by", "activated_by", "created_at"]

    @admin.display(description=_("version"), ordering="number")
    def label(self, version):
        return version.label

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if "active_from" in form.changed_data:
            obj.activated_by = request.user if obj.active_from else None
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # Decisions were made under a version in force: only drafts and versions still
        # to come go.
        return super().has_delete_permission(request, obj) and not (obj and obj.is_frozen())


@admin.register(EmergencyArea)
class EmergencyAreaAdmin(ReadOnlyAdmin):
    list_display = ["region", "opened_at", "opened_by", "closed_at", "closed_by"]
    list_select_related = ["region", "opened_by", "closed_by"]
    search_fields = ["region__name", "region__code"]
    fields = [
        "region",
        "reason",
        "opened_by",
        "opened_at",
        "closed_by",
        "closed_at",
        "close_reason",
    ]


class RiskAreaChangeInline(admin.TabularInline):
    model = RiskAreaChange
    fields = ["on", "from_level", "to_level", "reason", "policy_version", "by", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RiskArea)
class RiskAreaAdmin(ReadOnlyAdmin):
    list_display = ["name", "level", "code", "started_on", "level_since", "ended_on"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    fields = [
        "name",
        "level",
        "region",
        "division_code",
        "code",
        "detail",
        "reason",
        "started_on",
        "level_since",
        "last_case_on",
        "ended_on",
        "created_by",
        "created_at",
    ]
    inlines = [RiskAreaChangeInline]


@admin.register(Arrival)
class ArrivalAdmin(ReadOnlyAdmin):
    list_display = ["masked_name", "origin_name", "arrived_at", "reported_at", "risk_level", "late"]
    list_filter = ["risk_level", "late", "channel"]
    # By origin and place only: numbers are found by their blind index, not a text search.
    search_fields = ["origin_name", "origin_code", "address"]
    fields = [
        "masked_name",
        "document_type",
        "masked_document",
        "masked_phone",
        "origin_code",
        "origin_name",
        "left_on",
        "arrived_at",
        "reported_at",
        "channel",
        "reporter_name",
        "region",
        "address",
        "risk_level",
        "late",
        "hours_late",
        "policy_version",
        "explanation",
    ]

    @admin.display(description=_("name"))
    def masked_name(self, arrival):
        return arrival.masked_name

    @admin.display(description=_("ID document number"))
    def masked_document(self, arrival):
        return arrival.masked_document

    @admin.display(description=_("phone"))
    def masked_phone(self, arrival):
        return arrival.masked_phone


@admin.register(DailyFigure)
class DailyFigureAdmin(ReadOnlyAdmin):
    list_display = ["region", "day", *DailyFigure.COUNTS]
    list_select_related = ["region"]
    search_fields = ["region__name", "region__code"]
    date_hierarchy = "day"
    fields = ["region", "day", *DailyFigure.COUNTS, "entered_by", "entered_at"]


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = ["region", "state", "clear_since", "applied_at", "decided_at"]
    list_filter = ["state"]
    list_select_related = ["region"]
    search_fields = ["region__name", "region__code"]
    fields = [
        "region",
        "state",
        "clear_since",
        "explanation",
        "policy_version",
        "applied_by",
        "applied_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "ended_at",
        "ended_reason",
    ]
