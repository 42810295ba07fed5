from django.contrib import admin

from gridgov.triage.models import (
    ProactiveTask,
    TriageCategorySetting,
    TriageModel,
    TriageSuggestion,
)


@admin.register(TriageModel)
class TriageModelAdmin(admin.ModelAdmin):
    list_display = ["version", "kind", "created_at", "is_active"]
    list_filter = ["kind", "is_active"]
    # The file is unpickled when loaded: only `gridgov triage train` writes it.
    readonly_fields = ["version", "kind", "created_at", "labels", "metrics", "file_path"]

    def has_add_permission(self, request):
        return False


@admin.register(TriageCategorySetting)
class TriageCategorySettingAdmin(admin.ModelAdmin):
    list_display = ["category", "auto_dispatch", "threshold"]
    list_filter = ["auto_dispatch"]
    raw_id_fields = ["category"]
    search_fields = ["category__code", "category__name"]


@admin.register(TriageSuggestion)
class TriageSuggestionAdmin(admin.ModelAdmin):
    list_display = ["case", "label", "category", "unit", "confidence", "decision", "created_at"]
    list_filter = ["decision", "model"]
    raw_id_fields = ["case", "category", "model"]
    search_fields = ["case__number", "label"]


@admin.register(ProactiveTask)
class ProactiveTaskAdmin(admin.ModelAdmin):
    list_display = ["month", "category", "region", "case", "case_count", "created_by"]
    list_filter = ["month"]
    search_fields = ["case__number", "category__name", "region__name"]
    # Made from the hot-spots page with its counts; the case is where the work happens.
    readonly_fields = [
        "case",
        "category",
        "region",
        "month",
        "case_count",
        "previous_count",
        "grid_count",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False
