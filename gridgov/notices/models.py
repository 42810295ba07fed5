"""Who has read which notification.

A notification goes to a unit (a department or an office) or to one person; each member of
the unit reads it for themselves. Read state is kept per user in two parts, so that it
stays small while a unit's notices run into thousands: a marker ("every notice up to this
id is read", moved by "mark all read") and one row per notice read above the marker.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReadMark(models.Model):
    """Everything a user can see up to `read_through` (a notification id) is read."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notice_mark",
    )
    read_through = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notices read marker")
        verbose_name_plural = _("notices read markers")

    def __str__(self):
        return f"{self.user} ≤ {self.read_through}"


class NotificationRead(models.Model):
    """One notification above the user's marker that the user has read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices_read"
    )
    notification = models.ForeignKey(
        "cases.Notification", on_delete=models.CASCADE, related_name="reads"
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification read")
        verbose_name_plural = _("notifications read")
        constraints = [
            # The unread count's NOT EXISTS probes this index once per candidate notice.
            models.UniqueConstraint(fields=["user", "notification"], name="notification_read_once"),
        ]

    def __str__(self):
        return f"{self.user} · {self.notification_id}"
