"""{% triage_suggestion case %}: the classifier's category and unit for a case, with its
confidence and the terms that weighed most, in the responsible-units card of the case page.

What was suggested at intake (and whether the case was dispatched automatically) is shown
when recorded; a case not yet dispatched and never triaged gets a live suggestion.
"""

import logging

from django import template

from gridgov.cases.choices import Status
from gridgov.triage import classifier
from gridgov.triage.models import TriageSuggestion

register = template.Library()
log = logging.getLogger(__name__)

LIVE_STATUSES = {Status.RECEIVED, Status.REGISTERED}


@register.inclusion_tag("triage/_suggestion.html")
def triage_suggestion(case):
    record = TriageSuggestion.objects.select_related("category", "model").filter(case=case).first()
    if record is not None:
        return {
            "show": True,
            "recorded": True,
            "label": record.label,
            "category": record.category,
            "unit_name": record.unit,
            "unit_explanation": "",
            "percent": round(record.confidence * 100),
            "terms": record.terms,
            "decision": record.get_decision_display(),
            "reason": record.reason,
            "version": record.model.version if record.model else "",
        }
    if case.status not in LIVE_STATUSES:
        return {"show": False}
    try:
        suggestion = classifier.suggest(case)
    except Exception:  # the page must render even when a model file is broken
        log.exception("Triage suggestion failed for case %s", case.number)
        suggestion = None
    if suggestion is None:
        return {"show": False}
    return {
        "show": True,
        "recorded": False,
        "label": suggestion.label,
        "category": suggestion.category,
        "unit_name": suggestion.unit_name,
        "unit_explanation": suggestion.unit_explanation,
        "percent": round(suggestion.confidence * 100),
        "terms": suggestion.term_names,
        "version": suggestion.model.version,
    }
