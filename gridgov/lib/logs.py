"""Logging filters that keep routine events out of the server's console."""

import logging


class AtDebugLevel(logging.Filter):
    """Logs a library's routine records at DEBUG, whatever level the library chose.

    A logger's level can only hide a record, not lower it, and a hidden record is gone even
    with LOG_LEVEL=DEBUG: so the record is re-levelled here and kept only when the root
    logger (LOG_LEVEL) shows debug. Errors keep their level. `statuses` limits it to the
    responses Django logs with those status codes.
    """

    def __init__(self, statuses: list[int] | None = None):
        super().__init__()
        self.statuses = set(statuses) if statuses else None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            return True
        if self.statuses is not None and getattr(record, "status_code", None) not in self.statuses:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger().isEnabledFor(logging.DEBUG)
