from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.burden import services
from gridgov.burden.models import (
    AdmittedMatter,
    AdmittedMatterVersion,
    Demand,
    DemandRecipient,
    Secondment,
)


class MatterVersionInline(admin.TabularInline):
    model = AdmittedMatterVersion
    fields = ["version", "approved_by", "approved_at", "approval", "fields"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AdmittedMatterForm(forms.ModelForm):
    approval = forms.CharField(
        label=_("approved under"),
        max_length=200,
        help_text=_("The decision or document approving this change; kept with the version."),
    )

    class Meta:
        model = AdmittedMatter
        fields = [
            "code",
            "title",
            "department",
            "basis",
            "community_part",
            "valid_from",
            "valid_to",
        ]


@admin.register(AdmittedMatter)
class AdmittedMatterAdmin(admin.ModelAdmin):
    """The admission list is kept here; saving a matter is approving a new version of it,
    under the approval the form names."""

    list_display = ["code", "title", "department", "valid_from", "valid_to", "version"]
    list_filter = ["department"]
    search_fields = ["code", "title", "basis"]
    inlines = [MatterVersionInline]

    form = AdmittedMatterForm

    def save_model(self, request, obj, form, change):
        services.save_matter(request.user, obj, form.cleaned_data["approval"])

    def has_delete_permission(self, request, obj=None):
        # Demands name matters (PROTECT); a matter leaves the list by its valid_to date.
        return False


class RecipientInline(admin.TabularInline):
    model = DemandRecipient
    fields = ["region", "state", "acted_by", "acted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Demand)
class DemandAdmin(admin.ModelAdmin):
    """Read here; demands are sent and decided on the pages and through the API."""

    list_display = ["title", "kind", "sender_region", "sent_at", "due_at", "admission"]
    list_filter = ["kind", "admission", "holiday_eve", "short_deadline"]
    search_fields = ["title"]
    inlines = [RecipientInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Secondment)
class SecondmentAdmin(admin.ModelAdmin):
    list_display = [
        "person_name",
        "kind",
        "from_region",
        "borrower",
        "started_on",
        "planned_end_on",
        "returned_on",
    ]
    list_filter = ["kind", "returned_on"]
    search_fields = ["person_name", "to_unit"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
