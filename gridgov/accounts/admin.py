from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gridgov.accounts import throttle
from gridgov.accounts.forms import ThrottledAdminAuthenticationForm
from gridgov.accounts.models import ApiToken, Department, LoginAttempt, LoginCounter, User

# The admin's own login page goes through the same throttle as the site's.
admin.site.login_form = ThrottledAdminAuthenticationForm


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


class LockedNowFilter(admin.SimpleListFilter):
    title = _("locked now")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(locked_until__gt=now)
        return queryset


@admin.register(LoginCounter)
class LoginCounterAdmin(admin.ModelAdmin):
    """Who is locked out of logging in, and the action to let them back in."""

    list_display = ["key", "kind", "failures", "first_failure_at", "locked_until"]
    list_filter = [LockedNowFilter, "kind"]
    search_fields = ["key"]
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Unlock the selected accounts and addresses"))
    def unlock(self, request, queryset):
        count = throttle.unlock(queryset)
        self.message_user(
            request,
            ngettext("%(count)d lock lifted.", "%(count)d locks lifted.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    """The login audit: read only."""

    list_display = ["at", "username", "address", "outcome", "door"]
    list_filter = ["outcome", "door"]
    search_fields = ["username", "address"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
