"""Background tasks of the triage app, run by `gridgov worker`."""

from django_tasks import task

from gridgov.cases.choices import Status
from gridgov.cases.models import Case
from gridgov.triage.classifier import triage_case


@task()
def triage_cases_task(case_ids: list[int]) -> dict:
    """Suggest for newly taken-in cases and dispatch those whose category allows.

    Queued by intake rather than run in the request: a suggestion costs tens of
    milliseconds of model time that a reporter or hotline operator should not wait for.
    A case someone has registered (or closed) before the worker got to it is left alone:
    a suggestion would come too late to help anyone.
    """
    waiting = Case.objects.filter(pk__in=case_ids, status=Status.RECEIVED)
    decisions = {}
    for case_id in waiting.order_by("pk").values_list("pk", flat=True):
        record = triage_case(case_id)
        if record is not None:
            decisions[str(case_id)] = record.decision
    return {"decisions": decisions}
