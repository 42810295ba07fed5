"""POST requests: a GeoReport submission made into a case through services.intake_case.

Everything is checked before intake is called, and the attribute answers are written in
the transaction that creates the case, so a refused submission leaves nothing behind.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from gridgov.accounts.models import ApiToken
from gridgov.cases import services
from gridgov.cases.choices import CaseType, Channel
from gridgov.cases.forms import leaf_categories
from gridgov.cases.models import Case
from gridgov.lib.validators import in_range, range_message
from gridgov.open311.models import Datatype, RequestAttributes, ServiceAttribute
from gridgov.regions.choices import Datum

STRING_MAX = 500
TEXT_MAX = 4000
IDEMPOTENCY_KEY_MAX = 200
TITLE_MAX = 60

_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")

# Intake's field names → the GeoReport parameter a client sent them as.
PARAMETER_OF_FIELD = {
    "category": "service_code",
    "title": "description",
    "description": "description",
    "address": "address_string",
    "region": "address_id",
    "lng": "long",
    "lat": "lat",
    "reporter_name": "first_name/last_name",
    "reporter_phone": "phone",
    "photos": "media",
}


class Open311Error(Exception):
    """A refusal with its HTTP status and the problems, each named."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


@dataclass
class Submission:
    case: Case
    extra: RequestAttributes | None
    created: bool


def value(source, name: str) -> str | None:
    """A parameter, stripped; empty counts as absent (the spec's optional arguments)."""
    raw = source.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


class Params:
    """A POST's parameters: the body first, then the query string."""

    def __init__(self, request):
        self.body, self.query = request.POST, request.GET

    def get(self, name: str) -> str | None:
        found = value(self.body, name)
        return found if found is not None else value(self.query, name)

    def getlist(self, key: str) -> list[str]:
        return self.body.getlist(key) + self.query.getlist(key)

    def keys(self):
        return list(dict.fromkeys([*self.body.keys(), *self.query.keys()]))


def authenticate(params):
    raw = params.get("api_key")
    if raw is None:
        raise Open311Error(403, _("api_key was not provided: posting a request needs one."))
    user = ApiToken.objects.authenticate(raw)
    if user is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    return user


def find_service(code: str | None):
    if code is None:
        raise Open311Error(400, _("service_code was not provided."))
    category = leaf_categories().filter(code=code).select_related("parent").first()
    if category is None:
        raise Open311Error(
            404, _("service_code %(code)s was not found: GET services lists them.") % {"code": code}
        )
    return category


# --- attributes ----------------------------------------------------------------------


def submitted_attributes(params) -> dict[str, list[str]]:
    """attribute[CODE]=v and attribute[CODE][]=v1&attribute[CODE][]=v2 → {CODE: [v, …]}.
    Empty values count as absent."""
    answers: dict[str, list[str]] = {}
    for key in params.keys():
        if not key.startswith("attribute"):
            continue
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            raise Open311Error(
                400,
                _("%(key)s is not an attribute: send attribute[CODE] or attribute[CODE][].")
                % {"key": key},
            )
        given = [v.strip() for v in params.getlist(key) if v.strip()]
        if given:
            answers.setdefault(match.group(1), []).extend(given)
    return answers


def check_attributes(category, answers: dict[str, list[str]]) -> dict:
    """The answers checked against the service's definition; every problem is named."""
    definitions = {a.code: a for a in ServiceAttribute.objects.filter(category=category)}
    problems: list[str] = []
    values: dict = {}
    for code in answers:
        if code not in definitions:
            problems.append(
                _("attribute[%(code)s]: service %(service)s has no such attribute.")
                % {"code": code, "service": category.code}
            )
    for definition in sorted(definitions.values(), key=lambda a: (a.order, a.code)):
        given = answers.get(definition.code, [])
        name = f"attribute[{definition.code}]"
        if not definition.variable:
            if given:
                problems.append(_("%(name)s only informs and takes no value.") % {"name": name})
            continue
        if not given:
            if definition.required:
                problems.append(
                    _("%(name)s (%(question)s) is required.")
                    % {"name": name, "question": definition.description}
                )
            continue
        try:
            values[definition.code] = _coerce(definition, given)
        except ValidationError as exc:
            problems.append(f"{name}: {' '.join(exc.messages)}")
    if problems:
        raise Open311Error(400, *problems)
    return values


def _coerce(definition, given: list[str]):
    datatype = definition.datatype
    if datatype == Datatype.MULTIVALUELIST:
        keys = definition.keys()
        unknown = [v for v in given if v not in keys]
        if unknown:
            raise ValidationError(
                _("%(values)s not among the keys %(keys)s.")
                % {"values": ", ".join(unknown), "keys": ", ".join(keys)}
            )
        return list(dict.fromkeys(given))
    if len(given) > 1:
        raise ValidationError(_("takes one value, %(count)d were sent.") % {"count": len(given)})
    answer = given[0]
    if datatype == Datatype.SINGLEVALUELIST:
        keys = definition.keys()
        if answer not in keys:
            raise ValidationError(
                _("%(value)s is not among the keys %(keys)s.")
                % {"value": answer, "keys": ", ".join(keys)}
            )
        return answer
    if datatype == Datatype.NUMBER:
        try:
            number = Decimal(answer)
        except InvalidOperation:
            raise ValidationError(_("%(value)s is not a number.") % {"value": answer}) from None
        if not number.is_finite():
            raise ValidationError(_("%(value)s is not a number.") % {"value": answer})
        return int(number) if number == number.to_integral_value() else float(number)
    if datatype == Datatype.DATETIME:
        moment = parse_w3c(answer)
        if moment is None:
            raise ValidationError(
                _("%(value)s is not an ISO 8601 date and time.") % {"value": answer}
            )
        if not in_range(moment):
            raise ValidationError(range_message())
        return moment.isoformat()
    limit = STRING_MAX if datatype == Datatype.STRING else TEXT_MAX
    if datatype == Datatype.STRING and ("\n" in answer or "\r" in answer):
        raise ValidationError(_("a string has no line breaks; this attribute is one line."))
    if len(answer) > limit:
        raise ValidationError(_("longer than %(limit)d characters.") % {"limit": limit})
    return answer


def parse_w3c(text: str, *, end_of_day: bool = False):
    """An ISO 8601 (W3C profile) date or datetime; a naive one is local time. A bare date
    is its first moment, or with end_of_day its last."""
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        return None
    if day is not None:
        moment = datetime.combine(day, time.max if end_of_day else time.min)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# --- the rest of the submission ------------------------------------------------------


def _number(params, name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name}) from None
    if not math.isfinite(number):
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name})
    return number


def intake_data(params, category) -> dict:
    """The IntakeForm's data for a submission."""
    problems: list[str] = []
    # Its length is checked by the intake form, with the same limit as every other door
    # (GRIDGOV_MAX_DESCRIPTION_CHARS, the spec's 4,000 by default).
    description = params.get("description")
    try:
        lat, lng = _number(params, "lat"), _number(params, "long")
    except Open311Error as exc:
        problems.extend(exc.descriptions)
        lat = lng = None
    else:
        if (lat is None) != (lng is None):
            problems.append(_("lat and long must be sent together."))
    address, address_id = params.get("address_string"), params.get("address_id")
    if lat is None and lng is None and not address and not address_id and not problems:
        problems.append(
            _("A location is required: lat and long (WGS-84), address_string or address_id.")
        )
    if address and len(address) > 200:
        problems.append(_("address_string is longer than 200 characters."))
    for name in ("device_id", "account_id"):
        if len(params.get(name) or "") > 200:
            problems.append(_("%(name)s is longer than 200 characters.") % {"name": name})
    media_url = params.get("media_url")
    if media_url:
        try:
            if len(media_url) > 1000:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            problems.append(_("media_url is not an http(s) URL."))
    email = params.get("email")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            problems.append(_("email is not an email address."))
    if problems:
        raise Open311Error(400, *problems)
    text = description or category.name
    return {
        "channel": Channel.API,
        "case_type": CaseType.COMPLAINT,
        "category": category.code,
        "title": _title(text),
        "description": text,
        "address": address or "",
        "lng": "" if lng is None else repr(lng),
        "lat": "" if lat is None else repr(lat),
        "datum": Datum.WGS84,
        "region": address_id or "",
        "reporter_name": _person(params.get("first_name"), params.get("last_name")),
        "reporter_phone": params.get("phone") or "",
    }


def _title(text: str) -> str:
    first_line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(first_line) > TITLE_MAX:
        first_line = first_line[: TITLE_MAX - 1] + "…"
    return first_line


def _person(first: str | None, last: str | None) -> str:
    """The reporter's name, family name first when it is written in Chinese."""
    if first and last:
        return f"{last}{first}" if _CJK.search(first + last) else f"{first} {last}"
    return first or last or ""


def idempotency_key(request, user) -> str | None:
    """The Idempotency-Key header, made the user's own: the same key sent by two clients
    must not hand one of them the other's case."""
    raw = (request.headers.get("Idempotency-Key") or "").strip()
    if not raw:
        return None
    if len(raw) > IDEMPOTENCY_KEY_MAX:
        raise Open311Error(
            400,
            _("The Idempotency-Key header is longer than %(limit)d characters.")
            % {"limit": IDEMPOTENCY_KEY_MAX},
        )
    return services.client_idempotency_key("open311", f"user:{user.pk}", raw)


def _intake_problems(exc: services.InvalidInput) -> list[str]:
    problems = []
    for field, field_errors in (exc.errors or {}).items():
        parameter = PARAMETER_OF_FIELD.get(field)
        for error in field_errors:
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            problems.append(f"{parameter}: {message}" if parameter else message)
    return problems or [exc.message]


def submit(request, params) -> Submission:
    """Check and take in one POST; raise Open311Error on any refusal."""
    user = authenticate(params)
    key = idempotency_key(request, user)
    if key:
        existing = Case.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return Submission(
                existing, RequestAttributes.objects.filter(case=existing).first(), False
            )
    category = find_service(params.get("service_code"))
    answers = check_attributes(category, submitted_attributes(params))
    data = intake_data(params, category)
    media = request.FILES.getlist("media") + request.FILES.getlist("media[]")
    if len(media) > settings.GRIDGOV_MAX_PHOTOS:
        raise Open311Error(
            400, _("At most %(count)d media files.") % {"count": settings.GRIDGOV_MAX_PHOTOS}
        )
    files = MultiValueDict({"photos": media}) if media else None
    try:
        with transaction.atomic():
            result = services.intake_case(user, data, files, idempotency_key=key)
            if not result.created:
                extra = RequestAttributes.objects.filter(case=result.case).first()
                return Submission(result.case, extra, False)
            extra = RequestAttributes.objects.create(
                case=result.case,
                values=answers,
                media_url=params.get("media_url") or "",
                device_id=params.get("device_id") or "",
                account_id=params.get("account_id") or "",
            )
    except services.InvalidInput as exc:
        raise Open311Error(400, *_intake_problems(exc)) from None
    return Submission(result.case, extra, True)
