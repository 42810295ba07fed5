"""A fixed-window request counter in Django's cache, for anonymous forms.

With the default in-process cache each app process counts on its own; deployments with
several processes point CACHES at a shared backend (Redis) so the limit holds overall.
"""

import time

from django.core.cache import cache


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy sets it,
    # and the README tells deployers to make the proxy overwrite REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "")


def allow(scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit; False once `limit` hits were counted in the current window."""
    bucket = int(time.time() // window_seconds)
    name = f"ratelimit:{scope}:{key}:{bucket}"
    cache.add(name, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=window_seconds + 5)
        count = 1
    return count <= limit
