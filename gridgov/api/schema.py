"""What the OpenAPI schema says beyond what drf-spectacular infers: the two ways to
authenticate, the error shape, and the request bodies, generated from the cases' own forms
so that the documentation cannot drift from what is validated."""

from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from gridgov.cases.choices import Channel
from gridgov.cases.forms import ACTION_FORMS, IntakeForm, PhotosField

# --- authentication ------------------------------------------------------------------


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "gridgov.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token (ggv_…) from your profile page or `gridgov token create`: "
                "`Authorization: Bearer <token>`."
            ),
        }


class CsrfSessionScheme(OpenApiAuthenticationExtension):
    target_class = "gridgov.api.auth.CsrfSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        from django.conf import settings

        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "A signed-in browser; unsafe methods need the X-CSRFToken header.",
        }


# --- errors --------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words.")
    code = serializers.CharField(help_text="e.g. invalid, not_found, action_refused, stale.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400 only: each field named, with its messages; non_field_errors for the rest.",
    )


def error(description) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


UNAUTHENTICATED = error(_("No credentials, or a bad token (with WWW-Authenticate)."))
NOT_FOUND = error(_("Unknown, or outside your scope: the two are not told apart."))
BAD_INPUT = error(_("Bad input: `errors` names each field."))
ERRORS = {401: UNAUTHENTICATED, 404: NOT_FOUND}


# --- request bodies from forms -------------------------------------------------------


def _choices(field) -> list[tuple]:
    # With their labels, so that drf-spectacular sees the same enum as the models'.
    return [(value, label) for value, label in field.choices if value != ""]


def _drf_field(field: forms.Field):
    """A DRF field documenting a Django form field the way the API reads it."""
    common = {"required": field.required, "help_text": field.help_text or field.label}
    if isinstance(field, PhotosField):
        return serializers.ListField(
            child=serializers.FileField(),
            required=False,
            help_text=_("JPEG, PNG or WebP photos (multipart/form-data only)."),
        )
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(
            child=serializers.CharField(), help_text=_("Codes; a JSON list"), required=False
        )
    if isinstance(field, forms.ModelChoiceField):
        return serializers.CharField(**common)
    if isinstance(field, forms.ChoiceField):
        choices = _choices(field)
        if {value for value, _label in choices} == {"true", "false"}:
            return serializers.BooleanField(**common)
        return serializers.ChoiceField(choices=choices, **common)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(
            min_value=field.min_value, max_value=field.max_value, **common
        )
    if isinstance(field, forms.FloatField):
        return serializers.FloatField(
            min_value=field.min_value, max_value=field.max_value, **common
        )
    return serializers.CharField(
        max_length=field.max_length, allow_blank=not field.required, **common
    )


def request_serializer(form_class, name: str, *, photos: bool, extra=None, defaults=None):
    """`defaults`: fields the API fills in when they are left out (documented as optional)."""
    attrs = {}
    for field_name, field in form_class.base_fields.items():
        if isinstance(field, PhotosField) and not photos:
            continue
        attrs[field_name] = _drf_field(field)
        if field_name in (defaults or {}):
            attrs[field_name].required = False
            attrs[field_name].default = defaults[field_name]
    attrs.update(extra or {})
    # drf-spectacular names the component after the class, less "Serializer".
    return type(f"{name}Serializer", (serializers.Serializer,), attrs)


def has_photos(form_class) -> bool:
    return any(isinstance(f, PhotosField) for f in form_class.base_fields.values())


def request_bodies(form_class, name: str, extra=None, defaults=None) -> dict:
    """{media type: serializer} for a form: JSON without photos, multipart with them."""
    options = {"extra": extra, "defaults": defaults}
    json_body = request_serializer(form_class, name, photos=False, **options)
    if not has_photos(form_class):
        return {"application/json": json_body, "multipart/form-data": json_body}
    multipart = request_serializer(form_class, f"{name}Multipart", photos=True, **options)
    return {"application/json": json_body, "multipart/form-data": multipart}


# Components come out as IntakeRequest, RegisterActionRequest, … (COMPONENT_SPLIT_REQUEST
# adds "Request").
# What intake fills in when a client leaves it out.
INTAKE_DEFAULTS = {
    "channel": Channel.API,
    "case_type": IntakeForm.base_fields["case_type"].initial,
}
INTAKE_BODIES = request_bodies(IntakeForm, "Intake", defaults=INTAKE_DEFAULTS)


def _version_field():
    return serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "The version of the case you read: if it has changed since, nothing is done and "
            "the answer is 409."
        ),
    )


def _camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("-"))


ACTION_BODIES = {
    action: request_bodies(
        form_class, f"{_camel(action)}Action", extra={"version": _version_field()}
    )
    for action, form_class in ACTION_FORMS.items()
}


def _kind(field: forms.Field) -> str:
    if isinstance(field, PhotosField):
        return "photos, multipart"
    if isinstance(field, forms.ModelMultipleChoiceField):
        return "list of codes"
    if isinstance(field, forms.ModelChoiceField):
        return "code"
    if isinstance(field, forms.ChoiceField):
        return " | ".join(str(value) for value, _label in _choices(field))
    if isinstance(field, forms.IntegerField):
        return f"integer {field.min_value}–{field.max_value}"
    return ""


def action_fields_text(action: str) -> str:
    """One line per field of an action, for the operation's description."""
    lines = []
    for name, field in ACTION_FORMS[action].base_fields.items():
        required = "required" if field.required else "optional"
        detail = ", ".join(part for part in (_kind(field), required) if part)
        lines.append(f"- `{name}` ({detail})")
    lines.append("- `version` (optional): the case version you read, a whole number; stale → 409")
    return "\n".join(lines)
