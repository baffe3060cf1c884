"""Middleware of the project's own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Nothing the app answers may be kept by a browser, proxy or app cache (Cache-Control: no-store, private):
    API answers, reports, CSVs, export downloads, the admin and the patient pages carry patient records, and the
    enrolment page a TOTP key. One rule for every response rather than a decorator per view, so a new download
    cannot forget it. Static files (WhiteNoise, before this) keep their long cache headers."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class SlidingSessionMiddleware(SessionMiddleware):
    """Django's sessions with `SESSION_COOKIE_AGE` as an inactivity timeout: a request pushes the session's expiry
    (and its cookie's) to now + the age once `SESSION_REFRESH_AFTER` seconds have passed since the session was last
    written (its stored expiry, `cft.sessions`, is then that much nearer), rather than writing it on every request
    (`SESSION_SAVE_EVERY_REQUEST`, an UPDATE on every admin page). A session then ends between the age less that
    interval and the age after its last request. Other session engines are written on every request."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and not session.modified and not session.is_empty():
            # Loading the session marks it accessed, which adds `Vary: Cookie`; the response varies as it did.
            accessed = session.accessed
            session.keys()  # loads it, if this request has not
            stored = getattr(session, "stored_expiry", None)
            pushed = timezone.now() + dt.timedelta(seconds=session.get_expiry_age() - settings.SESSION_REFRESH_AFTER)
            if not session.is_empty() and (stored is None or stored <= pushed):
                session.modified = True  # Django's middleware saves it, with the expiry and the cookie pushed
            session.accessed = accessed
        return super().process_response(request, response)
