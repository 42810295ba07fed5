from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import (
    Case,
    CaseEvent,
    Category,
    DeadlinePolicy,
    DispatchRule,
    PersonalDataAccess,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "owner",
        "department_short_name",
        "default_urgency",
        "is_active",
    ]
    list_filter = ["kind", "owner", "default_urgency", "is_active", "standard"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "accept_hours", "handle_amount", "handle_unit", "verify_hours"]
    list_filter = ["urgency"]
    raw_id_fields = ["category"]


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "priority", "is_active"]
    list_filter = ["is_active"]
    raw_id_fields = ["category", "region", "department"]
    list_select_related = ["category", "region", "department"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["created_at", "action", "from_status", "to_status", "actor", "unit", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: a case changes only through its actions, so that every change is an event."""

    list_display = ["number", "title", "status", "category", "region", "received_at"]
    list_filter = ["status", "channel", "urgency", "in_dispute"]
    search_fields = ["number", "title"]
    date_hierarchy = "received_at"
    inlines = [CaseEventInline]
    show_full_result_count = False
    exclude = ["reporter"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "case", "purpose"]
    list_filter = ["created_at"]
    search_fields = ["user__username", "case__number"]
    readonly_fields = ["created_at", "user", "case", "reporter", "purpose"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("gridgov administration")
admin.site.site_title = _("gridgov")
