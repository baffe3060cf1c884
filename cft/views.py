from django.http import HttpRequest, HttpResponse


def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers, nothing else checked. Also the minimal-view baseline of `make bench`."""
    return HttpResponse("ok", content_type="text/plain")
