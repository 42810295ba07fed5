"""One shape for every error the API answers with, and the DRF exception handler.

    {"detail": "what went wrong", "code": "machine_readable", "errors": {"field": ["…"]}}

`errors` is present on 400s that concern named fields. The services' refusals map onto
HTTP statuses here (InvalidInput 400, NotAllowed 403, ActionRefused and StaleCase 409), so
the views stay a call and a serializer.
"""

from http import HTTPStatus

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from gridgov.api.auth import www_authenticate
from gridgov.cases.services import ActionRefused, CaseError, InvalidInput, NotAllowed, StaleCase

NON_FIELD = "non_field_errors"

CASE_ERROR_CODES = {
    InvalidInput: "invalid",
    NotAllowed: "permission_denied",
    ActionRefused: "action_refused",
    StaleCase: "stale",
}


def refused(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A model's or service's refusal as the API's 400 naming the fields."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({NON_FIELD: exc.messages})


def error_body(detail, code: str, errors: dict | None = None) -> dict:
    body = {"detail": str(detail), "code": code}
    if errors:
        body["errors"] = errors
    return body


def json_error(status: int, detail=None, code: str | None = None, errors=None) -> JsonResponse:
    """A JSON error response outside DRF (middleware, plain Django views)."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return JsonResponse(
        error_body(detail or f"{phrase}.", code or phrase.lower().replace(" ", "_"), errors),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def field_errors(errors) -> dict[str, list[str]]:
    """Django's form errors (get_json_data) or DRF's ValidationError detail as
    {"field": ["message", …]}; errors not tied to a field go under non_field_errors."""
    if isinstance(errors, list):
        errors = {NON_FIELD: errors}
    result: dict[str, list[str]] = {}
    for name, items in (errors or {}).items():
        key = NON_FIELD if name in ("__all__", NON_FIELD) else str(name)
        if not isinstance(items, list | tuple):
            items = [items]
        for item in items:
            if isinstance(item, dict) and "message" in item:
                result.setdefault(key, []).append(str(item["message"]))
            elif isinstance(item, dict):
                for sub, messages in field_errors(item).items():
                    # A list's items ({0: […]}) answer for the list; a nested object's
                    # fields are named "field.sub".
                    name = key if str(sub).isdigit() else f"{key}.{sub}"
                    result.setdefault(name, []).extend(messages)
            else:
                result.setdefault(key, []).append(str(item))
    return result


def _case_error(exc: CaseError) -> Response:
    code = next(
        (value for cls, value in CASE_ERROR_CODES.items() if isinstance(exc, cls)), "invalid"
    )
    errors = field_errors(exc.errors) if exc.errors else None
    if isinstance(exc, InvalidInput) and not errors:
        errors = {NON_FIELD: [exc.message]}
    set_rollback()
    return Response(error_body(exc.message, code, errors), status=exc.status)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every refusal in the one error shape."""
    if isinstance(exc, CaseError):
        return _case_error(exc)
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent | SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real crash: Django answers 500, which the middleware makes JSON
    detail = getattr(exc, "detail", None)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(detail)
        response.data = error_body(_("Some fields need correcting."), "invalid", errors)
    else:
        if isinstance(detail, dict | list):
            detail = "; ".join(
                message for messages in field_errors(detail).values() for message in messages
            )
        response.data = error_body(detail, code if isinstance(code, str) else "error")
    if isinstance(exc, exceptions.AuthenticationFailed):
        response["WWW-Authenticate"] = www_authenticate("invalid_token")
    return response


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "too_large"
