"""Closed and rated cases kept their units' assignments active, so the case page listed the
unit as still at work (在办). Closing now marks them done (services._close); this brings
older rows in line. Metrics count a case for an active or a done assignment alike, so the
rollups need no rebuild."""

from django.db import migrations

FINISHED = ["closed", "rated"]


def finish_assignments(apps, schema_editor):
    Assignment = apps.get_model("cases", "Assignment")
    Assignment.objects.filter(state="active", case__status__in=FINISHED).update(state="done")


def reactivate_assignments(apps, schema_editor):
    Assignment = apps.get_model("cases", "Assignment")
    Assignment.objects.filter(state="done").update(state="active")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_assignment_done_state"),
    ]

    operations = [
        migrations.RunPython(finish_assignments, reactivate_assignments, elidable=False),
    ]
