"""Keep this process's locate index in step with boundary edits made through the ORM."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from gridgov.regions.models import Region


@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
def forget_locate_index(sender, **kwargs):
    from gridgov.regions.locate import invalidate

    invalidate()
