"""{% open311_answers case %}: what a case posted through Open311 carried beyond the case's
own fields — the answers to its service's questions, in the order the service asks them,
list answers by their names — shown in the fields card of the case page."""

from django import template

from gridgov.open311.models import RequestAttributes, ServiceAttribute

register = template.Library()


@register.inclusion_tag("open311/_answers.html")
def open311_answers(case):
    submission = RequestAttributes.objects.filter(case=case).first()
    if submission is None:
        return {"answers": [], "submission": None}
    questions = {
        attribute.code: attribute
        for attribute in ServiceAttribute.objects.filter(category_id=case.category_id)
    }
    answers = []
    for code, value in submission.values.items():
        attribute = questions.get(code)
        names = (
            {str(item.get("key")): item.get("name") for item in attribute.values or []}
            if (attribute)
            else {}
        )
        given = value if isinstance(value, list) else [value]
        answers.append(
            {
                "order": attribute.order if attribute else 10**6,
                "question": attribute.description if attribute else code,
                "value": "、".join(str(names.get(str(v), v)) for v in given),
            }
        )
    answers.sort(key=lambda answer: answer["order"])
    return {"answers": answers, "submission": submission}
