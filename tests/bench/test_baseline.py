"""The check-in benchmark's baseline endpoint (bench/baseline.py): it must cost what a check-in's least costs, the
same patient token authenticated and one row inserted, or the ratio the bench reports means nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from bench.baseline import PATH
from patients import services
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.baseline")]


def test_the_baseline_endpoint_authenticates_the_patient_token_and_inserts_one_row(django_assert_num_queries, settings):
    # The throttle's count costs the baseline what it costs a check-in: in Redis where the bench runs, in queries
    # of their own on the embedded default's database cache. Neither is what this counts.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    patient = factories.patient_on_program()
    key, _ = services.issue_patient_token(patient=patient)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    before = AuditEvent.objects.count()
    # The token lookup (with its patient), then the insert in its own transaction.
    with django_assert_num_queries(4):  # SELECT token, SAVEPOINT/BEGIN, INSERT, RELEASE/COMMIT
        response = client.post(PATH, b"{}", content_type="application/json")
    assert response.status_code == 201
    event = AuditEvent.objects.get(pk=response.json()["id"])
    assert (event.action, event.patient_id) == ("bench.baseline", patient.pk)
    assert AuditEvent.objects.count() == before + 1


def test_the_baseline_endpoint_refuses_a_request_without_a_patient_token():
    response = Client().post(PATH, b"{}", content_type="application/json")
    assert response.status_code in (401, 403)
    assert not AuditEvent.objects.filter(action="bench.baseline").exists()


def test_the_product_does_not_serve_the_baseline_endpoint(settings):
    from django.urls import Resolver404, resolve

    settings.ROOT_URLCONF = "cft.urls"
    with pytest.raises(Resolver404):
        resolve(PATH)
