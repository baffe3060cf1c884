"""The fast serializer writes what Django would: the same headers and the same decoded parts, as a mail client
reads them; anything outside its simple shape is left to Django (None)."""

from __future__ import annotations

import datetime as dt
import email
from email.policy import SMTP, default

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives

from reminders.mime import serialize

NOW = dt.datetime(2026, 3, 2, 7, 5, tzinfo=dt.UTC)
LONG_URL = "https://cft.example.org/checkin/" + "x" * 150 + "/"


def reminder_like(**overrides) -> EmailMultiAlternatives:
    fields = {
        "subject": "Your weekly check-in",
        "body": f"Hello Åse,\n\nOpen your check-in:\n{LONG_URL}\n\nTrailing space here \nFjord Physio\n",
        "from_email": "CFT Tracker <no-reply@cft.example.org>",
        "to": ["ase.berg@example.org"],
        "headers": {
            "Message-ID": "<reminder-42@cft.example.org>",
            "List-Unsubscribe": f"<{LONG_URL}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    message = EmailMultiAlternatives(**{**fields, **overrides})
    message.attach_alternative('<p style="color: #1f2933">Hello Åse, = 100 %</p>\n<a href="x">Open</a>\n', "text/html")
    return message


def parsed(data: bytes) -> email.message.EmailMessage:
    # As a mail client stores it: lines end in LF once off the wire.
    return email.message_from_bytes(data.replace(b"\r\n", b"\n"), policy=default)


def read_as_a_client(data: bytes) -> dict:
    message = parsed(data)
    headers = {k: str(v) for k, v in message.items() if k not in ("Content-Type", "Content-Transfer-Encoding")}
    parts = [(part.get_content_type(), part.get_content()) for part in message.walk() if not part.is_multipart()]
    return {"headers": headers, "type": message.get_content_type(), "parts": parts}


def django_bytes(message: EmailMessage) -> bytes:
    return message.message(policy=SMTP).as_bytes()


def test_a_reminder_reads_the_same_as_djangos_message():
    message = reminder_like(headers={**reminder_like().extra_headers, "Date": "Mon, 02 Mar 2026 07:05:00 +0000"})
    fast = serialize(message)
    assert fast is not None
    assert read_as_a_client(fast) == read_as_a_client(django_bytes(message))


def test_the_parts_keep_non_ascii_text_long_lines_and_trailing_spaces(settings):
    message = reminder_like()
    fast = parsed(serialize(message, now=NOW))
    text, html = [part.get_content() for part in fast.walk() if not part.is_multipart()]
    assert text == message.body
    assert html == message.alternatives[0].content
    assert fast["Date"] == "Mon, 02 Mar 2026 07:05:00 +0000"


def test_every_line_is_crlf_terminated_and_within_the_smtp_limit():
    data = serialize(reminder_like(), now=NOW)
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert data.isascii()


def test_a_plain_ascii_body_without_alternative_is_a_single_7bit_part():
    message = EmailMessage("Your check-in link", "Hello,\nhere it is.\n", "a@example.org", ["b@example.org"])
    fast = parsed(serialize(message, now=NOW))
    assert fast.get_content_type() == "text/plain"
    assert fast["Content-Transfer-Encoding"] == "7bit"
    assert fast.get_content() == message.body
    assert fast["Message-ID"]


def test_a_sender_name_that_needs_quoting_is_written_as_django_writes_it():
    message = reminder_like(from_email="Fjord Physio, Oslo <no-reply@example.org>")
    assert parsed(serialize(message, now=NOW))["From"] == parsed(django_bytes(message))["From"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"to": ["Åse <ase@example.org>"]},
        {"to": ["ase@exämple.org"]},
        {"cc": ["x@example.org"]},
        {"reply_to": ["x@example.org"]},
        {"subject": "Din ukentlige innsjekk – Åse"},
        {"subject": "Two\nlines"},
        {"headers": {"Message-ID": "not an id"}},
        {"headers": {"To": "x@example.org"}},
        {"attachments": [("a.txt", "hello", "text/plain")]},
    ],
)
def test_anything_outside_the_simple_shape_is_left_to_django(overrides):
    assert serialize(reminder_like(**overrides)) is None


def test_an_alternative_that_is_not_html_is_left_to_django():
    message = EmailMultiAlternatives("s", "body", "a@example.org", ["b@example.org"])
    message.attach_alternative("{}", "application/json")
    assert serialize(message) is None
