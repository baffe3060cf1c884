"""One person per browser session: a staff sign-in keeps nothing another identity left in the session."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

SIGNED_IN_KEYS = (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY)


def keep_only_the_signed_in_user(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """`user_logged_in` receiver. Django's `login()` gives a session that had no user in it a new key but keeps
    its data, so a patient's check-in session (opened by a link in this browser) would survive a staff sign-in
    and the browser would be both. The session keeps only the sign-in itself. (Opening a patient link flushes
    the session the other way: `patients.views.open_link`.)"""
    session = getattr(request, "session", None)
    if session is None:
        return
    signed_in = {key: session[key] for key in SIGNED_IN_KEYS if key in session}
    session.clear()
    session.update(signed_in)
