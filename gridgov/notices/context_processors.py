from django.utils.functional import SimpleLazyObject

from gridgov.accounts.choices import Role
from gridgov.notices.services import unread_count


def notices(request):
    """`unread_notices` for the header's badge: counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role == Role.RESIDENT:
        return {}
    return {"unread_notices": SimpleLazyObject(lambda: unread_count(user))}
