"""Request bodies turned into what the cases' forms read.

The services validate with Django forms, which read a QueryDict (as from an HTML form) and
MultiValueDict files. A JSON body is converted field by field: text and numbers become
text, true/false become "true"/"false", lists are allowed only for the fields that take
several values (departments, photos). Anything else is refused here with a 400 naming the
field, so that nothing a client sends can reach the database as something it cannot store
(PostgreSQL refuses NUL characters; an unpaired surrogate cannot be encoded) or as what it
did not send (a form field that was not UTF-8, which Django decodes to U+FFFD).
"""

import re

from django import forms
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework import exceptions

from gridgov.cases import services
from gridgov.lib.ratelimit import client_ip
from gridgov.lib.validators import text_problem, version_problem

# Header names and the body field of the stale check.
IDEMPOTENCY_HEADER = "Idempotency-Key"
VERSION_FIELD = "version"
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII, no spaces


def multi_valued(form_class) -> set[str]:
    """The fields of a form that take a list."""
    names = set()
    for name, field in form_class.base_fields.items():
        widget = field.widget
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField) or (
            getattr(widget, "allow_multiple_selected", False)
        ):
            names.add(name)
    return names


def _scalar(value):
    """A JSON scalar as form text, or None when it is not a scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def form_input(request, form_class, extra_fields=()) -> tuple[QueryDict, MultiValueDict]:
    """The request's body as (data, files) for `form_class`, keeping only its fields and
    `extra_fields`. Raises a 400 ValidationError naming every field that cannot be read."""
    names = set(form_class.base_fields) | set(extra_fields)
    lists = multi_valued(form_class)
    body = request.data
    if isinstance(body, QueryDict | MultiValueDict):
        data = QueryDict(mutable=True)
        for name in names:
            # Uploaded files sit in request.data too; they are read from request.FILES.
            values = [v for v in body.getlist(name) if isinstance(v, str)]
            if values:
                data.setlist(name, values)
        errors = _text_errors(data, {})
    elif isinstance(body, dict):
        data, errors = json_form_input(body, form_class, extra_fields)
    elif body is not None and body != {}:
        raise exceptions.ValidationError(
            {"non_field_errors": [_("Send a JSON object (or a multipart form).")]}
        )
    else:
        data, errors = QueryDict(mutable=True), {}
    if errors:
        raise exceptions.ValidationError(errors)
    files = MultiValueDict()
    for name in names & lists:
        uploads = request.FILES.getlist(name) if hasattr(request, "FILES") else []
        if uploads:
            files.setlist(name, uploads)
    return data, files


def json_form_input(
    body: dict, form_class, extra_fields=()
) -> tuple[QueryDict, dict[str, list[str]]]:
    """A JSON object as form data for `form_class` (its fields and `extra_fields` only), and
    the errors of the fields that cannot be read, by field name."""
    names = set(form_class.base_fields) | set(extra_fields)
    lists = multi_valued(form_class)
    data = QueryDict(mutable=True)
    errors: dict[str, list[str]] = {}
    for name in names & set(body):
        value = body[name]
        if value is None:
            continue
        if isinstance(value, list):
            if name not in lists:
                errors[name] = [_("Give one value, not a list.")]
                continue
            items = [_scalar(item) for item in value]
            if any(item is None for item in items):
                errors[name] = [_("Give a list of text values.")]
                continue
            data.setlist(name, items)
            continue
        item = _scalar(value)
        if item is None:
            errors[name] = [_("Give text or a number, not an object.")]
            continue
        data.setlist(name, [item])
    return data, _text_errors(data, errors)


def _text_errors(data: QueryDict, errors: dict) -> dict:
    for name in data:
        if name in errors:
            continue
        problems = {text_problem(value) for value in data.getlist(name)} - {None}
        if problems:
            errors[name] = sorted(problems)
    return errors


def expected_version(data: QueryDict) -> str | None:
    """Takes the `version` field out of `data`: the version the client last read, or None.
    Anything but a whole number is a 400 naming the field, not a stale case."""
    version = ((data.pop(VERSION_FIELD, None) or [None])[-1] or "").strip() or None
    if problem := version_problem(version):
        raise exceptions.ValidationError({VERSION_FIELD: [problem]})
    return version


def idempotency_key(request) -> str | None:
    """The Idempotency-Key header, namespaced by the client, as the key the case is stored
    under; None without one."""
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    key, problem = namespaced_key(request, raw)
    if problem:
        raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [problem]})
    return key


def namespaced_key(request, raw: str) -> tuple[str | None, str | None]:
    """(the key a case is stored under, None) for a client's raw idempotency key, or (None,
    what is wrong with it). Namespacing stops one client from replaying another's key and
    getting their case back; anonymous clients are told apart by their address."""
    raw = raw.strip()
    limit = services.IDEMPOTENCY_KEY_MAX
    if not raw or len(raw) > limit or not _KEY_PATTERN.match(raw):
        return None, _("Give 1 to %(limit)d visible ASCII characters, e.g. a UUID.") % {
            "limit": limit
        }
    user = request.user
    client = f"user:{user.pk}" if user.is_authenticated else f"address:{client_ip(request)}"
    return services.client_idempotency_key("api", client, raw), None
