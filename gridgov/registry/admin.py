"""The registry in the admin. Rooms and tags are kept here (tags are data, not code); the
people, households and organisations are kept through the registry's pages and services,
which validate, de-duplicate and record each change, so here they are read-only. Sealed
columns never appear: personal numbers are shown masked. The change history and the
audit of unmasked views are append-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.registry.models import (
    Dwelling,
    Household,
    Organisation,
    PatrolLog,
    Person,
    PersonalDataView,
    PersonTag,
    RecordChange,
    Room,
    Tag,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and opened, never added, changed or deleted here."""

    def get_readonly_fields(self, request, obj=None):
        return self.fields or []

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sensitivity", "is_active"]
    list_filter = ["sensitivity", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["address", "code", "floor"]
    search_fields = ["address", "code"]
    readonly_fields = ["code", "address"]
    raw_id_fields = ["building"]
    fields = ["building", "unit", "number", "floor", "code", "address"]


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["pk", "room", "moved_in_on", "moved_out_on"]
    search_fields = ["room__address", "room__code"]
    fields = ["room", "moved_in_on", "moved_out_on", "region_path"]


class PersonTagInline(admin.TabularInline):
    model = PersonTag
    fields = ["tag", "since", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["masked_name", "masked_document", "masked_phone", "residence_type", "room"]
    list_filter = ["residence_type", "document_type", "sex"]
    # By name and address only: numbers are found by their blind index, not a text search.
    search_fields = ["name", "household__room__address"]
    list_select_related = ["household__room"]
    fields = [
        "name",
        "sex",
        "birth_date",
        "document_type",
        "masked_document",
        "masked_phone",
        "relation",
        "residence_type",
        "household",
        "moved_in_on",
        "moved_out_on",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [PersonTagInline]

    @admin.display(description=_("room"))
    def room(self, person):
        return person.household.room if person.household_id else "—"

    @admin.display(description=_("ID document number"))
    def masked_document(self, person):
        return person.masked_document

    @admin.display(description=_("phone"))
    def masked_phone(self, person):
        return person.masked_phone

    @admin.display(description=_("name"))
    def masked_name(self, person):
        return person.masked_name


@admin.register(Dwelling)
class DwellingAdmin(ReadOnlyAdmin):
    list_display = ["room", "use", "rented_from", "rented_to"]
    list_filter = ["use"]
    search_fields = ["room__address"]
    fields = ["room", "use", "tenant_household", "rented_from", "rented_to"]


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "building", "contact_name", "masked_contact_phone"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code"]
    fields = [
        "name",
        "kind",
        "credit_code",
        "building",
        "room",
        "contact_name",
        "masked_contact_phone",
        "is_active",
    ]

    @admin.display(description=_("contact phone"))
    def masked_contact_phone(self, organisation):
        return organisation.masked_contact_phone


@admin.register(PatrolLog)
class PatrolLogAdmin(ReadOnlyAdmin):
    list_display = ["visited_at", "grid", "worker", "household", "organisation", "case"]
    list_filter = ["visited_at"]
    fields = ["worker", "grid", "visited_at", "household", "organisation", "found", "case"]


@admin.register(RecordChange)
class RecordChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "record_type", "record_id", "actor", "via"]
    list_filter = ["record_type", "via"]
    search_fields = ["record_type"]
    fields = ["record_type", "record_id", "actor", "via", "changed_at", "changes", "region_path"]


@admin.register(PersonalDataView)
class PersonalDataViewAdmin(ReadOnlyAdmin):
    list_display = ["viewed_at", "user", "person", "record_type", "record_id", "purpose"]
    list_filter = ["record_type"]
    search_fields = ["purpose", "user__username"]
    list_select_related = ["user", "person"]
    fields = ["user", "person", "record_type", "record_id", "purpose", "viewed_at", "region_path"]
