"""Cursor pagination: stable under concurrent writes (a case taken in while a client walks
the list neither shifts nor repeats a page), and no COUNT(*) over a large table."""

from datetime import UTC

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Set by subclasses: parses a cursor's position, None when it is not one.
    position_parser = staticmethod(lambda text: text)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = (
                cursor is None
                or cursor.position is None
                or (
                    "\x00" not in cursor.position
                    and self.position_parser(cursor.position) is not None
                )
            )
        if not valid:
            # A mangled cursor is bad input, not a missing page.
            message = _("This cursor is not valid; start from the first page.")
            raise exceptions.ValidationError({self.cursor_query_param: [message]})
        return cursor


def _datetime_or_none(text):
    """A cursor's position as a datetime the database can compare against, else None."""
    try:
        moment = parse_datetime(text)
        if moment is not None and not 1900 <= moment.astimezone(UTC).year <= 9000:
            return None
        return moment
    except (ValueError, OverflowError):
        return None


class CaseCursorPagination(ApiCursorPagination):
    # Newest first; the id breaks ties between cases received in the same instant.
    ordering = ("-received_at", "-id")
    position_parser = staticmethod(_datetime_or_none)


class PathCursorPagination(ApiCursorPagination):
    ordering = ("path",)


class CodeCursorPagination(ApiCursorPagination):
    ordering = ("code",)
    page_size = 200
    max_page_size = 1000


def _id_or_none(text):
    return int(text) if text.isdigit() and len(text) <= 18 else None


class IdCursorPagination(ApiCursorPagination):
    ordering = ("id",)
    position_parser = staticmethod(_id_or_none)
