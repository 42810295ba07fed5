"""Checks every door (the pages, the API, Open311) applies to what a client sends, so that
each refuses the same bad input the same way, with the same message."""

import re
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

REPLACEMENT_CHARACTER = "\ufffd"

# Beyond these a moment cannot always be converted to UTC or stored, and arithmetic on it
# (a 90-day window) can leave datetime's range.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9000
# A day beyond those years, so that every moment in range lies between them whatever its
# offset: what a window reaching past the range stops at.
EARLIEST = datetime(EARLIEST_YEAR - 1, 12, 31, tzinfo=UTC)
LATEST = datetime(LATEST_YEAR + 1, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)

_VERSION = re.compile(r"[0-9]{1,18}")


def text_problem(value: str) -> str | None:
    """What makes `value` unfit to store as text, or None.

    Django decodes form bodies (urlencoded and multipart) with errors="replace", so bytes
    that are not UTF-8 arrive as U+FFFD; a JSON body with them is refused outright. Refusing
    U+FFFD makes a form field say so too instead of storing the damage. A person who really
    typed U+FFFD (it is not on any keyboard or input method) is refused as well: so rare
    that a clear message beats telling the two apart."""
    if "\x00" in value:
        return _("Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text must be valid Unicode.")
    if REPLACEMENT_CHARACTER in value:
        return _(
            "Text is not valid UTF-8 (it holds the replacement character U+FFFD): send it "
            "encoded as UTF-8."
        )
    return None


def validate_text(value) -> None:
    """text_problem() as a Django validator."""
    if isinstance(value, str) and (problem := text_problem(value)):
        raise ValidationError(problem, code="invalid_text")


def version_problem(raw) -> str | None:
    """What is wrong with the `version` a client says it last saw, or None (also when it
    sends none). A version is a whole number: anything else is bad input, not a stale
    case."""
    if raw is None or _VERSION.fullmatch(str(raw).strip()):
        return None
    return _("version must be a whole number: the case's version as you last read it.")


def in_range(moment: datetime) -> bool:
    """An aware moment of the years 1900 to 9000 (as written) that converts to UTC."""
    try:
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return False
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def range_message() -> str:
    return _("Give a date between the years %(earliest)d and %(latest)d.") % {
        "earliest": EARLIEST_YEAR,
        "latest": LATEST_YEAR,
    }
