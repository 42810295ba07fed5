"""The one entry point that scopes every read of region-bound data.

A user's scope is the subtree of the region they act for (a department handler:
the subtree of their department's region). Region-bound querysets subclass
ScopedQuerySet and name the path of the region they hang on; views fetch through
`visible_to(user)` and answer 404 for anything outside it, so the existence of
out-of-scope data is not revealed.
"""

from django.db import models
from django.db.models import Q
from django.http import Http404

ALL = object()


def scope_path(user):
    """The materialized path the user may see under: a path string, ALL, or None (nothing)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or user.role == "administrator":
        return ALL
    if user.role == "department_handler":
        department = user.department
        return department.region.path if department and department.region_id else None
    if user.role == "resident":
        return None
    return user.region.path if user.region_id else None


def scope_q(user, path_lookup: str) -> Q:
    path = scope_path(user)
    if path is ALL:
        return Q()
    if path is None:
        return Q(pk__in=[])
    return Q(**{f"{path_lookup}__startswith": path})


def covers(user, path: str) -> bool:
    """Whether `path` lies in the user's region scope."""
    scope = scope_path(user)
    return scope is ALL or (scope is not None and path.startswith(scope))


class ScopedQuerySet(models.QuerySet):
    """Subclasses set region_path_lookup to the lookup of the region path they hang on."""

    region_path_lookup = "region__path"

    def visible_to(self, user):
        return self.filter(scope_q(user, self.region_path_lookup))


def get_visible_or_404(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None
