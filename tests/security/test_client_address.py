"""Behind a proxy the client's address is the one the trusted proxies report, never what the client wrote into
X-Forwarded-For itself; audit, django-axes, alert acknowledgements and downloads use the same function."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import client_ip
from tests.factories import ClinicFactory, make_therapist

PROXY = "10.0.0.1"


def request(forwarded: str | None = None, remote: str = PROXY):  # type: ignore[no-untyped-def]
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", PROXY),  # no trusted proxy: the header is the client's own word
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged leftmost entry is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", PROXY),  # shorter than the chain: it bypassed a proxy
        (1, "not-an-address", PROXY),
        (1, None, PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_address_the_trusted_proxies_report(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request(forwarded)) == expected


def test_django_axes_locks_out_by_the_same_address():
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "audit.services.client_ip"


def login(client: Client, username: str, password: str, address: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"198.18.0.1, {address}",  # the same forged entry from both clients
    )


def test_behind_a_proxy_one_clients_lockout_does_not_lock_out_another(db, settings):
    settings.AXES_ENABLED = True
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_therapist(ClinicFactory())
    attacker, colleague = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, user.username, "wrong-password", "203.0.113.66")
    assert login(attacker, user.username, "correct-horse-battery", "203.0.113.66").status_code in {403, 429}
    response = login(colleague, user.username, "correct-horse-battery", "198.51.100.20")
    assert response.status_code == 302 and "_auth_user_id" in colleague.session
    addresses = set(AuditEvent.objects.filter(action__startswith="login.").values_list("ip_address", flat=True))
    assert addresses <= {"203.0.113.66", "198.51.100.20"} and "198.18.0.1" not in addresses
