"""Log filters. A magic link's token is a credential: request logs show where it was, never the token itself."""

from __future__ import annotations

import logging
import re

# The signed-token segment of the patient link paths (patients/urls.py, reminders/urls.py).
LINK_TOKEN = re.compile(r"(/checkin/|/reminders/pause/)(?!done/)[^/\s\"?]+")


def redact(text: str) -> str:
    return LINK_TOKEN.sub(r"\1<token>", text)


class RedactLinkTokens(logging.Filter):
    """On django.request ("Gone: /checkin/<token>/") and django.server (runserver's access lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
