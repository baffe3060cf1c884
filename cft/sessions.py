"""Django's database sessions, remembering the expiry stored with the session they load, by which
`cft.middleware.SlidingSessionMiddleware` tells how long ago the session was last written."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession


class SessionStore(DatabaseSessionStore):
    stored_expiry: dt.datetime | None = None  # of the row loaded; None before a load, or without one

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        stored = super()._get_session_from_db()  # type: ignore[misc]  # not in django-stubs
        self.stored_expiry = stored.expire_date if stored is not None else None
        return stored
