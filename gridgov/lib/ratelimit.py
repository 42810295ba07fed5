"""A fixed-window request counter in Django's cache, for anonymous forms.

With the default in-process cache each app process counts on its own; deployments with
several processes point CACHES at a shared backend (Redis) so the limit holds overall.
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.GRIDGOV_TRUSTED_PROXIES)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy (TRUSTED_PROXIES),
    whose X-Forwarded-For then names the client. X-Forwarded-For from anyone else is
    client-controlled and ignored. Read right to left, so that addresses a client put in
    the header before the proxies appended theirs are never believed."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(remote):
        return remote
    forwarded = [item.strip() for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [item for item in forwarded if item]
    for address in reversed(forwarded):
        if not _trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                # A proxy of ours would not write this: the header is not what we expect.
                return remote
    return forwarded[0] if forwarded else remote


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
