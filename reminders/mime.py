"""SMTP-ready bytes for the simple emails this app sends, without Python's `email` header machinery.

Django's `EmailMessage.message()` builds an `email.message.EmailMessage` and the SMTP backend serializes it:
both steps parse and refold every header through the standard library's header registry, which was most of
the send path's CPU (docs/BENCHMARKS.md, reminder send: MIME, measured in the same run). `serialize` writes
the same message directly (plain text, optionally one HTML alternative, UTF-8 bodies, ASCII headers) and
returns None for anything outside that shape, so the caller falls back to Django. Whatever the mail client sees
(headers, decoded parts) is what Django would have produced: tests/reminders/test_mime.py compares them.
"""

from __future__ import annotations

import binascii
import datetime as dt
import functools
import random
import re
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.utils import timezone

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
# An address the header registry writes back unchanged: dot-atom local part, ASCII host name.
PLAIN_ADDRESS = re.compile(rf"{_DOT_ATOM}@{_DOMAIN}")
_MESSAGE_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
# Printable ASCII and spaces: an unstructured header value that needs no encoding (folding is optional).
_PLAIN_TEXT = re.compile(r"[\x20-\x7e]*")
_MAX_LINE = 998  # RFC 5322 2.1.1: a line MUST be no longer than this
_BODY_LINE = 78  # past this (or non-ASCII), a body is quoted-printable, as the standard library decides too
_ADDRESS_HEADERS = {"from", "to", "cc", "reply-to", "bcc", "sender"}
_SET_HERE = {"mime-version", "content-type", "content-transfer-encoding"}


def _header(name: str, value: str) -> bytes | None:
    line = f"{name}: {value}"
    if not _PLAIN_TEXT.fullmatch(value) or len(line) > _MAX_LINE:
        return None
    return line.encode("ascii") + b"\r\n"


@functools.lru_cache(maxsize=32)
def _from_header(from_email: str) -> bytes:
    """The From line as Django writes it (quoting, RFC 2047, IDNA), computed once per sender address."""
    from email.policy import SMTP

    message = EmailMessage(from_email=from_email, to=["nobody@example.org"]).message(policy=SMTP)
    return SMTP.fold_binary("From", message["From"])


@functools.lru_cache(maxsize=32)
def envelope_sender(from_email: str) -> str:
    """The MAIL FROM address for a From value, as Django's SMTP backend derives it (once per sender)."""
    from django.core.mail.backends.smtp import EmailBackend

    return EmailBackend(fail_silently=True).prep_address(from_email)


def _body(text: str, subtype: str, charset: str) -> bytes:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    lines = text.split("\n")
    if text.isascii() and max(map(len, lines)) <= _BODY_LINE:
        cte, payload = "7bit", text.encode("ascii")
    else:
        cte, payload = "quoted-printable", binascii.b2a_qp(text.encode(charset), istext=True)
    head = f'Content-Type: text/{subtype}; charset="{charset}"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'
    return head.encode("ascii") + payload.replace(b"\n", b"\r\n")


def _boundary(parts: list[bytes]) -> bytes:
    while True:
        # Like the standard library's: "==" runs never occur in quoted-printable, so only 7bit parts can clash.
        boundary = f"==============={random.getrandbits(63):019d}==".encode("ascii")  # noqa: S311 - not a secret
        if not any(boundary in part for part in parts):
            return boundary


def serialize(message: EmailMessage, *, now: dt.datetime | None = None) -> bytes | None:
    """The message as the bytes an SMTP server receives (CRLF line ends), or None when it is not the simple
    shape this covers: attachments, an alternative that is not HTML text, Cc, Bcc or Reply-To, address headers given
    as extra headers, a recipient that is not a plain ASCII address, a header value that needs encoding."""
    alternatives = getattr(message, "alternatives", [])
    if message.attachments or message.cc or message.bcc or message.reply_to or message.content_subtype != "plain":
        return None
    if len(alternatives) > 1 or any(mimetype != "text/html" for _, mimetype in alternatives):
        return None
    if not message.to or not all(isinstance(to, str) and PLAIN_ADDRESS.fullmatch(to) for to in message.to):
        return None
    extra = {name.lower(): (name, str(value)) for name, value in message.extra_headers.items()}
    if extra.keys() & (_ADDRESS_HEADERS | _SET_HERE):
        return None
    charset = message.encoding or settings.DEFAULT_CHARSET

    lines: list[bytes | None] = [_header("Subject", str(message.subject)), _from_header(str(message.from_email))]
    lines.append(_header("To", ", ".join(message.to)))
    if "date" not in extra:
        now = now or timezone.now()
        lines.append(_header("Date", format_datetime(timezone.localtime(now) if settings.EMAIL_USE_LOCALTIME else now)))
    if "message-id" in extra:
        if not _MESSAGE_ID.fullmatch(extra["message-id"][1]):
            return None
    else:
        lines.append(_header("Message-ID", make_msgid(domain=DNS_NAME)))
    lines += [_header(name, value) for name, value in extra.values()]
    if None in lines:
        return None
    head = b"".join(line for line in lines if line is not None) + b"MIME-Version: 1.0\r\n"

    parts = [_body(str(message.body), "plain", charset)]
    parts += [_body(str(content), "html", charset) for content, _ in alternatives]
    if len(parts) == 1:
        return head + parts[0]
    boundary = _boundary(parts)
    # The CRLF before a delimiter belongs to the delimiter: the extra one keeps each part's final newline.
    body = b"--" + boundary + b"\r\n" + b"".join(part + b"\r\n--" + boundary + b"\r\n" for part in parts[:-1])
    body += parts[-1] + b"\r\n--" + boundary + b"--\r\n"
    return head + b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n\r\n' + body
