"""Login throttle and lockout (登录失败处理, as graded protection expects).

Failed logins are counted per account — the username as typed, so that an unknown name is
treated like a known one and nobody learns which exist — and per client address. When
either reaches its limit within the window, logging in there is refused, right password
or not, until the lock ends; an administrator can lift it earlier in the admin. A success
clears the account's count. Every attempt is logged and kept as a LoginAttempt.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gridgov.accounts.models import LoginAttempt, LoginCounter

logger = logging.getLogger("gridgov.accounts.login")

Kind = LoginCounter.Kind
Outcome = LoginAttempt.Outcome


@dataclass(frozen=True)
class Lock:
    kind: str
    until: datetime

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))


@dataclass(frozen=True)
class Failure:
    lock: Lock | None
    # Failures the account may still have before it is locked.
    remaining: int


def account_key(username: str) -> str:
    # Names that differ only in case count as one: otherwise ADMIN, Admin, aDmin… would
    # each bring a fresh allowance of guesses.
    return username.strip().casefold()[:150]


def _keys(username: str, address: str) -> list[tuple[str, str]]:
    keys = [(Kind.ACCOUNT, account_key(username))]
    if address:
        keys.append((Kind.ADDRESS, address))
    return keys


def active_lock(username: str, address: str) -> Lock | None:
    """The lock in force on this account or this address, the longer one if both are."""
    condition = Q()
    for kind, key in _keys(username, address):
        condition |= Q(kind=kind, key=key)
    counter = (
        LoginCounter.objects.filter(condition, locked_until__gt=timezone.now())
        .order_by("-locked_until")
        .first()
    )
    return Lock(counter.kind, counter.locked_until) if counter else None


def record_refusal(username: str, address: str, door: str, lock: Lock) -> None:
    _attempt(username, address, door, Outcome.REFUSED)
    logger.warning(
        "Login refused for %r from %s: the %s is locked until %s",
        username,
        address,
        lock.kind,
        timezone.localtime(lock.until).isoformat(timespec="seconds"),
    )


def record_failure(username: str, address: str, door: str) -> Failure:
    conf = settings.GRIDGOV_LOGIN_THROTTLE
    limits = {Kind.ACCOUNT: conf["MAX_FAILURES"], Kind.ADDRESS: conf["MAX_FAILURES_PER_ADDRESS"]}
    now = timezone.now()
    window_start = now - timedelta(minutes=conf["WINDOW_MINUTES"])
    lock, remaining = None, limits[Kind.ACCOUNT]
    with transaction.atomic():
        # Always the account first, then the address: two processes counting the same pair
        # take the row locks in the same order and never deadlock.
        for kind, key in _keys(username, address):
            counter, _created = LoginCounter.objects.select_for_update().get_or_create(
                kind=kind, key=key
            )
            if counter.first_failure_at is None or counter.first_failure_at < window_start:
                counter.failures, counter.first_failure_at = 0, now
            counter.failures += 1
            left = limits[kind] - counter.failures
            if kind == Kind.ACCOUNT:
                remaining = max(left, 0)
            if left <= 0:
                counter.locked_until = now + timedelta(minutes=conf["LOCKOUT_MINUTES"])
                counter.failures, counter.first_failure_at = 0, None
                lock = lock or Lock(kind, counter.locked_until)
                logger.warning(
                    "Login locked for %d min: %s %r after %d failed logins (the last from %s)",
                    conf["LOCKOUT_MINUTES"],
                    kind,
                    key,
                    limits[kind],
                    address,
                )
            counter.save()
        _attempt(username, address, door, Outcome.LOCKOUT if lock else Outcome.FAILURE)
    logger.warning("Failed login for %r from %s at %s", username, address, door)
    return Failure(lock, remaining)


def record_success(username: str, address: str, door: str) -> None:
    LoginCounter.objects.filter(kind=Kind.ACCOUNT, key=account_key(username)).update(
        failures=0, first_failure_at=None
    )
    _attempt(username, address, door, Outcome.SUCCESS)
    logger.info("Login of %r from %s at %s", username, address, door)


def unlock(counters) -> int:
    """Lift the locks of these LoginCounter rows (the admin's action)."""
    return counters.update(locked_until=None, failures=0, first_failure_at=None)


def _attempt(username: str, address: str, door: str, outcome: str) -> None:
    LoginAttempt.objects.create(
        username=username[:150], address=address[:45], door=door[:200], outcome=outcome
    )
