from django.contrib import admin

from gridgov.open311.models import RequestAttributes, ServiceAttribute


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "code", "description", "datatype", "required", "variable", "order"]
    list_filter = ["datatype", "required", "variable"]
    search_fields = ["code", "description", "category__code", "category__name"]
    raw_id_fields = ["category"]
    ordering = ["category__code", "order", "code"]


@admin.register(RequestAttributes)
class RequestAttributesAdmin(admin.ModelAdmin):
    """Read-only: what arrived with a case posted through Open311."""

    list_display = ["case", "created_at", "media_url"]
    search_fields = ["case__number"]
    readonly_fields = [
        "case",
        "values",
        "media_url",
        "device_id",
        "account_id",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
