"""The client's address for every audit event written while a request is served (`audit.services.record`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.services import client_ip, serving_address


class ClientAddressMiddleware:
    """Holds the requester's address (`client_ip`) for the request's duration, so an event recorded by a service
    the view called (a patient update, a discharge, an export request) carries it without every caller passing
    it down. Outside a request (a Celery task, a command) there is none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with serving_address(client_ip(request)):
            return self.get_response(request)
