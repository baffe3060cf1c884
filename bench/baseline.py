"""The check-in benchmark's baseline endpoint: `POST /bench/baseline/` authenticates the same patient token as the
check-in API (the same authentication and permission classes, so the same token lookup and throttles) and inserts
one row in a transaction (an audit event about the patient), then answers 201 with a one-field body.

It is the least a check-in can cost in this stack (middleware, DRF, one authenticated read, one insert, commit),
so `bench.load` reports the check-in as a ratio to it. It is served only by the bench's own URLconf
(`bench.settings`), never by the product's.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import path
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import record
from cft.urls import urlpatterns as product_urlpatterns
from patients.api import PatientView

PATH = "/bench/baseline/"


class BaselineView(PatientView):
    def post(self, request: Request) -> Response:
        with transaction.atomic():
            event = record("bench.baseline", self.patient())
        return Response({"id": event.pk}, status=status.HTTP_201_CREATED)


urlpatterns = [path(PATH.strip("/") + "/", BaselineView.as_view()), *product_urlpatterns]
