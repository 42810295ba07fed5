"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), mounted at /open311/v2/.

Every answer is XML or JSON as the resource's extension says, errors included. Reads are
public, as the spec has them, and never show who reported a case; POST needs an api_key
(a user's API token). Requests are realtime: a POST answers with service_request_id, the
case number, so no token is ever issued and tokens/… finds none.
"""

from datetime import timedelta
from functools import wraps

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import SuspiciousOperation
from django.db.models import Exists, Max, OuterRef, Prefetch
from django.http import HttpResponseRedirect, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridgov.cases.choices import FINAL_STATUSES, HOLDING_STATES, Action, AssignmentRole
from gridgov.cases.forms import leaf_categories
from gridgov.cases.models import Assignment, Case, CaseEvent, Category
from gridgov.lib.validators import EARLIEST, LATEST, in_range, range_message, text_problem
from gridgov.open311 import conf, serialise
from gridgov.open311.models import ServiceAttribute
from gridgov.open311.submit import Open311Error, Params, parse_w3c, submit, value

GET = ("GET", "HEAD")
MAX_PAGE = 1_000_000  # keeps OFFSET within what every database takes


def endpoint(*methods):
    """The frame of every resource: the method, the jurisdiction and the error format.

    CSRF does not apply: nothing here reads a session or cookie, and a POST proves who
    sends it with its api_key, which another site cannot know.
    """
    allowed = tuple(methods)

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, fmt, **kwargs):
            if request.method not in allowed:
                response = serialise.errors(
                    fmt,
                    405,
                    _("Method %(method)s is not allowed here; use %(allowed)s.")
                    % {"method": request.method, "allowed": ", ".join(allowed)},
                )
                response["Allow"] = ", ".join(allowed)
            else:
                try:
                    _refuse_unreadable(request, kwargs)
                    _check_jurisdiction(request)
                    response = view(request, fmt, **kwargs)
                except Open311Error as exc:
                    response = serialise.errors(fmt, exc.status, exc.descriptions)
                except (SuspiciousOperation, MultiPartParserError, UnreadablePostError) as exc:
                    # Too large, too many fields or a broken multipart body.
                    response = serialise.errors(
                        fmt, 400, _("The request body could not be read: %(why)s") % {"why": exc}
                    )
            response["Access-Control-Allow-Origin"] = "*"
            return response

        return wrapped

    return decorator


def _refuse_unreadable(request, kwargs):
    """A parameter holding a NUL character, or bytes that were not UTF-8 (decoded by Django
    to U+FFFD), is refused, each such parameter named: no code, id or date holds one,
    PostgreSQL cannot compare text with a NUL, and text that was not UTF-8 would be stored
    as what the client did not send. The same check as the pages' and the API's
    (gridgov.lib.validators.text_problem)."""
    given = list(kwargs.items()) + list(request.GET.lists())
    if request.method == "POST":
        given += list(request.POST.lists())
    problems = {}
    for name, values in given:
        for text in [name, *(values if isinstance(values, list) else [values])]:
            problem = text_problem(text)
            if problem:
                problems.setdefault(name, problem)
                break
    if problems:
        raise Open311Error(
            400,
            *(
                _("%(name)s: %(problem)s")
                % {"name": name.replace("\x00", "\\0"), "problem": problems[name]}
                for name in sorted(problems)
            ),
        )


def _check_jurisdiction(request):
    given = Params(request).get("jurisdiction_id") if request.method == "POST" else None
    if given is None:
        given = value(request.GET, "jurisdiction_id")
    if given is not None and given != conf.jurisdiction():
        raise Open311Error(
            404,
            _("jurisdiction_id %(given)s was not found; this endpoint serves %(ours)s.")
            % {"given": given, "ours": conf.jurisdiction()},
        )


# --- discovery and services ----------------------------------------------------------


def _changeset():
    """The latest of: this implementation's changeset, and any change to the services
    (categories through the admin) or their definitions (attributes)."""
    moments = [parse_datetime(conf.changeset()) or parse_datetime(conf.CHANGESET)]
    moments.append(ServiceAttribute.objects.aggregate(at=Max("updated_at"))["at"])
    types = ContentType.objects.get_for_models(Category, ServiceAttribute).values()
    moments.append(
        LogEntry.objects.filter(content_type__in=types).aggregate(at=Max("action_time"))["at"]
    )
    return serialise.w3c(max(moment for moment in moments if moment is not None))


@endpoint(*GET)
def discovery(request, fmt):
    changeset = _changeset()
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    data = {
        "changeset": changeset,
        "contact": conf.contact(),
        "key_service": conf.key_service(),
        "endpoints": [
            {
                "specification": conf.SPECIFICATION,
                "url": base.rsplit("/", 1)[0],
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return serialise.respond(fmt, "discovery", data)


@endpoint(*GET)
def services(request, fmt):
    categories = (
        leaf_categories()
        .select_related("parent")
        .annotate(has_attributes=Exists(ServiceAttribute.objects.filter(category=OuterRef("pk"))))
    )
    data = [serialise.service(c, c.has_attributes) for c in categories]
    return serialise.respond(fmt, "services", data)


@endpoint(*GET)
def service_definition(request, fmt, code):
    category = leaf_categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": code})
    attributes = ServiceAttribute.objects.filter(category=category).order_by("order", "code")
    return serialise.respond(
        fmt, "service_definition", serialise.service_definition(category, attributes)
    )


# --- service requests ----------------------------------------------------------------


def cases_for_requests():
    """Cases with what their service requests show, in a fixed number of queries."""
    leads = Assignment.objects.filter(
        state__in=HOLDING_STATES, role=AssignmentRole.LEAD
    ).select_related("department", "office")
    rejections = CaseEvent.objects.filter(action=Action.REJECT).only("case_id", "note")
    return Case.objects.select_related(
        "category", "region", "reporter", "master", "open311"
    ).prefetch_related(
        Prefetch("assignments", queryset=leads, to_attr="open311_leads"),
        Prefetch("events", queryset=rejections, to_attr="open311_rejections"),
    )


@endpoint("GET", "HEAD", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return _post(request, fmt)
    return _list(request, fmt)


def _post(request, fmt):
    length = request.META.get("CONTENT_LENGTH") or "0"
    if (not length.isdigit() or int(length) > 0) and request.content_type not in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        raise Open311Error(
            400,
            _(
                "Send the request as application/x-www-form-urlencoded or multipart/form-data, "
                "not %(type)s."
            )
            % {"type": request.content_type},
        )
    submission = submit(request, Params(request))
    extra = submission.extra
    data = [
        {
            "service_request_id": submission.case.number,
            "service_notice": serialise.service_notice(submission.case.category),
            "account_id": (extra.account_id or None) if extra else None,
        }
    ]
    return serialise.respond(
        fmt, "service_requests", data, status=201 if submission.created else 200
    )


def _split(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _positive(query, name: str, default: int) -> int:
    raw = value(query, name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise Open311Error(
            400,
            _("%(name)s must be a whole number from 1 to %(max)d.")
            % {"name": name, "max": MAX_PAGE},
        )
    return int(raw)


def _window(query):
    """start_date..end_date: 90 days (GRIDGOV_OPEN311_WINDOW_DAYS) at most, the latest 90
    when neither is given; one given alone reaches 90 days from it. Dates are those of the
    years 1900 to 9000, as everywhere in gridgov: beyond them neither the arithmetic nor
    the conversion to UTC is safe."""
    days = conf.window_days()
    span = timedelta(days=days)
    bounds = {}
    for name in ("start_date", "end_date"):
        raw = value(query, name)
        if raw is None:
            bounds[name] = None
            continue
        bounds[name] = parse_w3c(raw, end_of_day=name == "end_date")
        if bounds[name] is None:
            raise Open311Error(
                400,
                _("%(name)s %(value)s is not a W3C date and time, e.g. 2026-01-01T00:00:00Z.")
                % {"name": name, "value": raw},
            )
        if not in_range(bounds[name]):
            raise Open311Error(400, f"{name} {raw}: {range_message()}")
    start, end = bounds["start_date"], bounds["end_date"]
    if start is None and end is None:
        end = timezone.now()
    # One date alone: the window stops at the edge of the dates gridgov takes rather than
    # stepping out of them (and out of datetime's range, with a large window setting).
    if start is None:
        start = end - span if end - EARLIEST > span else EARLIEST
    if end is None:
        end = start + span if LATEST - start > span else LATEST
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > span:
        raise Open311Error(
            400,
            _("start_date to end_date may not span more than %(days)d days.") % {"days": days},
        )
    return start, end


def _list(request, fmt):
    query = request.GET
    limit = conf.max_requests()
    page = _positive(query, "page", 1)
    page_size = min(_positive(query, "page_size", limit), limit)
    cases = cases_for_requests()
    numbers = _split(value(query, "service_request_id"))
    if len(numbers) > limit:
        raise Open311Error(
            400,
            _("service_request_id lists more than %(limit)d ids; ask in parts.") % {"limit": limit},
        )
    if numbers:
        # The spec: service_request_id overrides all other arguments.
        cases = cases.filter(number__in=numbers)
    else:
        codes = _split(value(query, "service_code"))
        if codes:
            cases = cases.filter(category__code__in=codes)
        statuses = set(_split(value(query, "status")))
        unknown = statuses - {"open", "closed"}
        if unknown:
            raise Open311Error(
                400,
                _("status %(status)s is not one of: open, closed.")
                % {"status": ", ".join(sorted(unknown))},
            )
        if statuses == {"open"}:
            cases = cases.exclude(status__in=FINAL_STATUSES)
        elif statuses == {"closed"}:
            cases = cases.filter(status__in=FINAL_STATUSES)
        start, end = _window(query)
        cases = cases.filter(received_at__gte=start, received_at__lte=end)
    offset = (page - 1) * page_size
    rows = list(cases.order_by("-received_at", "-pk")[offset : offset + page_size + 1])
    more = len(rows) > page_size
    response = serialise.respond(
        fmt, "service_requests", serialise.service_requests(rows[:page_size])
    )
    # No link to a page past MAX_PAGE: following it would only be refused.
    if more and page < MAX_PAGE:
        following = query.copy()
        following["page"] = str(page + 1)
        following["page_size"] = str(page_size)
        url = request.build_absolute_uri(f"{request.path}?{following.urlencode()}")
        response["Link"] = f'<{url}>; rel="next"'
    return response


@endpoint(*GET)
def request_detail(request, fmt, number):
    case = cases_for_requests().filter(number=number).first()
    if case is None:
        raise Open311Error(
            404, _("service_request_id %(number)s was not found.") % {"number": number}
        )
    return serialise.respond(fmt, "service_requests", serialise.service_requests([case]))


@endpoint(*GET)
def token(request, fmt, token):
    raise Open311Error(
        404,
        _(
            "token %(token)s was not found. This endpoint is realtime: POST requests answers "
            "with the service_request_id itself and never issues tokens."
        )
        % {"token": token},
    )


@csrf_exempt
def root(request):
    """The endpoint's root: its discovery document, as the discovery spec suggests."""
    return HttpResponseRedirect(reverse("open311:discovery", kwargs={"fmt": "xml"}))


@csrf_exempt
def not_found(request, rest):
    fmt = "json" if rest.endswith(".json") else "xml"
    response = serialise.errors(
        fmt,
        404,
        _(
            "%(path)s is not a GeoReport v2 resource. Resources: discovery, services, "
            "services/{service_code}, requests, requests/{service_request_id}, tokens/{token}; "
            "each ends in .xml or .json."
        )
        % {"path": rest or "/"},
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
