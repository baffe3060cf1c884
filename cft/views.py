from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers, nothing else checked. Also the minimal-view baseline of `make bench`."""
    return HttpResponse("ok", content_type="text/plain")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for a URL no view matched (`/api/v1/patients/abc/`): under `/api/` the API's one error shape
    (cft/api.py) in JSON, as every other API answer; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        body: dict[str, Any] = {"code": "not_found", "detail": "Not found.", "fields": {}}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)
