"""{% duplicate_candidates case %}: possible duplicates (并单) on the case page, with a
one-click merge into each. Shown only where the viewer may merge this case now."""

from django import template

from gridgov.cases import services
from gridgov.cases.choices import Action
from gridgov.triage import duplicates

register = template.Library()


def _may_merge(context, case) -> bool:
    blocks = context.get("action_blocks")
    if blocks is not None:
        # The case page has already worked out what the viewer may do: reuse it.
        return any(block["action"] == Action.MERGE for block in blocks)
    return Action.MERGE in services.available_actions(context["request"].user, case)


@register.inclusion_tag("triage/_duplicates.html", takes_context=True)
def duplicate_candidates(context, case):
    user = context["request"].user
    if not duplicates.may_be_merged(case) or not _may_merge(context, case):
        return {"show": False}
    cfg = duplicates.config()
    return {
        "show": True,
        "case": case,
        "candidates": duplicates.find_candidates(case, user, cfg),
        "cfg": cfg,
        "csrf_token": context.get("csrf_token"),
    }
