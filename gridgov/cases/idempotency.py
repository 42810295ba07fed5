"""The idempotency key of a submission through a web form (/report/, /cases/new/).

The page's script puts a fresh random key in a hidden field, so that a double click or a
resent form makes one case. The key is anyone's to type, so it is stored only with the
client it came from hashed in (services.client_idempotency_key): a signed-in user by their
account, a visitor by their browser's CSRF secret, which no other visitor can read.
"""

from gridgov.cases import services
from gridgov.lib.ratelimit import client_ip

WEB_DOOR = "web"


def form_idempotency_key(request) -> str | None:
    raw = (request.POST.get("idempotency_key") or "").strip()
    if not raw:
        return None
    if len(raw) > services.IDEMPOTENCY_KEY_MAX or not raw.isprintable():
        # Not what the page's script makes.
        raise services.bad_idempotency_key()
    return services.client_idempotency_key(WEB_DOOR, _client(request), raw)


def _client(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    # Set by CsrfViewMiddleware from the visitor's cookie; a client without one (a script
    # posting the form by hand) is known by its address only.
    secret = request.META.get("CSRF_COOKIE")
    return f"browser:{secret}" if secret else f"address:{client_ip(request)}"
