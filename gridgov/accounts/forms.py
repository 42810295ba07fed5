from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridgov.accounts import throttle
from gridgov.lib.ratelimit import client_ip


class ThrottledLoginMixin:
    """Login through the throttle: refused while the account or the address is locked,
    each failure counted, a success clearing the account's count."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        address = client_ip(self.request) if self.request else ""
        door = self.request.path if self.request else ""
        lock = throttle.active_lock(username, address)
        if lock is not None:
            throttle.record_refusal(username, address, door, lock)
            raise self.locked_error(lock)
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if self.user_cache is not None:
                # The password was right; the account may not log in here (inactive, or
                # not staff at the admin's door). That is no guess to count.
                raise
            failure = throttle.record_failure(username, address, door)
            if failure.lock is not None:
                raise self.locked_error(failure.lock) from None
            raise forms.ValidationError(
                [*error.error_list, self.remaining_message(failure.remaining)]
            ) from None
        throttle.record_success(username, address, door)
        return cleaned

    def locked_error(self, lock: throttle.Lock) -> forms.ValidationError:
        if lock.kind == throttle.Kind.ACCOUNT:
            message = _(
                "Too many failed logins: this account is locked. Try again in %(minutes)d "
                "minutes, or ask an administrator to unlock it."
            )
        else:
            message = _(
                "Too many failed logins from this address: logging in from it is paused. "
                "Try again in %(minutes)d minutes."
            )
        return forms.ValidationError(message, code="locked", params={"minutes": lock.minutes_left})

    def remaining_message(self, remaining: int) -> forms.ValidationError:
        minutes = settings.GRIDGOV_LOGIN_THROTTLE["LOCKOUT_MINUTES"]
        return forms.ValidationError(
            ngettext(
                "After %(remaining)d more failed login the account is locked for "
                "%(minutes)d minutes.",
                "After %(remaining)d more failed logins the account is locked for "
                "%(minutes)d minutes.",
                remaining,
            ),
            code="remaining",
            params={"remaining": remaining, "minutes": minutes},
        )


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
