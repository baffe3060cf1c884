"""Log filters. A magic link's token is a credential: logs show where it was, never the token itself.

`RedactLinkTokens` sits on every handler of the root logger (cft/settings.py LOGGING), on Celery's handlers
(cft/celery.py) and on gunicorn's error and access loggers (gunicorn.conf.py), so every record, whichever logger
wrote it (django.request, django.security.csrf, runserver, a traceback), is redacted before it is written.
`OneLineClientErrors` drops the traceback Django attaches to an ordinary 4xx (a 403 from PermissionDenied)."""

from __future__ import annotations

import logging
import re

# The signed-token segment of the patient link paths (patients/urls.py, reminders/urls.py), whatever it holds.
LINK_TOKEN = re.compile(r"(/checkin/|/reminders/pause/)(?!done/)[^/\s\"?]+")
# A Django signed value anywhere (`payload:timestamp:signature`, the ":" perhaps percent-encoded): a token
# quoted in a query (`?next=/checkin/...`), a Referer, or an exception's message.
SIGNED_VALUE = re.compile(r"[A-Za-z0-9_.-]{8,}(?::|%3[Aa])[A-Za-z0-9]{4,}(?::|%3[Aa])[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    return SIGNED_VALUE.sub("<token>", LINK_TOKEN.sub(r"\1<token>", text))


class RedactLinkTokens(logging.Filter):
    """The message, and the traceback text if there is one, with every link token replaced by `<token>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's to report (handleError), not the filter's
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class OneLineClientErrors(logging.Filter):
    """Django logs a 403 from PermissionDenied (and a 400 from BadRequest or a SuspiciousOperation) with the
    exception's traceback. A refused request is the client's doing, not a fault to debug: its one line (status,
    path) is kept, the traceback dropped. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True
