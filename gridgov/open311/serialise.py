"""GeoReport v2's two formats, and how a case, a service and an error look in them.

XML is schemaless and namespace-free; JSON is its Spark-convention mapping: a list element
(<services>, <attributes>, <values>, …) becomes an array of its children. Absent values
are empty elements in XML and null in JSON. Datetimes carry the local offset.
"""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from django.utils import timezone

from gridgov.cases.choices import FINAL_STATUSES, CategoryKind, Status
from gridgov.lib.datum import convert
from gridgov.lib.masking import mask_contacts
from gridgov.regions.choices import Datum

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# Which child each list element holds, in XML.
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}

# XML 1.0 forbids most control characters even as references: a description pasted with
# one would make the whole document unreadable, so they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list | tuple):
        child_tag = LIST_ITEMS[tag]
        for item in value:
            element.append(_element(child_tag, item))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, data) -> str:
    body = ET.tostring(_element(root, data), encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def respond(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """`data` in the format asked for; `root` names the XML document element."""
    content = to_xml(root, data) if fmt == "xml" else to_json(data)
    return HttpResponse(content.encode("utf-8"), content_type=FORMATS[fmt], status=status)


def errors(fmt: str, status: int, descriptions) -> HttpResponse:
    """The spec's error body: one {code, description} per problem, the code being the
    HTTP status."""
    if isinstance(descriptions, str):
        descriptions = [descriptions]
    body = [{"code": status, "description": str(text)} for text in descriptions]
    return respond(fmt, "errors", body, status=status)


def w3c(moment) -> str | None:
    """ISO 8601 (the W3C profile) in local time with its offset: 2026-02-13T10:00:00+08:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


# --- personal data -------------------------------------------------------------------


def scrub(text: str, reporter=None) -> str:
    """Free text as the public may see it: phone numbers, ID card numbers and the
    reporter's own name and phone masked (gridgov.lib.masking.mask_contacts). A resident
    who typed them into a description did not mean to publish them."""
    if reporter is None:
        return mask_contacts(text)
    return mask_contacts(text, reporter.name or "", reporter.phone or "")


# --- services ------------------------------------------------------------------------

KIND_KEYWORDS = {
    CategoryKind.COMPONENT: "部件",
    CategoryKind.EVENT: "事件",
    CategoryKind.HOTLINE: "热线",
}


def service(category, has_attributes: bool) -> dict:
    parent = category.parent.name if category.parent_id else ""
    keywords = [KIND_KEYWORDS.get(category.kind, ""), category.department_short_name, parent]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.admission_standard or category.name,
        "metadata": has_attributes,
        "type": "realtime",
        "keywords": ", ".join(word for word in keywords if word),
        "group": parent,
    }


def service_notice(category) -> str | None:
    if category is None or not category.closure_standard:
        return None
    return f"结案标准：{category.closure_standard}"


def attribute(item) -> dict:
    values = item.values if isinstance(item.values, list) else []
    return {
        "variable": item.variable,
        "code": item.code,
        "datatype": item.datatype,
        "required": item.required,
        "datatype_description": item.datatype_description or None,
        "order": item.order,
        "description": item.description,
        "values": [
            {"key": str(value.get("key", "")), "name": str(value.get("name", ""))}
            for value in values
            if isinstance(value, dict)
        ],
    }


def service_definition(category, attributes) -> dict:
    return {"service_code": category.code, "attributes": [attribute(a) for a in attributes]}


# --- service requests ----------------------------------------------------------------

# The fine state, as a resident would read it. Received is 受理 and registered 立案, so a
# case refused at registration is 不予立案.
STATUS_NOTES = {
    Status.RECEIVED: "已受理",
    Status.REGISTERED: "已立案",
    Status.DISPATCHED: "已派遣",
    Status.ACCEPTED: "已签收",
    Status.HANDLING: "处置中",
    Status.REPLIED: "已反馈",
    Status.VERIFIED: "已核查",
    Status.CLOSED: "已结案",
    Status.RATED: "已评价",
    Status.REJECTED: "不予立案",
    Status.MERGED: "已合并",
}
_RESULT_STATUSES = {Status.REPLIED, Status.VERIFIED, Status.CLOSED, Status.RATED}


def open_or_closed(status: str) -> str:
    return "closed" if status in FINAL_STATUSES else "open"


def status_notes(case) -> str:
    notes = STATUS_NOTES.get(case.status, case.status)
    if case.status == Status.REJECTED:
        rejections = getattr(case, "open311_rejections", None)
        if rejections is None:
            rejections = list(case.events.filter(action="reject"))
        reason = rejections[-1].note.strip() if rejections else ""
        if reason:
            notes += f"：{scrub(reason, case.reporter)}"
    elif case.status == Status.MERGED and case.master_id:
        notes += f"：与 {case.master.number} 为同一问题，并入该案办理"
    elif case.status in _RESULT_STATUSES and case.result.strip():
        notes += f"：{scrub(case.result.strip(), case.reporter)}"
    elif case.is_open and case.overdue_at is not None:
        notes += "（已超期）"
    return notes


def _agency(case) -> str | None:
    leads = getattr(case, "open311_leads", None)
    if leads is None:
        lead = case.lead_assignment()
        leads = [lead] if lead else []
    return leads[0].unit_name if leads else None


def _extra(case):
    try:
        return case.open311
    except ObjectDoesNotExist:
        return None


def wgs84_points(cases) -> list[tuple[float, float] | None]:
    """Each case's point in WGS-84, converting GCJ-02 ones in one batch."""
    points: list[tuple[float, float] | None] = [
        (case.lng, case.lat) if case.lng is not None and case.lat is not None else None
        for case in cases
    ]
    gcj = [i for i, case in enumerate(cases) if points[i] and case.datum == Datum.GCJ02]
    if gcj:
        lng, lat = convert(
            np.array([points[i][0] for i in gcj]),
            np.array([points[i][1] for i in gcj]),
            Datum.GCJ02,
            Datum.WGS84,
        )
        for position, i in enumerate(gcj):
            points[i] = (float(lng[position]), float(lat[position]))
    return [(round(p[0], 7), round(p[1], 7)) if p else None for p in points]


def service_request(case, point) -> dict:
    """One case as a GeoReport service request. Never the reporter: no name, phone or
    account; free text is scrubbed of phone and ID numbers."""
    category = case.category
    extra = _extra(case)
    return {
        "service_request_id": case.number,
        "status": open_or_closed(case.status),
        "status_notes": status_notes(case),
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "description": scrub(case.description, case.reporter),
        "agency_responsible": _agency(case),
        "service_notice": service_notice(category),
        "requested_datetime": w3c(case.received_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.due_at),
        "address": scrub(case.address, case.reporter) or case.region.name,
        "address_id": case.region.code,
        "zipcode": None,
        "lat": point[1] if point else None,
        "long": point[0] if point else None,
        "media_url": (extra.media_url or None) if extra else None,
    }


def service_requests(cases) -> list[dict]:
    cases = list(cases)
    return [service_request(c, p) for c, p in zip(cases, wgs84_points(cases), strict=True)]
