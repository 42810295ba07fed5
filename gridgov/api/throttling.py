"""Rate limits of the API: anonymous intake, per client address."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from gridgov.lib.ratelimit import client_ip


class AnonymousIntakeThrottle(SimpleRateThrottle):
    """Counts POSTs by anonymous clients, per address; `anon_intake` in
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] sets the rate (API_ANON_INTAKES_PER_HOUR)."""

    scope = "anon_intake"

    def get_rate(self):
        # Read at each request (DRF reads it once at import), so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        # DRF's own get_ident believes X-Forwarded-For, which any client can forge.
        return client_ip(request)

    def get_cache_key(self, request, view):
        if request.method != "POST" or request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
