"""Structured logs: one JSON object per line on stdout, for a log collector to read as it is."""

import datetime
import json
import logging
import re

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is a field.
# Django attaches the whole request to its error records: its text carries the query string
# (possibly an e-mail address), so it is left out; method and path are in the request log.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "request"}


# The secret in a subscription link (confirm, unsubscribe, manage: programmes/urls.py), wherever
# a line quotes such a path: Django's own "Internal Server Error: /ru/alerts/confirm/…/" too.
# (The request log replaces it already: middleware.loggable_path.)
_TOKEN_IN_PATH = re.compile(r"(/alerts/(?:confirm|unsubscribe|manage)/)[^/\s\"'?#]+")


class JSONFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extra fields, "exception"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: a stray object in ``extra`` (a request, a user) must not lose the line.
        return _TOKEN_IN_PATH.sub(r"\1[token]", json.dumps(entry, ensure_ascii=False, default=str))
