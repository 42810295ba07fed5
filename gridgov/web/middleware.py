import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

# Programs calling the API or Open311 have no menu to pick a language from; they say
# which one they want in the standard Accept-Language header.
MACHINE_PATH_PREFIXES = ("/api/", "/open311/")


class SiteLanguageMiddleware:
    """Chinese unless the user chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language, which on most
    government PCs and test browsers says English; the site's language should be the
    deployment's LANGUAGE_CODE until a user picks another from the menu (a cookie).
    Machine interfaces are the exception: there Accept-Language is the only way to ask.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.offered = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        translation.activate(self.language_for(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response

    def language_for(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in self.offered:
            return chosen
        if request.path.startswith(MACHINE_PATH_PREFIXES) and request.headers.get(
            "Accept-Language"
        ):
            return translation.get_language_from_request(request)
        return settings.LANGUAGE_CODE


class RefuseNulMiddleware:
    """A NUL character in the path or the query string is refused with 400.

    No page or filter means one, and PostgreSQL cannot compare text holding it: a look-up
    would fail with a server error instead of a plain "bad request". Submitted form fields
    are already refused by Django's form fields.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(MACHINE_PATH_PREFIXES):
            # The API and Open311 check their own input and answer in their own error
            # formats, naming the parameter.
            return self.get_response(request)
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                _("The address holds a NUL character (%00), which no page accepts."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class NotAllowedPageMiddleware:
    """A page asked with the wrong method answers with the site's 405 page.

    require_http_methods answers 405 with an empty body, which a browser shows as a blank
    page. The API and Open311 answer 405 in their own formats.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 405
            or response.streaming
            or response.content
            or request.path.startswith(MACHINE_PATH_PREFIXES)
        ):
            return response
        page = render(request, "405.html", {"method": request.method}, status=405)
        page["Allow"] = response["Allow"]
        return page


def tile_source(url: str) -> str | None:
    """The CSP source that lets the map load MAP_TILE_URL's tiles; None when they come from
    this site. A subdomain template (`https://{s}.tile.example.cn/…`) becomes a wildcard."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    host = re.sub(r"^\{[^}]*\}\.", "*.", parts.netloc)
    if "{" in host or parts.scheme not in {"http", "https"}:
        raise ImproperlyConfigured(
            f"MAP_TILE_URL {url!r} must be an http or https address whose placeholders are in "
            "the path or the first part of the host name, e.g. "
            "https://{s}.tiles.example.gov.cn/{z}/{x}/{y}.png."
        )
    return f"{parts.scheme}://{host}"


def content_security_policy() -> str:
    images = ["'self'", "data:"]
    tiles = tile_source(settings.MAP_TILE_URL)
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        # Scripts only from the site's own files: no inline script or handler runs, so
        # text someone typed can never execute even if a page forgot to escape it.
        "script-src": ["'self'"],
        # Leaflet positions the map's panes and markers with style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy on every response that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
