"""Under /api/ every answer is JSON, whatever produced it.

DRF views answer errors in the API's error shape already (gridgov.api.errors). What is left
is what happens outside them: a URL that matches nothing (404), a method a non-DRF view
refuses (405), a crash (500), a body over the size limit (413, refused before anything
reads it). Outside /api/ this middleware does nothing.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.api.errors import json_error

API_PREFIX = "/api/"
# Headers an error answer must keep when its body is replaced.
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Vary")


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def max_body_bytes() -> int:
    return settings.GRIDGOV_API_MAX_BODY_BYTES


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_request(request):
            return self.get_response(request)
        refused = self._refuse_oversized(request)
        if refused is not None:
            return refused
        return self._as_json(self.get_response(request))

    def _refuse_oversized(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return json_error(400, _("The Content-Length header is not a number."), "parse_error")
        limit = max_body_bytes()
        if length > limit:
            return json_error(
                413,
                _("The request body is larger than %(limit)s bytes (%(mb).1f MB).")
                % {"limit": limit, "mb": limit / 2**20},
                "too_large",
            )
        return None

    def _as_json(self, response):
        if response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if "json" in content_type:
            return response
        replacement = json_error(response.status_code)
        for header in KEPT_HEADERS:
            if response.has_header(header):
                replacement[header] = response[header]
        return replacement
