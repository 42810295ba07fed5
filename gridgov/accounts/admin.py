from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import ApiToken, Department, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "region", "is_active"]
    list_filter = ["is_active", "short_name"]
    search_fields = ["name", "short_name", "code"]
    raw_id_fields = ["region"]
    list_select_related = ["region"]


class GridgovUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean(self):
        cleaned = super().clean()
        region = cleaned.get("region")
        outside = [
            grid.name
            for grid in cleaned.get("grids") or []
            if region is None or not grid.path.startswith(region.path)
        ]
        if outside:
            raise ValidationError(
                _("These grids are outside the region the user acts for: %(grids)s"),
                params={"grids": "、".join(outside)},
            )
        return cleaned


@admin.register(User)
class GridgovUserAdmin(UserAdmin):
    form = GridgovUserChangeForm
    list_display = ["username", "display_name", "role", "region", "department", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "region__name", "department__name"]
    raw_id_fields = ["region", "department", "grids"]
    list_select_related = ["region", "department"]
    fieldsets = UserAdmin.fieldsets + (
        (
            _("Role and scope"),
            {"fields": ["display_name", "role", "region", "department", "grids"]},
        ),
    )
    add_fieldsets = UserAdmin.add_fieldsets + (
        (_("Role and scope"), {"fields": ["display_name", "role", "region", "department"]}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here too; the raw key is shown once, in the success message."""

    list_display = ["user", "name", "hint", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "hint"]
    raw_id_fields = ["user"]
    fields = ["user", "name", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = ApiToken.issue(obj.user, obj.name)
        obj.pk = token.pk
        obj.key_hash, obj.hint = token.key_hash, token.hint
        messages.warning(
            request,
            _("Token for %(user)s (copy it now, it is not shown again): %(token)s")
            % {"user": obj.user, "token": raw},
        )
