"""How a program proves who it is: `Authorization: Bearer <token>` (an ApiToken).

`bearer_user(request)` is the plain helper (Open311 reuses it for its api_key too);
`BearerTokenAuthentication` is the DRF class built on it. A bad token is refused outright
(401 with WWW-Authenticate) rather than treated as anonymous, so that a client with a
revoked key learns it instead of quietly losing its scope.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from gridgov.accounts.models import ApiToken

KEYWORD = "Bearer"
REALM = "gridgov"


class BadToken(Exception):
    """An Authorization header that names a token which does not authenticate."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


def raw_bearer(request) -> str | None:
    """The raw token of an `Authorization: Bearer …` header, None when there is no such
    header; raises BadToken for a Bearer header that is malformed."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    parts = header.split()
    if not parts or parts[0].lower() != KEYWORD.lower():
        return None
    if len(parts) != 2:
        raise BadToken(_("Send the header as: Authorization: Bearer <token>."))
    return parts[1]


def user_for_token(raw: str):
    """The active user a raw token belongs to; raises BadToken when it authenticates no one."""
    user = ApiToken.objects.authenticate(raw)
    if user is None:
        raise BadToken(_("The token is not valid: it is unknown, revoked or its user inactive."))
    return user


def bearer_user(request):
    """The user of the request's Bearer token, None without one; BadToken for a bad one."""
    raw = raw_bearer(request)
    return None if raw is None else user_for_token(raw)


def www_authenticate(error: str | None = "invalid_token") -> str:
    value = f'{KEYWORD} realm="{REALM}"'
    return f'{value}, error="{error}"' if error else value


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication for `Authorization: Bearer <token>`."""

    def authenticate(self, request):
        try:
            user = bearer_user(request)
        except BadToken as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None
        return None if user is None else (user, None)

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to an unauthenticated request, with this challenge.
        return www_authenticate(error=None)


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The signed-in browser (the docs page): DRF's session auth, which enforces CSRF for
    unsafe methods. Only the Bearer class answers the challenge, so 401 stays 401."""
