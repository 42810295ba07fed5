"""Scoped reads of the region tree."""

from gridgov.accounts.scoping import ALL, scope_path
from gridgov.regions.models import Region


def scope_root(user) -> Region | None:
    """The top of the area the user may see: their region, or the first city for all."""
    path = scope_path(user)
    if path is None:
        return None
    if path is ALL:
        return Region.objects.filter(parent=None).order_by("code").first()
    return Region.objects.filter(path=path).first()
