import logging
import sys
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views import defaults

logger = logging.getLogger("cft.database")

# How long a client is asked to wait before sending again (`Retry-After`): a dropped connection is replaced on the
# next request, a restarting database takes a few seconds.
RETRY_AFTER_SECONDS = 2
UNAVAILABLE_DETAIL = (
    "The database connection was lost before this request finished. Send it again in a few seconds: "
    "a check-in sent again replaces the week's answers, so sending it twice stores it once."
)


def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers, nothing else checked. Also the minimal-view baseline of `make bench`."""
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    """`/`, the address `make run` prints: staff go to the admin; anyone else gets a short page saying what this is,
    in English or Norwegian as their browser asks (Accept-Language)."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    with translation.override(translation.get_language_from_request(request)):
        return render(request, "home.html", {"languages": settings.LANGUAGES})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a URL no view matched (`/api/v1/patients/abc/`): under `/api/` the API's one error shape
    (cft/api.py) in JSON, as every other API answer; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        body: dict[str, Any] = {"code": "not_found", "detail": "Not found.", "fields": {}}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A request whose database connection died (the server restarted, `pg_terminate_backend`, a failover) is
    answered 503 with `Retry-After`, not 500: nothing is wrong with the request, and sending it again works. It is
    logged as one line; Django's own error log with the traceback is skipped (`_has_been_logged`). Any other
    error is Django's 500."""
    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return defaults.server_error(request)
    response: HttpResponse
    if request.path.startswith("/api/"):
        body = {"code": "database_unavailable", "detail": UNAVAILABLE_DETAIL, "fields": {}}
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse(
            "<!doctype html><title>Please try again</title><h1>Please try again in a moment</h1>"
            "<p>We could not finish saving or loading this page. Nothing is lost by sending it again.</p>",
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log.log_response skips it
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    logger.warning("503 %s %s: database connection lost (%s)", request.method, request.path, reason)
    return response
