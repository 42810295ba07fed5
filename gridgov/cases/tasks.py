"""Background tasks of the cases app, run by `gridgov worker`.

Tasks take ids or nothing, never objects: they are stored in the database as JSON and may
run in another process long after they were queued.
"""

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db import DatabaseBackend

from gridgov.cases.deadlines import watch_deadlines

# Finished tasks kept for looking back at in the admin; at a watch a minute and a triage
# per case taken in, older ones would only grow the table. Failed ones stay until someone
# has looked.
KEEP_FINISHED_RESULTS = timedelta(days=1)


@task()
def watch_deadlines_task() -> dict:
    """Mark overdue cases and remind late summoned units (see gridgov.cases.deadlines)."""
    return watch_deadlines().as_dict()


def enqueue_watch() -> bool:
    """Queue a deadline watch unless one is already waiting; True if it queued one.

    A watch catches up on everything that is late, so a second one waiting behind the
    first would add nothing, and a worker held up by a long task must not come back to a
    pile of them.
    """
    backend = watch_deadlines_task.get_backend()
    if isinstance(backend, DatabaseBackend):
        from django_tasks_db.models import DBTaskResult

        mine = DBTaskResult.objects.filter(
            backend_name=backend.alias, task_path=watch_deadlines_task.module_path
        )
        if mine.filter(status=TaskResultStatus.READY).exists():
            return False
        DBTaskResult.objects.filter(
            backend_name=backend.alias,
            status=TaskResultStatus.SUCCESSFUL,
            finished_at__lt=timezone.now() - KEEP_FINISHED_RESULTS,
        ).delete()
    watch_deadlines_task.enqueue()
    return True
